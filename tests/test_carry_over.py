"""The audited workbook carries its input over: one comment per cell (the
assessor's text, author and box kept, pedro's findings under a separator),
the template's criterion help, shared formulas, form controls, sparklines, data
bars, text boxes and document properties; a .xlsm written as .xlsx loses its
macros and says so; and whatever openpyxl (the fallback) cannot keep is named,
on stderr and in the Provenance sheet, never dropped silently.

The inputs are real packages: written by XlsxWriter (which writes comments,
form buttons, sparklines, 2010 data bars, text boxes and document properties
as Excel does), by openpyxl, by LibreOffice, and edited at the package level
where Excel writes something those do not (a column filled down)."""

from __future__ import annotations

import io
import posixpath
import re
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pedro.audit.workbook import Key
from pedro.cli import main
from pedro.engine import score_file
from pedro.write import audited as audited_module
from pedro.write.audited import write_audited
from pedro.write.carry import NotCarriedOver
from pedro.write.package import Unsupported
from pedro.write.style import COMMENT_AUTHOR, FINDINGS_SEPARATOR
from pedro.write.template import write_template

from conftest import item_sheet

TRIALS = {"Smith 2010": "YYYNYNNYYYY", "Jones 2012": "YYNYNNYYNYY", "Lee 2015": "YN?YNN.YYYN"}
ASSESSOR_NOTE = "Ann:\nthe report does not say who assessed the outcomes"
NS_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")


# --------------------------------------------------------------------------- building inputs

def xlsxwriter_sheet(path: Path, *, comment=True, button=False, extras=False, vba: bytes | None = None) -> Path:
    """An item sheet as XlsxWriter writes it: the assessor's own comment on
    H4 (item 7 of Lee 2015, blank: pedro has a finding there) in a box of its
    own size, colour and visibility; with ``button`` a form button; with
    ``extras`` a sparkline, a 2010 data bar, a text box, document properties
    and a cell of empty text; with ``vba`` a macro workbook."""
    workbook = xlsxwriter.Workbook(str(path))
    if vba is not None:
        workbook.add_vba_project(io.BytesIO(vba), is_stream=True)
    sheet = workbook.add_worksheet("Ratings")
    for r, row in enumerate(item_sheet(TRIALS, ["Notes"])):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write_string(r, c, value)
    if comment:
        sheet.write_comment("H4", ASSESSOR_NOTE, {"author": "Ann", "visible": True, "width": 300, "height": 150,
                                                  "color": "#C6EFCE"})
        sheet.write_comment("A2", "first trial", {"author": "Ann"})
    if button:
        sheet.insert_button("P2", {"macro": "recheck", "caption": "Check again"})
    if extras:
        workbook.set_properties({"title": "Exercise review", "author": "Ann", "company": "Uni", "manager": "Bob"})
        workbook.set_custom_property("Checked by", "Carl")
        sheet.add_sparkline("P4", {"range": "Ratings!B4:L4"})
        sheet.conditional_format("B2:B4", {"type": "data_bar", "data_bar_2010": True})
        sheet.insert_textbox("P8", "Second assessor: Bob")
        sheet.write_string("A7", "")
    workbook.close()
    return path


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def relationships(parts: dict[str, bytes]) -> set[tuple[str, str, str]]:
    """(source part, relationship type, target part) of every relationship of the package."""
    from xml.etree import ElementTree

    found = set()
    for name, data in parts.items():
        if not name.endswith(".rels"):
            continue
        folder, rels = posixpath.split(name)
        source = posixpath.join(posixpath.dirname(folder), rels[:-5])
        for r in ElementTree.fromstring(data).iter(f"{NS_REL}Relationship"):
            target = r.get("Target")
            if r.get("TargetMode") != "External":
                target = target[1:] if target.startswith("/") else posixpath.normpath(
                    posixpath.join(posixpath.dirname(source), target))
            found.add((source, r.get("Type").rsplit("/", 1)[-1], target))
    return found


def assert_no_dangling_relationship(parts: dict[str, bytes]) -> None:
    dangling = [r for r in relationships(parts) if "://" not in r[2] and r[2] not in parts]
    assert not dangling, f"relationships to parts that do not exist: {dangling}"


def main_content_type(parts: dict[str, bytes]) -> str:
    types = parts["[Content_Types].xml"].decode()
    return re.search(r'PartName="/xl/workbook.xml" ContentType="([^"]+)"', types).group(1)


def comment_elements(parts: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """(cell, author, text) of every <comment> element of the first sheet's comments part, as written."""
    from xml.etree import ElementTree

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    name = next(target for source, kind, target in relationships(parts)
                if source == "xl/worksheets/sheet1.xml" and kind == "comments")
    root = ElementTree.fromstring(parts[name])
    authors = [a.text or "" for a in root.iter(f"{ns}author")]
    return [(c.get("ref"), authors[int(c.get("authorId"))],
             "".join(t.text or "" for t in c.iter(f"{ns}t"))) for c in root.iter(f"{ns}comment")]


def shapes(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The first sheet's VML shapes: notes by cell, other shapes by their id, byte for byte."""
    name = next(target for source, kind, target in relationships(parts)
                if source == "xl/worksheets/sheet1.xml" and kind == "vmlDrawing")
    found = {}
    for match in re.finditer(rb"<(\w+:shape)\b(?:[^>]*?/>|.*?</\1>)", parts[name], re.S):  # any prefix
        shape = match.group(0)
        row = re.search(rb"<\w+:Row>(\d+)</\w+:Row>", shape)
        column = re.search(rb"<\w+:Column>(\d+)</\w+:Column>", shape)
        if b'ObjectType="Note"' in shape and row and column:
            key = openpyxl.utils.get_column_letter(int(column.group(1)) + 1) + str(int(row.group(1)) + 1)
        else:
            key = re.search(rb'\bid="([^"]+)"', shape).group(1).decode()
        assert key not in found, f"two shapes for {key}"
        found[key] = shape
    return found


def fast(result, output: Path) -> Path:
    """The audited workbook from the package writer (failing if it falls back to openpyxl)."""
    stages = []
    written = write_audited(result, output, progress=lambda stage, detail="": stages.append((stage, detail)))
    assert not any("openpyxl" in stage for stage, _ in stages), stages
    return written


def slow(result, output: Path, monkeypatch) -> tuple[Path, list[str]]:
    """The audited workbook from the openpyxl fallback, and what it names as not carried over."""
    def decline(*args):
        raise Unsupported("a test that wants the fallback")

    monkeypatch.setattr(audited_module, "_write_package", decline)
    said = []
    written = write_audited(result, output, warn=said.append)
    monkeypatch.undo()
    return written, said


def provenance(path: Path) -> dict:
    with warnings.catch_warnings():  # openpyxl's own "extension not supported" while reading it back
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(path)
    return {row[0]: row[1] for row in workbook["Provenance"].iter_rows(min_row=2, values_only=True)}


def set_cell(parts: dict[str, bytes], ref: str, text: str, sheet: str = "xl/worksheets/sheet1.xml") -> None:
    """Type ``text`` into cell ``ref`` of a sheet, at the package level (nothing else of the package changes)."""
    xml = parts[sheet].decode()
    row = re.search(r'\d+', ref).group(0)
    cell = f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
    old = re.search(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
    if old:
        xml = xml[:old.start()] + cell + xml[old.end():]
    else:
        match = re.search(rf'<row r="{row}"[^>]*>(.*?)</row>', xml, re.S)
        later = [m for m in re.finditer(r'<c r="([A-Z]+)\d+"', match.group(1))
                 if (len(m.group(1)), m.group(1)) > (len(ref.rstrip("0123456789")), ref.rstrip("0123456789"))]
        at = match.start(1) + (later[0].start() if later else len(match.group(1)))
        xml = xml[:at] + cell + xml[at:]
    parts[sheet] = xml.encode()


# --------------------------------------------------------------------------- one comment per cell

def test_an_assessors_comment_and_a_finding_make_one_comment(tmp_path):
    source = xlsxwriter_sheet(tmp_path / "in.xlsx")
    before = parts_of(source)
    out = parts_of(fast(score_file(source), tmp_path / "out.xlsx"))
    comments = comment_elements(out)
    assert len({ref for ref, _, _ in comments}) == len(comments)  # exactly one <comment> per cell
    by_cell = {ref: (author, text) for ref, author, text in comments}
    author, text = by_cell["H4"]
    assert author == "Ann"
    mine, findings = text.split("\n" + FINDINGS_SEPARATOR + "\n")
    assert mine == ASSESSOR_NOTE and "PD102" in findings
    assert by_cell["A2"] == ("Ann", "first trial")
    assert by_cell["F2"][0] == COMMENT_AUTHOR and by_cell["F2"][1].startswith(FINDINGS_SEPARATOR + "\n")
    kept = shapes(before)
    assert shapes(out)["H4"] == kept["H4"] and shapes(out)["A2"] == kept["A2"]  # size, colour, visibility
    assert_no_dangling_relationship(out)


def test_rescoring_replaces_only_pedros_part_of_a_comment(tmp_path):
    source = xlsxwriter_sheet(tmp_path / "in.xlsx")
    original = shapes(parts_of(source))
    first = fast(score_file(source), tmp_path / "first.xlsx")
    again = parts_of(fast(score_file(first), tmp_path / "again.xlsx"))
    assert comment_elements(again) == comment_elements(parts_of(first))  # not piled up
    assert shapes(again) == shapes(parts_of(first))
    parts = parts_of(first)
    set_cell(parts, "H4", "N")  # the assessor answers item 7: no finding on H4 any more
    edited = write_parts(tmp_path / "edited.xlsx", parts)
    after = parts_of(fast(score_file(edited), tmp_path / "after.xlsx"))
    by_cell = {ref: (author, text) for ref, author, text in comment_elements(after)}
    assert by_cell["H4"] == ("Ann", ASSESSOR_NOTE)  # the assessor's comment, as it was
    assert shapes(after)["H4"] == original["H4"]
    assert openpyxl.load_workbook(tmp_path / "after.xlsx")["Ratings"]["H4"].fill.fill_type is None


def test_the_fallback_writes_one_comment_per_cell_too(tmp_path, monkeypatch):
    source = xlsxwriter_sheet(tmp_path / "in.xlsx")
    written, said = slow(score_file(source), tmp_path / "out.xlsx", monkeypatch)
    out = parts_of(written)
    comments = comment_elements(out)
    assert len({ref for ref, _, _ in comments}) == len(comments)
    author, text = {ref: (author, text) for ref, author, text in comments}["H4"]
    assert author == "Ann" and text == ASSESSOR_NOTE + "\n" + FINDINGS_SEPARATOR + "\n" + text.split("\n", 3)[-1]
    # openpyxl draws every comment box anew: that is named, not lost silently
    assert len(said) == 1 and "the look of comment boxes" in said[0]
    assert "the look of comment boxes" in provenance(written)[Key.NOT_CARRIED_OVER]
    assert_no_dangling_relationship(out)


EXCEL_RUNS = ('<text><r><rPr><b/><sz val="9"/><rFont val="Tahoma"/></rPr><t>Ann:</t></r><r><rPr><sz val="9"/>'
              '<rFont val="Tahoma"/></rPr><t xml:space="preserve">{}</t></r></text>')  # Excel's: the author in bold


@given(st.text(alphabet="ab \n&<>\u2014'", max_size=24), st.text(alphabet="xy \n&<", min_size=1, max_size=24))
def test_pedros_part_of_a_comment_comes_off_exactly(assessor, findings):
    """Text, and XML plain or in runs: adding pedro's findings and taking them off again gives the comment back."""
    from pedro.write.comments import append_text, plain_text, text_element, without_findings
    from pedro.write.package import xml_text
    from pedro.write.style import assessor_part, with_findings

    text = with_findings(assessor or None, findings)
    assert assessor_part(text, "Ann") == assessor and assessor_part(assessor, "Ann") is None
    for text_xml in (text_element(assessor), EXCEL_RUNS.format(xml_text(assessor))) if assessor else ():
        combined = append_text(text_xml, f"\n{FINDINGS_SEPARATOR}\n{findings}")
        assert plain_text(combined) == with_findings(plain_text(text_xml), findings)
        assert re.findall(r"<rPr>.*?</rPr>", combined)[-1:] == [r for r in re.findall(r"<rPr>.*?</rPr>", text_xml)
                                                                 if "<b/>" not in r][-1:]  # not bold
        assert without_findings(combined, assessor_part(plain_text(combined), "Ann")) == text_xml


def test_two_comments_on_one_cell_from_an_older_pedro_become_one(tmp_path):
    """pedro used to add its comment beside the assessor's: an invalid package, repaired on the next run."""
    source = xlsxwriter_sheet(tmp_path / "in.xlsx")
    parts = parts_of(source)
    old = "error PD102 missing-answer: H4: no answer for item 7"
    xml = parts["xl/comments1.xml"].decode().replace("</authors>", "<author>pedro</author></authors>").replace(
        "</commentList>", f'<comment ref="H4" authorId="1"><text><t>{old}</t></text></comment></commentList>')
    parts["xl/comments1.xml"] = xml.encode()
    doubled = write_parts(tmp_path / "doubled.xlsx", parts)
    out = parts_of(fast(score_file(doubled), tmp_path / "out.xlsx"))
    on_h4 = [c for c in comment_elements(out) if c[0] == "H4"]
    assert len(on_h4) == 1 and on_h4[0][1] == "Ann" and old not in on_h4[0][2]
    assert on_h4[0][2].startswith(ASSESSOR_NOTE + "\n" + FINDINGS_SEPARATOR)


def test_the_templates_criterion_help_survives_scoring(tmp_path, monkeypatch):
    from pedro.rubric import load_rubric

    template = write_template(tmp_path / "template.xlsx", load_rubric(), list(TRIALS))
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["Ratings"]
    columns = {cell.value: cell.column for cell in sheet[1]}
    for row, answers in enumerate(TRIALS.values(), start=2):
        for number, answer in enumerate(answers, start=1):
            heading = next(h for h in columns if isinstance(h, str) and h.startswith(f"{number} ") and
                           "evidence" not in h)
            sheet.cell(row=row, column=columns[heading], value=None if answer == "." else answer)
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)
    before = parts_of(filled)
    help_notes = {(ref, author, text) for ref, author, text in comment_elements(before) if ref.endswith("1")}
    assert len(help_notes) == 11 and {author for _, author, _ in help_notes} == {COMMENT_AUTHOR}
    result = score_file(filled)
    out = parts_of(fast(result, tmp_path / "out.xlsx"))
    assert help_notes <= set(comment_elements(out))
    assert all(shapes(out)[ref] == shapes(before)[ref] for ref, _, _ in help_notes)
    again = parts_of(fast(score_file(tmp_path / "out.xlsx"), tmp_path / "again.xlsx"))
    assert help_notes <= set(comment_elements(again))
    written, _ = slow(result, tmp_path / "slow.xlsx", monkeypatch)
    assert help_notes <= set(comment_elements(parts_of(written)))


# --------------------------------------------------------------------------- shared formulas, form controls

def _filled_down(tmp_path: Path) -> Path:
    """Item 1 of every trial computed from the Notes column by one formula
    filled down B2:B6, as Excel writes it: B2 holds it, B3:B6 share it.  Lee
    2015 has no notes, so its answer is empty (the formula stays: pedro
    reports the blank), and rows 5 and 6 hold no trial."""
    rows = item_sheet(TRIALS, ["Notes"], {"Smith 2010": ["eligibility listed"], "Jones 2012": ["listed too"]})
    workbook = openpyxl.Workbook()
    workbook.active.title = "Ratings"
    for row in rows:
        workbook.active.append(row)
    path = tmp_path / "filled-down.xlsx"
    workbook.save(path)
    parts = parts_of(path)
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    formula = 'IF(LEN(M2)&gt;0,"Y","")'
    for row in range(2, 7):
        element = f'<f t="shared" ref="B2:B6" si="0">{formula}</f>' if row == 2 else '<f t="shared" si="0"/>'
        cell = f'<c r="B{row}" t="str">{element}<v>{"Y" if row < 4 else ""}</v></c>'
        old = re.search(rf'<c r="B{row}"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
        if old:
            xml = xml[:old.start()] + cell + xml[old.end():]
        else:
            xml = xml.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    return write_parts(path, parts)


def test_a_column_filled_down_keeps_a_formula_in_every_cell(tmp_path):
    source = _filled_down(tmp_path)
    before = parts_of(source)
    out_path = fast(score_file(source), tmp_path / "out.xlsx")
    out = parts_of(out_path)
    assert set(before) <= set(out) and relationships(before) <= relationships(out)
    sheet = openpyxl.load_workbook(out_path)["Ratings"]
    assert sheet["B2"].value == "Y" and sheet["B3"].value == "Y"  # answers from a formula: their values
    assert sheet["B4"].value == '=IF(LEN(M4)>0,"Y","")'  # no value: the formula stays, in its own words
    assert sheet["B5"].value == '=IF(LEN(M5)>0,"Y","")' and sheet["B6"].value == '=IF(LEN(M6)>0,"Y","")'
    assert 't="shared"' not in out["xl/worksheets/sheet1.xml"].decode()  # no cell points to a master gone
    log = {row[3]: row[6] for row in openpyxl.load_workbook(out_path)["Change log"].iter_rows(min_row=2,
                                                                                               values_only=True)}
    assert log["B2"] == '=IF(LEN(M2)>0,"Y","")' and log["B3"] == '=IF(LEN(M3)>0,"Y","")'


def test_a_form_button_on_the_item_sheet_is_carried_over(tmp_path):
    source = xlsxwriter_sheet(tmp_path / "in.xlsx", button=True)
    before = parts_of(source)
    out = parts_of(fast(score_file(source), tmp_path / "out.xlsx"))
    assert set(before) <= set(out) and relationships(before) <= relationships(out)
    old, new = shapes(before), shapes(out)
    button = next(key for key, shape in old.items() if b'ObjectType="Button"' in shape)
    assert new[button] == old[button] and new["H4"] == old["H4"]  # the button and the comment, byte for byte
    ids = re.findall(rb'\bid="_x0000_s(\d+)"', b"".join(new.values()))
    assert len(ids) == len(set(ids))  # pedro's notes take shape ids of their own
    assert_no_dangling_relationship(out)


# --------------------------------------------------------------------------- nothing lost silently

def test_the_package_writer_keeps_sparklines_data_bars_text_boxes_and_properties(tmp_path):
    source = xlsxwriter_sheet(tmp_path / "in.xlsx", button=True, extras=True)
    before = parts_of(source)
    with _no_warning():
        out = parts_of(fast(score_file(source), tmp_path / "out.xlsx"))
    assert set(before) <= set(out) and relationships(before) <= relationships(out)
    for name in ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml", "xl/drawings/drawing1.xml"):
        assert out[name] == before[name], name
    for kept in (rb"<conditionalFormatting\b.*?</conditionalFormatting>",  # the data bar, and its 2010 part
                 rb"<x14:conditionalFormattings>.*?</x14:conditionalFormattings>",
                 rb"<x14:sparklineGroups\b.*?</x14:sparklineGroups>", rb"<drawing r:id=\"rId\d+\"/>"):
        found = [re.findall(kept, parts["xl/worksheets/sheet1.xml"], re.S) for parts in (before, out)]
        assert found[0] and found[0] == found[1], kept
    assert b'<c r="A7" t="s">' in out["xl/worksheets/sheet1.xml"]  # the cell of empty text is still there
    assert Key.NOT_CARRIED_OVER not in provenance(tmp_path / "out.xlsx")


class _no_warning:
    """Fails if a NotCarriedOver warning is raised inside."""

    def __enter__(self):
        self._catch = warnings.catch_warnings(record=True)
        self.caught = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)
        assert not [w for w in self.caught if issubclass(w.category, NotCarriedOver)]


def test_the_fallback_names_every_part_it_cannot_keep(tmp_path, monkeypatch):
    source = xlsxwriter_sheet(tmp_path / "in.xlsx", button=True, extras=True)
    before = parts_of(source)
    written, said = slow(score_file(source), tmp_path / "out.xlsx", monkeypatch)
    out = parts_of(written)
    named = provenance(written)[Key.NOT_CARRIED_OVER]
    assert said == [f"out.xlsx: not carried over: {named}"]
    for lost in ("sparkline groups on sheet 'Ratings'", "conditional formats of Excel 2010",
                 "text boxes and shapes on sheet 'Ratings'", "form controls (Button) on sheet 'Ratings'",
                 "the look of comment boxes"):
        assert lost in named
    # what needs no openpyxl model is put back rather than named
    for name in ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml"):
        assert out[name] == before[name], name
    assert "document property" not in named
    assert re.search(rb'<c r="A7"[^>]*t="inlineStr"[^>]*><is><t></t></is></c>', out["xl/worksheets/sheet1.xml"])
    assert "empty text" not in named and "comments on sheet" not in named
    assert main_content_type(out) == CT_XLSX
    assert_no_dangling_relationship(out)


def test_the_command_line_says_what_was_not_carried_over(tmp_path, monkeypatch):
    source = xlsxwriter_sheet(tmp_path / "in.xlsx", extras=True)

    def decline(*args):
        raise Unsupported("a test that wants the fallback")

    monkeypatch.setattr(audited_module, "_write_package", decline)
    done = CliRunner().invoke(main, ["score", str(source), "-o", str(tmp_path / "out.xlsx"), "-q"])
    assert done.exit_code in (0, 1), done.output
    line = next(line for line in done.stderr.splitlines() if "not carried over" in line)
    assert line.startswith("pedro: out.xlsx: not carried over: ") and "sparkline groups" in line
    assert "not carried over" not in done.stdout


# --------------------------------------------------------------------------- macros

FAKE_VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # the compound-file signature; never run


def test_a_macro_workbook_written_as_xlsx_drops_its_macros_and_says_so(tmp_path):
    source = xlsxwriter_sheet(tmp_path / "in.xlsm", vba=FAKE_VBA)
    before = parts_of(source)
    assert main_content_type(before) == CT_XLSM and "xl/vbaProject.bin" in before
    done = CliRunner().invoke(main, ["score", str(source), "-o", str(tmp_path / "out.xlsx"), "-q"])
    assert done.exit_code in (0, 1), done.output
    assert "pedro: out.xlsx: not carried over: macros (VBA project)" in done.stderr
    out = parts_of(tmp_path / "out.xlsx")
    assert main_content_type(out) == CT_XLSX
    assert not any("vba" in name.lower() for name in out) and b"vbaProject" not in out["[Content_Types].xml"]
    assert {r for r in relationships(before) if "vba" not in r[1].lower()} <= relationships(out)
    assert set(before) - set(out) == {"xl/vbaProject.bin"}
    assert_no_dangling_relationship(out)
    assert provenance(tmp_path / "out.xlsx")[Key.NOT_CARRIED_OVER].startswith("macros (VBA project)")
    kept = write_audited(score_file(source))  # to .xlsm, the default: the macros stay
    assert kept.name == "in.audited.xlsm" and parts_of(kept)["xl/vbaProject.bin"] == FAKE_VBA
    assert main_content_type(parts_of(kept)) == CT_XLSM


def test_the_fallback_writes_a_macro_workbook_as_xlsx_the_same_way(tmp_path, monkeypatch):
    source = xlsxwriter_sheet(tmp_path / "in.xlsm", vba=FAKE_VBA)
    written, said = slow(score_file(source), tmp_path / "out.xlsx", monkeypatch)
    out = parts_of(written)
    assert main_content_type(out) == CT_XLSX and "xl/vbaProject.bin" not in out
    assert_no_dangling_relationship(out)
    assert "macros (VBA project)" in said[0]


def test_the_fallback_relates_no_part_that_does_not_exist(tmp_path, monkeypatch):
    """A .xlsm without a VBA project: openpyxl would relate the workbook to a vbaProject.bin it never writes."""
    plain = parts_of(xlsxwriter_sheet(tmp_path / "plain.xlsx"))
    plain["[Content_Types].xml"] = plain["[Content_Types].xml"].replace(CT_XLSX.encode(), CT_XLSM.encode())
    source = write_parts(tmp_path / "in.xlsm", plain)
    written, _ = slow(score_file(source), tmp_path / "out.xlsm", monkeypatch)
    out = parts_of(written)
    assert_no_dangling_relationship(out)
    assert main_content_type(out) == CT_XLSM


def test_an_xlsx_written_as_xlsm_declares_itself_macro_enabled(tmp_path):
    source = xlsxwriter_sheet(tmp_path / "in.xlsx")
    out = parts_of(fast(score_file(source), tmp_path / "out.xlsm"))
    assert main_content_type(out) == CT_XLSM


# --------------------------------------------------------------------------- LibreOffice

def _libreoffice(path: Path, tmp_path: Path, kind: str) -> subprocess.CompletedProcess:
    return subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", kind, "--outdir", str(tmp_path / "lo"), str(path)],
                          capture_output=True, text=True, timeout=180)


@pytest.mark.slow
@needs_soffice
def test_libreoffice_opens_what_the_writers_carry_over(tmp_path, monkeypatch):
    """The macro workbook written as .xlsx, and a workbook with a button, sparklines and
    comments from both writers, open in LibreOffice with the answers in place."""
    macro = xlsxwriter_sheet(tmp_path / "macro.xlsm", vba=FAKE_VBA, button=True, extras=True)
    with pytest.warns(NotCarriedOver, match="macros"):
        first = write_audited(score_file(macro), tmp_path / "macro.xlsx")
    rich = xlsxwriter_sheet(tmp_path / "rich.xlsx", button=True, extras=True)
    second = fast(score_file(rich), tmp_path / "rich-fast.xlsx")
    third, _ = slow(score_file(rich), tmp_path / "rich-slow.xlsx", monkeypatch)
    shared = fast(score_file(_filled_down(tmp_path)), tmp_path / "shared.xlsx")
    for path in (first, second, third, shared):
        done = _libreoffice(path, tmp_path, "csv")
        csv = tmp_path / "lo" / (path.stem + ".csv")
        assert done.returncode == 0 and csv.exists(), (path.name, done.stderr)
        assert "Smith 2010" in csv.read_text(encoding="utf-8", errors="replace"), path.name


@pytest.mark.slow
@needs_soffice
def test_a_libreoffice_workbook_with_a_form_control_keeps_every_part(tmp_path):
    """LibreOffice writes a button as a DrawingML control with its properties part
    and comments in a VML drawing of its own kind (no shape-id map)."""
    done = _libreoffice(xlsxwriter_sheet(tmp_path / "in.xlsx", button=True, extras=True), tmp_path, "xlsx")
    assert done.returncode == 0, done.stderr
    source = tmp_path / "lo" / "in.xlsx"
    before = parts_of(source)
    out = parts_of(fast(score_file(source), tmp_path / "out.xlsx"))
    assert set(before) <= set(out) and relationships(before) <= relationships(out)
    comments = comment_elements(out)
    assert len({ref for ref, _, _ in comments}) == len(comments)
    assert shapes(out)["H4"] == shapes(before)["H4"]
    assert_no_dangling_relationship(out)
