"""How the sheets pedro writes look, said once: the palette, ``Table`` (a sheet as
data, rendered alike by the package writer and by openpyxl), ``render`` into an
openpyxl worksheet, and appending rows fast and text-safe.

``sheet.max_row`` scans every cell of the sheet, so a loop that asks for it
after each append is quadratic; these helpers let callers count rows
themselves.  Every value goes through ``put``, so text that looks like a
formula stays text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sheets.cells import column_letter
from .files import put

SEVERITY_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C", "advisory": "DDEBF7"}
HEADER_COLOUR = "D9E1F2"
ANSWER_COLOURS = {"Y": "C6EFCE", "N": "FFC7CE", "?": "FFEB9C"}
MISSING_COLOUR = "D9D9D9"


@dataclass
class BarChart:
    """A column chart of one column of values against a column of labels
    (columns and rows 1-based, as Excel numbers them)."""

    title: str
    y_title: str
    category_column: int
    data_column: int
    title_row: int  # the series' name
    first_row: int
    last_row: int
    anchor_column: int
    anchor_row: int
    width_cm: float = 12
    height_cm: float = 7


@dataclass
class Table:
    """One of the sheets pedro adds, as data: its rows from row 1 and how
    they look.  Both workbook writers (``pedro.sheets.ooxml`` and openpyxl)
    render it, so the sheets are the same whichever writes them."""

    rows: list
    header_row: int | None = 1  # bold on the header colour; the autofilter starts here
    autofilter: bool = True
    freeze: str | None = "A2"  # the first cell that scrolls
    widths: dict = field(default_factory=dict)  # {0-based column: width}
    title_row: int | None = None  # bold, larger
    bold_rows: tuple = ()
    severity_column: int | None = None  # 0-based; below the header its text names a severity, filled to match
    answer_blocks: list = field(default_factory=list)  # [(first column, items, first row, last row)]: traffic light
    chart: BarChart | None = None


def plain(value):
    """Values for openpyxl: pandas NA/NaN become None, numpy scalars plain Python."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def cells(sheet, values) -> list:
    """Values ready for ``sheet.append``: text goes in as a Cell set by ``put``."""
    from openpyxl.cell.cell import Cell

    row = []
    for value in values:
        value = plain(value)
        row.append(put(Cell(sheet), value) if isinstance(value, str) else value)
    return row


def append(sheet, values) -> None:
    sheet.append(cells(sheet, values))


def render(sheet, table: Table) -> None:
    """Write a ``Table`` into an openpyxl worksheet."""
    from openpyxl.styles import Font, PatternFill

    for values in table.rows:
        append(sheet, values)
    def cells_of(row: int):  # the row's own cells; sheet[row] would run to the widest row
        return sheet[row][:len(table.rows[row - 1])]

    bold = Font(bold=True)
    if table.header_row:
        fill = PatternFill("solid", fgColor=HEADER_COLOUR)
        for cell in cells_of(table.header_row):
            cell.font, cell.fill = bold, fill
    for row in table.bold_rows:
        for cell in cells_of(row):
            cell.font = bold
    if table.title_row:
        for cell in cells_of(table.title_row):
            cell.font = Font(bold=True, size=13)
    if table.severity_column is not None:
        fills = {severity: PatternFill("solid", fgColor=colour) for severity, colour in SEVERITY_COLOURS.items()}
        column = table.severity_column + 1
        for row in sheet.iter_rows(min_row=(table.header_row or 0) + 1, min_col=column, max_col=column):
            if row[0].value in fills:
                row[0].fill = fills[row[0].value]
    if table.freeze:
        sheet.freeze_panes = table.freeze
    width = max((len(r) for r in table.rows), default=0)
    if table.autofilter and table.header_row and len(table.rows) > table.header_row:
        sheet.auto_filter.ref = f"A{table.header_row}:{column_letter(width - 1)}{len(table.rows)}"
    for index, column_width in table.widths.items():
        sheet.column_dimensions[column_letter(index)].width = column_width
    for block in table.answer_blocks:
        _colour_answers(sheet, *block)
    if table.chart is not None:
        _add_chart(sheet, table.chart)


def _add_chart(sheet, chart: BarChart) -> None:
    from openpyxl.chart import BarChart as OpenpyxlBarChart
    from openpyxl.chart import Reference

    bars = OpenpyxlBarChart()
    bars.type, bars.style, bars.legend = "col", 10, None
    bars.title, bars.y_axis.title = chart.title, chart.y_title
    bars.add_data(Reference(sheet, min_col=chart.data_column, min_row=chart.title_row, max_row=chart.last_row),
                  titles_from_data=True)
    bars.set_categories(Reference(sheet, min_col=chart.category_column, min_row=chart.first_row,
                                  max_row=chart.last_row))
    bars.height, bars.width = chart.height_cm, chart.width_cm
    sheet.add_chart(bars, f"{column_letter(chart.anchor_column - 1)}{chart.anchor_row}")


def _colour_answers(sheet, first_column: int, n_items: int, first_row: int, last_row: int) -> None:
    """Traffic-light conditional formatting on an answer block (columns are
    1-based): green Y, red N, amber ?, grey blank.  Rules, not fills: they
    follow later edits."""
    from openpyxl.formatting.rule import CellIsRule, FormulaRule
    from openpyxl.styles import PatternFill

    if last_row < first_row:
        return
    first, last = column_letter(first_column - 1), column_letter(first_column + n_items - 2)
    block = f"{first}{first_row}:{last}{last_row}"
    for answer, colour in ANSWER_COLOURS.items():
        sheet.conditional_formatting.add(block, CellIsRule(operator="equal", formula=[f'"{answer}"'],
                                                           fill=PatternFill("solid", fgColor=colour)))
    sheet.conditional_formatting.add(block, FormulaRule(formula=[f"ISBLANK({first}{first_row})"],
                                                        fill=PatternFill("solid", fgColor=MISSING_COLOUR)))
