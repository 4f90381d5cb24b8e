"""CSV sheets in the dialects people save them in (issue 14): the semicolon CSV that Excel writes in
European locales, tab- and comma-separated ones, with note lines under the table whose commas and
semicolons are not the table's delimiter, and a decimal comma in a printed total.

The tables are Takeuchi et al. (2023) as printed (tests/data/published), so the trial count and the
totals are checked against the published table, not against pedro.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from test_shapes import TAKEUCHI, _check_reading, _findings

from pedro.engine import score_file
from pedro.sheets.reader import open_book

from conftest import write_csv

# A short table as well as the whole one: csv.Sniffer judged the delimiter on ten lines at a time, so it
# was a small table (a review of three trials) that a note line under it turned into a comma file.
SHORT = replace(TAKEUCHI, trials=3)

# Note lines as they are found under a table, written as they stand in the file (not quoted): a source
# line with commas and semicolons, a legend with a comma, a legend with semicolons padded to the table's
# width (as Excel pads every line of a semicolon export), a footnote.
NOTES = {
    "source": "Source: Takeuchi et al., J Sports Sci Med 2023;22(3):465-475",
    "comma legend": "Y = yes, N = no",
    "semicolon legend": "Y = yes; N = no" + ";" * 11,
    "footnote": "* Criterion of eligibility was not counted in the total score.",
}


def _write(path: Path, rows: list[list], delimiter: str, notes=()) -> Path:
    """The rows as a CSV file with the given delimiter, then the note lines exactly as given."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows([["" if v is None else v for v in row]
                                                            for row in rows])
        handle.writelines(f"{note}\r\n" for note in notes)
    return path


def _table(review=TAKEUCHI) -> list[list]:
    return [review.header, *review.body]


def _note_rows(notes, review=TAKEUCHI) -> list[str]:
    """The cells of the note lines: the Excel rows under the header and the trials."""
    first = 1 + review.trials + 1
    return [f"A{row}" for row in range(first, first + len(notes))]


@pytest.mark.parametrize("review", [SHORT, TAKEUCHI], ids=["3 trials", "17 trials"])
@pytest.mark.parametrize("delimiter", [";", "\t"], ids=["semicolon", "tab"])
@pytest.mark.parametrize("note", NOTES, ids=list(NOTES))
def test_a_note_under_the_table_does_not_change_the_delimiter(note, delimiter, review, tmp_path):
    result = score_file(_write(tmp_path / "takeuchi.csv", _table(review), delimiter, [NOTES[note]]))
    bare = score_file(_write(tmp_path / "bare.csv", _table(review), delimiter))
    _check_reading(result, review)
    assert result.exit_status == bare.exit_status
    assert _findings(result, "PD802")["cell"].tolist() == _note_rows([note], review)
    assert _findings(bare, "PD802").empty


@pytest.mark.parametrize("review", [SHORT, TAKEUCHI], ids=["3 trials", "17 trials"])
def test_all_the_notes_under_a_semicolon_table(review, tmp_path):
    notes = list(NOTES.values())
    result = score_file(_write(tmp_path / "takeuchi.csv", _table(review), ";", notes))
    _check_reading(result, review)
    notes_read = _findings(result, "PD802")
    assert notes_read["cell"].tolist() == _note_rows(notes, review)
    assert notes_read["severity"].eq("advisory").all() and notes_read["study"].isna().all()


@pytest.mark.parametrize("review", [SHORT, TAKEUCHI], ids=["3 trials", "17 trials"])
def test_a_decimal_comma_in_a_semicolon_file_does_not_make_the_comma_win(review, tmp_path):
    """A total printed '5,5' (and a comma in every label) is one cell of a semicolon file."""
    rows = _table(review)
    rows[1] = [*rows[1][:-1], "5,5"]
    rows[1:] = [[row[0].replace(" (", ", ("), *row[1:]] for row in rows[1:]]  # "Akagi, (2014)"
    path = _write(tmp_path / "takeuchi.csv", rows, ";", [NOTES["comma legend"]])
    widths = [len(row) for row in open_book(path).grid("takeuchi").rows]
    assert widths == [len(review.header)] * (1 + review.trials) + [1]
    result = score_file(path)
    assert result.sheet.studies["study"].tolist() == [row[0] for row in rows[1:]]
    expected = review.expected_totals()
    assert result.scores["total"].tolist() == [expected[label] for label in review.labels]
    not_whole = _findings(result, "PD201")
    assert not_whole["cell"].tolist() == ["M2"] and "'5,5'" in not_whole["message"].iloc[0]
    assert _findings(result, "PD802")["cell"].tolist() == _note_rows(["comma legend"], review)


def test_a_comma_file_with_semicolons_in_its_notes_stays_a_comma_file(tmp_path):
    notes = [NOTES["source"], "Y = yes; N = no; * not counted in the total"]
    path = write_csv(tmp_path / "takeuchi.csv", _table())
    with path.open("a", newline="", encoding="utf-8") as handle:
        handle.writelines(f"{note}\r\n" for note in notes)
    result = score_file(path)
    _check_reading(result, TAKEUCHI)
    assert _findings(result, "PD802")["cell"].tolist() == _note_rows(notes)


def test_cells_written_after_a_space_lose_the_space(tmp_path):
    """'Study, 1, 2': the space after each delimiter is not part of the cell (as csv.Sniffer read it)."""
    path = tmp_path / "spaced.csv"
    path.write_text("\n".join(", ".join(str("" if v is None else v) for v in row) for row in _table()) + "\n",
                    encoding="utf-8")
    assert open_book(path).grid("spaced").rows[0] == TAKEUCHI.header
    _check_reading(score_file(path), TAKEUCHI)
