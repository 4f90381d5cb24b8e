"""Agreement between assessors: chance-corrected coefficients, ICCs and Bland-Altman limits.

Pure functions over plain arrays (lists, tuples, numpy arrays, pandas Series or
DataFrames). One function per statistic; each returns a frozen result whose
numbers are plain Python floats or ``None``, never NaN, so ``to_dict()`` can go
straight into a JSON report.

Ratings
    Categorical ratings may be any hashable labels: PEDro items use ``"Y"``,
    ``"N"`` and ``"?"``. Pass ``categories`` to name every answer a rater could
    have given; several statistics (PABAK, Gwet's AC1, the prevalence and bias
    indices) depend on how many categories there are, not only on those used.
    Without ``categories`` the labels seen in the data are used. A label
    outside ``categories`` raises ``ValueError``.

Counts
    Every categorical statistic is a function of counts: a two-rater
    statistic of the k x k table of the two raters' answers, a multi-rater
    one of the subject x category table of how many raters gave each answer.
    Each has a twin that takes those counts (``cohen_kappa_table``,
    ``fleiss_kappa_counts``, ...), for callers that already hold them; the
    functions over ratings count with numpy and call them, so the two always
    agree.

Missing ratings
    ``None``, float NaN (``numpy.nan``) and ``pandas.NA``/``NaT`` are missing.
    The two-rater statistics and the ICCs use complete cases: a subject (a
    study, for PEDro) with a missing rating from either rater is dropped
    first, and the result records the subjects used (``n``) and dropped
    (``n_excluded``). Fleiss' kappa, Conger's kappa, Brennan-Prediger and
    Gwet's AC1/AC2 for several raters follow Gwet's (2014) generalisation, as
    R irrCAC does: every subject with a rating is kept, those rated once
    counting towards chance agreement only; ``complete_cases=True`` drops
    incomplete subjects instead. Krippendorff's
    alpha is defined for incomplete data, so it keeps every unit rated at
    least twice and counts the others as excluded.

Ordered categories
    :func:`weighted_kappa` and :func:`gwet_ac2` (two raters), and the
    ``weights=`` argument of the multi-rater coefficients, credit near
    misses on an ordered scale (PEDro totals 0-10, the 0-3 points of a
    multi-point criterion): pass the categories in order, the full range,
    and ``"linear"`` or ``"quadratic"`` (:func:`agreement_weights`).

Intervals
    Coefficients with an SE get the normal interval estimate +/- 1.96 SE;
    :func:`with_interval` recomputes it with Student's t on n - 1 degrees of
    freedom, as irrCAC prints it. ICCs have F-based intervals.

Undefined statistics
    Degenerate data never raise and never give NaN. When a statistic is
    undefined (kappa when both raters gave one and the same answer throughout,
    an ICC with no variance, fewer than two subjects) the result has
    ``value=None`` and a plain-English ``reason``. ``reason`` also explains a
    missing standard error or confidence interval next to a valid value.
    Malformed calls (raters of different lengths, text in an ICC) raise
    ``ValueError``.

pandas, scipy, statsmodels and krippendorff are imported inside the functions that use
them, so importing this module (and starting the CLI) stays fast; :func:`import_libraries`
imports the one every comparison uses ahead of time.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .table import first_seen_codes, missing

__all__ = [
    "ICC_FORMS",
    "BlandAltman",
    "Statistic",
    "bias_index",
    "bias_index_table",
    "bland_altman",
    "brennan_prediger",
    "brennan_prediger_counts",
    "cohen_kappa",
    "cohen_kappa_table",
    "conger_kappa",
    "fleiss_kappa",
    "fleiss_kappa_counts",
    "gwet_ac1",
    "gwet_ac1_multirater",
    "gwet_ac1_multirater_counts",
    "gwet_ac1_table",
    "gwet_ac2",
    "gwet_ac2_table",
    "icc",
    "krippendorff_alpha",
    "krippendorff_alpha_counts",
    "observed_agreement",
    "observed_agreement_table",
    "pabak",
    "pabak_table",
    "prevalence_index",
    "prevalence_index_table",
    "weighted_kappa",
    "weighted_kappa_table",
    "with_interval",
    "agreement_weights",
    "CI_METHODS",
    "WEIGHTS",
]

#: Two-sided 95 % standard normal quantile.
_Z95 = 1.959963984540054

#: The six intraclass correlations of Shrout & Fleiss (1979), as named there.
ICC_FORMS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")

# Below this, a chance agreement of 1 or a mean square of 0 is taken as exact:
# floating-point sums of equal ratings leave residues of about 1e-16.
_TOLERANCE = 1e-10


def _finite(x: Any) -> float | None:
    """``x`` as a plain float, or None when it is None, NaN or infinite."""
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Statistic:
    """One agreement statistic with its precision and provenance.

    Attributes
    ----------
    value : float or None
        The estimate; None when the statistic is undefined for these data.
    se : float or None
        Standard error, when the statistic has one (see each function).
    ci95 : (float, float) or None
        95 % confidence interval (lower, upper).
    reason : str or None
        Why ``value`` (or, next to a value, ``se``/``ci95``) is missing.
    method : str
        The formula and the SE/CI method used, with their sources.
    n : int
        Subjects (units) that entered the computation.
    n_excluded : int
        Subjects dropped for missing ratings.
    """

    value: float | None
    se: float | None = None
    ci95: tuple[float, float] | None = None
    reason: str | None = None
    method: str = ""
    n: int = 0
    n_excluded: int = 0

    def __post_init__(self) -> None:
        value = _finite(self.value)
        se = _finite(self.se) if value is not None else None
        ci95 = None
        if value is not None and self.ci95 is not None:
            lower, upper = (_finite(bound) for bound in self.ci95)
            if lower is not None and upper is not None:
                ci95 = (lower, upper)
        reason = self.reason
        if value is None and reason is None:
            reason = "the computation did not give a finite number"
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "se", se)
        object.__setattr__(self, "ci95", ci95)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "n_excluded", int(self.n_excluded))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: floats or None, the interval as a two-item list."""
        return {
            "value": self.value,
            "se": self.se,
            "ci95": list(self.ci95) if self.ci95 is not None else None,
            "reason": self.reason,
            "method": self.method,
            "n": self.n,
            "n_excluded": self.n_excluded,
        }


@dataclass(frozen=True)
class BlandAltman:
    """Bland-Altman summary of two raters' totals.

    Attributes
    ----------
    bias : float or None
        Mean of the differences, rater A minus rater B.
    sd : float or None
        Sample standard deviation (n - 1 denominator) of the differences.
    lower, upper : float or None
        95 % limits of agreement, ``bias - 1.96 sd`` and ``bias + 1.96 sd``.
    reason, method, n, n_excluded
        As in :class:`Statistic`.
    bias_ci95, lower_ci95, upper_ci95 : (float, float) or None
        95 % confidence intervals of the bias and of each limit (Bland & Altman
        1999); None with fewer than three subjects.
    """

    bias: float | None
    sd: float | None
    lower: float | None
    upper: float | None
    reason: str | None = None
    method: str = ""
    n: int = 0
    n_excluded: int = 0
    bias_ci95: tuple[float, float] | None = None
    lower_ci95: tuple[float, float] | None = None
    upper_ci95: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        for name in ("bias", "sd", "lower", "upper"):
            object.__setattr__(self, name, _finite(getattr(self, name)))
        for name in ("bias_ci95", "lower_ci95", "upper_ci95"):
            bounds = getattr(self, name)
            bounds = None if bounds is None else tuple(_finite(b) for b in bounds)
            object.__setattr__(self, name, bounds if bounds is not None and None not in bounds else None)
        if self.bias is None and self.reason is None:
            object.__setattr__(self, "reason", "the computation did not give a finite number")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the summary."""
        return {
            "bias": self.bias,
            "sd": self.sd,
            "lower": self.lower,
            "upper": self.upper,
            "bias_ci95": list(self.bias_ci95) if self.bias_ci95 is not None else None,
            "lower_ci95": list(self.lower_ci95) if self.lower_ci95 is not None else None,
            "upper_ci95": list(self.upper_ci95) if self.upper_ci95 is not None else None,
            "reason": self.reason,
            "method": self.method,
            "n": self.n,
            "n_excluded": self.n_excluded,
        }


# --------------------------------------------------------------------------
# Input handling shared by the statistics
# --------------------------------------------------------------------------
# Ratings become integer codes (in the order first met, as pandas.factorize gives them) and then
# counts (numpy), with no Python loop over subjects.


def _is_missing(x: Any) -> bool:
    """None, NaN, pandas.NA or NaT."""
    if x is None:
        return True
    try:
        return bool(x != x)  # only NaN (and NaT) differ from themselves
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def _plain(x: Any) -> Any:
    """numpy scalars as Python ones, so labels print as 'Y', not np.str_('Y')."""
    return x.item() if isinstance(x, np.generic) else x


def _label_array(ratings: Iterable[Any]) -> np.ndarray:
    """One rater's ratings as a 1-D object array."""
    if isinstance(ratings, np.ndarray) and ratings.ndim == 1:
        return ratings.astype(object)
    if getattr(ratings, "ndim", None) == 1 and hasattr(ratings, "to_numpy"):  # a pandas Series
        return ratings.to_numpy(dtype=object)
    values = list(ratings)
    return np.fromiter(values, dtype=object, count=len(values))


def _same_subjects(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two raters' ratings, checked to be of the same length."""
    if len(a) != len(b):
        raise ValueError(
            f"the two raters must rate the same subjects in the same order; "
            f"got {len(a)} ratings from rater A and {len(b)} from rater B"
        )
    return a, b


def _label_table(ratings: Any) -> np.ndarray:
    """An n_subjects x n_raters table as a 2-D object array (0 x 0 when empty)."""
    table = np.asarray(ratings, dtype=object)
    if table.size == 0:
        return np.empty((0, 0), dtype=object)
    if table.ndim != 2:
        raise ValueError(
            "ratings must be a table with one row per subject and one column per rater; "
            f"got an array with {table.ndim} dimension(s)"
        )
    return table


def _codes(values: np.ndarray) -> tuple[np.ndarray, list]:
    """An integer code per value (one-dimensional), -1 where missing (None, NaN, pandas.NA, NaT), and
    the distinct labels the codes stand for, as first met (``pd.factorize``'s)."""
    try:
        codes, uniques = first_seen_codes(values)
    except TypeError:  # pandas' NA will not say whether it equals itself: pandas' own coding
        import pandas as pd

        codes, uniques = pd.factorize(values)
    return codes, [_plain(label) for label in uniques]


def _seen(values: np.ndarray, codes: np.ndarray) -> list:
    """The distinct ``values`` (with their ``codes``) as first met, as ``dict.fromkeys`` would keep them."""
    _, first = np.unique(codes, return_index=True)
    return [_plain(values[i]) for i in np.sort(first)]


def _category_index(labels: list, cats: Sequence[Hashable]) -> np.ndarray:
    """For each label, its position in ``cats`` (-1 when absent)."""
    position = {label: i for i, label in enumerate(cats)}
    return np.array([position.get(label, -1) for label in labels], dtype=np.intp)


def _pair_table(
    rater_a: Iterable[Any], rater_b: Iterable[Any], categories: Sequence[Hashable] | None
) -> tuple[np.ndarray | None, list, int, int]:
    """(k x k table, categories, subjects both raters rated, subjects dropped).

    Rows are rater A's answers, columns rater B's.  The table is None when fewer
    than two subjects were rated by both (the labels are then left unchecked).
    """
    a, b = _same_subjects(_label_array(rater_a), _label_array(rater_b))
    codes, labels = _codes(np.concatenate([a, b]))
    code_a, code_b = codes[: len(a)], codes[len(a) :]
    complete = (code_a >= 0) & (code_b >= 0)
    n = int(np.count_nonzero(complete))
    if n < 2:
        return None, [], n, len(a) - n
    code_a, code_b = code_a[complete], code_b[complete]
    cats = _categories(_seen(np.concatenate([a[complete], b[complete]]), np.concatenate([code_a, code_b])), categories)
    index = _category_index(labels, cats)
    k = len(cats)
    table = np.bincount(index[code_a] * k + index[code_b], minlength=k * k).reshape(k, k)
    return table.astype(float), cats, n, len(a) - n


def _subject_category_counts(codes: np.ndarray, labels: list, cats: Sequence[Hashable]) -> np.ndarray:
    """n_subjects x n_categories: how many raters put each subject in each category,
    from an n_subjects x n_raters table of codes (-1 where a rating is missing)."""
    k, n = len(cats), len(codes)
    position = _category_index(labels, cats)
    slots = np.where(codes >= 0, position[codes], k) + (k + 1) * np.arange(n)[:, None]
    counts = np.bincount(slots.ravel(), minlength=n * (k + 1)).reshape(n, k + 1)
    return counts[:, :k].astype(float)


def _rater_counts(
    ratings: Any, categories: Sequence[Hashable] | None, complete_cases: bool = True
) -> tuple[np.ndarray | None, list, int, int, int]:
    """(subject x category counts, categories, raters, subjects kept, subjects dropped)
    of the subjects that every rater rated (``complete_cases``) or that at least
    one rater rated (Gwet's missing-data generalisation).

    The counts are None with fewer than two raters or two such subjects (the
    labels are then left unchecked).
    """
    table = _label_table(ratings)
    n_subjects, n_raters = table.shape
    codes, labels = _codes(table.ravel())
    codes = codes.reshape(table.shape)
    complete = (codes >= 0).all(axis=1) if complete_cases else (codes >= 0).any(axis=1)
    codes = codes[complete]
    n = len(codes)
    if n < 2 or n_raters < 2:
        return None, [], n_raters, n, n_subjects - n
    rated = codes >= 0
    cats = _categories(_seen(table[complete][rated], codes[rated]), categories)
    return _subject_category_counts(codes, labels, cats), cats, n_raters, n, n_subjects - n


def _rater_positions(
    ratings: Any, categories: Sequence[Hashable] | None, complete_cases: bool
) -> tuple[np.ndarray | None, list, int, int, int]:
    """As :func:`_rater_counts`, but the subjects x raters table of each rating's position in the
    categories (-1 where missing), for the statistics that need to know which rater said what."""
    counts, cats, n_raters, n, dropped = _rater_counts(ratings, categories, complete_cases)
    if counts is None:
        return None, cats, n_raters, n, dropped
    table = _label_table(ratings)
    codes, labels = _codes(table.ravel())
    codes = codes.reshape(table.shape)
    kept = codes[(codes >= 0).all(axis=1) if complete_cases else (codes >= 0).any(axis=1)]
    return np.where(kept >= 0, _category_index(labels, cats)[kept], -1), cats, n_raters, n, dropped


def _rater_problem(n_raters: int, n: int, n_excluded: int, method: str) -> Statistic:
    """Why no multi-rater statistic: fewer than two raters, or two complete subjects."""
    if n + n_excluded > 0 and n_raters < 2:
        reason = f"needs at least 2 raters (columns); got {n_raters}"
        return Statistic(None, reason=reason, method=method, n=n, n_excluded=n_excluded)
    return _too_few(n, n_excluded, method)


def _categories(observed: Iterable[Hashable], categories: Sequence[Hashable] | None) -> list:
    """The category list: ``categories`` checked against the data, or the labels seen."""
    seen = list(dict.fromkeys(observed))
    if categories is None:
        try:
            return sorted(seen)
        except TypeError:  # labels of mixed types: keep the order first seen
            return seen
    allowed = list(dict.fromkeys(categories))
    unknown = [label for label in seen if label not in allowed]
    if unknown:
        raise ValueError(
            f"rating {unknown[0]!r} is not one of the categories {allowed!r}; "
            "add it to categories or normalise the ratings first"
        )
    return allowed


def _square_table(table: Any, categories: Sequence[Hashable]) -> tuple[np.ndarray, list]:
    """A two-rater table as floats, checked against its categories."""
    cats = list(categories)
    counts = np.ascontiguousarray(table, dtype=float)
    if counts.shape != (len(cats), len(cats)):
        raise ValueError(
            f"the table must be {len(cats)} x {len(cats)}, one row and one column per category "
            f"{cats!r}; got shape {counts.shape}"
        )
    return counts, cats


def _category_counts(counts: Any, categories: Sequence[Hashable]) -> tuple[np.ndarray, list]:
    """A subject x category table of counts as floats, checked against its categories."""
    cats = list(categories)
    table = np.ascontiguousarray(counts, dtype=float)
    if table.size == 0:  # no subjects
        table = table.reshape(0, len(cats))
    if table.ndim != 2 or table.shape[1] != len(cats):
        raise ValueError(
            f"counts must have one row per subject and one column per category {cats!r}; "
            f"got shape {table.shape}"
        )
    return table, cats


def _normal_ci(value: float, se: float) -> tuple[float, float]:
    """value +/- 1.96 SE, kept inside [-1, 1] where agreement coefficients live."""
    return (max(-1.0, value - _Z95 * se), min(1.0, value + _Z95 * se))


#: The interval methods ``with_interval`` offers: the normal quantile (pedro's default) or Student's t with
#: n - 1 degrees of freedom, as R irrCAC prints its intervals.
CI_METHODS = ("z", "t")
_NORMAL_CLAUSE = "+/- 1.96 SE (normal)"
_T_CLAUSE = "+/- t(0.975, n - 1 df) x SE (Student t, as irrCAC: upper bound clipped at 1, lower bound not)"


def import_libraries() -> None:
    """Import what a comparison's statistics will use, ``scipy.special`` (the ICC's F quantiles), now:
    ``pedro compare`` calls this while its pool reads the sheets, so that its 0.15-0.25 s run beside the
    reads instead of after them (issue 18)."""
    import scipy.special  # noqa: F401


def _t_quantile(df: float) -> float:
    """The two-sided 95 % quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.special import stdtrit  # what scipy.stats.t.ppf computes, without importing scipy.stats

    return float(stdtrit(df, 0.975))


def with_interval(stat: Statistic, ci: str = "z") -> Statistic:
    """``stat`` with its 95 % interval computed by ``ci``: ``"z"`` keeps the normal interval
    value +/- 1.96 SE; ``"t"`` gives value +/- t(0.975, n - 1) SE, the interval R irrCAC prints
    (Gwet 2014), with its upper bound clipped at 1 and its lower bound not clipped, as irrCAC does
    (``ucb <- min(1, coeff + stderr * qt(...))``, ``lcb <- coeff - stderr * qt(...)``).  Only a
    statistic with a normal interval changes (its ``method`` then says so, even where the interval is
    withheld for a reason); an ICC's F-based interval and a statistic without an interval are returned
    as they are.

    Examples
    --------
    >>> r = with_interval(Statistic(0.5, se=0.1, ci95=(0.304, 0.696), method="x +/- 1.96 SE (normal)", n=12), "t")
    >>> tuple(round(b, 3) for b in r.ci95), "Student t" in r.method
    ((0.28, 0.72), True)
    """
    if ci not in CI_METHODS:
        raise ValueError(f"ci must be one of {', '.join(CI_METHODS)}; got {ci!r}")
    if ci == "z" or _NORMAL_CLAUSE not in stat.method:
        return stat
    # the method says how intervals are computed, so it changes even where this one is withheld
    method = stat.method.replace(f"{_NORMAL_CLAUSE}, clipped to [-1, 1]", _T_CLAUSE).replace(_NORMAL_CLAUSE, _T_CLAUSE)
    if stat.ci95 is None or stat.se is None or stat.n < 2:
        return dataclasses.replace(stat, method=method)
    half = _t_quantile(stat.n - 1) * stat.se
    ci95 = (stat.value - half, min(1.0, stat.value + half))  # irrCAC clips the upper bound only
    return dataclasses.replace(stat, ci95=ci95, method=method)


#: Agreement weights for ordered categories, by the names irrCAC gives them.
WEIGHTS = ("identity", "linear", "quadratic")
_WEIGHTS_METHOD = {
    "linear": "linear weights w = 1 - |x_k - x_l|/(x_max - x_min) (Cicchetti & Allison 1971)",
    "quadratic": "quadratic weights w = 1 - (x_k - x_l)^2/(x_max - x_min)^2 (Fleiss & Cohen 1973)",
}


def agreement_weights(categories: Sequence[Hashable], weights: str | Any = "identity") -> np.ndarray:
    """The q x q agreement weights of ordered ``categories`` (Gwet 2014, ch. 3; irrCAC's
    ``linear.weights``/``quadratic.weights``).

    ``categories`` are taken in the order given. Numeric categories (PEDro totals 0-10, the 0-3
    points of a multi-point criterion) are weighted by their values x, any others by their
    positions 0..q-1: linear w_kl = 1 - |x_k - x_l|/(x_max - x_min), quadratic
    w_kl = 1 - (x_k - x_l)^2/(x_max - x_min)^2, identity 1 on the diagonal and 0 elsewhere
    (the unweighted coefficients). A q x q array is taken as the weights themselves.

    Examples
    --------
    >>> agreement_weights([0, 1, 2], "linear").tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    """
    q = len(categories)
    if not isinstance(weights, str):
        matrix = np.asarray(weights, dtype=float)
        if matrix.shape != (q, q):
            raise ValueError(f"weights must be a {q} x {q} matrix, one row and column per category; got {matrix.shape}")
        return matrix
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)} or a q x q matrix; got {weights!r}")
    numeric = all(isinstance(c, (int, float, np.number)) and not isinstance(c, bool) for c in categories)
    x = np.array(categories if numeric else range(q), dtype=float)
    span = float(x.max() - x.min()) if q else 0.0
    if weights == "identity" or q < 2 or span == 0:
        return np.eye(q)
    distance = np.abs(x[:, None] - x[None, :]) / span
    return 1 - (distance if weights == "linear" else distance**2)


def _weights_method(method: str, weights: Any) -> str:
    """``method`` with the weights it was computed with, when they are not the identity."""
    if isinstance(weights, str):
        return method if weights == "identity" else f"{method}; {_WEIGHTS_METHOD[weights]}"
    return f"{method}; weights: the q x q matrix given"


def _weighted_pair(p: np.ndarray, w: np.ndarray, value: float, pe: float, g: np.ndarray, n: int) -> float:
    """The SE of a weighted two-rater coefficient (value - pe)/(1 - pe) from the table of proportions
    ``p``, its weights ``w`` and the linearisation term g_kl of its chance agreement (Gwet 2014, ch. 5;
    irrCAC's ``kappa2.table``/``gwet.ac1.table``):
    Var = [sum_kl p_kl (w_kl - (1 - c) g_kl)^2 - (p_a - 2(1 - c) p_e)^2] / (n (1 - p_e)^2).
    For Cohen's kappa g_kl = wbar_k. + wbar_.l, which makes this Fleiss, Cohen & Everitt's (1969)
    large-sample variance of weighted kappa."""
    pa = float(np.sum(w * p))
    variance = (float(np.sum(p * (w - (1 - value) * g) ** 2)) - (pa - 2 * (1 - value) * pe) ** 2) / (n * (1 - pe) ** 2)
    return _exact_zero(math.sqrt(max(variance, 0.0)))


def _too_few(n: int, n_excluded: int, method: str, minimum: int = 2) -> Statistic:
    dropped = f" ({n_excluded} dropped for a missing rating)" if n_excluded else ""
    return Statistic(
        None,
        reason=f"needs at least {minimum} subjects with complete ratings; got {n}{dropped}",
        method=method,
        n=n,
        n_excluded=n_excluded,
    )


def _one_category(cats: Sequence, n: int, n_excluded: int, method: str, what: str) -> Statistic:
    return Statistic(
        None,
        reason=(
            f"only one category ({cats[0]!r}) is known, so {what} is undefined; "
            "pass categories=[...] listing every possible answer"
        ),
        method=method,
        n=n,
        n_excluded=n_excluded,
    )


# --------------------------------------------------------------------------
# Two raters, categorical ratings
# --------------------------------------------------------------------------

_PO_METHOD = "observed agreement p_o; SE sqrt(p_o(1 - p_o)/n) (binomial); no CI"


def observed_agreement(rater_a: Iterable[Any], rater_b: Iterable[Any]) -> Statistic:
    """Proportion of subjects on which two raters gave the same answer.

    Parameters
    ----------
    rater_a, rater_b : sequence of hashable labels
        One rating per subject, in the same subject order. Subjects with a
        missing rating from either rater are dropped.

    Returns
    -------
    Statistic
        ``value`` is p_o; ``se`` its binomial standard error; no ``ci95``.

    Notes
    -----
    .. math:: p_o = \\frac{1}{n}\\sum_{i=1}^{n} [a_i = b_i],
              \\qquad SE = \\sqrt{p_o(1 - p_o)/n}

    p_o is not corrected for chance, so it has no conventional interpretation
    bands; it is the raw figure behind every coefficient below and is the one
    to report when kappa is undefined. Gwet (2014) gives the same SE for the
    "percent agreement" (irrCAC ``pa2.table``).

    Examples
    --------
    >>> r = observed_agreement(["Y", "Y", "N", "N"], ["Y", "N", "N", "N"])
    >>> r.value, r.n
    (0.75, 4)
    """
    table, cats, n, dropped = _pair_table(rater_a, rater_b, None)
    if table is None:
        return _too_few(n, dropped, _PO_METHOD)
    return observed_agreement_table(table, cats, n_excluded=dropped)


def observed_agreement_table(table: Any, categories: Sequence[Hashable], n_excluded: int = 0) -> Statistic:
    """:func:`observed_agreement` from the two raters' table of counts.

    Parameters
    ----------
    table : k x k array of counts
        Subjects rated i by rater A (rows) and j by rater B (columns), in the
        order of ``categories``; only subjects both raters rated.
    categories : sequence of k labels
        The answers the rows and columns stand for.
    n_excluded : int
        Subjects dropped before counting (a missing rating), for the record.

    Examples
    --------
    >>> observed_agreement_table([[1, 1], [0, 2]], ["Y", "N"]).value
    0.75
    """
    counts, _ = _square_table(table, categories)
    n = int(counts.sum())
    if n < 2:
        return _too_few(n, n_excluded, _PO_METHOD)
    po = float(np.trace(counts)) / n
    return Statistic(po, se=math.sqrt(po * (1 - po) / n), method=_PO_METHOD, n=n, n_excluded=n_excluded)


_KAPPA_METHOD = (
    "Cohen's kappa (Cohen 1960); SE: Fleiss, Cohen & Everitt (1969) large-sample "
    "non-null SE; 95% CI: kappa +/- 1.96 SE (normal), clipped to [-1, 1]"
)


def cohen_kappa(
    rater_a: Iterable[Any], rater_b: Iterable[Any], categories: Sequence[Hashable] | None = None
) -> Statistic:
    """Cohen's kappa for two raters, with its asymptotic SE and 95 % CI.

    Parameters
    ----------
    rater_a, rater_b : sequence of hashable labels
        One rating per subject, same subject order. Subjects with a missing
        rating from either rater are dropped.
    categories : sequence of labels, optional
        Every possible answer. Kappa itself does not depend on unused
        categories; the argument only checks the labels.

    Returns
    -------
    Statistic
        ``value`` kappa, ``se`` the Fleiss-Cohen-Everitt SE, ``ci95`` the normal
        interval. ``value`` is None when chance agreement p_e is 1, i.e. both
        raters gave every subject one and the same answer (kappa = 0/0). When
        only one rater did, kappa is 0 by construction and its SE exactly 0:
        ``se`` is 0 and ``ci95`` None with a ``reason`` (an interval [0, 0]
        would claim a certainty the data do not give). An SE below 1e-7 is
        floating-point residue and reported as 0.

    Notes
    -----
    With p_ij the proportion of subjects rated i by A and j by B, p_i. and p_.j
    the margins (Cohen 1960):

    .. math:: \\kappa = \\frac{p_o - p_e}{1 - p_e},\\quad
              p_o = \\sum_i p_{ii},\\quad p_e = \\sum_i p_{i.} p_{.i}

    The standard error is the large-sample non-null one of Fleiss, Cohen &
    Everitt (1969), used for confidence intervals (the null SE is only for
    testing kappa = 0); it is what SAS PROC FREQ prints as "ASE":

    .. math:: \\widehat{Var}(\\kappa) = \\frac{1}{n(1 - p_e)^2}\\Big[
              \\sum_i p_{ii}\\{1 - (p_{i.} + p_{.i})(1 - \\kappa)\\}^2
              + (1 - \\kappa)^2 \\sum_{i \\ne j} p_{ij}(p_{.i} + p_{j.})^2
              - \\{\\kappa - p_e(1 - \\kappa)\\}^2\\Big]

    Interpretation (conventions, not laws; judge the whole CI, not the point):
    Landis & Koch (1977): < 0 poor, 0.00-0.20 slight, 0.21-0.40 fair,
    0.41-0.60 moderate, 0.61-0.80 substantial, 0.81-1.00 almost perfect.
    Altman (1991): < 0.20 poor, 0.21-0.40 fair, 0.41-0.60 moderate,
    0.61-0.80 good, 0.81-1.00 very good. Kappa falls when one answer is very
    common (PEDro items 5 and 6 are nearly always "N") or when the raters'
    margins differ: report p_o, PABAK and the prevalence and bias indices
    beside it (Byrt, Bishop & Carlin 1993; Sim & Wright 2005).

    References
    ----------
    Cohen J. A coefficient of agreement for nominal scales. Educ Psychol Meas
    1960;20:37-46. Fleiss JL, Cohen J, Everitt BS. Large sample standard errors
    of kappa and weighted kappa. Psychol Bull 1969;72:323-327. Landis JR, Koch
    GG. The measurement of observer agreement for categorical data. Biometrics
    1977;33:159-174. Altman DG. Practical Statistics for Medical Research.
    Chapman & Hall, 1991. Sim J, Wright CC. The kappa statistic in reliability
    studies. Phys Ther 2005;85:257-268.

    Examples
    --------
    >>> a = ["Y"] * 25 + ["N"] * 25
    >>> b = ["Y"] * 20 + ["N"] * 5 + ["Y"] * 10 + ["N"] * 15
    >>> r = cohen_kappa(a, b)
    >>> round(r.value, 3), round(r.se, 3)
    (0.4, 0.127)
    """
    table, cats, n, dropped = _pair_table(rater_a, rater_b, categories)
    if table is None:
        return _too_few(n, dropped, _KAPPA_METHOD)
    return cohen_kappa_table(table, cats, n_excluded=dropped)


def cohen_kappa_table(
    table: Any, categories: Sequence[Hashable], n_excluded: int = 0, raters: Sequence[str] | None = None
) -> Statistic:
    """:func:`cohen_kappa` (with its SE and CI) from the two raters' table of counts.

    Parameters
    ----------
    table : k x k array of counts
        Subjects rated i by rater A (rows) and j by rater B (columns), in the
        order of ``categories``; only subjects both raters rated.
    categories : sequence of k labels
        The answers the rows and columns stand for.
    n_excluded : int
        Subjects dropped before counting (a missing rating), for the record.
    raters : (str, str), optional
        How a reason names the two raters ("assessor Smith"); "rater A" and "rater B" without it.

    Examples
    --------
    >>> round(cohen_kappa_table([[20, 5], [10, 15]], ["Y", "N"]).value, 3)
    0.4
    """
    counts, cats = _square_table(table, categories)
    return _kappa_from_table(counts, cats, np.eye(len(cats)), n_excluded, _KAPPA_METHOD, raters)


def _kappa_from_table(counts: np.ndarray, cats: list, w: np.ndarray, n_excluded: int, method: str,
                      raters: Sequence[str] | None = None) -> Statistic:
    """Cohen's kappa with agreement weights ``w`` (the identity for the unweighted kappa) and its
    Fleiss-Cohen-Everitt (1969) SE, from a k x k table of counts."""
    n = int(counts.sum())
    if n < 2:
        return _too_few(n, n_excluded, method)
    p = counts / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    pe = float(np.sum(w * np.outer(rows, cols)))
    if 1 - pe < _TOLERANCE:
        only = _plain(cats[int(np.argmax(rows))])
        return Statistic(
            None,
            reason=(
                f"both raters gave every subject the same answer ({only!r}), so chance "
                "agreement is 1 and kappa is 0/0; report observed agreement, PABAK "
                "or Gwet's AC1 instead"
            ),
            method=method,
            n=n,
            n_excluded=n_excluded,
        )
    kappa = (float(np.sum(w * p)) - pe) / (1 - pe)
    # wbar_k. = sum_l w_kl p_.l (row k against B's margin), wbar_.l = sum_k w_kl p_k. (Fleiss et al. 1969)
    se = _weighted_pair(p, w, kappa, pe, (w @ cols)[:, None] + (w.T @ rows)[None, :], n)
    single = _single_answer(rows, cols, cats, raters)
    if single is not None:  # kappa is 0 and its SE exactly 0: an interval [0, 0] would claim certainty
        return Statistic(0.0, se=0.0, reason=single, method=method, n=n, n_excluded=n_excluded)
    return _estimate(kappa, se, _pair_cause(counts, cats), method, n, n_excluded)


_WEIGHTED_KAPPA_METHOD = (
    "weighted kappa (Cohen 1968); SE: Fleiss, Cohen & Everitt (1969) large-sample non-null SE "
    "(as irrCAC's kappa2.table); 95% CI: kappa_w +/- 1.96 SE (normal), clipped to [-1, 1]"
)


def weighted_kappa(
    rater_a: Iterable[Any],
    rater_b: Iterable[Any],
    weights: str | Any = "linear",
    categories: Sequence[Hashable] | None = None,
    raters: Sequence[str] | None = None,
) -> Statistic:
    """Cohen's (1968) weighted kappa for two raters on ordered categories, with its SE and 95 % CI.

    Parameters
    ----------
    rater_a, rater_b : sequence of ordered labels
        One rating per subject, same order (e.g. each rater's PEDro total, or the 0-3 points of a
        multi-point criterion); subjects with a missing rating from either rater are dropped.
    weights : "linear", "quadratic", "identity" or a q x q matrix
        See :func:`agreement_weights`; "identity" gives the unweighted kappa.
    categories : sequence of labels, optional
        Every possible rating, IN ORDER (``range(0, 11)`` for PEDro totals). The weights depend
        on the range, so pass it; without it the ratings seen are used, sorted.
    raters : (str, str), optional
        How a reason names the two raters, as in :func:`cohen_kappa_table`.

    Returns
    -------
    Statistic
        As :func:`cohen_kappa`: None when chance agreement is 1; SE 0 and no interval when one
        rater gave one rating throughout.

    Notes
    -----
    With p_kl the share of subjects rated k by A and l by B and w_kl the weights (Cohen 1968):

    .. math:: \\kappa_w = \\frac{p_a - p_e}{1 - p_e},\\quad p_a = \\sum_{kl} w_{kl} p_{kl},\\quad
              p_e = \\sum_{kl} w_{kl} p_{k.} p_{.l}

    The SE is the large-sample non-null one of Fleiss, Cohen & Everitt (1969), which is also the
    one irrCAC's ``kappa2.table`` prints (Gwet 2014 derives the same by linearisation):

    .. math:: \\widehat{Var}(\\kappa_w) = \\frac{\\sum_{kl} p_{kl}\\{w_{kl} - (\\bar w_{k.} + \\bar w_{.l})
              (1 - \\kappa_w)\\}^2 - \\{\\kappa_w - p_e(1 - \\kappa_w)\\}^2}{n (1 - p_e)^2}

    with wbar_k. = sum_l w_kl p_.l and wbar_.l = sum_k w_kl p_k. Quadratic-weighted kappa
    approximates ICC(3,1)-type consistency (Fleiss & Cohen 1973); linear weights credit
    near-misses in proportion to their distance. Interpretation: the kappa bands of Landis &
    Koch (1977), with caution (weighted and unweighted kappas are not on the same scale).

    References
    ----------
    Cohen J. Weighted kappa: nominal scale agreement with provision for scaled disagreement or
    partial credit. Psychol Bull 1968;70:213-220. Fleiss JL, Cohen J, Everitt BS. Large sample
    standard errors of kappa and weighted kappa. Psychol Bull 1969;72:323-327. Fleiss JL, Cohen J.
    The equivalence of weighted kappa and the intraclass correlation coefficient as measures of
    reliability. Educ Psychol Meas 1973;33:613-619. Cicchetti DV, Allison T. Am J EEG Technol
    1971;11:101-109. Gwet KL. Handbook of Inter-Rater Reliability, 4th ed. 2014.

    Examples
    --------
    >>> r = weighted_kappa([0, 1, 2, 2], [0, 2, 2, 1], "linear", categories=[0, 1, 2])
    >>> round(r.value, 3)
    0.429
    """
    table, cats, n, dropped = _pair_table(rater_a, rater_b, categories)
    if table is None:
        return _too_few(n, dropped, _weights_method(_WEIGHTED_KAPPA_METHOD, weights))
    return weighted_kappa_table(table, cats, weights, n_excluded=dropped, raters=raters)


def weighted_kappa_table(
    table: Any, categories: Sequence[Hashable], weights: str | Any = "linear", n_excluded: int = 0,
    raters: Sequence[str] | None = None,
) -> Statistic:
    """:func:`weighted_kappa` from the two raters' k x k table of counts (rows rater A, columns rater
    B, both in the order of ``categories``), as irrCAC's ``kappa2.table(weights=...)``.

    Examples
    --------
    >>> round(weighted_kappa_table([[1, 0, 0], [0, 0, 1], [0, 1, 1]], [0, 1, 2], "linear").value, 3)
    0.429
    """
    counts, cats = _square_table(table, categories)
    method = _weights_method(_WEIGHTED_KAPPA_METHOD, weights)
    return _kappa_from_table(counts, cats, agreement_weights(cats, weights), n_excluded, method, raters)


_AC2_METHOD = (
    "Gwet's AC2, AC1 with agreement weights (Gwet 2014); SE: Gwet (2014) linearised variance "
    "(subjects sampled, raters fixed; irrCAC's gwet.ac1.table); 95% CI: AC2 +/- 1.96 SE (normal), clipped to [-1, 1]"
)


def gwet_ac2(
    rater_a: Iterable[Any],
    rater_b: Iterable[Any],
    weights: str | Any = "linear",
    categories: Sequence[Hashable] | None = None,
) -> Statistic:
    """Gwet's AC2 for two raters on ordered categories: AC1 with agreement weights.

    Parameters
    ----------
    rater_a, rater_b, weights, categories
        As :func:`weighted_kappa`; q, the number of categories, enters the chance agreement, so
        pass ``categories`` (``range(0, 11)`` for PEDro totals).

    Returns
    -------
    Statistic
        ``value`` AC2, ``se``, ``ci95`` (normal); None with fewer than two categories.

    Notes
    -----
    With pi_k = (p_k. + p_.k)/2, T_w the sum of all q^2 weights (Gwet 2014, ch. 3):

    .. math:: AC_2 = \\frac{p_a - p_e}{1 - p_e},\\quad p_a = \\sum_{kl} w_{kl} p_{kl},\\quad
              p_e = \\frac{T_w}{q(q-1)} \\sum_k \\pi_k (1 - \\pi_k)

    and its variance, conditional on the raters (irrCAC's ``gwet.ac1.table``),

    .. math:: \\widehat{Var} = \\frac{\\sum_{kl} p_{kl}\\{w_{kl} - 2(1 - AC_2)\\frac{T_w}{q(q-1)}
              (1 - \\frac{\\pi_k + \\pi_l}{2})\\}^2 - (p_a - 2(1 - AC_2) p_e)^2}{n (1 - p_e)^2}

    With identity weights (T_w = q) both reduce to :func:`gwet_ac1`'s.

    References
    ----------
    Gwet KL. Handbook of Inter-Rater Reliability, 4th ed. Advanced Analytics, 2014. Gwet KL.
    Br J Math Stat Psychol 2008;61:29-48.

    Examples
    --------
    >>> round(gwet_ac2([0, 1, 2, 2], [0, 2, 2, 1], "quadratic", categories=[0, 1, 2]).value, 3)
    0.667
    """
    table, cats, n, dropped = _pair_table(rater_a, rater_b, categories)
    if table is None:
        return _too_few(n, dropped, _weights_method(_AC2_METHOD, weights))
    return gwet_ac2_table(table, cats, weights, n_excluded=dropped)


def gwet_ac2_table(
    table: Any, categories: Sequence[Hashable], weights: str | Any = "linear", n_excluded: int = 0
) -> Statistic:
    """:func:`gwet_ac2` from the two raters' k x k table of counts, as irrCAC's
    ``gwet.ac1.table(weights=...)``.

    Examples
    --------
    >>> round(gwet_ac2_table([[1, 0, 0], [0, 0, 1], [0, 1, 1]], [0, 1, 2], "quadratic").value, 3)
    0.667
    """
    counts, cats = _square_table(table, categories)
    method = _weights_method(_AC2_METHOD, weights)
    return _ac_from_table(counts, cats, agreement_weights(cats, weights), n_excluded, method)


def _ac_from_table(counts: np.ndarray, cats: list, w: np.ndarray, n_excluded: int, method: str) -> Statistic:
    """Gwet's AC1 (identity ``w``) or AC2 and its SE from a k x k table of counts (Gwet 2014)."""
    n = int(counts.sum())
    if n < 2:
        return _too_few(n, n_excluded, method)
    q = len(cats)
    if q < 2:
        return _one_category(cats, n, n_excluded, method, "AC1's chance agreement")
    p = counts / n
    pi = (p.sum(axis=1) + p.sum(axis=0)) / 2
    scale = float(w.sum()) / (q * (q - 1))  # T_w/(q(q-1)): 1/(q-1) for the identity
    pe = scale * float(np.sum(pi * (1 - pi)))
    value = (float(np.sum(w * p)) - pe) / (1 - pe)
    se = _weighted_pair(p, w, value, pe, 2 * scale * (1 - (pi[:, None] + pi[None, :]) / 2), n)
    return _estimate(value, se, _pair_cause(counts, cats), method, n, n_excluded)


#: A standard error below this is floating-point residue of an exact 0 (sums in another order give 0 or
#: about 2e-8 on the same data), so it is reported as 0.
_SE_RESIDUE = 1e-7


#: Fewer subjects than this get no interval: with 2 the large-sample SE rests on one degree of freedom
#: (Student's t(0.975, 1) is 12.7), so a normal interval would be far too narrow; Bland-Altman's limits
#: (Bland & Altman 1999) use the same rule.
MIN_INTERVAL_N = 3


def _exact_zero(se: float) -> float:
    return 0.0 if se < _SE_RESIDUE else se


def _no_residue(value: float) -> float:
    """``value`` with floating-point residue of an exact 0 (and a negative zero) made 0, so that a
    coefficient that is 0 by construction is never shown as "-0.00"."""
    return 0.0 if abs(value) < _SE_RESIDUE else value


def _no_interval_reason(cause: str, n: int) -> str:
    """Why a coefficient whose SE is 0 has no interval: ``cause`` says why the SE is 0."""
    return (f"{cause}: the standard error is 0 and an interval would claim a certainty that {n} subjects "
            "cannot give")


def _small_n_reason(n: int) -> str:
    return (f"no interval with {n} subjects: the large-sample SE needs at least {MIN_INTERVAL_N} (with 2, "
            "Student's t on 1 df is 12.7), as for the Bland-Altman limits (Bland & Altman 1999)")


def _estimate(value: float, se: float, cause: str, method: str, n: int, n_excluded: int) -> Statistic:
    """A coefficient with its normal 95 % interval, or, with an SE of 0 (below 1e-7: residue) or fewer
    than MIN_INTERVAL_N subjects, with no interval and why; ``cause`` says why the SE would be 0."""
    value, se = _no_residue(value), _exact_zero(se)
    if se == 0:
        return Statistic(value, se=0.0, reason=_no_interval_reason(cause, n), method=method, n=n,
                         n_excluded=n_excluded)
    if n < MIN_INTERVAL_N:
        return Statistic(value, se=se, reason=_small_n_reason(n), method=method, n=n, n_excluded=n_excluded)
    return Statistic(value, se=se, ci95=_normal_ci(value, se), method=method, n=n, n_excluded=n_excluded)


def _zero_se_cause(counts: np.ndarray, cats: Sequence[Hashable]) -> str:
    """Why a coefficient's SE is 0, from the subject x category counts: every subject's ratings all
    one answer, or every subject given the same answers; else the subjects' terms are all equal."""
    rated = counts[counts.sum(axis=1) >= 2]
    if len(rated) and np.all(np.count_nonzero(rated, axis=1) == 1):
        return "all raters agreed on every subject"
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    if len(shares) and np.allclose(shares, shares[0]):
        given = ", ".join(f"{int(c) if float(c).is_integer() else c:g} {_plain(cat)!r}"
                          for c, cat in zip(counts[0], cats) if c)
        return f"every subject got the same ratings ({given})"
    return "every subject adds the same to the estimate"


def _pair_cause(counts: np.ndarray, cats: Sequence[Hashable]) -> str:
    """``_zero_se_cause`` of a two raters' k x k table."""
    if np.count_nonzero(counts - np.diag(np.diag(counts))) == 0:
        return "both raters agreed on every subject"
    cells = np.argwhere(counts > 0)
    if len(cells) == 1:
        a, b = (_plain(cats[i]) for i in cells[0])
        return f"every subject got the same pair of ratings ({a!r}, {b!r})"
    return "every subject adds the same to the estimate"


def _single_answer(rows: np.ndarray, cols: np.ndarray, cats: Sequence[Hashable],
                   raters: Sequence[str] | None = None) -> str | None:
    """Why kappa has no interval when one rater gave one answer to every subject (and the other did
    not: both doing so leaves kappa 0/0), or None. Then p_o = p_e, so kappa is 0 whatever the other
    rater did and its SE is exactly 0: the data say nothing about agreement beyond chance."""
    for rater, margin in zip(raters or ("rater A", "rater B"), (rows, cols)):
        if margin.max() > 1 - _TOLERANCE:
            answer = _plain(cats[int(np.argmax(margin))])
            return (
                f"{rater} answered {answer!r} on every subject: kappa is 0 by construction, with no "
                "interval; see observed agreement, PABAK or Gwet's AC1"
            )
    return None


_PABAK_METHOD = (
    "PABAK = 2 p_o - 1 for two categories (Byrt, Bishop & Carlin 1993), "
    "(k p_o - 1)/(k - 1) for k categories (Brennan & Prediger 1981); "
    "SE = k/(k - 1) x binomial SE of p_o; no CI"
)


def pabak(rater_a: Iterable[Any], rater_b: Iterable[Any], categories: Sequence[Hashable] | None = None) -> Statistic:
    """Prevalence-adjusted bias-adjusted kappa (PABAK) for two raters.

    Parameters
    ----------
    rater_a, rater_b : sequence of hashable labels
        One rating per subject, same subject order; subjects with a missing
        rating from either rater are dropped.
    categories : sequence of labels, optional
        Every possible answer. k, the number of categories, sets the value, so
        pass it: ``["Y", "N"]`` for a scored PEDro item, ``["Y", "N", "?"]`` for
        raw answers. Without it, k is the number of labels seen.

    Returns
    -------
    Statistic
        ``value`` PABAK, ``se`` its standard error, no ``ci95``; ``value`` is None
        when fewer than two categories are known.

    Notes
    -----
    PABAK replaces kappa's chance agreement by that of k equally likely
    categories with equal margins (Byrt, Bishop & Carlin 1993):

    .. math:: PABAK = 2 p_o - 1 \\;(k = 2), \\qquad
              PABAK_k = \\frac{k\\,p_o - 1}{k - 1}

    The k-category form is Brennan & Prediger's (1981) coefficient. Being a
    linear function of p_o, its SE is ``k/(k-1)`` times the binomial SE of p_o
    (the SE irrCAC prints for Brennan-Prediger). For 2 x 2 tables Byrt et al.
    show ``kappa = (PABAK - PI^2 + BI^2) / (1 - PI^2 + BI^2)``, with PI and BI
    the prevalence and bias indices (:func:`prevalence_index`,
    :func:`bias_index`). Reported on the kappa scale (Landis & Koch 1977), but
    PABAK is not kappa: report it beside kappa, p_o, PI and BI, never alone
    (Sim & Wright 2005). PEDro reliability studies have used it for items with
    extreme prevalence (Yamato et al. 2017: PABAK 0.51-1.00).

    References
    ----------
    Byrt T, Bishop J, Carlin JB. Bias, prevalence and kappa. J Clin Epidemiol
    1993;46:423-429. Brennan RL, Prediger DJ. Coefficient kappa: some uses,
    misuses, and alternatives. Educ Psychol Meas 1981;41:687-699. Sim J,
    Wright CC. Phys Ther 2005;85:257-268.

    Examples
    --------
    >>> r = pabak(["Y", "Y", "N", "N"], ["Y", "N", "N", "N"], categories=["Y", "N"])
    >>> r.value
    0.5
    """
    table, cats, n, dropped = _pair_table(rater_a, rater_b, categories)
    if table is None:
        return _too_few(n, dropped, _PABAK_METHOD)
    return pabak_table(table, cats, n_excluded=dropped)


def pabak_table(table: Any, categories: Sequence[Hashable], n_excluded: int = 0) -> Statistic:
    """:func:`pabak` from the two raters' table of counts; k is the number of categories.

    Parameters
    ----------
    table : k x k array of counts
        Subjects rated i by rater A (rows) and j by rater B (columns), in the
        order of ``categories``; only subjects both raters rated.
    categories : sequence of k labels
        The answers the rows and columns stand for.
    n_excluded : int
        Subjects dropped before counting (a missing rating), for the record.

    Examples
    --------
    >>> pabak_table([[1, 1], [0, 2]], ["Y", "N"]).value
    0.5
    """
    counts, cats = _square_table(table, categories)
    n = int(counts.sum())
    if n < 2:
        return _too_few(n, n_excluded, _PABAK_METHOD)
    k = len(cats)
    if k < 2:
        return _one_category(cats, n, n_excluded, _PABAK_METHOD, "PABAK")
    po = float(np.trace(counts)) / n
    se = k / (k - 1) * math.sqrt(po * (1 - po) / n)
    return Statistic((k * po - 1) / (k - 1), se=se, method=_PABAK_METHOD, n=n, n_excluded=n_excluded)


def _two_by_two(
    table: Any,
    categories: Sequence[Hashable],
    positive: Hashable | None,
    n_excluded: int,
    method: str,
    what: str,
) -> tuple[np.ndarray | None, Statistic | None, int]:
    """The 2 x 2 table with ``positive`` first, or the result explaining why not."""
    counts, cats = _square_table(table, categories)
    n = int(counts.sum())
    if n < 2:
        return None, _too_few(n, n_excluded, method), n
    if len(cats) != 2:
        reason = f"the {what} is defined for two categories only; got {len(cats)}: {cats!r}" + (
            "; pass categories=[...] listing both answers" if len(cats) < 2 else ""
        )
        return None, Statistic(None, reason=reason, method=method, n=n, n_excluded=n_excluded), n
    if positive is not None:
        if positive not in cats:
            raise ValueError(f"positive={positive!r} is not one of the categories {cats!r}")
        if cats[1] == positive:
            counts = counts[::-1, ::-1]
    return counts, None, n


_PI_METHOD = "prevalence index PI = (a - d)/n for a 2x2 table (Byrt, Bishop & Carlin 1993)"


def prevalence_index(
    rater_a: Iterable[Any],
    rater_b: Iterable[Any],
    categories: Sequence[Hashable] | None = None,
    positive: Hashable | None = None,
) -> Statistic:
    """Prevalence index of a two-rater, two-category table (Byrt et al. 1993).

    Parameters
    ----------
    rater_a, rater_b : sequence of hashable labels
        One rating per subject, same order; incomplete pairs are dropped.
    categories : sequence of two labels, optional
        Both possible answers, e.g. ``["Y", "N"]``. Needed when the raters used
        only one of them.
    positive : label, optional
        The answer counted as "a" (both raters positive). Without it the
        absolute value is returned; with it the sign says which answer is the
        more common one.

    Returns
    -------
    Statistic
        ``value`` PI in [-1, 1] (or [0, 1] unsigned); no SE or CI. None when
        the ratings do not form a 2 x 2 table.

    Notes
    -----
    With a = both raters positive, d = both negative:

    .. math:: PI = \\frac{a - d}{n}

    |PI| near 1 means one answer dominates; kappa is then low even when p_o is
    high (the first kappa paradox). Sim & Wright (2005) report |PI|. For a
    PEDro item, ``positive="Y"``; a large negative PI is expected for items 5
    and 6 (therapist and subject blinding), which are nearly always "N".

    References
    ----------
    Byrt T, Bishop J, Carlin JB. J Clin Epidemiol 1993;46:423-429.
    Sim J, Wright CC. Phys Ther 2005;85:257-268.

    Examples
    --------
    >>> prevalence_index(["N", "N", "N", "Y"], ["N", "N", "N", "N"], positive="Y").value
    -0.75
    """
    table, cats, n, dropped = _pair_table(rater_a, rater_b, categories)
    if table is None:
        return _too_few(n, dropped, _PI_METHOD)
    return prevalence_index_table(table, cats, positive=positive, n_excluded=dropped)


def prevalence_index_table(
    table: Any, categories: Sequence[Hashable], positive: Hashable | None = None, n_excluded: int = 0
) -> Statistic:
    """:func:`prevalence_index` from the two raters' 2 x 2 table of counts.

    Parameters
    ----------
    table : k x k array of counts
        Subjects rated i by rater A (rows) and j by rater B (columns), in the
        order of ``categories``; only subjects both raters rated.
    categories : sequence of k labels
        The answers the rows and columns stand for.
    n_excluded : int
        Subjects dropped before counting (a missing rating), for the record.
    positive : label, optional
        As in :func:`prevalence_index`.

    Examples
    --------
    >>> prevalence_index_table([[0, 0], [1, 3]], ["Y", "N"], positive="Y").value
    -0.75
    """
    table, problem, n = _two_by_two(table, categories, positive, n_excluded, _PI_METHOD, "prevalence index")
    if problem is not None:
        return problem
    pi = (table[0, 0] - table[1, 1]) / n
    return Statistic(pi if positive is not None else abs(pi), method=_PI_METHOD, n=n, n_excluded=n_excluded)


_BI_METHOD = "bias index BI = (b - c)/n for a 2x2 table (Byrt, Bishop & Carlin 1993)"


def bias_index(
    rater_a: Iterable[Any],
    rater_b: Iterable[Any],
    categories: Sequence[Hashable] | None = None,
    positive: Hashable | None = None,
) -> Statistic:
    """Bias index of a two-rater, two-category table (Byrt et al. 1993).

    Parameters
    ----------
    rater_a, rater_b : sequence of hashable labels
        One rating per subject, same order; incomplete pairs are dropped.
    categories : sequence of two labels, optional
        Both possible answers, e.g. ``["Y", "N"]``.
    positive : label, optional
        With it the index is signed: b counts subjects A rated positive and B
        negative, so BI > 0 means rater A gives the positive answer more often.
        Without it the absolute value is returned.

    Returns
    -------
    Statistic
        ``value`` BI in [-1, 1] (or [0, 1] unsigned); no SE or CI. None when
        the ratings do not form a 2 x 2 table.

    Notes
    -----
    .. math:: BI = \\frac{b - c}{n} = p_A(+) - p_B(+)

    BI is the difference between the raters' rates of positive answers. A
    large |BI| (one assessor systematically stricter) inflates kappa a little
    and deserves a conversation more than a coefficient. Sim & Wright (2005)
    report |BI|.

    References
    ----------
    Byrt T, Bishop J, Carlin JB. J Clin Epidemiol 1993;46:423-429.
    Sim J, Wright CC. Phys Ther 2005;85:257-268.

    Examples
    --------
    >>> bias_index(["Y", "Y", "Y", "N"], ["Y", "N", "N", "N"], positive="Y").value
    0.5
    """
    table, cats, n, dropped = _pair_table(rater_a, rater_b, categories)
    if table is None:
        return _too_few(n, dropped, _BI_METHOD)
    return bias_index_table(table, cats, positive=positive, n_excluded=dropped)


def bias_index_table(
    table: Any, categories: Sequence[Hashable], positive: Hashable | None = None, n_excluded: int = 0
) -> Statistic:
    """:func:`bias_index` from the two raters' 2 x 2 table of counts.

    Parameters
    ----------
    table : k x k array of counts
        Subjects rated i by rater A (rows) and j by rater B (columns), in the
        order of ``categories``; only subjects both raters rated.
    categories : sequence of k labels
        The answers the rows and columns stand for.
    n_excluded : int
        Subjects dropped before counting (a missing rating), for the record.
    positive : label, optional
        As in :func:`bias_index`.

    Examples
    --------
    >>> bias_index_table([[1, 2], [0, 1]], ["Y", "N"], positive="Y").value
    0.5
    """
    table, problem, n = _two_by_two(table, categories, positive, n_excluded, _BI_METHOD, "bias index")
    if problem is not None:
        return problem
    bi = (table[0, 1] - table[1, 0]) / n
    return Statistic(bi if positive is not None else abs(bi), method=_BI_METHOD, n=n, n_excluded=n_excluded)


_AC1_METHOD = (
    "Gwet's AC1 (Gwet 2008); SE: Gwet (2008) two-rater variance (subjects sampled, "
    "raters fixed); 95% CI: AC1 +/- 1.96 SE (normal), clipped to [-1, 1]"
)


def gwet_ac1(rater_a: Iterable[Any], rater_b: Iterable[Any], categories: Sequence[Hashable] | None = None) -> Statistic:
    """Gwet's first-order agreement coefficient AC1 for two raters.

    Parameters
    ----------
    rater_a, rater_b : sequence of hashable labels
        One rating per subject, same order; incomplete pairs are dropped.
    categories : sequence of labels, optional
        Every possible answer. q, the number of categories, enters the chance
        agreement, so pass it (``["Y", "N"]`` for scored PEDro items).

    Returns
    -------
    Statistic
        ``value`` AC1, ``se`` Gwet's (2008) standard error, ``ci95`` the normal
        interval; None when fewer than two categories are known.

    Notes
    -----
    With pi_k = (p_k. + p_.k)/2 the mean share of category k (Gwet 2008):

    .. math:: AC_1 = \\frac{p_a - p_e}{1 - p_e},\\qquad
              p_e = \\frac{1}{q - 1}\\sum_k \\pi_k (1 - \\pi_k)

    Unlike kappa, AC1 stays high when raters agree on a rare or a very common
    answer, which suits PEDro items with extreme prevalence. Its variance
    (Gwet 2008, two-rater form) treats the subjects as the random sample and
    the raters as fixed, i.e. it is conditional on the raters and ignores
    rater-sampling variance (for that, see Gwet 2008, Psychometrika
    73:407-430):

    .. math:: \\widehat{Var}(AC_1) = \\frac{1}{n(1-p_e)^2}\\Big[p_a(1-p_a)
              - 4(1-AC_1)\\Big(\\frac{1}{q-1}\\sum_k p_{kk}(1-\\pi_k) - p_a p_e\\Big)
              + 4(1-AC_1)^2\\Big(\\frac{1}{(q-1)^2}\\sum_{k,l} p_{kl}
              \\big[1 - \\tfrac{\\pi_k + \\pi_l}{2}\\big]^2 - p_e^2\\Big)\\Big]

    This is the figure irrCAC's ``gwet.ac1.table`` prints (which then uses a
    t quantile for the CI). Interpretation: the kappa bands of Landis & Koch
    (1977) or Altman (1991) are commonly applied; Gwet (2014, ch. 6)
    recommends benchmarking the interval rather than the point estimate.

    References
    ----------
    Gwet KL. Computing inter-rater reliability and its variance in the
    presence of high agreement. Br J Math Stat Psychol 2008;61:29-48.
    Gwet KL. Handbook of Inter-Rater Reliability, 4th ed. Advanced Analytics,
    2014. Wongpakaran N et al. A comparison of Cohen's kappa and Gwet's AC1.
    BMC Med Res Methodol 2013;13:61.

    Examples
    --------
    >>> r = gwet_ac1(["Y", "Y", "N", "N"], ["Y", "N", "N", "N"], categories=["Y", "N"])
    >>> round(r.value, 3)
    0.529
    """
    table, cats, n, dropped = _pair_table(rater_a, rater_b, categories)
    if table is None:
        return _too_few(n, dropped, _AC1_METHOD)
    return gwet_ac1_table(table, cats, n_excluded=dropped)


def gwet_ac1_table(table: Any, categories: Sequence[Hashable], n_excluded: int = 0) -> Statistic:
    """:func:`gwet_ac1` (with its SE and CI) from the two raters' table of counts;
    q is the number of categories (irrCAC's ``gwet.ac1.table``).

    Parameters
    ----------
    table : k x k array of counts
        Subjects rated i by rater A (rows) and j by rater B (columns), in the
        order of ``categories``; only subjects both raters rated.
    categories : sequence of k labels
        The answers the rows and columns stand for.
    n_excluded : int
        Subjects dropped before counting (a missing rating), for the record.

    Examples
    --------
    >>> round(gwet_ac1_table([[1, 1], [0, 2]], ["Y", "N"]).value, 3)
    0.529
    """
    counts, cats = _square_table(table, categories)
    return _ac_from_table(counts, cats, np.eye(len(cats)), n_excluded, _AC1_METHOD)


# --------------------------------------------------------------------------
# Several raters, categorical ratings
# --------------------------------------------------------------------------


def _rated_counts(
    counts: Any, categories: Sequence[Hashable], n_excluded: int, method: str, complete_cases: bool
) -> tuple[np.ndarray, list, int, Statistic | None]:
    """(subject x category counts as floats, categories, subjects excluded, the result explaining why
    no statistic or None).

    Subjects nobody rated are dropped and counted as excluded. With ``complete_cases`` every subject
    must have the same number of ratings, as in the textbook formulas; otherwise the number may vary
    (Gwet's generalisation), but at least one subject needs two ratings for an observed agreement.
    """
    table, cats = _category_counts(counts, categories)
    raters = table.sum(axis=1)
    if complete_cases and len(table) and np.any(raters != raters[0]):
        raise ValueError(
            "every subject must be rated by the same number of raters; "
            f"got between {raters.min():g} and {raters.max():g}"
        )
    rated = raters > 0
    n_excluded += int(np.count_nonzero(~rated))
    table = table[rated]
    n = len(table)
    most = int(raters.max()) if n else 0
    if complete_cases and n and most < 2:
        return table, cats, n_excluded, _rater_problem(most, n, n_excluded, method)
    if n < 2:
        return table, cats, n_excluded, _too_few(n, n_excluded, method)
    if most < 2:
        reason = f"no subject has ratings from two or more raters, so there is no agreement to observe (n = {n})"
        return table, cats, n_excluded, Statistic(None, reason=reason, method=method, n=n, n_excluded=n_excluded)
    return table, cats, n_excluded, None


def _observed_by_subject(counts: np.ndarray, w: np.ndarray | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """(p_a, each subject's agreement p_a|i, which subjects have two ratings or more), Gwet (2014):
    a subject rated once has no pair of ratings to agree, so p_a averages over the others and p_a|i is
    0 for it.  With agreement weights ``w``, p_a|i = sum_k r_ik (r*_ik - 1)/(r_i(r_i - 1)) with the
    weighted counts r*_ik = sum_l w_kl r_il (Gwet 2014, ch. 3); the identity gives the unweighted one."""
    r = counts.sum(axis=1)
    paired = r >= 2
    pairs = np.where(paired, r * (r - 1), 1.0)
    weighted = counts if w is None else counts @ w.T
    pa_by_subject = np.where(paired, np.sum(counts * (weighted - 1), axis=1) / pairs, 0.0)
    return float(np.mean(pa_by_subject[paired])), pa_by_subject, paired


def _gwet_linearised_se(
    counts: np.ndarray, value: float, pe: float, pe_by_subject: np.ndarray, w: np.ndarray | None = None
) -> float:
    """Gwet's linearised variance for multi-rater coefficients (subjects sampled, raters fixed), with
    missing ratings as in Gwet (2014) and irrCAC's ``fleiss.kappa.raw``/``gwet.ac1.raw``: subjects rated
    once enter only through p_e, the others are scaled by n/n_2 (n_2 those rated twice or more), and
    ``w`` the agreement weights (none: unweighted).  The finite-population factor 1 - f is taken as 1
    (f = 0, irrCAC's default N = Inf): the trials rated are a sample of all the trials there are."""
    n = counts.shape[0]
    _, pa_by_subject, paired = _observed_by_subject(counts, w)
    scale = n / np.count_nonzero(paired)
    by_subject = scale * (pa_by_subject - pe * paired) / (1 - pe) - 2 * (1 - value) * (pe_by_subject - pe) / (1 - pe)
    variance = float(np.sum((by_subject - value) ** 2)) / (n * (n - 1))
    return _exact_zero(math.sqrt(max(variance, 0.0)))


_AC1_MULTI_METHOD = (
    "Gwet's AC1 for several raters (Gwet 2008); SE: Gwet (2008) linearised variance "
    "(subjects sampled, raters fixed); 95% CI: AC1 +/- 1.96 SE (normal), clipped to [-1, 1]"
)
#: How the multi-rater coefficients treat missing ratings, appended to their method.
_GWET_MISSING = (
    "; missing ratings: Gwet (2014) generalisation, as irrCAC (subjects rated once count towards "
    "chance agreement only)"
)
_COMPLETE_CASES = "; complete cases only (subjects with a missing rating dropped)"


def _missing_method(method: str, complete_cases: bool, weights: Any = "identity") -> str:
    return _weights_method(method + (_COMPLETE_CASES if complete_cases else _GWET_MISSING), weights)


def _ac_multi_method(complete_cases: bool, weights: Any) -> str:
    """The method of AC1 for several raters, or of AC2 when ``weights`` are not the identity."""
    method = _AC1_MULTI_METHOD
    if not (isinstance(weights, str) and weights == "identity"):
        method = method.replace("Gwet's AC1", "Gwet's AC2, AC1 with agreement weights (Gwet 2014),", 1)
        method = method.replace("AC1 +/-", "AC2 +/-")
    return _missing_method(method, complete_cases, weights)


def gwet_ac1_multirater(
    ratings: Any, categories: Sequence[Hashable] | None = None, complete_cases: bool = False,
    weights: str | Any = "identity",
) -> Statistic:
    """Gwet's AC1 for two or more raters, some ratings possibly missing.

    Parameters
    ----------
    ratings : n_subjects x n_raters table of hashable labels
        One row per subject, one column per rater; missing ratings allowed
        (see Notes). Subjects nobody rated are dropped.
    categories : sequence of labels, optional
        Every possible answer; q enters the chance agreement, so pass it.
    complete_cases : bool
        Drop every subject with a missing rating first, as the textbook
        formula assumes (so every kept subject has r ratings).
    weights : "identity", "linear", "quadratic" or a q x q matrix
        Agreement weights for ordered categories (:func:`agreement_weights`):
        any but the identity give Gwet's AC2, as irrCAC's
        ``gwet.ac1.raw(weights=...)`` (p_a from the weighted counts
        r*_ik = sum_l w_kl r_il, p_e scaled by T_w/(q(q-1)), T_w the sum of
        the weights; Gwet 2014, ch. 3).

    Returns
    -------
    Statistic
        ``value`` AC1, ``se``, ``ci95`` (normal). ``n`` counts the subjects
        used (at least one rating). None with fewer than two subjects or
        categories, or when no subject was rated twice.

    Notes
    -----
    With r_ik the number of raters who put subject i in category k, r_i the
    ratings of subject i, n the subjects and n_2 those with r_i >= 2
    (Gwet 2008; 2014 for missing ratings):

    .. math:: p_a = \\frac{1}{n_2}\\sum_{i: r_i \\ge 2} \\sum_k \\frac{r_{ik}(r_{ik} - 1)}{r_i(r_i - 1)},\\quad
              \\pi_k = \\frac{1}{n}\\sum_i \\frac{r_{ik}}{r_i},\\quad
              p_e = \\frac{1}{q-1}\\sum_k \\pi_k(1 - \\pi_k)

    A subject rated once has no pair of ratings to agree: it adds nothing
    to p_a but its rating counts in pi_k. With no missing ratings this is
    the textbook AC1. The SE is Gwet's linearised variance,
    ``Var = sum_i (AC1*_i - AC1)^2 / (n(n-1))`` with
    ``AC1*_i = (n/n_2)(p_a|i - p_e [r_i >= 2])/(1 - p_e) - 2(1 - AC1)(p_e|i - p_e)/(1 - p_e)``,
    conditional on the raters, as irrCAC's ``gwet.ac1.raw`` (finite-population
    correction f = 0). With two raters and complete data it differs from
    :func:`gwet_ac1` only by the factor n/(n - 1) in the variance.
    Interpretation as for :func:`gwet_ac1`.

    References
    ----------
    Gwet KL. Br J Math Stat Psychol 2008;61:29-48. Gwet KL. Handbook of
    Inter-Rater Reliability, 4th ed. 2014 (multiple raters, missing ratings).

    Examples
    --------
    >>> rows = [["Y", "Y", "Y"], ["N", "N", "Y"], ["N", "N", "N"], ["Y", "Y", "Y"]]
    >>> round(gwet_ac1_multirater(rows, categories=["Y", "N"]).value, 3)
    0.676
    """
    counts, cats, n_raters, n, dropped = _rater_counts(ratings, categories, complete_cases)
    if counts is None:
        return _rater_problem(n_raters, n, dropped, _ac_multi_method(complete_cases, weights))
    return gwet_ac1_multirater_counts(counts, cats, n_excluded=dropped, complete_cases=complete_cases, weights=weights)


def gwet_ac1_multirater_counts(
    counts: Any, categories: Sequence[Hashable], n_excluded: int = 0, complete_cases: bool = False,
    weights: str | Any = "identity",
) -> Statistic:
    """:func:`gwet_ac1_multirater` (with its SE and CI) from the subject x category
    counts (irrCAC's ``gwet.ac1.dist``).

    Parameters
    ----------
    counts : n_subjects x q array of counts
        How many raters put each subject in each category, in the order of
        ``categories``. Subjects may have different numbers of ratings (a
        missing rating); rows of zeros are dropped and counted as excluded.
    categories : sequence of q labels
        The answers the columns stand for.
    n_excluded : int
        Subjects dropped before counting, for the record.
    complete_cases : bool
        The counts are complete cases: every subject must have the same
        number of ratings (``ValueError`` otherwise).
    weights : "identity", "linear", "quadratic" or a q x q matrix
        As in :func:`gwet_ac1_multirater` (AC2 when not the identity).

    Examples
    --------
    >>> round(gwet_ac1_multirater_counts([[3, 0], [1, 2], [0, 3], [3, 0]], ["Y", "N"]).value, 3)
    0.676
    """
    method = _ac_multi_method(complete_cases, weights)
    counts, cats, n_excluded, problem = _rated_counts(counts, categories, n_excluded, method, complete_cases)
    if problem is not None:
        return problem
    n = len(counts)
    q = len(cats)
    if q < 2:
        return _one_category(cats, n, n_excluded, method, "AC1's chance agreement")
    w = agreement_weights(cats, weights)
    r = counts.sum(axis=1)
    pa = _observed_by_subject(counts, w)[0]
    pi = np.mean(counts / r[:, None], axis=0)
    scale = float(w.sum()) / (q * (q - 1))  # T_w/(q(q-1)): 1/(q-1) unweighted
    pe = scale * float(np.sum(pi * (1 - pi)))
    ac1 = (pa - pe) / (1 - pe)
    pe_by_subject = scale * (counts @ (1 - pi)) / r
    se = _gwet_linearised_se(counts, ac1, pe, pe_by_subject, w)
    return _estimate(ac1, se, _zero_se_cause(counts, cats), method, n, n_excluded)


_FLEISS_METHOD = (
    "Fleiss' kappa (Fleiss 1971); SE: Gwet (2008) linearised variance "
    "(non-null; subjects sampled, raters fixed); 95% CI: kappa +/- 1.96 SE (normal), clipped to [-1, 1]"
)


def fleiss_kappa(
    ratings: Any, categories: Sequence[Hashable] | None = None, complete_cases: bool = False,
    weights: str | Any = "identity",
) -> Statistic:
    """Fleiss' kappa for several raters per subject, some ratings possibly missing.

    Parameters
    ----------
    ratings : n_subjects x n_raters table of hashable labels
        One row per subject. The raters need not be the same people for every
        subject; missing ratings are allowed (see Notes). Subjects nobody
        rated are dropped.
    categories : sequence of labels, optional
        Every possible answer (checks the labels; unused categories do not
        change Fleiss' kappa).
    complete_cases : bool
        Drop every subject with a missing rating first, as Fleiss' (1971)
        formula assumes (a fixed number of raters per subject).
    weights : "identity", "linear", "quadratic" or a q x q matrix
        Agreement weights for ordered categories (:func:`agreement_weights`),
        as irrCAC's ``fleiss.kappa.raw(weights=...)``: p_a from the weighted
        counts, p_e = sum_kl w_kl pi_k pi_l (Gwet 2014, ch. 3).

    Returns
    -------
    Statistic
        ``value`` kappa, ``se`` and ``ci95``; ``n`` counts the subjects used
        (at least one rating). None when every rating falls in one category
        (chance agreement 1), with fewer than two subjects, or when no
        subject was rated twice.

    Notes
    -----
    With r_ik raters putting subject i in category k, r_i ratings of
    subject i, n subjects and n_2 of them with r_i >= 2 (Fleiss 1971;
    Gwet 2014 for missing ratings):

    .. math:: p_a = \\frac{1}{n_2}\\sum_{i: r_i \\ge 2} \\frac{\\sum_k r_{ik}^2 - r_i}{r_i(r_i - 1)},\\quad
              \\pi_k = \\frac{1}{n}\\sum_i \\frac{r_{ik}}{r_i},\\quad
              p_e = \\sum_k \\pi_k^2,\\quad
              \\kappa = \\frac{p_a - p_e}{1 - p_e}

    With complete data this is Fleiss' (1971) kappa (it reproduces his
    printed 0.430, as statsmodels does); a subject rated once adds nothing
    to p_a but its rating counts in pi_k, as in irrCAC's
    ``fleiss.kappa.raw``. Fleiss (1971) and Fleiss, Nee & Landis (1979) give
    only the SE under kappa = 0, which is for testing and not for intervals;
    the SE here is Gwet's (2008) linearised non-null variance for the
    generalised pi, with the missing-data terms of :func:`gwet_ac1_multirater`
    (finite-population correction f = 0). With two raters Fleiss' kappa is
    Scott's pi. Maher et al. (2003) report PEDro item reliability with a
    multirater kappa of this kind (0.36-0.80). Interpretation: Landis & Koch
    (1977) bands as for :func:`cohen_kappa`; Fleiss (1981): < 0.40 poor,
    0.40-0.75 fair to good, > 0.75 excellent.

    References
    ----------
    Fleiss JL. Measuring nominal scale agreement among many raters. Psychol
    Bull 1971;76:378-382. Fleiss JL. Statistical Methods for Rates and
    Proportions, 2nd ed. Wiley, 1981. Gwet KL. Br J Math Stat Psychol
    2008;61:29-48. Gwet KL. Handbook of Inter-Rater Reliability, 4th ed. 2014.

    Examples
    --------
    >>> rows = [["Y", "Y", "Y"], ["N", "N", "Y"], ["N", "N", "N"], ["Y", "Y", "Y"]]
    >>> round(fleiss_kappa(rows).value, 3)
    0.657
    """
    counts, cats, n_raters, n, dropped = _rater_counts(ratings, categories, complete_cases)
    if counts is None:
        return _rater_problem(n_raters, n, dropped, _missing_method(_FLEISS_METHOD, complete_cases, weights))
    return fleiss_kappa_counts(counts, cats, n_excluded=dropped, complete_cases=complete_cases, weights=weights)


def fleiss_kappa_counts(
    counts: Any, categories: Sequence[Hashable], n_excluded: int = 0, complete_cases: bool = False,
    weights: str | Any = "identity",
) -> Statistic:
    """:func:`fleiss_kappa` (with its SE and CI) from the subject x category counts,
    the table statsmodels' ``fleiss_kappa`` takes.

    Parameters
    ----------
    counts : n_subjects x q array of counts
        How many raters put each subject in each category, in the order of
        ``categories``. Subjects may have different numbers of ratings (a
        missing rating); rows of zeros are dropped and counted as excluded.
    categories : sequence of q labels
        The answers the columns stand for.
    n_excluded : int
        Subjects dropped before counting, for the record.
    complete_cases : bool
        The counts are complete cases: every subject must have the same
        number of ratings (``ValueError`` otherwise).

    Examples
    --------
    >>> round(fleiss_kappa_counts([[3, 0], [1, 2], [0, 3], [3, 0]], ["Y", "N"]).value, 3)
    0.657
    """
    method = _missing_method(_FLEISS_METHOD, complete_cases, weights)
    counts, cats, n_excluded, problem = _rated_counts(counts, categories, n_excluded, method, complete_cases)
    if problem is not None:
        return problem
    n = len(counts)
    w = agreement_weights(cats, weights)
    r = counts.sum(axis=1)
    pi = np.mean(counts / r[:, None], axis=0)
    pe = float(pi @ w @ pi)
    if 1 - pe < _TOLERANCE:
        return Statistic(
            None,
            reason=(
                f"every rating is {cats[int(np.argmax(pi))]!r}, so chance agreement "
                "is 1 and Fleiss' kappa is 0/0; report the observed agreement instead"
            ),
            method=method,
            n=n,
            n_excluded=n_excluded,
        )
    kappa = (_observed_by_subject(counts, w)[0] - pe) / (1 - pe)
    se = _gwet_linearised_se(counts, kappa, pe, (counts @ ((w + w.T) / 2 @ pi)) / r, w)
    return _estimate(kappa, se, _zero_se_cause(counts, cats), method, n, n_excluded)


_BP_METHOD = (
    "Brennan-Prediger coefficient for several raters (Brennan & Prediger 1981; Gwet 2014); SE: Gwet (2014) "
    "linearised variance (subjects sampled, raters fixed); 95% CI: BP +/- 1.96 SE (normal), clipped to [-1, 1]"
)


def brennan_prediger(
    ratings: Any, categories: Sequence[Hashable] | None = None, complete_cases: bool = False,
    weights: str | Any = "identity",
) -> Statistic:
    """Brennan & Prediger's (1981) coefficient for two or more raters, some ratings possibly missing.

    Parameters
    ----------
    ratings, complete_cases
        As :func:`fleiss_kappa`.
    categories : sequence of labels, optional
        Every possible answer. q, the number of categories, IS the chance
        agreement (1/q), so pass it (``["Y", "N"]`` for scored PEDro items).
    weights : "identity", "linear", "quadratic" or a q x q matrix
        Agreement weights for ordered categories (:func:`agreement_weights`).

    Returns
    -------
    Statistic
        ``value``, ``se``, ``ci95`` (normal); None with fewer than two
        categories, fewer than two subjects, or no subject rated twice.

    Notes
    -----
    The chance agreement of q equally likely categories, T_w/q^2 with weights
    (1/q unweighted; Gwet 2014, ch. 3):

    .. math:: BP = \\frac{p_a - T_w/q^2}{1 - T_w/q^2}

    with p_a as in :func:`fleiss_kappa` (Gwet's missing-data form). With two
    raters it is :func:`pabak` (the k-category PABAK). Its SE is Gwet's
    linearised one, as irrCAC's ``bp.coeff.raw``, in which the constant p_e
    adds no term. Interpretation: the kappa bands of Landis & Koch (1977).

    References
    ----------
    Brennan RL, Prediger DJ. Coefficient kappa: some uses, misuses, and
    alternatives. Educ Psychol Meas 1981;41:687-699. Gwet KL. Handbook of
    Inter-Rater Reliability, 4th ed. 2014.

    Examples
    --------
    >>> rows = [["Y", "Y", "Y"], ["N", "N", "Y"], ["N", "N", "N"], ["Y", "Y", "Y"]]
    >>> round(brennan_prediger(rows, categories=["Y", "N"]).value, 3)
    0.667
    """
    counts, cats, n_raters, n, dropped = _rater_counts(ratings, categories, complete_cases)
    if counts is None:
        return _rater_problem(n_raters, n, dropped, _missing_method(_BP_METHOD, complete_cases, weights))
    return brennan_prediger_counts(counts, cats, n_excluded=dropped, complete_cases=complete_cases, weights=weights)


def brennan_prediger_counts(
    counts: Any, categories: Sequence[Hashable], n_excluded: int = 0, complete_cases: bool = False,
    weights: str | Any = "identity",
) -> Statistic:
    """:func:`brennan_prediger` (with its SE and CI) from the subject x category counts, as
    :func:`fleiss_kappa_counts` takes them.

    Examples
    --------
    >>> round(brennan_prediger_counts([[3, 0], [1, 2], [0, 3], [3, 0]], ["Y", "N"]).value, 3)
    0.667
    """
    method = _missing_method(_BP_METHOD, complete_cases, weights)
    counts, cats, n_excluded, problem = _rated_counts(counts, categories, n_excluded, method, complete_cases)
    if problem is not None:
        return problem
    n, q = len(counts), len(cats)
    if q < 2:
        return _one_category(cats, n, n_excluded, method, "the Brennan-Prediger coefficient")
    w = agreement_weights(cats, weights)
    pe = float(w.sum()) / q**2
    value = (_observed_by_subject(counts, w)[0] - pe) / (1 - pe)
    se = _gwet_linearised_se(counts, value, pe, np.full(n, pe), w)
    return _estimate(value, se, _zero_se_cause(counts, cats), method, n, n_excluded)


_CONGER_METHOD = (
    "Conger's kappa (Conger 1980); SE: Gwet (2014) linearised variance (subjects sampled, raters fixed; "
    "irrCAC's conger.kappa.raw); 95% CI: kappa +/- 1.96 SE (normal), clipped to [-1, 1]"
)


def conger_kappa(
    ratings: Any, categories: Sequence[Hashable] | None = None, complete_cases: bool = False,
    weights: str | Any = "identity",
) -> Statistic:
    """Conger's (1980) kappa for two or more raters, some ratings possibly missing.

    Parameters
    ----------
    ratings : n_subjects x n_raters table of hashable labels
        One row per subject, one column per rater: unlike Fleiss' kappa, the
        columns must be the same raters throughout, whose own answer rates
        enter the chance agreement. Missing ratings allowed; subjects nobody
        rated are dropped.
    categories, complete_cases
        As :func:`fleiss_kappa`.
    weights : "identity", "linear", "quadratic" or a q x q matrix
        Agreement weights for ordered categories (:func:`agreement_weights`),
        as irrCAC's ``conger.kappa.raw(weights=...)``: the weighted
        generalisation of Cohen's (1968) weighted kappa to several raters.

    Returns
    -------
    Statistic
        ``value``, ``se``, ``ci95`` (normal); None when chance agreement is 1,
        with fewer than two subjects or raters, or when no subject was rated
        twice.

    Notes
    -----
    p_a is Fleiss' (Gwet's missing-data form, weighted as in
    :func:`fleiss_kappa`). With p_gk the share of rater g's ratings in
    category k, pbar_k their mean over the r raters and s2_kl their
    covariance across raters (Conger 1980; Gwet 2014, ch. 2):

    .. math:: p_e = \\sum_{kl} w_{kl} \\big(\\bar p_k \\bar p_l - s^2_{kl}/r\\big),\\quad
              \\kappa_C = \\frac{p_a - p_e}{1 - p_e}

    the mean of the r(r-1)/2 pairwise Cohen chance agreements, so with two
    raters and complete data it is Cohen's (weighted) kappa. The SE is
    Gwet's linearised variance with the raters' classification terms, as
    irrCAC's ``conger.kappa.raw`` (f = 0). Interpretation: the kappa bands of
    Landis & Koch (1977).

    References
    ----------
    Conger AJ. Integration and generalization of kappas for multiple raters.
    Psychol Bull 1980;88:322-328. Gwet KL. Handbook of Inter-Rater
    Reliability, 4th ed. 2014.

    Examples
    --------
    >>> rows = [["Y", "Y", "Y"], ["N", "N", "Y"], ["N", "N", "N"], ["Y", "Y", "Y"]]
    >>> round(conger_kappa(rows).value, 3)
    0.667
    """
    positions, cats, n_raters, n, dropped = _rater_positions(ratings, categories, complete_cases)
    method = _missing_method(_CONGER_METHOD, complete_cases, weights)
    if positions is None:
        return _rater_problem(n_raters, n, dropped, method)
    positions = positions[:, (positions >= 0).any(axis=0)]  # a rater with no rating here has no margin
    q = len(cats)
    counts = (positions[:, :, None] == np.arange(q)).sum(axis=1).astype(float)
    counts, cats, n_excluded, problem = _rated_counts(counts, cats, dropped, method, complete_cases)
    if problem is not None:
        return problem
    if positions.shape[1] < 2:
        return _rater_problem(positions.shape[1], n, n_excluded, method)
    w = agreement_weights(cats, weights)
    pe, pe_by_subject = _conger_chance(positions, w)
    if 1 - pe < _TOLERANCE:
        reason = "chance agreement is 1 (every rating is one category), so Conger's kappa is 0/0"
        return Statistic(None, reason=reason, method=method, n=n, n_excluded=n_excluded)
    kappa = (_observed_by_subject(counts, w)[0] - pe) / (1 - pe)
    se = _gwet_linearised_se(counts, kappa, pe, pe_by_subject, w)
    return _estimate(kappa, se, _zero_se_cause(counts, cats), method, n, n_excluded)


def _conger_chance(positions: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """(p_e, each subject's p_e|i) of Conger's kappa from the subjects x raters table of category
    positions (-1 missing), with Gwet's (2014) linearisation as irrCAC's ``conger.kappa.raw``:
    lambda_igk = (n/n_g) sum_l w_kl (delta_igl - (eps_ig - n_g/n) p_gl), where delta_igl says rater g
    put subject i in l, eps_ig that g rated i, n_g how many subjects g rated; then
    p_e|i = sum_gk lambda_igk (r pbar_k - p_gk) / (r(r-1))."""
    n, r = positions.shape
    q = len(w)
    chosen = positions[:, :, None] == np.arange(q)  # n x r x q
    rated = (positions >= 0).astype(float)
    per_rater = chosen.sum(axis=0).astype(float)  # r x q
    n_g = per_rater.sum(axis=1)
    p_gk = per_rater / n_g[:, None]
    mean = p_gk.mean(axis=0)
    covariance = (p_gk.T @ p_gk - r * np.outer(mean, mean)) / (r - 1)
    pe = float(np.sum(w * (np.outer(mean, mean) - covariance / r)))
    centred = chosen - (rated - n_g / n)[:, :, None] * p_gk[None, :, :]
    lam = (centred @ w.T) * (n / n_g)[None, :, None]  # n x r x q, index k
    pe_by_subject = np.sum(lam * (r * mean - p_gk)[None, :, :], axis=(1, 2)) / (r * (r - 1))
    return pe, pe_by_subject


_ALPHA_METHOD = (
    "Krippendorff's alpha, nominal (Krippendorff 2011), computed by the krippendorff "
    "package; uses every unit rated at least twice; no SE (Krippendorff recommends a bootstrap)"
)


def krippendorff_alpha(ratings: Any, categories: Sequence[Hashable] | None = None) -> Statistic:
    """Krippendorff's alpha for nominal ratings, any number of raters, gaps allowed.

    Parameters
    ----------
    ratings : n_subjects x n_raters table of hashable labels
        One row per subject (unit), one column per rater; missing ratings are
        allowed. Unlike the other statistics, subjects are *not* dropped for a
        missing rating: every subject rated at least twice is used, and only
        those rated once or not at all are excluded (``n_excluded``).
    categories : sequence of labels, optional
        Every possible answer (checks the labels; for nominal alpha unused
        categories do not change the value).

    Returns
    -------
    Statistic
        ``value`` alpha; no SE or CI. None when no subject was rated twice or
        all pairable ratings are one category (expected disagreement 0).

    Notes
    -----
    From the coincidence matrix o_ck of pairable values, n_c its margins and
    n the number of pairable values (Krippendorff 2011):

    .. math:: \\alpha = 1 - \\frac{D_o}{D_e} = 1 - (n - 1)
              \\frac{\\sum_{c \\ne k} o_{ck}}{\\sum_{c \\ne k} n_c n_k}

    The value comes from the ``krippendorff`` package (level "nominal"),
    which reproduces Krippendorff's worked example (alpha = 0.743).
    Krippendorff recommends a bootstrap for its uncertainty (Hayes &
    Krippendorff 2007); no SE is given here. Interpretation (Krippendorff
    2004, p. 241): alpha >= 0.800 reliable; 0.667-0.800 only for tentative
    conclusions; < 0.667 discard.

    References
    ----------
    Krippendorff K. Computing Krippendorff's alpha-reliability. Annenberg
    School for Communication Departmental Papers 43, 2011. Krippendorff K.
    Content Analysis: An Introduction to Its Methodology, 2nd ed. Sage, 2004.
    Hayes AF, Krippendorff K. Answering the call for a standard reliability
    measure for coding data. Commun Methods Meas 2007;1:77-89.

    Examples
    --------
    >>> rows = [["Y", "Y"], ["N", "N"], ["Y", None], ["N", "Y"]]
    >>> r = krippendorff_alpha(rows)
    >>> round(r.value, 3), r.n, r.n_excluded
    (0.444, 3, 1)
    """
    table = _label_table(ratings)
    codes, labels = _codes(table.ravel())
    codes = codes.reshape(table.shape)
    rated_twice = (codes >= 0).sum(axis=1) >= 2
    pairable = codes[rated_twice]
    if len(pairable) == 0:
        return krippendorff_alpha_counts(np.zeros((0, 0)), [], n_excluded=len(table))
    cats = _categories(_seen(table[rated_twice][pairable >= 0], pairable[pairable >= 0]), categories)
    counts = _subject_category_counts(pairable, labels, cats)
    return krippendorff_alpha_counts(counts, cats, n_excluded=len(table) - len(pairable))


def krippendorff_alpha_counts(counts: Any, categories: Sequence[Hashable], n_excluded: int = 0) -> Statistic:
    """:func:`krippendorff_alpha` from the subject x category counts (the package's
    ``value_counts``); subjects may have any number of ratings.

    Parameters
    ----------
    counts : n_subjects x q array of counts
        How many raters put each subject in each category, in the order of
        ``categories``. Subjects with fewer than two ratings are excluded.
    categories : sequence of q labels
        The answers the columns stand for.
    n_excluded : int
        Subjects dropped before counting, for the record.

    Examples
    --------
    >>> r = krippendorff_alpha_counts([[2, 0], [0, 2], [1, 0], [1, 1]], ["Y", "N"])
    >>> round(r.value, 3), r.n, r.n_excluded
    (0.444, 3, 1)
    """
    counts, cats = _category_counts(counts, categories)
    pairable = counts[counts.sum(axis=1) >= 2]
    n, excluded = len(pairable), n_excluded + len(counts) - len(pairable)
    if n == 0:
        return Statistic(
            None,
            reason="no subject was rated by two or more raters, so nothing can be compared",
            method=_ALPHA_METHOD,
            n=n,
            n_excluded=excluded,
        )
    used = np.flatnonzero(pairable.sum(axis=0))
    if len(used) < 2:
        return Statistic(
            None,
            reason=(
                f"every rating is {_plain(cats[used[0]])!r}, so the expected disagreement is 0 and "
                "alpha is 0/0; report the observed agreement instead"
            ),
            method=_ALPHA_METHOD,
            n=n,
            n_excluded=excluded,
        )
    import krippendorff

    # The value counts and domain (category positions) that krippendorff derives
    # from raters x units reliability data, passed directly.
    alpha = krippendorff.alpha(
        value_counts=np.ascontiguousarray(pairable[:, used], dtype=np.int64),  # C order: same summation order
        value_domain=used.astype(float),
        level_of_measurement="nominal",
    )
    return Statistic(alpha, method=_ALPHA_METHOD, n=n, n_excluded=excluded)


# --------------------------------------------------------------------------
# Numeric ratings: ICC and Bland-Altman
# --------------------------------------------------------------------------


def _numeric_rows(ratings: Any) -> tuple[np.ndarray, int]:
    """Complete rows as a float matrix, and the number of rows dropped."""
    try:
        numbers = np.asarray(ratings)
    except (TypeError, ValueError):  # ragged rows: the checked path says what is wrong
        numbers = None
    if numbers is not None and numbers.dtype.kind in "biuf":  # numbers only, NaN where missing
        if numbers.size == 0:
            return np.empty((0, 0)), 0
        if numbers.ndim != 2:
            _label_table(numbers)  # raises, naming the dimensions
        y = numbers.astype(float)
        complete = ~np.isnan(y).any(axis=1)
        return np.ascontiguousarray(y[complete]), len(y) - int(np.count_nonzero(complete))
    rows = [[_plain(x) for x in row] for row in _label_table(ratings)]
    kept = []
    for i, row in enumerate(rows):
        if any(_is_missing(x) for x in row):
            continue
        try:
            kept.append([float(x) for x in row])
        except (TypeError, ValueError):
            bad = next(x for x in row if not _is_number(x))
            raise ValueError(f"the ICC needs numeric ratings; subject {i + 1} has {bad!r}") from None
    width = len(rows[0]) if rows else 0
    return np.array(kept, dtype=float).reshape(len(kept), width), len(rows) - len(kept)


def _is_number(x: Any) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True


def _single_bounds(f_lower: float, f_upper: float, k: int) -> tuple[float, float]:
    """F-ratio bounds -> bounds of a single-rater ICC, (F - 1)/(F + k - 1)."""

    def bound(f: float) -> float:
        return 1.0 if math.isinf(f) else (f - 1) / (f + k - 1)

    return bound(f_lower), bound(f_upper)


def _average_bounds(f_lower: float, f_upper: float) -> tuple[float, float]:
    """F-ratio bounds -> bounds of an average-rater ICC, 1 - 1/F."""

    def bound(f: float) -> float:
        return 1.0 if math.isinf(f) else (1 - 1 / f if f > 0 else -math.inf)

    return bound(f_lower), bound(f_upper)


_ICC_METHOD = {
    "ICC(1,1)": "one-way random effects, single rater",
    "ICC(2,1)": "two-way random effects, absolute agreement, single rater",
    "ICC(3,1)": "two-way mixed effects, consistency, single rater",
    "ICC(1,k)": "one-way random effects, mean of k raters",
    "ICC(2,k)": "two-way random effects, absolute agreement, mean of k raters",
    "ICC(3,k)": "two-way mixed effects, consistency, mean of k raters",
}


def icc(ratings: Any, form: str) -> Statistic:
    """Intraclass correlation of Shrout & Fleiss (1979), with its 95 % CI.

    Parameters
    ----------
    ratings : n_subjects x k_raters table of numbers
        One row per subject (e.g. a study's PEDro total), one column per
        rater; every rater rates every subject. Subjects with a missing rating
        are dropped (listwise, as pingouin's ``nan_policy="omit"``).
    form : str
        One of :data:`ICC_FORMS`: ``"ICC(1,1)"``, ``"ICC(2,1)"``,
        ``"ICC(3,1)"`` (a single rater's reliability) or ``"ICC(1,k)"``,
        ``"ICC(2,k)"``, ``"ICC(3,k)"`` (reliability of the mean of the k
        raters). There is no default: the model must be chosen and reported.

    Returns
    -------
    Statistic
        ``value`` the ICC, ``ci95`` its F-based interval, no ``se``. None with
        fewer than two subjects or raters, or no variance at all.

    Notes
    -----
    From the two-way ANOVA of the n x k table: BMS (between subjects, df
    n-1), JMS (between raters, df k-1), EMS (residual, df (n-1)(k-1)) and WMS
    (within subjects, df n(k-1)) (Shrout & Fleiss 1979, Table 3):

    .. math::
        ICC(1,1) = \\frac{BMS - WMS}{BMS + (k-1)WMS},\\quad
        ICC(2,1) = \\frac{BMS - EMS}{BMS + (k-1)EMS + k(JMS - EMS)/n},\\quad
        ICC(3,1) = \\frac{BMS - EMS}{BMS + (k-1)EMS}

        ICC(1,k) = \\frac{BMS - WMS}{BMS},\\quad
        ICC(2,k) = \\frac{BMS - EMS}{BMS + (JMS - EMS)/n},\\quad
        ICC(3,k) = \\frac{BMS - EMS}{BMS}

    95 % intervals (Shrout & Fleiss 1979; McGraw & Wong 1996, Tables 7-8):
    for ICC(1,.) with F = BMS/WMS and ICC(3,.) with F = BMS/EMS,
    F_L = F / F_{.975}(df1, df2) and F_U = F x F_{.975}(df2, df1) give
    (F - 1)/(F + k - 1) for a single rater and 1 - 1/F for the mean. For
    ICC(2,1) the Satterthwaite approximation of Fleiss & Shrout (1978):
    with a = k rho/(n(1-rho)), b = 1 + k rho (n-1)/(n(1-rho)), rho = ICC(2,1),

    .. math:: \\nu = \\frac{(a\\,JMS + b\\,EMS)^2}
              {(a\\,JMS)^2/(k-1) + (b\\,EMS)^2/((n-1)(k-1))}

    F* = F_{.975}(n-1, nu), F** = F_{.975}(nu, n-1), and

    .. math:: L = \\frac{n(BMS - F^* EMS)}{F^*(k\\,JMS + (kn - k - n)EMS) + n\\,BMS},\\quad
              U = \\frac{n(F^{**} BMS - EMS)}{k\\,JMS + (kn - k - n)EMS + n F^{**} BMS}

    ICC(2,k)'s interval is McGraw & Wong's for ICC(A,k), which equals the
    Spearman-Brown step-up kL/(1 + (k-1)L) of these bounds. The intervals
    match R's psych::ICC on Shrout & Fleiss' example.

    Where pedro departs from pingouin and R psych: at small n these formulas
    can give an interval that is inverted, above 1 or excludes the estimate
    (about 1 in 20 two-assessor sets of PEDro totals with 3-20 trials, for
    ICC(2,k)). The step-up has a pole at L = -1/(k-1): an ICC(2,1) lower
    bound below it maps to a value above 1 (the true ICC(2,k) lower bound is
    unbounded), e.g. [[7, 9], [8, 7], [5, 3]] gives pingouin's "(4.91, 0.996)"
    around 0.83. pingouin and psych print such intervals; pedro gives
    ``ci95=None`` and a ``reason`` naming the cause (with the one-sided upper
    bound where it still holds), never a wrong interval. Lower bounds below
    -1 are kept for the mean-of-k forms, whose range is (-inf, 1]. ICC(2,k)
    itself is None when its denominator BMS + (JMS - EMS)/n is negative
    (JMS < EMS at small n), where the estimate would exceed 1.

    Which form: ICC(1,.) when each subject has its own raters; ICC(2,.) when
    the raters are a sample and absolute agreement matters (two assessors of
    a review); ICC(3,.) when only these raters matter and a constant offset
    between them is acceptable. PEDro studies have used ICC(1,1) (Maher et al.
    2003: 0.56, 95% CI 0.47-0.65) and ICC(2,1) (Tooth et al. 2005).
    Interpretation, judged on the CI (Koo & Li 2016): < 0.5 poor, 0.5-0.75
    moderate, 0.75-0.9 good, > 0.9 excellent. Cicchetti (1994): < 0.40 poor,
    0.40-0.59 fair, 0.60-0.74 good, 0.75-1.00 excellent.

    References
    ----------
    Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater
    reliability. Psychol Bull 1979;86:420-428. Fleiss JL, Shrout PE.
    Approximate interval estimation for a certain intraclass correlation
    coefficient. Psychometrika 1978;43:259-262. McGraw KO, Wong SP. Forming
    inferences about some intraclass correlation coefficients. Psychol Methods
    1996;1:30-46 (correction 1:390). Koo TK, Li MY. J Chiropr Med
    2016;15:155-163. Cicchetti DV. Psychol Assess 1994;6:284-290.

    Examples
    --------
    >>> r = icc([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], "ICC(3,1)")
    >>> round(r.value, 2), tuple(round(x, 2) for x in r.ci95)
    (0.71, (0.34, 0.95))
    """
    if form not in ICC_FORMS:
        raise ValueError(f"form must be one of {', '.join(ICC_FORMS)}; got {form!r}")
    method = f"{form}, {_ICC_METHOD[form]} (Shrout & Fleiss 1979); 95% CI: " + (
        "Satterthwaite approximation (Fleiss & Shrout 1978; McGraw & Wong 1996)"
        if form.startswith("ICC(2")
        else "exact F-based (Shrout & Fleiss 1979; McGraw & Wong 1996)"
    )
    y, dropped = _numeric_rows(ratings)
    n, k = y.shape
    if n + dropped > 0 and k < 2:
        return Statistic(
            None, reason=f"needs at least 2 raters (columns); got {k}", method=method, n=n, n_excluded=dropped
        )
    if n < 2:
        return _too_few(n, dropped, method)
    if np.ptp(y) == 0:
        return Statistic(
            None,
            reason=f"every rating is {y[0, 0]:g}, so there is no variance to partition and the ICC is 0/0",
            method=method,
            n=n,
            n_excluded=dropped,
        )

    bms, jms, ems, wms, scale = _icc_mean_squares(y)
    numerator, denominator = _icc_ratio(form, bms, jms, ems, wms, n, k)
    if denominator <= scale:
        reason = _icc_undefined_reason(form, numerator, denominator, scale, (bms, jms, ems), n)
        return Statistic(None, reason=reason, method=method, n=n, n_excluded=dropped)
    value = numerator / denominator
    ci95, ci_reason = _icc_ci(form, bms, jms, ems, wms, n, k)
    if ci95 is not None:
        ci_reason = _icc_interval_problem(form, value, *ci95)
        ci95 = None if ci_reason else ci95
    return Statistic(value, ci95=ci95, reason=ci_reason, method=method, n=n, n_excluded=dropped)


def _icc_undefined_reason(
    form: str, numerator: float, denominator: float, scale: float, mean_squares: tuple[float, float, float], n: int
) -> str:
    """Why ``form`` has no estimate when its denominator is 0 or negative, naming the real cause."""
    bms, jms, ems = mean_squares
    if bms == 0 and denominator >= -scale:
        return (
            "every subject has the same mean rating (no between-subject variance), "
            f"so {form} has a zero denominator and is undefined"
        )
    if denominator < -scale:
        # Only ICC(2,k)'s BMS + (JMS - EMS)/n can go negative (for n >= 2): the raters' means differ
        # less than the residual predicts, which small n allows; the ratio is then above 1.
        return (
            f"the denominator of {form} is negative ({denominator:.3g}: JMS = {jms:.3g} is below EMS = "
            f"{ems:.3g} with only {n} subjects), so the estimate would be {numerator / denominator:.3g}, "
            "above 1, which no ICC can be: undefined"
        )
    return f"the denominator of {form} is 0 (BMS = {bms:.3g}, JMS = {jms:.3g}, EMS = {ems:.3g}), so it is undefined"


def _icc_interval_problem(form: str, value: float, lower: float, upper: float) -> str | None:
    """Why the computed interval of ``form`` cannot be reported, or None when it is ordered, at most 1
    and contains the estimate. The F-based and Satterthwaite formulas can break all three at small n;
    pingouin and R psych print the broken interval, pedro gives none rather than a wrong one."""
    name = "Satterthwaite (F-based)" if form[4] == "2" else "F-based"
    slack = 1e-9  # rounding of bounds that coincide with the estimate or with 1
    if lower > upper + slack:
        return f"the {name} bounds of {form} are inverted ({lower:.3g} above {upper:.3g}) for these data: no interval"
    if upper > 1 + slack:
        return f"the {name} upper bound of {form} ({upper:.3g}) exceeds 1, the ICC's maximum: no interval"
    if not lower - slack <= value <= upper + slack:
        return (
            f"the {name} interval of {form} ({lower:.3g} to {upper:.3g}) does not contain the estimate "
            f"{value:.3g}: the approximation fails for these data, so no interval"
        )
    return None


def _icc_mean_squares(y: np.ndarray) -> tuple[float, float, float, float, float]:
    """(BMS, JMS, EMS, WMS, scale): the mean squares of the two-way ANOVA of the n x k table ``y``
    (Shrout & Fleiss 1979, Table 3), and the size below which a mean square is taken as 0.

    BMS is between subjects (df n-1), JMS between raters (df k-1), EMS the
    residual (df (n-1)(k-1)) and WMS within subjects (df n(k-1))."""
    n, k = y.shape
    grand = y.mean()
    ss_total = float(np.sum((y - grand) ** 2))
    ss_subjects = k * float(np.sum((y.mean(axis=1) - grand) ** 2))
    ss_raters = n * float(np.sum((y.mean(axis=0) - grand) ** 2))
    # Relative to the total sum of squares: equal ratings leave residues of rounding, not variance.
    scale = _TOLERANCE * ss_total / (n * k - 1)

    def mean_square(ss: float, df: int) -> float:
        ms = max(ss, 0.0) / df
        return 0.0 if ms < scale else ms

    bms = mean_square(ss_subjects, n - 1)
    jms = mean_square(ss_raters, k - 1)
    ems = mean_square(ss_total - ss_subjects - ss_raters, (n - 1) * (k - 1))
    wms = mean_square(ss_total - ss_subjects, n * (k - 1))
    return bms, jms, ems, wms, scale


def _icc_ratio(form: str, bms: float, jms: float, ems: float, wms: float, n: int, k: int) -> tuple[float, float]:
    """(numerator, denominator) of ``form`` from the mean squares (Shrout & Fleiss 1979, Table 3; the
    formulas are in ``icc``'s docstring)."""
    numerator = {"1": bms - wms, "2": bms - ems, "3": bms - ems}[form[4]]
    if form.endswith(",1)"):
        denominator = {
            "1": bms + (k - 1) * wms,
            "2": bms + (k - 1) * ems + k * (jms - ems) / n,
            "3": bms + (k - 1) * ems,
        }[form[4]]
    else:
        denominator = {"1": bms, "2": bms + (jms - ems) / n, "3": bms}[form[4]]
    return numerator, denominator


def _icc_ci(
    form: str, bms: float, jms: float, ems: float, wms: float, n: int, k: int
) -> tuple[tuple[float, float] | None, str | None]:
    """The 95 % interval of ``form``, or None and why: F-based for ICC(1,.) and ICC(3,.) (Shrout & Fleiss
    1979; McGraw & Wong 1996), Satterthwaite's for ICC(2,.) (Fleiss & Shrout 1978; McGraw & Wong 1996).
    The formulas are in ``icc``'s docstring."""
    from scipy.special import fdtri  # what scipy.stats.f.ppf computes, without importing scipy.stats

    def f_quantile(q: float, dfn: float, dfd: float) -> np.floating:  # numpy float: x/0 gives inf, not an error
        return fdtri(dfn, dfd, q)

    alpha = 0.05
    with np.errstate(divide="ignore", invalid="ignore"):
        if form[4] in "13":
            error, df2 = (wms, n * (k - 1)) if form[4] == "1" else (ems, (n - 1) * (k - 1))
            f_obs = math.inf if error == 0 else bms / error
            f_lower = f_obs / f_quantile(1 - alpha / 2, n - 1, df2)
            f_upper = f_obs * f_quantile(1 - alpha / 2, df2, n - 1)
            bounds = _single_bounds(f_lower, f_upper, k) if form.endswith(",1)") else _average_bounds(f_lower, f_upper)
        else:
            rho = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)  # ICC(2,1)
            if rho >= 1 - _TOLERANCE:
                return (1.0, 1.0), None
            a = k * rho / (n * (1 - rho))
            b = 1 + k * rho * (n - 1) / (n * (1 - rho))
            nu_denominator = (a * jms) ** 2 / (k - 1) + (b * ems) ** 2 / ((n - 1) * (k - 1))
            nu = (a * jms + b * ems) ** 2 / nu_denominator if nu_denominator > 0 else math.nan
            if not (math.isfinite(nu) and nu > 0):
                return None, "the Satterthwaite degrees of freedom are not positive, so no CI is given"
            f_star = f_quantile(1 - alpha / 2, n - 1, nu)
            f_star2 = f_quantile(1 - alpha / 2, nu, n - 1)
            c = k * jms + (k * n - k - n) * ems
            lower = n * (bms - f_star * ems) / (f_star * c + n * bms)
            upper = n * (f_star2 * bms - ems) / (c + n * f_star2 * bms)
            if form == "ICC(2,k)":
                pole = -1 / (k - 1)
                if lower <= pole:  # the step-up maps bounds below its pole above 1: the real bound is -inf
                    return None, _pole_reason(lower, upper, pole, k)
                lower, upper = (k * x / (1 + (k - 1) * x) for x in (lower, upper))
            bounds = (lower, upper)
    if not all(math.isfinite(x) for x in bounds):
        return None, "the F-based confidence interval is unbounded for these data"
    return (float(bounds[0]), float(bounds[1])), None


def _pole_reason(lower: float, upper: float, pole: float, k: int) -> str:
    """Why ICC(2,k) has no two-sided interval: ICC(2,1)'s lower bound is at or below the pole of the
    Spearman-Brown step-up k x/(1 + (k-1) x); the upper bound alone is still a valid one-sided bound."""
    reason = (
        f"the F-based lower bound of ICC(2,1) ({lower:.3g}) is below -1/(k-1) = {pole:.3g}, where the "
        "Spearman-Brown step-up to ICC(2,k) has its pole (ICC(2,k)'s lower bound is unbounded): no interval"
    )
    if pole < upper <= 1:
        reason += f"; the one-sided 97.5% upper bound is {k * upper / (1 + (k - 1) * upper):.3f}"
    return reason


_BA_METHOD = (
    "Bland-Altman (1986): bias = mean(A - B), SD of the differences (n - 1), "
    "95% limits of agreement = bias +/- 1.96 SD; 95% CIs (Bland & Altman 1999): "
    "bias +/- t(0.975, n - 1) SD/sqrt(n), each limit +/- t(0.975, n - 1) sqrt(3 SD^2/n)"
)


def bland_altman(totals_a: Iterable[Any], totals_b: Iterable[Any]) -> BlandAltman:
    """Bias and 95 % limits of agreement between two raters' totals.

    Parameters
    ----------
    totals_a, totals_b : sequence of numbers
        Each rater's total for the same subjects in the same order (e.g. PEDro
        totals 0-10 per study). Subjects missing either total are dropped.

    Returns
    -------
    BlandAltman
        ``bias`` mean of A - B, ``sd`` the SD of the differences, ``lower`` and
        ``upper`` the 95 % limits of agreement, with their 95 % confidence
        intervals (``bias_ci95``, ``lower_ci95``, ``upper_ci95``). All None
        (with a reason) for fewer than two subjects; no intervals (and a
        ``reason`` saying why) for two, or when every difference is the same
        (SD 0: an interval would claim certainty).

    Notes
    -----
    With d_i = a_i - b_i (Bland & Altman 1986):

    .. math:: \\bar d = \\frac{1}{n}\\sum d_i,\\quad
              s_d = \\sqrt{\\frac{\\sum (d_i - \\bar d)^2}{n - 1}},\\quad
              LoA = \\bar d \\pm 1.96\\, s_d

    About 95 % of differences between the raters should fall inside the
    limits if the differences are roughly normal and do not change with the
    size of the total (check the plot of d_i against the mean of a_i and
    b_i). The 1986 paper used 2 SD; 1.96 is the now usual multiplier.

    The limits are estimates, imprecise in small samples: Bland & Altman
    (1986; 1999, section 2.3) give their approximate standard error
    sqrt(3 s_d^2 / n) and that of the bias s_d/sqrt(n), with t quantiles on
    n - 1 degrees of freedom for the 95 % intervals. (Carkeet 2015 gives exact
    intervals from tolerance factors; the approximation is somewhat narrow
    below about 40 subjects.) With two subjects the t quantile (12.7) makes
    the intervals meaningless and none is given. There
    are no interpretation bands: decide beforehand what disagreement in a
    PEDro total is acceptable (e.g. one point, which can move a trial across
    a quality band) and compare the limits with it.

    References
    ----------
    Bland JM, Altman DG. Statistical methods for assessing agreement between
    two methods of clinical measurement. Lancet 1986;i(8476):307-310. Bland
    JM, Altman DG. Measuring agreement in method comparison studies. Stat
    Methods Med Res 1999;8:135-160. Carkeet A. Exact parametric confidence
    intervals for Bland-Altman limits of agreement. Optom Vis Sci
    2015;92:e71-e80.

    Examples
    --------
    >>> r = bland_altman([6, 7, 5, 8], [6, 6, 5, 7])
    >>> r.bias, round(r.sd, 3)
    (0.5, 0.577)
    """
    a, b = _same_subjects(_label_array(totals_a), _label_array(totals_b))
    complete = ~(missing(a) | missing(b))
    a, b = a[complete], b[complete]
    n, dropped = len(a), len(complete) - len(a)
    if n < 2:
        dropped_note = f" ({dropped} dropped for a missing total)" if dropped else ""
        return BlandAltman(
            None,
            None,
            None,
            None,
            reason=f"needs at least 2 subjects with both totals; got {n}{dropped_note}",
            method=_BA_METHOD,
            n=n,
            n_excluded=dropped,
        )
    try:
        d = np.array(a, dtype=float) - np.array(b, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("Bland-Altman needs numeric totals for both raters") from None
    bias = float(d.mean())
    sd = float(d.std(ddof=1))
    lower, upper = bias - 1.96 * sd, bias + 1.96 * sd
    sd = _exact_zero(sd)
    intervals, reason = {}, None
    if n < MIN_INTERVAL_N:
        reason = (f"no intervals with {n} subjects: Student's t on {n - 1} df is {_t_quantile(n - 1):.1f}, "
                  "so they would say nothing (Bland & Altman 1999)")
    elif sd == 0:
        reason = _no_interval_reason(f"every difference is {_no_residue(bias):g}", n).replace(
            "the standard error", "the SD of the differences, and so every standard error,")
    else:
        t = _t_quantile(n - 1)
        bias_half, limit_half = t * sd / math.sqrt(n), t * math.sqrt(3 * sd**2 / n)
        intervals = {"bias_ci95": (bias - bias_half, bias + bias_half),
                     "lower_ci95": (lower - limit_half, lower + limit_half),
                     "upper_ci95": (upper - limit_half, upper + limit_half)}
    return BlandAltman(_no_residue(bias), sd, _no_residue(lower), _no_residue(upper), reason=reason,
                       method=_BA_METHOD, n=n, n_excluded=dropped, **intervals)
