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

from ..errors import RubricError
from ..normalise import RatedSheet
from ..rubric import DEFAULT_RUBRIC, BandSet, Rubric

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
    sheet: RatedSheet
    rubric: Rubric
    bands: BandSet
    scores: object  # DataFrame from pedro.scoring.score_answers

    def memo(self, key: str, compute):
        """A value several rules share (parsed totals, item-8 counts), computed once."""
        cache = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    @cached_property
    def wide(self):
        """Canonical answers: one row per study, one column per item present."""
        import pandas as pd

        wide = self.sheet.wide("answer")
        return wide.reindex(pd.RangeIndex(len(self.sheet.studies), name="study_index"))

    def answer(self, item: int):
        """The answers to one item as a Series over studies (None where absent)."""
        import pandas as pd

        if item in self.wide.columns:
            return self.wide[item]
        return pd.Series([None] * len(self.sheet.studies), index=self.wide.index, dtype=object)

    def answer_is(self, item: int, *answers: str):
        """Per study, as a boolean array: whether the answer to the item is one of ``answers``."""
        import numpy as np

        values = self.answer(item).to_numpy()
        return np.logical_or.reduce([values == answer for answer in answers]) if answers else np.zeros(
            len(values), dtype=bool)

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
        return self.sheet.layout.cells(column, self.sheet.studies.loc[study_index, "row"].tolist())

    def trial_findings(self, rule: Rule, study_index, cells, values, item=None, **fields):
        """Finding rows for the given studies.  ``item``, ``values`` and each
        field may be a scalar or a sequence aligned with ``study_index``; the
        message template is filled with them and with ``cell`` and ``value``."""
        import pandas as pd

        study_index = _as_list(study_index)
        if not study_index:
            return no_findings()
        n = len(study_index)

        def column(value):
            if isinstance(value, (list, tuple)) or hasattr(value, "__array__"):
                return _as_list(value)
            return [value] * n

        items, cells, values = column(item), column(cells), column(values)
        names = list(fields)
        extras = [column(fields[name]) for name in names]
        studies = self.sheet.studies.loc[study_index]
        labels, rows = studies["study"].tolist(), studies["row"].tolist()
        shown = [_show(v) for v in values]
        columns = {key: [value] * n for key, value in self.words.items()}
        columns.update(zip(names, extras))
        columns.update(cell=cells, value=shown, item=items, study=labels)
        template, fields = _positional(rule.message)
        messages = list(map(template.format, *(columns[field] for field in fields))) if fields else [
            template.format()] * n
        return pd.DataFrame({
            "rule": rule.id, "name": rule.name, "severity": rule.severity, "sheet": self.sheet.sheet,
            "cell": cells, "study": labels, "study_index": study_index, "row": rows, "item": items,
            "value": [s if v is not None else None for v, s in zip(values, shown)], "message": messages,
        }, dtype=object)

    def sheet_finding(self, rule: Rule, cell: str = "", value=None, item=None, **fields):
        import pandas as pd

        message = rule.message.format(**{**self.words, **fields, "cell": cell, "value": _show(value), "item": item})
        return pd.DataFrame([{
            "rule": rule.id, "name": rule.name, "severity": rule.severity, "sheet": self.sheet.sheet,
            "cell": cell, "study": None, "study_index": None, "row": None, "item": item,
            "value": None if value is None else _show(value), "message": message,
        }], dtype=object)


@cache
def _positional(message: str) -> tuple[str, tuple[str, ...]]:
    """A message template with numbered fields, and the names in their order:
    "{cell}: item {item}" -> ("{0}: item {1}", ("cell", "item")), so that the
    messages of a rule are made by ``map`` at C speed, one call per finding."""
    parts, fields = [], []
    for literal, field, spec, conversion in string.Formatter().parse(message):
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        name = re.match(r"[^.\[]*", field).group()  # "{study.x}" and "{values[0]}" keep what follows the name
        if name not in fields:
            fields.append(name)
        parts.append("{" + str(fields.index(name)) + field[len(name):] + (f"!{conversion}" if conversion else "") +
                     (f":{spec}" if spec else "") + "}")
    return "".join(parts), tuple(fields)


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


def _as_list(values) -> list:
    """The values as a list, as iterating them gives them (pandas gives Python scalars, numpy its own)."""
    return values.to_list() if hasattr(values, "to_list") else list(values)


def _show(value) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def no_findings():
    """The empty findings table."""
    import pandas as pd

    return pd.DataFrame(columns=FINDING_COLUMNS, dtype=object)
