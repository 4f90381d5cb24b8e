"""Issue 15, last bullet: weighted kappa and Gwet's AC2 (ordered categories), Conger's kappa and
Brennan-Prediger for several raters, t-based intervals (``--ci t``) and the Bland-Altman limits' intervals.

Every expected figure below is a published one, never pedro's own output:

- irrCAC (K. Gwet's R package; Gwet, Handbook of Inter-Rater Reliability, 4th ed., 2014) on its bundled
  data sets, at the printed precision (3 decimals; 5 where irrCAC's documentation prints 5). The figures
  are irrCAC's as the Python port's test suite reproduces them (github.com/afergadis/irrCAC,
  test/unit/irrCAC/table/test_cohen.py and test_gwet.py, test/unit/irrCAC/raw/test_fleiss.py,
  test_gwet.py, test_conger.py and test_bp.py); its intervals are t-based with n - 1 df, so they test
  ``with_interval(..., "t")``.
- statsmodels' ``cohens_kappa(wt="linear"/"quadratic")`` for the weighted kappa and its SE, an
  independent implementation of Fleiss, Cohen & Everitt (1969).
- Bland & Altman (Lancet 1986;i:307-310), the PEFR data of 17 subjects (Wright vs mini Wright meter,
  first readings): mean difference -2.1 l/min, SD 38.8; the SE of a limit sqrt(3 s^2/n) = 16.3 and
  t(16) = 2.12 (the 1999 paper, Stat Methods Med Res 8:135-160, section 2.3, gives the same approximation).
"""

from __future__ import annotations

import json
import math

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from test_compare import filled_template

import pedro.agreement as ag
from pedro.cli import main

# --------------------------------------------------------------------------- data sets

# irrCAC `cont3x3abstractors` (Gwet 2014): 100 pregnant women classified by two abstractors (rows
# abstractor 1, columns abstractor 2) as ectopic, abnormal intrauterine, normal intrauterine.
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
# irrCAC `cont4x4diagnosis`: 223 psychiatric patients by research (rows) and clinical (columns) diagnosis.
DIAGNOSIS = [[40, 4, 4, 17], [6, 25, 2, 13], [4, 1, 21, 12], [15, 5, 9, 45]]

# irrCAC `cac.raw4raters` (Gwet 2014, p. 120; Krippendorff's 4 raters x 12 units), subjects x raters.
_ = None
RAW4RATERS = [list(unit) for unit in zip(
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, _],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
)]
# irrCAC `cac.raw5obser` (Gwet 2014, p. 125): 5 observers scoring 15 units 0-3, with gaps.
RAW5OBSERVERS = [list(unit) for unit in zip(
    [1, 1, 2, _, 0, 0, 1, 1, 2, 2, _, 0, 1, 3, 1],
    [1, 1, 3, 0, 0, 0, 0, _, 2, 1, 1, 0, 2, 3, 1],
    [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
    [_, 1, 3, _, _, _, _, 0, _, 1, 0, 0, 2, 2, _],
    [2, _, _, 0, 0, 0, 1, _, 2, _, _, _, _, 3, 1],
)]
# irrCAC `cac.ben.gerry`: two raters, 12 units, Gerry's rating of unit 10 missing.
BEN_GERRY = list(zip("aabbdcccedda", ["b", "a", "b", "b", "b", "c", "c", "c", "e", None, "d", "d"]))

# Bland & Altman (1986), Table 1: PEFR (l/min), first reading with the Wright and the mini Wright meter.
WRIGHT = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
MINI_WRIGHT = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]


def rounded(stat, digits=3):
    """(value, SE, lower, upper) at the printed precision, the interval t-based as irrCAC prints it."""
    t = ag.with_interval(stat, "t")
    return tuple(round(x, digits) for x in (t.value, t.se, *t.ci95))


# --------------------------------------------------------------------------- weights


def test_weights_are_irrcacs():
    # irrCAC vignette "weighting": linear.weights(1:3) and quadratic.weights(1:3)
    assert ag.agreement_weights([1, 2, 3], "linear").tolist() == [[1, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 1]]
    assert ag.agreement_weights([1, 2, 3], "quadratic").tolist() == [[1, 0.75, 0], [0.75, 1, 0.75], [0, 0.75, 1]]
    assert ag.agreement_weights(["a", "b", "c"], "identity").tolist() == np.eye(3).tolist()
    # numeric categories are weighted by their values (a 0-3 point criterion, or totals 0-10)
    assert ag.agreement_weights([0, 1, 3], "linear")[0].tolist() == pytest.approx([1, 2 / 3, 0])
    with pytest.raises(ValueError, match="one of identity, linear, quadratic"):
        ag.agreement_weights([0, 1], "cubic")
    with pytest.raises(ValueError, match="3 x 3"):
        ag.agreement_weights([0, 1, 2], np.eye(2))


# --------------------------------------------------------------------------- two raters


@pytest.mark.parametrize("table, weights, expected", [
    # irrCAC kappa2.table(cont3x3abstractors, weights): coefficient and t-based CI (test_cohen.py)
    (ABSTRACTORS, "identity", (0.796, None, 0.680, 0.913)),
    (ABSTRACTORS, "linear", (0.843, None, 0.748, 0.938)),
    (ABSTRACTORS, "quadratic", (0.892, None, 0.822, 0.962)),
    # kappa2.table(cont4x4diagnosis, weights): coefficient, SE and CI
    (DIAGNOSIS, "identity", (0.432, 0.046, 0.341, 0.522)),
    (DIAGNOSIS, "linear", (0.407, 0.053, 0.302, 0.512)),
    (DIAGNOSIS, "quadratic", (0.383, 0.066, 0.254, 0.513)),
])
def test_weighted_kappa_matches_irrcac(table, weights, expected):
    value, se, lower, upper = rounded(ag.weighted_kappa_table(table, list(range(len(table))), weights))
    assert (value, lower, upper) == (expected[0], expected[2], expected[3])
    if expected[1] is not None:
        assert se == expected[1]


@pytest.mark.parametrize("table", [ABSTRACTORS, DIAGNOSIS])
@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weighted_kappa_matches_statsmodels(table, weights):
    from statsmodels.stats.inter_rater import cohens_kappa

    reference = cohens_kappa(np.array(table), wt=weights)
    result = ag.weighted_kappa_table(table, list(range(len(table))), weights)
    assert result.value == pytest.approx(reference.kappa, abs=1e-12)
    assert result.se == pytest.approx(reference.std_kappa, abs=1e-12)  # Fleiss, Cohen & Everitt (1969)
    assert "Cohen 1968" in result.method and "Fleiss, Cohen & Everitt (1969)" in result.method
    assert f"{weights} weights" in result.method


def test_identity_weights_give_cohens_kappa():
    weighted = ag.weighted_kappa_table(DIAGNOSIS, list(range(4)), "identity")
    plain = ag.cohen_kappa_table(DIAGNOSIS, list(range(4)))
    assert (weighted.value, weighted.se) == pytest.approx((plain.value, plain.se), abs=1e-15)


def test_weighted_kappa_from_ratings_and_the_range_of_the_scale():
    # the same 0-3 ratings, once with the criterion's full range 0..3 and once with only the points used
    a, b = [0, 1, 2, 2, 1, 0, 2, 1], [0, 2, 2, 1, 1, 0, 2, 0]
    table = [[2, 0, 0], [1, 1, 1], [0, 1, 2]]
    assert ag.weighted_kappa(a, b, "linear", [0, 1, 2]).value == pytest.approx(
        ag.weighted_kappa_table(table, [0, 1, 2], "linear").value)
    # an unused top category widens the scale: the weights become 1/3 + 2/3 w, and kappa_w is invariant
    # under such an affine change (Cohen 1968) ...
    assert ag.weighted_kappa(a, b, "linear", [0, 1, 2, 3]).value == pytest.approx(
        ag.weighted_kappa(a, b, "linear", [0, 1, 2]).value, abs=1e-12)
    # ... but AC2 is not: q and the sum of the weights enter its chance agreement, so pass the full range
    assert ag.gwet_ac2(a, b, "linear", [0, 1, 2, 3]).value != pytest.approx(
        ag.gwet_ac2(a, b, "linear", [0, 1, 2]).value)
    with pytest.raises(ValueError, match="not one of the categories"):
        ag.weighted_kappa([0, 4], [0, 1], "linear", [0, 1, 2, 3])


def test_weighted_kappa_degenerate_data_have_reasons():
    # one rater gave 2 to every subject: kappa_w is 0 by construction, with no interval
    single = ag.weighted_kappa([2, 2, 2, 2], [0, 1, 2, 2], "quadratic", [0, 1, 2])
    assert (single.value, single.se, single.ci95) == (0.0, 0.0, None) and "rater A answered 2" in single.reason
    both = ag.weighted_kappa([1, 1, 1], [1, 1, 1], "linear", [0, 1, 2])
    assert both.value is None and "chance" in both.reason
    assert ag.weighted_kappa([1], [1], "linear", [0, 1]).value is None


@pytest.mark.parametrize("table, weights, expected", [
    # irrCAC gwet.ac1.table(cont3x3abstractors, weights) (test_gwet.py, table)
    (ABSTRACTORS, "identity", (0.849, None, 0.764, 0.935)),
    (ABSTRACTORS, "linear", (0.900, None, 0.842, 0.958)),
    (ABSTRACTORS, "quadratic", (0.940, None, 0.905, 0.976)),
    (DIAGNOSIS, "identity", (0.456, 0.043, 0.371, 0.542)),
    (DIAGNOSIS, "linear", (0.377, 0.056, 0.267, 0.488)),
    (DIAGNOSIS, "quadratic", (0.299, 0.075, 0.150, 0.447)),
])
def test_gwet_ac2_matches_irrcac(table, weights, expected):
    result = ag.gwet_ac2_table(table, list(range(len(table))), weights)
    value, se, lower, upper = rounded(result)
    assert (value, lower, upper) == (expected[0], expected[2], expected[3])
    if expected[1] is not None:
        assert se == expected[1]
    if weights == "identity":  # AC2 with identity weights is AC1
        plain = ag.gwet_ac1_table(table, list(range(len(table))))
        assert (result.value, result.se) == pytest.approx((plain.value, plain.se), abs=1e-15)


# --------------------------------------------------------------------------- several raters


@pytest.mark.parametrize("function, weights, expected", [
    # irrCAC on cac.raw4raters: coefficient, SE, t-based CI (test_fleiss.py, test_gwet.py, raw)
    (ag.fleiss_kappa, "linear", (0.818, 0.149, 0.491, 1.0)),
    (ag.fleiss_kappa, "quadratic", (0.865, 0.146, 0.544, 1.0)),
    (ag.gwet_ac1_multirater, "linear", (0.859, 0.117, 0.600, 1.0)),
    (ag.gwet_ac1_multirater, "quadratic", (0.914, 0.104, 0.685, 1.0)),
    # test_conger.py
    (ag.conger_kappa, "identity", (0.763, 0.149, 0.435, 1.0)),
    (ag.conger_kappa, "linear", (0.814, 0.145, 0.494, 1.0)),
    (ag.conger_kappa, "quadratic", (0.858, 0.144, 0.541, 1.0)),
    # test_bp.py
    (ag.brennan_prediger, "identity", (0.773, 0.145, 0.454, 1.0)),
    (ag.brennan_prediger, "linear", (0.848, 0.123, 0.577, 1.0)),
    (ag.brennan_prediger, "quadratic", (0.902, 0.111, 0.657, 1.0)),
])
def test_multirater_coefficients_match_irrcac_on_raw4raters(function, weights, expected):
    result = function(RAW4RATERS, [1, 2, 3, 4, 5], weights=weights)
    assert rounded(result) == expected
    assert (result.n, result.n_excluded) == (12, 0)  # Gwet's missing-data form keeps every unit
    assert "Gwet (2014)" in result.method


def test_irrcac_documented_five_decimals():
    # irrCAC's documentation (the Python port's module docstring, irrCAC/raw.py) prints, at 5 decimals,
    # AC1 0.77544 with CI (0.46081, 1), Fleiss' kappa 0.76117 with (0.42438, 1), and with "bipolar"
    # weights AC2 0.90037, SE 0.10582, CI (0.66747, 1)
    ac1 = ag.with_interval(ag.gwet_ac1_multirater(RAW4RATERS), "t")
    kappa = ag.with_interval(ag.fleiss_kappa(RAW4RATERS), "t")
    assert round(ac1.ci95[0], 5) == 0.46081 and round(kappa.ci95[0], 5) == 0.42438
    assert (ac1.ci95[1], kappa.ci95[1]) == (1.0, 1.0)
    bipolar = ag.with_interval(ag.gwet_ac1_multirater(RAW4RATERS, weights=BIPOLAR), "t")
    assert tuple(round(x, 5) for x in (bipolar.value, bipolar.se, bipolar.ci95[0])) == (0.90037, 0.10582, 0.66747)
    assert "the q x q matrix given" in bipolar.method


# irrCAC's bipolar weights for categories 1-5, as its documentation prints them (a custom weight matrix)
BIPOLAR = [[1, 6 / 7, 2 / 3, 0.4, 0], [6 / 7, 1, 14 / 15, 0.75, 0.4], [2 / 3, 14 / 15, 1, 14 / 15, 2 / 3],
           [0.4, 0.75, 14 / 15, 1, 6 / 7], [0, 0.4, 2 / 3, 6 / 7, 1]]


@pytest.mark.parametrize("function, expected", [
    (ag.conger_kappa, (0.469, 0.117, 0.219, 0.719)),  # test_conger.py, raw5observers
    (ag.brennan_prediger, (0.487, 0.121, 0.228, 0.747)),  # test_bp.py
])
def test_five_observers_with_gaps_match_irrcac(function, expected):
    assert rounded(function(RAW5OBSERVERS, [0, 1, 2, 3])) == expected


@pytest.mark.parametrize("function, expected", [
    (ag.conger_kappa, (0.657, 0.179, 0.262, 1.0)),  # test_conger.py, ben.gerry: 2 raters, one gap
    (ag.brennan_prediger, (0.659, 0.185, 0.251, 1.0)),  # test_bp.py
])
def test_two_raters_with_a_gap_match_irrcac(function, expected):
    assert rounded(function(BEN_GERRY, list("abcde"))) == expected


def test_conger_of_two_complete_raters_is_cohens_weighted_kappa():
    a, b = [0, 1, 2, 2, 1, 0, 2, 1, 3, 3], [0, 2, 2, 1, 1, 0, 2, 0, 3, 2]
    for weights in ("identity", "linear", "quadratic"):
        conger = ag.conger_kappa(list(zip(a, b)), [0, 1, 2, 3], weights=weights)
        assert conger.value == pytest.approx(ag.weighted_kappa(a, b, weights, [0, 1, 2, 3]).value, abs=1e-12)


def test_brennan_prediger_of_two_raters_is_pabak():
    a, b = ["Y", "Y", "N", "N", "Y"], ["Y", "N", "N", "N", "Y"]
    assert ag.brennan_prediger(list(zip(a, b)), ["Y", "N"]).value == pytest.approx(ag.pabak(a, b, ["Y", "N"]).value)


def test_complete_cases_and_degenerate_multirater_data():
    complete = ag.conger_kappa(RAW4RATERS, complete_cases=True)
    assert (complete.n, complete.n_excluded) == (8, 4) and "complete cases" in complete.method
    same = [["Y", "Y", "Y"], ["Y", "Y", "Y"]]
    assert ag.conger_kappa(same).value is None
    assert ag.brennan_prediger(same).value is None and "one category" in ag.brennan_prediger(same).reason
    assert ag.brennan_prediger(same, ["Y", "N"]).value == 1.0


# --------------------------------------------------------------------------- t intervals


def test_with_interval_z_is_the_default_and_t_is_wider():
    kappa = ag.fleiss_kappa(RAW5OBSERVERS, [0, 1, 2, 3])
    assert ag.with_interval(kappa, "z") is kappa and "1.96 SE (normal)" in kappa.method
    t = ag.with_interval(kappa, "t")
    assert t.ci95[0] < kappa.ci95[0] and "Student t" in t.method and "1.96" not in t.method
    # irrCAC test_fleiss.py, raw5observers: 0.458, SE 0.120, CI 0.199 to 0.716
    assert rounded(kappa) == (0.458, 0.120, 0.199, 0.716)
    # no normal interval, nothing to change: an ICC (F-based), PABAK (none)
    for stat in (ag.icc([[1, 2], [3, 3], [5, 4]], "ICC(2,1)"), ag.pabak("YN", "YY", ["Y", "N"])):
        assert ag.with_interval(stat, "t") is stat
    # a withheld interval stays withheld, but the method says how intervals are computed
    withheld = ag.with_interval(ag.cohen_kappa("YYYY", "YNYN"), "t")
    assert withheld.ci95 is None and withheld.reason and "Student t" in withheld.method
    with pytest.raises(ValueError, match="ci must be one of z, t"):
        ag.with_interval(kappa, "bootstrap")


def test_t_interval_clips_the_upper_bound_only_as_irrcac():
    # irrCAC: lcb <- coeff - stderr * qt(...); ucb <- min(1, coeff + stderr * qt(...)): the lower bound is
    # not clipped at -1 (pedro clipped both before)
    kappa = ag.cohen_kappa("YNYNN", "NYNYN", ["Y", "N"])
    t = ag.with_interval(kappa, "t")
    half = ag._t_quantile(kappa.n - 1) * kappa.se
    assert t.ci95[0] == pytest.approx(kappa.value - half) and t.ci95[0] < -1
    assert kappa.ci95[0] == -1.0  # the normal interval keeps [-1, 1]
    high = ag.with_interval(ag.gwet_ac1("YYYYYYYN", "YYYYYYYY", ["Y", "N"]), "t")
    assert high.ci95[1] == 1.0 and "upper bound clipped at 1, lower bound not" in high.method


# --------------------------------------------------------------------------- Bland-Altman


def test_bland_altman_limits_have_intervals_on_the_pefr_data():
    result = ag.bland_altman(WRIGHT, MINI_WRIGHT)
    assert (round(result.bias, 1), round(result.sd, 1)) == (-2.1, 38.8)  # as printed in 1986
    limit_se = math.sqrt(3 * result.sd**2 / result.n)
    assert round(limit_se, 1) == 16.3  # the published SE of the limits
    half = result.lower_ci95[1] - result.lower
    assert half == pytest.approx(2.12 * 16.3, abs=0.1)  # t(16) = 2.12 times the SE, as in the paper
    assert result.lower_ci95 == pytest.approx((result.lower - half, result.lower + half))
    assert result.upper_ci95 == pytest.approx((result.upper - half, result.upper + half))
    # the bias: -2.1 +/- 2.12 x 38.8/sqrt(17) = -22.0 to 17.8
    assert tuple(round(b, 1) for b in result.bias_ci95) == (-22.0, 17.8)
    record = result.to_dict()
    assert record["lower_ci95"] == list(result.lower_ci95) and "Bland & Altman 1999" in record["method"]


def test_bland_altman_limit_intervals_as_published_with_two_sd():
    # The 1986 paper used 2 SD for the limits: -79.7 and 75.5, their 95% CIs -114.3 to -45.1 and 40.9 to
    # 110.1 (Bland & Altman, Lancet 1986;i:307-310).  A limit's interval is centred on it with a half-width
    # t(16) sqrt(3 SD^2/n) that does not depend on the multiplier.  The paper worked from rounded figures
    # (bias -2.1, SD 38.8, SE 16.3, t 2.12): round pedro's as it did, and its CIs come out as published.
    result = ag.bland_altman(WRIGHT, MINI_WRIGHT)
    half = (result.lower_ci95[1] - result.lower_ci95[0]) / 2
    assert (result.upper_ci95[1] - result.upper_ci95[0]) / 2 == pytest.approx(half)
    se, t = half / ag._t_quantile(result.n - 1), ag._t_quantile(result.n - 1)
    assert (round(se, 1), round(t, 2)) == (16.3, 2.12)
    bias, sd, half = round(result.bias, 1), round(result.sd, 1), round(t, 2) * round(se, 1)
    lower, upper = bias - 2 * sd, bias + 2 * sd
    assert (round(lower, 1), round(upper, 1)) == (-79.7, 75.5)
    assert (round(lower - half, 1), round(lower + half, 1)) == (-114.3, -45.1)
    assert (round(upper - half, 1), round(upper + half, 1)) == (40.9, 110.1)
    # unrounded, pedro's intervals of the 2 SD limits are within the paper's rounding of the published ones
    exact = (result.bias - 2 * result.sd, result.bias + 2 * result.sd)
    hw = (result.lower_ci95[1] - result.lower_ci95[0]) / 2
    assert [exact[0] - hw, exact[0] + hw, exact[1] - hw, exact[1] + hw] == pytest.approx(
        [-114.3, -45.1, 40.9, 110.1], abs=0.2)


def test_bland_altman_two_subjects_have_no_interval():
    result = ag.bland_altman([5, 6], [6, 6])
    assert result.bias == -0.5 and result.lower_ci95 is None and result.to_dict()["bias_ci95"] is None
    assert "no intervals with 2 subjects" in result.to_dict()["reason"]  # withheld, and said why


def test_bland_altman_identical_totals_have_no_interval():
    # every difference 0: bias and limits 0, but CIs [0, 0] would claim certainty from three trials
    result = ag.bland_altman([5, 6, 7, 8], [5, 6, 7, 8])
    assert (result.bias, result.sd, result.lower, result.upper) == (0.0, 0.0, 0.0, 0.0)
    assert result.bias_ci95 is None and result.lower_ci95 is None and result.upper_ci95 is None
    assert result.reason.startswith("every difference is 0: the SD of the differences")


# --------------------------------------------------------------------------- no zero-width intervals

ONE_PATTERN = [["Y", "N", "Y"]] * 12  # three assessors, the same answers on every trial


@pytest.mark.parametrize("function, value", [
    (ag.fleiss_kappa, -0.5), (ag.conger_kappa, 0.0), (ag.gwet_ac1_multirater, -0.2), (ag.brennan_prediger, -1 / 3)])
def test_multirater_se_zero_gives_no_interval_and_says_why(function, value):
    # before: Fleiss -0.5 with SE 2.3e-16 and an interval 1e-15 wide, Conger [0, 0] without a reason
    stat = function(ONE_PATTERN, ["Y", "N"])
    assert stat.value == pytest.approx(value, abs=1e-12) and stat.se == 0.0 and stat.ci95 is None
    assert stat.reason == ("every subject got the same ratings (2 'Y', 1 'N'): the standard error is 0 and an "
                           "interval would claim a certainty that 12 subjects cannot give")
    assert ag.with_interval(stat, "t").ci95 is None


def test_se_residue_is_zero_and_withholds_the_interval():
    rows = [["Y", "N", "Y"], ["Y", "N", "Y"], ["Y", "Y", "N"], ["Y", "N", "Y"], ["Y", "Y", "N"]]
    stat = ag.fleiss_kappa(rows, ["Y", "N"])  # before: SE 3.9e-16 and an interval
    assert stat.se == 0.0 and stat.ci95 is None and "standard error is 0" in stat.reason
    perfect = [[x, x, x] for x in "YNYYNNY"]
    for function in (ag.fleiss_kappa, ag.gwet_ac1_multirater, ag.conger_kappa, ag.brennan_prediger):
        stat = function(perfect, ["Y", "N"])
        assert (stat.value, stat.se, stat.ci95) == (1.0, 0.0, None)
        assert stat.reason.startswith("all raters agreed on every subject")
    ac1 = ag.gwet_ac1("YNYYN", "YNYYN", ["Y", "N"])
    assert (ac1.value, ac1.ci95) == (1.0, None) and ac1.reason.startswith("both raters agreed on every subject")


def test_identical_totals_give_no_weighted_interval():
    for function in (ag.weighted_kappa, ag.gwet_ac2):
        stat = function([3, 5, 7, 8], [3, 5, 7, 8], "quadratic", range(11))
        assert (stat.value, stat.se, stat.ci95) == (1.0, 0.0, None) and "standard error is 0" in stat.reason
    ac2 = ag.gwet_ac2([6] * 5, [7] * 5, "quadratic", range(11))  # before: 0.982 with CI [0.982, 0.982]
    assert round(ac2.value, 3) == 0.982 and ac2.se == 0.0 and ac2.ci95 is None
    assert ac2.reason.startswith("every subject got the same pair of ratings (6, 7)")


def test_fewer_than_three_subjects_give_no_interval():
    # two subjects: no asymptotic interval, as Bland-Altman gives none (t on 1 df is 12.7)
    stat = ag.weighted_kappa([6, None, 7, 5], [6, 8, None, 5], "linear", range(11))
    assert stat.n == 2 and stat.n_excluded == 2 and stat.ci95 is None and stat.reason
    two = ag.cohen_kappa("YN", "YY", ["Y", "N"])  # kappa 0 by construction: its own reason
    assert two.ci95 is None
    two = ag.gwet_ac2([2, 5], [3, 5], "linear", range(11))
    assert two.se > 0 and two.ci95 is None and two.reason.startswith("no interval with 2 subjects")
    three = ag.gwet_ac2([2, 5, 7], [3, 5, 7], "linear", range(11))
    assert three.ci95 is not None and three.reason is None


def test_single_answer_reason_names_the_rater():
    stat = ag.cohen_kappa_table([[3, 2], [0, 0]], ["Y", "N"], raters=("assessor Smith", "assessor Jones"))
    assert stat.reason.startswith("assessor Smith answered 'Y' on every subject")
    assert ag.cohen_kappa_table([[3, 2], [0, 0]], ["Y", "N"]).reason.startswith("rater A answered 'Y'")


# --------------------------------------------------------------------------- pedro compare


BASE = {"Smith 2001": "YYYYNNYYYYY", "Jones 2002": "YYNYNNYNNYY", "Lee 2003": "NYYYNNNYYYY",
        "Garcia 2010": "YNNYNNYYNYY", "Okafor 2015": "YYYYYNYYYYY"}
OTHER = {**BASE, "Jones 2002": "YYYYNNYNNYY", "Lee 2003": "NYYYNNNYYNY", "Okafor 2015": "YYYYNNYYYYY"}
THIRD = {**BASE, "Lee 2003": "NYNYNNNYYYY", "Garcia 2010": "YNNYNNYYNYN"}


def totals_of(sheets):
    """Each sheet's PEDro total (items 2-11 answered Y) per trial, in BASE's order."""
    return [[answers[1:].count("Y") for answers in sheet.values()] for sheet in sheets]


def test_compare_reports_weighted_statistics_on_totals(tmp_path):
    runner = CliRunner()
    paths = [filled_template(tmp_path, name, sheet, runner) for name, sheet in (("a", BASE), ("b", OTHER))]
    out = tmp_path / "dis.xlsx"
    result = runner.invoke(main, ["compare", *paths, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    weighted = report["total"]["weighted"]
    a, b = totals_of([BASE, OTHER])
    for weights in ("linear", "quadratic"):
        expected = ag.weighted_kappa(a, b, weights, list(range(11)))
        assert weighted[f"weighted_kappa_{weights}"]["value"] == pytest.approx(expected.value, abs=1e-12)
        assert weighted[f"weighted_kappa_{weights}"]["ci95"] == pytest.approx(list(expected.ci95))
        ac2 = ag.gwet_ac2(a, b, weights, list(range(11)))
        assert weighted[f"gwet_ac2_{weights}"]["value"] == pytest.approx(ac2.value, abs=1e-12)
        for key in (f"weighted_kappa_{weights}", f"gwet_ac2_{weights}"):
            assert report["methods"][key] == weighted[key]["method"]
    ba = report["total"]["bland_altman"]
    assert ba["lower_ci95"][0] < ba["loa95"][0] < ba["lower_ci95"][1]
    sheet = openpyxl.load_workbook(out)["Statistics"]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "Weighted kappa, quadratic weights" in cells and "Lower 95% limit of agreement" in cells
    assert any(c.startswith("weighted kappa (Cohen 1968)") for c in cells)  # its method line
    text = runner.invoke(main, ["compare", *paths, "--dry-run"]).output
    assert "weighted kappa (linear)" in text and "95% limits of agreement" in text


def test_compare_ci_t_uses_students_t_everywhere(tmp_path):
    runner = CliRunner()
    paths = [filled_template(tmp_path, name, sheet, runner) for name, sheet in (("a", BASE), ("b", OTHER))]
    reports = {}
    for ci in ("z", "t"):
        result = runner.invoke(main, ["compare", *paths, "--dry-run", "--json", "--ci", ci])
        assert result.exit_code == 0, result.output
        reports[ci] = json.loads(result.output)
    z, t = reports["z"], reports["t"]
    assert "Student t" in t["methods"]["gwet_ac1"] and "Student t" in t["methods"]["weighted_kappa_linear"]
    assert "1.96 SE (normal)" in z["methods"]["gwet_ac1"]
    item_z, item_t = z["items"][2], t["items"][2]  # item 3: the assessors differ on Jones 2002
    assert item_t["gwet_ac1"] == item_z["gwet_ac1"]  # the estimate does not change, its interval does
    assert item_t["ci95"]["gwet_ac1"][0] < item_z["ci95"]["gwet_ac1"][0]
    se, n = item_t["gwet_ac1_se"], item_t["n"]
    assert item_t["ci95"]["gwet_ac1"][0] == pytest.approx(item_t["gwet_ac1"] - ag._t_quantile(n - 1) * se)
    assert runner.invoke(main, ["compare", *paths, "--dry-run", "--ci", "x"]).exit_code == 2


def test_compare_three_assessors_conger_and_brennan_prediger(tmp_path):
    runner = CliRunner()
    sheets = (("a", BASE), ("b", OTHER), ("c", THIRD))
    paths = [filled_template(tmp_path, name, sheet, runner) for name, sheet in sheets]
    out = tmp_path / "dis.xlsx"
    result = runner.invoke(main, ["compare", *paths, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    sheet = openpyxl.load_workbook(out)["Statistics"]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert {"Conger's kappa", "Brennan-Prediger", "Conger's weighted kappa, linear weights"} <= set(cells)
    assert any(c.startswith("Conger's kappa (Conger 1980)") for c in cells)  # its method line
    text = runner.invoke(main, ["compare", *paths, "--dry-run"]).output
    assert "Fleiss  95% CI        Conger BP     AC1    95% CI" in text and "Conger's weighted kappa (linear)" in text
    points = [[["Y" if answers[i] == "Y" else "not Y" for answers in sheet.values()] for _, sheet in sheets]
              for i in range(11)]
    for row in report["items"]:
        ratings = list(zip(*points[row["item"] - 1]))
        conger = ag.conger_kappa(ratings, ["Y", "not Y"])
        bp = ag.brennan_prediger(ratings, ["Y", "not Y"])
        assert row["conger_kappa"] == pytest.approx(conger.value, abs=1e-12) if conger.value is not None \
            else row["conger_kappa"] is None
        assert row["brennan_prediger"] == pytest.approx(bp.value, abs=1e-12)
    assert "Conger 1980" in report["methods"]["conger_kappa"]
    assert "Brennan & Prediger 1981" in report["methods"]["brennan_prediger"]
    totals = list(zip(*totals_of([sheet for _, sheet in sheets])))
    conger = ag.conger_kappa(totals, list(range(11)), weights="quadratic")
    assert report["total"]["weighted"]["conger_kappa_quadratic"]["value"] == pytest.approx(conger.value, abs=1e-12)
    assert report["total"]["bland_altman"] is None


# --------------------------------------------------------------------------- review of issue 15's statistics


def _sheet_rows(path):
    return [list(row) for row in openpyxl.load_workbook(path)["Statistics"].iter_rows(values_only=True)]


def _item_block(rows):
    header = next(r for r in rows if r and r[0] == "Item")
    start = rows.index(header) + 1
    items = []
    for row in rows[start:]:
        if not row or row[0] is None:
            break
        items.append(dict(zip(header, row)))
    return [h for h in header if h is not None], items


def test_compare_one_answer_per_assessor_gives_no_zero_width_interval(tmp_path):
    # item 6: a and c answer Y on every trial, b N on every trial: every trial gets Y, N, Y
    sheets = [{label: answers[:5] + letter + answers[6:] for label, answers in BASE.items()}
              for letter in ("Y", "N", "Y")]
    runner = CliRunner()
    paths = [filled_template(tmp_path, name, sheet, runner) for name, sheet in zip("abc", sheets)]
    out = tmp_path / "dis.xlsx"
    report = json.loads(runner.invoke(main, ["compare", *paths, "-o", str(out), "--json"]).output)
    item6 = report["items"][5]
    for key in ("fleiss_kappa", "conger_kappa", "gwet_ac1", "brennan_prediger"):
        assert item6[f"{key}_se"] == 0.0 and item6[f"{key}_ci95"] is None and key not in item6["ci95"]
        assert item6["reasons"][key].startswith("every trial got the same ratings (2 'Y', 1 'not Y'): the "
                                                "standard error is 0")
    assert item6["conger_kappa"] == 0.0  # exactly: never shown as -0.00
    text = runner.invoke(main, ["compare", *paths, "--dry-run"]).output
    assert "-0.00" not in text
    _, items = _item_block(_sheet_rows(out))
    assert items[5]["Conger 95% CI"] == "none (see note)" and "standard error is 0" in items[5]["Undefined because"]


def test_compare_item_intervals_for_every_coefficient_and_only_the_columns_that_apply(tmp_path):
    runner = CliRunner()
    three = [filled_template(tmp_path, name, sheet, runner)
             for name, sheet in (("a", BASE), ("b", OTHER), ("c", THIRD))]
    reports = {ci: json.loads(runner.invoke(main, ["compare", *three, "--dry-run", "--json", "--ci", ci]).output)
               for ci in ("z", "t")}
    z, t = reports["z"]["items"][2], reports["t"]["items"][2]  # item 3: the assessors differ
    for key in ("fleiss_kappa", "conger_kappa", "brennan_prediger", "gwet_ac1"):
        assert z[f"{key}_se"] > 0 and t[f"{key}_ci95"][0] < z[f"{key}_ci95"][0]  # --ci t widens each
    out = tmp_path / "three.xlsx"
    assert runner.invoke(main, ["compare", *three, "-o", str(out)]).exit_code == 0
    header, items = _item_block(_sheet_rows(out))
    assert {"Fleiss 95% CI", "Conger 95% CI", "BP 95% CI", "AC1 95% CI", "AC1 SE"} <= set(header)
    assert not {"Cohen's kappa", "PABAK", "Prevalence index", "Wt. kappa (linear)"} & set(header)
    assert items[2]["BP 95% CI"] == _fmt_ci(z["ci95"]["brennan_prediger"])
    notes = " ".join(str(row["Undefined because"]) for row in items)
    assert "for two assessors" not in notes and "more than two assessors" not in notes
    out = tmp_path / "two.xlsx"
    assert runner.invoke(main, ["compare", *three[:2], "-o", str(out)]).exit_code == 0
    header, items = _item_block(_sheet_rows(out))
    assert {"kappa 95% CI", "AC1 SE", "AC1 95% CI", "PABAK"} <= set(header)
    assert not {"Fleiss' kappa", "Conger's kappa", "Brennan-Prediger", "Kripp. alpha"} & set(header)
    assert "more than two assessors" not in " ".join(str(row["Undefined because"]) for row in items)


def _fmt_ci(bounds):
    return f"{bounds[0]:.3f} to {bounds[1]:.3f}"


def test_totals_on_complete_cases_count_the_trials_left_out(tmp_path):
    runner = CliRunner()
    gap = {**THIRD, "Lee 2003": "NYNYNNNYYY."}  # item 11 blank: Lee 2003 has no total from c
    for sheets in (((("a", BASE), ("b", {**OTHER, "Lee 2003": "NYYYNNNYYN."})),
                    (("a", BASE), ("b", OTHER), ("c", gap)))):
        paths = [filled_template(tmp_path, name, sheet, runner) for name, sheet in sheets]
        report = json.loads(runner.invoke(main, ["compare", *paths, "--dry-run", "--json"]).output)
        assert report["total"]["n"] == 4 and report["total"]["excluded_unknown_total"] == 1
        for key, result in report["total"]["weighted"].items():
            assert (result["n"], result["n_excluded"]) == (4, 1), key
            assert "Gwet (2014) generalisation" not in result["method"]
            if len(sheets) == 3:
                assert "complete cases only" in result["method"]


def test_a_trial_two_of_three_assessors_rated_stays_in_the_item_statistics(tmp_path):
    runner = CliRunner()
    gap = {label: answers for label, answers in THIRD.items() if label != "Lee 2003"}
    paths = [filled_template(tmp_path, name, sheet, runner) for name, sheet in (("a", BASE), ("b", OTHER), ("c", gap))]
    text = runner.invoke(main, ["compare", *paths, "--dry-run"]).output
    assert "rated by a and b, not by c (1): 'Lee 2003'" in text
    assert "rated by a only" not in text and "rated by b only" not in text  # before: both, contradicting each other
    report = json.loads(runner.invoke(main, ["compare", *paths, "--dry-run", "--json"]).output)
    assert report["studies"]["compared"] == 4 and report["studies"]["partly_rated"] == [
        {"a": "Lee 2003", "b": "Lee 2003", "c": None}]
    # Gwet's missing data keeps it: five trials, as irrCAC on the same table with c's Lee 2003 blank
    ratings = [[("Y" if sheet[label][9] == "Y" else "not Y") if label in sheet else None
                for sheet in (BASE, OTHER, gap)] for label in BASE]
    item10 = report["items"][9]
    expected = ag.fleiss_kappa(ratings, ["Y", "not Y"])
    assert item10["n"] == 5 and item10["fleiss_kappa"] == pytest.approx(expected.value, abs=1e-12)
    complete = json.loads(runner.invoke(main, ["compare", *paths, "--dry-run", "--json", "--complete-cases"]).output)
    assert complete["items"][9]["n"] == 4


def test_names_in_the_single_answer_reason(tmp_path):
    runner = CliRunner()
    ann = {label: "Y" * 11 for label in BASE}
    paths = [filled_template(tmp_path, name, sheet, runner) for name, sheet in (("a", ann), ("b", OTHER))]
    args = ["compare", *paths, "--dry-run", "--json", "--names", "Smith,Jones"]
    report = json.loads(runner.invoke(main, args).output)
    assert report["items"][2]["reasons"]["cohen_kappa"].startswith(
        "assessor Smith answered 'Y' on every trial: kappa is 0 by construction")


def test_points_criteria_get_weighted_statistics_on_their_levels(tmp_path):
    """Issue 16: TESTEX criterion 6 (0-3 points) and 8 (0-2) agree on their points as ordered categories,
    with linear-weighted kappa and AC2; no prevalence of "Y" or prevalence index for them."""
    from test_testex import POINTS

    from conftest import write_xlsx

    other = [list(r) for r in POINTS]
    other[1][6], other[1][13] = 3, 11  # Trial A: criterion 6, 2 against 3
    other[2][8], other[2][13] = 2, 8  # Trial B: criterion 8, 1 against 2
    third = [list(r) for r in POINTS]
    third[3][6], third[3][13] = 0, 12  # Trial C: criterion 6, 1 against 0
    paths = [write_xlsx(tmp_path / f"{n}.xlsx", rows) for n, rows in (("a", POINTS), ("b", other), ("c", third))]
    runner = CliRunner()
    report = json.loads(runner.invoke(main, ["compare", *map(str, paths[:2]), "--rubric", "testex", "--dry-run",
                                             "--json"]).output)
    items = {row["item"]: row for row in report["items"]}
    six = [[r[6] for r in rows[1:]] for rows in (POINTS, other)]
    for key, expected in (("cohen_kappa", ag.cohen_kappa(*six, [0, 1, 2, 3])),
                          ("weighted_kappa", ag.weighted_kappa(*six, "linear", [0, 1, 2, 3])),
                          ("gwet_ac2", ag.gwet_ac2(*six, "linear", [0, 1, 2, 3])),
                          ("gwet_ac1", ag.gwet_ac1(*six, [0, 1, 2, 3]))):
        assert items[6][key] == pytest.approx(expected.value, abs=1e-12), key
    assert items[6]["levels"] == 4 and items[8]["levels"] == 3 and items[2]["levels"] == 2
    assert items[6]["agreement"] == pytest.approx(2 / 3)  # 2 against 3 is a disagreement, not two "not Y"
    for key in ("prevalence_y", "prevalence_index", "bias_index"):
        assert items[6][key] is None and "scored in points (0-3)" in items[6]["reasons"][key]
    assert items[2]["weighted_kappa"] is None and items[2]["prevalence_y"] is not None
    text = runner.invoke(main, ["compare", *map(str, paths[:2]), "--rubric", "testex", "--dry-run"]).output
    assert "wt.k   AC2" in text and "weighted kappa (points) (Cohen 1968)" in text
    report = json.loads(runner.invoke(main, ["compare", *map(str, paths), "--rubric", "testex", "--dry-run",
                                             "--json"]).output)
    six = [[r[6] for r in rows[1:]] for rows in (POINTS, other, third)]
    ratings = list(zip(*six))
    item6 = report["items"][5]
    assert item6["weighted_kappa"] == pytest.approx(
        ag.conger_kappa(ratings, [0, 1, 2, 3], weights="linear").value, abs=1e-12)
    assert item6["gwet_ac2"] == pytest.approx(
        ag.gwet_ac1_multirater(ratings, [0, 1, 2, 3], weights="linear").value, abs=1e-12)
    assert item6["fleiss_kappa"] == pytest.approx(ag.fleiss_kappa(ratings, [0, 1, 2, 3]).value, abs=1e-12)
    out = tmp_path / "dis.xlsx"
    assert runner.invoke(main, ["compare", *map(str, paths), "--rubric", "testex", "-o", str(out)]).exit_code == 0
    header, rows = _item_block(_sheet_rows(out))
    assert {"Wt. kappa (linear)", "Gwet's AC2 (linear)", "AC2 95% CI"} <= set(header)
    assert rows[5]["Wt. kappa (linear)"] == round(item6["weighted_kappa"], 3)


@pytest.mark.parametrize("assessors", [2, 3])
def test_statistics_sheet_is_readable_and_prints_one_page_wide(tmp_path, assessors):
    """Before: column A (6 wide) held "Weighted kappa, linear weights" and "Lower 95% limit of agreement",
    the CIs were cut ("0.554 to 0"), and 18 columns printed squeezed onto one page."""
    runner = CliRunner()
    sheets = (("a", BASE), ("b", OTHER), ("c", THIRD))[:assessors]
    paths = [filled_template(tmp_path, name, sheet, runner) for name, sheet in sheets]
    out = tmp_path / "dis.xlsx"
    assert runner.invoke(main, ["compare", *paths, "-o", str(out)]).exit_code == 0
    sheet = openpyxl.load_workbook(out)["Statistics"]
    width = {letter: d.width for letter, d in sheet.column_dimensions.items()}
    merged = {r.coord.split(":")[0]: r for r in sheet.merged_cells.ranges}

    def room(cell):  # characters a cell's text has: its merged range's columns, or its own
        span = merged.get(cell.coordinate)
        letters = ([openpyxl.utils.get_column_letter(c) for c in range(span.min_col, span.max_col + 1)]
                   if span else [cell.column_letter])
        return sum(width.get(letter, 8.43) for letter in letters)

    rows = list(sheet.iter_rows())
    start = next(i for i, row in enumerate(rows) if str(row[0].value).startswith("Totals ("))
    end = next(i for i, row in enumerate(rows) if row[0].value == "Methods and sources")
    for row in rows[start + 1:end]:
        label, ci = row[0], row[3]
        if label.value:  # the statistic spans Item and Criterion; a longer one wraps onto a taller row
            assert label.coordinate in merged
            assert len(label.value) < room(label) or sheet.row_dimensions[label.row].height, label.value
        if isinstance(ci.value, str):
            assert len(ci.value) < room(ci), ci.value  # an interval is never cut
    assert rows[start + 1][0].value == "Statistic" and rows[start + 1][2].value == "Value"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows is None  # the item header does not head the totals' page
