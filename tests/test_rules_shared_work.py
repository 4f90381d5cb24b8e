"""The work the consistency rules share or skip (issue 18: the rules at 60,000 trials), against the plain
way each shortcut stands for.

Several rules read the same thing: the distinct reported totals (PD201, PD202, PD803) and methods (PD301,
PD302), item 2's "Y" (PD301, PD302, PD304), the answers that are not "ok" (PD101, PD102), the unlabelled
trials (PD701, PD702); each is found once per check run.  Blank evidence is found at C speed
(``blank``), the answers of some items block by block (``answers_are``), an item's text answers in the
answers table itself (``answer_is``), item 8's arithmetic on int64 where the counts fit, and PD804 looks at
the formulas only when a cell reads as blank.  Each must give what the plain way gives, for any input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from pedro.engine import score_file
from pedro.normalise import blank, map_distinct, present
from pedro.rules import RULES_BY_ID, SEVERITIES, CheckContext, Rule, run_rules
from pedro.rules.answers import _by_status
from pedro.rules.followup import Counts, _counts, _satisfied
from pedro.table import Table

from conftest import generated_sheet, write_csv


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A generated sheet with every kind of trial finding, scored."""
    return score_file(generated_sheet(tmp_path_factory.mktemp("shared"), "findings", 120, 11))


def _context(result, sheet=None):
    return CheckContext(sheet or result.sheet, result.rubric, result.bands, result.score_table)


def _objects(values) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


class Text(str):
    """A str subclass, as a value some library might hand over."""


TRICKY = [None, "", " ", "\t\n", "\x1c", "\x85", "\u2028", "\u3000 ", "Y", " quote ", "\x00", 0, 0.0, -0.0, False,
          True, 1, float("nan"), dt.date(2020, 1, 2), b"", b" ", Text(" "), Text("p. 3"), pd.NA, pd.NaT, np.nan]


@pytest.mark.parametrize("values", [
    TRICKY,
    [None, "", "   ", "text", "\u2003"],
    [None, "", " ", "text", 0, False, 0.0, -0.0],  # text and values that are false: present says 0 is there
    ["only", "text"],
    [None, None],
    [],
    [0, 1.5, None],
])
def test_blank_is_what_present_says_is_not_there(values):
    array = _objects(values)
    assert blank(array).tolist() == (~present(array)).tolist()
    assert blank(array[::-1]).tolist() == (~present(array[::-1])).tolist()
    assert blank(list(values)).tolist() == (~present(values)).tolist()  # not an array: as present reads it


def test_blank_on_arrays_that_are_not_of_objects():
    for array in (np.array(["", " ", "x"]), np.array([0.0, np.nan, 2.0]), np.array([0, 3])):
        assert blank(array).tolist() == (~present(array)).tolist()


def test_answers_are_the_rows_of_those_items_with_those_answers(scored):
    context = _context(scored)
    item = np.asarray(scored.sheet.answer_table["item"])
    answer = np.asarray(scored.sheet.answer_table["answer"], dtype=object)
    for items in ([], [1], [2, 5, 11], range(1, 12), [12], [3, 12]):
        for answers in (("Y",), ("N", "?"), ()):
            expected = np.isin(item, list(items)) & np.isin(answer, list(answers))
            assert np.array_equal(context.answers_are(items, *answers), expected), (items, answers)
    empty = replace(scored.sheet, study_table=scored.sheet.study_table.take([]),
                    answer_table=scored.sheet.answer_table.take([]))
    assert _context(scored, empty).answers_are([1, 2], "Y").tolist() == []


def test_answer_is_compares_once_and_cannot_be_changed(scored):
    context = _context(scored)
    first = context.answer_is(2, "Y")
    assert context.answer_is(2, "Y") is first
    with pytest.raises(ValueError):
        first[0] = not first[0]
    for item in scored.sheet.items:
        values = context.answer(item)  # None where missing
        for answers in (("Y",), ("N", "?"), ()):
            expected = [value in answers for value in values.tolist()]
            assert context.answer_is(item, *answers).tolist() == expected, (item, answers)


def test_answer_is_where_a_missing_answer_is_nan(scored):
    """An answers table whose missing answers are NaN (not None) gives the same comparisons: a missing answer
    equals no answer text either way, and ``answer`` still gives None for it."""
    table = scored.sheet.answer_table
    answers = np.array(table["answer"], dtype=object)
    assert (answers == None).any()  # noqa: E711 - elementwise
    answers[answers == None] = np.nan  # noqa: E711 - elementwise
    nan_sheet = replace(scored.sheet, answer_table=Table({**table.columns, "answer": answers}, len(table)))
    plain, with_nan = _context(scored), _context(scored, nan_sheet)
    for item in scored.sheet.items:
        assert with_nan.answer(item).tolist() == plain.answer(item).tolist()
        for answers_asked in (("Y",), ("N", "?"), (None,), ("Y", None)):  # None: the answer is missing
            assert with_nan.answer_is(item, *answers_asked).tolist() == plain.answer_is(item, *answers_asked).tolist()
    assert plain.answer_is(scored.sheet.items[0], None).tolist() == [
        answer is None for answer in plain.answer(scored.sheet.items[0]).tolist()]


def test_distinct_values_are_found_once_and_mapped_as_map_distinct(scored):
    context = _context(scored)
    assert context.distinct("total") is context.distinct("total")
    for name, function in (("total", repr), ("method", lambda v: None if v is None else len(str(v))),
                           ("n_allocated", lambda v: (type(v), v))):
        column = np.asarray(scored.sheet.study_table[name], dtype=object)
        ours, theirs = context.map_distinct(name, function).tolist(), map_distinct(column, function).tolist()
        assert ours == theirs and [type(v) for v in ours] == [type(v) for v in theirs], name


def test_answers_of_a_status_are_those_the_whole_column_gives(scored):
    table = scored.sheet.answer_table
    statuses = np.array(table["status"], dtype=object)
    statuses[[4, 130, 1000]] = "unrecognised"
    context = _context(scored, replace(scored.sheet, answer_table=Table({**table.columns, "status": statuses},
                                                                        len(table))))
    assert {"ok", "missing", "unrecognised"} == set(statuses.tolist())
    for status in ("missing", "unrecognised", "ok", "no such status"):
        assert _by_status(context, status)["position"].tolist() == np.flatnonzero(statuses == status).tolist()


def test_the_labels_each_rule_reads_are_the_sheets(scored):
    """PD701 and PD702 share which trials have no label; a sheet with some unlabelled rows finds each."""
    table = scored.sheet.study_table
    study = np.array(table["study"], dtype=object)
    study[[3, 7]] = None
    study[10] = np.nan
    sheet = replace(scored.sheet, study_table=Table({**table.columns, "study": study}, len(table)))
    findings = run_rules(_context(scored, sheet))
    unlabelled = [index for rule, index in zip(findings["rule"], findings["study_index"]) if rule == "PD702"]
    assert unlabelled == [3, 7, 10]


def test_item_8_on_int64_is_what_python_integers_give(scored):
    context = _context(scored)
    counts = _counts(context)
    assert counts.whole is not None
    threshold = Fraction("0.85")
    assert np.array_equal(_satisfied(counts, threshold), _satisfied(counts._replace(whole=None), threshold))


def test_item_8_arithmetic_that_would_overflow_int64_is_done_on_python_integers():
    """Counts that fit in int64 whose products with the threshold's terms do not are compared as Python
    integers: 2**62 allocated against a threshold of 999,999 in a million."""
    allocated = _objects([2**62, 2**62, 20])
    analysed = _objects([2**62 - 2**42, 2**61, 20])
    usable = np.ones(3, dtype=bool)
    whole = (np.array(allocated.tolist(), dtype=np.int64), np.array(analysed.tolist(), dtype=np.int64), 2**62)
    counts = Counts(allocated, analysed, _objects([None] * 3), usable, ~usable, usable, whole)
    threshold = Fraction(999999, 1000000)
    assert _satisfied(counts, threshold).tolist() == [True, False, True]  # 1 - 2**-20 and half of them
    with np.errstate(over="ignore"):  # what int64 would have said
        wrapped = whole[1] * threshold.denominator > whole[0] * threshold.numerator
    assert wrapped.tolist() != [True, False, True]


def test_counts_beyond_int64_are_read_and_compared_exactly(tmp_path):
    """Numbers of subjects too large for int64 (no trial has them, but a sheet may say so) are compared as
    Python integers: 90% followed up rated N is PD502, 80% rated Y is PD501."""
    header = ["Study", *[str(i) for i in range(1, 12)], "N allocated", "N analysed"]
    big = 10**22
    path = write_csv(tmp_path / "big.csv", [
        header,
        ["Li 2020", "Y", "Y", "N", "Y", "N", "N", "Y", "N", "N", "Y", "Y", str(big), str(9 * big // 10)],
        ["Wu 2021", "Y", "Y", "N", "Y", "N", "N", "Y", "Y", "N", "Y", "Y", str(big), str(8 * big // 10)],
        ["Ma 2022", "Y", "Y", "N", "Y", "N", "N", "Y", "Y", "N", "Y", "Y", "20", "18"],
    ])
    findings = score_file(path).finding_table
    found = {(rule, index): message for rule, index, message in
             zip(findings["rule"], findings["study_index"], findings["message"]) if rule in ("PD501", "PD502")}
    assert set(found) == {("PD502", 0), ("PD501", 1)}
    assert f"{9 * big // 10}/{big} subjects (90.0%)" in found["PD502", 0]
    assert f"{8 * big // 10}/{big} subjects (80.0%)" in found["PD501", 1]


class _Watched:
    """A grid whose formulas are watched: PD804 should look at them only when a cell reads as blank."""

    def __init__(self, grid):
        self.grid, self.asked = grid, 0

    @property
    def formulas_without_value(self):
        self.asked += 1
        return self.grid.formulas_without_value


def _raw_with(sheet, positions, value):
    table = sheet.answer_table
    raw = np.array(table["raw"], dtype=object)
    raw[positions] = value
    return replace(sheet, answer_table=Table({**table.columns, "raw": raw}, len(table)))


def test_formulas_are_looked_at_only_when_a_cell_reads_as_blank(scored):
    """Looking for formulas may unpack the sheet's markup: PD804 does it only when an answer (None, NaN, NaT)
    or a reported total reads as blank."""
    rule = RULES_BY_ID["PD804"]
    n = len(scored.sheet.study_table)
    answered = _raw_with(scored.sheet, slice(None), "Y")
    totals = np.full(n, 5, dtype=object)
    one_blank_total = totals.copy()
    one_blank_total[7] = None
    cases = [(answered, totals, 0), (answered, one_blank_total, 1),
             *[(_raw_with(answered, [5], blank_value), totals, 1) for blank_value in (None, np.nan, pd.NaT)]]
    for sheet, total, asked in cases:
        watched = _Watched(scored.sheet.grid)
        sheet = replace(sheet, grid=watched, study_table=Table({**sheet.study_table.columns, "total": total}, n))
        assert not len(rule.check(_context(scored, sheet), rule))  # the generated sheet has no formulas
        assert watched.asked == asked


def _table_rule(rule_id: str, rows: list, severities: list, ids: list | None = None) -> Rule:
    """A rule of one's own whose findings table has the given rows, severities and (where given) rule ids."""
    def check(context, rule):
        n = len(rows)
        return Table({"rule": ids or [rule.id] * n, "name": [rule.name] * n, "severity": severities,
                      "sheet": ["Ratings"] * n, "cell": [f"A{k}" for k in range(n)], "study": [None] * n,
                      "study_index": [None] * n, "row": rows, "item": [None] * n, "value": [None] * n,
                      "message": [f"{rule_id} {k}" for k in range(n)]}, n)
    return Rule(id=rule_id, name=f"own-{rule_id.lower()}", severity="warning", message="{cell}", criterion="own",
                check=check)


def test_findings_of_a_rule_of_ones_own_are_sorted_as_ever(scored):
    """A table whose rows mix severities, rule ids and sheet findings (row None) is sorted value by value;
    tables of one rule id and severity throughout are ranked once: the order is the same stable sort on
    (row, severity, rule id)."""
    rules = [
        _table_rule("PD990", [5, None, 3, 5, 4, None], ["advisory", "error", "warning", "error", "note", "advisory"],
                    ["PD990", "PD991", "PD989", "PD990", "PD991", "PD989"]),
        _table_rule("PD980", [4, 4, 5, 3], ["warning"] * 4),
        _table_rule("PD970", [None, 5], ["error", "error"]),
    ]
    findings = run_rules(_context(scored), rules)
    tables = [rule.check(None, rule) for rule in rules]
    chained = [finding for table in tables
               for finding in zip(table["row"], table["severity"], table["rule"], table["message"])]
    rank = {severity: k for k, severity in enumerate(SEVERITIES)}
    expected = sorted(chained, key=lambda f: (f[0] or 0, rank.get(f[1], len(SEVERITIES)), f[2]))
    assert list(zip(findings["row"], findings["severity"], findings["rule"], findings["message"])) == expected
