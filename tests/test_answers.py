"""Answer normalisation: every synonym the rubric lists, the ways people type
them, and what happens to answers pedro does not understand or that are blank.

Most cases are rows of one workbook scored once (``scored_cases``): each row is
a trial whose eleven item cells all hold the same raw value, so a "Y" synonym
totals 10 and an "N" or "?" synonym totals 0.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pedro.audit.log import SYNONYM_RULE
from pedro.engine import score_file
from pedro.normalise import STATUS_MISSING, STATUS_OK, STATUS_UNRECOGNISED, canonical_answer
from pedro.rubric import load_rubric, tomllib
from pedro.write.audited import write_audited

from conftest import ITEM_HEADERS, dump_workbook, write_xlsx

RUBRIC = load_rubric()
RAW_SYNONYMS = tomllib.loads(open(RUBRIC.path, encoding="utf-8").read())["answers"]["synonyms"]
ITEM_LETTERS = "BCDEFGHIJKL"  # items 1-11 after the Study column

# (raw cell value, canonical answer)
CASES: list[tuple[object, str]] = []
CASES += [(word, answer) for answer, words in RAW_SYNONYMS.items() for word in words]
CASES += [(answer, answer) for answer in ("Y", "N", "?")]
CASES += [(word.upper(), answer) for answer, words in RAW_SYNONYMS.items() for word in words if word.upper() != word]
CASES += [(f"  {word}\t", answer) for answer, words in RAW_SYNONYMS.items() for word in words]
CASES += [
    ("Yes", "Y"), ("YES", "Y"), ("yEs", "Y"), (" y ", "Y"), ("No", "N"), ("NO ", "N"), ("True", "Y"),
    ("FALSE", "N"), ("Unclear", "?"), ("UNCLEAR", "?"), ("Not  clear", "?"), ("Can't Tell", "?"),
    ("Ｙ", "Y"), ("ｙｅｓ", "Y"), ("Ｎ", "N"), ("？", "?"),
    ("\u2212", "N"), (" \u2212 ", "N"), ("+", "Y"), ("-", "N"), ("✓", "Y"), ("✗", "N"),
    (True, "Y"), (False, "N"), (1, "Y"), (0, "N"), (1.0, "Y"), (0.0, "N"),
]
UNRECOGNISED = ["maybe", "2", 2, "yes?", "Y/N", "1.5", 1.5, "n/a", "yy"]


def _shown(value) -> str:
    """The text a cell shows: TRUE/FALSE for booleans, 1 for 1.0."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _key(value) -> str:
    return f"{type(value).__name__} {value!r}"


# Trial labels must differ by more than case and spacing (PD701), so number them.
_KEYS = list(dict.fromkeys(_key(v) for v in [v for v, _ in CASES] + UNRECOGNISED))
LABELS = {key: f"case {i}" for i, key in enumerate(_KEYS, start=1)}


def _label(value) -> str:
    return LABELS[_key(value)]


@pytest.fixture(scope="module")
def scored_cases(tmp_path_factory):
    """One workbook: a row per case and per unrecognised value, scored once."""
    rows = [["Study", *ITEM_HEADERS]]
    done = set()
    for value in [v for v, _ in CASES] + UNRECOGNISED:
        if _key(value) not in done:
            done.add(_key(value))
            rows.append([_label(value), *([value] * 11)])
    path = write_xlsx(tmp_path_factory.mktemp("answers") / "synonyms.xlsx", rows)
    result = score_file(path)
    by_label = {label: i for i, label in enumerate(result.sheet.studies["study"])}
    return result, by_label


def _trial(scored_cases, value):
    result, by_label = scored_cases
    index = by_label[_label(value)]
    answers = result.sheet.answers[result.sheet.answers["study_index"] == index].sort_values("item")
    row = int(result.sheet.studies.at[index, "row"])
    return result, index, answers, row


def test_every_case_is_one_trial(scored_cases):
    result, by_label = scored_cases
    assert len(result.sheet.studies) == len(by_label) == len(LABELS)
    assert "PD701" not in result.findings["rule"].tolist()


@pytest.mark.parametrize("value, answer", CASES, ids=[_key(v) for v, _ in CASES])
def test_synonym_maps_to_its_answer(scored_cases, value, answer):
    result, index, answers, row = _trial(scored_cases, value)
    assert answers["answer"].tolist() == [answer] * 11
    assert set(answers["status"]) == {STATUS_OK}
    assert result.scores.at[index, "total"] == (10 if answer == "Y" else 0)
    trial_rules = set(result.findings.loc[result.findings["study_index"] == index, "rule"])
    assert not {"PD101", "PD102"} & trial_rules
    if answer == "?":
        assert "PD103" in trial_rules


@pytest.mark.parametrize("value, answer", CASES, ids=[_key(v) for v, _ in CASES])
def test_rewritten_cells_are_in_the_change_log(scored_cases, value, answer):
    result, index, _, row = _trial(scored_cases, value)
    changes = result.changes[result.changes["cell"].isin([f"{c}{row}" for c in ITEM_LETTERS])]
    if isinstance(value, str) and value == answer:
        assert changes.empty  # already canonical: nothing rewritten
        return
    assert changes["cell"].tolist() == [f"{c}{row}" for c in ITEM_LETTERS]
    assert changes["item"].tolist() == list(range(1, 12))
    assert set(changes["new"]) == {answer}
    assert set(changes["old"]) == {_shown(value)}
    assert set(changes["study"]) == {_label(value)}
    assert set(changes["rule"]) == {SYNONYM_RULE}
    assert set(changes["sheet"]) == {"Ratings"}


def test_change_log_holds_exactly_the_rewritten_cells(scored_cases):
    result, _ = scored_cases
    answers = result.sheet.answers
    written_as_is = answers["raw"].map(lambda v: isinstance(v, str)) & (answers["raw"] == answers["answer"])
    rewritten = answers[answers["answer"].notna() & ~written_as_is]
    assert sorted(result.changes["cell"]) == sorted(result.sheet.cells_of(rewritten))
    assert result.changes["cell"].is_unique


def test_audited_workbook_differs_only_in_logged_cells(scored_cases, tmp_path):
    """Every cell whose value pedro rewrites is a row in the Change log sheet, with old and new."""
    result, _ = scored_cases
    before = dump_workbook(result.input)["Ratings"]
    after_book = dump_workbook(write_audited(result, tmp_path / "audited.xlsx"))
    after = after_book["Ratings"]
    assert set(after) == set(before)
    differing = {cell for cell in before if after[cell] != before[cell]}
    log_sheet = after_book["Change log"]
    header = {log_sheet[f"{c}1"]: c for c in "ABCDEFGHIJ"}
    logged = {}
    for row in range(2, 2 + len(result.changes)):
        cell = log_sheet[f"{header['Cell']}{row}"]
        logged[cell] = (str(log_sheet[f"{header['Old']}{row}"]), log_sheet[f"{header['New']}{row}"])
    # A raw "Y" and a rewritten "yes" both end as "Y": only those that changed must be logged, and all are.
    assert differing <= set(logged)
    assert set(logged) == set(result.changes["cell"])
    for cell, (old, new) in logged.items():
        assert after[cell] == new
        assert old == _shown(before[cell])


@pytest.mark.parametrize("value", UNRECOGNISED, ids=_key)
def test_unrecognised_answer_is_an_error_and_never_n(scored_cases, value):
    result, index, answers, row = _trial(scored_cases, value)
    assert answers["answer"].isna().all()
    assert set(answers["status"]) == {STATUS_UNRECOGNISED}
    assert answers["raw"].tolist() == [value] * 11
    assert pd.isna(result.scores.at[index, "total"])
    assert (result.scores.at[index, "min_total"], result.scores.at[index, "max_total"]) == (0, 10)
    errors = result.findings[(result.findings["study_index"] == index) & (result.findings["rule"] == "PD101")]
    assert errors["cell"].tolist() == [f"{c}{row}" for c in ITEM_LETTERS]
    assert set(errors["severity"]) == {"error"}
    raw_text = str(value)
    assert set(errors["value"]) == {raw_text}
    assert all(f"'{raw_text}'" in message for message in errors["message"])
    changed = result.changes["cell"].isin(errors["cell"])
    assert not changed.any()
    assert result.exit_status == 1


def _one_trial(tmp_path, answers: list, name="one.xlsx"):
    rows = [["Study", *ITEM_HEADERS], ["Smith 2019", *answers]]
    return score_file(write_xlsx(tmp_path / name, rows))


def test_unrecognised_answer_leaves_a_range_not_a_total(tmp_path):
    # items 2-11: five Y, one 'maybe', four N
    result = _one_trial(tmp_path, ["Y", "Y", "Y", "Y", "Y", "Y", "maybe", "N", "N", "N", "N"])
    scores = result.scores.iloc[0]
    assert pd.isna(scores["total"])
    assert (scores["min_total"], scores["max_total"], scores["unknown"]) == (5, 6, 1)
    assert scores["band"] is None  # 5 is fair, 6 is good
    assert result.findings.loc[result.findings["rule"] == "PD101", "cell"].tolist() == ["H2"]
    assert result.findings.loc[result.findings["rule"] == "PD101", "value"].tolist() == ["maybe"]


@pytest.mark.parametrize("blank", [None, "", "   "], ids=["empty", "empty-string", "spaces"])
def test_blank_answer_is_missing_not_n(tmp_path, blank):
    result = _one_trial(tmp_path, ["Y", "Y", "Y", blank, "N", "N", "N", "N", "N", "N", "N"])
    answers = result.sheet.answers
    item4 = answers[answers["item"] == 4].iloc[0]
    assert item4["answer"] is None
    assert item4["status"] == STATUS_MISSING
    scores = result.scores.iloc[0]
    assert pd.isna(scores["total"])
    assert (scores["min_total"], scores["max_total"]) == (2, 3)
    missing = result.findings[result.findings["rule"] == "PD102"]
    assert missing["cell"].tolist() == ["E2"]
    assert set(missing["severity"]) == {"warning"}
    assert "E2" not in result.changes["cell"].tolist()
    assert "PD101" not in result.findings["rule"].tolist()


def test_blank_item_one_leaves_the_total_defined(tmp_path):
    result = _one_trial(tmp_path, [None, "Y", "Y", "N", "N", "N", "N", "N", "N", "N", "N"])
    assert result.scores.iloc[0]["total"] == 2
    assert result.findings.loc[result.findings["rule"] == "PD102", "cell"].tolist() == ["B2"]


@pytest.mark.parametrize("unclear", ["?", "unclear", "Unclear", "？"])
def test_unclear_scores_zero_and_stays_unclear(tmp_path, unclear):
    result = _one_trial(tmp_path, ["Y", "Y", unclear, "Y", "N", "N", "N", "N", "N", "N", "N"])
    item3 = result.sheet.answers.query("item == 3").iloc[0]
    assert item3["answer"] == "?"
    assert result.scores.iloc[0]["total"] == 2
    assert result.findings.loc[result.findings["rule"] == "PD103", "cell"].tolist() == ["D2"]
    changed = result.changes[result.changes["cell"] == "D2"]
    if unclear == "?":
        assert changed.empty
    else:
        assert changed[["old", "new"]].values.tolist() == [[unclear, "?"]]


# ---------------------------------------------------------------------------
# Properties of canonical_answer itself.
# ---------------------------------------------------------------------------

ALL_WORDS = sorted({w for words in RAW_SYNONYMS.values() for w in words} | {"Y", "N", "?"})
raw_values = st.one_of(
    st.text(max_size=12), st.sampled_from(ALL_WORDS), st.booleans(), st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False), st.none())


@given(raw_values)
def test_normalising_twice_equals_normalising_once(value):
    answer, status = canonical_answer(value, RUBRIC)
    again, again_status = canonical_answer(answer, RUBRIC)
    assert again == answer
    if answer is not None:
        assert status == again_status == STATUS_OK
        assert answer in ("Y", "N", "?")


@given(st.sampled_from(sorted(RAW_SYNONYMS.items())).flatmap(
    lambda pair: st.tuples(st.just(pair[0]), st.sampled_from(pair[1]))),
    st.text(" \t", max_size=3), st.text(" \t", max_size=3), st.booleans())
def test_case_and_surrounding_space_do_not_change_the_answer(pair, before, after, upper):
    answer, word = pair
    typed = before + (word.upper() if upper else word) + after
    assert canonical_answer(typed, RUBRIC) == (answer, STATUS_OK)


def test_rubric_loader_keeps_every_listed_synonym():
    for answer, words in RAW_SYNONYMS.items():
        for word in words:
            assert canonical_answer(word, RUBRIC) == (answer, STATUS_OK), word
    assert set(RUBRIC.synonyms.values()) == {"Y", "N", "?"}
