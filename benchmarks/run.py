"""Time pedro against bare baselines, side by side, and write RESULTS.md (issues 6 and 18).

    python benchmarks/run.py [--sizes 100,10000] [--large] [--kinds plain,findings] [--repeats 3] [--keep]

For each size and kind of sheet (generate.py --kind: the plain sheet of issue
6, the findings-heavy one of issue 18), generate.py writes two assessors'
sheets of that many trials; then every contender runs as its own process
(imports and start-up counted, as a user sees them), the contenders
alternating within each repeat (A B C ..., A B C ..., ...) so that machine
noise falls on all of them alike.  Each run's wall time is measured here, and
its peak resident memory comes from os.wait4 on that very process (not from
RUSAGE_CHILDREN, whose ru_maxrss is a maximum over all children so far).
Before the sizes, the single small example sheet is timed and its imports
profiled (PYTHONPROFILEIMPORTTIME).

Budgets (issue 18, on both kinds of sheet, as ratios of medians measured in
the same run): `pedro score` <= 0.5x a bare openpyxl load+save and faster
than the naive pandas pipeline; `pedro score --json --dry-run` <= 3x a bare
calamine read at 10,000 trials and <= 2x at 60,000; `pedro compare` of two
sheets the same against two bare calamine reads; the dry run's peak memory <=
1.6x the calamine read's at 60,000, and every pedro command's <= 1.5 GB.
Other sizes are reported against the same ratios for information.

This is a benchmark, never a test: it asserts nothing and always exits 0
unless a contender fails to run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATOR = HERE / "generate.py"
BASELINES = HERE / "baselines.py"
DEFAULT_SIZES = "100,10000"  # --large adds 60,000
DEFAULT_SEED = 6
DEFAULT_TIMEOUT = 1800.0  # seconds per run
BUDGET_TRIALS = 60_000
MEMORY_BUDGET_BYTES = 1_500_000_000  # 1.5 GB, decimal: the stricter reading
PEDRO_OK = (0, 1)  # 1 = error findings in the sheet, which the synthetic sheets have on purpose


@dataclass(frozen=True)
class Contender:
    key: str
    title: str
    group: str  # score | dry-run | compare
    pedro: bool
    ok: tuple[int, ...] = (0,)


CONTENDERS = [
    Contender("pedro-score", "pedro score A -o OUT", "score", True, PEDRO_OK),
    Contender("openpyxl", "bare openpyxl load+save", "score", False),
    Contender("pandas", "naive pandas pipeline", "score", False),
    Contender("pedro-dry-run", "pedro score A --json --dry-run", "dry-run", True, PEDRO_OK),
    Contender("calamine", "bare calamine read of A", "dry-run", False),
    Contender("pedro-compare", "pedro compare A B --dry-run --json", "compare", True, (0,)),
    Contender("calamine-2", "bare calamine read of A and B", "compare", False),
]
BY_KEY = {c.key: c for c in CONTENDERS}


@dataclass(frozen=True)
class Budget:
    title: str
    numerator: str
    denominator: str
    limits: tuple[tuple[int, float], ...]  # (trials, limit): the sizes the budget is set at
    strict: bool = False  # "faster than": ratio < limit
    memory: bool = False  # a ratio of peak memory, not of time

    def limit(self, trials: int) -> float | None:
        """The limit at ``trials``; None at a size the budget is not set at (its ratio is then for information)."""
        return dict(self.limits).get(trials)

    @property
    def reference(self) -> float:
        """The limit at the largest size, which smaller sizes are shown against."""
        return max(self.limits)[1]


# Issue 18, on both kinds of sheet: ratios of medians measured in the same run.
BUDGETS = [
    Budget("pedro score / bare openpyxl load+save", "pedro-score", "openpyxl", ((10_000, 0.5), (60_000, 0.5))),
    Budget("pedro score / naive pandas pipeline", "pedro-score", "pandas", ((10_000, 1.0), (60_000, 1.0)),
           strict=True),
    Budget("pedro score --json --dry-run / bare calamine read", "pedro-dry-run", "calamine",
           ((10_000, 3.0), (60_000, 2.0))),
    Budget("pedro compare / two bare calamine reads", "pedro-compare", "calamine-2", ((10_000, 3.0), (60_000, 2.0))),
    Budget("peak memory: pedro score --json --dry-run / bare calamine read", "pedro-dry-run", "calamine",
           ((60_000, 1.6),), memory=True),
]
KINDS = ("plain", "findings")  # generate.py --kind: the sheet of issue 6, and the findings-heavy one of issue 18
SMALL_FILE = REPO / "sheets" / "examples" / "als-exercise.xlsx"


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds
    maxrss_kb: int
    status: int
    timed_out: bool = False  # killed at --timeout: wall, cpu and memory are lower bounds


@dataclass(frozen=True)
class Stat:
    """A median, a maximum or a ratio, which runs stopped at --timeout make a bound: '>' the true value is
    larger, '<' smaller, '?' either (both sides of a ratio stopped)."""

    value: float
    bound: str = ""

    @property
    def lower_bound(self) -> bool:
        return self.bound == ">"

    def __truediv__(self, other: Stat) -> Stat:
        bound = {("", ""): "", (">", ""): ">", ("", ">"): "<"}.get((self.bound, other.bound), "?")
        return Stat(self.value / other.value, bound)

    def text(self, spec: str = ".2f") -> str:
        return self.bound + format(self.value, spec)


def median_stat(values: list[float], censored: list[bool]) -> Stat:
    """The median of runs some of which were stopped at the timeout (their values are lower bounds)."""
    ordered = sorted(zip(values, censored), key=lambda pair: (pair[1], pair[0]))  # stopped runs are the longest
    n = len(ordered)
    middle = ordered[(n - 1) // 2: n // 2 + 1]
    return Stat(sum(v for v, _ in middle) / len(middle), ">" if any(c for _, c in middle) else "")


@dataclass
class SizeResult:
    trials: int
    kind: str
    files: dict[str, int]  # name -> bytes
    generate_seconds: float | None
    runs: dict[str, list[Run]] = field(default_factory=dict)
    pedro_summary: str = ""
    sources: list[str] = field(default_factory=list)  # pedro's source fingerprint at each repeat

    def median(self, key: str) -> Stat | None:
        runs = self.runs.get(key)
        return median_stat([r.wall for r in runs], [r.timed_out for r in runs]) if runs else None

    def cpu_median(self, key: str) -> Stat | None:
        runs = self.runs.get(key)
        return median_stat([r.cpu for r in runs], [r.timed_out for r in runs]) if runs else None

    def peak_mb(self, key: str) -> Stat | None:
        """Peak RSS in MB (10^6 bytes), the largest over the runs."""
        runs = self.runs.get(key)
        if not runs:
            return None
        peak = max(runs, key=lambda r: r.maxrss_kb)
        stopped = any(r.timed_out for r in runs) and not any(r.maxrss_kb >= peak.maxrss_kb and not r.timed_out
                                                             for r in runs)
        return Stat(peak.maxrss_kb * 1024 / 1e6, ">" if stopped else "")

    @property
    def title(self) -> str:
        return f"{self.trials:,} trials, {self.kind} sheet"

    def ratio(self, budget: Budget, cpu: bool = False) -> Stat | None:
        if budget.memory:
            if cpu:
                return None
            top, bottom = self.peak_mb(budget.numerator), self.peak_mb(budget.denominator)
            return top / bottom if top is not None and bottom is not None and bottom.value > 0 else None
        median = self.cpu_median if cpu else self.median
        top, bottom = median(budget.numerator), median(budget.denominator)
        return top / bottom if top is not None and bottom is not None and bottom.value > 0 else None


# --------------------------------------------------------------------------- running


def child_env() -> dict[str, str]:
    """The environment of every contender.  PYTHONDONTWRITEBYTECODE is dropped so
    that, after the first run, pedro starts from cached bytecode as it does from a
    normal install (an editable install under that variable recompiles every time)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def pedro_command() -> list[str]:
    beside = Path(sys.executable).with_name("pedro")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("pedro")
    return [found] if found else [sys.executable, "-m", "pedro.cli"]


def command_for(key: str, a: Path, b: Path, out: Path) -> list[str]:
    python, pedro = sys.executable, pedro_command()
    return {
        "pedro-score": [*pedro, "score", str(a), "-o", str(out)],
        "openpyxl": [python, str(BASELINES), "openpyxl", str(a), str(out)],
        "pandas": [python, str(BASELINES), "pandas", str(a), str(out)],
        "pedro-dry-run": [*pedro, "score", str(a), "--json", "--dry-run"],
        "calamine": [python, str(BASELINES), "calamine", str(a)],
        "pedro-compare": [*pedro, "compare", str(a), str(b), "--dry-run", "--json"],
        "calamine-2": [python, str(BASELINES), "calamine", str(a), str(b)],
    }[key]


def run_once(argv: list[str], cwd: Path, stdout_path: Path | None = None,
             timeout: float | None = None) -> tuple[Run, str]:
    """Run one process; return its wall time, CPU time and peak RSS, and the end of its stderr.
    A process still running after ``timeout`` seconds is killed (that process only)."""
    with tempfile.TemporaryFile() as err:
        out = stdout_path.open("wb") if stdout_path else subprocess.DEVNULL
        stopped, finished = threading.Event(), threading.Event()
        try:
            start = time.perf_counter()
            process = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd, env=child_env())

            def stop() -> None:
                if not finished.is_set():
                    stopped.set()
                    process.kill()

            timer = threading.Timer(timeout, stop) if timeout else None
            if timer:
                timer.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                finished.set()
                if timer:
                    timer.cancel()
            wall = time.perf_counter() - start
        finally:
            if stdout_path:
                out.close()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-2000:]
    run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, process.returncode, stopped.is_set())
    return run, tail


def source_fingerprint() -> str:
    """A hash of pedro's installed source and rubrics: a run whose pedro changed under it says so."""
    import importlib.util

    spec = importlib.util.find_spec("pedro")  # finds the package without importing it
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    roots.append(REPO / "rubrics")
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def generate(trials: int, kind: str, seed: int, folder: Path, reuse: bool) -> tuple[Path, Path, float | None]:
    stamp = hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:8]
    a = folder / f"trials-{trials}-{kind}-seed{seed}-{stamp}-a.xlsx"
    b = folder / f"trials-{trials}-{kind}-seed{seed}-{stamp}-b.xlsx"
    if reuse and a.exists() and b.exists():
        print(f"  reusing {a.name} and {b.name}")
        return a, b, None
    start = time.perf_counter()
    subprocess.run([sys.executable, str(GENERATOR), "--trials", str(trials), "--seed", str(seed), "--kind", kind,
                    "--out", str(a), "--second-assessor", str(b)], check=True, stdout=subprocess.DEVNULL,
                   env=child_env())
    seconds = time.perf_counter() - start
    print(f"  generated {a.name} and {b.name} in {seconds:.1f} s")
    return a, b, seconds


def bench_size(trials: int, kind: str, repeats: int, keys: list[str], seed: int, folder: Path, reuse: bool,
               timeout: float | None) -> SizeResult:
    print(f"\n== {trials:,} trials, {kind} sheet, {repeats} repeat(s)", flush=True)
    a, b, generate_seconds = generate(trials, kind, seed, folder, reuse)
    result = SizeResult(trials, kind, {a.name: a.stat().st_size, b.name: b.stat().st_size}, generate_seconds,
                        {k: [] for k in keys})
    scratch = folder / f"out-{trials}-{kind}"
    scratch.mkdir(exist_ok=True)
    for repeat in range(1, repeats + 1):
        result.sources.append(source_fingerprint())
        for key in keys:
            contender = BY_KEY[key]
            out = scratch / f"{key}.xlsx"
            stdout_path = scratch / "pedro-score.txt" if key == "pedro-score" else None
            run, err_tail = run_once(command_for(key, a, b, out), scratch, stdout_path, timeout)
            if run.timed_out:
                out.unlink(missing_ok=True)
                result.runs[key].append(run)
                print(f"  [{repeat}/{repeats}] {contender.title:<38} stopped at the {timeout:g} s timeout", flush=True)
                continue
            if run.status not in contender.ok:
                raise SystemExit(f"{key} failed with exit status {run.status} on {trials} trials:\n{err_tail}")
            if key == "pedro-score":
                summary = stdout_path.read_text(encoding="utf-8")
                if f"{trials} trial(s) read" not in summary:
                    raise SystemExit(f"pedro score did not read {trials} trials:\n{summary[:2000]}")
                result.pedro_summary = summary_lines(summary)
            if key in ("pedro-score", "openpyxl", "pandas") and not out.exists():
                raise SystemExit(f"{key} wrote no output on {trials} trials")
            out.unlink(missing_ok=True)
            result.runs[key].append(run)
            print(f"  [{repeat}/{repeats}] {contender.title:<38} {run.wall:8.2f} s  cpu {run.cpu:7.2f} s  "
                  f"peak {run.maxrss_kb * 1024 / 1e6:6.0f} MB", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    return result


@dataclass
class SmallFile:
    """`pedro score` of the example sheet: its wall time against bare interpreter start-up, and where its imports go."""

    runs: list[Run]
    startup: list[Run]  # `python -c pass`, alternating with the runs
    imports: list[tuple[int, int, str]]  # (cumulative us, self us, module) of the top-level imports, largest first
    import_total_us: int


def bench_small_file(repeats: int, folder: Path) -> SmallFile | None:
    """The single small file of issue 18: `pedro score sheets/examples/als-exercise.xlsx -o OUT`, and one run of
    it under PYTHONPROFILEIMPORTTIME (python -X importtime) to show which imports its start-up is made of."""
    if not SMALL_FILE.exists():
        return None
    out = folder / "als-exercise.audited.xlsx"
    argv = [*pedro_command(), "score", str(SMALL_FILE), "-o", str(out)]
    runs, startup = [], []
    for _ in range(max(repeats, 5)):  # short runs: a few more of them for a steady median
        runs.append(run_once(argv, folder)[0])
        out.unlink(missing_ok=True)
        startup.append(run_once([sys.executable, "-c", "pass"], folder)[0])
    profile = subprocess.run(argv, capture_output=True, text=True, cwd=folder,
                             env=child_env() | {"PYTHONPROFILEIMPORTTIME": "1"})
    out.unlink(missing_ok=True)
    imports, total = parse_importtime(profile.stderr)
    return SmallFile(runs, startup, imports, total)


def parse_importtime(text: str) -> tuple[list[tuple[int, int, str]], int]:
    """The top-level imports of a `-X importtime` profile, largest cumulative time first, and their sum."""
    top = []
    for line in text.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|", 2)
        if not name.startswith(" ") or name.startswith("  "):  # nested imports are indented further
            continue
        top.append((int(cumulative_us), int(self_us), name.strip()))
    top.sort(reverse=True)
    return top, sum(c for c, _, _ in top)


def small_file_lines(small: SmallFile) -> list[str]:
    pedro = median_stat([r.wall for r in small.runs], [False] * len(small.runs)).value
    bare = median_stat([r.wall for r in small.startup], [False] * len(small.startup)).value
    lines = ["## The single small file: start-up and imports", "",
             f"`pedro score sheets/examples/als-exercise.xlsx -o OUT`: median {pedro:.3f} s over {len(small.runs)} "
             f"runs (bare `python -c pass` alternating with it: {bare:.3f} s). One run under "
             f"`PYTHONPROFILEIMPORTTIME=1` (as `python -X importtime`) spends {small.import_total_us / 1e6:.3f} s "
             "importing (the profiler's own overhead included); the top-level imports, by cumulative time:", "",
             "| module | cumulative ms | self ms |", "|---|---:|---:|"]
    for cumulative, self_us, name in small.imports[:20]:
        lines.append(f"| `{name}` | {cumulative / 1000:.1f} | {self_us / 1000:.1f} |")
    rest = small.imports[20:]
    if rest:
        lines.append(f"| {len(rest)} others | {sum(c for c, _, _ in rest) / 1000:.1f} | |")
    return lines + [""]


def summary_lines(text: str) -> str:
    """pedro's own summary of the sheet: the lines saying what it read and found."""
    keep = [line for line in text.splitlines() if line.startswith(("bands", "findings"))
            or "trial(s) read" in line]
    return "\n".join(keep)


# --------------------------------------------------------------------------- reporting


def verdict(result: SizeResult, budget: Budget, cpu: bool = False) -> tuple[Stat | None, str]:
    ratio = result.ratio(budget, cpu)
    if ratio is None:
        return None, "not measured"
    limit = budget.limit(result.trials) or budget.reference
    over = ratio.value / limit
    ok = ratio.value < limit if budget.strict else ratio.value <= limit
    if ratio.bound == ">":
        return ratio, (f"FAIL (over {over:.2f}x the limit; stopped at the timeout)" if not ok else
                       "unknown (stopped at the timeout)")
    if ratio.bound == "<":
        return ratio, ("PASS (the baseline was stopped at the timeout)" if ok else
                       "unknown (the baseline was stopped at the timeout)")
    if ratio.bound:
        return ratio, "unknown (both stopped at the timeout)"
    text = ("PASS" if ok else "FAIL") + (f" ({over:.2f}x the limit)" if not ok else
                                        f" ({(1 - over) * 100:.0f}% under the limit)")
    if budget.limit(result.trials) is None:  # a size the budget is not set at: against the largest size's limit
        largest = max(budget.limits)[0]
        text = f"for information: {'within' if ok else 'over'} the {budget.reference:g}x set at {largest:,}"
    return ratio, text


def memory_verdict(result: SizeResult) -> list[tuple[str, Stat, str]]:
    rows = []
    for key in (c.key for c in CONTENDERS if c.pedro):
        peak = result.peak_mb(key)
        if peak is None:
            continue
        over = peak.value * 1e6 / MEMORY_BUDGET_BYTES
        if over > 1:
            text = f"FAIL ({over:.2f}x the limit)"
        elif peak.lower_bound:
            text = "unknown (stopped at the timeout)"
        else:
            text = f"PASS ({(1 - over) * 100:.0f}% under the limit)"
        rows.append((BY_KEY[key].title, peak, text))
    return rows


def limit_text(budget: Budget, trials: int | None = None) -> str:
    limit = budget.limit(trials) if trials is not None else None
    if limit is None:
        return "/".join(limit_text(budget, n) + f" at {n:,}" for n, _ in budget.limits) if trials is None else "-"
    return f"< {limit:g}" if budget.strict else f"<= {limit:g}"


def print_size(result: SizeResult) -> None:
    print(f"\n{result.title}: medians")
    if len(set(result.sources)) > 1:
        print(f"  warning: pedro's source changed between repeats ({', '.join(result.sources)})")
    print(f"  {'contender':<38} {'median s':>9} {'min-max s':>17} {'cpu s':>8} {'peak MB':>8}")
    for key, runs in result.runs.items():
        walls = [r.wall for r in runs]
        print(f"  {BY_KEY[key].title:<38} {result.median(key).text():>9} "
              f"{min(walls):8.2f}-{max(walls):<8.2f} {result.cpu_median(key).text():>8} "
              f"{result.peak_mb(key).text('.0f'):>8}")
    print(f"  ratios of medians:{'':<38}wall   (cpu)  budget")
    for budget in BUDGETS:
        ratio, text = verdict(result, budget)
        cpu_ratio = result.ratio(budget, cpu=True)
        if ratio is not None:
            cpu_text = cpu_ratio.text() if cpu_ratio is not None else "-"
            print(f"    {budget.title:<62} {ratio.text():>6} ({cpu_text:>6}) "
                  f"{limit_text(budget, result.trials):>6}  {text}")
    for title, peak, text in memory_verdict(result):
        print(f"    peak memory of {title:<36} {peak.text('.0f'):>6} MB  <= 1500  {text}")


def machine() -> dict[str, str]:
    info = {}
    cpuinfo = _read("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    info["CPU"] = models[0] if models else platform.processor() or platform.machine()
    cores = f"{os.cpu_count()} logical"
    if hasattr(os, "sched_getaffinity"):
        cores += f", {len(os.sched_getaffinity(0))} usable by this process"
    quota = _read("/sys/fs/cgroup/cpu.max").strip()
    if quota and not quota.startswith("max"):
        limit, period = quota.split()[:2]
        cores += f", cgroup quota {int(limit) / int(period):g} CPU"
    info["Cores"] = cores
    meminfo = {line.split(":")[0]: line.split(":")[1].strip() for line in _read("/proc/meminfo").splitlines()
               if ":" in line}
    if "MemTotal" in meminfo:
        info["Memory"] = f"{int(meminfo['MemTotal'].split()[0]) / 1024 ** 2:.1f} GiB"
    memory_max = _read("/sys/fs/cgroup/memory.max").strip()
    if memory_max and memory_max != "max":
        info["Memory"] = info.get("Memory", "?") + f" (cgroup limit {int(memory_max) / 1024 ** 3:.1f} GiB)"
    os_name = next((line.split("=", 1)[1].strip('"') for line in _read("/etc/os-release").splitlines()
                    if line.startswith("PRETTY_NAME=")), platform.system())
    info["OS"] = f"{os_name}, kernel {platform.release()}"
    info["Python"] = f"{platform.python_version()} ({platform.python_implementation()}, {sys.executable})"
    versions = []
    for package in ("pedro", "openpyxl", "pandas", "python-calamine", "numpy", "scipy", "statsmodels", "click",
                    "xlsxwriter"):
        versions.append(f"{package} {_version(package)}")
    info["Libraries"] = ", ".join(versions) + " (xlsxwriter: the generator only)"
    return info


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_state() -> str:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "--no-optional-locks", "-C", str(REPO), *args], capture_output=True,
                                  text=True, check=True).stdout.rstrip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD").strip()
    if not commit:
        return "not a git checkout"
    changed = git("status", "--porcelain", "--", "pedro", "rubrics", "setup.cfg", "pyproject.toml")
    if not changed:
        return f"commit {commit}, pedro clean"
    return f"commit {commit}, with uncommitted changes to: {', '.join(line[3:] for line in changed.splitlines())}"


def write_results(path: Path, results: list[SizeResult], context: dict, complete: bool,
                  small: SmallFile | None = None) -> None:
    lines = ["# Benchmark results (issues 6 and 18)", ""]
    if not complete:
        lines += ["**Partial: the run was still going or was stopped; the sizes below are those finished.**", ""]
    timeout = f"; runs stopped after {context['timeout']:g} s" if context["timeout"] else ""
    lines += [f"Measured {context['date']} with", "", "```sh", context["command"], "```", "",
              f"on {context['git']}"
              + (f" (at the end: {context['git_after']})" if context.get("git_after", context["git"]) != context["git"]
                 else "")
              + f". Repeats per size: {context['repeats']}{timeout}. Contenders alternate within "
              "each repeat, each a separate process (start-up and imports counted, as a user sees them). Times are "
              "wall-clock medians; CPU is user + system time of the process; peak memory is the largest peak RSS "
              "of the process over its runs, from os.wait4 (it includes the harness's own "
              f"{context['floor_mb']:.0f} MB at most, inherited at spawn). '>' marks a lower bound: a run stopped "
              f"at the timeout. Load average (1 / 5 / 15 min) {context['load_before']} before, "
              f"{context['load_after']} after{context['load_note']}.", "", "## Machine", ""]
    lines += [f"- **{key}**: {value}" for key, value in context["machine"].items()]
    fingerprints = {source for result in results for source in result.sources}
    if len(fingerprints) > 1:
        lines += ["", f"**pedro's source changed during this run** ({len(fingerprints)} versions were measured; each "
                  "size below gives the fingerprint of the pedro it ran): compare sizes with care."]
    lines += ["", "## Budgets (issue 18: at 10,000 and 60,000 trials, on both kinds of sheet)", "",
              "| sheet | budget | measured (wall) | CPU ratio | limit | result |", "|---|---|---:|---:|---:|---|"]
    for result in results:
        for budget in BUDGETS:
            if budget.limit(result.trials) is None:
                continue
            ratio, text = verdict(result, budget)
            cpu = result.ratio(budget, cpu=True)
            lines.append(f"| {result.title} | {budget.title} | {'-' if ratio is None else ratio.text() + 'x'} | "
                         f"{'-' if cpu is None else cpu.text() + 'x'} | {limit_text(budget, result.trials)}x | "
                         f"{text} |")
        if result.trials == BUDGET_TRIALS:
            for title, peak, text in memory_verdict(result):
                lines.append(f"| {result.title} | peak memory of `{title}` | {peak.text(',.0f')} MB | | "
                             f"<= 1,500 MB | {text} |")
    unmeasured = [n for n in (10_000, BUDGET_TRIALS) if not any(r.trials == n for r in results)]
    if unmeasured:
        lines += ["", f"Not measured in this run: {', '.join(f'{n:,}' for n in unmeasured)} trials "
                  "(`--large` adds 60,000)."]
    lines += ["", "## Medians per size", ""]
    for result in results:
        files = ", ".join(f"{size / 1e6:.2f} MB" for size in result.files.values())
        generated = (f", generated in {result.generate_seconds:.1f} s" if result.generate_seconds is not None
                     else ", reused from an earlier run")
        summary = "; ".join(result.pedro_summary.splitlines())
        changed = len(set(result.sources)) > 1
        lines += [f"### {result.title} ({len(next(iter(result.runs.values()), []))} repeat(s))", "",
                  f"Sheets A and B: {files}{generated}."
                  + (f" pedro's summary of sheet A: {summary}." if summary else "")
                  + (" **pedro's source changed during these repeats** (fingerprint per repeat: "
                     f"{', '.join(result.sources)}): the runs measure different versions." if changed else
                     f" pedro source fingerprint {result.sources[0] if result.sources else '-'}."), "",
                  "| contender | median s | runs (s) | CPU s (median) | peak RSS MB |", "|---|---:|---|---:|---:|"]
        for key, runs in result.runs.items():
            walls = ", ".join((">" if r.timed_out else "") + f"{r.wall:.2f}" for r in runs)
            lines.append(f"| {BY_KEY[key].title} | {result.median(key).text()} | {walls} | "
                         f"{result.cpu_median(key).text()} | {result.peak_mb(key).text(',.0f')} |")
        lines += ["", "| ratio of medians | wall | CPU | budget at this size | wall ratio against it |",
                  "|---|---:|---:|---:|---|"]
        for budget in BUDGETS:
            ratio, text = verdict(result, budget)
            cpu = result.ratio(budget, cpu=True)
            if ratio is not None:
                lines.append(f"| {budget.title} | {ratio.text()}x | {'-' if cpu is None else cpu.text() + 'x'} | "
                             f"{limit_text(budget, result.trials)} | {text} |")
        lines.append("")
    if small is not None:
        lines += small_file_lines(small)
    floor = HERE / "floor.md"  # the measured floor of a budget that is not met, and why (written by hand)
    if floor.exists():
        lines += [floor.read_text(encoding="utf-8").strip(), ""]
    lines += ["## Contenders", "", "A and B are the two assessors' sheets written by `benchmarks/generate.py`; OUT is "
              "a fresh file in the scratch folder, deleted after each run.", ""]
    for contender in CONTENDERS:
        argv = command_for(contender.key, Path("A.xlsx"), Path("B.xlsx"), Path("OUT.xlsx"))
        shown = [_short(arg) for arg in argv]
        lines.append(f"- **{contender.title}**: `{shlex.join(shown)}`")
    lines += ["", "See `benchmarks/README.md` for what each contender is and how to read the ratios.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _short(arg: str) -> str:
    for prefix, name in ((str(HERE) + os.sep, "benchmarks/"), (str(Path(sys.executable).parent) + os.sep, "")):
        if arg.startswith(prefix):
            return name + arg[len(prefix):]
    return "python" if arg == sys.executable else arg


# --------------------------------------------------------------------------- main


def parse_sizes(text: str) -> list[tuple[int, int | None]]:
    """'100,10000,60000x1' -> [(100, None), (10000, None), (60000, 1)]: 'xN' sets that size's repeats."""
    sizes = []
    for part in (p.strip().replace("_", "") for p in text.split(",")):
        if not part:
            continue
        count, _, repeats = part.partition("x")
        try:
            sizes.append((int(count), int(repeats) if repeats else None))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"--sizes takes numbers of trials separated by commas, each optionally followed by xREPEATS "
                f"(e.g. 100,10000,60000x1), not '{text}'") from None
    if not sizes or min(n for n, _ in sizes) < 1 or min(r or 1 for _, r in sizes) < 1:
        raise argparse.ArgumentTypeError("--sizes needs at least one size, each of 1 trial or more")
    return sizes


def load_note(before: tuple[float, ...], after: tuple[float, ...]) -> str:
    """A warning when other work competed for the cores: the run itself keeps about one core busy."""
    busiest = max(before[0], after[1])
    if busiest <= (os.cpu_count() or 1):
        return ""
    return (f": above the {os.cpu_count()} cores, other work shared the machine and the wall times are inflated "
            "(the contenders alternate so that it falls on all of them; the CPU ratios are less affected)")


def harness_peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES),
                        help=f"numbers of trials, comma-separated, each optionally with xREPEATS to override "
                             f"--repeats for that size, e.g. 100,10000,60000x1 (default {DEFAULT_SIZES})")
    parser.add_argument("--large", action="store_true", help="add 60,000 trials to --sizes (about ten minutes more "
                        "per kind of sheet, most of it the openpyxl and pandas baselines)")
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help="kinds of sheet (generate.py --kind): plain, findings (default both)")
    parser.add_argument("--no-small-file", action="store_true",
                        help="skip the start-up and import profile of the single small example sheet")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each contender per size (default 3)")
    parser.add_argument("--keep", action="store_true",
                        help="generate into benchmarks/data/ (git-ignored), keep the files and reuse them next time")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"generator seed (default {DEFAULT_SEED})")
    parser.add_argument("--groups", default="score,dry-run,compare",
                        help="which comparisons to run: score, dry-run, compare (default all)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"stop a run after this many seconds and report it as a lower bound; 0: never "
                             f"(default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md",
                        help="where to write the results (default benchmarks/RESULTS.md)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    groups = {g.strip() for g in args.groups.split(",") if g.strip()}
    if not groups <= {"score", "dry-run", "compare"}:
        parser.error("--groups takes score, dry-run and compare")
    keys = [c.key for c in CONTENDERS if c.group in groups]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if not kinds or not set(kinds) <= set(KINDS):
        parser.error(f"--kinds takes {', '.join(KINDS)}")
    sizes = args.sizes + ([(BUDGET_TRIALS, None)] if args.large and BUDGET_TRIALS not in dict(args.sizes) else [])
    try:
        import xlsxwriter  # noqa: F401  the generator needs it
    except ImportError:
        parser.error(f"the generator needs XlsxWriter: {sys.executable} -m pip install -r "
                     f"{HERE / 'requirements.txt'}")

    plan = [(trials, kind, repeats or args.repeats) for trials, repeats in sizes for kind in kinds]
    command = "python benchmarks/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    context = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "command": command.strip(),
               "git": f"{git_state()} (pedro source fingerprint {source_fingerprint()})",
               "repeats": ", ".join(f"{r} at {n:,} ({kind})" for n, kind, r in plan),
               "timeout": args.timeout, "machine": machine(), "floor_mb": harness_peak_mb(),
               "load_start": os.getloadavg(), "load_before": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
               "load_after": "?", "load_note": ""}
    print(f"pedro benchmarks: {context['repeats']} (repeats at trials); {context['git']}")
    for key, value in context["machine"].items():
        print(f"  {key}: {value}")
    if args.keep:
        folder = HERE / "data"
        folder.mkdir(exist_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="pedro-bench-"))
    results: list[SizeResult] = []
    small = None
    try:
        if not args.no_small_file:
            small = bench_small_file(args.repeats, folder)
            if small is not None:
                print("\n" + "\n".join(small_file_lines(small)[2:5]))
        for index, (trials, kind, repeats) in enumerate(plan):
            results.append(bench_size(trials, kind, repeats, keys, args.seed, folder, args.keep,
                                      args.timeout or None))
            print_size(results[-1])
            context["load_after"] = " / ".join(f"{v:.2f}" for v in os.getloadavg())
            context["load_note"] = load_note(context["load_start"], os.getloadavg())
            context["floor_mb"] = harness_peak_mb()
            context["git_after"] = f"{git_state()} (pedro source fingerprint {source_fingerprint()})"
            write_results(args.results, results, context, complete=index == len(plan) - 1, small=small)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nwrote {args.results} (the harness itself peaked at {harness_peak_mb():.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
