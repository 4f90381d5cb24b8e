"""Rules on item 8 (adequate follow-up) against the numbers the sheet gives."""

from fractions import Fraction

from ..text import fold_text
from .base import Rule, no_findings

ITEM8_NOTE = ("PEDro item 8: measures of at least one key outcome obtained from more than 85% of the subjects "
              "initially allocated; satisfied only if the report states both numbers (exactly 85% fails)")


def _count(value, not_reported=()):
    """A whole, non-negative number of subjects, or None if blank or marked not
    reported ("NR"); ValueError if unreadable."""
    if value is None or (isinstance(value, str) and (not value.strip() or fold_text(value) in not_reported)):
        return None
    if isinstance(value, bool):
        raise ValueError
    number = float(str(value).strip()) if isinstance(value, str) else float(value)
    if not number.is_integer() or number < 0:
        raise ValueError
    return int(number)


def _counts(ctx):
    """Per study: (allocated, analysed, problem) where problem names unreadable input."""
    return ctx.memo("followup_counts", lambda: _read_counts(ctx))


def _read_counts(ctx):
    studies = ctx.sheet.studies
    not_reported = {fold_text(v) for v in ctx.params("followup").get("not_reported", [])}
    result = {}
    for i, allocated, analysed in zip(studies.index, studies["n_allocated"], studies["n_analysed"]):
        try:
            a, b = _count(allocated, not_reported), _count(analysed, not_reported)
        except ValueError:
            result[i] = (None, None, f"'{allocated}' allocated and '{analysed}' analysed are not both whole numbers")
            continue
        if a is not None and b is not None and (a == 0 or b > a):
            result[i] = (a, b, f"{b} analysed out of {a} allocated is impossible")
            continue
        result[i] = (a, b, None)
    return result


def _has_columns(ctx) -> bool:
    layout = ctx.sheet.layout
    return layout.role("n_allocated") is not None and layout.role("n_analysed") is not None


def _contradictions(ctx, rule, want):
    """Findings where the item-8 answer and the numbers disagree: ``want`` is
    "below" (answer Y, numbers show 85% or less) or "above" (answer N or ?,
    numbers show more than 85%)."""
    if not _has_columns(ctx):
        return no_findings()
    params = ctx.params("followup")
    item, threshold = params["item"], Fraction(str(params["threshold"]))
    answer = ctx.answer(item)
    answer_of = dict(zip(answer.index, answer.tolist()))
    rows, shares, counts = [], [], []
    for i, (allocated, analysed, problem) in _counts(ctx).items():
        if problem or allocated is None or analysed is None:
            continue
        satisfied = analysed * threshold.denominator > allocated * threshold.numerator
        if (want == "below" and answer_of[i] == "Y" and not satisfied) or (
                want == "above" and answer_of[i] in ("N", "?") and satisfied):
            rows.append(i)
            shares.append(f"{100 * analysed / allocated:.1f}%")
            counts.append(f"{analysed}/{allocated}")
    return ctx.trial_findings(rule, rows, ctx.item_cells(item, rows), answer.loc[rows].tolist(), item=item,
                              share=shares, counts=counts, threshold=f"{float(threshold):.0%}")


def check_followup_below_threshold(ctx, rule):
    """Item 8 "Y" although the numbers given show 85% or less of those allocated were followed up."""
    return _contradictions(ctx, rule, "below")


def check_followup_above_threshold(ctx, rule):
    """Item 8 "N" or "?" although the numbers given show more than 85% were followed up."""
    return _contradictions(ctx, rule, "above")


def check_followup_numbers_missing(ctx, rule):
    """Item 8 "Y" with the sheet's number allocated or number analysed left empty."""
    if not _has_columns(ctx):
        return no_findings()
    item = ctx.params("followup")["item"]
    answer = ctx.answer(item)
    answer_of = dict(zip(answer.index, answer.tolist()))
    rows = [i for i, (a, b, problem) in _counts(ctx).items()
            if not problem and answer_of[i] == "Y" and (a is None or b is None)]
    return ctx.trial_findings(rule, rows, ctx.item_cells(item, rows), "Y", item=item)


def check_followup_numbers_invalid(ctx, rule):
    """Numbers allocated / analysed that are not counts, or more analysed than allocated."""
    if not _has_columns(ctx):
        return no_findings()
    bad = {i: problem for i, (_, _, problem) in _counts(ctx).items() if problem}
    rows = list(bad)
    return ctx.trial_findings(rule, rows, ctx.role_cells("n_allocated", rows),
                              ctx.sheet.studies.loc[rows, "n_allocated"].tolist(), problem=list(bad.values()),
                              analysed_cell=ctx.role_cells("n_analysed", rows))


FOLLOWUP_BELOW = Rule(
    id="PD501", name="followup-not-above-85", severity="error",
    message="{cell}: item 8 is 'Y' but {counts} subjects ({share}) had the key outcome measured; PEDro needs "
            "more than {threshold} of those initially allocated, so item 8 should be 'N'",
    criterion=ITEM8_NOTE, check=check_followup_below_threshold)

FOLLOWUP_ABOVE = Rule(
    id="PD502", name="followup-above-85-rated-no", severity="warning",
    message="{cell}: item 8 is '{value}' but {counts} subjects ({share}) had the key outcome measured, more "
            "than {threshold} of those allocated; if these counts are stated in the report for a key outcome, "
            "item 8 should be 'Y'",
    criterion=ITEM8_NOTE, check=check_followup_above_threshold)

FOLLOWUP_NUMBERS_MISSING = Rule(
    id="PD503", name="followup-numbers-missing", severity="warning",
    message="{cell}: item 8 is 'Y' but the sheet does not give both the number allocated and the number "
            "analysed; PEDro awards item 8 only when the report states both",
    criterion=ITEM8_NOTE, check=check_followup_numbers_missing)

FOLLOWUP_NUMBERS_INVALID = Rule(
    id="PD504", name="followup-numbers-invalid", severity="error",
    message="{cell} and {analysed_cell}: {problem}; enter whole numbers of subjects",
    criterion=ITEM8_NOTE, check=check_followup_numbers_invalid)
