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

from copy import copy
from dataclasses import dataclass, field

from ..sheets.cells import column_letter, split_address
from .files import put

SEVERITY_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C", "advisory": "DDEBF7"}
HEADER_COLOUR = "D9E1F2"
# The answers' colours, in the workbooks and the figures alike: robvis's "colourblind" palette
# (McGuinness & Higgins 2021, Res Synth Methods 12:55; robvis R/helpers.R ``get_colour``: low risk
# #fed98e, some concerns #fe9929, high #d95f0e), which is ColorBrewer's YlOrBr (Harrower & Brewer
# 2003).  Its colours differ in lightness, Y lightest and N darkest, so they stay apart for every
# common colour-vision deficiency and in greyscale print, where a red/green traffic light does not.
# Colour is never the only signal: the cells hold the letters, the Summary carries a legend and the
# figures draw ANSWER_SYMBOLS.
ANSWER_COLOURS = {"Y": "FED98E", "N": "D95F0E", "?": "FE9929"}
MISSING_COLOUR = "D9D9D9"
# The points of a criterion worth several (TESTEX's 0-3): all of them in the Y colour, none in the N colour,
# and some (1 or 2 of 3) in the step of the same YlOrBr scale between Y and ? (its 7-class #fec44f): darker
# than all, lighter than an unclear or absent 0, so the lightness still orders the cells by their points.
# A value that is not a valid number of points ("!4") is filled as an error is everywhere in pedro.
PARTLY_COLOUR = "FEC44F"
INVALID_COLOUR = SEVERITY_COLOURS["error"]
ANSWER_SYMBOLS = {"Y": "\u2713", "N": "\u2717", "?": "?", None: "\u2013"}  # check mark, ballot x, ?, en dash
ANSWER_NAMES = {"Y": "Yes (criterion satisfied)", "N": "No", "?": "Unclear (scores 0)", None: "Not rated / unreadable"}
TO_FILL_COLOUR = "FFF2CC"  # cells left for the reader to fill in
QUOTED_COLOUR = "F2F2F2"  # cells that quote an assessor's answer
HIGHLIGHT_COLOUR = SEVERITY_COLOURS["error"]  # a row that needs a look

COMMENT_AUTHOR = "pedro"  # the author of a comment pedro alone writes
# A cell has one comment.  pedro's findings follow this line in it, under the assessor's own text
# when the cell already had a comment; a re-run replaces what follows the line and nothing above it.
FINDINGS_SEPARATOR = "\u2014\u2014 pedro findings \u2014\u2014"
# pedro's comments from before the separator: its author, and a finding ("error PD401 ...") first.
_OLD_FINDING_STARTS = tuple(f"{severity} " for severity in SEVERITY_COLOURS)


def with_findings(text: str | None, findings: str) -> str:
    """A comment's text: the assessor's ``text`` (if any), then pedro's ``findings`` under the separator."""
    return f"{text}\n{FINDINGS_SEPARATOR}\n{findings}" if text else f"{FINDINGS_SEPARATOR}\n{findings}"


def assessor_part(text: str, author: str) -> str | None:
    """A comment's text without pedro's findings: what precedes the separator
    line ('' when pedro wrote the whole comment), or None when the comment
    holds no findings of pedro's (an assessor's, or a template's criterion help)."""
    at = text.find(FINDINGS_SEPARATOR)
    while at > 0 and text[at - 1] != "\n":  # pedro's separator always opens a line
        at = text.find(FINDINGS_SEPARATOR, at + 1)
    if at >= 0:
        return text[:at - 1] if at else ""  # without the line break ``with_findings`` put before it
    if author == COMMENT_AUTHOR and text.startswith(_OLD_FINDING_STARTS):
        return ""
    return None
NOTE_SIZE = (420, 220)  # width and height, in pixels, of a comment on a header cell
MARK_WIDTH = 360  # pixels, of the comment on a marked cell of an item sheet


@dataclass
class BarChart:
    """A column chart of one column of values against a column of labels
    (columns and rows 1-based, as Excel numbers them).

    The chart covers whole cells, ``columns`` by ``rows`` from its anchor
    cell (a two-cell anchor), so whoever places it knows which cells it
    hides, whatever the widths and heights; the table puts it where no cell
    is filled."""

    title: str
    y_title: str
    category_column: int
    data_column: int
    title_row: int  # the series' name
    first_row: int
    last_row: int
    anchor_column: int
    anchor_row: int
    columns: int = 8
    rows: int = 16

    def area(self) -> tuple[int, int, int, int]:
        """(first column, first row, last column, last row) of the cells the chart covers."""
        return (self.anchor_column, self.anchor_row, self.anchor_column + self.columns - 1,
                self.anchor_row + self.rows - 1)


# How every sheet pedro writes prints: landscape, as many pages down as it takes but one page wide,
# the header row atop each page, and a footer naming the file, the sheet and the page, so that a
# printed page can be put back in its place.  Margins in inches, narrower than the defaults (0.7
# and 0.75) to leave the width to the columns.
PRINT_FOOTER = ("&F: &A", "Page &P of &N")  # left and right, in the header/footer codes of SpreadsheetML
PRINT_MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6, "header": 0.3, "footer": 0.3}


# How wide a sheet prints.  Fitting a wide sheet to one page shrinks its text past reading (a filled
# template's 35 columns printed at 2.6 points): a sheet prints one page wide while that keeps its text at
# MIN_PRINT_SCALE or more, else on as many pages wide as keep it there, its first column (the trial)
# repeated on each.  0.6 puts 11-point text at 6.6 points, about the smallest print read without a lens.
MIN_PRINT_SCALE = 0.6
# What a landscape page holds at 100%, in pixels at 96 dpi: the narrower of A4 and Letter (11 inches)
# less PRINT_MARGINS' 0.8 inch; a column ``w`` characters wide takes 7w + 5 pixels (Calibri 11's digit).
PAGE_PIXELS = (11 - 0.8) * 96


def column_pixels(width: float) -> float:
    return 7 * width + 5


def pages_wide(widths: dict, columns: int) -> int:
    """The pages a sheet of ``columns`` columns ({column: width in characters}, others DEFAULT_WIDTH)
    prints across at MIN_PRINT_SCALE or more."""
    pixels = sum(column_pixels(widths.get(column, DEFAULT_WIDTH)) for column in range(columns))
    return max(1, -int(-pixels // (PAGE_PIXELS / MIN_PRINT_SCALE)))


def header_widths(header: list, rows: list = (), least: float = 5, most: float = 30) -> dict:
    """{column: width} giving each header its longest word and each value its text (``rows``), between
    ``least`` and ``most`` characters, with a character of room either side; the header row wraps
    (``Table.wrap_header``) onto the lines ``wrapped_lines`` counts."""
    widths = {}
    for column, title in enumerate(header):
        longest = max((len(word) for word in str(title or "").split()), default=0)
        for row in rows:
            if column < len(row) and row[column] is not None:
                longest = max(longest, len(str(row[column])))
        widths[column] = min(max(longest + 2, least), most)
    return widths


def footer_text(left: str = PRINT_FOOTER[0], right: str = PRINT_FOOTER[1]) -> str:
    """A footer as the <oddFooter> element holds it: sections marked &L, &C, &R."""
    return f"&L{left}&R{right}"


def chosen_print_setup(orientation: str | None, scale, fit_to_page: bool, titles: bool, footer: str) -> bool:
    """Whether an assessor chose how the item sheet prints (pedro then leaves it as it is).

    Every application writes a page setup, portrait at 100%, and LibreOffice
    a header and a footer: these are only its defaults.  A choice is
    landscape, another scale, fitting to pages, or rows or columns repeated.
    A sheet with pedro's ``footer`` prints as pedro set it (an earlier run, or
    a sheet pedro made of a CSV file's values): pedro sets it afresh."""
    if footer == footer_text():
        return False
    return orientation == "landscape" or str(scale or 100) not in ("100", "100.0") or fit_to_page or titles


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


def answer_rules(top_left: str, worth: int = 1) -> list[tuple[str, str, str]]:
    """The conditional formats of a block of answers whose first cell is ``top_left`` ("C2"), in priority
    order, as (type, formula, colour): a "cellIs" rule fills a cell equal to its formula, an "expression"
    rule one for which its formula (relative to ``top_left``) is true.  Both writers draw these.

    Yes/no items (``worth`` 1): Y, N, ? and blank.  A criterion worth several points: all of them, some,
    none, ?, blank, and anything else (pedro's "!4", a "5" typed later) as an error.  A points cell is
    compared as text (``C2&""``), so that a number typed over pedro's text "2" is coloured alike."""
    blank = ("expression", f"ISBLANK({top_left})", MISSING_COLOUR)
    if worth == 1:
        return [*(("cellIs", f'"{answer}"', colour) for answer, colour in ANSWER_COLOURS.items()), blank]

    def equals(values) -> list[str]:
        return [f'{top_left}&""="{value}"' for value in values]

    def any_of(tests: list[str]) -> str:
        return tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"

    return [("expression", any_of(equals([worth])), ANSWER_COLOURS["Y"]),
            ("expression", any_of(equals(range(1, worth))), PARTLY_COLOUR),
            ("expression", any_of(equals([0])), ANSWER_COLOURS["N"]),
            ("cellIs", '"?"', ANSWER_COLOURS["?"]), blank,
            ("expression", f"NOT({any_of([blank[1], *equals([*range(worth + 1), '?'])])})", INVALID_COLOUR)]


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

    Both workbook writers, the package writer (``pedro.write.tables``) and
    openpyxl (``render``), draw the fields up to ``chart``, and how the sheet
    prints, alike, so the audited workbook is the same whichever writes it.
    The fields named in ``RENDER_ONLY`` are drawn by ``render`` alone: the
    workbooks written with openpyxl (disagreements, consensus, template) use
    them, and the package writer declines a table that sets one."""

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
    # [(first column 1-based, items, first row, last row[, points])]: coloured as answers (``answer_rules``),
    # of yes/no items, or of items worth ``points`` each
    answer_blocks: list = field(default_factory=list)
    chart: BarChart | None = None
    wrapped: tuple = ()  # ranges whose text wraps, aligned to the top of the cell
    fills: dict = field(default_factory=dict)  # {range: colour}, over the header's and the severities'
    validations: tuple = ()  # Validation records
    merged: tuple = ()  # ranges
    row_heights: dict = field(default_factory=dict)  # {row: height in points}
    header_notes: dict = field(default_factory=dict)  # {column: text of a comment on its header cell}
    # Every sheet prints as PRINT_FOOTER says; these rows (first, last) repeat atop each page.  None:
    # the header row, else the rows frozen above the pane, else none.
    print_rows: tuple | None = None
    hidden: bool = False  # kept from view (and from print), not from anyone: the sheet state is "hidden"
    wrap_header: bool = False  # the header row's text wraps, the row as tall as its tallest header
    # Printed as many pages wide as keep the text at MIN_PRINT_SCALE, column A repeated (``pages_wide``);
    # False: one page wide whatever the scale, for a sheet whose columns must be read side by side.
    legible: bool = False
    centred: tuple = ()  # columns centred below the header: a number beside text reads apart from it ("8good")

    def pages_wide(self) -> int:
        """How many pages wide the sheet prints (see ``legible``)."""
        if not self.legible:
            return 1
        return pages_wide(self.widths, max((len(r) for r in self.rows), default=0))

    def header_height(self) -> float | None:
        """Points of the wrapped header row, or None (the default height)."""
        if not (self.wrap_header and self.header_row):
            return None
        lines = max((wrapped_lines(str(value), self.widths.get(column, DEFAULT_WIDTH))
                     for column, value in enumerate(self.rows[self.header_row - 1]) if value), default=1)
        return min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT) if lines > 1 else None

    def render_only(self) -> list[str]:
        """The fields set here that only ``render`` draws."""
        return [name for name in RENDER_ONLY if getattr(self, name)]

    def print_titles(self) -> tuple[int, int] | None:
        """(first, last) of the rows printed atop every page, or None."""
        if self.print_rows:
            return tuple(self.print_rows)
        if self.header_row:
            return (self.header_row, self.header_row)
        frozen = split_address(self.freeze)[0] - 1 if self.freeze else 0
        return (1, frozen) if frozen > 0 else None


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
    _fit_wrapped_rows(sheet, table)
    for block in table.answer_blocks:
        _colour_answers(sheet, *block)
    if table.chart is not None:
        _add_chart(sheet, table.chart)
    set_print(sheet, table.print_titles(), pages=table.pages_wide())
    if table.hidden:
        sheet.sheet_state = "hidden"


def _row_cells(sheet, table: Table, row: int):
    """The row's own cells (``sheet[row]`` would run to the widest row, a scan of every cell)."""
    width = len(table.rows[row - 1])
    return next(sheet.iter_rows(min_row=row, max_row=row, max_col=width)) if width else ()


def _range_cells(sheet, ref: str):
    """The cells of an A1 range, made where missing."""
    top, left, bottom, right = _range_bounds(ref)
    for row in sheet.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right):
        yield from row


def _style_rows(sheet, table: Table) -> None:
    """The header rows, bold rows, title and severity fills: what both writers draw."""
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import PatternFill

    # Bold in the workbook's own face, as the package writer derives it: a Font without a name
    # shows in LibreOffice's fallback face (a serif) beside the sheet's sans-serif text.
    bold = copy(Cell(sheet).font)
    bold.b = True
    title = copy(bold)
    title.sz = table.title_size
    fill = PatternFill("solid", fgColor=HEADER_COLOUR)
    for row in ((table.header_row,) if table.header_row else ()) + tuple(table.subheader_rows):
        for cell in _row_cells(sheet, table, row):
            cell.font, cell.fill = bold, fill
    for row in table.bold_rows:
        for cell in _row_cells(sheet, table, row):
            cell.font = bold
    if table.title_row:
        for cell in _row_cells(sheet, table, table.title_row):
            cell.font = title
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
    from openpyxl.styles import Alignment

    centre = Alignment(horizontal="center")
    for column in table.centred:
        for (cell,) in sheet.iter_rows(min_row=(table.header_row or 0) + 1, min_col=column + 1, max_col=column + 1,
                                       max_row=len(table.rows)):
            if cell.value is not None:
                cell.alignment = centre
    if table.header_height():
        wrap = Alignment(wrap_text=True, vertical="top")
        for cell in _row_cells(sheet, table, table.header_row):
            cell.alignment = wrap
        sheet.row_dimensions[table.header_row].height = table.header_height()


LINE_HEIGHT = 15  # points: a line of 11-point text
MAX_ROW_HEIGHT = 409  # points: Excel's limit
DEFAULT_WIDTH = 8.43  # characters: a column's width when none is set


def wrapped_lines(text: str, width: float) -> int:
    """The lines ``text`` takes wrapped at its spaces in a column ``width``
    characters wide.  A character is taken as wide as the digit that column
    widths count, wider than most letters: the estimate errs tall, never cut."""
    capacity = max(int(width), 1)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            if used and used + 1 + len(word) > capacity:
                lines, used = lines + 1, 0
            used += (1 if used else 0) + len(word)
            while used > capacity:  # a word longer than the line breaks where the line ends
                lines, used = lines + 1, used - capacity
    return lines


def _fit_wrapped_rows(sheet, table: Table) -> None:
    """Give each row of wrapped text whose height is not set the height of its
    tallest cell.  Excel opens such a row at the default height and
    LibreOffice at the stored one: the text would be cut on screen and run
    over the next row in print."""
    merged = {cell for ref in table.merged for cell in _range_addresses(ref)}
    needed: dict[int, int] = {}
    for ref in table.wrapped:
        top, left, bottom, right = _range_bounds(ref)
        for row in range(top, min(bottom, len(table.rows)) + 1):
            values = table.rows[row - 1]
            if row in table.row_heights:
                continue
            for column in range(left - 1, min(right, len(values))):
                value = values[column]
                if isinstance(value, str) and value and (row, column + 1) not in merged:
                    lines = wrapped_lines(value, table.widths.get(column, DEFAULT_WIDTH))
                    needed[row] = max(needed.get(row, 1), lines)
    for row, lines in needed.items():
        if lines > 1:
            sheet.row_dimensions[row].height = min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT)


def _range_bounds(ref: str) -> tuple[int, int, int, int]:
    """(top row, left column, bottom row, right column), 1-based, of an A1 range."""
    first, _, last = ref.partition(":")
    (top, left), (bottom, right) = split_address(first), split_address(last or first)
    return top, left, bottom, right


def _range_addresses(ref: str):
    """(row, column) of each cell of an A1 range."""
    top, left, bottom, right = _range_bounds(ref)
    return ((row, column) for row in range(top, bottom + 1) for column in range(left, right + 1))


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
    sheet.add_chart(bars, chart_anchor(chart))


def chart_anchor(chart: BarChart):
    """openpyxl's two-cell anchor of the cells ``chart.area()`` names: from the
    first cell's top left corner to the top left corner of the cell past the last."""
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor

    first_column, first_row, last_column, last_row = chart.area()
    return TwoCellAnchor(_from=AnchorMarker(col=first_column - 1, row=first_row - 1),
                         to=AnchorMarker(col=last_column, row=last_row))


def set_print(sheet, titles: tuple[int, int] | None, footer: bool = True, pages: int = 1) -> None:
    """Print an openpyxl worksheet as pedro prints its sheets (see PRINT_FOOTER):
    landscape, ``pages`` wide (more than one: its first column repeated on
    each, see MIN_PRINT_SCALE), ``titles`` (first, last row) atop every page,
    and pedro's footer unless ``footer`` is False."""
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    setup = sheet.page_setup
    setup.orientation, setup.fitToWidth, setup.fitToHeight, setup.scale = "landscape", pages, 0, None
    if sheet.sheet_properties.pageSetUpPr is None:
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(**PRINT_MARGINS)
    if footer:
        for part in (sheet.oddFooter.left, sheet.oddFooter.center, sheet.oddFooter.right):
            part.text = part.font = part.size = part.color = None
        sheet.oddFooter.left.text, sheet.oddFooter.right.text = PRINT_FOOTER
    if titles:
        sheet.print_title_rows = f"{titles[0]}:{titles[1]}"
    if pages > 1:
        sheet.print_title_cols = "A:A"


def print_item_sheet(sheet, header_row: int) -> None:
    """Give the item sheet (openpyxl) pedro's print setup, its header row
    repeated, unless the assessor chose how it prints (``chosen_print_setup``).
    A footer the sheet has (the assessor's, or LibreOffice's "Page 1") stays,
    and so do its headers and margins."""
    fit = sheet.sheet_properties.pageSetUpPr
    footer = str(sheet.oddFooter) if sheet.oddFooter else ""
    if chosen_print_setup(sheet.page_setup.orientation, sheet.page_setup.scale, bool(fit and fit.fitToPage),
                          bool(sheet.print_title_rows or sheet.print_title_cols), footer):
        return
    margins = sheet.page_margins
    columns = sheet.max_column  # once: it scans the sheet
    widths = {}
    for dimension in sheet.column_dimensions.values():  # a dimension may span columns (min to max)
        if dimension.customWidth and dimension.width:
            for index in range((dimension.min or 1) - 1, min(dimension.max or dimension.min or 1, columns)):
                widths[index] = dimension.width
    set_print(sheet, (header_row, header_row), footer=footer in ("", footer_text()), pages=pages_wide(widths, columns))
    sheet.page_margins = margins


def _colour_answers(sheet, first_column: int, n_items: int, first_row: int, last_row: int, worth: int = 1) -> None:
    """The answers' colours on a block of answers (columns 1-based), each cell worth ``worth`` points
    (``answer_rules``).  Rules, not fills: they follow later edits."""
    from openpyxl.formatting.rule import CellIsRule, FormulaRule
    from openpyxl.styles import PatternFill

    if last_row < first_row:
        return
    first, last = column_letter(first_column - 1), column_letter(first_column + n_items - 2)
    block = f"{first}{first_row}:{last}{last_row}"
    for kind, formula, colour in answer_rules(f"{first}{first_row}", worth):
        fill = PatternFill("solid", fgColor=colour)
        rule = CellIsRule(operator="equal", formula=[formula], fill=fill) if kind == "cellIs" else \
            FormulaRule(formula=[formula], fill=fill)
        sheet.conditional_formatting.add(block, rule)


def clear_marks(sheet) -> None:
    """Remove pedro's findings from the comments of an openpyxl item sheet
    (a comment pedro alone wrote goes, an assessor's keeps its own text), and
    the severity fills of the cells that carried them (a re-run marks afresh)."""
    from openpyxl.styles import PatternFill

    pedro_fills = set(SEVERITY_COLOURS.values())
    for row in sheet.iter_rows():
        for cell in row:
            if cell.comment is None:
                continue
            kept = assessor_part(cell.comment.text or "", cell.comment.author)
            if kept is None:
                continue
            if kept:
                cell.comment.text = kept
            else:
                cell.comment = None
            colour = (cell.fill.fgColor.rgb or "")[-6:] if cell.fill is not None else ""
            if colour in pedro_fills:
                cell.fill = PatternFill(fill_type=None)


def mark_cells(sheet, severities: dict, comments: dict) -> None:
    """Fill cells of an openpyxl item sheet by severity ({cell: severity}) and
    add pedro's findings ({cell: (text, height in pixels)}) to each cell's
    comment: under the assessor's text, or as a comment of pedro's own."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    fills = {severity: PatternFill("solid", fgColor=colour) for severity, colour in SEVERITY_COLOURS.items()}
    for ref, severity in severities.items():
        cell = sheet[ref]
        cell.fill = fills[severity]
        text, height = comments[ref]
        if cell.comment is not None:  # the assessor's (``clear_marks`` took pedro's out): keep author and size
            cell.comment.text = with_findings(cell.comment.text, text)
            continue
        comment = Comment(with_findings(None, text), COMMENT_AUTHOR)
        comment.width, comment.height = MARK_WIDTH, height
        cell.comment = comment
