"""The blank item sheet an assessor fills in (``pedro template``)."""

from __future__ import annotations

from pathlib import Path

from ..audit.workbook import STUDY_COLUMN
from ..rubric import Rubric
from .files import atomic_save, check_output_path
from .style import append

RATINGS_SHEET = "Ratings"
ABOUT_SHEET = "About the scale"
EXTRA_COLUMNS = ("Randomisation method", "N allocated", "N analysed")


def write_template(output: Path, rubric: Rubric, labels: list[str]) -> Path:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    output = check_output_path(Path(output))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = RATINGS_SHEET
    header = [STUDY_COLUMN, *EXTRA_COLUMNS]
    item_columns = {}
    for item in rubric.items:
        item_columns[item.number] = len(header) + 1
        header += [item.heading, f"{item.number} evidence"]
    sheet.append(header)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="D9E1F2")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for item in rubric.items:
        cell = sheet.cell(row=1, column=item_columns[item.number])
        scored = "" if item.scored else " (not scored)"
        comment = Comment(f"Item {item.number}{scored}: {item.criterion}\n\n{item.note}", "pedro")
        comment.width, comment.height = 420, 220
        cell.comment = comment
    for label in labels:
        append(sheet, [label] + [None] * (len(header) - 1))
    last_row = 1 + max(len(labels), 200)
    answers = DataValidation(type="list", formula1='"Y,N,?"', allow_blank=True, showErrorMessage=True,
                             errorTitle="PEDro answer", error="Answer Y (clearly satisfied), N, or ? (unclear).")
    sheet.add_data_validation(answers)
    counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    sheet.add_data_validation(counts)
    for column in item_columns.values():
        answers.add(f"{get_column_letter(column)}2:{get_column_letter(column)}{last_row}")
    for column in (3, 4):
        counts.add(f"{get_column_letter(column)}2:{get_column_letter(column)}{last_row}")
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 24
    for column in item_columns.values():
        sheet.column_dimensions[get_column_letter(column)].width = 14
        sheet.column_dimensions[get_column_letter(column + 1)].width = 30
    sheet.row_dimensions[1].height = 45
    _write_about(workbook.create_sheet(ABOUT_SHEET), rubric)
    return atomic_save(workbook, output)


def _write_about(sheet, rubric: Rubric) -> None:
    from openpyxl.styles import Alignment, Font

    sheet.append([rubric.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Source: {rubric.source}"])
    sheet.append(["Answer Y only when the criterion is clearly satisfied on a literal reading of the report; "
                  "N when it is not; ? when unclear (scores 0). Item 1 is not scored: the total is the number "
                  "of Y on items 2-11 (0-10)."])
    sheet.append([])
    sheet.append(["Item", "Criterion", "Note on administration", "Scored"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for item in rubric.items:
        sheet.append([item.heading, item.criterion, item.note, "yes" if item.scored else "no"])
    sheet.append([])
    sheet.append(["Band sets (pedro score --bands NAME)"])
    sheet[sheet.max_row][0].font = Font(bold=True)
    for band_set in rubric.band_sets.values():
        sheet.append([band_set.name, band_set.describe(), band_set.source, band_set.caveat])
    for row in sheet.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in (("A", 30), ("B", 60), ("C", 80), ("D", 40)):
        sheet.column_dimensions[letter].width = width
