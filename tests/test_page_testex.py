"""A rubric beyond PEDro's shape in what pedro shows: `pedro report` on TESTEX (subtotals computed and as
printed, no band column or band-set table, why there are no bands said once), the audited workbook's Scores
sheet marking a criterion's points that are not valid ("!4") as the Summary does, the change-log reason for
points written another way ("2/3", "2.0"), and the Scores subtotal heading shared by writer and audit.
Issue 16, leftovers of the TESTEX support."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from test_page import report

from pedro.engine import score_file
from pedro.rubric import load_rubric
from pedro.scoring import subtotal_scores

from conftest import ALS_EXAMPLE, REPO, write_xlsx

PUBLISHED = REPO / "tests" / "data" / "published" / "testex" / "openheart_pmc6307588_table2.csv"
# Printed subtotals beside the criteria: one right, one wrong (3 printed, 2 computed), one not a number ("six").
SUBTOTAL_ROWS = [["Study", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "Study quality (/5)",
                  "Reporting (/10)", "Overall TESTEX (/15)"],
                 ["Good 2001", 1, 1, 1, 1, 1, 3, 1, 2, 1, 1, 1, 1, 5, 10, 15],
                 ["WrongSub 2003", 1, 0, 0, 1, 0, 3, 0, 2, 1, 0, 0, 0, 3, 5, 8],
                 ["Text 2004", 1, 0, 0, 1, 0, 3, 0, 2, 1, 0, 0, 0, 2, "six", 8]]
# Criterion 6 worth 3 written "2/3", criterion 8 worth 2 written "2.0"; trial B's criterion 6 is "4" (invalid).
POINTS_ROWS = [["Study", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "Total"],
               ["A", 1, 1, 1, 1, 0, "2/3", 1, "2.0", 1, 1, 1, 0, 12],
               ["B", 1, 1, 0, 1, 1, 4, 1, 1, 0, 1, 1, 1, 12]]
# One column per point: trial B's part 6b is "2", not a point.
PARTS_ROWS = [["Study", "1", "2", "3", "4", "5", "6a", "6b", "6c", "7", "8a", "8b", "9", "10", "11", "12"],
              ["A", "Y", "Y", "Y", "Y", "N", "Y", "Y", "N", "Y", "Y", "Y", "Y", "Y", "Y", "N"],
              ["B", "Y", "Y", "N", "Y", "Y", "Y", "2", "Y", "Y", "Y", "N", "N", "Y", "Y", "Y"]]


def trials_table(page: str) -> str:
    return page[page.index('<table class="trials"'):page.index("</table>", page.index('<table class="trials"'))]


def counts_section(page: str) -> str:
    start = page.index('-counts">Counts<')
    return page[start:page.index("</section>", start)]


# --- pedro report -------------------------------------------------------------------------------------------

def test_a_testex_report_shows_the_subtotals_and_says_once_why_there_are_no_bands(tmp_path):
    rubric = load_rubric("testex")
    page = report(tmp_path, PUBLISHED, extra=("--rubric", "testex"))
    result = score_file(PUBLISHED, rubric="testex")
    computed = subtotal_scores(result.sheet.answers, result.rubric, len(result.sheet.studies))
    counts = counts_section(page)
    assert "Study quality (out of 5): <strong>9</strong> trial(s) with a known subtotal" in counts
    assert "Study reporting (out of 10): <strong>9</strong> trial(s) with a known subtotal" in counts
    # The sheet prints no subtotal: no column of printed subtotals, and the counts do not claim one.
    assert "printed in the sheet" not in counts
    table = trials_table(page)
    header = table[:table.index("</thead>")]
    assert header.count('class="subtotal"') == 2 and ">Study quality (/5)</abbr>" in header
    rows = re.findall(r'<tr id="i1-t\d+".*?</tr>', table)
    shown = [re.findall(r'<td class="num subtotal" data-value="[^"]*">([^<]*)</td>', row) for row in rows]
    assert shown == [[str(q), str(r)] for q, r in zip(computed["study_quality"], computed["reporting"])]
    # No bands: no band column, filter, band-set table or boundary count, and the reason said once.
    assert rubric.no_bands and page.count(rubric.no_bands) == 1
    assert f"rubric testex names no band set ({rubric.no_bands})" in counts
    for absent in ("band boundary", 'class="bands"', 'data-filter="band"', 'data-sort="band"', "(no band)",
                   "Quality bands are a convention", ">Band</text>", "Band set source", "Band set caveat"):
        assert absent not in page, absent


def test_printed_subtotals_stand_beside_the_computed_ones_and_a_wrong_one_is_marked(tmp_path):
    source = write_xlsx(tmp_path / "sub.xlsx", SUBTOTAL_ROWS)
    page = report(tmp_path, source, extra=("--rubric", "testex"))
    counts = counts_section(page)
    assert ("Study quality (out of 5): <strong>3</strong> trial(s) with a known subtotal; printed in the sheet "
            "for 3, <strong>1</strong> of them not the computed subtotal") in counts
    assert "printed in the sheet for 3, <strong>2</strong> of them" in counts  # reporting: 5 (not 6) and "six"
    table = trials_table(page)
    assert table[:table.index("</thead>")].count('class="subtotal"') == 4  # computed and printed, twice
    rows = re.findall(r'<tr id="i1-t\d+".*?</tr>', table)
    assert '<td class="num differs" title="not the computed subtotal, 2">3</td>' in rows[1]
    assert '<td class="num differs" title="not the computed subtotal, 6">5</td>' in rows[1]
    assert '<td class="num differs" title="not the computed subtotal, 6">six</td>' in rows[2]
    assert "differs" not in "".join(re.findall(r'<td class="num[^"]*"[^>]*>[^<]*</td>', rows[0]))


def test_a_pedro_report_keeps_its_bands_and_has_no_subtotal_column(tmp_path):
    page = report(tmp_path, ALS_EXAMPLE)
    assert "trial(s) on a band boundary" in page and '<table class="bands">' in page
    assert 'data-filter="band"' in page and "Quality bands are a convention of the review" in page
    assert 'class="subtotal"' not in page and "known subtotal" not in page


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium on PATH (Debian: apt-get install chromium)")
def test_the_trial_filter_works_without_a_band_filter(tmp_path):
    """Without bands there is no band select: the script must filter by the other controls, not fail."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    path = tmp_path / "report.html"
    report(tmp_path, PUBLISHED, extra=("--rubric", "testex"))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri(), wait_until="load")
            page.fill("[data-filter=text]", "luo")
            assert page.locator(".filters output").first.text_content() == "showing 1 of 9 trial(s)"
            assert page.locator("table.trials tbody tr:not([hidden])").count() == 1
            assert not errors, errors
        finally:
            browser.close()


# --- the audited workbook -----------------------------------------------------------------------------------

def scores_sheet(tmp_path: Path, rows, name: str) -> list[list]:
    from click.testing import CliRunner

    from pedro.cli import main

    source = write_xlsx(tmp_path / f"{name}.xlsx", rows)
    output = tmp_path / f"{name}.audited.xlsx"
    result = CliRunner().invoke(main, ["score", "--rubric", "testex", str(source), "-o", str(output)])
    assert result.exit_code == 1, result.output  # the invalid points are an error
    assert CliRunner().invoke(main, ["audit", str(output)]).exit_code in (0, 1)
    return [list(r) for r in openpyxl.load_workbook(output)["Scores"].iter_rows(values_only=True)]


def test_the_scores_sheet_marks_invalid_points_as_the_summary_does(tmp_path):
    rows = scores_sheet(tmp_path, POINTS_ROWS, "points")
    six = rows[0].index("6 Outcome measures assessed in >85% of patients")
    eight = rows[0].index("8 Between-group statistical comparisons reported")
    assert [r[six] for r in rows[1:]] == ["2", "!4"] and [r[eight] for r in rows[1:]] == ["2", "1"]
    # A part's "2" (a part is one point, Y or N) is marked in both sheets alike.
    parts = scores_sheet(tmp_path, PARTS_ROWS, "parts")
    assert [r[six] for r in parts[1:]] == ["2", "!2"]
    summary = openpyxl.load_workbook(tmp_path / "parts.audited.xlsx")["Summary"]
    marked = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] == "!"]
    assert marked == ["!2"]


def test_an_audited_testex_workbook_with_marked_points_still_verifies(tmp_path):
    from click.testing import CliRunner

    from pedro.cli import main

    scores_sheet(tmp_path, POINTS_ROWS, "points")
    audit = CliRunner().invoke(main, ["audit", str(tmp_path / "points.audited.xlsx")])
    assert audit.output.splitlines()[0].endswith(": verified"), audit.output


def test_the_change_log_says_how_points_written_another_way_were_read(tmp_path):
    result = score_file(write_xlsx(tmp_path / "points.xlsx", POINTS_ROWS), rubric="testex")
    reasons = dict(zip(result.changes["old"], result.changes["reason"]))
    assert reasons["2/3"] == "points written as 2/3, read as 2 of 3 (rubric testex: criterion 6 is worth 3 points)"
    assert reasons["2.0"] == "points written as 2.0, read as 2 of 2 (rubric testex: criterion 8 is worth 2 points)"
    assert reasons["1"] == "'1' is written as Y (rubric testex, [answers.synonyms] Y)"  # a yes/no synonym


def test_writer_and_audit_name_the_subtotal_columns_with_one_helper(tmp_path):
    from pedro.audit.verify import _recomputed_subtotals
    from pedro.audit.workbook import subtotal_columns

    rubric = load_rubric("testex")
    quality, reporting = rubric.subtotals
    assert subtotal_columns(quality, rubric) == ["Subtotal: Study quality (/5)"]
    assert subtotal_columns(reporting, rubric, printed=True) == ["Subtotal: Study reporting (/10)",
                                                                 "Reported subtotal: Study reporting (/10)"]
    source = write_xlsx(tmp_path / "sub.xlsx", SUBTOTAL_ROWS)
    result = score_file(source, rubric="testex")
    header = scores_sheet(tmp_path, SUBTOTAL_ROWS, "sub")[0]
    written = [h for s in rubric.subtotals for h in subtotal_columns(s, rubric, printed=True)]
    assert [h for h in header if h.startswith(("Subtotal: ", "Reported subtotal: "))] == written
    recomputed = _recomputed_subtotals(result)
    assert all(set(columns) == {subtotal_columns(s, rubric)[0] for s in rubric.subtotals}
               for columns in recomputed.values())
    assert set(recomputed[3].values()) == {2, 6}
