"""Merge resolved disagreements into a consensus item sheet (`pedro consensus`).

The consensus holds every trial of the disagreement workbook's Trials sheet:
a trial both assessors rated starts from the answers they agreed on (the
Agreed sheet) and takes, for each disagreement, the answer written in its
Consensus column; a trial only one assessor rated is carried with that
assessor's answers (the Unmatched sheet) and a note saying so.  Every other
column of the assessors' sheets is carried (``carried_values``): where they
agree, the value; where they differ, the first assessor's (or the first that is
not blank) and a note naming every assessor's value.  A trial pedro cannot
place is an error naming it, never dropped.

History is kept: the disagreement workbook's change log (the inputs' own
logs, carried over by `pedro compare`) continues verbatim; every cell of the
recorded sheets edited since `pedro compare` wrote them (the hidden Recorded
cells sheet keeps them as written) becomes an "edited outside pedro" row, then each
resolution a row: trial, item, each assessor's answer, the consensus, the
reason, who and when.  ``pedro.write.consensus`` writes it; the output carries
pedro's Provenance and Change log sheets, so `pedro score` scores it like any
other sheet and appends to that log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .audit.chain import KEY_ENV, audit_key, canonical, key_mismatch, verify_chain, verify_digest
from .audit.log import OUTSIDE_RULE, UNKNOWN_USER, change_rows
from .audit.record import last_saved
from .audit.verify import recorded_rubric
from .audit.workbook import (
    CHANGE_LOG_SHEET,
    LOG_COLUMNS,
    PROVENANCE_SHEET,
    RECORDED_SHEET,
    STUDY_COLUMN,
    Key,
    has_mark,
)
from .compare import (
    AGREED_SHEET,
    AMBIGUOUS_MATCH,
    ANSWER_SUFFIX,
    ASSESSOR_HEADER,
    CONSENSUS_HEADER,
    CONSENSUS_HEADERS,
    DISAGREEMENTS_MARK,
    DISAGREEMENTS_SHEET,
    ITEM_HEADER,
    LABEL_HEADER,
    MATCHED_BY_NAME_YEAR,
    MATCHED_HEADER,
    NOT_IN_SHEET,
    POSSIBLE_MATCH,
    REASON_HEADER,
    RECORDED_FIXED,
    RECORDED_KEYS,
    RESOLVED_BY_HEADER,
    ROW_HEADER,
    TRIAL_HEADER,
    TRIALS_SHEET,
    UNMATCHED_SHEET,
    WHY_HEADER,
    answer_headings,
    item_part,
    match_key,
    read_recorded,
    recorded_values,
    typed_answer,
)
from .errors import InputError
from .normalise import STATUS_UNRECOGNISED, answer_text, canonical_answer, read_item_answer
from .rubric import Rubric
from .runtime import current_user
from .sheets.cells import column_letter
from .sheets.reader import open_book
from .text import fold_text

CONSENSUS_SHEET = "Consensus"  # the one sheet of the consensus item sheet, beside pedro's log and Provenance
NOTES_HEADER = "Consensus notes"  # its last column: the assessors' other values where they differ, single ratings
NOTE_QUOTE_LENGTH = 80  # characters of a value quoted in a note


@dataclass
class Resolution:
    row: int  # row in the Disagreements sheet
    study: str
    item: int | str  # a part's code ("6b") where the assessors rated the criterion part by part
    answers: dict[str, str]  # assessor -> answer
    consensus: str | None
    reason: str
    resolved_by: str


@dataclass
class OutsideEdit:
    """A cell of the disagreement workbook whose value differs from what `pedro compare` wrote."""

    sheet: str
    cell: str  # where it is now
    study: str | None
    item: int | str | None  # a part's code ("6b") where the assessors rated the criterion part by part
    column: str  # its header
    old: str | None
    new: str | None


@dataclass
class ConsensusTrial:
    """One row of the consensus sheet."""

    label: str | None
    rated_by: list[str]
    rows: list[str] = field(default_factory=list)  # its row in each of those assessors' sheets
    # item -> answer (as typed where unreadable); a part's code ("6a") -> its answer where the assessors
    # rated the criterion one column per part
    answers: dict[int | str, str | None] = field(default_factory=dict)
    values: list = field(default_factory=list)  # the carried columns' values, in Consensus.columns order
    notes: list[str] = field(default_factory=list)  # how it was paired, or why it stands alone
    differences: list[str] = field(default_factory=list)  # per carried column where the assessors differ
    matched: str | None = None  # the Trials sheet's Matched cell of a trial one assessor rated

    @property
    def possible_match(self) -> bool:
        """Rated by one assessor, but its label differs from another's trial only by a year letter."""
        return self.matched == POSSIBLE_MATCH


@dataclass
class Consensus:
    source: Path
    rubric: Rubric
    trials: list[ConsensusTrial]
    columns: list[str]  # the carried columns' headers
    resolutions: list[Resolution]
    unresolved: list[Resolution]
    history: object = None  # DataFrame of LOG_COLUMNS: the disagreement workbook's change log, hashes and all
    edits: list[OutsideEdit] = field(default_factory=list)
    edited_by: str = UNKNOWN_USER  # who last saved the disagreement workbook after pedro compare, if it says
    saved_at: str | None = None  # and when

    @property
    def studies(self) -> list:
        return [trial.label for trial in self.trials]

    @property
    def answers(self) -> dict:
        """Label -> item -> answer (of a label that is on several rows, the last)."""
        return {trial.label: trial.answers for trial in self.trials}

    @property
    def differing_values(self) -> int:
        """How many carried values the assessors gave differently (each named in the trial's notes)."""
        return sum(len(trial.differences) for trial in self.trials)

    @property
    def single(self) -> list[ConsensusTrial]:
        """The trials only one assessor rated."""
        return [trial for trial in self.trials if len(trial.rated_by) == 1]


def read_consensus(path: str | Path, allow_unresolved: bool = False, by: str | None = None,
                   rubric: Rubric | str | None = None) -> Consensus:
    """The consensus of a resolved disagreement workbook, under the rubric its Provenance names
    (``rubric``: the rubric file, where it is the user's own; see ``recorded_rubric``)."""
    book = open_book(path)
    where = book.path.name
    key = audit_key()
    provenance, names = _verified_provenance(book, key)
    rubric = recorded_rubric(provenance, rubric, where)
    history = _verified_history(book, provenance, key)
    current = {name: _sheet_rows(book.grid(name)) for name in RECORDED_KEYS}
    edits = outside_edits(_recorded_sheets(book, provenance, key), current, where, rubric)
    trials, columns = _read_trials(current[TRIALS_SHEET], names, where)
    _refuse_ambiguous(trials, where)
    _fill_answers(trials, current[AGREED_SHEET], current[UNMATCHED_SHEET], rubric, where)
    resolutions, unresolved, invalid = _read_resolutions(current[DISAGREEMENTS_SHEET], rubric, by or current_user(),
                                                         where)
    if invalid:
        points = "" if rubric.yes_no else " (a criterion worth several points: its points, 0 to its maximum)"
        raise InputError(f"{where}, sheet '{DISAGREEMENTS_SHEET}': consensus answers must be Y, N or ?{points}; "
                         + "; ".join(invalid))
    paired = {canonical(trial.label): trial for trial in trials if len(trial.rated_by) > 1}
    for resolution in resolutions + unresolved:
        if canonical(resolution.study) not in paired:
            raise InputError(f"{where}, sheet '{DISAGREEMENTS_SHEET}' row {resolution.row}: trial "
                             f"'{resolution.study}' is not a trial both assessors rated in the '{TRIALS_SHEET}' "
                             "sheet; do not rename trials in the disagreement workbook")
        paired[canonical(resolution.study)].answers[resolution.item] = resolution.consensus
    if unresolved and not allow_unresolved:
        listed = "; ".join(f"row {r.row}: {r.study}, item {r.item}" for r in unresolved[:20])
        more = f" and {len(unresolved) - 20} more" if len(unresolved) > 20 else ""
        raise InputError(
            f"{where}: {len(unresolved)} disagreement(s) have no consensus answer yet ({listed}{more}); "
            "fill the Consensus column with Y, N or ?, or pass --allow-unresolved to leave those answers missing")
    who, when = last_saved(book.path, provenance.get(Key.TIME, "")) if edits else (None, None)
    return Consensus(book.path, rubric, trials, columns, resolutions, unresolved, history, edits,
                     who or UNKNOWN_USER, when)


# --------------------------------------------------------------------------- the workbook and its seals

def _sheet_rows(grid) -> list[list]:
    """A sheet's rows up to its last filled one, as lists (blank rows inside kept, for row numbers)."""
    rows = [list(r) for r in grid.rows]
    while rows and not any(answer_text(v) is not None for v in rows[-1]):
        rows.pop()
    return rows


def _verified_provenance(book, key) -> tuple[dict, list[str]]:
    """The Provenance sheet as a dict, and the assessors' names, once the workbook is known to be a
    disagreement workbook whose Provenance is as `pedro compare` wrote it."""
    where = book.path.name
    needed = (*RECORDED_KEYS, CHANGE_LOG_SHEET, PROVENANCE_SHEET, RECORDED_SHEET)
    missing = [name for name in needed if name not in book.sheet_names]
    if PROVENANCE_SHEET not in book.sheet_names or not has_mark(book.grid(PROVENANCE_SHEET), DISAGREEMENTS_MARK):
        raise InputError(f"{where} is not a disagreement workbook from `pedro compare` (it has no Provenance sheet "
                         "of pedro compare's); run pedro compare first and resolve its Disagreements sheet")
    if missing:
        raise InputError(f"{where}: the disagreement workbook has no '{missing[0]}' sheet (deleted, or written by "
                         "an older pedro); run pedro compare again and resolve the new workbook")
    rows = [[canonical(v) for v in (r + [None, None])[:2]] for r in _sheet_rows(book.grid(PROVENANCE_SHEET))[1:]]
    rows = [r for r in rows if r[0]]
    provenance = dict(rows)
    _check_key(provenance, key, where)
    sealed = [tuple(r) for r in rows if r[0] != Key.PROVENANCE_DIGEST]
    ok, why = verify_digest(sealed, provenance.get(Key.PROVENANCE_DIGEST, ""), key)
    if not ok:
        why = why or "its digest does not match its rows"
        raise InputError(f"{where}: its Provenance sheet is not as pedro compare wrote it ({why}); run pedro compare "
                         "again on the assessors' sheets")
    prefix = f"{Key.ASSESSOR} "
    names = [k[len(prefix):] for k, _ in rows if k.startswith(prefix)]
    return provenance, names


def _check_key(provenance: dict, key, where: str) -> None:
    """An InputError where the key given is not the one the disagreement workbook was sealed with (its
    Provenance records the key's fingerprint): every seal would read as broken, and this says why, in
    the words `pedro audit` and `pedro score` use."""
    problem = key_mismatch(provenance.get(Key.KEY_FINGERPRINT), key)
    if problem:
        raise InputError(f"{where} was sealed by pedro compare {problem}: set {KEY_ENV} as it was when it was "
                         "compared (or unset it), then run again")


def _verified_history(book, provenance: dict, key):
    """The disagreement workbook's change log, hashes and all, once its chain verifies and its length
    and head are those the Provenance recorded: the consensus continues it."""
    import pandas as pd

    width = len(LOG_COLUMNS)
    rows = [(r + [None] * width)[:width] for r in _sheet_rows(book.grid(CHANGE_LOG_SHEET))[1:]
            if any(answer_text(v) is not None for v in r)]
    chain = verify_chain([r[:-1] for r in rows], [r[-1] for r in rows], key)
    head = canonical(rows[-1][-1]) if rows else ""
    recorded = (provenance.get(Key.CHANGE_LOG_ROWS), provenance.get(Key.CHANGE_LOG_HEAD, ""))
    if not chain["ok"] or recorded != (str(len(rows)), head):
        why = chain["reason"] or f"it has {len(rows)} row(s) where pedro compare wrote {recorded[0]}"
        raise InputError(f"{book.path.name}: its {CHANGE_LOG_SHEET} sheet is not as pedro compare wrote it ({why}); "
                         "run pedro compare again on the assessors' sheets")
    return pd.DataFrame(rows, columns=LOG_COLUMNS, dtype=object)


def _recorded_sheets(book, provenance: dict, key) -> dict[str, list[list]]:
    """The hidden Recorded sheet, sheet by sheet (header first), once its digest verifies."""
    rows = _sheet_rows(book.grid(RECORDED_SHEET))
    ok, why = verify_digest(recorded_values(rows), provenance.get(Key.RECORDED_DIGEST, ""), key)
    if not ok:
        raise InputError(f"{book.path.name}: its hidden '{RECORDED_SHEET}' sheet, which keeps the cells as pedro "
                         f"compare wrote them, was changed ({why or 'its digest does not match'}); run pedro compare "
                         "again on the assessors' sheets")
    try:
        return read_recorded(rows)
    except ValueError:  # its JSON cut or garbled: the digest above would have said so, unless forged
        raise InputError(f"{book.path.name}: its hidden '{RECORDED_SHEET}' sheet cannot be read; run pedro compare "
                         "again on the assessors' sheets") from None


# --------------------------------------------------------------------------- edits made outside pedro

def outside_edits(recorded: dict, current: dict, where: str, rubric: Rubric) -> list[OutsideEdit]:
    """Every cell of the recorded sheets whose value differs from what `pedro compare` wrote, found
    row by row on each sheet's key columns (so sorting a sheet is no edit).  A row deleted or added, a
    recorded column removed, or a change to a column that ties the sheets together (a trial's label,
    its row) is an error: pedro could not tell where the trial belongs."""
    edits = []
    for sheet, keys in RECORDED_KEYS.items():
        edits += _sheet_edits(sheet, recorded.get(sheet) or [[]], current[sheet] or [[]], keys, where, rubric)
    return edits


def _sheet_edits(sheet: str, recorded: list[list], current: list[list], keys: tuple, where: str,
                 rubric: Rubric) -> list[OutsideEdit]:
    header = [answer_text(h) for h in recorded[0]]
    found = [answer_text(h) for h in current[0]] if current else []
    where_now = _columns_now(header, found)
    lost = [h for h, c in zip(header, where_now) if h is not None and c is None]
    if lost:
        raise InputError(f"{where}, sheet '{sheet}': column '{lost[0]}' that pedro compare wrote is gone; undo "
                         "the change (pedro needs every column it wrote) or run pedro compare again")
    before = _rows_by_key(recorded[1:], header, keys, sheet, where, 2)
    now = _rows_by_key(current[1:], found, keys, sheet, where, 2)
    for key, (_, row) in before.items():
        if key not in now:
            raise InputError(f"{where}, sheet '{sheet}': the row of {_row_text(header, row, keys, key)} was deleted "
                             f"(or its {' or '.join(keys)} changed); pedro consensus never drops a trial: restore "
                             "the row, or run pedro compare again")
    for key, (line, row) in now.items():
        if key not in before:
            raise InputError(f"{where}, sheet '{sheet}' row {line} ({_row_text(found, row, keys, key)}) was not "
                             "written by pedro compare, so pedro cannot tell which trial it belongs to; delete it, "
                             "or run pedro compare again")
    edits = []
    for key, (_, old_row) in before.items():
        line, new_row = now[key]
        for column, (name, column_now) in enumerate(zip(header, where_now)):
            old, new = _at(old_row, column), _at(new_row, column_now) if column_now is not None else None
            if name is None or canonical(old) == canonical(new):
                continue
            cell = f"{column_letter(column_now)}{line}"
            if name in RECORDED_FIXED[sheet]:
                raise InputError(f"{where}, sheet '{sheet}' cell {cell}: '{name}' ties the trial to the other sheets "
                                 f"and may not be changed (it was '{answer_text(old)}'); undo the change, or run "
                                 "pedro compare again")
            edits.append(OutsideEdit(sheet, cell, _study_of(header, old_row),
                                     _item_of(sheet, header, old_row, name, rubric), name, answer_text(old),
                                     answer_text(new)))
    return edits


def _columns_now(header: list, found: list) -> list:
    """Per recorded column, its index in the sheet now (matched by header, the n-th of a repeated
    header to the n-th), or None where it is gone; columns may have been moved or added."""
    seen: dict = {}
    placed = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        matches = [c for c, h in enumerate(found) if h == name]
        placed.append(matches[seen[name] - 1] if name is not None and len(matches) >= seen[name] else None)
    return placed


def _at(row: list, column: int):
    return row[column] if column < len(row) else None


def _rows_by_key(rows: list[list], header: list, keys: tuple, sheet: str, where: str, first: int) -> dict:
    """Key (the values of ``keys`` as text) -> (sheet row number, row), blank rows skipped."""
    columns = [header.index(k) for k in keys]
    found = {}
    for line, row in enumerate(rows, start=first):
        if not any(answer_text(v) is not None for v in row):
            continue
        key = tuple(canonical(_at(row, c)) for c in columns)
        if key in found:
            raise InputError(f"{where}, sheet '{sheet}' rows {found[key][0]} and {line} are both "
                             f"{_key_text(keys, key)}; delete the copy")
        found[key] = (line, row)
    return found


def _key_text(keys: tuple, key: tuple) -> str:
    return ", ".join(f"{name} {value or '(blank)'}" for name, value in zip(keys, key))


def _row_text(header: list, row: list, keys: tuple, key: tuple) -> str:
    """A row named by its key, and by its trial's label where the key does not say it."""
    study = _study_of(header, row)
    return (f"'{study}', " if study and STUDY_COLUMN not in keys else "") + _key_text(keys, key)


def _study_of(header: list, row: list):
    return answer_text(_at(row, header.index(STUDY_COLUMN))) if STUDY_COLUMN in header else None


def _item_of(sheet: str, header: list, row: list, column: str, rubric: Rubric) -> int | str | None:
    """The item an edited cell answers: the Item column's on the Disagreements sheet, the column's
    item on the sheets of answers, none on the Trials sheet; a part's code ("6b") where the assessors
    rated a criterion part by part."""
    if sheet == DISAGREEMENTS_SHEET:
        return _listed_item(_at(row, header.index(ITEM_HEADER)), rubric)
    return answer_headings(rubric).get(column) if sheet != TRIALS_SHEET else None


def _whole(value) -> int | None:
    text = answer_text(value)
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- the trials and their values

def _read_trials(rows: list[list], names: list[str], where: str) -> tuple[list[ConsensusTrial], list[str]]:
    """The trials of the Trials sheet in their order (the rows of one trial grouped by its number), with
    the carried columns' values (``carried_values``); and the carried columns' headers."""
    header = [answer_text(h) for h in rows[0]]
    first = header.index(MATCHED_HEADER) + 1
    columns = [h or "" for h in header[first:]]
    at = {name: header.index(name) for name in (STUDY_COLUMN, TRIAL_HEADER, ASSESSOR_HEADER, LABEL_HEADER,
                                               ROW_HEADER, MATCHED_HEADER)}
    groups: dict[str, list[list]] = {}
    for row in rows[1:]:
        if any(answer_text(v) is not None for v in row):
            groups.setdefault(canonical(_at(row, at[TRIAL_HEADER])), []).append(row)
    order = {name: i for i, name in enumerate(names)}
    trials = []
    for _, group in sorted(groups.items(), key=lambda item: _whole(item[0]) or 0):  # sorting the sheet is no edit
        group.sort(key=lambda row: order.get(answer_text(_at(row, at[ASSESSOR_HEADER])), len(order)))
        rated_by = [answer_text(_at(row, at[ASSESSOR_HEADER])) for row in group]
        trial = ConsensusTrial(answer_text(_at(group[0], at[STUDY_COLUMN])), rated_by,
                               [canonical(_at(row, at[ROW_HEADER])) for row in group],
                               matched=answer_text(_at(group[0], at[MATCHED_HEADER])) if len(group) == 1 else None)
        trial.values, trial.differences = carried_values(columns, [row[first:] for row in group], rated_by)
        labels = [answer_text(_at(row, at[LABEL_HEADER])) for row in group]
        if len({match_key(label) for label in labels}) > 1:  # spelt differently, not only cased or punctuated
            matched = answer_text(_at(group[0], at[MATCHED_HEADER])) or f"by {MATCHED_BY_NAME_YEAR}"
            spellings = ", ".join(f'{name} "{label}"' for name, label in zip(rated_by, labels))
            trial.notes.insert(0, f"{STUDY_COLUMN}: {spellings} (matched {matched})")
        trials.append(trial)
    return trials, columns


def _refuse_ambiguous(trials: list[ConsensusTrial], where: str) -> None:
    """An InputError naming the trials `pedro compare` could not pair because their labels were
    ambiguous (two "Li 2012"): carried one by one, the consensus would hold one trial twice, and
    pedro cannot tell which rating goes with which."""
    ambiguous = [t for t in trials if t.matched == AMBIGUOUS_MATCH]
    if ambiguous:
        listed = ", ".join(f"{t.rated_by[0]}'s '{t.label}' (row {t.rows[0]})" for t in ambiguous)
        raise InputError(f"{where}: {len(ambiguous)} trial(s) were not paired because their labels are ambiguous "
                         f"({listed}), so the consensus would hold one trial twice; give each trial a label of its "
                         "own in the assessors' sheets (a year letter where an author has two trials in one year), "
                         "then run pedro compare again and resolve the new workbook")


def carried_values(columns: list[str], given: list[list], names: list[str]) -> tuple[list, list[str]]:
    """The value the consensus carries in each column, from ``given`` (per assessor, that assessor's
    values in column order), and a note for each column where the assessors differ.  The policy: where
    they agree (ignoring case and spacing), the value; where they differ, the first assessor's, or the
    first one that is not blank, with a note naming every assessor's value, so that nothing is lost.
    An assessor whose sheet lacks the column (NOT_IN_SHEET) has no say in it."""
    values, notes = [], []
    for c, header in enumerate(columns):
        cells = [(name, _at(row, c)) for name, row in zip(names, given) if answer_text(_at(row, c)) != NOT_IN_SHEET]
        texts = [(name, answer_text(value)) for name, value in cells]
        chosen = next((i for i, (_, text) in enumerate(texts) if text is not None), None)
        values.append(cells[chosen][1] if chosen is not None else None)
        if len({fold_text(text) if text is not None else None for _, text in texts}) > 1:
            shown = ", ".join(f"{name} {_quoted(text)}" for name, text in texts)
            notes.append(f"{header}: {shown} (kept {texts[chosen][0]}'s)")
    return values, notes


def _quoted(text: str | None) -> str:
    if text is None:
        return "(blank)"
    return f'"{text[:NOTE_QUOTE_LENGTH]}..."' if len(text) > NOTE_QUOTE_LENGTH else f'"{text}"'


def _fill_answers(trials: list[ConsensusTrial], agreed: list[list], unmatched: list[list], rubric: Rubric,
                  where: str) -> None:
    """Each trial's answers: a paired trial's from the Agreed sheet, a single one's from the Unmatched
    sheet (an answer pedro cannot read stays as typed, for `pedro score` to flag).  A trial missing from
    the sheet it belongs in is an error naming it."""
    headings = answer_headings(rubric)  # a part's column ("6a ...") when the assessors rated the criterion by parts
    by_label = _answer_rows(agreed, (STUDY_COLUMN,), headings)
    by_row = _answer_rows(unmatched, (ASSESSOR_HEADER, ROW_HEADER), headings)
    why_at = [answer_text(h) for h in unmatched[0]].index(WHY_HEADER) if unmatched else None
    for trial in trials:
        paired = len(trial.rated_by) > 1
        found = by_label.get((canonical(trial.label),)) if paired else by_row.get((trial.rated_by[0], trial.rows[0]))
        if found is None:
            sheet = AGREED_SHEET if paired else UNMATCHED_SHEET
            raise InputError(f"{where}: trial '{trial.label}' of the '{TRIALS_SHEET}' sheet has no row in the "
                             f"'{sheet}' sheet, so pedro cannot place its answers; run pedro compare again")
        line, answers = found
        for item, value in answers.items():
            answer, status = _item_answer(typed_answer(value), item, rubric)
            if paired and status == STATUS_UNRECOGNISED:
                raise InputError(f"{where}, sheet '{AGREED_SHEET}' row {line}: item {item} of '{trial.label}' is "
                                 f"'{answer_text(value)}'; agreed answers must be Y, N, ? or blank")
            trial.answers[item] = answer if status != STATUS_UNRECOGNISED else typed_answer(value)
        if not paired:
            why = answer_text(_at(unmatched[line - 1], why_at)) if why_at is not None else None
            trial.notes.insert(0, f"rated by {trial.rated_by[0]} only" + (f": {why}" if why else ""))


def _answer_rows(rows: list[list], keys: tuple, headings: dict) -> dict:
    """Key -> (sheet row number, {item: value}) of a sheet with item columns."""
    if not rows:
        return {}
    header = [answer_text(h) for h in rows[0]]
    columns = {headings[h]: c for c, h in enumerate(header) if h in headings}
    key_columns = [header.index(k) for k in keys]
    found = {}
    for line, row in enumerate(rows[1:], start=2):
        if any(answer_text(v) is not None for v in row):
            key = tuple(canonical(_at(row, c)) for c in key_columns)
            found[key] = (line, {item: _at(row, c) for item, c in columns.items()})
    return found


# --------------------------------------------------------------------------- resolutions

def _item_answer(value, item, rubric: Rubric) -> tuple[str | None, str]:
    """(answer, status) as the item reads it: Y, N or ?, or the points of a criterion worth several
    (TESTEX's 6 and 8: "0" to "3")."""
    if item in rubric.item_numbers and not rubric.item(item).yes_no:
        return read_item_answer(value, rubric.item(item), rubric)[:2]
    return canonical_answer(value, rubric)


def _listed_item(value, rubric: Rubric):
    """The item a row of the Disagreements sheet resolves: its number, or the code of a part ("6b") of a
    criterion the assessors rated part by part (a yes/no point); None for neither."""
    number = _whole(value)
    if number is not None:
        return number
    try:
        _, part = item_part(rubric, answer_text(value) or "")
    except (KeyError, ValueError):
        return None
    return part.code if part is not None else None


def _read_resolutions(rows, rubric: Rubric, default_by: str, where: str):
    if not rows:
        raise InputError(f"{where}: the '{DISAGREEMENTS_SHEET}' sheet is empty")
    header = [str(h) if h is not None else "" for h in rows[0]]
    needed = (STUDY_COLUMN, ITEM_HEADER, *CONSENSUS_HEADERS)
    missing = [h for h in needed if h not in header]
    if missing:
        raise InputError(f"{where}, sheet '{DISAGREEMENTS_SHEET}': column(s) {', '.join(missing)} are missing; "
                         "keep the columns that pedro compare wrote")
    col = {h: header.index(h) for h in needed}
    answer_cols = {h[: -len(ANSWER_SUFFIX)]: c for c, h in enumerate(header) if h.endswith(ANSWER_SUFFIX)}
    resolutions, unresolved, invalid = [], [], []
    consensus_letter = column_letter(col[CONSENSUS_HEADER])
    for r, row in enumerate(rows[1:], start=2):
        def cell(name, row=row):
            return _at(row, col[name])
        if cell(STUDY_COLUMN) is None:
            continue
        raw = cell(CONSENSUS_HEADER)
        item = _listed_item(cell(ITEM_HEADER), rubric)
        answer, status = _item_answer(raw, item, rubric)
        resolution = Resolution(
            row=r, study=answer_text(cell(STUDY_COLUMN)), item=item,
            answers={name: _at(row, c) for name, c in answer_cols.items()},
            consensus=answer, reason=answer_text(cell(REASON_HEADER)) or "",
            resolved_by=answer_text(cell(RESOLVED_BY_HEADER)) or default_by)
        if status == "missing":
            unresolved.append(resolution)
        elif status == STATUS_UNRECOGNISED:
            invalid.append(f"{consensus_letter}{r} has '{answer_text(raw)}'")
        else:
            resolutions.append(resolution)
    return resolutions, unresolved, invalid


def outside_edit_changes(consensus: Consensus, time: str):
    """The change-log rows of the edits made to the disagreement workbook outside pedro, as a DataFrame
    of CHANGE_COLUMNS, logged at ``time`` (this run's): the cell as it is now, old and new; who is the
    workbook's last saver where its properties say so, else not known (never the user merging)."""
    edits, source = consensus.edits, consensus.source.name
    saved = f"; {source} was last saved at {consensus.saved_at}" if consensus.saved_at else ""
    return change_rows(
        time=time, user=consensus.edited_by, sheet=[e.sheet for e in edits],
        cell=[e.cell for e in edits], study=[e.study for e in edits], item=[e.item for e in edits],
        old=[e.old for e in edits], new=[e.new for e in edits], rule=OUTSIDE_RULE,
        reason=[f"{source}, sheet '{e.sheet}', column '{e.column}': changed after pedro compare wrote it; "
                + ("the consensus takes the new value" if e.sheet != DISAGREEMENTS_SHEET
                   else "kept for the record: the consensus takes the Consensus column") + saved for e in edits])
