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

from .normalise import SUBTOTAL_SCORE, answer_points, distinct_values, parse_total, printed_points
from .rubric import BandSet, Rubric
from .table import Table, missing


def score_sheet(sheet, rubric: Rubric, bands: BandSet) -> Table:
    """Scores per trial of a ``RatedSheet``: from its answers (``score_answers``) or, for a list of
    printed totals without item columns, from the totals as printed (``score_printed_totals``)."""
    if sheet.layout.totals_only:
        return score_printed_totals(sheet.study_table["total"], rubric, bands)
    scores = score_answers(sheet.answer_table, rubric, bands)
    if rubric.subtotals:  # each subtotal's points and range beside the total's, for rule PD207
        subtotals = subtotal_scores(sheet.answer_table, rubric, len(scores))
        prefixed = {SUBTOTAL_SCORE + name: values for name, values in subtotals.columns.items()}
        dtypes = {SUBTOTAL_SCORE + name: dtype for name, dtype in subtotals.dtypes.items()}
        scores = Table({**scores.columns, **prefixed}, len(scores), {**scores.dtypes, **dtypes}, scores.index_name)
    return scores


def score_printed_totals(totals, rubric: Rubric, bands: BandSet) -> Table:
    """Scores of printed totals, the only thing a totals-only list gives: a whole number from 0 to the
    rubric's maximum (or 'n/max') is the total and has its band; anything else (out of range, not a
    whole number, blank) leaves the total unknown, 0 to the maximum (rule PD201 says why)."""
    import numpy as np

    low = np.zeros(len(totals), dtype=np.int64)
    high = np.full(len(totals), rubric.max_total, dtype=np.int64)
    for position, value in enumerate(list(totals)):
        points, out_of = parse_total(value) if value is not None else (None, None)
        if points is not None and points <= rubric.max_total and out_of in (None, rubric.max_total):
            low[position] = high[position] = points
    return ranges_to_scores(low, high, bands)


def score_answers(answers, rubric: Rubric, bands: BandSet) -> Table:
    """Scores per study from a tidy answers table (study_index, item, answer: a ``Table`` or a DataFrame).

    Returns a Table over study_index with columns ``total`` (None unless min == max; Int64 in its
    frame), ``min_total``, ``max_total``, ``unknown`` (scored items without a usable answer) and ``band``
    (None unless the range is in one band).  Studies whose sheet lacks a scored item column count that
    item as unknown.
    """
    import numpy as np

    study = np.asarray(answers["study_index"], dtype=np.int64)
    n_studies = int(study.max()) + 1 if len(answers) else 0
    low, high = point_ranges(answers, rubric, rubric.scored_items, n_studies)
    return ranges_to_scores(low, high, bands)


def point_ranges(answers, rubric: Rubric, items, n_studies: int):
    """(lowest, highest) attainable points per study over ``items``: the points answered, and those plus the
    most each item without a usable answer could score (an item whose column the sheet lacks included)."""
    import numpy as np

    study = np.asarray(answers["study_index"], dtype=np.int64)
    item = np.asarray(answers["item"], dtype=np.int64)
    chosen = np.isin(item, list(items))
    answer = np.asarray(answers["answer"], dtype=object)
    answered = chosen & ~missing(answer)
    if rubric.yes_no:  # one point per "Y": counted at C speed
        low = np.bincount(study[chosen & (answer == "Y")], minlength=n_studies).astype(np.int64)
        known = np.bincount(study[answered], minlength=n_studies).astype(np.int64)
        return low, low + (len(items) - known)
    points = np.array([answer_points(a) for a in answer.tolist()], dtype=np.int64)
    worth_of = np.zeros(max(rubric.points_of, default=0) + 1, dtype=np.int64)  # by item number
    for number, worth in rubric.points_of.items():
        worth_of[number] = worth
    worth = worth_of[item]
    low = np.bincount(study[answered], weights=points[answered], minlength=n_studies).astype(np.int64)
    known = np.bincount(study[answered], weights=worth[answered], minlength=n_studies).astype(np.int64)
    high = low + (sum(rubric.points_of[i] for i in items) - known)
    if "partial" in answers:
        # An item read by parts and not answered whole still has the points its known parts settle.
        partial = np.asarray(answers["partial"], dtype=object)
        for position in np.flatnonzero(chosen & ~answered & ~missing(partial)).tolist():
            fewest, most = partial[position]
            low[study[position]] += fewest
            high[study[position]] -= worth[position] - most
    return low, high


def subtotal_scores(answers, rubric: Rubric, n_studies: int) -> Table:
    """Per study and subtotal of the rubric ([[subtotals]]): its points, or None while an item of it is
    unknown (Int64 in its frame), and the attainable range, as columns '<name>', '<name>_min', '<name>_max'.
    An empty table for a rubric without subtotals."""
    columns, dtypes = {}, {}
    for subtotal in rubric.subtotals:
        low, high = point_ranges(answers, rubric, subtotal.items, n_studies)
        columns[subtotal.name] = _known(low, high)
        dtypes[subtotal.name] = "Int64"
        columns[f"{subtotal.name}_min"] = low
        columns[f"{subtotal.name}_max"] = high
    return Table(columns, n_studies, dtypes, "study_index")


def _known(low, high):
    """The points where the range is one value (an object array of ints), None elsewhere."""
    import numpy as np

    values = np.array(low.tolist(), dtype=object)
    values[low != high] = None
    return values


def ranges_to_scores(low, high, bands: BandSet) -> Table:
    """Scores from arrays of attainable minimum and maximum totals."""
    import numpy as np

    low = np.asarray(low, dtype=np.int64)
    high = np.asarray(high, dtype=np.int64)
    # A rubric without a sourced band set gives no total a band.
    top = bands.bands[-1].max if bands.bands else int(high.max(initial=0))
    band_by_total = np.array([bands.band_of(t) for t in range(top + 1)], dtype=object)
    same_band = band_by_total[low] == band_by_total[high]
    return Table({
        "total": _known(low, high),
        "min_total": low,
        "max_total": high,
        "unknown": high - low,
        # object, not pandas' string dtype, so that "no band" stays None
        "band": np.where(same_band, band_by_total[low], None),
    }, len(low), {"total": "Int64"}, "study_index")


def reported_totals(sheet, scores, rubric: Rubric) -> tuple[list, list]:
    """Per trial of a ``RatedSheet``: the total printed in the sheet, and printed minus computed.  A
    printed total that reads as one (7, '7', '7/10') is given as its number, anything else as written
    (None where the cell is blank or the sheet has no total column); the difference is None unless both
    totals are known, and for a totals-only list, where nothing was computed."""
    import numpy as np

    if sheet.layout.role("total") is None:
        return [None] * len(sheet.study_table), [None] * len(sheet.study_table)
    # A sheet prints a few dozen distinct totals: each is read once, and the columns made from them whole.
    codes, distinct = distinct_values(sheet.study_table["total"])
    read = [_printed_total(value, rubric.max_total) for value in distinct]
    points = np.array([p for p, _ in read], dtype=object)[codes]
    shown = np.array([s for _, s in read], dtype=object)[codes].tolist()
    difference = np.full(len(codes), None, dtype=object)
    if not sheet.layout.totals_only:
        computed = np.asarray(scores["total"], dtype=object)  # (a Table's: ints and None)
        known = ~missing(points) & ~missing(computed)
        difference[known] = points[known] - computed[known]  # Python's ints, an object array's arithmetic
    return shown, difference.tolist()


def _printed_total(value, max_total: int) -> tuple:
    """(the total a printed cell reads as, or None; the cell as ``reported_totals`` gives it)."""
    points = printed_points(value, max_total)
    blank = value is None or not str(value).strip()
    return points, points if points is not None else None if blank else value
