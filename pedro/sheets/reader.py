"""Read the cell values of a workbook or CSV file into plain grids.

A ``Grid`` is one sheet's values as a list of rows, row 1 / column A first,
exactly as the file holds them (formula cells give their cached value).  Excel
workbooks are read with python-calamine, which reads cached values and is an
order of magnitude faster than openpyxl; openpyxl is used only where the
original workbook must be carried into the output (``pedro.sheets.audited``).

Every failure to read is an ``InputError`` with one sentence saying what is
wrong and what to do.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
OTHER_SPREADSHEET_SUFFIXES = (".xls", ".ods", ".xlsb")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Grid:
    """One sheet's values: ``rows[r][c]`` is Excel row r+1, column c+1."""

    sheet: str
    rows: list[list]

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)


@dataclass
class Book:
    path: Path
    kind: str  # "xlsx", "xlsm", "csv", "xls", "ods", "xlsb"
    sheet_names: list[str]
    _grids: dict

    def grid(self, sheet: str) -> Grid:
        return self._grids[sheet]() if callable(self._grids[sheet]) else self._grids[sheet]

    @property
    def keeps_workbook(self) -> bool:
        """Whether the output can carry the original workbook (formatting and
        all) rather than a copy of its values."""
        return self.kind in ("xlsx", "xlsm")


def open_book(path: str | Path) -> Book:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file; check the name and the folder")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a workbook; give the path of an .xlsx or .csv file")
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None
    if suffix in CSV_SUFFIXES:
        return _open_csv(path)
    if suffix in EXCEL_SUFFIXES:
        if head.startswith(_OLE2_MAGIC):
            raise InputError(
                f"{path} is password-protected (encrypted) or an old .xls saved as {suffix}; "
                "remove the password in Excel (File > Info > Protect Workbook), save as .xlsx, then run again")
        if not zipfile.is_zipfile(path):
            raise InputError(
                f"{path} is not an Excel workbook although it is named {suffix} (it may be a CSV or text "
                "file, or damaged); save it from Excel as .xlsx, or rename a CSV file to .csv")
        return _open_calamine(path, suffix[1:])
    if suffix in OTHER_SPREADSHEET_SUFFIXES:
        return _open_calamine(path, suffix[1:])
    raise InputError(
        f"{path}: pedro reads .xlsx, .xlsm, .xls, .ods and .csv files, not '{suffix or 'no extension'}'; "
        "save the sheet in one of those formats")


def _open_calamine(path: Path, kind: str) -> Book:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(
            f"{path} cannot be read as a {kind} workbook ({_first_line(exc)}); open it in Excel or "
            "LibreOffice and save it again as .xlsx") from None
    if not names:
        raise InputError(f"{path} has no sheets; add the item sheet and save again")

    def loader(name):
        def load() -> Grid:
            try:
                rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:
                raise InputError(f"{path}, sheet '{name}', cannot be read ({_first_line(exc)}); "
                                 "open it in Excel or LibreOffice and save it again as .xlsx") from None
            return Grid(name, [[_plain(v) for v in row] for row in rows])
        return load

    return Book(path, kind, names, {name: _cached(loader(name)) for name in names})


def _cached(load):
    result = []

    def get():
        if not result:
            result.append(load())
        return result[0]
    return get


def _plain(value):
    """Calamine gives '' for empty cells and floats for all numbers."""
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _open_csv(path: Path) -> Book:
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise InputError(f"{path} is an Excel workbook named {path.suffix}; rename it to .xlsx and run again")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    rows = [[cell if cell != "" else None for cell in row]
            for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    return Book(path, "csv", [path.stem], {path.stem: Grid(path.stem, rows)})


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
