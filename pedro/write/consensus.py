"""Write the consensus item sheet that `pedro consensus` merges: the Consensus
sheet (every trial, the agreed and resolved answers), a Change log with one
chained row per resolution, and a sealed Provenance sheet, so that `pedro
score` scores it like any other sheet and appends to that log."""

from __future__ import annotations

from pathlib import Path

from ..audit.chain import audit_key
from ..audit.log import consensus_changes, hashed_log
from ..audit.workbook import (
    CHANGE_LOG_SHEET,
    LOG_COLUMNS,
    PROVENANCE_SHEET,
    STUDY_COLUMN,
    Key,
    log_seal,
)
from ..consensus import CONSENSUS_SHEET, Consensus
from ..runtime import current_user, file_sha256, now_utc
from ..sheets.cells import column_letter
from .audited import change_log_table, provenance_table
from .files import atomic_save, check_output_path
from .style import Table, render

DISAGREEMENTS_STEM = ".disagreements"


def default_output(source: Path) -> Path:
    stem = source.stem[: -len(DISAGREEMENTS_STEM)] if source.stem.endswith(DISAGREEMENTS_STEM) else source.stem
    return source.with_name(f"{stem}.consensus.xlsx")


def write_consensus(consensus: Consensus, output: Path | None = None) -> Path:
    import openpyxl
    import pandas as pd

    source = consensus.source
    output = check_output_path(Path(output) if output else default_output(source), source)
    rubric = consensus.rubric
    workbook = openpyxl.Workbook()
    workbook.active.title = CONSENSUS_SHEET
    rows = [[STUDY_COLUMN, *(item.heading for item in rubric.items)]]
    row_of = {}
    for label in consensus.studies:
        rows.append([label, *(consensus.answers[label].get(item) for item in rubric.item_numbers)])
        row_of[label] = len(rows)
    render(workbook.active, Table(rows, header_row=None, autofilter=False, freeze="B2", widths={0: 28}))
    now = now_utc()
    item_column = {item: column_letter(offset) for offset, item in enumerate(rubric.item_numbers, start=1)}
    changes = consensus_changes(consensus.resolutions, CONSENSUS_SHEET,
                                lambda r: f"{item_column[r.item]}{row_of[r.study]}", source.name, now)
    key = audit_key()
    log_rows = hashed_log(pd.DataFrame(columns=LOG_COLUMNS), changes, key)
    render(workbook.create_sheet(CHANGE_LOG_SHEET), change_log_table(log_rows))
    provenance = {
        Key.TOOL: "pedro consensus", Key.INPUT: source.name, Key.INPUT_SHA256: file_sha256(source),
        Key.INPUT_SHEET: CONSENSUS_SHEET, Key.TIME: now, Key.USER: current_user(),
        Key.RESOLUTIONS: str(len(consensus.resolutions)), Key.UNRESOLVED: str(len(consensus.unresolved)),
        Key.RUBRIC: rubric.name, Key.RUBRIC_SHA256: rubric.sha256, **log_seal(log_rows)}
    render(workbook.create_sheet(PROVENANCE_SHEET), provenance_table(provenance, key))
    return atomic_save(workbook, output)

