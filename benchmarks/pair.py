"""Paired runs of a few commands, for measuring one change at a time (issue 18).

    python benchmarks/pair.py 9 pedro score A.xlsx --json --dry-run -- OTHER/bin/pedro score A.xlsx --json --dry-run

The commands (separated by ``--``) run in turn, N times, each as its own
process with its output thrown away; for each, the median wall time, the
median CPU time (user + system, from os.wait4), the peak RSS over its runs,
and the median of its per-repeat ratios to the first command (wall and CPU):
the paired ratio is steadier than the ratio of medians when the machine is
shared.  Exit status 0 and 1 count as success (1: pedro found errors).  Each
command first runs once untimed, so that its bytecode is written (the
commands run without PYTHONDONTWRITEBYTECODE) and the files are in the cache.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not argv[0].isdigit():
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    repeats, commands, current = int(argv[0]), [], []
    for arg in argv[1:]:
        if arg == "--":
            commands.append(current)
            current = []
        else:
            current.append(arg)
    commands.append(current)
    runs: list[list[tuple[float, float, float]]] = [[] for _ in commands]  # (wall s, cpu s, peak MB)
    # Bytecode written and kept, as after a normal install: under PYTHONDONTWRITEBYTECODE every edited module (and
    # every module of a copy of pedro) would be compiled again in every run, which once made a change look 12%
    # faster than it was (issue 18).  The first, untimed, run of each command writes it and warms the disk cache.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    for command in commands:
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    for _ in range(repeats):
        for command, into in zip(commands, runs):
            start = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
            code = os.waitstatus_to_exitcode(status)
            if code not in (0, 1):
                print(f"{' '.join(command)} failed ({code}): {process.stderr.read()[-500:]!r}", file=sys.stderr)
                return 1
            process.stderr.close()
            into.append((wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024 / 1e6))
    for command, mine in zip(commands, runs):
        wall = statistics.median(r[0] for r in mine)
        cpu = statistics.median(r[1] for r in mine)
        paired_wall = statistics.median(a[0] / b[0] for a, b in zip(mine, runs[0]))
        paired_cpu = statistics.median(a[1] / b[1] for a, b in zip(mine, runs[0]))
        print(f"{wall:7.3f} s  cpu {cpu:6.3f} s  peak {max(r[2] for r in mine):6.0f} MB  paired x{paired_wall:.3f} "
              f"(cpu x{paired_cpu:.3f})  {' '.join(command)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
