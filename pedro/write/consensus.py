"""Write the consensus item sheet that `pedro consensus` merges: the Consensus
sheet (every trial, the agreed and resolved answers, every other column of the
assessors' sheets and a notes column), a Change log that continues the
disagreement workbook's (the inputs' history), then a row per edit made
outside pedro and one per resolution, a sealed Provenance sheet, and the hidden
Recorded cells sheet of an audited workbook, so that `pedro score` scores it
like any other sheet, appends to that log, and logs any cell edited before."""

from __future__ import annotations

from pathlib import Path

from ..audit.chain import audit_key, canonical, table_digest
from ..audit.log import consensus_changes, hashed_log
from ..audit.record import record_rows, table_of
from ..audit.workbook import (
    CHANGE_LOG_SHEET,
    LOG_COLUMNS,
    PROVENANCE_SHEET,
    RECORDED_SHEET,
    STUDY_COLUMN,
    Key,
    log_seal,
    recorded_seal,
)
from ..compare import answer_columns, answer_headings
from ..consensus import CONSENSUS_SHEET, NOTES_HEADER, Consensus, outside_edit_changes
from ..normalise import normalise_sheet
from ..runtime import current_user, file_sha256, now_utc
from ..sheets.cells import column_letter
from ..sheets.layout import detect_layout
from ..sheets.reader import Grid
from .audited import change_log_table, provenance_table
from .files import atomic_save, check_output_path
from .style import Table, cell_range, render

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
    table = consensus_table(consensus)
    render(workbook.active, table)
    now = now_utc()
    headings = answer_headings(rubric)  # an item's column, or a part's ("6a") where the parts are kept
    item_column = {headings[h]: column_letter(c) for c, h in enumerate(table.rows[0]) if h in headings}
    row_of = {canonical(trial.label): line for line, trial in enumerate(consensus.trials, start=2)
              if len(trial.rated_by) > 1}
    resolved = consensus_changes(consensus.resolutions, CONSENSUS_SHEET,
                                 lambda r: f"{item_column[r.item]}{row_of[canonical(r.study)]}", source.name, now)
    key = audit_key()
    history = consensus.history if consensus.history is not None else pd.DataFrame(columns=LOG_COLUMNS)
    log_rows = hashed_log(history, pd.concat([outside_edit_changes(consensus, now), resolved], ignore_index=True), key)
    render(workbook.create_sheet(CHANGE_LOG_SHEET), change_log_table(log_rows))
    provenance = {
        Key.TOOL: "pedro consensus", Key.INPUT: source.name, Key.INPUT_SHA256: file_sha256(source),
        Key.INPUT_SHEET: CONSENSUS_SHEET, Key.TIME: now, Key.USER: current_user(),
        Key.STUDIES: str(len(consensus.trials)),
        Key.RESOLUTIONS: str(len(consensus.resolutions)), Key.UNRESOLVED: str(len(consensus.unresolved)),
        Key.RUBRIC: rubric.name, Key.RUBRIC_SHA256: rubric.sha256, **log_seal(log_rows)}
    recorded = recorded_cells(table, rubric, key)
    provenance[Key.RECORDED_DIGEST] = table_digest(recorded_seal(recorded), key)
    render(workbook.create_sheet(PROVENANCE_SHEET), provenance_table(provenance, key))
    render(workbook.create_sheet(RECORDED_SHEET), Table(recorded, autofilter=False, freeze="C3", hidden=True))
    return atomic_save(workbook, output)


def recorded_cells(table: Table, rubric, key) -> list[list]:
    """The Recorded cells sheet of the consensus sheet (``pedro.audit.record``): its table as `pedro
    score` will read it, so that scoring it logs every cell edited in between as "edited outside pedro",
    as it does for an audited workbook.  The sheet is read as pedro reads any sheet, from the rows
    about to be written."""
    grid = Grid(CONSENSUS_SHEET, rows=[list(row) for row in table.rows])
    rated = normalise_sheet(CONSENSUS_SHEET, grid, detect_layout(grid, rubric), rubric)
    return record_rows(table_of(rated), key)


def consensus_table(consensus: Consensus) -> Table:
    """The Consensus sheet: every trial, its answers, the carried columns, and the notes (a column only
    when a trial has one: how a label spelt differently was paired, a single rating, differing values)."""
    rubric = consensus.rubric
    notes = ["; ".join(trial.notes + trial.differences) or None for trial in consensus.trials]
    noted = [NOTES_HEADER] if any(notes) else []
    # A criterion the assessors rated one column per part keeps its parts, so which points were awarded is kept.
    by_parts = {item.number for item in rubric.items
                if item.parts and any(part.code in trial.answers for trial in consensus.trials for part in item.parts)}
    columns = answer_columns(rubric, by_parts)
    rows = [[STUDY_COLUMN, *(heading for heading, _, _ in columns), *consensus.columns, *noted]]
    for trial, note in zip(consensus.trials, notes):
        rows.append([trial.label, *(trial.answers.get(code or item) for _, item, code in columns), *trial.values,
                     *([note] if noted else [])])
    carried = range(len(columns) + 1, len(columns) + 1 + len(consensus.columns))
    last = len(rows[0]) - 1
    return Table(rows, header_row=None, autofilter=False, freeze="B2",
                 widths={0: 28, **{c: 20 for c in carried}, **({last: 60} if noted else {})},
                 wrapped=(cell_range(2, last, max(len(rows), 2), last),) if noted else ())
