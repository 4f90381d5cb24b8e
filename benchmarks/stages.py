"""Where the time of `pedro score FILE --json --dry-run` goes, stage by stage,
and the floor under it: the part of a dry run that no restructuring of
pedro's own work removes (issues 6 and 18).

    python benchmarks/stages.py benchmarks/data/trials-60000-findings-seed6-21e5d7b3-a.xlsx [--repeats 5]

Start-up costs are timed in fresh interpreters (each import is cold there, as
in a command): Python with python-calamine (what the baseline starts with),
then pedro's modules, numpy and pandas on top.  The stages are timed in one
process with time.perf_counter, medians over the repeats: the package safety
check (which must finish before any parser sees the file), a bare
python-calamine read of every sheet (the baseline's work), the control-character
check and the conversion of calamine's values into pedro's table (both over
every cell: the reader's own work), then normalising, scoring, the rules and
the JSON report (its dicts and orjson's serialisation, apart).

"Floor" sums what any dry run must do however its checking is written:
start-up with numpy (pandas is the part a rewrite could drop), the safety
check, the bare read, the control-character check and conversion, and the
serialisation of a report of that size.  Against the budget (2x the bare read
at 60,000 trials, 3x at 10,000, issue 18) it says how much is left for
normalising, scoring, checking and building the report.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

STARTS = {
    "Python + python_calamine (the baseline's start)": "import python_calamine",
    "  + pedro's modules (pedro.cli, pedro.batch)": "import python_calamine, pedro.cli, pedro.batch",
    "  + numpy": "import python_calamine, pedro.cli, pedro.batch, numpy",
    "  + pandas": "import python_calamine, pedro.cli, pedro.batch, numpy, pandas",
}


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def start_ups(repeats: int) -> dict[str, float]:
    """Median wall time of a fresh interpreter doing each of STARTS (bytecode already written)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = lambda code: subprocess.run([sys.executable, "-c", code], env=env, check=True)  # noqa: E731
    for code in STARTS.values():
        run(code)  # untimed: bytecode written, files cached
    return {name: statistics.median(timed(lambda code=code: run(code))[0] for _ in range(repeats))
            for name, code in STARTS.items()}


def stages(path: Path, repeats: int) -> tuple[dict[str, float], object]:
    from python_calamine import CalamineWorkbook

    from pedro import jsonout
    from pedro.engine import CheckContext, choose_sheet, load_rubric, open_book, read_previous_audit, score_file
    from pedro.normalise import normalise_sheet
    from pedro.report import result_to_json
    from pedro.rules import run_rules
    from pedro.scoring import score_sheet
    from pedro.sheets import reader

    def calamine_read():
        workbook = CalamineWorkbook.from_path(str(path))
        return [workbook.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in workbook.sheet_names]

    rubric = load_rubric(None)
    bands = rubric.band_set(None)
    book = open_book(path)
    name, layout, _ = choose_sheet(book, rubric, None, read_previous_audit(book)[1])
    grid = book.grid(name)
    found: dict[str, list[float]] = {}

    def measure(stage, function, *args):
        seconds, value = timed(lambda: function(*args))
        found.setdefault(stage, []).append(seconds)
        return value

    result = score_file(path)
    for _ in range(repeats):
        measure("package safety check", reader.check_package, path)
        rows = measure("bare calamine read (the baseline's work)", calamine_read)[book.sheet_names.index(name)]
        measure("control-character check", reader._refuse_control_characters, path, name, rows)
        measure("calamine's values into pedro's table", reader._converted, rows)
        rated = measure("normalise", normalise_sheet, path.name, grid, layout, rubric)
        scores = measure("score", score_sheet, rated, rubric, bands)
        measure("rules", lambda c: run_rules(c), CheckContext(rated, rubric, bands, scores))
        report = measure("JSON report's dicts", result_to_json, result)
        measure("JSON serialisation", jsonout.dumps_bytes, report)
    return {stage: statistics.median(values) for stage, values in found.items()}, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, help="the dry run's limit, in bare reads (default: 3 below "
                                                      "30,000 trials, 2 from there on)")
    args = parser.parse_args(argv)
    starts = start_ups(args.repeats)
    medians, result = stages(args.path, args.repeats)
    trials = len(result.sheet.study_table)
    print(f"{args.path.name}: {trials:,} trials, {len(result.sheet.answer_table):,} answers, "
          f"{len(result.finding_table):,} findings (medians of {args.repeats})")
    for name, seconds in [*starts.items(), *medians.items()]:
        print(f"  {name:50} {seconds:6.3f} s")
    baseline = starts[next(iter(STARTS))] + medians["bare calamine read (the baseline's work)"]
    floor = starts["  + numpy"] + sum(medians[k] for k in (
        "package safety check", "bare calamine read (the baseline's work)", "control-character check",
        "calamine's values into pedro's table", "JSON serialisation"))
    budget = args.budget or (3.0 if trials < 30_000 else 2.0)
    own = sum(medians[k] for k in ("normalise", "score", "rules", "JSON report's dicts"))
    print(f"  {'the bare read, as the baseline runs it':50} {baseline:6.3f} s")
    print(f"  {'floor (start with numpy, check, read, convert, serialise)':50} {floor:6.3f} s = "
          f"{floor / baseline:.2f}x the bare read")
    print(f"  {f'left under {budget:g}x for the rest':50} {budget * baseline - floor:6.3f} s; normalise + score + "
          f"rules + report dicts {own:.3f} s (a dry run has not imported pandas since 211992c: its import, "
          f"{starts['  + pandas'] - starts['  + numpy']:.3f} s, is no longer part of it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
