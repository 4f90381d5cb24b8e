"""Rules on the evidence columns (a quote or page supporting an answer)."""

from ..normalise import present
from .base import Rule

EVIDENCE_NOTE = ("PEDro general rule: points are only awarded when a criterion is clearly satisfied on a "
                 "literal reading of the report, so a 'Y' should point to the text that satisfies it")


def check_yes_without_evidence(ctx, rule):
    """A "Y" on an item whose evidence column is present but empty for that trial."""
    import numpy as np

    answers = ctx.sheet.answers
    items = [i for i in ctx.params("evidence")["items"] if i in ctx.sheet.layout.evidence]
    yes = np.flatnonzero(answers["item"].isin(items).to_numpy() & (answers["answer"].to_numpy() == "Y"))
    subset = answers.iloc[yes[~present(answers["evidence"].to_numpy()[yes])]]
    layout = ctx.sheet.layout
    evidence_cells = [layout.cell(layout.evidence[i].index, r) for i, r in zip(subset["item"], subset["row"])]
    return ctx.trial_findings(rule, subset["study_index"], ctx.sheet.cells_of(subset), subset["raw"],
                              item=subset["item"], evidence_cell=evidence_cells)


YES_WITHOUT_EVIDENCE = Rule(
    id="PD601", name="yes-without-evidence", severity="warning",
    message="{cell}: {word} {item} is 'Y' but its evidence cell {evidence_cell} is empty; quote or cite the "
            "text of the report that satisfies the criterion",
    criterion=EVIDENCE_NOTE, check=check_yes_without_evidence,
    parameters=("evidence",), cites="evidence",
    summary_template='A "Y" on {a_word} whose evidence column is present but empty for that trial.')
