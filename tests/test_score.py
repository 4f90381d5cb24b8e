"""End-to-end scoring: the ALS example, the audited workbook, exit codes, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pedro.cli import main
from pedro.engine import score_file
from pedro.write.audited import write_audited

from conftest import ALS_EXAMPLE, dump_workbook, item_sheet, write_csv, write_xlsx

# The six ALS exercise trials as printed in the published review (issue #2):
# items 1-11 and the printed totals 8, 5, 7, 6, 8, 6.
ALS_TOTALS = {"Kalron 2021": 8, "Clawson 2017": 5, "van Groenestijn 2019": 7, "Ferri 2019": 6,
              "Lunetta 2015": 8, "Zucchi 2019": 6}
ALS_BANDS_CASHIN = {"Kalron 2021": "good", "Clawson 2017": "fair", "van Groenestijn 2019": "good",
                    "Ferri 2019": "good", "Lunetta 2015": "good", "Zucchi 2019": "good"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_als_example_totals_and_bands(als_copy):
    result = score_file(als_copy)
    studies = result.sheet.studies
    totals = dict(zip(studies["study"], result.scores["total"]))
    bands = dict(zip(studies["study"], result.scores["band"]))
    assert totals == ALS_TOTALS
    assert bands == ALS_BANDS_CASHIN
    assert result.sheet.layout.header_row == 4  # a title and a note sit above the header


def test_als_example_flags(als_copy):
    """What pedro flags on the published ratings: items 5 'Y' in four exercise
    trials (advisory: subjects can rarely be blinded to exercise) and, once,
    that the sheet has no randomisation-method column.  No errors, no warnings."""
    result = score_file(als_copy)
    findings = result.findings
    assert result.counts == {"error": 0, "warning": 0, "advisory": 5}
    blinding = findings[findings["rule"] == "PD401"]
    assert sorted(blinding["study"]) == ["Ferri 2019", "Kalron 2021", "Lunetta 2015", "Zucchi 2019"]
    assert set(blinding["item"]) == {5}
    assert (findings["rule"] == "PD303").sum() == 1
    assert result.exit_status == 0


@pytest.mark.parametrize("bands, expected", [
    ("three-level", {"Clawson 2017": "fair", "Kalron 2021": "high"}),
    ("high-low-6", {"Clawson 2017": "low", "Ferri 2019": "high"}),
    ("high-low-5", {"Clawson 2017": "high", "Ferri 2019": "high"}),
])
def test_als_example_other_band_sets(als_copy, bands, expected):
    result = score_file(als_copy, bands=bands)
    got = dict(zip(result.sheet.studies["study"], result.scores["band"]))
    for study, band in expected.items():
        assert got[study] == band


def test_audited_workbook_layout(als_copy, tmp_path):
    result = score_file(als_copy)
    out = write_audited(result, tmp_path / "out.xlsx")
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["PEDro ratings", "Summary", "Scores", "Findings", "Change log", "Provenance",
                                   "Recorded cells"]
    assert workbook["Recorded cells"].sheet_state == "hidden"  # pedro's record: kept from view, sealed
    scores = list(workbook["Scores"].iter_rows(values_only=True))
    header = scores[0]
    assert header[0] == "Study" and header[2] == "1 Eligibility criteria" and "Total" in header
    total_col = header.index("Total")
    assert {row[0]: row[total_col] for row in scores[1:]} == ALS_TOTALS
    findings = list(workbook["Findings"].iter_rows(values_only=True))
    assert findings[0][:3] == ("Rule", "Name", "Severity") and len(findings) == 6
    provenance = {row[0]: row[1] for row in workbook["Provenance"].iter_rows(values_only=True)}
    assert provenance["input"] == als_copy.name
    assert provenance["input_sha256"] == result.input_sha256
    assert provenance["bands"] == "cashin2020"
    assert provenance["rubric_sha256"] == result.rubric.sha256
    # the cells with findings are marked, with a comment naming the rule
    item_sheet_ws = workbook["PEDro ratings"]
    assert "PD401" in item_sheet_ws["F5"].comment.text


def test_input_never_modified_and_every_value_survives(tmp_path):
    rows = item_sheet({"Smith 2001": "yYyN?N1NnY+", "Jones 2002": "YYY.NNYYmYY", "Lee 2003": "YYYYNNYYYYY"},
                      ["Total", "Randomisation method", "Notes"],
                      {"Smith 2001": [6, "alternation", "=not a formula"], "Jones 2002": ["7/10", "", "x"],
                       "Lee 2003": [8, "computer generated", None]})
    source = write_xlsx(tmp_path / "in.xlsx", [["My review"], []] + rows)
    before = source.read_bytes()
    result = score_file(source)
    out = write_audited(result)
    assert source.read_bytes() == before
    assert out == tmp_path / "in.audited.xlsx"
    original = dump_workbook(source)["Ratings"]
    audited = dump_workbook(out)["Ratings"]
    changed = {row["cell"]: row for _, row in result.changes.iterrows()}
    for cell, value in original.items():
        if cell in changed:
            assert str(value) == changed[cell]["old"]
            assert audited[cell] == changed[cell]["new"]
        else:
            assert audited[cell] == value, cell
    assert set(audited) == set(original)
    log = list(openpyxl.load_workbook(out)["Change log"].iter_rows(values_only=True))
    assert len(log) == 1 + len(result.changes) == 6
    assert {(r[3], r[6], r[7]) for r in log[1:]} == {("B4", "y", "Y"), ("D4", "y", "Y"), ("H4", "1", "Y"),
                                                    ("J4", "n", "N"), ("L4", "+", "Y")}
    # The count a dry run reports is the change log's length, though the log is made only when asked for.
    counted = score_file(source)
    assert "change_table" not in vars(counted) and counted.change_count == 5
    assert json.loads(run("score", source, "--json", "--dry-run").output)["summary"]["changes"] == 5


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    rows = item_sheet({"=cmd|' /C calc'!A0": "YYYYYYYYYYY"})
    source = write_csv(tmp_path / "in.csv", rows)
    out = write_audited(score_file(source), tmp_path / "out.xlsx")
    workbook = openpyxl.load_workbook(out)
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert workbook["Scores"]["A2"].value == "=cmd|' /C calc'!A0"


def test_rerun_on_own_output_is_idempotent(tmp_path):
    rows = item_sheet({"A": "yyyyNNnnYY?", "B": "YYYYYYYYYY."})
    source = write_xlsx(tmp_path / "in.xlsx", rows)
    first = write_audited(score_file(source))
    second_result = score_file(first)
    assert second_result.sheet.sheet == "Ratings"  # not the Scores sheet, which also has item columns
    second = write_audited(second_result, tmp_path / "again.xlsx")
    dump1, dump2 = dump_workbook(first), dump_workbook(second)
    assert dump1["Ratings"] == dump2["Ratings"]
    assert dump1["Scores"] == dump2["Scores"]
    assert dump1["Findings"] == dump2["Findings"]
    assert dump1["Change log"] == dump2["Change log"]  # appended nothing, rewrote nothing
    assert len(second_result.changes) == 0


def test_rerun_after_a_correction_appends_to_the_change_log(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", item_sheet({"A": "yyyyNNNNYYY"}))
    first = write_audited(score_file(source))
    workbook = openpyxl.load_workbook(first)
    workbook["Ratings"]["F2"] = "yes"  # the assessor edits the audited workbook
    workbook.save(first)
    second = write_audited(score_file(first), tmp_path / "again.xlsx")
    log = list(openpyxl.load_workbook(second)["Change log"].iter_rows(values_only=True))[1:]
    # the first run's four rewrites kept, then the assessor's edit (N -> yes, edited outside pedro),
    # then this run's rewrite of it (yes -> Y)
    assert [r[3] for r in log] == ["B2", "C2", "D2", "E2", "F2", "F2"]
    assert [r[6:8] for r in log[4:]] == [("N", "yes"), ("yes", "Y")]
    # and the stale finding marks of the first run are cleared
    ratings = openpyxl.load_workbook(second)["Ratings"]
    assert ratings["F2"].value == "Y"


def test_default_output_refuses_input_and_keeps_xlsm(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", item_sheet({"A": "YYYYYYYYYYY"}))
    result = run("score", source, "-o", source)
    assert result.exit_code == 2
    assert "refusing to write over the input" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("answers, exit_code", [("YYYYNNYYYYY", 0), ("YYYYNNYYYY.", 0), ("YYYYNNYYYYq", 1)])
def test_exit_codes(tmp_path, answers, exit_code):
    source = write_xlsx(tmp_path / "in.xlsx", item_sheet({"A": answers}))
    result = run("score", source, "--dry-run")
    assert result.exit_code == exit_code, result.output
    assert not (tmp_path / "in.audited.xlsx").exists()


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.xlsx", "no such file"),
    (lambda p: p, "holds no item sheets"),
    (lambda p: (p / "fake.xlsx").write_text("Study,1\nA,Y\n") and p / "fake.xlsx", "although it is named .xlsx"),
    (lambda p: write_xlsx(p / "none.xlsx", [["Title"], ["Study", "Country"], ["A", "NZ"]]),
     "has no header row naming the PEDro items"),
    (lambda p: write_xlsx(p / "no8.xlsx", [[h for h in item_sheet({})[0] if not h.startswith("8")]]),
     "no column for item 8 (adequate follow-up)"),
])
def test_unusable_input_exit_2_one_sentence(tmp_path, make, message):
    path = make(tmp_path)
    result = run("score", path)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.audited.xlsx"))


def test_missing_sheet_lists_sheets(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", item_sheet({"A": "YYYYYYYYYYY"}))
    result = run("score", source, "--sheet", "Nope")
    assert result.exit_code == 2
    assert "has no sheet 'Nope'; its sheets are: Ratings" in result.output


def test_unknown_band_set(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", item_sheet({"A": "YYYYYYYYYYY"}))
    result = run("score", source, "--bands", "nope")
    assert result.exit_code == 2
    assert "unknown band set 'nope'" in result.output and "cashin2020" in result.output


def test_json_report_format(als_copy):
    result = run("score", als_copy, "--json", "--dry-run")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert set(report) >= {"input", "rubric", "bands", "studies", "findings", "summary"}
    assert report["rubric"] == "pedro" and report["bands"] == "cashin2020"
    first = report["studies"][0]
    assert set(first) >= {"study", "row", "answers", "total", "min_total", "max_total", "band", "findings"}
    assert first["study"] == "Kalron 2021" and first["row"] == 5
    assert first["answers"] == dict(zip(map(str, range(1, 12)), "YYYYYNYYNYY"))
    assert first["total"] == 8 and first["band"] == "good"
    assert first["findings"][0]["rule"] == "PD401" and first["findings"][0]["cell"] == "F5"
    assert [f["rule"] for f in report["findings"]] == ["PD303"]
    assert report["summary"]["bands"] == {"poor": 0, "fair": 1, "good": 5, "excellent": 0}
    assert report["output"] is None


def test_json_unknown_total_gives_range_and_band_only_when_certain(tmp_path):
    # 7 Y on items 2-11, two missing: range 7..9 spans good and excellent -> no band
    source = write_xlsx(tmp_path / "in.xlsx", item_sheet({"A": "YYYYYYYY..N", "B": "NNNNNNNN.NN"}))
    report = json.loads(run("score", source, "--json", "--dry-run").output)
    a, b = report["studies"]
    assert (a["total"], a["min_total"], a["max_total"], a["band"]) == (None, 7, 9, None)
    assert a["answers"]["9"] is None
    # 0 Y, one missing: range 0..1, all poor -> band known although the total is not
    assert (b["total"], b["min_total"], b["max_total"], b["band"]) == (None, 0, 1, "poor")


def test_human_summary(als_copy):
    result = run("score", als_copy, "-o", als_copy.with_name("out.xlsx"))
    assert result.exit_code == 0
    assert "6 trial(s) read from sheet 'PEDro ratings'" in result.output
    assert "good 5" in result.output and "wrote" in result.output


def test_csv_input_gives_xlsx_output(tmp_path):
    source = write_csv(tmp_path / "ratings.csv", item_sheet({"A": "YYYYNNYYYYY"}, ["Total"], {"A": ["8/10"]}))
    result = score_file(source)
    assert result.counts["error"] == 0
    out = write_audited(result)
    assert out.name == "ratings.audited.xlsx"
    assert openpyxl.load_workbook(out).sheetnames[0] == "ratings"


def test_installed_console_script(tmp_path):
    """The real `pedro` command of this environment, end to end."""
    pedro = Path(sys.executable).with_name("pedro")
    if not pedro.exists():
        pytest.skip(f"no pedro console script next to {sys.executable}; install with pip install .")
    source = tmp_path / "als.xlsx"
    source.write_bytes(ALS_EXAMPLE.read_bytes())
    done = subprocess.run([str(pedro), "score", str(source)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, COLUMNS="200"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "als.audited.xlsx").exists()
    assert "good 5" in done.stdout


def test_answer_from_a_formula_is_recorded_as_its_value_and_logged(tmp_path):
    """A formula cell is read through its cached value.  openpyxl cannot keep
    that cached value, so the audited workbook records the value, and the
    change log keeps the formula as the old value: nothing lost, nothing silent."""
    path = tmp_path / "formula.xlsx"
    write_xlsx(path, item_sheet({"A": "YYYYNNYYYYY"}))
    workbook = openpyxl.load_workbook(path)
    workbook["Ratings"]["B2"] = '=IF(TRUE,"yes","no")'
    workbook.save(path)
    # give the formula a cached value, as Excel or LibreOffice would on saving
    import shutil
    import zipfile

    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="B2"><f>IF(TRUE,"yes","no")</f><v /></c>',
                                    b'<c r="B2" t="str"><f>IF(TRUE,"yes","no")</f><v>yes</v></c>')
                assert b"<v>yes</v>" in data
            target.writestr(info, data)
    shutil.move(patched, path)
    result = score_file(path)
    assert result.sheet.answers.query("item == 1")["answer"].tolist() == ["Y"]
    out = write_audited(result, tmp_path / "out.xlsx")
    workbook = openpyxl.load_workbook(out)
    assert workbook["Ratings"]["B2"].value == "Y"
    log = list(workbook["Change log"].iter_rows(min_row=2, values_only=True))
    assert [(r[3], r[6], r[7], r[8]) for r in log] == [("B2", '=IF(TRUE,"yes","no")', "Y", "formula-value")]
    # and a re-run reads the value back: idempotent
    again = score_file(out)
    assert again.sheet.answers.query("item == 1")["answer"].tolist() == ["Y"] and len(again.changes) == 0


def test_several_inputs_and_a_folder_in_one_process(tmp_path):
    folder = tmp_path / "sheets"
    folder.mkdir()
    write_xlsx(folder / "a.xlsx", item_sheet({"A": "YYYYNNYYYYY"}))
    write_csv(folder / "b.csv", item_sheet({"B": "YYYYNNYYYYq"}))  # an unrecognised answer: exit 1
    (folder / "notes.txt").write_text("not a sheet")
    out = tmp_path / "out"
    out.mkdir()
    result = run("score", folder, "-o", out)
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a.audited.xlsx", "b.audited.xlsx"]
    # a re-run over the folder skips pedro's own outputs
    write_audited(score_file(folder / "a.xlsx"))
    report = json.loads(run("score", folder, "--json", "--dry-run").output)
    assert [Path(f["input"]).name for f in report["files"]] == ["a.xlsx", "b.csv"]
    # one unusable file is reported, the others are still scored, exit 2
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    result = run("score", folder / "a.xlsx", broken, "--dry-run")
    assert result.exit_code == 2
    assert "a.xlsx: 1 trial(s)" in result.output and "broken.xlsx" in result.output
    assert run("score", folder / "a.xlsx", broken, "-o", tmp_path / "x.xlsx").exit_code == 2


def test_progress_only_on_a_terminal_for_large_jobs(tmp_path):
    import io

    from pedro.progress import Progress, for_job

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    small = write_xlsx(tmp_path / "small.xlsx", item_sheet({"A": "YYYYNNYYYYY"}))
    assert not for_job([small], quiet=False, stream=Terminal()).enabled  # small job
    assert for_job([small, small], quiet=False, stream=Terminal()).enabled  # several files
    assert not for_job([small, small], quiet=True, stream=Terminal()).enabled  # --quiet
    assert not for_job([small, small], quiet=False, stream=io.StringIO()).enabled  # not a terminal
    stream = Terminal()
    progress = Progress(stream)
    score_file(small, progress=progress)
    progress.done()
    assert "pedro: reading small.xlsx" in stream.getvalue() and "checking 1 trials" in stream.getvalue()
    assert stream.getvalue().endswith("\r")


def test_footnote_mark_removal_is_logged_under_its_rule(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", item_sheet({"A": "YYYYNNYYYYY"}))
    workbook = openpyxl.load_workbook(source)
    workbook["Ratings"]["C2"] = "Ya"
    workbook.save(source)
    result = score_file(source)
    row = result.changes.set_index("cell").loc["C2"]
    assert (row["old"], row["new"], row["rule"]) == ("Ya", "Y", "PD803")
    assert "footnote mark 'a' removed" in row["reason"]
