"""End to end on a workbook written by LibreOffice, not openpyxl: LibreOffice
writes its own flavour of .xlsx (shared strings, styles, number formats), which
is what many assessors' sheets are.

The sheet is written as CSV and as an openpyxl .xlsx, converted by
``soffice --headless --convert-to xlsx``, then scored by the installed
``pedro`` command.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ITEM_HEADERS, dump_workbook, write_csv, write_xlsx

pytestmark = pytest.mark.slow  # LibreOffice starts for each conversion: a second or two each

SOFFICE = shutil.which("soffice")
if SOFFICE is None:
    pytest.skip("LibreOffice (soffice) not installed: install Debian's libreoffice-calc-nogui to run this test",
                allow_module_level=True)

PEDRO = Path(sys.executable).parent / "pedro"
CONVERT_TIMEOUT = 180

EXTRA = ["PEDro score", "Randomisation method", "N allocated", "N analysed"]
TRIALS = {
    # label: (answers 1-11, reported total, method, n allocated, n analysed)
    "Smith 2019": ("YYYNNNYYYYY", 7, "computer-generated random numbers", 40, 38),
    "Müller 2020": ("YNNYNNNNYYY", 4, "", 30, 20),
    "O'Brien & Søren (2021)": ("Y?YYNNYYYYY", 7, "sealed opaque envelopes, random number table", 60, 59),
}
EXPECTED_TOTALS = {label: total for label, (_, total, *_rest) in TRIALS.items()}


def _rows() -> list[list]:
    rows = [["PEDro ratings: exercise trials (rater AB)"], [], ["Study", *ITEM_HEADERS, *EXTRA]]
    for label, (answers, total, method, allocated, analysed) in TRIALS.items():
        rows.append([label, *answers, total, method or None, allocated, analysed])
    return rows


def _convert(source: Path, tmp_path: Path) -> Path:
    outdir = tmp_path / "libreoffice"
    command = [SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless"]
    if source.suffix == ".csv":
        command.append("--infilter=CSV:44,34,76,1")  # comma, double quote, UTF-8, from line 1
    command += ["--convert-to", "xlsx", "--outdir", str(outdir), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=CONVERT_TIMEOUT)
    target = outdir / f"{source.stem}.xlsx"
    assert done.returncode == 0 and target.exists(), f"soffice failed: {done.stdout}\n{done.stderr}"
    with zipfile.ZipFile(target) as archive:
        assert "LibreOffice" in archive.read("docProps/app.xml").decode("utf-8"), "not written by LibreOffice"
    return target


@pytest.fixture(params=["csv", "xlsx"])
def libreoffice_book(request, tmp_path) -> Path:
    source_folder = tmp_path / "source"
    source_folder.mkdir()
    writer = write_csv if request.param == "csv" else write_xlsx
    return _convert(writer(source_folder / f"pedro-items.{request.param}", _rows()), tmp_path)


def _pedro(*args) -> subprocess.CompletedProcess:
    assert PEDRO.exists(), f"the pedro console script is not installed next to {sys.executable}"
    return subprocess.run([str(PEDRO), *map(str, args)], capture_output=True, text=True, timeout=120)


def _totals(report: dict) -> dict:
    return {study["study"]: study["total"] for study in report["studies"]}


def test_pedro_scores_a_libreoffice_workbook(libreoffice_book, tmp_path):
    original = libreoffice_book.read_bytes()
    audited = tmp_path / "audited.xlsx"

    run = _pedro("score", libreoffice_book, "-o", audited, "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert _totals(report) == EXPECTED_TOTALS
    assert report["summary"]["errors"] == 0
    assert report["summary"]["exit_status"] == 0
    assert report["output"] == str(audited)
    assert [s["row"] for s in report["studies"]] == [4, 5, 6]  # header on row 3 under a title
    smith = next(s for s in report["studies"] if s["study"] == "Smith 2019")
    assert smith["answers"]["2"] == "Y" and smith["answers"]["4"] == "N"

    # the input is untouched
    assert libreoffice_book.read_bytes() == original

    # the audited workbook opens and carries every value of the input sheet
    before = dump_workbook(libreoffice_book)
    after = dump_workbook(audited)
    sheet = report["sheet"]
    assert list(before) == [sheet]
    assert after[sheet] == before[sheet]
    for added in ("Scores", "Findings", "Change log", "Provenance"):
        assert added in after
    provenance = {after["Provenance"][f"A{r}"]: after["Provenance"].get(f"B{r}")
                  for r in range(2, 40) if f"A{r}" in after["Provenance"]}
    assert provenance["input_sha256"] == hashlib.sha256(original).hexdigest()

    # and pedro reads its own output back with the same totals
    again = _pedro("score", audited, "--dry-run", "--json")
    assert again.returncode == 0, again.stderr
    assert _totals(json.loads(again.stdout)) == EXPECTED_TOTALS


def test_pedro_reports_findings_in_a_libreoffice_workbook(tmp_path):
    rows = _rows()
    rows[3][12] = 8  # Smith 2019's reported total: 7 computed
    source = write_xlsx(tmp_path / "wrong-total.xlsx", rows)
    book = _convert(source, tmp_path)
    run = _pedro("score", book, "--dry-run", "--json")
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    smith = next(s for s in report["studies"] if s["study"] == "Smith 2019")
    assert [(f["rule"], f["cell"]) for f in smith["findings"] if f["severity"] == "error"] == [("PD202", "M4")]
