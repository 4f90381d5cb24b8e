"""Merge resolved disagreements into a consensus item sheet (`pedro consensus`).

The consensus starts from the answers every assessor agreed on (the Agreed
sheet of the disagreement workbook) and takes, for each disagreement, the
answer written in its Consensus column.  Every resolution is a change-log row:
trial, item, each assessor's answer, the consensus, the reason, who and when.
``pedro.write.consensus`` writes it; the output carries pedro's Provenance and Change log sheets, so `pedro score`
scores it like any other sheet and appends to that log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .audit.workbook import PROVENANCE_SHEET, STUDY_COLUMN, has_mark
from .compare import (
    AGREED_SHEET,
    ANSWER_SUFFIX,
    CONSENSUS_HEADER,
    CONSENSUS_HEADERS,
    DISAGREEMENTS_MARK,
    DISAGREEMENTS_SHEET,
    ITEM_HEADER,
    REASON_HEADER,
    RESOLVED_BY_HEADER,
)
from .errors import InputError
from .normalise import answer_text, canonical_answer
from .rubric import Rubric, load_rubric
from .runtime import current_user
from .sheets.cells import column_letter
from .sheets.reader import open_book

CONSENSUS_SHEET = "Consensus"  # the one sheet of the consensus item sheet, beside pedro's log and Provenance


@dataclass
class Resolution:
    row: int  # row in the Disagreements sheet
    study: str
    item: int
    answers: dict[str, str]  # assessor -> answer
    consensus: str | None
    reason: str
    resolved_by: str


@dataclass
class Consensus:
    source: Path
    rubric: Rubric
    studies: list[str]
    answers: dict[str, dict[int, str | None]]  # study -> item -> answer
    resolutions: list[Resolution]
    unresolved: list[Resolution]


def read_consensus(path: str | Path, allow_unresolved: bool = False, by: str | None = None,
                   rubric: Rubric | str | None = None) -> Consensus:
    rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    book = open_book(path)
    for needed in (DISAGREEMENTS_SHEET, AGREED_SHEET, PROVENANCE_SHEET):
        if needed not in book.sheet_names:
            raise InputError(f"{book.path.name} is not a disagreement workbook from `pedro compare` (it has no "
                             f"'{needed}' sheet); run pedro compare first and resolve its Disagreements sheet")
    if not has_mark(book.grid(PROVENANCE_SHEET), DISAGREEMENTS_MARK):
        raise InputError(f"{book.path.name}: its Provenance sheet is not pedro's; use the workbook that "
                         "`pedro compare` wrote")
    studies, answers = _read_agreed(book.grid(AGREED_SHEET).rows, rubric, book.path.name)
    resolutions, unresolved, invalid = _read_resolutions(book.grid(DISAGREEMENTS_SHEET).rows, rubric,
                                                         by or current_user(), book.path.name)
    if invalid:
        raise InputError(f"{book.path.name}, sheet '{DISAGREEMENTS_SHEET}': consensus answers must be Y, N or ?; "
                         + "; ".join(invalid))
    for resolution in resolutions:
        if resolution.study not in answers:
            raise InputError(f"{book.path.name}, sheet '{DISAGREEMENTS_SHEET}' row {resolution.row}: trial "
                             f"'{resolution.study}' is not in the '{AGREED_SHEET}' sheet; do not rename trials "
                             "in the disagreement workbook")
        answers[resolution.study][resolution.item] = resolution.consensus
    if unresolved and not allow_unresolved:
        listed = "; ".join(f"row {r.row}: {r.study}, item {r.item}" for r in unresolved[:20])
        more = f" and {len(unresolved) - 20} more" if len(unresolved) > 20 else ""
        raise InputError(
            f"{book.path.name}: {len(unresolved)} disagreement(s) have no consensus answer yet ({listed}{more}); "
            "fill the Consensus column with Y, N or ?, or pass --allow-unresolved to leave those answers missing")
    return Consensus(book.path, rubric, studies, answers, resolutions, unresolved)


def _read_agreed(rows, rubric: Rubric, where: str):
    if not rows:
        raise InputError(f"{where}: the '{AGREED_SHEET}' sheet is empty")
    header = rows[0]
    headings = {item.heading: item.number for item in rubric.items}
    columns = {headings[h]: c for c, h in enumerate(header) if h in headings}
    studies, answers = [], {}
    for row in rows[1:]:
        if not row or row[0] is None:
            continue
        label = str(row[0])
        studies.append(label)
        answers[label] = {item: canonical_answer(row[c] if c < len(row) else None, rubric)[0]
                          for item, c in columns.items()}
    return studies, answers


def _read_resolutions(rows, rubric: Rubric, default_by: str, where: str):
    if not rows:
        raise InputError(f"{where}: the '{DISAGREEMENTS_SHEET}' sheet is empty")
    header = [str(h) if h is not None else "" for h in rows[0]]
    needed = (STUDY_COLUMN, ITEM_HEADER, *CONSENSUS_HEADERS)
    missing = [h for h in needed if h not in header]
    if missing:
        raise InputError(f"{where}, sheet '{DISAGREEMENTS_SHEET}': column(s) {', '.join(missing)} are missing; "
                         "keep the columns that pedro compare wrote")
    col = {h: header.index(h) for h in needed}
    answer_cols = {h[: -len(ANSWER_SUFFIX)]: c for c, h in enumerate(header) if h.endswith(ANSWER_SUFFIX)}
    resolutions, unresolved, invalid = [], [], []
    consensus_letter = column_letter(col[CONSENSUS_HEADER])
    for r, row in enumerate(rows[1:], start=2):
        def cell(name, row=row):
            index = col[name]
            return row[index] if index < len(row) else None
        if cell(STUDY_COLUMN) is None:
            continue
        raw = cell(CONSENSUS_HEADER)
        answer, status = canonical_answer(raw, rubric)
        resolution = Resolution(
            row=r, study=str(cell(STUDY_COLUMN)), item=int(cell(ITEM_HEADER)),
            answers={name: (row[c] if c < len(row) else None) for name, c in answer_cols.items()},
            consensus=answer, reason=answer_text(cell(REASON_HEADER)) or "",
            resolved_by=answer_text(cell(RESOLVED_BY_HEADER)) or default_by)
        if status == "missing":
            unresolved.append(resolution)
        elif status == "unrecognised":
            invalid.append(f"{consensus_letter}{r} has '{answer_text(raw)}'")
        else:
            resolutions.append(resolution)
    return resolutions, unresolved, invalid
