"""The points of a TESTEX criterion worth several (6: 0-3, 8: 0-2) coloured on the Summary and Scores sheets,
as the answers are: all of them as Y, none as N, some in the partly colour between them, ? and blank as
answers, and a value that is not a valid number of points ("!4") as an error.  Both workbook writers, read
back as their conditional formats, and the Summary and Scores pages as LibreOffice draws them.

The trials are the published table tests/data/published/testex/openheart_pmc6307588_table2.csv (see
SOURCES.md there), with some points CONSTRUCTED for the test to give every case (each change says which)."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest

import pedro.write.audited as audited_module
from pedro.audit.workbook import SCORES_SHEET, STUDY_COLUMN, SUMMARY_SHEET
from pedro.engine import score_file
from pedro.write.audited import write_audited
from pedro.write.style import (
    ANSWER_COLOURS,
    INVALID_COLOUR,
    MISSING_COLOUR,
    PARTLY_COLOUR,
    SEVERITY_COLOURS,
    answer_rules,
)

from conftest import REPO, write_xlsx

PUBLISHED = REPO / "tests" / "data" / "published" / "testex" / "openheart_pmc6307588_table2.csv"
FULL, NONE, UNCLEAR = ANSWER_COLOURS["Y"], ANSWER_COLOURS["N"], ANSWER_COLOURS["?"]
# Criteria 6 (of 3 points) and 8 (of 2) of each trial, as the sheets show them, and the colour each must have.
EXPECTED = {
    "Hegbom 25": (("!4", INVALID_COLOUR), ("2", FULL)),
    "Luo 2": (("0", NONE), ("2", FULL)),
    "Malmo 26": (("?", UNCLEAR), ("2", FULL)),
    "Osbak 27": (("2", PARTLY_COLOUR), (None, MISSING_COLOUR)),
    "Pippa": (("3", FULL), ("1", PARTLY_COLOUR)),
    "Risom 29": (("1", PARTLY_COLOUR), ("2", FULL)),
}


def _published_rows() -> list[list]:
    """The published table as an item sheet (its printed 'Total' row left out), with every case of a point."""
    with PUBLISHED.open(encoding="utf-8") as handle:
        rows = [[int(v) if v.isdigit() else (v or None) for v in row] for row in csv.reader(handle)]
    rows = [row for row in rows if row[-1] is not None]
    by_label = {row[0]: row for row in rows}
    by_label["Hegbom 25"][6] = 4  # CONSTRUCTED: 4 points on criterion 6, worth 3 (printed: 3)
    by_label["Luo 2"][6] = 0  # CONSTRUCTED: none of criterion 6 (printed: 3)
    by_label["Malmo 26"][6] = "?"  # CONSTRUCTED: criterion 6 unclear (printed: 2)
    by_label["Osbak 27"][8] = None  # CONSTRUCTED: criterion 8 not rated (printed: 2)
    by_label["Pippa"][8] = 1  # CONSTRUCTED: one of criterion 8's 2 points (printed: 2)
    by_label["Risom 29"][6] = 1  # CONSTRUCTED: one of criterion 6's 3 points (printed: 2)
    return rows


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """The audited workbook of the published table, by the package writer and by openpyxl (its fallback)."""
    folder = tmp_path_factory.mktemp("testex-colours")
    result = score_file(write_xlsx(folder / "published.xlsx", _published_rows()), rubric="testex")
    stages = []
    (folder / "package").mkdir()
    (folder / "openpyxl").mkdir()
    package = write_audited(result, folder / "package" / "published.audited.xlsx",
                            progress=lambda stage, detail="": stages.append(stage))
    assert not any("openpyxl" in stage for stage in stages), stages  # the package writer wrote it
    fallback, _ = audited_module._write_with_openpyxl(result, folder / "openpyxl" / "published.audited.xlsx", None,
                                                      lambda *a: None)
    return {"package": package, "openpyxl": fallback}


# --------------------------------------------------------------------------- the rules, read back

def _text(value) -> str:
    """A cell's value as Excel's ``A1&""`` makes it text: a whole number without its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _holds(kind: str, formula: str, top_left: str, value) -> bool:
    """Whether a rule of ``answer_rules``' kinds fills a cell holding ``value``, its formula written relative
    to the block's first cell ``top_left`` (every cell tests itself)."""
    if kind == "cellIs":  # equal, as Excel compares text: without regard to case
        return isinstance(value, str) and value.casefold() == formula.strip('"').casefold()
    python = formula.replace(f"ISBLANK({top_left})", repr(value is None)).replace(f'{top_left}&""', repr(_text(value)))
    assert top_left not in python, python  # every reference is to the cell itself
    python = python.replace("=", "==").replace("OR(", "_any(").replace("NOT(", "_not(")
    return eval(python, {"_any": lambda *tests: any(tests), "_not": lambda test: not test})


def _colours(sheet) -> dict[str, list[str]]:
    """{cell: the colours of the conditional formats that fill it}, over the sheet's rules."""
    filled: dict[str, list[str]] = {}
    for formatting in sheet.conditional_formatting:
        (block,) = formatting.sqref.ranges
        top_left = block.coord.split(":")[0]
        rules = sorted(formatting.rules, key=lambda rule: rule.priority)
        for row in sheet[block.coord]:
            for cell in row:
                for rule in rules:
                    formula = rule.formula[0]
                    if rule.type == "cellIs":
                        assert rule.operator == "equal", rule.operator
                    if _holds(rule.type, formula, top_left, cell.value):
                        filled.setdefault(cell.coordinate, []).append(rule.dxf.fill.fgColor.rgb[-6:])
    return filled


def _trial_cells(sheet, header_of) -> dict[str, tuple[str, str]]:
    """{trial: (cell of criterion 6, cell of criterion 8)}, found by the header row (``header_of(value)`` gives
    the criterion's number a header names, or None)."""
    rows = list(sheet.iter_rows())
    header = next(row for row in rows if row[0].value == STUDY_COLUMN)
    columns = {header_of(cell.value): cell.column_letter for cell in header if header_of(cell.value)}
    return {row[0].value: (f"{columns[6]}{row[0].row}", f"{columns[8]}{row[0].row}")
            for row in rows[header[0].row:] if row[0].value}


SHEETS = {  # sheet: how its header names a criterion ("6" on the Summary, "6 Outcome measures ..." on Scores)
    SUMMARY_SHEET: lambda value: int(value) if isinstance(value, str) and value.isdigit() else None,
    SCORES_SHEET: lambda value: int(m.group(1)) if isinstance(value, str) and (m := re.match(r"(\d+) ", value))
    else None,
}


@pytest.mark.parametrize("writer", ["package", "openpyxl"])
@pytest.mark.parametrize("sheet_name", list(SHEETS))
def test_points_are_coloured_by_how_many_of_them(written, writer, sheet_name):
    """Each point cell is filled by exactly one rule (so Excel, which applies every rule that holds, and
    LibreOffice, which applies the first, agree) in the colour of its points."""
    sheet = openpyxl.load_workbook(written[writer])[sheet_name]
    cells = _trial_cells(sheet, SHEETS[sheet_name])
    filled = _colours(sheet)
    for trial, expected in EXPECTED.items():
        for ref, (value, colour) in zip(cells[trial], expected):
            assert sheet[ref].value == value, (trial, ref, sheet[ref].value)
            assert filled.get(ref) == [colour], (trial, ref, value, filled.get(ref))
    # every other trial, from the published table, has all of criterion 8's points
    for trial, (_, points_8) in cells.items():
        if trial not in EXPECTED:
            assert (sheet[points_8].value, filled.get(points_8)) == ("2", [FULL]), trial
    # the yes/no criteria keep the answers' colours: criterion 7 beside the points
    for trial, (points_6, _) in cells.items():
        answer = sheet[points_6].offset(column=1)
        assert filled.get(answer.coordinate) == [ANSWER_COLOURS[answer.value]], (trial, answer.value)


@pytest.mark.parametrize("sheet_name", list(SHEETS))
def test_both_writers_write_the_same_rules(written, sheet_name):
    def rules(path):
        sheet = openpyxl.load_workbook(path)[sheet_name]
        return [(str(f.sqref), [(r.type, r.operator, r.formula, r.dxf.fill.fgColor.rgb[-6:]) for r in
                                sorted(f.rules, key=lambda rule: rule.priority)]) for f in sheet.conditional_formatting]

    package = rules(written["package"])
    assert package == rules(written["openpyxl"])
    assert [sqref.split(":")[0][0] for sqref, _ in package] == (
        ["B", "G", "H", "I", "J"] if sheet_name == SUMMARY_SHEET else ["C", "H", "I", "J", "K"])


def test_the_summary_legend_says_how_points_are_coloured(written):
    sheet = openpyxl.load_workbook(written["package"])[SUMMARY_SHEET]
    text = [cell.value for (cell,) in sheet.iter_rows(max_col=1) if isinstance(cell.value, str)]
    assert ("Points (criteria 6: 0-3, 8: 0-2): all of them coloured as Y, some in gold, none (0) as N; !x = not a "
            "valid number of points, an error (see Findings), in pink.") in text


@pytest.mark.parametrize("worth", [2, 3, 10])
def test_answer_rules_for_every_value_a_cell_can_hold(worth):
    """One colour for each value, typed as text or as a number: all, some, none, ?, blank, and what is not a
    valid number of points."""
    expected = [(worth, FULL), (str(worth), FULL), (float(worth), FULL), (0, NONE), ("0", NONE), ("?", UNCLEAR),
                (None, MISSING_COLOUR), (worth + 1, INVALID_COLOUR), (f"!{worth + 1}", INVALID_COLOUR),
                (-1, INVALID_COLOUR), ("1.5", INVALID_COLOUR), ("two", INVALID_COLOUR), ("Y", INVALID_COLOUR),
                *((points, PARTLY_COLOUR) for points in range(1, worth)),
                *((str(points), PARTLY_COLOUR) for points in range(1, worth))]
    rules = answer_rules("H12", worth)
    for value, colour in expected:
        assert [c for kind, formula, c in rules if _holds(kind, formula, "H12", value)] == [colour], value


def test_answer_rules_of_yes_no_items_are_the_answers():
    assert answer_rules("C2") == [("cellIs", '"Y"', FULL), ("cellIs", '"N"', NONE), ("cellIs", '"?"', UNCLEAR),
                                  ("expression", "ISBLANK(C2)", MISSING_COLOUR)]
    # the partly colour is a colour of its own: no answer, blank or error is drawn in it
    assert PARTLY_COLOUR not in {*ANSWER_COLOURS.values(), MISSING_COLOUR, *SEVERITY_COLOURS.values()}


def test_adjacent_criteria_worth_the_same_share_a_block():
    items = [SimpleNamespace(points=p) for p in (1, 1, 3, 3, 2, 1, 2)]
    assert audited_module._answer_runs(SimpleNamespace(items=items)) == [(0, 2, 1), (2, 2, 3), (4, 1, 2), (5, 1, 1),
                                                                          (6, 1, 2)]


# --------------------------------------------------------------------------- as LibreOffice draws them

SOFFICE, PDFTOPPM, PDFTOTEXT = (shutil.which(tool) for tool in ("soffice", "pdftoppm", "pdftotext"))
DPI = 100


def _pdf(source: Path, folder: Path) -> Path:
    command = [SOFFICE, f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}", "--headless", "--convert-to",
               "pdf", "--outdir", str(folder / "pdf"), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    target = folder / "pdf" / f"{source.stem}.pdf"
    assert done.returncode == 0 and target.exists(), f"soffice failed: {done.stdout}\n{done.stderr}"
    return target


def _pages(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words as (x min, y min, x max, y max, text), in points."""
    done = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True)
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
    return [[(*map(float, m.groups()[:4]), m.group(5)) for m in word.finditer(page)]
            for page in done.stdout.split("<page ")[1:]]


def _seen_colours(pdf: Path, folder: Path, sheet: str) -> dict[str, tuple]:
    """{trial: (colour of criterion 6's cell, colour of criterion 8's)} on the first page of ``sheet`` (its
    footer, the page's last line, names it), sampled right of the cell's text (or at the left of a blank
    cell), where the fill shows.  The criteria's columns are found by their numbers in the header's first line."""
    from PIL import Image

    pages = _pages(pdf)
    number = next(n for n, words in enumerate(pages)
                  if any(w[4] == sheet and w[1] > max(v[1] for v in words) - 5 for w in words))
    words = pages[number]
    study = next(w for w in words if w[4] == STUDY_COLUMN)
    heads = sorted((w[0], int(w[4])) for w in words if abs(w[1] - study[1]) < 2 and w[4].isdigit())
    left = {criterion: x for x, criterion in heads}
    right = {criterion: next((x for x, _ in heads if x > left[criterion]), left[criterion] + 40)
             for _, criterion in heads}
    prefix = str(folder / f"page-{sheet}")
    subprocess.run([PDFTOPPM, "-png", "-r", str(DPI), "-f", str(number + 1), "-l", str(number + 1), "-singlefile",
                    str(pdf), prefix], check=True, timeout=60)
    image = Image.open(prefix + ".png").convert("RGB")
    seen = {}
    for trial in EXPECTED:
        first = trial.split()[0]
        label = next(w for w in words if w[4] == first and w[0] < left[1])
        middle = (label[1] + label[3]) / 2
        colours = []
        for criterion in (6, 8):
            inside = [w for w in words if abs((w[1] + w[3]) / 2 - middle) < 2
                      and left[criterion] - 3 <= (w[0] + w[2]) / 2 < right[criterion] - 3]
            x = inside[0][2] + 2 if inside else left[criterion] + 3
            red, green, blue = image.getpixel((round(x * DPI / 72), round(middle * DPI / 72)))
            colours.append(f"{red:02X}{green:02X}{blue:02X}")
        seen[trial] = tuple(colours)
    return seen


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed: install Debian's "
                                            "libreoffice-calc-nogui to run this test")
@pytest.mark.skipif(PDFTOPPM is None or PDFTOTEXT is None, reason="poppler (pdftoppm, pdftotext) not installed: "
                                                                  "install Debian's poppler-utils to run this test")
@pytest.mark.parametrize("writer", ["package", "openpyxl"])
def test_libreoffice_draws_the_points_in_their_colours(written, writer, tmp_path):
    pdf = _pdf(written[writer], tmp_path)
    for sheet in SHEETS:
        seen = _seen_colours(pdf, tmp_path, sheet)
        assert seen == {trial: (six[1], eight[1]) for trial, (six, eight) in EXPECTED.items()}, (sheet, seen)
