"""Cell addresses: the one place that turns column numbers into Excel's
letters and back.  Readers, rules and writers all name cells through it."""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """0-based column index of Excel letters ('A' -> 0, 'AB' -> 27)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def cell_address(row_index: int, column_index_: int) -> str:
    """The address of a cell from 0-based row and column indexes ((4, 2) -> 'C5')."""
    return f"{column_letter(column_index_)}{row_index + 1}"


def split_address(address: str) -> tuple[int, int] | None:
    """(row, column), both 1-based, of 'E5' or '$E$5'; None when it is not an address."""
    match = _ADDRESS.match(address)
    if not match:
        return None
    return int(match.group(2)), column_index(match.group(1)) + 1
