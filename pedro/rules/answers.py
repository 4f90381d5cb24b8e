"""Rules on the answers themselves: recognised, present, clear."""

import datetime as dt
import unicodedata

from ..normalise import STATUS_OK
from .base import Rule

GENERAL_RULE = ("PEDro scale, general rule: each item is satisfied or not, and points are only awarded "
                "when a criterion is clearly satisfied (pedro.org.au/english/resources/pedro-scale/)")


def _by_status(ctx, status):
    """The answers of a status other than "ok", looked for among the answers not "ok" (a few), which PD101
    and PD102 share: comparing all 660,000 statuses at 60,000 trials took 7 ms a rule."""
    import numpy as np

    statuses = ctx.answer_column("status")
    if status == STATUS_OK:
        return ctx.answers_where(statuses == status)
    not_ok = ctx.memo("answers not ok", lambda: np.flatnonzero(statuses != STATUS_OK))
    found = np.zeros(len(statuses), dtype=bool)
    found[not_ok[statuses[not_ok] == status]] = True
    return ctx.answers_where(found)


def check_unrecognised(ctx, rule):
    """An answer that is not Y, N, ? or one of the rubric's synonyms."""
    bad = _by_status(ctx, "unrecognised")
    allowed = {item.number: "Y, N, ? or a synonym the rubric lists" if item.yes_no else
               f"the points it scores, a whole number from 0 to {item.points}, or ?" for item in ctx.rubric.items}
    read_by_parts = ctx.sheet.layout.parts
    part_at = _part_cells(ctx, bad) if read_by_parts else {}
    cells = ctx.sheet.cells_of(bad["position"])
    items = bad["item"].tolist()
    hints = [_why_unrecognised(v) + part_at.get(cell, "") if ctx.rubric.item(i).yes_no or i in read_by_parts
             else _why_not_points(v, ctx.rubric.item(i)) for v, i, cell in zip(bad["raw"].tolist(), items, cells)]
    return ctx.trial_findings(rule, bad["study_index"], cells, bad["raw"], item=items, hint=hints,
                              allowed=[("Y, N, ? or a synonym the rubric lists" if i in read_by_parts else allowed[i])
                                       for i in items])


def _part_cells(ctx, bad) -> dict[str, str]:
    """{cell: ' (part 6b: adverse events reported)'} for the bad answers read from a part's column."""
    layout, found = ctx.sheet.layout, {}
    rows = bad["row"].tolist()
    for number, parts in layout.parts.items():
        labels = {part.code: part.label.lower() for part in ctx.rubric.item(number).parts}
        for code, column in parts.items():
            for cell in layout.cells(column, rows):
                found[cell] = f" (part {code}: {labels[code]}, a yes/no point)"
    return found


def _why_not_points(value, item) -> str:
    """Why a value is not the points of an item worth several: out of range, or not a whole number."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return _why_unrecognised(value)
    if not number.is_integer():
        return " (points are whole numbers)"
    return f" (it is worth at most {item.points} points; pedro does not cap the value)" if number > 0 else ""


def _why_unrecognised(value) -> str:
    """What makes a value that looks like an answer not one: a date, or a
    letter from another alphabet that only looks Latin (Greek Nu for N)."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return " (the cell holds a date or time, perhaps converted by Excel)"
    if not isinstance(value, str) or len(value.strip()) > 3:
        return ""
    for character in value:
        folded = unicodedata.normalize("NFKC", character)
        name = unicodedata.name(character, "")
        if unicodedata.category(character).startswith("L") and not folded.isascii() and "LATIN" not in name:
            return (f" (it contains U+{ord(character):04X} {name or 'a letter'}, "
                    "which only looks like a Latin letter)")
    return ""


def check_missing(ctx, rule):
    """A blank answer: the item has not been rated, so the total is not known."""
    blank = _by_status(ctx, "missing")
    label_of = {item.number: item.label.lower() for item in ctx.rubric.items}
    word = ctx.rubric.item_word
    effect_of = {item.number: "the total is not known until it is rated" if item.number in ctx.rubric.scored_items
                 else f"{word} {item.number} is not scored, so the total is unaffected" for item in ctx.rubric.items}
    items = blank["item"].tolist()
    labels = [label_of[i] for i in items]
    effect = [effect_of[i] for i in items]
    return ctx.trial_findings(rule, blank["study_index"], ctx.sheet.cells_of(blank["position"]), blank["raw"],
                              item=items, label=labels, effect=effect)


def check_unclear(ctx, rule):
    """An answer of "?" (unclear): it scores 0, as PEDro requires, and stays visible."""
    unclear = ctx.answers_where(ctx.answer_column("answer") == "?")
    return ctx.trial_findings(rule, unclear["study_index"], ctx.sheet.cells_of(unclear["position"]), unclear["raw"],
                              item=unclear["item"])


UNRECOGNISED = Rule(
    id="PD101", name="unrecognised-answer", severity="error",
    # "not a valid answer": the words the disagreement workbook shows beside such a cell, so the outputs agree.
    message="{cell}: '{value}' is not a valid answer for {word} {item}{hint}; correct the cell to {allowed} "
            "(pedro does not guess, and does not count it as N)",
    criterion=GENERAL_RULE, cites="answers", check=check_unrecognised)

MISSING = Rule(
    id="PD102", name="missing-answer", severity="warning",
    message="{cell}: no answer for {word} {item} ({label}); {effect}",
    criterion=GENERAL_RULE, cites="answers", check=check_missing,
    summary_template="A blank answer: the {word} has not been rated, so the total is not known.")

UNCLEAR = Rule(
    id="PD103", name="unclear-answer", severity="advisory",
    message="{cell}: {word} {item} is answered unclear ('{value}'); it scores 0 because a point is awarded "
            "only when a criterion is clearly satisfied",
    criterion=GENERAL_RULE, cites="answers", check=check_unclear,
    summary_template='An answer of "?" (unclear): it scores 0, as {scale} requires, and stays visible.')
