"""pedro.agreement against published worked examples.

Every statistic is pinned to a figure printed by its author or by a reference
implementation's own documentation; each test names the source and the
printed figure, and the tolerance is half a unit in the last printed digit.
Where no printed figure was found the test says so and computes by hand.
"""

from __future__ import annotations

import doctest
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pedro import agreement as ag

# --------------------------------------------------------------------------
# Helpers and published data sets
# --------------------------------------------------------------------------


def expand(table: list[list[int]], labels: list) -> tuple[list, list]:
    """Rater A and rater B vectors from a contingency table (rows = A, columns = B)."""
    a: list = []
    b: list = []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [labels[i]] * count
            b += [labels[j]] * count
    return a, b


def rows_from_distribution(counts: list[list[int]], labels: list) -> list[list]:
    """Raw rating rows from a subject x category distribution of raters.

    Fleiss' kappa and Gwet's multi-rater AC1 depend only on these counts, so
    any assignment of the ratings to rater columns gives the same value.
    """
    return [[label for label, c in zip(labels, row, strict=True) for _ in range(c)] for row in counts]


def tol(printed: str) -> float:
    """Half a unit in the last printed digit of ``printed``."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 0.5 * 10**-decimals


# Shrout PE, Fleiss JL (1979) Psychol Bull 86:420-428, Table 2: 6 targets x 4 judges.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]

# irrCAC data set cont3x3abstractors (Gwet 2014): 100 pregnant women by two abstractors.
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
ABSTRACTOR_LABELS = ["Ectopic", "AIU", "NIU"]

# irrCAC data set distrib.6raters: 15 patients, 6 psychiatrists, 5 diagnoses.
DISTRIB_6RATERS = [
    [0, 0, 0, 6, 0],
    [0, 3, 0, 0, 3],
    [0, 1, 4, 0, 1],
    [0, 0, 0, 0, 6],
    [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2],
    [2, 0, 3, 1, 0],
    [2, 0, 0, 4, 0],
    [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0],
    [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0],
    [1, 0, 0, 5, 0],
    [0, 2, 0, 3, 1],
]
DIAGNOSES = ["Depression", "Personality Disorder", "Schizophrenia", "Neurosis", "Other"]

# Krippendorff K (2011) "Computing Krippendorff's alpha-reliability", reliability
# data C: 4 observers x 12 units, values 1-5, with gaps. Also irrCAC's
# cac.raw4raters (Gwet 2014, p. 120). Rows are units, columns observers.
KRIPPENDORFF_C = [
    [1, 1, None, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [None, 5, 5, 5],
    [None, None, 1, 1],
    [None, None, 3, None],
]


# --------------------------------------------------------------------------
# Intraclass correlation: Shrout & Fleiss (1979)
# --------------------------------------------------------------------------

# ICCs for the Table 2 data as cited from Shrout & Fleiss (1979): .17, .29, .71
# (single) and .44, .62, .91 (mean of the 4 judges); the paper itself was not at
# hand, but R prints the same: psych::ICC to two decimals and DescTools::ICC to
# three, 0.166, 0.290, 0.715, 0.443, 0.620, 0.909 (dwoll/RExRepos, md/interRaterICC.md).
SHROUT_FLEISS_PRINTED = {
    "ICC(1,1)": ("0.17", "0.166"),
    "ICC(2,1)": ("0.29", "0.290"),
    "ICC(3,1)": ("0.71", "0.715"),
    "ICC(1,k)": ("0.44", "0.443"),
    "ICC(2,k)": ("0.62", "0.620"),
    "ICC(3,k)": ("0.91", "0.909"),
}

# 95% CIs printed by R psych::ICC for the same data (dwoll/RExRepos,
# md/interRaterICC.md): lower bounds to 3 decimals, upper bounds to 2.
PSYCH_CI = {
    "ICC(1,1)": ("-0.133", "0.72"),
    "ICC(2,1)": ("0.019", "0.76"),
    "ICC(3,1)": ("0.342", "0.95"),
    "ICC(1,k)": ("-0.884", "0.91"),
    "ICC(2,k)": ("0.071", "0.93"),
    "ICC(3,k)": ("0.676", "0.99"),
}


@pytest.mark.parametrize("form", ag.ICC_FORMS)
def test_icc_matches_shrout_fleiss_printed_values(form: str) -> None:
    result = ag.icc(SHROUT_FLEISS, form)
    two_places, three_places = SHROUT_FLEISS_PRINTED[form]
    assert result.value == pytest.approx(float(two_places), abs=tol(two_places))
    assert result.value == pytest.approx(float(three_places), abs=tol(three_places))
    assert result.n == 6 and result.se is None


@pytest.mark.parametrize("form", ag.ICC_FORMS)
def test_icc_ci_matches_psych_printout(form: str) -> None:
    lower, upper = PSYCH_CI[form]
    result = ag.icc(SHROUT_FLEISS, form)
    assert result.ci95 is not None
    assert result.ci95[0] == pytest.approx(float(lower), abs=tol(lower))
    assert result.ci95[1] == pytest.approx(float(upper), abs=tol(upper))


def test_icc_1_1_matches_nag_g04gac_example() -> None:
    # NAG Library g04gac/g04gaf example (Shrout & Fleiss data, one-way model):
    # "Intraclass Correlation: 0.17, Lower Limit for 95.0% CI: -0.13,
    # Upper Limit for 95.0% CI: 0.72".
    result = ag.icc(SHROUT_FLEISS, "ICC(1,1)")
    assert result.value == pytest.approx(0.17, abs=0.005)
    assert result.ci95 == pytest.approx((-0.13, 0.72), abs=0.005)


def test_icc_drops_subjects_with_a_missing_rating() -> None:
    with_gaps = [*SHROUT_FLEISS, [5, None, 4, 6], [np.nan, 3, 3, 3]]
    result = ag.icc(with_gaps, "ICC(2,1)")
    assert (result.n, result.n_excluded) == (6, 2)
    assert result.value == pytest.approx(ag.icc(SHROUT_FLEISS, "ICC(2,1)").value)


def test_icc_form_must_be_named() -> None:
    with pytest.raises(ValueError, match="ICC\\(2,1\\)"):
        ag.icc(SHROUT_FLEISS, "ICC2")


def test_icc_rejects_text_ratings() -> None:
    with pytest.raises(ValueError, match="subject 2"):
        ag.icc([[1, 2], ["Y", 3]], "ICC(1,1)")


# --------------------------------------------------------------------------
# Cohen's kappa, observed agreement, PABAK, prevalence and bias indices
# --------------------------------------------------------------------------


def test_kappa_wikipedia_grant_proposals() -> None:
    # Wikipedia "Cohen's kappa", worked example (copy seen at howcodex.com):
    # 50 proposals, Yes/Yes 20, Yes/No 5, No/Yes 10, No/No 15 -> p_o = 0.70, kappa = 0.4.
    a, b = expand([[20, 5], [10, 15]], ["Yes", "No"])
    assert ag.observed_agreement(a, b).value == pytest.approx(0.70, abs=tol("0.70"))
    assert ag.cohen_kappa(a, b).value == pytest.approx(0.4, abs=tol("0.4"))


def test_kappa_se_and_ci_match_sas_printout() -> None:
    # SAS PROC FREQ printout quoted in statsmodels' test_inter_rater.py
    # (TestUnweightedCohens, table10): Kappa 0.4842, ASE 0.1380,
    # 95% Lower Conf Limit 0.2137, Upper 0.7547. SAS's ASE is the
    # Fleiss-Cohen-Everitt (1969) non-null SE.
    a, b = expand([[0, 4, 1], [0, 8, 0], [0, 1, 5]], [1, 2, 3])
    result = ag.cohen_kappa(a, b)
    assert result.value == pytest.approx(0.4842, abs=tol("0.4842"))
    assert result.se == pytest.approx(0.1380, abs=tol("0.1380"))
    assert result.ci95 == pytest.approx((0.2137, 0.7547), abs=tol("0.2137"))


def test_kappa_and_se_match_irrcac_abstractors() -> None:
    # irrCAC README (kgwet/irrCAC), kappa2.table(cont3x3abstractors):
    # "Cohen's Kappa 0.7964094 0.05891072 (0.68,0.913)". irrCAC's interval uses a
    # t quantile; ours is normal, so only the estimate and SE are compared.
    a, b = expand(ABSTRACTORS, ABSTRACTOR_LABELS)
    result = ag.cohen_kappa(a, b)
    assert result.value == pytest.approx(0.7964094, abs=tol("0.7964094"))
    assert result.se == pytest.approx(0.05891072, abs=tol("0.05891072"))
    assert result.ci95 == pytest.approx((0.7964094 - 1.96 * 0.05891072, 0.7964094 + 1.96 * 0.05891072), abs=1e-3)


def test_kappa_matches_irr_kappa2_printout() -> None:
    # R irr::kappa2 and irr::agree on a 3 x 3 table (dwoll/RExRepos,
    # md/interRaterICC.md): "%-agree = 70", "Kappa = 0.429".
    a, b = expand([[53, 5, 2], [11, 14, 5], [1, 6, 3]], ["V", "N", "P"])
    assert ag.observed_agreement(a, b).value == pytest.approx(0.70, abs=0.005)
    assert ag.cohen_kappa(a, b).value == pytest.approx(0.429, abs=tol("0.429"))


def test_observed_agreement_se_matches_irrcac() -> None:
    # irrCAC README, pa2.table(cont3x3abstractors): "Percent Agreement 0.89 0.03128898".
    a, b = expand(ABSTRACTORS, ABSTRACTOR_LABELS)
    result = ag.observed_agreement(a, b)
    assert result.value == pytest.approx(0.89, abs=tol("0.89"))
    assert result.se == pytest.approx(0.03128898, abs=tol("0.03128898"))


def test_k_category_pabak_is_brennan_prediger_as_printed_by_irrcac() -> None:
    # irrCAC README, bp2.table(cont3x3abstractors): "Brennan-Prediger 0.835 0.04693346".
    # (k p_o - 1)/(k - 1) with k = 3 is Brennan & Prediger's coefficient.
    a, b = expand(ABSTRACTORS, ABSTRACTOR_LABELS)
    result = ag.pabak(a, b)
    assert result.value == pytest.approx(0.835, abs=tol("0.835"))
    assert result.se == pytest.approx(0.04693346, abs=tol("0.04693346"))


def test_pabak_prevalence_and_bias_index_by_hand() -> None:
    # No printed PI/BI figure was found in the stored sources (Sim & Wright 2005
    # and Byrt et al. 1993 could not be read), so these are computed by hand from
    # Byrt, Bishop & Carlin's definitions on the Wikipedia table:
    # a = 20, b = 5, c = 10, d = 15, n = 50.
    a, b = expand([[20, 5], [10, 15]], ["Yes", "No"])
    assert ag.pabak(a, b).value == pytest.approx(2 * 0.70 - 1)
    assert ag.prevalence_index(a, b).value == pytest.approx(abs(20 - 15) / 50)
    assert ag.bias_index(a, b).value == pytest.approx(abs(5 - 10) / 50)
    assert ag.prevalence_index(a, b, positive="Yes").value == pytest.approx((20 - 15) / 50)
    # A says "Yes" 25 times, B 30 times: B is the more lenient rater.
    assert ag.bias_index(a, b, positive="Yes").value == pytest.approx((5 - 10) / 50)
    assert ag.bias_index(a, b, positive="No").value == pytest.approx((10 - 5) / 50)


@pytest.mark.parametrize("table", [[[20, 5], [10, 15]], [[40, 9], [6, 45]], [[80, 10], [5, 5]]])
def test_kappa_pabak_identity_of_byrt_bishop_carlin(table: list[list[int]]) -> None:
    # Byrt, Bishop & Carlin (1993): kappa = (PABAK - PI^2 + BI^2) / (1 - PI^2 + BI^2).
    a, b = expand(table, ["Y", "N"])
    pi = ag.prevalence_index(a, b).value
    bi = ag.bias_index(a, b).value
    expected = (ag.pabak(a, b).value - pi**2 + bi**2) / (1 - pi**2 + bi**2)
    assert ag.cohen_kappa(a, b).value == pytest.approx(expected)


def test_prevalence_and_bias_index_need_two_categories() -> None:
    a, b = expand(ABSTRACTORS, ABSTRACTOR_LABELS)
    assert ag.prevalence_index(a, b).value is None
    assert "two categories" in ag.bias_index(a, b).reason
    with pytest.raises(ValueError, match="positive"):
        ag.bias_index(["Y", "N"], ["Y", "N"], positive="?")


# --------------------------------------------------------------------------
# Gwet's AC1
# --------------------------------------------------------------------------


def test_ac1_two_raters_matches_irrcac() -> None:
    # irrCAC README, gwet.ac1.table(cont3x3abstractors): "Gwet's AC1 0.8493305 0.04321747".
    a, b = expand(ABSTRACTORS, ABSTRACTOR_LABELS)
    result = ag.gwet_ac1(a, b)
    assert result.value == pytest.approx(0.8493305, abs=tol("0.8493305"))
    assert result.se == pytest.approx(0.04321747, abs=tol("0.04321747"))


def test_ac1_multirater_matches_irrcac_six_psychiatrists() -> None:
    # irrCAC README, gwet.ac1.dist(distrib.6raters): "Gwet's AC1 0.4448007 0.08418757".
    rows = rows_from_distribution(DISTRIB_6RATERS, DIAGNOSES)
    result = ag.gwet_ac1_multirater(rows)
    assert result.value == pytest.approx(0.4448007, abs=tol("0.4448007"))
    assert result.se == pytest.approx(0.08418757, abs=tol("0.08418757"))
    assert result.n == 15


def test_ac1_counts_unused_categories_when_told() -> None:
    # AC1's chance agreement divides by q - 1: the category list matters.
    a, b = ["Y", "Y", "N", "N"], ["Y", "N", "N", "N"]
    assert ag.gwet_ac1(a, b).value == ag.gwet_ac1(a, b, categories=["Y", "N"]).value
    assert ag.gwet_ac1(a, b, categories=["Y", "N", "?"]).value != ag.gwet_ac1(a, b).value


# --------------------------------------------------------------------------
# Fleiss' kappa
# --------------------------------------------------------------------------

# Fleiss (1971) diagnoses of 30 patients by 6 psychiatrists, as raw ratings
# (dwoll/RExRepos, md/interRaterICC.md, where irr::kappam.fleiss prints "Kappa = 0.43";
# the same data are statsmodels' `diagnoses`). Fleiss (1971) is cited as printing
# 0.430; the paper itself was not at hand, so both precisions are checked.
FLEISS_1971_RATERS = [
    [4, 2, 2, 5, 2, 1, 3, 1, 1, 5, 1, 1, 2, 1, 2, 3, 1, 1, 2, 1, 5, 2, 2, 1, 1, 2, 1, 2, 1, 5],
    [4, 2, 3, 5, 2, 1, 3, 1, 1, 5, 4, 2, 2, 4, 2, 3, 1, 1, 2, 3, 5, 4, 2, 1, 4, 2, 1, 2, 3, 5],
    [4, 2, 3, 5, 2, 3, 3, 3, 4, 5, 4, 4, 2, 4, 4, 3, 1, 1, 4, 3, 5, 4, 4, 4, 4, 2, 1, 4, 3, 5],
    [4, 5, 3, 5, 4, 3, 3, 3, 4, 5, 4, 4, 3, 4, 4, 3, 4, 1, 4, 5, 5, 4, 5, 4, 4, 2, 1, 4, 3, 5],
    [4, 5, 3, 5, 4, 3, 5, 3, 4, 5, 4, 4, 3, 4, 4, 3, 5, 1, 4, 5, 5, 4, 5, 4, 4, 2, 5, 4, 3, 5],
    [4, 5, 5, 5, 4, 3, 5, 4, 4, 5, 4, 4, 3, 4, 5, 5, 5, 2, 4, 5, 5, 4, 5, 4, 5, 4, 5, 4, 3, 5],
]


def test_fleiss_kappa_fleiss_1971() -> None:
    letters = [["abcde"[v - 1] for v in rater] for rater in FLEISS_1971_RATERS]
    rows = [list(subject) for subject in zip(*letters, strict=True)]
    result = ag.fleiss_kappa(rows)
    assert result.value == pytest.approx(0.43, abs=tol("0.43"))
    assert result.value == pytest.approx(0.430, abs=tol("0.430"))
    assert (result.n, result.n_excluded) == (30, 0)


def test_fleiss_kappa_wikipedia_example() -> None:
    # Wikipedia "Fleiss' kappa" worked example: 10 subjects, 14 raters, 5 categories,
    # kappa = 0.210 (quoted as kappa_wp in statsmodels' test_inter_rater.py).
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    rows = rows_from_distribution(table, [1, 2, 3, 4, 5])
    assert ag.fleiss_kappa(rows).value == pytest.approx(0.210, abs=tol("0.210"))


def test_fleiss_kappa_and_se_match_irrcac_six_psychiatrists() -> None:
    # irrCAC README, fleiss.kappa.dist(distrib.6raters): "Fleiss' Kappa 0.4139265 0.08119291".
    rows = rows_from_distribution(DISTRIB_6RATERS, DIAGNOSES)
    result = ag.fleiss_kappa(rows)
    assert result.value == pytest.approx(0.4139265, abs=tol("0.4139265"))
    assert result.se == pytest.approx(0.08119291, abs=tol("0.08119291"))


# --------------------------------------------------------------------------
# Krippendorff's alpha
# --------------------------------------------------------------------------


def test_krippendorff_alpha_reliability_data_c() -> None:
    # Krippendorff (2011), nominal alpha for reliability data C = 0.743; irrCAC
    # README, krippen.alpha.raw(cac.raw4raters) prints 0.74342.
    result = ag.krippendorff_alpha(KRIPPENDORFF_C)
    assert result.value == pytest.approx(0.743, abs=tol("0.743"))
    assert result.value == pytest.approx(0.74342, abs=tol("0.74342"))
    # unit 12 has a single value: not pairable, so excluded
    assert (result.n, result.n_excluded) == (11, 1)


def test_krippendorff_alpha_works_on_labels() -> None:
    as_labels = [[None if v is None else "abcde"[v - 1] for v in row] for row in KRIPPENDORFF_C]
    assert ag.krippendorff_alpha(as_labels).value == pytest.approx(ag.krippendorff_alpha(KRIPPENDORFF_C).value)


def test_krippendorff_alpha_wikipedia_example() -> None:
    # Wikipedia "Krippendorff's alpha" computational example (3 coders x 15 units,
    # nominal alpha 0.691), asserted as 0.691358 in fast-krippendorff's own tests.
    coders = [
        [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
        [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
        [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
    ]
    rows = [list(unit) for unit in zip(*coders, strict=True)]
    assert ag.krippendorff_alpha(rows).value == pytest.approx(0.691, abs=tol("0.691"))


# --------------------------------------------------------------------------
# Bland-Altman
# --------------------------------------------------------------------------

# Bland JM, Altman DG (1986) Lancet i:307-310, Table 1: first PEFR reading (l/min) of
# 17 subjects with the Wright and the mini Wright meter. The paper gives a mean
# difference of -2.1 l/min, SD 38.8, and limits -79.7 to 75.5 using 2 SD of the
# rounded figures. (Data as reproduced in several independent code copies.)
WRIGHT = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
MINI_WRIGHT = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]


def test_bland_altman_by_hand() -> None:
    # d = (1, 0, -1, 2, 3): mean 1, sample variance (0 + 1 + 4 + 1 + 4)/4 = 2.5.
    result = ag.bland_altman([6, 5, 4, 8, 9], [5, 5, 5, 6, 6])
    assert result.bias == pytest.approx(1.0)
    assert result.sd == pytest.approx(math.sqrt(2.5))
    assert result.lower == pytest.approx(1 - 1.96 * math.sqrt(2.5))
    assert result.upper == pytest.approx(1 + 1.96 * math.sqrt(2.5))
    assert result.n == 5


def test_bland_altman_lancet_1986_pefr() -> None:
    result = ag.bland_altman(WRIGHT, MINI_WRIGHT)
    assert result.bias == pytest.approx(-2.1, abs=tol("-2.1"))
    assert result.sd == pytest.approx(38.8, abs=tol("38.8"))
    bias, sd = round(result.bias, 1), round(result.sd, 1)
    assert (bias - 2 * sd, bias + 2 * sd) == pytest.approx((-79.7, 75.5), abs=1e-9)
    assert (result.lower, result.upper) == pytest.approx(
        (result.bias - 1.96 * result.sd, result.bias + 1.96 * result.sd)
    )


def test_bland_altman_drops_incomplete_pairs() -> None:
    result = ag.bland_altman([6, None, 4, 8], [5, 5, np.nan, 6])
    assert (result.n, result.n_excluded) == (2, 2)
    assert result.bias == pytest.approx(1.5)


# --------------------------------------------------------------------------
# Degenerate inputs: never NaN, never raise; value None with a reason
# --------------------------------------------------------------------------


def test_full_agreement() -> None:
    a = ["Y", "N", "Y", "Y", "N"]
    kappa = ag.cohen_kappa(a, a)
    # SE 0: an interval "1.000 to 1.000" would claim certainty that five trials cannot give
    assert (kappa.value, kappa.se, kappa.ci95) == (1.0, 0.0, None)
    assert kappa.reason.startswith("both raters agreed on every subject: the standard error is 0")
    assert ag.observed_agreement(a, a).value == 1.0
    assert ag.pabak(a, a).value == 1.0
    assert ag.gwet_ac1(a, a).value == 1.0
    assert ag.fleiss_kappa([[x, x, x] for x in a]).value == 1.0
    assert ag.krippendorff_alpha([[x, x] for x in a]).value == 1.0
    assert ag.icc([[x, x] for x in [3, 5, 7, 8]], "ICC(2,1)").ci95 == (1.0, 1.0)


def test_one_category_only() -> None:
    a = ["N"] * 6
    kappa = ag.cohen_kappa(a, a, categories=["Y", "N"])
    assert kappa.value is None and "chance agreement is 1" in kappa.reason
    assert kappa.n == 6
    # PABAK and AC1 are defined once both possible answers are named...
    assert ag.pabak(a, a, categories=["Y", "N"]).value == 1.0
    assert ag.gwet_ac1(a, a, categories=["Y", "N"]).value == 1.0
    assert ag.prevalence_index(a, a, categories=["Y", "N"], positive="Y").value == -1.0
    # ...but not when only one category is known.
    for result in (ag.pabak(a, a), ag.gwet_ac1(a, a), ag.prevalence_index(a, a)):
        assert result.value is None and "categories" in result.reason
    assert ag.fleiss_kappa([a[:3], a[3:]]).value is None
    assert ag.krippendorff_alpha([a[:3], a[3:]]).value is None
    assert ag.gwet_ac1_multirater([a[:3], a[3:]]).value is None


def test_single_subject() -> None:
    for result in (
        ag.observed_agreement(["Y"], ["N"]),
        ag.cohen_kappa(["Y"], ["N"]),
        ag.pabak(["Y"], ["N"]),
        ag.gwet_ac1(["Y"], ["N"]),
        ag.fleiss_kappa([["Y", "N", "N"]]),
        ag.gwet_ac1_multirater([["Y", "N", "N"]]),
        ag.icc([[4, 5]], "ICC(3,1)"),
    ):
        assert result.value is None
        assert "at least 2 subjects" in result.reason
    assert ag.bland_altman([4], [5]).bias is None


def test_empty_input() -> None:
    assert ag.cohen_kappa([], []).value is None
    assert ag.fleiss_kappa([]).value is None
    assert ag.krippendorff_alpha([]).value is None
    assert ag.icc([], "ICC(1,1)").value is None
    assert ag.bland_altman([], []).bias is None


def test_missing_ratings_drop_the_subject() -> None:
    a = ["Y", "N", None, "Y", "N", float("nan")]
    b = ["Y", "N", "Y", np.nan, "Y", "N"]
    result = ag.cohen_kappa(a, b)
    assert (result.n, result.n_excluded) == (3, 3)
    assert result.value == pytest.approx(ag.cohen_kappa(["Y", "N", "N"], ["Y", "N", "Y"]).value)
    rows = [["Y", "Y", "N"], ["N", None, "N"], ["Y", "Y", "Y"], ["N", "N", "N"]]
    assert ag.fleiss_kappa(rows, complete_cases=True).n_excluded == 1
    assert ag.gwet_ac1_multirater(rows, complete_cases=True).n_excluded == 1


def test_pandas_missing_values() -> None:
    pd = pytest.importorskip("pandas")
    a = pd.Series(["Y", "N", pd.NA, "Y", "N"])
    b = pd.Series(["Y", "N", "N", None, "Y"])
    result = ag.cohen_kappa(a, b)
    assert (result.n, result.n_excluded) == (3, 2)
    frame = pd.DataFrame({"r1": [1.0, 2.0, np.nan, 4.0], "r2": [1.5, 2.0, 3.0, 4.5]})
    assert ag.icc(frame, "ICC(1,1)").n == 3


def test_icc_without_variance() -> None:
    result = ag.icc([[3, 3], [3, 3], [3, 3]], "ICC(2,1)")
    assert result.value is None and "no variance" in result.reason
    no_subject_variance = ag.icc([[1, 2], [1, 2], [1, 2]], "ICC(3,1)")
    assert no_subject_variance.value is None and "between-subject" in no_subject_variance.reason
    assert ag.icc([[1], [2], [3]], "ICC(1,1)").value is None


def test_unknown_label_is_refused() -> None:
    with pytest.raises(ValueError, match="'maybe' is not one of the categories"):
        ag.cohen_kappa(["Y", "maybe"], ["Y", "N"], categories=["Y", "N", "?"])


def test_raters_must_rate_the_same_subjects() -> None:
    with pytest.raises(ValueError, match="3 ratings from rater A and 2"):
        ag.cohen_kappa(["Y", "N", "Y"], ["Y", "N"])


# --------------------------------------------------------------------------
# Results are JSON-ready, plain floats, never NaN
# --------------------------------------------------------------------------


def test_to_dict_is_json_ready() -> None:
    a, b = expand(ABSTRACTORS, ABSTRACTOR_LABELS)
    d = ag.cohen_kappa(a, b).to_dict()
    assert set(d) == {"value", "se", "ci95", "reason", "method", "n", "n_excluded"}
    assert type(d["value"]) is float and type(d["se"]) is float and isinstance(d["ci95"], list)
    json.dumps(d, allow_nan=False)
    undefined = ag.cohen_kappa(["Y"] * 3, ["Y"] * 3).to_dict()
    assert undefined["value"] is None and undefined["reason"]
    json.dumps(undefined, allow_nan=False)
    json.dumps(ag.bland_altman(WRIGHT, MINI_WRIGHT).to_dict(), allow_nan=False)


def test_statistic_never_holds_nan() -> None:
    result = ag.Statistic(float("nan"), se=1.0, ci95=(0.0, float("inf")))
    assert result.value is None and result.se is None and result.ci95 is None and result.reason


def test_values_are_plain_python_floats() -> None:
    a, b = expand(ABSTRACTORS, ABSTRACTOR_LABELS)
    rows = rows_from_distribution(DISTRIB_6RATERS, DIAGNOSES)
    for result in (
        ag.observed_agreement(a, b),
        ag.cohen_kappa(a, b),
        ag.pabak(a, b),
        ag.gwet_ac1(a, b),
        ag.gwet_ac1_multirater(rows),
        ag.fleiss_kappa(rows),
        ag.krippendorff_alpha(KRIPPENDORFF_C),
        ag.icc(SHROUT_FLEISS, "ICC(2,1)"),
    ):
        assert type(result.value) is float
        assert result.se is None or type(result.se) is float
        assert result.ci95 is None or all(type(x) is float for x in result.ci95)


LABEL = st.sampled_from(["Y", "N", "?", None])


@given(st.lists(st.tuples(LABEL, LABEL), max_size=12))
@settings(max_examples=200, deadline=None)
def test_two_rater_statistics_never_give_nan_or_raise(pairs: list[tuple]) -> None:
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    for function in (ag.observed_agreement, ag.cohen_kappa, ag.pabak, ag.gwet_ac1, ag.prevalence_index, ag.bias_index):
        json.dumps(function(a, b).to_dict(), allow_nan=False)
    json.dumps(ag.krippendorff_alpha([list(p) for p in pairs]).to_dict(), allow_nan=False)


@given(st.lists(st.lists(st.sampled_from([0, 1, 2, 10, None]), min_size=3, max_size=3), max_size=8))
@settings(max_examples=200, deadline=None)
def test_multirater_statistics_never_give_nan_or_raise(rows: list[list]) -> None:
    labels = [[None if v is None else str(v) for v in row] for row in rows]
    for result in (ag.fleiss_kappa(labels), ag.gwet_ac1_multirater(labels), ag.krippendorff_alpha(labels)):
        json.dumps(result.to_dict(), allow_nan=False)
    for form in ag.ICC_FORMS:
        result = ag.icc(rows, form)
        json.dumps(result.to_dict(), allow_nan=False)
        assert result.value is not None or result.reason
    json.dumps(ag.bland_altman([r[0] for r in rows], [r[1] for r in rows]).to_dict(), allow_nan=False)


# --------------------------------------------------------------------------
# The statistics from counts: the same results as from ratings
# --------------------------------------------------------------------------


def test_kappa_from_the_table_matches_sas_printout() -> None:
    # The SAS table of test_kappa_se_and_ci_match_sas_printout, given as counts.
    a, b = expand(ABSTRACTORS, ABSTRACTOR_LABELS)
    from_ratings = ag.cohen_kappa(a, b, categories=ABSTRACTOR_LABELS)
    assert ag.cohen_kappa_table(ABSTRACTORS, ABSTRACTOR_LABELS) == from_ratings
    assert ag.gwet_ac1_table(ABSTRACTORS, ABSTRACTOR_LABELS) == ag.gwet_ac1(a, b, categories=ABSTRACTOR_LABELS)


def test_fleiss_kappa_from_counts_is_fleiss_1971() -> None:
    counts = ag.fleiss_kappa_counts(DISTRIB_6RATERS, DIAGNOSES)
    assert counts == ag.fleiss_kappa(rows_from_distribution(DISTRIB_6RATERS, DIAGNOSES), categories=DIAGNOSES)


def test_counts_are_checked() -> None:
    with pytest.raises(ValueError, match="2 x 2"):
        ag.cohen_kappa_table([[1, 2, 3]], ["Y", "N"])
    with pytest.raises(ValueError, match="same number of raters"):
        ag.fleiss_kappa_counts([[3, 0], [1, 1]], ["Y", "N"], complete_cases=True)
    with pytest.raises(ValueError, match="one column per category"):
        ag.krippendorff_alpha_counts([[1, 1, 0]], ["Y", "N"])


TWINS = [
    (ag.observed_agreement, ag.observed_agreement_table, {}),
    (ag.cohen_kappa, ag.cohen_kappa_table, {}),
    (ag.pabak, ag.pabak_table, {}),
    (ag.gwet_ac1, ag.gwet_ac1_table, {}),
    (ag.prevalence_index, ag.prevalence_index_table, {"positive": "Y"}),
    (ag.bias_index, ag.bias_index_table, {"positive": "N"}),
]


@given(st.sampled_from([["Y", "N", "?"], ["N", "Y"]]).flatmap(
    lambda cats: st.tuples(st.just(cats), st.lists(st.tuples(*[st.sampled_from([*cats, None])] * 2), max_size=40))))
@settings(max_examples=200, deadline=None)
def test_two_rater_statistics_equal_their_table_twins(drawn: tuple) -> None:
    categories, pairs = drawn
    complete = [(x, y) for x, y in pairs if x is not None and y is not None]
    table = [[sum(1 for x, y in complete if (x, y) == (r, c)) for c in categories] for r in categories]
    for function, twin, options in TWINS:
        from_ratings = function([x for x, _ in pairs], [y for _, y in pairs],
                                **({} if function is ag.observed_agreement else {"categories": categories}), **options)
        if len(complete) < 2 and function is not ag.observed_agreement:
            continue  # from ratings, fewer than two complete pairs is "too few" before anything else
        from_table = twin(table, categories, n_excluded=len(pairs) - len(complete), **options)
        assert from_table.to_dict() == from_ratings.to_dict()


@given(st.lists(st.lists(LABEL, min_size=3, max_size=3), max_size=12))
@settings(max_examples=200, deadline=None)
def test_multirater_statistics_equal_their_count_twins(rows: list[list]) -> None:
    categories = ["Y", "N", "?"]
    counts = [[row.count(c) for c in categories] for row in rows]
    complete = [c for c, row in zip(counts, rows) if None not in row]
    excluded = len(rows) - len(complete)
    for function, twin in ((ag.fleiss_kappa, ag.fleiss_kappa_counts),
                           (ag.gwet_ac1_multirater, ag.gwet_ac1_multirater_counts)):
        from_ratings = function(rows, categories=categories, complete_cases=True)
        if len(complete) >= 2:
            twin_result = twin(complete, categories, n_excluded=excluded, complete_cases=True)
            assert twin_result.to_dict() == from_ratings.to_dict()
        if sum(1 for row in rows if row.count(None) < 3) >= 2:
            assert twin(counts, categories).to_dict() == function(rows, categories=categories).to_dict()
    alpha = ag.krippendorff_alpha(rows, categories=categories)
    assert ag.krippendorff_alpha_counts(counts, categories).to_dict() == alpha.to_dict()


def test_numpy_and_pandas_inputs_give_the_same_results() -> None:
    pd = pytest.importorskip("pandas")
    a, b = expand(ABSTRACTORS, ABSTRACTOR_LABELS)
    expected = ag.cohen_kappa(a, b)
    assert ag.cohen_kappa(np.array(a), np.array(b)) == expected
    assert ag.cohen_kappa(pd.Series(a), pd.Series(b, dtype="category")) == expected
    frame = pd.DataFrame(SHROUT_FLEISS, dtype=float)
    assert ag.icc(frame, "ICC(2,1)") == ag.icc(SHROUT_FLEISS, "ICC(2,1)")
    assert ag.icc(np.asfortranarray(frame.to_numpy()), "ICC(2,1)") == ag.icc(SHROUT_FLEISS, "ICC(2,1)")


# --------------------------------------------------------------------------
# Module hygiene
# --------------------------------------------------------------------------


def test_docstring_examples_run() -> None:
    failures, attempted = doctest.testmod(ag, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 10 and failures == 0


def test_heavy_libraries_are_imported_lazily() -> None:
    code = (
        "import sys, pedro.agreement; "
        "print(sorted(m for m in ('scipy', 'statsmodels', 'krippendorff') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
