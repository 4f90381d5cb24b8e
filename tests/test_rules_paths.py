"""The quicker paths the consistency rules take (issue 18) against the plain ones they stand for.

Rule messages are joined from the text they share and their own values rather than formatted one by one;
a rule reads an item's answers as its block of the tidy table, and goes through the evidence trial by trial.
The first must give what ``str.format`` gives for any template.  The others rely on the answers table being
item by item, every trial in order, as ``normalise_sheet`` builds it: a ``RatedSheet`` refuses any other
order, so no rule needs a slower way for one.  The rules read numpy arrays and give their findings as a
``Table`` of Python values, without pandas, whose import alone outweighs a dry run's budget.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_rule_cases import CASE_FILES, write_case_sheet

from pedro.engine import score_file
from pedro.rules import FINDING_COLUMNS, RULES, SEVERITIES, CheckContext, run_rules
from pedro.rules.base import _messages
from pedro.table import Table, first_seen_codes

from conftest import WITHOUT_PANDAS_PRELUDE, generated_sheet


class Study:
    def __init__(self, label):
        self.label = label


@pytest.mark.parametrize("template", [
    "{cell}: {word} {item} is '{value}'",
    "no field at all, {{braces}} kept",
    "{value!r} and {value!s:>8} and {item:03d} then {{literal}} {cell}",
    "{study.label} / {values[1]} / {cell}{cell}",
    "{word}{word} {item}",
    "{cell}",
])
def test_messages_are_what_format_makes(template):
    n = 4
    fields = {"cell": [f"E{r}" for r in range(5, 5 + n)], "word": "item", "item": [2, 3, 10, 11],
              "value": ["Y", None, 1.5, "it's"], "study": [Study(f"Li {k}") for k in range(n)],
              "values": [(k, k * k) for k in range(n)]}
    per_finding = [template.format(**{name: value[k] if isinstance(value, list) else value
                                      for name, value in fields.items()}) for k in range(n)]
    assert _messages(template, fields, n) == per_finding
    constant = {name: value[0] if isinstance(value, list) else value for name, value in fields.items()}
    assert _messages(template, constant, 3) == [template.format(**constant)] * 3


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """A generated sheet with every kind of trial finding, scored."""
    return score_file(generated_sheet(tmp_path_factory.mktemp("paths"), "findings", 150, 6))


def _context(result):
    return CheckContext(result.sheet, result.rubric, result.bands, result.score_table)


def test_a_sheet_with_its_answers_out_of_order_is_refused(scored):
    """The rules take an item's answers as its block of the answers table, and the evidence in reading
    order, from the order ``normalise_sheet`` gives it; a sheet made with its answers in another order is
    refused, not checked wrongly."""
    sheet, table = scored.sheet, scored.sheet.answer_table
    n = len(sheet.study_table)
    assert replace(sheet, answer_table=table).items == list(range(1, 12))  # as built: accepted
    shuffled = table.take(np.random.default_rng(3).permutation(len(table)))
    trial_by_trial = table.take(np.argsort(table["study_index"], kind="stable"))
    one_answer_short = table.take(np.delete(np.arange(len(table)), n + 5))
    items_swapped = table.take(np.concatenate([np.arange(n, 2 * n), np.arange(n), np.arange(2 * n, len(table))]))
    for answers in (shuffled, trial_by_trial, one_answer_short, items_swapped):
        with pytest.raises(ValueError, match="answers must be item by item"):
            replace(sheet, answer_table=answers)


def test_an_items_answers_are_its_block_of_the_table(scored):
    context = _context(scored)
    grid = scored.sheet.answer_grid("answer")  # the whole table reshaped, None where missing
    assert any(answer is None for answer in grid.ravel().tolist()), "the sheet is meant to have blank answers"
    for k, item in enumerate(scored.sheet.items):
        assert context.answer(item).dtype == object
        assert context.answer(item).tolist() == grid[:, k].tolist()
        assert context.answer_is(item, "N", "?").tolist() == [a in ("N", "?") for a in grid[:, k].tolist()]
    assert context.answer(12).tolist() == [None] * len(grid)  # an item the sheet does not have
    assert not context.answer_is(12, "Y").any()


def test_findings_are_a_table_of_python_values_in_order(scored):
    """The findings are one Table, each column a list of Python values (an int64 of numpy's would write
    differently in the JSON report), ordered by row (the sheet's own findings first), severity, rule id."""
    findings = run_rules(_context(scored))
    assert isinstance(findings, Table) and findings.names == FINDING_COLUMNS
    assert len(findings) > 100 and {"PD103", "PD305", "PD501", "PD601"} <= set(findings["rule"])
    assert all(type(findings[name]) is list for name in FINDING_COLUMNS)
    for name in ("study_index", "row", "item"):
        assert {type(value) for value in findings[name]} <= {int, type(None)}, name
    assert {type(value) for value in findings["value"]} <= {str, type(None)}
    key = [(row or 0, SEVERITIES.index(severity), rule)
           for row, severity, rule in zip(findings["row"], findings["severity"], findings["rule"])]
    assert key == sorted(key)
    frame = findings.frame()
    assert all(dtype == np.dtype(object) for dtype in frame.dtypes) and frame.index.equals(pd.RangeIndex(len(findings)))
    assert frame.values.tolist() == [list(row) for row in zip(*(findings[name] for name in FINDING_COLUMNS))]
    # A finding on an answer names the answer's own cell (answers_where's positions, then cells_of).
    cells = scored.sheet.answer_grid("cell")
    for rule, study, item, cell in zip(findings["rule"], findings["study_index"], findings["item"], findings["cell"]):
        if rule in ("PD102", "PD103", "PD601"):
            assert cell == cells[study, scored.sheet.items.index(item)]
    assert run_rules(_context(scored)).frame().equals(frame)  # and the same each time


def test_a_study_outside_the_sheet_is_a_key_error(scored):
    context = _context(scored)
    n = len(scored.sheet.study_table)
    assert context.role_cells("total", [0, n - 1])[1] == scored.sheet.layout.cell(
        scored.sheet.layout.role("total").index, int(scored.sheet.study_table["row"][n - 1]))
    with pytest.raises(KeyError, match=f"no study {n} in the sheet"):
        context.role_cells("total", [0, n])
    with pytest.raises(KeyError, match="no study -1 in the sheet"):
        context.item_cells(2, [-1])


def test_reading_order_gives_every_position_once(scored):
    context = _context(scored)
    answers = scored.sheet.answer_table
    mask = (np.asarray(answers["answer"], dtype=object) == "Y") & (answers["item"] % 3 != 0)
    positions = context.in_reading_order(mask)
    assert np.array_equal(np.sort(positions), np.flatnonzero(mask))
    trial = answers["study_index"][positions]
    assert (np.diff(trial) >= 0).all()  # trial by trial
    # A mask that is not a whole number of rows per trial is gone through in its own order.
    assert np.array_equal(context.in_reading_order(mask[:-1]), np.flatnonzero(mask[:-1]))


def test_band_labels_are_coded_as_pandas_factorize_coded_them():
    """PD203 folds each reported band once, equal values read as the first of them (1, 1.0 and True are one
    value, as pandas' factorize had them); None and NaN are -1."""
    nan = float("nan")
    values = np.array(["Good", 1, None, True, "good", 1.0, nan, "Good", 0.0, -0.0, False, nan], dtype=object)
    codes, distinct = first_seen_codes(values)
    expected_codes, expected = pd.factorize(values)
    assert codes.tolist() == expected_codes.tolist()
    assert [(type(v), v) for v in distinct] == [(type(v), v) for v in expected.tolist()]
    assert first_seen_codes(np.array([], dtype=object))[0].tolist() == []


# pandas made unimportable: a check that asks for it fails with the stack of the import.
WITHOUT_PANDAS = WITHOUT_PANDAS_PRELUDE + """
import json

from pedro.engine import score_file

found = [sorted(set(score_file(path, bands=bands, rubric=rubric).finding_table["rule"]))
         for path, bands, rubric in json.loads(sys.argv[1])]
print(json.dumps({"found": found, "pandas": "pandas" in sys.modules}))
"""


def test_every_rule_finds_without_pandas(tmp_path):
    """Each rule's first failing case (tests/rule_cases) checked with pandas made unimportable: every rule
    reports its finding, and nothing imports pandas (issue 18: a dry run must not)."""
    cases = []
    for rule in RULES:
        case = next(case for case in CASE_FILES[rule.id]["case"] if case["expect"] == "fail")
        folder = tmp_path / rule.id
        folder.mkdir()
        cases.append((rule.id, str(write_case_sheet(case, folder)), case.get("bands"), case.get("rubric")))
    done = subprocess.run([sys.executable, "-c", WITHOUT_PANDAS, json.dumps([case[1:] for case in cases])],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert not report["pandas"]
    missed = [rule for (rule, *_), found in zip(cases, report["found"]) if rule not in found]
    assert missed == [], f"rules that found nothing on their failing case without pandas: {missed}"
