"""Verify an audited workbook (`pedro audit`): are the totals and bands what the
item cells say, was anything edited after scoring, and how would the bands
move under other conventions?

First ``check_key``: a workbook sealed with a key is not audited without that
key (nor one sealed without a key with a key set), since every hash would then
read as tampered; it says which it is, and `pedro audit` exits 2.  Then one
small function per check, each returning rows of one findings table
(``AuditFinding``), in the order the report lists them:
- ``provenance_findings``: the Provenance sheet's own digest (its rows were not changed);
- ``change_log_findings``: the change-log hash chain, and its length and head
  against the Provenance;
- ``scores_sheet_findings``: the Scores sheet against the digest recorded when it was written;
- ``recorded_cells_findings``: the Recorded cells sheet (the item sheet's
  table as scored, ``pedro.audit.record``) against its digests;
- ``answers_digest_findings``, ``row_number_findings``, ``answer_edit_findings``:
  the item sheet's table against what was recorded at scoring time, naming
  every cell edited and every trial row or column added, deleted or moved (in
  a workbook written before pedro recorded the whole table, the answer cells
  against the Scores sheet);
- ``recomputed_score_findings``: every total, range and band recomputed from
  the item cells against Scores.
``verify_workbook`` runs them and ``audit_report`` composes the report from
their rows; ``band_sensitivity`` adds how the bands move under other band sets.
"""

from __future__ import annotations

import hmac
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..engine import ScoreResult, score_file
from ..errors import InputError
from ..normalise import SUBTOTAL_SCORE, answer_text
from ..rubric import Rubric, load_rubric, packaged_rubric_files
from ..sheets.cells import column_index, column_letter
from ..sheets.reader import Book, open_book
from .chain import (
    KEY_ENV,
    UNKEYED,
    MissingKey,
    audit_key,
    canonical,
    key_fingerprint,
    row_digest,
    verify_chain,
    verify_digest,
)
from .record import (
    EDITED,
    RELABELLED,
    CellTable,
    line_name,
    read_record,
    recorded_lines,
    recorded_row,
    recorded_table,
    table_of,
)
from .workbook import (
    CHANGE_LOG_SHEET,
    LOG_COLUMNS,
    MAX_COLUMN,
    MIN_COLUMN,
    PROVENANCE_SHEET,
    RECORDED_SHEET,
    ROW_COLUMN,
    SCORES_SHEET,
    STUDY_COLUMN,
    TOTAL_COLUMN,
    Key,
    band_column,
    is_audited,
    pedro_sheet,
    recorded_seal,
    subtotal_columns,
)


class Check:
    """The checks' names: the ``check`` column of the findings table."""

    PROVENANCE = "provenance-digest"
    CHANGE_LOG = "change-log-chain"
    SCORES_SHEET = "scores-digest"
    RECORDED = "recorded-cells-digest"
    ANSWERS = "answers-digest"
    ROW_NUMBERS = "scores-row-number"
    ANSWER_EDITS = "answer-edited"  # an answer against the Scores sheet (a workbook without Recorded cells)
    CELL_EDITS = "cell-edited"  # any cell of the table against the Recorded cells
    TABLE = "table-changed"  # a trial row or a column added, deleted or moved; the header moved
    SCORES = "score-recomputed"


@dataclass(frozen=True)
class AuditFinding:
    """One row of the audit's findings table.  ``message`` is the discrepancy
    as the report words it; the other columns say where it points and, for an
    edited answer or a recomputed score, what was expected and what was found."""

    check: str  # a Check name
    message: str
    sheet: str | None = None
    cell: str | None = None  # 'D4'; 'row 7' for a scored trial the item sheet no longer has
    log_row: int | None = None  # the change log's first bad row, numbered from 1 under its header
    study: str | None = None
    item: int | None = None
    column: str | None = None  # the Scores column of a recomputed total, range or band
    expected: str | None = None  # the answer the Scores sheet recorded, or the score recomputed now
    found: str | None = None  # what the workbook holds there now
    change: str | None = None  # a table change: pedro.audit.record's kind ('deleted', 'moved', 'column added', ...)


@dataclass(frozen=True)
class AuditedWorkbook:
    """An audited workbook as it is now: pedro's sheets read back, before any check."""

    book: Book
    key: bytes | None
    sheets: dict[str, str | None]  # pedro's sheet (SCORES_SHEET, ...) -> its name in this workbook
    provenance_rows: list[list]  # key-value rows under the header, the sealing digest among them
    provenance: dict[str, str]
    log: list[list]  # change-log rows under the header, each as wide as LOG_COLUMNS, hash last
    scores: list[list]  # the Scores sheet, header first, each row as wide as the header
    column: dict[str, int]  # Scores header -> column index
    record: list[list] | None = None  # the Recorded cells sheet, header first; None where it has none
    table: CellTable | None = None  # the table it records; None where there is none to read


@dataclass(frozen=True)
class Rescored:
    """The item cells now, scored again under the recorded band set, beside
    the Scores rows that recorded them."""

    result: ScoreResult
    cells: list[list]  # [row, item, answer text] per answer cell: what the answers digest covers
    digest_matches: bool  # computed once: it reads every answer cell
    digest_problem: str | None  # why the answers digest could not be checked
    scores_by_row: dict[int, list]  # Scores rows by the item-sheet row of their trial
    scores_line: dict[int, int]  # and the line each is on in the Scores sheet
    row_of_label: dict[str, int]  # the item-sheet row of each trial label the Scores sheet has once
    covered: bool = False  # the workbook recorded the whole table (Recorded cells), not only the answers
    # {a trial's item-sheet row now: its row at scoring} by the recorded table (``record.recorded_lines``);
    # None where there is no record.  A trial added since has no entry.
    row_then: dict[int, int] | None = None


def verify_workbook(path: str | Path, band_names: list[str] | None = None,
                    rubric: Rubric | str | Path | None = None) -> dict:
    """`pedro audit`: every check's findings, in order, and the band sensitivity, as one report.
    ``rubric``: the rubric file the workbook was scored with, where it is not one pedro ships."""
    audited = open_audited(path)
    check_key(audited)
    rubric = recorded_rubric(audited.provenance, rubric, audited.book.path.name)
    findings = [*provenance_findings(audited), *change_log_findings(audited), *scores_sheet_findings(audited),
                *recorded_cells_findings(audited)]
    rescored = rescore(audited, rubric)
    findings += [*answers_digest_findings(rescored), *row_number_findings(audited),
                 *answer_edit_findings(audited, rescored), *recomputed_score_findings(audited, rescored)]
    return audit_report(audited, rescored.result, findings, band_names)


def _sheet_rows(grid, width: int | None = None) -> list[list]:
    """A sheet's rows that hold anything, each padded or cut to ``width``."""
    rows = [list(r) for r in grid.rows if any(v is not None for v in r)]
    if width is not None:
        rows = [(r + [None] * width)[:width] for r in rows]
    return rows


def open_audited(path: str | Path) -> AuditedWorkbook:
    """Read pedro's sheets back; an InputError where the workbook is not one pedro wrote, or lacks one."""
    key = audit_key()
    book = open_book(path)
    if not is_audited(book):
        raise InputError(f"{book.path.name} is not an audited workbook: it has no {PROVENANCE_SHEET} sheet written "
                         "by pedro score; run `pedro score` on the item sheet first")
    sheets = {name: pedro_sheet(book.sheet_names, name)
              for name in (SCORES_SHEET, CHANGE_LOG_SHEET, PROVENANCE_SHEET, RECORDED_SHEET)}
    if sheets[SCORES_SHEET] is None and sheets[CHANGE_LOG_SHEET] is not None:  # pedro consensus wrote it
        raise InputError(f"{book.path.name} has not been scored: it has pedro's change log but no "
                         f"'{SCORES_SHEET}' sheet (a consensus item sheet, say); run `pedro score {book.path.name}` "
                         "and audit the workbook it writes")
    for needed in (SCORES_SHEET, CHANGE_LOG_SHEET):
        if sheets[needed] is None:
            raise InputError(f"{book.path.name} is not a complete audited workbook: its '{needed}' sheet is "
                             "missing; score the original item sheet again")
    provenance_rows = _sheet_rows(book.grid(sheets[PROVENANCE_SHEET]), 2)[1:]
    log = _sheet_rows(book.grid(sheets[CHANGE_LOG_SHEET]), len(LOG_COLUMNS))[1:]
    scores = _sheet_rows(book.grid(sheets[SCORES_SHEET]))
    header = [canonical(h) for h in scores[0]] if scores else []
    record = read_record(book)
    return AuditedWorkbook(
        book=book, key=key, sheets=sheets, provenance_rows=provenance_rows,
        provenance={canonical(k): canonical(v) for k, v in provenance_rows}, log=log,
        scores=[(r + [None] * len(header))[:len(header)] for r in scores],
        column={name: i for i, name in enumerate(header)}, record=record,
        table=recorded_table(record) if record else None)


def check_key(audited: AuditedWorkbook) -> None:
    """An InputError where the key given cannot verify the workbook: it was
    sealed with a key that is missing now or different (or the workbook was
    sealed without a key and one is set).  Every hash would read as tampered;
    this says why instead, and `pedro audit` exits 2: nothing was verified."""
    recorded = audited.provenance.get(Key.KEY_FINGERPRINT) or (
        # written before pedro recorded a fingerprint: the Provenance's own seal says which kind
        None if audited.provenance.get(Key.PROVENANCE_DIGEST, "").startswith("hmac-sha256:") else UNKEYED)
    name, key = audited.book.path.name, audited.key
    if recorded == UNKEYED:
        if key is not None:
            raise InputError(f"{name} was sealed without a key, but a key is given ({KEY_ENV}): it was scored "
                             "without the key, or someone without the key recomputed its hashes; unset "
                             f"{KEY_ENV} to check it for accidental edits only, and treat it as not verified")
        return
    if key is None:
        raise InputError(f"{name} was sealed with a key; the key given ({KEY_ENV}) is missing: set {KEY_ENV} to "
                         "the key it was scored with, then run again")
    if recorded != key_fingerprint(key) and not _key_opens(audited):
        raise InputError(f"{name} was sealed with a key; the key given ({KEY_ENV}) is different: set {KEY_ENV} to "
                         "the key it was scored with, then run again")


def _key_opens(audited: AuditedWorkbook) -> bool:
    """Whether something sealed with the key verifies under the key given:
    then it is the key, and whatever does not verify was tampered with (the
    fingerprint itself, say)."""
    provenance, key = audited.provenance, audited.key
    if verify_digest(audited.scores, provenance.get(Key.SCORES_DIGEST, ""), key)[0]:
        return True
    if audited.record and verify_digest(recorded_seal(audited.record), provenance.get(Key.RECORDED_DIGEST, ""),
                                        key)[0]:
        return True
    return bool(audited.log) and verify_chain([audited.log[0][:-1]], [audited.log[0][-1]], key)["ok"]


def provenance_findings(audited: AuditedWorkbook) -> list[AuditFinding]:
    """The Provenance rows against the digest in its last row, which seals them."""
    sealed = [r for r in audited.provenance_rows if canonical(r[0]) != Key.PROVENANCE_DIGEST]
    matches, why = verify_digest(sealed, audited.provenance.get(Key.PROVENANCE_DIGEST, ""), audited.key)
    if matches:
        return []
    return [AuditFinding(Check.PROVENANCE, f"{audited.sheets[PROVENANCE_SHEET]} sheet: "
                         f"{why or 'its rows were changed after scoring (digest differs)'}",
                         sheet=audited.sheets[PROVENANCE_SHEET])]


def change_log_findings(audited: AuditedWorkbook) -> list[AuditFinding]:
    """The change log's hash chain; where it holds, its length and last hash
    against the Provenance, since a chain cut short at its end still holds."""
    log = audited.log
    chain = verify_chain([r[:-1] for r in log], [r[-1] for r in log], audited.key)
    if not chain["ok"]:
        return [_log_finding(audited, chain["first_bad_row"], chain["reason"])]
    recorded_rows = audited.provenance.get(Key.CHANGE_LOG_ROWS)
    if recorded_rows not in (None, "") and str(len(log)) != recorded_rows:
        if not recorded_rows.isdigit():
            return [_log_finding(audited, None, f"the {audited.sheets[PROVENANCE_SHEET]} sheet records "
                                                f"{recorded_rows!r} as its number of rows, not a number: the "
                                                f"{audited.sheets[PROVENANCE_SHEET]} was edited")]
        recorded = int(recorded_rows)
        return [_log_finding(audited, min(len(log), recorded) + 1,
                             f"the log has {len(log)} row(s) but {recorded_rows} were recorded: rows were "
                             f"{'deleted' if len(log) < recorded else 'added'} at the end")]
    if log and audited.provenance.get(Key.CHANGE_LOG_HEAD) not in (None, "", canonical(log[-1][-1])):
        return [_log_finding(audited, len(log), f"the last row's hash is not the head the "
                                                f"{audited.sheets[PROVENANCE_SHEET]} recorded")]
    return []


def _log_finding(audited: AuditedWorkbook, first_bad_row: int | None, reason: str) -> AuditFinding:
    return AuditFinding(Check.CHANGE_LOG, f"{audited.sheets[CHANGE_LOG_SHEET]}: {reason}",
                        sheet=audited.sheets[CHANGE_LOG_SHEET], log_row=first_bad_row)


def scores_sheet_findings(audited: AuditedWorkbook) -> list[AuditFinding]:
    """The Scores sheet against the digest recorded when it was written."""
    matches, why = verify_digest(audited.scores, audited.provenance.get(Key.SCORES_DIGEST, ""), audited.key)
    if matches:
        return []
    return [AuditFinding(Check.SCORES_SHEET, f"{audited.sheets[SCORES_SHEET]} sheet: "
                         + (why or "edited after scoring (its digest differs from the one recorded)"),
                         sheet=audited.sheets[SCORES_SHEET])]


def recorded_cells_findings(audited: AuditedWorkbook) -> list[AuditFinding]:
    """The Recorded cells sheet (what the table held at scoring) against the
    digest in the Provenance and each of its rows against its own digest, so
    that an edit there, which would hide an edit of the table, is named."""
    stored = audited.provenance.get(Key.RECORDED_DIGEST)
    name = audited.sheets[RECORDED_SHEET] or RECORDED_SHEET
    if stored is None:  # written before pedro recorded the whole table: the report says what is covered
        return []
    if audited.table is None:
        return [AuditFinding(Check.RECORDED, f"{name} sheet: missing or emptied after scoring, so edits of the "
                                             "item sheet's table cannot be named", sheet=name)]
    matches, why = verify_digest(recorded_seal(audited.record), stored, audited.key)
    if why is not None:
        return [AuditFinding(Check.RECORDED, f"{name} sheet: {why}", sheet=name)]
    # The sheet's digest covers each row's digest; each row's digest covers its cells.
    edited = [AuditFinding(Check.RECORDED, f"{name}!A{line}: row edited after scoring (it does not match its "
                                           "digest)", sheet=name, cell=f"A{line}")
              for line, row in enumerate(audited.record[1:], start=2) if not _row_matches(row, audited.key)]
    if matches and not edited:
        return []
    return [AuditFinding(Check.RECORDED, f"{name} sheet: edited after scoring (its digest differs)", sheet=name),
            *edited]


def _row_matches(row: list, key) -> bool:
    body, stored = recorded_row(row)
    mode = stored.split(":", 1)[0] if ":" in stored else None
    if key is not None and mode != "hmac-sha256":  # with the key, a digest made without it is a forgery
        return False
    try:
        return hmac.compare_digest(row_digest(body, key, mode), stored)
    except MissingKey:
        return False


def rescore(audited: AuditedWorkbook, rubric: Rubric | None = None) -> Rescored:
    """Score the item sheet again under the rubric and band set recorded at scoring (``rubric``: as
    ``recorded_rubric`` found it), and index the Scores rows by the item-sheet row of their trial."""
    rubric = rubric or recorded_rubric(audited.provenance, None, audited.book.path.name)
    result = score_file(audited.book.path, bands=audited.provenance.get(Key.BANDS) or None, rubric=rubric)
    answers = result.sheet.answers
    cells = [[row, item, answer_text(raw)] for row, item, raw in zip(answers["row"], answers["item"], answers["raw"])]
    row_then = _rows_then(audited.table, result)
    matches, why = _answers_digest(audited, cells, row_then)
    if ROW_COLUMN not in audited.column or STUDY_COLUMN not in audited.column:
        raise InputError(f"{audited.book.path.name}: the {audited.sheets[SCORES_SHEET]} sheet has lost its "
                         f"'{STUDY_COLUMN}' or '{ROW_COLUMN}' column; score the original item sheet again")
    by_row, line_of, labels = {}, {}, Counter()
    for line, row in enumerate(audited.scores[1:], start=2):
        number = _row_number(row[audited.column[ROW_COLUMN]])
        if number is not None:  # an edited row number is row_number_findings' to report
            by_row[number], line_of[number] = row, line
            labels[canonical(row[audited.column[STUDY_COLUMN]])] += 1
    row_of_label = {canonical(row[audited.column[STUDY_COLUMN]]): number for number, row in by_row.items()
                    if labels[canonical(row[audited.column[STUDY_COLUMN]])] == 1}
    return Rescored(result=result, cells=cells, digest_matches=matches, digest_problem=why,
                    scores_by_row=by_row, scores_line=line_of, row_of_label=row_of_label,
                    covered=audited.table is not None, row_then=row_then)


def _rows_then(table: CellTable | None, result: ScoreResult) -> dict[int, int] | None:
    """{each trial's row now: its row at scoring}, by the recorded ``table``; None without one."""
    if table is None:
        return None
    lines = recorded_lines(table, table_of(result.sheet))
    return {_line_number(now): _line_number(then) for now, then in lines.items()}


def _answers_digest(audited: AuditedWorkbook, cells: list[list], row_then: dict | None) -> tuple[bool, str | None]:
    """(whether the answers digest matches, why it cannot be checked).  The
    digest covers each answer's row: where rows only shifted (a blank row
    inserted among the trials, a row deleted above them) it matches once each
    answer is given the row its trial had at scoring."""
    stored = audited.provenance.get(Key.ANSWERS_DIGEST, "")
    matches, why = verify_digest(cells, stored, audited.key)
    if matches or why is not None or not row_then:
        return matches, why
    return verify_digest([[row_then.get(row, row), item, text] for row, item, text in cells], stored, audited.key)


def _row_number(value) -> int | None:
    """The item-sheet row a Scores row scores; None where it is not a number any more."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def answers_digest_findings(rescored: Rescored) -> list[AuditFinding]:
    """The answers digest where it cannot be checked (none recorded, or the key is missing)."""
    if rescored.digest_matches or not rescored.digest_problem:
        return []
    return [AuditFinding(Check.ANSWERS, f"item answers: {rescored.digest_problem}",
                         sheet=rescored.result.sheet.sheet)]


def row_number_findings(audited: AuditedWorkbook) -> list[AuditFinding]:
    """Scores rows whose row number was edited: it is not a number any more,
    or (where the table was recorded) names no row a trial was on at scoring."""
    index, name = audited.column[ROW_COLUMN], audited.sheets[SCORES_SHEET]
    scored = {_line_number(line) for line in audited.table.lines} if audited.table is not None else None
    findings = []
    for line, row in enumerate(audited.scores[1:], start=2):
        number, cell = _row_number(row[index]), f"{column_letter(index)}{line}"
        if number is None or (scored is not None and number not in scored):
            findings.append(AuditFinding(
                Check.ROW_NUMBERS, f"{name}!{cell}: the row number '{canonical(row[index])}' was edited"
                + ("" if number is None else " (no trial was on that row at scoring)"), sheet=name, cell=cell))
    return findings


def _line_number(line) -> int:
    """The number the Scores sheet's Row column gives a trial's line: its row, or its column counted from A = 1."""
    return line if isinstance(line, int) else column_index(str(line)) + 1


def answer_edit_findings(audited: AuditedWorkbook, rescored: Rescored) -> list[AuditFinding]:
    """Every edit of the item sheet's table after scoring: each cell, trial
    row and column against the Recorded cells (``table_findings``), or, in a
    workbook without them, each answer against the Scores sheet; where none
    can be named but the answers digest differs, that."""
    edits = table_findings(rescored) if rescored.covered else [*edited_answer_findings(audited, rescored),
                                                               *missing_trial_findings(audited, rescored)]
    if edits or rescored.digest_matches:
        return edits
    return [AuditFinding(Check.ANSWERS, "item answers: their digest differs from the one recorded at scoring time",
                         sheet=rescored.result.sheet.sheet)]


def edited_answer_findings(audited: AuditedWorkbook, rescored: Rescored) -> list[AuditFinding]:
    """Each answer cell whose text differs from the answer the Scores sheet
    recorded for it, or whose trial the Scores sheet has no row for."""
    result, column = rescored.result, audited.column
    answers = result.sheet.answers
    studies = answers["study_index"].map(result.sheet.studies["study"])
    findings = []
    for (row, item, now), study, cell in zip(rescored.cells, studies, result.sheet.cells_of(answers)):
        scores_row = rescored.scores_by_row.get(int(row))
        heading = result.rubric.item(item).heading
        recorded = None if scores_row is None or heading not in column else scores_row[column[heading]]
        if canonical(recorded) != canonical(now) or scores_row is None:
            findings.append(_edit(result.sheet.sheet, cell, study, int(item), canonical(now) or None,
                                  None if scores_row is None else (canonical(recorded) or None)))
    return findings


def table_findings(rescored: Rescored) -> list[AuditFinding]:
    """The differences between the Recorded cells and the table now, as the
    engine found them on scoring the sheet again (``ScoreResult.edits``)."""
    sheet = rescored.result.sheet.sheet
    return [AuditFinding(Check.CELL_EDITS if e.kind in (EDITED, RELABELLED) else Check.TABLE, e.message,
                         sheet=sheet, cell=e.cell, study=e.study, item=e.item, expected=e.old, found=e.new,
                         change=e.kind) for e in rescored.result.edits]


def missing_trial_findings(audited: AuditedWorkbook, rescored: Rescored) -> list[AuditFinding]:
    """Trials the Scores sheet scored that the item sheet no longer has."""
    rows_now = {int(row) for row, _, _ in rescored.cells}
    study = audited.column[STUDY_COLUMN]
    return [_edit(rescored.result.sheet.sheet, f"row {row}", canonical(scores_row[study]), None, "no trial",
                  "a scored trial")
            for row, scores_row in rescored.scores_by_row.items() if row not in rows_now]


def _edit(sheet: str, cell: str, study, item: int | None, found: str | None, recorded: str | None) -> AuditFinding:
    return AuditFinding(Check.ANSWER_EDITS, f"{study}: {sheet}!{cell} edited after scoring: recorded {recorded!r}, "
                                            f"found {found!r}",
                        sheet=sheet, cell=cell, study=study, item=item, expected=recorded, found=found)


def recomputed_score_findings(audited: AuditedWorkbook, rescored: Rescored) -> list[AuditFinding]:
    """Each total, attainable range and band recomputed from the item cells
    that differs from the Scores sheet's, for every trial it has a row for."""
    result = rescored.result
    studies = result.sheet.studies
    scores = result.scores.loc[studies.index]
    labels = Counter(canonical(label) for label in studies["study"].tolist())
    subtotals = _recomputed_subtotals(result)
    findings = []
    for study, row, low, high, band in zip(studies["study"].tolist(), studies["row"].tolist(),
                                           scores["min_total"].tolist(), scores["max_total"].tolist(),
                                           scores["band"].tolist()):
        number = _scores_row_number(rescored, canonical(study), int(row), labels)
        scores_row = rescored.scores_by_row.get(number)
        if scores_row is None:  # no row to compare: answer_edit_findings names the trial's cells
            continue
        low, high = int(low), int(high)
        expected = {TOTAL_COLUMN: low if low == high else None, MIN_COLUMN: low, MAX_COLUMN: high,
                    **subtotals.get(int(row), {}), band_column(result.bands.name): band}
        # Named as the Scores row names it: a label edited since (reported with the table's edits) is added.
        scored = canonical(scores_row[audited.column[STUDY_COLUMN]]) or canonical(study)
        name = scored if scored == canonical(study) else f"{scored} (labelled {canonical(study) or 'blank'} now)"
        findings += _score_row_findings(audited, scored, scores_row, rescored.scores_line[number], expected, name)
    return findings


def _recomputed_subtotals(result: ScoreResult) -> dict[int, dict]:
    """Per item-sheet row, {Scores column: points} of each of the rubric's subtotals, recomputed from the item
    cells: blank while an item of it is unknown, as the Scores sheet writes it (pedro.write.audited)."""
    rubric, studies = result.rubric, result.sheet.studies
    if not rubric.subtotals:
        return {}
    columns = {subtotal_columns(s, rubric)[0]: f"{SUBTOTAL_SCORE}{s.name}" for s in rubric.subtotals}
    scores = result.scores.loc[studies.index]
    by_row = {}
    for position, row in enumerate(studies["row"].tolist()):
        values = {column: scores[name].iat[position] for column, name in columns.items()}
        by_row[int(row)] = {column: None if _blank(v) else int(v) for column, v in values.items()}
    return by_row


def _blank(value) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))  # None, NaN or pandas' NA


def _scores_row_number(rescored: Rescored, study: str, row: int, labels: Counter) -> int | None:
    """The item-sheet row whose Scores row scored the trial now on ``row``:
    by the recorded table, the row it had at scoring (so a label edited or
    swapped since, or rows moved, still finds the trial's own Scores row; an
    added trial has none); without a record, by its label where both sheets
    have it once (its row may have moved), else by its row."""
    if rescored.row_then is not None:
        return rescored.row_then.get(row)
    number = rescored.row_of_label.get(study) if labels[study] == 1 else None
    return row if number is None else number


def _score_row_findings(audited: AuditedWorkbook, study, scores_row: list, line: int,
                        expected: dict, name: str | None = None) -> list[AuditFinding]:
    """One trial's Scores row against ``expected`` ({Scores column: value}),
    where it has the column; ``name``: the trial as the messages name it."""
    findings, sheet = [], audited.sheets[SCORES_SHEET]
    for column, value in expected.items():
        if column not in audited.column:
            continue
        found = scores_row[audited.column[column]]
        if canonical(found) != canonical(value):
            cell = f"{column_letter(audited.column[column])}{line}"
            findings.append(AuditFinding(
                Check.SCORES, f"{name or study}: {sheet}!{cell} ({column}) expected {canonical(value) or 'blank'}, "
                              f"found {canonical(found) or 'blank'}",
                sheet=sheet, cell=cell, study=study, column=column, expected=canonical(value) or None,
                found=canonical(found) or None))
    return findings


def recorded_rubric(provenance: dict, given: Rubric | str | Path | None, where: str) -> Rubric:
    """The rubric a workbook of pedro's was scored with, by its Provenance (``rubric``, ``rubric_sha256``).
    A rubric pedro ships is loaded by name.  A user's own rubric file is not kept in the workbook, so it
    must be ``given`` again, and it must be the same file: its SHA-256 (or, where a workbook recorded no
    SHA-256, its name) as recorded, since re-scoring under another rubric would report every trial as
    changed.  ``where`` names the workbook in the refusal."""
    name, sha = provenance.get(Key.RUBRIC) or None, provenance.get(Key.RUBRIC_SHA256) or None
    recorded = f"rubric '{name}'" + (f" (sha256 {sha[:12]}…)" if sha else "")
    packaged = packaged_rubric_files()
    if given == name and name in packaged:  # --rubric testex on a TESTEX workbook: the shipped one, as asked
        return load_rubric(name)
    if given is None:
        if name is None:
            return load_rubric(name)  # an older workbook names no rubric: PEDro's, the only one then
        if name in packaged:
            return _shipped_as_recorded(name, sha, where)
        raise InputError(f"{where} was scored with {recorded}, which pedro does not ship; pass it with "
                         "--rubric FILE")
    rubric = given if isinstance(given, Rubric) else load_rubric(str(given))
    if name is not None and (rubric.sha256 != sha if sha else rubric.name != name):
        found = f"has sha256 {rubric.sha256[:12]}…, another file" if sha else f"is rubric '{rubric.name}'"
        raise InputError(f"{where} was scored with {recorded}, but {rubric.path} {found}; pass the rubric "
                         "file it was scored with as --rubric FILE")
    return rubric


def _shipped_as_recorded(name: str, sha: str | None, where: str) -> Rubric:
    """The shipped rubric ``name``, when it is the file the workbook was scored with: a user's own rubric
    that is also called 'pedro' records that name too, and checking its workbook against the shipped one
    would report nonsense ("unknown band set 'none'", every trial changed).  An earlier version of the
    shipped file that the file lists (``earlier_sha256``: only its wording changed) is the same rubric."""
    shipped = load_rubric(name)
    if sha and sha not in (shipped.sha256, *shipped.earlier_sha256):
        raise InputError(f"{where} was scored with a rubric named '{name}' that is not the one pedro ships "
                         f"(sha256 {sha[:12]}…; pedro's is {shipped.sha256[:12]}…): a file of your own, or "
                         f"another version of pedro's; pass that file with --rubric FILE (or --rubric {name} "
                         "to check it against the one pedro ships now)")
    return shipped


def audit_report(audited: AuditedWorkbook, result: ScoreResult, findings: list[AuditFinding],
                 band_names: list[str] | None) -> dict:
    """The report `pedro audit` prints (``pedro.report.audit_text``) or writes
    as JSON: each check's verdict from its findings, and the band sensitivity."""
    log_findings = _of(findings, Check.CHANGE_LOG)
    bands, band_changes, on_boundary = band_sensitivity(result, band_names)
    return {
        "ok": not findings,
        "file": str(audited.book.path),
        "key_used": audited.key is not None,
        "provenance": {"ok": not _of(findings, Check.PROVENANCE)},
        "chain": {"ok": not log_findings, "rows": len(audited.log),
                  "first_bad_row": log_findings[0].log_row if log_findings else None},
        "scores_sheet": {"ok": not _of(findings, Check.SCORES_SHEET)},
        "answers": {"ok": not _of(findings, Check.ANSWERS, Check.ANSWER_EDITS)
                    and not [f for f in _of(findings, Check.CELL_EDITS) if f.item is not None]},
        "table": {"ok": not _of(findings, Check.RECORDED, Check.CELL_EDITS, Check.TABLE), **coverage(audited)},
        "edited_after_scoring": [{"study": f.study, "item": f.item, "cell": f.cell, "recorded": f.expected,
                                  "found": f.found} for f in _of(findings, Check.ANSWER_EDITS, Check.CELL_EDITS)],
        "table_changes": [{"change": f.change, "study": f.study, "cell": f.cell, "recorded": f.expected,
                           "found": f.found, "message": f.message} for f in _of(findings, Check.TABLE)],
        "score_mismatches": [{"study": f.study, "field": f.column, "cell": f"{f.sheet}!{f.cell}",
                              "expected": f.expected, "found": f.found} for f in _of(findings, Check.SCORES)],
        "open_findings": result.counts,
        "bands": bands,
        "band_changes": band_changes,
        "on_boundary": on_boundary,
        "discrepancies": [f.message for f in findings],
    }


def coverage(audited: AuditedWorkbook) -> dict:
    """What the audit covers of the item sheet: the whole table as recorded
    (its sheet, header row, number of trials and columns), or, in a workbook
    written before pedro recorded it, the answer cells only."""
    table = audited.table
    if table is None:
        return {"covered": "answers"}
    span = f"columns {table.positions[0]}-{table.positions[-1]}" if table.positions else ""
    if table.positions and str(table.positions[0]).isdigit():  # trials as columns: say where the trials are
        trials = f"columns {table.lines[0]}-{table.lines[-1]} " if table.lines else ""
        span = f"{trials}(items in rows {table.positions[0]}-{table.positions[-1]})"
    return {"covered": "table", "sheet": audited.provenance.get(Key.INPUT_SHEET),
            "header": line_name(table.header_line), "trials": len(table.lines), "span": span}


def _of(findings: list[AuditFinding], *checks: str) -> list[AuditFinding]:
    return [f for f in findings if f.check in checks]


def band_sensitivity(result: ScoreResult, band_names: list[str] | None = None):
    """Counts per band under each band set, how trials move from the recorded
    band set to each other one, and the trials on a band boundary."""
    band_sets = [result.rubric.band_set(n) for n in band_names or list(result.rubric.band_sets)]
    labels = {b.name: _bands_of(b, result.scores) for b in band_sets}
    return band_counts(band_sets, labels), band_changes(result, band_sets, labels), boundary_trials(result, band_sets)


def _bands_of(band_set, scores) -> list[str | None]:
    """Each trial's band under ``band_set``; None where its attainable range spans bands."""
    return [band_set.band_of_range(int(lo), int(hi)) for lo, hi in zip(scores["min_total"], scores["max_total"])]


def band_counts(band_sets, labels: dict[str, list]) -> dict[str, dict[str, int]]:
    """{band set: {band: trials}}, with '(no band)' where answers are missing."""
    counts_by_set = {}
    for band_set in band_sets:
        counts = Counter(labels[band_set.name])
        counts_by_set[band_set.name] = {label: counts.get(label, 0) for label in band_set.labels}
        if counts.get(None):
            counts_by_set[band_set.name]["(no band)"] = counts[None]
    return counts_by_set


def band_changes(result: ScoreResult, band_sets, labels: dict[str, list]) -> list[dict]:
    """How many trials change band from the recorded band set to each other one, and their moves."""
    reference = result.bands
    reference_labels = _bands_of(reference, result.scores)
    changes = []
    for band_set in band_sets:
        if band_set.name == reference.name:
            continue
        moves = Counter((a, c) for a, c in zip(reference_labels, labels[band_set.name])
                        if a is not None and c is not None)
        changes.append({"from": reference.name, "to": band_set.name,
                        # a label that differs only in case ('Good', 'good') is the same band
                        "changed": sum(n for (a, c), n in moves.items() if a.lower() != c.lower()),
                        "moves": [{"from_band": a, "to_band": c, "trials": n} for (a, c), n in sorted(moves.items())]})
    return changes


def boundary_trials(result: ScoreResult, band_sets) -> list[dict]:
    """The trials one point from another band under any of ``band_sets``."""
    studies = result.sheet.studies
    on_boundary = []
    for study, total in zip(studies["study"].tolist(), result.scores["total"].loc[studies.index].tolist()):
        try:
            total = int(total)
        except (TypeError, ValueError):  # no total: an answer is missing
            continue
        sets = [b.name for b in band_sets if b.on_boundary(total)]
        if sets:
            on_boundary.append({"study": study, "total": total, "band_sets": sets})
    return on_boundary
