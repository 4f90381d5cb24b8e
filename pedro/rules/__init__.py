"""The consistency rules, listed in one place.

``RULES`` is the catalogue: ``pedro rules`` prints it, the README's catalogue
is generated from it, and a test checks that ids are unique and every rule
cites the PEDro criterion it enforces.  Ids are stable and never reused.
"""

from __future__ import annotations

from itertools import chain
from operator import itemgetter

from ..table import Table
from . import allocation, answers, blinding, evidence, followup, labels, layout, totals
from .base import FINDING_COLUMNS, SEVERITIES, CheckContext, Rule, applies, no_findings

RULES: tuple[Rule, ...] = (
    answers.UNRECOGNISED,
    answers.MISSING,
    answers.UNCLEAR,
    totals.TOTAL_UNREADABLE,
    totals.TOTAL_MISMATCH,
    totals.SUBTOTAL_MISMATCH,
    totals.BAND_MISMATCH,
    totals.BAND_UNRECOGNISED,
    totals.TOTALS_ONLY,
    totals.TOTAL_COLUMN_NOT_TAKEN,
    allocation.QUASI_RANDOM,
    allocation.RANDOM_WITHOUT_METHOD,
    allocation.NO_METHOD_COLUMN,
    allocation.CONCEALMENT_WITHOUT_RANDOMISATION,
    allocation.NOT_RANDOMISED,
    blinding.BLINDING_CLAIMED,
    followup.FOLLOWUP_BELOW,
    followup.FOLLOWUP_ABOVE,
    followup.FOLLOWUP_NUMBERS_MISSING,
    followup.FOLLOWUP_NUMBERS_INVALID,
    evidence.YES_WITHOUT_EVIDENCE,
    labels.DUPLICATE_LABEL,
    labels.ANSWERS_WITHOUT_LABEL,
    layout.HEADER_CONFLICT,
    layout.SKIPPED_ROW,
    layout.FOOTNOTE_MARKER,
    layout.FORMULA_WITHOUT_VALUE,
    layout.SHEET_STRUCTURE,
)

RULES_BY_ID = {rule.id: rule for rule in RULES}


def run_rules(context: CheckContext, rules=RULES) -> Table:
    """All findings as one table (a ``Table`` of FINDING_COLUMNS), ordered by row, then severity, then rule
    id; findings on the sheet (no row) first."""
    import numpy as np

    # A rule whose tables, roles or bands the rubric lacks does not apply to it (TESTEX has no quasi-random
    # or follow-up rule): skipped, as `pedro rules --rubric` says.
    rules = [rule for rule in rules if applies(rule, context.rubric, context.bands) is None]
    found = [table for rule in rules if len(table := rule.check(context, rule))]
    if not found:
        return no_findings()
    # The columns joined and reordered at C speed (chain, itemgetter): Table.concat and Table.take go value
    # by value, 11 of the 80 ms of the checks at 10,000 trials with 15,000 findings.
    tables = {name: [_listed(table[name]) for table in found] for name in FINDING_COLUMNS}
    findings = {name: list(chain.from_iterable(parts)) for name, parts in tables.items()}
    n = len(findings["rule"])
    # A stable sort on one integer key: (row, rank of the severity, rule id in order).
    row = np.concatenate([np.fromiter(rows if None not in rows else (0 if r is None else r for r in rows),
                                      dtype=np.int64, count=len(rows)) for rows in tables["row"]])
    rank = _ranks(tables["severity"], lambda severities: [
        SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES) for s in severities])
    rule_order = _ranks(tables["rule"], lambda ids: np.argsort(np.argsort(np.array(ids, dtype=object))))
    rule_count = int(rule_order.max()) + 1
    order = np.argsort((row * (len(SEVERITIES) + 1) + rank) * rule_count + rule_order, kind="stable").tolist()
    if n > 1:  # (itemgetter of one position gives a value, not a tuple)
        pick = itemgetter(*order)
        findings = {name: list(pick(values)) for name, values in findings.items()}
    return Table(findings, n)


def _listed(values) -> list:
    """A findings column as a list (the checks make lists; a rule of one's own may give an array)."""
    return values if isinstance(values, list) else values.tolist()


def _ranks(columns: list[list], rank_of):
    """``rank_of(distinct values)`` spread over the values of ``columns`` (a findings column of each table, one
    after another): the findings have a handful of rule ids and severities, and ranking those few is quicker
    than sorting every finding's id (np.unique on text took 32 of the 64 ms this sort took at 60,000 trials
    with 90,000 findings).  A column with one value throughout (a rule's id and severity, as its check makes
    them) is ranked once, not value by value (4 of the 9 ms left of the sort at 60,000 trials)."""
    import numpy as np

    one = [bool(values) and values.count(values[0]) == len(values) for values in columns]
    distinct = list(dict.fromkeys(chain.from_iterable(values[:1] if same else values
                                                      for values, same in zip(columns, one))))
    rank = dict(zip(distinct, np.asarray(rank_of(distinct), dtype=np.int64).tolist()))
    return np.concatenate([np.full(len(values), rank[values[0]], dtype=np.int64) if same else
                           np.fromiter(map(rank.__getitem__, values), dtype=np.int64, count=len(values))
                           for values, same in zip(columns, one)])


__all__ = ["RULES", "RULES_BY_ID", "Rule", "CheckContext", "run_rules", "applies", "FINDING_COLUMNS", "SEVERITIES"]
