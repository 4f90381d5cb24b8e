"""The ``pedro`` command: thin click commands over the library.

This is the only module that imports click, and nothing imports it.  Each
command parses options and calls a library function.  Exit status: 0 clean,
1 when an error-severity finding remains, 2 when pedro could not run (one
sentence on stderr, no traceback).  Heavy libraries are imported inside the
commands so that ``pedro --help`` starts fast.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from . import __version__, jsonout
from .errors import PedroError

EXIT_COULD_NOT_RUN = 2


def reports_errors(command):
    """Turn PedroError into one line on stderr and exit status 2."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except PedroError as exc:
            click.echo(f"pedro: {exc}", err=True)
            sys.exit(EXIT_COULD_NOT_RUN)
        except KeyboardInterrupt:
            click.echo("pedro: interrupted; nothing was written", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug in pedro: say so plainly, keep the traceback for PEDRO_DEBUG
            if os.environ.get("PEDRO_DEBUG"):
                raise
            click.echo(f"pedro: internal error ({type(exc).__name__}: {exc}); nothing was written. This is a "
                       "bug in pedro: please report it with the input file (set PEDRO_DEBUG=1 for details)",
                       err=True)
            sys.exit(EXIT_COULD_NOT_RUN)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pedro")
def main():
    """Score PEDro item sheets, check their consistency, and write audited workbooks."""


@main.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Audited workbook to write (default: INPUT's name + .audited.xlsx, beside it); with several "
                   "inputs, a folder to write them into.")
@click.option("--bands", metavar="NAME", help="Band set for quality bands (see `pedro rubrics`).")
@click.option("--sheet", metavar="NAME", help="Sheet that holds the items (default: found automatically).")
@click.option("--rubric", metavar="NAME|FILE", help="Rubric name or TOML file (default: pedro).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report on stdout.")
@click.option("--dry-run", is_flag=True, help="Check and score, but write no workbook.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line on stderr.")
@reports_errors
def score(inputs, output, bands, sheet, rubric, as_json, dry_run, quiet):
    """Score item sheets (.xlsx, .xlsm, .csv, or a folder of them) and write audited workbooks."""
    from .batch import expand_inputs, score_many

    paths = expand_inputs(inputs)
    if len(paths) == 1 and not (output is not None and output.is_dir()):
        sys.exit(_score_one(paths[0], output, bands, sheet, rubric, as_json, dry_run, quiet))
    sys.exit(score_many(paths, output, bands=bands, sheet=sheet, rubric=rubric, as_json=as_json, dry_run=dry_run,
                        quiet=quiet, echo=click.echo, echo_error=lambda text: click.echo(text, err=True)))


def _score_one(path, output, bands, sheet, rubric, as_json, dry_run, quiet) -> int:
    from .engine import score_file
    from .progress import for_job
    from .report import result_to_json, summary_text
    from .sheets.audited import write_audited

    progress = for_job([path], quiet)
    try:
        result = score_file(path, sheet=sheet, bands=bands, rubric=rubric, progress=progress)
        written = None if dry_run else write_audited(result, output, progress=progress)
    finally:
        progress.done()
    if as_json:
        report = result_to_json(result)
        report["output"] = str(written) if written else None
        jsonout.echo(report)
    else:
        click.echo(summary_text(result, written))
    return result.exit_status


@main.command()
@click.argument("inputs", metavar="A B [C ...]", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Disagreement workbook to write (default: A's name + .disagreements.xlsx).")
@click.option("--names", metavar="A,B,...", help="Assessors' names, comma-separated, in the order of the files.")
@click.option("--bands", metavar="NAME", help="Band set for the band comparison (see `pedro rubrics`).")
@click.option("--sheet", metavar="NAME", help="Sheet that holds the items in every file.")
@click.option("--rubric", metavar="NAME|FILE", help="Rubric name or TOML file (default: pedro).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON on stdout.")
@click.option("--dry-run", is_flag=True, help="Compare, but write no workbook.")
@reports_errors
def compare(inputs, output, names, bands, sheet, rubric, as_json, dry_run):
    """Compare assessors' item sheets: disagreements and agreement statistics."""
    from .compare import compare_files, comparison_to_json, summary_text
    from .sheets.disagreements import write_disagreements

    name_list = [n.strip() for n in names.split(",")] if names else None
    comparison = compare_files(list(inputs), names=name_list, bands=bands, sheet=sheet, rubric=rubric)
    written = None if dry_run else write_disagreements(comparison, output)
    if as_json:
        report = comparison_to_json(comparison)
        report["output"] = str(written) if written else None
        jsonout.echo(report)
    else:
        click.echo(summary_text(comparison, written))


@main.command()
@click.argument("disagreements", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Consensus item sheet to write (default: <name>.consensus.xlsx beside the input).")
@click.option("--allow-unresolved", is_flag=True, help="Leave unresolved answers missing instead of refusing.")
@click.option("--by", metavar="NAME", help="Who resolved the disagreements (default: the login name); a "
                                            "'Resolved by' cell overrides it per row.")
@click.option("--rubric", metavar="NAME|FILE", help="Rubric name or TOML file (default: pedro).")
@reports_errors
def consensus(disagreements, output, allow_unresolved, by, rubric):
    """Merge a resolved disagreement workbook into a consensus item sheet."""
    from .consensus import read_consensus, write_consensus

    merged = read_consensus(disagreements, allow_unresolved=allow_unresolved, by=by, rubric=rubric)
    written = write_consensus(merged, output)
    unresolved = f"; {len(merged.unresolved)} left missing (--allow-unresolved)" if merged.unresolved else ""
    click.echo(f"{len(merged.studies)} trial(s), {len(merged.resolutions)} resolution(s) merged{unresolved}; "
               f"wrote {written}\nnext: pedro score {written}")


@main.command()
@click.argument("audited", type=click.Path(path_type=Path))
@click.option("--bands", "band_names", metavar="NAME", multiple=True,
              help="Band set(s) to show (repeat the option; default: every band set of the rubric).")
@click.option("--json", "as_json", is_flag=True, help="Print the audit as JSON on stdout.")
@reports_errors
def audit(audited, band_names, as_json):
    """Verify an audited workbook: totals and bands, the change-log chain, edits after scoring."""
    from .verify import report_text, verify_workbook

    report = verify_workbook(audited, list(band_names) or None)
    if as_json:
        jsonout.echo(report)
    else:
        click.echo(report_text(report))
    sys.exit(0 if report["ok"] else 1)


@main.command("plot")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Figure to write: .png, .svg or .pdf.")
@click.option("--kind", type=click.Choice(["traffic-light", "summary", "bands"]), default="traffic-light",
              show_default=True, help="Traffic light per trial, share per item, or band distribution.")
@click.option("--bands", metavar="NAME", help="Band set (see `pedro rubrics`).")
@click.option("--sheet", metavar="NAME", help="Sheet that holds the items.")
@reports_errors
def plot_command(input_path, output, kind, bands, sheet):
    """Draw a figure from an item sheet or an audited workbook."""
    from .engine import score_file
    from .plot import plot

    written = plot(score_file(input_path, sheet=sheet, bands=bands), output, kind)
    click.echo(f"wrote {written}")


@main.command()
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--studies", type=click.Path(path_type=Path),
              help="Text or CSV file with one trial label per line (first column).")
@click.option("--rubric", metavar="NAME|FILE", help="Rubric name or TOML file (default: pedro).")
@reports_errors
def template(output, studies, rubric):
    """Write a blank item sheet for an assessor to fill in."""
    from .rubric import load_rubric
    from .sheets.template import read_study_list, write_template

    labels = read_study_list(studies) if studies else []
    written = write_template(output, load_rubric(rubric), labels)
    click.echo(f"wrote {written} ({len(labels)} trial(s) listed)")


@main.command()
@click.option("--rubric", metavar="NAME|FILE", help="Rubric name or TOML file (default: pedro).")
@click.option("--markdown", is_flag=True, help="Print the catalogue as a Markdown table.")
@reports_errors
def rules(rubric, markdown):
    """List the consistency rules: id, severity, what each checks and its PEDro source."""
    from .catalogue import rules_markdown, rules_text

    click.echo(rules_markdown() if markdown else rules_text())


@main.command()
@click.option("--markdown", is_flag=True, help="Print the band sets as a Markdown table.")
@reports_errors
def rubrics(markdown):
    """List the rubrics and their band sets, with sources."""
    from .catalogue import rubrics_markdown, rubrics_text

    click.echo(rubrics_markdown() if markdown else rubrics_text())


if __name__ == "__main__":  # pragma: no cover
    main()
