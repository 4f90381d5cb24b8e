"""Shared test helpers: build real workbooks from rows, and dump workbooks as
normalised cell values (sheet -> cell -> value) for comparison."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

ITEM_HEADERS = ["1 Eligibility criteria", "2 Random allocation", "3 Concealed allocation",
                "4 Baseline comparability", "5 Blind subjects", "6 Blind therapists", "7 Blind assessors",
                "8 Adequate follow-up", "9 Intention-to-treat analysis", "10 Between-group comparisons",
                "11 Point estimates and variability"]

REPO = Path(__file__).resolve().parent.parent
ALS_EXAMPLE = REPO / "sheets" / "examples" / "als-exercise.xlsx"


def write_xlsx(path: Path, rows: list[list], sheet: str = "Ratings", extra_sheets: dict | None = None) -> Path:
    """An .xlsx written by openpyxl with ``rows`` from A1 (None = empty cell)."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    for name, extra_rows in (extra_sheets or {}).items():
        other = workbook.create_sheet(name)
        for row in extra_rows:
            other.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["" if v is None else v for v in row] for row in rows])
    return path


def item_sheet(studies: dict[str, str], extra_header: list[str] | None = None,
               extra: dict[str, list] | None = None) -> list[list]:
    """Rows of a simple item sheet: Study, items 1-11 (one letter per item, '.' for blank), extras."""
    header = ["Study", *ITEM_HEADERS, *(extra_header or [])]
    rows = [header]
    for label, answers in studies.items():
        assert len(answers) == 11, answers
        rows.append([label, *[None if a == "." else a for a in answers], *((extra or {}).get(label, []))])
    return rows


def dump_workbook(path: Path) -> dict[str, dict[str, object]]:
    """sheet -> {cell: value} for every non-empty cell."""
    workbook = openpyxl.load_workbook(path)
    return {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
            for ws in workbook.worksheets}


@pytest.fixture
def als_copy(tmp_path) -> Path:
    target = tmp_path / ALS_EXAMPLE.name
    target.write_bytes(ALS_EXAMPLE.read_bytes())
    return target


# Python source that makes pandas unimportable in a subprocess (prepend it to the code the subprocess runs): a
# dry run or a check that asks for pandas then fails with the stack of the import, not silently (issue 18).
WITHOUT_PANDAS_PRELUDE = """
import sys, traceback


class NoPandas:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pandas":
            traceback.print_stack()
            raise ImportError("pandas is not to be imported here")
        return None


sys.meta_path.insert(0, NoPandas())
"""


def generated_sheet(folder: Path, kind: str, trials: int, seed: int) -> Path:
    """A sheet made by the benchmark's generator (benchmarks/generate.py: "plain" or "findings"), the same
    bytes for the same seed; skipped where XlsxWriter, which the generator writes with, is missing."""
    import importlib.util
    import sys

    pytest.importorskip("xlsxwriter", reason="the benchmark's generator writes the sheets with XlsxWriter")
    name = "pedro_benchmark_generate"
    generate = sys.modules.get(name)
    if generate is None:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "generate.py")
        generate = importlib.util.module_from_spec(spec)
        sys.modules[name] = generate  # dataclasses look their module up while the class is built
        spec.loader.exec_module(generate)
    sheet = folder / f"{kind}.xlsx"
    generate.write_workbook(sheet, generate.make_trials(trials, seed, generate.KINDS[kind]), "Assessor A", seed)
    return sheet

