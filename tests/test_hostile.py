"""Unusable and hostile files (issue 5, points 1 and 2): each is refused with
exit status 2 and one sentence saying what is wrong and what to do, with no
traceback and no output file; bombs are refused without being expanded, in
seconds and a bounded amount of memory; macros are kept and never run; text
that looks like a formula is written as text."""

from __future__ import annotations

import random
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pedro.cli import main
from pedro.engine import score_file
from pedro.errors import InputError
from pedro.sheets import reader
from pedro.write.audited import write_audited
from pedro.write.files import csv_safe

from conftest import item_sheet, write_csv, write_xlsx

ANSWERS = {"Smith 2010": "YYYNYNNYYYY", "Jones 2012": "YYNYNNYYNYY"}
# Billion laughs: ten levels of ten references, 10^9 'lol's if expanded.
LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "' + (f"&lol{i - 1};" if i > 1 else "&lol;") * 10 + '">' for i in range(1, 10))
          + "]>")
MAX_SECONDS = 10
MAX_RSS_MB = 400


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result, *phrases, folder: Path | None = None):
    """Exit 2, one sentence on one line, no traceback, nothing written."""
    assert result.exit_code == 2, result.output
    text = result.output.strip()
    assert "Traceback" not in text and "internal error" not in text, text
    assert len(text.splitlines()) == 1, text
    for phrase in phrases:
        assert phrase in text, text
    if folder is not None:
        assert not [p for p in folder.iterdir() if ".audited" in p.name or p.name.endswith(".tmp")]
    return text


@pytest.fixture
def sheet(tmp_path) -> Path:
    return write_xlsx(tmp_path / "ratings.xlsx", item_sheet(ANSWERS, ["Total"], {"Smith 2010": [7],
                                                                              "Jones 2012": [6]}))


def rezip(source: Path, target: Path, change) -> Path:
    """A copy of a workbook with ``change(name, data) -> data or None`` applied to each part."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info.filename, data)
    return target


def raw_zip(path: Path, parts: list[tuple[str, bytes, int, int, int]]) -> Path:
    """A zip written byte by byte: (name, stored data, method, declared size, crc)
    per part, so that a test can declare sizes the data does not have."""
    local, central, offset = b"", b"", 0
    for name, data, method, size, crc in parts:
        encoded = name.encode()
        header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size,
                             len(encoded), 0) + encoded
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(data),
                               size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
        local += header + data
        offset += len(header) + len(data)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(central), offset, 0)
    path.write_bytes(local + central + end)
    return path


def deflated_repeats(block: bytes, count: int) -> bytes:
    """A raw deflate stream of ``block`` repeated ``count`` times, built in
    milliseconds: after a full flush each block compresses to the same bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * (count - 1) + compressor.flush(zlib.Z_FINISH)


def workbook_parts(source: Path) -> list[tuple[str, bytes, int, int, int]]:
    with zipfile.ZipFile(source) as archive:
        return [(i.filename, zlib.compress(archive.read(i.filename), 9)[2:-4], 8, i.file_size, i.CRC)
                for i in archive.infolist()]


def measured(path: Path, *args) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run `pedro score` in a fresh process: (result, seconds, peak RSS in MB)."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked copy of this (large) test
    # process, so it would report pytest's own size; VmHWM belongs to the new program alone.
    code = ("import atexit, sys\n"
            "def peak():\n"
            "    with open('/proc/self/status') as status:\n"
            "        kb = next(line.split()[1] for line in status if line.startswith('VmHWM:'))\n"
            "    sys.stderr.write(f'\\nPEAK_RSS_KB {kb}\\n')\n"
            "atexit.register(peak)\n"
            "from pedro.cli import main\n"
            "main()\n")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code, "score", str(path), *args], capture_output=True, text=True,
                          timeout=120)
    seconds = time.monotonic() - start
    peak = int(done.stderr.rsplit("PEAK_RSS_KB", 1)[1].split()[0]) / 1024
    return done, seconds, peak


# ---------------------------------------------------------------------------
# 1. Unusable files: exit 2, one sentence, no output
# ---------------------------------------------------------------------------

def test_missing_file(tmp_path):
    refused(run("score", tmp_path / "nope.xlsx"), "no such file", folder=tmp_path)


def test_directory(tmp_path):
    (tmp_path / "folder.xlsx").mkdir()
    refused(run("score", tmp_path / "folder.xlsx"), "folder", folder=tmp_path)  # pedro score reads folders of sheets
    with pytest.raises(InputError, match="is a folder, not a workbook"):
        reader.open_book(tmp_path / "folder.xlsx")


def test_empty_file(tmp_path):
    (tmp_path / "empty.xlsx").write_bytes(b"")
    refused(run("score", tmp_path / "empty.xlsx"), "is empty (0 bytes)", folder=tmp_path)


@pytest.mark.parametrize("content", ["Study,1,2\nSmith,Y,N\n", "just some notes\nabout trials\n"])
def test_text_or_csv_named_xlsx(tmp_path, content):
    path = tmp_path / "ratings.xlsx"
    path.write_text(content)
    refused(run("score", path), "is a text (perhaps CSV) file", "rename a CSV file to .csv", folder=tmp_path)


def test_binary_junk_named_xlsx(tmp_path):
    path = tmp_path / "ratings.xlsx"
    path.write_bytes(bytes(range(256)) * 8)
    refused(run("score", path), "is not a .xlsx workbook", folder=tmp_path)


def test_truncated_zip(tmp_path, sheet):
    data = sheet.read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    refused(run("score", tmp_path / "cut.xlsx"), "is damaged", "perhaps truncated", folder=tmp_path)


def test_corrupt_zip_fails_its_checksum(tmp_path, sheet):
    parts = workbook_parts(sheet)
    name, data, method, size, crc = next(p for p in parts if p[0] == "xl/worksheets/sheet1.xml")
    parts = [p if p[0] != name else (name, data, method, size, crc ^ 0xFFFF) for p in parts]
    refused(run("score", raw_zip(tmp_path / "bad.xlsx", parts)), "is damaged", "checksum", folder=tmp_path)


def test_corrupt_deflate_data(tmp_path, sheet):
    parts = workbook_parts(sheet)
    parts = [(n, (d[:10] + bytes(b ^ 0x5A for b in d[10:40]) + d[40:]) if n.endswith("sheet1.xml") else d, m, s, c)
             for n, d, m, s, c in parts]
    refused(run("score", raw_zip(tmp_path / "bad.xlsx", parts)), "is damaged", folder=tmp_path)


def test_malformed_xml_part(tmp_path, sheet):
    broken = rezip(sheet, tmp_path / "broken.xlsx",
                   lambda name, data: data[:-20] if name == "xl/styles.xml" else data)
    refused(run("score", broken), "is damaged", "xl/styles.xml", "not well-formed XML", folder=tmp_path)


def test_zip_without_a_workbook(tmp_path):
    with zipfile.ZipFile(tmp_path / "photos.xlsx", "w") as archive:
        archive.writestr("photo.txt", "not a workbook")
    refused(run("score", tmp_path / "photos.xlsx"), "zip file without a workbook", folder=tmp_path)


def _ole2(path: Path, streams: list[str]) -> Path:
    """The skeleton of an OLE2 compound file: its signature and a directory
    sector naming the streams (in UTF-16, as OLE2 stores them)."""
    header = reader._OLE2_MAGIC + bytes(512 - len(reader._OLE2_MAGIC))
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + bytes(64) for name in streams)
    path.write_bytes(header + directory.ljust(4096, b"\0"))
    return path


def test_password_protected_workbook(tmp_path):
    path = _ole2(tmp_path / "locked.xlsx", ["Root Entry", "EncryptionInfo", "EncryptedPackage"])
    text = refused(run("score", path), "password-protected (encrypted)", folder=tmp_path)
    assert "remove the password in Excel" in text and "then run again" in text


def test_old_xls_named_xlsx(tmp_path):
    path = _ole2(tmp_path / "old.xlsx", ["Root Entry", "Workbook"])
    refused(run("score", path), "old-format Excel 97-2003 workbook named .xlsx", "rename it to old.xls",
            folder=tmp_path)


def test_xlsx_named_xls(tmp_path, sheet):
    target = tmp_path / "misnamed.xls"
    shutil.copy(sheet, target)
    refused(run("score", target), "is an .xlsx workbook named .xls", "rename it to misnamed.xlsx", folder=tmp_path)


def test_web_page_named_xls(tmp_path):
    (tmp_path / "export.xls").write_text("<html><table><tr><td>Study</td></tr></table></html>")
    refused(run("score", tmp_path / "export.xls"), "is not an Excel 97-2003 workbook", "save it as .xlsx",
            folder=tmp_path)


def test_binary_file_named_csv(tmp_path):
    (tmp_path / "ratings.csv").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(200))
    refused(run("score", tmp_path / "ratings.csv"), "is not a text file", folder=tmp_path)


def test_csv_with_an_oversized_field(tmp_path):
    rows = item_sheet(ANSWERS)
    rows[1][0] = "x" * 200_000  # past the csv module's field limit
    refused(run("score", write_csv(tmp_path / "big.csv", rows)), "cannot be read as CSV", folder=tmp_path)


def test_empty_workbook(tmp_path):
    path = write_xlsx(tmp_path / "blank.xlsx", [])
    refused(run("score", path), "the sheet is empty", folder=tmp_path)


def test_empty_csv(tmp_path):
    (tmp_path / "blank.csv").write_text("\n\n")
    refused(run("score", tmp_path / "blank.csv"), "the sheet is empty", folder=tmp_path)


def test_sheet_without_a_recognisable_header(tmp_path):
    path = write_xlsx(tmp_path / "other.xlsx", [["Name", "Country", "Year"], ["Smith", "NZ", 2010]])
    text = refused(run("score", path), "has no header row naming the PEDro items", folder=tmp_path)
    assert "found headers (row 1): Name, Country, Year" in text


def test_sheet_option_that_does_not_exist_lists_the_sheets(tmp_path, sheet):
    write_xlsx(sheet, item_sheet(ANSWERS), extra_sheets={"Notes": [["x"]]})
    refused(run("score", sheet, "--sheet", "Ratngs"), "has no sheet 'Ratngs'", "its sheets are: Ratings, Notes",
            folder=tmp_path)


def _ods(path: Path, rows: list[list[str]]) -> Path:
    """A minimal OpenDocument spreadsheet, as LibreOffice reads it."""
    cells = "".join("<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>' for v in row)
        + "</table:table-row>" for row in rows)
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="Ratings">{cells}</table:table></office:spreadsheet>'
               '</office:body></office:document-content>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'),
            zipfile.ZIP_DEFLATED)
    return path


def test_ods_is_read(tmp_path):
    path = _ods(tmp_path / "ratings.ods", [[v or "" for v in row] for row in item_sheet(ANSWERS)])
    result = score_file(path)
    assert list(result.scores["total"]) == [7, 6]
    out = write_audited(result)
    assert out.name == "ratings.audited.xlsx" and openpyxl.load_workbook(out)["Ratings"]["A2"].value == "Smith 2010"


def test_ods_named_xlsx(tmp_path):
    path = _ods(tmp_path / "ratings.xlsx", [["Study"]])
    refused(run("score", path), "is an .ods workbook named .xlsx", "rename it to ratings.ods", folder=tmp_path)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed; it writes "
                    "the .xls file (apt-get install libreoffice-calc-nogui)")
@pytest.mark.slow
def test_legacy_xls_is_read(tmp_path, sheet):
    profile = tmp_path / "profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xls",
                    "--outdir", str(tmp_path / "xls"), str(sheet)], check=True, capture_output=True, timeout=180)
    path = tmp_path / "xls" / "ratings.xls"
    assert path.read_bytes().startswith(reader._OLE2_MAGIC)
    result = score_file(path)
    assert list(result.scores["total"]) == [7, 6] and result.book_kind == "xls"
    assert write_audited(result).suffix == ".xlsx"


# ---------------------------------------------------------------------------
# 2. Hostile content: bombs refused without expanding them
# ---------------------------------------------------------------------------

def _with_laughs(name: str, data: bytes) -> bytes:
    text = data.decode("utf-8")
    declaration, _, body = text.partition("?>") if text.startswith("<?xml") else ("", "", text)
    head = declaration + "?>" if declaration else ""
    return (head + LAUGHS + body.replace("Smith 2010", "&lol9;")).encode("utf-8")


def _xml_parts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [n for n in archive.namelist() if n.endswith((".xml", ".rels"))]


@pytest.mark.parametrize("part", ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                  "xl/styles.xml", "xl/theme/theme1.xml", "docProps/core.xml", "docProps/app.xml",
                                  "xl/worksheets/sheet1.xml"])
def test_entity_bomb_in_any_part_is_refused(tmp_path, sheet, part):
    assert part in _xml_parts(sheet)
    bomb = rezip(sheet, tmp_path / "laughs.xlsx", lambda name, data: _with_laughs(name, data) if name == part
                 else data)
    start = time.monotonic()
    refused(run("score", bomb), part, "billion laughs", folder=tmp_path)
    assert time.monotonic() - start < MAX_SECONDS


def test_entity_bomb_behind_a_long_comment_in_a_large_part(tmp_path, sheet):
    """A part too large to be parsed whole is still checked up to its root element."""
    padding = "<!--" + random.Random(5).randbytes(5 * 2**19).hex() + "-->"  # 5 MB that do not pack well
    bomb = rezip(sheet, tmp_path / "padded.xlsx", lambda name, data: (
        b'<?xml version="1.0"?>' + padding.encode() + _with_laughs(name, data.split(b"?>", 1)[-1])
        if name == "xl/worksheets/sheet1.xml" else data))
    refused(run("score", bomb), "xl/worksheets/sheet1.xml", "billion laughs", folder=tmp_path)


def _zip_bomb(path: Path, sheet: Path, gigabytes: float, declared: int | None) -> Path:
    """The workbook with its sheet padded to ``gigabytes`` and packed to a few
    MB; ``declared`` is the size its zip records claim (None: the truth)."""
    block = b" " * 2**20  # whitespace is valid XML between elements; it packs about 1000:1
    count = int(gigabytes * 2**30 / len(block))
    stream = deflated_repeats(block, count)
    size = len(block) * count if declared is None else declared
    parts = [p if p[0] != "xl/worksheets/sheet1.xml" else (p[0], stream, 8, size, 0) for p in workbook_parts(sheet)]
    return raw_zip(path, parts)


@pytest.mark.parametrize("gigabytes, declared, phrase", [
    (2.0, None, "declares 2 GB of content when unpacked"),  # honest sizes: refused on what it declares
    (2.0, 900 * 2**20, "declares 900 MB"),  # still over the limit
    (0.35, None, "a ratio no real workbook has"),  # under the limit, but packed 1000:1
    (2.0, 50_000, "unpacks to more than the 48.8 KB it declares"),  # lying sizes: caught while unpacking, bounded
])
def test_zip_bomb_is_refused_fast_in_bounded_memory(tmp_path, sheet, gigabytes, declared, phrase):
    bomb = _zip_bomb(tmp_path / "bomb.xlsx", sheet, gigabytes, declared)
    assert bomb.stat().st_size < 4 * 2**20  # a small file that expands to gigabytes
    done, seconds, peak = measured(bomb)
    assert done.returncode == 2, done.stderr
    message = done.stderr.split("\nPEAK_RSS_KB")[0].strip()
    assert phrase in message and len(message.splitlines()) == 1 and "Traceback" not in message, message
    assert seconds < MAX_SECONDS and peak < MAX_RSS_MB, (seconds, peak)
    assert not list(tmp_path.glob("*.audited.*"))


def test_too_many_parts(tmp_path, monkeypatch, sheet):
    monkeypatch.setattr(reader, "MAX_PARTS", 50)  # the real limit is 10,000: the same code, a smaller file
    many = rezip(sheet, tmp_path / "many.xlsx", lambda name, data: data)
    with zipfile.ZipFile(many, "a") as archive:
        for n in range(60):
            archive.writestr(f"customXml/item{n}.xml", "<a/>")
    with pytest.raises(InputError, match="declares 69 parts, more than any workbook needs"):
        reader.open_book(many)


def test_entity_bomb_in_csv_is_just_text(tmp_path):
    """CSV is not XML: the declaration is an unrecognised answer, reported with its raw text."""
    rows = item_sheet({"Smith 2010": "YYYNYNNYYYY"})
    rows[1][3] = LAUGHS[:40]
    result = score_file(write_csv(tmp_path / "ratings.csv", rows))
    assert set(result.findings.loc[result.findings["cell"] == "D2", "rule"]) == {"PD101"}


# ---------------------------------------------------------------------------
# 2. Macros are kept and never run
# ---------------------------------------------------------------------------

VBA = b"\xd0\xcf\x11\xe0 not really VBA, but pedro must carry it byte for byte" * 20


def _xlsm(path: Path, source: Path) -> Path:
    def change(name, data):
        if name == "[Content_Types].xml":
            return data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
                b"<Default ", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                           b"<Default ", 1)
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", b'<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/'
                                b'office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
        return data
    rezip(source, path, change)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", VBA)
    return path


def test_macros_are_kept_and_never_run(tmp_path, sheet):
    macro = _xlsm(tmp_path / "ratings.xlsm", sheet)
    before = macro.read_bytes()
    result = run("score", macro)
    assert result.exit_code == 0, result.output
    out = tmp_path / "ratings.audited.xlsm"
    with zipfile.ZipFile(out) as archive:
        assert archive.read("xl/vbaProject.bin") == VBA
        assert b"macroEnabled" in archive.read("[Content_Types].xml")
    assert macro.read_bytes() == before


# ---------------------------------------------------------------------------
# 2. Text that looks like a formula stays text
# ---------------------------------------------------------------------------

INJECTIONS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "=1+1"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_formula_like_text_is_written_as_text_in_every_sheet(tmp_path, kind):
    rows = item_sheet({label: "YYYNYNNYYYY" for label in INJECTIONS}, ["Notes"],
                      {label: [label] for label in INJECTIONS})
    if kind == "csv":
        source = write_csv(tmp_path / "in.csv", rows)
    else:  # in an .xlsx input, the user's own text cells (not formulas) that start with these signs
        source = write_xlsx(tmp_path / "in.xlsx", rows)
        workbook = openpyxl.load_workbook(source)
        for row in workbook["Ratings"].iter_rows(min_row=2):
            for cell in (row[0], row[12]):
                cell.data_type = "s"
        workbook.save(source)
    out = write_audited(score_file(source), tmp_path / "out.xlsx")
    workbook = openpyxl.load_workbook(out)
    seen = set()
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if cell.value in INJECTIONS:
                    seen.add((ws.title, cell.value))
    assert {v for sheet_name, v in seen if sheet_name == "Scores"} == set(INJECTIONS)
    assert {v for sheet_name, v in seen if sheet_name == workbook.sheetnames[0]} == set(INJECTIONS)


def test_put_writes_formula_like_text_as_quoted_text():
    from pedro.write.files import put

    sheet = openpyxl.Workbook().active
    for i, value in enumerate(INJECTIONS + ["-", "+", "Y", 7], start=1):
        cell = put(sheet.cell(row=i, column=1), value)
        assert cell.value == value
        assert cell.data_type == ("n" if value == 7 else "s")
        assert cell.quotePrefix == (value in INJECTIONS)


@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("-", "-"), ("+", "+"), ("Smith 2010", "Smith 2010"), (7, 7), (None, None),
])
def test_csv_output_escapes_formula_like_text(value, written):
    assert csv_safe(value) == written


def test_csv_writer_escapes_and_is_atomic(tmp_path):
    import csv

    from pedro.write.files import atomic_write_csv

    out = atomic_write_csv([["Study", "Note"], ["=cmd", "-"], ["Lee", "@x"]], tmp_path / "out.csv")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [["Study", "Note"], ["'=cmd", "-"], ["Lee", "'@x"]]
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


# ---------------------------------------------------------------------------
# Each hostile file: pedro score finishes within seconds and bounded memory
# ---------------------------------------------------------------------------

def test_hostile_files_finish_fast_in_bounded_memory(tmp_path, sheet):
    files = {
        "laughs in the sheet": rezip(sheet, tmp_path / "laughs.xlsx", lambda n, d: _with_laughs(n, d)
                                     if n == "xl/worksheets/sheet1.xml" else d),
        "truncated": tmp_path / "cut.xlsx",
        "encrypted": _ole2(tmp_path / "locked.xlsx", ["EncryptedPackage"]),
    }
    files["truncated"].write_bytes(sheet.read_bytes()[:900])
    for what, path in files.items():
        done, seconds, peak = measured(path)
        assert done.returncode == 2, (what, done.stderr)
        assert seconds < MAX_SECONDS and peak < MAX_RSS_MB, (what, seconds, peak)


def test_input_is_left_byte_for_byte_and_untouched(tmp_path, sheet):
    before, modified = sheet.read_bytes(), sheet.stat().st_mtime_ns
    assert run("score", sheet).exit_code == 0
    assert sheet.read_bytes() == before and sheet.stat().st_mtime_ns == modified


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_control_characters_are_refused_naming_the_cell(tmp_path, kind):
    """Found by the fuzzer: a control character cannot be stored in any workbook, so pedro could not
    carry the value into its output; it says which cell rather than dropping the character."""
    rows = item_sheet(ANSWERS)
    rows[2][0] = "Jones\x01 2012"
    if kind == "csv":
        path = write_csv(tmp_path / "in.csv", rows)
    else:
        rows[2][0] = "Jones_x0001_ 2012"  # how a workbook stores U+0001
        path = write_xlsx(tmp_path / "in.xlsx", rows)
    refused(run("score", path), "cell A3 holds an invisible control character (U+0001)", folder=tmp_path)


def test_a_part_in_an_unknown_encoding_is_refused_in_one_sentence(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", item_sheet({"A": "YYYYNNYYYYY"}))
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts["xl/styles.xml"] = b'<?xml version="1.0" encoding="bogus-8"?>' + parts["xl/styles.xml"].split(b"?>", 1)[-1]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = CliRunner().invoke(main, ["score", str(path), "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "part xl/styles.xml is not well-formed XML (unknown encoding: bogus-8)" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def _shared_strings_xlsx(path: Path, rows: list[list]) -> Path:
    """An .xlsx written by XlsxWriter, which keeps text in shared strings as Excel does (openpyxl writes it
    into the sheet, inline)."""
    xlsxwriter = pytest.importorskip("xlsxwriter")
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Ratings")
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    workbook.close()
    return path


def _with_parts(path: Path, change) -> Path:
    """``path`` (an .xlsx) rewritten with ``change(parts)`` applied to its {name: bytes} parts."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def _inline(parts: dict, text: bytes) -> None:
    """Cell A3 (Jones 2012's label) as an inline string of ``text`` in the sheet's own markup."""
    sheet = parts["xl/worksheets/sheet1.xml"]
    cell = re.search(rb'<c r="A3"[^>]*>.*?</c>', sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(cell.group(), b'<c r="A3" t="inlineStr"><is><t>' + text
                                                      + b"</t></is></c>")


def _renamed_strings(parts: dict, text: bytes) -> None:
    """The shared strings in a part whose name is spelt otherwise, which the workbook's relationships name."""
    parts["xl/SharedStrings.xml"] = parts.pop("xl/sharedStrings.xml").replace(b"Jones 2012", text)
    for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        parts[name] = parts[name].replace(b"sharedStrings.xml", b"SharedStrings.xml")


def _shared(parts: dict, text: bytes) -> None:
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(b"Jones 2012", text)


# Every way markup can carry a character no workbook can store into a cell's value.  The package check
# lets pedro skip searching the values when the parts a sheet is read from cannot hold one (issue 18):
# each of these must still be found, and the cell named.
@pytest.mark.parametrize(("where", "text", "code"), [
    (_shared, b"Jones_x0001_ 2012", "U+0001"),  # Excel's escape
    (_shared, b"Jones_x001F_ 2012", "U+001F"),
    (_shared, b"Jones&#1; 2012", "U+0001"),  # a character reference
    (_shared, b"Jones&#x1f; 2012", "U+001F"),
    (_shared, b"Jones\x02 2012", "U+0002"),  # the byte itself
    (_shared, "Jones\ufffe 2012".encode(), "U+FFFE"),
    (_shared, "Jones\uffff 2012".encode(), "U+FFFF"),
    (_inline, b"Jones\x01 2012", "U+0001"),
    (_inline, b"Jones_x0008_ 2012", "U+0008"),
    (_inline, b"Jones&#11; 2012", "U+000B"),
    (_renamed_strings, b"Jones_x0001_ 2012", "U+0001"),
])
def test_a_control_character_in_any_part_a_sheet_is_read_from_is_found(tmp_path, monkeypatch, where, text, code):
    """As in a part too large for the package check to parse whole (a sheet of thousands of trials): the
    markup is then read by calamine alone, and the character reaches the values."""
    monkeypatch.setattr(reader, "_SMALL_XML_PART", 0)
    path = _with_parts(_shared_strings_xlsx(tmp_path / "in.xlsx", item_sheet(ANSWERS)),
                       lambda parts: where(parts, text))
    refused(run("score", path), f"cell A3 holds an invisible control character ({code})", folder=tmp_path)


def test_a_sheet_from_parts_without_control_characters_is_not_searched_value_by_value(tmp_path, monkeypatch):
    """What the package check saw spares the search of every value (issue 18): an ordinary workbook, and
    one whose shared strings are declared in another encoding, which its bytes alone do not settle."""
    searched = []
    search = reader._refuse_control_characters
    monkeypatch.setattr(reader, "_refuse_control_characters", lambda *a: (searched.append(a[1]), search(*a)))
    for plain in (write_xlsx(tmp_path / "inline.xlsx", item_sheet(ANSWERS)),
                  _shared_strings_xlsx(tmp_path / "shared.xlsx", item_sheet(ANSWERS))):
        assert run("score", plain, "--dry-run").exit_code == 0
    assert searched == []

    def latin1(parts):
        strings = parts["xl/sharedStrings.xml"]
        parts["xl/sharedStrings.xml"] = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + strings.split(b"?>", 1)[-1]
    other = _with_parts(_shared_strings_xlsx(tmp_path / "latin1.xlsx", item_sheet(ANSWERS)), latin1)
    assert run("score", other, "--dry-run").exit_code == 0
    assert searched == ["Ratings"]


@pytest.mark.parametrize(("head", "utf8"), [
    (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst', True),
    (b"<?xml version='1.0' encoding='utf8'?><sst", True),
    (b'<?xml version="1.0"?><sst', True),
    (b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><sst", True),
    (b"<sst xmlns='x'>", True),
    (b'<?xml version="1.0" encoding="windows-1252"?><sst', False),
    (b'<?xml version="1.0" encoding="UTF-16"?><sst', False),
    ("<?xml version='1.0'?><sst".encode("utf-16"), False),
])
def test_which_parts_are_utf8(head, utf8):
    assert reader._declares_utf8(head) is utf8
