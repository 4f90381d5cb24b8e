"""Read the cell values of a workbook or CSV file into plain grids.

A ``Grid`` is one sheet's values as a list of rows, row 1 / column A first,
exactly as the file holds them (formula cells give their cached value).  Excel
workbooks are read with python-calamine, which reads cached values and is an
order of magnitude faster than openpyxl; openpyxl is used only where the
original workbook must be carried into the output (``pedro.write.audited``).

Every file is untrusted.  Before anything parses a zip-based workbook
(.xlsx, .xlsm, .ods, .xlsb), ``check_package`` refuses one whose parts declare
more than ``MAX_UNPACKED_BYTES`` when unpacked, compress implausibly well, or
unpack to more than they declare (a zip bomb), and one whose XML carries a
document type declaration (the vehicle of "billion laughs" entity bombs, which
workbooks never need); these checks stream with a bounded buffer, so memory
stays small whatever the file claims.

What the values alone do not show (hidden rows and columns, merged cells,
formulas without a saved result) is in ``Grid.merged`` and ``Grid.info``, so
that pedro can say how it read the sheet.  The package check, which unpacks
every part anyway, notes which parts hold any such markup; a sheet that holds
none is not unpacked a second time to look for it.

Every failure to read is an ``InputError`` with one sentence saying what is
wrong and what to do.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import sys
import threading
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from xml.parsers import expat

from ..errors import InputError
from .cells import cell_address, column_index, column_letter, split_address

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
OTHER_SPREADSHEET_SUFFIXES = (".xls", ".ods", ".xlsb")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"

# Limits on what a workbook may unpack to.  A ratings sheet of 60,000 trials
# unpacks to about 50 MB at a ratio near 15; these leave ten times that room.
MAX_UNPACKED_BYTES = 512 * 2**20
MAX_PART_RATIO = 200  # unpacked / packed, for parts over RATIO_FLOOR bytes
RATIO_FLOOR = 2**20
MAX_PARTS = 10_000
MAX_CSV_BYTES = MAX_UNPACKED_BYTES
_SMALL_XML_PART = 4 * 2**20  # parts up to this size are parsed whole for well-formedness
_CHUNK = 2**20
# The packed bytes handed to zlib at a time: a workbook's XML packs 8-12 to 1, so a piece this size unpacks to less
# than _CHUNK and zlib never has to keep an unconsumed tail, which it copies again on every call (the unpacking of
# a 60,000-trial sheet's 53 MB took 100 ms fed 1 MB at a time, 60 ms fed 64 KB, issue 18).
_PACKED_PIECE = 2**16
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
# A table printed with the items as rows has a row per item: its item labels lie near the top.
TRANSPOSED_ROWS = 200


@dataclass(frozen=True)
class SheetInfo:
    """What a sheet's values do not show.  Rows are Excel row numbers (1-based),
    columns 0-based indices as in ``Grid.rows``.  ``checked`` is False when the
    format does not record these (CSV, .xls, .ods) or the markup could not be read."""

    hidden_rows: frozenset = frozenset()
    hidden_columns: frozenset = frozenset()
    formulas_without_value: frozenset = frozenset()  # {(row, column)}
    checked: bool = False


class Grid:
    """One sheet's values: ``rows[r][c]`` is Excel row r+1, column c+1.

    A sheet read by calamine is kept as one table (``cells``, a 2-D object
    array) and ``rows`` are made from it only when asked: scoring reads the
    columns it needs (``columns``) and the first rows (``head``), so the values
    of a large sheet are not copied again into rows that nothing reads.

    ``transposed()`` gives the same sheet with rows and columns swapped (a
    table printed with the items as rows is read as one with the trials as
    rows); ``address``, ``row_name`` and ``column_name`` always name the cells
    of the sheet as it is, whichever way it is read."""

    transposed_view = False  # a view made by ``transposed()`` says True

    def __init__(self, sheet: str, rows: list[list] | None = None, merged: list | None = None,
                 hidden: bool = False, scan=None, *, cells=None):
        self.sheet = sheet
        self.merged = merged if merged is not None else []  # [(r1, c1, r2, c2)], 0-based, inclusive
        self.hidden = hidden  # the sheet itself is hidden
        self._rows = rows
        self._cells = cells  # the values as a table, when the sheet was read as one
        self._scan = scan  # function(modes) -> {formulas: SheetInfo}; see _scan_sheets
        self._scanned: dict = {}

    def __repr__(self) -> str:
        return f"Grid(sheet={self.sheet!r}, {self.height} rows x {self.width} columns)"

    @property
    def rows(self) -> list[list]:
        if self._rows is None:
            self._rows = self._cells.tolist()
        return self._rows

    @property
    def height(self) -> int:
        return len(self._cells) if self._rows is None else len(self._rows)

    @property
    def width(self) -> int:
        if self._rows is None:
            return self._cells.shape[1]
        return max((len(row) for row in self.rows), default=0)

    def head(self, n: int) -> list[list]:
        """The first n rows (as ``rows[:n]``)."""
        return self._cells[:n].tolist() if self._rows is None else self._rows[:n]

    def value(self, row: int, column: int):
        """The value of a 0-based cell, or None outside the sheet."""
        rows = self._rows
        if rows is None:
            inside = 0 <= row < self._cells.shape[0] and 0 <= column < self._cells.shape[1]
            return self._cells[row, column] if inside else None
        return rows[row][column] if row < len(rows) and column < len(rows[row]) else None

    def columns(self, indices, start: int = 0) -> dict:
        """Column index -> that column's values from 0-based row ``start`` on,
        as an object array (None past the end of a short row).  The arrays may
        be views of the grid: read them, do not change them."""
        import numpy as np

        table = self._cells
        if table is None:
            rows = self._rows[start:]
            lengths = set(map(len, rows))
            if len(lengths) == 1 and lengths.pop() > max(indices, default=-1):
                table, start = _table(rows, len(rows), len(rows[0])), 0
            else:
                return {c: np.fromiter([row[c] if c < len(row) else None for row in rows], dtype=object,
                                       count=len(rows)) for c in indices}
        height = max(len(table) - start, 0)
        return {c: table[start:, c] if c < table.shape[1] else np.full(height, None, dtype=object) for c in indices}

    @property
    def info(self) -> SheetInfo:
        """Hidden rows and columns (formulas are not looked at); computed on
        first use from the sheet's XML, then kept."""
        return self._scan_once(False)

    @property
    def formulas_without_value(self) -> frozenset:
        """{(row, column)} of formula cells with no saved result, which read as
        blank; computed on first use, then kept."""
        return self._scan_once(True).formulas_without_value

    def _scan_once(self, formulas: bool) -> SheetInfo:
        if formulas not in self._scanned:
            if self._scan is None:
                self._scanned[formulas] = SheetInfo()
            else:
                # Looking at formulas unpacks the sheet's markup: the plain scan comes with it, not a second unpacking.
                modes = [m for m in ((True, False) if formulas else (False,)) if m not in self._scanned]
                self._scanned.update(self._scan(modes))
        return self._scanned[formulas]

    def merge_at(self, row: int, column: int):
        """The merged range (r1, c1, r2, c2) that covers a 0-based cell, or None."""
        for merged in self.merged:
            r1, c1, r2, c2 = merged
            if r1 <= row <= r2 and c1 <= column <= c2:
                return merged
        return None

    def address(self, row: int, column: int) -> str:
        """The sheet's address of a 0-based cell of this grid ((4, 2) -> 'C5')."""
        return cell_address(row, column)

    def column_name(self, column: int) -> str:
        """How a user finds a 0-based column of this grid in the sheet: 'column C'."""
        return f"column {column_letter(column)}"

    def row_name(self, row: int) -> str:
        """How a user finds a 0-based row of this grid in the sheet: 'row 5'."""
        return f"row {row + 1}"

    def transposed(self) -> "Grid":
        """This sheet read with rows and columns swapped (kept: asked again, the same view)."""
        view = self.__dict__.get("_transposed")
        if view is None:
            view = self.__dict__["_transposed"] = TransposedGrid(self)
        return view


class TransposedGrid(Grid):
    """A sheet read with its rows as columns: row r of the view is column r of
    the sheet.  Merged ranges, hidden rows and columns and formulas are swapped
    with it; addresses and names give the sheet's own cells.  A table printed
    this way has a row per item and a column per trial, so only its first
    ``TRANSPOSED_ROWS`` rows are looked at: anything further down is under the
    table, not in it."""

    transposed_view = True

    def __init__(self, grid: Grid):
        rows = grid.head(TRANSPOSED_ROWS)
        width = max((len(row) for row in rows), default=0)
        columns = [[row[c] if c < len(row) else None for row in rows] for c in range(width)]
        merged = [(c1, r1, c2, r2) for r1, c1, r2, c2 in grid.merged if r1 < TRANSPOSED_ROWS]
        super().__init__(grid.sheet, columns, merged, grid.hidden)
        self.original = grid

    def _scan_once(self, formulas: bool) -> SheetInfo:
        # SheetInfo numbers rows from 1 and columns from 0.
        info = self.original._scan_once(formulas)
        return SheetInfo(hidden_rows=frozenset(c + 1 for c in info.hidden_columns),
                         hidden_columns=frozenset(r - 1 for r in info.hidden_rows),
                         formulas_without_value=frozenset((c + 1, r - 1) for r, c in info.formulas_without_value),
                         checked=info.checked)

    def address(self, row: int, column: int) -> str:
        return cell_address(column, row)

    def column_name(self, column: int) -> str:
        return f"row {column + 1}"

    def row_name(self, row: int) -> str:
        return f"column {column_letter(row)}"

    def transposed(self) -> Grid:
        return self.original


def _python_row(values) -> list:
    """Calamine's values as pedro reads them: '' (an empty cell) is None, a whole number an int.  ``values`` may
    be a whole sheet's, one row after another (``chain.from_iterable(rows)``): one comprehension over 1.6 million
    cells takes half the time of one per row (60,000 trials: 100 against 200 ms, issue 18)."""
    return [None if v == "" else (int(v) if type(v) is float and v.is_integer() else v) for v in values]


def _converted(rows: list[list]):
    """A sheet's rows of calamine's values (all of one length) as pedro's table of cells (``_python_row``)."""
    return _table([_python_row(chain.from_iterable(rows))], len(rows), len(rows[0]))


def _table(rows, height: int, width: int):
    """``height`` rows of ``width`` values as a 2-D object array, filled row by
    row (the order in which the values lie in memory, which is what makes it
    fast); ``rows`` may be an iterator."""
    import numpy as np

    return np.fromiter(chain.from_iterable(rows), dtype=object, count=height * width).reshape(height, width)


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
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None
    if size == 0:
        raise InputError(f"{path} is empty (0 bytes); save the ratings into it again, or give another file")
    if suffix in CSV_SUFFIXES:
        return _open_csv(path, size)
    if suffix not in EXCEL_SUFFIXES + OTHER_SPREADSHEET_SUFFIXES:
        raise InputError(
            f"{path}: pedro reads .xlsx, .xlsm, .xls, .ods and .csv files, not '{suffix or 'no extension'}'; "
            "save the sheet in one of those formats")
    if head.startswith(_OLE2_MAGIC):
        return _open_ole2(path, suffix)
    if head.startswith(_ZIP_MAGIC):
        actual, markers = _check_package(path)
        if actual != _family(suffix):
            raise InputError(_misnamed(path, actual))
        return _open_calamine(path, suffix[1:], markers)
    if suffix == ".xls":
        raise InputError(
            f"{path} is not an Excel 97-2003 workbook although it is named .xls (it may be a web page, XML or "
            "text file saved under that name); open it in Excel or LibreOffice and save it as .xlsx")
    if _looks_like_text(path):
        raise InputError(
            f"{path} is a text (perhaps CSV) file, not a workbook, although it is named {suffix}; "
            "rename a CSV file to .csv, or save it from Excel as .xlsx")
    raise InputError(
        f"{path} is not a {suffix} workbook (its contents are not a spreadsheet, or it is damaged); "
        "open it in Excel or LibreOffice and save it as .xlsx")


def _family(suffix: str) -> str:
    return {".xlsx": "xlsx", ".xlsm": "xlsx", ".xlsb": "xlsb", ".ods": "ods", ".xls": "xls"}[suffix]


def _misnamed(path: Path, actual: str) -> str:
    if actual == "zip":
        return (f"{path} is a zip file without a workbook in it (not an Excel or OpenDocument spreadsheet); "
                "give the workbook itself, saved from Excel as .xlsx")
    right = {"xlsx": ".xlsx", "xlsb": ".xlsb", "ods": ".ods"}[actual]
    return f"{path} is an {right} workbook named {path.suffix}; rename it to {path.stem}{right} and run again"


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as handle:
        sample = handle.read(4096)
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the sample is still text
        return exc.start >= len(sample) - 3
    return True


# ---------------------------------------------------------------------------
# Zip-based workbooks: the package check
# ---------------------------------------------------------------------------

def check_package(path: Path) -> str:
    """Refuse a zip that is damaged, a zip bomb, or carries an XML entity bomb;
    return what it holds: "xlsx" (also .xlsm), "xlsb", "ods" or "zip"."""
    return _check_package(path)[0]


def _check_package(path: Path) -> tuple[str, dict]:
    """``check_package``, and for each part the ``_Markers`` seen while it was
    unpacked (so that a sheet without hidden rows or formulas is not unpacked
    again to look for them)."""
    entries = _declared_entry_count(path)
    if entries > MAX_PARTS:
        raise InputError(
            f"{path} declares {entries:,} parts, more than any workbook needs (pedro's limit is {MAX_PARTS:,}); "
            "it is damaged or built to exhaust memory, and pedro refuses it: check where it came from")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise InputError(
            f"{path} is damaged: it is not a complete zip package ({_first_line(exc)}), perhaps truncated by "
            "a copy or download; open it in Excel (which may repair it) and save it again, or get a fresh copy"
        ) from None
    with archive:
        infos = archive.infolist()
        _check_declared_sizes(path, infos)
        markers = {info.filename: _check_part(path, archive, info) for info in infos}
        names = {info.filename for info in infos}
        if "xl/workbook.xml" in names:
            return "xlsx", markers
        if "xl/workbook.bin" in names:
            return "xlsb", markers
        if "mimetype" in names and archive.read("mimetype").strip() == _ODS_MIME:
            return "ods", markers
        return "zip", markers


def _declared_entry_count(path: Path) -> int:
    """The number of parts the zip's end record declares, read before
    ``zipfile`` builds a record for each of them."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 65557))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return 0  # zipfile reports the damage
    entries = struct.unpack("<H", tail[at + 10:at + 12])[0]
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if entries == 0xFFFF and locator >= 0 and locator + 20 <= len(tail):
        offset = struct.unpack("<Q", tail[locator + 8:locator + 16])[0]
        with path.open("rb") as handle:
            handle.seek(offset)
            record = handle.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            entries = struct.unpack("<Q", record[32:40])[0]
    return entries


def _check_declared_sizes(path: Path, infos) -> None:
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise InputError(
            f"{path} declares {_size(total)} of content when unpacked, more than pedro's limit of "
            f"{_size(MAX_UNPACKED_BYTES)} for a ratings workbook; it is either not a ratings sheet or a zip bomb, "
            "and pedro refuses it without unpacking it: check where it came from")
    for info in infos:
        if info.flag_bits & 0x1:
            raise InputError(
                f"{path} has encrypted parts ({info.filename}); remove the password in Excel "
                "(File > Info > Protect Workbook), save, then run again")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(
                f"{path}: part {info.filename} uses a compression method workbooks do not use "
                f"({info.compress_type}); open it in Excel or LibreOffice and save it again as .xlsx")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_PART_RATIO * max(info.compress_size, 1):
            raise InputError(
                f"{path}: part {info.filename} declares {_size(info.file_size)} packed into "
                f"{_size(info.compress_size)}, a ratio no real workbook has (a zip bomb); pedro refuses it "
                "without unpacking it: check where the file came from")


def _check_part(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Markers:
    """Unpack one part through a bounded buffer: it must unpack to exactly its
    declared size and checksum, and an XML part must have no DTD.  Returns the
    markers seen in it."""
    markers = _Markers()
    try:
        actual, crc, head = _inflate_bounded(archive, info, markers.feed)
    except (zlib.error, OSError, EOFError, struct.error) as exc:
        raise InputError(
            f"{path} is damaged: part {info.filename} cannot be unpacked ({_first_line(exc)}); open it in Excel "
            "(which may repair it) and save it again, or get a fresh copy") from None
    if actual > info.file_size:
        raise InputError(
            f"{path}: part {info.filename} unpacks to more than the {_size(info.file_size)} it declares, which "
            "only a damaged file or a zip bomb does; pedro stopped unpacking it and refuses the file: check where "
            "it came from")
    if actual != info.file_size or crc != info.CRC:
        raise InputError(
            f"{path} is damaged: part {info.filename} fails its checksum (truncated or corrupted); open it in "
            "Excel (which may repair it) and save it again, or get a fresh copy")
    if _is_xml_part(info.filename, head):
        _check_xml(path, archive, info)
        markers.control = markers.control or not _declares_utf8(head)
    else:
        markers.control = True  # not markup: what its bytes stand for is unknown here
    return markers


class _Markers:
    """Whether a part's text could mark a hidden row or column (``hidden=``) or
    a formula (``f`` then a space, ``/`` or ``>``, as ``<f>`` and ``<x:f/>``
    end).  A part without either cannot have them, so ``_scan_sheets`` need
    not unpack it again; a part with them is scanned exactly.  And whether it
    could hold a character no workbook can store (``control``, see
    ``_may_hold_control``): a sheet read from parts without one needs no
    search of its values for one (``_free_of_control``)."""

    def __init__(self):
        self.hidden = False
        self.formula = False
        self.control = False
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        # A marker cut between two chunks is in the window of their ends.
        window = self._tail + chunk[:16]
        self.hidden = self.hidden or _marked(window, _HIDDEN_HINT) or _marked(chunk, _HIDDEN_HINT)
        self.formula = self.formula or _marked(window, _FORMULA_HINT) or _marked(chunk, _FORMULA_HINT)
        self.control = self.control or _may_hold_control(window) or _may_hold_control(chunk)
        self._tail = chunk[-16:] if len(chunk) >= 16 else (self._tail + chunk)[-16:]


_HIDDEN_HINT = re.compile(rb"hidden=")
_FORMULA_HINT = re.compile(rb"f[\s/>]")
# How many occurrences of a marker's first byte ``_marked`` tries one by one before it searches the rest.
_FEW_OCCURRENCES = 64


def _marked(data: bytes, marker: re.Pattern) -> bool:
    """Whether ``marker`` (a pattern whose first byte is a literal) occurs in ``data``.  A sheet's markup
    seldom has the marker's first byte ("h" of ``hidden=``, "f" of a formula's tag) outside text, and memchr
    finds it at memory speed: the markers of the 53 MB of a 60,000-trial sheet took 45 ms searched for
    themselves, and take under 1 ms this way (issue 18).  Where the byte is common (text in the markup),
    the rest is searched for the marker."""
    first = marker.pattern[:1]
    at = data.find(first)
    for _ in range(_FEW_OCCURRENCES):
        if at < 0:
            return False
        if marker.match(data, at):
            return True
        at = data.find(first, at + 1)
    return at >= 0 and marker.search(data, at) is not None


_CHARACTER_REFERENCE = re.compile(rb"&#")
_EXCEL_ESCAPE = re.compile(rb"_[xX]")


def _may_hold_control(data: bytes) -> bool:
    """Whether text read from ``data`` (UTF-8 markup: see ``_declares_utf8``) could hold a character
    ``_CONTROL`` matches: its byte itself, a character reference (``&#1;``) or an Excel escape (``_x0001_``)
    that may stand for one, or U+FFFE or U+FFFF.  Byte searches at C speed: 35-40 ms over the 53 MB of a
    60,000-trial sheet, nearly all of it ``bytes.translate``."""
    return (bool(data.translate(None, _NOT_CONTROL_BYTES)) or _marked(data, _CHARACTER_REFERENCE)
            or _marked(data, _EXCEL_ESCAPE)
            or (not data.isascii() and (b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data)))


_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")


def _declares_utf8(head: bytes) -> bool:
    """Whether an XML part whose first bytes are ``head`` is UTF-8: no byte order mark of UTF-16 and no
    other encoding named in its declaration (XML's default is UTF-8)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    found = _ENCODING.match(head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n"))
    return found is None or found.group(1).strip().lower() in (b"utf-8", b"utf8")


def _inflate_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sink=None) -> tuple[int, int, bytes]:
    """(bytes unpacked, their CRC-32, the first bytes) for one part, reading the
    raw stream so that a part longer than declared is noticed rather than cut
    off, and never unpacking more than one byte beyond the declared size.
    ``sink``, if given, is handed each piece unpacked."""
    handle = archive.fp
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != _ZIP_MAGIC:
        raise OSError("bad local header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    remaining_in = info.compress_size
    allowed = info.file_size + 1
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced, crc, head = 0, 0, b""
    while produced < allowed:
        if inflater is not None and inflater.unconsumed_tail:
            pending = inflater.unconsumed_tail
        elif remaining_in > 0:
            pending = handle.read(min(_PACKED_PIECE, remaining_in))
            if not pending:
                raise EOFError("the part ends early")
            remaining_in -= len(pending)
        elif inflater is not None and not inflater.eof:
            out = inflater.flush()  # all input is in: at most a window (32 KB) is left
            produced += len(out)
            crc = zlib.crc32(out, crc)
            if sink is not None:
                sink(out)
            break
        else:
            break
        if inflater is None:
            out = pending[:allowed - produced]
        else:
            out = inflater.decompress(pending, min(_CHUNK, allowed - produced))
        produced += len(out)
        crc = zlib.crc32(out, crc)
        if sink is not None:
            sink(out)
        if len(head) < 4096:
            head += out[:4096 - len(head)]
        if inflater is not None and inflater.eof:
            break
    return produced, crc, head


def _is_xml_part(name: str, head: bytes) -> bool:
    if name.lower().endswith((".xml", ".rels", ".vml")):
        return True
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped.startswith(b"<?xml") or stripped.startswith(b"\xff\xfe<") or stripped.startswith(b"\xfe\xff")


class _RootReached(Exception):
    pass


class _Forbidden(Exception):
    """A document type, entity declaration or external entity in a part."""


def _forbid(*_):
    raise _Forbidden


def _check_xml(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """No DTD (so no entity can be declared, let alone expanded); small parts
    are also parsed whole, so that malformed XML is reported here rather than
    by whichever library meets it first.  Large parts (sheets, shared strings)
    are parsed by calamine, which reports malformed XML itself.

    expat is driven directly, with the handlers that refuse a DTD and entities
    (as defusedxml's parser sets them) and namespaces on (as ElementTree's
    parser does), but without a Python call per element: a workbook's shared
    strings have hundreds of thousands of them."""
    whole = info.file_size <= _SMALL_XML_PART
    parser = expat.ParserCreate(None, "}")
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    if not whole:
        parser.StartElementHandler = _root_reached
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(65536)
                if not chunk:
                    break
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _RootReached:
        return
    except _Forbidden:
        raise InputError(
            f"{path}: part {info.filename} declares a document type or XML entities, which workbooks never need "
            "and which are the means of an 'entity expansion' (billion laughs) attack; pedro refuses the file "
            "without expanding them: open it in Excel and save it again if you trust it") from None
    except (expat.ExpatError, zipfile.BadZipFile, ValueError, UnicodeError,
            LookupError) as exc:  # LookupError: an encoding Python does not know
        raise InputError(
            f"{path} is damaged: part {info.filename} is not well-formed XML ({_first_line(exc)}); open it in "
            "Excel (which may repair it) and save it again") from None


def _root_reached(*_):
    raise _RootReached


def _size(n: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


# ---------------------------------------------------------------------------
# OLE2 files: old .xls, or an encrypted (password-protected) workbook
# ---------------------------------------------------------------------------

def _open_ole2(path: Path, suffix: str) -> Book:
    if _is_encrypted_ole2(path):
        raise InputError(
            f"{path} is password-protected (encrypted), so pedro cannot read it; remove the password in Excel "
            "(File > Info > Protect Workbook > Encrypt with Password, clear it), save, then run again")
    if suffix != ".xls":
        raise InputError(
            f"{path} is an old-format Excel 97-2003 workbook named {suffix}; rename it to {path.stem}.xls "
            "(pedro reads it) or save it from Excel as .xlsx, then run again")
    return _open_calamine(path, "xls")


def _is_encrypted_ole2(path: Path) -> bool:
    """An encrypted .xlsx is an OLE2 file holding the streams EncryptionInfo and
    EncryptedPackage; their names are in the directory, in UTF-16."""
    marker = "EncryptedPackage".encode("utf-16-le")
    with path.open("rb") as handle:
        previous = b""
        while True:
            block = handle.read(_CHUNK)
            if not block:
                return False
            if marker in previous[-len(marker):] + block:
                return True
            previous = block


# ---------------------------------------------------------------------------
# Reading values with calamine
# ---------------------------------------------------------------------------

def _open_calamine(path: Path, kind: str, markers: dict | None = None) -> Book:
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
        hidden = {meta.name for meta in workbook.sheets_metadata if str(meta.visible).rpartition(".")[2] != "Visible"}
    except PasswordError:
        raise InputError(
            f"{path} is password-protected (encrypted), so pedro cannot read it; remove the password in Excel "
            "(File > Info > Protect Workbook), save, then run again") from None
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(
            f"{path} cannot be read as a {kind} workbook ({_first_line(exc)}); open it in Excel or "
            "LibreOffice and save it again as .xlsx") from None
    if not names:
        raise InputError(f"{path} has no sheets; add the item sheet and save again")
    parts, strings = _sheet_parts(path) if kind in ("xlsx", "xlsm") else ({}, [])

    def loader(name):
        def load() -> Grid:
            _import_numpy_beside_the_parse()
            try:
                sheet = workbook.get_sheet_by_name(name)
                rows = sheet.to_python(skip_empty_area=False)
                ranges = getattr(sheet, "merged_cell_ranges", None) or []  # python-calamine 0.4 and later
                merged = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in ranges]
                # calamine's own copy of the cells (50 MB at 60,000 trials) goes before pedro's is made, not
                # after: the peak of the whole run was here (issue 18).
                del sheet, ranges
            except Exception as exc:
                raise InputError(f"{path}, sheet '{name}', cannot be read ({_first_line(exc)}); "
                                 "open it in Excel or LibreOffice and save it again as .xlsx") from None
            scan = (lambda modes: _scan_sheets(path, parts[name], modes, (markers or {}).get(parts[name]))
                    ) if name in parts else None
            if name not in parts or not _free_of_control(markers, [parts[name], *strings]):
                _refuse_control_characters(path, name, rows)
            # Calamine gives '' for empty cells and floats for all numbers; Grid reads them as None and ints.
            if rows and rows[0] and len(set(map(len, rows))) == 1:
                cells = _converted(rows)
                return Grid(name, None, merged, name in hidden, scan, cells=cells)
            return Grid(name, [_python_row(row) for row in rows], merged, name in hidden, scan)
        return load

    return Book(path, kind, names, {name: _cached(loader(name)) for name in names})


def _import_numpy_beside_the_parse() -> None:
    """Start importing numpy, which pedro's table of the cells needs next, in a thread: calamine releases the
    GIL while it parses, and the import (65-75 ms) then runs beside the parse instead of after it (issue 18).
    Not a daemon, so the interpreter never exits in the middle of the import."""
    if "numpy" not in sys.modules:
        threading.Thread(target=_import_numpy, name="pedro-import-numpy").start()


def _import_numpy() -> None:
    import numpy  # noqa: F401
    import numpy.ma  # noqa: F401 - np.unique imports it to ask whether an array is masked (15 ms, in the rules)


def _cached(load):
    result = []

    def get():
        if not result:
            result.append(load())
        return result[0]
    return get


# ---------------------------------------------------------------------------
# What the values do not show: hidden rows and columns, formulas without a value
# ---------------------------------------------------------------------------

def _sheet_parts(path: Path) -> tuple[dict[str, str], list[str]]:
    """Sheet name -> the zip part of its XML, from the workbook and its relationships; and the parts the
    sheets' shared strings may be read from: the one the relationships name, and any other named like it."""
    from defusedxml.ElementTree import fromstring

    try:
        with zipfile.ZipFile(path) as archive:
            workbook = fromstring(archive.read("xl/workbook.xml"))
            relations = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            names = set(archive.namelist())
    except Exception:  # the values were read; without the map pedro just cannot say more
        return {}, []
    targets, strings = {}, {n for n in names if n.rpartition("/")[2].lower().startswith("sharedstrings")}
    for relation in relations.iter():
        if relation.tag.endswith("Relationship") and relation.get("Id") and relation.get("Target"):
            target = relation.get("Target").lstrip("/")
            targets[relation.get("Id")] = target if target.startswith("xl/") else f"xl/{target}"
            if (relation.get("Type") or "").endswith("/sharedStrings"):
                strings.add(targets[relation.get("Id")])
    parts = {}
    for sheet in workbook.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rid)
        if sheet.get("name") is not None and target in names:
            parts[sheet.get("name")] = target
    return parts, sorted(strings)


def _free_of_control(markers: dict | None, parts: list) -> bool:
    """Whether the package check saw that none of ``parts`` (a sheet's and its shared strings': the parts
    calamine reads a sheet's values from) could hold a character no workbook can store
    (``_Markers.control``): then none of the sheet's values can, and they need not be searched one by one
    (0.10-0.19 s at 60,000 trials, issue 18).  False where a part is unknown or was not checked."""
    return markers is not None and all(part in markers and not markers[part].control for part in parts)


_MARKERS = re.compile(rb"hidden=|<(?:[\w.-]+:)?f[\s/>]")
_PLAIN_FORMULA = re.compile(rb"<f[\s/>]")
_PREFIXED_FORMULA_HINT = re.compile(rb":f[\s/>]")
_ROOT = re.compile(rb"<([\w.-]+:)?worksheet[\s>]")
_CELL_START = re.compile(rb"<c(\s[^>]*)?>")
_CELL_REF_ATTRIBUTE = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
_VALUE_TEXT = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v>")
_ROW_OR_COL = re.compile(rb"<(row|col)(\s[^>]*)?/?>")
_HIDDEN = re.compile(rb"""\shidden\s*=\s*["'](?:1|true)["']""")
_ATTRIBUTE = re.compile(rb"""\s([\w:.-]+)\s*=\s*["']([^"']*)["']""")
_TAG_END = (b" ", b">", b"/", b"\t", b"\n", b"\r")


class _Unusual(Exception):
    """Markup the quick patterns do not cover; the sheet is parsed instead."""


def _scan_sheets(path: Path, part: str, modes, markers: _Markers | None = None) -> dict[bool, SheetInfo]:
    """Hidden rows and columns, and (in the mode ``formulas`` True) formula
    cells with no saved value, for each mode asked: the part is unpacked at
    most once, and not at all when the ``markers`` seen by the package check
    show it has no such markup.  The part has passed ``check_package`` (its
    size is bounded and it has no DTD).  A sheet without such markup is done
    in a few searches; SpreadsheetML as Excel, LibreOffice and openpyxl write
    it is read with plain searches; anything else (namespace prefixes, CDATA,
    comments) is parsed with expat."""
    result = {}
    if markers is not None:
        result = {formulas: SheetInfo(checked=True) for formulas in modes
                  if not (markers.hidden or (formulas and markers.formula))}
    todo = [formulas for formulas in modes if formulas not in result]
    if todo:
        try:
            with zipfile.ZipFile(path) as archive:
                data = archive.read(part)
        except Exception:  # calamine read the values; the sheet's markup just cannot tell more
            data = None
        result.update({formulas: _scan_markup(data, formulas) if data is not None else SheetInfo()
                       for formulas in todo})
    return result


def _scan_markup(data: bytes, formulas: bool) -> SheetInfo:
    try:
        if not _has_markers(data, formulas):
            return SheetInfo(checked=True)
        try:
            hidden_rows, hidden_columns, bare = _scan_plain(data, formulas)
        except _Unusual:
            marks = _SheetMarks()
            marks.parser().Parse(data, True)
            hidden_rows, hidden_columns, bare = marks.hidden_rows, marks.hidden_columns, marks.bare_formulas
    except Exception:  # calamine read the values; the sheet's markup just cannot tell more
        return SheetInfo()
    return SheetInfo(frozenset(hidden_rows), frozenset(hidden_columns), frozenset(bare), checked=True)


def _has_markers(data: bytes, formulas: bool) -> bool:
    """Whether ``_MARKERS`` (without formulas: ``hidden=``) occurs in
    the data, in searches that each start from a literal and so run at C
    speed (the one pattern with its alternation goes byte by byte, 40 times
    slower on a large sheet)."""
    if b"hidden=" in data:
        return True
    if not formulas:
        return False
    if _PLAIN_FORMULA.search(data):
        return True
    return _PREFIXED_FORMULA_HINT.search(data) is not None and _MARKERS.search(data) is not None


def _scan_plain(data: bytes, formulas: bool):
    root = _ROOT.search(data, 0, 65536)
    if root is None or root.group(1) or b"<![CDATA[" in data or b"<!--" in data:
        raise _Unusual
    hidden_rows, hidden_columns, bare = set(), set(), set()
    at = data.find(b"hidden=")
    while at >= 0:
        tag = _ROW_OR_COL.match(data, data.rfind(b"<", 0, at))
        if tag is not None and tag.end() > at and _HIDDEN.search(tag.group(2) or b""):
            values = {k.decode(): v.decode() for k, v in _ATTRIBUTE.findall(tag.group(2))}
            try:
                if tag.group(1) == b"row":
                    hidden_rows.add(int(values["r"]))
                else:
                    low, high = int(values["min"]), int(values["max"])
                    hidden_columns.update(range(max(low, 1) - 1, min(high, 16384)))
            except (KeyError, ValueError):
                raise _Unusual from None
        at = data.find(b"hidden=", at + 7)
    at = data.find(b"<f") if formulas else -1
    while at >= 0:
        if data[at + 2:at + 3] in _TAG_END:
            # In SpreadsheetML <f> is the first child of <c>: the tag just before it is the cell's.
            cell = _CELL_START.match(data, data.rfind(b"<", 0, at))
            ref = _CELL_REF_ATTRIBUTE.search(cell.group(1) or b"") if cell else None
            end = data.find(b"</c>", at)
            if ref is None or end < 0:
                raise _Unusual
            value = data.find(b"<v", at, end)
            text = _VALUE_TEXT.match(data, value) if value >= 0 else None
            if text is None or not text.group(1).strip():
                bare.add((int(ref.group(2)), column_index(ref.group(1).decode())))
        at = data.find(b"<f", at + 2)
    return hidden_rows, hidden_columns, bare


class _SheetMarks:
    """Collects hidden rows/columns and formulas with no <v> in one expat pass.
    The part has passed ``check_package`` (no DTD), and the parser refuses a
    DTD anyway, so no entity can be declared or expanded."""

    def __init__(self):
        self.hidden_rows: set[int] = set()
        self.hidden_columns: set[int] = set()
        self.bare_formulas: set[tuple[int, int]] = set()
        self._row = 0
        self._column = -1
        self._formula = False
        self._value = False
        self._in_value = False

    def parser(self):
        parser = expat.ParserCreate()
        parser.StartDoctypeDeclHandler = _refuse_dtd
        parser.EntityDeclHandler = _refuse_dtd
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        parser.buffer_text = True
        return parser

    def start(self, tag, attrib):
        local = tag.rpartition(":")[2]
        if local == "c":
            address = split_address(attrib.get("r", ""))
            if address:
                self._row, column = address
                self._column = column - 1
            else:
                self._column += 1
            self._formula = self._value = False
        elif local == "f":
            self._formula = True
        elif local == "v":
            self._in_value = True
        elif local == "row":
            number = attrib.get("r", "")
            self._row = int(number) if number.isdigit() else self._row + 1
            self._column = -1
            if attrib.get("hidden") in ("1", "true"):
                self.hidden_rows.add(self._row)
        elif local == "col" and attrib.get("hidden") in ("1", "true"):
            try:
                low, high = int(attrib.get("min", "0")), int(attrib.get("max", "0"))
            except ValueError:
                return
            self.hidden_columns.update(range(max(low, 1) - 1, min(high, 16384)))

    def data(self, text):
        if self._in_value and text.strip():
            self._value = True

    def end(self, tag):
        local = tag.rpartition(":")[2]
        if local == "v":
            self._in_value = False
        elif local == "c" and self._formula and not self._value:
            self.bare_formulas.add((self._row, self._column))


def _refuse_dtd(*_):
    raise ValueError("a document type declaration in a sheet")


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

def _open_csv(path: Path, size: int) -> Book:
    if size > MAX_CSV_BYTES:
        raise InputError(
            f"{path} is {_size(size)}, more than pedro's limit of {_size(MAX_CSV_BYTES)} for a ratings sheet; "
            "split it or check that it is the right file")
    data = path.read_bytes()
    if data.startswith(_ZIP_MAGIC):
        raise InputError(f"{path} is an Excel workbook named {path.suffix}; rename it to .xlsx and run again")
    if data.startswith(_OLE2_MAGIC):
        raise InputError(f"{path} is an old-format Excel workbook named {path.suffix}; rename it to .xls and "
                         "run again")
    text = _decode(data)
    if text is None or "\x00" in text:
        raise InputError(
            f"{path} is not a text file (it holds binary data), so it cannot be a CSV sheet; give the CSV or "
            "Excel file with the ratings")
    dialect = _csv_dialect(text[:_CSV_SAMPLE], path.suffix.lower())
    try:
        rows = [[cell if cell != "" else None for cell in row]
                for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as exc:
        raise InputError(
            f"{path} cannot be read as CSV ({_first_line(exc)}); open it in Excel or LibreOffice and save it "
            "again as .csv or .xlsx") from None
    _refuse_control_characters(path, path.stem, rows)
    return Book(path, "csv", [path.stem], {path.stem: Grid(path.stem, rows)})


_CSV_SAMPLE = 65536
_CSV_DELIMITERS = (",", ";", "\t", "|")


def _csv_dialect(sample: str, suffix: str) -> type[csv.Dialect]:
    """The dialect of a CSV sheet: the delimiter that splits the most lines into one same number of fields.

    ``csv.Sniffer`` wants the delimiter on (nearly) every line, so one note line under the table
    ("Source: own ratings", "Y = yes, N = no") made it give up or take the comma of a note or of a decimal
    comma in a semicolon file (the Excel export of European locales).  Counting fields is indifferent to
    the few lines that are not the table, and a table's header and rows agree on their width.
    """
    if len(sample) == _CSV_SAMPLE and "\n" in sample:
        sample = sample[:sample.rindex("\n")]  # the last line may be cut short
    preferred = "\t" if suffix == ".tsv" else ","
    best, best_score = preferred, (0, 0, True)
    for delimiter in _CSV_DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        widths = Counter(len(row) for row in rows if len(row) > 1 and any(cell.strip() for cell in row))
        if not widths:
            continue
        width = max(widths, key=lambda w: (widths[w], w))
        score = (widths[width], width, delimiter == preferred)
        if score > best_score:
            best, best_score = delimiter, score
    first = next((line for line in sample.splitlines() if line.strip()), "")

    class Dialect(csv.excel):
        delimiter = best
        # "Study, 1, 2": cells written after a space, as the Sniffer also recognised.
        skipinitialspace = first.count(best) > 0 and first.count(best) == first.count(best + " ")

    return Dialect


# Characters XML 1.0 (so no workbook) can hold: pedro could not carry them into its output.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if not _CONTROL.match(chr(b)))


def _refuse_control_characters(path: Path, sheet: str, rows: list[list]) -> None:
    # In UTF-8 the control characters are bytes below 0x20 (no other character has one), so one
    # C-speed pass over the encoded text settles it; only a sheet that has one is searched cell by cell.
    # Each distinct value is looked at once: a sheet repeats its answers, methods and quotes (issue 18).
    distinct = set()
    for row in rows:
        distinct.update(row)  # calamine's values (text, numbers, dates, bools) are all hashable
    text = "\n".join([value for value in distinct if type(value) is str])
    encoded = text.encode("utf-8", "surrogatepass")
    if not encoded.translate(None, _NOT_CONTROL_BYTES) and "\ufffe" not in text and "\uffff" not in text:
        return
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            found = _CONTROL.search(value) if type(value) is str else None
            if found:
                raise InputError(
                    f"{path}, sheet '{sheet}', cell {cell_address(r, c)} holds an invisible control "
                    f"character (U+{ord(found.group()):04X}) that no workbook can store; delete it from the cell "
                    "and run again")


def _decode(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" is UTF-16
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
