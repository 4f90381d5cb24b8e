"""`pedro --version` and `pedro --help` start fast: no heavy library is imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import WITHOUT_PANDAS_PRELUDE, generated_sheet

HEAVY = ("pandas", "numpy", "openpyxl", "matplotlib", "scipy", "statsmodels", "python_calamine", "krippendorff")

PROBE = """
import sys
from pedro.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print("HEAVY:" + ",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["score", "--help"], ["compare", "--help"],
                                  ["audit", "--help"], ["plot", "--help"], ["template", "--help"]])
def test_cli_help_imports_nothing_heavy(args):
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    imported = next(line for line in done.stdout.splitlines() if line.startswith("HEAVY:"))[len("HEAVY:"):]
    assert imported == "", f"pedro {' '.join(args)} imported {imported}"


def test_the_score_report_does_not_load_the_second_assessor_modules():
    """`pedro score` prints through pedro.report; compare and agreement (numpy, the statistics) are
    for `pedro compare` only: report must not import them (found profiling a dry run)."""
    code = ("import sys, pedro.report; "
            "print(sorted(m for m in ('pedro.compare', 'pedro.agreement') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


# pandas made unimportable: a dry run that asks for it fails with the stack of the import, not silently.
NO_PANDAS = WITHOUT_PANDAS_PRELUDE.replace("{", "{{").replace("}", "}}") + """
from pedro.cli import main
main({args!r})
"""

PUBLISHED = Path(__file__).resolve().parent / "data" / "published"
EXAMPLE = Path(__file__).resolve().parents[1] / "sheets" / "examples" / "als-exercise.xlsx"


@pytest.mark.parametrize(("sheet", "options"), [
    (PUBLISHED / "wu2022.csv", ["--json"]),
    (PUBLISHED / "young2014.csv", ["--json"]),
    (PUBLISHED / "takeuchi2023.csv", []),
    (EXAMPLE, ["--json"]),
    (EXAMPLE, []),
    (PUBLISHED / "testex" / "openheart_pmc6307588_table2.csv", ["--rubric", "testex", "--json"]),
])
def test_a_dry_run_never_imports_pandas(sheet, options):
    """`pedro score --dry-run` reads, checks and reports on numpy arrays alone (pedro.table): pandas' import
    took longer than the bare read of a 10,000-trial sheet the dry run is measured against (issue 18).  Its
    output is the same as an ordinary run's, where pandas may be imported."""
    args = ["score", str(sheet), "--dry-run", *options]
    done = subprocess.run([sys.executable, "-c", NO_PANDAS.format(args=args)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr == ""
    usual = subprocess.run([sys.executable, "-m", "pedro.cli", *args], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (usual.returncode, usual.stdout)


def test_a_dry_run_does_not_load_the_writing_modules(tmp_path):
    """`pedro score --dry-run` writes nothing, and the command does not import pedro.write (15 ms of a
    10,000-trial dry run, issue 18); scoring with a workbook to write does."""
    probe = ("import sys\nfrom pedro.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
             "print('WRITE:' + ','.join(sorted(m for m in sys.modules if m.startswith('pedro.write'))))")
    example = str(EXAMPLE)
    for args, loaded in ((["score", example, "--dry-run", "--json"], False), (["score", example, "--dry-run"], False),
                         (["score", example, "-o", str(tmp_path / "out.xlsx")], True)):
        done = subprocess.run([sys.executable, "-c", probe.format(args=args)], capture_output=True, text=True,
                              timeout=120)
        imported = next(line for line in done.stdout.splitlines() if line.startswith("WRITE:"))[len("WRITE:"):]
        assert bool(imported) == loaded, f"pedro {' '.join(args)} imported {imported}"


def _second_opinion(path: Path, changes: dict[tuple[int, int], str]) -> list[list]:
    """The rows of a published table (CSV, comment lines dropped) with ``changes`` {(row, column): value}
    made, as a second assessor might have rated it."""
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    for (row, column), value in changes.items():
        rows[row][column] = value
    return rows


def _comparisons(tmp_path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """(sheets, options) of comparisons that take every path of `pedro compare`: two assessors with
    disagreements, an unreadable answer and evidence; three with a trial only two of them rated; TESTEX
    sheets compared part by part."""
    from test_testex import PARTS
    from test_testex_compare import swapped

    from conftest import write_xlsx

    wu = PUBLISHED / "wu2022.csv"
    second = write_xlsx(tmp_path / "wu-second.xlsx", _second_opinion(wu, {(1, 6): "0", (2, 8): "1", (3, 12): "Yy"}))
    partial = [list(r) for r in PARTS]
    partial[3][8] = "Y"
    parts = {name: str(write_xlsx(tmp_path / f"{name}.xlsx", rows))
             for name, rows in (("a", PARTS), ("b", swapped(PARTS)), ("c", partial), ("d", PARTS[:3]))}
    return {"two": ([str(wu), str(second)], []),
            "three": ([parts["a"], parts["c"], parts["d"]], ["--rubric", "testex"]),
            "parts": ([parts["a"], parts["b"]], ["--rubric", "testex", "--ci", "t"])}


@pytest.mark.parametrize("case", ["two", "three", "parts"])
@pytest.mark.parametrize("as_json", [True, False])
def test_a_comparison_dry_run_never_imports_pandas(tmp_path, case, as_json):
    """`pedro compare --dry-run` pairs the trials and computes its statistics on numpy arrays alone: pandas'
    import was a third of a 10,000-trial comparison's margin under its budget (issue 18).  Its output, text
    or JSON, is the same as an ordinary run's, where pandas may be imported."""
    sheets, options = _comparisons(tmp_path)[case]
    args = ["compare", *sheets, "--dry-run", *options, *(["--json"] if as_json else [])]
    done = subprocess.run([sys.executable, "-c", NO_PANDAS.format(args=args)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    usual = subprocess.run([sys.executable, "-m", "pedro.cli", *args], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (usual.returncode, usual.stdout)
    if as_json:  # the paths the case is for were taken
        report = json.loads(done.stdout)
        found = {"two": [(d["study"], d["item"]) for d in report["disagreements"]] + report["unreadable_answers"],
                 "three": report["studies"]["partly_rated"],
                 "parts": [d["item"] for d in report["disagreements"]]}[case]
        assert found == EXPECTED_COMPARISONS[case]


EXPECTED_COMPARISONS = {
    "two": [("Schmitz-Hübsch et al. (2006)", 4), ("Hackney and Earhart (2008)", 6), ("Li et al. (2012)", 10),
            {"rated_by": "wu-second", "study": "Li et al. (2012)", "item": 10, "typed": "Yy"}],
    "three": [{"a": "Trial C", "c": "Trial C", "d": None}],
    "parts": ["6a", "6b", "8a"],
}


def test_numpy_is_imported_beside_the_first_parse(tmp_path):
    """A workbook's first sheet is parsed by calamine with the GIL released; numpy, which pedro's table of the
    cells needs next, is imported meanwhile by a thread of its own (65-75 ms of a dry run, issue 18), and
    numpy.ma, which np.unique imports (15 ms)."""
    probe = """
import sys, threading


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("numpy", "numpy.ma"):
            print(name + ":" + threading.current_thread().name)
        return None


sys.meta_path.insert(0, Watch())
from pedro.cli import main
try:
    main({args!r})
except SystemExit:
    pass
"""
    # 5,000 trials: their parse (~0.1 s) outlasts the imports, which a sheet of a few rows might not
    args = ["score", str(generated_sheet(tmp_path, "plain", 5000, seed=6)), "--dry-run", "--json"]
    done = subprocess.run([sys.executable, "-c", probe.format(args=args)], capture_output=True, text=True,
                          timeout=120)
    assert done.stderr == ""
    assert [line for line in done.stdout.splitlines() if line.startswith("numpy")] == [
        "numpy:pedro-import-numpy", "numpy.ma:pedro-import-numpy"]
