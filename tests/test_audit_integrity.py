"""Issue 13, bullets 1-3: the audit covers the whole table pedro read, a re-score keeps the history and logs
the edits made since, and a missing or different key is named.

Audited workbooks are built with the API and the CLI, then edited the way a user's program would: by
rewriting the package's XML (zipfile: a cell's value, a row deleted, rows moved, a row added), which keeps
every other byte as pedro wrote it, and with openpyxl, which rewrites the whole package.  Each test checks
the message `pedro audit` prints and its exit status."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from click.testing import CliRunner

from pedro.audit.chain import KEY_ENV, table_digest
from pedro.audit.record import CellTable, differences
from pedro.audit.verify import verify_workbook
from pedro.cli import main
from pedro.engine import continue_history, score_file
from pedro.errors import InputError
from pedro.write.audited import write_audited

from conftest import ALS_EXAMPLE, item_sheet, write_xlsx

# Five trials with a reported total, evidence for item 2 and a notes column; 'y' and 'n' are synonyms, so the
# first change log has rows.  Totals 8, 5, 7, 8, 3.
STUDIES = {"Smith 2001": "yYYNNYYYYYY", "Jones 2002": "YYNYNNYnNYY", "Lee 2003": "NYYYNNNYYYY",
           "Garcia 2010": "YYYNYNYYYYY", "Okafor 2015": "YYNNNNNNNYY"}
EXTRA = {"Smith 2001": [8, "'randomly allocated' p.3", "checked twice"], "Jones 2002": [5, "'random numbers'", None],
         "Lee 2003": [7, "'sealed envelopes'", "ask the author"], "Garcia 2010": [8, "'coin toss'", None],
         "Okafor 2015": [3, "'computer generated'", None]}
# Columns: A Study, B-L items 1-11, M Total, N evidence for item 2, O Notes.


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture
def audited(tmp_path) -> Path:
    source = write_xlsx(tmp_path / "ratings.xlsx", item_sheet(STUDIES, ["Total", "2 evidence", "Notes"], EXTRA))
    return write_audited(score_file(source), tmp_path / "ratings.audited.xlsx")


def _audit(path, *args):
    return CliRunner().invoke(main, ["audit", str(path), *args])


def _discrepancies(result) -> list[str]:
    """The indented lines under the verdict: one per discrepancy."""
    lines = result.output.splitlines()
    return [line.strip() for line in lines[1:] if line.startswith("  ")]


# --------------------------------------------------------------------------- editing the package


def _sheet_part(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(escape(sheet))}"[^>]*?r:id="([^"]+)"', workbook).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*/>', rels).group(0)
    target = re.search(r'Target="([^"]+)"', target).group(1).lstrip("/")
    return target if target.startswith("xl/") else f"xl/{target}"


def _rewrite_part(path: Path, part: str, edit) -> None:
    """Rewrite one part of the package with ``edit(xml) -> xml``; every other part is copied byte for byte."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, edit(data.decode("utf-8")).encode("utf-8") if info.filename == part else data)


def _cell_xml(ref: str, value) -> str:
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def package_set(path: Path, sheet: str, ref: str, value) -> None:
    """Put ``value`` in cell ``ref`` by rewriting the sheet's XML, as a program editing the package would."""
    row = int(re.sub(r"[A-Z]+", "", ref))

    def edit(xml):
        cell = re.compile(rf'<c r="{ref}"(?:\s[^>]*)?(?:/>|>.*?</c>)', re.S)
        if cell.search(xml):
            return cell.sub(lambda _: _cell_xml(ref, value), xml, count=1)
        # not there yet: the cell goes at the end of its row (the tests add cells after the last one only)
        found = re.search(rf'(<row r="{row}"[^>]*>)(.*?)(</row>)', xml, re.S)
        return xml[:found.start(3)] + _cell_xml(ref, value) + xml[found.start(3):]

    _rewrite_part(path, _sheet_part(path, sheet), edit)


_ROW = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)


def _renumbered(row_xml: str, old: int, new: int) -> str:
    row_xml = re.sub(rf'(<row r="){old}"', rf'\g<1>{new}"', row_xml, count=1)
    return re.sub(rf'(<c r="[A-Z]+){old}"', rf'\g<1>{new}"', row_xml)


def package_reorder_rows(path: Path, sheet: str, order) -> None:
    """Rewrite the sheet's rows from the first of ``order`` down: old row ``order[k]`` becomes the k-th of
    them, and the rows from there down that ``order`` leaves out are deleted (as Excel's Delete Row does)."""
    def edit(xml):
        rows = {int(m.group(1)): m.group(0) for m in _ROW.finditer(xml)}
        first = min(order)
        new_rows = [rows[r] for r in sorted(rows) if r < first]
        for number, old in enumerate(order, start=first):
            new_rows.append(_renumbered(rows[old], old, number))
        start, end = xml.index("<sheetData>") + len("<sheetData>"), xml.index("</sheetData>")
        return xml[:start] + "".join(new_rows) + xml[end:]

    _rewrite_part(path, _sheet_part(path, sheet), edit)


def package_add_row(path: Path, sheet: str, number: int, values: list) -> None:
    def edit(xml):
        cells = "".join(_cell_xml(f"{chr(65 + k)}{number}", v) for k, v in enumerate(values) if v is not None)
        return xml.replace("</sheetData>", f'<row r="{number}">{cells}</row></sheetData>', 1)

    _rewrite_part(path, _sheet_part(path, sheet), edit)


def openpyxl_set(path: Path, sheet: str, ref: str, value) -> None:
    workbook = openpyxl.load_workbook(path)
    workbook[sheet][ref] = value
    workbook.save(path)


EDITORS = {"package": package_set, "openpyxl": openpyxl_set}


# --------------------------------------------------------------------------- the whole table is covered


def test_fresh_workbook_verifies_and_says_what_is_covered(audited):
    result = _audit(audited)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "ratings.audited.xlsx: verified"
    assert ("covered: sheet 'Ratings', its table (header row 1, 5 trial(s), columns A-O: every cell), and "
            "pedro's sheets; not the cells outside the table") in result.output
    recorded = openpyxl.load_workbook(audited)["Recorded cells"]
    assert [c.value for c in recorded[1]] == ["Row", "Study", "Digest", "Cells"]
    assert recorded["B3"].value == "Smith 2001" and recorded["D3"].value.startswith('["Smith 2001","Y","Y"')


@pytest.mark.parametrize("editor", EDITORS)
def test_swapped_labels_are_named(audited, editor):
    EDITORS[editor](audited, "Ratings", "A3", "Lee 2003")  # Jones 2002's row
    EDITORS[editor](audited, "Ratings", "A4", "Jones 2002")  # Lee 2003's row
    result = _audit(audited)
    assert result.exit_code == 1
    found = _discrepancies(result)
    assert found[:2] == [
        "Ratings!A3: the answers recorded for Jones 2002 now stand under Lee 2003 (the label was edited after "
        "scoring)",
        "Ratings!A4: the answers recorded for Lee 2003 now stand under Jones 2002 (the label was edited after "
        "scoring)"]
    # Each trial's Scores row is found by the trial's recorded identity (its row), not by the label it stands
    # under now: its total still matches its cells, so the swap is named once, not again as Scores mismatches.
    assert len(found) == 2


def test_a_trial_relabelled_and_edited_is_named_in_scores_as_its_scores_row_names_it(audited):
    openpyxl_set(audited, "Ratings", "A3", "Mensah 2020")  # Jones 2002's row, a label no trial had
    openpyxl_set(audited, "Ratings", "C3", "N")  # item 2: Jones 2002's total 5 -> 4
    found = _discrepancies(_audit(audited))
    assert "Jones 2002 (labelled Mensah 2020 now): Scores!N3 (Total) expected 4, found 5" in found
    assert not [line for line in found if line.startswith("Mensah 2020: Scores!")]


@pytest.mark.parametrize("editor", EDITORS)
@pytest.mark.parametrize(("cell", "value", "message"), [
    ("N2", "'allocated by coin toss' p.3",
     "Smith 2001: Ratings!N2 edited after scoring: recorded \"'randomly allocated' p.3\", found \"'allocated by coin "
     "toss' p.3\" (2 evidence)"),
    ("O4", "author answered", "Lee 2003: Ratings!O4 edited after scoring: recorded 'ask the author', found "
                              "'author answered' (Notes)"),
    ("O3", "new note", "Jones 2002: Ratings!O3 edited after scoring: recorded blank, found 'new note' (Notes)"),
    ("M3", 6, "Jones 2002: Ratings!M3 edited after scoring: recorded '5', found '6' (Total)"),
])
def test_evidence_notes_and_total_edits_are_named(audited, editor, cell, value, message):
    EDITORS[editor](audited, "Ratings", cell, value)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result)[0] == message
    assert not verify_workbook(audited)["table"]["ok"]


def test_answer_edit_is_named_once(audited):
    package_set(audited, "Ratings", "D4", "N")  # Lee 2003, item 3: Y -> N
    report = verify_workbook(audited)
    assert report["edited_after_scoring"] == [{"study": "Lee 2003", "item": 3, "cell": "D4", "recorded": "Y",
                                               "found": "N"}]
    assert report["discrepancies"][0] == ("Lee 2003: Ratings!D4 edited after scoring: recorded 'Y', found 'N' "
                                          "(3 Concealed allocation)")
    assert report["answers"] == {"ok": False}


def test_a_header_edit_is_named(audited):
    package_set(audited, "Ratings", "O1", "Comments")
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Ratings!O1 (the table's header) edited after scoring: recorded 'Notes', "
                                      "found 'Comments'"]


@pytest.mark.parametrize("editor", ["package", "openpyxl"])
def test_a_row_added_is_named(audited, editor):
    values = ["Mensah 2020", *"YYYYNNYYYYY", 8, "'randomised'", None]
    if editor == "package":
        package_add_row(audited, "Ratings", 7, values)
    else:
        workbook = openpyxl.load_workbook(audited)
        workbook["Ratings"].append(values)
        workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Mensah 2020: Ratings row 7 added after scoring (a trial pedro did not score)"]
    report = verify_workbook(audited)
    assert report["table_changes"][0]["change"] == "added"
    assert report["table_changes"][0]["found"].startswith("A7: Mensah 2020; B7: Y")


@pytest.mark.parametrize("editor", ["package", "openpyxl"])
def test_a_row_deleted_is_named_deleted_and_the_rows_below_not_moved(audited, editor):
    if editor == "package":
        package_reorder_rows(audited, "Ratings", [2, 3, 5, 6])  # row 4 (Lee 2003) goes; 5 and 6 move up
    else:
        workbook = openpyxl.load_workbook(audited)
        workbook["Ratings"].delete_rows(4)
        workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Lee 2003: Ratings row 4 deleted after scoring (the trial is no longer in the "
                                      "table)"]
    change = verify_workbook(audited)["table_changes"][0]
    assert change["change"] == "deleted" and change["recorded"].startswith("A4: Lee 2003; B4: N; C4: Y")


@pytest.mark.parametrize("editor", ["package", "openpyxl"])
def test_a_row_moved_is_named(audited, editor):
    if editor == "package":
        package_reorder_rows(audited, "Ratings", [3, 4, 5, 6, 2])  # Smith 2001 cut and inserted at the end
    else:
        workbook = openpyxl.load_workbook(audited)
        sheet = workbook["Ratings"]
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_row=6)]
        for r, values in enumerate([*rows[1:], rows[0]], start=2):
            for c, value in enumerate(values, start=1):
                sheet.cell(row=r, column=c).value = value
        workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Smith 2001: Ratings row 2 moved to row 6 after scoring"]


def test_a_column_deleted_is_named_once(audited):
    workbook = openpyxl.load_workbook(audited)
    workbook["Ratings"].delete_cols(15)  # Notes
    workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Ratings: column 'Notes' (recorded at O) deleted from the table after scoring"]


def test_the_item_sheet_renamed_is_named_and_still_compared(audited):
    workbook = openpyxl.load_workbook(audited)
    workbook["Ratings"].title = "Mine"
    workbook["Mine"]["O2"] = "rechecked"
    workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Mine: the item sheet was called 'Ratings' at scoring (renamed after scoring)",
                                      "Smith 2001: Mine!O2 edited after scoring: recorded 'checked twice', found "
                                      "'rechecked' (Notes)"]


def test_cells_outside_the_table_are_free_to_edit(audited):
    workbook = openpyxl.load_workbook(audited)
    sheet = workbook["Ratings"]
    sheet["Q3"] = "a note beside the table"  # no header above it: outside the table
    sheet["A9"] = "Mean"  # a summary row under the table, not a trial
    sheet["M9"] = 6.2
    workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 0, result.output


def test_written_by_openpyxl_the_table_is_recorded_and_lost_formula_values_are_not_edits(tmp_path, monkeypatch):
    """The openpyxl writer (the fallback for packages the package writer declines) records the table too; it
    keeps a formula but not its saved value, so the reported totals computed by formulas read as blank
    afterwards: not an edit (PD804 names them on scoring again)."""
    import pedro.write.audited as audited_module
    from pedro.write.package import Unsupported

    source = write_xlsx(tmp_path / "ratings.xlsx", item_sheet(STUDIES, ["Total", "2 evidence", "Notes"], EXTRA))
    for line, total in zip(range(2, 7), (8, 5, 7, 8, 3)):  # totals as formulas with their saved values
        formula = f'<c r="M{line}"><f>SUM({total},0)</f><v>{total}</v></c>'
        _rewrite_part(source, _sheet_part(source, "Ratings"),
                      lambda xml, line=line, formula=formula: re.sub(rf'<c r="M{line}"[^>]*>.*?</c>', formula, xml,
                                                                     count=1, flags=re.S))
    assert score_file(source).sheet.studies["total"].tolist() == [8, 5, 7, 8, 3]

    def declined(*args, **kwargs):
        raise Unsupported("declined for the test")

    monkeypatch.setattr(audited_module, "_write_package", declined)
    output = write_audited(score_file(source), tmp_path / "ratings.audited.xlsx")
    assert "Recorded cells" in openpyxl.load_workbook(output).sheetnames
    assert _audit(output).exit_code == 0, _audit(output).output
    openpyxl_set(output, "Ratings", "O4", "changed")
    assert _discrepancies(_audit(output)) == ["Lee 2003: Ratings!O4 edited after scoring: recorded 'ask the "
                                              "author', found 'changed' (Notes)"]


def test_the_recorded_cells_edited_are_caught(audited):
    def edit(xml):
        return xml.replace('["Lee 2003","N"', '["Lee 2003","Y"', 1)

    _rewrite_part(audited, _sheet_part(audited, "Recorded cells"), edit)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result)[:2] == ["Recorded cells sheet: edited after scoring (its digest differs)",
                                          "Recorded cells!A5: row edited after scoring (it does not match its "
                                          "digest)"]


def test_pedros_sheets_are_named_as_the_workbook_names_them(tmp_path):
    rows = item_sheet(STUDIES, ["Total", "2 evidence", "Notes"], EXTRA)
    source = write_xlsx(tmp_path / "own.xlsx", rows, extra_sheets={"Scores": [["my own scores"]]})
    audited = write_audited(score_file(source), tmp_path / "own.audited.xlsx")
    openpyxl_set(audited, "Scores (pedro)", "N2", 9)
    package_set(audited, "Ratings", "O2", "changed")
    found = _discrepancies(_audit(audited))
    assert found[0] == "Scores (pedro) sheet: edited after scoring (its digest differs from the one recorded)"
    assert "Smith 2001: Scores (pedro)!N2 (Total) expected 8, found 9" in found
    assert not [line for line in found if "Scores!" in line]


def test_a_non_numeric_log_length_is_a_finding_not_a_crash(audited):
    workbook = openpyxl.load_workbook(audited)
    provenance = workbook["Provenance"]
    for row in provenance.iter_rows(min_row=2):
        if row[0].value == "change_log_rows":
            row[1].value = "two"
    entries = [[row[0].value, row[1].value] for row in provenance.iter_rows(min_row=2)]
    provenance.cell(row=provenance.max_row, column=2).value = table_digest(entries[:-1], None)  # resealed
    workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Change log: the Provenance sheet records 'two' as its number of rows, not a "
                                      "number: the Provenance was edited"]


def test_a_workbook_from_before_the_table_was_recorded_still_verifies_its_answers(audited):
    workbook = openpyxl.load_workbook(audited)
    del workbook["Recorded cells"]
    provenance = workbook["Provenance"]
    for line in range(provenance.max_row, 1, -1):  # as an earlier pedro wrote it: neither key
        if provenance.cell(row=line, column=1).value in ("recorded_cells_digest", "key_fingerprint"):
            provenance.delete_rows(line)
    entries = [[row[0].value, row[1].value] for row in provenance.iter_rows(min_row=2)]
    provenance.cell(row=provenance.max_row, column=2).value = table_digest(entries[:-1], None)
    workbook["Ratings"]["D4"] = "N"
    workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 1
    assert "Lee 2003: Ratings!D4 edited after scoring: recorded 'Y', found 'N'" in result.output
    assert ("covered: the answer cells and pedro's sheets only (written by an earlier pedro: score it again to "
            "cover the whole table)") in result.output


def test_rows_sorted_are_the_fewest_moves():
    """Sorting reverses five rows: four are named as moved (the longest run in order stays), none as edited."""
    rows = [[label, "Y"] for label in ("a", "b", "c", "d", "e")]
    recorded = CellTable(["A", "B"], 1, ["Study", "1"], [2, 3, 4, 5, 6], [r[0] for r in rows], rows)
    current = CellTable(["A", "B"], 1, ["Study", "1"], [2, 3, 4, 5, 6], [r[0] for r in rows[::-1]], rows[::-1], "A")
    found = differences(recorded, current, "S")
    assert [d.kind for d in found] == ["moved"] * 4


# --------------------------------------------------------------------------- re-scoring keeps the history


def _log(path: Path) -> list[list]:
    return [[c.value for c in row] for row in openpyxl.load_workbook(path)["Change log"].iter_rows(min_row=2)]


def test_rescore_keeps_every_earlier_row_and_logs_the_edits_first(audited, tmp_path):
    earlier = _log(audited)
    assert [r[3] for r in earlier] == ["B2", "I3"]  # pedro's own: 'y' and 'n' written as Y and N
    package_set(audited, "Ratings", "D4", "yes")  # an answer, in a synonym pedro will rewrite
    package_set(audited, "Ratings", "N3", "'random numbers table' p.2")  # evidence
    package_reorder_rows(audited, "Ratings", [2, 3, 4, 5])  # Okafor 2015 deleted
    again = tmp_path / "again.xlsx"
    run = CliRunner().invoke(main, ["score", str(audited), "-o", str(again)])
    assert run.exit_code == 0, run.output
    log = _log(again)
    assert log[:2] == earlier  # verbatim, hashes included: the chain continues from the last
    outside = [r for r in log[2:] if r[8] == "edited outside pedro"]
    assert [r[2:8] for r in outside] == [
        ["Ratings", "N3", "Jones 2002", None, "'random numbers'", "'random numbers table' p.2"],
        ["Ratings", "D4", "Lee 2003", 3, "Y", "yes"],
        ["Ratings", "row 6", "Okafor 2015", None,
         "A6: Okafor 2015; B6: Y; C6: Y; D6: N; E6: N; F6: N; G6: N; H6: N; I6: N; J6: N; K6: Y; L6: Y; M6: 3; "
         "N6: 'computer generated'", None]]
    assert outside[0][1] == "unknown"  # who edited is not known: the package edit left the properties alone
    assert "found by" in outside[0][9] and "on scoring again" in outside[0][9]
    # then pedro's own change of this run, after the edits it found
    assert [r[3:9] for r in log[5:]] == [["D4", "Lee 2003", 3, "yes", "Y", "answer-synonym"]]
    result = _audit(again)
    assert result.exit_code == 0, result.output
    assert "change log: 6 row(s), chain intact" in result.output


def test_rescore_twice_adds_nothing_when_nothing_changed(audited, tmp_path):
    first = write_audited(score_file(audited), tmp_path / "first.xlsx")
    second = write_audited(score_file(first), tmp_path / "second.xlsx")
    assert _log(second) == _log(first) == _log(audited)
    assert _audit(second).exit_code == 0


def test_rescore_names_who_saved_the_workbook(audited, tmp_path):
    workbook = openpyxl.load_workbook(audited)
    workbook["Ratings"]["O3"] = "looked again"
    workbook.properties.lastModifiedBy = "Ana Assessor"
    workbook.save(audited)
    # openpyxl stamps the save with the time now; the save must be clearly after scoring to be believed
    with zipfile.ZipFile(audited) as archive:
        core = archive.read("docProps/core.xml").decode()
    later = re.sub(r"<dcterms:modified([^>]*)>[^<]*<", r"<dcterms:modified\1>2099-01-01T00:00:00Z<", core)
    _rewrite_part(audited, "docProps/core.xml", lambda xml: later)
    result = score_file(audited)
    again = write_audited(result, tmp_path / "again.xlsx")
    row = _log(again)[2]
    assert row[1:9] == ["Ana Assessor", "Ratings", "O3", "Jones 2002", None, None, "looked again",
                        "edited outside pedro"]
    assert "the workbook was last saved at 2099-01-01T00:00:00+00:00" in row[9]


def test_rescore_of_the_example_keeps_a_verifiable_history(tmp_path):
    source = tmp_path / ALS_EXAMPLE.name
    source.write_bytes(ALS_EXAMPLE.read_bytes())
    audited = write_audited(score_file(source), tmp_path / "als.audited.xlsx")
    package_set(audited, "PEDro ratings", "M6", 6)  # Clawson 2017's reported total, 5
    again = write_audited(score_file(audited), tmp_path / "als.again.xlsx")
    assert [r[3:9] for r in _log(again)] == [["M6", "Clawson 2017", None, "5", "6", "edited outside pedro"]]
    result = _audit(again)
    assert result.exit_code == 0, result.output
    assert "header row 4, 6 trial(s), columns A-M" in result.output


def test_scoring_the_input_again_continues_the_history_of_its_audited_workbook(tmp_path):
    """The way the issue met it: the assessor corrects the input and runs `pedro score` on it again, onto its
    audited workbook; the history there is continued, not rewritten (``continue_history``)."""
    source = write_xlsx(tmp_path / "ratings.xlsx", item_sheet(STUDIES, ["Total", "2 evidence", "Notes"], EXTRA))
    output = write_audited(score_file(source))
    earlier = _log(output)
    openpyxl_set(source, "Ratings", "B2", "N")  # Smith 2001, item 1: 'y', written Y by pedro, now N
    write_audited(continue_history(score_file(source), output), output)
    log = _log(output)
    assert log[:2] == earlier
    # I3 still holds 'n', rewritten to N as the log's last row for it says: not logged again (a re-run
    # duplicates nothing); the edit is logged
    assert [r[3:9] for r in log[2:]] == [["B2", "Smith 2001", 1, "Y", "N", "edited outside pedro"]]
    assert _audit(output).exit_code == 0


def test_scoring_the_input_again_will_not_lose_edits_made_in_its_audited_workbook(tmp_path):
    source = write_xlsx(tmp_path / "ratings.xlsx", item_sheet(STUDIES, ["Total", "2 evidence", "Notes"], EXTRA))
    output = write_audited(score_file(source))
    package_set(output, "Ratings", "O3", "noted in the audited copy")
    with pytest.raises(InputError, match=re.escape(
            "ratings.audited.xlsx holds 1 edit(s) made since it was scored (Jones 2002: Ratings!O3 edited after "
            "scoring: recorded blank, found 'noted in the audited copy' (Notes)), which writing over it would "
            "lose; score ratings.audited.xlsx instead of ratings.xlsx")):
        continue_history(score_file(source), output)
    other = write_xlsx(tmp_path / "other.xlsx", item_sheet(STUDIES, ["Total", "2 evidence", "Notes"], EXTRA))
    fresh = score_file(other)
    assert continue_history(fresh, output) is fresh  # another input's audited workbook: no history of this one


# --------------------------------------------------------------------------- the key is named


@pytest.fixture
def keyed(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(KEY_ENV, "the editor's key")
    source = write_xlsx(tmp_path / "ratings.xlsx", item_sheet(STUDIES, ["Total", "2 evidence", "Notes"], EXTRA))
    return write_audited(score_file(source), tmp_path / "keyed.audited.xlsx")


def test_the_key_is_recorded_as_a_fingerprint_never_itself(keyed):
    provenance = {row[0].value: row[1].value for row in openpyxl.load_workbook(keyed)["Provenance"].iter_rows()}
    assert provenance["key_fingerprint"].startswith("hmac-sha256:")
    with zipfile.ZipFile(keyed) as archive:
        assert not any(b"the editor's key" in archive.read(name) for name in archive.namelist())


def test_a_missing_key_is_named_first(keyed, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    result = _audit(keyed)
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        "pedro: keyed.audited.xlsx was sealed with a key; the key given (PEDRO_AUDIT_KEY) is missing: set "
        "PEDRO_AUDIT_KEY to the key it was scored with, then run again")
    assert "tamper" not in result.output and "edited" not in result.output


def test_a_different_key_is_named_first(keyed, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "a colleague's key")
    result = _audit(keyed)
    assert result.exit_code == 2
    assert result.output.splitlines()[0].startswith(
        "pedro: keyed.audited.xlsx was sealed with a key; the key given (PEDRO_AUDIT_KEY) is different")
    assert len(result.output.splitlines()) == 1  # not every row listed as tampered


def test_an_unkeyed_workbook_audited_with_a_key_is_named(audited, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "the editor's key")
    result = _audit(audited)
    assert result.exit_code == 2
    assert result.output.startswith("pedro: ratings.audited.xlsx was sealed without a key, but a key is given "
                                    "(PEDRO_AUDIT_KEY)")


@pytest.mark.parametrize("editor", EDITORS)
def test_with_the_right_key_tampering_is_reported(keyed, editor):
    assert _audit(keyed).exit_code == 0
    EDITORS[editor](keyed, "Ratings", "N5", "'shuffled cards'")
    result = _audit(keyed)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Garcia 2010: Ratings!N5 edited after scoring: recorded \"'coin toss'\", "
                                      "found \"'shuffled cards'\" (2 evidence)"]


def test_with_the_key_a_rescore_continues_the_keyed_history(keyed, tmp_path):
    package_set(keyed, "Ratings", "O5", "keyed note")
    again = write_audited(score_file(keyed), tmp_path / "again.xlsx")
    log = _log(again)
    assert log[:2] == _log(keyed) and all(r[10].startswith("hmac-sha256:") for r in log)
    assert log[2][3:9] == ["O5", "Garcia 2010", None, None, "keyed note", "edited outside pedro"]
    assert _audit(again).exit_code == 0


def test_with_the_right_key_a_forged_fingerprint_is_tampering_not_a_wrong_key(keyed):
    workbook = openpyxl.load_workbook(keyed)
    for row in workbook["Provenance"].iter_rows(min_row=2):
        if row[0].value == "key_fingerprint":
            row[1].value = "hmac-sha256:" + "0" * 64
    workbook.save(keyed)
    result = _audit(keyed)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Provenance sheet: its rows were changed after scoring (digest differs)"]


# --------------------------------------------------------------------------- a round trip through LibreOffice


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_saved_again_by_libreoffice_it_still_verifies_and_rescores(audited, tmp_path):
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(audited)],
                   check=True, capture_output=True, timeout=180)
    saved = out / audited.name
    assert _audit(saved).exit_code == 0, _audit(saved).output
    package_set(saved, "Ratings", "O6", "re-read")
    again = write_audited(score_file(saved), tmp_path / "again.xlsx")
    assert [r[3:9] for r in _log(again)[2:]] == [["O6", "Okafor 2015", None, None, "re-read",
                                                  "edited outside pedro"]]
    assert _audit(again).exit_code == 0


# --------------------------------------------------------------------------- rows moved, inserted; columns beside


def package_insert_row(path: Path, sheet: str, number: int, values: list) -> None:
    """Insert a row at ``number`` by rewriting the sheet's XML, the rows from there down renumbered one lower
    (as Excel's Insert Row does); ``values`` all None insert a blank row."""
    def edit(xml):
        rows = {int(m.group(1)): m.group(0) for m in _ROW.finditer(xml)}
        cells = "".join(_cell_xml(f"{chr(65 + k)}{number}", v) for k, v in enumerate(values) if v is not None)
        new_rows = [rows[r] if r < number else _renumbered(rows[r], r, r + 1) for r in sorted(rows)]
        new_rows.insert(sum(r < number for r in rows), f'<row r="{number}">{cells}</row>')
        start, end = xml.index("<sheetData>") + len("<sheetData>"), xml.index("</sheetData>")
        return xml[:start] + "".join(new_rows) + xml[end:]

    _rewrite_part(path, _sheet_part(path, sheet), edit)


def _openpyxl_reorder_rows(path: Path, order: list[int]) -> None:
    """Rewrite rows 2-6's values in ``order`` (old row numbers), as a user sorting or cutting and pasting does."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Ratings"]
    rows = {r: [c.value for c in sheet[r]] for r in range(2, 7)}
    for r, old in enumerate(order, start=2):
        for c, value in enumerate(rows[old], start=1):
            sheet.cell(row=r, column=c).value = value
    workbook.save(path)


@pytest.mark.parametrize("editor", ["package", "openpyxl"])
@pytest.mark.parametrize(("order", "expected"), [
    ([4, 3, 2, 5, 6], ["Lee 2003: Ratings row 4 moved to row 2 after scoring",  # rows 2 and 4 swapped
                       "Smith 2001: Ratings row 2 moved to row 4 after scoring"]),
    ([2, 6, 4, 3, 5], ["Okafor 2015: Ratings row 6 moved to row 3 after scoring",  # sorted by label, descending
                       "Jones 2002: Ratings row 3 moved to row 5 after scoring"])])
def test_rows_reordered_name_exactly_the_trials_whose_place_changed(audited, editor, order, expected):
    """Of the ways to keep most rows in order, the one that keeps rows on their own row: Jones 2002 between
    two swapped rows did not move, and no trial 'moved from row N to row N'."""
    if editor == "package":
        package_reorder_rows(audited, "Ratings", order)
    else:
        _openpyxl_reorder_rows(audited, order)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result) == expected


def test_a_trial_out_of_order_on_its_own_row_is_not_said_to_move_to_it():
    """D E C A B from A B C D E: C is still on row 4 but out of order (either pair stays); it is not 'moved
    from row 4 to row 4'."""
    rows = [[label, "Y"] for label in "abcde"]
    order = [3, 4, 2, 0, 1]
    recorded = CellTable(["A", "B"], 1, ["Study", "1"], [2, 3, 4, 5, 6], list("abcde"), rows)
    current = CellTable(["A", "B"], 1, ["Study", "1"], [2, 3, 4, 5, 6], [rows[k][0] for k in order],
                        [rows[k] for k in order], "A")
    messages = [d.message for d in differences(recorded, current, "S")]
    assert len(messages) == 3
    assert "c: S row 4 is out of its recorded order after scoring (the rows around it were reordered)" in messages
    assert not [m for m in messages if re.search(r"row (\d+) moved to row \1\b", m)]


@pytest.mark.parametrize("editor", ["package", "openpyxl"])
def test_a_blank_row_inserted_among_the_trials_verifies(audited, editor):
    """The rows below it only shifted: the answers digest, which covers each answer's row, is checked
    against the row each trial had at scoring."""
    if editor == "package":
        package_insert_row(audited, "Ratings", 4, [None] * 15)
    else:
        workbook = openpyxl.load_workbook(audited)
        workbook["Ratings"].insert_rows(4)
        workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 0, result.output
    assert verify_workbook(audited)["answers"]["ok"]


@pytest.mark.parametrize("editor", ["package", "openpyxl"])
def test_a_trial_inserted_is_named_and_the_scores_follow_each_trial_not_its_row(audited, editor):
    values = ["Mensah 2020", *"YYYYYYYYYYY", 10, "'randomised'", None]
    if editor == "package":
        package_insert_row(audited, "Ratings", 3, values)
    else:
        workbook = openpyxl.load_workbook(audited)
        workbook["Ratings"].insert_rows(3)
        for c, value in enumerate(values, start=1):
            workbook["Ratings"].cell(row=3, column=c).value = value
        workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 1
    # no 'Mensah 2020: Scores!N3 expected 10, found 5': Scores row 3 is Jones 2002's, now on row 4
    assert _discrepancies(result) == ["Mensah 2020: Ratings row 3 added after scoring (a trial pedro did not score)"]


@pytest.mark.parametrize("editor", EDITORS)
def test_a_column_added_right_of_the_table_is_outside_it(audited, editor):
    """The table was recorded as A-O; a 'Comments' column in Q (P left blank) is beside it, free to edit."""
    EDITORS[editor](audited, "Ratings", "Q1", "Comments")
    EDITORS[editor](audited, "Ratings", "Q3", "see email")
    result = _audit(audited)
    assert result.exit_code == 0, result.output


def test_a_column_without_a_header_inserted_in_the_table_is_worded_so(audited):
    workbook = openpyxl.load_workbook(audited)
    workbook["Ratings"].insert_cols(14)  # before '2 evidence': N is blank, the columns right of it shift
    workbook.save(audited)
    result = _audit(audited)
    assert result.exit_code == 1
    assert _discrepancies(result) == ["Ratings!N1: a column without a header added to the table after scoring"]
