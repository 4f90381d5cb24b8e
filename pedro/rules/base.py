"""What a consistency rule is, and the context it checks.

A rule is a plain function over the tidy tables that returns finding rows,
plus a frozen record beside it: a stable id (never reused), a name, a default
severity, a one-line message template, and the PEDro criterion or note that it
enforces.  Findings are rows of one table (``FINDING_COLUMNS``) that becomes the
Findings sheet, the CLI summary, the JSON report and the test oracle.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import repeat

from ..errors import RubricError
from ..normalise import RatedSheet, distinct_values, none_where_missing
from ..rubric import DEFAULT_RUBRIC, BandSet, Rubric
from ..table import Table

SEVERITIES = ("error", "warning", "advisory")
# The source of a rule under a rubric other than PEDro's that gives no citation for it.
UNCITED = "pedro's own check (written for the PEDro scale; this rubric gives no source)"
FINDING_COLUMNS = ["rule", "name", "severity", "sheet", "cell", "study", "study_index", "row", "item",
                   "value", "message"]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    message: str  # template, filled per finding with the fields the check gives
    criterion: str  # the PEDro criterion or note enforced, with its source
    check: Callable[["CheckContext", "Rule"], object]
    scope: str = "trial"  # "trial" (one finding per trial or cell) or "sheet"
    parameters: tuple[str, ...] = ()  # the rubric's [rules.NAME] tables that set what the rule finds
    # Tables the rule needs without reading them (PD303 is about the quasi-random check): a rubric that
    # lacks one of these or of ``parameters`` does not have the rule, which is skipped.
    requires: tuple[str, ...] = ()
    needs_bands: bool = False  # a rule on quality bands: skipped for a rubric that names no band set
    # The rubric's [rules.NAME] table whose 'citation' cites the rule for that rubric (TESTEX cites its own
    # paper for the total and concealment rules); ``criterion`` where the rubric gives none (PEDro).
    cites: str = ""
    # The summary in the rubric's words, where the docstring's first line says PEDro's ("Item 2", "0 to
    # 10"): the fields of ``rubric_words`` and the items the rule's [rules.NAME] tables name (``{concealment}``,
    # ``{concealment_label}``).  ``summary_for`` gives PEDro's docstring back word for word.
    summary_template: str = ""

    def summary_for(self, rubric: Rubric) -> str:
        """What the rule looks for, in the words of ``rubric``; a rule the rubric does not have (its table
        is missing) cannot be numbered in the rubric's terms, so it is PEDro's docstring, said to be."""
        if not self.summary_template:
            return self.summary
        try:
            return self.summary_template.format(**rubric_words(rubric), **self.named_items(rubric))
        except (KeyError, RubricError):
            return f"{self.summary} (as PEDro numbers its items)"

    def named_items(self, rubric: Rubric) -> dict:
        """{name: number, name_label: lower-case label} of the items the rule's [rules.NAME] tables name:
        ``item = 2`` of [rules.quasi_random] as ``quasi_random``, ``concealment_role`` as ``concealment``,
        ``items = [5, 6]`` of [rules.blinding] as ``blinding`` ("5 or 6")."""
        named = {}
        for group in (*self.parameters, *self.requires):
            params = rubric.rule_params.get(group, {})
            for key, value in params.items():
                if key == "items":
                    named[group] = " or ".join(map(str, value))
                    continue
                name = group if key == "item" else key[:-len("_item")] if key.endswith("_item") else \
                    key[:-len("_role")] if key.endswith("_role") else None
                if name is None:
                    continue
                number = value if key == "item" else item_in(rubric, params, name)
                named[name] = number
                if number in rubric.item_numbers:
                    named[f"{name}_label"] = rubric.item(number).label.lower()
        return named

    def source(self, rubric: Rubric) -> str:
        """What the rule enforces, as ``rubric`` cites it: the rubric's 'citation' in the rule's [rules.NAME]
        table; PEDro's criterion or note for the PEDro scale; for another rubric that gives none, the rule
        is said to be pedro's own, since citing PEDro's item notes for a user's checklist would be false."""
        cited = rubric.rule_params.get(self.cites, {}).get("citation") if self.cites else None
        if cited:
            return cited
        return self.criterion if rubric.name == DEFAULT_RUBRIC else UNCITED

    def cited_by_rubric(self, rubric: Rubric) -> bool:
        """Whether ``source`` is the rubric's own text (its citation, or PEDro's notes for PEDro)."""
        return rubric.name == DEFAULT_RUBRIC or bool(
            self.cites and rubric.rule_params.get(self.cites, {}).get("citation"))

    @property
    def summary(self) -> str:
        """The first line of the check's docstring: what the rule looks for."""
        return (self.check.__doc__ or "").strip().splitlines()[0] if self.check.__doc__ else ""


@dataclass
class CheckContext:
    """What a rule checks: the sheet's tables (``sheet.study_table``, position = study_index, and the tidy
    ``sheet.answer_table``, item by item, every trial in order), the rubric, the band set and the scores (a
    ``Table``: total, min_total, max_total, band, subtotal columns).  Rules read numpy arrays, never pandas:
    a dry run does not import it (issue 18)."""

    sheet: RatedSheet
    rubric: Rubric
    bands: BandSet
    scores: Table  # from pedro.scoring.score_sheet

    def memo(self, key: str, compute):
        """A value several rules share (parsed totals, item-8 counts), computed once."""
        cache = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def trial_column(self, name: str):
        """A column of the sheet's trials (``sheet.study_table``: "row", "study", "total", ...) as an array,
        position = study_index."""
        return _array(self.sheet.study_table[name])

    def distinct(self, name: str) -> tuple:
        """``(codes, distinct)`` of a column of the sheet's trials (``normalise.distinct_values``), found once
        for the rules that read each distinct value once: the reported total (PD201, PD202, PD803) and the
        randomisation method (PD301, PD302) are each read by several (7 and 20 ms at 60,000 trials)."""
        return self.memo(f"distinct {name}", lambda: distinct_values(self.trial_column(name)))

    def map_distinct(self, name: str, function):
        """``function(value)`` for every value of a column of the sheet's trials, as an object array, computed
        once per distinct value (``normalise.map_distinct``, on the codes ``distinct`` keeps)."""
        import numpy as np

        codes, distinct = self.distinct(name)
        return np.fromiter([function(value) for value in distinct], dtype=object, count=len(distinct))[codes]

    def answer_column(self, name: str):
        """A column of the tidy answers table (``sheet.answer_table``: "item", "answer", "raw", ...) as an
        array."""
        return _array(self.sheet.answer_table[name])

    def score_column(self, name: str):
        """A column of the scores ("min_total", "max_total", "total", ...) as an array; an object column
        holds None where a value is unknown ("total", an int or None)."""
        return self.scores[name]

    def answer(self, item: int):
        """The answers to one item, an object array over trials (None where absent): its block of the
        answers table, which is item by item, every trial in order (``RatedSheet``).  Reshaping the whole
        table for the six items the rules read cost 24 ms at 60,000 trials."""
        def values():
            import numpy as np

            block = self._block(item)
            if block is None:
                return np.full(len(self.sheet.study_table), None, dtype=object)
            block = np.array(block, dtype=object)  # a copy, to change:
            none_where_missing(block)  # None, not NaN, where an answer is missing
            return block
        return self.memo(f"answer {item}", values)

    def _block(self, item: int):
        """The item's block of the answers table's "answer" column (a view), or None for an item it lacks."""
        if item not in self.sheet.items:
            return None
        n = len(self.sheet.study_table)
        start = self.sheet.items.index(item) * n
        return self.answer_column("answer")[start:start + n]

    def answer_is(self, item: int, *answers: str):
        """Per study, as a boolean array: whether the answer to the item is one of ``answers``.  Found once
        for the rules that ask the same (item 2 "Y": PD301, PD302, PD304), so the array is read-only.  Text
        is compared with the answers table's own block, which a missing answer (None or NaN) never equals,
        without the copy ``answer`` makes (four of the six items the rules ask about need no other)."""
        def compare():
            import numpy as np

            values = self._block(item) if all(isinstance(answer, str) for answer in answers) else None
            if values is None:
                values = self.answer(item)
            found = np.logical_or.reduce([values == answer for answer in answers]) if answers else np.zeros(
                len(values), dtype=bool)
            found.flags.writeable = False
            return found
        return self.memo(f"answer_is {item} {answers!r}", compare)

    def answers_are(self, items, *answers: str):
        """Per row of ``sheet.answer_table``, as a boolean array: whether its item is one of ``items`` and its
        answer one of ``answers``.  Made of the items' blocks (the table is item by item, every trial in
        order: ``RatedSheet``) as ``answer_is`` gives them, which the rules before have mostly asked for:
        comparing the whole table's answers and item numbers took 15 ms at 60,000 trials."""
        import numpy as np

        n = len(self.sheet.study_table)
        blocks = [self.answer_is(item, *answers) if item in items else np.zeros(n, dtype=bool)
                  for item in self.sheet.items]
        return np.concatenate(blocks) if blocks else np.zeros(0, dtype=bool)

    def in_reading_order(self, mask):
        """The positions in ``sheet.answer_table`` where ``mask`` is true, in the order the sheet's cells were
        read: trial by trial, each trial's items in turn, as the table (item by item, every trial in order)
        is laid out; sort them for table order.  Why: a sheet is read row by row, so its values lie in
        memory in that order, and going through many of them (the evidence quotes) in that order is twice
        as quick as item by item (PD601 at 60,000 trials: 114 -> 53 ms).  A mask that is not a whole number
        of rows per trial gets the same positions, in its own order."""
        import numpy as np

        n = len(self.sheet.study_table)
        if not n or len(mask) % n:
            return np.flatnonzero(mask)
        items = len(mask) // n
        at = np.flatnonzero(np.asarray(mask).reshape(items, n).T)  # positions in the (trial, item) grid
        return (at % items) * n + at // items

    def answers_where(self, mask, *columns: str) -> Table:
        """The answers where ``mask`` is true, as a Table of their ``position`` in ``sheet.answer_table`` (for
        ``sheet.cells_of``) and the columns findings are made of (study_index, item, row, raw) and
        ``columns``: filtering the whole table took 7 of PD103's 50 ms at 60,000 trials."""
        import numpy as np

        positions = np.flatnonzero(mask)
        return Table({"position": positions, **{name: self.answer_column(name)[positions] for name in
                                                ("study_index", "item", "row", "raw", *columns)}}, len(positions))

    def params(self, group: str) -> dict:
        return self.rubric.params(group)

    @cached_property
    def words(self) -> dict:
        """``rubric_words``: the fields every message may use ('{word} {item}': 'criterion 6')."""
        return rubric_words(self.rubric)

    def item_of(self, group: str, name: str) -> int:
        """The item a rule's parameter names, by role ('concealment_role = "concealed_allocation"') or, as
        older rubrics give it, by number ('concealment_item = 3')."""
        return item_in(self.rubric, self.params(group), name)

    def role_cells(self, role: str, study_index):
        """The cells of a role's column (e.g. "total") for the given studies."""
        return self._cells(self.sheet.layout.role(role), study_index)

    def item_cells(self, item: int, study_index):
        return self._cells(self.sheet.layout.items.get(item), study_index)

    def _cells(self, column, study_index) -> list[str]:
        # The layout names the cells, as the sheet has them even when it was read transposed.
        return self.sheet.layout.cells(column, self.trial_column("row")[self._positions(study_index)].tolist())

    def trial_findings(self, rule: Rule, study_index, cells, values, item=None, **fields) -> Table:
        """Finding rows for the given studies.  ``item``, ``values`` and each
        field may be a scalar or a sequence aligned with ``study_index``; the
        message template is filled with them and with ``cell`` and ``value``."""
        study_index = _as_list(study_index)
        if not study_index:
            return no_findings()
        n = len(study_index)

        def column(value):
            if isinstance(value, (list, tuple)) or hasattr(value, "__array__"):
                return _as_list(value)
            return value

        item, cells, values = column(item), column(cells), column(values)
        labels, rows = self._studies_at(study_index)
        if isinstance(values, list) and set(map(type, values)) == {str}:
            shown = value = values  # _show gives text back as it is (PD601's and PD103's answers: 18 ms)
        elif isinstance(values, list):
            shown = [_show(v) for v in values]
            value = [s if v is not None else None for v, s in zip(values, shown)]
        else:
            shown = _show(values)
            value = None if values is None else shown
        given = {**self.words, **{name: column(field) for name, field in fields.items()},
                 "cell": cells, "value": shown, "item": item, "study": labels}
        return _findings({
            "rule": rule.id, "name": rule.name, "severity": rule.severity, "sheet": self.sheet.sheet,
            "cell": cells, "study": labels, "study_index": study_index, "row": rows, "item": item,
            "value": value, "message": _messages(rule.message, given, n),
        }, n)

    def _studies_at(self, study_index: list) -> tuple[list, list]:
        """The labels and rows of the given studies."""
        positions = self._positions(study_index)
        return self.trial_column("study")[positions].tolist(), self.trial_column("row")[positions].tolist()

    def _positions(self, study_index):
        """The positions of the given studies in the sheet's trials, to take their values from its arrays: a
        study_index is its trial's position (a KeyError for one the sheet lacks)."""
        import numpy as np

        positions = np.asarray(study_index, dtype=np.int64)
        outside = (positions < 0) | (positions >= len(self.sheet.study_table))
        if outside.any():
            raise KeyError(f"no study {study_index[int(outside.argmax())]!r} in the sheet")
        return positions

    def sheet_finding(self, rule: Rule, cell: str = "", value=None, item=None, **fields) -> Table:
        message = rule.message.format(**{**self.words, **fields, "cell": cell, "value": _show(value), "item": item})
        return _findings({
            "rule": rule.id, "name": rule.name, "severity": rule.severity, "sheet": self.sheet.sheet,
            "cell": cell, "study": None, "study_index": None, "row": None, "item": item,
            "value": None if value is None else _show(value), "message": message,
        }, 1)


@cache
def _fields(message: str) -> tuple[tuple[str, str | None, str], ...]:
    """A message template as (literal text, field name, the field as a template of its own) parts:
    "{cell}: item {item:>2}" -> (("", "cell", "{0}"), (": item ", "item", "{0:>2}")), with (text, None, "")
    for text after the last field.  A field keeps what follows its name ("{study.x}", "{values[0]}")."""
    parts = []
    for literal, field, spec, conversion in string.Formatter().parse(message):
        if field is None:
            parts.append((literal, None, ""))
            continue
        name = re.match(r"[^.\[]*", field).group()
        parts.append((literal, name, "{0" + field[len(name):] + (f"!{conversion}" if conversion else "") +
                      (f":{spec}" if spec else "") + "}"))
    return tuple(parts)


def _messages(message: str, fields: dict, n: int) -> list[str]:
    """``message.format(**fields)`` for each of ``n`` findings, where a field is a list (one value per
    finding) or any other value (the same in every message).  The text that is the same in every message
    is made once, and each message joined from it and its own values at C speed: formatting the template
    per finding took 3 times as long (24 ms for 30,000 messages, of 90,000 at 60,000 trials)."""
    parts, text = [], ""
    for literal, name, field in _fields(message):
        text += literal
        if name is None:
            continue
        value = fields[name]
        if not isinstance(value, list):
            text += field.format(value)
            continue
        if text:
            parts.append(repeat(text, n))
            text = ""
        parts.append(map(format, value) if field == "{0}" else map(field.format, value))  # "{0}" is format(v)
    if not parts:
        return [text] * n
    if text:
        parts.append(repeat(text, n))
    return list(map("".join, zip(*parts)))


def rubric_words(rubric: Rubric) -> dict:
    """The rubric's own words, which every rule message and summary may use: ``{word}`` 'item' or
    'criterion' (``Word`` capitalised, ``a_word`` with its article, ``words`` plural), ``{scale}`` 'PEDro'
    or 'TESTEX', ``{max_total}`` and ``{sum_text}``."""
    word = rubric.item_word
    return {"word": word, "Word": word[:1].upper() + word[1:], "words": rubric.item_plural,
            "a_word": f"{'an' if word[:1] in 'aeiou' else 'a'} {word}", "scale": rubric.short_name,
            "max_total": rubric.max_total, "sum_text": rubric.sum_text}


def item_in(rubric: Rubric, params: dict, name: str) -> int:
    """The item number ``params`` gives for ``name``: by ``NAME_role`` or ``NAME_item``."""
    role = params.get(f"{name}_role")
    if role is None:
        return params[f"{name}_item"]
    item = rubric.by_role(role)
    if item is None:
        raise RubricError(f"rubric '{rubric.name}' ({rubric.path}): {name}_role = \"{role}\" names no item; the "
                          f"roles (item keys) are: {', '.join(i.key for i in rubric.items)}")
    return item.number


def applies(rule: Rule, rubric: Rubric, bands: BandSet | None = None) -> str | None:
    """None when the rule applies to the rubric, else why not: a [rules.NAME] table the rubric lacks, an
    item role it lacks, or no band set."""
    for name in (*rule.parameters, *rule.requires):
        params = rubric.rule_params.get(name)
        if params is None:
            return f"rubric {rubric.name} has no [rules.{name}] table"
        roles = [value for key, value in params.items() if key.endswith("_role")]
        missing = [role for role in roles if rubric.by_role(role) is None]
        if missing:
            return f"rubric {rubric.name} has no item with role {', '.join(missing)}"
    if rule.needs_bands and (not rubric.band_sets or (bands is not None and not bands.bands)):
        return f"rubric {rubric.name} names no band set" + (f" ({rubric.no_bands})" if rubric.no_bands else "")
    return None


def _array(values):
    """A table's column as a numpy array: itself, or an object array of a list's values."""
    import numpy as np

    return values if isinstance(values, np.ndarray) else np.fromiter(values, dtype=object, count=len(values))


def _as_list(values) -> list:
    """The values as a list of Python scalars (a numpy array's ``tolist``, not its own scalar types), as the
    findings keep them: an int64 study_index is a Python int in the findings' object columns."""
    return values.tolist() if hasattr(values, "tolist") else list(values)


def _show(value) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _findings(columns: dict, n: int) -> Table:
    """A findings table of ``n`` rows from ``columns`` (FINDING_COLUMNS: a list each, or one value for every
    row), each column a list, so that its frame holds the values as they are, dtype object."""
    return Table({name: value if isinstance(value, list) else [value] * n for name, value in columns.items()}, n)


def no_findings() -> Table:
    """The empty findings table."""
    return Table({name: [] for name in FINDING_COLUMNS}, 0)
