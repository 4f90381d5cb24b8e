"""Fleiss' kappa, Gwet's AC1 and the raw agreement of three or more raters with missing ratings
(Gwet's generalisation, the default) and on complete cases only (``complete_cases=True``)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner

import pedro.agreement as ag
from pedro.cli import main
from pedro.compare import compare_files

from conftest import item_sheet, write_xlsx

# Krippendorff's 4 raters x 12 units with missing values: Krippendorff K, Content Analysis: An
# Introduction to Its Methodology, 2nd ed. (2004) / 3rd ed. (2011); the data set `cac.raw4raters` of R
# irrCAC.  The target figures are irrCAC's gwet.ac1.raw / fleiss.kappa.raw output as printed there
# (5 decimals), quoted in issue 15.
_ = None
KRIPPENDORFF_BY_RATER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, _],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
UNITS = [list(unit) for unit in zip(*KRIPPENDORFF_BY_RATER)]  # subjects x raters
CATEGORIES = [1, 2, 3, 4, 5]


@pytest.mark.parametrize("categories", [CATEGORIES, None])
def test_krippendorff_4x12_matches_irrcac(categories) -> None:
    ac1 = ag.gwet_ac1_multirater(UNITS, categories=categories)
    assert (round(ac1.value, 5), round(ac1.se, 5)) == (0.77544, 0.14295)
    kappa = ag.fleiss_kappa(UNITS, categories=categories)
    assert (round(kappa.value, 5), round(kappa.se, 5)) == (0.76117, 0.15302)
    # every unit has a rating; unit 12 (rater 3's alone) counts towards chance agreement only
    assert (ac1.n, ac1.n_excluded, kappa.n, kappa.n_excluded) == (12, 0, 12, 0)
    assert "Gwet (2014)" in ac1.method and "Gwet (2014)" in kappa.method


def test_krippendorff_4x12_from_counts() -> None:
    counts = [[unit.count(c) for c in CATEGORIES] for unit in UNITS] + [[0] * 5]  # a unit nobody rated
    ac1 = ag.gwet_ac1_multirater_counts(counts, CATEGORIES)
    kappa = ag.fleiss_kappa_counts(counts, CATEGORIES)
    assert round(ac1.value, 5) == 0.77544 and round(kappa.value, 5) == 0.76117
    assert (ac1.n, ac1.n_excluded) == (12, 1)


def test_complete_cases_reproduces_the_former_figures() -> None:
    # the 8 units every rater rated, categories taken from them (as pedro computed before issue 15)
    ac1 = ag.gwet_ac1_multirater(UNITS, complete_cases=True)
    kappa = ag.fleiss_kappa(UNITS, complete_cases=True)
    assert round(ac1.value, 4) == 0.6743 and round(kappa.value, 4) == 0.6415
    assert (ac1.n, ac1.n_excluded, kappa.n, kappa.n_excluded) == (8, 4, 8, 4)
    assert "complete cases" in ac1.method


def test_complete_data_give_the_same_result_either_way() -> None:
    complete = [unit for unit in UNITS if None not in unit]
    for function in (ag.fleiss_kappa, ag.gwet_ac1_multirater):
        gwet, textbook = function(complete, CATEGORIES), function(complete, CATEGORIES, complete_cases=True)
        assert gwet.value == pytest.approx(textbook.value, abs=1e-12)
        assert gwet.se == pytest.approx(textbook.se, abs=1e-12)


def test_no_subject_rated_twice_has_no_agreement() -> None:
    rows = [["Y", None, None], [None, "N", None], [None, None, "Y"]]
    result = ag.fleiss_kappa(rows, categories=["Y", "N"])
    assert result.value is None and "two or more raters" in result.reason
    assert ag.gwet_ac1_multirater(rows, categories=["Y", "N"]).value is None


def test_complete_case_counts_must_have_equal_rows() -> None:
    with pytest.raises(ValueError, match="same number of raters"):
        ag.gwet_ac1_multirater_counts([[3, 0], [1, 1]], ["Y", "N"], complete_cases=True)
    assert ag.gwet_ac1_multirater_counts([[3, 0], [1, 1], [0, 2]], ["Y", "N"]).n == 3


# Item 1 of five trials rated by three assessors; c left Jones 2002 blank.  Points: Y = "Y", N = "N".
ITEM1 = {"a": "YNYNY", "b": "YNNNY", "c": "Y.YNN"}
TRIALS = ["Smith 2001", "Jones 2002", "Lee 2003", "Garcia 2010", "Okafor 2015"]


def _sheets(tmp_path, item1: dict[str, str]) -> list[str]:
    paths = []
    for name, answers in item1.items():
        studies = {trial: answer + "YNNYYNYYNY" for trial, answer in zip(TRIALS, answers)}
        paths.append(str(write_xlsx(tmp_path / f"{name}.xlsx", item_sheet(studies))))
    return paths


def test_compare_keeps_a_trial_with_one_blank_answer(tmp_path) -> None:
    row = compare_files(_sheets(tmp_path, ITEM1)).items[0]
    # By hand (Gwet 2014): counts (Y, N) per trial (3,0) (0,2) (2,1) (0,3) (2,1); p_a = 11/15,
    # pi_Y = 7/15; Fleiss p_e = 113/225 -> kappa = 52/112; AC1 p_e = 112/225 -> AC1 = 53/113.
    assert row["fleiss_kappa"] == pytest.approx(float(Fraction(52, 112)), abs=1e-12)
    assert row["gwet_ac1"] == pytest.approx(float(Fraction(53, 113)), abs=1e-12)
    assert row["n"] == 5  # Jones 2002 is used
    assert row["agreement"] == pytest.approx(3 / 5)  # unanimous on Smith, Jones (a and b), Garcia
    assert row["prevalence_y"] == pytest.approx(7 / 14)
    rows = [[ITEM1[name][t] for name in ITEM1] for t in range(5)]
    rows = [[None if x == "." else x for x in trial] for trial in rows]
    assert row["fleiss_kappa"] == pytest.approx(ag.fleiss_kappa(rows, ["Y", "N"]).value, abs=1e-12)


def test_compare_complete_cases_option(tmp_path) -> None:
    paths = _sheets(tmp_path, ITEM1)
    row = compare_files(paths, complete_cases=True).items[0]
    complete = [["Y", "Y", "Y"], ["Y", "N", "Y"], ["N", "N", "N"], ["Y", "Y", "N"]]  # without Jones 2002
    assert row["n"] == 4
    assert row["fleiss_kappa"] == pytest.approx(ag.fleiss_kappa(complete, ["Y", "N"]).value, abs=1e-12)
    assert row["gwet_ac1"] == pytest.approx(ag.gwet_ac1_multirater(complete, ["Y", "N"]).value, abs=1e-12)
    assert row["agreement"] == pytest.approx(2 / 4)
    runner = CliRunner()
    for flags, n in (([], 5), (["--complete-cases"], 4)):
        result = runner.invoke(main, ["compare", *paths, "--json", "--dry-run", *flags])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["items"][0]["n"] == n


def test_two_assessors_still_use_the_trials_both_answered(tmp_path) -> None:
    # with two assessors a trial with one blank answer has one rating: nothing to agree, dropped as before
    row = compare_files(_sheets(tmp_path, {"a": ITEM1["a"], "c": ITEM1["c"]})).items[0]
    a, c = ["Y", "Y", "N", "Y"], ["Y", "Y", "N", "N"]  # Smith, Lee, Garcia, Okafor
    assert row["n"] == 4
    assert row["cohen_kappa"] == pytest.approx(ag.cohen_kappa(a, c, ["Y", "N"]).value, abs=1e-12)
    assert row["gwet_ac1"] == pytest.approx(ag.gwet_ac1(a, c, ["Y", "N"]).value, abs=1e-12)
    assert row["fleiss_kappa"] is None
