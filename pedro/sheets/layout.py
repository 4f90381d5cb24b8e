"""Find the header row of an item sheet and what each column holds.

Columns are matched by their label, never by position: an item by its number
(``2``, ``Q2``, ``C2``, ``Item 2``, ``Criterion 2``), by its name in any of the
rubric's spellings (``Random allocation``, ``Randomisation``), or by both
(``2 Random allocation``).  When a number and a name disagree, the name wins
and the conflict is reported (sheets that drop item 1 often renumber the rest
1-10).  Other roles (study label, reported total and band, randomisation
method, numbers for item 8, evidence per item) come from the rubric's
``[columns]`` tables.

Headers may spread over two rows: a group row above the item row can hold the
headers the item row leaves empty ("Study" and "Total" above, items 1-11
below), and a header cell may be merged over several rows or columns.  How
such headers were read is kept in ``Layout.reading`` for rule PD805.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import SheetError
from ..rubric import Rubric
from ..text import fold_text, header_key
from .cells import cell_address, column_letter
from .reader import Grid

HEADER_SEARCH_ROWS = 50
ROLES = ("study", "total", "band", "method", "n_allocated", "n_analysed")
ROLE_NAMES = {"study": "the trial label", "total": "the reported total", "band": "the reported band",
              "method": "the randomisation method", "n_allocated": "the number allocated",
              "n_analysed": "the number analysed"}
# "Q2", "C2", "Item 2", "Criterion 2", "#2", "(2)", "2.", "2 Random allocation"
_NUMBERED = re.compile(
    r"^(?:item|criterion|criteria|crit|question|q|c|i|p|no|nr|n°|#)?\s*[.:#_\-]?\s*[(\[]?0?(\d{1,2})[)\].:\-_]?"
    r"(?=\s|$|[^\d])\s*(.*)$")
_NUMBER_LIKE = re.compile(r"^\s*[-+]?\d+([.,]\d+)?\s*$")  # CSV cells are all text
_PARENTHESES = re.compile(r"\s*[(\[][^)\]]*[)\]]")


@dataclass(frozen=True)
class Column:
    index: int  # 0-based
    header: str  # as written

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass(frozen=True)
class HeaderMatch:
    role: str  # "item", "evidence", or one of ROLES
    item: int | None = None
    strong: bool = True  # a number with an unrecognised name is weak
    conflict: str | None = None  # number and name disagree


@dataclass
class Layout:
    sheet: str
    header_row: int  # Excel row number (1-based)
    items: dict[int, Column]
    evidence: dict[int, Column] = field(default_factory=dict)
    roles: dict[str, Column] = field(default_factory=dict)
    study_found_by: str = "header"  # or "first text column"
    notes: list[tuple[str, str]] = field(default_factory=list)  # (cell, message) for sheet-level findings
    reading: list[tuple[str, str]] = field(default_factory=list)  # (cell, how a header was read) for PD805

    def role(self, name: str) -> Column | None:
        return self.roles.get(name)


class HeaderMatcher:
    """Classifies header texts against a rubric; built once per rubric."""

    def __init__(self, rubric: Rubric):
        self.rubric = rubric
        self.item_by_alias: dict[str, int] = {}
        for item in rubric.items:
            self.item_by_alias[header_key(item.label)] = item.number
            for alias in item.aliases:
                self.item_by_alias.setdefault(alias, item.number)
        self.role_by_word = {word: role for role in ROLES for word in rubric.columns[role]["words"]}
        self.evidence_words = sorted(rubric.columns["evidence"]["contains"], key=len, reverse=True)
        self.numbers = set(rubric.item_numbers)

    def classify(self, header) -> HeaderMatch | None:
        if header is None or isinstance(header, bool):
            return None
        if isinstance(header, (int, float)):
            header = str(int(header)) if float(header).is_integer() else str(header)
        written = str(header).strip()
        text = fold_text(header)
        key = header_key(text)
        if not key:
            return None
        role = self.role_by_word.get(key)
        evidence_word = next((w for w in self.evidence_words if w in key), None)
        if evidence_word is not None:
            ref = self._item_reference(_strip_words(text, self.evidence_words), written)
            if ref is not None:
                return HeaderMatch("evidence", ref.item)
        ref = self._item_reference(text, written)
        if ref is None and role is None:
            # "Intention to treat (ITT)", "Blind assessors [Q7]": the name outside the brackets counts
            # when what is inside names the same item ("Follow-up (months)" is not item 8).
            bare = _PARENTHESES.sub("", text).strip()
            inside = [self._item_reference(part.strip("()[] "), written) for part in _PARENTHESES.findall(text)]
            candidate = self._item_reference(bare, written) if bare and bare != text else None
            if candidate is not None and inside and all(r is not None and r.item == candidate.item for r in inside):
                ref = candidate
        if ref is not None:
            return ref
        return HeaderMatch(role) if role else None

    def _item_reference(self, text: str, written: str = "") -> HeaderMatch | None:
        key = header_key(text)
        if not key:
            return None
        by_name = self.item_by_alias.get(key)
        if by_name is not None:
            return HeaderMatch("item", by_name)
        numbered = _NUMBERED.match(text)
        if not numbered:
            return None
        number = int(numbered.group(1))
        if number not in self.numbers:
            return None
        rest = header_key(numbered.group(2))
        if not rest:
            return HeaderMatch("item", number)
        named = self.item_by_alias.get(rest)
        if named is None:
            return HeaderMatch("item", number, strong=False)
        if named != number:
            return HeaderMatch("item", named, conflict=(
                f"header '{written or text}' is numbered {number} but names item {named} "
                f"({self.rubric.item(named).label}); read as item {named}"))
        return HeaderMatch("item", number)


def _strip_words(text: str, words) -> str:
    key_text = text
    for word in words:
        key_text = re.sub(re.escape(word), " ", key_text)
    return key_text.strip(" -:()[]/,")


def detect_layout(grid: Grid, rubric: Rubric, matcher: HeaderMatcher | None = None) -> Layout:
    """The layout of one sheet, or SheetError saying what is missing."""
    matcher = matcher or HeaderMatcher(rubric)
    best = None
    top = grid.head(HEADER_SEARCH_ROWS)
    for r, row in enumerate(top):
        matches = {c: m for c, value in enumerate(row) if (m := matcher.classify(value)) is not None}
        distinct_items = {m.item for m in matches.values() if m.role == "item" and m.strong}
        if best is None or len(distinct_items) > best[0]:
            best = (len(distinct_items), r, matches)
    if best is None or best[0] == 0:
        raise SheetError(
            f"sheet '{grid.sheet}' has no header row naming the PEDro items in its first "
            f"{HEADER_SEARCH_ROWS} rows; {_headers_found(grid, 0)}; label the item columns "
            "'1 Eligibility criteria' ... '11 Point estimates and variability' (or 1-11), or pass --sheet")
    _, r, matches = best
    header = top[r]
    layout = Layout(sheet=grid.sheet, header_row=r + 1, items={})
    weak: dict[int, list[Column]] = {}
    for c, match in matches.items():
        column = Column(c, _as_text(header[c]))
        if match.role == "item":
            if not match.strong:
                weak.setdefault(match.item, []).append(column)
                continue
            _claim(layout.items, match.item, column, grid.sheet, layout.header_row, rubric)
            if match.conflict:
                layout.notes.append((f"{column.letter}{layout.header_row}", match.conflict))
        elif match.role == "evidence":
            _claim(layout.evidence, match.item, column, grid.sheet, layout.header_row, rubric, "evidence for ")
        elif match.role not in layout.roles:
            layout.roles[match.role] = column
    for number, columns in weak.items():
        if number not in layout.items and len(columns) == 1:
            layout.items[number] = columns[0]
    _headers_from_group_row(grid, top, r, layout, matcher, rubric)
    _merged_header_notes(grid, r, layout)
    missing = [n for n in rubric.scored_items if n not in layout.items]
    if missing:
        names = ", ".join(f"{n} ({rubric.item(n).label.lower()})" for n in missing)
        example = rubric.item(missing[0]).heading
        raise SheetError(
            f"sheet '{grid.sheet}' has no column for item{'s' if len(missing) > 1 else ''} {names}; "
            f"{_headers_found(grid, r)}; name the column '{example}' or pass --sheet")
    if "study" not in layout.roles:
        column = _first_text_column(grid, r, layout, rubric)
        if column is not None:
            layout.roles["study"] = column
            layout.study_found_by = "first text column"
    return layout


def _present(value) -> bool:
    return value is not None and str(value).strip() != ""


def _range_name(merged) -> str:
    r1, c1, r2, c2 = merged
    return f"{cell_address(r1, c1)}:{cell_address(r2, c2)}"


def _headers_from_group_row(grid: Grid, top: list[list], r: int, layout: Layout, matcher: HeaderMatcher,
                            rubric: Rubric) -> None:
    """Headers the header row leaves empty, taken from the row above it when
    that row is a group row (two or more headings) or the header cell is merged
    down into the header row: "Study" and "Total" above, items 1-11 below."""
    if r == 0:
        return
    above, header = top[r - 1], top[r]
    headings = sum(1 for value in above if _present(value))
    merges = [m for m in grid.merged if m[0] <= r - 1 <= m[2]]
    used = {c.index for c in layout.items.values()} | {c.index for c in layout.roles.values()} | {
        c.index for c in layout.evidence.values()}
    for c, value in enumerate(above):
        if not _present(value) or c in used or (c < len(header) and _present(header[c])):
            continue
        merged = next((m for m in merges if m[1] <= c <= m[3]), None)
        merged_down = merged is not None and merged[0] <= r - 1 and merged[2] >= r and merged[1] == merged[3] == c
        if not merged_down and headings < 2:
            continue
        match = matcher.classify(value)
        if match is None:
            continue
        column = Column(c, _as_text(value))
        if match.role == "item" and match.strong and match.item not in layout.items:
            layout.items[match.item] = column
            what = f"item {match.item} ({rubric.item(match.item).label})"
        elif match.role in ROLES and match.role not in layout.roles:
            layout.roles[match.role] = column
            what = ROLE_NAMES[match.role]
        else:
            continue
        where = f"is merged over {_range_name(merged)}" if merged_down else "is in the row above the header row"
        layout.reading.append((cell_address(r - 1, c), f"header '{column.header}' {where}; read as {what} "
                                                     f"for column {column.letter}"))


def _merged_header_notes(grid: Grid, r: int, layout: Layout) -> None:
    """Say how each merged cell across the header row was read."""
    noted = {cell for cell, _ in layout.reading}
    for merged in grid.merged:
        r1, c1, r2, c2 = merged
        if not (r1 <= r <= r2) or cell_address(r1, c1) in noted or (r1 == r2 and c1 == c2):
            continue
        value = grid.value(r1, c1)
        what = _column_role(layout, c1)
        text = f"header '{_as_text(value)}' is merged over {_range_name(merged)}; " + (
            f"column {column_letter(c1)} is read as {what}" if what else f"column {column_letter(c1)} is not used")
        rest = [column_letter(c) for c in range(c1 + 1, c2 + 1) if _column_role(layout, c) is None]
        if len(rest) == 1:
            text += f"; column {rest[0]} under it has no header of its own and is not read"
        elif rest:
            text += f"; columns {', '.join(rest)} under it have no header of their own and are not read"
        layout.reading.append((cell_address(r1, c1), text))


def _column_role(layout: Layout, index: int) -> str | None:
    for number, column in layout.items.items():
        if column.index == index:
            return f"item {number}"
    for role, column in layout.roles.items():
        if column.index == index:
            return ROLE_NAMES[role]
    for number, column in layout.evidence.items():
        if column.index == index:
            return f"the evidence for item {number}"
    return None


def _claim(table: dict, item: int, column: Column, sheet: str, header_row: int, rubric: Rubric, what=""):
    if item in table:
        other = table[item]
        raise SheetError(
            f"sheet '{sheet}': columns {other.letter} ('{other.header}') and {column.letter} "
            f"('{column.header}') are both {what}item {item} ({rubric.item(item).label.lower()}); "
            "rename or delete one of them and run again")
    table[item] = column


def _first_text_column(grid: Grid, header_index: int, layout: Layout, rubric: Rubric) -> Column | None:
    """The first unclaimed column whose values below the header are text that
    is not an answer: where people put the trial label when it has no header."""
    used = {c.index for c in layout.items.values()} | {c.index for c in layout.evidence.values()} | {
        c.index for c in layout.roles.values()}
    top = grid.head(header_index + 201)
    body = top[header_index + 1:]
    for c in range(grid.width):
        if c in used:
            continue
        values = [row[c] for row in body if c < len(row) and row[c] is not None]
        texts = [v for v in values if isinstance(v, str) and fold_text(v) not in rubric.synonyms
                 and not _NUMBER_LIKE.match(v)]
        if texts and len(texts) * 2 >= len(values):
            header = top[header_index][c] if c < len(top[header_index]) else None
            return Column(c, _as_text(header))
    return None


def _headers_found(grid: Grid, row_index: int) -> str:
    row = grid.rows[row_index] if row_index < len(grid.rows) else []
    found = [_as_text(v) for v in row if v is not None and str(v).strip()]
    if not found:
        return "the sheet is empty" if not any(any(v is not None for v in row) for row in grid.rows) \
            else f"row {row_index + 1} has no headers"
    shown = ", ".join(found[:20]) + (", ..." if len(found) > 20 else "")
    return f"found headers (row {row_index + 1}): {shown}"


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
