"""The speed work of issue 18 changes how `pedro score --dry-run --json` runs
(imports started in a thread, collection frozen, the process leaving without
tearing down its objects, the report streamed to stdout), never what it says:
its output on the benchmark's two kinds of generated sheet must stay byte for
byte the same as the stored copy in ``tests/data/expected/``.

The stored copy, not a second run: a reference run of the same command would
go through the very start-up, exit and output paths that the speed work
changes, so it could not catch a byte they lose or reorder.  The copies were
made by pedro as it was before that work.

When pedro's findings are meant to change (a message reworded, a rule added),
the stored copies change with them; rebuild them with

    python tests/test_speed_equivalence.py

and say in the commit why the report changed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
EXPECTED = TESTS / "data" / "expected"
GENERATOR = TESTS.parent / "benchmarks" / "generate.py"
TRIALS = 250
SEED = 18
KINDS = ("plain", "findings")


def _generator():
    spec = importlib.util.spec_from_file_location("pedro_benchmark_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def expected_path(kind: str) -> Path:
    return EXPECTED / f"dry-run-{kind}-{TRIALS}-seed{SEED}.json"


def pedro_command() -> list[str]:
    """The `pedro` script beside this Python, as a user starts it (its way out of the process is part of what
    is checked), else the same command through ``python -m pedro.cli``."""
    script = Path(sys.executable).with_name("pedro")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pedro.cli"]


def dry_run_json(kind: str, folder: Path) -> tuple[bytes, subprocess.CompletedProcess]:
    """Generate the sheet (the same bytes for the same seed) and run `pedro score SHEET --dry-run --json` on it,
    as a user runs it: its own process, from the sheet's folder, so that the report names the file alone."""
    generate = _generator()
    sheet = folder / f"{kind}.xlsx"
    generate.write_workbook(sheet, generate.make_trials(TRIALS, SEED, generate.KINDS[kind]), "Assessor A", SEED)
    done = subprocess.run([*pedro_command(), "score", sheet.name, "--dry-run", "--json"],
                          capture_output=True, cwd=folder, timeout=120)
    return done.stdout, done


@pytest.mark.parametrize("kind", KINDS)
def test_dry_run_json_is_byte_identical(kind, tmp_path):
    pytest.importorskip("xlsxwriter", reason="the benchmark's generator writes the sheets with XlsxWriter")
    stored = expected_path(kind)
    assert stored.exists(), f"no stored copy {stored.name}: run python tests/test_speed_equivalence.py"
    output, done = dry_run_json(kind, tmp_path)
    assert done.returncode == 1, done.stderr.decode()  # the generated sheets have error findings on purpose
    assert done.stderr == b""
    expected = stored.read_bytes()
    if output != expected:
        at = next((i for i, (a, b) in enumerate(zip(output, expected)) if a != b), min(len(output), len(expected)))
        pytest.fail(f"the JSON differs from {stored.name} at byte {at} of {len(expected)} "
                    f"(now {len(output)} bytes): ...{output[max(at - 80, 0):at + 80]!r}...")


def test_the_command_leaves_after_its_workbook_is_whole(tmp_path):
    """`pedro score -o` ends the process without tearing it down (runtime.leave): the audited workbook is
    complete and in place, its summary printed, and the exit status the same as before."""
    from pedro import verify_workbook

    example = TESTS.parent / "sheets" / "examples" / "als-exercise.xlsx"
    output = tmp_path / "out.xlsx"
    done = subprocess.run([*pedro_command(), "score", str(example), "-o", str(output)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f"wrote {output}")
    assert verify_workbook(output)["ok"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]  # no temporary file left behind


@pytest.mark.slow
def test_compare_leaves_after_its_output_is_out(tmp_path):
    """`pedro compare` ends the process without tearing it down too: the JSON report whole on stdout (the same
    as the one pedro builds in this process), the disagreement workbook complete and in place, exit status 0."""
    pytest.importorskip("xlsxwriter", reason="the benchmark's generator writes the sheets with XlsxWriter")
    import json

    from pedro.compare import compare_files
    from pedro.report import comparison_to_json

    generate = _generator()
    trials = generate.make_trials(40, SEED)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    generate.write_workbook(a, trials, "Assessor A", SEED)
    generate.write_workbook(b, generate.second_assessor(trials, SEED), "Assessor B", SEED)
    done = subprocess.run([*pedro_command(), "compare", str(a), str(b), "--json", "--dry-run"], capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.endswith(b"}\n")
    here = json.loads(json.dumps(comparison_to_json(compare_files([a, b])) | {"output": None}))
    assert json.loads(done.stdout) == here
    output = tmp_path / "out" / "disagreements.xlsx"
    output.parent.mkdir()
    done = subprocess.run([*pedro_command(), "compare", str(a), str(b), "-o", str(output)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert str(output) in done.stdout
    from openpyxl import load_workbook

    assert load_workbook(output).sheetnames  # complete: a truncated package would not open
    assert [p.name for p in output.parent.iterdir()] == [output.name]  # no temporary file left behind


def test_leave_returns_outside_the_command():
    """Called from Python (here, pytest), leaving is not pedro's to decide: it returns."""
    from pedro.runtime import is_the_command, leave

    assert not is_the_command()
    assert leave(3) is None


def test_the_two_kinds_differ_as_the_benchmark_says(tmp_path):
    """The findings-heavy sheet has many more findings per trial than the plain one, and free-text methods."""
    pytest.importorskip("xlsxwriter", reason="the benchmark's generator writes the sheets with XlsxWriter")
    import json

    generate = _generator()
    plain = generate.make_trials(TRIALS, SEED, generate.KINDS["plain"])
    heavy = generate.make_trials(TRIALS, SEED, generate.KINDS["findings"])
    assert [t.label for t in plain] == [t.label for t in heavy]
    assert all(t.allocated is not None and t.total is not None for t in heavy)
    assert sum(len(t.method or "") for t in heavy) > 2 * sum(len(t.method or "") for t in plain)
    counts = {kind: json.loads(expected_path(kind).read_bytes())["summary"] for kind in KINDS}
    assert counts["findings"]["errors"] > 2 * counts["plain"]["errors"]


def main() -> int:
    """Rebuild the stored copies with the pedro installed beside this Python."""
    import tempfile

    EXPECTED.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        with tempfile.TemporaryDirectory() as folder:
            output, done = dry_run_json(kind, Path(folder))
        if done.returncode not in (0, 1) or not output:
            print(done.stderr.decode(), file=sys.stderr)
            return 2
        expected_path(kind).write_bytes(output)
        print(f"wrote {expected_path(kind)} ({len(output):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())


@pytest.mark.parametrize("kind", KINDS)
def test_the_dry_run_gives_the_same_bytes_without_pandas(kind, tmp_path):
    """pandas made unimportable (tests/test_startup.py's NO_PANDAS): the dry run neither needs it nor says
    anything else (issue 18: its import was more than the budget left at 10,000 trials)."""
    pytest.importorskip("xlsxwriter", reason="the benchmark's generator writes the sheets with XlsxWriter")
    from test_startup import NO_PANDAS

    generate = _generator()
    sheet = tmp_path / f"{kind}.xlsx"
    generate.write_workbook(sheet, generate.make_trials(TRIALS, SEED, generate.KINDS[kind]), "Assessor A", SEED)
    done = subprocess.run([sys.executable, "-c", NO_PANDAS.format(args=["score", sheet.name, "--dry-run", "--json"])],
                          capture_output=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 1 and done.stderr == b"", done.stderr.decode()
    assert done.stdout == expected_path(kind).read_bytes()
