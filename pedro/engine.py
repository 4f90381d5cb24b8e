"""The scoring pipeline as a Python API: read -> normalise -> score -> check.

``score_file`` does the work and returns a ``ScoreResult`` holding every table
(studies, tidy answers, scores, findings, changes); ``write_audited`` (in
``pedro.sheets.audited``) and the reports (``pedro.report``) only present it.
"""

from __future__ import annotations

import datetime as dt
import gc
import getpass
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .errors import InputError, SheetError
from .normalise import RatedSheet, normalise_sheet
from .rubric import BandSet, Rubric, load_rubric
from .sheets.layout import HeaderMatcher, detect_layout
from .sheets.reader import Book, open_book

# Sheets that pedro adds to an audited workbook; a re-run reads them back.
SUMMARY_SHEET = "Summary"
SCORES_SHEET = "Scores"
FINDINGS_SHEET = "Findings"
CHANGE_LOG_SHEET = "Change log"
PROVENANCE_SHEET = "Provenance"
PEDRO_SHEETS = (SUMMARY_SHEET, SCORES_SHEET, FINDINGS_SHEET, CHANGE_LOG_SHEET, PROVENANCE_SHEET)
PROVENANCE_MARK = "pedro provenance"
CHANGE_COLUMNS = ["time", "user", "sheet", "cell", "study", "item", "old", "new", "rule", "reason"]
HASH_COLUMN = "hash"  # the change log's last column: see pedro.audit
LOG_COLUMNS = CHANGE_COLUMNS + [HASH_COLUMN]
SYNONYM_RULE = "answer-synonym"
FOOTNOTE_RULE = "PD803"  # footnote-marker: see pedro.rules.layout


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
    scores: object  # DataFrame, index study_index
    findings: object  # DataFrame, FINDING_COLUMNS
    changes: object  # DataFrame, CHANGE_COLUMNS: this run's changes
    previous_changes: object  # DataFrame, LOG_COLUMNS: the input's own change log (with hashes), if audited
    previous_provenance: dict = field(default_factory=dict)
    time: str = ""
    user: str = ""

    @property
    def counts(self) -> dict[str, int]:
        severity = self.findings["severity"].to_numpy()
        return {s: int((severity == s).sum()) for s in ("error", "warning", "advisory")}

    @property
    def exit_status(self) -> int:
        return 1 if self.counts["error"] else 0

    @property
    def provenance(self) -> dict[str, str]:
        return {
            "tool": f"pedro {__version__}",
            "input": self.input.name,
            "input_sha256": self.input_sha256,
            "input_sheet": self.sheet.sheet,
            "header_row": str(self.sheet.layout.header_row),
            "rubric": self.rubric.name,
            "rubric_title": self.rubric.title,
            "rubric_sha256": self.rubric.sha256,
            "bands": self.bands.name,
            "bands_definition": self.bands.describe(),
            "bands_source": self.bands.source,
            "studies": str(len(self.sheet.studies)),
            "time": self.time,
            "user": self.user,
            "original_input": self.previous_provenance.get("original_input")
            or self.previous_provenance.get("input") or self.input.name,
            "original_input_sha256": self.previous_provenance.get("original_input_sha256")
            or self.previous_provenance.get("input_sha256") or self.input_sha256,
        }


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers and services
        return "unknown"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def bulk_allocation():
    """Pause Python's cyclic garbage collector while large tables are built.
    A sheet of 60,000 trials makes hundreds of thousands of lists and dicts,
    none in a reference cycle, and each batch of them would set off another
    collection over everything alive (a tenth of the run, issue 6); what is
    freed is freed by reference counting all the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def score_file(path: str | Path, sheet: str | None = None, bands: str | None = None,
               rubric: Rubric | str | None = None, progress=None) -> ScoreResult:
    """Read, normalise, score and check one item sheet.  ``progress(stage,
    detail)``, if given, is told as each stage starts."""
    from .rules import CheckContext, run_rules
    from .scoring import score_answers

    progress = progress or (lambda stage, detail="": None)
    rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    band_set = rubric.band_set(bands)
    progress("reading", Path(path).name)
    with bulk_allocation():
        book = open_book(path)
        grid_name, layout, choice = choose_sheet(book, rubric, sheet)
        progress("normalising", f"sheet '{grid_name}'")
        rated = normalise_sheet(book.path.name, book.grid(grid_name), layout, rubric)
        progress("checking", f"{len(rated.studies):,} trials")
        scores = score_answers(rated.answers, rubric, band_set)
        findings = run_rules(CheckContext(rated, rubric, band_set, scores))
    time = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    user = current_user()
    previous_changes, previous_provenance = read_previous_audit(book)
    return ScoreResult(
        input=book.path, input_sha256=file_sha256(book.path), book_kind=book.kind, rubric=rubric,
        bands=band_set, sheet=rated, sheet_names=book.sheet_names, sheet_choice=choice, scores=scores,
        findings=findings, changes=synonym_changes(rated, rubric, time, user),
        previous_changes=previous_changes, previous_provenance=previous_provenance, time=time, user=user)


def renamed_sheet(key: str) -> str:
    """What pedro calls its sheet ``key`` in a workbook where a user's sheet has that name."""
    return f"{key} (pedro)"[:31]


def pedro_sheet(sheet_names, key: str) -> str | None:
    """The name of pedro's sheet ``key`` (one of PEDRO_SHEETS) in an audited
    workbook: ``renamed_sheet(key)`` when a user's sheet took the plain name."""
    if renamed_sheet(key) in sheet_names:
        return renamed_sheet(key)
    return key if key in sheet_names else None


def is_audited(book: Book) -> bool:
    name = pedro_sheet(book.sheet_names, PROVENANCE_SHEET)
    if name is None:
        return False
    rows = book.grid(name).rows
    return bool(rows) and bool(rows[0]) and str(rows[0][0]).strip().lower() == PROVENANCE_MARK


def choose_sheet(book: Book, rubric: Rubric, wanted: str | None):
    """(sheet name, layout, how it was chosen).  The sheet with the most item
    columns wins; ties go to the first.  pedro's own sheets are skipped."""
    if wanted is not None:
        if wanted not in book.sheet_names:
            raise InputError(f"{book.path.name} has no sheet '{wanted}'; its sheets are: "
                             f"{', '.join(book.sheet_names)}")
        return wanted, detect_layout(book.grid(wanted), rubric), f"sheet '{wanted}' (--sheet)"
    audited = is_audited(book)
    if audited:
        recorded = read_previous_audit(book)[1].get("input_sheet")
        if recorded in book.sheet_names:
            return recorded, detect_layout(book.grid(recorded), rubric), \
                f"sheet '{recorded}' (recorded in the Provenance sheet)"
    ours = {pedro_sheet(book.sheet_names, key) for key in PEDRO_SHEETS} if audited else set()
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


def read_previous_audit(book: Book):
    """The change log and provenance that an audited input already carries."""
    import pandas as pd

    changes = pd.DataFrame(columns=LOG_COLUMNS, dtype=object)
    provenance: dict[str, str] = {}
    if not is_audited(book):
        return changes, provenance
    for row in book.grid(pedro_sheet(book.sheet_names, PROVENANCE_SHEET)).rows[1:]:
        if len(row) >= 2 and row[0] is not None:
            provenance[str(row[0])] = "" if row[1] is None else str(row[1])
    log_sheet = pedro_sheet(book.sheet_names, CHANGE_LOG_SHEET)
    if log_sheet is not None:
        rows = book.grid(log_sheet).rows
        width = len(LOG_COLUMNS)
        body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[1:] if any(v is not None for v in r)]
        changes = pd.DataFrame(body, columns=LOG_COLUMNS, dtype=object) if body else changes
    return changes, provenance


def synonym_changes(rated: RatedSheet, rubric: Rubric, time: str, user: str):
    """One change-log row per answer cell that normalising rewrites."""
    import pandas as pd

    from .normalise import answer_text

    rewritten = rated.answers[rated.answers["rewrite"]]
    old = [answer_text(v) for v in rewritten["raw"]]
    markers = rewritten["marker"].tolist() if "marker" in rewritten else [None] * len(rewritten)
    return pd.DataFrame({
        "time": time, "user": user, "sheet": rated.sheet, "cell": rewritten["cell"].tolist(),
        "study": rated.studies.loc[rewritten["study_index"], "study"].tolist(),
        "item": rewritten["item"].tolist(), "old": old, "new": rewritten["answer"].tolist(),
        "rule": [FOOTNOTE_RULE if m else SYNONYM_RULE for m in markers],
        "reason": [f"'{o}': footnote mark '{m}' removed, read as {a} (rubric {rubric.name}, [rules.footnotes])"
                   if m else f"'{o}' is written as {a} (rubric {rubric.name}, [answers.synonyms] {a})"
                   for o, a, m in zip(old, rewritten["answer"], markers)],
    }, columns=CHANGE_COLUMNS, dtype=object)
