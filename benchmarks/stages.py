"""Where the time of `pedro score FILE --json --dry-run` goes, stage by stage,
in one process (issue #6: the floor of the dry-run budget).

    python benchmarks/stages.py benchmarks/data/trials-60000-seed6-35efcd67-a.xlsx [--repeats 3]

Each stage is timed on its own with time.perf_counter (medians over the
repeats): the imports; the package safety check alone (zip-bomb and entity
checks, which must finish before any parser sees the file); a bare
python-calamine read of every sheet, as the baseline does; then pedro's
score_file (which includes its own safety check and calamine read), the JSON
report's dicts and their serialisation.  "pedro's own work" is score_file less
the safety check and the calamine read: normalising, scoring and checking.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    imports, _ = timed(lambda: __import__("pedro.engine") and __import__("pandas") and __import__("numpy"))
    from python_calamine import CalamineWorkbook

    from pedro import jsonout
    from pedro.engine import score_file
    from pedro.report import result_to_json
    from pedro.sheets.reader import check_package

    def calamine_read():
        workbook = CalamineWorkbook.from_path(str(args.path))
        return [workbook.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in workbook.sheet_names]

    stages: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for name, function in (("package safety check", lambda: check_package(args.path)),
                               ("bare calamine read (the baseline's work)", calamine_read)):
            stages.setdefault(name, []).append(timed(function)[0])
        seconds, result = timed(lambda: score_file(args.path))
        stages.setdefault("score_file (read, normalise, score, check)", []).append(seconds)
        seconds, report = timed(lambda result=result: result_to_json(result))
        stages.setdefault("JSON report's dicts", []).append(seconds)
        stages.setdefault("JSON serialisation", []).append(timed(lambda report=report: jsonout.dumps_bytes(report))[0])
    medians = {name: statistics.median(values) for name, values in stages.items()}
    own = (medians["score_file (read, normalise, score, check)"] - medians["package safety check"]
           - medians["bare calamine read (the baseline's work)"])
    print(f"{args.path.name}: {len(result.sheet.studies):,} trials, {len(result.sheet.answers):,} answers, "
          f"{len(result.findings):,} findings (medians of {args.repeats})")
    print(f"  {'imports (pedro, pandas, numpy)':45} {imports:6.2f} s")
    for name, seconds in medians.items():
        print(f"  {name:45} {seconds:6.2f} s")
    print(f"  {'pedro own work in score_file':45} {own:6.2f} s  (score_file less check and calamine read)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
