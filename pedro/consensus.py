"""Merge resolved disagreements into a consensus item sheet (`pedro consensus`).

The consensus starts from the answers every assessor agreed on (the Agreed
sheet of the disagreement workbook) and takes, for each disagreement, the
answer written in its Consensus column.  Every resolution is a change-log row:
trial, item, each assessor's answer, the consensus, the reason, who and when.
The output carries pedro's Provenance and Change log sheets, so `pedro score`
scores it like any other sheet and appends to that log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .audit import audit_key
from .engine import CHANGE_COLUMNS, CHANGE_LOG_SHEET, LOG_COLUMNS, PROVENANCE_SHEET, current_user, file_sha256
from .errors import InputError
from .normalise import answer_text, canonical_answer
from .rubric import Rubric, load_rubric
from .sheets.audited import hashed_log, write_change_log, write_provenance
from .sheets.disagreements import AGREED_SHEET, CONSENSUS_HEADERS, DISAGREEMENTS_MARK, DISAGREEMENTS_SHEET
from .sheets.disagreements import PROVENANCE_SHEET as DISAGREEMENT_PROVENANCE
from .sheets.layout import column_letter
from .sheets.output import atomic_save, check_output_path
from .sheets.reader import open_book
from .sheets.tables import append

CONSENSUS_SHEET = "Consensus"
CONSENSUS_RULE = "consensus"


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
    for needed in (DISAGREEMENTS_SHEET, AGREED_SHEET, DISAGREEMENT_PROVENANCE):
        if needed not in book.sheet_names:
            raise InputError(f"{book.path.name} is not a disagreement workbook from `pedro compare` (it has no "
                             f"'{needed}' sheet); run pedro compare first and resolve its Disagreements sheet")
    mark = book.grid(DISAGREEMENT_PROVENANCE).rows
    if not mark or not mark[0] or str(mark[0][0]).strip().lower() != DISAGREEMENTS_MARK:
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
    missing = [h for h in ("Study", "Item", *CONSENSUS_HEADERS) if h not in header]
    if missing:
        raise InputError(f"{where}, sheet '{DISAGREEMENTS_SHEET}': column(s) {', '.join(missing)} are missing; "
                         "keep the columns that pedro compare wrote")
    col = {h: header.index(h) for h in ("Study", "Item", *CONSENSUS_HEADERS)}
    answer_cols = {h[: -len(": answer")]: c for c, h in enumerate(header) if h.endswith(": answer")}
    resolutions, unresolved, invalid = [], [], []
    consensus_letter = column_letter(col["Consensus"])
    for r, row in enumerate(rows[1:], start=2):
        def cell(name, row=row):
            index = col[name]
            return row[index] if index < len(row) else None
        if cell("Study") is None:
            continue
        raw = cell("Consensus")
        answer, status = canonical_answer(raw, rubric)
        resolution = Resolution(
            row=r, study=str(cell("Study")), item=int(cell("Item")),
            answers={name: (row[c] if c < len(row) else None) for name, c in answer_cols.items()},
            consensus=answer, reason=answer_text(cell("Reason")) or "", resolved_by=answer_text(cell("Resolved by"))
            or default_by)
        if status == "missing":
            unresolved.append(resolution)
        elif status == "unrecognised":
            invalid.append(f"{consensus_letter}{r} has '{answer_text(raw)}'")
        else:
            resolutions.append(resolution)
    return resolutions, unresolved, invalid



def write_consensus(consensus: Consensus, output: Path | None = None) -> Path:
    import openpyxl
    import pandas as pd

    source = consensus.source
    stem = source.stem[: -len(".disagreements")] if source.stem.endswith(".disagreements") else source.stem
    output = check_output_path(Path(output) if output else source.with_name(f"{stem}.consensus.xlsx"), source)
    rubric = consensus.rubric
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = CONSENSUS_SHEET
    sheet.append(["Study", *(item.heading for item in rubric.items)])
    row_of = {}
    for line, label in enumerate(consensus.studies, start=2):
        append(sheet, [label, *(consensus.answers[label].get(item) for item in rubric.item_numbers)])
        row_of[label] = line
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 28
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    item_column = {item: column_letter(offset) for offset, item in enumerate(rubric.item_numbers, start=1)}
    changes = pd.DataFrame([
        [now, r.resolved_by, CONSENSUS_SHEET, f"{item_column[r.item]}{row_of[r.study]}", r.study, r.item,
         "; ".join(f"{name}: {answer if answer is not None else '(blank)'}" for name, answer in r.answers.items()),
         r.consensus, CONSENSUS_RULE, f"consensus from {source.name} row {r.row}: {r.reason or '(no reason given)'}"]
        for r in consensus.resolutions], columns=CHANGE_COLUMNS, dtype=object)
    key = audit_key()
    log_rows = hashed_log(pd.DataFrame(columns=LOG_COLUMNS), changes, key)
    write_change_log(workbook.create_sheet(CHANGE_LOG_SHEET), log_rows)
    write_provenance(workbook.create_sheet(PROVENANCE_SHEET), {
        "tool": "pedro consensus", "input": source.name, "input_sha256": file_sha256(source),
        "input_sheet": CONSENSUS_SHEET, "time": now, "user": current_user(),
        "resolutions": str(len(consensus.resolutions)), "unresolved": str(len(consensus.unresolved)),
        "rubric": rubric.name, "rubric_sha256": rubric.sha256, "change_log_rows": str(len(log_rows)),
        "change_log_head": log_rows[-1][-1] if log_rows else ""}, key)
    return atomic_save(workbook, output)
