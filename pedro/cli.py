"""The ``pedro`` command: thin click commands over the library.

This is the only module that imports click, and nothing imports it.  Each
command parses options and calls a library function.  Exit status: 0 clean,
1 when an error-severity finding remains, 2 when pedro could not run (one
sentence on stderr, no traceback).  Each command imports the library it calls
when it runs, so that ``pedro --help`` starts fast (it would otherwise import
pandas, numpy and openpyxl through the engine).
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from . import __version__
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
        except BrokenPipeError:  # the reader (head, less) stopped reading: not a bug, nothing to say
            # Python would complain again when it flushes stdout at exit: point stdout at nothing first.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)  # as a shell reports a command ended by SIGPIPE
        except Exception as exc:  # a bug in pedro: say so plainly, keep the traceback for PEDRO_DEBUG
            if debugging():
                raise
            from .report import internal_error_text

            click.echo(f"pedro: {internal_error_text(exc)}", err=True)
            sys.exit(EXIT_COULD_NOT_RUN)
    return wrapper


def debugging() -> bool:
    """PEDRO_DEBUG set: let a bug in pedro raise with its traceback."""
    return bool(os.environ.get("PEDRO_DEBUG"))


# The options that several commands take, defined once.
_OPTIONS = {
    "bands": lambda: click.option("--bands", metavar="NAME", help="Band set for quality bands (see `pedro rubrics`)."),
    "sheet": lambda: click.option("--sheet", metavar="NAME",
                                  help="Sheet that holds the items (default: found automatically)."),
    "rubric": lambda: click.option("--rubric", metavar="NAME|FILE", help="Rubric name or TOML file (default: pedro)."),
    "json": lambda: click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout."),
    "dry_run": lambda: click.option("--dry-run", is_flag=True, help="Do the work, but write no workbook."),
}


def options(*names: str):
    """Add the shared options ``names`` (keys of _OPTIONS) to a command, in that order."""
    def decorate(command):
        for name in reversed(names):
            command = _OPTIONS[name]()(command)
        return command
    return decorate


def echo_json(report) -> None:
    """Print ``report`` on stdout as UTF-8 JSON and a newline, as bytes (see jsonout.echo)."""
    from .jsonout import echo

    echo(report)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pedro")
def main():
    """Score PEDro item sheets, check their consistency, and write audited workbooks."""


@main.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Audited workbook to write (default: INPUT's name + .audited.xlsx, beside it); with several "
                   "inputs, a folder to write them into.")
@options("bands", "sheet", "rubric", "json", "dry_run")
@click.option("-q", "--quiet", is_flag=True, help="No progress line on stderr.")
@reports_errors
def score(inputs, output, bands, sheet, rubric, as_json, dry_run, quiet):
    """Score item sheets (.xlsx, .xlsm, .csv, or a folder of them) and write audited workbooks."""
    from .batch import expand_inputs, score_many

    writer = None
    if not dry_run:  # a dry run writes nothing: the writing modules are not imported
        from .write import audited as writer
    sys.exit(score_many(expand_inputs(inputs), output, bands=bands, sheet=sheet, rubric=rubric, as_json=as_json,
                        writer=writer, quiet=quiet, echo=click.echo, echo_json=echo_json,
                        echo_error=lambda text: click.echo(text, err=True), debug=debugging()))


@main.command()
@click.argument("inputs", metavar="A B [C ...]", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Disagreement workbook to write (default: A's name + .disagreements.xlsx).")
@click.option("--names", metavar="A,B,...", help="Assessors' names, comma-separated, in the order of the files.")
@click.option("--complete-cases", is_flag=True,
              help="Fleiss' and Conger's kappa, Brennan-Prediger and AC1/AC2 (3+ assessors) only on trials "
                   "every assessor answered (default: Gwet's missing-data method keeps the others).")
@click.option("--ci", "ci", type=click.Choice(["z", "t"]), default="z", show_default=True,
              help="95% intervals of the coefficients: normal quantile (z) or Student's t with n-1 df, "
                   "as R irrCAC prints them, upper bound clipped at 1 (t).")
@options("bands", "sheet", "rubric", "json", "dry_run")
@reports_errors
def compare(inputs, output, names, complete_cases, ci, bands, sheet, rubric, as_json, dry_run):
    """Compare assessors' item sheets: disagreements and agreement statistics."""
    from .compare import compare_files
    from .report import comparison_text, comparison_to_json
    from .runtime import leave

    name_list = [n.strip() for n in names.split(",")] if names else None
    comparison = compare_files(list(inputs), names=name_list, bands=bands, sheet=sheet, rubric=rubric,
                               complete_cases=complete_cases, ci=ci)
    written = None
    if not dry_run:  # as `score`: a dry run does not import the writing modules
        from .write.disagreements import write_disagreements

        written = write_disagreements(comparison, output)
    if as_json:
        echo_json(comparison_to_json(comparison) | {"output": str(written) if written else None})
    else:
        click.echo(comparison_text(comparison, written))
    leave(0)  # the command ends here, its results unfreed (as `score` does); called from Python, this returns


# `audit` and `consensus` read the rubric from the workbook's Provenance; only a user's own file is given again.
RECORDED_RUBRIC_HELP = ("The rubric TOML file the workbook was scored with, where pedro does not ship it "
                        "(default: the rubric its Provenance names).")


@main.command()
@click.argument("disagreements", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Consensus item sheet to write (default: <name>.consensus.xlsx beside the input).")
@click.option("--allow-unresolved", is_flag=True, help="Leave unresolved answers missing instead of refusing.")
@click.option("--by", metavar="NAME", help="Who resolved the disagreements (default: the login name); a "
                                            "'Resolved by' cell overrides it per row.")
@click.option("--rubric", metavar="NAME|FILE", help=RECORDED_RUBRIC_HELP)
@reports_errors
def consensus(disagreements, output, allow_unresolved, by, rubric):
    """Merge a resolved disagreement workbook into a consensus item sheet."""
    from .consensus import read_consensus
    from .report import consensus_text
    from .write.consensus import write_consensus

    merged = read_consensus(disagreements, allow_unresolved=allow_unresolved, by=by, rubric=rubric)
    click.echo(consensus_text(merged, write_consensus(merged, output)))


@main.command()
@click.argument("audited", type=click.Path(path_type=Path))
@click.option("--bands", "band_names", metavar="NAME", multiple=True,
              help="Band set(s) to show (repeat the option; default: every band set of the rubric).")
@click.option("--rubric", metavar="NAME|FILE", help=RECORDED_RUBRIC_HELP)
@options("json")
@reports_errors
def audit(audited, band_names, rubric, as_json):
    """Verify an audited workbook: totals and bands, the change-log chain, edits after scoring."""
    from .audit.verify import verify_workbook
    from .report import audit_text

    report = verify_workbook(audited, list(band_names) or None, rubric=rubric)
    if as_json:
        echo_json(report)
    else:
        click.echo(audit_text(report))
    sys.exit(0 if report["ok"] else 1)


@main.command("plot")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Figure to write: .png, .svg or .pdf.")
@click.option("--kind", type=click.Choice(["traffic-light", "summary", "bands"]), default="traffic-light",
              show_default=True, help="Traffic light per trial, share per item, or band distribution.")
@options("bands", "sheet", "rubric")
@reports_errors
def plot_command(input_path, output, kind, bands, sheet, rubric):
    """Draw a figure from an item sheet or an audited workbook (with the rubric it was scored with)."""
    from .plot import plot, scored_input

    written = plot(scored_input(input_path, sheet=sheet, bands=bands, rubric=rubric), output, kind)
    click.echo(f"wrote {written}")


@main.command()
@click.argument("inputs", metavar="INPUT [INPUT ...]", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The HTML report to write (one self-contained file).")
@click.option("--title", metavar="TEXT", help="The page's title (default: names the inputs).")
@options("bands", "sheet", "rubric")
@reports_errors
def report(inputs, output, title, bands, sheet, rubric):
    """Write one self-contained HTML page for editors: verdict, trials, findings, figures, agreement.

    An audited workbook is read with the rubric it was scored with (--rubric must name the same one).
    Exit status: 0 the report was written; 1 it was written, but an audited workbook failed its audit (as
    `pedro audit` exits 1; the page says what failed); 2 nothing was written (an input could not be used,
    the same file was given twice, or --rubric differs from the rubric a workbook was scored with).
    """
    from .page import write_report

    written, page = write_report(list(inputs), output, bands=bands, title=title, sheet=sheet, rubric=rubric)
    verdicts = "; ".join(f"{i.path.name}: {i.verdict.headline}" for i in page.inputs)
    click.echo(f"{verdicts}\nwrote {written}")
    sys.exit(1 if page.failed else 0)


@main.command()
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--studies", type=click.Path(path_type=Path),
              help="Text or CSV file with one trial label per line (first column).")
@options("rubric")
@reports_errors
def template(output, studies, rubric):
    """Write a blank item sheet for an assessor to fill in."""
    from .rubric import load_rubric
    from .sheets.study_list import read_study_list
    from .write.template import write_template

    labels = read_study_list(studies) if studies else []
    written = write_template(output, load_rubric(rubric), labels)
    click.echo(f"wrote {written} ({len(labels)} trial(s) listed)")


@main.command()
@options("rubric")
@click.option("--markdown", is_flag=True, help="Print the catalogue as a Markdown table.")
@reports_errors
def rules(rubric, markdown):
    """List the consistency rules: id, severity, what each checks, its PEDro source, and the rubric's parameters."""
    from .catalogue import rules_markdown, rules_text
    from .rubric import load_rubric

    loaded = load_rubric(rubric)
    click.echo(rules_markdown(loaded) if markdown else rules_text(loaded))


@main.command()
@click.option("--markdown", is_flag=True, help="Print the band sets as a Markdown table.")
@reports_errors
def rubrics(markdown):
    """List the rubrics and their band sets, with sources."""
    from .catalogue import rubrics_markdown, rubrics_text

    click.echo(rubrics_markdown() if markdown else rubrics_text())


@main.command("export")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--to", "to", metavar="robvis|csv", required=True,
              help="robvis: the table robvis's Generic template reads (Study, one column per item, Overall, "
                   "Weight); csv: a tidy table, one row per trial per item.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="CSV file to write (default: INPUT's name + .robvis.csv or .tidy.csv, beside it).")
@click.option("--judgements", metavar="MAP",
              help="robvis judgement per answer, from Low, Unclear, High, No information; default "
                   "'Y=Low,N=High,?=Unclear,partial=Unclear,missing=No information'.")
@click.option("--overall", metavar="MAP",
              help="robvis judgement per band, e.g. 'poor=High,fair=Unclear,good=Low,excellent=Low' "
                   "(default: lowest band High, upper half Low, others Unclear). The Overall column is always "
                   "written: in R pass overall = TRUE to rob_traffic_light (its default) and to rob_summary.")
@click.option("--weight", metavar="COLUMN", help="Item-sheet column holding each trial's weight (default: 1).")
@click.option("--all-items", is_flag=True, help="Also the items that do not count towards the total (PEDro item 1).")
@click.option("--assessor", metavar="NAME",
              help="Assessor for the tidy table (default: the one the workbook records, else NA).")
@click.option("--excel-safe", is_flag=True,
              help="Put an apostrophe before text Excel would run as a formula (=, +, -, @ first), for a file "
                   "to open in Excel; R and pandas want the labels as they are (the default).")
@click.option("--unverified", is_flag=True,
              help="Export an audited workbook that does not verify, as its cells are now.")
@options("bands", "sheet", "rubric")
@reports_errors
def export_command(input_path, to, output, judgements, overall, weight, all_items, assessor, excel_safe, unverified,
                   bands, sheet, rubric):
    """Export ratings for robvis or as a tidy CSV table, from an audited workbook or an item sheet."""
    from .export import export_file, robvis_options

    shaped = any((judgements, overall, weight, all_items))
    written = export_file(input_path, to, output, sheet=sheet, rubric=rubric, bands=bands, unverified=unverified,
                          robvis=robvis_options(judgements, overall, weight, all_items) if shaped else None,
                          assessor=assessor, excel_safe=excel_safe)
    how = ("a plain item sheet, nothing to verify" if written.verified is None else
           "verified as scored" if written.verified else f"NOT verified: {written.problem}")
    errors = (f"; {written.errors} error finding(s) open (run pedro score to see them): an answer pedro could not "
              "read is exported as missing") if written.errors else ""
    click.echo(f"wrote {written.output} ({written.trials} trial(s), {len(written.header)} column(s); {how}){errors}")
    for note in written.notes:
        click.echo(f"note: {note}")


if __name__ == "__main__":  # pragma: no cover
    main()
