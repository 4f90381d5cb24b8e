"""Rules on the evidence columns (a quote or page supporting an answer)."""

from ..normalise import blank
from .base import Rule

EVIDENCE_NOTE = ("PEDro general rule: points are only awarded when a criterion is clearly satisfied on a "
                 "literal reading of the report, so a 'Y' should point to the text that satisfies it")


def check_yes_without_evidence(ctx, rule):
    """A "Y" on an item whose evidence column is present but empty for that trial."""
    import numpy as np

    layout = ctx.sheet.layout
    items = [i for i in ctx.params("evidence")["items"] if i in layout.evidence]
    yes = ctx.in_reading_order(ctx.answers_are(items, "Y"))
    without = np.zeros(len(ctx.sheet.answer_table), dtype=bool)
    without[yes[blank(ctx.answer_column("evidence")[yes])]] = True
    subset = ctx.answers_where(without)
    item, row = subset["item"], subset["row"]
    # The evidence cells column by column, as the answers' cells are made: a call per finding cost 17 ms of
    # 190 at 60,000 trials.
    evidence_cells = np.empty(len(subset), dtype=object)
    for number in np.unique(item).tolist():
        at = item == number
        evidence_cells[at] = layout.cells(layout.evidence[number], row[at].tolist())
    return ctx.trial_findings(rule, subset["study_index"], ctx.sheet.cells_of(subset["position"]), subset["raw"],
                              item=subset["item"], evidence_cell=evidence_cells)


YES_WITHOUT_EVIDENCE = Rule(
    id="PD601", name="yes-without-evidence", severity="warning",
    message="{cell}: {word} {item} is 'Y' but its evidence cell {evidence_cell} is empty; quote or cite the "
            "text of the report that satisfies the criterion",
    criterion=EVIDENCE_NOTE, check=check_yes_without_evidence,
    parameters=("evidence",), cites="evidence",
    summary_template='A "Y" on {a_word} whose evidence column is present but empty for that trial.')
