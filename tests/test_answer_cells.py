"""The cell of each answer (issue 18): named on demand by ``RatedSheet.cells_of`` rather than kept as a
column of ``RatedSheet.answers`` (660,000 strings on a sheet of 60,000 trials, when a run names only the
cells its findings and changes point at).  Checked against the workbook itself, as openpyxl reads it: a
plain sheet, a transposed one (items as rows) and a TESTEX sheet read by parts (6a/6b/6c, 8a/8b), where
an answer's cell is the part that is blank or not an answer.  Every sheet here is CONSTRUCTED for the test."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from pedro.audit.workbook import CHANGE_LOG_SHEET
from pedro.engine import score_file
from pedro.write import audited as audited_module
from pedro.write.audited import write_audited

from conftest import write_xlsx

HEADER = ["Study", *[str(n) for n in range(1, 12)], "Total"]
# Trial rows 2, 3 and 5 (row 4 is left empty: the trials' rows do not follow one another), with a blank,
# an unclear and an unrecognised answer among them.
PLAIN = [HEADER,
         ["Ada (2001)", "Y", "Y", "N", "Y", "N", "N", "Y", "Y", "Y", "Y", "Y", 7],
         ["Bo (2003)", "Y", None, "N", "?", "N", "N", "Y", "maybe", "Y", "Y", "N", None],
         [],
         ["Cy (2010)", "N", "Y", "Y", "Y", "Y", "Y", "Y", "Y", "Y", "Y", "Y", 10]]

# TESTEX by parts (columns G-I for criterion 6, K-L for 8): Trial A's 6b is not an answer, Trial B's 8b
# is blank, Trial C's 6a is blank and its 6b not an answer (the part not an answer is named first).
PARTS = [["Study", "1", "2", "3", "4", "5", "6a Adherence >85%", "6b Adverse events reported",
          "6c Exercise attendance reported", "7", "8a Primary outcome", "8b Secondary outcomes", "9", "10", "11",
          "12", "TESTEX total (/15)"],
         ["Trial A", "Y", "Y", "N", "Y", "N", "Y", "maybe", "Y", "Y", "Y", "Y", "Y", "N", "N", "Y", None],
         ["Trial B", "Y", "N", "N", "Y", "N", 1, 1, 1, "N", 1, None, "Y", "N", "N", "N", None],
         ["Trial C", "Y", "Y", "Y", "Y", "Y", None, "so-so", "?", "Y", "Y", "Y", "Y", "Y", "Y", "Y", None]]


def _transposed(rows: list[list]) -> list[list]:
    width = max(len(row) for row in rows)
    columns = [[row[c] if c < len(row) else None for row in rows] for c in range(width)]
    columns[0][0] = "Criterion"
    return columns


def _values(path) -> dict[str, object]:
    """{address: value} of the workbook's first sheet, as openpyxl reads it."""
    sheet = openpyxl.load_workbook(path).active
    return {cell.coordinate: cell.value for row in sheet.iter_rows() for cell in row}


def test_answers_no_longer_carry_a_cell_column(tmp_path):
    result = score_file(write_xlsx(tmp_path / "plain.xlsx", PLAIN))
    assert "cell" not in result.sheet.answers.columns
    assert len(result.sheet.cells_of(result.sheet.answers)) == len(result.sheet.answers) == 33


def test_plain_sheet_cells_hold_the_answers_read(tmp_path):
    path = write_xlsx(tmp_path / "plain.xlsx", PLAIN)
    result = score_file(path)
    sheet, answers = result.sheet, result.sheet.answers
    cells = sheet.cells_of(answers)
    # item by item (B, C, ... L), every trial in order: rows 2, 3 and 5
    assert cells[:6] == ["B2", "B3", "B5", "C2", "C3", "C5"] and cells[-1] == "L5"
    values = _values(path)
    assert [values.get(cell) for cell in cells] == answers["raw"].tolist()
    assert sheet.cell_overrides == {}
    # The findings on answers point at those cells (the blank, the unclear and the unrecognised answer).
    on_answers = result.findings[result.findings["rule"].isin(["PD101", "PD102", "PD103"])]
    assert sorted(on_answers["cell"]) == ["C3", "E3", "I3"]


def test_a_subset_is_named_as_the_whole_table_names_its_rows(tmp_path):
    result = score_file(write_xlsx(tmp_path / "plain.xlsx", PLAIN))
    sheet, answers = result.sheet, result.sheet.answers
    whole = dict(zip(answers.index, sheet.cells_of(answers)))
    unclear = answers[answers["answer"] == "?"]
    assert sheet.cells_of(unclear) == ["E3"]
    shuffled = answers.sample(frac=0.6, random_state=7)  # items out of order: each still gets its own column
    assert sheet.cells_of(shuffled) == [whole[label] for label in shuffled.index]
    assert sheet.cells_of(answers.iloc[:0]) == []


def test_the_whole_tables_cells_are_made_once_and_each_caller_gets_its_own_list(tmp_path):
    result = score_file(write_xlsx(tmp_path / "plain.xlsx", PLAIN))
    sheet = result.sheet
    first = sheet.cells_of(sheet.answers)
    first[0] = "changed by a caller"
    assert sheet.cells_of(sheet.answers)[0] == "B2"
    assert sheet.cells_of(sheet.answers) is not sheet.cells_of(sheet.answers)


def test_wide_cells_follow_the_answers(tmp_path):
    result = score_file(write_xlsx(tmp_path / "plain.xlsx", PLAIN))
    wide = result.sheet.wide("cell")
    assert wide[1].tolist() == ["B2", "B3", "B5"] and wide[11].tolist() == ["L2", "L3", "L5"]


def test_transposed_sheet_names_each_answer_as_the_sheet_has_it(tmp_path):
    path = write_xlsx(tmp_path / "transposed.xlsx", _transposed([row for row in PLAIN if row]))
    result = score_file(path)
    sheet, answers = result.sheet, result.sheet.answers
    assert sheet.layout.transposed
    cells = sheet.cells_of(answers)
    # trials in columns B, C, D; item 1 in row 2, item 11 in row 12
    assert cells[:3] == ["B2", "C2", "D2"] and cells[-3:] == ["B12", "C12", "D12"]
    values = _values(path)
    assert [values.get(cell) for cell in cells] == answers["raw"].tolist()
    # one by one, as ``Layout.cell`` names a cell of the sheet as read
    layout = sheet.layout
    assert cells == [layout.cell(layout.items[item].index, int(row)) for item, row in zip(answers["item"],
                                                                                          answers["row"])]
    assert sheet.cells_of(answers[answers["status"] == "unrecognised"]) == ["C9"]
    on_answers = result.findings[result.findings["rule"].isin(["PD101", "PD102", "PD103"])]
    assert sorted(on_answers["cell"]) == ["C3", "C5", "C9"]


@pytest.mark.parametrize("transposed", [False, True], ids=["rows", "transposed"])
def test_lines_named_at_once_as_one_by_one(tmp_path, transposed):
    # ``Layout.line_names`` (the names ``cells_of`` takes the cells' lines from) against ``Layout.line``, past
    # column Z (row 27 of a transposed sheet is column AA) and past ZZ.
    rows = [row for row in PLAIN if row]
    layout = score_file(write_xlsx(tmp_path / "sheet.xlsx", _transposed(rows) if transposed else rows)).sheet.layout
    assert layout.transposed == transposed
    assert layout.line_names(1, 800) == [str(layout.line(row)) for row in range(1, 801)]
    assert layout.line_names(5, 4) == []


@pytest.mark.parametrize("transposed", [False, True], ids=["rows", "transposed"])
def test_an_item_read_by_parts_names_the_part_to_look_at(tmp_path, transposed):
    rows = _transposed(PARTS) if transposed else PARTS
    path = write_xlsx(tmp_path / "parts.xlsx", rows)
    result = score_file(path, rubric="testex")
    sheet, answers = result.sheet, result.sheet.answers
    assert sheet.layout.transposed == transposed and sorted(sheet.layout.parts) == [6, 8]
    by_item = {(trial, item): cell for trial, item, cell in
               zip(answers["study_index"], answers["item"], sheet.cells_of(answers))}

    def address(column: str, row: int) -> str:  # a cell of PARTS as laid out in the file
        letter, number = (chr(ord("A") + row - 1), ord(column) - ord("A") + 1) if transposed else (column, row)
        return f"{letter}{number}"

    # 6: Trial A's 6b (H) is not an answer; Trial B's parts all answer (its first part, G); Trial C's 6b is
    # not an answer although 6a is blank before it.  8: Trial B's 8b (L) is blank.
    assert [by_item[(t, 6)] for t in range(3)] == [address("H", 2), address("G", 3), address("H", 4)]
    assert [by_item[(t, 8)] for t in range(3)] == [address("K", 2), address("L", 3), address("K", 4)]
    # Only the answers not in the item's (first part's) column are kept as overrides.
    overrides = {(int(answers.at[label, "study_index"]), int(answers.at[label, "item"])): cell
                 for label, cell in sheet.cell_overrides.items()}
    assert overrides == {(0, 6): address("H", 2), (2, 6): address("H", 4), (1, 8): address("L", 3)}
    # A subset keeps the overrides of its rows, and the findings point at the same cells.
    unrecognised = answers[answers["status"] == "unrecognised"]
    assert sheet.cells_of(unrecognised) == [address("H", 2), address("H", 4)]
    bad = result.findings[result.findings["rule"] == "PD101"]
    assert sorted(bad["cell"]) == sorted([address("H", 2), address("H", 4)])
    assert "(part 6b: adverse events reported, a yes/no point)" in bad["message"].iloc[0]
    missing = result.findings[result.findings["rule"] == "PD102"]
    assert address("L", 3) in missing["cell"].tolist()
    values = _values(path)
    assert values[address("H", 2)] == "maybe" and values[address("L", 3)] is None


@pytest.mark.parametrize("writer", ["package", "openpyxl"])
@pytest.mark.parametrize("transposed", [False, True], ids=["rows", "transposed"])
def test_an_answer_given_by_a_formula_is_logged_at_its_cell(tmp_path, transposed, writer):
    """An answer computed by a formula is kept as its value in the audited workbook and logged at its cell,
    by either writer: the cells of the answers are named for a sheet with formulas (``with_formula_changes``)."""
    rows = [row for row in PLAIN if row]
    path = write_xlsx(tmp_path / "formula.xlsx", _transposed(rows) if transposed else rows)
    ref = "D3" if transposed else "C4"  # item 2 of Cy (2010), the third trial
    _formula_answer(path, ref, '"Y"', "Y")
    result = score_file(path)
    assert result.sheet.layout.transposed == transposed
    output = tmp_path / "formula.audited.xlsx"
    if writer == "package":
        stages = []
        write_audited(result, output, progress=lambda stage, detail="": stages.append(stage))
        assert not any("openpyxl" in stage for stage in stages), stages
    else:
        audited_module._write_with_openpyxl(result, output, None, lambda *a: None)
    workbook = openpyxl.load_workbook(output)
    assert workbook[result.sheet.sheet][ref].value == "Y"
    logged = [(r[3], r[5], r[6], r[8]) for r in workbook[CHANGE_LOG_SHEET].iter_rows(min_row=2, values_only=True)]
    assert logged == [(ref, 2, '="Y"', "formula-value")]


def _formula_answer(path, ref: str, formula: str, value: str) -> None:
    """Make the cell ``ref`` a formula with its saved result, as Excel writes it (openpyxl saves none)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    start = xml.index(f'<c r="{ref}"')
    end = xml.index("</c>", start) + 4
    parts["xl/worksheets/sheet1.xml"] = (xml[:start] + f'<c r="{ref}" t="str"><f>{formula}</f><v>{value}</v></c>'
                                         + xml[end:]).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
