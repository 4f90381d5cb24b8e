"""The audited workbook written at the package level (``pedro.write.package``)
is the workbook openpyxl writes: same sheets, values, fills, comments,
conditional formats and chart, read back by openpyxl; and it opens in
LibreOffice.  Where the package writer declines a workbook, openpyxl writes
it and says why."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment

from pedro.audit.verify import verify_workbook
from pedro.audit.workbook import PEDRO_SHEETS, PROVENANCE_MARK, Key
from pedro.engine import score_file
from pedro.write import audited as audited_module
from pedro.write.audited import write_audited
from pedro.write.package import Unsupported
from pedro.write.style import Validation

from conftest import ALS_EXAMPLE, item_sheet, write_csv, write_xlsx

TRIALS = {"Smith 2010": "YYYNYNNYYYY", "Jones 2012": "YYNYNNYYNYY", "Lee 2015": "YN?YNN.YYYN"}


def _both(result, tmp_path: Path) -> tuple[Path, Path]:
    """The audited workbook from the package writer and from openpyxl, same file name."""
    (tmp_path / "package").mkdir(exist_ok=True)
    (tmp_path / "openpyxl").mkdir(exist_ok=True)
    stages = []
    fast = write_audited(result, tmp_path / "package" / "out.xlsx", progress=lambda stage, detail="": stages.append(
        (stage, detail)))
    assert not any("openpyxl" in stage for stage, _ in stages), stages  # the package writer did it
    slow, _ = audited_module._write_with_openpyxl(result, tmp_path / "openpyxl" / "out.xlsx", None, lambda *a: None)
    return fast, slow


def _look(path: Path) -> dict:
    """Everything a reader sees, per sheet: values, fills, comments, fonts, formats, chart, panes, widths."""
    workbook = openpyxl.load_workbook(path)
    seen = {"sheets": workbook.sheetnames}
    for sheet in workbook.worksheets:
        cells = {}
        for row in sheet.iter_rows():
            for cell in row:
                fill = cell.fill.fgColor.rgb[-6:] if cell.fill is not None and cell.fill.fill_type == "solid" else None
                comment = (cell.comment.author, cell.comment.text) if cell.comment is not None else None
                look = (cell.value, fill, comment, bool(cell.font.b), cell.quotePrefix)
                if look != (None, None, None, False, False):
                    cells[cell.coordinate] = look
        formats = {str(rng.sqref): sorted((rule.type, rule.operator, tuple(rule.formula or ()),
                                           rule.dxf.fill.fgColor.rgb[-6:] if rule.dxf and rule.dxf.fill else None)
                                          for rule in rules)
                   for rng, rules in sheet.conditional_formatting._cf_rules.items()}
        widths = {k: d.width for k, d in sheet.column_dimensions.items() if d.customWidth}
        seen[sheet.title] = {"cells": cells, "formats": formats, "charts": len(sheet._charts),
                             "freeze": sheet.freeze_panes, "filter": sheet.auto_filter.ref, "widths": widths}
    return seen


def _same(fast: Path, slow: Path) -> dict:
    """The two writers' workbooks look the same, but for what openpyxl says it could not carry over
    (the look of an input's comment boxes: the Provenance sheet names it, and its digest differs)."""
    a, b = _look(fast), _look(slow)
    assert a["sheets"] == b["sheets"]
    for name in a["sheets"]:
        if a[name]["cells"].get("A1", [None])[0] == PROVENANCE_MARK:
            assert Key.NOT_CARRIED_OVER not in _provenance(a[name])  # the package writer kept everything
            assert _provenance(a[name]) == _provenance(b[name], leave_out=(Key.NOT_CARRIED_OVER,)), name
            continue
        assert a[name]["cells"] == b[name]["cells"], name
        for key in ("formats", "charts", "freeze", "filter", "widths"):
            assert a[name][key] == b[name][key], (name, key)
    return a


def _provenance(look: dict, leave_out=()) -> dict:
    """A Provenance sheet's keys and values, without ``leave_out`` and the digest over them all."""
    cells = look["cells"]
    pairs = {cells[ref][0]: cells.get("B" + ref[1:], (None,))[0] for ref in cells if ref.startswith("A")}
    return {k: v for k, v in pairs.items() if k not in (*leave_out, Key.PROVENANCE_DIGEST)}


@pytest.fixture
def messy(tmp_path) -> Path:
    """Synonyms, a footnote mark, a blank answer, text that looks like a formula,
    an assessor's own comment and fill, and a sheet of notes."""
    rows = item_sheet(TRIALS, ["Notes"], {"Smith 2010": ["=not a formula"], "Lee 2015": ["-5 dropouts"]})
    rows[1][2] = "yes"
    rows[2][3] = "Y*"
    rows[3][0] = "=HYPERLINK(\"x\")"
    path = write_xlsx(tmp_path / "in.xlsx", rows, extra_sheets={"Notes": [["my own notes", 7]]})
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Ratings"]
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):  # text, as an assessor typed it
                cell.data_type, cell.quotePrefix = "s", True
    sheet["N3"] = CellRichText([TextBlock(InlineFont(b=True, family=2), "rich"), " text"])  # <family> is not <f>
    sheet["A2"].comment = Comment("check this trial's report again", "Ann")
    sheet["F3"].fill = openpyxl.styles.PatternFill("solid", fgColor="FF00FF")
    sheet["F3"].font = openpyxl.styles.Font(italic=True)
    workbook.save(path)
    return path


def test_example_is_the_same_from_both_writers(tmp_path):
    fast, slow = _both(score_file(ALS_EXAMPLE), tmp_path)
    seen = _same(fast, slow)
    assert seen["Summary"]["charts"] == 1 and seen["Summary"]["formats"]
    assert verify_workbook(fast)["ok"]


def test_messy_sheet_is_the_same_from_both_writers(messy, tmp_path):
    result = score_file(messy)
    fast, slow = _both(result, tmp_path)
    seen = _same(fast, slow)
    assert seen["sheets"] == ["Ratings", "Notes", *PEDRO_SHEETS]
    ratings = seen["Ratings"]["cells"]
    assert ratings["C2"][0] == "Y" and ratings["D3"][0] == "Y"  # rewritten, and logged
    assert ratings["A2"][2] == ("Ann", "check this trial's report again")  # the assessor's comment stays
    assert ratings["H4"][1] is not None and ratings["H4"][2][0] == "pedro"  # a blank answer is marked
    assert ratings["A4"][0] == "=HYPERLINK(\"x\")" and ratings["A4"][4]  # still text, quote-prefixed
    workbook = openpyxl.load_workbook(fast)
    assert workbook["Ratings"]["F3"].font.i  # marking a cell keeps its font
    assert workbook["Ratings"]["N3"].value == "rich text"
    assert not any(row[3] == "N3" for row in workbook["Change log"].iter_rows(values_only=True))
    assert workbook["Notes"]["A1"].value == "my own notes"
    assert verify_workbook(fast)["ok"]


def test_rerun_on_an_audited_workbook_is_the_same_from_both_writers(messy, tmp_path):
    first = write_audited(score_file(messy), tmp_path / "first.xlsx")
    workbook = openpyxl.load_workbook(first)
    workbook["Ratings"]["E2"] = "no"  # a later correction
    workbook.save(first)
    fast, slow = _both(score_file(first), tmp_path)
    seen = _same(fast, slow)
    assert seen["sheets"].count("Summary") == 1 and "Summary (pedro)" not in seen["sheets"]
    # pedro's own comments are replaced, not piled up; the assessor's stays
    authors = [c[2][0] for c in seen["Ratings"]["cells"].values() if c[2]]
    assert authors.count("Ann") == 1
    with zipfile.ZipFile(fast) as archive:
        names = archive.namelist()
    assert len(names) == len(set(names))
    assert sum(n.startswith("xl/charts/") for n in names) == 1  # the old chart went with the old Summary
    report = verify_workbook(fast)
    assert report["ok"], report["discrepancies"]


def test_csv_input_is_the_same_from_both_writers(tmp_path):
    rows = item_sheet(TRIALS)
    rows[1][2] = "yes"
    path = write_csv(tmp_path / "in.csv", rows)
    fast, slow = _both(score_file(path), tmp_path)
    _same(fast, slow)


def _shared_formula_answers(tmp_path: Path) -> Path:
    """Item 1 of two trials computed by one shared formula, as Excel writes them."""
    path = write_xlsx(tmp_path / "shared.xlsx", item_sheet({"A": "YYYYNNYYYYY", "B": "YYYYNNYYYYY"}))
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, formula in (("B2", '<f t="shared" ref="B2:B3" si="0">"Y"</f>'), ("B3", '<f t="shared" si="0"/>')):
        start = xml.index(f'<c r="{ref}"')
        end = xml.index("</c>", start) + 4
        xml = xml[:start] + f'<c r="{ref}" t="str">{formula}<v>Y</v></c>' + xml[end:]
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def test_a_shared_formula_answer_is_written_by_the_package_writer(tmp_path):
    """Both cells sharing the formula are answers: each becomes its value, logged with its own formula."""
    result = score_file(_shared_formula_answers(tmp_path))
    fast, slow = _both(result, tmp_path)
    _same(fast, slow)
    workbook = openpyxl.load_workbook(fast)
    assert workbook["Ratings"]["B2"].value == "Y" and workbook["Ratings"]["B3"].value == "Y"
    log = [(r[3], r[6], r[8]) for r in workbook["Change log"].iter_rows(min_row=2, values_only=True)]
    assert log == [("B2", '="Y"', "formula-value"), ("B3", '="Y"', "formula-value")]


def test_an_array_formula_over_other_cells_falls_back_to_openpyxl_and_says_why(tmp_path):
    path = _shared_formula_answers(tmp_path)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = xml.replace('<f t="shared" ref="B2:B3" si="0">', '<f t="array" ref="B2:B3">'
                                                    ).replace('<f t="shared" si="0"/>', "").encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = score_file(path)
    with pytest.raises(Unsupported, match="B2 is part of an array formula or data table over B2:B3"):
        audited_module._write_package(result, tmp_path / "direct.xlsx", None, lambda *a: None)
    stages = []
    out = write_audited(result, tmp_path / "out.xlsx", progress=lambda stage, detail="": stages.append(
        (stage, detail)))
    assert ("carrying the workbook over with openpyxl",
            "cell B2 is part of an array formula or data table over B2:B3") in stages
    assert openpyxl.load_workbook(out)["Ratings"]["B2"].value == "Y"


def test_a_form_control_drawing_is_kept_by_the_package_writer(tmp_path):
    """A check box in the item sheet's legacy drawing (which here declares no office namespace):
    kept, with pedro's notes added beside it."""
    path = write_xlsx(tmp_path / "in.xlsx", item_sheet(TRIALS))
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    checkbox = b'<v:shape id="_x0000_s1025"><x:ClientData ObjectType="Checkbox"/></v:shape>'
    parts["xl/drawings/vmlDrawing1.vml"] = (
        b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:x="urn:schemas-microsoft-com:office:excel">'
        + checkbox + b'</xml>')
    parts["xl/worksheets/_rels/sheet1.xml.rels"] = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
        b'Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing" '
        b'Target="../drawings/vmlDrawing1.vml"/></Relationships>')
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = xml.replace(
        "</worksheet>", '<legacyDrawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships" r:id="rId9"/></worksheet>').encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace("</Types>", '<Default Extension="vml" ContentType="application/'
                                                 'vnd.openxmlformats-officedocument.vmlDrawing"/></Types>').encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    out = audited_module._write_package(score_file(path), tmp_path / "direct.xlsx", None, lambda *a: None)[0]
    with zipfile.ZipFile(out) as archive:
        vml = archive.read("xl/drawings/vmlDrawing1.vml")
    assert checkbox in vml and vml.count(b'ObjectType="Note"') == vml.count(b"<v:shape ") - 1
    assert openpyxl.load_workbook(out)["Ratings"]["H4"].comment.author == "pedro"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_reads_every_sheet_of_the_package_writers_workbook(messy, tmp_path):
    out = write_audited(score_file(messy), tmp_path / "out.xlsx")
    converted = tmp_path / "lo"
    done = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "xlsx", "--outdir", str(converted), str(out)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and (converted / "out.xlsx").exists(), done.stderr
    again = openpyxl.load_workbook(converted / "out.xlsx")
    assert again.sheetnames == openpyxl.load_workbook(out).sheetnames
    original = _look(out)
    for name in again.sheetnames:
        values = {c.coordinate: c.value for row in again[name].iter_rows() for c in row if c.value is not None}
        assert values == {ref: look[0] for ref, look in original[name]["cells"].items() if look[0] is not None}, name
    assert again["Ratings"]["A2"].comment is not None and again["Ratings"]["H4"].comment is not None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_a_libreoffice_written_workbook_is_the_same_from_both_writers(messy, tmp_path):
    """LibreOffice writes shared strings, its own styles and row spans: another writer's package."""
    converted = tmp_path / "lo-in"
    done = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "xlsx", "--outdir", str(converted), str(messy)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    source = converted / "in.xlsx"
    with zipfile.ZipFile(source) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
    result = score_file(source)
    assert len(result.changes) == 2
    fast, slow = _both(result, tmp_path)
    seen = _same(fast, slow)
    ratings = seen["Ratings"]["cells"]
    assert ratings["C2"][0] == "Y" and ratings["H4"][2][0] == "pedro"
    report = verify_workbook(fast)
    assert report["ok"], report["discrepancies"]


def test_users_sheets_named_like_pedros_are_kept_on_every_run(tmp_path):
    """A user's own Scores and Provenance sheets stay; pedro's are 'Scores (pedro)' and
    'Provenance (pedro)', found again, replaced and verified on a re-run."""
    mine = {"Scores": [["my own scores", 7]], "Provenance": [["where the trials came from"]]}
    rows = item_sheet(TRIALS)
    rows[1][2] = "yes"
    path = write_xlsx(tmp_path / "in.xlsx", rows, extra_sheets=mine)
    first = write_audited(score_file(path), tmp_path / "first.xlsx")
    workbook = openpyxl.load_workbook(first)
    workbook["Ratings"]["E2"] = "no"  # a later correction: one more change-log row
    workbook.save(first)
    again_result = score_file(first)
    assert again_result.sheet.sheet == "Ratings" and len(again_result.previous_changes) == 1
    fast, slow = _both(again_result, tmp_path)
    seen = _same(fast, slow)
    assert seen["sheets"] == ["Ratings", "Scores", "Provenance",
                              *(f"{name} (pedro)" if name in mine else name for name in PEDRO_SHEETS)]
    assert "Scores (pedro)" in seen["sheets"] and "Provenance (pedro)" in seen["sheets"]
    assert seen["Scores"]["cells"]["A1"][0] == "my own scores"
    assert seen["Provenance"]["cells"]["A1"][0] == "where the trials came from"
    report = verify_workbook(fast)
    assert report["ok"], report["discrepancies"]
    assert report["chain"]["rows"] == 3  # yes -> Y, then the correction (Y -> no, edited outside pedro), no -> N


def _table_from_both_writers(table, tmp_path: Path) -> tuple[Path, Path]:
    """One ``Table`` as the only sheet of a workbook, written by the package writer and by openpyxl."""
    from pedro.write.package import Package, Styles
    from pedro.write.style import render
    from pedro.write.tables import add_table_sheet

    package = Package.blank()
    styles = Styles(package.text("xl/styles.xml"))
    streamed = add_table_sheet(package, "Table", table, styles)
    streamed["xl/styles.xml"] = lambda: [styles.to_xml()]
    fast, slow = tmp_path / "package.xlsx", tmp_path / "openpyxl.xlsx"
    package.save(fast, streamed)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Table"
    render(workbook.active, table)
    workbook.save(slow)
    return fast, slow


def test_every_field_both_writers_draw_is_drawn_alike(tmp_path):
    """Header and further header rows, bold rows, a title of its own size (over a header row: its font
    wins, the fill stays), severity fills, quote prefixes, panes, filter, widths, traffic light, chart."""
    from pedro.write.style import BarChart, Table

    rows = [["Title"], [], ["Band", "Trials", "severity"], ["good", 3, "error"], ["poor", 1, "=warning"],
            ["Bold line", None], ["Study", "1", "2"], ["Smith", "Y", "N"], ["Jones", None, "?"],
            ["Heading and title", "x"]]
    chart = BarChart(title="Trials per band", y_title="trials", category_column=1, data_column=2, title_row=3,
                     first_row=4, last_row=5, anchor_column=5, anchor_row=3)
    table = Table(rows, header_row=3, freeze="B4", widths={0: 20, 2: 9}, title_row=1, title_size=15,
                  bold_rows=(6, 10), subheader_rows=(7, 10), severity_column=2, answer_blocks=[(2, 2, 8, 9)],
                  chart=chart)
    fast, slow = _table_from_both_writers(table, tmp_path)
    seen = _same(fast, slow)["Table"]
    assert seen["filter"] == "A3:C10" and seen["charts"] == 1
    assert seen["cells"]["A7"][1] == "D9E1F2" and seen["cells"]["C4"][1] == "FFC7CE"
    sizes = [{c.coordinate: c.font.sz for row in openpyxl.load_workbook(path)["Table"].iter_rows() for c in row
              if c.font.sz not in (None, 11)} for path in (fast, slow)]  # 11: the default, written or not
    assert sizes[0] == sizes[1] and sizes[0]["A1"] == 15
    table.title_row = 10
    fast, slow = _table_from_both_writers(table, tmp_path)
    assert _same(fast, slow)["Table"]["cells"]["A10"][1:4] == ("D9E1F2", None, True)
    assert openpyxl.load_workbook(fast)["Table"]["A10"].font.sz == 15


@pytest.mark.parametrize("field, value", [("wrapped", ("A1:B2",)), ("fills", {"A2:B2": "FFF2CC"}),
                                          ("merged", ("A1:B1",)), ("row_heights", {1: 40}),
                                          ("header_notes", {0: "a note"}),
                                          ("validations", (Validation("whole", "0", ("A2:B2",)),))])
def test_the_package_writer_declines_cell_by_cell_styling(field, value, tmp_path):
    """Fields that only openpyxl draws make the package writer decline, never drop them."""
    from pedro.write.style import Table

    table = Table([["a", "b"], ["c", "d"]], **{field: value})
    with pytest.raises(Unsupported, match=field):
        _table_from_both_writers(table, tmp_path)
    _same(*_table_from_both_writers(Table([["a", "b"], ["c", "d"]]), tmp_path))


@given(st.text(alphabet="&<>\"'\n\r\tab;ltgquopm#x\u00e9", max_size=16))
def test_xml_escapes_are_the_standard_librarys(text):
    """The package writer escapes as xml.sax.saxutils does (it has its own functions only so that
    `pedro score` does not import urllib.request through saxutils)."""
    from xml.sax.saxutils import escape, unescape

    from pedro.write import package

    assert package.escape(text) == escape(text)
    assert package.unescape(text) == unescape(text, {"&quot;": '"', "&apos;": "'"})
    assert package.xml_attr(text) == escape(text, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
