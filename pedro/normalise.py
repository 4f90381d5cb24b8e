"""Turn a sheet's raw cells into the tidy tables that everything else reads.

``RatedSheet.answers`` is the core data model: one row per (study, item) with
the raw value and the canonical answer (Y, N, ? or missing); ``RatedSheet.cells_of``
names the cells they came from.  ``RatedSheet.studies`` has one row per trial with its label and the
other columns the sheet gave (reported total and band, randomisation method,
numbers for item 8).  Every raw value that normalising rewrites is marked
(``rewrite``), so the writer can put the canonical answer in the cell and the
change log can say old, new and why.

A footnote marker glued to an answer (``Ya``, ``N¹``) is read conservatively:
only one trailing mark after a complete answer, never a letter that is itself
an answer or that makes a known abbreviation with it (``Na`` is "not
applicable", not "N" plus a footnote).  The mark removed is kept in the
``marker`` column; rule PD803 reports it and the change log records it.
Invisible characters (zero-width spaces, variation selectors as in ``✔️``) are
dropped before an answer is compared.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import compress, repeat

from .rubric import Item, Rubric
from .sheets.layout import NOTE_SHOWN, ROLES, Layout, reads_as_note
from .sheets.reader import Grid
from .table import Table, first_seen_codes, object_array, unequal_to_itself
from .text import fold_answer, fold_text

# Rows whose label is one of these (ignoring a trailing colon or full stop), or
# starts with one of the words after them, are summaries under the table, not
# trials: 'Mean (SD)', 'Total of yes scores', '% of yes per criterion'.
SUMMARY_LABELS = {"mean", "means", "average", "total", "totals", "sum", "sd", "median", "n", "count",
                  "mean (sd)", "mean ± sd", "overall", "all studies", "range", "subtotal", "mean score",
                  "total score", "average score", "mean total", "median (iqr)", "mean (range)"}
SUMMARY_WORDS = {"mean", "means", "average", "total", "totals", "sum", "sd", "median", "overall", "score",
                 "scores", "standard", "percentage", "percent", "proportion", "number", "%", "range", "subtotal",
                 "count", "frequency"}

# Footnote marks that are never part of a value: superscript digits and letters
# and the usual reference symbols.  A lower-case ASCII letter is a mark too,
# under the conditions of ``split_answer_marker``.
FOOTNOTE_MARKS = set("¹²³⁴⁵⁶⁷⁸⁹⁰ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ*†‡§¶")
_SUPERSCRIPTS = set("¹²³⁴⁵⁶⁷⁸⁹⁰ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ")
# Zero-width characters, the word joiner, the byte-order mark and variation selectors.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\ufe00-\ufe0f]")
# The grammar of a printed total, the one definition: "7", "7.0", "7/10", "7 / 10".
_TOTAL_TEXT = re.compile(r"^\s*(\d{1,2})(?:\.0+)?\s*(?:/\s*(\d{1,2}))?\s*$")
_SUPERSCRIPT_DIGITS = set("¹²³⁴⁵⁶⁷⁸⁹⁰")
# The points of a criterion worth several: "2", "2.0", " 2 " (a number cell reads as "2").
_POINTS = re.compile(r"^\s*(\d{1,2})(?:\.0+)?\s*$")
_DIGIT = re.compile("[0-9]")

# The column of ``RatedSheet.studies`` holding a subtotal as printed ('Study quality (/5)'), by its name.
SUBTOTAL_COLUMN = "subtotal:{}"
# The prefix of a subtotal's columns in a sheet's scores ('subtotal:reporting_min': pedro.scoring.score_sheet).
SUBTOTAL_SCORE = "subtotal:"

STATUS_OK = "ok"
STATUS_MISSING = "missing"
STATUS_UNRECOGNISED = "unrecognised"


@dataclass
class RatedSheet:
    """A sheet of ratings read and normalised: the input to scoring and rules.  Its tables are ``Table``\\ s
    (``study_table``, ``answer_table``), and DataFrames (``studies``, ``answers``) for those who ask."""

    source: str  # file name as given
    layout: Layout
    study_table: Table  # one row per trial (its position is its study_index): row, study, role columns
    # Tidy, item by item, every trial in order: study_index, item, row, raw, evidence, answer, status, marker,
    # (partial,) rewrite.  ``normalise_sheet`` builds no other order, and the rules and reports rely on it.
    answer_table: Table
    skipped: list[tuple[int, str, str]]  # (excel row, why, cell) rows under the header not read as trials
    grid: Grid | None = None  # the sheet as read: merged cells, hidden rows and columns (``grid.info``)
    # {answers' position: cell} of the answers not in their item's column: an item read by parts points at
    # the part that is blank or not an answer (``_read_points``).  ``cells_of`` applies them.
    cell_overrides: dict[int, str] = field(default_factory=dict)
    _all_cells: list[str] | None = field(default=None, init=False, repr=False, compare=False)
    _line_names: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        import numpy as np

        answers, n = self.answer_table, len(self.study_table)
        count = len(answers) // n if n else 0
        item = np.asarray(answers["item"]).reshape(count, n) if count * n == len(answers) else None
        items = item[:, 0] if item is not None and n else np.array([], dtype=np.int64)
        if item is None or not ((item == items[:, None]).all() and (np.diff(items) > 0).all()
                                and (np.asarray(answers["study_index"]).reshape(count, n) == np.arange(n)).all()):
            raise ValueError("a sheet's answers must be item by item (in increasing order), every trial in order")
        self.items = items.tolist()  # the item numbers the answers hold, in order

    @property
    def sheet(self) -> str:
        return self.layout.sheet

    @property
    def studies(self) -> "pd.DataFrame":  # noqa: F821
        """``study_table`` as a DataFrame, index study_index."""
        return self.study_table.frame()

    @property
    def answers(self) -> "pd.DataFrame":  # noqa: F821
        """``answer_table`` as a DataFrame."""
        return self.answer_table.frame()

    def table_cells(self) -> tuple[list[str], str | None, tuple, list[tuple]]:
        """Every cell of the table as read, for the audit that covers it
        (``pedro.audit.record``): ``(positions, label_position, header,
        trials)``.  ``positions`` name the table's columns from its first
        header column to its last (or to the last column read, if further);
        ``label_position`` is the labels' (None without them); ``header`` is
        (its row, its values) and ``trials`` holds (study_index, row, values)
        per trial in sheet order, ``values[i]`` under ``positions[i]``.  A
        cell's address joins a position and a row ('E' and 5: 'E5'), so a table
        with its trials in columns gives row numbers as positions and column
        letters as rows (``Layout.position`` and ``Layout.line``)."""
        grid, layout = self.grid, self.layout
        if grid is None:
            return [], None, (layout.line(layout.header_row), []), []
        read = [c.index for c in (*layout.items.values(), *layout.evidence.values(), *layout.roles.values(),
                                  *(c for parts in layout.parts.values() for c in parts.values()))]
        headed = [c for c in range(grid.width) if _label(grid.value(layout.header_row - 1, c)) is not None]
        span = range(min(read + headed), max(read + headed) + 1)
        columns = grid.columns(span, start=layout.header_row)
        rows = self.study_table["row"]
        offsets = rows - (layout.header_row + 1)
        values = [columns[c][offsets].tolist() for c in span]
        study = layout.role("study")
        return ([layout.position(c) for c in span], layout.position(study.index) if study else None,
                (layout.line(layout.header_row), [grid.value(layout.header_row - 1, c) for c in span]),
                list(zip(range(len(rows)), [layout.line(r) for r in rows.tolist()], zip(*values))))

    def answer_grid(self, column: str = "answer") -> "np.ndarray":  # noqa: F821
        """One row per trial, one column per item of ``items``: the answers table's ``column`` (or "cell",
        the answers' cells) reshaped, None where a value is missing.  For vectorised rules and reports."""
        import numpy as np

        n = len(self.study_table)
        if not self.items:
            return np.empty((n, 0), dtype=object)
        values = (np.array(self.cells_of(None), dtype=object) if column == "cell"
                  else np.array(self.answer_table[column], dtype=object))
        none_where_missing(values)  # None, not NaN, for a missing answer
        return values.reshape(len(self.items), n).T

    def unrecognised(self) -> list[tuple[int, int, object]]:
        """(study_index, item, the value as read) of each answer pedro could not read (not blank, not an
        answer or a synonym), item by item: few, so the reports loop over them."""
        import numpy as np

        answers = self.answer_table
        bad = np.flatnonzero(np.asarray(answers["status"], dtype=object) == STATUS_UNRECOGNISED)
        return list(zip(np.asarray(answers["study_index"])[bad].tolist(), np.asarray(answers["item"])[bad].tolist(),
                        np.asarray(answers["raw"], dtype=object)[bad].tolist()))

    def answers_at(self, index, items, column: str = "answer") -> "np.ndarray":  # noqa: F821
        """``answer_grid(column)`` at the trials ``index`` (positions in ``study_table``) and the item numbers
        ``items``, arrays broadcast together: None wherever the sheet has no such trial or item."""
        import numpy as np

        grid = self.answer_grid(column)
        index, items = np.broadcast_arrays(np.asarray(index, dtype=np.int64), np.asarray(items))
        padded = np.full((grid.shape[0] + 1, grid.shape[1] + 1), None, dtype=object)  # -1 picks the padding
        padded[:-1, :-1] = grid
        column_of = {item: c for c, item in enumerate(self.items)}
        columns = np.fromiter(map(column_of.get, items.ravel().tolist(), repeat(-1)), dtype=np.intp,
                              count=items.size).reshape(items.shape)
        return padded[np.where((index >= 0) & (index < grid.shape[0]), index, -1), columns]

    def wide(self, column: str = "answer") -> "pd.DataFrame":  # noqa: F821
        """``answer_grid`` as a DataFrame: index study_index, a column per item number."""
        import numpy as np
        import pandas as pd

        n = len(self.study_table)
        if not self.items:  # a totals-only list: a row per trial, no item columns
            return pd.DataFrame(index=pd.RangeIndex(n, name="study_index"),
                                columns=pd.Index([], name="item", dtype=np.int64), dtype=object)
        return pd.DataFrame(self.answer_grid(column), index=pd.Index(np.arange(n), name="study_index"),
                            columns=pd.Index(np.array(self.items, dtype=np.int64), name="item"), dtype=object)

    def cells_of(self, answers) -> list[str]:
        """The cell of each answer of ``answers`` (rows of ``self.answers``, its index labels being their
        positions; an array of positions; None for all of it), in order, as the sheet names it ('E5'; for a
        transposed sheet, its trial's column and its item's row).  An item read by parts names the part that
        is blank or not an answer, else its first part.  The cells are made when asked for, not kept as a
        column: a sheet of 60,000 trials has 660,000 answers, and a run without a workbook to write names only
        those its findings and changes point at.  The whole table's, which writers ask for, are made once."""
        import numpy as np

        if answers is None or (hasattr(answers, "index") and len(answers) == len(self.answer_table)
                               and answers.index.equals(self.answers.index)):
            if self._all_cells is None:
                self._all_cells = self._cells_at(np.arange(len(self.answer_table)))
            return list(self._all_cells)  # a copy: the caller may change its list
        positions = answers.index.to_numpy() if hasattr(answers, "index") else answers
        return self._cells_at(np.asarray(positions, dtype=np.int64))

    def _lines(self) -> tuple:
        """(the first trial's row, how the sheet names each line from it to the last trial's: ``Layout.line``
        as text in an object array), made once: every rule with findings names the lines of its cells, and named
        them one by one (63,692 calls of ``Layout.line`` in a 60,000-trial findings-heavy dry run, issue 18)."""
        import numpy as np

        if self._line_names is None:
            rows = self.study_table["row"]
            lowest = int(np.min(rows)) if len(rows) else 0
            highest = int(np.max(rows)) if len(rows) else -1
            self._line_names = lowest, object_array(self.layout.line_names(lowest, highest))
        return self._line_names

    def _cells_at(self, positions: "np.ndarray") -> list[str]:  # noqa: F821
        """``cells_of``, made item by item at C speed (``_cell_references``), then the overrides."""
        import numpy as np

        items, rows = self.answer_table["item"][positions], self.answer_table["row"][positions]
        if not len(items):
            return []
        order = None
        if (items[1:] < items[:-1]).any():  # not item by item, as ``answers`` and its subsets are: sort
            order = np.argsort(items, kind="stable")
            items, rows = items[order], rows[order]
        starts = [0, *(np.flatnonzero(items[1:] != items[:-1]) + 1).tolist(), len(items)]
        blocks = [slice(start, end) for start, end in zip(starts, starts[1:])]
        cells = _cell_references(self.layout, [self.layout.items[int(items[b.start])] for b in blocks],
                                 [rows[b] for b in blocks], *self._lines())
        if order is not None:
            placed = np.empty(len(cells), dtype=object)
            placed[order] = cells
            cells = placed.tolist()
        if self.cell_overrides:
            for at in np.flatnonzero(np.isin(positions, list(self.cell_overrides))).tolist():
                cells[at] = self.cell_overrides[int(positions[at])]
        return cells


def none_where_missing(values) -> None:
    """Set None, in place, where an object array holds a missing value (None, NaN, NaT, pd.NA)."""
    values[unequal_to_itself(values)] = None


def answer_text(value) -> str | None:
    """A raw cell value as the text it shows, or None when the cell is blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    text = str(value)
    return None if not text.strip() else text


def canonical_answer(value, rubric: Rubric) -> tuple[str | None, str]:
    """(canonical answer or None, status) for one raw value."""
    text = answer_text(value)
    if text is None:
        return None, STATUS_MISSING
    answer = rubric.synonyms.get(fold_answer(_INVISIBLE.sub("", text)))
    return (answer, STATUS_OK) if answer else (None, STATUS_UNRECOGNISED)


def read_answer(value, rubric: Rubric) -> tuple[str | None, str, str | None]:
    """(canonical answer or None, status, footnote mark removed or None): as
    ``canonical_answer``, and an answer with a footnote mark glued to it is
    read when ``split_answer_marker`` finds it unambiguous."""
    answer, status = canonical_answer(value, rubric)
    if status != STATUS_UNRECOGNISED:
        return answer, status, None
    split = split_answer_marker(answer_text(value), rubric)
    if split is None:
        return answer, status, None
    base, mark = split
    return rubric.synonyms[fold_answer(base)], STATUS_OK, mark


def read_points(value, item: Item, rubric: Rubric) -> tuple[str | None, str, str | None]:
    """As ``read_answer``, for an item worth several points: its answer is its points as text, "0" to
    str(item.points), or "?" (unclear, 0 points).  Anything else, a number out of range ("4" on a
    3-point criterion) or not whole ("1.5") included, is unrecognised and keeps its raw value: pedro
    never clamps it, nor reads it as 0."""
    text = answer_text(value)
    if text is None:
        return None, STATUS_MISSING, None
    if rubric.synonyms.get(fold_answer(_INVISIBLE.sub("", text))) == "?":
        return "?", STATUS_OK, None
    points = _points_of(text, item)
    if points is not None:
        return points, STATUS_OK, None
    # A footnote mark glued to the points ('3†', '2a', '2¹'), read as for a yes/no answer (rule PD803).
    params = rubric.rule_params.get("footnotes")
    text = _INVISIBLE.sub("", text).strip()
    base, mark = text[:-1], text[-1:]
    if params and base and base == base.rstrip() and not _SUPERSCRIPT_DIGITS & set(base) and (
            mark in FOOTNOTE_MARKS or mark in params.get("symbols", ()) or "a" <= mark <= "z"):
        points = _points_of(base, item)
        if points is not None:
            return points, STATUS_OK, mark
    return None, STATUS_UNRECOGNISED, None


def _points_of(text: str, item: Item) -> str | None:
    """The points written in ``text`` ('2', '2.0', and '2/3' as reviews print a criterion's points out of
    its maximum, which must then be the item's), as text, or None."""
    number = _POINTS.match(text)
    if number and int(number.group(1)) <= item.points:
        return str(int(number.group(1)))
    out_of = _TOTAL_TEXT.match(text)
    if out_of and out_of.group(2) and int(out_of.group(2)) == item.points and int(out_of.group(1)) <= item.points:
        return str(int(out_of.group(1)))
    return None


def read_item_answer(value, item: Item, rubric: Rubric) -> tuple[str | None, str, str | None]:
    """An answer as the item reads it: Y, N or ? for a yes/no item, its points for one worth several."""
    return read_answer(value, rubric) if item.yes_no else read_points(value, item, rubric)


def answer_points(answer) -> int:
    """The points an answer scores: Y 1, a number of points its number, N, ? and "0" none."""
    if answer == "Y":
        return 1
    return int(answer) if isinstance(answer, str) and answer.isdigit() else 0


def split_answer_marker(text: str | None, rubric: Rubric) -> tuple[str, str] | None:
    """(answer, mark) when ``text`` is a complete answer with one footnote mark
    glued to its end ("Ya", "N¹", "?*", "1b"), else None.  The answer must be
    one the rubric lists under [rules.footnotes] answers; a lower-case letter is
    a mark only when it is not an answer itself (y, n, u) and does not make,
    with the answer, one of the rubric's not_markers ("Na" is not applicable)."""
    params = rubric.rule_params.get("footnotes")
    if not text or not params:
        return None
    text = _INVISIBLE.sub("", text).strip()
    if len(text) < 2:
        return None
    base, mark = text[:-1], text[-1]
    if base != base.rstrip() or unicodedata.normalize("NFKC", base) not in params.get("answers", ()):
        return None
    if mark in FOOTNOTE_MARKS or mark in params.get("symbols", ()):
        return base, mark
    if not ("a" <= mark <= "z") or mark in rubric.synonyms:
        return None
    if fold_text(unicodedata.normalize("NFKC", base) + mark) in {fold_text(w) for w in params.get("not_markers", ())}:
        return None
    return base, mark


def split_total_marker(text) -> tuple[str, str] | None:
    """(total, mark) when ``text`` is a reported total with one footnote mark
    glued to its end ("7/10b", "7a", "6¹"), else None."""
    if not isinstance(text, str):
        return None
    text = _INVISIBLE.sub("", text).strip()
    if len(text) < 2:
        return None
    base, mark = text[:-1], text[-1]
    if mark not in FOOTNOTE_MARKS and not ("a" <= mark <= "z"):
        return None
    if base != base.rstrip() or _SUPERSCRIPTS & set(base) or not _TOTAL_TEXT.match(fold_text(base)):
        return None
    return base, mark


def parse_total(value) -> tuple[int | None, int | None]:
    """(points, out of) from 7, 7.0, '7', '7/10', and from a total with a
    footnote mark glued to it ('7/10b', '6¹': see ``split_total_marker``);
    (None, None) when unreadable.  The mark is split off before the text is
    folded, so a superscript is never read as a digit ('0¹' is 0, not 1)."""
    if isinstance(value, bool):
        return None, None
    if isinstance(value, (int, float)):
        return (int(value), None) if float(value).is_integer() else (None, None)
    split = split_total_marker(value)
    text = split[0] if split else str(value)
    if _SUPERSCRIPT_DIGITS & set(text):
        return None, None
    match = _TOTAL_TEXT.match(fold_text(text))
    if not match:
        return None, None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def printed_points(value, maximum: int) -> int | None:
    """The points a printed total or subtotal reads as (7, '7', '7/10' when 10 is ``maximum``), from 0 to
    ``maximum``; None for anything else, a blank included."""
    points, out_of = parse_total(value) if value is not None else (None, None)
    return points if points is not None and points <= maximum and out_of in (None, maximum) else None


def reported_subtotals(sheet, rubric: Rubric) -> dict[str, list]:
    """Per subtotal the sheet prints ('Study quality (/5)'), per trial: the subtotal as printed, as its
    number when it reads as one (as ``reported_totals``), else as written, None where blank."""
    shown = {}
    for subtotal in rubric.subtotals:
        column = SUBTOTAL_COLUMN.format(subtotal.name)
        if column not in sheet.study_table:
            continue
        maximum = sum(rubric.points_of[i] for i in subtotal.items)
        shown[subtotal.name] = [points if (points := printed_points(value, maximum)) is not None
                                else None if value is None or not str(value).strip() else value
                                for value in sheet.study_table[column].tolist()]
    return shown


def is_summary_label(label) -> bool:
    """A row label such as 'Mean', 'Total:', 'Mean (SD)' or 'Score average': a summary, not a trial."""
    # No summary label has a digit, and folding keeps every digit: trial labels ('Smith 2010b') are
    # settled without folding.
    if _DIGIT.search(str(label)):
        return False
    folded = fold_text(label).rstrip(":. ")
    # A percentage ('n (%)', 'Yes, n (%)', '% meeting') counts trials; no trial label holds one.
    if folded in SUMMARY_LABELS or "%" in folded:
        return True
    first = re.split(r"[\s(:,]+", folded, maxsplit=1)[0]
    return first in SUMMARY_WORDS and "et al" not in folded


def normalise_sheet(source: str, grid: Grid, layout: Layout, rubric: Rubric) -> RatedSheet:
    """The sheet's trials as tables: ``studies`` and the tidy ``answers``.

    Work is done column by column over arrays, and once per distinct value
    where a value must be interpreted (``distinct_values``): a sheet of 60,000
    trials holds 660,000 answers but only a handful of distinct ones.  A
    transposed layout is read from the transposed sheet (``Grid.transposed``),
    which the returned sheet keeps; its cells are named as the sheet has them."""
    import numpy as np

    if layout.transposed and not grid.transposed_view:
        grid = grid.transposed()
    item_numbers = sorted(layout.items)
    used = [layout.items[n].index for n in item_numbers] + [c.index for c in layout.roles.values()] + [
        c.index for c in layout.evidence.values()] + [c.index for parts in layout.parts.values()
                                                      for c in list(parts.values())[1:]] + [
        c.index for c in layout.subtotals.values()]
    columns = grid.columns(used + ([layout.year.index] if layout.year else []), start=layout.header_row)
    offsets, skipped = _trial_offsets(columns, used, layout, grid, rubric)
    skipped += [(0, why, cell) for cell, why in layout.table_notes]  # under a transposed table: after its rows
    rows = (offsets + (layout.header_row + 1)).astype(np.int64)
    studies = _studies_table(columns, layout, offsets, rows)
    answers, cell_overrides = _answers_table(columns, layout, item_numbers, offsets, rows, rubric)
    return RatedSheet(source, layout, studies, answers, skipped, grid, cell_overrides)


def _trial_offsets(columns: dict, used: list[int], layout: Layout, grid: Grid,
                   rubric: Rubric) -> tuple["np.ndarray", list[tuple[int, str, str]]]:  # noqa: F821
    """The trials' rows, as offsets under the header row: the rows with a value in any column read, less
    the rows that are not trials, returned as (excel row, why, cell): summary rows ('Mean', 'Total:')
    and, among the rows without a single answer, notes (one cell of text, or a legend, a source line,
    a footnote).  A row with a label and some answers, or a trial label alone, stays a trial."""
    import numpy as np

    study_col = layout.role("study")
    # Most rows have a label, so the label column settles most rows and the other columns are
    # looked at only for the rows still blank.
    order = ([study_col.index] if study_col else []) + used
    offsets = np.flatnonzero(_any_present(columns, order, max(grid.height - layout.header_row, 0)))
    labels = columns[study_col.index][offsets].tolist() if study_col else [None] * len(offsets)
    answered = _answered(columns, layout, offsets, rubric)
    rated = bool(answered.any())
    skipped, keep = [], np.ones(len(offsets), dtype=bool)
    # A trial label with a digit is no summary label (is_summary_label's own first test), asked here without a
    # call per row; and the answered flags as Python's bools, not numpy's (60,000 rows: 25 -> 17 ms, issue 18).
    has_digit = _DIGIT.search
    for position, (label, answer) in enumerate(zip(labels, answered.tolist())):
        if answer and (label is None or (type(label) is str and has_digit(label)) or not is_summary_label(label)):
            continue
        excel_row = layout.header_row + 1 + int(offsets[position])
        cells = [(c, columns[c][offsets[position]]) for c in dict.fromkeys(order)]
        if label is not None and is_summary_label(label):
            why = f"{grid.row_name(excel_row - 1)} ('{label}') is a summary row, not a trial"
        elif (note := _note_text(cells, layout, grid, excel_row, rated)) is not None:
            shown = note if len(note) <= NOTE_SHOWN else note[:NOTE_SHOWN].rstrip() + "…"
            why = f"{grid.row_name(excel_row - 1)}: read as a note, not a trial: '{shown}'"
        else:
            continue
        first = next((c for c, value in cells if _label(value) is not None), order[0])
        skipped.append((excel_row, why, grid.address(excel_row - 1, first)))
        keep[position] = False
    return offsets[keep], skipped


def _answered(columns: dict, layout: Layout, offsets, rubric: Rubric) -> "np.ndarray":  # noqa: F821
    """Per row (``offsets``): whether any item cell holds an answer pedro reads.  Each distinct value is
    read once, and each item column only for the rows no column before it answered (most rows are answered
    by the first: 60,000 values to look at rather than 660,000 at 60,000 trials)."""
    import numpy as np

    answered = np.zeros(len(offsets), dtype=bool)
    left = np.arange(len(offsets))
    for number, column in layout.items.items():
        if not len(left):
            break
        item = rubric.item(number)
        if number in layout.parts:  # a part is a yes/no point
            item = Item(number, item.key, item.label, item.criterion, item.note, item.scored, ())
        codes, distinct = distinct_values(columns[column.index][offsets[left]])
        readable = np.array([read_item_answer(value, item, rubric)[1] == STATUS_OK for value in distinct],
                            dtype=bool)
        hit = readable[codes]
        answered[left[hit]] = True
        left = left[~hit]
    return answered


def _note_text(cells: list[tuple[int, object]], layout: Layout, grid: Grid, excel_row: int,
               rated: bool) -> str | None:
    """The text of a row without answers that is not a trial, or None when it is one.  A trial label in
    the label column keeps the row a trial (one not rated yet: 'Kim 2016'; in a sheet not ``rated`` at
    all, a template, any label that does not read as a note), as does a printed total (a trial whose
    answers are missing).  Otherwise a row with one cell of text (or one merged cell) is a note, and a
    row of several cells is one when a cell reads as a note ('Key:', 'Y = yes', 'N = no')."""
    present = [(c, value) for c, value in cells if _label(value) is not None]
    total, study = layout.role("total"), layout.role("study")
    if total is not None and any(c == total.index and parse_total(v)[0] is not None for c, v in present):
        return None
    label = next((_label(v) for c, v in present if study is not None and c == study.index), None)
    if label is not None:
        merged = grid.merge_at(excel_row - 1, study.index)
        wide = merged is not None and merged[3] > merged[1]
        label_like = not rated or _DIGIT.search(label) or "et al" in fold_text(label)
        if label_like and not wide and not reads_as_note(label):
            return None
    if len(present) == 1:
        return _label(present[0][1])
    return next((str(v) for _, v in present if isinstance(v, str) and reads_as_note(v)), None)


def _studies_table(columns: dict, layout: Layout, offsets: "np.ndarray",  # noqa: F821
                   rows: "np.ndarray") -> Table:  # noqa: F821
    """``RatedSheet.study_table``: one row per trial, its Excel row, its label and the other role columns,
    object columns but the row."""
    n = len(offsets)
    study_col = layout.role("study")
    labels = columns[study_col.index][offsets].tolist() if study_col else [None] * n
    table = {"row": rows,
             "study": object_array([(v if v.strip() else None) if type(v) is str else _label(v) for v in labels])}
    for role in ROLES:
        if role == "study":
            continue
        column = layout.role(role)
        table[role] = columns[column.index][offsets] if column else _nones(n)  # a new array already
    for name, column in layout.subtotals.items():  # as printed: read by the subtotal rule and the reports
        table[SUBTOTAL_COLUMN.format(name)] = columns[column.index][offsets]
    if layout.year is not None:
        table["year"] = columns[layout.year.index][offsets]
        table["study"] = object_array(_with_year(table["study"].tolist(), table["year"].tolist()))
    return Table(table, n, index_name="study_index")


# A year in a trial label: 'Li et al. (2012)', 'Smith 2013a'.
_LABEL_YEAR = re.compile(r"(?<![0-9])(?:1[89]|20)[0-9]{2}(?![0-9])")


def _with_year(labels: list, years: list) -> list:
    """Labels completed by the Year column where they give none: 'Li et al.' | 2012 is shown 'Li et al.
    (2012)', so two 'Li et al.' of different years read apart in every report."""
    shown = []
    for label, year in zip(labels, years):
        year = _label(year)
        shown.append(f"{label} ({year.strip()})" if label and year and not _LABEL_YEAR.search(label) else label)
    return shown


def _answers_table(columns: dict, layout: Layout, item_numbers: list[int], offsets: "np.ndarray",  # noqa: F821
                   rows: "np.ndarray", rubric: Rubric) -> tuple[Table, dict[int, str]]:  # noqa: F821
    """``RatedSheet.answer_table``, the tidy table: one row per (item, trial), item by item, every trial in
    order; and ``RatedSheet.cell_overrides``, the cells of the answers not in their item's column."""
    import numpy as np

    n = len(offsets)
    # The trials' rows, as a slice when they follow one another (as they do but for summary rows at the end):
    # a slice copies nothing, and the concatenations below copy once.
    trials = slice(int(offsets[0]), int(offsets[-1]) + 1) if n and offsets[-1] - offsets[0] + 1 == n else offsets
    raw = _concatenate([columns[layout.items[number].index][trials] for number in item_numbers])
    evidence = _concatenate([columns[layout.evidence[number].index][trials] if number in layout.evidence
                             else _nones(n) for number in item_numbers])
    readings = _read_answers(raw, rubric)
    cell_overrides = {}
    if not rubric.yes_no:
        cell_overrides = _read_points(readings, raw, columns, layout, item_numbers, trials, rows, rubric)
    answers = {
        "study_index": np.tile(np.arange(n, dtype=np.int64), len(item_numbers)),
        "item": np.repeat(np.array(item_numbers, dtype=np.int64), n),
        "row": np.tile(rows, len(item_numbers)),
        "raw": raw, "evidence": evidence,
        "answer": readings["answer"], "status": readings["status"], "marker": readings["marker"],
    }
    if "partial" in readings:  # the (fewest, most) points of an item read by parts and not answered whole
        answers["partial"] = readings["partial"]
    answers["rewrite"] = readings["rewrite"]
    # dtype "str" is the type pandas gives a list of text (str in pandas 3, object before), without pandas
    # looking at 660,000 values to find out.
    return Table(answers, n * len(item_numbers), dtypes={"status": "str"}), cell_overrides


def _read_points(readings: dict, raw, columns: dict, layout: Layout, item_numbers: list[int],
                 trials, rows, rubric: Rubric) -> dict[int, str]:
    """Read again, in place, the answers of the items worth several points: a column of points, or one
    column per part (each a yes/no point, "Y" or "1").  An item read by parts keeps its parts' cells as
    they are (never rewritten); its answer is the sum of its parts, and so is its raw value (no one cell
    holds it: the audit's digest of the answers then reads the same value each time, and the parts' own
    cells are covered by the record of the whole table); where a part is not an answer, the raw value is
    that part's; the cell is the first part's (the item's column), or the part that is blank or not an
    answer: returned as {answer's position: cell} where it is not the first part's.  A column of points is
    rewritten only where its text is not already the points ('2.0', ' 2 ')."""
    n = len(rows)
    overrides = {}
    readings["partial"] = _nones(len(raw))
    for position, number in enumerate(item_numbers):
        item = rubric.item(number)
        if item.yes_no or not n:
            continue
        span = slice(position * n, (position + 1) * n)
        if number in layout.parts:
            parts = list(layout.parts[number].values())
            values = [columns[c.index][trials] for c in parts]
            read = [_parts_answer([v[k] for v in values], rubric) for k in range(n)]
            raw[span] = object_array([r for r, _, _, _, _ in read])
            overrides.update((span.start + k, layout.cell(parts[bad].index, int(rows[k])))
                             for k, (_, _, _, bad, _) in enumerate(read) if bad)
            answers, statuses = [a for _, a, _, _, _ in read], [s for _, _, s, _, _ in read]
            readings["partial"][span] = object_array([partial for *_, partial in read])
            rewrite = [False] * n  # the parts stay as typed
            markers = [None] * n
        else:
            read = [read_points(raw[span.start + k], item, rubric) for k in range(n)]
            answers, statuses = [a for a, _, _ in read], [s for _, s, _ in read]
            markers = [m for _, _, m in read]
            # A number is its answer already (3 stays the number 3); only text that differs is rewritten.
            rewrite = [a is not None and answer_text(raw[span.start + k]) != a for k, a in enumerate(answers)]
        readings["answer"][span] = object_array(answers)
        readings["status"][span] = object_array(statuses)
        readings["marker"][span] = object_array(markers)
        readings["rewrite"][span] = rewrite
    return overrides


def _parts_answer(values: list, rubric: Rubric) -> tuple[str | None, str | None, str, int, tuple | None]:
    """(raw as written, answer, status, index of the part to point at, partial) for one trial's parts.
    ``partial`` is, for an item not answered whole, the (fewest, most) points its parts still allow: a
    part read as "Y" is a point whatever the others say, one read as "N" or "?" is none, so 8a=Y with
    8b blank is 1 or 2 points, not 0 to 2."""
    points, unknown, first_blank, bad = 0, 0, None, None
    for index, value in enumerate(values):
        answer, status, _ = read_answer(value, rubric)
        if status == STATUS_UNRECOGNISED and bad is None:
            bad = index
        if status == STATUS_MISSING:
            first_blank = index if first_blank is None else first_blank
        unknown += status != STATUS_OK
        points += answer == "Y"
    if bad is not None:
        return values[bad], None, STATUS_UNRECOGNISED, bad, (points, points + unknown)
    if first_blank is not None:
        return None, None, STATUS_MISSING, first_blank, (points, points + unknown)
    return str(points), str(points), STATUS_OK, 0, None


def _read_answers(raw: "np.ndarray", rubric: Rubric) -> dict:  # noqa: F821
    """The columns ``answer``, ``status``, ``marker`` and ``rewrite`` of the answers table, for the raw
    values ``raw``.  Each distinct raw value is read once, then spread back over its cells."""
    import numpy as np

    codes, distinct = distinct_values(raw)
    read = [read_answer(value, rubric) for value in distinct]
    return {
        "answer": object_array([a for a, _, _ in read])[codes],
        "status": object_array([s for _, s, _ in read])[codes],
        "marker": object_array([m for _, _, m in read])[codes],
        # Rewritten: a recognised answer not already written exactly as its canonical form.
        "rewrite": np.array([a is not None and (not isinstance(v, str) or v != a)
                             for v, (a, _, _) in zip(distinct, read)], dtype=bool)[codes],
    }


def _cell_references(layout: Layout, item_columns: list, rows: list, lowest: int, lines) -> list[str]:
    """The cells of each item column at its Excel rows (``rows[i]``, an array, for ``item_columns[i]``), column
    after column ("E5", "E6", ..., "G5", ...), made as one text and split: the 660,000 cells of a large sheet
    are then made at C speed.  A cell reference has no line break.  An address joins the column's position and
    the row's line ('E' and '5'), the other way round for a transposed sheet ('E' and '5': the trial's column
    E, the item's row 5; ``Layout.position`` and ``Layout.line``), taken from ``lines``: each row's line from
    ``lowest`` on, as text (``RatedSheet._lines``)."""
    import numpy as np

    if not item_columns:
        return []
    texts, named, previous = [], [], None
    for column, at in zip(item_columns, rows):
        if previous is None or not np.array_equal(at, previous):  # a whole table's items share their rows
            named = lines[at - lowest].tolist()
        previous = at
        position = layout.position(column.index)
        texts.append((position + "\n").join(named) + position if layout.transposed else
                     position + ("\n" + position).join(named))
    return "\n".join(texts).split("\n")


def distinct_values(values) -> tuple["np.ndarray", list]:  # noqa: F821
    """``(codes, distinct)`` such that ``values[i]`` is ``distinct[codes[i]]``,
    equal in value and in type, so that work done once per distinct value
    (reading an answer, parsing a total) can be spread back over every cell
    with ``codes``.  1, 1.0 and True are three distinct values here, as are
    0.0 and -0.0; None is one."""
    import numpy as np

    array = object_array(values)
    codes, uniques = first_seen_codes(array)  # 1 == 1.0 == True share a code here: set apart below
    distinct = list(uniques)
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        none = np.fromiter((v is None for v in array[missing].tolist()), dtype=bool, count=len(missing))
        if none.any():
            codes[missing[none]] = len(distinct)
            distinct.append(None)
        loose = missing[~none]  # NaN and its kin: each is its own value
    else:
        loose = missing
    # A code given to text is exact (text equals only text), and so is one given to whole numbers
    # alone or to booleans alone; any other mix is gone through value by value.
    other = [k for k, v in enumerate(distinct[:len(uniques)]) if type(v) is not str]
    if other:
        positions = np.flatnonzero(np.isin(codes, other))
        kinds = set(map(type, array[positions].tolist()))
        if kinds not in ({int}, {bool}):
            loose = np.concatenate([loose, positions])
    if len(loose):
        seen: dict = {}
        for position, value in zip(loose.tolist(), array[loose].tolist()):
            key = (type(value), value.hex() if type(value) is float else value)
            code = seen.get(key)
            if code is None:
                code = seen[key] = len(distinct)
                distinct.append(value)
            codes[position] = code
    return codes, distinct


def _nones(n: int) -> "np.ndarray":  # noqa: F821
    import numpy as np

    return np.full(n, None, dtype=object)


def _concatenate(arrays: list) -> "np.ndarray":  # noqa: F821
    import numpy as np

    return np.concatenate(arrays) if arrays else _nones(0)


def _label(value) -> str | None:
    """A trial label as text, or None when the cell is blank."""
    if value is None or not str(value).strip():
        return None
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _any_present(columns: dict, order: list[int], n: int) -> "np.ndarray":  # noqa: F821
    """Per row: whether any of the columns holds a value that is not blank."""
    import numpy as np

    empty = np.arange(n)
    for c in order:
        if not len(empty):
            break
        empty = empty[blank(columns[c][empty])]
    result = np.ones(n, dtype=bool)
    result[empty] = False
    return result


def map_distinct(values, function) -> "np.ndarray":  # noqa: F821
    """``function(value)`` for every value, as an object array, computed once
    per distinct value (see ``distinct_values``)."""
    codes, distinct = distinct_values(values)
    return object_array([function(value) for value in distinct])[codes]


def present(values) -> "np.ndarray":  # noqa: F821
    """Per value: not None and not blank text (spaces only).  One quick test
    per value: columns of quotes and labels hardly repeat, so looking for
    distinct values would cost more than it saves."""
    import numpy as np

    return np.array([value != "" and not value.isspace() if type(value) is str else
                     value is not None and str(value).strip() != "" for value in object_array(values).tolist()],
                    dtype=bool)


def blank(values):
    """Per value of an object array, as a boolean array: ``~present(values)`` (None, or text of spaces
    only or none), found at C speed where the values are None and text: "is it true" is asked of every value
    by numpy (None and '' are not), and ``str.isspace`` of the rest by ``map``: present's test of each value
    in Python took 42 ms for PD601's 370,000 quotes at 60,000 trials, this 30.  A value that is neither is
    looked at by ``present``.  (Text is read as it is: a ``str`` subclass as its characters.)"""
    import numpy as np

    if not (isinstance(values, np.ndarray) and values.dtype == object):
        return ~present(values)
    try:
        filled = values.astype(bool)
        # (The array itself is gone through: a list of its values, made and freed, cost 3 ms more.)
        spaces = np.fromiter(map(str.isspace, compress(values, filled)), dtype=bool, count=int(filled.sum()))
    except Exception:  # a number or a date (not text), or a value that will not say whether it is true (pd.NA)
        return ~present(values)
    result = ~filled
    empty = np.flatnonzero(result)  # None and '', and any 0 or False, which present says is there
    result[empty] = ~present(values[empty])
    result[filled] = spaces
    return result
