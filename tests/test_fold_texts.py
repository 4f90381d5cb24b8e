"""``fold_texts`` folds many values as one text (issue 18: PD701's 60,000 trial labels), and must give
exactly what ``fold_text`` gives each value: NFKC, spaces collapsed and stripped, lower case.

Folding the values joined by a separator is only right when no step reaches across it: NFKC must not
combine a character with the separator or reorder marks over it, spaces beside it must go as at the ends
of a text, and a capital sigma beside it must lower-case as at the end or start of a text (final sigma).
The tests put every character that NFKC, lower case or spacing treats specially at the edges of the
values, in mixed lists, and check the shortcut that skips the spacing step against Python's own list of
spaces.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
import unicodedata

import pytest

from pedro import text
from pedro.text import fold_text, fold_texts

# Characters each step of the fold treats specially: spaces of every kind (the ASCII ones str.split() takes
# that look like controls, \x1c-\x1f, included), characters NFKC changes (full-width letters, ligatures, a
# space with a diaeresis), combining marks (they combine with or reorder against what comes before),
# Hangul jamo (composed algorithmically), cased and case-ignorable characters around a capital sigma, and a
# dotted capital I that lower-cases to two characters.
TRICKY = ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u1680", "\u2002",
          "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "Ａ", "ｚ", "ﬁ", "ﬃ", "Ⅻ", "①", "\xa8", "\u2007",
          "\u0301", "\u0308", "\u0345", "\u0327", "\u1100", "\u1161", "\u11a8", "가", "Σ", "σ", "ς", "Α", "'",
          ".", "\xad", "\u200b", "İ", "ß", "Ǆ", "ǅ", "K", "é", "e\u0301", "Müller", "Nguyễn", "李"]


def _expected(values) -> list[str]:
    return [fold_text(value) for value in values]


def test_the_other_spaces_are_pythons_own():
    """The spacing step is skipped for a text with none of ``_OTHER_SPACES``, no two spaces in a row and no
    space at an edge: the list must be every character besides " " that str.split() and \\s split at."""
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(text._OTHER_SPACES) | {" "} == spaces
    assert all(re.fullmatch(r"\s", space) for space in spaces)
    assert len(text._OTHER_SPACES) == len(set(text._OTHER_SPACES))


@pytest.mark.parametrize("values", [
    [],
    [""],
    ["", ""],
    ["  "],
    ["Smith 2010", "smith  2010", " SMITH 2010 ", "Smith\t2010", "Smith\x1c2010\x1f"],
    ["Ｓｍｉｔｈ　２０１０", "Smith 2010"],  # full-width letters, digits and space
    ["ﬁsher", "Fisher", "ﬃ", "Ⅻ ①"],
    ["ΟΔΟΣ", "ΟΔΟΣ ", " ΣΑ", "Σ", "ΑΣ'", "'Σ", "ΑΣ\u0301", "Σ\u0301Α", "ΑΣ", "Α"],
    ["Müller 2001", "MÜLLER 2001", "Mu\u0308ller 2001", "Nguyễn", "NGUYỄN", "李 2019"],
    ["\u0301start", "end\u0301", "\u1161", "\u1100", "\u11a8", "가", "\u1100\u1161"],
    ["a\u2028b", "\x85", "a\xa0\xa0b", "\u3000x\u3000", "x\u205f"],
    ["İstanbul", "ISTANBUL", "Straße", "STRASSE", "ǅemal", "Kelvin K"],
    ["\xa8", " \xa8 ", "a\xa8b"],  # NFKC makes a space of a character that is not one
    ["with\x00separator", "plain"],  # a value holding the separator: folded one by one
    ["\x00", "", "\x00\x00"],
])
def test_fold_texts_is_fold_text_on_tricky_lists(values):
    assert fold_texts(values) == _expected(values)


def test_values_that_are_not_text_are_folded_as_their_text():
    values = [2010, 3.5, None, True, dt.date(2020, 1, 2), "Li 2020", b"bytes"]
    assert fold_texts(values) == _expected(values)
    assert fold_texts(iter(["A", " b "])) == ["a", "b"]  # any iterable, not only a list
    assert fold_texts(("Ａ", "x")) == ["a", "x"]


def test_each_tricky_character_at_the_edges_of_its_neighbours():
    """Every tricky character alone, first and last in a value, and beside a capital sigma, in one list, so
    that each lies next to the separator on both sides, after and before every other."""
    values = []
    for character in TRICKY:
        values += [character, f"{character}a", f"a{character}", f"Σ{character}", f"{character}Σ", f"ΑΣ{character}",
                   f" {character} ", f"{character}{character}"]
    assert fold_texts(values) == _expected(values)
    assert fold_texts(values[::-1]) == _expected(values[::-1])


def test_every_character_nfkc_lower_case_or_spacing_changes():
    """The characters of the whole of Unicode that NFKC, lower case or spacing changes, or that combine
    (a mark after the separator must not combine with it), each at both edges of a value."""
    special = [chr(c) for c in range(1, sys.maxunicode + 1) if not 0xD800 <= c < 0xE000 and (
        unicodedata.normalize("NFKC", chr(c)) != chr(c) or chr(c).lower() != chr(c) or chr(c).isspace()
        or unicodedata.combining(chr(c)) or unicodedata.category(chr(c)) in ("Mn", "Me", "Cf", "Lm", "Sk"))]
    assert len(special) > 5000
    values = [value for character in special for value in (character, f"Σ{character}", f"{character}Σa")]
    assert fold_texts(values) == _expected(values)


def test_random_lists_of_tricky_values():
    rng = random.Random(18)
    pool = [*TRICKY, "a", "B", " ", "  ", "Σ", "x"]
    for _ in range(1500):
        values = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(0, 12))]
        assert fold_texts(values) == _expected(values), values


def test_only_a_value_holding_the_separator_makes_the_values_fold_one_by_one(monkeypatch):
    calls = []

    def counted(value):
        calls.append(value)
        return fold_text(value)

    monkeypatch.setattr(text, "fold_text", counted)
    assert text.fold_texts(["Ａ b", "Σ", "  c  "]) == ["a b", "σ", "c"]
    assert calls == []  # folded as one text
    assert text.fold_texts(["a\x00b", "C"]) == ["a\x00b", "c"]
    assert calls == ["a\x00b", "C"]
