"""`pedro score` over several files and what the terminal shows (issue 14,
bullets 7-8): a folder with a bad file is still scored file by file and ends
with a tally and the worst exit status; findings are listed worst first; an
answer pedro cannot read is shown as typed everywhere, never as a blank."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pedro.batch import score_many
from pedro.cli import main
from pedro.engine import score_file
from pedro.progress import Progress
from pedro.report import summary_text

from conftest import item_sheet, write_csv, write_xlsx

GOOD = "YYYYNNYYYYY"  # 8 on items 2-11


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _folder(tmp_path, unreadable=("broken.xlsx",)) -> Path:
    """Three good sheets, one whose printed total is wrong (an error finding),
    and the unreadable files named: a .xlsx that is text, not a zip package;
    a sheet with no item columns."""
    folder = tmp_path / "sheets"
    folder.mkdir()
    for name in ("a", "b", "c"):
        write_xlsx(folder / f"{name}.xlsx", item_sheet({f"Trial {name} 2010": GOOD}))
    write_xlsx(folder / "d.xlsx", item_sheet({"Trial d 2011": GOOD}, ["Total"], {"Trial d 2011": [9]}))
    if "broken.xlsx" in unreadable:
        (folder / "broken.xlsx").write_text("Study,1,2\nA,Y,Y\n")
    if "no-items.xlsx" in unreadable:
        write_xlsx(folder / "no-items.xlsx", [["Study", "Country"], ["Lee 2003", "NZ"]])
    return folder


def test_a_folder_with_one_bad_file_is_scored_and_tallied(tmp_path):
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = run("score", folder, "-o", out)
    assert result.exit_code == 2, result.output
    # the others were scored and written, the bad file said once on stderr as it happened
    assert sorted(p.name for p in out.iterdir()) == ["a.audited.xlsx", "b.audited.xlsx", "c.audited.xlsx",
                                                    "d.audited.xlsx"]
    scores = list(openpyxl.load_workbook(out / "d.audited.xlsx")["Scores"].iter_rows(values_only=True))
    assert scores[1][scores[0].index("Total")] == 8
    for name in ("a", "b", "c", "d"):
        assert f"{name}.xlsx: 1 trial(s) read" in result.stdout
    broken = folder / "broken.xlsx"
    assert result.stderr.count(f"pedro: {broken}") == 1 and "named .xlsx" in result.stderr
    # the tally ends the report: counts, the unreadable file and why, then the file with errors
    tally = result.stdout.strip().splitlines()[-2:]
    why = result.stderr.strip().removeprefix("pedro: ")
    assert tally == [f"5 files: 3 scored, 1 with errors, 1 unreadable: {why}",
                     f"  with errors: {folder / 'd.xlsx'} (1 error(s))"]
    assert why.startswith(f"{broken} is a text (perhaps CSV) file")


def test_several_unreadable_files_get_a_line_each(tmp_path):
    folder = _folder(tmp_path, unreadable=("broken.xlsx", "no-items.xlsx"))
    result = run("score", folder, "--dry-run")
    assert result.exit_code == 2
    lines = result.stdout.strip().splitlines()
    assert lines[-4] == "6 files: 3 scored, 1 with errors, 2 unreadable:"
    assert lines[-3].startswith(f"  {folder / 'broken.xlsx'} is a text (perhaps CSV) file")
    # this reader's sentence names the file by its name alone: it is not named twice
    assert lines[-2].startswith(f"  {folder / 'no-items.xlsx'}: sheet 'Ratings' has no header row naming the PEDro")
    assert lines[-1] == f"  with errors: {folder / 'd.xlsx'} (1 error(s))"


def test_the_json_report_of_several_files_carries_the_tally(tmp_path):
    folder = _folder(tmp_path)
    result = run("score", folder, "--json", "--dry-run")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [Path(f["input"]).name for f in report["files"]] == ["a.xlsx", "b.xlsx", "broken.xlsx", "c.xlsx",
                                                                "d.xlsx"]
    broken = report["files"][2]
    assert broken["exit_status"] == 2 and "is a text (perhaps CSV) file" in broken["error"]
    assert [f["summary"]["exit_status"] for i, f in enumerate(report["files"]) if i != 2] == [0, 0, 0, 1]
    assert report["tally"] == {
        "files": 5, "scored": 3, "with_errors": 1, "unreadable": 1, "exit_status": 2,
        "unreadable_files": [{"input": str(folder / "broken.xlsx"), "error": broken["error"]}],
        "files_with_errors": [{"input": str(folder / "d.xlsx"), "errors": 1}], "skipped_files": []}


def test_a_folder_names_every_file_by_its_path_and_the_files_it_skipped(tmp_path):
    folder = _folder(tmp_path, unreadable=("no-items.xlsx",))
    (folder / "notes.txt").write_text("readme\n")
    (folder / "old.audited.xlsx").write_bytes((folder / "no-items.xlsx").read_bytes())
    (folder / ".hidden.xlsx").write_text("")  # hidden files and Office lock files are nobody's input
    result = CliRunner().invoke(main, ["score", str(folder), "--dry-run", "-q"])
    lines = result.output.splitlines()
    head = next(line for line in lines if line.startswith("5 files: "))
    assert f"1 unreadable (2 other files skipped: {folder / 'notes.txt'} (not a sheet), " \
           f"{folder / 'old.audited.xlsx'} (pedro's output)): {folder / 'no-items.xlsx'}: sheet 'Ratings'" in head
    output = CliRunner().invoke(main, ["score", str(folder), "--dry-run", "-q", "--json"]).output
    report = json.loads(output[output.index("\n{") + 1:])  # after the unreadable file's line on stderr
    assert report["tally"]["files"] == 5 and report["tally"]["skipped_files"] == [
        {"input": str(folder / "notes.txt"), "why": "not a sheet"},
        {"input": str(folder / "old.audited.xlsx"), "why": "pedro's output"}]


@pytest.mark.parametrize("answers, status, tally", [
    (["YYYYNNYYYYY", "YYYYYYYYYYY"], 0, "2 files: 2 scored"),
    (["YYYYNNYYYYY", "YYYYNNYYYYq"], 1, "2 files: 1 scored, 1 with errors"),
    (["YYYYNNYYYY.", "YYYYNNYYYYY", "YYYYNNYYYYY"], 0, "3 files: 3 scored"),  # a warning is not an error
])
def test_exit_status_is_the_worst_of_the_files(tmp_path, answers, status, tally):
    paths = [write_xlsx(tmp_path / f"{n}.xlsx", item_sheet({f"T{n}": given})) for n, given in enumerate(answers)]
    result = run("score", *paths, "--dry-run")
    assert result.exit_code == status, result.output
    assert result.stdout.strip().splitlines()[-1 if status == 0 else -2] == tally


def test_one_file_has_no_tally(tmp_path):
    source = write_xlsx(tmp_path / "one.xlsx", item_sheet({"A": GOOD}))
    result = run("score", source, "--dry-run")
    assert result.exit_code == 0 and "file" not in result.stdout.splitlines()[-1]
    assert "tally" not in json.loads(run("score", source, "--dry-run", "--json").stdout)


def test_a_bug_on_one_file_does_not_stop_the_others(tmp_path, monkeypatch):
    """An unexpected exception on one file is a bug in pedro: said as one,
    the other files still scored; PEDRO_DEBUG (``debug``) lets it raise."""
    import pedro.batch

    paths = [write_xlsx(tmp_path / f"{name}.xlsx", item_sheet({name: GOOD})) for name in ("a", "b", "c")]

    def score_or_fail(path, **options):
        if path.name == "b.xlsx":
            raise RuntimeError("boom")
        return score_file(path, **options)

    monkeypatch.setattr(pedro.batch, "score_file", score_or_fail)
    said, errors = [], []
    status = score_many(paths, None, writer=None, echo=said.append, echo_error=errors.append)
    assert status == 2
    assert [text.split(":")[0] for text in said[:2]] == ["a.xlsx", "c.xlsx"]
    assert said[-1] == (f"3 files: 2 scored, 1 unreadable: {paths[1]}: internal error (RuntimeError: boom); "
                        "nothing was written. This is a bug in pedro: please report it with the input file (set "
                        "PEDRO_DEBUG=1 for details)")
    assert errors == ["pedro: " + said[-1].split("unreadable: ", 1)[1]]
    with pytest.raises(RuntimeError, match="boom"):
        score_many(paths, None, writer=None, echo=said.append, echo_error=errors.append, debug=True)
    # and through the command: exit 2, a tally, no traceback
    result = run("score", *paths, "--dry-run")
    assert result.exit_code == 2 and "3 files: 2 scored, 1 unreadable" in result.stdout
    assert "Traceback" not in result.output


def test_a_file_error_is_not_written_over_the_progress_line(tmp_path, monkeypatch):
    import pedro.batch

    folder = _folder(tmp_path)
    stream = io.StringIO()
    monkeypatch.setattr(pedro.batch, "for_job", lambda paths, quiet: Progress(stream))
    score_many(sorted(folder.iterdir()), None, writer=None, echo=lambda text: None,
               echo_error=lambda text: stream.write(text + "\n"))
    text = stream.getvalue()
    where = text.index(f"pedro: {folder / 'broken.xlsx'} is a text")
    assert "[3/5] reading broken.xlsx" in text[:where]
    assert text[:where].endswith("\r") and text[:where].rstrip("\r").endswith(" ")  # the line was cleared first


def _ordering_sheet(tmp_path) -> Path:
    """Findings of three severities, the rules giving a warning before an
    error: item 9 blank (PD102, warning) on the first trial, a printed total
    that is wrong (PD202, error) on the second, '?' (PD103, advisory)."""
    rows = item_sheet({"Ames 2001": "YYYYNNYY.YY", "Bell 2002": "YYYYNNYYYYY", "Cole 2003": "YYYYNN?YYYY"},
                      ["Total"], {"Ames 2001": [None], "Bell 2002": [6], "Cole 2003": [7]})
    return write_xlsx(tmp_path / "mixed.xlsx", rows)


def test_errors_are_listed_before_warnings_before_advisories(tmp_path):
    source = _ordering_sheet(tmp_path)
    findings = score_file(source).findings
    rules = findings["rule"].tolist()
    assert rules.index("PD102") < rules.index("PD202")  # the rules' own order puts the warning first
    result = run("score", source, "--dry-run")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    error = next(i for i, line in enumerate(lines) if line.startswith("  error PD202 Bell 2002: "))
    warning = next(i for i, line in enumerate(lines) if line.startswith("  warning PD102 Ames 2001: "))
    advisory = next(i for i, line in enumerate(lines) if line.startswith("  advisory: "))
    assert error < warning < advisory
    assert "unclear-answer x1" in lines[advisory]


def test_findings_over_the_limit_are_counted_by_severity(tmp_path):
    rows = item_sheet({f"T{n}": "YYYYNNYY.YY" for n in range(3)} | {f"E{n}": "YYYYNNYYYYq" for n in range(2)})
    result = score_file(write_xlsx(tmp_path / "many.xlsx", rows))
    lines = summary_text(result, max_lines=3).splitlines()
    listed = [line.split()[0] for line in lines[3:6]]
    assert listed == ["error", "error", "warning"]
    assert lines[6] == "  ... and 2 more: 2 warning(s) (see the Findings sheet or --json)"


# --------------------------------------------------------------------------- an answer pedro cannot read

def _typo_sheet(tmp_path, kind="xlsx") -> Path:
    rows = item_sheet({"Smith 2013": GOOD, "Jones 2015": "YYYYNNYYYYY"})
    rows[2][7] = "Yy"  # item 7 of Jones 2015: cell H3
    rows[2][9] = 2  # item 9: a number other than 1 or 0, cell J3
    writer = write_xlsx if kind == "xlsx" else write_csv
    return writer(tmp_path / f"typo.{kind}", rows)


def _check_typo_text(text: str) -> None:
    assert "  error PD101 Jones 2015: H3: 'Yy' is not a valid answer for item 7; " in text
    assert "  error PD101 Jones 2015: J3: '2' is not a valid answer for item 9; " in text


def _check_typo_json(report: dict) -> None:
    smith, jones = report["studies"]
    assert smith["raw"] == {}
    assert jones["answers"]["7"] is None and jones["answers"]["9"] is None
    assert jones["raw"] == {"7": "Yy", "9": "2"}  # the text as typed beside the null
    assert jones["total"] is None and (jones["min_total"], jones["max_total"]) == (6, 8)
    typo = [f for f in jones["findings"] if f["rule"] == "PD101"]
    assert [(f["cell"], f["item"], f["value"], f["severity"]) for f in typo] == [
        ("H3", 7, "Yy", "error"), ("J3", 9, "2", "error")]
    assert "'Yy' is not a valid answer" in typo[0]["message"]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_typo_is_shown_as_typed_on_the_terminal_and_in_json(tmp_path, kind):
    source = _typo_sheet(tmp_path, kind)
    result = run("score", source, "-o", tmp_path / "out.xlsx")
    assert result.exit_code == 1
    _check_typo_text(result.stdout)
    report = json.loads(run("score", source, "--json", "--dry-run").stdout)
    _check_typo_json(report)
    # the audited workbook keeps the typo in the item sheet and the Scores sheet, and names it in Findings
    workbook = openpyxl.load_workbook(tmp_path / "out.xlsx")
    findings = list(workbook["Findings"].iter_rows(values_only=True))
    header = findings[0]
    typos = [dict(zip(header, row)) for row in findings[1:] if row[0] == "PD101"]
    assert [(f["Cell"], f["Study"], f["Item"], f["Value"]) for f in typos] == [
        ("H3", "Jones 2015", 7, "Yy"), ("J3", "Jones 2015", 9, "2")]
    scores = list(workbook["Scores"].iter_rows(values_only=True))
    assert scores[2][scores[0].index("7 Blind assessors")] == "Yy"
    assert workbook.worksheets[0]["H3"].value == "Yy"


def test_a_typo_in_a_folder_run_is_shown_as_typed(tmp_path):
    folder = tmp_path / "sheets"
    folder.mkdir()
    _typo_sheet(folder)
    write_xlsx(folder / "clean.xlsx", item_sheet({"Lee 2003": GOOD}))
    result = run("score", folder, "--dry-run")
    _check_typo_text(result.stdout)
    assert result.stdout.strip().splitlines()[-2:] == [
        "2 files: 1 scored, 1 with errors", f"  with errors: {folder / 'typo.xlsx'} (2 error(s))"]
    report = json.loads(run("score", folder, "--dry-run", "--json").stdout)
    _check_typo_json(report["files"][1])


def test_a_typo_through_the_installed_command(tmp_path):
    """The real `pedro` command of this environment: terminal and JSON."""
    pedro = Path(sys.executable).with_name("pedro")
    if not pedro.exists():
        pytest.skip(f"no pedro console script next to {sys.executable}; install with pip install .")
    source = _typo_sheet(tmp_path)
    env = dict(os.environ, COLUMNS="200")
    done = subprocess.run([str(pedro), "score", str(source), "--dry-run"], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 1, done.stderr
    _check_typo_text(done.stdout)
    done = subprocess.run([str(pedro), "score", str(source), "--dry-run", "--json"], capture_output=True,
                          timeout=120, env=env)
    assert done.returncode == 1, done.stderr
    _check_typo_json(json.loads(done.stdout.decode("utf-8")))
