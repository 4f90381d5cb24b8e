"""Rules on the reported total and quality band."""

from __future__ import annotations

import re

from ..normalise import split_total_marker
from ..text import fold_text
from .base import Rule, no_findings

_SUPERSCRIPT_DIGITS = set("¹²³⁴⁵⁶⁷⁸⁹⁰")

_TOTAL = re.compile(r"^\s*(\d{1,2})(?:\.0+)?\s*(?:/\s*(\d{1,2}))?\s*$")
TOTAL_RULE = ("PEDro scale: the total is the number of items 2-11 satisfied (0-10); item 1 is not used to "
              "calculate the PEDro score (pedro.org.au/english/resources/pedro-scale/)")


def parse_total(value) -> tuple[int | None, int | None]:
    """(points, out of) from 7, 7.0, '7', '7/10', and from a total with a
    footnote mark glued to it ('7/10b', '6¹': see ``split_total_marker``);
    (None, None) when unreadable.  The mark is split off before the text is
    folded, so a superscript is never read as a digit ('0¹' is 0, not 1)."""
    if isinstance(value, bool):
        return None, None
    if isinstance(value, (int, float)):
        return (int(value), None) if float(value).is_integer() else (None, None)
    split = split_total_marker(value)
    text = split[0] if split else str(value)
    if _SUPERSCRIPT_DIGITS & set(text):
        return None, None
    match = _TOTAL.match(fold_text(text))
    if not match:
        return None, None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def _reported_totals(ctx):
    """(reported values, present mask, parsed (points, out of) of the present
    ones); parsed once per check run and shared by the total rules."""
    def parse():
        reported = ctx.sheet.studies["total"]
        present = reported.map(lambda v: v is not None and str(v).strip() != "").astype(bool)
        cache: dict = {}
        parsed = reported[present].map(lambda v: cache.setdefault((type(v).__name__, v), parse_total(v)))
        return reported, present, parsed
    return ctx.memo("reported_totals", parse)


def check_total_unreadable(ctx, rule):
    """A reported total that is not a whole number from 0 to 10 (or 'n/10')."""
    if ctx.sheet.layout.role("total") is None:
        return no_findings()
    reported, _, parsed = _reported_totals(ctx)
    max_total = ctx.rubric.max_total
    bad = [i for i, (points, out_of) in parsed.items()
           if points is None or points > max_total or out_of not in (None, max_total)]
    return ctx.trial_findings(rule, bad, ctx.role_cells("total", bad), reported.loc[bad].tolist(),
                              max_total=max_total)


def check_total_mismatch(ctx, rule):
    """A reported total that differs from the number of "Y" on items 2-11."""
    if ctx.sheet.layout.role("total") is None:
        return no_findings()
    reported, _, parsed = _reported_totals(ctx)
    scores = ctx.scores
    item_one_yes = ctx.answer(1).eq("Y")
    lows = scores["min_total"].reindex(parsed.index).tolist()
    highs = scores["max_total"].reindex(parsed.index).tolist()
    rows, hints, computed = [], [], []
    for i, (points, out_of), low, high in zip(parsed.index, parsed.tolist(), lows, highs):
        if points is None or points > ctx.rubric.max_total or out_of not in (None, ctx.rubric.max_total):
            continue
        if low <= points <= high:  # known total matches, or an unknown total could
            continue
        if low == high:
            computed.append(str(low))
        else:
            computed.append(f"between {low} and {high}, with {high - low} item(s) unknown")
        if low == high and item_one_yes.at[i] and points == low + 1:
            hints.append("; it equals the sum of items 1-11: item 1 (eligibility) is not scored")
        else:
            hints.append("")
        rows.append(i)
    return ctx.trial_findings(rule, rows, ctx.role_cells("total", rows), reported.loc[rows].tolist(),
                              computed=computed, hint=hints)


def fold_band(value) -> str:
    text = fold_text(value)
    return re.sub(r"\bquality\b|[^\w]+", " ", text).strip()


def check_band_mismatch(ctx, rule):
    """A reported quality band that is not the band of the computed total."""
    if ctx.sheet.layout.role("band") is None:
        return no_findings()
    studies, scores = ctx.sheet.studies, ctx.scores
    labels = {fold_band(label) for label in ctx.bands.labels}
    folded: dict = {}
    attainable_of: dict = {}
    rows, computed, hints = [], [], []
    for i, value, low, high in zip(studies.index, studies["band"].tolist(), scores["min_total"].tolist(),
                                   scores["max_total"].tolist()):
        if value is None or not str(value).strip():
            continue
        reported = folded.setdefault(value, fold_band(value))
        # With answers missing the total is a range: only a band no attainable total has is wrong.
        if (low, high) not in attainable_of:
            bands = list(dict.fromkeys(ctx.bands.band_of(t) for t in range(low, high + 1)))
            attainable_of[(low, high)] = (bands, {fold_band(b) for b in bands})
        attainable, attainable_folded = attainable_of[(low, high)]
        if reported not in labels or reported in attainable_folded:
            continue
        rows.append(i)
        computed.append(attainable[0] if len(attainable) == 1 else " or ".join(attainable))
        others = [name for name, bands in ctx.rubric.band_sets.items()
                  if name != ctx.bands.name and low == high and fold_band(bands.band_of(low)) == reported]
        hints.append(f"; it matches band set {', '.join(others)} (pass --bands to use it)" if others else "")
    totals = [_range_text(scores, i) for i in rows]
    return ctx.trial_findings(rule, rows, ctx.role_cells("band", rows), studies.loc[rows, "band"].tolist(),
                              computed=computed, total=totals, bands=ctx.bands.name, hint=hints)


def check_band_unrecognised(ctx, rule):
    """A reported band label that the chosen band set does not have."""
    if ctx.sheet.layout.role("band") is None:
        return no_findings()
    labels = {fold_band(label) for label in ctx.bands.labels}
    band = ctx.sheet.studies["band"]
    rows = [i for i, v in band.items() if v is not None and str(v).strip() and fold_band(v) not in labels]
    return ctx.trial_findings(rule, rows, ctx.role_cells("band", rows), band.loc[rows].tolist(),
                              bands=ctx.bands.name, labels=", ".join(ctx.bands.labels))


def _range_text(scores, i) -> str:
    low, high = scores.at[i, "min_total"], scores.at[i, "max_total"]
    return str(low) if low == high else f"{low}-{high}"


TOTAL_UNREADABLE = Rule(
    id="PD201", name="total-unreadable", severity="error",
    message="{cell}: reported total '{value}' is not a whole number from 0 to {max_total} (or 'n/{max_total}')",
    criterion=TOTAL_RULE, check=check_total_unreadable)

TOTAL_MISMATCH = Rule(
    id="PD202", name="total-mismatch", severity="error",
    message="{cell}: reported total {value} differs from the sum of items 2-11 ({computed}){hint}",
    criterion=TOTAL_RULE, check=check_total_mismatch)

BAND_MISMATCH = Rule(
    id="PD203", name="band-mismatch", severity="error",
    message="{cell}: reported band '{value}' differs from '{computed}', the band of total {total} under "
            "band set {bands}{hint}",
    criterion="Quality bands are a convention of the review, not of PEDro (which notes they are not "
              "validated); the band must follow from the total under the declared band set",
    check=check_band_mismatch)

BAND_UNRECOGNISED = Rule(
    id="PD204", name="band-unrecognised", severity="warning",
    message="{cell}: reported band '{value}' is not a band of band set {bands} ({labels}); pass --bands "
            "to choose the convention the sheet uses",
    criterion="Quality bands are a convention of the review; the band set must be declared "
              "(PEDro notes the classes are not validated)",
    check=check_band_unrecognised)
