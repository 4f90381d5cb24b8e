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
from pathlib import Path

from .engine import ScoreResult, score_file
from .errors import InputError
from .text import fold_text

POINT_CATEGORIES = ("Y", "not Y")


def match_key(label) -> str | None:
    """Trial labels match ignoring case, spacing and punctuation ("Smith, 2001" = "smith 2001")."""
    if label is None:
        return None
    key = re.sub(r"[\W_]+", "", fold_text(label))
    return key or None


@dataclass
class Assessor:
    name: str
    result: ScoreResult

    @property
    def path(self) -> Path:
        return self.result.input


@dataclass
class Comparison:
    assessors: list[Assessor]
    keys: list[str]  # matched trial keys, in the first assessor's order
    labels: dict[str, str]  # key -> label as the first assessor wrote it
    answers: object  # DataFrame: index key, columns MultiIndex (assessor, item) -> Y/N/?/None
    evidence: object  # DataFrame like answers, evidence text
    totals: object  # DataFrame: index key, columns assessor -> total (Int64, NA when unknown)
    bands: object  # DataFrame: index key, columns assessor -> band or None
    unmatched: dict[str, list[str]]
    items: list[dict] = field(default_factory=list)
    total_stats: dict = field(default_factory=dict)
    disagreements: list[dict] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.assessors]


def assessor_names(results: list[ScoreResult], names: list[str] | None) -> list[str]:
    """--names, else the Provenance's user of an audited workbook, else the file stem; always unique."""
    if names:
        if len(names) != len(results):
            raise InputError(f"--names gives {len(names)} name(s) for {len(results)} file(s); give one per file")
        if len(set(names)) != len(names):
            raise InputError(f"--names must be different from each other; got {', '.join(names)}")
        return list(names)
    chosen = [r.previous_provenance.get("assessor") or r.previous_provenance.get("user") or r.input.stem
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
    from .rubric import Rubric, load_rubric

    rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    results = [score_file(p, sheet=sheet, bands=bands, rubric=rubric) for p in paths]
    return compare_results(results, assessor_names(results, names))


def compare_results(results: list[ScoreResult], names: list[str]) -> Comparison:
    import pandas as pd

    assessors = [Assessor(n, r) for n, r in zip(names, results)]
    per_assessor = []
    for assessor in assessors:
        studies = assessor.result.sheet.studies
        keys = studies["study"].map(match_key)
        first = ~keys.duplicated() & keys.notna()
        per_assessor.append((keys[first], studies.index[first]))
    key_sets = [set(keys) for keys, _ in per_assessor]
    common = set.intersection(*key_sets)
    first_keys = [k for k in per_assessor[0][0] if k in common]
    if not first_keys:
        raise InputError(
            "the assessors' sheets have no trials in common (labels are matched ignoring case, spacing and "
            "punctuation): " + "; ".join(f"{a.name} ({a.path.name}): "
                                         f"{', '.join(map(str, a.result.sheet.studies['study'].head(5)))}"
                                         for a in assessors))
    unmatched = {}
    for assessor, (keys, index) in zip(assessors, per_assessor):
        labels = assessor.result.sheet.studies["study"]
        missing = [labels.at[i] for k, i in zip(keys, index) if k not in common]
        unlabelled = labels[labels.isna()]
        unmatched[assessor.name] = missing + [f"(row {assessor.result.sheet.studies.at[i, 'row']}, no label)"
                                              for i in unlabelled.index]
    answer_frames, evidence_frames, totals, band_cols = {}, {}, {}, {}
    for assessor, (keys, index) in zip(assessors, per_assessor):
        position = pd.Series(index, index=keys.to_numpy()).reindex(first_keys)
        wide = assessor.result.sheet.wide("answer").reindex(position.to_numpy())
        wide.index = first_keys
        evidence = assessor.result.sheet.wide("evidence").reindex(position.to_numpy())
        evidence.index = first_keys
        for item in assessor.result.rubric.item_numbers:
            answer_frames[(assessor.name, item)] = wide[item] if item in wide.columns else None
            evidence_frames[(assessor.name, item)] = evidence[item] if item in evidence.columns else None
        scores = assessor.result.scores.reindex(position.to_numpy())
        totals[assessor.name] = scores["total"].to_numpy()
        band_cols[assessor.name] = scores["band"].to_numpy()
    answers = pd.DataFrame({k: (v.astype(object).where(v.notna(), None) if v is not None else [None] * len(first_keys))
                            for k, v in answer_frames.items()}, index=first_keys, dtype=object)
    evidence = pd.DataFrame({k: (v.astype(object).where(v.notna(), None) if v is not None
                                 else [None] * len(first_keys)) for k, v in evidence_frames.items()},
                            index=first_keys, dtype=object)
    labels = dict(zip(per_assessor[0][0], assessors[0].result.sheet.studies.loc[per_assessor[0][1], "study"]))
    comparison = Comparison(
        assessors=assessors, keys=first_keys, labels={k: labels[k] for k in first_keys}, answers=answers,
        evidence=evidence, totals=pd.DataFrame(totals, index=first_keys).astype("Int64"),
        bands=pd.DataFrame(band_cols, index=first_keys, dtype=object), unmatched=unmatched)
    comparison.items = item_statistics(comparison)
    comparison.total_stats = total_statistics(comparison)
    comparison.disagreements = list_disagreements(comparison)
    return comparison


def _points(values) -> list:
    """Y -> "Y", N or ? -> "not Y", missing -> None: the point each answer earns."""
    return [None if v is None else ("Y" if v == "Y" else "not Y") for v in values]


def item_statistics(comparison: Comparison) -> list[dict]:
    from . import agreement

    names = comparison.names
    rubric = comparison.assessors[0].result.rubric
    two = len(names) == 2
    rows = []
    for item in rubric.item_numbers:
        ratings = [_points(comparison.answers[(name, item)]) for name in names]
        by_trial = list(zip(*ratings))
        complete = [r for r in by_trial if all(v is not None for v in r)]
        n = len(complete)
        agree = sum(1 for r in complete if len(set(r)) == 1)
        answers_given = [v for r in complete for v in r]
        stats = {
            "cohen_kappa": agreement.cohen_kappa(*ratings, categories=POINT_CATEGORIES) if two else None,
            "pabak": agreement.pabak(*ratings, categories=POINT_CATEGORIES) if two else None,
            "prevalence_index": agreement.prevalence_index(*ratings, categories=POINT_CATEGORIES, positive="Y")
            if two else None,
            "bias_index": agreement.bias_index(*ratings, categories=POINT_CATEGORIES, positive="Y") if two else None,
            "gwet_ac1": agreement.gwet_ac1(*ratings, categories=POINT_CATEGORIES) if two
            else agreement.gwet_ac1_multirater(by_trial, categories=POINT_CATEGORIES),
            "fleiss_kappa": agreement.fleiss_kappa(by_trial, categories=POINT_CATEGORIES) if not two else None,
            "krippendorff_alpha": agreement.krippendorff_alpha(by_trial, categories=POINT_CATEGORIES)
            if not two else None,
        }
        row = {
            "item": item,
            "label": rubric.item(item).label,
            "n": n,
            "agreement": agree / n if n else None,
            "prevalence_y": answers_given.count("Y") / len(answers_given) if answers_given else None,
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
        rows.append(row)
    return rows


def total_statistics(comparison: Comparison) -> dict:
    import numpy as np

    from . import agreement

    totals = comparison.totals
    complete = totals.dropna()
    matrix = complete.to_numpy(dtype=float) if len(complete) else np.empty((0, len(comparison.names)))
    icc = {}
    for form in agreement.ICC_FORMS:
        stat = agreement.icc(matrix, form)
        icc[form] = {"value": stat.value, "ci95": list(stat.ci95) if stat.ci95 else None,
                     **({"reason": stat.reason} if stat.reason else {})}
    bland_altman = None
    if len(comparison.names) == 2:
        summary = agreement.bland_altman(matrix[:, 0], matrix[:, 1]) if len(matrix) else \
            agreement.bland_altman([], [])
        bland_altman = {"bias": summary.bias, "sd": summary.sd,
                        "loa95": [summary.lower, summary.upper] if summary.lower is not None else None,
                        **({"reason": summary.reason} if summary.reason else {})}
    bands = comparison.bands
    banded = bands[bands.notna().all(axis=1)]
    band_changes = int((banded.nunique(axis=1) > 1).sum())
    return {"n": len(complete), "excluded_unknown_total": int(len(totals) - len(complete)), "icc": icc,
            "bland_altman": bland_altman, "band_changes": band_changes}


def answer_matrix(comparison: Comparison, item: int):
    """The assessors' answers to one item: trials x assessors, "" where missing."""
    columns = [(name, item) for name in comparison.names]
    return comparison.answers.loc[:, columns].astype(object).where(comparison.answers.loc[:, columns].notna(),
                                                                     "").to_numpy(dtype=object)


def list_disagreements(comparison: Comparison) -> list[dict]:
    """Every (trial, item) on which the assessors' answers differ, in trial order."""
    names = comparison.names
    rubric = comparison.assessors[0].result.rubric
    found = []
    for item in rubric.item_numbers:
        answers = answer_matrix(comparison, item)
        differs = (answers != answers[:, [0]]).any(axis=1)
        for position in differs.nonzero()[0]:
            key = comparison.keys[position]
            found.append({
                "key": key, "study": comparison.labels[key], "item": item, "position": int(position),
                "answers": {name: (answers[position, j] or None) for j, name in enumerate(names)},
                "evidence": {name: comparison.evidence.iat[position, comparison.evidence.columns.get_loc((name, item))]
                             for name in names}})
    found.sort(key=lambda d: (d["position"], d["item"]))
    for entry in found:
        del entry["position"]
    return found


def trial_differences(comparison: Comparison) -> list[dict]:
    """Trials whose total or band differs between assessors."""
    totals = comparison.totals.astype(object).where(comparison.totals.notna(), None)
    bands = comparison.bands
    total_values = [tuple(None if v is None else int(v) for v in row) for row in totals.itertuples(index=False)]
    band_values = [tuple(row) for row in bands.itertuples(index=False)]
    rows = []
    for key, trial_totals, trial_bands in zip(comparison.keys, total_values, band_values):
        if len(set(trial_totals)) > 1 or len(set(trial_bands)) > 1:
            rows.append({"study": comparison.labels[key], "totals": dict(zip(comparison.names, trial_totals)),
                         "bands": dict(zip(comparison.names, trial_bands))})
    return rows


def comparison_to_json(comparison: Comparison) -> dict:
    items = []
    for row in comparison.items:
        items.append({k: row[k] for k in (
            "item", "n", "agreement", "prevalence_y", "cohen_kappa", "cohen_kappa_se", "cohen_kappa_ci95", "pabak",
            "prevalence_index", "bias_index", "gwet_ac1", "gwet_ac1_se", "fleiss_kappa", "krippendorff_alpha",
            "reasons")})
    return {
        "assessors": comparison.names,
        "files": {a.name: str(a.path) for a in comparison.assessors},
        "studies": {"compared": len(comparison.keys), "unmatched": comparison.unmatched},
        "items": items,
        "total": comparison.total_stats,
        "trial_differences": trial_differences(comparison),
        "disagreements": [{"study": d["study"], "item": d["item"], "answers": d["answers"]}
                          for d in comparison.disagreements],
    }


def summary_text(comparison: Comparison, output=None) -> str:
    lines = [f"{len(comparison.names)} assessors ({', '.join(comparison.names)}), "
             f"{len(comparison.keys)} trial(s) compared"]
    for name, labels in comparison.unmatched.items():
        if labels:
            shown = ", ".join(map(str, labels[:5])) + (" ..." if len(labels) > 5 else "")
            lines.append(f"  not rated by every assessor ({name}): {shown}")
    lines.append(f"{len(comparison.disagreements)} disagreement(s) on items; "
                 f"{comparison.total_stats['band_changes']} trial(s) with a different band")
    lines.append("item  n   agree  prev.Y  kappa   PABAK   AC1")
    for row in comparison.items:
        lines.append(f"{row['item']:>4}  {row['n']:<3} {_num(row['agreement'])}  {_num(row['prevalence_y'])}  "
                     f"{_num(row['cohen_kappa'] if row['cohen_kappa'] is not None else row['fleiss_kappa'])}  "
                     f"{_num(row['pabak'])}  {_num(row['gwet_ac1'])}")
    icc = comparison.total_stats["icc"]
    lines.append("totals: " + ", ".join(f"{form} {_num(v['value'])}" for form, v in icc.items()))
    if output is not None:
        lines.append(f"wrote {output}; fill its Consensus column, then run: pedro consensus {output}")
    return "\n".join(lines)


def _num(value) -> str:
    return "  -  " if value is None else f"{value:5.2f}"
