"""Present a ScoreResult: the JSON report and the short human summary."""

from __future__ import annotations

from collections import Counter

from .sheets.tables import plain as _plain

FINDING_FIELDS = ("rule", "name", "severity", "item", "cell", "message")


def _finding_dicts(findings) -> list[tuple[object, dict]]:
    """(study_index, finding dict) for each finding, in order."""
    columns = [findings[c].tolist() for c in ("study_index", *FINDING_FIELDS)]
    result = []
    for study_index, rule, name, severity, item, cell, message in zip(*columns):
        result.append((_plain(study_index), {"rule": rule, "name": name, "severity": severity, "item": _plain(item),
                                             "cell": cell or None, "message": message}))
    return result


def result_to_json(result) -> dict:
    """The ``--json`` report (see the README for the format)."""
    sheet, scores = result.sheet, result.scores
    numbers = list(result.rubric.item_numbers)
    answers = sheet.wide("answer").reindex(columns=numbers)
    by_study: dict[int, list] = {}
    sheet_level = []
    for study_index, finding in _finding_dicts(result.findings):
        if study_index is None:
            sheet_level.append(finding)
        else:
            by_study.setdefault(int(study_index), []).append(finding)
    keys = [str(n) for n in numbers]
    studies = []
    for i, label, row, given, total, low, high, band in zip(
            sheet.studies.index, sheet.studies["study"].tolist(), sheet.studies["row"].tolist(),
            answers.itertuples(index=False), scores["total"].tolist(), scores["min_total"].tolist(),
            scores["max_total"].tolist(), scores["band"].tolist()):
        studies.append({
            "study": label, "row": int(row), "answers": {k: _plain(a) for k, a in zip(keys, given)},
            "total": _plain(total), "min_total": int(low), "max_total": int(high), "band": _plain(band),
            "findings": by_study.get(i, []),
        })
    return {
        "input": str(result.input),
        "sheet": sheet.sheet,
        "rubric": result.rubric.name,
        "bands": result.bands.name,
        "studies": studies,
        "findings": sheet_level,
        "summary": summary_dict(result),
    }


def summary_dict(result) -> dict:
    scores = result.scores
    band_counts = Counter(b for b in scores["band"] if b is not None)
    return {
        "studies": len(result.sheet.studies),
        "scored": int(scores["total"].notna().sum()),
        "bands": {label: band_counts.get(label, 0) for label in result.bands.labels},
        "unbanded": int(scores["band"].isna().sum()),
        "errors": result.counts["error"],
        "warnings": result.counts["warning"],
        "advisories": result.counts["advisory"],
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
