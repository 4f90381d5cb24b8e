"""Rules on the reported total and quality band."""

from __future__ import annotations

import re

from ..normalise import (
    SUBTOTAL_COLUMN,
    SUBTOTAL_SCORE,
    distinct_values,
    parse_total,
    printed_points,
    reported_subtotals,
)
from ..sheets.layout import HeaderMatcher
from ..table import Table, first_seen_codes
from ..text import fold_text
from .base import FINDING_COLUMNS, Rule, no_findings

TOTAL_RULE = ("PEDro scale: the total is the number of items 2-11 satisfied (0-10); item 1 is not used to "
              "calculate the PEDro score (pedro.org.au/english/resources/pedro-scale/)")


def _reported_totals(ctx):
    """(reported values, unreadable, readable, points) per study: ``readable``
    marks a cell holding a total from 0 to the rubric's maximum (or 'n/max'),
    ``unreadable`` one holding anything else (an empty cell is neither);
    ``points`` is the total read.  Each distinct value is parsed once, and the
    result shared by the total rules."""
    def parse():
        import numpy as np

        max_total = ctx.rubric.max_total
        reported = ctx.trial_column("total")
        codes, distinct = ctx.distinct("total")
        parsed = [(None, None) if value is None or str(value).strip() == "" else parse_total(value)
                  for value in distinct]
        written = np.array([value is not None and str(value).strip() != "" for value in distinct], dtype=bool)
        readable = np.array([points is not None and points <= max_total and out_of in (None, max_total)
                             for points, out_of in parsed], dtype=bool) & written
        points = np.array([points for points, _ in parsed], dtype=object)
        return reported, (written & ~readable)[codes], readable[codes], points[codes]
    return ctx.memo("reported_totals", parse)


def check_total_unreadable(ctx, rule):
    """A reported total that is not a whole number from 0 to 10 (or 'n/10')."""
    if ctx.sheet.layout.role("total") is None:
        return no_findings()
    import numpy as np

    reported, unreadable, _, _ = _reported_totals(ctx)
    bad = np.flatnonzero(unreadable)
    return ctx.trial_findings(rule, bad, ctx.role_cells("total", bad), reported[bad], max_total=ctx.rubric.max_total)


def check_total_mismatch(ctx, rule):
    """A reported total that differs from the number of "Y" on items 2-11."""
    if ctx.sheet.layout.role("total") is None:
        return no_findings()
    import numpy as np

    reported, _, readable, points = _reported_totals(ctx)
    low, high = ctx.score_column("min_total"), ctx.score_column("max_total")
    # A known total must match; an unknown total (answers missing) only has to be attainable.
    wrong = readable.copy()
    wrong[wrong] = (points[wrong] < low[wrong]) | (points[wrong] > high[wrong])
    rows = np.flatnonzero(wrong)
    computed, hints = [], []
    # A total one more than computed, with the one unscored yes/no item (PEDro's eligibility) answered Y,
    # counted that item.
    unscored = [item for item in ctx.rubric.items if not item.scored and item.yes_no]
    extra = unscored[0] if len(unscored) == 1 else None
    counted = ctx.answer_is(extra.number, "Y") if extra else np.zeros(len(reported), dtype=bool)
    unknown = "item(s)" if ctx.rubric.yes_no else "point(s)"
    for first, shown, lo, hi in zip(counted[wrong].tolist(), points[wrong].tolist(),
                                    low[wrong].tolist(), high[wrong].tolist()):
        computed.append(str(lo) if lo == hi else f"between {lo} and {hi}, with {hi - lo} {unknown} unknown")
        hints.append(f"; it equals the sum of {ctx.rubric.item_plural} {ctx.rubric.item_numbers[0]}-"
                     f"{ctx.rubric.item_numbers[-1]}: {ctx.rubric.item_word} {extra.number} "
                     f"({extra.key.replace('_', ' ')}) is not scored"
                     if lo == hi and first and shown == lo + 1 else "")
    return ctx.trial_findings(rule, rows, ctx.role_cells("total", rows), reported[rows], computed=computed,
                              hint=hints, scored=ctx.rubric.scored_text)


def check_subtotal_mismatch(ctx, rule):
    """A printed subtotal that is not the sum of its items' points, or not a whole number 0 to its maximum.

    With points unknown, a printed subtotal outside the range they allow is wrong, as for the total."""
    layout = ctx.sheet.layout
    printed = reported_subtotals(ctx.sheet, ctx.rubric) if not layout.totals_only else {}
    frames = []
    for subtotal in ctx.rubric.subtotals:
        if subtotal.name not in printed:
            continue
        maximum = sum(ctx.rubric.points_of[i] for i in subtotal.items)
        # The scores carry each subtotal's range (pedro.scoring.score_sheet).
        low = ctx.score_column(f"{SUBTOTAL_SCORE}{subtotal.name}_min")
        high = ctx.score_column(f"{SUBTOTAL_SCORE}{subtotal.name}_max")
        column = layout.subtotals[subtotal.name]
        numbers = list(subtotal.items)
        items = f"{ctx.rubric.item_plural} " + (f"{numbers[0]}-{numbers[-1]}" if numbers == list(
            range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2 else ", ".join(map(str, numbers)))
        rows, problems = [], []
        raws = ctx.trial_column(SUBTOTAL_COLUMN.format(subtotal.name))
        for position, (shown, raw) in enumerate(zip(printed[subtotal.name], raws.tolist())):
            if shown is None:
                continue
            if printed_points(raw, maximum) is None:
                problems.append(f"is not a whole number from 0 to {maximum} (or 'n/{maximum}')")
            elif not low[position] <= shown <= high[position]:
                lo, hi = int(low[position]), int(high[position])
                computed = str(lo) if lo == hi else f"between {lo} and {hi}, with {hi - lo} point(s) unknown"
                problems.append(f"differs from the sum of {items} ({computed})")
            else:
                continue
            rows.append(position)
        cells = layout.cells(column, ctx.trial_column("row")[rows].tolist())
        frames.append(ctx.trial_findings(rule, rows, cells, raws[rows], subtotal=subtotal.label.lower(),
                                         problem=problems))
    frames = [frame for frame in frames if len(frame)]
    return Table.concat(frames, FINDING_COLUMNS) if frames else no_findings()


def fold_band(value) -> str:
    text = fold_text(value)
    return re.sub(r"\bquality\b|[^\w]+", " ", text).strip()


def check_band_mismatch(ctx, rule):
    """A reported quality band that is not the band of the computed total."""
    if ctx.sheet.layout.role("band") is None:
        return no_findings()
    import numpy as np

    labels = {fold_band(label) for label in ctx.bands.labels}
    values = ctx.trial_column("band")
    # Each reported label is folded once (equal values read as the first of them); None and NaN get -1.
    codes, uniques = first_seen_codes(values)
    folded = np.array([fold_band(v) if str(v).strip() else None for v in uniques] + [None], dtype=object)[codes]
    for position in np.flatnonzero(codes < 0).tolist():
        if values[position] is not None:  # NaN reads as 'nan'
            folded[position] = fold_band(values[position])
    low, high = ctx.score_column("min_total"), ctx.score_column("max_total")
    known = np.flatnonzero(np.fromiter(map(labels.__contains__, folded.tolist()), dtype=bool, count=len(folded)))
    # With answers missing the total is a range: only a band no attainable total has is wrong.  Decided once
    # per (label, range): a sheet has a few of each.
    label_codes = first_seen_codes(folded[known])[0]
    span = ctx.rubric.max_total + 1
    combos, first, inverse = np.unique(label_codes * span * span + low[known] * span + high[known],
                                       return_index=True, return_inverse=True)
    attainable_of: dict = {}
    wrong_combo = []
    for position in known[first].tolist():
        attainable = attainable_of.setdefault((low[position], high[position]), _attainable(ctx, low[position],
                                                                                         high[position]))
        wrong_combo.append(folded[position] not in attainable[1])
    rows = known[np.array(wrong_combo, dtype=bool)[inverse.reshape(-1)]].tolist() if len(known) else []
    computed, hints, totals = [], [], []
    for i in rows:
        lo, hi, reported = int(low[i]), int(high[i]), folded[i]
        attainable = attainable_of[(low[i], high[i])][0]
        computed.append(attainable[0] if len(attainable) == 1 else " or ".join(attainable))
        others = [name for name, bands in ctx.rubric.band_sets.items()
                  if name != ctx.bands.name and lo == hi and fold_band(bands.band_of(lo)) == reported]
        hints.append(f"; it matches band set {', '.join(others)} (pass --bands to use it)" if others else "")
        totals.append(str(lo) if lo == hi else f"{lo}-{hi}")
    return ctx.trial_findings(rule, rows, ctx.role_cells("band", rows), values[rows], computed=computed,
                              total=totals, bands=ctx.bands.name, hint=hints)


def _attainable(ctx, low: int, high: int) -> tuple[list[str], set[str]]:
    """The bands of the totals from low to high, and their folded labels."""
    bands = list(dict.fromkeys(ctx.bands.band_of(t) for t in range(low, high + 1)))
    return bands, {fold_band(b) for b in bands}


def check_band_unrecognised(ctx, rule):
    """A reported band label that the chosen band set does not have."""
    if ctx.sheet.layout.role("band") is None:
        return no_findings()
    labels = {fold_band(label) for label in ctx.bands.labels}
    import numpy as np

    band = ctx.trial_column("band")
    unknown = ctx.map_distinct("band", lambda v: v is not None and str(v).strip() != "" and fold_band(v) not in labels)
    rows = np.flatnonzero(unknown.astype(bool))
    return ctx.trial_findings(rule, rows, ctx.role_cells("band", rows), band[rows], bands=ctx.bands.name,
                              labels=", ".join(ctx.bands.labels))


TOTAL_UNREADABLE = Rule(
    id="PD201", name="total-unreadable", severity="error",
    message="{cell}: reported total '{value}' is not a whole number from 0 to {max_total} (or 'n/{max_total}')",
    criterion=TOTAL_RULE, cites="totals", check=check_total_unreadable,
    summary_template="A reported total that is not a whole number from 0 to {max_total} (or 'n/{max_total}').")

SUBTOTAL_MISMATCH = Rule(
    id="PD207", name="subtotal-mismatch", severity="error",
    message="{cell}: reported {subtotal} subtotal '{value}' {problem}",
    criterion="PEDro has no subtotals (its total is one sum over items 2-11); a rubric's [[subtotals]] divide "
              "the total (TESTEX: study quality /5, reporting /10), each the sum of its items' points, and a "
              "printed subtotal must equal that sum", cites="totals", requires=("totals",),
    check=check_subtotal_mismatch,
    summary_template="A printed subtotal that is not the sum of its {words}' points, or not a whole number 0 to its "
                     "maximum.")

TOTAL_MISMATCH = Rule(
    id="PD202", name="total-mismatch", severity="error",
    message="{cell}: reported total {value} differs from the sum of {scored} ({computed}){hint}",
    criterion=TOTAL_RULE, cites="totals", check=check_total_mismatch,
    summary_template="A reported total that differs from {sum_text}.")

BAND_MISMATCH = Rule(
    id="PD203", name="band-mismatch", severity="error",
    message="{cell}: reported band '{value}' differs from '{computed}', the band of total {total} under "
            "band set {bands}{hint}",
    criterion="Quality bands are a convention of the review, not of PEDro (which notes they are not "
              "validated); the band must follow from the total under the declared band set",
    check=check_band_mismatch, needs_bands=True)

BAND_UNRECOGNISED = Rule(
    id="PD204", name="band-unrecognised", severity="warning",
    message="{cell}: reported band '{value}' is not a band of band set {bands} ({labels}); pass --bands "
            "to choose the convention the sheet uses",
    criterion="Quality bands are a convention of the review; the band set must be declared "
              "(PEDro notes the classes are not validated)",
    check=check_band_unrecognised, needs_bands=True)


def check_totals_only(ctx, rule):
    """A list of printed totals without item columns: banded as printed, no item-level check possible."""
    layout = ctx.sheet.layout
    if not layout.totals_only or not len(ctx.sheet.study_table):
        return no_findings()
    total = layout.role("total")
    return ctx.sheet_finding(rule, cell=layout.cell(total.index, layout.header_row), header=total.header,
                             trials=len(ctx.sheet.study_table), max_total=ctx.rubric.max_total,
                             banded="banded as printed and " if ctx.bands.bands else "")


def check_total_column_not_taken(ctx, rule):
    """A column that holds totals (by its header or its numbers) but was not read as the reported total."""
    sheet, layout = ctx.sheet, ctx.sheet.layout
    if sheet.grid is None or not len(sheet.study_table):
        return no_findings()
    taken = layout.role("total")
    claimed = {c.index for c in (*layout.items.values(), *layout.evidence.values(), *layout.roles.values(),
                                 *layout.subtotals.values())}
    rows = ctx.trial_column("row") - 1
    computed = ctx.score_column("total")
    matcher = HeaderMatcher(ctx.rubric)
    frames = []
    for c in range(sheet.grid.width):
        if c in claimed:
            continue
        header = " ".join(str(value) for r in layout.header_rows
                          if (value := sheet.grid.value(r - 1, c)) is not None)
        why = _looks_like_total(header, sheet.grid.columns([c])[c][rows], computed, ctx.rubric, matcher)
        if why is None:
            continue
        where = sheet.grid.column_name(c)
        read = (f"the reported total is read from {sheet.grid.column_name(taken.index)} ('{taken.header}')"
                if taken is not None else "no column is read as the reported total")
        match = matcher.classify(header)
        advice = (f"two columns read as the total: {sheet.grid.column_name(taken.index)} and {where}; keep one"
                  if taken is not None and match is not None and match.role == "total" and match.strong
                  else f"if it is the total, name its header 'Total'{_score_header(ctx.rubric, matcher)}")
        frames.append(ctx.sheet_finding(rule, cell=layout.cell(c, layout.header_row), header=header,
                                        where=where, why=why, read=read, advice=advice))
    return Table.concat(frames, FINDING_COLUMNS) if frames else no_findings()


def _score_header(rubric, matcher: HeaderMatcher) -> str:
    """" or 'PEDro score'": the scale's own name for its total, where the rubric reads it as the total."""
    named = f"{rubric.short_name} score"
    match = matcher.classify(named)
    return f" or '{named}'" if match is not None and match.role == "total" else ""


# A header holding one of these words names a total, whatever else it says.  A score word ('score',
# 'points') names one only as the matcher reads it: 'Pain score (VAS)' is an outcome's score.
_TOTAL_WORDS = re.compile(r"\b(?:total|sum|pedro)\b", re.IGNORECASE)


def _looks_like_total(header: str, values, computed, rubric, matcher: HeaderMatcher) -> str | None:
    """Why a column's trial cells look like reported totals, or None: most of its filled cells read as
    totals and either its header names a total (or holds a score word: said as such, not as a total's
    name) or its numbers equal the computed totals of most trials (not only 0s and 1s, which are
    answers).  Each distinct value is parsed once."""
    import numpy as np

    max_total = rubric.max_total
    codes, distinct = distinct_values(values)
    parsed = [None if value is None or not str(value).strip() else parse_total(value)[0] for value in distinct]
    written = np.array([value is not None and str(value).strip() != "" for value in distinct], dtype=bool)[codes]
    points = np.array([p if p is not None and p <= max_total else None for p in parsed], dtype=object)[codes]
    totals = int(sum(p is not None for p in points.tolist()))
    if not written.any() or totals * 2 < int(written.sum()):
        return None
    cells = f"{totals} of its {int(written.sum())} cells read as totals"
    match = matcher.classify(header)
    if _TOTAL_WORDS.search(header) or (match is not None and match.role == "total"):
        return f"its header names a total and {cells}"
    word = matcher.score_word(header)
    if word is not None:
        return f"{cells} and its header has the word '{word}', though it does not name the total"
    known = [(p, t) for p, t in zip(points.tolist(), computed.tolist()) if p is not None and t is not None]
    agree = sum(1 for p, t in known if p == t)
    if len(known) >= 3 and agree * 2 > len(known) and any(p > 1 for p, _ in known):
        return f"its numbers equal the total of {rubric.scored_text} for {agree} of {len(known)} trials"
    return None


TOTALS_ONLY = Rule(
    id="PD205", name="totals-only", severity="advisory",
    message="{cell}: the sheet gives printed totals only ('{header}', {trials} trial(s)) and no {word} columns: each "
            "total is {banded}checked to be a whole number from 0 to {max_total}, but no {word}-level "
            "check was possible",
    criterion=TOTAL_RULE, cites="totals", check=check_totals_only, scope="sheet",
    summary_template="A list of printed totals without {word} columns: banded as printed, no {word}-level check "
                     "possible.")

TOTAL_COLUMN_NOT_TAKEN = Rule(
    id="PD206", name="total-column-not-taken", severity="advisory",
    message="{cell}: {where} ('{header}') looks like a reported total ({why}) but is not read as one; {read}; "
            "{advice}",
    criterion=TOTAL_RULE, cites="totals", check=check_total_column_not_taken, scope="sheet")
