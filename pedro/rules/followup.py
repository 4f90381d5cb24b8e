"""Rules on item 8 (adequate follow-up) against the numbers the sheet gives."""

from fractions import Fraction
from typing import NamedTuple

from ..normalise import distinct_values
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


class Counts(NamedTuple):
    """Per study, the numbers of item 8 as read (``_counts``): the counts (None where blank or not reported),
    ``problem`` naming unreadable or impossible input (None elsewhere), and as boolean arrays, so that no rule
    asks pandas which of them is None again (pd.notna on these arrays was 13 of the 90 ms of PD501 and PD502
    at 60,000 trials): ``given`` (both counts read), ``bad`` (a problem), ``usable`` (given, no problem)."""
    allocated: object
    analysed: object
    problem: object
    given: object
    bad: object
    usable: object
    # (allocated, analysed) as int64 arrays (0 where there is no count) and the largest count, for arithmetic at
    # C speed; None where a count does not fit in int64 (arithmetic on the Python ints in object arrays took 6
    # of PD501's 26 ms at 60,000 trials).
    whole: tuple | None = None


def _counts(ctx) -> Counts:
    """The numbers of item 8, computed once per check run, each distinct value read once."""
    return ctx.memo("followup_counts", lambda: _read_counts(ctx))


def _read_counts(ctx) -> Counts:
    import numpy as np

    not_reported = {fold_text(v) for v in ctx.params("followup").get("not_reported", [])}
    allocated_raw, analysed_raw = ctx.trial_column("n_allocated"), ctx.trial_column("n_analysed")
    allocated, allocated_known, allocated_unreadable, allocated_error, allocated_whole = _read_column(
        allocated_raw, not_reported)
    analysed, analysed_known, analysed_unreadable, analysed_error, analysed_whole = _read_column(
        analysed_raw, not_reported)
    # A value that is not even a number or text (a date) fails as it always has, at the first row it reaches.
    if allocated_error is not None or analysed_error is not None:  # (None: no value of the column has one)
        none = np.full(len(allocated_raw), None, dtype=object)
        allocated_error = none if allocated_error is None else allocated_error
        analysed_error = none if analysed_error is None else analysed_error
        failed = np.not_equal(allocated_error, None) | (~allocated_unreadable & np.not_equal(analysed_error, None))
        if failed.any():
            first = int(np.flatnonzero(failed)[0])
            raise allocated_error[first] if allocated_error[first] is not None else analysed_error[first]
    problem = np.full(len(allocated_raw), None, dtype=object)
    unreadable = allocated_unreadable | analysed_unreadable
    for i in np.flatnonzero(unreadable).tolist():
        problem[i] = (f"'{allocated_raw[i]}' allocated and '{analysed_raw[i]}' analysed are not both "
                      "whole numbers")
    given = allocated_known & analysed_known
    impossible = ~unreadable & given
    whole = None
    if allocated_whole is not None and analysed_whole is not None:
        whole = allocated_whole[0], analysed_whole[0], max(allocated_whole[1], analysed_whole[1])
    numbers = whole[:2] if whole is not None else (allocated, analysed)
    impossible[impossible] = (numbers[0][impossible] == 0) | (numbers[1][impossible] > numbers[0][impossible])
    for i in np.flatnonzero(impossible).tolist():
        problem[i] = f"{analysed[i]} analysed out of {allocated[i]} allocated is impossible"
    bad = unreadable | impossible
    return Counts(allocated, analysed, problem, given, bad, given & ~bad, whole)


def _read_column(values, not_reported):
    """(counts, known, unreadable, errors, whole) per value: the count (None if blank
    or not reported), whether there is one, whether the value is not a count,
    and any other error reading it (None where no value has one); ``whole`` is
    (the counts as int64, 0 where there is none; the largest), None where a count
    does not fit in int64.  Each distinct value is read once."""
    import numpy as np

    codes, distinct = distinct_values(values)
    counts, unreadable, errors = [], [], []
    for value in distinct:
        count, bad, error = None, False, None
        try:
            count = _count(value, not_reported)
        except ValueError:
            bad = True
        except Exception as exc:  # raised by _read_counts, where a row needs the value
            error = exc
        counts.append(count)
        unreadable.append(bad)
        errors.append(error)
    largest = max((c for c in counts if c is not None), default=0)
    return (np.array(counts, dtype=object)[codes], np.array([c is not None for c in counts], dtype=bool)[codes],
            np.array(unreadable, dtype=bool)[codes],
            np.array(errors, dtype=object)[codes] if any(e is not None for e in errors) else None,
            (np.array([c or 0 for c in counts], dtype=np.int64)[codes], largest) if largest < 2**63 else None)


def _has_columns(ctx) -> bool:
    layout = ctx.sheet.layout
    return layout.role("n_allocated") is not None and layout.role("n_analysed") is not None


def _contradictions(ctx, rule, want):
    """Findings where the item-8 answer and the numbers disagree: ``want`` is
    "below" (answer Y, numbers show 85% or less) or "above" (answer N or ?,
    numbers show more than 85%)."""
    if not _has_columns(ctx):
        return no_findings()
    import numpy as np

    params = ctx.params("followup")
    item, threshold = params["item"], Fraction(str(params["threshold"]))
    counts = _counts(ctx)
    satisfied = ctx.memo("followup_satisfied", lambda: _satisfied(counts, threshold))
    if want == "below":
        flagged = counts.usable & ctx.answer_is(item, "Y") & ~satisfied
    else:
        flagged = satisfied & ctx.answer_is(item, "N", "?")
    rows = np.flatnonzero(flagged)
    allocated, analysed = counts.allocated[flagged].tolist(), counts.analysed[flagged].tolist()
    shares = [f"{100 * b / a:.1f}%" for a, b in zip(allocated, analysed)]
    numbers = [f"{b}/{a}" for a, b in zip(allocated, analysed)]
    return ctx.trial_findings(rule, rows, ctx.item_cells(item, rows), ctx.answer(item)[rows], item=item,
                              share=shares, counts=numbers, threshold=f"{float(threshold):.0%}")


def _satisfied(counts: Counts, threshold: Fraction):
    """Per study: usable numbers, with more than ``threshold`` of those allocated followed up."""
    usable, satisfied = counts.usable, counts.usable.copy()
    allocated, analysed = counts.allocated, counts.analysed
    if counts.whole is not None and counts.whole[2] * max(abs(threshold.numerator), threshold.denominator) < 2**63:
        allocated, analysed = counts.whole[:2]  # no product overflows
    satisfied[usable] = analysed[usable] * threshold.denominator > allocated[usable] * threshold.numerator
    return satisfied


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
    import numpy as np

    item = ctx.params("followup")["item"]
    counts = _counts(ctx)
    rows = np.flatnonzero(~counts.bad & ctx.answer_is(item, "Y") & ~counts.given)
    return ctx.trial_findings(rule, rows, ctx.item_cells(item, rows), "Y", item=item)


def check_followup_numbers_invalid(ctx, rule):
    """Numbers allocated / analysed that are not counts, or more analysed than allocated."""
    if not _has_columns(ctx):
        return no_findings()
    import numpy as np

    counts = _counts(ctx)
    rows = np.flatnonzero(counts.bad)
    return ctx.trial_findings(rule, rows, ctx.role_cells("n_allocated", rows), ctx.trial_column("n_allocated")[rows],
                              problem=counts.problem[counts.bad],
                              analysed_cell=ctx.role_cells("n_analysed", rows))


FOLLOWUP_BELOW = Rule(
    id="PD501", name="followup-not-above-85", severity="error",
    message="{cell}: {word} {item} is 'Y' but {counts} subjects ({share}) had the key outcome measured; {scale} "
            "needs more than {threshold} of those initially allocated, so {word} {item} should be 'N'",
    criterion=ITEM8_NOTE, check=check_followup_below_threshold,
    parameters=("followup",),
    summary_template='{Word} {followup} "Y" although the numbers given show 85% or less of those allocated were '
                     'followed up.')

FOLLOWUP_ABOVE = Rule(
    id="PD502", name="followup-above-85-rated-no", severity="warning",
    message="{cell}: {word} {item} is '{value}' but {counts} subjects ({share}) had the key outcome measured, "
            "more than {threshold} of those allocated; if these counts are stated in the report for a key outcome, "
            "{word} {item} should be 'Y'",
    criterion=ITEM8_NOTE, check=check_followup_above_threshold,
    parameters=("followup",),
    summary_template='{Word} {followup} "N" or "?" although the numbers given show more than 85% were followed up.')

FOLLOWUP_NUMBERS_MISSING = Rule(
    id="PD503", name="followup-numbers-missing", severity="warning",
    message="{cell}: {word} {item} is 'Y' but the sheet does not give both the number allocated and the number "
            "analysed; {scale} awards {word} {item} only when the report states both",
    criterion=ITEM8_NOTE, check=check_followup_numbers_missing,
    parameters=("followup",),
    summary_template='{Word} {followup} "Y" with the sheet\'s number allocated or number analysed left empty.')

FOLLOWUP_NUMBERS_INVALID = Rule(
    id="PD504", name="followup-numbers-invalid", severity="error",
    message="{cell} and {analysed_cell}: {problem}; enter whole numbers of subjects",
    criterion=ITEM8_NOTE, check=check_followup_numbers_invalid,
    parameters=("followup",))
