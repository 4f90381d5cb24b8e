"""Scoring many item sheets in one process (`pedro score A.xlsx B.xlsx`, or a folder)."""

from __future__ import annotations

from pathlib import Path

from . import jsonout
from .errors import InputError, OutputError, PedroError

SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".xls", ".ods")
# pedro's own outputs in a folder are not inputs to score again.
OUTPUT_MARKERS = (".audited.", ".disagreements.", ".consensus.")


def expand_inputs(inputs) -> list[Path]:
    """Files as given, and for a folder the item sheets directly inside it."""
    paths: list[Path] = []
    for given in inputs:
        given = Path(given)
        if given.is_dir():
            found = sorted(p for p in given.iterdir()
                           if p.is_file() and p.suffix.lower() in SHEET_SUFFIXES and not p.name.startswith(("~$", "."))
                           and not any(marker in p.name for marker in OUTPUT_MARKERS))
            if not found:
                raise InputError(f"folder {given} holds no item sheets (.xlsx, .xlsm, .csv, .xls, .ods)")
            paths.extend(found)
        else:
            paths.append(given)
    return paths


def score_many(paths: list[Path], output: Path | None, bands=None, sheet=None, rubric=None, as_json=False,
               dry_run=False, quiet=False, echo=print, echo_error=print) -> int:
    """Score each file; one that cannot be used is reported and the others go on.
    Exit status: 2 if any file could not be used, else 1 if any has error
    findings, else 0."""
    from .engine import score_file
    from .progress import for_job
    from .report import result_to_json, summary_text
    from .rubric import load_rubric
    from .sheets.audited import default_output, write_audited

    if output is not None and not output.is_dir():
        raise OutputError(f"with {len(paths)} inputs, -o must be an existing folder, not {output}")
    rubric = load_rubric(rubric)
    progress = for_job(paths, quiet)
    reports, status = [], 0
    for number, path in enumerate(paths, start=1):
        def step(stage, detail="", number=number):
            progress(f"[{number}/{len(paths)}] {stage}", detail)
        try:
            result = score_file(path, sheet=sheet, bands=bands, rubric=rubric, progress=step)
            target = output / default_output(path).name if output is not None else None
            written = None if dry_run else write_audited(result, target, progress=step)
        except PedroError as exc:
            progress.done()
            status = 2
            reports.append({"input": str(path), "error": str(exc)})
            echo_error(f"pedro: {exc}")
            continue
        progress.done()
        status = max(status, result.exit_status)
        if as_json:
            reports.append(result_to_json(result) | {"output": str(written) if written else None})
        else:
            echo(summary_text(result, written))
    progress.done()
    if as_json:
        echo(jsonout.dumps({"files": reports}))
    return status
