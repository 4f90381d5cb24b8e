"""The quicker paths the consistency rules take (issue 18) against the plain ones they stand for.

Rule messages are joined from the text they share and their own values rather than formatted one by one;
a rule reads an item's answers as its block of the tidy table, and goes through the evidence trial by trial,
where the table is as ``normalise_sheet`` builds it.  Each must give what the plain way gives: the first
for any template, the others for an answers table in any order (then the rules take the general way).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pedro.engine import score_file
from pedro.rules import CheckContext, run_rules
from pedro.rules.base import _messages

GENERATOR = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"


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
    pytest.importorskip("xlsxwriter", reason="the benchmark's generator writes the sheets with XlsxWriter")
    spec = importlib.util.spec_from_file_location("pedro_benchmark_generate_paths", GENERATOR)
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # dataclasses look their module up while the class is built
    spec.loader.exec_module(generate)
    sheet = tmp_path_factory.mktemp("paths") / "findings.xlsx"
    generate.write_workbook(sheet, generate.make_trials(150, 6, generate.KINDS["findings"]), "Assessor A", 6)
    return score_file(sheet)


def _context(result, answers=None):
    sheet = result.sheet if answers is None else replace(result.sheet, answers=answers)
    return CheckContext(sheet, result.rubric, result.bands, result.scores)


def test_findings_do_not_depend_on_the_order_of_the_answers_table(scored):
    shuffled = scored.sheet.answers.sample(frac=1, random_state=3)  # index labels kept, as cells_of needs them
    plain, quick = _context(scored, shuffled), _context(scored)
    assert plain._item_blocks() == {} and len(quick._item_blocks()) == 11
    for item in (1, 2, 8, 12):  # 12: an item the sheet does not have
        assert quick.answer(item).equals(plain.answer(item))
        assert quick.answer(item).tolist() == plain.answer(item).tolist()
    ours = run_rules(quick)
    assert len(ours) > 100 and {"PD103", "PD305", "PD501", "PD601"} <= set(ours["rule"])
    theirs = run_rules(plain)
    # Two findings of one rule on one row come in the table's order; as sets, the findings are the same.
    assert sorted(map(tuple, ours.astype(str).to_numpy())) == sorted(map(tuple, theirs.astype(str).to_numpy()))
    assert ours.equals(run_rules(_context(scored)))


def test_reading_order_gives_every_position_once(scored):
    context = _context(scored)
    answers = scored.sheet.answers
    mask = (answers["answer"].to_numpy() == "Y") & (answers["item"].to_numpy() % 3 != 0)
    positions = context.in_reading_order(mask)
    assert np.array_equal(np.sort(positions), np.flatnonzero(mask))
    trial = answers["study_index"].to_numpy()[positions]
    assert (np.diff(trial) >= 0).all()  # trial by trial
    # A table that is not a whole number of rows per trial is gone through in its own order.
    assert np.array_equal(context.in_reading_order(mask[:-1]), np.flatnonzero(mask[:-1]))
