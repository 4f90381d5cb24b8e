"""Compare independent assessors' ratings of the same trials.

PEDro's own database rates every trial twice, independently, and a third
rater settles each item on which the two disagree (PEDRO-NOTES 1.4).  This
module matches the assessors' trials by label, lists every (trial, item)
disagreement, and computes the agreement statistics of ``pedro.agreement``.

Categories: the statistics are computed on the point each item earns, "Y"
against not "Y" ("N" and "?" both score 0, because PEDro awards a point only
when a criterion is clearly satisfied).  The disagreement list is stricter: any
difference in the answers, "N" against "?" included, is listed for consensus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from . import agreement
from .audit.workbook import Key
from .engine import ScoreResult, score_file
from .errors import InputError
from .rubric import Rubric, load_rubric
from .runtime import bulk_allocation
from .text import fold_text

# The disagreement workbook that `pedro compare` writes (``pedro.write.disagreements``) and
# `pedro consensus` reads: its sheet names, marks and columns, spelt here only.  Its
# Provenance sheet has the audited workbook's name (``pedro.audit.workbook``).
DISAGREEMENTS_SHEET = "Disagreements"
AGREED_SHEET = "Agreed"
STATISTICS_SHEET = "Statistics"
DIFFERENCES_SHEET = "Trial differences"
UNMATCHED_SHEET = "Unmatched"
DISAGREEMENTS_MARK = "pedro disagreements"  # cell A1 of its Provenance sheet
ITEM_HEADER, CRITERION_HEADER = "Item", "Criterion"
CONSENSUS_HEADER, REASON_HEADER, RESOLVED_BY_HEADER = "Consensus", "Reason", "Resolved by"
CONSENSUS_HEADERS = (CONSENSUS_HEADER, REASON_HEADER, RESOLVED_BY_HEADER)
ANSWER_SUFFIX, EVIDENCE_SUFFIX = ": answer", ": evidence"  # after each assessor's name


def answer_header(assessor: str) -> str:
    return f"{assessor}{ANSWER_SUFFIX}"


def evidence_header(assessor: str) -> str:
    return f"{assessor}{EVIDENCE_SUFFIX}"


POINT_CATEGORIES = ("Y", "not Y")
MISSING = -1  # the code of a missing answer (or band) in the arrays of a Comparison


def match_key(label) -> str | None:
    """Trial labels match ignoring case, spacing and punctuation ("Smith, 2001" = "smith 2001")."""
    if label is None:
        return None
    key = re.sub(r"[\W_]+", "", fold_text(label))
    return key or None


# In ASCII, NFKC changes nothing and the word characters are letters, digits and
# "_": an ASCII label's key is its lower case without any other character.
_ASCII_NOT_KEY = str.maketrans("", "", "".join(chr(c) for c in range(1, 128) if not chr(c).isalnum()))


def match_keys(labels: list) -> list[str | None]:
    """``[match_key(label) for label in labels]``, with the ASCII labels (nearly all)
    folded in one pass over their NUL-joined text."""
    is_ascii = [isinstance(label, str) and label.isascii() for label in labels]
    ascii_labels = [label for label, plain in zip(labels, is_ascii) if plain]
    folded = "\x00".join(ascii_labels).lower().translate(_ASCII_NOT_KEY).split("\x00")
    if len(folded) != len(ascii_labels):  # a label holds NUL itself (or none is ASCII)
        return [match_key(label) for label in labels]
    ascii_keys = iter(folded)
    return [(next(ascii_keys) or None) if plain else match_key(label) for label, plain in zip(labels, is_ascii)]


@dataclass
class Assessor:
    name: str
    result: ScoreResult

    @property
    def path(self) -> Path:
        return self.result.input


@dataclass
class Comparison:
    """The assessors' ratings of the trials they all rated, side by side, and what
    was computed from them.  Arrays are numpy, one row per matched trial in
    ``keys`` order, one column per assessor in ``assessors`` order."""

    assessors: list[Assessor]
    keys: list[str]  # matched trial keys, in the first assessor's order
    labels: dict[str, str]  # key -> label as the first assessor wrote it
    study_index: object  # array, trials x assessors: the trial's index in each assessor's sheet.studies
    item_numbers: list[int]  # the rubric's items: the last axis of answers
    answers: object  # int array, trials x assessors x items: position in answer_labels, MISSING where none
    answer_labels: tuple  # the answers the codes stand for ("Y", "N", "?")
    totals: object  # float array, trials x assessors: total, NaN when unknown
    bands: object  # object array, trials x assessors: band or None
    unmatched: dict[str, list[str]]
    items: list[dict] = field(default_factory=list)  # statistics per item
    total_stats: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.assessors]

    def answer_text(self, codes):
        """The answers that ``codes`` (any shape) stand for, None where MISSING."""
        import numpy as np

        return np.array([*self.answer_labels, None], dtype=object)[codes]  # MISSING (-1) picks the None

    @cached_property
    def disagreements(self) -> list[dict]:
        """``list_disagreements`` with the evidence, made when first asked for: the JSON
        report does without it."""
        return list_disagreements(self)

    def disagreements_without_evidence(self) -> list[dict]:
        """``list_disagreements`` without the evidence text: what the JSON report lists."""
        return list_disagreements(self, evidence=False)

    def trial_differences(self) -> list[dict]:
        """Per trial, each assessor's total and band (``trial_differences``)."""
        return trial_differences(self)


def assessor_names(results: list[ScoreResult], names: list[str] | None) -> list[str]:
    """--names, else the Provenance's user of an audited workbook, else the file stem; always unique."""
    if names:
        if len(names) != len(results):
            raise InputError(f"--names gives {len(names)} name(s) for {len(results)} file(s); give one per file")
        if len(set(names)) != len(names):
            raise InputError(f"--names must be different from each other; got {', '.join(names)}")
        return list(names)
    chosen = [r.previous_provenance.get(Key.ASSESSOR) or r.previous_provenance.get(Key.USER) or r.input.stem
              for r in results]
    if len(set(chosen)) != len(chosen):
        chosen = [r.input.stem for r in results]
    if len(set(chosen)) != len(chosen):
        chosen = [f"{stem} ({i + 1})" for i, stem in enumerate(chosen)]
    return chosen


def compare_files(paths: list[str | Path], names: list[str] | None = None, bands: str | None = None,
                  sheet: str | None = None, rubric=None) -> Comparison:
    if len(paths) < 2:
        raise InputError("compare needs at least two assessors' item sheets")
    rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    results = [score_file(p, sheet=sheet, bands=bands, rubric=rubric) for p in paths]
    return compare_results(results, assessor_names(results, names))


def _first_rows(labels: list) -> dict[str, int]:
    """Match key -> position of the first trial with that key (trials without a key are left out)."""
    first: dict[str, int] = {}
    for position, key in enumerate(match_keys(labels)):
        if key is not None and key not in first:
            first[key] = position
    return first


def _cells(wide, index, items):
    """The values of ``wide`` (study x item, None where missing, as ``RatedSheet.wide``
    gives it) at the studies ``index`` and ``items`` (arrays broadcast together), None
    wherever the sheet has no such cell."""
    import numpy as np

    index, items = np.broadcast_arrays(np.asarray(index), np.asarray(items))
    rows = wide.index.get_indexer(index.ravel()).reshape(index.shape)
    columns = wide.columns.get_indexer(items.ravel()).reshape(items.shape)
    padded = np.full((wide.shape[0] + 1, wide.shape[1] + 1), None, dtype=object)  # -1 picks the padding
    padded[:-1, :-1] = wide.to_numpy(dtype=object)
    return padded[rows, columns]


def compare_results(results: list[ScoreResult], names: list[str]) -> Comparison:
    import numpy as np
    import pandas as pd

    assessors = [Assessor(n, r) for n, r in zip(names, results)]
    labels_by_assessor = [a.result.sheet.studies["study"].tolist() for a in assessors]
    first_rows = [_first_rows(labels) for labels in labels_by_assessor]
    common = set(first_rows[0]).intersection(*first_rows[1:])
    keys = [k for k in first_rows[0] if k in common]
    if not keys:
        raise InputError(
            "the assessors' sheets have no trials in common (labels are matched ignoring case, spacing and "
            "punctuation): " + "; ".join(f"{a.name} ({a.path.name}): "
                                         f"{', '.join(map(str, a.result.sheet.studies['study'].head(5)))}"
                                         for a in assessors))
    unmatched = {}
    for assessor, first, labels in zip(assessors, first_rows, labels_by_assessor):
        studies = assessor.result.sheet.studies
        unlabelled = studies.loc[studies["study"].isna(), "row"]
        unmatched[assessor.name] = ([labels[i] for k, i in first.items() if k not in common]
                                    + [f"(row {row}, no label)" for row in unlabelled])
    items = list(assessors[0].result.rubric.item_numbers)
    study_index, answers, totals, bands = [], [], [], []
    for assessor, first in zip(assessors, first_rows):
        result = assessor.result
        index = result.sheet.studies.index[np.array([first[k] for k in keys])]
        study_index.append(index.to_numpy())
        answers.append(_cells(result.sheet.wide("answer"), index.to_numpy()[:, None], items))
        scores = result.scores.reindex(index)
        totals.append(scores["total"].to_numpy(dtype=float, na_value=np.nan))
        bands.append(scores["band"].to_numpy(dtype=object))
    codes, answer_labels = pd.factorize(np.stack(answers, axis=1).ravel())
    bands = np.stack(bands, axis=1)
    bands[pd.isna(bands)] = None
    comparison = Comparison(
        assessors=assessors, keys=keys, labels={k: labels_by_assessor[0][first_rows[0][k]] for k in keys},
        study_index=np.stack(study_index, axis=1), item_numbers=items,
        answers=codes.reshape(len(keys), len(assessors), len(items)), answer_labels=tuple(answer_labels),
        totals=np.stack(totals, axis=1), bands=bands, unmatched=unmatched)
    comparison.items = item_statistics(comparison)
    comparison.total_stats = total_statistics(comparison)
    return comparison


def item_points(comparison: Comparison):
    """The point each answer earns, trials x assessors x items: 0 for "Y", 1 for "N" or "?"
    (positions in POINT_CATEGORIES), MISSING for no answer."""
    import numpy as np

    position = np.array([label != "Y" for label in comparison.answer_labels] + [False], dtype=np.int8)
    points = position[comparison.answers]  # MISSING (-1) picks the sentinel at the end ...
    points[comparison.answers == MISSING] = MISSING  # ... and is put back
    return points


def item_statistics(comparison: Comparison) -> list[dict]:
    """The agreement statistics of each item, one dict per item in ``item_numbers`` order, computed on
    the point each answer earns (see ``item_points``) over the trials every assessor answered."""
    rubric = comparison.assessors[0].result.rubric
    two = len(comparison.names) == 2
    points = item_points(comparison)
    rows = []
    for column, item in enumerate(comparison.item_numbers):
        by_trial = points[:, :, column]
        answered = (by_trial != MISSING).all(axis=1)
        complete = by_trial[answered]
        excluded = len(by_trial) - len(complete)
        stats = (_two_assessor_statistics(complete, excluded) if two
                 else _multi_assessor_statistics(by_trial, answered, excluded))
        rows.append(_item_row(item, rubric.item(item).label, complete, stats, two))
    return rows


def _two_assessor_statistics(complete, excluded: int) -> dict:
    """Statistic (or None) by key, from the 2 x 2 table of two assessors' points on the trials both
    answered (``complete``, trials x 2)."""
    import numpy as np

    table = np.bincount(complete[:, 0] * 2 + complete[:, 1], minlength=4).reshape(2, 2)
    return {
        "cohen_kappa": agreement.cohen_kappa_table(table, POINT_CATEGORIES, n_excluded=excluded),
        "pabak": agreement.pabak_table(table, POINT_CATEGORIES, n_excluded=excluded),
        "prevalence_index": agreement.prevalence_index_table(table, POINT_CATEGORIES, positive="Y",
                                                             n_excluded=excluded),
        "bias_index": agreement.bias_index_table(table, POINT_CATEGORIES, positive="Y", n_excluded=excluded),
        "gwet_ac1": agreement.gwet_ac1_table(table, POINT_CATEGORIES, n_excluded=excluded),
        "fleiss_kappa": None,
        "krippendorff_alpha": None,
    }


def _multi_assessor_statistics(by_trial, answered, excluded: int) -> dict:
    """Statistic (or None) by key, from the trial x category counts of three or more assessors' points
    (``by_trial``, trials x assessors; ``answered``, the trials every assessor answered).  Krippendorff's
    alpha takes every trial: it is defined for incomplete data."""
    import numpy as np

    counts = np.stack([(by_trial == 0).sum(axis=1), (by_trial == 1).sum(axis=1)], axis=1)
    complete_counts = counts[answered]
    return {
        "cohen_kappa": None,
        "pabak": None,
        "prevalence_index": None,
        "bias_index": None,
        "gwet_ac1": agreement.gwet_ac1_multirater_counts(complete_counts, POINT_CATEGORIES, n_excluded=excluded),
        "fleiss_kappa": agreement.fleiss_kappa_counts(complete_counts, POINT_CATEGORIES, n_excluded=excluded),
        "krippendorff_alpha": agreement.krippendorff_alpha_counts(counts, POINT_CATEGORIES),
    }


def _item_row(item: int, label: str, complete, stats: dict, two: bool) -> dict:
    """One item's entry in ``Comparison.items``: its raw agreement and prevalence of "Y" over the trials
    every assessor answered (``complete``), each statistic's value (SE and CI where it has them), and why
    any statistic is missing."""
    import numpy as np

    n = len(complete)
    agree = int(np.count_nonzero((complete == complete[:, :1]).all(axis=1)))
    given_y = int(np.count_nonzero(complete == 0))
    row = {
        "item": item,
        "label": label,
        "n": n,
        "agreement": agree / n if n else None,
        "prevalence_y": given_y / complete.size if complete.size else None,
    }
    reasons = {}
    for key, stat in stats.items():
        row[key] = stat.value if stat is not None else None
        if stat is not None and stat.value is None:
            reasons[key] = stat.reason
        if key in ("cohen_kappa", "gwet_ac1"):
            row[f"{key}_se"] = stat.se if stat is not None else None
        if key == "cohen_kappa":
            row["cohen_kappa_ci95"] = list(stat.ci95) if stat is not None and stat.ci95 else None
    if not two:
        reasons.setdefault("cohen_kappa", "Cohen's kappa, PABAK and the prevalence and bias indices are "
                                          "for two assessors; see Fleiss' kappa, AC1 and alpha")
    else:
        reasons.setdefault("fleiss_kappa", "reported for more than two assessors; see Cohen's kappa")
    row["reasons"] = reasons
    return row


def band_codes(comparison: Comparison):
    """The bands as codes, trials x assessors: equal bands get equal codes, MISSING where none."""
    import pandas as pd

    codes, _ = pd.factorize(comparison.bands.ravel())
    return codes.reshape(comparison.bands.shape)


def total_statistics(comparison: Comparison) -> dict:
    import numpy as np

    totals = comparison.totals
    matrix = totals[~np.isnan(totals).any(axis=1)]
    icc = {}
    for form in agreement.ICC_FORMS:
        stat = agreement.icc(matrix, form)
        icc[form] = {"value": stat.value, "ci95": list(stat.ci95) if stat.ci95 else None,
                     **({"reason": stat.reason} if stat.reason else {})}
    bland_altman = None
    if len(comparison.names) == 2:
        summary = agreement.bland_altman(matrix[:, 0], matrix[:, 1])
        bland_altman = {"bias": summary.bias, "sd": summary.sd,
                        "loa95": [summary.lower, summary.upper] if summary.lower is not None else None,
                        **({"reason": summary.reason} if summary.reason else {})}
    bands = band_codes(comparison)
    band_changes = int(np.count_nonzero((bands != MISSING).all(axis=1) & (bands != bands[:, :1]).any(axis=1)))
    return {"n": len(matrix), "excluded_unknown_total": len(totals) - len(matrix), "icc": icc,
            "bland_altman": bland_altman, "band_changes": band_changes}


@bulk_allocation()  # the lists of small dicts: see engine.bulk_allocation
def list_disagreements(comparison: Comparison, evidence: bool = True) -> list[dict]:
    """Every (trial, item) on which the assessors' answers differ, in trial order, then item
    order: study, item, each assessor's answer and (with ``evidence``) evidence."""
    import numpy as np

    names, keys, answers = comparison.names, comparison.keys, comparison.answers
    trials, columns = np.nonzero((answers != answers[:, :1, :]).any(axis=1))
    order = np.lexsort((np.asarray(comparison.item_numbers)[columns], trials))
    trials, columns = trials[order], columns[order]
    given = comparison.answer_text(answers[trials, :, columns]).tolist()
    found = [{"study": comparison.labels[keys[t]], "item": comparison.item_numbers[c],
              "answers": dict(zip(names, answers_given))}
             for t, c, answers_given in zip(trials.tolist(), columns.tolist(), given)]
    if evidence:
        items = np.asarray(comparison.item_numbers)[columns]
        quoted = [_cells(assessor.result.sheet.wide("evidence"), comparison.study_index[trials, i], items).tolist()
                  for i, assessor in enumerate(comparison.assessors)]
        for entry, texts in zip(found, zip(*quoted)):
            entry["evidence"] = dict(zip(names, texts))
    return found


@bulk_allocation()  # the lists of small dicts: see engine.bulk_allocation
def trial_differences(comparison: Comparison) -> list[dict]:
    """Trials whose total or band differs between assessors."""
    import numpy as np

    totals = comparison.totals
    unknown = np.isnan(totals)
    total_differs = ((totals != totals[:, :1]) & ~(unknown & unknown[:, :1])).any(axis=1)
    bands = band_codes(comparison)
    differs = np.flatnonzero(total_differs | (bands != bands[:, :1]).any(axis=1))
    known_totals = np.where(unknown[differs], 0, totals[differs]).astype(np.int64)
    total_rows = np.where(unknown[differs], None, known_totals).tolist()  # Python ints, None when unknown
    names, keys, labels = comparison.names, comparison.keys, comparison.labels
    return [{"study": labels[keys[position]], "totals": dict(zip(names, trial_totals)),
             "bands": dict(zip(names, trial_bands))}
            for position, trial_totals, trial_bands in zip(differs.tolist(), total_rows,
                                                           comparison.bands[differs].tolist())]
