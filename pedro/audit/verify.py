"""Verify an audited workbook (`pedro audit`): are the totals and bands what the
item cells say, was anything edited after scoring, and how would the bands
move under other conventions?

Checks, each named in the report:
- the Provenance sheet's own digest (its rows were not changed);
- the change-log hash chain, and its length and head against the Provenance;
- the Scores sheet against the digest recorded when it was written;
- the answer cells against the digest recorded at scoring time, naming every
  cell whose text differs from what the Scores sheet recorded;
- every total, range and band recomputed from the item cells against Scores.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..engine import score_file
from ..errors import InputError
from ..normalise import answer_text
from ..sheets.cells import column_letter
from ..sheets.reader import open_book
from .chain import audit_key, canonical, verify_chain, verify_digest
from .workbook import CHANGE_LOG_SHEET, LOG_COLUMNS, PROVENANCE_SHEET, SCORES_SHEET, is_audited, pedro_sheet


def _rows(grid, width: int | None = None) -> list[list]:
    rows = [list(r) for r in grid.rows if any(v is not None for v in r)]
    if width is not None:
        rows = [(r + [None] * width)[:width] for r in rows]
    return rows


def verify_workbook(path: str | Path, band_names: list[str] | None = None) -> dict:
    key = audit_key()
    book = open_book(path)
    if not is_audited(book):
        raise InputError(f"{book.path.name} is not an audited workbook: it has no Provenance sheet written by "
                         "pedro score; run `pedro score` on the item sheet first")
    names = {key: pedro_sheet(book.sheet_names, key) for key in (SCORES_SHEET, CHANGE_LOG_SHEET, PROVENANCE_SHEET)}
    for needed in (SCORES_SHEET, CHANGE_LOG_SHEET):
        if names[needed] is None:
            raise InputError(f"{book.path.name} is not a complete audited workbook: its '{needed}' sheet is "
                             "missing; score the original item sheet again")
    discrepancies: list[str] = []

    # Provenance: its rows, sealed by the last one.
    provenance_rows = _rows(book.grid(names[PROVENANCE_SHEET]), 2)[1:]
    provenance = {canonical(k): canonical(v) for k, v in provenance_rows}
    sealed = [r for r in provenance_rows if canonical(r[0]) != "provenance_digest"]
    provenance_ok, why = verify_digest(sealed, provenance.get("provenance_digest", ""), key)
    if not provenance_ok:
        discrepancies.append(f"Provenance sheet: {why or 'its rows were changed after scoring (digest differs)'}")

    # Change log chain.
    log = _rows(book.grid(names[CHANGE_LOG_SHEET]), len(LOG_COLUMNS))[1:]
    chain = verify_chain([r[:-1] for r in log], [r[-1] for r in log], key)
    recorded_rows = provenance.get("change_log_rows")
    if chain["ok"] and recorded_rows not in (None, "") and str(len(log)) != recorded_rows:
        chain = dict(chain, ok=False, first_bad_row=min(len(log), int(recorded_rows)) + 1,
                     reason=f"the log has {len(log)} row(s) but {recorded_rows} were recorded: rows were "
                            f"{'deleted' if len(log) < int(recorded_rows) else 'added'} at the end")
    elif chain["ok"] and log and provenance.get("change_log_head") not in (None, "", canonical(log[-1][-1])):
        chain = dict(chain, ok=False, first_bad_row=len(log), reason="the last row's hash is not the head the "
                                                                    "Provenance recorded")
    if not chain["ok"]:
        discrepancies.append(f"Change log: {chain['reason']}")

    # Scores sheet as written.
    scores_grid = _rows(book.grid(names[SCORES_SHEET]))
    header = [canonical(h) for h in scores_grid[0]] if scores_grid else []
    scores_rows = [(r + [None] * len(header))[:len(header)] for r in scores_grid]
    scores_ok, why = verify_digest(scores_rows, provenance.get("scores_digest", ""), key)
    if not scores_ok:
        discrepancies.append("Scores sheet: " + (why or "edited after scoring (its digest differs from the one "
                                                      "recorded)"))

    # The item cells now, scored again under the recorded band set.
    recorded_bands = provenance.get("bands") or None
    result = score_file(book.path, bands=recorded_bands)
    answers = result.sheet.answers
    cells_now = [[row, item, answer_text(raw)] for row, item, raw in zip(answers["row"], answers["item"],
                                                                          answers["raw"])]
    answers_ok, why = verify_digest(cells_now, provenance.get("answers_digest", ""), key)
    if not answers_ok and why:
        discrepancies.append(f"item answers: {why}")

    column = {name: i for i, name in enumerate(header)}
    if "Row" not in column or "Study" not in column:
        raise InputError(f"{book.path.name}: the Scores sheet has lost its 'Study' or 'Row' column; score the "
                         "original item sheet again")
    by_row, scores_line = {}, {}
    for line, r in enumerate(scores_rows[1:], start=2):
        try:
            by_row[int(r[column["Row"]])] = r
            scores_line[int(r[column["Row"]])] = line
        except (TypeError, ValueError):
            discrepancies.append(f"{SCORES_SHEET}!{column_letter(column['Row'])}{line}: the row number "
                                 f"'{canonical(r[column['Row']])}' was edited")
    rubric = result.rubric
    edited, mismatches = [], []
    seen_rows = set()
    studies_of = answers["study_index"].map(result.sheet.studies["study"])
    for (row, item, now), study, cell in zip(cells_now, studies_of, answers["cell"]):
        recorded_row = by_row.get(int(row))
        seen_rows.add(int(row))
        heading = rubric.item(item).heading
        recorded = None if recorded_row is None or heading not in column else recorded_row[column[heading]]
        if canonical(recorded) != canonical(now) or recorded_row is None:
            edited.append({"study": study, "item": int(item), "cell": cell,
                           "recorded": None if recorded_row is None else (canonical(recorded) or None),
                           "found": canonical(now) or None})
    for row, recorded_row in by_row.items():
        if row not in seen_rows:
            edited.append({"study": canonical(recorded_row[column["Study"]]), "item": None, "cell": f"row {row}",
                           "recorded": "a scored trial", "found": "no trial"})
    if not answers_ok and not edited:
        discrepancies.append("item answers: their digest differs from the one recorded at scoring time")
    for entry in edited:
        discrepancies.append(f"{entry['study']}: {result.sheet.sheet}!{entry['cell']} edited after scoring: "
                             f"recorded {entry['recorded']!r}, found {entry['found']!r}")

    band_header = f"Band ({result.bands.name})"
    studies = result.sheet.studies
    scores = result.scores.loc[studies.index]
    for label, study_row, low, high, band in zip(studies["study"].tolist(), studies["row"].tolist(),
                                                  scores["min_total"].tolist(), scores["max_total"].tolist(),
                                                  scores["band"].tolist()):
        recorded_row = by_row.get(int(study_row))
        if recorded_row is None:
            continue
        scores_row = scores_line[int(study_row)]
        low, high = int(low), int(high)
        expected = {"Total": low if low == high else None, "Min": low, "Max": high, band_header: band}
        for field, value in expected.items():
            if field not in column:
                continue
            found = recorded_row[column[field]]
            if canonical(found) != canonical(value):
                cell = f"{column_letter(column[field])}{scores_row}"
                mismatches.append({"study": label, "field": field, "cell": f"{SCORES_SHEET}!{cell}",
                                   "expected": canonical(value) or None, "found": canonical(found) or None})
                discrepancies.append(f"{label}: {SCORES_SHEET}!{cell} ({field}) expected "
                                     f"{canonical(value) or 'blank'}, found {canonical(found) or 'blank'}")

    bands_report, band_changes, boundary = band_sensitivity(result, band_names)
    open_findings = Counter(result.findings["severity"])
    return {
        "ok": not discrepancies,
        "file": str(book.path),
        "key_used": key is not None,
        "provenance": {"ok": provenance_ok},
        "chain": {"ok": chain["ok"], "rows": chain["rows"], "first_bad_row": chain["first_bad_row"]},
        "scores_sheet": {"ok": scores_ok},
        "answers": {"ok": answers_ok and not edited},
        "edited_after_scoring": edited,
        "score_mismatches": mismatches,
        "open_findings": {s: int(open_findings.get(s, 0)) for s in ("error", "warning", "advisory")},
        "bands": bands_report,
        "band_changes": band_changes,
        "on_boundary": boundary,
        "discrepancies": discrepancies,
    }



def band_sensitivity(result, band_names: list[str] | None = None):
    """Counts per band under each band set, how trials move from the recorded
    band set to each other one, and the trials on a band boundary."""
    rubric, scores = result.rubric, result.scores
    names = band_names or list(rubric.band_sets)
    band_sets = [rubric.band_set(n) for n in names]
    labels = {b.name: [b.band_of_range(int(lo), int(hi)) for lo, hi in zip(scores["min_total"], scores["max_total"])]
              for b in band_sets}
    report = {}
    for b in band_sets:
        counts = Counter(labels[b.name])
        report[b.name] = {label: counts.get(label, 0) for label in b.labels}
        if counts.get(None):
            report[b.name]["(no band)"] = counts[None]
    reference = result.bands
    reference_labels = [reference.band_of_range(int(lo), int(hi))
                        for lo, hi in zip(scores["min_total"], scores["max_total"])]
    changes = []
    for b in band_sets:
        if b.name == reference.name:
            continue
        moves = Counter((a, c) for a, c in zip(reference_labels, labels[b.name]) if a is not None and c is not None)
        changes.append({"from": reference.name, "to": b.name,
                        "changed": sum(n for (a, c), n in moves.items() if a.lower() != c.lower()),
                        "moves": [{"from_band": a, "to_band": c, "trials": n} for (a, c), n in sorted(moves.items())]})
    boundary = []
    studies = result.sheet.studies
    for label, total in zip(studies["study"].tolist(), scores["total"].loc[studies.index].tolist()):
        try:
            total = int(total)
        except (TypeError, ValueError):
            continue
        sets = [b.name for b in band_sets if b.on_boundary(total)]
        if sets:
            boundary.append({"study": label, "total": total, "band_sets": sets})
    return report, changes, boundary
