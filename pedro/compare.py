"""Compare independent assessors' ratings of the same trials.

PEDro's own database rates every trial twice, independently, and a third
rater settles each item on which the two disagree (PEDRO-NOTES 1.4).  This
module pairs the assessors' trials by label (``pair_trials``), lists every
(trial, item) disagreement, and computes the agreement statistics of
``pedro.agreement``.  It also gathers what the consensus needs besides the
answers: the other columns of each sheet (``carried_columns``) and the change
logs the inputs already carry (``history_changes``).

Categories: the statistics are computed on the point each item earns, "Y"
against not "Y" ("N" and "?" both score 0, because PEDro awards a point only
when a criterion is clearly satisfied).  The disagreement list is stricter: any
difference in the answers, "N" against "?" included, is listed for consensus,
and so is every answer pedro cannot read, shown as it was typed.

A criterion worth several points (TESTEX's 6 and 8) that every sheet gives one column per point is compared
point by point (``compared_parts``): its disagreements per part ("6b"), and a yes/no row of statistics per
part after the criterion's own on its points.  Where the sheets differ in layout, it is compared on the
points, and ``Comparison.notes`` says so.
"""

from __future__ import annotations

import bisect
import datetime
import json
import re
import unicodedata
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from . import agreement
from .audit.chain import audit_key, canonical, verify_chain
from .audit.log import change_rows, logged_changes
from .audit.record import cell_chunks
from .audit.workbook import CHANGE_COLUMNS, HASH_COLUMN, ROW_COLUMN, STUDY_COLUMN, Key
from .engine import ScoreResult, score_file
from .errors import InputError
from .normalise import STATUS_UNRECOGNISED, answer_text, read_answer
from .rubric import Rubric, load_rubric
from .runtime import bulk_allocation
from .sheets.cells import column_letter
from .table import first_seen_codes, missing
from .text import fold_text, header_key

# The disagreement workbook that `pedro compare` writes (``pedro.write.disagreements``) and
# `pedro consensus` reads: its sheet names, marks and columns, spelt here only.  Its
# Provenance, Change log and Recorded cells sheets have the audited workbook's names (``pedro.audit.workbook``).
DISAGREEMENTS_SHEET = "Disagreements"
AGREED_SHEET = "Agreed"
TRIALS_SHEET = "Trials"
STATISTICS_SHEET = "Statistics"
DIFFERENCES_SHEET = "Trial differences"
UNMATCHED_SHEET = "Unmatched"
DISAGREEMENTS_MARK = "pedro disagreements"  # cell A1 of its Provenance sheet
# Its hidden sheet of the cells as written (named as the audited workbook's, which does the same job for an
# item sheet), so that consensus finds the edits made since; sealed by Key.RECORDED_DIGEST in the Provenance.
ITEM_HEADER, CRITERION_HEADER = "Item", "Criterion"
CONSENSUS_HEADER, REASON_HEADER, RESOLVED_BY_HEADER = "Consensus", "Reason", "Resolved by"
CONSENSUS_HEADERS = (CONSENSUS_HEADER, REASON_HEADER, RESOLVED_BY_HEADER)
ANSWER_SUFFIX, EVIDENCE_SUFFIX = ": answer", ": evidence"  # after each assessor's name
# The Trials sheet: one row per trial and assessor, with what pairs them and the sheet's other columns.
TRIAL_HEADER, ASSESSOR_HEADER, LABEL_HEADER, MATCHED_HEADER = "Trial", "Assessor", "Label as written", "Matched"
ROW_HEADER = ROW_COLUMN  # the trial's row in the assessor's sheet, as the Scores sheet names it
WHY_HEADER = "Why"  # the Unmatched sheet's: why the trial is not paired
MATCHED_BY_LABEL, MATCHED_BY_NAME_YEAR = "label", "first author's surname and year"
# The Trials sheet's Matched cell of a trial not paired although another sheet may hold it: `pedro consensus`
# refuses an ambiguous one (it would hold one trial twice) and says a possible match again.
AMBIGUOUS_MATCH, POSSIBLE_MATCH = "ambiguous, not paired", "possible match, not paired"
BLANK_ANSWER = "(blank)"
NOT_IN_SHEET = "(not in this sheet)"  # the Trials sheet's cell of a column the assessor's sheet does not have
UNREADABLE_NOTE = " (not a valid answer)"  # after an answer shown as typed
HISTORY_RULE = "history"  # a change-log row that introduces the rows carried from an input's log


# The sheets whose cells the hidden Recorded sheet keeps as `pedro compare` wrote them, each with the
# columns that identify a row (so that sorting a sheet is not an edit) and the columns that tie the
# sheets together, which may not be edited.  The Disagreements sheet is kept up to its Consensus column.
RECORDED_KEYS = {DISAGREEMENTS_SHEET: (STUDY_COLUMN, ITEM_HEADER), AGREED_SHEET: (STUDY_COLUMN,),
                 TRIALS_SHEET: (ASSESSOR_HEADER, ROW_HEADER), UNMATCHED_SHEET: (ASSESSOR_HEADER, ROW_HEADER)}
RECORDED_FIXED = {DISAGREEMENTS_SHEET: (STUDY_COLUMN, ITEM_HEADER), AGREED_SHEET: (STUDY_COLUMN,),
                  TRIALS_SHEET: (STUDY_COLUMN, TRIAL_HEADER, ASSESSOR_HEADER, ROW_HEADER, MATCHED_HEADER),
                  UNMATCHED_SHEET: (ASSESSOR_HEADER, STUDY_COLUMN, ROW_HEADER)}


def recorded_rows(sheet: str, rows: list[list]) -> list[list]:
    """The rows the Recorded cells sheet keeps of ``sheet`` (header first): [sheet, the row's values as
    text in a JSON list], the JSON split over further cells as an audited workbook's (``cell_chunks``).  One cell
    per row rather than one per value: at the scale of the PEDro database this sheet holds a quarter
    of a million rows, and a workbook writer's time goes by the cell."""
    header = [answer_text(h) for h in rows[0]] if rows else []
    width = header.index(CONSENSUS_HEADER) if sheet == DISAGREEMENTS_SHEET and CONSENSUS_HEADER in header else None
    recorded = []
    for row in rows:
        text = json.dumps([canonical(v) for v in (list(row)[:width] if width is not None else row)],
                          ensure_ascii=False)
        recorded.append([sheet, *cell_chunks(text)])
    return recorded


def read_recorded(rows: list[list]) -> dict[str, list[list[str]]]:
    """The Recorded cells sheet read back (``recorded_rows``): sheet -> its rows, header first, each a
    list of the values as text."""
    sheets: dict[str, list[list[str]]] = {}
    for row in rows:
        if row and answer_text(row[0]) is not None:
            text = "".join(canonical(v) for v in row[1:])
            sheets.setdefault(str(row[0]), []).append(json.loads(text) if text else [])
    return sheets


def recorded_values(rows) -> list[list[str]]:
    """The rows of the Recorded sheet as its digest covers them: values as text, trailing blanks
    left out (a sheet read back pads its short rows), blank rows skipped."""
    trimmed = []
    for row in rows:
        values = [canonical(v) for v in row]
        while values and values[-1] == "":
            values.pop()
        if values:
            trimmed.append(values)
    return trimmed


def answer_header(assessor: str) -> str:
    return f"{assessor}{ANSWER_SUFFIX}"


def evidence_header(assessor: str) -> str:
    return f"{assessor}{EVIDENCE_SUFFIX}"


def shown_answer(answer, typed=None, blank=None):
    """An answer as the disagreement workbook shows it: the canonical answer; what was typed,
    marked as not a valid answer, where pedro cannot read it ('Yy (not a valid answer)'); else ``blank``."""
    if answer is not None:
        return answer
    return f"{typed}{UNREADABLE_NOTE}" if typed is not None else blank


def typed_answer(shown):
    """The value a cell of the disagreement workbook stands for: ``shown_answer`` undone."""
    text = answer_text(shown)
    if text is None or text == BLANK_ANSWER:
        return None
    return text[: -len(UNREADABLE_NOTE)] if text.endswith(UNREADABLE_NOTE) else text


POINT_CATEGORIES = ("Y", "not Y")
ANSWER_CHOICES = ("Y", "N", "?")  # what a yes/no item's or a part's consensus may be


def item_part(rubric: Rubric, item) -> tuple:
    """(the criterion, the part or None) that an item of the disagreement list names: a number (6), or the
    code of a part of a criterion compared part by part ("6b"); KeyError for neither."""
    if isinstance(item, str) and not item.strip().isdigit():
        for criterion in rubric.items:
            for part in criterion.parts:
                if part.code.casefold() == item.strip().casefold():
                    return criterion, part
        raise KeyError(item)
    return rubric.item(int(item)), None


def answer_columns(rubric: Rubric, parts) -> list[tuple[str, int, str | None]]:
    """The columns of answers of the disagreement workbook's Agreed and Unmatched sheets and of the consensus
    item sheet: (heading, item, part code or None), in the rubric's order; a criterion in ``parts`` (those
    compared part by part) one column per part ("6a Adherence >85%"), as the assessors' sheets gave it."""
    columns = []
    for item in rubric.items:
        if item.number in parts:
            columns += [(f"{part.code} {part.label}", item.number, part.code) for part in item.parts]
        else:
            columns.append((item.heading, item.number, None))
    return columns


def answer_headings(rubric: Rubric) -> dict:
    """Heading -> the item (its number) or part (its code, "6a") a column of ``answer_columns`` holds."""
    headings = {item.heading: item.number for item in rubric.items}
    headings.update({f"{part.code} {part.label}": part.code for item in rubric.items for part in item.parts})
    return headings


def item_label(rubric: Rubric, item) -> str:
    """The label of an item of the disagreement list: the criterion's, or the part's ("Adverse events reported")."""
    criterion, part = item_part(rubric, item)
    return part.label if part is not None else criterion.label


def consensus_choices(rubric: Rubric, item) -> tuple:
    """What the consensus of an item of the disagreement list may be: Y, N or ? for a yes/no item or a part,
    the points 0..max or ? for a criterion worth several points compared on its points."""
    criterion, part = item_part(rubric, item)
    if part is not None or criterion.yes_no:
        return ANSWER_CHOICES
    return (*(str(p) for p in range(criterion.points + 1)), "?")
MISSING = -1  # the code of a missing answer (or band) in the arrays of a Comparison


def match_key(label) -> str | None:
    """The exact key: labels that differ only in case, spacing and punctuation ("Smith, 2001" =
    "smith 2001").  Pairs made on it come first (``pair_trials``)."""
    if label is None:
        return None
    key = re.sub(r"[\W_]+", "", fold_text(label))
    return key or None


# In ASCII, NFKC changes nothing and the word characters are letters, digits and
# "_": an ASCII label's key is its lower case without any other character.
_ASCII_NOT_KEY = str.maketrans("", "", "".join(chr(c) for c in range(1, 128) if not chr(c).isalnum()))


def match_keys(labels: list) -> list[str | None]:
    """``[match_key(label) for label in labels]``, with the ASCII labels (nearly all)
    folded in one pass over their NUL-joined text."""
    is_ascii = [isinstance(label, str) and label.isascii() for label in labels]
    ascii_labels = [label for label, plain in zip(labels, is_ascii) if plain]
    folded = "\x00".join(ascii_labels).lower().translate(_ASCII_NOT_KEY).split("\x00")
    if len(folded) != len(ascii_labels):  # a label holds NUL itself (or none is ASCII)
        return [match_key(label) for label in labels]
    ascii_keys = iter(folded)
    return [(next(ascii_keys) or None) if plain else match_key(label) for label, plain in zip(labels, is_ascii)]


# How a person reads a trial label: the first author's surname and the year.  Reference numbers
# ("[12]", "(ref 3)", superscripts) go first; brackets that hold the year stay.
_REFERENCE_MARKS = re.compile("[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+")
_BRACKETED = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
_YEAR = re.compile(r"(?<![0-9])(1[89][0-9]{2}|20[0-9]{2})([a-zA-Z]?)(?![0-9A-Za-z])")  # 2019, 2019a
# A year cut to two digits after an apostrophe ("Nguyen et al., '20"), never one inside a name ("O'Brien").
_SHORT_YEAR = re.compile(r"(?<![\w'‘’])['‘’`]([0-9]{2})([a-zA-Z]?)(?![0-9A-Za-z])")
# German umlauts as they are written without them ("Müller" = "Mueller"); applied only to a label that has
# them, so that two labels both spelt without ("Bauer", "Baur") never pair through it.
_UMLAUTS_SPELT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_NAME_ENDS = re.compile(r"\bet\.?\s*al\b|\band\b|&|[,;:(\[]", re.IGNORECASE)  # co-authors, initials after a comma
_LETTERS = re.compile(r"[^\W\d_]+")
# Letters that Unicode does not decompose into a base letter and an accent.
_OWN_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                              "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "Þ": "Th"})
# Headers of a separate year column, which completes a label that has no year ("Müller et al." | 2019).
YEAR_HEADERS = {"year", "yr", "pubyear", "publicationyear", "yearofpublication", "yearpublished"}


def _full_year(short) -> str:
    """A two-digit year as a person reads it in a trial's label: this century's up to this year, else
    the last century's ('20 is 2020, '98 is 1998)."""
    two = int(short.group(1))
    century = 2000 if two <= datetime.date.today().year % 100 else 1900
    return f"{century + two}{short.group(2)}"


def surname_year_key(label, year=None, umlauts_spelt: bool = False) -> str | None:
    """The key a person matches trials by: the first author's surname and the year, ignoring case,
    accents, "et al.", co-authors, initials, punctuation, bracketed reference numbers and how the year
    is written.  "Müller et al. (2019) [12]" and "Muller et al 2019" are both "muller 2019";
    "García-López, 2020" is "garcialopez 2020"; "Nguyen et al., '20" is "nguyen 2020"; a year letter
    stays ("smith 2001a").  ``year`` (a Year column's value) is used when the label has none.  With
    ``umlauts_spelt``, "ü" is read as "ue" ("Müller 2011" is "mueller 2011").  None when the label gives
    no name or no year."""
    if label is None:
        return None
    text = _REFERENCE_MARKS.sub(" ", str(label))
    text = _SHORT_YEAR.sub(lambda m: " " + _full_year(m), text)
    text = text.translate(_UMLAUTS_SPELT) if umlauts_spelt else text
    text = _BRACKETED.sub(lambda m: m.group(0) if _YEAR.search(m.group(1)) else " ", text)
    decomposed = unicodedata.normalize("NFKD", text.translate(_OWN_LETTERS))
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    found = _YEAR.search(text)
    if found:
        year_text = found.group(1) + found.group(2).lower()
        before = text[: found.start()]
        name = before if _LETTERS.search(before) else text[found.end():]
    else:
        found = _YEAR.fullmatch(answer_text(year).strip()) if answer_text(year) else None
        year_text, name = (found.group(1) + found.group(2).lower(), text) if found else (None, "")
    surname = _surname(name)
    return f"{surname} {year_text}" if surname and year_text else None


def _surname(name: str) -> str | None:
    """The first author's surname in the text before the year: up to "et al.", "and", "&" or a
    comma; initials after the surname ("Smith JA") left out; parts joined ("van der Berg")."""
    end = _NAME_ENDS.search(name)
    tokens = _LETTERS.findall(name[: end.start()] if end else name)
    if not tokens:
        return None
    shouting = "".join(tokens).isupper()  # "SMITH J": only single letters are initials then
    initial = 1 if shouting else 3
    kept = [tokens[0], *(t for t in tokens[1:] if not (t.isupper() and len(t) <= initial))]
    return "".join(kept).casefold()


@dataclass
class Assessor:
    name: str
    result: ScoreResult

    @property
    def path(self) -> Path:
        return self.result.input


@dataclass(frozen=True)
class Unpaired:
    """A trial that is not paired with one trial in every other assessor's sheet, and why."""

    assessor: int  # position in Comparison.assessors
    position: int  # the trial's position in that assessor's sheet.study_table
    label: str | None
    row: int
    why: str
    matched: str | None = None  # AMBIGUOUS_MATCH or POSSIBLE_MATCH where another sheet may hold it, else None


@dataclass
class Pairing:
    """Which trials of the assessors' sheets are the same trial (``pair_trials``)."""

    trials: list[tuple[int, ...]]  # per paired trial, its position in each assessor's sheet.study_table
    kinds: list[str]  # per paired trial, MATCHED_BY_LABEL or MATCHED_BY_NAME_YEAR
    unpaired: list[Unpaired]  # in assessor order, then sheet order
    # {"key": surname and year, "labels": {assessor: [labels]}, "matched": AMBIGUOUS_MATCH}: not paired, said so
    ambiguous: list[dict]
    possible: list[dict] = field(default_factory=list)  # as ``ambiguous``, with "why": only the year letter differs


@dataclass
class Comparison:
    """The assessors' ratings of the trials they all rated, side by side, and what
    was computed from them.  Arrays are numpy, one row per matched trial in
    ``keys`` order, one column per assessor in ``assessors`` order."""

    assessors: list[Assessor]
    keys: list[str]  # matched trial keys, in the first assessor's order
    labels: dict[str, str]  # key -> label as the first assessor wrote it
    study_index: object  # array, trials x assessors: the trial's position in each assessor's sheet.study_table
    item_numbers: list[int]  # the rubric's items: the last axis of answers
    answers: object  # int array, trials x assessors x items: position in answer_labels, MISSING where none
    answer_labels: tuple  # the answers the codes stand for ("Y", "N", "?")
    totals: object  # float array, trials x assessors: total, NaN when unknown
    bands: object  # object array, trials x assessors: band or None
    unmatched: dict[str, list[str]]  # assessor -> labels of the trials not paired ("(row 7, no label)")
    items: list[dict] = field(default_factory=list)  # statistics per item
    total_stats: dict = field(default_factory=dict)
    pairing: Pairing | None = None
    unreadable: dict = field(default_factory=dict)  # (trial, assessor, item) -> the answer as typed, unreadable
    methods: dict = field(default_factory=dict)  # statistic key (of items / total_stats) -> its method and source
    # Trials some but not all of three or more assessors rated (``partly_rated``): their positions in each
    # sheet (-1 where not rated) and answers, coded as ``answers``; kept in the item statistics only.
    partial: list = field(default_factory=list)
    partial_answers: object = None  # int array, partial trials x assessors x items
    # The criteria every sheet gives one column per part, compared part by part (``compared_parts``): item ->
    # (part codes, answers trials x assessors x parts "Y"/"N"/"?"/None, the same as typed where unreadable).
    parts: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # how the comparison was made where the sheets differ in layout

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.assessors]

    def answer_text(self, codes):
        """The answers that ``codes`` (any shape) stand for, None where MISSING."""
        import numpy as np

        return np.array([*self.answer_labels, None], dtype=object)[codes]  # MISSING (-1) picks the None

    def trial_labels(self, trial: int) -> list:
        """Each assessor's label of the matched trial at position ``trial`` of ``keys``, as written."""
        indexes = self.study_index[trial].tolist()
        return [a.result.sheet.study_table["study"][i] for a, i in zip(self.assessors, indexes)]

    def paired_by_name_year(self) -> list[list]:
        """Each assessor's label of every trial paired by first author's surname and year, not by label."""
        return [self.trial_labels(t) for t, kind in enumerate(self.pairing.kinds) if kind == MATCHED_BY_NAME_YEAR]

    @cached_property
    def disagreements(self) -> list[dict]:
        """``list_disagreements`` with the evidence, made when first asked for: the JSON
        report does without it."""
        return list_disagreements(self)

    def disagreements_without_evidence(self) -> list[dict]:
        """``list_disagreements`` without the evidence text: what the JSON report lists."""
        return list_disagreements(self, evidence=False)

    def trial_differences(self) -> list[dict]:
        """Per trial, each assessor's total and band (``trial_differences``)."""
        return trial_differences(self)

    @cached_property
    def columns(self) -> list[CarriedColumn]:
        """The sheets' other columns, carried into the consensus (``carried_columns``)."""
        return carried_columns(self.assessors)


def assessor_names(results: list[ScoreResult], names: list[str] | None) -> list[str]:
    """--names, else the Provenance's user of an audited workbook, else the file stem; always unique."""
    if names:
        if len(names) != len(results):
            raise InputError(f"--names gives {len(names)} name(s) for {len(results)} file(s); give one per file")
        if len(set(names)) != len(names):
            raise InputError(f"--names must be different from each other; got {', '.join(names)}")
        return list(names)
    chosen = [r.previous_provenance.get(Key.ASSESSOR) or r.previous_provenance.get(Key.USER) or r.input.stem
              for r in results]
    if len(set(chosen)) != len(chosen):
        chosen = [r.input.stem for r in results]
    if len(set(chosen)) != len(chosen):
        chosen = [f"{stem} ({i + 1})" for i, stem in enumerate(chosen)]
    return chosen


def compare_files(paths: list[str | Path], names: list[str] | None = None, bands: str | None = None,
                  sheet: str | None = None, rubric=None, complete_cases: bool = False, ci: str = "z") -> Comparison:
    if len(paths) < 2:
        raise InputError("compare needs at least two assessors' item sheets")
    rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
    # Without the consistency rules: a comparison reports none of them (`pedro score` each sheet for those).
    # Two sheets at a time: while one is normalised (holding the GIL), python-calamine parses the next without
    # it.  The results come in the order of the paths, and so does the first error.  Meanwhile this thread,
    # which would only wait, imports the statistics' libraries.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pedro-compare") as pool:
        reading = pool.map(lambda p: _read_for_comparison(p, sheet, bands, rubric), paths)
        agreement.import_libraries()
        results = list(reading)
    return compare_results(results, assessor_names(results, names), complete_cases=complete_cases, ci=ci)


def _read_for_comparison(path, sheet: str | None, bands: str | None, rubric: Rubric) -> ScoreResult:
    """``path`` scored without its consistency rules: a comparison reports none of them."""
    return score_file(path, sheet=sheet, bands=bands, rubric=rubric, check=False)


def pair_trials(names: list[str], labels: list[list], years: list | None = None,
                rows: list | None = None) -> Pairing:
    """Which trials of the assessors' sheets are the same trial.  ``labels[a]`` are assessor ``a``'s
    labels in sheet order; ``years[a]``, where given, the values of a Year column beside them;
    ``rows[a]`` their rows in the sheet (for the report).

    First, labels equal but for case, spacing and punctuation pair (``match_key``).  Then, among the
    trials left, the first author's surname and the year (``surname_year_key``), and last that key with
    an umlaut read as its spelling ("Müller" = "Mueller").  A key that a sheet holds more than once, where
    every sheet holds it, is ambiguous: its trials are reported and not paired.  Trials left whose keys
    differ only by a year letter ("Kim 2021a", "Kim 2021") are a possible match, reported and not paired.
    Every trial not paired is listed with why (``Pairing.unpaired``)."""
    count = len(labels)
    years, rows = years or [None] * count, rows or [None] * count
    exact = [match_keys(sheet_labels) for sheet_labels in labels]
    exact_pairs = _pair_exact(exact)
    taken = [{pair[a] for pair in exact_pairs} for a in range(count)]
    kinds = {pair: MATCHED_BY_LABEL for pair in exact_pairs}
    ambiguous, why, seconds = [], {}, []
    for umlauts_spelt in (False, True):
        keys = [_second_keys(labels[a], exact[a], years[a], taken[a] | {p for b, p in why if b == a}, umlauts_spelt)
                for a in range(count)]
        seconds.append(keys)
        loose_pairs, found, reasons = _pair_remaining(names, labels, keys)
        ambiguous += found
        why |= {place: (AMBIGUOUS_MATCH, reason) for place, reason in reasons.items()}
        kinds |= {pair: MATCHED_BY_NAME_YEAR for pair in loose_pairs}
        for pair in loose_pairs:
            for a, position in enumerate(pair):
                taken[a].add(position)
    possible = _possible_matches(names, labels, seconds[0], taken, why)
    left = [{key for p in range(len(labels[a])) if p not in taken[a] for key in (exact[a][p], seconds[0][a][p])}
            for a in range(count)]
    unpaired = [Unpaired(a, p, label, rows[a][p] if rows[a] is not None else p + 1,
                         why[(a, p)][1] if (a, p) in why
                         else _unpaired_reason(names, a, label, {exact[a][p], seconds[0][a][p]}, left),
                         why[(a, p)][0] if (a, p) in why else None)
                for a in range(count) for p, label in enumerate(labels[a]) if p not in taken[a]]
    trials = sorted(kinds)  # in the first assessor's order
    return Pairing(trials, [kinds[t] for t in trials], unpaired, ambiguous, possible)


def _second_keys(labels: list, exact: list, years, taken: set, umlauts_spelt: bool = False) -> list:
    """The key of each trial not in ``taken``: its surname and year, else its exact key.  With
    ``umlauts_spelt``, only a label with an umlaut gets a key of its own: the others already had theirs."""
    years = years if years is not None else [None] * len(labels)
    return [None if p in taken or key is None else (surname_year_key(label, year, umlauts_spelt) or key)
            for p, (label, key, year) in enumerate(zip(labels, exact, years))]


_YEAR_LETTER = re.compile(r"(?<=[0-9]{4})[a-z]$")


def _possible_matches(names: list[str], labels: list[list], keys: list[list], taken: list[set], why: dict):
    """Trials left unpaired whose surname and year differ only by a year letter ("kim 2021a", "kim 2021"),
    in every sheet: reported as a possible match, not paired (they may be two trials of one year).
    Fills ``why`` with (POSSIBLE_MATCH, reason) for each; returns the groups as Pairing.possible lists them."""
    groups = [defaultdict(list) for _ in keys]
    for a, sheet_keys in enumerate(keys):
        for p, key in enumerate(sheet_keys):
            if key is not None and p not in taken[a] and (a, p) not in why:
                groups[a][_YEAR_LETTER.sub("", key)].append(p)
    possible = []
    for stem in groups[0]:
        found = [group.get(stem, []) for group in groups]
        spelt = {keys[a][p] for a, positions in enumerate(found) for p in positions}
        if not all(found) or len(spelt) != 2 or stem not in spelt:  # "2021a" against "2021b" are two trials
            continue
        shown = {names[a]: [labels[a][p] for p in positions] for a, positions in enumerate(found)}
        possible.append({"key": stem, "labels": shown, "why": "year letter differs", "matched": POSSIBLE_MATCH})
        listed = "; ".join(f"{name}: " + ", ".join(f"'{label}'" for label in given) for name, given in shown.items())
        for a, positions in enumerate(found):
            for p in positions:
                why[(a, p)] = (POSSIBLE_MATCH, f"{POSSIBLE_MATCH}: year letter differs ({listed}); if they are the "
                                               "same trial, write its year alike in every sheet and compare again")
    return possible


def _pair_exact(exact: list[list]) -> list[tuple[int, ...]]:
    """Trials whose exact key each sheet holds once: their positions, one tuple per trial."""
    counts = [Counter(k for k in keys if k is not None) for keys in exact]
    once = [{key: p for p, key in enumerate(keys) if key is not None and counts[a][key] == 1}
            for a, keys in enumerate(exact)]
    return [(p, *(once[a][key] for a in range(1, len(exact))))
            for p, key in enumerate(exact[0]) if key in once[0] and all(key in found for found in once[1:])]


def _pair_remaining(names: list[str], labels: list[list], keys: list[list]):
    """Pairs of the trials the exact keys left, on ``keys`` (surname and year, else the exact key):
    (pairs, ambiguous groups, {(assessor, position): why not paired})."""
    groups = [defaultdict(list) for _ in keys]
    for a, sheet_keys in enumerate(keys):
        for position, key in enumerate(sheet_keys):
            if key is not None:
                groups[a][key].append(position)
    pairs, ambiguous, why = [], [], {}
    for key in groups[0]:
        found = [group.get(key, []) for group in groups]
        if not all(found):
            continue
        if all(len(positions) == 1 for positions in found):
            pairs.append(tuple(positions[0] for positions in found))
            continue
        shown = {names[a]: [labels[a][p] for p in positions] for a, positions in enumerate(found)}
        ambiguous.append({"key": key, "labels": shown, "matched": AMBIGUOUS_MATCH})
        listed = "; ".join(f"{name}: " + ", ".join(f"'{label}'" for label in given) for name, given in shown.items())
        year = key.rpartition(" ")[2] if " " in key else None
        example = f" ({year}a, {year}b)" if year else ""
        for a, positions in enumerate(found):
            for position in positions:
                why[(a, position)] = (f"ambiguous: {listed} all read as '{key}', so none is paired; give each "
                                      f"trial a label of its own{example} and compare again")
    return pairs, ambiguous, why


def _unpaired_reason(names: list[str], a: int, label, keys: set, left: list[set]) -> str:
    """Why a trial that no key paired, and that is not ambiguous, stands alone: the sheets that have
    no unpaired trial with its label or its surname and year."""
    if label is None:
        return "no label"
    keys.discard(None)
    missing = [names[b] for b in range(len(names)) if b != a and not keys & left[b]]
    if not missing:
        return "its label, or its surname and year, is in a sheet more than once"
    return f"not in {', '.join(missing)}'s sheet (no trial there with this label, or this surname and year)"


def partly_rated(pairing: Pairing, labels: list[list]) -> list[tuple[int, ...]]:
    """The trials not paired because some, not all, of three or more assessors rated them: per trial its
    position in each sheet, -1 where that sheet lacks it.  Trials are grouped by their exact key
    (``match_key``), and a key is taken only where no sheet has it on two unpaired trials and at least two
    sheets have it; an ambiguous trial or a possible match is never grouped."""
    count = len(labels)
    if count < 3:
        return []
    places: dict[str, list[list[int]]] = defaultdict(lambda: [[] for _ in range(count)])
    for trial in pairing.unpaired:
        key = match_key(trial.label) if trial.matched is None else None
        if key is not None:
            places[key][trial.assessor].append(trial.position)
    return [tuple(found[0] if found else -1 for found in by_sheet) for by_sheet in places.values()
            if all(len(found) <= 1 for found in by_sheet) and sum(1 for found in by_sheet if found) >= 2]


def _partial_answers(assessors: list[Assessor], partial: list[tuple[int, ...]], items: list[int]):
    """The answers of the partly rated trials, partial trials x assessors x items, None where the
    assessor did not rate the trial or left it blank."""
    import numpy as np

    found = np.full((len(partial), len(assessors), len(items)), None, dtype=object)
    for a, assessor in enumerate(assessors):
        trials, positions = _rated_by(partial, a)
        if trials:
            found[trials, a, :] = assessor.result.sheet.answers_at(np.asarray(positions)[:, None], items)
    return found


def _rated_by(partial: list[tuple[int, ...]], a: int) -> tuple[list[int], list[int]]:
    """The partly rated trials assessor ``a`` rated: their places in ``partial`` and their positions in a's sheet."""
    rated = [(t, pair[a]) for t, pair in enumerate(partial) if pair[a] >= 0]
    return ([t for t, _ in rated], [p for _, p in rated])


def part_answers(result: ScoreResult, item: int, study_index) -> tuple:
    """The answers to each part of ``item`` (TESTEX's 6a, 6b, 6c) of the trials at ``study_index`` in a sheet
    that gives the item one column per part (``Layout.parts``): (answers, typed), both object arrays trials x
    parts, ``answers`` "Y", "N", "?" or None (blank or not an answer), ``typed`` the value as typed where it is
    not an answer, else None.  The normalised answers keep only the parts' sum, so the parts are read again
    from the sheet's cells, as ``pedro.normalise`` read them."""
    import numpy as np

    sheet, rubric = result.sheet, result.rubric
    columns = list(sheet.layout.parts[item].values())
    rows = np.asarray(sheet.study_table["row"], dtype=np.int64)[np.asarray(study_index, dtype=np.int64)]
    values = sheet.grid.columns([c.index for c in columns], start=sheet.layout.header_row)
    offsets = rows - (sheet.layout.header_row + 1)
    answers = np.full((len(rows), len(columns)), None, dtype=object)
    typed = np.full_like(answers, None)
    for p, column in enumerate(columns):
        cells = values[column.index]
        for t, offset in enumerate(offsets.tolist()):
            value = cells[offset] if 0 <= offset < len(cells) else None
            answer, status, _ = read_answer(value, rubric)
            answers[t, p] = answer
            if status == STATUS_UNRECOGNISED:
                typed[t, p] = answer_text(value)
    return answers, typed


def compared_parts(assessors: list[Assessor], study_index) -> tuple[dict, dict, list[str]]:
    """How the criteria worth several points are compared.  Where every assessor's sheet gives a criterion
    one column per part, part by part: item -> (the part codes, answers trials x assessors x parts, typed
    likewise; see ``part_answers``).  Where some sheets give it by parts and others as one column of points,
    on the points, which is all the second kind says: then a note that says so."""
    import numpy as np

    rubric = assessors[0].result.rubric
    parts, notes = {}, []
    for item in rubric.items:
        if item.yes_no or not item.parts:
            continue
        by_parts = [item.number in a.result.sheet.layout.parts for a in assessors]
        codes = [tuple(a.result.sheet.layout.parts[item.number]) if given else () for a, given in
                 zip(assessors, by_parts)]
        if all(by_parts) and len(set(codes)) == 1:
            read = [part_answers(a.result, item.number, study_index[:, i]) for i, a in enumerate(assessors)]
            parts[item.number] = (codes[0], np.stack([r[0] for r in read], axis=1),
                                  np.stack([r[1] for r in read], axis=1))
        elif any(by_parts):
            split = [a.name for a, given in zip(assessors, by_parts) if given]
            whole = [a.name for a, given in zip(assessors, by_parts) if not given]
            notes.append(f"{rubric.item_word} {item.number} ({item.label}) is compared on its points "
                         f"(0-{item.points}), not part by part: {', '.join(split)} rated it one column per part "
                         f"({', '.join(p.code for p in item.parts)}), {', '.join(whole) or 'the others'} "
                         "as one column of points")
    return parts, notes


def _study_years(result: ScoreResult) -> list | None:
    """The values of the sheet's Year column beside its trials, or None when it has none."""
    for kind, _, index in sheet_columns(result):
        if kind[0] == "header" and kind[1] in YEAR_HEADERS:
            return column_values(result, index)
    return None


def compare_results(results: list[ScoreResult], names: list[str], complete_cases: bool = False,
                    ci: str = "z") -> Comparison:
    """The assessors' sheets side by side with their agreement statistics; ``complete_cases`` computes
    the coefficients of three or more assessors (Fleiss', Conger's, Brennan-Prediger, AC1/AC2) only on the
    trials every assessor answered, else a trial some of them rated (``partly_rated``) is kept; ``ci``
    ("z" or "t") is how the coefficients' 95% intervals are computed (``agreement.with_interval``)."""
    import numpy as np

    assessors = [Assessor(n, r) for n, r in zip(names, results)]
    labels_by_assessor = [a.result.sheet.study_table["study"].tolist() for a in assessors]
    pairing = pair_trials(names, labels_by_assessor, [_study_years(a.result) for a in assessors],
                          [a.result.sheet.study_table["row"].tolist() for a in assessors])
    if not pairing.trials:
        raise InputError(
            "the assessors' sheets have no trials in common (labels are matched ignoring case, accents, "
            "punctuation, 'et al.' and how the year is written): " + "; ".join(
                f"{a.name} ({a.path.name}): {', '.join(map(str, labels[:5]))}"
                for a, labels in zip(assessors, labels_by_assessor)))
    unmatched = {a.name: [] for a in assessors}
    for trial in pairing.unpaired:
        unmatched[names[trial.assessor]].append(trial.label if trial.label is not None
                                                else f"(row {trial.row}, no label)")
    positions = np.array(pairing.trials, dtype=np.int64).reshape(len(pairing.trials), len(assessors))
    items = list(assessors[0].result.rubric.item_numbers)
    answers, totals, bands = [], [], []
    for a, assessor in enumerate(assessors):
        index, scores = positions[:, a], assessor.result.score_table
        answers.append(assessor.result.sheet.answers_at(index[:, None], items))
        totals.append(_known_totals(scores["total"])[index])
        bands.append(np.asarray(scores["band"], dtype=object)[index])
    partial = partly_rated(pairing, labels_by_assessor)
    shared = np.stack(answers, axis=1)
    extra = _partial_answers(assessors, partial, items)
    # one coding, so that a code means the same answer in the compared and the partly rated trials
    all_codes, answer_labels = first_seen_codes(np.concatenate([shared.ravel(), extra.ravel()]))
    codes, partial_codes = all_codes[: shared.size], all_codes[shared.size:]
    bands = np.stack(bands, axis=1)
    bands[missing(bands.ravel()).reshape(bands.shape)] = None
    keys = match_keys([labels_by_assessor[0][p] for p in positions[:, 0].tolist()])
    comparison = Comparison(
        assessors=assessors, keys=keys, labels={k: labels_by_assessor[0][p] for k, p in zip(keys, positions[:, 0])},
        study_index=positions, item_numbers=items,
        answers=codes.reshape(len(keys), len(assessors), len(items)), answer_labels=tuple(answer_labels),
        totals=np.stack(totals, axis=1), bands=bands, unmatched=unmatched, pairing=pairing,
        partial=partial, partial_answers=partial_codes.reshape(extra.shape))
    comparison.parts, comparison.notes = compared_parts(assessors, comparison.study_index)
    comparison.unreadable = unreadable_answers(comparison)
    comparison.items = item_statistics(comparison, complete_cases=complete_cases, ci=ci)
    comparison.total_stats = total_statistics(comparison, ci=ci)
    comparison.methods = statistic_methods(comparison, complete_cases)
    return comparison


def _known_totals(totals):
    """A score table's totals (whole numbers, None where unknown) as floats, NaN where unknown."""
    import numpy as np

    totals = np.asarray(totals, dtype=object)
    known = ~missing(totals)
    floats = np.full(len(totals), np.nan)
    floats[known] = totals[known].astype(float)
    return floats


def unreadable_answers(comparison: Comparison) -> dict:
    """(trial, assessor, item) -> the answer as typed, for every answer of a matched trial that pedro
    cannot read (not Y, N, ? or a synonym): shown as typed, never as blank."""
    found = {}
    for a, assessor in enumerate(comparison.assessors):
        bad = assessor.result.sheet.unrecognised()
        if not bad:
            continue
        trial_of = dict(zip(comparison.study_index[:, a].tolist(), range(len(comparison.keys))))
        for study, item, raw in bad:
            if study in trial_of:
                found[(trial_of[study], a, int(item))] = answer_text(raw)
    return found


def item_points(comparison: Comparison, answers=None):
    """The point each answer earns, trials x assessors x items: 0 for "Y", 1 for "N" or "?"
    (positions in POINT_CATEGORIES), MISSING for no answer; of ``answers`` (codes as
    ``Comparison.answers``, which are the default)."""
    import numpy as np

    answers = comparison.answers if answers is None else answers
    position = np.array([label != "Y" for label in comparison.answer_labels] + [False], dtype=np.int8)
    points = position[answers]  # MISSING (-1) picks the sentinel at the end ...
    points[answers == MISSING] = MISSING  # ... and is put back
    return points


def statistics_answers(comparison: Comparison):
    """The answers the item statistics use: the compared trials', then those of the trials only some of
    three or more assessors rated (``partly_rated``), whose other answers are blank: Gwet's missing-data
    generalisation keeps them (and ``complete_cases`` drops them, counted in ``n_excluded``)."""
    import numpy as np

    extra = comparison.partial_answers
    if extra is None or not len(extra):
        return comparison.answers
    return np.concatenate([comparison.answers, extra], axis=0)


def item_levels(comparison: Comparison, column: int, points: int, answers=None):
    """The points each assessor gave a criterion worth several (``points``), trials x assessors: the
    points themselves, 0 to ``points``, as ordered categories; MISSING where blank or not a number."""
    import numpy as np

    value = {label: int(label) for label in comparison.answer_labels
             if isinstance(label, str) and label.isdigit() and int(label) <= points}
    position = np.array([value.get(label, MISSING) for label in comparison.answer_labels] + [MISSING], dtype=np.int8)
    return position[(comparison.answers if answers is None else answers)[:, :, column]]


def item_statistics(comparison: Comparison, complete_cases: bool = False, ci: str = "z") -> list[dict]:
    """The agreement statistics of each item, one dict per item in ``item_numbers`` order.  A yes/no item's
    are computed on the point each answer earns (see ``item_points``); a criterion worth several points
    (TESTEX's 6, 0-3) on its points as ordered categories, with linear-weighted kappa and AC2 besides.
    Two assessors: over the trials both answered.  Three or more: the coefficients and the raw agreement
    keep a trial with a blank answer (Gwet's missing-data generalisation; ``n`` is then the trials with any
    answer), unless ``complete_cases``, which uses only the trials every assessor answered.  ``ci`` ("z" or
    "t") is how the 95% intervals are computed (``agreement.with_interval``)."""
    rubric = comparison.assessors[0].result.rubric
    answers = statistics_answers(comparison)
    points = item_points(comparison, answers)
    rows = []
    for column, item in enumerate(comparison.item_numbers):
        criterion = rubric.item(item)
        yes_no = criterion.yes_no
        categories = POINT_CATEGORIES if yes_no else tuple(range(criterion.points + 1))
        by_trial = points[:, :, column] if yes_no else item_levels(comparison, column, criterion.points, answers)
        rows.append(_statistics_row(comparison, item, criterion.label, by_trial, categories, complete_cases, ci))
        if item in comparison.parts:
            rows += _part_statistics(comparison, criterion, complete_cases, ci)
    return rows


def _part_statistics(comparison: Comparison, criterion, complete_cases: bool, ci: str) -> list[dict]:
    """The statistics of each part of a criterion compared part by part (``Comparison.parts``), after the
    criterion's own on its points: a part is a yes/no point, so its statistics are a yes/no item's, on the
    point it earns ("Y" against "N" or "?").  Over the same trials as the criterion's row: the compared
    ones, then those only some of three or more assessors rated (``partly_rated``), blank for the others."""
    import numpy as np

    codes, answers, _ = comparison.parts[criterion.number]
    answers = np.concatenate([answers, _partial_part_answers(comparison, criterion.number, len(codes))], axis=0)
    points = np.where(answers == "Y", 0, np.where(_is_blank(answers), MISSING, 1)).astype(np.int8)
    labels = {part.code: part.label for part in criterion.parts}
    return [_statistics_row(comparison, code, labels.get(code, code), points[:, :, p], POINT_CATEGORIES,
                            complete_cases, ci)
            for p, code in enumerate(codes)]


def _partial_part_answers(comparison: Comparison, item: int, count: int):
    """The answers to each of the ``count`` parts of ``item`` of the partly rated trials (``partly_rated``),
    trials x assessors x parts as ``part_answers`` reads them, None where an assessor did not rate the trial."""
    import numpy as np

    found = np.full((len(comparison.partial), len(comparison.assessors), count), None, dtype=object)
    for a, assessor in enumerate(comparison.assessors):
        trials, positions = _rated_by(comparison.partial, a)
        if trials:
            found[trials, a, :] = part_answers(assessor.result, item, positions)[0]
    return found


def _statistics_row(comparison: Comparison, item, label: str, by_trial, categories, complete_cases: bool,
                    ci: str) -> dict:
    """One row of ``item_statistics`` (an item, or a part of one) from its trials x assessors answers
    ``by_trial`` (category codes, MISSING where blank): the coefficients over the trials every assessor
    answered (with Gwet's missing-data forms for three or more), intervals by ``ci``."""
    two = len(comparison.names) == 2
    answered = (by_trial != MISSING).all(axis=1)
    complete = by_trial[answered]
    excluded = len(by_trial) - len(complete)
    stats = (_two_assessor_statistics(complete, excluded, categories, comparison.names) if two
             else _multi_assessor_statistics(by_trial, answered, excluded, categories, complete_cases))
    stats = {key: agreement.with_interval(stat, ci) if stat is not None else None for key, stat in stats.items()}
    row = _item_row(item, label, complete, stats, two, categories)
    if not (two or complete_cases):
        row.update(_answered_agreement(by_trial, categories == POINT_CATEGORIES))
    return row


def _is_blank(values):
    """Where an object array holds None (a blank or unreadable part)."""
    import numpy as np

    return np.vectorize(lambda v: v is None, otypes=[bool])(values) if values.size else np.zeros(values.shape, bool)


def _answered_agreement(by_trial, yes_no: bool = True) -> dict:
    """``n``, ``agreement`` and ``prevalence_y`` of three or more assessors with blank answers kept, as
    Gwet's generalisation keeps them: ``n`` the trials anyone answered (those the coefficients use),
    ``agreement`` the share of the trials answered at least twice on which every answer was the same (a
    trial answered once has nothing to agree with), ``prevalence_y`` the share of "Y" among all answers
    (None for a criterion scored in points)."""
    import numpy as np

    given = by_trial != MISSING
    answers = given.sum(axis=1)
    paired = answers >= 2
    first = np.where(given, by_trial, np.iinfo(np.int8).max).min(axis=1)  # the lowest answer given
    unanimous = ((by_trial == first[:, None]) | ~given).all(axis=1)
    said_y = ((by_trial == 0) & given).sum(axis=1)
    return {
        "n": int(np.count_nonzero(answers)),
        "agreement": float(np.mean(unanimous[paired])) if paired.any() else None,
        "prevalence_y": float(said_y.sum() / answers.sum()) if answers.any() and yes_no else None,
    }


def _two_assessor_statistics(complete, excluded: int, categories=POINT_CATEGORIES, names=None) -> dict:
    """Statistic (or None) by key, from the q x q table of two assessors' answers on the trials both
    answered (``complete``, trials x 2, positions in ``categories``): the points of a yes/no item, or
    the points 0..max of a criterion worth several, which also get linear-weighted kappa and AC2 and
    no prevalence or bias index (they are for two categories)."""
    import numpy as np

    q = len(categories)
    table = np.bincount(complete[:, 0] * q + complete[:, 1], minlength=q * q).reshape(q, q)
    yes_no = categories == POINT_CATEGORIES
    raters = [f"assessor {name}" for name in names] if names else None
    return {
        "cohen_kappa": agreement.cohen_kappa_table(table, categories, n_excluded=excluded, raters=raters),
        "pabak": agreement.pabak_table(table, categories, n_excluded=excluded),
        "prevalence_index": agreement.prevalence_index_table(table, categories, positive="Y",
                                                             n_excluded=excluded) if yes_no else None,
        "bias_index": agreement.bias_index_table(table, categories, positive="Y",
                                                 n_excluded=excluded) if yes_no else None,
        "gwet_ac1": agreement.gwet_ac1_table(table, categories, n_excluded=excluded),
        "weighted_kappa": None if yes_no else agreement.weighted_kappa_table(
            table, categories, "linear", n_excluded=excluded, raters=raters),
        "gwet_ac2": None if yes_no else agreement.gwet_ac2_table(table, categories, "linear", n_excluded=excluded),
        "fleiss_kappa": None,
        "conger_kappa": None,
        "brennan_prediger": None,
        "krippendorff_alpha": None,
    }


def _multi_assessor_statistics(by_trial, answered, excluded: int, categories=POINT_CATEGORIES,
                               complete_cases: bool = False) -> dict:
    """Statistic (or None) by key, from the trial x category counts of three or more assessors' answers
    (``by_trial``, trials x assessors, positions in ``categories``; ``answered``, the trials every assessor
    answered).  Krippendorff's alpha takes every trial: it is defined for incomplete data; so do the other
    coefficients in Gwet's generalisation, unless ``complete_cases`` (the trials every assessor answered).
    A criterion worth several points also gets Conger's linear-weighted kappa and AC2."""
    import numpy as np

    counts = np.stack([(by_trial == k).sum(axis=1) for k in range(len(categories))], axis=1)
    used, dropped = (counts[answered], excluded) if complete_cases else (counts, 0)
    options = {"n_excluded": dropped, "complete_cases": complete_cases}
    # Conger's kappa needs who said what: each assessor's answer as its label, None where blank.
    labels = np.array([*categories, None], dtype=object)[by_trial]
    yes_no = categories == POINT_CATEGORIES
    return {
        "cohen_kappa": None,
        "pabak": None,
        "prevalence_index": None,
        "bias_index": None,
        "gwet_ac1": agreement.gwet_ac1_multirater_counts(used, categories, **options),
        "weighted_kappa": None if yes_no else agreement.conger_kappa(labels, categories, complete_cases,
                                                                      weights="linear"),
        "gwet_ac2": None if yes_no else agreement.gwet_ac1_multirater_counts(used, categories, **options,
                                                                              weights="linear"),
        "fleiss_kappa": agreement.fleiss_kappa_counts(used, categories, **options),
        "conger_kappa": agreement.conger_kappa(labels, categories, complete_cases=complete_cases),
        "brennan_prediger": agreement.brennan_prediger_counts(used, categories, **options),
        "krippendorff_alpha": agreement.krippendorff_alpha_counts(counts, categories),
    }


#: The statistics of an item that have an SE and a 95% interval: ``Comparison.items`` gives ``{key}_se`` and
#: ``{key}_ci95`` for each.
INTERVAL_KEYS = ("cohen_kappa", "gwet_ac1", "weighted_kappa", "gwet_ac2", "fleiss_kappa", "conger_kappa",
                 "brennan_prediger")
#: The statistics of an item for two assessors only, and for three or more only.
TWO_ONLY = ("cohen_kappa", "pabak", "prevalence_index", "bias_index")
MULTI_ONLY = ("fleiss_kappa", "conger_kappa", "brennan_prediger", "krippendorff_alpha")


def in_trials(reason: str | None) -> str | None:
    """A reason of ``pedro.agreement`` (which speaks of raters and subjects) in pedro compare's words:
    assessors and trials."""
    if reason is None:
        return None
    reason = re.sub(r"\bsubject(s?)\b", r"trial\1", reason)
    return re.sub(r"\brater(s?)\b", r"assessor\1", reason)


def _item_row(item: int, label: str, complete, stats: dict, two: bool, categories=POINT_CATEGORIES) -> dict:
    """One item's entry in ``Comparison.items``: its raw agreement and (for a yes/no item) prevalence of "Y"
    over the trials every assessor answered (``complete``), each statistic's value (SE and CI where it has
    them), and why any statistic, or next to a value its interval, is missing.  A statistic that is not
    computed for this number of assessors is None without a reason (it is not shown)."""
    import numpy as np

    n = len(complete)
    yes_no = categories == POINT_CATEGORIES
    agree = int(np.count_nonzero((complete == complete[:, :1]).all(axis=1)))
    given_y = int(np.count_nonzero(complete == 0))
    row = {"item": item, "label": label, "n": n, "agreement": agree / n if n else None,
           "prevalence_y": given_y / complete.size if complete.size and yes_no else None,
           "levels": len(categories)}
    reasons = {}
    row["methods"] = {key: stat.method for key, stat in stats.items() if stat is not None}
    row["ci95"] = {key: list(stat.ci95) for key, stat in stats.items() if stat is not None and stat.ci95}
    for key, stat in stats.items():
        row[key] = stat.value if stat is not None else None
        if stat is not None and stat.reason:  # why the value, or next to a value its SE/CI, is missing
            reasons[key] = in_trials(stat.reason)
        if key in INTERVAL_KEYS:
            row[f"{key}_se"] = stat.se if stat is not None else None
            row[f"{key}_ci95"] = list(stat.ci95) if stat is not None and stat.ci95 else None
    if not yes_no:
        why = (f"scored in points (0-{len(categories) - 1}), not yes/no: no share of \"Y\"; "
               "see the linear-weighted kappa and AC2")
        reasons["prevalence_y"] = why
        if two:
            reasons["prevalence_index"] = reasons["bias_index"] = why.replace(
                "share of \"Y\"", "prevalence or bias index")
    if not two:
        reasons.setdefault("cohen_kappa", "Cohen's kappa, PABAK and the prevalence and bias indices are "
                                          "for two assessors; see Fleiss' and Conger's kappa, Brennan-Prediger, "
                                          "AC1 and alpha")
    else:
        reasons.setdefault("fleiss_kappa", "reported for more than two assessors; see Cohen's kappa")
        reasons.setdefault("conger_kappa", "reported for more than two assessors; with two it is Cohen's kappa")
        reasons.setdefault("brennan_prediger", "reported for more than two assessors; with two it is PABAK")
    if yes_no:
        reasons.setdefault("weighted_kappa", "for a criterion scored in more than two levels; with two it is kappa")
    row["reasons"] = reasons
    return row


def shown_reasons(row: dict, two: bool) -> dict:
    """An item's reasons without those that only say a statistic is for another number of assessors or
    for a criterion scored in points: what a table that leaves those columns out needs."""
    hidden = {*(MULTI_ONLY if two else TWO_ONLY)}
    if row["levels"] == 2:
        hidden.add("weighted_kappa")
    return {key: reason for key, reason in row["reasons"].items() if key not in hidden}


def band_codes(comparison: Comparison):
    """The bands as codes, trials x assessors: equal bands get equal codes, MISSING where none."""
    codes, _ = first_seen_codes(comparison.bands.ravel())
    return codes.reshape(comparison.bands.shape)


def total_statistics(comparison: Comparison, ci: str = "z") -> dict:
    """The agreement on the totals of the trials whose total every assessor has: the six ICCs, weighted
    kappa and AC2 (linear and quadratic weights) on the totals as ordered categories 0..maximum, and for
    two assessors the Bland-Altman bias and limits of agreement with their intervals; ``ci`` as in
    ``item_statistics``."""
    import numpy as np

    totals = comparison.totals
    matrix = totals[~np.isnan(totals).any(axis=1)]
    icc = {}
    for form in agreement.ICC_FORMS:
        stat = agreement.icc(matrix, form)
        icc[form] = {"value": stat.value, "ci95": list(stat.ci95) if stat.ci95 else None,
                     **({"reason": stat.reason} if stat.reason else {}), "method": stat.method}
    bland_altman = None
    if len(comparison.names) == 2:
        summary = agreement.bland_altman(matrix[:, 0], matrix[:, 1])
        bland_altman = {"bias": summary.bias, "sd": summary.sd,
                        "loa95": [summary.lower, summary.upper] if summary.lower is not None else None,
                        **{key: summary.to_dict()[key] for key in ("bias_ci95", "lower_ci95", "upper_ci95")},
                        **({"reason": in_trials(summary.reason)} if summary.reason else {}), "method": summary.method}
    bands = band_codes(comparison)
    band_changes = int(np.count_nonzero((bands != MISSING).all(axis=1) & (bands != bands[:, :1]).any(axis=1)))
    return {"n": len(matrix), "excluded_unknown_total": len(totals) - len(matrix), "icc": icc,
            "weighted": weighted_total_statistics(comparison, matrix, ci),
            "bland_altman": bland_altman, "band_changes": band_changes}


def total_categories(comparison: Comparison, matrix) -> list[int]:
    """The totals as ordered categories: 0 to the rubric's maximum (0-10 for PEDro), widened to any total
    outside it, so that the weights span the scale, not only the totals that happen to occur."""
    maximum = comparison.assessors[0].result.rubric.max_total
    seen = [int(x) for x in matrix.ravel().tolist()]
    return list(range(min([0, *seen]), max([maximum, *seen]) + 1))


def weighted_total_statistics(comparison: Comparison, matrix, ci: str = "z") -> dict:
    """Statistic key -> its result (``Statistic.to_dict``) on the totals as ordered categories, on the
    trials whose total every assessor has (``matrix``; the others are counted in ``n_excluded``): two
    assessors, Cohen's weighted kappa and Gwet's AC2; three or more, Conger's weighted kappa (Cohen's
    generalised) and AC2; each with linear and quadratic weights."""
    import numpy as np

    categories = total_categories(comparison, matrix)
    # Every trial, None where a total is unknown: the coefficients drop those trials themselves (complete
    # cases, as the ICCs and Bland-Altman on the same trials) and count them in n_excluded.
    totals = comparison.totals
    ratings = np.where(np.isnan(totals), None, np.nan_to_num(totals).astype(int).astype(object))
    names = [f"assessor {name}" for name in comparison.names]
    found, ac2s = {}, {}  # the kappas first, then the AC2s
    for weights in ("linear", "quadratic"):
        if len(comparison.names) == 2:
            kappa_key = f"weighted_kappa_{weights}"
            kappa = agreement.weighted_kappa(ratings[:, 0], ratings[:, 1], weights, categories, raters=names)
            ac2 = agreement.gwet_ac2(ratings[:, 0], ratings[:, 1], weights, categories)
        else:
            kappa_key = f"conger_kappa_{weights}"
            kappa = agreement.conger_kappa(ratings, categories, complete_cases=True, weights=weights)
            ac2 = agreement.gwet_ac1_multirater(ratings, categories, complete_cases=True, weights=weights)
        found[kappa_key] = _in_trials_dict(agreement.with_interval(kappa, ci).to_dict())
        ac2s[f"gwet_ac2_{weights}"] = _in_trials_dict(agreement.with_interval(ac2, ci).to_dict())
    return found | ac2s


def _in_trials_dict(result: dict) -> dict:
    """A statistic's dict with its reason in pedro compare's words (``in_trials``)."""
    return {**result, "reason": in_trials(result["reason"])}


#: The methods of the figures pedro computes itself (the coefficients' come from pedro.agreement).
_AGREEMENT_METHODS = {
    "two": "observed agreement p_o: the share of the trials both assessors answered on which they gave the same "
           "answer; not corrected for chance",
    "answered": "observed agreement: the share of the trials answered by at least two assessors on which every "
                "assessor who answered gave the same answer (a blank answer is left out, not a disagreement); "
                "not corrected for chance",
    "complete": "observed agreement: the share of the trials every assessor answered on which all gave the same "
                "answer; not corrected for chance",
}
_PREVALENCE_METHOD = 'prevalence of "Y": the share of "Y" among the answers the statistics use (the point earned)'
_BAND_CHANGES_METHOD = "trials every assessor has a band for on which the bands are not all the same"


def statistic_methods(comparison: Comparison, complete_cases: bool = False) -> dict:
    """Statistic key (as in ``items`` and ``total_stats``; an ICC by its form) -> the method and source its
    result object carries, for the figures computed on this comparison; pedro's own figures (agreement,
    prevalence, band changes) say how they are counted."""
    two = len(comparison.names) == 2
    methods = {"agreement": _AGREEMENT_METHODS["two" if two else "complete" if complete_cases else "answered"],
               "prevalence_y": _PREVALENCE_METHOD}
    for row in comparison.items:
        for key, method in row["methods"].items():
            methods.setdefault(key, method)
    total = comparison.total_stats
    methods.update({form: result["method"] for form, result in total["icc"].items()})
    methods.update({key: result["method"] for key, result in total["weighted"].items()})
    if total["bland_altman"] is not None:
        methods["bland_altman"] = total["bland_altman"]["method"]
    methods["band_changes"] = _BAND_CHANGES_METHOD
    return methods


@bulk_allocation()  # the lists of small dicts: see engine.bulk_allocation
def list_disagreements(comparison: Comparison, evidence: bool = True) -> list[dict]:
    """Every (trial, item) on which the assessors' answers differ, or that an assessor answered with
    something pedro cannot read, in trial order, then item order: study, item, each assessor's answer
    (None where blank or unreadable), the unreadable answers as typed ({assessor: "Yy"}) and (with
    ``evidence``) each assessor's evidence."""
    import numpy as np

    names, keys, answers = comparison.names, comparison.keys, comparison.answers
    listed = (answers != answers[:, :1, :]).any(axis=1)
    column_of = {item: c for c, item in enumerate(comparison.item_numbers)}
    for trial, _, item in comparison.unreadable:
        listed[trial, column_of[item]] = True
    for item in comparison.parts:  # listed part by part instead (``_part_disagreements``)
        listed[:, column_of[item]] = False
    trials, columns = np.nonzero(listed)
    order = np.lexsort((np.asarray(comparison.item_numbers)[columns], trials))
    trials, columns = trials[order], columns[order]
    given = comparison.answer_text(answers[trials, :, columns]).tolist()
    unreadable = comparison.unreadable
    found = [{"study": comparison.labels[keys[t]], "item": comparison.item_numbers[c],
              "answers": dict(zip(names, answers_given)),
              "unreadable": {name: unreadable[(t, a, comparison.item_numbers[c])] for a, name in enumerate(names)
                             if (t, a, comparison.item_numbers[c]) in unreadable}}
             for t, c, answers_given in zip(trials.tolist(), columns.tolist(), given)]
    if evidence:
        items = np.asarray(comparison.item_numbers)[columns]
        quoted = [assessor.result.sheet.answers_at(comparison.study_index[trials, i], items, "evidence").tolist()
                  for i, assessor in enumerate(comparison.assessors)]
        for entry, texts in zip(found, zip(*quoted)):
            entry["evidence"] = dict(zip(names, texts))
    if comparison.parts:
        places = [(t, comparison.item_numbers[c], "") for t, c in zip(trials.tolist(), columns.tolist())]
        for place, entry in _part_disagreements(comparison, evidence):
            found.insert(bisect.bisect(places, place), entry)
            places.insert(bisect.bisect(places, place), place)
    return found


def _part_disagreements(comparison: Comparison, evidence: bool) -> list[tuple[tuple, dict]]:
    """The disagreements of the criteria compared part by part (``Comparison.parts``): one per (trial, part)
    whose answers differ or that an assessor answered with something pedro cannot read, each with its
    place in the list (trial, item, part) and item the part's code ("6b"); the evidence is the criterion's."""
    import numpy as np

    names, found = comparison.names, []
    for item, (codes, answers, typed) in comparison.parts.items():
        differs = (answers != answers[:, :1, :]).any(axis=1) | (typed != None).any(axis=1)  # noqa: E711
        trials, parts = np.nonzero(differs)
        quoted = ([a.result.sheet.answers_at(comparison.study_index[trials, i], item, "evidence").tolist()
                   for i, a in enumerate(comparison.assessors)] if evidence else [])
        for k, (t, p) in enumerate(zip(trials.tolist(), parts.tolist())):
            entry = {"study": comparison.labels[comparison.keys[t]], "item": codes[p],
                     "answers": dict(zip(names, answers[t, :, p].tolist())),
                     "unreadable": {name: typed[t, a, p] for a, name in enumerate(names) if typed[t, a, p] is not None}}
            if evidence:
                entry["evidence"] = {name: quoted[a][k] for a, name in enumerate(names)}
            found.append(((t, item, codes[p]), entry))
    return found


@bulk_allocation()  # the lists of small dicts: see engine.bulk_allocation
def trial_differences(comparison: Comparison) -> list[dict]:
    """Trials whose total or band differs between assessors."""
    import numpy as np

    totals = comparison.totals
    unknown = np.isnan(totals)
    total_differs = ((totals != totals[:, :1]) & ~(unknown & unknown[:, :1])).any(axis=1)
    bands = band_codes(comparison)
    differs = np.flatnonzero(total_differs | (bands != bands[:, :1]).any(axis=1))
    known_totals = np.where(unknown[differs], 0, totals[differs]).astype(np.int64)
    total_rows = np.where(unknown[differs], None, known_totals).tolist()  # Python ints, None when unknown
    names, keys, labels = comparison.names, comparison.keys, comparison.labels
    return [{"study": labels[keys[position]], "totals": dict(zip(names, trial_totals)),
             "bands": dict(zip(names, trial_bands))}
            for position, trial_totals, trial_bands in zip(differs.tolist(), total_rows,
                                                           comparison.bands[differs].tolist())]


# --------------------------------------------------------------------------- carried into the consensus

# Columns the consensus does not carry: the label is the trial's own, and the reported total and
# band follow from the answers, so `pedro score` computes them again from the consensus answers.
NOT_CARRIED_ROLES = ("study", "total", "band")


@dataclass(frozen=True)
class CarriedColumn:
    """A column of the assessors' sheets besides the label, the items and the reported total and
    band (evidence, randomisation method, numbers for item 8, notes, year, ...), carried into the
    consensus.  Columns of different sheets are the same column when they have the same role
    (evidence for the same item, the method, ...) or, failing that, the same header."""

    header: str  # as the first assessor who has it wrote it
    kind: tuple  # ("evidence", item), ("role", role) or ("header", header key): what makes it the same column
    indexes: tuple  # per assessor, the column's index in that sheet, None where the sheet lacks it


def sheet_columns(result: ScoreResult) -> list[tuple[tuple, str, int]]:
    """(kind, header, column index) of each column of the sheet's table that the consensus carries
    (see ``CarriedColumn``), in sheet order: not the items' (all the columns of an item read by parts).
    The table runs from its first headed (or read) column to its last, as the audit's record of it does
    (``RatedSheet.table_cells``); a column in it without a header is carried when a trial's row has a
    value in it.  A transposed sheet is read as pedro reads
    it, the trials' columns as rows."""
    sheet = result.sheet
    layout, grid = sheet.layout, sheet.grid
    if grid is None:
        return []
    # An item read one column per part (TESTEX's 6a, 6b, 6c) is the item: its parts are not other columns.
    skip = {c.index for c in layout.items.values()} | {
        c.index for parts in layout.parts.values() for c in parts.values()} | {
        c.index for role, c in layout.roles.items() if role in NOT_CARRIED_ROLES}
    known = {c.index: (("evidence", item), c.header) for item, c in layout.evidence.items()}
    known.update({c.index: (("role", role), c.header) for role, c in layout.roles.items()
                  if role not in NOT_CARRIED_ROLES})
    headers = {c: answer_text(grid.value(layout.header_row - 1, c)) for c in range(grid.width)}
    ends = [c for c, header in headers.items() if header is not None] + [*skip, *known]
    found, seen = [], Counter()
    for index in range(min(ends, default=0), max(ends, default=-1) + 1):
        if index in skip:
            continue
        kind, header = known.get(index, (None, None))
        if kind is None:
            header = headers[index]
            if header is None and not any(answer_text(v) is not None for v in column_values(result, index)):
                continue
            header = header or f"(column {column_letter(index)})"
            kind = ("header", header_key(header) or header)
        seen[kind] += 1
        found.append((kind if seen[kind] == 1 else (*kind, seen[kind]), str(header), index))
    return found


def column_values(result: ScoreResult, index: int) -> list:
    """The values of column ``index`` (0-based) in the rows of the sheet's trials, in trial order."""
    sheet = result.sheet
    header_row = sheet.layout.header_row
    values = sheet.grid.columns([index], start=header_row)[index]
    return [values[offset] if 0 <= offset < len(values) else None
            for offset in (row - header_row - 1 for row in sheet.study_table["row"].tolist())]


def carried_columns(assessors: list[Assessor]) -> list[CarriedColumn]:
    """The columns the consensus carries: the first assessor's in its sheet order, then those only
    a later assessor's sheet has."""
    merged: dict[tuple, list] = {}
    for a, assessor in enumerate(assessors):
        for kind, header, index in sheet_columns(assessor.result):
            entry = merged.setdefault(kind, [header, [None] * len(assessors)])
            entry[1][a] = index
    return [CarriedColumn(header, kind, tuple(indexes)) for kind, (header, indexes) in merged.items()]


# --------------------------------------------------------------------------- history carried over

def history_changes(comparison: Comparison, time: str, user: str):
    """The change-log rows the consensus inherits from the assessors' sheets, as a DataFrame of
    CHANGE_COLUMNS: per assessor with any, a row saying what follows, then the rows of its own change
    log verbatim (an audited workbook's), then the answers pedro rewrote reading it for this compare
    ("yes" written as "Y").  The rows are chained again in the disagreement workbook's log; the
    introducing row records whether the input's own chain verified, and its head."""
    import pandas as pd

    parts = []
    for assessor in comparison.assessors:
        result = assessor.result
        # An audited input edited since it was scored: those edits are logged as scoring it again would
        # log them ("edited outside pedro"), before the answers rewritten now, so none is lost here.
        previous, own = result.previous_changes, logged_changes(result, result.changes)
        if not len(previous) and not len(own):
            continue
        parts.append(change_rows(time=[time], user=user, sheet=result.sheet.sheet, cell=None, study=None, item=None,
                                 old=None, new=None, rule=HISTORY_RULE,
                                 reason=_history_note(assessor, previous, len(own) - len(result.edits))))
        parts += [frame[CHANGE_COLUMNS].astype(object) for frame in (previous, own) if len(frame)]
    if not parts:
        return change_rows(**{column: [] for column in CHANGE_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def _history_note(assessor: Assessor, previous, rewritten: int) -> str:
    """The reason of the row that introduces an assessor's history in the consensus's change log."""
    result = assessor.result
    note = f"{assessor.name}'s {result.input.name} (sha256 {result.input_sha256}): "
    parts = []
    if len(previous):
        chain = verify_chain([list(r) for r in previous[CHANGE_COLUMNS].itertuples(index=False)],
                             previous[HASH_COLUMN].tolist(), audit_key())
        verdict = ("its hash chain verified, head " + str(previous[HASH_COLUMN].iloc[-1]) if chain["ok"]
                   else f"its hash chain did NOT verify ({chain['reason']})")
        parts.append(f"the next {len(previous)} row(s) are its own change log, carried verbatim; {verdict}")
    if result.edits:
        parts.append(f"{'then ' if parts else 'the next '}{len(result.edits)} row(s) are edits made outside pedro "
                     "since it was scored")
    if rewritten:
        parts.append(f"{'then ' if parts else 'the next '}{rewritten} row(s) are the answers pedro rewrote "
                     "reading it for pedro compare")
    return note + "; ".join(parts)
