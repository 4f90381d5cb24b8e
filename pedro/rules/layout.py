"""Sheet-level notes from reading the layout."""

from .base import Rule, no_findings


def check_header_conflicts(ctx, rule):
    """A header whose item number and item name disagree (the name is used)."""
    import pandas as pd

    notes = ctx.sheet.layout.notes
    if not notes:
        return no_findings()
    return pd.concat([ctx.sheet_finding(rule, cell=cell, detail=text) for cell, text in notes], ignore_index=True)


def check_skipped_rows(ctx, rule):
    """A row under the header that was not read as a trial (a summary row such as 'Mean')."""
    import pandas as pd

    if not ctx.sheet.skipped:
        return no_findings()
    column = ctx.sheet.layout.role("study")
    return pd.concat([ctx.sheet_finding(rule, cell=f"{column.letter}{row}" if column else f"row {row}", detail=why)
                      for row, why in ctx.sheet.skipped], ignore_index=True)


HEADER_CONFLICT = Rule(
    id="PD801", name="header-number-name-conflict", severity="warning",
    message="{cell}: {detail}; check the columns were not renumbered after item 1 was dropped",
    criterion="Map columns by label, not position: sheets that omit item 1 often renumber items 1-10 "
              "(PEDRO-NOTES 4.14)",
    check=check_header_conflicts, scope="sheet")

SKIPPED_ROW = Rule(
    id="PD802", name="row-not-a-trial", severity="advisory",
    message="{cell}: {detail}; it is not scored",
    criterion="One row per trial; summary rows under the table are not trials (PEDRO-NOTES 4.14)",
    check=check_skipped_rows, scope="sheet")
