"""The disagreement workbook that `pedro compare` writes and `pedro consensus` reads.

Sheets:
- Disagreements: one row per (trial, item) on which the assessors' answers
  differ, or that an assessor answered with something pedro cannot read (shown
  as typed, 'Yy (not a valid answer)', on a red fill), each assessor's answer
  and evidence side by side, then an empty Consensus column (Y/N/? dropdown),
  Reason and Resolved by, to fill in by hand;
- Agreed: every compared trial with the answers all assessors gave (blank where
  they disagree): the consensus starts from it;
- Trials: every trial of every sheet, one row per assessor, with how it was
  paired and the sheet's other columns (evidence, method, numbers, notes, ...),
  cells that differ between the assessors on a red fill: the consensus carries them;
- Statistics: agreement per item and on totals, with a note on reading them;
- Trial differences: trials whose total or band differs;
- Unmatched: trials that not every assessor rated, why, and their answers;
- Change log: the inputs' own change logs, carried over (``history_changes``);
- Provenance: the assessors, their files and SHA-256, the log's seal and the
  digest of the Recorded sheet, sealed by a digest of its own;
- Recorded cells (hidden): the cells of Disagreements (up to Consensus), Agreed,
  Trials and Unmatched as written, so that `pedro consensus` logs every edit
  made to them afterwards.

Each sheet is a ``Table`` drawn by ``pedro.write.style.render``; header rows
wrap their text, aligned to the top, so long headings fit narrow columns.
"""

from __future__ import annotations

from pathlib import Path

from ..audit.chain import audit_key, key_fingerprint, table_digest
from ..audit.log import hashed_log
from ..audit.workbook import (
    CHANGE_LOG_SHEET,
    LOG_COLUMNS,
    PROVENANCE_SHEET,
    RECORDED_SHEET,
    STUDY_COLUMN,
    Key,
    log_seal,
)
from ..compare import (
    AGREED_SHEET,
    ANSWER_CHOICES,
    ASSESSOR_HEADER,
    BLANK_ANSWER,
    CONSENSUS_HEADERS,
    CRITERION_HEADER,
    DIFFERENCES_SHEET,
    DISAGREEMENTS_MARK,
    DISAGREEMENTS_SHEET,
    ITEM_HEADER,
    LABEL_HEADER,
    MATCHED_HEADER,
    MISSING,
    MULTI_ONLY,
    NOT_IN_SHEET,
    RECORDED_KEYS,
    ROW_HEADER,
    STATISTICS_SHEET,
    TRIAL_HEADER,
    TRIALS_SHEET,
    TWO_ONLY,
    UNMATCHED_SHEET,
    WHY_HEADER,
    Comparison,
    answer_columns,
    answer_header,
    column_values,
    consensus_choices,
    evidence_header,
    history_changes,
    item_label,
    part_answers,
    recorded_rows,
    recorded_values,
    shown_answer,
    shown_reasons,
    trial_differences,
)
from ..normalise import STATUS_UNRECOGNISED, answer_text, map_distinct
from ..runtime import current_user, now_utc
from ..text import fold_text
from .audited import change_log_table
from .files import atomic_save, check_output_path
from .style import (
    HIGHLIGHT_COLOUR,
    LINE_HEIGHT,
    MAX_ROW_HEIGHT,
    MISSING_COLOUR,
    QUOTED_COLOUR,
    TO_FILL_COLOUR,
    Table,
    Validation,
    answer_validation,
    cell_range,
    render,
    wrapped_lines,
)

READING_NOTE = (
    "How to read these: observed agreement is the share of trials on which the assessors gave the same point "
    "(Y against N or ?). Cohen's kappa corrects it for chance, but when almost every trial gets the same answer "
    "(PEDro items 2, 10 and 11 are usually Y, item 6 usually N) kappa can be near zero or undefined although "
    "agreement is high: the kappa paradox (Feinstein & Cicchetti 1990). Read kappa beside the prevalence of Y, "
    "the prevalence index and PABAK (Byrt, Bishop & Carlin 1993), and Gwet's AC1 (Gwet 2008), which stay "
    "interpretable when prevalence is extreme. Landis & Koch (1977) bands for kappa: <0 poor, 0-0.20 slight, "
    "0.21-0.40 fair, 0.41-0.60 moderate, 0.61-0.80 substantial, 0.81-1 almost perfect. ICC forms follow Shrout & "
    "Fleiss (1979); PEDro's reliability studies report ICC(1,1) (Maher et al. 2003) and ICC(2,1) (Tooth et al. "
    "2005). Statistics on totals use trials whose total is known for every assessor.")
POINTS_NOTE = (" A criterion scored in points is compared on its points (0 to its maximum) as ordered categories: "
               "any difference is a disagreement, and linear-weighted kappa and AC2 count a near miss partly.")

PARTS_NOTE = (" A criterion that every assessor rated one column per point (6a, 6b, 6c) is compared point by point: "
              "its disagreements are listed per part, and each part, a yes/no point, has its own row of statistics "
              "(6a, 6b, ...) after the criterion's row on its points.")


def default_output(first_input: Path) -> Path:
    return first_input.with_name(f"{first_input.stem}.disagreements.xlsx")


def write_disagreements(comparison: Comparison, output: Path | None = None) -> Path:
    import openpyxl

    first = comparison.assessors[0].path
    output = Path(output) if output else default_output(first)
    for assessor in comparison.assessors:
        check_output_path(output, assessor.path)
    key, time, user = audit_key(), now_utc(), current_user()
    log_rows = hashed_log(_empty_log(), history_changes(comparison, time, user), key)
    tables = {DISAGREEMENTS_SHEET: _disagreements_table(comparison), AGREED_SHEET: _agreed_table(comparison),
              TRIALS_SHEET: _trials_table(comparison), STATISTICS_SHEET: _statistics_table(comparison),
              DIFFERENCES_SHEET: _differences_table(comparison), UNMATCHED_SHEET: _unmatched_table(comparison),
              CHANGE_LOG_SHEET: change_log_table(log_rows)}
    recorded = [row for name in RECORDED_KEYS for row in recorded_rows(name, tables[name].rows)]
    seal = {**log_seal(log_rows), Key.RECORDED_DIGEST: table_digest(recorded_values(recorded), key),
            Key.KEY_FINGERPRINT: key_fingerprint(key)}
    tables[PROVENANCE_SHEET] = _provenance_table(comparison, time, user, seal, key)
    tables[RECORDED_SHEET] = Table(recorded, header_row=None, autofilter=False, freeze=None, hidden=True)
    workbook = openpyxl.Workbook()
    workbook.active.title = DISAGREEMENTS_SHEET
    for name, table in tables.items():
        render(workbook[name] if name in workbook.sheetnames else workbook.create_sheet(name), table)
    return atomic_save(workbook, output)


def _empty_log():
    import pandas as pd

    return pd.DataFrame(columns=LOG_COLUMNS, dtype=object)


def _row_range(row: int, width: int) -> str:
    """The range of a row's first ``width`` cells."""
    return cell_range(row, 0, row, width - 1)


def _disagreements_table(comparison: Comparison) -> Table:
    """One row per disagreement; the assessors' answers shaded, the columns to fill in highlighted."""
    rubric = comparison.assessors[0].result.rubric
    header = [STUDY_COLUMN, ITEM_HEADER, CRITERION_HEADER]
    for name in comparison.names:
        header += [answer_header(name), evidence_header(name)]
    header += list(CONSENSUS_HEADERS)
    rows, unreadable, kinds = [header], [], {}
    answers = [3 + 2 * i for i in range(len(comparison.names))]
    for row in comparison.disagreements:
        values = [row["study"], row["item"], item_label(rubric, row["item"])]
        kinds.setdefault(consensus_choices(rubric, row["item"]), []).append(len(rows) + 1)
        for name, column in zip(comparison.names, answers):
            values += [shown_answer(row["answers"][name], row["unreadable"].get(name), BLANK_ANSWER),
                       row["evidence"][name]]
            if name in row["unreadable"]:
                unreadable.append(cell_range(len(rows) + 1, column, len(rows) + 1, column))
        rows.append(values + [None, None, None])
    last, consensus = len(rows), len(header) - len(CONSENSUS_HEADERS)
    fills = {}
    if last > 1:
        fills = {cell_range(2, column, last, column): TO_FILL_COLOUR for column in range(consensus, len(header))}
        fills.update({cell_range(2, column, last, column): QUOTED_COLOUR for column in answers})
        fills.update(dict.fromkeys(unreadable, HIGHLIGHT_COLOUR))  # an answer pedro cannot read: flagged
    return Table(
        rows, freeze="D2", fills=fills, wrapped=(cell_range(1, 0, last, len(header) - 1),),
        widths={0: 28, 1: 6, 2: 34, **{c: 12 for c in answers}, **{c + 1: 40 for c in answers},
                consensus: 12, consensus + 1: 40, consensus + 2: 16},
        validations=_consensus_validations(kinds, consensus))


def _consensus_validations(kinds: dict, column: int) -> tuple:
    """The Consensus column's dropdowns: on a yes/no item's or a part's row Y, N or ?; on the row of a
    criterion worth several points (compared on its points) its points 0..max or ?; each refusing anything
    else, as pedro consensus would.  ``kinds``: the choices -> their rows; with no rows, the yes/no one."""
    if not kinds:
        return (answer_validation([cell_range(2, column, 2, column)], "Consensus", "Answer Y, N or ? (unclear)."),)
    found = []
    for choices, rows in kinds.items():
        ranges = [cell_range(first, column, end, column) for first, end in _runs(rows)]
        if choices == ANSWER_CHOICES:
            found.append(answer_validation(ranges, "Consensus", "Answer Y, N or ? (unclear)."))
        else:
            found.append(Validation("list", '"' + ",".join(choices) + '"', tuple(ranges), error_title="Consensus",
                                    error=f"Answer the points, {choices[0]} to {choices[-2]}, or ? (unclear)."))
    return tuple(found)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive row numbers joined into (first, last) runs: a few ranges rather than one per row."""
    runs = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _agreed_table(comparison: Comparison) -> Table:
    import numpy as np

    rubric = comparison.assessors[0].result.rubric
    columns = answer_columns(rubric, comparison.parts)
    header = [STUDY_COLUMN, *(heading for heading, _, _ in columns)]
    answers = comparison.answers
    first = answers[:, 0, :]
    agreed = comparison.answer_text(np.where((answers == first[:, None, :]).all(axis=1), first, MISSING))
    column_of = {item: c for c, item in enumerate(comparison.item_numbers)}
    shown = []
    for _, item, code in columns:  # a criterion compared part by part: its parts agreed on, one column each
        if code is None:
            shown.append(agreed[:, column_of[item]])
        else:
            codes, parts, _ = comparison.parts[item]
            part = parts[:, :, codes.index(code)]
            shown.append(np.where((part == part[:, :1]).all(axis=1), part[:, 0], None))
    values = np.stack(shown, axis=1).tolist() if shown else [[] for _ in comparison.keys]
    rows = [header, *([comparison.labels[key], *trial_answers] for key, trial_answers in zip(comparison.keys, values))]
    return Table(rows, autofilter=False, freeze="B2", widths={0: 28}, wrapped=(_row_range(1, len(header)),))


def _fmt(value, digits=3):
    return None if value is None else round(float(value), digits) + 0.0  # + 0.0: never "-0"


def _ci(interval, digits=3, note="", reason=None):
    """The interval as text; where there is none, why (``reason``), so an absent interval is never blank."""
    if interval is None:
        return reason
    lower, upper = (round(float(bound), digits) + 0.0 for bound in interval)
    return f"{lower:.{digits}f} to {upper:.{digits}f}{note}"


#: Every column the item block may have (key of comparison.items: heading); ``_item_columns`` picks those
#: that apply to the number of assessors and to the rubric.  A statistic's "_ci95" column holds its interval.
ITEM_STATISTICS = {
    "item": ITEM_HEADER, "label": CRITERION_HEADER, "n": "n", "agreement": "Agreement",
    "prevalence_y": "Prevalence of Y", "cohen_kappa": "Cohen's kappa", "cohen_kappa_se": "kappa SE",
    "cohen_kappa_ci95": "kappa 95% CI", "fleiss_kappa": "Fleiss' kappa", "fleiss_kappa_se": "Fleiss SE",
    "fleiss_kappa_ci95": "Fleiss 95% CI", "conger_kappa": "Conger's kappa", "conger_kappa_se": "Conger SE",
    "conger_kappa_ci95": "Conger 95% CI", "pabak": "PABAK", "prevalence_index": "Prevalence index",
    "bias_index": "Bias index", "brennan_prediger": "Brennan-Prediger", "brennan_prediger_se": "BP SE",
    "brennan_prediger_ci95": "BP 95% CI", "gwet_ac1": "Gwet's AC1", "gwet_ac1_se": "AC1 SE",
    "gwet_ac1_ci95": "AC1 95% CI", "krippendorff_alpha": "Kripp. alpha",
    "weighted_kappa": "Wt. kappa (linear)", "weighted_kappa_ci95": "Weighted kappa 95% CI",
    "gwet_ac2": "Gwet's AC2 (linear)", "gwet_ac2_ci95": "AC2 95% CI", "reasons": "Undefined because"}
# Widths that print the item block one page wide for up to four assessors' coefficients (MIN_PRINT_SCALE):
# a value "-0.071" takes 7 characters, an interval "-0.221 to 0.079" 15.
_ITEM_WIDTHS = {"item": 6, "label": 20, "n": 7, "agreement": 11, "prevalence_y": 11, "prevalence_index": 11,
                "bias_index": 7, "conger_kappa": 9, "brennan_prediger": 9, "reasons": 32}  # others: by kind
_OTHER_ONLY = {True: MULTI_ONLY, False: TWO_ONLY}  # two assessors: leave out the multi-rater columns, and back


def _item_columns(comparison: Comparison) -> list[str]:
    """The item block's columns: those of ITEM_STATISTICS computed for this number of assessors (Cohen's
    kappa, PABAK and the indices for two; Fleiss', Conger's, Brennan-Prediger and alpha for more), and the
    weighted ones only when a criterion is scored in more than two levels."""
    two = len(comparison.names) == 2
    points = any(row["levels"] > 2 for row in comparison.items)
    hidden = {key for base in _OTHER_ONLY[two] for key in (base, f"{base}_se", f"{base}_ci95")}
    if not points:
        hidden |= {"weighted_kappa", "weighted_kappa_ci95", "gwet_ac2", "gwet_ac2_ci95"}
    return [key for key in ITEM_STATISTICS if key not in hidden]


def _item_width(key: str) -> float:
    if key in _ITEM_WIDTHS:
        return _ITEM_WIDTHS[key]
    return 15 if key.endswith("_ci95") else 7 if key.endswith("_se") else 8


def _item_statistics_rows(comparison: Comparison, columns: list[str]) -> list[list]:
    """One row per item: each column's value, an interval as text; where an interval is withheld for a
    defined value, "none (see note)", the reason once in the last column with the others."""
    two = len(comparison.names) == 2
    names = {key: ITEM_STATISTICS[key] for key in columns}
    rows = []
    for row in comparison.items:
        reasons = shown_reasons(row, two)
        values = []
        for column in columns:
            value = row[column]
            if column.endswith("_ci95"):
                stat = column[: -len("_ci95")]
                value = _ci(value, reason="none (see note)" if row[stat] is not None and stat in reasons else None)
            elif column == "reasons":  # statistics with the same reason share it: "Cohen's kappa, Gwet's AC1: ..."
                by_reason: dict[str, list[str]] = {}
                for key, reason in reasons.items():
                    by_reason.setdefault(reason, []).append(names.get(key, ITEM_STATISTICS.get(key, key)))
                value = "; ".join(f"{', '.join(keys)}: {reason}" for reason, keys in by_reason.items()) or None
            elif isinstance(value, float):
                value = _fmt(value)
            values.append(value)
        rows.append(values)
    return rows


#: The statistics on the totals as ordered categories (``total_stats["weighted"]``): their headings.
TOTAL_STATISTICS = {
    "weighted_kappa_linear": "Weighted kappa, linear weights",
    "weighted_kappa_quadratic": "Weighted kappa, quadratic weights",
    "conger_kappa_linear": "Conger's weighted kappa, linear weights",
    "conger_kappa_quadratic": "Conger's weighted kappa, quadratic weights",
    "gwet_ac2_linear": "Gwet's AC2, linear weights", "gwet_ac2_quadratic": "Gwet's AC2, quadratic weights"}


def _total_statistics_rows(comparison: Comparison) -> list[list]:
    """The totals block's rows: statistic, value, 95% CI (where withheld: "none (see note)"), note."""
    stats = comparison.total_stats
    withheld = "none (see note)"
    rows = [[form, _fmt(result["value"]), _ci(result["ci95"], reason=withheld if "reason" in result else None),
             result.get("reason")]
            for form, result in stats["icc"].items()]
    for key, result in stats["weighted"].items():
        note = result["reason"] or (f"SE {result['se']:.3f}" if result["se"] is not None else None)
        if result["n_excluded"]:
            note = f"{note + '; ' if note else ''}{result['n_excluded']} trial(s) without every total left out"
        rows.append([TOTAL_STATISTICS[key], _fmt(result["value"]),
                     _ci(result["ci95"], reason=withheld if result["value"] is not None else None), note])
    if stats["bland_altman"] is not None:
        ba = stats["bland_altman"]
        reason = ba.get("reason")
        shown = withheld if reason and ba["bias"] is not None else None
        rows.append([f"Bland-Altman bias ({comparison.names[0]} - {comparison.names[1]})", _fmt(ba["bias"]),
                     _ci(ba["bias_ci95"], 2, reason=shown), reason])
        rows.append(["SD of differences", _fmt(ba["sd"]), None, None])
        for name, position, key in (("Lower", 0, "lower_ci95"), ("Upper", 1, "upper_ci95")):
            limit = ba["loa95"][position] if ba["loa95"] else None
            rows.append([f"{name} 95% limit of agreement", _fmt(limit), _ci(ba[key], 2, reason=shown),
                         "bias -/+ 1.96 SD; CI +/- t x sqrt(3 SD^2/n) (Bland & Altman 1999)" if limit is not None
                         else None])
    rows.append(["Trials whose band differs", stats["band_changes"], None,
                 f"band set {comparison.assessors[0].result.bands.name}"])
    return rows


def _method_rows(comparison: Comparison) -> list[list]:
    """Each statistic on the sheet, by its heading, and the method and source it was computed by."""
    names = {**ITEM_STATISTICS, **TOTAL_STATISTICS, "bland_altman": "Bland-Altman bias and limits of agreement",
             "band_changes": "Trials whose band differs", "weighted_kappa": "Weighted kappa (linear), per criterion "
             "scored in points", "gwet_ac2": "Gwet's AC2 (linear), per criterion scored in points"}
    return [[names.get(key, key), method] for key, method in comparison.methods.items()]


def _spread(cells: list, spans: list[tuple[int, int]], width: int) -> list:
    """A row of ``width`` cells with each of ``cells`` at the first column of its span (first, last)."""
    row = [None] * width
    for value, (first, _) in zip(cells, spans):
        row[first] = value
    return row


def _span_height(cells: list, spans: list[tuple[int, int]], widths: list[float]) -> float | None:
    """The height (points) a row of merged, wrapped ``cells`` needs: Excel and LibreOffice do not fit a
    merged cell's row to its text."""
    # a character short of the span: a merged cell's text that exactly fills it is cut in LibreOffice
    lines = max((wrapped_lines(str(value), sum(widths[first:last + 1]) - 1)
                 for value, (first, last) in zip(cells, spans) if isinstance(value, str)), default=1)
    return min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT) if lines > 1 else None


def _statistics_table(comparison: Comparison) -> Table:
    """A title, the note on reading the statistics, then a table per item (the columns that apply to the
    number of assessors), one on totals and the method and source of each statistic.  The totals and the
    methods span the item block's columns (statistic over Item and Criterion, the CI over two columns, the
    note over the rest), so that each has the room it needs whatever the columns above."""
    columns = _item_columns(comparison)
    widths = [_item_width(key) for key in columns]
    width = len(columns)
    items = _item_statistics_rows(comparison, columns)
    totals, methods = _total_statistics_rows(comparison), _method_rows(comparison)
    total_spans = [(0, 1), (2, 2), (3, 4), (5, width - 1)]
    method_spans = [(0, 1), (2, width - 1)]
    totals_title = 4 + len(items) + 2
    methods_title = totals_title + 1 + len(totals) + 2
    scored = comparison.assessors[0].result.rubric.scored_text
    note = (READING_NOTE + (POINTS_NOTE if "weighted_kappa" in columns else "")
            + (PARTS_NOTE if comparison.parts else "") + "".join(f" Note: {n}." for n in comparison.notes))
    rows = [[f"Agreement between {', '.join(comparison.names)} on {len(comparison.keys)} trial(s)"], [note],
            [], [ITEM_STATISTICS[key] for key in columns], *items, [],
            [f"Totals ({scored}), {comparison.total_stats['n']} trial(s) with every total known"],
            _spread(["Statistic", "Value", "95% CI", "Note"], total_spans, width),
            *(_spread(row, total_spans, width) for row in totals), [], ["Methods and sources"],
            _spread(["Statistic", "Method"], method_spans, width),
            *(_spread(row, method_spans, width) for row in methods)]
    blocks = [(totals_title + 1, [["Statistic", "Value", "95% CI", "Note"], *totals], total_spans),
              (methods_title + 1, [["Statistic", "Method"], *methods], method_spans)]
    merged, heights = [cell_range(2, 0, 2, width - 1)], {}
    for first_row, block, spans in blocks:
        for offset, cells in enumerate(block):
            row = first_row + offset
            merged += [cell_range(row, first, row, last) for first, last in spans if last > first]
            height = _span_height(cells, spans, widths)
            if height:
                heights[row] = height
    heights[2] = _span_height([note], [(0, width - 1)], widths)
    # The item header is styled as a header but is not the sheet's: repeated atop each page, it would head
    # the totals and the methods too.
    return Table(rows, header_row=None, autofilter=False, freeze=None, title_row=1, legible=True,
                 bold_rows=(totals_title, methods_title), subheader_rows=(4, totals_title + 1, methods_title + 1),
                 merged=tuple(merged), row_heights=heights,
                 wrapped=("A2", _row_range(4, width), *(_row_range(r, width) for r in range(5, 5 + len(items))),
                          *(_row_range(r, width) for first_row, block, _ in blocks
                            for r in range(first_row, first_row + len(block)))),
                 widths=dict(enumerate(widths)))


def _differences_table(comparison: Comparison) -> Table:
    """Trials whose total or band differs; a differing band highlights the row."""
    names = comparison.names
    header = [STUDY_COLUMN, *(f"{n}: total" for n in names), *(f"{n}: band" for n in names), "Total differs",
              "Band differs"]
    rows, fills = [header], {}
    for row in trial_differences(comparison):
        totals = [row["totals"][n] for n in names]
        bands = [row["bands"][n] for n in names]
        band_differs = len(set(bands)) > 1
        rows.append([row["study"], *totals, *bands, "yes" if len(set(totals)) > 1 else "no",
                     "yes" if band_differs else "no"])
        if band_differs:
            fills[_row_range(len(rows), len(header))] = HIGHLIGHT_COLOUR
    return Table(rows, autofilter=False, freeze="B2", widths={0: 28}, fills=fills,
                 wrapped=(_row_range(1, len(header)),))


def _unmatched_table(comparison: Comparison) -> Table:
    """Each trial not paired: who rated it, its label and row, why, and its answers (an unreadable one
    shown as typed, on a red fill, as in the Disagreements sheet): the consensus carries it with these."""
    rubric = comparison.assessors[0].result.rubric
    columns = answer_columns(rubric, comparison.parts)
    header = [ASSESSOR_HEADER, STUDY_COLUMN, ROW_HEADER, WHY_HEADER, *(heading for heading, _, _ in columns)]
    rows, fills = [header], {}
    shown = {}
    for trial in comparison.pairing.unpaired:
        result = comparison.assessors[trial.assessor].result
        if trial.assessor not in shown:
            shown[trial.assessor] = _shown_answers(result, columns)
        answers, unreadable = shown[trial.assessor]
        rows.append([comparison.names[trial.assessor], trial.label, trial.row, trial.why, *answers[trial.position]])
        fills.update({cell_range(len(rows), 4 + c, len(rows), 4 + c): HIGHLIGHT_COLOUR
                      for c, flagged in enumerate(unreadable[trial.position]) if flagged})
    return Table(rows, autofilter=len(rows) > 1, freeze="C2", fills=fills,
                 widths={0: 16, 1: 28, 2: 6, 3: 60}, wrapped=(cell_range(1, 0, len(rows), 3),))


def _shown_answers(result, columns: list[tuple]) -> tuple[list[list], list[list]]:
    """Every trial's answers in ``columns`` (``answer_columns``: an item's, or a part's) as the disagreement
    workbook shows them (canonical, an unreadable one as typed), and per answer whether it is unreadable;
    trials in sheet order."""
    import numpy as np

    items = [item for _, item, _ in columns]
    index = np.arange(len(result.sheet.study_table))
    shown, status, raw = (result.sheet.answers_at(index[:, None], items, column)
                          for column in ("answer", "status", "raw"))
    unreadable = status == STATUS_UNRECOGNISED
    for row, column in zip(*np.nonzero(unreadable)):
        shown[row, column] = shown_answer(None, answer_text(raw[row, column]))
    read = {}
    for c, (_, item, code) in enumerate(columns):  # a part: read from its own column (``part_answers``)
        if code is not None:
            if item not in read:
                read[item] = part_answers(result, item, index)
            p = list(result.sheet.layout.parts[item]).index(code)
            answers, typed = read[item][0][:, p], read[item][1][:, p]
            shown[:, c] = [shown_answer(a, t) for a, t in zip(answers.tolist(), typed.tolist())]
            unreadable[:, c] = [t is not None for t in typed.tolist()]
    return shown.tolist(), unreadable.tolist()


def _trials_table(comparison: Comparison) -> Table:
    """Every trial, one row per assessor who rated it: the label the workbook uses (the first
    assessor's), how it was paired, each label as written and its row, then every other column of the
    sheets (``Comparison.columns``; NOT_IN_SHEET, on grey, where an assessor's sheet lacks it); a value
    that differs between the assessors is on a red fill."""
    import numpy as np

    columns, assessors, pairing = comparison.columns, comparison.assessors, comparison.pairing
    header = [STUDY_COLUMN, TRIAL_HEADER, ASSESSOR_HEADER, LABEL_HEADER, ROW_HEADER, MATCHED_HEADER,
              *(c.header for c in columns)]
    first, count = len(header) - len(columns), len(assessors)
    sheets = [_trial_cells(a.result, [c.indexes[i] for c in columns]) for i, a in enumerate(assessors)]
    positions = np.array(pairing.trials, dtype=np.int64).reshape(len(pairing.trials), count)
    given = np.stack([sheets[a][positions[:, a]] for a in range(count)], axis=1)  # trials x assessors x columns
    keys = np.stack([np.repeat(given[:, 0, :1], count, axis=1), *_pair_keys(comparison, positions)], axis=2)
    rows = np.concatenate([keys, given[:, :, len(TRIAL_CELLS):]], axis=2).reshape(len(positions) * count, len(header))
    body = rows.tolist()
    for number, trial in enumerate(pairing.unpaired, start=len(pairing.trials) + 1):
        name = comparison.names[trial.assessor]
        body.append([trial.label, number, name, trial.label, trial.row, trial.matched or f"{name} only",
                     *sheets[trial.assessor][trial.position, len(TRIAL_CELLS):].tolist()])
    fills = _difference_fills(given[:, :, len(TRIAL_CELLS):], first, count)
    fills.update({cell_range(r, c, r, c): MISSING_COLOUR for r, row in enumerate(body, start=2)
                  for c in range(first, len(header)) if row[c] is NOT_IN_SHEET})
    return Table([header, *body], freeze="B2", fills=fills, wrapped=(_row_range(1, len(header)),),
                 widths={0: 28, 3: 28, 5: 18, **{c: 24 for c in range(first, len(header))}})


TRIAL_CELLS = ("label", "row")  # the trial's own cells ahead of the carried columns, in _trial_cells


def _trial_cells(result, indexes: list) -> "np.ndarray":  # noqa: F821
    """Per trial of the sheet: its label, its row, then the value in each column of ``indexes``
    (NOT_IN_SHEET where the index is None): an object array, trials x (2 + columns)."""
    import numpy as np

    studies = result.sheet.studies
    table = np.empty((len(studies), len(TRIAL_CELLS) + len(indexes)), dtype=object)
    table[:, 0] = studies["study"].to_numpy(dtype=object)
    table[:, 1] = studies["row"].astype(int).tolist()
    for c, index in enumerate(indexes, start=len(TRIAL_CELLS)):
        table[:, c] = column_values(result, index) if index is not None else NOT_IN_SHEET
    return table


def _pair_keys(comparison: Comparison, positions) -> list:
    """The Trial, Assessor, Label as written, Row and Matched cells of the paired trials, each an array
    trials x assessors (the label ahead of them, the first assessor's, is made by the caller)."""
    import numpy as np

    count = len(comparison.assessors)
    numbers = np.repeat(np.arange(1, len(positions) + 1)[:, None], count, axis=1)
    names = np.array([comparison.names] * len(positions), dtype=object).reshape(len(positions), count)
    labels = np.stack([a.result.sheet.studies["study"].to_numpy(dtype=object)[positions[:, i]]
                       for i, a in enumerate(comparison.assessors)], axis=1)
    rows = np.stack([a.result.sheet.studies["row"].to_numpy()[positions[:, i]].astype(object)
                     for i, a in enumerate(comparison.assessors)], axis=1)
    kinds = np.repeat(np.array([f"by {kind}" for kind in comparison.pairing.kinds], dtype=object)[:, None], count,
                      axis=1)
    return [numbers.astype(object), names, labels, rows, kinds]


def _difference_fills(values, first: int, count: int) -> dict:
    """A red fill over the assessors' cells of each paired trial and column whose values differ
    (ignoring case and spacing; a sheet without the column has no say)."""
    import numpy as np

    folded = map_distinct(values.ravel(), lambda v: v if v is NOT_IN_SHEET else fold_text(answer_text(v) or ""))
    folded = folded.reshape(values.shape)
    present = folded != NOT_IN_SHEET
    reference = np.where(present, folded, None)
    differs = np.zeros(values.shape[::2], dtype=bool)
    for a in range(count):
        for b in range(a + 1, count):
            differs |= present[:, a] & present[:, b] & (reference[:, a] != reference[:, b])
    return {cell_range(2 + t * count, first + c, 1 + (t + 1) * count, first + c): HIGHLIGHT_COLOUR
            for t, c in zip(*np.nonzero(differs))}


def _provenance_table(comparison: Comparison, time: str, user: str, seal: dict, key) -> Table:
    """Who compared which files, the change log's seal and the Recorded sheet's digest, sealed by a
    digest over the rows above it (as the audited workbook's Provenance is)."""
    result = comparison.assessors[0].result
    rows = [[Key.TIME, time], [Key.USER, user], [Key.RUBRIC, result.rubric.name],
            [Key.RUBRIC_SHA256, result.rubric.sha256], [Key.BANDS, result.bands.name],
            [Key.ASSESSORS, ", ".join(comparison.names)]]
    for assessor in comparison.assessors:
        rows.append([f"{Key.ASSESSOR} {assessor.name}", f"{assessor.path.name} sha256 {assessor.result.input_sha256}"])
    rows += [list(item) for item in seal.items()]
    rows.append([Key.PROVENANCE_DIGEST, table_digest([tuple(r) for r in rows], key)])
    return Table([[DISAGREEMENTS_MARK, "value"], *rows], autofilter=False, freeze=None, widths={0: 28, 1: 80},
                 wrapped=(_row_range(1, 2),))
