"""Invariants of scoring, checked by hypothesis over generated answer sheets."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pedro.rubric import load_rubric
from pedro.scoring import ranges_to_scores, score_answers

RUBRIC = load_rubric()
ANSWERS = st.sampled_from(["Y", "N", "?", None])


def tidy(rows: list[list]) -> pd.DataFrame:
    records = [{"study_index": s, "item": item, "answer": answer}
               for s, answers in enumerate(rows) for item, answer in enumerate(answers, start=1)]
    return pd.DataFrame(records, columns=["study_index", "item", "answer"]).astype({"answer": object})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(ANSWERS, min_size=11, max_size=11), min_size=1, max_size=30),
       st.sampled_from(sorted(RUBRIC.band_sets)))
def test_total_is_the_number_of_scored_yes(rows, band_name):
    bands = RUBRIC.band_set(band_name)
    scores = score_answers(tidy(rows), RUBRIC, bands)
    for i, answers in enumerate(rows):
        scored = answers[1:]  # item 1 is not scored
        yes = scored.count("Y")
        unknown = scored.count(None)
        assert scores.at[i, "min_total"] == yes
        assert scores.at[i, "max_total"] == yes + unknown
        assert 0 <= scores.at[i, "min_total"] <= scores.at[i, "max_total"] <= 10
        if unknown:
            assert pd.isna(scores.at[i, "total"])
        else:
            assert scores.at[i, "total"] == yes
            assert scores.at[i, "band"] == bands.band_of(yes)
        # a band is given only when every attainable total has that band
        attainable = {bands.band_of(t) for t in range(yes, yes + unknown + 1)}
        assert (scores.at[i, "band"] is not None) == (len(attainable) == 1)


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
    assert scores.at[0, "band"] == bands.band_of_range(low, high)


@given(st.lists(ANSWERS, min_size=11, max_size=11))
def test_item_1_never_counts(answers):
    with_yes = ["Y", *answers[1:]]
    with_no = ["N", *answers[1:]]
    a = score_answers(tidy([with_yes]), RUBRIC, RUBRIC.band_set(None))
    b = score_answers(tidy([with_no]), RUBRIC, RUBRIC.band_set(None))
    assert a.equals(b)
