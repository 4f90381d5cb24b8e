"""`pedro score` on one item sheet, several, or a folder of them: one path for all.

Each file is scored and written in turn.  With one input, ``-o`` names the
audited workbook and a file that cannot be used stops the run; with several,
``-o`` is a folder, a file that cannot be used is reported and the others go
on, and the run ends with a tally of the files (scored, with errors,
unreadable and why), on the terminal and in the JSON report, which lists
every file.
"""

from __future__ import annotations

from pathlib import Path

from .engine import continue_history, score_file
from .errors import InputError, OutputError, PedroError
from .progress import for_job
from .report import file_error_text, result_to_json, skipped_text, summary_text, tally_dict, tally_text
from .rubric import load_rubric
from .runtime import leave

SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".xls", ".ods")
# pedro's own outputs in a folder are not inputs to score again.
OUTPUT_MARKERS = (".audited.", ".disagreements.", ".consensus.")
EXIT_UNUSABLE = 2  # a file that could not be used; the worst exit status of a run


class Inputs(list):
    """The files to score (a list of Paths), and ``skipped``: the other files of the folders given,
    each with why (not a sheet, pedro's own output), for the tally to name."""

    skipped: list[tuple[Path, str]]


def expand_inputs(inputs) -> Inputs:
    """Files as given, and for a folder the item sheets directly inside it; its other files are
    listed in ``skipped``, except hidden files and Office's lock files ("~$..."), which nobody scores."""
    paths, paths.skipped = Inputs(), []
    for given in inputs:
        given = Path(given)
        if not given.is_dir():
            paths.append(given)
            continue
        found = []
        for path in sorted(p for p in given.iterdir() if p.is_file() and not p.name.startswith(("~$", "."))):
            if path.suffix.lower() not in SHEET_SUFFIXES:
                paths.skipped.append((path, "not a sheet"))
            elif any(marker in path.name for marker in OUTPUT_MARKERS):
                paths.skipped.append((path, "pedro's output"))
            else:
                found.append(path)
        if not found:
            raise InputError(f"folder {given} holds no item sheets (.xlsx, .xlsm, .csv, .xls, .ods)")
        paths.extend(found)
    return paths


def score_many(paths: list[Path], output: Path | None, bands=None, sheet=None, rubric=None, as_json=False,
               writer=None, quiet=False, echo=print, echo_json=print, echo_error=print, debug=False) -> int:
    """Score each file and write its audited workbook with ``writer`` (the module
    ``pedro.write.audited``; None for a dry run, which then does not import the
    writing modules: 15 ms of a 10,000-trial dry run, issue 18);
    tell ``echo`` each summary, or ``echo_json`` the JSON report.  With
    several files, one that cannot be used (or that trips a bug in pedro,
    unless ``debug``) is told to ``echo_error`` and the others go on, and a
    tally ends the report.  Exit status, the worst of the files': 2 if a file
    could not be used, else 1 if any has error findings, else 0."""
    single = len(paths) == 1 and not (output is not None and output.is_dir())
    if not single and output is not None and not output.is_dir():
        raise OutputError(f"with {len(paths)} inputs, -o must be an existing folder, not {output}")
    rubric = load_rubric(rubric)
    progress = for_job(paths, quiet)
    reports, outcomes = [], []
    for number, path in enumerate(paths, start=1):
        def step(stage, detail="", number=number):
            progress(stage if single else f"[{number}/{len(paths)}] {stage}", detail)
        failure, not_carried_over, written = None, [], None
        try:
            result = score_file(path, sheet=sheet, bands=bands, rubric=rubric, progress=step)
            if writer is not None:
                target = output if single or output is None else output / writer.default_output(path).name
                # before the summary, so it can say what of the history goes on
                result = continue_history(result, target or writer.default_output(path))
                written = writer.write_audited(result, target, progress=step, warn=not_carried_over.append)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            failure = exc
        finally:
            progress.done()  # before anything is printed, so no message lands on the progress line
        for sentence in not_carried_over:  # what of the input the audited workbook could not keep
            echo_error(f"pedro: {sentence}")
        if failure is not None:
            is_bug = not isinstance(failure, PedroError)
            if single or (is_bug and debug):
                raise failure
            outcome = {"input": str(path), "error": file_error_text(path, failure, is_bug),
                       "exit_status": EXIT_UNUSABLE}
            echo_error(f"pedro: {outcome['error']}")
            outcomes.append(outcome)
            reports.append(outcome)
            continue
        outcomes.append({"input": str(path), "exit_status": result.exit_status, "errors": result.counts["error"]})
        if as_json:
            # One file's trials are written as they are made (jsonout.Chunks); several files' are kept for the tally.
            reports.append(result_to_json(result, streamed=single) | {"output": str(written) if written else None})
        else:
            echo(summary_text(result, written))
    skipped = [(str(path), why) for path, why in getattr(paths, "skipped", ())]
    tally = None if single else tally_dict(outcomes, skipped)
    if as_json:
        echo_json(reports[0] if single else {"files": reports, "tally": tally})
    elif tally is not None:
        echo(tally_text(tally))
    elif skipped:  # one sheet in the folder: no tally, but its other files are still named
        echo(skipped_text(skipped))
    status = max(outcome["exit_status"] for outcome in outcomes)
    leave(status)  # the command ends here, its results unfreed; called from Python, this returns
    return status
