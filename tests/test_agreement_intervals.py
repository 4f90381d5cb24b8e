"""Issue 15, points 1-3: an agreement statistic never carries a misleading interval.

Where the F-based / Satterthwaite ICC bounds break (inverted, above 1, excluding the estimate, or across
the pole of the Spearman-Brown step-up) there is no interval and a reason naming the cause; the same for
Cohen's kappa when one rater gave a single answer (kappa 0 by construction, SE exactly 0). pingouin and
R psych print the broken intervals, so agreeing with them is not the test: the properties are.
"""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from test_compare import filled_template

from pedro.agreement import ICC_FORMS, cohen_kappa, cohen_kappa_table, icc
from pedro.cli import main

SLACK = 1e-9


def assert_interval_sound(stat, form, data):
    """Either no interval with a reason, or lower <= estimate <= upper <= 1."""
    if stat.value is None or stat.ci95 is None:
        assert stat.reason, (form, data, stat)
        return
    lower, upper = stat.ci95
    assert lower <= stat.value + SLACK and stat.value <= upper + SLACK, (form, data, stat)
    assert upper <= 1 + SLACK, (form, data, stat)


# --------------------------------------------------------------------------- regressions from the issue


@pytest.mark.parametrize("data", [[[7, 9], [8, 7], [5, 3]], [[6, 7], [6, 0]]])
def test_icc_2k_interval_across_the_step_up_pole_is_withheld(data):
    # Today (and in pingouin) these gave (4.91, 0.996) around 0.830 and (4.10, 0.999) around 0.0.
    stat = icc(data, "ICC(2,k)")
    assert stat.value is not None and stat.ci95 is None
    assert "below -1/(k-1)" in stat.reason and "pole" in stat.reason and "ICC(2,1)" in stat.reason
    # the upper bound alone still holds and is given, as a one-sided bound
    assert "one-sided 97.5% upper bound" in stat.reason
    upper = float(stat.reason.rsplit(" ", 1)[1])
    assert stat.value <= upper <= 1


def test_icc_2k_example_values():
    stat = icc([[7, 9], [8, 7], [5, 3]], "ICC(2,k)")
    assert stat.value == pytest.approx(0.830, abs=5e-4)
    assert stat.reason.endswith("upper bound is 0.996")
    assert icc([[6, 7], [6, 0]], "ICC(2,k)").value == pytest.approx(0.0, abs=1e-12)


def test_icc_2k_negative_denominator_names_the_real_cause():
    # BMS = 4, JMS = 1, EMS = 16: BMS + (JMS - EMS)/n = -3.5, the ratio would be 12/3.5 = 3.43
    stat = icc([[8, 5], [2, 7]], "ICC(2,k)")
    assert stat.value is None and stat.ci95 is None
    assert "same mean rating" not in stat.reason
    assert "negative" in stat.reason and "JMS = 1 is below EMS = 16" in stat.reason
    assert "3.43" in stat.reason and "above 1" in stat.reason


def test_icc_no_between_subject_variance_keeps_its_reason():
    stat = icc([[1, 3], [3, 1]], "ICC(3,k)")  # subject means 2 and 2
    assert stat.value is None and "same mean rating" in stat.reason


def test_average_measure_lower_bounds_below_minus_one_are_kept():
    # ICC(3,k) and ICC(1,k) range over (-inf, 1]: a lower bound of -7.9 is a legitimate bound, not a fault.
    for form in ("ICC(3,k)", "ICC(1,k)"):
        stat = icc([[7, 9], [8, 7], [5, 3]], form)
        assert stat.ci95 is not None and stat.ci95[0] < -1 and stat.reason is None
        assert_interval_sound(stat, form, None)


def test_sound_intervals_are_still_given():
    # Shrout & Fleiss (1979) Table 2 data: psych's intervals are sound, so none is withheld (their values
    # are pinned in test_agreement.py::test_icc_ci_matches_psych_printout).
    data = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    for form in ICC_FORMS:
        stat = icc(data, form)
        assert stat.reason is None and stat.ci95 is not None, form
        assert_interval_sound(stat, form, data)


# --------------------------------------------------------------------------- simulation


def _pedro_totals(rng, n: int, k: int, spread: int) -> np.ndarray:
    """n trials' PEDro totals (0-10) from k assessors: a true total plus each assessor's slip."""
    truth = rng.integers(0, 11, size=(n, 1))
    return np.clip(truth + rng.integers(-spread, spread + 1, size=(n, k)), 0, 10)


@pytest.mark.slow
def test_every_simulated_icc_interval_is_absent_with_a_reason_or_sound():
    rng = np.random.default_rng(20261206)
    withheld = 0
    for draw in range(4000):
        k = 2 if draw % 2 else 3
        n = int(rng.integers(3, 21))
        # close assessors, sloppy ones, and unrelated ones (independent totals): the last break the most
        data = (_pedro_totals(rng, n, k, draw % 3 + 1) if draw % 4 else rng.integers(0, 11, size=(n, k)))
        for form in ICC_FORMS:
            stat = icc(data, form)
            assert_interval_sound(stat, form, data.tolist())
            withheld += stat.value is not None and stat.ci95 is None
    assert withheld > 0  # the faults the issue reports do occur in these draws and are caught


# --------------------------------------------------------------------------- kappa with a zero SE


def test_kappa_one_rater_single_answer_has_no_interval():
    a = ["Y"] * 12
    b = ["Y"] * 9 + ["N"] * 3
    for rater_a, rater_b, who in ((a, b, "A"), (b, a, "B")):
        stat = cohen_kappa(rater_a, rater_b, ["Y", "N"])
        assert stat.value == 0.0 and stat.se == 0.0 and stat.ci95 is None
        assert f"rater {who} answered 'Y' on every subject" in stat.reason
        assert "0 by construction" in stat.reason and "AC1" in stat.reason


@pytest.mark.parametrize("yes", range(1, 40))
def test_kappa_se_residue_is_exactly_zero(yes):
    # the float SE here was 0 or ~2.4e-8 depending on summation order; it is exactly 0 either way
    stat = cohen_kappa_table([[yes, 40 - yes], [0, 0]], ["Y", "N"])
    assert stat.se == 0.0 and stat.ci95 is None and stat.value == 0.0


def test_kappa_both_raters_single_answer_stays_undefined():
    stat = cohen_kappa(["Y"] * 5, ["Y"] * 5, ["Y", "N"])
    assert stat.value is None and "0/0" in stat.reason


def test_kappa_ordinary_interval_unchanged():
    a = ["Y"] * 25 + ["N"] * 25
    b = ["Y"] * 20 + ["N"] * 5 + ["Y"] * 10 + ["N"] * 15
    stat = cohen_kappa(a, b)
    assert stat.reason is None and stat.ci95 == pytest.approx((0.4 - 1.959964 * stat.se, 0.4 + 1.959964 * stat.se))


def test_compare_reports_why_kappa_has_no_interval(tmp_path):
    # ann answers item 3 "Y" on every trial, ben does not: kappa 0, no interval, and the reason reaches
    # the JSON report and the Statistics sheet's CI cell
    runner = CliRunner()
    ann = filled_template(tmp_path, "ann", {
        "Smith 2001": "YYYYNNYYYYY", "Jones 2002": "YYYYNNYNNYY", "Lee 2003": "NYYYNNNYYYY",
        "Garcia 2010": "YYYNNNYYYYY", "Okafor 2015": "YYYNNNNNNYY"}, runner)
    ben = filled_template(tmp_path, "ben", {
        "Smith 2001": "YYNYNNYYYYY", "Jones 2002": "YYNYNNYYNYY", "Lee 2003": "NYYYNNNYYYY",
        "Garcia 2010": "YYYNNNYYYYY", "Okafor 2015": "YYNNNNNNNYY"}, runner)
    out = tmp_path / "dis.xlsx"
    result = runner.invoke(main, ["compare", ann, ben, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    item3 = json.loads(result.output)["items"][2]
    assert item3["cohen_kappa"] == 0.0 and item3["cohen_kappa_se"] == 0.0 and item3["cohen_kappa_ci95"] is None
    assert "0 by construction" in item3["reasons"]["cohen_kappa"]

    rows = list(openpyxl.load_workbook(out)["Statistics"].iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "Item")
    row3 = next(r for r in rows[rows.index(header) + 1:] if r and r[0] == 3)
    # the CI cell says there is none, the note says why, once
    assert row3[header.index("kappa 95% CI")] == "none (see note)"
    note = row3[header.index("Undefined because")]
    assert note.count("0 by construction") == 1 and "assessor ann answered 'Y' on every trial" in note
