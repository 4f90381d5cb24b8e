"""Write the audited workbook: the input, untouched in substance, plus
Scores, Findings, Change log and Provenance sheets.

An .xlsx/.xlsm input is carried over with openpyxl (values, formulas and
formatting; macros kept, never run).  A CSV, .xls or .ods input becomes a new
workbook whose first sheet holds its values.  In the item sheet, rewritten
answers take their canonical form and every cell with a finding is filled by
severity and carries a comment naming the rules.  A re-run on an audited
workbook clears pedro's own marks first and appends to its change log.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..engine import (
    CHANGE_COLUMNS,
    CHANGE_LOG_SHEET,
    FINDINGS_SHEET,
    LOG_COLUMNS,
    PEDRO_SHEETS,
    PROVENANCE_MARK,
    PROVENANCE_SHEET,
    SCORES_SHEET,
    SUMMARY_SHEET,
    ScoreResult,
)
from ..errors import InputError
from .layout import column_letter
from .output import atomic_save, check_output_path, put
from .tables import append

COMMENT_AUTHOR = "pedro"
SEVERITY_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C", "advisory": "DDEBF7"}
HEADER_COLOUR = "D9E1F2"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def default_output(input_path: Path) -> Path:
    suffix = ".xlsm" if input_path.suffix.lower() == ".xlsm" else ".xlsx"
    return input_path.with_name(f"{input_path.stem}.audited{suffix}")


def write_audited(result: ScoreResult, output: Path | None = None, progress=None) -> Path:
    """Write the audited workbook for ``result`` and return its path."""
    from ..audit import audit_key

    progress = progress or (lambda stage, detail="": None)
    output = check_output_path(Path(output) if output else default_output(result.input), result.input)
    key = audit_key()
    progress("loading the workbook to carry over", result.input.name)
    workbook, sheet = _open_original(result)
    progress("writing", output.name)
    changes = _mark_item_sheet(sheet, result)
    names = _pedro_sheet_names(workbook, result)
    for name in PEDRO_SHEETS:
        if names[name] in workbook.sheetnames:
            del workbook[names[name]]
    recorded = recorded_answers(result)
    scores_rows = scores_table(result, recorded)
    _write_summary(workbook.create_sheet(names[SUMMARY_SHEET]), result, recorded)
    _table(workbook.create_sheet(names[SCORES_SHEET]), scores_rows[0], scores_rows[1:], {0: 28})
    _colour_answers(workbook[names[SCORES_SHEET]], 3, len(result.rubric.items), 2, len(scores_rows))
    _write_findings(workbook.create_sheet(names[FINDINGS_SHEET]), result)
    log_rows = hashed_log(result.previous_changes, changes, key)
    write_change_log(workbook.create_sheet(names[CHANGE_LOG_SHEET]), log_rows)
    provenance = dict(result.provenance, output=output.name)
    provenance.update(seal(recorded_cells(result, recorded), scores_rows, log_rows, key))
    write_provenance(workbook.create_sheet(names[PROVENANCE_SHEET]), provenance, key)
    progress("saving", output.name)
    return atomic_save(workbook, output)


def recorded_answers(result: ScoreResult):
    """What each answer cell holds once written: the canonical answer when it
    is recognised, else the raw text (None when blank).  The Scores sheet
    records it and the Provenance sheet digests it, so `pedro audit` can name
    any cell edited afterwards."""
    from ..normalise import answer_text

    answers = result.sheet.answers
    texts = [a if a is not None else answer_text(raw) for a, raw in zip(answers["answer"], answers["raw"])]
    return answers.assign(recorded=texts)


def recorded_cells(result: ScoreResult, recorded) -> list[list]:
    """(row, item, text) per answer cell, in sheet order: what the digest covers."""
    return [[row, item, text] for row, item, text in zip(recorded["row"], recorded["item"], recorded["recorded"])]


def seal(cells, scores_rows, log_rows, key) -> dict[str, str]:
    """The digests the Provenance sheet records (see pedro.audit)."""
    from ..audit import table_digest

    return {
        "answers_digest": table_digest(cells, key),
        "scores_digest": table_digest(scores_rows, key),
        "change_log_rows": str(len(log_rows)),
        "change_log_head": log_rows[-1][-1] if log_rows else "",
    }


def hashed_log(previous, changes, key) -> list[list]:
    """The change log's rows with their chained hashes: the previous rows as
    they were, this run's rows chained after the last of them."""
    from ..audit import chain_hashes

    rows = [list(r) for r in previous[LOG_COLUMNS].itertuples(index=False)] if len(previous) else []
    head = rows[-1][-1] if rows else None
    new = [list(r) for r in changes[CHANGE_COLUMNS].itertuples(index=False)]
    return rows + [r + [h] for r, h in zip(new, chain_hashes(new, head, key))]


def _open_original(result: ScoreResult):
    import openpyxl

    if result.book_kind in ("xlsx", "xlsm"):
        # calamine read it, but openpyxl is stricter about the package's structure.
        try:
            workbook = openpyxl.load_workbook(result.input, keep_vba=result.book_kind == "xlsm", rich_text=True)
        except Exception as exc:  # openpyxl raises many kinds for damaged packages
            raise InputError(
                f"{result.input.name} could be read but not carried into the audited workbook ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else 'damaged package'}); open it in Excel or LibreOffice, "
                "save it again as .xlsx, then run again") from None
        if result.sheet.sheet not in workbook.sheetnames:
            raise InputError(
                f"{result.input.name}: sheet '{result.sheet.sheet}' could be read but openpyxl does not find it in "
                "the workbook's structure; open it in Excel or LibreOffice, save it again as .xlsx, then run again")
        return workbook, workbook[result.sheet.sheet]
    # CSV, .xls, .ods: carry the values into a new workbook.
    from .reader import open_book

    book = open_book(result.input)
    workbook = openpyxl.Workbook()
    first = True
    for name in book.sheet_names:
        sheet = workbook.active if first else workbook.create_sheet()
        sheet.title = _sheet_title(name)
        first = False
        for row in book.grid(name).rows:
            append(sheet, row)
    return workbook, workbook[_sheet_title(result.sheet.sheet)]


def _sheet_title(name: str) -> str:
    return _BAD_SHEET_CHARS.sub("_", name)[:31] or "Sheet"


def _pedro_sheet_names(workbook, result: ScoreResult) -> dict[str, str]:
    """pedro's sheet names; in a workbook not written by pedro, a user's sheet
    of the same name is kept and ours gets ' (pedro)'."""
    audited = bool(result.previous_provenance) or (
        PROVENANCE_SHEET in workbook.sheetnames
        and str(workbook[PROVENANCE_SHEET]["A1"].value).strip().lower() == PROVENANCE_MARK)
    names = {}
    for key in PEDRO_SHEETS:
        names[key] = key if audited or key not in workbook.sheetnames else f"{key} (pedro)"[:31]
    return names


def _mark_item_sheet(sheet, result: ScoreResult):
    """Rewrite answers and mark cells with findings in the item sheet; return
    this run's change rows.  An answer computed by a formula is replaced by its
    value, and logged: openpyxl cannot keep a formula's cached value, so the
    formula would otherwise read back as blank."""
    import pandas as pd
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    from ..normalise import answer_text

    pedro_fills = set(SEVERITY_COLOURS.values())
    for row in sheet.iter_rows():
        for cell in row:
            if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
                cell.comment = None
                colour = (cell.fill.fgColor.rgb or "")[-6:] if cell.fill is not None else ""
                if colour in pedro_fills:
                    cell.fill = PatternFill(fill_type=None)
    changes = result.changes
    formula_rows = []
    answers = result.sheet.answers
    valued = answers[answers["raw"].notna()]  # looking up a blank cell would create it
    for cell_ref, study_index, item, answer, raw in zip(valued["cell"], valued["study_index"], valued["item"],
                                                        valued["answer"], valued["raw"]):
        cell = sheet[cell_ref]
        if cell.data_type != "f":  # a formula with no saved value (raw blank) stays: PD804 says so
            continue
        value = answer if answer is not None else answer_text(raw)
        formula_rows.append({
            "time": result.time, "user": result.user, "sheet": result.sheet.sheet, "cell": cell_ref,
            "study": result.sheet.studies.at[study_index, "study"], "item": int(item), "old": str(cell.value),
            "new": value, "rule": "formula-value",
            "reason": "the answer came from a formula; the audited workbook keeps the value it gave "
                      "(openpyxl cannot keep a formula's cached value)"})
        put(cell, value)
    if formula_rows:
        formula_frame = pd.DataFrame(formula_rows, columns=CHANGE_COLUMNS, dtype=object)
        changes = pd.concat([changes[~changes["cell"].isin(formula_frame["cell"])], formula_frame],
                            ignore_index=True)
    for cell_ref, new in zip(changes["cell"], changes["new"]):
        put(sheet[cell_ref], new)
    findings = result.findings
    on_sheet = findings[(findings["sheet"] == result.sheet.sheet) & findings["cell"].str.match(r"^[A-Z]+\d+$")]
    by_cell: dict[str, list] = {}
    for cell_ref, severity, rule, name, message in zip(on_sheet["cell"], on_sheet["severity"], on_sheet["rule"],
                                                       on_sheet["name"], on_sheet["message"]):
        by_cell.setdefault(cell_ref, []).append((severity, f"{severity} {rule} {name}: {message}"))
    rank = {"error": 0, "warning": 1, "advisory": 2}
    fills = {severity: PatternFill("solid", fgColor=colour) for severity, colour in SEVERITY_COLOURS.items()}
    for cell_ref, entries in by_cell.items():
        cell = sheet[cell_ref]
        cell.fill = fills[min((severity for severity, _ in entries), key=rank.__getitem__)]
        comment = Comment("\n".join(text for _, text in entries), COMMENT_AUTHOR)
        comment.width, comment.height = 360, min(60 + 40 * len(entries), 400)
        cell.comment = comment
    return changes


def _table(sheet, header: list[str], rows, widths: dict[int, int] | None = None) -> None:
    from openpyxl.styles import Font, PatternFill

    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_COLOUR)
    count = 0
    for values in rows:
        append(sheet, values)
        count += 1
    sheet.freeze_panes = "A2"
    if count:
        sheet.auto_filter.ref = f"A1:{column_letter(len(header) - 1)}{count + 1}"
    for index, width in (widths or {}).items():
        sheet.column_dimensions[column_letter(index)].width = width


def scores_table(result: ScoreResult, recorded) -> list[list]:
    """The Scores sheet, header first: per trial the answers as recorded, the
    total and its range, the band under the chosen band set and under every
    band set of the rubric, the band sets in which the total sits on a
    boundary, and counts of findings."""
    rubric, studies, scores = result.rubric, result.sheet.studies, result.scores
    texts = recorded.pivot(index="study_index", columns="item", values="recorded")
    counts = result.findings[result.findings["study_index"].notna()].groupby(["study_index", "severity"]).size()
    band_sets = list(rubric.band_sets.values())
    header = ["Study", "Row", *(item.heading for item in rubric.items), "Total", "Min", "Max",
              f"Band ({result.bands.name})", *(f"Band: {b.name}" for b in band_sets), "On a band boundary in",
              "Errors", "Warnings", "Advisories"]
    texts = texts.reindex(index=studies.index, columns=list(rubric.item_numbers)).astype(object)
    texts = texts.where(texts.notna(), None)
    counts = counts.unstack(fill_value=0).reindex(index=studies.index, columns=["error", "warning", "advisory"],
                                                  fill_value=0) if len(counts) else None
    # Band labels and boundary marks depend only on (min, max): compute each pair once.
    by_range = {}
    for low, high in set(zip(scores["min_total"].tolist(), scores["max_total"].tolist())):
        by_range[(low, high)] = [*(b.band_of_range(low, high) for b in band_sets),
                                 ", ".join(b.name for b in band_sets if low == high and b.on_boundary(low)) or None]
    finding_counts = counts.itertuples(index=False) if counts is not None else ((0, 0, 0) for _ in studies.index)
    rows = [header]
    for study, row, answers, low, high, band, found in zip(
            studies["study"].tolist(), studies["row"].tolist(), texts.itertuples(index=False),
            scores["min_total"].tolist(), scores["max_total"].tolist(), scores["band"].tolist(), finding_counts):
        rows.append([study, int(row), *answers, None if low != high else low, low, high, band,
                     *by_range[(low, high)], *(int(n) for n in found)])
    return rows


def _write_findings(sheet, result: ScoreResult) -> None:
    from openpyxl.styles import PatternFill

    columns = ["rule", "name", "severity", "sheet", "cell", "study", "item", "value", "message"]
    _table(sheet, [c.capitalize() for c in columns], result.findings[columns].itertuples(index=False),
           {1: 30, 5: 24, 8: 100})
    for row in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        colour = SEVERITY_COLOURS.get(row[0].value)
        if colour:
            row[0].fill = PatternFill("solid", fgColor=colour)


def write_change_log(sheet, log_rows) -> None:
    _table(sheet, [c.capitalize() for c in LOG_COLUMNS], log_rows, {0: 22, 4: 24, 9: 60, 10: 30})


def write_provenance(sheet, provenance: dict, key) -> None:
    """Key-value rows, sealed by a digest over all of them (last row)."""
    from ..audit import table_digest

    rows = list(provenance.items())
    rows.append(("provenance_digest", table_digest(rows, key)))
    _table(sheet, [PROVENANCE_MARK, "value"], rows, {0: 24, 1: 80})


ANSWER_COLOURS = {"Y": "C6EFCE", "N": "FFC7CE", "?": "FFEB9C"}
MISSING_COLOUR = "D9D9D9"


def _colour_answers(sheet, first_column: int, n_items: int, first_row: int, last_row: int) -> None:
    """Traffic-light conditional formatting on an answer block (columns are
    1-based): green Y, red N, amber ?, grey blank.  Rules, not fills: they
    follow later edits."""
    from openpyxl.formatting.rule import CellIsRule, FormulaRule
    from openpyxl.styles import PatternFill

    if last_row < first_row:
        return
    first, last = column_letter(first_column - 1), column_letter(first_column + n_items - 2)
    block = f"{first}{first_row}:{last}{last_row}"
    for answer, colour in ANSWER_COLOURS.items():
        sheet.conditional_formatting.add(block, CellIsRule(operator="equal", formula=[f'"{answer}"'],
                                                           fill=PatternFill("solid", fgColor=colour)))
    sheet.conditional_formatting.add(block, FormulaRule(formula=[f"ISBLANK({first}{first_row})"],
                                                        fill=PatternFill("solid", fgColor=MISSING_COLOUR)))


def _write_summary(sheet, result: ScoreResult, recorded) -> None:
    """Band counts with an Excel bar chart, and a traffic light of every trial."""
    from collections import Counter

    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    rubric, scores = result.rubric, result.scores
    sheet.append([f"PEDro scores of {len(result.sheet.studies)} trial(s) from {result.input.name}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([f"Band set {result.bands.name}: {result.bands.describe()}. {result.bands.caveat}"])
    sheet.append([])
    sheet.append(["Band", "Trials"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    counts = Counter(b for b in scores["band"] if b is not None)
    for label in result.bands.labels:
        sheet.append([label, counts.get(label, 0)])
    unbanded = int(scores["band"].isna().sum())
    sheet.append(["no band (answers missing)", unbanded])
    last_band_row = 5 + len(result.bands.labels)
    chart = BarChart()
    chart.type, chart.style, chart.legend = "col", 10, None
    chart.title, chart.y_axis.title = f"Trials per band ({result.bands.name})", "trials"
    chart.add_data(Reference(sheet, min_col=2, min_row=4, max_row=last_band_row), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=5, max_row=last_band_row))
    chart.height, chart.width = 7, 12
    sheet.add_chart(chart, "E4")
    sheet.append([])
    start = last_band_row + 2
    sheet.append(["Study", *(str(n) for n in rubric.item_numbers), "Total", "Band"])
    for cell in sheet[start]:
        cell.font = Font(bold=True)
    texts = recorded.pivot(index="study_index", columns="item", values="recorded").reindex(
        columns=list(rubric.item_numbers))
    for label, answers, total, band in zip(result.sheet.studies["study"], texts.itertuples(index=False),
                                           scores["total"], scores["band"]):
        append(sheet, [label, *answers, total, band])
    _colour_answers(sheet, 2, len(rubric.items), start + 1, start + len(texts))
    sheet.column_dimensions["A"].width = 28
    for n in range(len(rubric.items)):
        sheet.column_dimensions[column_letter(n + 1)].width = 4
    sheet.freeze_panes = f"B{start + 1}"
