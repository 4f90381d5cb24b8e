"""TESTEX's criteria worth several points in the second-assessor path (issue 16, user review): compare,
consensus and the tidy export when the assessors rated 6 and 8 one column per point (6a/6b/6c, 8a/8b).

Decisions tested here:
- both sheets give a criterion by parts: it is compared part by part.  The disagreements are listed per part
  (item "6b"); the statistics keep the criterion's row on its points and add one row per part, a yes/no point;
- one sheet by parts, the other as one column of points: compared on the points, which is all the second
  says, and the terminal and the Statistics sheet say so;
- the consensus item sheet keeps the parts when the assessors rated by parts;
- the Consensus column's dropdown offers what pedro consensus accepts on that row;
- the tidy CSV has a row per part after the criterion's, marked part=TRUE.

Every sheet here is CONSTRUCTED for the test (from tests/test_testex.py's PARTS and POINTS)."""

from __future__ import annotations

import csv
import shutil
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner
from test_testex import PARTS, POINTS

from pedro.cli import main
from pedro.compare import compare_files
from pedro.engine import score_file

from conftest import write_xlsx


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def swapped(rows):
    """PARTS with Trial A's 6a and 6b swapped (Y N -> N Y) and 8a/8b swapped likewise: the same counts,
    different points awarded."""
    other = [list(r) for r in rows]
    other[1][6], other[1][7] = other[1][7], other[1][6]
    other[1][10], other[1][11] = "N", "Y"
    return other


@pytest.fixture
def by_parts(tmp_path):
    return write_xlsx(tmp_path / "a.xlsx", PARTS), write_xlsx(tmp_path / "b.xlsx", swapped(PARTS))


def test_same_counts_different_points_are_disagreements_per_part(by_parts):
    comparison = compare_files(list(by_parts), rubric="testex")
    listed = [(d["study"], d["item"], d["answers"]["a"], d["answers"]["b"]) for d in comparison.disagreements]
    assert listed == [("Trial A", "6a", "Y", "N"), ("Trial A", "6b", "N", "Y"), ("Trial A", "8a", "Y", "N")]
    rows = {row["item"]: row for row in comparison.items}
    assert rows[6]["agreement"] == 1.0  # the count of points agrees ...
    assert rows["6a"]["agreement"] == rows["6b"]["agreement"] == pytest.approx(2 / 3)  # ... the points do not
    assert rows["6c"]["agreement"] == 1.0 and rows["6a"]["levels"] == 2
    assert [row["item"] for row in comparison.items][5:10] == [6, "6a", "6b", "6c", 7]
    text = run("compare", *by_parts, "--rubric", "testex", "--dry-run").output
    assert "3 disagreement(s) on items" in text
    assert any(line.split()[:1] == ["6b"] for line in text.splitlines())


def test_the_disagreement_workbook_has_part_rows_and_dropdowns_that_fit_them(by_parts, tmp_path):
    output = tmp_path / "d.xlsx"
    assert run("compare", *by_parts, "--rubric", "testex", "-o", output).exit_code == 0
    sheet = openpyxl.load_workbook(output)["Disagreements"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [r[:4] for r in rows[1:]] == [["Trial A", "6a", "Adherence >85%", "Y"],
                                        ["Trial A", "6b", "Adverse events reported", "N"],
                                        ["Trial A", "8a", "Primary outcome", "Y"]]
    validations = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert validations == {"H2:H4": '"Y,N,?"'}
    statistics = openpyxl.load_workbook(output)["Statistics"]
    assert "compared point by point" in statistics["A2"].value
    assert [statistics.cell(r, 1).value for r in range(9, 14)] == [5, 6, "6a", "6b", "6c"]


def test_a_points_row_offers_its_points(tmp_path):
    """One sheet by parts, the other in points: compared on the points, said on the terminal and the
    Statistics sheet; the criterion's Consensus cell accepts 0..3 and ?, the yes/no rows Y, N, ?."""
    points = [list(r) for r in POINTS]
    points[1][6] = 3  # Trial A, criterion 6: 3 against the parts' 2
    points[1][1] = "N"  # and criterion 1, a yes/no disagreement
    a, b = write_xlsx(tmp_path / "a.xlsx", PARTS), write_xlsx(tmp_path / "b.xlsx", points)
    output = tmp_path / "d.xlsx"
    result = run("compare", a, b, "--rubric", "testex", "-o", output)
    assert result.exit_code == 0, result.output
    assert ("note: criterion 6 (Outcome measures assessed in >85% of patients) is compared on its points (0-3), "
            "not part by part: a rated it one column per part (6a, 6b, 6c), b as one column of points") in result.output
    book = openpyxl.load_workbook(output)
    sheet = book["Disagreements"]
    items = [sheet.cell(r, 2).value for r in range(2, sheet.max_row + 1)]
    assert items[:2] == [1, 6]
    validations = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    row_6 = items.index(6) + 2
    assert validations[f"H{row_6}"] == '"0,1,2,3,?"'
    assert validations["H2"] == '"Y,N,?"'
    assert "compared on its points" in book["Statistics"]["A2"].value
    # what the dropdown offers, pedro consensus takes
    sheet.cell(row_6, 8, "3")
    for r in range(2, sheet.max_row + 1):
        if r != row_6:
            sheet.cell(r, 8, "Y")
    book.save(output)
    merged = run("consensus", output, "-o", tmp_path / "c.xlsx", "--rubric", "testex")
    assert merged.exit_code == 0, merged.output


def test_consensus_keeps_the_parts_and_the_points_awarded(by_parts, tmp_path):
    output = tmp_path / "d.xlsx"
    assert run("compare", *by_parts, "--rubric", "testex", "-o", output).exit_code == 0
    book = openpyxl.load_workbook(output)
    sheet = book["Disagreements"]
    chosen = {"6a": "N", "6b": "Y", "8a": "N"}
    for r in range(2, sheet.max_row + 1):
        sheet.cell(r, 8, chosen[sheet.cell(r, 2).value])
    agreed = book["Agreed"]  # the agreed parts are one column each, and an edit there is logged on its part
    header = [c.value for c in agreed[1]]
    assert agreed.cell(3, header.index("6c Exercise attendance reported") + 1).value == "Y"  # Trial B
    agreed.cell(3, header.index("6c Exercise attendance reported") + 1, "N")
    book.save(output)
    consensus = tmp_path / "c.xlsx"
    merged = run("consensus", output, "-o", consensus, "--rubric", "testex")
    assert merged.exit_code == 0, merged.output
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(consensus)["Consensus"].iter_rows()]
    header = rows[0]
    assert header[6:9] == ["6a Adherence >85%", "6b Adverse events reported", "6c Exercise attendance reported"]
    assert header[10:12] == ["8a Primary outcome", "8b Secondary outcomes"]
    trial_a = dict(zip(header, rows[1]))
    assert [trial_a[h] for h in header[6:9]] == ["N", "Y", "Y"]  # which points were awarded, not "2"
    assert [trial_a[h] for h in header[10:12]] == ["N", "Y"]
    log = [[c.value for c in row] for row in openpyxl.load_workbook(consensus)["Change log"].iter_rows()]
    assert [(r[2], r[3], r[5], r[7]) for r in log[1:]] == [
        ("Agreed", "I3", "6c", "N"), ("Consensus", "G2", "6a", "N"), ("Consensus", "H2", "6b", "Y"),
        ("Consensus", "K2", "8a", "N")]
    result = score_file(consensus, rubric="testex")
    assert result.sheet.layout.parts.keys() == {6, 8}
    assert result.sheet.wide("answer")[6].tolist() == ["2", "2", "1"]
    assert not result.edits  # the consensus sheet reads back as it was recorded: no edit outside pedro


def test_tidy_export_has_a_row_per_part(tmp_path):
    rows = [list(r) for r in PARTS]
    rows[2][11] = None  # Trial B: 8a answered (1), 8b blank
    sheet = write_xlsx(tmp_path / "parts.xlsx", rows)
    output = tmp_path / "tidy.csv"
    result = run("export", sheet, "--rubric", "testex", "--to", "csv", "-o", output)
    assert result.exit_code == 0, result.output
    with output.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    trial_a = [(r["item"], r["answer"], r["points"], r["max_points"], r["cell"], r["part"])
               for r in table if r["study"] == "Trial A"]
    assert trial_a[5:10] == [("6", "2", "2", "3", "G2, H2, I2", "FALSE"), ("6a", "Y", "1", "1", "G2", "TRUE"),
                             ("6b", "N", "0", "1", "H2", "TRUE"), ("6c", "Y", "1", "1", "I2", "TRUE"),
                             ("7", "Y", "1", "1", "J2", "FALSE")]
    trial_b = {r["item"]: r for r in table if r["study"] == "Trial B"}
    assert trial_b["8a"]["answer"] == "Y" and trial_b["8a"]["points"] == "1"
    assert trial_b["8b"]["answer"] == "NA" and trial_b["8b"]["points"] == "NA"
    # The criteria's rows (part FALSE) add up to pedro's totals; the part rows are not counted twice.
    scores = score_file(sheet, rubric="testex").scores
    for study, total in zip(scores["study"] if "study" in scores else ["Trial A", "Trial B", "Trial C"],
                            scores["total"].tolist()):
        points = [r["points"] for r in table if r["study"] == study and r["part"] == "FALSE"]
        if "NA" not in points:
            assert sum(int(p) for p in points) == total
    parts_sum = sum(int(r["points"]) for r in table if r["study"] == "Trial A" and r["part"] == "TRUE")
    assert parts_sum == 2 + 2  # 6a..6c and 8a, 8b


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_keeps_the_points_dropdown(tmp_path):
    """The workbook saved again by LibreOffice keeps each row's list: "3" on criterion 6's row is allowed."""
    points = [list(r) for r in POINTS]
    points[1][6] = 3
    a, b = write_xlsx(tmp_path / "a.xlsx", PARTS), write_xlsx(tmp_path / "b.xlsx", points)
    output = tmp_path / "d.xlsx"
    assert run("compare", a, b, "--rubric", "testex", "-o", output).exit_code == 0
    converted = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(converted), str(output)],
                   check=True, capture_output=True, timeout=120)
    sheet = openpyxl.load_workbook(converted / "d.xlsx")["Disagreements"]
    formulas = {v.formula1 for v in sheet.data_validations.dataValidation}
    assert '"0,1,2,3,?"' in formulas


def test_a_trial_only_two_of_three_assessors_rated_counts_in_the_part_rows_too(tmp_path):
    """Three assessors by parts; c did not rate Trial C (a CONSTRUCTED sheet without its row). Gwet's
    missing-data statistics keep Trial C, rated by a and b, in the criterion's row: its parts' rows must
    count it as well, with the answers a and b gave its parts (6c: a "?" from a, "Y" from b)."""
    b_rows = [list(r) for r in PARTS]
    b_rows[3][8] = "Y"  # Trial C's 6c: a wrote "?", b "Y"
    a = write_xlsx(tmp_path / "a.xlsx", PARTS)
    b = write_xlsx(tmp_path / "b.xlsx", b_rows)
    c = write_xlsx(tmp_path / "c.xlsx", PARTS[:3])
    comparison = compare_files([a, b, c], rubric="testex")
    assert [tuple(p) for p in comparison.partial] == [(2, 2, -1)]
    rows = {row["item"]: row for row in comparison.items}
    assert rows[6]["n"] == 3  # Trials A and B by all three, Trial C by a and b
    for code in ("6a", "6b", "6c", "8a", "8b"):
        assert rows[code]["n"] == rows[6]["n"], code
    # Trial C's 6c is the one disagreement of 6c: "?" earns no point, "Y" one.
    assert rows["6c"]["agreement"] == pytest.approx(2 / 3)
    assert rows["6a"]["agreement"] == 1.0
    # complete cases: only the trials all three rated.
    complete = {row["item"]: row for row in compare_files([a, b, c], rubric="testex", complete_cases=True).items}
    assert complete["6c"]["n"] == complete[6]["n"] == 2 and complete["6c"]["agreement"] == 1.0
