"""The item sheet's table as pedro scored it, and what has changed in it since.

pedro covers the whole table it reads: the header row and, for every trial,
every cell from the table's first header column to its last (label, answers,
evidence, notes, reported total, any other column), with the rows' order and
number.  At scoring the cells go to the Recorded cells sheet as text, one row
per trial with its sheet row and a digest of the row, sealed by a digest in
the Provenance (``pedro.audit.workbook``).  ``differences`` later compares
that record with the sheet as it is and names each cell edited, each trial row
added, deleted or moved, a label that now stands over another trial's answers,
and each column added, deleted or moved.  `pedro audit` reports them
(``pedro.audit.verify``); scoring the workbook again logs them, before its own
changes (``pedro.audit.log.outside_changes``).

Rows are matched by their content first, so rows that only shifted (a row
deleted or inserted above them) are not reported; of the rows matched, those
out of the recorded order are the ones moved (the longest run kept in order
stays put; of runs as long, the one keeping most rows on their own row, so
two rows swapped are the two named).  A row whose content changed is paired with its recorded row by
its label or its place, whichever explains it with fewer changed cells; what
pairs with nothing was added or deleted.  Columns are matched alike, by their
header; a column added right of the last one recorded is beside the table,
not in it.  Cells outside the table (titles above it, notes beside or below it,
summary rows such as 'Mean') are the assessor's to edit.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections import defaultdict, deque
from dataclasses import dataclass

from ..sheets.cells import split_address
from .chain import canonical, row_digest
from .workbook import RECORDED_COLUMNS, RECORDED_SHEET, Key, pedro_sheet

_LETTERS = re.compile(r"^[A-Z]+$")
_ADDRESS = re.compile(r"^([A-Z]+)(\d+)$")
# A cell holds at most 32,767 characters (UTF-16 units, so half as many code points at worst): a row's cells
# continue in the next cell, and a text for the change log is cut short.
MAX_TEXT = 16_000
SAVE_MARGIN = dt.timedelta(minutes=2)

EDITED, RELABELLED, ADDED, DELETED, MOVED = "edited", "relabelled", "added", "deleted", "moved"
HEADER_MOVED, COLUMN_ADDED, COLUMN_DELETED, COLUMN_MOVED = "header moved", "column added", "column deleted", \
    "column moved"
SHEET_RENAMED = "sheet renamed"


@dataclass(frozen=True)
class CellTable:
    """A table's cells as text: as recorded at scoring, or as the sheet holds them now."""

    positions: list[str]  # the columns' letters, first header column to last (row numbers if trials are columns)
    header_line: int | str  # the header's row
    header: list[str]  # its cells, position by position
    lines: list  # each trial's row, in sheet order
    labels: list  # each trial's label as pedro read it (None: blank)
    rows: list[list[str]]  # each trial's cells, position by position
    label_position: str | None = None  # the labels' column, where known (the sheet now)


@dataclass(frozen=True)
class Difference:
    """One thing that differs between the recorded table and the sheet now."""

    kind: str  # EDITED, RELABELLED, ADDED, DELETED, MOVED or one of the column kinds
    cell: str  # 'C5'; 'row 7' or 'column N' for a whole trial; the header cell for a column
    study: str | None
    item: int | None
    old: str | None
    new: str | None
    message: str  # as `pedro audit` words it, naming the sheet


def cell_text(value) -> str:
    """A cell's value as the record keeps it: text, line breaks as '\\n'."""
    text = canonical(value)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def address(position, line) -> str:
    """A cell's address from its position and its trial's line ('E', 5 -> 'E5'; 5, 'E' -> 'E5')."""
    position, line = str(position), str(line)
    return position + line if _LETTERS.match(position) else line + position


def line_name(line) -> str:
    return f"row {line}" if str(line).isdigit() else f"column {line}"


def table_of(rated, overrides: dict | None = None) -> CellTable:
    """The table of a ``RatedSheet`` (``RatedSheet.table_cells``) as text;
    ``overrides`` ({address: value}) are the values pedro writes in place of
    what it read (canonical answers, a formula's value)."""
    positions, label_position, (header_line, header), trials = rated.table_cells()
    label_of = dict(enumerate(rated.study_table["study"].tolist()))
    lines = [line for _, line, _ in trials]
    # Text without a carriage return is kept as it is, without a call: there are a million cells at 60,000 trials.
    rows = [[v if type(v) is str and "\r" not in v else cell_text(v) for v in values] for _, _, values in trials]
    if overrides:
        _override(positions, lines, rows, overrides)
    return CellTable(list(positions), header_line, [cell_text(v) for v in header], lines,
                     [label_of[index] for index, _, _ in trials], rows, label_position)


def _override(positions, lines, rows, overrides: dict) -> None:
    at = _locator(positions, lines)
    for cell, value in overrides.items():
        where = at(cell)
        if where is not None:
            rows[where[0]][where[1]] = cell_text(value)


def _locator(positions, lines):
    """A function from a cell's address to (trial, position) indexes in a
    table of these ``positions`` and ``lines``; None outside it."""
    column_of = {str(p): i for i, p in enumerate(positions)}
    row_of = {str(line): i for i, line in enumerate(lines)}
    by_letters = bool(positions) and bool(_LETTERS.match(str(positions[0])))

    def at(cell) -> tuple[int, int] | None:
        match = _ADDRESS.match(str(cell))
        if match is None:
            return None
        letters, digits = match.groups()
        position, line = (letters, digits) if by_letters else (digits, letters)
        return (row_of[line], column_of[position]) if position in column_of and line in row_of else None
    return at


def record_rows(table: CellTable, key) -> list[list]:
    """The Recorded cells sheet (``RECORDED_COLUMNS``): the table's header row
    as {position: text}, then each trial's row as [text, ...], each with its
    digest.  A row's cells are one JSON text, not a cell each: at 60,000
    trials a cell each would double the workbook and the time to write it."""
    rows = [list(RECORDED_COLUMNS)]
    header = _ENCODER.encode(dict(zip(table.positions, table.header)))
    for line, label, cells in [(table.header_line, None, header),
                               *zip(table.lines, table.labels, map(_ENCODER.encode, table.rows))]:
        body = [line, label, cells]
        rows.append([line, label, row_digest(body, key), *cell_chunks(cells)])
    return rows


def cell_chunks(text: str) -> list[str]:
    """``text`` in pieces a cell can hold (``MAX_TEXT``), at least one: a
    recorded row goes on in the next cell, and is read back by joining them."""
    return [text[at:at + MAX_TEXT] for at in range(0, max(len(text), 1), MAX_TEXT)]


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def recorded_row(row: list) -> tuple[list, str]:
    """(what a Recorded cells row's digest covers, the digest it holds)."""
    cells = "".join(canonical(v) for v in row[3:])
    return [row[0], row[1], cells], canonical(row[2])


def read_record(book) -> list[list] | None:
    """The Recorded cells sheet of an audited workbook, header first; None
    where it has none (written before pedro recorded the whole table)."""
    name = pedro_sheet(book.sheet_names, RECORDED_SHEET)
    if name is None:
        return None
    rows = [list(r) for r in book.grid(name).rows if any(v is not None for v in r)]
    width = max(map(len, rows), default=0)
    return [r + [None] * (width - len(r)) for r in rows]


def recorded_table(rows: list[list]) -> CellTable | None:
    """The table a Recorded cells sheet holds; None where it is not one (its
    header is not the schema's, or its cells are not the JSON pedro wrote)."""
    if len(rows) < 2 or [canonical(v) for v in rows[0][:len(RECORDED_COLUMNS)]] != list(RECORDED_COLUMNS):
        return None
    try:
        header = json.loads(recorded_row(rows[1])[0][2])
        cells = [json.loads(recorded_row(r)[0][2]) for r in rows[2:]]
    except ValueError:
        return None
    if not isinstance(header, dict) or not all(isinstance(c, list) and len(c) == len(header) for c in cells):
        return None
    return CellTable(list(header), _line(rows[1][0]), list(header.values()), [_line(r[0]) for r in rows[2:]],
                     [canonical(r[1]) or None for r in rows[2:]], cells)


def _line(value):
    text = canonical(value)
    return int(text) if text.isdigit() else text


def table_edits(book, rated, provenance: dict | None, rewrites: dict | None = None) -> list[Difference]:
    """What differs between the item sheet now (``rated``) and the cells the
    audited workbook ``book`` recorded of it; nothing for another input, or
    where it was recorded before pedro covered the whole table.  ``rewrites``
    ({cell: value}) are pedro's own changes to a sheet that is not the audited
    workbook itself (its original input): a cell whose rewrite the record
    holds was rewritten the same way when it was scored, not edited since."""
    recorded_sheet = (provenance or {}).get(Key.INPUT_SHEET)
    if not provenance or (rated.sheet != recorded_sheet and recorded_sheet in book.sheet_names):
        return []  # another sheet than the one scored (--sheet): nothing was recorded of it
    rows = read_record(book)
    recorded = recorded_table(rows) if rows else None
    if recorded is None:
        return []
    current = table_of(rated)
    if rewrites:
        at = _locator(recorded.positions, recorded.lines)
        current = table_of(rated, {cell: value for cell, value in rewrites.items() if (where := at(cell)) is not None
                                   and recorded.rows[where[0]][where[1]] == cell_text(value)})
    items = {}

    def item_of(cell):  # the answers' cells are looked up only when a cell differs
        if not items:
            items.update(zip(rated.cells_of(None), rated.answer_table["item"].tolist()))
        return items.get(cell)

    renamed = [] if rated.sheet == recorded_sheet else [Difference(
        SHEET_RENAMED, "", None, None, recorded_sheet, rated.sheet,
        f"{rated.sheet}: the item sheet was called {recorded_sheet!r} at scoring (renamed after scoring)")]
    return renamed + differences(recorded, current, rated.sheet, item_of, _bare_formula(rated.grid))


def last_saved(path, scored_at: str) -> tuple[str | None, str | None]:
    """(who, when) an .xlsx/.xlsm was last saved, from its document properties,
    where that is clearly after it was scored (``scored_at``, the Provenance
    time); else (None, None).  Excel and LibreOffice set both on saving; a
    save within SAVE_MARGIN of scoring may be pedro's own, which keeps the
    input's names."""
    from defusedxml.ElementTree import fromstring

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("docProps/core.xml")
            if info.file_size > 1_000_000:  # a few hundred bytes in any workbook
                return None, None
            root = fromstring(archive.read(info))
        by, when = root.findtext(_LAST_MODIFIED_BY), root.findtext(_MODIFIED)
        saved = dt.datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
        later = saved - dt.datetime.fromisoformat(scored_at) > SAVE_MARGIN
    except Exception:  # no properties, or not as the standard spells them: not known
        return None, None
    return ((by or "").strip() or None, saved.isoformat()) if later else (None, None)


_LAST_MODIFIED_BY = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastModifiedBy"
_MODIFIED = "{http://purl.org/dc/terms/}modified"


def _bare_formula(grid):
    """Whether a cell holds a formula with no saved value (it reads as blank:
    a program that does not compute formulas saved the file, not an edit)."""
    def bare(cell: str) -> bool:
        where = split_address(cell)
        return grid is not None and where is not None and (where[0], where[1] - 1) in grid.formulas_without_value
    return bare


def differences(recorded: CellTable, current: CellTable, sheet: str, item_of=lambda cell: None,
                bare_formula=lambda cell: False) -> list[Difference]:
    """Everything that differs between ``recorded`` and ``current``: the
    header and columns first, then the trials."""
    if (recorded.positions, recorded.header_line, recorded.header, recorded.lines, recorded.rows) == \
            (current.positions, current.header_line, current.header, current.lines, current.rows):
        return []
    columns, found = column_differences(recorded, current, sheet)
    return found + row_differences(recorded, current, columns, sheet, item_of, bare_formula)


def column_differences(recorded: CellTable, current: CellTable, sheet: str) -> tuple[dict, list[Difference]]:
    """({recorded column: current column}, the differences of the header and
    the columns).  Columns are matched by their header text."""
    pairs, moved, deleted, added = match(recorded.header, current.header,  # then a header edited in its place
                                         lambda left, right: _same(left, right, recorded.positions, current.positions),
                                         lambda i, j: 1)
    changed = [(i, j) for i, j in pairs if recorded.header[i] != current.header[j]]
    found = []
    if str(recorded.header_line) != str(current.header_line):
        found.append(Difference(HEADER_MOVED, line_name(current.header_line), None, None,
                                line_name(recorded.header_line), line_name(current.header_line),
                                f"{sheet}: the table's header moved from {line_name(recorded.header_line)} to "
                                f"{line_name(current.header_line)} after scoring (rows or columns inserted or "
                                "deleted before it)"))
    at = lambda j: address(current.positions[j], current.header_line)  # noqa: E731
    found += [Difference(EDITED, at(j), None, None, recorded.header[i] or None, current.header[j] or None,
                         f"{sheet}!{at(j)} (the table's header) edited after scoring: recorded "
                         f"{_shown(recorded.header[i])}, found {_shown(current.header[j])}") for i, j in changed]
    found += [Difference(COLUMN_MOVED, at(j), None, None, recorded.positions[i], current.positions[j],
                         f"{sheet}: column {_shown(current.header[j])} moved from {recorded.positions[i]} to "
                         f"{current.positions[j]} after scoring") for i, j in pairs if (i, j) in moved]
    found += [Difference(COLUMN_DELETED, address(recorded.positions[i], recorded.header_line), None, None,
                         recorded.header[i] or None, None,
                         f"{sheet}: {_column(recorded.header[i])} (recorded at {recorded.positions[i]}) "
                         "deleted from the table after scoring") for i in deleted]
    # Columns right of the last recorded one are outside the table as scored (notes beside it): not edits.
    last = max((j for _, j in pairs), default=len(current.header))
    found += [Difference(COLUMN_ADDED, at(j), None, None, None, current.header[j] or None,
                         f"{sheet}!{at(j)}: {_column(current.header[j])} added to the table after scoring")
              for j in added if j < last]
    return dict(pairs), found


def _column(header: str) -> str:
    return f"column {_shown(header)}" if header else "a column without a header"


def _shown(text: str | None) -> str:
    """A cell's text as a message quotes it: a long quote cut short (the change log and JSON keep it whole)."""
    if not text:
        return "blank"
    return repr(text if len(text) <= SHOWN else text[:SHOWN - 1] + "\u2026")


SHOWN = 100  # characters of a cell's text that a message quotes


def row_differences(recorded: CellTable, current: CellTable, columns: dict, sheet: str, item_of,
                    bare_formula) -> list[Difference]:
    """The trials' differences, over the columns both tables have (``columns``)."""
    pairs, moved, deleted, added, changed = _row_match(recorded, current, columns)
    trial = _TrialWords(recorded, current, columns, sheet, item_of, bare_formula)
    found = []
    for i, j in sorted(pairs, key=lambda pair: pair[1]):
        found += trial.moved(i, j) if (i, j) in moved else []
        found += trial.edits(i, j) if (i, j) in changed else []
    return found + [trial.deleted(i) for i in deleted] + [trial.added(j) for j in added]


def _row_match(recorded: CellTable, current: CellTable, columns: dict):
    """``match`` of the trials over the columns both tables have: (pairs,
    moved, deleted, added, the pairs whose cells differ)."""
    common = sorted(columns)
    old_keys = [tuple(row[i] for i in common) for row in recorded.rows]
    new_keys = [tuple(row[columns[i]] for i in common) for row in current.rows]

    def candidates(left, right):
        return [*_same(left, right, recorded.labels, current.labels),
                *_same(left, right, [str(x) for x in recorded.lines], [str(x) for x in current.lines])]

    def cost(i, j):
        return sum(a != b for a, b in zip(old_keys[i], new_keys[j]))

    pairs, moved, deleted, added = match(old_keys, new_keys, candidates, cost,
                                         lambda i, j: str(recorded.lines[i]) == str(current.lines[j]))
    return pairs, moved, deleted, added, {(i, j) for i, j in pairs if old_keys[i] != new_keys[j]}


def recorded_lines(recorded: CellTable, current: CellTable) -> dict:
    """{a trial's line now: its line at scoring}, for each trial of ``current``
    that is one ``recorded`` holds (its cells, or its label or place, as
    ``differences`` pairs them); a trial added since has none."""
    columns, _ = column_differences(recorded, current, "")
    pairs = _row_match(recorded, current, columns)[0]
    return {current.lines[j]: recorded.lines[i] for i, j in pairs}


def _same(left, right, old_names: list, new_names: list) -> list[tuple[int, int]]:
    """Pairs of a recorded and a current trial, both still unmatched, that
    share a name (a label, a row) no other unmatched trial has."""
    old = defaultdict(list)
    for i in left:
        if old_names[i] is not None:
            old[old_names[i]].append(i)
    new = defaultdict(list)
    for j in right:
        if new_names[j] is not None:
            new[new_names[j]].append(j)
    return [(old[name][0], js[0]) for name, js in new.items() if len(js) == 1 and len(old.get(name, ())) == 1]


class _TrialWords:
    """The differences of one trial, worded: ``recorded`` trial i against ``current`` trial j."""

    def __init__(self, recorded: CellTable, current: CellTable, columns: dict, sheet: str, item_of, bare_formula):
        self.recorded, self.current, self.columns, self.sheet = recorded, current, columns, sheet
        self.item_of, self.bare_formula = item_of, bare_formula
        self.labels = {str(label).strip() for label in recorded.labels if label is not None}

    def _study(self, label) -> str:
        return label if label is not None else "(no label)"

    def moved(self, i: int, j: int) -> list[Difference]:
        old, new = line_name(self.recorded.lines[i]), line_name(self.current.lines[j])
        study = self._study(self.recorded.labels[i])
        if old == new:  # out of order among rows that moved around it (A B C -> C B A keeps B on its row)
            return [Difference(MOVED, new, study, None, old, new, f"{study}: {self.sheet} {old} is out of its "
                                                                  "recorded order after scoring (the rows around it "
                                                                  "were reordered)")]
        return [Difference(MOVED, new, study, None, old, new, f"{study}: {self.sheet} {old} moved to {new} after "
                                                              "scoring")]

    def edits(self, i: int, j: int) -> list[Difference]:
        """Each cell of trial i that trial j holds otherwise."""
        old_row, new_row, line = self.recorded.rows[i], self.current.rows[j], self.current.lines[j]
        study = self._study(self.recorded.labels[i])
        found = []
        for k, m in sorted(self.columns.items(), key=lambda pair: pair[1]):
            old, new = old_row[k], new_row[m]
            cell = address(self.current.positions[m], line)
            if old == new or (not new and self.bare_formula(cell)):
                continue
            if self.current.positions[m] == self.current.label_position and new.strip() in self.labels - {
                    old.strip()}:
                found.append(Difference(RELABELLED, cell, study, None, old or None, new or None,
                                        f"{self.sheet}!{cell}: the answers recorded for {study} now stand under "
                                        f"{new.strip()} (the label was edited after scoring)"))
                continue
            heading = self.current.header[m]
            found.append(Difference(EDITED, cell, study, self.item_of(cell), old or None, new or None,
                                    f"{study}: {self.sheet}!{cell} edited after scoring: recorded {_shown(old)}, "
                                    f"found {_shown(new)}" + (f" ({heading})" if heading else "")))
        return found

    def deleted(self, i: int) -> Difference:
        line, study = self.recorded.lines[i], self._study(self.recorded.labels[i])
        return Difference(DELETED, line_name(line), study, None, _row_text(self.recorded, i), None,
                          f"{study}: {self.sheet} {line_name(line)} deleted after scoring (the trial is no longer "
                          "in the table)")

    def added(self, j: int) -> Difference:
        line, study = self.current.lines[j], self._study(self.current.labels[j])
        return Difference(ADDED, line_name(line), study, None, None, _row_text(self.current, j),
                          f"{study}: {self.sheet} {line_name(line)} added after scoring (a trial pedro did not "
                          "score)")


def _row_text(table: CellTable, index: int) -> str:
    """A trial's cells as one text ('A5: Smith 2001; B5: Y; ...'), for the change log."""
    line = table.lines[index]
    text = "; ".join(f"{address(p, line)}: {v}" for p, v in zip(table.positions, table.rows[index]) if v)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "\u2026"


def match(old_keys: list, new_keys: list, candidates, cost, stays=lambda i, j: False):
    """Pair recorded things (rows, columns) with current ones: equal keys
    first, then, among the rest, the ``candidates(left, right)`` pairs of
    lowest ``cost(i, j)``.  Returns (pairs, moved, deleted, added): every
    pair (recorded, current), the set of those out of the recorded order
    (``stays(i, j)``: the pair is in its recorded place, which ``_in_order``
    keeps where it can), then the recorded and the current things left unpaired."""
    waiting = defaultdict(deque)
    for i, key in enumerate(old_keys):
        waiting[key].append(i)
    equal = [(waiting[key].popleft(), j) for j, key in enumerate(new_keys) if waiting.get(key)]
    left = sorted(set(range(len(old_keys))) - {i for i, _ in equal})
    right = sorted(set(range(len(new_keys))) - {j for _, j in equal})
    changed, taken_old, taken_new = [], set(), set()
    for _, i, j in sorted((cost(i, j), i, j) for i, j in set(candidates(left, right))):
        if i not in taken_old and j not in taken_new:
            changed.append((i, j))
            taken_old.add(i)
            taken_new.add(j)
    pairs = equal + changed
    return (pairs, set(pairs) - set(_in_order(pairs, stays)), [i for i in left if i not in taken_old],
            [j for j in right if j not in taken_new])


def _in_order(pairs: list[tuple[int, int]], stays) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` whose second members rise with their
    first; of runs as long, the one with most pairs that ``stays`` (in their
    recorded place), so that two rows swapped are the two named moved, not a
    row between them.  A Fenwick tree of the best run ending under each
    current index: n log n, so a sorted sheet of 60,000 trials is quick."""
    pairs = sorted(pairs)
    if all(a[1] < b[1] for a, b in zip(pairs, pairs[1:])):
        return pairs  # nothing out of order, the usual case
    size, weight = max(j for _, j in pairs) + 1, len(pairs) + 1  # one more pair outweighs all that stay
    tree, before, best = [(0, -1)] * (size + 1), [-1] * len(pairs), (0, -1)
    for k, (i, j) in enumerate(pairs):
        top, at = (0, -1), j
        while at > 0:  # the best run whose last current index is under j
            top, at = max(top, tree[at]), at - (at & -at)
        score, before[k] = (top[0] + weight + bool(stays(i, j)), k), top[1]
        best, at = max(best, score), j + 1
        while at <= size:
            tree[at], at = max(tree[at], score), at + (at & -at)
    run, k = [], best[1]
    while k >= 0:
        run.append(pairs[k])
        k = before[k]
    return run
