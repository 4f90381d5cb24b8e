"""`pedro --version` and `pedro --help` start fast: no heavy library is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
