"""The bare baselines that pedro is timed against (issue #6).

    python benchmarks/baselines.py openpyxl IN OUT    # load the workbook with openpyxl and save it again
    python benchmarks/baselines.py pandas IN OUT      # naive pipeline: read_excel, count Y per row, to_excel
    python benchmarks/baselines.py calamine IN [IN ...]  # read every sheet's values with python-calamine

Each is the least a tool that does pedro's job could do with the same library:
pedro writes its audited workbook with openpyxl (so it cannot be cheaper than
openpyxl's own load and save), its JSON report and comparisons read with
python-calamine (so they cannot be cheaper than calamine reading the files),
and the pandas pipeline is what a reviewer would write by hand instead of
pedro.  Every baseline runs as its own process, imports included, as the
harness (``run.py``) times it; each prints nothing unless it fails.
"""

from __future__ import annotations

import argparse
import sys


def openpyxl_load_save(source: str, target: str) -> None:
    import openpyxl

    workbook = openpyxl.load_workbook(source)
    workbook.save(target)


def pandas_naive(source: str, target: str) -> None:
    """What a reviewer writes in a notebook: find the header row, count the Y on items 2-11, save."""
    import re

    import pandas as pd

    raw = pd.read_excel(source, sheet_name=0, header=None, engine="openpyxl")
    header_row = next(i for i in range(min(50, len(raw))) if str(raw.iat[i, 0]).strip().lower() == "study")
    table = raw.iloc[header_row + 1:].reset_index(drop=True)
    table.columns = [str(c) for c in raw.iloc[header_row]]
    items = [c for c in table.columns if (m := re.match(r"(\d+)\s", c)) and 2 <= int(m.group(1)) <= 11
             and "evidence" not in c.lower()]
    table["Computed total"] = (table[items] == "Y").sum(axis=1)
    table.to_excel(target, index=False, engine="openpyxl")


def calamine_read(*sources: str) -> None:
    from python_calamine import CalamineWorkbook

    cells = 0
    for source in sources:
        workbook = CalamineWorkbook.from_path(source)
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            cells += sum(len(row) for row in rows)
    if cells == 0:
        raise SystemExit("calamine read no cells")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("openpyxl", "pandas"):
        command = commands.add_parser(name)
        command.add_argument("source")
        command.add_argument("target")
    command = commands.add_parser("calamine")
    command.add_argument("sources", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "openpyxl":
        openpyxl_load_save(args.source, args.target)
    elif args.command == "pandas":
        pandas_naive(args.source, args.target)
    else:
        calamine_read(*args.sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
