"""Totals, attainable ranges and bands.

PEDro total = number of items 2-11 answered "Y" (0..10); item 1 is not scored.
"?" (unclear) scores 0 because a point is awarded only when a criterion is
clearly satisfied.  A missing or unrecognised answer leaves the total unknown:
the attainable range is [Ys so far, Ys + unknowns], and a band is given only
when the whole range falls within one band.
"""

from __future__ import annotations

from .rubric import BandSet, Rubric


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
    scored = answers["item"].isin(rubric.scored_items).to_numpy()
    answer = answers["answer"].to_numpy()
    low = np.bincount(study[scored & (answer == "Y")], minlength=n_studies).astype(np.int64)
    known = np.bincount(study[scored & pd.notna(answer)], minlength=n_studies)
    unknown = len(rubric.scored_items) - known.astype(np.int64)
    high = low + unknown
    return ranges_to_scores(low, high, bands, index)


def ranges_to_scores(low, high, bands: BandSet, index=None):
    """Scores from arrays of attainable minimum and maximum totals."""
    import numpy as np
    import pandas as pd

    band_by_total = np.array([bands.band_of(t) for t in range(bands.bands[-1].max + 1)], dtype=object)
    low = np.asarray(low, dtype=np.int64)
    high = np.asarray(high, dtype=np.int64)
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
