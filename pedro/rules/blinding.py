"""Rules on blinding (items 5 and 6)."""

from ..table import Table
from .base import FINDING_COLUMNS, Rule, no_findings

BLINDING_NOTE = ("PEDro items 5-6 note: subjects and therapists are blind only if they could be expected to "
                 "have been unable to distinguish between the treatments applied to different groups")


def check_blinding_claimed(ctx, rule):
    """Item 5 or 6 "Y": blinding subjects or therapists is rarely possible in exercise and other
    non-disguisable interventions, so the rating deserves a second look."""
    import numpy as np

    frames = []
    for item in ctx.params("blinding")["items"]:
        rows = np.flatnonzero(ctx.answer_is(item, "Y"))
        who = "subjects" if item == 5 else "therapists"
        frames.append(ctx.trial_findings(rule, rows, ctx.item_cells(item, rows), "Y", item=item, who=who))
    frames = [f for f in frames if len(f)]
    return Table.concat(frames, FINDING_COLUMNS) if frames else no_findings()


BLINDING_CLAIMED = Rule(
    id="PD401", name="blinding-claimed", severity="advisory",
    message="{cell}: {word} {item} says all {who} were blind; in exercise and other non-disguisable "
            "interventions this is rarely possible; confirm the {who} could not tell the treatments apart",
    criterion=BLINDING_NOTE, check=check_blinding_claimed, parameters=("blinding",),
    summary_template='{Word} {blinding} "Y": blinding subjects or therapists is rarely possible in exercise and other')
