"""Invariants of scoring, checked by hypothesis over generated answer sheets."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pedro.rubric import load_rubric
from pedro.scoring import ranges_to_scores, score_answers
from pedro.table import Table

RUBRIC = load_rubric()
ANSWERS = st.sampled_from(["Y", "N", "?", None])


def tidy(rows: list[list]) -> Table:
    """The tidy answers of ``rows`` (one list of 11 answers per trial) as ``RatedSheet.answer_table`` holds
    them: item by item, every trial in order."""
    n = len(rows)
    return Table({"study_index": np.tile(np.arange(n, dtype=np.int64), 11),
                  "item": np.repeat(np.arange(1, 12, dtype=np.int64), n),
                  "answer": np.array([row[item] for item in range(11) for row in rows], dtype=object)})


def score(scores: Table, i: int, column: str):
    """One trial's score as the Table gives it: a Python int or None for "total", an int64 for the ranges."""
    return scores[column][i]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(ANSWERS, min_size=11, max_size=11), min_size=1, max_size=30),
       st.sampled_from(sorted(RUBRIC.band_sets)))
def test_total_is_the_number_of_scored_yes(rows, band_name):
    bands = RUBRIC.band_set(band_name)
    scores = score_answers(tidy(rows), RUBRIC, bands)
    assert len(scores) == len(rows)
    for i, answers in enumerate(rows):
        scored = answers[1:]  # item 1 is not scored
        yes = scored.count("Y")
        unknown = scored.count(None)
        assert score(scores, i, "min_total") == yes
        assert score(scores, i, "max_total") == yes + unknown
        assert score(scores, i, "unknown") == unknown
        assert 0 <= score(scores, i, "min_total") <= score(scores, i, "max_total") <= 10
        if unknown:
            assert score(scores, i, "total") is None
        else:
            assert score(scores, i, "total") == yes and type(score(scores, i, "total")) is int
            assert score(scores, i, "band") == bands.band_of(yes)
        # a band is given only when every attainable total has that band
        attainable = {bands.band_of(t) for t in range(yes, yes + unknown + 1)}
        assert (score(scores, i, "band") is not None) == (len(attainable) == 1)
    # The frame the writers get: a nullable integer total, missing where unknown.
    frame = scores.frame()
    assert str(frame["total"].dtype) == "Int64"
    assert frame["total"].isna().tolist() == [score(scores, i, "total") is None for i in range(len(rows))]


@given(st.sampled_from(sorted(RUBRIC.band_sets)))
def test_bands_are_monotone_in_the_total(band_name):
    bands = RUBRIC.band_set(band_name)
    order = [bands.labels.index(bands.band_of(total)) for total in range(11)]
    assert order == sorted(order)
    assert order[0] == 0 and order[-1] == len(bands.labels) - 1


@given(st.integers(0, 10), st.integers(0, 10), st.sampled_from(sorted(RUBRIC.band_sets)))
def test_range_band_agrees_with_band_of_range(low, width, band_name):
    bands = RUBRIC.band_set(band_name)
    high = min(10, low + width)
    scores = ranges_to_scores([low], [high], bands)
    assert score(scores, 0, "band") == bands.band_of_range(low, high)


@given(st.lists(ANSWERS, min_size=11, max_size=11))
def test_item_1_never_counts(answers):
    with_yes = ["Y", *answers[1:]]
    with_no = ["N", *answers[1:]]
    a = score_answers(tidy([with_yes]), RUBRIC, RUBRIC.band_set(None))
    b = score_answers(tidy([with_no]), RUBRIC, RUBRIC.band_set(None))
    assert a.names == b.names and all(list(a[name]) == list(b[name]) for name in a.names)
    assert a.frame().equals(b.frame())
