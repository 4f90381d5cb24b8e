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

from ..normalise import RatedSheet
from ..rubric import BandSet, Rubric

SEVERITIES = ("error", "warning", "advisory")
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
        columns = dict(zip(names, extras))
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

        message = rule.message.format(cell=cell, value=_show(value), item=item, **fields)
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
