"""Everything pedro prints: the JSON report and the terminal text of every
command (`score`, `compare`, `consensus`, `audit`).  The library computes;
this module only presents what it returns."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .audit.chain import KEY_ENV
from .jsonout import Chunks
from .normalise import answer_text, reported_subtotals
from .rules.base import SEVERITIES
from .runtime import bulk_allocation
from .scoring import reported_totals, subtotal_scores
from .table import missing

FINDING_FIELDS = ("rule", "name", "severity", "item", "cell", "value", "message")


# The types of the values a column may hold that JSON writes as they are, with nothing to make None.
_PLAIN_TYPES = frozenset((str, int, bool, type(None)))


def _plain_values(column) -> list:
    """A table's column (a numpy array or a list; a pandas Series too) as JSON has its values: None where
    missing (None, NaN, NA), numpy scalars as Python ones; column-wise, not value by value."""
    import numpy as np

    if hasattr(column, "to_numpy"):  # a pandas Series
        column = column.to_numpy(dtype=object, na_value=None) if column.dtype.kind in "biuf" else \
            column.to_numpy(dtype=object)
    if isinstance(column, np.ndarray) and column.dtype.kind in "biu":
        return column.tolist()  # Python's numbers
    values = column.tolist() if isinstance(column, np.ndarray) else list(column)
    # Text, whole numbers and None as they are, seen from the set of their types: quicker than testing every
    # value of the findings' columns, the totals and the bands (~15 ms at 60,000 trials, issue 18).
    if set(map(type, values)) <= _PLAIN_TYPES:
        return values
    gone = missing(np.array(values, dtype=object) if values else np.empty(0, dtype=object)).tolist()
    return [None if lost else v.item() if isinstance(v, np.generic) else v for v, lost in zip(values, gone)]


def _finding_columns(findings) -> dict[str, list]:
    """The findings table's columns as JSON writes them, each a list in the table's order."""
    columns = {"item": _plain_values(findings["item"]),
               # the cell's text as typed ("Yy"), so no null hides what was there
               "value": _plain_values(findings["value"])}
    columns.update((c, list(findings[c])) for c in ("rule", "name", "severity", "cell", "message"))
    return columns


def _findings_by_trial(findings, n_trials: int) -> tuple[dict[str, list], list[int], dict[str, list]]:
    """The columns (``_finding_columns``) of the findings (a ``Table``) of trials, in trial order (each
    trial's in the table's order), where each trial's findings end in them (a trial's position, its
    study_index, gives its end), and the columns of the findings of no trial (the sheet's), in the table's
    order.  Sorted once, each trial's findings are a slice: no list of positions per trial (the report at
    60,000 findings-heavy trials 485 -> 405 ms CPU, median of 21, issue 18)."""
    import numpy as np

    study_index = np.array(findings["study_index"], dtype=object)
    of_a_trial = ~missing(study_index)
    positions = np.flatnonzero(of_a_trial)
    trial = study_index[positions].astype(np.int64)
    # a finding naming a trial the sheet does not have (none does) is left out, as it always was
    inside = (trial >= 0) & (trial < n_trials)
    positions, trial = positions[inside], trial[inside]
    order = np.argsort(trial, kind="stable")
    ends = np.cumsum(np.bincount(trial, minlength=n_trials)).tolist()
    in_order = len(positions) == len(findings) and bool((np.diff(trial) >= 0).all())  # the rules' order, usually
    return (_finding_columns(findings if in_order else findings.take(positions[order])), ends,
            _finding_columns(findings.take(np.flatnonzero(~of_a_trial))))


def _finding_dicts(columns: dict[str, list], start: int = 0, stop: int | None = None) -> list[dict]:
    """The dicts of the findings from ``start`` to ``stop`` of the columns (``_finding_columns``), in order."""
    picked = [columns[name][start:stop] for name in FINDING_FIELDS]
    return [{"rule": rule, "name": name, "severity": severity, "item": item, "cell": cell or None, "value": value,
             "message": message} for rule, name, severity, item, cell, value, message in zip(*picked)]


# The trials' dicts are made this many at a time while the report is written (jsonout.Chunks): at 60,000
# trials, all of them and their text at once were a third of the dry run's peak memory (issue 18).  500, not
# 2,000: a chunk's dicts and text are then still in the processor's cache as orjson reads them and as they are
# freed (the report at 60,000 findings-heavy trials 420 -> 364 ms CPU, median of 31 on a busy machine; the
# same on a quiet one).
STUDIES_PER_CHUNK = 500


def result_to_json(result, streamed: bool = False) -> dict:
    """The ``--json`` report (see the README for the format).  With ``streamed``, its "studies" are a
    ``jsonout.Chunks``, made a few thousand at a time as ``jsonout.echo`` writes them; else a list."""
    with bulk_allocation():  # a dict per trial, per answer set and per finding
        return _result_to_json(result, streamed)


def _result_to_json(result, streamed: bool) -> dict:
    sheet = result.sheet
    in_trials, ends, sheet_level = _findings_by_trial(result.finding_table, len(sheet.study_table))
    chunks = Chunks(lambda: _study_chunks(result, in_trials, ends))
    report = {
        "input": str(result.input),
        "sheet": sheet.sheet,
        "layout": _layout_dict(sheet.layout),
        "rubric": result.rubric.name,
        "bands": result.bands.name,
        "studies": chunks if streamed else list(chunks),
        "findings": _finding_dicts(sheet_level),
        "summary": summary_dict(result),
    }
    if _beyond_pedro_shape(result):
        _add_points(report, result)  # what its totals are out of
    return report


def _beyond_pedro_shape(result) -> bool:
    """Whether the rubric has points, subtotals or no band set: the JSON report then says more (``_add_points``)."""
    return not result.rubric.yes_no or bool(result.rubric.subtotals) or not result.bands.bands


def _study_chunks(result, findings: dict[str, list], ends: list[int]):
    """The trials' dicts, STUDIES_PER_CHUNK at a time, in the sheet's order; ``findings`` holds the trials'
    findings in trial order, each trial's ending at its entry of ``ends`` (``_findings_by_trial``)."""
    sheet, scores = result.sheet, result.score_table
    numbers = list(result.rubric.item_numbers)
    answers_of = _dict_of([str(n) for n in numbers])
    unreadable = _unreadable_answers(sheet)
    reported, differences = _reported_totals(result)
    columns = (list(range(len(sheet.study_table))), sheet.study_table["study"].tolist(),
               sheet.study_table["row"].tolist(), _answer_rows(sheet, numbers), _plain_values(scores["total"]),
               scores["min_total"].tolist(), scores["max_total"].tolist(), _plain_values(scores["band"]),
               reported, differences, [0, *ends[:-1]], ends)
    subtotals = _subtotal_columns(result)
    # The collector paused for the whole report, not chunk by chunk: resumed between chunks, it went through
    # each chunk's young dicts again and again (35 ms at 60,000 trials, issue 18).  Nothing here makes a cycle:
    # each chunk is freed by reference counting once it is written.
    with bulk_allocation():
        for start in range(0, len(columns[0]), STUDIES_PER_CHUNK):
            part = slice(start, start + STUDIES_PER_CHUNK)
            first = columns[-2][start]  # where the chunk's findings begin
            found = _finding_dicts(findings, first, columns[-1][part][-1])
            studies = [
                {"study": label, "row": row, "answers": answers_of(given), "raw": unreadable.get(i, {}),
                 "total": total, "reported_total": printed, "total_difference": difference, "min_total": low,
                 "max_total": high, "band": band, "findings": found[begin - first:end - first]}
                for i, label, row, given, total, low, high, band, printed, difference, begin, end in zip(
                    *(column[part] for column in columns))]
            if subtotals is not None:
                for position, study in enumerate(studies, start=start):
                    study.update(subtotals(position))
            yield studies


def _dict_of(keys: list[str]):
    """A function of a list of values giving the dict of ``keys`` to them, in order: written as a dict display
    with the keys as constants (as ``collections.namedtuple`` writes its methods), which builds the dict at its
    final size in one step; ``dict(zip(keys, values))`` grows it key by key (the answers of 60,000 trials: 37
    against 88 ms, issue 18).  The keys are text, written as literals by ``repr``."""
    if not all(type(key) is str for key in keys):
        raise TypeError(f"the keys of a dict display made here must be text, not {keys!r}")
    body = ", ".join(f"{key!r}: values[{position}]" for position, key in enumerate(keys))
    return eval(f"lambda values: {{{body}}}", {})  # noqa: S307 - the source is made here from text literals


def _add_points(report: dict, result) -> None:
    """The keys a rubric with points, subtotals or no band set adds to the JSON report: the maximum total,
    how each criterion worth several points was read (a column of points, or a column per part), its
    subtotals, and why no trial has a band (each trial's subtotals are in its dict: ``_subtotal_columns``)."""
    rubric, layout = result.rubric, result.sheet.layout
    report["max_total"] = rubric.max_total
    report["layout"]["parts"] = {str(n): list(parts) for n, parts in layout.parts.items()}
    report["subtotals"] = [{"name": s.name, "label": s.label, "items": list(s.items),
                            "max": sum(rubric.points_of[i] for i in s.items)} for s in rubric.subtotals]
    if not result.bands.bands:
        report["no_band"] = result.bands.describe()


def _subtotal_columns(result):
    """For a rubric beyond PEDro's shape, a function of a trial's position giving the keys its dict adds:
    its subtotals (points, or null while unknown, with their range) and the subtotals the sheet printed (as
    the total is given: a number, or the text as printed); None for a rubric of PEDro's shape."""
    rubric = result.rubric
    if not _beyond_pedro_shape(result):
        return None
    table = subtotal_scores(result.sheet.answer_table, rubric, len(result.sheet.study_table))
    computed = {s.name: (_plain_values(table[s.name]), table[f"{s.name}_min"].tolist(),
                         table[f"{s.name}_max"].tolist()) for s in rubric.subtotals}
    printed = reported_subtotals(result.sheet, rubric)

    def keys(position: int) -> dict:
        return {"subtotals": {name: {"points": points[position], "min": int(low[position]),
                                     "max": int(high[position])} for name, (points, low, high) in computed.items()},
                "reported_subtotals": {name: _json_value(values[position]) for name, values in printed.items()}}
    return keys


def _reported_totals(result) -> tuple[list, list]:
    """Per trial, the printed total (a number, or the text as printed when it is not a total) and printed
    minus computed (null unless both are known), as JSON values."""
    reported, differences = reported_totals(result.sheet, result.score_table, result.rubric)
    if set(map(type, reported)) <= _PLAIN_TYPES | {float}:  # the usual case, seen at once (~9 ms at 60,000)
        return reported, differences
    return [_json_value(v) for v in reported], differences


def _json_value(value):
    """A printed total or subtotal as JSON has it: a number or text as printed, or null."""
    return value if value is None or isinstance(value, (int, float, str)) else str(value)


def _layout_dict(layout) -> dict:
    """How the sheet was read: its header rows, whether transposed, whether totals only, and in words."""
    return {"header_rows": list(layout.header_rows), "transposed": layout.transposed,
            "totals_only": layout.totals_only, "read": layout.how_read}


def _unreadable_answers(sheet) -> dict[int, dict[str, str]]:
    """Per study index, {item: the cell's text as typed} for each answer pedro
    could not read: its canonical answer is null, and this says it was not
    blank."""
    unreadable: dict[int, dict[str, str]] = {}
    for study_index, item, raw in sheet.unrecognised():
        unreadable.setdefault(int(study_index), {})[str(item)] = answer_text(raw)
    return unreadable


def _answer_rows(sheet, numbers: list[int]) -> list[list]:
    """Per study, its answers (None or the canonical text) to the rubric's items
    in order, None for an item the sheet has no column for; taken from the
    answers as a whole (``RatedSheet.answer_grid``), not value by value."""
    import numpy as np

    table = sheet.answer_grid("answer")
    if sheet.items != numbers:
        blank = np.full(len(table), None, dtype=object)
        table = np.column_stack([table[:, sheet.items.index(n)] if n in sheet.items else blank for n in numbers])
    return table.tolist()


def summary_dict(result) -> dict:
    scores = result.score_table
    band_counts = Counter(scores["band"].tolist())  # (None, no band, is counted apart: "unbanded")
    counts = result.counts
    return {
        "studies": len(result.sheet.study_table),
        "scored": int((~missing(scores["total"])).sum()),
        "bands": {label: band_counts.get(label, 0) for label in result.bands.labels},
        "unbanded": int(missing(scores["band"]).sum()),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "advisories": counts["advisory"],
        "changes": result.change_count,
        "edited_outside": len(result.edits),
        "exit_status": result.exit_status,
    }


def summary_text(result, output=None, max_lines: int = 12) -> str:
    """A few lines for the terminal: what was read, the bands, the findings, where the output went."""
    summary = summary_dict(result)
    lines = [f"{result.input.name}: {summary['studies']} trial(s) read from {result.sheet_choice}, "
             f"{result.sheet.layout.how_read}"]
    if result.bands.bands:
        bands = ", ".join(f"{label} {count}" for label, count in summary["bands"].items())
        unbanded = f"; {summary['unbanded']} without a band (answers missing)" if summary["unbanded"] else ""
        lines.append(f"bands ({result.bands.name}): {bands}{unbanded}")
    else:
        lines.append(f"bands: {result.bands.describe()}")
    if not result.rubric.yes_no or result.rubric.subtotals:
        lines.append(_points_line(result, summary))
    lines.append(f"findings: {summary['errors']} error(s), {summary['warnings']} warning(s), "
                 f"{summary['advisories']} advisory; {summary['changes']} answer(s) normalised")
    if summary["edited_outside"]:
        lines.append(f"history: {summary['edited_outside']} edit(s) made outside pedro since it was scored, logged "
                     "in the change log as 'edited outside pedro' before this run's changes")
    lines += _findings_lines(result.finding_table, max_lines)
    if output is not None:
        lines.append(f"wrote {output}")
    return "\n".join(lines)


def _points_line(result, summary: dict) -> str:
    """'totals out of 15 (study quality /5, study reporting /10): 9 of 9 trials with a known total'."""
    rubric = result.rubric
    parts = ", ".join(f"{s.label.lower()} /{sum(rubric.points_of[i] for i in s.items)}" for s in rubric.subtotals)
    read = "; ".join(f"{rubric.item_word} {n} read as parts {', '.join(p)}"
                     for n, p in result.sheet.layout.parts.items())
    return (f"totals out of {rubric.max_total}{f' ({parts})' if parts else ''}: {summary['scored']} of "
            f"{summary['studies']} trial(s) with a known total{f'; {read}' if read else ''}")


def _findings_lines(findings, max_lines: int) -> list[str]:
    """The findings (a ``Table``) worst first: errors, then warnings, one line each up to
    ``max_lines`` (the rest counted), then the advisories counted by name on
    one line.  Within a severity they keep the order the rules gave them."""
    rank = {severity: number for number, severity in enumerate(SEVERITIES)}
    severities = list(findings["severity"])
    serious = sorted((i for i, s in enumerate(severities) if s != "advisory"), key=lambda i: rank[severities[i]])
    rules, studies, messages = list(findings["rule"]), list(findings["study"]), list(findings["message"])
    lines = []
    for i in serious[:max_lines]:
        study = studies[i]
        lines.append(f"  {severities[i]} {rules[i]} {f'{study}: ' if study else ''}{messages[i]}")
    if len(serious) > max_lines:
        left = Counter(severities[i] for i in serious[max_lines:])
        counts = ", ".join(f"{left[s]} {s}(s)" for s in SEVERITIES if left[s])
        lines.append(f"  ... and {len(serious) - max_lines} more: {counts} (see the Findings sheet or --json)")
    advisories = Counter(name for name, s in zip(findings["name"], severities) if s == "advisory")
    if advisories:
        lines.append("  advisory: " + ", ".join(f"{name} x{n}" for name, n in sorted(advisories.items())))
    return lines


# --------------------------------------------------------------------------- pedro score on several files

def internal_error_text(exc: BaseException) -> str:
    """What to say when pedro itself failed (a bug), not the input."""
    return (f"internal error ({type(exc).__name__}: {exc}); nothing was written. This is a bug in pedro: please "
            "report it with the input file (set PEDRO_DEBUG=1 for details)")


def file_error_text(path: Path, exc: BaseException, is_bug: bool = False) -> str:
    """Why one file of several could not be used, naming the file: pedro's
    sentences usually begin with its path or name, and then are left as they are."""
    why = internal_error_text(exc) if is_bug else str(exc)
    if why.startswith(str(path)):
        return why
    # Named by its name alone ("people.csv: ..."): named again by the path as given, as every other file is.
    return f"{path}{why[len(path.name):]}" if why.startswith(path.name) else f"{path}: {why}"


def tally_dict(outcomes: list[dict], skipped: list[tuple[str, str]] = ()) -> dict:
    """The tally of `pedro score` over several files, from one outcome per file
    in order: ``{"input", "exit_status", "errors"}`` for a file scored,
    ``{"input", "exit_status", "error"}`` for one that could not be used.
    ``scored``, ``with_errors`` and ``unreadable`` count each file once; the
    exit status is the worst.  ``skipped``: (path, why) of each other file of the
    folders given, not counted among the files."""
    unreadable = [{"input": o["input"], "error": o["error"]} for o in outcomes if "error" in o]
    with_errors = [{"input": o["input"], "errors": o["errors"]} for o in outcomes
                   if "error" not in o and o["exit_status"]]
    return {"files": len(outcomes), "scored": len(outcomes) - len(with_errors) - len(unreadable),
            "with_errors": len(with_errors), "unreadable": len(unreadable),
            "exit_status": max((o["exit_status"] for o in outcomes), default=0),
            "unreadable_files": unreadable, "files_with_errors": with_errors,
            "skipped_files": [{"input": path, "why": why} for path, why in skipped]}


def skipped_text(skipped: list[tuple[str, str]]) -> str:
    """"(2 other files skipped: notes.txt (not a sheet), x.audited.xlsx (pedro's output))"."""
    listed = ", ".join(f"{path} ({why})" for path, why in skipped[:10]) + (" ..." if len(skipped) > 10 else "")
    return f"({len(skipped)} other file{'' if len(skipped) == 1 else 's'} skipped: {listed})"


def tally_text(tally: dict) -> str:
    """The last lines of `pedro score` on several files, the worst first:
    "5 files: 3 scored, 1 with errors, 1 unreadable: <why>", a line per
    unreadable file when there are several, then the files with errors."""
    counts = [f"{tally['scored']} scored"] + [f"{tally[key]} {words}" for key, words in (
        ("with_errors", "with errors"), ("unreadable", "unreadable")) if tally[key]]
    head = f"{tally['files']} file{'' if tally['files'] == 1 else 's'}: " + ", ".join(counts)
    if tally.get("skipped_files"):
        head += f" {skipped_text([(s['input'], s['why']) for s in tally['skipped_files']])}"
    unreadable = [u["error"] for u in tally["unreadable_files"]]
    if len(unreadable) == 1:
        lines = [f"{head}: {unreadable[0]}"]
    else:
        lines = [f"{head}:" if unreadable else head] + [f"  {why}" for why in unreadable]
    if tally["files_with_errors"]:
        lines.append("  with errors: " + ", ".join(f"{f['input']} ({f['errors']} error(s))"
                                                   for f in tally["files_with_errors"]))
    return "\n".join(lines)


# --------------------------------------------------------------------------- pedro compare

def comparison_to_json(comparison) -> dict:
    """`pedro compare --json` (see the README for the format)."""
    items = []
    for row in comparison.items:
        items.append({k: row[k] for k in (
            "item", "n", "levels", "agreement", "prevalence_y", "cohen_kappa", "cohen_kappa_se", "cohen_kappa_ci95",
            "pabak", "prevalence_index", "bias_index", "gwet_ac1", "gwet_ac1_se", "gwet_ac1_ci95", "weighted_kappa",
            "weighted_kappa_se", "weighted_kappa_ci95", "gwet_ac2", "gwet_ac2_se", "gwet_ac2_ci95", "fleiss_kappa",
            "fleiss_kappa_se", "fleiss_kappa_ci95", "conger_kappa", "conger_kappa_se", "conger_kappa_ci95",
            "brennan_prediger", "brennan_prediger_se", "brennan_prediger_ci95", "krippendorff_alpha",
            "ci95", "reasons")})
    names, pairing = comparison.names, comparison.pairing
    return {
        "assessors": names,
        "files": {a.name: str(a.path) for a in comparison.assessors},
        "studies": {
            "compared": len(comparison.keys), "unmatched": comparison.unmatched,
            "not_paired": [{"rated_by": names[t.assessor], "study": t.label, "row": t.row, "why": t.why,
                            "matched": t.matched} for t in pairing.unpaired],
            "ambiguous": pairing.ambiguous,
            "possible_matches": pairing.possible,
            "paired_by_surname_and_year": [dict(zip(names, labels)) for labels in comparison.paired_by_name_year()],
            "partly_rated": [{name: (str(a.result.sheet.study_table["study"][p]) if p >= 0 else None)
                              for name, a, p in zip(names, comparison.assessors, trial)}
                             for trial in comparison.partial]},
        "items": items,
        "total": comparison.total_stats,
        "methods": comparison.methods,
        "trial_differences": comparison.trial_differences(),
        "disagreements": comparison.disagreements_without_evidence(),
        "unreadable_answers": _unreadable(comparison),
    }


def _unreadable(comparison) -> list[dict]:
    """The answers of the compared trials that pedro cannot read, as typed, in trial and item order."""
    names, keys, labels = comparison.names, comparison.keys, comparison.labels
    return [{"rated_by": names[a], "study": labels[keys[t]], "item": item, "typed": typed}
            for (t, a, item), typed in sorted(comparison.unreadable.items())]


def comparison_text(comparison, output=None) -> str:
    """`pedro compare` on the terminal: the trials compared and how they were paired, every trial only
    some assessors rated, the answers pedro cannot read, the agreement per item, the totals."""
    loose = comparison.paired_by_name_year()
    lines = [f"{len(comparison.names)} assessors ({', '.join(comparison.names)}), "
             f"{len(comparison.keys)} trial(s) compared"
             + (f", {len(loose)} of them paired by first author's surname and year" if loose else "")]
    lines += [f"  paired: {' = '.join(repr(str(label)) for label in labels)}" for labels in loose[:20]]
    if len(loose) > 20:
        lines.append(f"  ... and {len(loose) - 20} more (see the Trials sheet)")
    pairing = comparison.pairing
    for group in (*pairing.ambiguous, *pairing.possible):
        shown = "; ".join(f"{name} " + ", ".join(repr(str(label)) for label in labels)
                          for name, labels in group["labels"].items())
        why = f", {group['why']}" if "why" in group else ""
        lines.append(f"  {group['matched']} ('{group['key']}'{why}): {shown}")
    partial = {(a, position) for trial in comparison.partial for a, position in enumerate(trial) if position >= 0}
    lines += _partly_rated_lines(comparison)
    for a, name in enumerate(comparison.names):
        alone = [t for t in pairing.unpaired
                 if t.assessor == a and t.matched is None and (a, t.position) not in partial]
        if alone:
            lines.append(f"  rated by {name} only ({len(alone)}): " + ", ".join(
                f"{str(t.label)!r} (row {t.row})" if t.label is not None else f"row {t.row} (no label)" for t in alone))
    unreadable = _unreadable(comparison)
    if unreadable:
        lines.append(f"{len(unreadable)} answer(s) pedro cannot read, listed as typed for consensus: " + ", ".join(
            f"{u['rated_by']}: {u['study']} item {u['item']} {u['typed']!r}" for u in unreadable[:10])
            + (" ..." if len(unreadable) > 10 else ""))
    lines.append(f"{len(comparison.disagreements)} disagreement(s) on items; "
                 f"{comparison.total_stats['band_changes']} trial(s) with a different band")
    lines += [f"note: {note}" for note in comparison.notes]  # criteria compared on points, the layouts differing
    lines += _item_lines(comparison)
    total = comparison.total_stats
    lines.append("totals: " + ", ".join(f"{form} {_num(v['value'])}" for form, v in total["icc"].items()))
    lines.append("totals as ordered categories: " + ", ".join(
        f"{_TOTAL_NAMES[key]} {_num(result['value']).strip()}{_interval(result['ci95'])}"
        for key, result in total["weighted"].items()))
    ba = total["bland_altman"]
    if ba is not None and ba["bias"] is not None:
        lines.append(f"Bland-Altman: bias {_rounded(ba['bias']):.2f}{_interval(ba['bias_ci95'])}, 95% limits of "
                     f"agreement {_rounded(ba['loa95'][0]):.2f}{_interval(ba['lower_ci95'])} to "
                     f"{_rounded(ba['loa95'][1]):.2f}{_interval(ba['upper_ci95'])}"
                     + (f" (no intervals: {ba['reason']})" if ba.get("reason") else ""))
    lines += _method_lines(comparison.methods)
    if output is not None:
        lines.append(f"wrote {output}; fill its Consensus column, then run: pedro consensus {output}")
    if pairing.ambiguous:
        lines.append("pedro consensus will refuse this workbook while trials are ambiguous (it would hold one trial "
                     "twice): give each trial a label of its own in the assessors' sheets and compare again")
    return "\n".join(lines)


def _partly_rated_lines(comparison) -> list[str]:
    """The trials some, not all, of three or more assessors rated: who rated each and who did not, one line
    per set of assessors; the item statistics keep them, the others' answers blank."""
    names = comparison.names
    groups: dict[tuple, list[str]] = {}
    for trial in comparison.partial:
        a = next(a for a, position in enumerate(trial) if position >= 0)
        label = comparison.assessors[a].result.sheet.study_table["study"][trial[a]]
        groups.setdefault(tuple(position >= 0 for position in trial), []).append(repr(str(label)))
    lines = []
    for rated, labels in groups.items():
        by = [name for name, r in zip(names, rated) if r]
        missing = [name for name, r in zip(names, rated) if not r]
        lines.append(f"  rated by {', '.join(by[:-1])} and {by[-1]}, not by {', '.join(missing)} ({len(labels)}): "
                     + ", ".join(labels) + f"; in the item statistics with {', '.join(missing)}'s answers blank "
                     "(Gwet's missing data; --complete-cases leaves them out)")
    return lines


def _item_lines(comparison) -> list[str]:
    """The agreement per item on the terminal: with two assessors Cohen's kappa, PABAK and AC1, with three
    or more Fleiss' kappa, Conger's kappa, Brennan-Prediger and AC1; kappa's and AC1's 95% intervals (blank
    where withheld: the reason is in --json and on the Statistics sheet); linear-weighted kappa and AC2 when a
    criterion is scored in points."""
    two = len(comparison.names) == 2
    points = any(row["levels"] > 2 for row in comparison.items)
    kappa = "cohen_kappa" if two else "fleiss_kappa"
    middle = ("PABAK", "pabak") if two else ("Conger", "conger_kappa"), *(() if two else (("BP", "brennan_prediger"),))
    header = (f"item  n   agree  prev.Y  {'kappa' if two else 'Fleiss'}  95% CI        "
              + "".join(f"{name:<7}" for name, _ in middle) + "AC1    95% CI      "
              + ("  wt.k   AC2" if points else ""))
    lines = [header.rstrip()]
    for row in comparison.items:
        line = (f"{row['item']:>4}  {row['n']:<3} {_num(row['agreement'])}  {_num(row['prevalence_y'])}  "
                f"{_num(row[kappa])} {_ci_cell(row[f'{kappa}_ci95'])}  "
                + "".join(f"{_num(row[key])}  " for _, key in middle)
                + f"{_num(row['gwet_ac1'])} {_ci_cell(row['gwet_ac1_ci95'])}")
        if points:
            line += f"  {_num(row['weighted_kappa'])}  {_num(row['gwet_ac2'])}"
        lines.append(line.rstrip())
    if points:
        lines.append("  wt.k, AC2: linear-weighted kappa (Conger's with 3+) and AC2, for criteria scored in points")
    return lines


def _ci_cell(bounds) -> str:
    """An interval in a fixed width for the terminal's table, blank where there is none."""
    return " " * 14 if not bounds else f"[{_num(bounds[0]).strip()}, {_num(bounds[1]).strip()}]".ljust(14)


#: The statistics on the totals as ordered categories, as the terminal names them.
_TOTAL_NAMES = {"weighted_kappa_linear": "weighted kappa (linear)", "weighted_kappa_quadratic": "(quadratic)",
                "conger_kappa_linear": "Conger's weighted kappa (linear)", "conger_kappa_quadratic": "(quadratic)",
                "gwet_ac2_linear": "AC2 (linear)", "gwet_ac2_quadratic": "(quadratic)"}


def _interval(bounds, digits: int = 2) -> str:
    """' [lower, upper]', or nothing where there is no interval."""
    if not bounds:
        return ""
    return f" [{_rounded(bounds[0], digits):.{digits}f}, {_rounded(bounds[1], digits):.{digits}f}]"


def _rounded(value: float, digits: int = 2) -> float:
    """``value`` rounded, a negative zero made 0: residue never shows as "-0.00"."""
    return round(value, digits) + 0.0


def _method_lines(methods: dict) -> list[str]:
    """The methods on the terminal, one short line per family of statistics (in full: --json's
    "methods", the Statistics sheet): the coefficient's source and its 95% CI's method."""
    shown = {"cohen_kappa": "kappa", "fleiss_kappa": "Fleiss' kappa", "conger_kappa": "Conger's kappa",
             "brennan_prediger": "Brennan-Prediger", "gwet_ac1": "AC1", "krippendorff_alpha": "alpha",
             "weighted_kappa": "weighted kappa (points)", "gwet_ac2": "AC2 (points)",
             "weighted_kappa_linear": "weighted kappa", "conger_kappa_linear": "Conger's weighted kappa",
             "gwet_ac2_linear": "AC2", "ICC(2,1)": "ICC(2,1), ICC(2,k)", "ICC(3,1)": "ICC(1,*), ICC(3,*)",
             "bland_altman": "Bland-Altman"}
    lines = []
    for key, name in shown.items():
        if key in methods:
            parts = _clauses(methods[key])
            # every clause on 95% figures: Bland-Altman's limits (1986) and their intervals (1999)
            interval = "; ".join(p[p.index("95% "):] for p in parts if "95% " in p) or "no CI"
            cited = re.search(r"\(([^()]*\d{4})\)", parts[0])  # the coefficient's source, "(Cohen 1960)"
            lines.append(f"  {name}" + (f" ({cited.group(1)})" if cited else "") + f": {interval}")
    return ["methods (in full: --json 'methods', the Statistics sheet):", *lines] if lines else []


def _clauses(method: str) -> list[str]:
    """A method's clauses: split at "; " outside parentheses (a citation may hold one)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(method):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and method.startswith("; ", i):
            parts.append(method[start:i])
            start = i + 2
    return [*parts, method[start:]]


def _num(value) -> str:
    return "  -  " if value is None else f"{_rounded(value):5.2f}"


# --------------------------------------------------------------------------- pedro consensus

def consensus_text(merged, written) -> str:
    """`pedro consensus` on the terminal: what was merged and carried, the trials one assessor rated,
    the edits made outside pedro, where it went, what to run next."""
    unresolved = f"; {len(merged.unresolved)} left missing (--allow-unresolved)" if merged.unresolved else ""
    lines = [f"{len(merged.trials)} trial(s), {len(merged.resolutions)} resolution(s) merged{unresolved}"]
    if merged.columns:
        differing = merged.differing_values
        lines.append(f"carried {len(merged.columns)} other column(s): {', '.join(merged.columns)}"
                     + (f"; {differing} value(s) differed between the assessors: the first assessor's kept, "
                        "every assessor's named in Consensus notes" if differing else ""))
    for trial in merged.single:
        if trial.possible_match:
            lines.append(f"  {trial.matched}, carried separately with {trial.rated_by[0]}'s answers: "
                         f"{trial.label!r} (check it is not a trial another assessor rated under another year)")
        else:
            lines.append(f"  rated by {trial.rated_by[0]} only, carried with those answers: {trial.label!r}")
    if merged.edits:
        saved = f", saved {merged.saved_at}" if merged.saved_at else ""
        lines.append(f"{len(merged.edits)} cell(s) edited outside pedro since pedro compare, logged (by "
                     f"{merged.edited_by}{saved}): " + ", ".join(
                         f"{e.sheet}!{e.cell} {e.old!r} -> {e.new!r}" for e in merged.edits[:10])
                     + (" ..." if len(merged.edits) > 10 else ""))
    lines.append(f"wrote {written}\nnext: pedro score {written}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- pedro audit

def audit_text(report: dict) -> str:
    """`pedro audit` on the terminal: the verdict, each discrepancy, the chain, findings and bands."""
    lines = [f"{Path(report['file']).name}: " + ("verified" if report["ok"] else
                                                 f"{len(report['discrepancies'])} discrepancy(ies)")]
    lines += [f"  {d}" for d in report["discrepancies"]]
    table = report["table"]
    lines.append(f"covered: sheet '{table['sheet']}', its table (header {table['header']}, {table['trials']} "
                 f"trial(s), {table['span']}: every cell), and pedro's sheets; not the cells outside the table"
                 if table["covered"] == "table" else
                 "covered: the answer cells and pedro's sheets only (written by an earlier pedro: score it again "
                 "to cover the whole table)")
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
