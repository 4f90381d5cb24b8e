"""Everything pedro prints: the JSON report and the terminal text of every
command (`score`, `compare`, `consensus`, `audit`).  The library computes;
this module only presents what it returns."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .audit.chain import KEY_ENV
from .runtime import bulk_allocation

FINDING_FIELDS = ("rule", "name", "severity", "item", "cell", "message")


def _plain_values(column) -> list:
    """A column's values for JSON: None where missing (None, NaN, NA), numpy
    scalars as Python ones; column-wise, not value by value."""
    import numpy as np
    import pandas as pd

    values = column.to_numpy(dtype=object)  # a number column gives Python's numbers, pd.NA where missing
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = None
    values = values.tolist()
    if column.dtype == object and any(issubclass(kind, np.generic) for kind in set(map(type, values))):
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
    return values


def _finding_dicts(findings) -> list[tuple[object, dict]]:
    """(study_index, finding dict) for each finding, in order."""
    study_indexes, items = _plain_values(findings["study_index"]), _plain_values(findings["item"])
    rules, names, severities, cells, messages = (findings[c].tolist() for c in ("rule", "name", "severity", "cell",
                                                                                  "message"))
    return [(study_index, {"rule": rule, "name": name, "severity": severity, "item": item, "cell": cell or None,
                           "message": message})
            for study_index, rule, name, severity, item, cell, message
            in zip(study_indexes, rules, names, severities, items, cells, messages)]


def result_to_json(result) -> dict:
    """The ``--json`` report (see the README for the format)."""
    with bulk_allocation():  # a dict per trial, per answer set and per finding
        return _result_to_json(result)


def _result_to_json(result) -> dict:
    sheet, scores = result.sheet, result.scores
    numbers = list(result.rubric.item_numbers)
    keys = [str(n) for n in numbers]
    answers = [dict(zip(keys, given)) for given in _answer_rows(sheet.wide("answer"), numbers)]
    by_study: dict[int, list] = {}
    sheet_level = []
    for study_index, finding in _finding_dicts(result.findings):
        if study_index is None:
            sheet_level.append(finding)
        else:
            by_study.setdefault(int(study_index), []).append(finding)
    studies = [
        {"study": label, "row": row, "answers": given, "total": total, "min_total": low, "max_total": high,
         "band": band, "findings": by_study.get(i, [])}
        for i, label, row, given, total, low, high, band in zip(
            sheet.studies.index, sheet.studies["study"].tolist(), sheet.studies["row"].tolist(), answers,
            _plain_values(scores["total"]), scores["min_total"].tolist(), scores["max_total"].tolist(),
            _plain_values(scores["band"]))]
    return {
        "input": str(result.input),
        "sheet": sheet.sheet,
        "rubric": result.rubric.name,
        "bands": result.bands.name,
        "studies": studies,
        "findings": sheet_level,
        "summary": summary_dict(result),
    }


def _answer_rows(wide, numbers: list[int]) -> list[list]:
    """Per study, its answers (None or the canonical text) to the rubric's items
    in order, None for an item the sheet has no column for; taken from the
    wide table as a whole, not value by value."""
    import numpy as np

    table = wide.to_numpy(dtype=object)
    columns = list(wide.columns)
    if columns != numbers:
        blank = np.full(len(table), None, dtype=object)
        table = np.column_stack([table[:, columns.index(n)] if n in columns else blank for n in numbers])
    return table.tolist()


def summary_dict(result) -> dict:
    scores = result.scores
    band_counts = Counter(b for b in scores["band"].tolist() if b is not None)
    counts = result.counts
    return {
        "studies": len(result.sheet.studies),
        "scored": int(scores["total"].notna().sum()),
        "bands": {label: band_counts.get(label, 0) for label in result.bands.labels},
        "unbanded": int(scores["band"].isna().sum()),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "advisories": counts["advisory"],
        "changes": len(result.changes),
        "exit_status": result.exit_status,
    }


def summary_text(result, output=None, max_lines: int = 12) -> str:
    """A few lines for the terminal: what was read, the bands, the findings, where the output went."""
    summary = summary_dict(result)
    lines = [f"{result.input.name}: {summary['studies']} trial(s) read from {result.sheet_choice}, "
             f"header row {result.sheet.layout.header_row}"]
    bands = ", ".join(f"{label} {count}" for label, count in summary["bands"].items())
    unbanded = f"; {summary['unbanded']} without a band (answers missing)" if summary["unbanded"] else ""
    lines.append(f"bands ({result.bands.name}): {bands}{unbanded}")
    lines.append(f"findings: {summary['errors']} error(s), {summary['warnings']} warning(s), "
                 f"{summary['advisories']} advisory; {summary['changes']} answer(s) normalised")
    findings = result.findings
    serious = findings[findings["severity"] != "advisory"]
    for _, row in serious.head(max_lines).iterrows():
        where = f"{row['study']}: " if row["study"] else ""
        lines.append(f"  {row['severity']} {row['rule']} {where}{row['message']}")
    if len(serious) > max_lines:
        lines.append(f"  ... and {len(serious) - max_lines} more (see the Findings sheet or --json)")
    advisories = Counter(findings.loc[findings["severity"] == "advisory", "name"])
    if advisories:
        lines.append("  advisory: " + ", ".join(f"{name} x{n}" for name, n in sorted(advisories.items())))
    if output is not None:
        lines.append(f"wrote {output}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- pedro compare

def comparison_to_json(comparison) -> dict:
    """`pedro compare --json` (see the README for the format)."""
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
        "trial_differences": comparison.trial_differences(),
        "disagreements": comparison.disagreements_without_evidence(),
    }


def comparison_text(comparison, output=None) -> str:
    """`pedro compare` on the terminal: the trials compared, the agreement per item, the totals."""
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


# --------------------------------------------------------------------------- pedro consensus

def consensus_text(merged, written) -> str:
    """`pedro consensus` on the terminal: what was merged, where it went, what to run next."""
    unresolved = f"; {len(merged.unresolved)} left missing (--allow-unresolved)" if merged.unresolved else ""
    return (f"{len(merged.studies)} trial(s), {len(merged.resolutions)} resolution(s) merged{unresolved}; "
            f"wrote {written}\nnext: pedro score {written}")


# --------------------------------------------------------------------------- pedro audit

def audit_text(report: dict) -> str:
    """`pedro audit` on the terminal: the verdict, each discrepancy, the chain, findings and bands."""
    lines = [f"{Path(report['file']).name}: " + ("verified" if report["ok"] else
                                                 f"{len(report['discrepancies'])} discrepancy(ies)")]
    lines += [f"  {d}" for d in report["discrepancies"]]
    chain = report["chain"]
    lines.append(f"change log: {chain['rows']} row(s), chain {'intact' if chain['ok'] else 'BROKEN'}"
                 + ("" if report["key_used"] else f" (SHA-256 without a key: detects accidents and casual edits; "
                                                  f"set {KEY_ENV} for HMAC)"))
    open_findings = report["open_findings"]
    lines.append(f"open findings: {open_findings['error']} error(s), {open_findings['warning']} warning(s), "
                 f"{open_findings['advisory']} advisory")
    for name, counts in report["bands"].items():
        lines.append(f"bands {name}: " + ", ".join(f"{label} {n}" for label, n in counts.items()))
    for change in report["band_changes"]:
        moves = "; ".join(f"{m['from_band']} -> {m['to_band']} {m['trials']}" for m in change["moves"]
                          if m["from_band"].lower() != m["to_band"].lower())
        lines.append(f"{change['from']} -> {change['to']}: {change['changed']} trial(s) change band"
                     + (f" ({moves})" if moves else ""))
    if report["on_boundary"]:
        shown = ", ".join(f"{b['study']} ({b['total']})" for b in report["on_boundary"][:10])
        more = f" and {len(report['on_boundary']) - 10} more" if len(report["on_boundary"]) > 10 else ""
        lines.append(f"on a band boundary (one point would change the band): {shown}{more}")
    return "\n".join(lines)
