"""Turn a sheet's raw cells into the tidy tables that everything else reads.

``RatedSheet.answers`` is the core data model: one row per (study, item) with
the raw value, the canonical answer (Y, N, ? or missing) and the cell it came
from.  ``RatedSheet.studies`` has one row per trial with its label and the
other columns the sheet gave (reported total and band, randomisation method,
numbers for item 8).  Every raw value that normalising rewrites is marked
(``rewrite``), so the writer can put the canonical answer in the cell and the
change log can say old, new and why.

A footnote marker glued to an answer (``Ya``, ``N¹``) is read conservatively:
only one trailing mark after a complete answer, never a letter that is itself
an answer or that makes a known abbreviation with it (``Na`` is "not
applicable", not "N" plus a footnote).  The mark removed is kept in the
``marker`` column; rule PD803 reports it and the change log records it.
Invisible characters (zero-width spaces, variation selectors as in ``✔️``) are
dropped before an answer is compared.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from .rubric import Rubric
from .sheets.layout import ROLES, Layout
from .sheets.reader import Grid
from .text import fold_answer, fold_text

# Rows whose label is one of these (ignoring a trailing colon or full stop) are
# summaries under the table, not trials.
SUMMARY_LABELS = {"mean", "means", "average", "total", "totals", "sum", "sd", "median", "n", "count",
                  "mean (sd)", "mean ± sd", "overall", "all studies", "range", "subtotal", "mean score",
                  "total score", "average score", "mean total", "median (iqr)", "mean (range)"}

# Footnote marks that are never part of a value: superscript digits and letters
# and the usual reference symbols.  A lower-case ASCII letter is a mark too,
# under the conditions of ``split_answer_marker``.
FOOTNOTE_MARKS = set("¹²³⁴⁵⁶⁷⁸⁹⁰ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ*†‡§¶")
_SUPERSCRIPTS = set("¹²³⁴⁵⁶⁷⁸⁹⁰ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ")
# Zero-width characters, the word joiner, the byte-order mark and variation selectors.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f]")
_TOTAL_TEXT = re.compile(r"^\s*\d{1,2}(?:\.0+)?\s*(?:/\s*\d{1,2})?$")

STATUS_OK = "ok"
STATUS_MISSING = "missing"
STATUS_UNRECOGNISED = "unrecognised"


@dataclass
class RatedSheet:
    """A sheet of ratings read and normalised: the input to scoring and rules."""

    source: str  # file name as given
    layout: Layout
    studies: "pd.DataFrame"  # noqa: F821 - index: study_index
    answers: "pd.DataFrame"  # noqa: F821 - tidy: study_index, item, row, cell, raw, answer, status, marker, rewrite
    skipped: list[tuple[int, str]]  # (excel row, why) rows under the header not read as trials
    grid: Grid | None = None  # the sheet as read: merged cells, hidden rows and columns (``grid.info``)

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
    answer = rubric.synonyms.get(fold_answer(_INVISIBLE.sub("", text)))
    return (answer, STATUS_OK) if answer else (None, STATUS_UNRECOGNISED)


def read_answer(value, rubric: Rubric) -> tuple[str | None, str, str | None]:
    """(canonical answer or None, status, footnote mark removed or None): as
    ``canonical_answer``, and an answer with a footnote mark glued to it is
    read when ``split_answer_marker`` finds it unambiguous."""
    answer, status = canonical_answer(value, rubric)
    if status != STATUS_UNRECOGNISED:
        return answer, status, None
    split = split_answer_marker(answer_text(value), rubric)
    if split is None:
        return answer, status, None
    base, mark = split
    return rubric.synonyms[fold_answer(base)], STATUS_OK, mark


def split_answer_marker(text: str | None, rubric: Rubric) -> tuple[str, str] | None:
    """(answer, mark) when ``text`` is a complete answer with one footnote mark
    glued to its end ("Ya", "N¹", "?*", "1b"), else None.  The answer must be
    one the rubric lists under [rules.footnotes] answers; a lower-case letter is
    a mark only when it is not an answer itself (y, n, u) and does not make,
    with the answer, one of the rubric's not_markers ("Na" is not applicable)."""
    params = rubric.rule_params.get("footnotes")
    if not text or not params:
        return None
    text = _INVISIBLE.sub("", text).strip()
    if len(text) < 2:
        return None
    base, mark = text[:-1], text[-1]
    if base != base.rstrip() or unicodedata.normalize("NFKC", base) not in params.get("answers", ()):
        return None
    if mark in FOOTNOTE_MARKS or mark in params.get("symbols", ()):
        return base, mark
    if not ("a" <= mark <= "z") or mark in rubric.synonyms:
        return None
    if fold_text(unicodedata.normalize("NFKC", base) + mark) in {fold_text(w) for w in params.get("not_markers", ())}:
        return None
    return base, mark


def split_total_marker(text) -> tuple[str, str] | None:
    """(total, mark) when ``text`` is a reported total with one footnote mark
    glued to its end ("7/10b", "7a", "6¹"), else None."""
    if not isinstance(text, str):
        return None
    text = _INVISIBLE.sub("", text).strip()
    if len(text) < 2:
        return None
    base, mark = text[:-1], text[-1]
    if mark not in FOOTNOTE_MARKS and not ("a" <= mark <= "z"):
        return None
    if base != base.rstrip() or _SUPERSCRIPTS & set(base) or not _TOTAL_TEXT.match(fold_text(base)):
        return None
    return base, mark


def is_summary_label(label) -> bool:
    """A row label such as 'Mean', 'Total:' or 'Mean (SD)': a summary, not a trial."""
    return fold_text(label).rstrip(":. ") in SUMMARY_LABELS


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
        if label is not None and is_summary_label(label):
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
        lookup[key] = read_answer(key[1], rubric)
    resolved = [lookup[k] for k in keys]
    answers["answer"] = pd.Series([a for a, _, _ in resolved], dtype=object)
    answers["status"] = [s for _, s, _ in resolved]
    answers["marker"] = pd.Series([m for _, _, m in resolved], dtype=object)
    answers["cell"] = answers["column"] + answers["row"].astype(str)
    # Rewritten: a recognised answer not already written exactly as its canonical form.
    answers["rewrite"] = answers["answer"].notna() & (
        answers["raw"].map(lambda v: v if isinstance(v, str) else None) != answers["answer"])
    answers = answers.drop(columns="column")
    answers["item"] = answers["item"].astype(np.int64)
    return RatedSheet(source, layout, studies, answers, skipped, grid)


def _cell(row: list, index: int):
    return row[index] if index < len(row) else None
