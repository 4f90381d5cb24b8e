"""The shapes PEDro tables take in published reviews (issue 14), built from
real published tables: notes, legends, summary rows and headings around the
table (merged or not), the items as rows (transposed), totals-only lists, the
many ways a total column is headed, and headers over two rows.

The tables are in ``tests/data/published`` (one CSV per review, the source
cited in its first lines and in the README there), values as printed.  Each
test builds a shape from one of them and checks three things against the
published table, not against pedro: how many trials were read, every total
against the sum of items 2-11 as printed, and that no finding lands on a row
that is not a trial (a note is said once, as an advisory).
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from pedro.audit.workbook import REPORTED_TOTAL_COLUMN, SCORES_SHEET, TOTAL_COLUMN
from pedro.cli import main
from pedro.engine import score_file
from pedro.report import result_to_json, summary_text
from pedro.sheets.cells import split_address
from pedro.sheets.reader import open_book
from pedro.write.audited import write_audited

from conftest import write_csv, write_xlsx

PUBLISHED = Path(__file__).resolve().parent / "data" / "published"
SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")


@dataclass(frozen=True)
class Review:
    """A published table: its rows as printed, and where its items and printed total are.  The item
    columns are given here, from the printed headers, so the expected totals do not depend on pedro."""

    name: str
    rows: list[list]  # header first, then the trials, then whatever is printed under them
    trials: int  # how many rows under the header are trials
    items: dict[int, int]  # item number -> column
    total: int  # column of the printed total

    @property
    def header(self) -> list:
        return self.rows[0]

    @property
    def body(self) -> list[list]:
        return self.rows[1:1 + self.trials]

    @property
    def labels(self) -> list[str]:
        return [row[0] for row in self.body]

    def expected_totals(self) -> dict[str, int]:
        """Items 2-11 of each trial as printed: a point for '1' or 'Y'."""
        return {row[0]: sum(str(row[self.items[n]]) in ("1", "Y") for n in range(2, 12)) for row in self.body}

    def printed_totals(self) -> dict[str, int]:
        return {row[0]: int(row[self.total]) for row in self.body}


def _published(name: str) -> list[list]:
    """A published table's rows as printed: numbers as numbers, empty cells as None."""
    lines = [line for line in (PUBLISHED / f"{name}.csv").read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    return [[None if value == "" else int(value) if value.isdigit() else value for value in row]
            for row in csv.reader(lines)]


# Takeuchi et al. 2023: items in the printed order, eligibility last.
TAKEUCHI = Review("takeuchi2023", _published("takeuchi2023"), 17,
                  dict(zip([2, 3, 4, 7, 5, 6, 8, 9, 10, 11, 1], range(1, 12))), 12)
# Wu et al. 2022: label, printed score, printed band, items 1-11.
WU = Review("wu2022", _published("wu2022"), 15, {n: n + 2 for n in range(1, 12)}, 1)
# Young et al. 2014: items 2-11, total, study quality; summary rows and notes under the 14 trials.
YOUNG = Review("young2014", _published("young2014"), 14, {n: n - 1 for n in range(2, 12)}, 11)
REVIEWS = [TAKEUCHI, WU, YOUNG]
# Where a published total differs from its items 2-11: Wu et al. print 6 for Hackney and Earhart (2008),
# whose items 2-11 sum to 5 (items 1-11 to 6).
PRINTED_ERRORS = {"Hackney and Earhart (2008)"}


def _save(rows: list[list], path: Path, merges=()) -> Path:
    """The rows as an .xlsx sheet 'PEDro', with the given cells merged (as the review printed them)."""
    write_xlsx(path, rows, sheet="PEDro")
    if merges:
        workbook = openpyxl.load_workbook(path)
        for area in merges:
            workbook.active.merge_cells(area)
        workbook.save(path)
    return path


def _line(cell: str, transposed: bool) -> int | None:
    """The line of the table a cell is on: its row, or for a transposed table its column (A = 1)."""
    where = split_address(cell)
    if where is None:
        return None
    return where[1] if transposed else where[0]


def _check_reading(result, review: Review, labels: list[str] | None = None) -> None:
    """The three checks of every shape: the trial count, every total against items 2-11 as printed,
    and no finding on a line that is not a trial (but the one advisory saying it is not)."""
    labels = labels or review.labels
    studies = result.sheet.studies
    assert studies["study"].tolist() == labels
    expected = review.expected_totals()
    assert dict(zip(studies["study"], result.scores["total"].tolist())) == {label: expected[label] for label in labels}
    transposed = result.sheet.layout.transposed
    trial_lines = set(studies["row"].tolist())
    header_end = result.sheet.layout.header_row  # the header, and the group rows above it
    for finding in result.findings.itertuples():
        line = _line(finding.cell or "", transposed)
        if finding.study is not None:
            assert line in trial_lines, f"{finding.rule} {finding.cell}: a trial's finding off its line"
        elif line is not None and line > header_end and line not in trial_lines:
            assert finding.rule == "PD802", f"{finding.rule} {finding.cell}: {finding.message}"


def _findings(result, rule: str):
    return result.findings[result.findings["rule"] == rule]


def _trial_findings(result) -> list[tuple]:
    """(rule, study, item) of every finding about a trial: what must not change with the shape."""
    trial = result.findings[result.findings["study"].notna()]
    items = [None if pd.isna(item) else int(item) for item in trial["item"].tolist()]
    return sorted(zip(trial["rule"], trial["study"], items), key=str)


# ---------------------------------------------------------------------------------------------------------
# The tables as printed
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("review", REVIEWS, ids=lambda r: r.name)
def test_published_table_is_read_as_printed(review, tmp_path):
    result = score_file(_save(review.rows, tmp_path / f"{review.name}.xlsx"))
    _check_reading(result, review)
    mismatched = set(_findings(result, "PD202")["study"])
    assert mismatched == {label for label, total in review.printed_totals().items()
                          if total != review.expected_totals()[label]}
    assert mismatched == PRINTED_ERRORS & set(review.labels)
    report = result_to_json(result)
    for study in report["studies"]:
        printed = review.printed_totals()[study["study"]]
        assert study["reported_total"] == printed
        assert study["total_difference"] == printed - study["total"]


def test_reported_total_beside_the_computed_one_in_the_scores_sheet(tmp_path):
    result = score_file(_save(WU.rows, tmp_path / "wu.xlsx"))
    scores = openpyxl.load_workbook(write_audited(result, tmp_path / "out.xlsx"))[SCORES_SHEET]
    header = [c.value for c in scores[1]]
    total, printed = header.index(TOTAL_COLUMN), header.index(REPORTED_TOTAL_COLUMN)
    assert printed == total + 1 and header[printed + 1] == f"{REPORTED_TOTAL_COLUMN} - {TOTAL_COLUMN}"
    rows = {row[0]: row for row in scores.iter_rows(min_row=2, values_only=True)}
    assert rows["Hackney and Earhart (2008)"][total:printed + 2] == (5, 6, 1)
    assert rows["Li et al. (2012)"][total:printed + 2] == (8, 8, 0)


# ---------------------------------------------------------------------------------------------------------
# Rows that are not trials: notes, legends, summary rows and headings, above and below, merged or not
# ---------------------------------------------------------------------------------------------------------

def test_summary_rows_and_notes_under_the_table_are_said_once(tmp_path):
    result = score_file(_save(YOUNG.rows, tmp_path / "young.xlsx"))
    bare = score_file(_save(YOUNG.rows[:1 + YOUNG.trials], tmp_path / "bare.xlsx"))
    _check_reading(result, YOUNG)
    assert result.exit_status == bare.exit_status
    assert _trial_findings(result) == _trial_findings(bare)
    under = range(YOUNG.trials + 2, len(YOUNG.rows) + 1)  # Excel rows under the trials
    notes = _findings(result, "PD802")
    assert notes["cell"].tolist() == [f"A{row}" for row in under]
    assert notes["severity"].eq("advisory").all() and notes["study"].isna().all()
    messages = notes["message"].tolist()
    assert "row 18 ('Score Average') is a summary row, not a trial" in messages[2]
    assert "row 20: read as a note, not a trial: 'Y = Criterion satisfied; N = Criterion n…'" in messages[4]


def test_notes_merged_across_the_row_above_and_below(tmp_path):
    width = len(TAKEUCHI.header)
    last = openpyxl.utils.get_column_letter(width)
    above = [["Table 2. PEDro scale"], ["Source: Takeuchi et al., J Sports Sci Med 2023;22(3):465-475"]]
    below = [["PEDro, Physiotherapy evidence database; 1, one point scored; 0, no points scored"],
             ["* Criterion of eligibility was not counted in the total score."]]
    rows = [*above, TAKEUCHI.header, *TAKEUCHI.body, *below]
    first_note = len(above) + 1 + TAKEUCHI.trials + 1
    merges = [f"A1:{last}1", f"A2:{last}2", f"A{first_note}:{last}{first_note}",
              f"A{first_note + 1}:{last}{first_note + 1}"]
    result = score_file(_save(rows, tmp_path / "merged.xlsx", merges))
    _check_reading(result, TAKEUCHI)
    assert result.sheet.layout.header_rows == (3,)
    assert _findings(result, "PD802")["cell"].tolist() == [f"A{first_note}", f"A{first_note + 1}"]
    assert result.exit_status == 0


def test_headings_between_the_trials_are_not_trials(tmp_path):
    """Reviews group their trials under headings ('Neurological conditions'), each a row of one cell."""
    rows = [WU.header, ["Tai Chi"], *WU.body[:3], [None, None, None, "Qigong and Baduanjin (merged heading)"],
            *WU.body[3:]]
    result = score_file(_save(rows, tmp_path / "headings.xlsx", ["D6:N6"]))
    _check_reading(result, WU)
    assert _findings(result, "PD802")["cell"].tolist() == ["A2", "D6"]
    assert set(_findings(result, "PD202")["study"]) == PRINTED_ERRORS


def test_a_typo_cell_stays_a_trial_with_a_finding(tmp_path):
    rows = [list(row) for row in TAKEUCHI.rows]
    rows[3][1] = "Yy"  # Konrad (2014), random allocation
    result = score_file(_save(rows, tmp_path / "typo.xlsx"))
    assert len(result.sheet.studies) == TAKEUCHI.trials
    assert _findings(result, "PD802").empty
    unread = _findings(result, "PD101")
    assert unread[["cell", "study", "item"]].values.tolist() == [["B4", "Konrad (2014)", 2]]
    # its total is a range (the answer is unknown), and the others are as printed
    expected = TAKEUCHI.expected_totals()
    scores = dict(zip(result.sheet.studies["study"], zip(result.scores["min_total"], result.scores["max_total"])))
    assert scores["Konrad (2014)"] == (expected["Konrad (2014)"] - 1, expected["Konrad (2014)"])
    assert all(scores[label] == (total, total) for label, total in expected.items() if label != "Konrad (2014)")


@pytest.mark.slow
@needs_soffice
def test_notes_under_a_table_saved_by_libreoffice(tmp_path):
    """A CSV of the printed table opened and saved by LibreOffice, as reviewers paste tables."""
    from test_libreoffice import _convert

    source = tmp_path / "source"
    source.mkdir()
    book = _convert(write_csv(source / "young.csv", YOUNG.rows), tmp_path)
    result = score_file(book)
    _check_reading(result, YOUNG)
    assert len(_findings(result, "PD802")) == len(YOUNG.rows) - 1 - YOUNG.trials


# ---------------------------------------------------------------------------------------------------------
# Items as rows, trials as columns
# ---------------------------------------------------------------------------------------------------------

def _transposed(rows: list[list], corner="PEDro criterion") -> list[list]:
    width = max(len(row) for row in rows)
    columns = [[row[c] if c < len(row) else None for row in rows] for c in range(width)]
    columns[0][0] = corner
    return columns


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("review", [TAKEUCHI, WU], ids=lambda r: r.name)
def test_transposed_table_reads_as_the_printed_one(review, kind, tmp_path):
    rows = _transposed(review.rows)
    target = tmp_path / f"transposed.{kind}"
    path = _save(rows, target) if kind == "xlsx" else write_csv(target, rows)
    result = score_file(path)
    printed = score_file(_save(review.rows, tmp_path / "printed.xlsx"))
    _check_reading(result, review)
    assert result.sheet.layout.transposed and not printed.sheet.layout.transposed
    assert "read transposed (items as rows)" in summary_text(result)
    assert _trial_findings(result) == _trial_findings(printed)
    assert result.scores.equals(printed.scores)
    assert result.exit_status == printed.exit_status
    # every answer is read from, and every finding on an answer points at, the sheet's own cell
    book = open_book(path)
    grid = book.grid(book.sheet_names[0])
    answers = result.sheet.answers
    cells = result.sheet.cells_of(answers)
    for cell, raw in zip(cells, answers["raw"]):
        row, column = split_address(cell)
        assert grid.value(row - 1, column - 1) == raw
    cell_of = dict(zip(zip(answers["study_index"], answers["item"]), cells))
    on_items = result.findings[result.findings["item"].notna() & result.findings["study_index"].notna()]
    for study_index, item, cell in zip(on_items["study_index"], on_items["item"], on_items["cell"]):
        assert cell == cell_of[(study_index, item)]


def test_transposed_table_cells_and_audited_workbook_keep_the_orientation(tmp_path):
    rows = _transposed(TAKEUCHI.rows)
    path = _save(rows, tmp_path / "transposed.xlsx")
    result = score_file(path)
    # The cells of each trial, as the audit records them: a column of the sheet per trial.
    positions, label_position, header, trials = result.sheet.table_cells()
    grid = open_book(path).grid("PEDro")
    for _, line, values in trials:
        for position, value in zip(positions, values):
            row, column = split_address(f"{line}{position}")
            assert grid.value(row - 1, column - 1) == value
    assert [values[int(label_position) - 1] for _, _, values in trials] == TAKEUCHI.labels
    out = openpyxl.load_workbook(write_audited(result, tmp_path / "out.xlsx"))
    written = out["PEDro"]
    assert written.max_row == len(rows) and written.max_column == len(rows[0])  # not turned round
    assert len(result.changes) == TAKEUCHI.trials * 11  # every 1 and 0 is written Y or N, where it was
    for change in result.changes.itertuples():
        row, column = split_address(change.cell)
        assert str(rows[row - 1][column - 1]) == change.old and written[change.cell].value == change.new
    for finding in result.findings.itertuples():  # the marks are on the cells the findings name
        if split_address(finding.cell or ""):
            assert finding.rule in (written[finding.cell].comment.text if written[finding.cell].comment else "")
    scores = list(out[SCORES_SHEET].iter_rows(values_only=True))
    assert [row[0] for row in scores[1:]] == TAKEUCHI.labels  # the pedro sheets are by trial
    again = score_file(tmp_path / "out.xlsx")
    assert again.sheet.layout.transposed and again.scores.equals(result.scores)


@pytest.mark.slow
@needs_soffice
def test_transposed_table_saved_by_libreoffice(tmp_path):
    from test_libreoffice import _convert

    source = tmp_path / "source"
    source.mkdir()
    result = score_file(_convert(_save(_transposed(WU.rows), source / "wu-transposed.xlsx"), tmp_path))
    _check_reading(result, WU)
    assert set(_findings(result, "PD202")["study"]) == PRINTED_ERRORS


# ---------------------------------------------------------------------------------------------------------
# Totals only
# ---------------------------------------------------------------------------------------------------------

def _totals_only(review: Review) -> list[list]:
    """Study, Year, PEDro score: the label split from its year, as totals-only lists print them."""
    rows = [["Study", "Year", "PEDro score"]]
    for row in review.body:
        label, year = row[0].rsplit(" (", 1)
        rows.append([label, int(year.rstrip(")")), row[review.total]])
    return rows


@pytest.mark.parametrize("review", [TAKEUCHI, WU], ids=lambda r: r.name)
def test_totals_only_list_is_scored_as_far_as_it_goes(review, tmp_path):
    rows = _totals_only(review)
    result = score_file(_save(rows, tmp_path / "totals.xlsx"))
    layout = result.sheet.layout
    assert layout.totals_only and layout.header_rows == (1,) and layout.year.header == "Year"
    assert len(result.sheet.studies) == review.trials
    printed = list(review.printed_totals().values())
    assert result.scores["total"].tolist() == printed
    assert result.exit_status == 0  # 'Li et al.' 2012 and 2022 are two trials: the year tells them apart
    assert "no item-level check was possible" in summary_text(result)
    [said] = _findings(result, "PD205")["message"]
    assert "no item-level check was possible" in said
    scores = list(openpyxl.load_workbook(write_audited(result, tmp_path / "out.xlsx"))[SCORES_SHEET]
                  .iter_rows(values_only=True))
    header = scores[0]
    for band_set in result.rubric.band_sets.values():
        column = header.index(f"Band: {band_set.name}")
        assert [row[column] for row in scores[1:]] == [band_set.band_of(total) for total in printed]
    report = result_to_json(result)
    assert report["layout"]["totals_only"] is True
    assert [s["reported_total"] for s in report["studies"]] == printed
    assert {s["total_difference"] for s in report["studies"]} == {None}


def test_totals_out_of_range_or_not_whole_are_flagged(tmp_path):
    rows = _totals_only(WU)
    rows[2][2], rows[5][2], rows[7][2] = 12, 6.5, "7/10"
    result = score_file(_save(rows, tmp_path / "totals.xlsx"))
    assert len(result.sheet.studies) == WU.trials
    assert sorted(_findings(result, "PD201")["cell"]) == ["C3", "C6"]
    assert result.exit_status == 1
    totals = result.scores["total"].tolist()
    assert totals[1] is result.scores["total"].dtype.na_value and totals[6] == 7
    assert result.scores["band"].tolist()[1] is None


def test_header_detection_never_takes_a_row_of_totals(tmp_path):
    """Three trials with different totals: '8 6 7' down the total column reads like item numbers across
    a row of the transposed sheet, but a header row has no numbers where the rows beside it have them."""
    rows = [["Study", "Year", "PEDro score"], ["Schmitz-Hübsch et al.", 2006, 8], ["Gao et al.", 2014, 7],
            ["Liu et al.", 2016, 4]]
    result = score_file(_save(rows, tmp_path / "three.xlsx"))
    assert result.sheet.layout.totals_only and not result.sheet.layout.transposed
    assert result.scores["total"].tolist() == [8, 7, 4]
    csv_result = score_file(write_csv(tmp_path / "three.csv", rows))
    assert csv_result.sheet.layout.header_row == 1 and csv_result.scores["total"].tolist() == [8, 7, 4]


# ---------------------------------------------------------------------------------------------------------
# Total columns by meaning
# ---------------------------------------------------------------------------------------------------------

TOTAL_HEADERS = ["Total", "Score", "PEDro score", "Total score", "PEDro score (/10)", "Total score (0-10)",
                 "Total (from a possible maximal of 10)", "Score out of 10", "PEDro score /10", "Total (0–10)",
                 "Total PEDro score (Sum criteria 2–11, maximum score is 10)", "Scores", "PEDro total score (max 10)"]


@pytest.mark.parametrize("header", TOTAL_HEADERS)
def test_total_column_is_known_by_what_its_header_means(header, tmp_path):
    rows = [list(row) for row in WU.rows]
    rows[0][WU.total] = header
    result = score_file(_save(rows, tmp_path / "wu.xlsx"))
    _check_reading(result, WU)
    assert result.sheet.layout.role("total").header == header
    wrong = _findings(result, "PD202")
    assert wrong["study"].tolist() == ["Hackney and Earhart (2008)"] and wrong["cell"].tolist() == ["B3"]
    assert _findings(result, "PD206").empty
    assert result.exit_status == 1


def test_a_total_column_pedro_does_not_take_is_said(tmp_path):
    rows = [list(row) for row in WU.rows]
    rows[0][WU.total] = "Punteggio"  # Italian: not a header pedro knows, but its numbers are totals
    result = score_file(_save(rows, tmp_path / "wu.xlsx"))
    _check_reading(result, WU)
    assert result.sheet.layout.role("total") is None
    [said] = _findings(result, "PD206")["message"]
    assert said.startswith("B1: column B ('Punteggio') looks like a reported total")
    assert "no column is read as the reported total" in said
    rows[0].append("Total")  # a second total column: the first one is taken, the other said
    for row, total in zip(rows[1:], WU.printed_totals().values()):
        row.append(total)
    result = score_file(_save(rows, tmp_path / "wu2.xlsx"))
    assert result.sheet.layout.role("total").header == "Total"
    assert _findings(result, "PD206")["cell"].tolist() == ["B1"]


# ---------------------------------------------------------------------------------------------------------
# Headers over two rows
# ---------------------------------------------------------------------------------------------------------

# The item names Wu et al. print in their table's footnote.
WU_ITEM_NAMES = ["Eligibility criteria", "Random sequence", "Allocation concealment", "Similar at baseline",
                 "Subjects blinded", "Therapists blinded", "Assessors blinded", "< 15% dropouts",
                 "Intention-to-treat analysis", "Between-group comparisons", "Point measures and variability data"]


def test_item_numbers_over_item_names_read_as_one_header(tmp_path):
    numbers = [WU.header[0], WU.header[1], WU.header[2], *range(1, 12)]
    names = [None, None, None, *WU_ITEM_NAMES]
    path = _save([numbers, names, *WU.body], tmp_path / "two-rows.xlsx", ["A1:A2", "B1:B2", "C1:C2"])
    result = score_file(path)
    _check_reading(result, WU)
    layout = result.sheet.layout
    assert layout.header_rows == (1, 2) and layout.header_row == 2
    assert "header rows 1-2 (read as one header)" in summary_text(result)
    assert layout.items[2].header == "2 Random sequence"
    notes = _findings(result, "PD805")["message"].tolist()
    assert any("rows 1 and 2 are read as one header" in m for m in notes)
    assert {role: column.header for role, column in layout.roles.items()} == {
        "study": "References", "total": "Scores", "band": "Methodological quality"}
    assert set(_findings(result, "PD202")["study"]) == PRINTED_ERRORS


def test_renumbered_items_over_their_names_are_read_by_the_names(tmp_path):
    """Young et al. print items 2-11 only; numbered 1-10 above their names, the names win."""
    names = ["Random allocation", "Concealed allocation", "Baseline comparability", "Blind subjects",
             "Blind therapists", "Blind assessors", "Adequate follow-up", "Intention-to-treat analysis",
             "Between-group comparisons", "Point estimates and variability"]
    numbers = ["Reference", *range(1, 11), "Total score", "Study quality"]
    rows = [numbers, [None, *names, None, None], *YOUNG.body]
    result = score_file(_save(rows, tmp_path / "renumbered.xlsx", ["A1:A2", "L1:L2", "M1:M2"]))
    _check_reading(result, YOUNG)
    assert {n: c.index for n, c in result.sheet.layout.items.items()} == {n: n - 1 for n in range(2, 12)}
    conflicts = _findings(result, "PD801")
    assert len(conflicts) == 10 and conflicts["cell"].tolist()[0] == "B1"
    assert _findings(result, "PD202").empty


def test_published_group_heading_over_the_item_numbers(tmp_path):
    """Wu et al.'s table as printed: 'PEDro item number' over 1-11, label, score and band merged down."""
    top = [*WU.header[:3], "PEDro item number", *[None] * 10]
    numbers = [None, None, None, *range(1, 12)]
    path = _save([top, numbers, *WU.body], tmp_path / "wu.xlsx", ["A1:A2", "B1:B2", "C1:C2", "D1:N1"])
    result = score_file(path)
    _check_reading(result, WU)
    assert result.sheet.layout.header_row == 2
    assert result.sheet.layout.role("total").letter == "B"
    cli = CliRunner().invoke(main, ["score", str(path), "--json", "--dry-run"])
    report = json.loads(cli.output)
    assert cli.exit_code == 1  # Hackney and Earhart's printed total
    assert report["layout"] == {"header_rows": [2], "transposed": False, "totals_only": False,
                                "read": "header row 2"}


# ---------------------------------------------------------------------------------------------------------
# Notes under a transposed table, summary rows of counts, and what the audit says it covers
# ---------------------------------------------------------------------------------------------------------

TRANSPOSED_NOTES = ["Y = Criterion satisfied; N = Criterion not satisfied.",
                    "2. Subjects were randomly allocated to groups.", "1 = criterion met; 0 = not met"]


@pytest.mark.parametrize("kind", ["xlsx", "merged", "csv"])
def test_notes_under_a_transposed_table_are_said_once(kind, tmp_path):
    """Young et al.'s items as rows, with the review's legend and footnotes under them (one blank row
    between): a footnote that starts '2.' is not a second item 2 and a legend '1 = ...' is not item 1."""
    table = _transposed([YOUNG.header, *YOUNG.body])
    first = len(table) + 2
    rows = [*table, [None], *[[note] for note in TRANSPOSED_NOTES]]
    last = openpyxl.utils.get_column_letter(YOUNG.trials + 1)
    merges = [f"A{first + k}:{last}{first + k}" for k in range(len(TRANSPOSED_NOTES))] if kind == "merged" else []
    path = write_csv(tmp_path / "t.csv", rows) if kind == "csv" else _save(rows, tmp_path / "t.xlsx", merges)
    result = score_file(path)
    bare = score_file(_save(table, tmp_path / "bare.xlsx"))
    _check_reading(result, YOUNG)
    assert result.sheet.layout.transposed and 1 not in result.sheet.layout.items
    assert _trial_findings(result) == _trial_findings(bare) and result.exit_status == bare.exit_status
    notes = _findings(result, "PD802")
    assert notes["cell"].tolist() == [f"A{first + k}" for k in range(len(TRANSPOSED_NOTES))]
    assert notes["study"].isna().all()
    assert f"row {first + 1}: read as a note, not a trial: '2. Subjects were randomly allocated to g…'" in \
        notes["message"].tolist()[1]
    assert not any(f"A{first}" in message for message in _findings(result, "PD805")["message"])
    for finding in result.findings.itertuples():  # nothing about a trial on a note's row
        where = split_address(finding.cell or "")
        assert where is None or where[0] < first or finding.rule == "PD802"


@pytest.mark.parametrize("label", ["n (%)", "Yes, n (%)", "Criterion met, n (%)"])
def test_summary_rows_of_counts_are_not_trials(label, tmp_path):
    """A row counting the trials that meet each item ('13 (76%)') under Takeuchi et al.'s table."""
    met = [f"{count} ({round(100 * count / TAKEUCHI.trials)}%)" for count in
           (sum(str(row[c]) == "1" for row in TAKEUCHI.body) for c in range(1, 12))]
    rows = [TAKEUCHI.header, *TAKEUCHI.body, [label, *met]]
    result = score_file(_save(rows, tmp_path / "counts.xlsx"))
    _check_reading(result, TAKEUCHI)
    assert result.exit_status == 0 and _findings(result, "PD101").empty
    notes = _findings(result, "PD802")
    assert notes["cell"].tolist() == [f"A{TAKEUCHI.trials + 2}"]
    assert f"('{label}') is a summary row, not a trial" in notes["message"].iloc[0]


def test_audit_of_a_transposed_table_names_the_trials_columns(tmp_path):
    path = _save(_transposed(TAKEUCHI.rows), tmp_path / "transposed.xlsx")
    out = write_audited(score_file(path), tmp_path / "out.xlsx")
    cli = CliRunner().invoke(main, ["audit", str(out)])
    last = openpyxl.utils.get_column_letter(TAKEUCHI.trials + 1)
    assert cli.exit_code == 0, cli.output
    assert (f"(header column A, {TAKEUCHI.trials} trial(s), columns B-{last} (items in rows 1-"
            f"{len(TAKEUCHI.header)}): every cell)") in cli.output


# ---------------------------------------------------------------------------------------------------------
# Total columns by what they hold; totals-only headers (issue 14 review, bullets 3-4)
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["Methodological quality", "Rating", "Quality score (PEDro)", "Quality (0-10)",
                                    "Points (max 10)", "Punteggio PEDro"])
def test_a_numeric_total_under_a_band_like_header_is_the_total(header, tmp_path):
    """A column of whole numbers 0-10 is the total whatever band-like or qualified header it has: Wu et al.'s
    wrong printed total for Hackney and Earhart (2008) is an error, not a band pedro does not know."""
    rows = [list(row) for row in WU.rows]
    rows[0][WU.total] = header
    result = score_file(_save(rows, tmp_path / "wu.xlsx"))
    _check_reading(result, WU)
    assert result.sheet.layout.role("total").header == header
    assert result.sheet.layout.role("band").header == "Methodological quality"  # column C: Good, Fair
    wrong = _findings(result, "PD202")
    assert wrong["study"].tolist() == ["Hackney and Earhart (2008)"] and wrong["cell"].tolist() == ["B3"]
    assert _findings(result, "PD204").empty and _findings(result, "PD206").empty
    assert result.exit_status == 1
    assert [s["reported_total"] for s in result_to_json(result)["studies"]] == list(WU.printed_totals().values())


def test_a_band_of_words_under_a_pedro_header_stays_the_band(tmp_path):
    rows = [list(row) for row in YOUNG.rows]
    rows[0][YOUNG.total + 1] = "Methodological quality (PEDro)"  # High/Moderate/Low: words, so the band
    result = score_file(_save(rows, tmp_path / "young.xlsx"))
    layout = result.sheet.layout
    assert layout.role("total").header == "Total score"
    assert layout.role("band").header == "Methodological quality (PEDro)"


def test_totals_only_with_a_units_row_is_read_with_a_two_row_header(tmp_path):
    rows = _totals_only(WU)
    rows.insert(1, [None, None, "(0-10)"])
    result = score_file(_save(rows, tmp_path / "units.xlsx"))
    layout = result.sheet.layout
    assert layout.totals_only and layout.header_rows == (1, 2) and layout.role("total").header == "PEDro score (0-10)"
    assert result.scores["total"].tolist() == list(WU.printed_totals().values())
    # The Year column completes the labels: the two 'Li et al.' read apart everywhere.
    assert result.sheet.studies["study"].tolist() == WU.labels
    assert [s["study"] for s in result_to_json(result)["studies"]] == WU.labels
    assert _findings(result, "PD303").empty  # no item 2 to check against a method column
    assert "PD303" in set(score_file(_save(WU.rows, tmp_path / "items.xlsx")).findings["rule"])


@pytest.mark.parametrize("title", [False, True])
def test_totals_only_with_an_unknown_total_header_names_its_header_row(title, tmp_path):
    rows = _totals_only(WU)
    rows[0][2] = "Appraisal"
    if title:
        rows.insert(0, ["Table 2. PEDro scores of the 15 included trials (Wu et al. 2022)"])
    cli = CliRunner().invoke(main, ["score", str(_save(rows, tmp_path / "appraisal.xlsx")), "--dry-run"])
    assert cli.exit_code == 2 and "Traceback" not in cli.output
    row = 2 if title else 1
    assert (f"row {row} (Study, Year, Appraisal) looks like the header of a list of printed totals, but pedro "
            "does not recognise column C ('Appraisal') as the total: if it is, name its header 'PEDro score' "
            "or 'Total'") in " ".join(cli.output.split())
    rows[row - 1][2] = "Methodological quality (PEDro)"  # a header pedro reads by meaning and by its numbers
    result = score_file(_save(rows, tmp_path / "quality.xlsx"))
    assert result.sheet.layout.totals_only and result.sheet.layout.header_row == row
    assert result.scores["total"].tolist() == list(WU.printed_totals().values())


def test_a_second_total_column_is_said_as_two_totals(tmp_path):
    rows = [list(row) for row in WU.rows]
    rows[0].append("PEDro")
    for row, total in zip(rows[1:], WU.printed_totals().values()):
        row.append(total)
    result = score_file(_save(rows, tmp_path / "two.xlsx"))
    [said] = _findings(result, "PD206")["message"]
    assert "two columns read as the total: column B and column O; keep one" in said
    assert "name its header" not in said


@pytest.mark.parametrize("outcome", ["Pain score (VAS)", "Oswestry score", "Berg Balance Scale score"])
def test_an_outcome_score_of_whole_numbers_is_never_the_total(outcome, tmp_path):
    """A score word inside an outcome's name ('Pain score (VAS)') does not name the rating: with no Total
    column no total is read (no false PD202), and beside Young et al.'s Total the outcome is only said,
    as a score-worded column, not as a header naming a total."""
    vas = {row[0]: (i * 3) % 11 for i, row in enumerate(YOUNG.body)}  # whole numbers 0-10, unlike the totals
    no_total = [row[:YOUNG.total] + [outcome if i == 0 else vas.get(row[0])] + row[YOUNG.total + 1:]
                for i, row in enumerate(YOUNG.rows)]
    result = score_file(_save(no_total, tmp_path / "no_total.xlsx"))
    _check_reading(result, YOUNG)
    assert result.sheet.layout.role("total") is None
    assert _findings(result, "PD202").empty
    assert all(s["reported_total"] is None for s in result_to_json(result)["studies"])
    [said] = _findings(result, "PD206")["message"]
    assert said.startswith(f"L1: column L ('{outcome}') looks like a reported total (14 of its 14 cells read as "
                           "totals and its header has the word 'score', though it does not name the total)")
    assert "no column is read as the reported total" in said
    without = [row[:YOUNG.total] + row[YOUNG.total + 1:] for row in YOUNG.rows]
    assert result.exit_status == score_file(_save(without, tmp_path / "without.xlsx")).exit_status

    beside = [row[:YOUNG.total] + [outcome if i == 0 else vas.get(row[0])] + row[YOUNG.total:]
              for i, row in enumerate(YOUNG.rows)]
    result = score_file(_save(beside, tmp_path / "beside.xlsx"))
    _check_reading(result, YOUNG)
    assert result.sheet.layout.role("total").header == "Total score"
    assert _findings(result, "PD202").empty
    [said] = _findings(result, "PD206")["message"]
    assert "has the word 'score', though it does not name the total" in said and "names a total" not in said
    assert "the reported total is read from column M ('Total score')" in said
    assert [s["reported_total"] for s in result_to_json(result)["studies"]] == list(YOUNG.printed_totals().values())
