"""Write the audited workbook: the input, untouched in substance, plus
Scores, Findings, Change log and Provenance sheets.

An .xlsx/.xlsm input is carried over with openpyxl (values, formulas and
formatting; macros kept, never run).  A CSV, .xls or .ods input becomes a new
workbook whose first sheet holds its values.  In the item sheet, rewritten
answers take their canonical form and every cell with a finding is filled by
severity and carries a comment naming the rules.  A re-run on an audited
workbook clears pedro's own marks first and appends to its change log.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..engine import (
    CHANGE_COLUMNS,
    CHANGE_LOG_SHEET,
    FINDINGS_SHEET,
    PEDRO_SHEETS,
    PROVENANCE_MARK,
    PROVENANCE_SHEET,
    SCORES_SHEET,
    ScoreResult,
)
from .output import atomic_save, check_output_path, put

COMMENT_AUTHOR = "pedro"
SEVERITY_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C", "advisory": "DDEBF7"}
HEADER_COLOUR = "D9E1F2"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def default_output(input_path: Path) -> Path:
    suffix = ".xlsm" if input_path.suffix.lower() == ".xlsm" else ".xlsx"
    return input_path.with_name(f"{input_path.stem}.audited{suffix}")


def write_audited(result: ScoreResult, output: Path | None = None) -> Path:
    """Write the audited workbook for ``result`` and return its path."""
    output = check_output_path(Path(output) if output else default_output(result.input), result.input)
    workbook, sheet = _open_original(result)
    formula_cells = _mark_item_sheet(sheet, result)
    names = _pedro_sheet_names(workbook, result)
    for key in PEDRO_SHEETS:
        if names[key] in workbook.sheetnames:
            del workbook[names[key]]
    _write_scores(workbook.create_sheet(names[SCORES_SHEET]), result)
    _write_findings(workbook.create_sheet(names[FINDINGS_SHEET]), result)
    # A formula's value is read, but the formula is left in place: not a change.
    applied = result.changes[~result.changes["cell"].isin(formula_cells)]
    _write_change_log(workbook.create_sheet(names[CHANGE_LOG_SHEET]), result.previous_changes, applied)
    _write_provenance(workbook.create_sheet(names[PROVENANCE_SHEET]), result, output)
    return atomic_save(workbook, output)


def _open_original(result: ScoreResult):
    import openpyxl

    if result.book_kind in ("xlsx", "xlsm"):
        workbook = openpyxl.load_workbook(result.input, keep_vba=result.book_kind == "xlsm", rich_text=True)
        return workbook, workbook[result.sheet.sheet]
    # CSV, .xls, .ods: carry the values into a new workbook.
    from .reader import open_book

    book = open_book(result.input)
    workbook = openpyxl.Workbook()
    first = True
    for name in book.sheet_names:
        sheet = workbook.active if first else workbook.create_sheet()
        sheet.title = _sheet_title(name)
        first = False
        for row in book.grid(name).rows:
            sheet.append(list(row))
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    return workbook, workbook[_sheet_title(result.sheet.sheet)]


def _sheet_title(name: str) -> str:
    return _BAD_SHEET_CHARS.sub("_", name)[:31] or "Sheet"


def _pedro_sheet_names(workbook, result: ScoreResult) -> dict[str, str]:
    """pedro's sheet names; in a workbook not written by pedro, a user's sheet
    of the same name is kept and ours gets ' (pedro)'."""
    audited = bool(result.previous_provenance) or (
        PROVENANCE_SHEET in workbook.sheetnames
        and str(workbook[PROVENANCE_SHEET]["A1"].value).strip().lower() == PROVENANCE_MARK)
    names = {}
    for key in PEDRO_SHEETS:
        names[key] = key if audited or key not in workbook.sheetnames else f"{key} (pedro)"[:31]
    return names


def _mark_item_sheet(sheet, result: ScoreResult) -> set[str]:
    """Rewrite answers, mark cells with findings; return the answer cells left
    alone because they hold formulas."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    pedro_fills = set(SEVERITY_COLOURS.values())
    for row in sheet.iter_rows():
        for cell in row:
            if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
                cell.comment = None
                colour = (cell.fill.fgColor.rgb or "")[-6:] if cell.fill is not None else ""
                if colour in pedro_fills:
                    cell.fill = PatternFill(fill_type=None)
    formula_cells = set()
    for cell_ref, new in zip(result.changes["cell"], result.changes["new"]):
        cell = sheet[cell_ref]
        if cell.data_type == "f":  # an answer computed by a formula keeps its formula
            formula_cells.add(cell_ref)
        else:
            put(cell, new)
    findings = result.findings
    on_sheet = findings[(findings["sheet"] == result.sheet.sheet) & findings["cell"].str.match(r"^[A-Z]+\d+$")]
    rank = {"error": 0, "warning": 1, "advisory": 2}
    for cell_ref, group in on_sheet.groupby("cell", sort=False):
        worst = min(group["severity"], key=rank.__getitem__)
        cell = sheet[cell_ref]
        cell.fill = PatternFill("solid", fgColor=SEVERITY_COLOURS[worst])
        text = "\n".join(f"{r.severity} {r.rule} {r.name}: {r.message}" for r in group.itertuples())
        comment = Comment(text, COMMENT_AUTHOR)
        comment.width, comment.height = 360, min(60 + 40 * len(group), 400)
        cell.comment = comment
    return formula_cells


def _table(sheet, header: list[str], rows, widths: dict[int, int] | None = None) -> None:
    from openpyxl.styles import Font, PatternFill

    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_COLOUR)
    for values in rows:
        sheet.append([_cell_value(v) for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions
    for index, width in (widths or {}).items():
        sheet.column_dimensions[_letter(index)].width = width


def _letter(index: int) -> str:
    from .layout import column_letter

    return column_letter(index)


def _cell_value(value):
    """Values for openpyxl: pandas NA and numpy scalars become plain Python."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def _write_scores(sheet, result: ScoreResult) -> None:
    rubric, studies, scores = result.rubric, result.sheet.studies, result.scores
    answers = result.sheet.wide("answer")
    counts = result.findings[result.findings["study_index"].notna()].groupby(
        ["study_index", "severity"]).size()
    header = ["Study", "Row"] + [item.heading for item in rubric.items] + [
        "Total", "Min", "Max", f"Band ({result.bands.name})", "Errors", "Warnings", "Advisories"]
    rows = []
    for i in studies.index:
        answer_cells = [answers.at[i, n] if n in answers.columns else None for n in rubric.item_numbers]
        rows.append([studies.at[i, "study"], studies.at[i, "row"], *answer_cells,
                     scores.at[i, "total"], scores.at[i, "min_total"], scores.at[i, "max_total"],
                     scores.at[i, "band"], *(int(counts.get((i, s), 0)) for s in ("error", "warning", "advisory"))])
    _table(sheet, header, rows, {0: 28})


def _write_findings(sheet, result: ScoreResult) -> None:
    from openpyxl.styles import PatternFill

    columns = ["rule", "name", "severity", "sheet", "cell", "study", "item", "value", "message"]
    _table(sheet, [c.capitalize() for c in columns], result.findings[columns].itertuples(index=False),
           {1: 30, 5: 24, 8: 100})
    for row in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        colour = SEVERITY_COLOURS.get(row[0].value)
        if colour:
            row[0].fill = PatternFill("solid", fgColor=colour)


def _write_change_log(sheet, previous, changes) -> None:
    import pandas as pd

    log = pd.concat([frame for frame in (previous, changes) if not frame.empty] or [changes], ignore_index=True)
    _table(sheet, [c.capitalize() for c in CHANGE_COLUMNS], log[CHANGE_COLUMNS].itertuples(index=False),
           {0: 22, 4: 24, 9: 60})


def _write_provenance(sheet, result: ScoreResult, output: Path) -> None:
    provenance = dict(result.provenance, output=output.name)
    _table(sheet, [PROVENANCE_MARK, "value"], provenance.items(), {0: 24, 1: 80})
