"""The JSON report puts each finding under its trial, in the findings table's order, and the sheet's own
findings at the top level, however the table is ordered (issue 18 sorts it once, by trial, rather than
listing each trial's positions); and a column's values are written as JSON has them, whatever its dtype."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pedro import report as report_module
from pedro.engine import score_file
from pedro.report import FINDING_FIELDS, _plain_values, result_to_json
from pedro.table import Table

EXAMPLE = Path(__file__).resolve().parent.parent / "sheets" / "examples" / "als-exercise.xlsx"


def finding_dict(row: dict) -> dict:
    """One finding as the report writes it, from a row of the findings table: the plain reading of the format."""
    plain = {name: (None if pd.isna(row[name]) else row[name]) if name in ("item", "value") else row[name]
             for name in FINDING_FIELDS}
    return plain | {"cell": row["cell"] or None}


def expected_findings(findings: pd.DataFrame, n_trials: int) -> tuple[list[list[dict]], list[dict]]:
    """Per trial, its findings in the table's order, and the findings of no trial: grouped row by row."""
    per_trial: list[list[dict]] = [[] for _ in range(n_trials)]
    sheet_level = []
    for row in findings.to_dict("records"):
        if row["study_index"] is None:
            sheet_level.append(finding_dict(row))
        else:
            per_trial[int(row["study_index"])].append(finding_dict(row))
    return per_trial, sheet_level


@pytest.fixture(scope="module")
def scored():
    return score_file(EXAMPLE)


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_each_trial_has_its_findings_in_the_tables_order(monkeypatch, scored, seed):
    real = scored.findings[scored.findings["study_index"].notna()]
    # every trial given the example's trial findings, told apart by their message: several per trial, each
    # trial's in a known order
    findings = pd.concat([real.assign(study_index=i, message=real["message"] + f" ({i}/{k})")
                          for i in range(len(scored.sheet.studies)) for k in range(2)], ignore_index=True)
    sheet_finding = {column: None for column in findings.columns} | {
        "rule": "PD999", "name": "made-up", "severity": "warning", "sheet": "PEDro", "cell": "",
        "message": "a finding of the sheet, not of a trial"}
    findings = pd.concat([findings, pd.DataFrame([sheet_finding], dtype=object)], ignore_index=True)
    if seed is not None:  # the trials' findings out of trial order, the sheet's among them
        findings = findings.sample(frac=1, random_state=seed).reset_index(drop=True)
        assert not findings["study_index"].dropna().is_monotonic_increasing
    result = dataclasses.replace(scored, finding_table=Table({c: findings[c].tolist() for c in findings.columns}))
    per_trial, sheet_level = expected_findings(findings, len(scored.sheet.studies))
    assert min(map(len, per_trial)) > 2 and len(sheet_level) == 1
    monkeypatch.setattr(report_module, "STUDIES_PER_CHUNK", 3)  # trials' findings on every side of a chunk's edge
    report = result_to_json(result)
    assert [study["findings"] for study in report["studies"]] == per_trial
    assert report["findings"] == sheet_level
    assert list(report["findings"][0]) == list(FINDING_FIELDS)


@pytest.mark.parametrize(("column", "expected"), [
    (pd.Series([1, None, 3], dtype="Int64"), [1, None, 3]),
    (pd.Series([1.5, np.nan]), [1.5, None]),
    (pd.Series([2, 3], dtype=np.int64), [2, 3]),
    (pd.Series([True, False]), [True, False]),
    (pd.Series(["Y", None, 4], dtype=object), ["Y", None, 4]),
    (pd.Series(["Y", np.nan, pd.NA, pd.NaT, np.int64(3), np.float64(2.5)], dtype=object),
     ["Y", None, None, None, 3, 2.5]),
    (pd.Series(["x", None], dtype="string"), ["x", None]),
    (pd.Series(pd.to_datetime(["2020-01-02", None])), [pd.Timestamp("2020-01-02"), None]),
    # a Table's columns: numpy arrays and lists
    (np.array([2, 3], dtype=np.int64), [2, 3]),
    (np.array([1, None, 3], dtype=object), [1, None, 3]),
    (np.array([1.5, np.nan]), [1.5, None]),
    (["Y", None, 4], ["Y", None, 4]),
    (["Y", float("nan"), np.int64(3), np.float64(2.5)], ["Y", None, 3, 2.5]),
    ([], []),
])
def test_plain_values_are_python_values_with_none_where_missing(column, expected):
    values = _plain_values(column)
    assert values == expected
    assert [type(v) for v in values] == [type(v) for v in expected]
