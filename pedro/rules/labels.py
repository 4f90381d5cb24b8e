"""Rules on trial labels: every row of answers must say which trial it rates."""

from ..text import fold_text
from .base import Rule

LABEL_NOTE = ("Each trial is rated once per assessor; PEDro's two-rater process matches ratings by trial, "
              "so every row needs a label that identifies one trial (PEDRO-NOTES 1.4)")


def check_duplicate_labels(ctx, rule):
    """Two or more rows with the same trial label (ignoring case and spacing)."""
    import pandas as pd

    studies = ctx.sheet.studies
    labelled = studies[studies["study"].notna()]
    # Beside a year column ('Study | Year'), the same label in two years is two trials ('Li et al.' 2012, 2022).
    years = labelled["year"].tolist() if "year" in labelled else [None] * len(labelled)
    folded = pd.Series([fold_text(label) + ("" if year is None else f" {year}")
                        for label, year in zip(labelled["study"].tolist(), years)], index=labelled.index, dtype=object)
    duplicated = labelled[folded.duplicated(keep=False)]
    first_rows = {}
    for i, key in folded[duplicated.index].items():
        first_rows.setdefault(key, []).append(int(studies.at[i, "row"]))
    rows = list(duplicated.index)
    others = [", ".join(str(r) for r in first_rows[folded[i]] if r != studies.at[i, "row"]) for i in rows]
    return ctx.trial_findings(rule, rows, ctx.role_cells("study", rows), duplicated["study"].tolist(),
                              other_rows=others)


def check_answers_without_label(ctx, rule):
    """A row with answers but no trial label."""
    studies = ctx.sheet.studies
    rows = list(studies.index[studies["study"].isna()])
    column = ctx.sheet.layout.role("study")
    cells = ctx.role_cells("study", rows) if column else [f"row {r}" for r in studies.loc[rows, "row"]]
    return ctx.trial_findings(rule, rows, cells, None, row_number=studies.loc[rows, "row"].tolist())


DUPLICATE_LABEL = Rule(
    id="PD701", name="duplicate-study-label", severity="error",
    message="{cell}: trial label '{value}' is also used in row(s) {other_rows}; give each trial a unique label",
    criterion=LABEL_NOTE, check=check_duplicate_labels)

ANSWERS_WITHOUT_LABEL = Rule(
    id="PD702", name="answers-without-label", severity="error",
    message="{cell}: row {row_number} has answers but no trial label; add the trial's label",
    criterion=LABEL_NOTE, check=check_answers_without_label)
