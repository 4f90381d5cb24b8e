"""The blank item sheet an assessor fills in (``pedro template``)."""

from __future__ import annotations

from pathlib import Path

from ..audit.workbook import STUDY_COLUMN
from ..rubric import Rubric
from .files import atomic_save, check_output_path
from .style import Table, Validation, answer_validation, cell_range, render

RATINGS_SHEET = "Ratings"
ABOUT_SHEET = "About the scale"
COUNT_COLUMNS = ("N allocated", "N analysed")
EXTRA_COLUMNS = ("Randomisation method", *COUNT_COLUMNS)
ANSWER_ROWS = 200  # rows with a dropdown when fewer trials are listed


def write_template(output: Path, rubric: Rubric, labels: list[str]) -> Path:
    import openpyxl

    output = check_output_path(Path(output))
    workbook = openpyxl.Workbook()
    workbook.active.title = RATINGS_SHEET
    render(workbook.active, ratings_table(rubric, labels))
    render(workbook.create_sheet(ABOUT_SHEET), about_table(rubric))
    return atomic_save(workbook, output)


def ratings_table(rubric: Rubric, labels: list[str]) -> Table:
    """The Ratings sheet: a row per trial, and per item an answer column (a
    dropdown, the criterion in its header's comment) and an evidence column."""
    header = [STUDY_COLUMN, *EXTRA_COLUMNS]
    item_columns = {}
    for item in rubric.items:
        item_columns[item.number] = len(header)
        header += [item.heading, f"{item.number} evidence"]
    last_row = 1 + max(len(labels), ANSWER_ROWS)
    answers = [cell_range(2, column, last_row, column) for column in item_columns.values()]
    counts = [cell_range(2, column, last_row, column) for column in map(header.index, COUNT_COLUMNS)]
    notes = {item_columns[item.number]: f"Item {item.number}{'' if item.scored else ' (not scored)'}: "
                                        f"{item.criterion}\n\n{item.note}" for item in rubric.items}
    widths = {0: 28, 1: 24}
    for column in item_columns.values():
        widths.update({column: 14, column + 1: 30})
    return Table(
        [header, *([label] + [None] * (len(header) - 1) for label in labels)], autofilter=False, freeze="B2",
        widths=widths, wrapped=(cell_range(1, 0, 1, len(header) - 1),), row_heights={1: 45}, header_notes=notes,
        validations=(answer_validation(answers, "PEDro answer", "Answer Y (clearly satisfied), N, or ? (unclear)."),
                     Validation("whole", "0", tuple(counts), operator="greaterThanOrEqual")))


def about_table(rubric: Rubric) -> Table:
    """The scale's items with their notes on administration, and its band sets."""
    rows = [[rubric.title], [f"Source: {rubric.source}"],
            ["Answer Y only when the criterion is clearly satisfied on a literal reading of the report; "
             "N when it is not; ? when unclear (scores 0). Item 1 is not scored: the total is the number "
             "of Y on items 2-11 (0-10)."],
            [],
            ["Item", "Criterion", "Note on administration", "Scored"],
            *([item.heading, item.criterion, item.note, "yes" if item.scored else "no"] for item in rubric.items),
            [],
            ["Band sets (pedro score --bands NAME)"],
            *([b.name, b.describe(), b.source, b.caveat] for b in rubric.band_sets.values())]
    bands_title = 5 + len(rubric.items) + 2
    width = max(len(row) for row in rows)
    return Table(rows, header_row=None, autofilter=False, freeze=None, title_row=1, title_size=14,
                 bold_rows=(5, bands_title), wrapped=(cell_range(5, 0, len(rows), width - 1),),
                 widths={0: 30, 1: 60, 2: 80, 3: 40})
