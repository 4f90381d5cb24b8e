"""Totals, attainable ranges and bands.

PEDro total = number of items 2-11 answered "Y" (0..10); item 1 is not scored.  In general the total is
the sum of the points of the rubric's scored items: "Y" is 1 point, an item worth several points scores
its number ("2"), and a rubric's [[subtotals]] add up their own items the same way.
"?" (unclear) scores 0 because a point is awarded only when a criterion is
clearly satisfied.  A missing or unrecognised answer leaves the total unknown:
the attainable range is [Ys so far, Ys + unknowns], and a band is given only
when the whole range falls within one band.
"""

from __future__ import annotations

from .normalise import SUBTOTAL_SCORE, answer_points, map_distinct, parse_total, printed_points
from .rubric import BandSet, Rubric


def score_sheet(sheet, rubric: Rubric, bands: BandSet):
    """Scores per trial of a ``RatedSheet``: from its answers (``score_answers``) or, for a list of
    printed totals without item columns, from the totals as printed (``score_printed_totals``)."""
    if sheet.layout.totals_only:
        return score_printed_totals(sheet.studies["total"], rubric, bands)
    scores = score_answers(sheet.answers, rubric, bands)
    if rubric.subtotals:  # each subtotal's points and range beside the total's, for rule PD207
        scores = scores.join(subtotal_scores(sheet.answers, rubric, len(scores)).add_prefix(SUBTOTAL_SCORE))
    return scores


def score_printed_totals(totals, rubric: Rubric, bands: BandSet):
    """Scores of printed totals, the only thing a totals-only list gives: a whole number from 0 to the
    rubric's maximum (or 'n/max') is the total and has its band; anything else (out of range, not a
    whole number, blank) leaves the total unknown, 0 to the maximum (rule PD201 says why)."""
    import numpy as np

    low = np.zeros(len(totals), dtype=np.int64)
    high = np.full(len(totals), rubric.max_total, dtype=np.int64)
    for position, value in enumerate(totals.tolist()):
        points, out_of = parse_total(value) if value is not None else (None, None)
        if points is not None and points <= rubric.max_total and out_of in (None, rubric.max_total):
            low[position] = high[position] = points
    return ranges_to_scores(low, high, bands)


def score_answers(answers, rubric: Rubric, bands: BandSet):
    """Scores per study from a tidy answers table (study_index, item, answer).

    Returns a DataFrame indexed by study_index with columns ``min_total``,
    ``max_total``, ``total`` (None unless min == max), ``unknown`` (scored items
    without a usable answer) and ``band`` (None unless the range is in one band).
    Studies whose sheet lacks a scored item column count that item as unknown.
    """
    import numpy as np
    import pandas as pd

    study = answers["study_index"].to_numpy(dtype=np.int64)
    n_studies = int(study.max()) + 1 if len(answers) else 0
    index = pd.RangeIndex(n_studies, name="study_index")
    low, high = point_ranges(answers, rubric, rubric.scored_items, n_studies)
    return ranges_to_scores(low, high, bands, index)


def point_ranges(answers, rubric: Rubric, items, n_studies: int):
    """(lowest, highest) attainable points per study over ``items``: the points answered, and those plus the
    most each item without a usable answer could score (an item whose column the sheet lacks included)."""
    import numpy as np
    import pandas as pd

    study = answers["study_index"].to_numpy(dtype=np.int64)
    chosen = answers["item"].isin(items).to_numpy()
    answer = answers["answer"].to_numpy()
    if rubric.yes_no:  # one point per "Y": counted at C speed
        low = np.bincount(study[chosen & (answer == "Y")], minlength=n_studies).astype(np.int64)
        known = np.bincount(study[chosen & pd.notna(answer)], minlength=n_studies).astype(np.int64)
        return low, low + (len(items) - known)
    points = np.array([answer_points(a) for a in answer.tolist()], dtype=np.int64)
    worth = answers["item"].map(rubric.points_of).to_numpy(dtype=np.int64)
    answered = chosen & pd.notna(answer)
    low = np.bincount(study[answered], weights=points[answered], minlength=n_studies).astype(np.int64)
    known = np.bincount(study[answered], weights=worth[answered], minlength=n_studies).astype(np.int64)
    high = low + (sum(rubric.points_of[i] for i in items) - known)
    if "partial" in answers:
        # An item read by parts and not answered whole still has the points its known parts settle.
        partial = answers["partial"].to_numpy()
        for position in np.flatnonzero(chosen & ~answered & pd.notna(partial)).tolist():
            fewest, most = partial[position]
            low[study[position]] += fewest
            high[study[position]] -= worth[position] - most
    return low, high


def subtotal_scores(answers, rubric: Rubric, n_studies: int):
    """Per study and subtotal of the rubric ([[subtotals]]): its points, or None while an item of it is
    unknown, and the attainable range, as columns '<name>', '<name>_min', '<name>_max'.  An empty table for a
    rubric without subtotals."""
    import pandas as pd

    index = pd.RangeIndex(n_studies, name="study_index")
    table = pd.DataFrame(index=index)
    for subtotal in rubric.subtotals:
        low, high = point_ranges(answers, rubric, subtotal.items, n_studies)
        table[subtotal.name] = pd.Series(low, index=index, dtype="Int64").mask(low != high)
        table[f"{subtotal.name}_min"] = low
        table[f"{subtotal.name}_max"] = high
    return table


def ranges_to_scores(low, high, bands: BandSet, index=None):
    """Scores from arrays of attainable minimum and maximum totals."""
    import numpy as np
    import pandas as pd

    low = np.asarray(low, dtype=np.int64)
    high = np.asarray(high, dtype=np.int64)
    # A rubric without a sourced band set gives no total a band.
    top = bands.bands[-1].max if bands.bands else int(high.max(initial=0))
    band_by_total = np.array([bands.band_of(t) for t in range(top + 1)], dtype=object)
    same_band = band_by_total[low] == band_by_total[high]
    known = low == high
    index = pd.RangeIndex(len(low), name="study_index") if index is None else index
    return pd.DataFrame({
        "total": pd.Series(low, index=index, dtype="Int64").mask(~known),
        "min_total": low,
        "max_total": high,
        "unknown": high - low,
        # object, not pandas' string dtype, so that "no band" stays None
        "band": pd.Series(np.where(same_band, band_by_total[low], None), index=index, dtype=object),
    }, index=index)


def reported_totals(sheet, scores, rubric: Rubric) -> tuple[list, list]:
    """Per trial of a ``RatedSheet``: the total printed in the sheet, and printed minus computed.  A
    printed total that reads as one (7, '7', '7/10') is given as its number, anything else as written
    (None where the cell is blank or the sheet has no total column); the difference is None unless both
    totals are known, and for a totals-only list, where nothing was computed."""
    if sheet.layout.role("total") is None:
        return [None] * len(sheet.studies), [None] * len(sheet.studies)
    shown, difference = [], []
    computed = scores["total"].to_numpy(dtype=object, na_value=None).tolist()
    # A sheet prints a few dozen distinct totals: each is read once.
    read = map_distinct(sheet.studies["total"], lambda value: _printed_total(value, rubric.max_total))
    for (points, printed), total in zip(read.tolist(), computed):
        shown.append(printed)
        known = points is not None and total is not None and not sheet.layout.totals_only
        difference.append(points - int(total) if known else None)
    return shown, difference


def _printed_total(value, max_total: int) -> tuple:
    """(the total a printed cell reads as, or None; the cell as ``reported_totals`` gives it)."""
    points = printed_points(value, max_total)
    blank = value is None or not str(value).strip()
    return points, points if points is not None else None if blank else value
