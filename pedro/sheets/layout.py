"""Find the header row of an item sheet and what each column holds.

Columns are matched by their label, never by position: an item by its number
(``2``, ``Q2``, ``C2``, ``Item 2``, ``Criterion 2``), by its name in any of the
rubric's spellings (``Random allocation``, ``Randomisation``), or by both
(``2 Random allocation``).  When a number and a name disagree, the name wins
and the conflict is reported (sheets that drop item 1 often renumber the rest
1-10).  Other roles (study label, reported total and band, randomisation
method, numbers for item 8, evidence per item) come from the rubric's
``[columns]`` tables; a reported total is known by what its header means
("Total (from a possible maximal of 10)", "PEDro score /10"): the words the
rubric lists, once the qualifiers it lists (the maximum, "out of 10") are
taken off.

The shapes reviews print are read as they come:

- headers over two rows: a group row above the item row can hold the headers
  the item row leaves empty ("Study" and "Total" above, items 1-11 below), and
  item numbers in one row with their names in the next are one header;
- a header cell merged over several rows or columns;
- the items as rows and the trials as columns (read transposed: the layout
  then describes the transposed sheet, and ``Layout.cell`` names the real cells);
- a list of totals without item columns (``Layout.totals_only``).

A header row is never a row of data: bare numbers count as item numbers only
when a row has several of them, and not when the row below has numbers other
than answers (0/1) in the same columns.  How the headers were read is kept in
``Layout.reading`` for rule PD805.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import SheetError
from ..rubric import Rubric
from ..text import fold_text, header_key
from .cells import column_letter
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
_BRACKETED = re.compile(r"^\s*[(\[][^)\]]*[)\]]\s*$")
# A row is taken for a header by bare numbers only when it has at least this many distinct item numbers
# (a header "1 2 3 ... 11"), never by the 1s and 0s of a row of answers.
MIN_BARE_NUMBERS = 3

# What a note, legend, source line or footnote under (or above) a table starts with: a footnote mark, a
# numbered or lettered list entry ('2. Subjects were...', 'a) ...'), or a word that introduces one.
_NOTE_START = re.compile(r"^\s*(?:[*†‡§¶#¹²³⁴⁵⁶⁷⁸⁹⁰ᵃᵇᶜᵈᵉᶠ]|\(?(?:\d{1,2}|[a-z])[.)]\s|[a-z]\s+[A-Z])")
_NOTE_WORD = re.compile(r"^\s*(?:notes?|n\.?b\.?|sources?|key|legend|abbreviations?|footnotes?|adapted|"
                        r"reproduced|data|table|fig(?:ure|\.)?|scores? (?:were|are)|the total|rated|ratings?|"
                        r"reviewers?|items?|criteri(?:on|a)|studies were|trials were|pedro,)\b", re.IGNORECASE)
# A legend: a short symbol given its meaning ('Y = yes; N = no', '1 = criterion met').
_LEGEND = re.compile(r"(?:^|[;,.]\s*)[^\s=;,]{1,3}\s*=\s*\S")
# A trial label is short: author(s) and year.  Text longer than this is prose, a note.
NOTE_WORDS = 9
NOTE_SHOWN = 40  # characters of a note quoted in the finding


@dataclass(frozen=True)
class Column:
    index: int  # 0-based, in the sheet as read (a row of the sheet when it is read transposed)
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
    by_name: bool = False  # the item was named ("Random allocation"), not only numbered ("2")
    part: str | None = None  # the part of a criterion worth several points ("6a"), when the header names one
    subtotal: str | None = None  # the rubric's subtotal ("study_quality") a header names, for role "subtotal"


@dataclass
class Layout:
    sheet: str
    header_row: int  # Excel row number (1-based) of the last header row, in the sheet as read
    items: dict[int, Column]
    evidence: dict[int, Column] = field(default_factory=dict)
    roles: dict[str, Column] = field(default_factory=dict)
    study_found_by: str = "header"  # or "first text column"
    notes: list[tuple[str, str]] = field(default_factory=list)  # (cell, message) for sheet-level findings
    reading: list[tuple[str, str]] = field(default_factory=list)  # (cell, how a header was read) for PD805
    # (cell, why) for rule PD802: the notes under a transposed table, which the sheet as read has in the
    # header row, not as rows under it
    table_notes: list[tuple[str, str]] = field(default_factory=list)
    header_rows: tuple[int, ...] = ()  # every header row (Excel numbers, in the sheet as read)
    transposed: bool = False  # the items are rows and the trials columns; read with rows and columns swapped
    totals_only: bool = False  # a list of printed totals: no item columns
    year: Column | None = None  # a year column beside the label ('Study | Year'), which tells trials apart
    # Criteria worth several points read as one column per point: item -> part code -> column.  Such an
    # item's entry in ``items`` is its first part's column; the audited workbook keeps the parts as read.
    parts: dict[int, dict[str, Column]] = field(default_factory=dict)
    # Printed subtotals of a rubric with [[subtotals]]: subtotal name -> column ('Study quality (/5)').
    subtotals: dict[str, Column] = field(default_factory=dict)

    def columns_of(self, item: int) -> list[Column]:
        """The columns an item is read from: its own, or one per part."""
        if item in self.parts:
            return list(self.parts[item].values())
        return [self.items[item]] if item in self.items else []

    def __post_init__(self):
        self.header_rows = self.header_rows or (self.header_row,)

    def role(self, name: str) -> Column | None:
        return self.roles.get(name)

    def cell(self, index: int, row: int) -> str:
        """The sheet's address of the cell in column ``index`` (0-based) and Excel row ``row`` of the
        sheet as read: for a transposed sheet, the column is a row of the sheet and the row a column."""
        return f"{column_letter(row - 1)}{index + 1}" if self.transposed else f"{column_letter(index)}{row}"

    def cells(self, column: Column | None, rows) -> list[str]:
        """The addresses of a column's cells in the given Excel rows of the sheet as read."""
        if column is None:
            return [""] * len(rows)
        if self.transposed:
            number = str(column.index + 1)
            return [column_letter(int(r) - 1) + number for r in rows]
        letter = column.letter
        return [f"{letter}{r}" for r in rows]

    def position(self, index: int) -> str:
        """How the sheet names the line of cells at ``index`` (0-based) across the header: its column
        letter ('E'), or for a transposed sheet its row number as text ('5')."""
        return str(index + 1) if self.transposed else column_letter(index)

    def line(self, row: int):
        """How the sheet names a trial's line, Excel row ``row`` of the sheet as read: the row number
        (5), or for a transposed sheet the column letter ('E').  ``position`` and ``line`` join into an
        address either way round ('E' and 5, '5' and 'E': E5)."""
        return column_letter(int(row) - 1) if self.transposed else int(row)

    def line_names(self, first: int, last: int) -> list[str]:
        """``str(line(row))`` for each Excel row from ``first`` to ``last``: a row's number made at C speed
        (60,000 rows in 3 ms against 20 one by one, issue 18)."""
        if self.transposed:
            return [column_letter(row - 1) for row in range(first, last + 1)]
        return list(map(str, range(first, last + 1)))

    @property
    def header_range(self) -> str:
        """The header as a range of the sheet: '4:4', 'A:A' for a transposed sheet."""
        if self.transposed:
            first, last = column_letter(self.header_rows[0] - 1), column_letter(self.header_rows[-1] - 1)
        else:
            first, last = self.header_rows[0], self.header_rows[-1]
        return f"{first}:{last}"

    @property
    def how_read(self) -> str:
        """How the sheet was read, in a few words for the terminal: 'header row 4', 'header rows 3-4
        (read as one header)', 'read transposed (items as rows), item labels in column A', ..."""
        first, last = self.header_rows[0], self.header_rows[-1]
        if self.transposed:
            lines = (f"column {column_letter(first - 1)}" if first == last else
                     f"columns {column_letter(first - 1)}-{column_letter(last - 1)}")
            text = f"read transposed (items as rows), item labels in {lines}"
        else:
            text = f"header row {first}" if first == last else f"header rows {first}-{last} (read as one header)"
        if self.totals_only:
            text += "; totals only (no item columns): no item-level check was possible"
        return text


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
        self.total_qualifiers = sorted(rubric.columns["total"].get("qualifiers", ()), key=len, reverse=True)
        self.total_contains = rubric.columns["total"].get("contains", ())
        # "Quality score (max 10)": score words count only among words beside them that qualify the rating.
        total = rubric.columns["total"]
        self.total_score_words = _alternation(total.get("score_words", ()))
        rating_words = _alternation((*total.get("score_words", ()), *total.get("beside", ())))
        self.rating_phrase = re.compile(f"(?:{rating_words})+")
        self.band_labels = {header_key(label) for bands in rubric.band_sets.values() for label in bands.labels}
        self.max_total = rubric.max_total
        self.numbers = set(rubric.item_numbers)
        # A part of a criterion worth several points, by its code ('6a'), code and name, or name.
        self.part_by_key: dict[str, tuple[int, str]] = {}
        for item in rubric.items:
            for part in item.parts:
                code = header_key(part.code)
                for key in (code, *(code + name for name in (header_key(part.label), *part.aliases))):
                    self.part_by_key.setdefault(key, (item.number, part.code))
                for name in (header_key(part.label), *part.aliases):
                    self.part_by_key.setdefault(name, (item.number, part.code))
        self.subtotal_names = [_subtotal_names(subtotal, rubric) for subtotal in rubric.subtotals]
        self.points_qualifiers = {points: _points_qualifiers(points) for points in set(rubric.points_of.values())}

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
        if key in self.part_by_key:
            number, code = self.part_by_key[key]
            return HeaderMatch("item", number, by_name=True, part=code)
        subtotal = self.subtotal_of(key)
        if subtotal is not None:
            return HeaderMatch("subtotal", subtotal=subtotal)
        role = self.role_by_word.get(key) or self._total_by_meaning(key)
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
        if role is None and evidence_word is None and (any(word in key for word in self.total_contains)
                                                       or self.names_rating(key)):
            # "Quality score (PEDro)": a total only if its cells say so (see _settle_total).
            return HeaderMatch("total", strong=False)
        return HeaderMatch(role) if role else None

    def _total_by_meaning(self, key: str) -> str | None:
        """'total' when the header, less the qualifiers the rubric lists ('out of 10', '(0-10)', 'from
        a possible maximal of 10'), is one of the total's words: 'Total (from a possible maximal of 10)';
        so is a band's word with a maximum ('Quality (0-10)': a band is not out of 10) or a qualifier alone."""
        rest = key
        for qualifier in self.total_qualifiers:
            rest = rest.replace(qualifier, "")
        if rest != key and (not rest or self.role_by_word.get(rest) in ("total", "band")):
            return "total"
        return None

    def subtotal_of(self, key: str) -> str | None:
        """The name of the rubric's subtotal a header key names, or None: its label or name ('Study quality',
        'Reporting'), less a maximum written as for the total but out of the subtotal's points ('(/5)',
        '(0-10)', '(max 5)') and the words that say a score ('subtotal', 'score', 'overall'); the label's
        last word alone ('Quality subtotal', 'Overall quality (max 5)') only beside such a word or maximum,
        as 'Quality' alone is a band's header."""
        for name, full, short, qualifiers in self.subtotal_names:
            rest = key
            for qualifier in qualifiers:
                rest = rest.replace(qualifier, "")
            for word in _SUBTOTAL_WORDS:
                rest = rest.replace(word, "")
            if rest in full or (rest != key and rest in short):
                return name
        return None

    def _decorated_name(self, written: str) -> int | None:
        """The item a header names with a decoration after one of its names, or None: footnote marks
        ('Allocation concealed¹', 'Eligibility*†'), a single lower-case letter glued to the name
        ('Eligibility criteria specifieda', only when the rest is a name exactly), or the item's points
        ('Outcome measures assessed (3 points)', '(/3)', '(0-3)')."""
        plain = written.rstrip().rstrip(_HEADER_MARKS).rstrip()
        key = header_key(plain)
        number = self.item_by_alias.get(key)
        if number is not None:
            return number
        for points, qualifiers in self.points_qualifiers.items():
            for qualifier in qualifiers:
                number = self.item_by_alias.get(key[:-len(qualifier)]) if key.endswith(qualifier) else None
                if number is not None and self.rubric.points_of[number] == points:
                    return number
        glued = len(plain) > 2 and "a" <= plain[-1] <= "z" and plain[-2].isalpha()
        return self.item_by_alias.get(header_key(plain[:-1])) if glued else None

    def names_rating(self, key: str) -> bool:
        """Whether a header key, less its qualifiers, is a score word among the rubric's `beside` words only:
        'Quality score', 'Methodological score (0-10)', 'Points'; not 'Pain score (VAS)' (an outcome)."""
        rest = key
        for qualifier in self.total_qualifiers:
            rest = rest.replace(qualifier, "")
        return (bool(self.total_score_words) and re.search(self.total_score_words, rest) is not None
                and self.rating_phrase.fullmatch(rest) is not None)

    def score_word(self, header) -> str | None:
        """The score word ('score', 'points') a header holds, if any: 'Pain score (VAS)' holds 'score'."""
        found = re.search(self.total_score_words, header_key(header)) if self.total_score_words else None
        return found.group(0) if found else None

    def qualifier_only(self, text) -> bool:
        """Whether a header cell is only a maximum or unit ('out of 10', '/10', 'points')."""
        key = header_key(text)
        return bool(key) and key in self.total_qualifiers

    def reads_as(self, values) -> str | None:
        """'total' when most filled cells are whole numbers 0-10 and none is a band label, 'band' when most
        are band labels ('good', 'high'), else None: what a column holds, whatever its header says."""
        filled = [v for v in values if _present(v)]
        totals = sum(1 for v in filled if _whole_total(v, self.max_total))
        bands = sum(1 for v in filled if header_key(v) in self.band_labels)
        if filled and totals * 2 > len(filled) and not bands:
            return "total"
        if filled and bands * 2 > len(filled):
            return "band"
        return None

    def _item_reference(self, text: str, written: str = "") -> HeaderMatch | None:
        key = header_key(text)
        if not key:
            return None
        by_name = self.item_by_alias.get(key)
        if by_name is None and written:
            by_name = self._decorated_name(written)
        if by_name is not None:
            return HeaderMatch("item", by_name, by_name=True)
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
            return HeaderMatch("item", named, by_name=True, conflict=(
                f"header '{written or text}' is numbered {number} but names {self.rubric.item_word} {named} "
                f"({self.rubric.item(named).label}); read as {self.rubric.item_word} {named}"))
        return HeaderMatch("item", number, by_name=True)


# Words beside a subtotal's name that say it is a score ('Quality subtotal', 'Reporting score (0-10)').
_SUBTOTAL_WORDS = ("subtotals", "subtotal", "scores", "score", "overall", "points", "total", "sum")


def _subtotal_names(subtotal, rubric: Rubric) -> tuple[str, set[str], set[str], list[str]]:
    """(name, the keys naming the subtotal, the short keys that need a qualifier, the keys of its maximum)."""
    top = sum(rubric.points_of[i] for i in subtotal.items)
    full = {header_key(subtotal.label), header_key(subtotal.name.replace("_", " "))}
    short = {header_key(subtotal.label.split()[-1])} - {""}
    qualifiers = [header_key(q.format(top)) for q in ("out of {}", "/{}", "0-{}", "0 to {}", "of {}", "max {}",
                                                     "maximum {}", "max. {}")]
    return subtotal.name, full, short, sorted(set(qualifiers), key=len, reverse=True)


def _points_qualifiers(points: int) -> tuple[str, ...]:
    """The keys of what a review writes after a criterion's name to give its points: '(3 points)', '(/3)',
    '(0-3)', '(max 3)', '(1 point)'."""
    return tuple(header_key(q.format(points)) for q in ("{} points", "{} point", "{} pts", "/{}", "0-{}", "0 to {}",
                                                        "max {}", "max. {}", "out of {}"))


# Footnote marks after a header ('Allocation concealed¹', 'Eligibility†'): superscripts fold to digits.
_HEADER_MARKS = "¹²³⁴⁵⁶⁷⁸⁹⁰ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ*†‡§¶"


def _alternation(keys) -> str:
    """A regex alternation of header keys, longest first so 'scores' is not read as 'score' + 's'."""
    return "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))


def _strip_words(text: str, words) -> str:
    key_text = text
    for word in words:
        key_text = re.sub(re.escape(word), " ", key_text)
    return key_text.strip(" -:()[]/,")


def detect_layout(grid: Grid, rubric: Rubric, matcher: HeaderMatcher | None = None) -> Layout:
    """The layout of one sheet, or SheetError saying what is missing.  A sheet whose items run down a
    column is read transposed; a sheet without item columns but with a total column is a totals-only list."""
    matcher = matcher or HeaderMatcher(rubric)
    count, r, matches = _best_header_row(grid, matcher)
    if count < len(rubric.scored_items):
        flipped = grid.transposed()
        other = _best_header_row(flipped, matcher)
        totals = _totals_only_layout(grid, rubric, matcher) if count == 0 else None
        if totals is not None and other[0] < len(rubric.scored_items):
            return totals
        # Read transposed only when that finds most of the items: a stray item name down a column of
        # notes is not a table.
        if other[0] > count and other[0] * 2 >= len(rubric.scored_items):
            grid, (count, r, matches) = flipped, other
    if count == 0:
        items = "label the item columns '1 Eligibility criteria' ... '11 Point estimates and variability' (or 1-11)"
        hint = _totals_list_hint(grid, matcher)
        if hint:
            raise SheetError(f"sheet '{grid.sheet}' has no item columns; {hint}; if the sheet rates the items, "
                             f"{items}, or pass --sheet")
        raise SheetError(f"sheet '{grid.sheet}' has no header row naming the PEDro items in its first "
                         f"{HEADER_SEARCH_ROWS} rows; {_headers_found(grid, 0)}; {items}, or pass --sheet")
    return _item_layout(grid, r, matches, rubric, matcher)


def _best_header_row(grid: Grid, matcher: HeaderMatcher) -> tuple[int, int, dict]:
    """(distinct items named, row index, {column: match}) of the row among the first ones that names
    the most items (the first of equals); (0, 0, {}) when none does."""
    top = grid.head(HEADER_SEARCH_ROWS + 1)
    best = (0, 0, {})
    for r, row in enumerate(top[:HEADER_SEARCH_ROWS]):
        matches = _row_matches(row, [top[i] for i in (r - 1, r + 1) if 0 <= i < len(top)], matcher)
        distinct = len({m.item for m in matches.values() if m.role == "item" and m.strong})
        if distinct > best[0]:
            best = (distinct, r, matches)
            if distinct == len(matcher.rubric.items):  # no later row can name more: skip classifying data
                break
    return best


def _row_matches(row: list, neighbours: list[list], matcher: HeaderMatcher) -> dict[int, HeaderMatch]:
    """{column: match} for a candidate header row.  Bare numbers are item numbers only in a row of
    several different ones ('1 2 ... 11') or among named items, and never when a row next to it has
    numbers other than answers (0 and 1) in the same columns: a header row has no numbers where the rows
    below it have them (a row of printed totals, '8 6 7', is data)."""
    matches = {c: m for c, value in enumerate(row) if (m := matcher.classify(value)) is not None}
    bare = [c for c, m in matches.items() if m.role == "item" and _is_number(row[c])]
    if not bare:
        return matches
    numbers = [matches[c].item for c in bare]
    named = sum(1 for c, m in matches.items() if m.role == "item" and m.strong and c not in bare)
    beside = max((sum(1 for c in bare if c < len(other) and _is_number(other[c])
                      and str(other[c]).strip() not in ("0", "1", "0.0", "1.0")) for other in neighbours), default=0)
    if named < MIN_BARE_NUMBERS and (len(set(numbers)) < MIN_BARE_NUMBERS or len(set(numbers)) < len(numbers)) \
            or beside * 2 > len(bare):
        for c in bare:
            del matches[c]
    return matches


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or (isinstance(value, str) and bool(_NUMBER_LIKE.match(value)))


def _item_layout(grid: Grid, r: int, matches: dict, rubric: Rubric, matcher: HeaderMatcher) -> Layout:
    """The layout of a sheet whose header row ``r`` names the items (``matches``)."""
    top = grid.head(HEADER_SEARCH_ROWS + 2)
    block = _header_block(top, r, matches, matcher, rubric)
    matches, texts = _combined_header(top, block, matches, matcher)
    layout = Layout(sheet=grid.sheet, header_row=block[-1] + 1, items={},
                    header_rows=tuple(b + 1 for b in block), transposed=grid.transposed_view)
    if grid.transposed_view:
        _notes_under_transposed(grid, block, matches, texts, layout)
    _claim_columns(grid, layout, matches, texts, rubric)
    _settle_total(grid, layout, _open_total_or_band(matches, texts, layout), matcher)
    layout.year = _year_column(texts, layout, rubric)
    _headers_from_group_row(grid, top, block, layout, matcher, rubric)
    for row in block:
        _merged_header_notes(grid, row, layout)
    if grid.transposed_view:
        first = min(c.index for c in layout.items.values())
        layout.reading.insert(0, (grid.address(block[0], first), f"the items are rows and the trials columns: "
                                                                  f"read transposed (items as rows), item labels in "
                                                                  f"{grid.row_name(block[0])}"))
    if len(block) > 1:
        first = min(c.index for c in layout.items.values())
        names = [grid.row_name(b).split() for b in block]
        layout.reading.insert(0, (grid.address(block[0], first), f"{names[0][0]}s {names[0][1]} and {names[1][1]} "
                                                                  "are read as one header"))
    missing = [n for n in rubric.scored_items if n not in layout.items]
    if missing:
        names = ", ".join(f"{n} ({rubric.item(n).label.lower()})" for n in missing)
        example = rubric.item(missing[0]).heading
        raise SheetError(
            f"sheet '{grid.sheet}' has no column for item{'s' if len(missing) > 1 else ''} {names}; "
            f"{_headers_found(grid, block[-1])}; name the column '{example}' or pass --sheet")
    _study_by_first_text_column(grid, block[-1], layout, rubric)
    return layout


def _notes_under_transposed(grid: Grid, block: list[int], matches: dict, texts: dict, layout: Layout) -> None:
    """Take the notes under a table printed with items as rows out of its header: the lines past the
    last one holding an answer or label, with nothing beside their text (one cell, or one merged cell),
    that read as a note ('Y = yes; N = no', '1 = criterion met', '2. Subjects were randomly allocated...')
    or name no column pedro reads.  An item's own line is never taken: in a sheet with no ratings yet
    every line is empty, and an item heading does not read as a note.  Each note is said once (PD802)."""
    rows = grid.rows[block[-1] + 1:]
    filled = [c for c in range(grid.width) if any(c < len(row) and _present(row[c]) for row in rows)]
    if not filled:
        return
    for c in range(filled[-1] + 1, grid.width):
        text = texts.get(c, "")
        if not text.strip() or (c in matches and not reads_as_note(text)):
            continue
        matches.pop(c, None)
        shown = text if len(text) <= NOTE_SHOWN else text[:NOTE_SHOWN].rstrip() + "…"
        layout.table_notes.append((grid.address(block[0], c),
                                   f"{grid.column_name(c)}: read as a note, not a trial: '{shown}'"))


def _claim_columns(grid: Grid, layout: Layout, matches: dict, texts: dict, rubric: Rubric) -> None:
    """Give each matched column its item, evidence or role; a weak match (a number with a name the rubric
    does not know) only where no other column claims the item."""
    weak: dict[int, list[Column]] = {}
    for c, match in sorted(matches.items()):
        column = Column(c, texts[c])
        if match.role == "item" and match.part is not None:
            parts = layout.parts.setdefault(match.item, {})
            if match.part in parts:
                other = parts[match.part]
                raise SheetError(
                    f"sheet '{grid.sheet}': {grid.column_name(other.index)} ('{other.header}') and "
                    f"{grid.column_name(c)} ('{column.header}') are both part {match.part} of {rubric.item_word} "
                    f"{match.item}; rename or delete one of them and run again")
            parts[match.part] = column
        elif match.role == "item":
            if not match.strong:
                weak.setdefault(match.item, []).append(column)
                continue
            _claim(layout.items, match.item, column, grid, rubric)
            if match.conflict:
                layout.notes.append((grid.address(layout.header_rows[0] - 1, c), match.conflict))
        elif match.role == "evidence":
            _claim(layout.evidence, match.item, column, grid, rubric, "evidence for ")
        elif match.role == "subtotal":
            layout.subtotals.setdefault(match.subtotal, column)
        elif match.role not in layout.roles and match.strong:
            layout.roles[match.role] = column
    for number, columns in weak.items():
        if number not in layout.items and number not in layout.parts and len(columns) == 1:
            layout.items[number] = columns[0]
    _settle_parts(grid, layout, rubric)


def _settle_parts(grid: Grid, layout: Layout, rubric: Rubric) -> None:
    """An item read by parts needs every part, and no column of its own beside them: its points are the sum
    of its parts, so a part missing, or a second reading of the item, is a question only the user can settle."""
    for number, parts in layout.parts.items():
        item = rubric.item(number)
        if number in layout.items:
            other = layout.items[number]
            raise SheetError(
                f"sheet '{grid.sheet}': {grid.column_name(other.index)} ('{other.header}') gives the points of "
                f"{rubric.item_word} {number} ({item.label.lower()}) and columns "
                f"{', '.join(grid.column_name(c.index).split()[1] for c in parts.values())} give its parts; keep "
                "one or the other and run again")
        missing = [part for part in item.parts if part.code not in parts]
        if missing:
            raise SheetError(
                f"sheet '{grid.sheet}' has columns for part(s) {', '.join(parts)} of {rubric.item_word} {number} "
                f"({item.label.lower()}) but none for {', '.join(f'{p.code} ({p.label.lower()})' for p in missing)}; "
                f"add the column '{missing[0].code} {missing[0].label}' or give the criterion as one column of points")
        layout.parts[number] = {part.code: parts[part.code] for part in item.parts}  # in the rubric's order
        layout.items[number] = layout.parts[number][item.parts[0].code]


def _header_block(top: list[list], r: int, matches: dict, matcher: HeaderMatcher, rubric: Rubric) -> list[int]:
    """The rows of the header: ``r``, with the row above or below it when that row names the same
    columns' items too (item numbers in one row, names in the other) or, below, holds names the rubric
    does not know where answers would be, under a label cell merged down into it."""
    item_columns = [c for c, m in matches.items() if m.role == "item"]
    block = [r]
    if r > 0 and _names_items(top[r - 1], item_columns, matcher):
        block.insert(0, r - 1)
    if r + 1 < len(top) and (_names_items(top[r + 1], item_columns, matcher)
                             or _holds_names(top[r + 1], item_columns, rubric)):
        block.append(r + 1)
    return block


def _names_items(row: list, item_columns: list[int], matcher: HeaderMatcher) -> bool:
    """Whether ``row`` names items in at least half of ``item_columns`` (each a different item)."""
    items = set()
    for c in item_columns:
        match = matcher.classify(row[c]) if c < len(row) else None
        if match is not None and match.role == "item" and match.strong:
            items.add(match.item)
    return len(items) * 2 >= len(item_columns) and len(items) >= 2


def _holds_names(row: list, item_columns: list[int], rubric: Rubric) -> bool:
    """Whether ``row`` holds, in at least half of the item columns, text that is neither an answer nor
    a number, no answer at all, and nothing outside them (no trial label): short names the rubric does
    not know ('Rand', 'Conc') under the item numbers."""
    if any(_present(value) for c, value in enumerate(row) if c not in item_columns):
        return False
    texts = 0
    for c in item_columns:
        value = row[c] if c < len(row) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if _is_number(value) or not isinstance(value, str) or fold_text(value) in rubric.synonyms:
            return False
        texts += 1
    return texts * 2 >= len(item_columns) and texts >= 2


def _combined_header(top: list[list], block: list[int], matches: dict,
                     matcher: HeaderMatcher) -> tuple[dict, dict]:
    """({column: match}, {column: header text}) over the rows of the header.  A named item wins over a
    numbered one ('1' above 'Random allocation' is item 2, as in sheets that renumber after dropping
    item 1; the conflict is said), and the texts of a column are joined ('2 Random allocation')."""
    if len(block) == 1:
        return matches, {c: _as_text(value) for c, value in enumerate(top[block[0]])}
    combined, texts = {}, {}
    rows = [top[b] for b in block]
    for c in range(max(len(row) for row in rows)):
        cells = [row[c] for row in rows if c < len(row) and _present(row[c])]
        texts[c] = " ".join(dict.fromkeys(_as_text(v) for v in cells))
        found = [m for v in cells if (m := matcher.classify(v)) is not None]
        named = next((m for m in found if m.role == "item" and m.by_name and m.strong), None)
        chosen = named or matches.get(c) or next(iter(found), None)
        if chosen is None:
            continue
        numbered = next((m for m in found if m.role == "item" and not m.by_name and m.strong), None)
        if named is not None and numbered is not None and numbered.item != named.item:
            chosen = HeaderMatch("item", named.item, by_name=True, conflict=(
                f"header '{texts[c]}' is numbered {numbered.item} but names {matcher.rubric.item_word} {named.item} "
                f"({matcher.rubric.item(named.item).label}); read as {matcher.rubric.item_word} {named.item}"))
        combined[c] = chosen
    return combined, texts


def _totals_only_layout(grid: Grid, rubric: Rubric, matcher: HeaderMatcher) -> Layout | None:
    """A list of printed totals (a label column and a total column, with or without a year, no item
    columns): the first row with a total header (or a band header over whole numbers) over a row that
    holds a number in that column.  A row of units under it ('(0-10)') is part of the header."""
    top = grid.head(HEADER_SEARCH_ROWS + 2)
    for r, row in enumerate(top[:HEADER_SEARCH_ROWS]):
        matches = {c: m for c, value in enumerate(row) if (m := matcher.classify(value)) is not None
                   and not _is_number(value)}
        block = [r, r + 1] if r + 1 < len(top) and _units_row(top[r + 1], matcher) else [r]
        below = top[block[-1] + 1] if block[-1] + 1 < len(top) else []
        if not any(m.role in ("total", "band") and c < len(below) and _is_number(_first_part(below[c]))
                   for c, m in matches.items()):
            continue
        texts = {c: " ".join(t for b in block if (t := _as_text(top[b][c] if c < len(top[b]) else None)))
                 for c in range(max(len(top[b]) for b in block))}
        layout = Layout(sheet=grid.sheet, header_row=block[-1] + 1, items={}, totals_only=True,
                        header_rows=tuple(b + 1 for b in block))
        for c, match in sorted(matches.items()):
            if match.role in ROLES and match.role not in layout.roles and match.strong:
                layout.roles[match.role] = Column(c, texts[c])
        _settle_total(grid, layout, _open_total_or_band(matches, texts, layout), matcher)
        if layout.role("total") is None:
            continue
        if len(block) > 1:
            layout.reading.append((grid.address(block[0], layout.role("total").index),
                                   f"{grid.row_name(block[0])} and its units row below are read as one header"))
        layout.year = _year_column(texts, layout, rubric)
        _study_by_first_text_column(grid, block[-1], layout, rubric)
        return layout
    return None


def _units_row(row: list, matcher: HeaderMatcher) -> bool:
    """A row under a header that gives only units or the maximum ('(0-10)', '/10', 'out of 10')."""
    cells = [value for value in row if _present(value)]
    return bool(cells) and all(not _is_number(v) and (_BRACKETED.match(str(v)) or matcher.qualifier_only(v))
                               for v in cells)


def _open_total_or_band(matches: dict, texts: dict, layout: Layout) -> list[Column]:
    """The columns whose header leaves open whether they hold the total or the band: a header that only
    contains a total's word, and a band header no role has taken ('Rating' beside 'Study quality')."""
    taken = {c.index for c in layout.roles.values()}
    return [Column(c, texts[c]) for c, m in sorted(matches.items())
            if c not in taken and (m.role == "total" and not m.strong or m.role == "band")]


def _settle_total(grid: Grid, layout: Layout, weak: list[Column], matcher: HeaderMatcher) -> None:
    """The reported total and band by what their cells hold when the headers leave it open: with no header
    naming a total, a column whose header only contains a total's word ('Quality score (PEDro)') or a band
    header ('Rating') over whole numbers 0-10 is the total; a band holds words (poor, fair, good, high)."""
    def holds(column: Column) -> str | None:
        return matcher.reads_as(grid.columns([column.index], start=layout.header_row)[column.index])

    def say(column: Column, role: str) -> None:
        cells = f"whole numbers 0-{matcher.max_total}" if role == "total" else "band labels"
        layout.reading.append((grid.address(layout.header_row - 1, column.index),
                               f"header '{column.header}' is read as {ROLE_NAMES[role]}: its cells are {cells}"))

    band = layout.role("band")
    if layout.role("total") is None:
        taken = next((c for c in [*weak, *([band] if band else [])] if holds(c) == "total"), None)
        if taken is not None:
            if taken == band:
                del layout.roles["band"]
            layout.roles["total"] = taken
            say(taken, "total")
    if layout.role("band") is None:
        total = layout.role("total")
        band = next((c for c in weak if c != total and holds(c) == "band"), None)
        if band is not None:
            layout.roles["band"] = band
            say(band, "band")


def _year_column(texts: dict, layout: Layout, rubric: Rubric) -> Column | None:
    """The first column not otherwise read whose header is one of the rubric's [columns.year] words."""
    words = set(rubric.columns.get("year", {}).get("words", ()))
    used = {c.index for c in (*layout.items.values(), *layout.evidence.values(), *layout.roles.values())}
    return next((Column(c, text) for c, text in sorted(texts.items()) if c not in used and header_key(text) in words),
                None)


def _whole_total(value, max_total: int) -> bool:
    """Whether a cell is a printed total: a whole number from 0 to the maximum ('7', 7.0, '7/10')."""
    value = _first_part(value)
    if isinstance(value, str):
        if not _NUMBER_LIKE.match(value):
            return False
        value = float(value.replace(",", "."))
    return _is_number(value) and float(value).is_integer() and 0 <= value <= max_total


def _first_part(value):
    """'7' of '7/10': what a printed total starts with."""
    return value.split("/")[0] if isinstance(value, str) else value


def _present(value) -> bool:
    return value is not None and str(value).strip() != ""


def _range_name(grid: Grid, merged) -> str:
    r1, c1, r2, c2 = merged
    return f"{grid.address(r1, c1)}:{grid.address(r2, c2)}"


def _headers_from_group_row(grid: Grid, top: list[list], block: list[int], layout: Layout,
                            matcher: HeaderMatcher, rubric: Rubric) -> None:
    """Headers the header rows leave empty, taken from the row above them when that row is a group row
    (two or more headings) or the header cell is merged down into the header: "Study" and "Total" above,
    items 1-11 below."""
    r = block[0]
    if r == 0:
        return
    above = top[r - 1]
    headings = sum(1 for value in above if _present(value))
    merges = [m for m in grid.merged if m[0] <= r - 1 <= m[2]]
    used = {c.index for c in layout.items.values()} | {c.index for c in layout.roles.values()} | {
        c.index for c in layout.evidence.values()}
    for c, value in enumerate(above):
        if not _present(value) or c in used or any(c < len(top[b]) and _present(top[b][c]) for b in block):
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
        where = (f"is merged over {_range_name(grid, merged)}" if merged_down else
                 "is in the column before the header column" if grid.transposed_view else
                 "is in the row above the header row")
        layout.reading.append((grid.address(r - 1, c),
                               f"header '{column.header}' {where}; read as {what} for {grid.column_name(c)}"))


def _merged_header_notes(grid: Grid, r: int, layout: Layout) -> None:
    """Say how each merged cell across the header row was read."""
    noted = {cell for cell, _ in layout.reading + layout.table_notes}
    for merged in grid.merged:
        r1, c1, r2, c2 = merged
        if not (r1 <= r <= r2) or grid.address(r1, c1) in noted or (r1 == r2 and c1 == c2):
            continue
        value = grid.value(r1, c1)
        what = _column_role(layout, c1)
        text = f"header '{_as_text(value)}' is merged over {_range_name(grid, merged)}; " + (
            f"{grid.column_name(c1)} is read as {what}" if what else f"{grid.column_name(c1)} is not used")
        rest = [grid.column_name(c) for c in range(c1 + 1, c2 + 1) if _column_role(layout, c) is None]
        if len(rest) == 1:
            text += f"; {rest[0]} under it has no header of its own and is not read"
        elif rest:
            text += f"; {_plural(rest)} under it have no header of their own and are not read"
        layout.reading.append((grid.address(r1, c1), text))


def _plural(names: list[str]) -> str:
    """'columns C, D' of ['column C', 'column D']."""
    word = names[0].split()[0]
    return f"{word}s " + ", ".join(name.split()[1] for name in names)


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


def _claim(table: dict, item: int, column: Column, grid: Grid, rubric: Rubric, what=""):
    if item in table:
        other = table[item]
        (word, first), (_, second) = grid.column_name(other.index).split(), grid.column_name(column.index).split()
        raise SheetError(
            f"sheet '{grid.sheet}': {word}s {first} ('{other.header}') and {second} ('{column.header}') are both "
            f"{what}item {item} ({rubric.item(item).label.lower()}); rename or delete one of them and run again")
    table[item] = column


def _study_by_first_text_column(grid, header_row: int, layout, rubric) -> None:
    """Where no header names the study column, the first column of text under
    ``header_row`` is the trials' labels (``Layout.study_found_by`` says so)."""
    if "study" not in layout.roles:
        column = _first_text_column(grid, header_row, layout, rubric)
        if column is not None:
            layout.roles["study"] = column
            layout.study_found_by = "first text column"


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


def _totals_list_hint(grid: Grid, matcher: HeaderMatcher) -> str | None:
    """What to rename when a sheet looks like a list of printed totals under a total header pedro does not
    know: a row of two or more texts over a row with a label and a whole number 0-10 under a header."""
    top = grid.head(HEADER_SEARCH_ROWS + 1)
    for r, row in enumerate(top[:HEADER_SEARCH_ROWS]):
        texts = [c for c, value in enumerate(row) if _present(value) and not _is_number(value)]
        below = top[r + 1] if r + 1 < len(top) else []
        if len(texts) < 2 or len(texts) < sum(1 for value in row if _present(value)):
            continue
        totals = [c for c in texts if c < len(below) and _whole_total(below[c], matcher.max_total)]
        if totals and any(isinstance(below[c], str) and not _is_number(below[c]) for c in texts if c < len(below)):
            shown = ", ".join(_as_text(row[c]) for c in texts)
            return (f"{grid.row_name(r)} ({shown}) looks like the header of a list of printed totals, but pedro "
                    f"does not recognise {grid.column_name(totals[0])} ('{_as_text(row[totals[0]])}') as the "
                    "total: if it is, name its header 'PEDro score' or 'Total'")
    return None


def _headers_found(grid: Grid, row_index: int) -> str:
    row = grid.rows[row_index] if row_index < len(grid.rows) else []
    found = [_as_text(v) for v in row if v is not None and str(v).strip()]
    if not found:
        return "the sheet is empty" if not any(any(v is not None for v in row) for row in grid.rows) \
            else f"{grid.row_name(row_index)} has no headers"
    shown = ", ".join(found[:20]) + (", ..." if len(found) > 20 else "")
    return f"found headers ({grid.row_name(row_index)}): {shown}"


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def reads_as_note(text: str) -> bool:
    """Whether a cell's text reads as a note, legend, source line or footnote rather than a trial label:
    it starts with a footnote mark, a list number or a word that introduces a note, holds a legend
    ('Y = yes'), or is prose longer than a label."""
    return bool(_NOTE_START.match(text) or _NOTE_WORD.match(text) or _LEGEND.search(text)) or \
        len(text.split()) >= NOTE_WORDS
