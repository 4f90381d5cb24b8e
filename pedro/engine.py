"""The scoring pipeline as a Python API: read -> normalise -> score -> check.

``score_file`` does the work and returns a ``ScoreResult`` holding every table
(studies, tidy answers, scores, findings, changes); ``write_audited`` (in
``pedro.write.audited``) and the reports (``pedro.report``) only present it.
``choose_sheet`` picks the item sheet of a workbook.  ``continue_history`` and
``check_history`` decide how a result goes on from an audited workbook's
history (its change log, its key, the table it recorded) before it is written.
Nothing else lives here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from . import __version__
from .audit.chain import KEY_ENV, audit_key, key_mismatch, verify_chain
from .audit.log import synonym_changes
from .audit.record import last_saved, table_edits
from .audit.workbook import CHANGE_COLUMNS, HASH_COLUMN, PEDRO_SHEETS, Key, pedro_sheet, read_previous_audit
from .errors import InputError, PedroError, SheetError
from .normalise import RatedSheet, normalise_sheet
from .rubric import BandSet, Rubric, load_rubric
from .rules import CheckContext, run_rules
from .runtime import bulk_allocation, current_user, file_sha256, now_utc
from .scoring import score_sheet
from .sheets.layout import HeaderMatcher, detect_layout
from .sheets.reader import Book, open_book
from .table import Table


@dataclass
class ScoreResult:
    input: Path
    input_sha256: str
    book_kind: str
    rubric: Rubric
    bands: BandSet
    sheet: RatedSheet
    sheet_names: list[str]
    sheet_choice: str  # how the sheet was chosen, for the summary
    # The tables as pedro.table.Table; ``scores``, ``findings``, ``changes`` and ``previous_changes`` give them
    # as DataFrames (made when first asked for: a dry run's report reads the tables and never imports pandas).
    score_table: Table  # index study_index
    finding_table: Table | None  # FINDING_COLUMNS; None when read with score_file(check=False)
    previous_change_table: Table  # LOG_COLUMNS: the input's own change log (with hashes), if audited
    previous_provenance: dict = field(default_factory=dict)
    audited: bool = False  # the input is a workbook pedro wrote (its Provenance sheet says so)
    # An audited input's table against the cells it recorded (pedro.audit.record.Difference), and who saved
    # it last and when, where its properties say so after scoring: the change log's "edited outside pedro".
    edits: list = field(default_factory=list)
    last_saved: tuple = (None, None)
    time: str = ""
    user: str = ""

    @property
    def scores(self):
        return self.score_table.frame()

    @property
    def findings(self):
        return None if self.finding_table is None else self.finding_table.frame()

    @cached_property
    def change_table(self) -> Table:
        """CHANGE_COLUMNS: this run's changes (each answer normalising rewrote), made when first asked for: a
        dry run's report only counts them (``change_count``; naming their cells and saying why took 30 ms at
        60,000 trials, issue 18)."""
        return synonym_changes(self.sheet, self.rubric, self.time, self.user)

    @property
    def change_count(self) -> int:
        """``len(change_table)``, without making it."""
        import numpy as np

        return int(np.count_nonzero(self.sheet.answer_table["rewrite"]))

    @property
    def changes(self):
        return self.change_table.frame()

    @property
    def previous_changes(self):
        return self.previous_change_table.frame()

    @cached_property
    def counts(self) -> dict[str, int]:
        if self.finding_table is None:
            raise ValueError(f"{self.input.name} was read without its consistency checks (score_file with "
                             "check=False, as compare_files reads sheets); score it for its findings")
        severities = Counter(self.finding_table["severity"])
        return {s: severities[s] for s in ("error", "warning", "advisory")}

    @property
    def exit_status(self) -> int:
        return 1 if self.counts["error"] else 0

    @property
    def provenance(self) -> dict[str, str]:
        """What the Provenance sheet records of this run, before the digests."""
        previous = self.previous_provenance
        return {
            Key.TOOL: f"pedro {__version__}",
            Key.INPUT: self.input.name,
            Key.INPUT_SHA256: self.input_sha256,
            Key.INPUT_SHEET: self.sheet.sheet,
            Key.HEADER_ROW: str(self.sheet.layout.header_row),
            Key.RUBRIC: self.rubric.name,
            Key.RUBRIC_TITLE: self.rubric.title,
            Key.RUBRIC_SHA256: self.rubric.sha256,
            Key.BANDS: self.bands.name,
            Key.BANDS_DEFINITION: self.bands.describe(),
            Key.BANDS_SOURCE: self.bands.source,
            Key.STUDIES: str(len(self.sheet.study_table)),
            Key.TIME: self.time,
            Key.USER: self.user,
            Key.ORIGINAL_INPUT: previous.get(Key.ORIGINAL_INPUT) or previous.get(Key.INPUT) or self.input.name,
            Key.ORIGINAL_INPUT_SHA256: previous.get(Key.ORIGINAL_INPUT_SHA256) or previous.get(Key.INPUT_SHA256)
            or self.input_sha256,
        }


def score_file(path: str | Path, sheet: str | None = None, bands: str | None = None,
               rubric: Rubric | str | None = None, progress=None, check: bool = True) -> ScoreResult:
    """Read, normalise, score and check one item sheet.  ``progress(stage,
    detail)``, if given, is told as each stage starts.  ``check=False`` skips
    the consistency rules (``findings`` is then None): comparing assessors
    reports none of them, and they were a third of `pedro compare` (issue 18)."""
    progress = progress or (lambda stage, detail="": None)
    rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    band_set = rubric.band_set(bands)
    progress("reading", Path(path).name)
    with bulk_allocation():
        book = open_book(path)
        previous_changes, previous_provenance = read_previous_audit(book)
        grid_name, layout, choice = choose_sheet(book, rubric, sheet, previous_provenance)
        progress("normalising", f"sheet '{grid_name}'")
        rated = normalise_sheet(book.path.name, book.grid(grid_name), layout, rubric)
        progress("checking", f"{len(rated.study_table):,} trials")
        scores = score_sheet(rated, rubric, band_set)
        findings = run_rules(CheckContext(rated, rubric, band_set, scores)) if check else None
        edits = table_edits(book, rated, previous_provenance)
    time = now_utc()
    user = current_user()
    return ScoreResult(
        input=book.path, input_sha256=file_sha256(book.path), book_kind=book.kind, rubric=rubric,
        bands=band_set, sheet=rated, sheet_names=book.sheet_names, sheet_choice=choice, score_table=scores,
        finding_table=findings,
        previous_change_table=previous_changes, previous_provenance=previous_provenance or {},
        audited=previous_provenance is not None, edits=edits,
        last_saved=last_saved(book.path, previous_provenance.get(Key.TIME, "")) if edits else (None, None),
        time=time, user=user)


def continue_history(result: ScoreResult, output: str | Path) -> ScoreResult:
    """``result``, of an item sheet that is not itself an audited workbook,
    about to replace ``output``: the audited workbook an earlier `pedro score`
    wrote of the same input.  Its history goes on rather than being silently
    rewritten: its change log is kept (the chain continues from its last row),
    the differences between the table it recorded and the input now are
    logged as edits outside pedro, and the original input it names carries
    over.  An InputError where ``output`` holds edits of its own since it was
    written, which replacing it would lose.  ``result`` as it is for any other
    ``output`` (none yet, another input's, not a workbook)."""
    output = Path(output)
    if result.audited or result.previous_provenance or not output.is_file():
        return result  # (a result continued already has its history)
    try:
        book = open_book(output)
        previous_changes, provenance = read_previous_audit(book)
    except PedroError:  # not a workbook pedro reads: there is no history to keep
        return result
    if provenance is None or result.input.name not in (provenance.get(Key.INPUT), provenance.get(Key.ORIGINAL_INPUT)) \
            or provenance.get(Key.INPUT_SHEET) != result.sheet.sheet:
        return result
    check_history(output.name, provenance, previous_changes)
    own = _edits_of_audited(book, provenance, result.rubric)
    if own:
        raise InputError(f"{output.name} holds {len(own)} edit(s) made since it was scored ({own[0]}), "
                         f"which writing over it would lose; score {output.name} instead of {result.input.name} to "
                         "keep them in its history, or write elsewhere with -o")
    edits = table_edits(book, result.sheet, provenance, dict(zip(result.change_table["cell"],
                                                                 result.change_table["new"])))
    return replace(result, previous_change_table=previous_changes, previous_provenance=provenance, edits=edits,
                   last_saved=last_saved(result.input, provenance.get(Key.TIME, "")) if edits else (None, None))


def check_sealing_key(name: str, provenance: dict) -> None:
    """An InputError where the key set now (PEDRO_AUDIT_KEY) is not the one
    the audited workbook ``name`` was sealed with: continuing its change log
    under another seal would leave a workbook that verifies under neither."""
    problem = key_mismatch(provenance.get(Key.KEY_FINGERPRINT), audit_key())
    if problem:
        raise InputError(f"{name} was sealed {problem}: scoring it again would continue its change log under "
                         f"another seal; set {KEY_ENV} as it was when it was scored (or unset it), then run again")


def check_history(name: str, provenance: dict, previous_changes) -> None:
    """An InputError where an audited workbook's change log no longer
    verifies (a row edited, deleted or moved since it was written), or the
    key set now is not the one it was sealed with: continuing it would carry
    the break into the new workbook, found only when someone audits that."""
    check_sealing_key(name, provenance)
    rows = [list(r) for r in zip(*(previous_changes[column] for column in CHANGE_COLUMNS))]
    chain = verify_chain(rows, list(previous_changes[HASH_COLUMN]), audit_key())
    recorded = provenance.get(Key.CHANGE_LOG_ROWS, "")
    if chain["ok"] and recorded.isdigit() and int(recorded) != len(rows):
        chain = {"ok": False, "reason": f"it has {len(rows)} row(s) where {recorded} were written"}
    if not chain["ok"]:
        raise InputError(f"{name}: its change log no longer verifies ({chain['reason']}); scoring it again would "
                         f"carry that into the new workbook: run pedro audit {name} to see what changed, or score "
                         "the original item sheet again")


def _edits_of_audited(book: Book, provenance: dict, rubric: Rubric) -> list[str]:
    """What an audited workbook's item sheet holds that its Recorded cells do not, as `pedro audit` words it."""
    name = provenance.get(Key.INPUT_SHEET)
    try:
        grid = book.grid(name)
        rated = normalise_sheet(book.path.name, grid, detect_layout(grid, rubric), rubric)
        return [edit.message for edit in table_edits(book, rated, provenance)]
    except PedroError:  # its item sheet is no longer one pedro reads: every cell of it is an edit
        return [f"sheet '{name}' can no longer be read as an item sheet"]


def choose_sheet(book: Book, rubric: Rubric, wanted: str | None, audited: dict | None = None):
    """(sheet name, layout, how it was chosen).  The sheet with the most item
    columns wins; ties go to the first.  In an audited workbook (``audited``:
    its Provenance) the sheet it records is taken, and pedro's own sheets are
    never candidates."""
    if wanted is not None:
        if wanted not in book.sheet_names:
            raise InputError(f"{book.path.name} has no sheet '{wanted}'; its sheets are: "
                             f"{', '.join(book.sheet_names)}")
        return wanted, detect_layout(book.grid(wanted), rubric), f"sheet '{wanted}' (--sheet)"
    if audited is not None:
        recorded = audited.get(Key.INPUT_SHEET)
        if recorded in book.sheet_names:
            return recorded, detect_layout(book.grid(recorded), rubric), \
                f"sheet '{recorded}' (recorded in the Provenance sheet)"
    ours = {pedro_sheet(book.sheet_names, key) for key in PEDRO_SHEETS} if audited is not None else set()
    candidates = [n for n in book.sheet_names if n not in ours]
    matcher = HeaderMatcher(rubric)
    found, errors = [], []
    for name in candidates:
        try:
            layout = detect_layout(book.grid(name), rubric, matcher)
        except SheetError as exc:
            errors.append(str(exc))
            continue
        found.append((len(layout.items), name, layout))
    if not found:
        if len(errors) == 1:
            raise SheetError(f"{book.path.name}: {errors[0]}")
        raise SheetError(f"no sheet of {book.path.name} has the PEDro item columns: " + " | ".join(errors))
    best = max(found, key=lambda f: f[0])  # max keeps the first of equals
    _, name, layout = best
    how = f"sheet '{name}'" + (" (the only sheet)" if len(book.sheet_names) == 1 else
                               f" (the sheet with the item columns; others: "
                               f"{', '.join(n for n in book.sheet_names if n != name)})")
    return name, layout, how
