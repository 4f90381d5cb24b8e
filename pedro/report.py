"""Present a ScoreResult: the JSON report and the short human summary."""

from __future__ import annotations

from collections import Counter

from .engine import bulk_allocation

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
