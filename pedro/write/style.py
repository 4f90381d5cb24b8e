"""How the sheets pedro writes look, said once: the palette, ``Table`` (a sheet as
data, rendered alike by the package writer and by openpyxl), ``render`` into an
openpyxl worksheet, pedro's marks on the cells of an item sheet, and appending
rows fast and text-safe.

``sheet.max_row`` scans every cell of the sheet, so a loop that asks for it
after each append is quadratic; these helpers let callers count rows
themselves, and style cells through bounded ranges.  Every value goes through
``put``, so text that looks like a formula stays text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sheets.cells import column_letter, split_address
from .files import put

SEVERITY_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C", "advisory": "DDEBF7"}
HEADER_COLOUR = "D9E1F2"
ANSWER_COLOURS = {"Y": "C6EFCE", "N": "FFC7CE", "?": "FFEB9C"}
MISSING_COLOUR = "D9D9D9"
TO_FILL_COLOUR = "FFF2CC"  # cells left for the reader to fill in
QUOTED_COLOUR = "F2F2F2"  # cells that quote an assessor's answer
HIGHLIGHT_COLOUR = SEVERITY_COLOURS["error"]  # a row that needs a look

COMMENT_AUTHOR = "pedro"  # pedro's comments: a re-run replaces them and keeps everyone else's
NOTE_SIZE = (420, 220)  # width and height, in pixels, of a comment on a header cell
MARK_WIDTH = 360  # pixels, of the comment on a marked cell of an item sheet


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
class Validation:
    """What the cells of some ranges accept: a dropdown ``list`` or a ``whole``
    number.  A blank cell is always accepted: it is not filled in yet."""

    kind: str  # "list" or "whole"
    formula: str  # the list ('"Y,N,?"'), or the bound of the whole number
    ranges: tuple = ()  # A1 ranges ("D2:D201")
    operator: str | None = None  # of a whole number: "greaterThanOrEqual", ...
    error_title: str | None = None
    error: str | None = None  # when given, Excel refuses other entries with this message


def answer_validation(ranges, error_title: str, error: str) -> Validation:
    """A dropdown of the answers Y, N and ? that refuses anything else."""
    return Validation("list", '"' + ",".join(ANSWER_COLOURS) + '"', tuple(ranges), error_title=error_title,
                      error=error)


def cell_range(first_row: int, first_column: int, last_row: int, last_column: int) -> str:
    """An A1 range ("B2:D9") of rows numbered from 1 and columns from 0, as ``Table`` numbers them."""
    return f"{column_letter(first_column)}{first_row}:{column_letter(last_column)}{last_row}"


# Table's fields that style cells one by one: only ``render`` draws them (see Table).
RENDER_ONLY = ("wrapped", "fills", "validations", "merged", "row_heights", "header_notes")


@dataclass
class Table:
    """One of the sheets pedro writes, as data: its rows from row 1 and how
    they look.  Rows are numbered from 1 and columns from 0; ranges are in A1
    notation ("A2:D9").

    Both workbook writers, the package writer (``pedro.write.package``) and
    openpyxl (``render``), draw the fields up to ``chart`` alike, so the
    audited workbook is the same whichever writes it.  The fields named in
    ``RENDER_ONLY`` are drawn by ``render`` alone: the workbooks written with
    openpyxl (disagreements, consensus, template) use them, and the package
    writer declines a table that sets one."""

    rows: list
    header_row: int | None = 1  # bold on the header colour; the autofilter starts here
    autofilter: bool = True
    freeze: str | None = "A2"  # the first cell that scrolls
    widths: dict = field(default_factory=dict)  # {column: width}
    title_row: int | None = None  # bold, larger
    title_size: float = 13
    bold_rows: tuple = ()
    subheader_rows: tuple = ()  # styled as the header: the heads of more tables down the sheet
    severity_column: int | None = None  # below the header its text names a severity, filled to match
    answer_blocks: list = field(default_factory=list)  # [(first column 1-based, items, first row, last row)]
    chart: BarChart | None = None
    wrapped: tuple = ()  # ranges whose text wraps, aligned to the top of the cell
    fills: dict = field(default_factory=dict)  # {range: colour}, over the header's and the severities'
    validations: tuple = ()  # Validation records
    merged: tuple = ()  # ranges
    row_heights: dict = field(default_factory=dict)  # {row: height in points}
    header_notes: dict = field(default_factory=dict)  # {column: text of a comment on its header cell}

    def render_only(self) -> list[str]:
        """The fields set here that only ``render`` draws."""
        return [name for name in RENDER_ONLY if getattr(self, name)]


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
    for values in table.rows:
        append(sheet, values)
    _style_rows(sheet, table)
    _style_ranges(sheet, table)
    _add_notes_and_validations(sheet, table)
    _lay_out(sheet, table)
    for block in table.answer_blocks:
        _colour_answers(sheet, *block)
    if table.chart is not None:
        _add_chart(sheet, table.chart)


def _row_cells(sheet, table: Table, row: int):
    """The row's own cells (``sheet[row]`` would run to the widest row, a scan of every cell)."""
    width = len(table.rows[row - 1])
    return next(sheet.iter_rows(min_row=row, max_row=row, max_col=width)) if width else ()


def _range_cells(sheet, ref: str):
    """The cells of an A1 range, made where missing."""
    first, _, last = ref.partition(":")
    (top, left), (bottom, right) = split_address(first), split_address(last or first)
    for row in sheet.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right):
        yield from row


def _style_rows(sheet, table: Table) -> None:
    """The header rows, bold rows, title and severity fills: what both writers draw."""
    from openpyxl.styles import Font, PatternFill

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=HEADER_COLOUR)
    for row in ((table.header_row,) if table.header_row else ()) + tuple(table.subheader_rows):
        for cell in _row_cells(sheet, table, row):
            cell.font, cell.fill = bold, fill
    for row in table.bold_rows:
        for cell in _row_cells(sheet, table, row):
            cell.font = bold
    if table.title_row:
        for cell in _row_cells(sheet, table, table.title_row):
            cell.font = Font(bold=True, size=table.title_size)
    if table.severity_column is not None:
        fills = {severity: PatternFill("solid", fgColor=colour) for severity, colour in SEVERITY_COLOURS.items()}
        column = table.severity_column + 1
        for row in sheet.iter_rows(min_row=(table.header_row or 0) + 1, min_col=column, max_col=column):
            if row[0].value in fills:
                row[0].fill = fills[row[0].value]


def _style_ranges(sheet, table: Table) -> None:
    from openpyxl.styles import Alignment, PatternFill

    fills = {colour: PatternFill("solid", fgColor=colour) for colour in set(table.fills.values())}
    for ref, colour in table.fills.items():
        for cell in _range_cells(sheet, ref):
            cell.fill = fills[colour]
    wrap = Alignment(wrap_text=True, vertical="top")
    for ref in table.wrapped:
        for cell in _range_cells(sheet, ref):
            cell.alignment = wrap
    for ref in table.merged:
        sheet.merge_cells(ref)


def _add_notes_and_validations(sheet, table: Table) -> None:
    from openpyxl.comments import Comment
    from openpyxl.worksheet.datavalidation import DataValidation

    for column, text in table.header_notes.items():
        note = Comment(text, COMMENT_AUTHOR)
        note.width, note.height = NOTE_SIZE
        sheet.cell(row=table.header_row, column=column + 1).comment = note
    for validation in table.validations:
        rule = DataValidation(type=validation.kind, formula1=validation.formula, operator=validation.operator,
                              allow_blank=True, showErrorMessage=validation.error is not None,
                              errorTitle=validation.error_title, error=validation.error)
        sheet.add_data_validation(rule)
        for ref in validation.ranges:
            rule.add(ref)


def _lay_out(sheet, table: Table) -> None:
    """Panes, filter, column widths and row heights."""
    if table.freeze:
        sheet.freeze_panes = table.freeze
    width = max((len(r) for r in table.rows), default=0)
    if table.autofilter and table.header_row and len(table.rows) > table.header_row:
        sheet.auto_filter.ref = f"A{table.header_row}:{column_letter(width - 1)}{len(table.rows)}"
    for index, column_width in table.widths.items():
        sheet.column_dimensions[column_letter(index)].width = column_width
    for row, height in table.row_heights.items():
        sheet.row_dimensions[row].height = height


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


def clear_marks(sheet) -> None:
    """Remove pedro's comments from an openpyxl item sheet, and the severity
    fills of the cells that carried them (a re-run marks afresh)."""
    from openpyxl.styles import PatternFill

    pedro_fills = set(SEVERITY_COLOURS.values())
    for row in sheet.iter_rows():
        for cell in row:
            if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
                cell.comment = None
                colour = (cell.fill.fgColor.rgb or "")[-6:] if cell.fill is not None else ""
                if colour in pedro_fills:
                    cell.fill = PatternFill(fill_type=None)


def mark_cells(sheet, severities: dict, comments: dict) -> None:
    """Fill cells of an openpyxl item sheet by severity ({cell: severity}) and
    give each pedro's comment ({cell: (text, height in pixels)})."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    fills = {severity: PatternFill("solid", fgColor=colour) for severity, colour in SEVERITY_COLOURS.items()}
    for ref, severity in severities.items():
        cell = sheet[ref]
        cell.fill = fills[severity]
        text, height = comments[ref]
        comment = Comment(text, COMMENT_AUTHOR)
        comment.width, comment.height = MARK_WIDTH, height
        cell.comment = comment
