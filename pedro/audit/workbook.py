"""The audited workbook's format, spelt once: the sheets pedro adds, the
change log's columns, the Provenance sheet's keys; and reading those sheets
back from a workbook that has them (a re-run continues the log, `pedro audit`
verifies it, `pedro compare` takes the assessor's name from it)."""

from __future__ import annotations

from ..table import Table
from .chain import key_fingerprint, table_digest

SUMMARY_SHEET = "Summary"
SCORES_SHEET = "Scores"
FINDINGS_SHEET = "Findings"
CHANGE_LOG_SHEET = "Change log"
PROVENANCE_SHEET = "Provenance"
RECORDED_SHEET = "Recorded cells"  # the item sheet's table as scored: see pedro.audit.record
PEDRO_SHEETS = (SUMMARY_SHEET, SCORES_SHEET, FINDINGS_SHEET, CHANGE_LOG_SHEET, PROVENANCE_SHEET, RECORDED_SHEET)
PROVENANCE_MARK = "pedro provenance"  # cell A1 of the Provenance sheet: pedro wrote this workbook
RENAMED_SUFFIX = " (pedro)"  # pedro's sheet where a user's sheet already has the plain name

CHANGE_COLUMNS = ["time", "user", "sheet", "cell", "study", "item", "old", "new", "rule", "reason"]
HASH_COLUMN = "hash"  # the change log's last column: see pedro.audit.chain
LOG_COLUMNS = CHANGE_COLUMNS + [HASH_COLUMN]

# The Scores sheet's fixed columns; the item headings and band columns come from the rubric.
STUDY_COLUMN, ROW_COLUMN, TOTAL_COLUMN, MIN_COLUMN, MAX_COLUMN = "Study", "Row", "Total", "Min", "Max"
REPORTED_TOTAL_COLUMN = "Reported total"  # the total the sheet printed, beside the computed one
SUBTOTAL_PREFIX = "Subtotal: "  # a rubric's [[subtotals]], after Max: "Subtotal: Study quality (/5)"
# A subtotal the sheet printed, after the computed one: "Reported subtotal: Study quality (/5)"
REPORTED_SUBTOTAL_PREFIX = "Reported subtotal: "

# The Recorded cells sheet (pedro.audit.record): ROW_COLUMN (the item sheet's row), STUDY_COLUMN (the trial's
# label), the row's digest, then its cells as JSON, continued in the next columns past a cell's length.  Its
# first row under this header records the table's header row ({column letter: text}); each further row, one
# trial ([text, ...] under those letters).
DIGEST_COLUMN = "Digest"
CELLS_COLUMN = "Cells"
RECORDED_COLUMNS = (ROW_COLUMN, STUDY_COLUMN, DIGEST_COLUMN, CELLS_COLUMN)


def band_column(band_set_name: str) -> str:
    """The Scores column of the band under the band set chosen at scoring."""
    return f"Band ({band_set_name})"


def subtotal_columns(subtotal, rubric, printed: bool = False) -> list[str]:
    """A rubric subtotal's Scores columns: computed ("Subtotal: Study quality (/5)"), then, where the sheet
    printed that subtotal (``printed``), the printed one ("Reported subtotal: Study quality (/5)")."""
    named = f"{subtotal.label} (/{rubric.subtotal_points(subtotal)})"
    return [f"{SUBTOTAL_PREFIX}{named}", *([f"{REPORTED_SUBTOTAL_PREFIX}{named}"] if printed else [])]


class Key:
    """The keys of the Provenance sheet (column A)."""

    TOOL = "tool"
    INPUT = "input"
    INPUT_SHA256 = "input_sha256"
    INPUT_SHEET = "input_sheet"
    HEADER_ROW = "header_row"
    RUBRIC = "rubric"
    RUBRIC_TITLE = "rubric_title"
    RUBRIC_SHA256 = "rubric_sha256"
    BANDS = "bands"
    BANDS_DEFINITION = "bands_definition"
    BANDS_SOURCE = "bands_source"
    STUDIES = "studies"
    TIME = "time"
    USER = "user"
    ORIGINAL_INPUT = "original_input"
    ORIGINAL_INPUT_SHA256 = "original_input_sha256"
    OUTPUT = "output"
    NOT_CARRIED_OVER = "not_carried_over"  # what of the input the audited workbook could not keep
    RESOLUTIONS = "resolutions"  # a consensus sheet's
    UNRESOLVED = "unresolved"
    ASSESSOR = "assessor"  # who rated, where a workbook names them
    ASSESSORS = "assessors"  # a disagreement workbook's
    ANSWERS_DIGEST = "answers_digest"
    SCORES_DIGEST = "scores_digest"
    CHANGE_LOG_ROWS = "change_log_rows"
    CHANGE_LOG_HEAD = "change_log_head"
    RECORDED_DIGEST = "recorded_cells_digest"  # the Recorded cells sheet: its header and its rows' digests
    KEY_FINGERPRINT = "key_fingerprint"  # pedro.audit.chain.key_fingerprint: which key sealed the workbook
    PROVENANCE_DIGEST = "provenance_digest"  # the last row: seals the rows above it


def renamed_sheet(key: str) -> str:
    """What pedro calls its sheet ``key`` in a workbook where a user's sheet has that name."""
    return f"{key}{RENAMED_SUFFIX}"[:31]


def pedro_sheet(sheet_names, key: str) -> str | None:
    """The name of pedro's sheet ``key`` (one of PEDRO_SHEETS) in an audited
    workbook: ``renamed_sheet(key)`` when a user's sheet took the plain name."""
    if renamed_sheet(key) in sheet_names:
        return renamed_sheet(key)
    return key if key in sheet_names else None


def pedro_sheet_names(sheet_names: list[str], audited: bool) -> dict[str, str]:
    """pedro's sheet names for a workbook about to be written.  A user's sheet
    of the same name is kept and ours gets ' (pedro)', then and on every later
    run: a re-run replaces the ' (pedro)' sheet, never the user's."""
    names = {}
    for key in PEDRO_SHEETS:
        renamed = renamed_sheet(key)
        names[key] = renamed if renamed in sheet_names or (key in sheet_names and not audited) else key
    return names


def has_mark(grid, mark: str) -> bool:
    """Whether a sheet's cell A1 holds ``mark``: how pedro recognises its own sheets."""
    rows = grid.rows
    return bool(rows) and bool(rows[0]) and str(rows[0][0]).strip().lower() == mark


def is_audited(book) -> bool:
    """Whether ``book`` (a ``pedro.sheets.reader.Book``) is a workbook pedro wrote."""
    name = pedro_sheet(book.sheet_names, PROVENANCE_SHEET)
    return name is not None and has_mark(book.grid(name), PROVENANCE_MARK)


def read_previous_audit(book):
    """(change log with hashes as a ``Table`` of LOG_COLUMNS, provenance as a
    dict) that an audited input already carries; for any other input an
    empty log and None."""
    changes = Table({column: [] for column in LOG_COLUMNS})
    if not is_audited(book):
        return changes, None
    provenance = {str(row[0]): "" if row[1] is None else str(row[1])
                  for row in book.grid(pedro_sheet(book.sheet_names, PROVENANCE_SHEET)).rows[1:]
                  if len(row) >= 2 and row[0] is not None}
    log_sheet = pedro_sheet(book.sheet_names, CHANGE_LOG_SHEET)
    if log_sheet is not None:
        width = len(LOG_COLUMNS)
        body = [list(r[:width]) + [None] * (width - len(r)) for r in book.grid(log_sheet).rows[1:]
                if any(v is not None for v in r)]
        changes = Table(dict(zip(LOG_COLUMNS, map(list, zip(*body))))) if body else changes
    return changes, provenance


def seal(cells, scores_rows, log_rows, key, recorded_rows=None) -> dict[str, str]:
    """The digests the Provenance sheet records (see ``pedro.audit.chain``):
    the answer cells, the Scores sheet as written, the Recorded cells sheet
    (``recorded_rows``, header first: ``RECORDED_COLUMNS``), the log's length
    and head, and which key sealed them."""
    recorded = {} if recorded_rows is None else {Key.RECORDED_DIGEST: table_digest(recorded_seal(recorded_rows), key)}
    return {
        Key.ANSWERS_DIGEST: table_digest(cells, key),
        Key.SCORES_DIGEST: table_digest(scores_rows, key),
        **recorded,
        **log_seal(log_rows),
        Key.KEY_FINGERPRINT: key_fingerprint(key),
    }


def recorded_seal(rows) -> list[list]:
    """What the Recorded cells sheet's digest covers: its header and each
    row's own digest (which covers the row), so its cells are serialised once."""
    at = RECORDED_COLUMNS.index(DIGEST_COLUMN)
    return [rows[0][:len(RECORDED_COLUMNS)], *([row[at]] for row in rows[1:])] if rows else []


def log_seal(log_rows) -> dict[str, str]:
    """The change log's length and the hash of its last row."""
    return {Key.CHANGE_LOG_ROWS: str(len(log_rows)), Key.CHANGE_LOG_HEAD: log_rows[-1][-1] if log_rows else ""}


def provenance_rows(provenance: dict, key) -> list[list]:
    """The Provenance sheet, header first: key-value rows, sealed by a digest
    over all of them (the last row)."""
    rows = [list(item) for item in provenance.items()]
    rows.append([Key.PROVENANCE_DIGEST, table_digest([tuple(r) for r in rows], key)])
    return [[PROVENANCE_MARK, "value"], *rows]


def column_headers(columns) -> list[str]:
    """How a sheet pedro writes heads a column named in the schema ('time' -> 'Time')."""
    return [c.capitalize() for c in columns]
