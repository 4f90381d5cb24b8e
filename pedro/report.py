"""Present a ScoreResult: the JSON report and the short human summary."""

from __future__ import annotations

from collections import Counter

from .sheets.tables import plain as _plain


def _finding_dict(row) -> dict:
    return {"rule": row["rule"], "name": row["name"], "severity": row["severity"],
            "item": _plain(row["item"]), "cell": row["cell"] or None, "message": row["message"]}


def result_to_json(result) -> dict:
    """The ``--json`` report (see the README for the format)."""
    sheet, scores, findings = result.sheet, result.scores, result.findings
    answers = sheet.wide("answer")
    trial_findings = findings[findings["study_index"].notna()]
    by_study: dict[int, list] = {}
    for _, row in trial_findings.iterrows():
        by_study.setdefault(int(row["study_index"]), []).append(_finding_dict(row))
    studies = []
    for i, study in sheet.studies.iterrows():
        studies.append({
            "study": study["study"],
            "row": int(study["row"]),
            "answers": {str(n): (_plain(answers.at[i, n]) if n in answers.columns else None)
                        for n in result.rubric.item_numbers},
            "total": _plain(scores.at[i, "total"]),
            "min_total": int(scores.at[i, "min_total"]),
            "max_total": int(scores.at[i, "max_total"]),
            "band": _plain(scores.at[i, "band"]),
            "findings": by_study.get(i, []),
        })
    sheet_level = [_finding_dict(row) for _, row in findings[findings["study_index"].isna()].iterrows()]
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
