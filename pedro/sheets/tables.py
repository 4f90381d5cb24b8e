"""Appending rows to the sheets pedro writes, fast and text-safe.

``sheet.max_row`` scans every cell of the sheet, so a loop that asks for it
after each append is quadratic; these helpers let callers count rows
themselves.  Every value goes through ``put``, so text that looks like a
formula stays text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .output import put

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
