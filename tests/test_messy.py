"""Messy but legitimate sheets (issue 5, point 3): read correctly, and what
the values alone do not show (hidden rows, merged headers, formulas without a
value, footnote marks) said in a finding, never guessed."""

from __future__ import annotations

import datetime as dt
import json
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pedro.cli import main
from pedro.engine import score_file
from pedro.errors import SheetError
from pedro.write.audited import write_audited

from conftest import ITEM_HEADERS, dump_workbook, item_sheet, write_csv, write_xlsx

TRIALS = {"Smith 2010": "YYYNYNNYYYY", "Jones 2012": "YYNYNNYYNYY", "Lee 2015": "NNNNNNNNNNN"}
TOTALS = {"Smith 2010": 7, "Jones 2012": 6, "Lee 2015": 0}


def findings(result, rule):
    return result.findings[result.findings["rule"] == rule]


def totals(result) -> dict:
    return dict(zip(result.sheet.studies["study"], result.scores["total"]))


def test_title_and_note_rows_above_the_header(tmp_path):
    rows = [["Table 2. PEDro ratings of the included trials"], ["Rated by AB and CD; disagreements resolved"],
            [], *item_sheet(TRIALS)]
    result = score_file(write_xlsx(tmp_path / "in.xlsx", rows))
    assert result.sheet.layout.header_row == 4 and totals(result) == TOTALS
    assert findings(result, "PD805").empty


def _grouped(path: Path, merge: bool) -> Path:
    """Study and Total in a group row above the item numbers, as many reviews lay them out."""
    group = ["Study", "Internal validity", *[None] * 7, "Statistical reporting", None, None, "Total"]
    numbers = [None, *map(str, range(1, 12)), None]
    rows = [group, numbers] + [[label, *answers, TOTALS[label]] for label, answers in TRIALS.items()]
    write_xlsx(path, rows)
    if merge:
        workbook = openpyxl.load_workbook(path)
        sheet = workbook.active
        for area in ("A1:A2", "B1:H1", "I1:L1", "M1:M2"):
            sheet.merge_cells(area)
        workbook.save(path)
    return path


@pytest.mark.parametrize("merge", [False, True], ids=["group-row", "merged-group-row"])
def test_two_header_rows(tmp_path, merge):
    result = score_file(_grouped(tmp_path / "in.xlsx", merge))
    layout = result.sheet.layout
    assert layout.header_row == 2 and layout.role("total").letter == "M" and layout.role("study").letter == "A"
    assert totals(result) == TOTALS
    assert findings(result, "PD202").empty  # the reported totals were read, and agree
    notes = findings(result, "PD805")
    assert sorted(notes["cell"]) == ["A1", "M1"]
    phrase = "is merged over A1:A2" if merge else "is in the row above the header row"
    assert any(phrase in m for m in notes["message"])
    assert any("read as the reported total for column M" in m for m in notes["message"])


def test_reported_total_read_from_group_row_is_checked(tmp_path):
    path = _grouped(tmp_path / "in.xlsx", merge=True)
    workbook = openpyxl.load_workbook(path)
    workbook.active["M3"] = 9  # Smith 2010 has 7
    workbook.save(path)
    assert list(findings(score_file(path), "PD202")["cell"]) == ["M3"]


def test_merged_header_cell_over_two_columns(tmp_path):
    rows = item_sheet(TRIALS, ["Notes"], {label: ["n"] for label in TRIALS})
    rows[0].append(None)  # a column under the merged 'Notes' header
    for row in rows[1:]:
        row.append("more")
    path = write_xlsx(tmp_path / "in.xlsx", rows)
    workbook = openpyxl.load_workbook(path)
    workbook.active.merge_cells("M1:N1")
    workbook.save(path)
    result = score_file(path)
    assert totals(result) == TOTALS
    [message] = findings(result, "PD805")["message"]
    assert "header 'Notes' is merged over M1:N1" in message and "column N under it" in message


def test_merged_answer_cells_are_not_copied(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", item_sheet(TRIALS))
    workbook = openpyxl.load_workbook(path)
    workbook.active.merge_cells("F4:H4")  # Lee 2015, items 5-7: "N" once, over three cells
    workbook.save(path)
    result = score_file(path)
    missing = findings(result, "PD102")
    assert sorted(missing["cell"]) == ["G4", "H4"]  # blank, never a copy of F4
    [message] = findings(result, "PD805")["message"]
    assert "cells F4:H4 are merged: only F4 holds a value ('N')" in message


def test_hidden_rows_columns_and_sheet_are_read_and_said(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", item_sheet(TRIALS), extra_sheets={"Notes": [["visible notes"]]})
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Ratings"]
    sheet.row_dimensions[3].hidden = True  # Jones 2012
    sheet.column_dimensions["F"].hidden = True  # item 5
    sheet.sheet_state = "hidden"
    workbook.active = 1
    workbook.save(path)
    result = score_file(path)
    assert totals(result) == TOTALS  # hidden or not, everything is read
    notes = findings(result, "PD805")
    messages = " | ".join(notes["message"])
    assert "sheet 'Ratings' is hidden" in messages
    assert "row 3 (trial 'Jones 2012') is hidden" in messages and "delete the row if the trial is excluded" in messages
    assert "column F (item 5) is hidden" in messages
    assert sorted(c for c in notes["cell"] if c) == ["A3", "F1"]


@pytest.mark.slow
def test_hidden_rows_in_a_big_sheet_are_found_quickly(tmp_path):
    trials = {f"Trial {i}": "YYYNYNNYYYY" for i in range(3000)}
    path = write_xlsx(tmp_path / "in.xlsx", item_sheet(trials))
    workbook = openpyxl.load_workbook(path)
    for row in (10, 2500):
        workbook.active.row_dimensions[row].hidden = True
    workbook.save(path)
    notes = findings(score_file(path), "PD805")
    assert sorted(notes["cell"]) == ["A10", "A2500"]


@pytest.mark.parametrize("seed", [1, 2])
def test_columns_in_a_different_order(tmp_path, seed):
    rows = item_sheet(TRIALS, ["Total"], {label: [TOTALS[label]] for label in TRIALS})
    order = list(range(len(rows[0])))
    random.Random(seed).shuffle(order)
    result = score_file(write_xlsx(tmp_path / "in.xlsx", [[row[i] for i in order] for row in rows]))
    assert totals(result) == TOTALS and findings(result, "PD202").empty


def test_duplicate_item_columns_name_both(tmp_path):
    rows = item_sheet(TRIALS, ["Random allocation"], {label: ["Y"] for label in TRIALS})
    result = CliRunner().invoke(main, ["score", str(write_xlsx(tmp_path / "in.xlsx", rows))])
    assert result.exit_code == 2
    assert "columns C ('2 Random allocation') and M ('Random allocation') are both item 2" in result.output
    with pytest.raises(SheetError, match="rename or delete one of them"):
        score_file(tmp_path / "in.xlsx")


def _with_cached_value(path: Path, cell: str, formula: str, cached: str | None) -> Path:
    """Put a formula in ``cell``, with the result Excel would have saved (None: no result)."""
    workbook = openpyxl.load_workbook(path)
    workbook.active[cell] = f"={formula}"
    workbook.save(path)
    if cached is None:
        return path
    patched = path.with_name("patched.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                old = f'<c r="{cell}"><f>{formula}</f><v /></c>'.encode()
                assert old in data
                data = data.replace(old, f'<c r="{cell}" t="str"><f>{formula}</f><v>{cached}</v></c>'.encode())
            target.writestr(info, data)
    patched.replace(path)
    return path


def test_formula_answer_uses_its_saved_value(tmp_path):
    path = _with_cached_value(write_xlsx(tmp_path / "in.xlsx", item_sheet(TRIALS)), "C2", 'IF(TRUE,"yes","no")',
                              "yes")
    result = score_file(path)
    assert totals(result) == TOTALS
    assert findings(result, "PD804").empty and findings(result, "PD102").empty
    out = write_audited(result, tmp_path / "out.xlsx")
    log = [(r[3], r[6], r[7]) for r in openpyxl.load_workbook(out)["Change log"].iter_rows(min_row=2, values_only=True)]
    assert [entry for entry in log if entry[0] == "C2"] == [("C2", '=IF(TRUE,"yes","no")', "Y")]  # logged


def test_formula_answer_without_saved_value_is_said_not_guessed(tmp_path):
    path = _with_cached_value(write_xlsx(tmp_path / "in.xlsx", item_sheet(TRIALS)), "C2", 'IF(TRUE,"Y","N")', None)
    result = score_file(path)
    assert list(findings(result, "PD804")["cell"]) == ["C2"]
    assert list(findings(result, "PD102")["cell"]) == ["C2"]  # and the answer is missing, not guessed
    smith = result.scores.iloc[0]
    assert (smith["min_total"], smith["max_total"]) == (6, 7)


def test_numbers_booleans_and_dates_where_answers_should_be(tmp_path):
    rows = item_sheet({"Smith 2010": "YYYNYNNYYYY"}, ["Total"], {"Smith 2010": [dt.datetime(2024, 7, 10)]})
    rows[1][2:7] = [1, 0, True, False, 1.0]
    rows[1][7] = dt.datetime(2021, 3, 4)
    rows[1][8] = 2
    result = score_file(write_xlsx(tmp_path / "in.xlsx", rows))
    answers = result.sheet.answers.set_index("item")["answer"]
    assert [answers[i] for i in (2, 3, 4, 5, 6)] == ["Y", "N", "Y", "N", "Y"]
    bad = findings(result, "PD101").set_index("cell")
    assert sorted(bad.index) == ["H2", "I2"]
    assert "date or time" in bad.at["H2", "message"] and "2021-03-04" in bad.at["H2", "message"]
    assert list(findings(result, "PD201")["cell"]) == ["M2"]  # '7/10' turned into a date by Excel is not a total


def test_spaces_and_unicode_look_alikes(tmp_path):
    values = ["Y ", "\u00a0N\u00a0", "\u2212", "Ｙ", "ｎｏ", "Y\u200b", "\u2714\ufe0f", " ? ", "Yes\t", "\u039d"]
    rows = item_sheet({"Smith 2010": "YYYYYYYYYYY"})
    rows[1][2:12] = values
    result = score_file(write_xlsx(tmp_path / "in.xlsx", rows))
    answers = result.sheet.answers.set_index("item")["answer"]
    assert [answers[i] for i in range(2, 11)] == ["Y", "N", "N", "Y", "N", "Y", "Y", "?", "Y"]
    [greek] = findings(result, "PD101")["message"]  # Greek capital Nu is not N
    assert "U+039D GREEK CAPITAL LETTER NU" in greek
    assert len(result.changes) == 9  # every rewrite is logged


def test_footnote_marks_are_read_logged_and_reported(tmp_path):
    rows = item_sheet({"Smith 2010": "YYYNYNNYYYY"}, ["Total"], {"Smith 2010": ["7/10b"]})
    rows[1][2] = "Ya"
    rows[1][4] = "N¹"  # item 4, column E
    source = write_xlsx(tmp_path / "in.xlsx", rows)
    result = score_file(source)
    assert totals(result) == {"Smith 2010": 7} and findings(result, "PD201").empty and findings(result, "PD202").empty
    assert sorted(findings(result, "PD803")["cell"]) == ["C2", "E2", "M2"]
    out = write_audited(result, tmp_path / "out.xlsx")
    workbook = openpyxl.load_workbook(out)
    assert workbook["Ratings"]["C2"].value == "Y" and workbook["Ratings"]["M2"].value == "7/10b"
    log = [(r[3], r[6], r[7]) for r in workbook["Change log"].iter_rows(min_row=2, values_only=True)]
    assert ("C2", "Ya", "Y") in log and ("E2", "N¹", "N") in log


LABELS = ["Smith 2010", "李 2019", "محمد 2020", "כהן 2018", "Müller & Šimić 2017", "Trial 🏃‍♀️ 2021",
          "\u202eevil\u202c 2022", "  spaced label  ", "Ωmega 2016", "+plus 2011", "-minus 2012", "@at 2013"]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_study_labels_in_any_script_are_kept_exactly(tmp_path, kind):
    studies = {label: "YYYNYNNYYYY" for label in LABELS}
    rows = item_sheet(studies)
    source = (write_xlsx if kind == "xlsx" else write_csv)(tmp_path / f"in.{kind}", rows)
    result = score_file(source)
    assert list(result.sheet.studies["study"]) == LABELS
    report = json.loads(CliRunner().invoke(main, ["score", str(source), "--json", "--dry-run"]).output)
    assert [s["study"] for s in report["studies"]] == LABELS
    scores = openpyxl.load_workbook(write_audited(result, tmp_path / "out.xlsx"))["Scores"]
    assert [row[0] for row in scores.iter_rows(min_row=2, max_row=len(LABELS) + 1, values_only=True)] == LABELS


def test_empty_rows_between_trials_and_totals_rows_at_the_bottom(tmp_path):
    rows = item_sheet(TRIALS, ["Total"], {label: [TOTALS[label]] for label in TRIALS})
    rows.insert(2, [])
    rows.insert(4, [None] * 13)
    rows += [[], ["Mean", *[None] * 11, 4.3], ["Total:", *[2] * 11, 13], ["Mean (SD)", None, None, "4.3 (3.8)"]]
    result = score_file(write_xlsx(tmp_path / "in.xlsx", rows))
    assert totals(result) == TOTALS
    skipped = findings(result, "PD802")
    assert set(skipped["cell"]) == {"A8", "A9", "A10"}
    assert findings(result, "PD101").empty and findings(result, "PD102").empty


def test_messy_sheet_end_to_end_keeps_every_value(tmp_path):
    """All of it at once through the CLI: the input is unchanged and every value is in the audited workbook."""
    path = _grouped(tmp_path / "in.xlsx", merge=True)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    sheet["C3"], sheet["D4"], sheet["M5"] = "Ya", "\u00a0y ", "0¹"
    sheet.insert_rows(1, 2)
    sheet["A1"] = "Appendix 3"
    sheet.row_dimensions[5].hidden = True
    workbook.save(path)
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["score", str(path), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code in (0, 1), result.output
    assert path.read_bytes() == before
    original, audited = dump_workbook(path)["Ratings"], dump_workbook(tmp_path / "out.xlsx")["Ratings"]
    rewritten = {"C5": "Y", "D6": "Y"}
    for cell, value in original.items():
        assert audited[cell] == rewritten.get(cell, value), cell


def test_item_headers_folded_from_look_alikes(tmp_path):
    headers = [h.replace(" ", "\u00a0", 1) for h in ITEM_HEADERS]
    headers[1] = "２ Random allocation"  # full-width digit
    rows = [["Study", *headers], ["Smith 2010", *"YYYNYNNYYYY"]]
    assert totals(score_file(write_xlsx(tmp_path / "in.xlsx", rows))) == {"Smith 2010": 7}


def test_quick_scan_and_full_parse_of_sheet_markup_agree(tmp_path):
    """Hidden rows and columns and formulas without a value are found by plain
    searches in the usual markup, and by expat otherwise (prefixes, comments):
    both must find the same cells."""
    from pedro.sheets import reader

    path = write_xlsx(tmp_path / "in.xlsx", item_sheet(TRIALS, ["Total"], {label: ["=1+1"] for label in TRIALS}))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    sheet.row_dimensions[3].hidden = True
    sheet.column_dimensions["D"].hidden = True
    workbook.save(path)
    data = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    quick = reader._scan_plain(data, formulas=True)
    marks = reader._SheetMarks()
    marks.parser().Parse(data, True)
    assert quick == (marks.hidden_rows, marks.hidden_columns, marks.bare_formulas)
    assert quick == ({3}, {3}, {(2, 12), (3, 12), (4, 12)})
    with pytest.raises(reader._Unusual):  # a comment sends the sheet to the full parse
        reader._scan_plain(data.replace(b"<sheetData>", b"<!-- x --><sheetData>"), formulas=True)
