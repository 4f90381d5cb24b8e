"""Turn a sheet's raw cells into the tidy tables that everything else reads.

``RatedSheet.answers`` is the core data model: one row per (study, item) with
the raw value, the canonical answer (Y, N, ? or missing) and the cell it came
from.  ``RatedSheet.studies`` has one row per trial with its label and the
other columns the sheet gave (reported total and band, randomisation method,
numbers for item 8).  Every raw value that normalising rewrites is marked
(``rewrite``), so the writer can put the canonical answer in the cell and the
change log can say old, new and why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .rubric import Rubric
from .sheets.layout import ROLES, Layout
from .sheets.reader import Grid
from .text import fold_answer, fold_text

# Rows whose label is one of these are summaries under the table, not trials.
SUMMARY_LABELS = {"mean", "means", "average", "total", "totals", "sum", "sd", "median", "n", "count",
                  "mean (sd)", "mean ± sd", "overall", "all studies", "range"}

STATUS_OK = "ok"
STATUS_MISSING = "missing"
STATUS_UNRECOGNISED = "unrecognised"


@dataclass
class RatedSheet:
    """A sheet of ratings read and normalised: the input to scoring and rules."""

    source: str  # file name as given
    layout: Layout
    studies: "pd.DataFrame"  # noqa: F821 - index: study_index
    answers: "pd.DataFrame"  # noqa: F821 - tidy: study_index, item, row, cell, raw, answer, status, rewrite
    skipped: list[tuple[int, str]]  # (excel row, why) rows under the header not read as trials

    @property
    def sheet(self) -> str:
        return self.layout.sheet

    def wide(self, column: str = "answer") -> "pd.DataFrame":  # noqa: F821
        """One row per study, one column per item number, for vectorised rules."""
        wide = self.answers.pivot(index="study_index", columns="item", values=column).astype(object)
        return wide.where(wide.notna(), None)  # None, not NaN, for a missing answer


def answer_text(value) -> str | None:
    """A raw cell value as the text it shows, or None when the cell is blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    text = str(value)
    return None if not text.strip() else text


def canonical_answer(value, rubric: Rubric) -> tuple[str | None, str]:
    """(canonical answer or None, status) for one raw value."""
    text = answer_text(value)
    if text is None:
        return None, STATUS_MISSING
    answer = rubric.synonyms.get(fold_answer(text))
    return (answer, STATUS_OK) if answer else (None, STATUS_UNRECOGNISED)


def normalise_sheet(source: str, grid: Grid, layout: Layout, rubric: Rubric) -> RatedSheet:
    import numpy as np
    import pandas as pd

    body = grid.rows[layout.header_row:]
    item_numbers = sorted(layout.items)
    used = [layout.items[n].index for n in item_numbers] + [c.index for c in layout.roles.values()] + [
        c.index for c in layout.evidence.values()]
    study_col = layout.role("study")
    keep_rows, skipped = [], []
    for offset, row in enumerate(body):
        if not any(_cell(row, c) is not None and str(_cell(row, c)).strip() for c in used):
            continue
        excel_row = layout.header_row + 1 + offset
        label = _cell(row, study_col.index) if study_col else None
        if label is not None and fold_text(label) in SUMMARY_LABELS:
            skipped.append((excel_row, f"row {excel_row} ('{label}') is a summary row, not a trial"))
            continue
        keep_rows.append((excel_row, row))

    rows = np.array([r for r, _ in keep_rows], dtype=np.int64)
    n = len(keep_rows)
    studies = pd.DataFrame({"row": rows})
    studies.index.name = "study_index"
    labels = [_cell(row, study_col.index) if study_col else None for _, row in keep_rows]
    # Object columns throughout: pandas would turn None among strings into NaN.
    studies["study"] = pd.Series([None if (v is None or not str(v).strip()) else (
        str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v in labels], dtype=object)
    for role in ROLES:
        if role == "study":
            continue
        column = layout.role(role)
        studies[role] = pd.Series([_cell(row, column.index) for _, row in keep_rows] if column else [None] * n,
                                  dtype=object)

    # One pass over the distinct raw values: sheets repeat a handful of answers.
    lookup: dict = {}
    frames = []
    for number in item_numbers:
        column = layout.items[number]
        raw = [_cell(row, column.index) for _, row in keep_rows]
        evidence_col = layout.evidence.get(number)
        frames.append(pd.DataFrame({
            "study_index": np.arange(n, dtype=np.int64),
            "item": number,
            "row": rows,
            "column": column.letter,
            "raw": pd.Series(raw, dtype=object),
            "evidence": pd.Series([_cell(row, evidence_col.index) for _, row in keep_rows]
                                  if evidence_col else [None] * n, dtype=object),
        }))
    answers = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["study_index", "item", "row", "column", "raw", "evidence"])
    keys = [(type(v).__name__, v) for v in answers["raw"]]
    for key in set(keys):
        lookup[key] = canonical_answer(key[1], rubric)
    resolved = [lookup[k] for k in keys]
    answers["answer"] = pd.Series([a for a, _ in resolved], dtype=object)
    answers["status"] = [s for _, s in resolved]
    answers["cell"] = answers["column"] + answers["row"].astype(str)
    # Rewritten: a recognised answer not already written exactly as its canonical form.
    answers["rewrite"] = answers["answer"].notna() & (
        answers["raw"].map(lambda v: v if isinstance(v, str) else None) != answers["answer"])
    answers = answers.drop(columns="column")
    answers["item"] = answers["item"].astype(np.int64)
    return RatedSheet(source, layout, studies, answers, skipped)


def _cell(row: list, index: int):
    return row[index] if index < len(row) else None
