"""``pedro template``: the sheet an assessor fills in, checked by opening it
with openpyxl and by scoring it with pedro once it is filled in."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils.cell import coordinate_from_string, get_column_letter

from pedro.cli import main
from pedro.engine import score_file
from pedro.rubric import load_rubric
from pedro.sheets.layout import HeaderMatcher

RUBRIC = load_rubric()
MATCHER = HeaderMatcher(RUBRIC)
LABELS = ["Smith 2019", "Müller 2020", "Lee, K. (2021)", "李 2022"]


def _template(tmp_path, *options) -> openpyxl.Workbook:
    output = tmp_path / "ratings.xlsx"
    result = CliRunner().invoke(main, ["template", str(output), *options])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and str(output) in result.output
    return output


def _study_list(tmp_path, kind: str, labels=LABELS):
    if kind == "txt":
        path = tmp_path / "studies.txt"
        path.write_text("\n".join(labels[:2]) + "\n\n" + "\n".join(labels[2:]) + "\n", encoding="utf-8")
    else:
        path = tmp_path / "studies.csv"
        quoted = [f'"{label}"' if "," in label else label for label in labels]
        path.write_text("Study,Year\n" + "".join(f"{q},{2019 + i}\n" for i, q in enumerate(quoted)),
                        encoding="utf-8")
    return path


def _columns(sheet) -> dict:
    """header classification -> column number, for the template's header row."""
    found = {}
    for cell in sheet[1]:
        match = MATCHER.classify(cell.value)
        assert match is not None, f"pedro does not recognise its own template header {cell.value!r}"
        key = match.role if match.item is None else (match.role, match.item)
        assert key not in found, f"two template columns read as {key}"
        found[key] = cell.column
    return found


def _labels(sheet) -> list:
    return [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)
            if sheet.cell(row=r, column=1).value is not None]


def test_template_without_a_study_list(tmp_path):
    workbook = openpyxl.load_workbook(_template(tmp_path))
    sheet = workbook.worksheets[0]
    assert _labels(sheet) == []
    columns = _columns(sheet)
    assert {key[1] for key in columns if key[0] == "item"} == set(range(1, 12))


@pytest.mark.parametrize("kind", ["txt", "csv"])
def test_template_lists_the_studies_in_order(tmp_path, kind):
    output = _template(tmp_path, "--studies", str(_study_list(tmp_path, kind)))
    sheet = openpyxl.load_workbook(output).worksheets[0]
    columns = _columns(sheet)
    assert columns["study"] == 1
    assert _labels(sheet) == LABELS


def test_template_columns(tmp_path):
    sheet = openpyxl.load_workbook(_template(tmp_path)).worksheets[0]
    columns = _columns(sheet)
    items = {key[1]: column for key, column in columns.items() if key[0] == "item"}
    evidence = {key[1]: column for key, column in columns.items() if key[0] == "evidence"}
    assert sorted(items) == list(range(1, 12))
    assert sorted(evidence) == list(range(1, 12))
    for role in ("study", "method", "n_allocated", "n_analysed"):
        assert role in columns, f"no {role} column"
    for number, column in items.items():
        header = sheet.cell(row=1, column=column)
        assert header.value.startswith(str(number))
        assert header.comment is not None, f"item {number} header has no comment"
        assert RUBRIC.item(number).criterion in header.comment.text


def test_template_answer_dropdowns_cover_every_item_column(tmp_path):
    output = _template(tmp_path, "--studies", str(_study_list(tmp_path, "txt")))
    sheet = openpyxl.load_workbook(output).worksheets[0]
    items = [column for key, column in _columns(sheet).items() if key[0] == "item"]
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    answers = [dv for dv in lists if dv.formula1 == '"Y,N,?"']
    assert answers, f"no Y,N,? list validation; found {[dv.formula1 for dv in lists]}"
    for column in items:
        letter = get_column_letter(column)
        for row in range(2, 2 + len(LABELS)):
            assert any(f"{letter}{row}" in dv.sqref for dv in answers), f"{letter}{row} has no Y/N dropdown"
    assert all(dv.showErrorMessage for dv in answers)
    # the dropdowns are on the item columns only, not on the evidence or study columns
    others = [c for key, c in _columns(sheet).items() if key == "study" or key[0] == "evidence"]
    for column in others:
        assert not any(f"{get_column_letter(column)}2" in dv.sqref for dv in answers)


def test_template_dropdowns_reach_the_last_study_of_a_long_list(tmp_path):
    labels = [f"Trial {i:03d}" for i in range(1, 251)]
    path = tmp_path / "many.txt"
    path.write_text("\n".join(labels) + "\n", encoding="utf-8")
    sheet = openpyxl.load_workbook(_template(tmp_path, "--studies", str(path))).worksheets[0]
    assert _labels(sheet) == labels
    answers = [dv for dv in sheet.data_validations.dataValidation if dv.formula1 == '"Y,N,?"']
    for key, column in _columns(sheet).items():
        if key[0] == "item":
            assert any(f"{get_column_letter(column)}{1 + len(labels)}" in dv.sqref for dv in answers)


def test_template_header_is_frozen(tmp_path):
    sheet = openpyxl.load_workbook(_template(tmp_path)).worksheets[0]
    assert sheet.freeze_panes is not None
    _, row = coordinate_from_string(sheet.freeze_panes)
    assert row == 2  # everything above row 2, the header, stays in view


def test_template_second_sheet_explains_the_scale(tmp_path):
    workbook = openpyxl.load_workbook(_template(tmp_path))
    assert len(workbook.worksheets) == 2
    about = workbook.worksheets[1]
    text = "\n".join(str(c.value) for row in about.iter_rows() for c in row if c.value is not None)
    assert RUBRIC.title in text
    for item in RUBRIC.items:
        assert item.criterion in text
    assert "item 1 is not scored" in text.lower()
    for name in RUBRIC.band_sets:
        assert name in text


def test_filled_in_template_scores(tmp_path):
    output = _template(tmp_path, "--studies", str(_study_list(tmp_path, "csv")))
    workbook = openpyxl.load_workbook(output)
    sheet = workbook.worksheets[0]
    columns = _columns(sheet)
    answers = {"Smith 2019": "YYYNNNYYYYY", "Müller 2020": "YNNNNNNNNNY", "Lee, K. (2021)": "YYYYYYYYYYY",
               "李 2022": "NYNYNNYYYYY"}
    expected = {label: a[1:].count("Y") for label, a in answers.items()}
    for row in range(2, 2 + len(LABELS)):
        label = sheet.cell(row=row, column=1).value
        for number, answer in enumerate(answers[label], start=1):
            sheet.cell(row=row, column=columns[("item", number)]).value = answer
            if answer == "Y":
                sheet.cell(row=row, column=columns[("evidence", number)]).value = f"p{number}: quoted text"
        sheet.cell(row=row, column=columns["method"]).value = "computer-generated random numbers"
        sheet.cell(row=row, column=columns["n_allocated"]).value = 40
        # more than 85% followed up exactly when item 8 is "Y"
        sheet.cell(row=row, column=columns["n_analysed"]).value = 38 if answers[label][7] == "Y" else 30
    workbook.save(output)

    result = score_file(output)
    assert result.sheet.sheet == workbook.sheetnames[0]
    assert dict(zip(result.sheet.studies["study"], result.scores["total"].tolist())) == expected
    assert result.counts["error"] == 0 and result.counts["warning"] == 0, result.findings["message"].tolist()
    assert result.changes.empty

    cli = CliRunner().invoke(main, ["score", str(output), "--dry-run"])
    assert cli.exit_code == 0, cli.output


def test_label_starting_with_equals_is_text_not_a_formula(tmp_path):
    path = tmp_path / "studies.txt"
    path.write_text("=HYPERLINK(\"http://example.org\",\"x\")\n=1+1\nSmith 2019\n", encoding="utf-8")
    output = _template(tmp_path, "--studies", str(path))
    sheet = openpyxl.load_workbook(output).worksheets[0]
    assert _labels(sheet) == ['=HYPERLINK("http://example.org","x")', "=1+1", "Smith 2019"]
    for row in (2, 3):
        assert sheet.cell(row=row, column=1).data_type == "s"
    with zipfile.ZipFile(output) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml
    result = score_file(output)  # pedro reads back the labels, not computed values
    assert result.sheet.studies["study"].tolist() == _labels(sheet)


def test_template_with_a_missing_study_list(tmp_path):
    result = CliRunner().invoke(main, ["template", str(tmp_path / "out.xlsx"), "--studies",
                                       str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "nope.txt" in result.output
    assert not (tmp_path / "out.xlsx").exists()
