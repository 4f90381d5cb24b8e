"""Write the audited workbook: the input, untouched in substance, plus
Summary, Scores, Findings, Change log, Provenance and Recorded cells sheets.

What goes into the workbook is decided here, once: the cells of the item
sheet to rewrite or mark (``ItemMarks``) and pedro's sheets as ``Table``
records.  Two writers carry it out.  ``pedro.write.package`` edits the .xlsx
package directly: the input's parts are copied as they are, only the marked
rows of the item sheet are rewritten, and pedro's sheets are streamed in; it
is the writer at the scale of the PEDro database (issue 6).  openpyxl is the
fallback for the packages that writer declines (it says why, ``Unsupported``).
Nothing of the input is lost silently: what a writer could not carry over (a
.xlsx holds no macros; openpyxl drops sparklines, text boxes...: see
``pedro.write.carry``) is named in the Provenance sheet and told to the caller.
A CSV, .xls or .ods input becomes a new workbook whose sheets hold its values.

In the item sheet, rewritten answers take their canonical form, an answer
computed by a formula is replaced by its value (logged), and every cell with a
finding is filled by severity and its comment names the rules: under a
separator line in the assessor's own comment where the cell has one (one
comment per cell), else in a comment of pedro's.  A re-run on an audited
workbook clears pedro's own marks first (its part of each comment, nothing
else) and appends to its change log.
"""

from __future__ import annotations

import io
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..audit.chain import audit_key
from ..audit.log import hashed_log, logged_changes, with_formula_changes
from ..audit.record import record_rows, table_of
from ..audit.workbook import (
    CHANGE_LOG_SHEET,
    FINDINGS_SHEET,
    LOG_COLUMNS,
    MAX_COLUMN,
    MIN_COLUMN,
    PEDRO_SHEETS,
    PROVENANCE_SHEET,
    RECORDED_SHEET,
    REPORTED_TOTAL_COLUMN,
    ROW_COLUMN,
    SCORES_SHEET,
    STUDY_COLUMN,
    SUMMARY_SHEET,
    TOTAL_COLUMN,
    Key,
    band_column,
    column_headers,
    pedro_sheet_names,
    provenance_rows,
    seal,
    subtotal_columns,
)
from ..engine import ScoreResult, check_history, continue_history
from ..errors import InputError
from ..normalise import SUBTOTAL_SCORE, answer_text, reported_subtotals
from ..scoring import reported_totals, subtotal_scores
from ..sheets.reader import open_book
from . import carry, tables
from . import package as ooxml
from .carry import NotCarriedOver
from .files import atomic_write, check_output_path, put
from .item_sheet import ItemSheet
from .style import (
    ANSWER_NAMES,
    COMMENT_AUTHOR,
    SEVERITY_COLOURS,
    BarChart,
    Table,
    append,
    clear_marks,
    header_widths,
    mark_cells,
    print_item_sheet,
    render,
)

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
SAMPLED_ROWS = 200  # the Scores sheet's widths fit its header and its first rows (not 60,000 of them)


def default_output(input_path: Path) -> Path:
    suffix = ".xlsm" if input_path.suffix.lower() == ".xlsm" else ".xlsx"
    return input_path.with_name(f"{input_path.stem}.audited{suffix}")


def write_audited(result: ScoreResult, output: Path | None = None, progress=None, warn=None) -> Path:
    """Write the audited workbook for ``result`` and return its path.

    Whatever of the input it could not carry over is never lost silently: the
    Provenance sheet names it (``Key.NOT_CARRIED_OVER``) and ``warn`` is told
    in one sentence (by default, a ``NotCarriedOver`` warning)."""
    progress = progress or (lambda stage, detail="": None)
    output = check_output_path(Path(output) if output else default_output(result.input), result.input)
    if result.audited:  # its change log goes on: intact and under the key it was sealed with, or not at all
        check_history(result.input.name, result.previous_provenance, result.previous_changes)
    result = continue_history(result, output)  # writing over an earlier audited workbook of this input
    key = audit_key()
    try:
        written, lost = _write_package(result, output, key, progress)
    except ooxml.Unsupported as reason:
        progress("carrying the workbook over with openpyxl", str(reason))
        written, lost = _write_with_openpyxl(result, output, key, progress)
    if lost:
        sentence = f"{written.name}: not carried over: {'; '.join(lost)}"
        if warn is None:
            warnings.warn(sentence, NotCarriedOver, stacklevel=2)
        else:
            warn(sentence)
    return written


def pedro_tables(result: ScoreResult, changes, output_name: str, key, lost=()) -> dict:
    """pedro's sheets as ``Table`` records, by their standard names; ``lost``:
    what of the input the workbook could not carry over (one phrase each)."""
    recorded = recorded_answers(result)
    scores_rows = scores_table(result, recorded)
    log_rows = hashed_log(result.previous_changes, logged_changes(result, changes), key)
    table_rows = recorded_table_rows(result, changes, key)
    provenance = dict(result.provenance, **{Key.OUTPUT: output_name})
    if lost:
        provenance[Key.NOT_CARRIED_OVER] = "; ".join(lost)
    provenance.update(seal(recorded_cells(result, recorded), scores_rows, log_rows, key, table_rows))
    blocks = [(3 + first, count, 2, len(scores_rows), points) for first, count, points in _answer_runs(result.rubric)]
    return {
        SUMMARY_SHEET: summary_table(result, recorded),
        SCORES_SHEET: Table(scores_rows, widths=header_widths(scores_rows[0], scores_rows[1:SAMPLED_ROWS], most=48),
                            wrap_header=True, centred=scores_centred(scores_rows[1:SAMPLED_ROWS]), legible=True,
                            answer_blocks=blocks),
        FINDINGS_SHEET: findings_table(result),
        CHANGE_LOG_SHEET: change_log_table(log_rows),
        PROVENANCE_SHEET: provenance_table(provenance, key),
        RECORDED_SHEET: Table(table_rows, autofilter=False, freeze="C3", widths={1: 24, 2: 24, 3: 100}, hidden=True),
    }


def recorded_table_rows(result: ScoreResult, changes, key) -> list[list]:
    """The Recorded cells sheet (``pedro.audit.record``): every cell of the
    item sheet's table as this workbook holds it, pedro's own rewrites
    (``changes``) included, so that `pedro audit` and a later run can name any
    cell, row or column changed afterwards."""
    return record_rows(table_of(result.sheet, dict(zip(changes["cell"], changes["new"]))), key)


@dataclass
class ItemMarks:
    """What pedro does to the item sheet: values to write, fills, comments."""

    values: dict  # {cell: new value}
    severities: dict  # {cell: the most serious severity of its findings}
    comments: dict  # {cell: comment text}


def item_marks(result: ScoreResult, changes) -> ItemMarks:
    findings = result.findings
    on_sheet = findings[(findings["sheet"] == result.sheet.sheet) & findings["cell"].str.match(r"^[A-Z]+\d+$")]
    by_cell: dict[str, list] = {}
    for cell_ref, severity, rule, name, message in zip(on_sheet["cell"], on_sheet["severity"], on_sheet["rule"],
                                                       on_sheet["name"], on_sheet["message"]):
        by_cell.setdefault(cell_ref, []).append((severity, f"{severity} {rule} {name}: {message}"))
    rank = {"error": 0, "warning": 1, "advisory": 2}
    return ItemMarks(
        values=dict(zip(changes["cell"], changes["new"])),
        severities={c: min((s for s, _ in entries), key=rank.__getitem__) for c, entries in by_cell.items()},
        comments={c: "\n".join(text for _, text in entries) for c, entries in by_cell.items()})


def comment_height(text: str) -> int:
    return min(60 + 40 * (text.count("\n") + 1), 400)


def _write_package(result: ScoreResult, output: Path, key, progress) -> tuple[Path, list[str]]:
    """The audited workbook by editing the package (see ``pedro.write.package``),
    and what of the input it leaves out (a .xlsx holds no macros)."""
    progress("reading the workbook to carry over", result.input.name)
    if result.book_kind in ("xlsx", "xlsm"):
        package = ooxml.Package.read(result.input)
        item_name = result.sheet.sheet
    else:
        package = _package_of_values(result)
        item_name = _sheet_title(result.sheet.sheet)
    lost = ooxml.fit_to_suffix(package, output.name)
    entries = package.sheets()
    item = next((e for e in entries if e.name == item_name), None)
    if item is None:
        raise ooxml.Unsupported(f"sheet '{item_name}' is not in the workbook's structure")
    names = pedro_sheet_names([e.name for e in entries], result.audited)
    ooxml.drop_sheets(package, [e for e in entries if e.name in names.values() and e is not item])
    styles_part = ooxml.styles_part(package)
    styles = ooxml.Styles(package.text(styles_part))
    progress("writing", output.name)
    sheet = ItemSheet(package, item.part, styles)
    # Most sheets have no formula: then the answers' cells are not needed (``RatedSheet.cells_of``).
    changes = with_formula_changes(result, sheet.formulas_among(result.sheet.cells_of(result.sheet.answers))
                                   if sheet.formula_elements() else {})
    marks = item_marks(result, changes)
    fills = {severity: styles.fill(colour) for severity, colour in SEVERITY_COLOURS.items()}
    sheet.mark(values=marks.values, fills={c: fills[s] for c, s in marks.severities.items()},
               comments={c: (text, comment_height(text)) for c, text in marks.comments.items()},
               author=COMMENT_AUTHOR, clear_colours=set(SEVERITY_COLOURS.values()))
    tables.print_item_sheet(package, item.part, result.sheet.layout.header_row)
    streamed = {}
    for name, table in pedro_tables(result, changes, output.name, key, lost).items():
        streamed.update(tables.add_table_sheet(package, names[name], table, styles))
    package.put(styles_part, b"")  # written last: the sheets add the formats they use as they stream
    streamed[styles_part] = lambda: [styles.to_xml()]
    ooxml.drop_dangling_relationships(package)
    progress("saving", output.name)
    return atomic_write(output, lambda temporary: package.save(temporary, streamed)), lost


def _package_of_values(result: ScoreResult):
    """A new package holding the values of a CSV, .xls or .ods input, one sheet each."""
    book = open_book(result.input)
    package = ooxml.Package.blank()
    for name in book.sheet_names:
        table = Table(book.grid(name).rows, header_row=None, autofilter=False, freeze=None)
        tables.add_values_sheet(package, _sheet_title(name), table)
    return package


def _write_with_openpyxl(result: ScoreResult, output: Path, key, progress) -> tuple[Path, list[str]]:
    """The audited workbook through openpyxl, and what of the input it could
    not carry over: openpyxl's package is compared with the input's
    (``pedro.write.carry``), and the Provenance sheet names what is missing."""
    progress("loading the workbook to carry over", result.input.name)
    original, before = _features_of_input(result)
    workbook, sheet = _open_original(result)
    progress("writing", output.name)
    names = pedro_sheet_names(workbook.sheetnames, result.audited)
    changes = _mark_item_sheet(sheet, result)
    replaced = [names[name] for name in PEDRO_SHEETS if names[name] in workbook.sheetnames]
    for name in replaced:
        del workbook[name]
    progress("saving", output.name)
    for name, table in pedro_tables(result, changes, output.name, key).items():
        render(workbook.create_sheet(names[name]), table)
    package, lost = _as_package(workbook, original, before, output, replaced)
    if lost:  # pedro's sheets again, the Provenance sheet naming what was lost (it depends on the input alone)
        for name, table in pedro_tables(result, changes, output.name, key, lost).items():
            del workbook[names[name]]
            render(workbook.create_sheet(names[name]), table)
        package, _ = _as_package(workbook, original, before, output, replaced)
    return atomic_write(output, package.save), lost


def _features_of_input(result: ScoreResult):
    """(the input's package, its ``carry.features``), or (None, the reason they
    cannot be had); (None, None) for an input that is not an .xlsx package."""
    if result.book_kind not in ("xlsx", "xlsm"):
        return None, None
    try:
        original = ooxml.Package.read(result.input)
        return original, carry.features(original)
    except (ooxml.Unsupported, KeyError, ValueError, SyntaxError) as exc:  # SyntaxError: XML that does not parse
        return None, str(exc) or type(exc).__name__


def _as_package(workbook, original, before, output: Path, replaced) -> tuple:
    """openpyxl's workbook as a package, with what needs no openpyxl model put
    back (``carry.restore``), and the phrases naming what it lacks of the input."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    package = ooxml.Package.read(buffer)
    lost = carry.restore(package, original, output.name, skip=replaced)
    if isinstance(before, str):
        lost.append(f"whatever openpyxl does not keep (pedro could not compare the workbooks: {before})")
    elif before is not None:
        lost = carry.not_carried_over(before, carry.features(package), skip=replaced) + lost
    return package, lost


def recorded_answers(result: ScoreResult):
    """What each answer cell holds once written: the canonical answer when it
    is recognised, else the raw text (None when blank).  The Scores sheet
    records it and the Provenance sheet digests it, so `pedro audit` can name
    any cell edited afterwards."""
    answers = result.sheet.answers
    texts = [a if a is not None else answer_text(raw) for a, raw in zip(answers["answer"], answers["raw"])]
    return answers.assign(recorded=texts)


def recorded_cells(result: ScoreResult, recorded) -> list[list]:
    """(row, item, text) per answer cell, in sheet order: what the digest covers."""
    # As lists: the texts are a pandas string column, which yields its values one call each (110,000 at 10,000 trials).
    return [[row, item, text] for row, item, text in zip(recorded["row"].tolist(), recorded["item"].tolist(),
                                                         recorded["recorded"].tolist())]


def _open_original(result: ScoreResult):
    import openpyxl

    if result.book_kind in ("xlsx", "xlsm"):
        # calamine read it, but openpyxl is stricter about the package's structure.
        try:
            with warnings.catch_warnings():  # "extension ... will be removed": pedro names what was, after saving
                warnings.simplefilter("ignore")
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


def _mark_item_sheet(sheet, result: ScoreResult):
    """Rewrite answers and mark cells with findings in the item sheet (an
    openpyxl worksheet); return this run's change rows."""
    clear_marks(sheet)
    answers = result.sheet.answers
    valued = answers[answers["raw"].notna()]  # looking up a blank cell would create it
    formulas = {ref: str(sheet[ref].value) for ref in result.sheet.cells_of(valued) if sheet[ref].data_type == "f"}
    changes = with_formula_changes(result, formulas)
    marks = item_marks(result, changes)
    for cell_ref, new in marks.values.items():
        put(sheet[cell_ref], new)
    mark_cells(sheet, marks.severities, {c: (text, comment_height(text)) for c, text in marks.comments.items()})
    print_item_sheet(sheet, result.sheet.layout.header_row)
    return changes


def scores_table(result: ScoreResult, recorded) -> list[list]:
    """The Scores sheet, header first: per trial the answers as recorded, the
    total and its range, the band under the chosen band set and under every
    band set of the rubric, the band sets in which the total sits on a
    boundary, and counts of findings."""
    rubric, studies, scores = result.rubric, result.sheet.studies, result.scores
    printed = reported_subtotals(result.sheet, rubric)
    # A criterion's points that are not valid are marked "!" as in the Summary: a "4" must not pass for a score.
    texts = _marked_answers(result, recorded)
    counts = result.findings[result.findings["study_index"].notna()].groupby(["study_index", "severity"]).size()
    band_sets = list(rubric.band_sets.values())
    # The printed total beside the computed one, and by how much it differs (printed minus computed).
    header = [STUDY_COLUMN, ROW_COLUMN, *(item.heading for item in rubric.items), TOTAL_COLUMN,
              REPORTED_TOTAL_COLUMN, f"{REPORTED_TOTAL_COLUMN} - {TOTAL_COLUMN}", MIN_COLUMN,
              MAX_COLUMN, *(heading for s in rubric.subtotals for heading in _subtotal_headings(s, rubric, printed)),
              band_column(result.bands.name), *(f"Band: {b.name}" for b in band_sets),
              "On a band boundary in", "Errors", "Warnings", "Advisories"]
    # A subtotal is its points, blank while one of its items is unknown (as the total).
    subtotals = subtotal_scores(result.sheet.answer_table, rubric, len(studies)).frame()[
        [s.name for s in rubric.subtotals]]
    subtotal_rows = [[value for s, p in zip(rubric.subtotals, parts) for value in (
        None if p is None else int(p), *([printed[s.name][k]] if s.name in printed else []))]
        for k, parts in enumerate(subtotals.astype(object).where(subtotals.notna(), None).itertuples(index=False))]
    reported, differences = reported_totals(result.sheet, result.score_table, rubric)
    texts = texts.reindex(index=studies.index)
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
    for study, row, answers, low, high, band, found, printed, difference, parts in zip(
            studies["study"].tolist(), studies["row"].tolist(), texts.itertuples(index=False),
            scores["min_total"].tolist(), scores["max_total"].tolist(), scores["band"].tolist(), finding_counts,
            reported, differences, subtotal_rows):
        rows.append([study, int(row), *answers, None if low != high else low, printed, difference, low, high,
                     *parts, band, *by_range[(low, high)],
                     *(int(n) for n in found)])
    return rows


def _subtotal_headings(subtotal, rubric, printed: dict) -> list[str]:
    """A subtotal's columns in the Scores sheet: computed, then as the sheet printed it where it does."""
    return subtotal_columns(subtotal, rubric, subtotal.name in printed)


def scores_centred(rows: list) -> tuple:
    """The columns of ``rows`` (a sample below the header) holding numbers and answer letters only:
    centred, as right-aligned a number ran into the answer or band beside it ("5Y", "8good")."""
    width = max((len(row) for row in rows), default=0)
    return tuple(column for column in range(width) if all(
        row[column] is None or isinstance(row[column], (int, float)) or len(str(row[column])) <= 1
        for row in rows if column < len(row)))


def findings_table(result: ScoreResult) -> Table:
    columns = ["rule", "name", "severity", "sheet", "cell", "study", "item", "value", "message"]
    findings = result.findings
    rows = [column_headers(columns), *(list(r) for r in zip(*(findings[c].tolist() for c in columns)))]
    # Each column as wide as its header and first values (the sheet's name was cut at the default width),
    # the message at 100 characters, past which it runs on beyond the table's last column.
    widths = {**header_widths(rows[0], rows[1:SAMPLED_ROWS]), 8: 100}
    return Table(rows, widths=widths, severity_column=2, legible=True, centred=(columns.index("item"),))


def change_log_table(log_rows) -> Table:
    """The Change log sheet: the schema's columns, then the chained rows."""
    return Table([column_headers(LOG_COLUMNS), *log_rows], widths={0: 22, 4: 24, 9: 60, 10: 30})


def provenance_table(provenance: dict, key) -> Table:
    """The Provenance sheet: key-value rows sealed by their digest (``pedro.audit.workbook``)."""
    return Table(provenance_rows(provenance, key), widths={0: 24, 1: 80})


def summary_table(result: ScoreResult, recorded) -> Table:
    """Band counts with an Excel bar chart, and a traffic light of every trial.

    The traffic light keeps each cell's recorded answer (the letters are the
    signal; the colours repeat them) under a legend; the chart stands to the
    right of the traffic light, below its frozen header, where no cell is
    filled whatever the number of trials or items.  A rubric's subtotals follow
    the total; a criterion's points that are not valid are marked "!"."""
    rubric, scores = result.rubric, result.scores
    rows = _summary_head(result)
    last_band_row = 5 + len(result.bands.labels)
    start = len(rows) + 1  # the traffic light's header: last_band_row + 3, a row lower with a points legend
    subtotals = [f"{s.label} (/{rubric.subtotal_points(s)})" for s in rubric.subtotals]
    header = [STUDY_COLUMN, *(str(n) for n in rubric.item_numbers), TOTAL_COLUMN, *subtotals, "Band"]
    rows.append(header)
    texts = _marked_answers(result, recorded)
    points = [[None if _isna(v) else int(v) for v in values] for values in zip(
        *(scores[f"{SUBTOTAL_SCORE}{s.name}"].astype(object).tolist() for s in rubric.subtotals))] \
        if subtotals else [[] for _ in range(len(texts))]
    for label, answers, total, band, parts in zip(result.sheet.studies["study"].tolist(),
                                                  texts.itertuples(index=False), scores["total"].tolist(),
                                                  scores["band"].tolist(), points):
        rows.append([label, *answers, total, *parts, band])
    items = len(rubric.items)
    chart = BarChart(title=f"Trials per band ({result.bands.name})", y_title="trials", category_column=1,
                     data_column=2, title_row=4, first_row=5, last_row=last_band_row,
                     anchor_column=len(header) + 2, anchor_row=start + 1) if result.bands.bands else None
    # The total centred in a column as wide as its header, the band in one as wide as the longest label
    # (plus room): right-aligned against the band's text, a total read "8good".
    band_width = max((len(label) for label in result.bands.labels), default=4) + 3
    extra = {items + 2 + k: max(len(text) + 1, 8) for k, text in enumerate(subtotals)}
    # A criterion's points ("2") coloured by how many of them it got, in the answers' palette
    blocks = [(2 + first, count, start + 1, start + len(texts), points)
              for first, count, points in _answer_runs(rubric)]
    return Table(rows, header_row=None, autofilter=False, freeze=f"B{start + 1}", title_row=1, bold_rows=(4, start),
                 widths={0: 28 if result.bands.bands else max(28, len(rows[4][0]) + 2),
                         **{n + 1: 4 for n in range(items)}, items + 1: 8, **extra,
                         items + 2 + len(subtotals): max(band_width, 12), len(header): 3},
                 centred=(items + 1, *extra), legible=True, chart=chart, answer_blocks=blocks,
                 print_rows=(start, start))


def _isna(value) -> bool:
    """None, NaN or pandas' NA (a subtotal not known)."""
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _summary_head(result: ScoreResult) -> list[list]:
    """The Summary's title, band set, band counts and legend (rows 1 to the one above the traffic light)."""
    rubric, bands, scores = result.rubric, result.bands, result.scores
    counts = Counter(b for b in scores["band"] if b is not None)
    if bands.bands:
        described, caveat, unbanded = f"Band set {bands.name}: {bands.describe()}.", bands.caveat or None, \
            "no band (answers missing)"
    else:  # why there is none said once, in the count's label (column A is made wide enough for it)
        described, caveat, unbanded = "No band set: totals are not classed into quality bands.", None, \
            bands.describe()
    legend = [["Answers: " + ", ".join(f"{answer or 'blank'} = {name}" for answer, name in ANSWER_NAMES.items())]]
    several = [item for item in rubric.items if not item.yes_no]
    if several:  # a line of its own (the traffic light starts one row lower); colours as ``answer_rules`` gives them
        ranges = ", ".join(f"{item.number}: 0-{item.points}" for item in several)
        legend.append([f"Points ({rubric.item_plural} {ranges}): all of them coloured as Y, some in gold, none (0) as "
                       "N; !x = not a valid number of points, an error (see Findings), in pink."])
    return [[f"{rubric.short_name} scores of {len(result.sheet.studies)} trial(s) from {result.input.name}"],
            [described], [caveat], ["Band", "Trials"], *([label, counts.get(label, 0)] for label in bands.labels),
            [unbanded, int(scores["band"].isna().sum())], [], *legend]


def _marked_answers(result: ScoreResult, recorded):
    """The recorded answers, one column per item (rows by study index), for the Summary and Scores sheets; a
    criterion's points that are not a valid answer (an out-of-range "4", "two", a part's "2") prefixed "!",
    so that it does not pass for a score."""
    rubric = result.rubric
    texts = recorded.pivot(index="study_index", columns="item", values="recorded").reindex(
        columns=list(rubric.item_numbers)).astype(object)
    texts = texts.where(texts.notna(), None)
    several = {item.number for item in rubric.items if not item.yes_no}
    for index, item, _ in result.sheet.unrecognised():
        if item in several and index in texts.index and texts.at[index, item] is not None:
            texts.at[index, item] = f"!{texts.at[index, item]}"
    return texts


def _answer_runs(rubric) -> list[tuple[int, int, int]]:
    """(first, count, points) of each run of adjacent items worth the same points (1: yes/no items), counted
    from 0 in the rubric's order: the blocks of answers coloured alike."""
    runs: list[list[int]] = []
    for position, item in enumerate(rubric.items):
        if runs and runs[-1][0] + runs[-1][1] == position and runs[-1][2] == item.points:
            runs[-1][1] += 1
        else:
            runs.append([position, 1, item.points])
    return [(first, count, points) for first, count, points in runs]
