"""Rules on trial labels: every row of answers must say which trial it rates."""

from collections import Counter

from ..table import missing
from ..text import fold_texts
from .base import Rule, no_findings

LABEL_NOTE = ("Each trial is rated once per assessor; PEDro's two-rater process matches ratings by trial, "
              "so every row needs a label that identifies one trial (PEDRO-NOTES 1.4)")


def _unlabelled(ctx):
    """Per trial: whether it has no label (None or NaN), found once for PD701 and PD702."""
    return ctx.memo("unlabelled", lambda: missing(ctx.trial_column("study")))


def check_duplicate_labels(ctx, rule):
    """Two or more rows with the same trial label (ignoring case and spacing)."""
    import numpy as np

    study = ctx.trial_column("study")
    labelled = np.flatnonzero(~_unlabelled(ctx))
    folded = fold_texts(study[labelled].tolist())
    # Beside a year column ('Study | Year'), the same label in two years is two trials ('Li et al.' 2012, 2022).
    if "year" in ctx.sheet.study_table:
        years = ctx.trial_column("year")[labelled].tolist()
        folded = [label if year is None else f"{label} {year}" for label, year in zip(folded, years)]
    if len(set(folded)) == len(folded):  # every label once, as in most sheets: no need to count them
        return no_findings()
    used = Counter(folded)
    duplicated = [(i, key) for i, key in zip(labelled.tolist(), folded) if used[key] > 1]
    row = ctx.trial_column("row")
    rows_of = {}
    for i, key in duplicated:
        rows_of.setdefault(key, []).append(int(row[i]))
    rows = [i for i, _ in duplicated]
    others = [", ".join(str(r) for r in rows_of[key] if r != row[i]) for i, key in duplicated]
    return ctx.trial_findings(rule, rows, ctx.role_cells("study", rows), study[rows], other_rows=others)


def check_answers_without_label(ctx, rule):
    """A row with answers but no trial label."""
    import numpy as np

    rows = np.flatnonzero(_unlabelled(ctx))
    numbers = ctx.trial_column("row")[rows].tolist()
    cells = ctx.role_cells("study", rows) if ctx.sheet.layout.role("study") else [f"row {r}" for r in numbers]
    return ctx.trial_findings(rule, rows, cells, None, row_number=numbers)


DUPLICATE_LABEL = Rule(
    id="PD701", name="duplicate-study-label", severity="error",
    message="{cell}: trial label '{value}' is also used in row(s) {other_rows}; give each trial a unique label",
    criterion=LABEL_NOTE, check=check_duplicate_labels)

ANSWERS_WITHOUT_LABEL = Rule(
    id="PD702", name="answers-without-label", severity="error",
    message="{cell}: row {row_number} has answers but no trial label; add the trial's label",
    criterion=LABEL_NOTE, check=check_answers_without_label)
