"""Property-based and fuzz testing (issue 5, point 5).

Two kinds of test, both with a small budget here:

- hypothesis builds real workbooks (titles above the header, columns in any
  order and spelling, answers of every kind, junk cells and rows) and checks
  the invariants: pedro exits 0, 1 or 2 and nothing else; the input is
  byte-identical afterwards; every input cell value is in the audited
  workbook (or the change log says what it became); totals lie in 0-10 and
  equal the number of scored "Y"; a second run is idempotent.
- the reader is fuzzed with hypothesis over raw bytes: mutations of a real
  workbook and CSV (flipped bytes, cuts, splices, edited XML) must be read or
  refused with an InputError, never crash.

A longer run for maintainers (see README, "What pedro refuses and why"):
``PEDRO_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py -p no:cacheprovider``.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pedro.cli import main
from pedro.engine import score_file
from pedro.errors import PedroError
from pedro.normalise import answer_text
from pedro.write.audited import write_audited

from conftest import ITEM_HEADERS, dump_workbook, write_csv, write_xlsx

BUDGET = int(os.environ.get("PEDRO_FUZZ_EXAMPLES", "0"))


def fuzz(examples: int):
    """The suite's small run is the same every time (derandomized); a long run explores."""
    return settings(max_examples=BUDGET or examples, deadline=None, database=None, derandomize=not BUDGET,
                    suppress_health_check=list(HealthCheck))


# Each example scores a workbook twice (about a second): no shrinking, so a failure is reported at once.
WORKBOOKS = settings(max_examples=BUDGET // 20 or 12, deadline=None, database=None, derandomize=not BUDGET,
                     suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])

# ---------------------------------------------------------------------------
# Generated workbooks and their invariants
# ---------------------------------------------------------------------------

ANSWER_VALUES = st.one_of(
    st.sampled_from(["Y", "N", "?", "y", "yes", "No", " Y ", "\u00a0N", "Ｙ", "\u2212", "+", "-", "✓", "unclear",
                     "Ya", "N¹", "Na", "maybe", "x", "@y", "+1", "-z", "7/10", "", None, None]),
    st.sampled_from([1, 0, 2, 1.5, True, False, dt.datetime(2021, 3, 4)]),
)
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
HEADER_FORMS = [lambda n: str(n), lambda n: f"Q{n}", lambda n: f"Item {n}", lambda n: ITEM_HEADERS[n - 1]]


@st.composite
def rating_sheets(draw):
    """(rows, kind): a sheet pedro should read or refuse cleanly."""
    titles = draw(st.lists(st.lists(TEXT.filter(lambda t: not t.startswith("=")), max_size=2), max_size=2))
    items = list(range(1, 12)) if draw(st.booleans()) else list(range(2, 12))
    form = draw(st.sampled_from(HEADER_FORMS))
    columns = [("study", "Study")] + [("item", form(n)) for n in items]
    if draw(st.booleans()):
        columns.append(("total", "Total"))
    for _ in range(draw(st.integers(0, 2))):
        columns.append(("junk", draw(TEXT.filter(lambda t: not t.startswith("=")))))
    order = draw(st.permutations(range(len(columns))))
    columns = [columns[i] for i in order]
    rows = [*titles, [header for _, header in columns]]
    for number in range(draw(st.integers(1, 6))):
        row = []
        for role, _ in columns:
            if role == "study":
                row.append(draw(st.sampled_from([f"Trial {number}", f"試験 {number}", f"🏃 {number}",
                                                 f"دراسة {number}", None])))
            elif role == "item":
                row.append(draw(ANSWER_VALUES))
            elif role == "total":
                row.append(draw(st.sampled_from([7, "7/10", "7/10b", 11, "n/a", None])))
            else:
                row.append(draw(st.one_of(TEXT.filter(lambda t: not t.startswith("=")), st.integers(-5, 5))))
        rows.append(row)
        if draw(st.integers(0, 4)) == 0:
            rows.append([])
    if draw(st.booleans()):
        rows.append(["Mean"])
    return rows, draw(st.sampled_from(["xlsx", "xlsx", "csv"]))


def _write(folder: Path, rows, kind: str) -> Path:
    rows = [[None if v == "" else v for v in row] for row in rows]
    if kind == "csv":
        return write_csv(folder / "in.csv", [["" if v is None else answer_text(v) or v for v in row]
                                             for row in rows])
    return write_xlsx(folder / "in.xlsx", rows)


def _check_totals(path: Path) -> None:
    result = score_file(path)
    wide = result.sheet.wide("answer")
    scored = [n for n in result.rubric.scored_items if n in wide.columns]
    for i in result.scores.index:
        answers = [wide.at[i, n] for n in scored]
        yes, unknown = answers.count("Y"), answers.count(None) + len(result.rubric.scored_items) - len(scored)
        low, high = int(result.scores.at[i, "min_total"]), int(result.scores.at[i, "max_total"])
        assert 0 <= low <= high <= 10 and (low, high) == (yes, yes + unknown)
        total = result.scores.at[i, "total"]
        if unknown == 0:
            assert total == yes
        else:
            assert pd.isna(total)  # not known


def _every_value_survives(source: Path, out: Path) -> None:
    original, audited = dump_workbook(source), dump_workbook(out)
    first = next(iter(original))
    log = list(openpyxl.load_workbook(out)["Change log"].iter_rows(min_row=2, values_only=True))
    changed = {row[3]: (row[6], row[7]) for row in log}
    target = audited[first if first in audited else next(iter(audited))]
    for cell, value in original[first].items():
        if cell in changed:
            old, new = changed[cell]
            assert old == answer_text(value) and target.get(cell) == new, (cell, value, changed[cell])
        elif isinstance(value, float) and value.is_integer():
            assert target.get(cell) in (value, int(value)), (cell, value)
        else:
            assert target.get(cell) == value, (cell, value, target.get(cell))


@pytest.mark.slow
@WORKBOOKS
@given(rating_sheets())
def test_generated_workbooks_keep_the_invariants(tmp_path_factory, sheet):
    rows, kind = sheet
    folder = tmp_path_factory.mktemp("generated")
    source = _write(folder, rows, kind)
    before = source.read_bytes()
    out = folder / "out.xlsx"
    result = CliRunner().invoke(main, ["score", str(source), "-o", str(out), "-q"])
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert source.read_bytes() == before
    if result.exit_code == 2:
        assert not out.exists() and len(result.output.strip().splitlines()) == 1
        return
    _check_totals(source)
    if kind == "xlsx":
        _every_value_survives(source, out)
    again = folder / "again.xlsx"
    assert CliRunner().invoke(main, ["score", str(out), "-o", str(again), "-q"]).exit_code == result.exit_code
    first, second = dump_workbook(out), dump_workbook(again)
    # The same scores; only advisories may drop, as a footnote mark removed by
    # the first run (PD803, logged) is not there to report the second time.
    advisories = next(c.rstrip("0123456789") for c, v in first["Scores"].items() if v == "Advisories")
    assert _without(first["Scores"], advisories) == _without(second["Scores"], advisories)
    assert len(first["Change log"]) == len(second["Change log"])  # nothing appended the second time


def _without(cells: dict, column: str) -> dict:
    return {cell: value for cell, value in cells.items() if cell.rstrip("0123456789") != column}


# ---------------------------------------------------------------------------
# The reader over raw bytes
# ---------------------------------------------------------------------------

SEED_ROWS = [["PEDro ratings"], ["Study", *ITEM_HEADERS, "Total"],
             ["Smith 2010", *"YYYNYNNYYYY", 7], ["Jones 2012", *"YYNYNNYYNYY", "6/10"]]


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("seeds")
    return {".xlsx": write_xlsx(folder / "seed.xlsx", SEED_ROWS).read_bytes(),
            ".csv": write_csv(folder / "seed.csv", SEED_ROWS).read_bytes()}


def _must_read_or_refuse(path: Path) -> None:
    """Reading and writing must succeed or raise PedroError (exit 2 with one
    sentence), including where openpyxl cannot load a workbook calamine read."""
    try:
        result = score_file(path)
    except PedroError:
        return
    try:
        write_audited(result, path.with_name("out.xlsx"))
    except PedroError:
        pass


MUTATIONS = st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=0, max_size=8), st.integers(0, 8)),
                     min_size=1, max_size=6)


@fuzz(30)
@given(st.sampled_from([".xlsx", ".csv"]), MUTATIONS, st.one_of(st.none(), st.floats(0, 1)))
def test_mutated_files_are_read_or_refused(seeds, tmp_path_factory, suffix, mutations, cut):
    data = bytearray(seeds[suffix])
    for where, insert, remove in mutations:
        at = int(where * len(data))
        data[at:at + remove] = insert
    if cut is not None:
        data = data[: int(cut * len(data))]
    path = tmp_path_factory.mktemp("fuzz") / f"in{suffix}"
    path.write_bytes(bytes(data))
    _must_read_or_refuse(path)


@fuzz(30)
@given(st.sampled_from(["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml",
                        "xl/_rels/workbook.xml.rels", "[Content_Types].xml"]), MUTATIONS)
def test_edited_xml_inside_a_valid_zip_is_read_or_refused(seeds, tmp_path_factory, part, mutations):
    """Structure-aware: the zip is whole and its checksums right; the XML of one part is edited."""
    folder = tmp_path_factory.mktemp("xmlfuzz")
    seed = folder / "seed.xlsx"
    seed.write_bytes(seeds[".xlsx"])
    path = folder / "in.xlsx"
    with zipfile.ZipFile(seed) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = bytearray(old.read(info.filename))
            if info.filename == part:
                for where, insert, remove in mutations:
                    at = int(where * len(data))
                    data[at:at + remove] = insert
            new.writestr(info.filename, bytes(data))
    _must_read_or_refuse(path)


@fuzz(60)
@given(st.binary(max_size=2048), st.sampled_from([".xlsx", ".xlsm", ".xls", ".ods", ".csv"]))
def test_random_bytes_are_refused_or_read(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("random") / f"in{suffix}"
    path.write_bytes(data)
    _must_read_or_refuse(path)
