"""Appending rows to the sheets pedro writes, fast and text-safe.

``sheet.max_row`` scans every cell of the sheet, so a loop that asks for it
after each append is quadratic; these helpers let callers count rows
themselves.  Every value goes through ``put``, so text that looks like a
formula stays text.
"""

from __future__ import annotations

from .output import put


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
