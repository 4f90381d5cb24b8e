"""The change log's rows: every value pedro changes, where, old, new, which
rule and why.  Scoring writes rows for rewritten answers and for answers it
keeps as a formula's value, and, scoring an audited workbook again, first a
row for each difference between the table it recorded and the sheet now
(edits made outside pedro); consensus writes a row per resolution.  Each row
is chained to the one before it (``hashed_log``)."""

from __future__ import annotations

from ..normalise import answer_text
from ..table import Table
from .chain import canonical, chain_hashes
from .workbook import CHANGE_COLUMNS, LOG_COLUMNS

SYNONYM_RULE = "answer-synonym"
FOOTNOTE_RULE = "PD803"  # footnote-marker: see pedro.rules.layout
FORMULA_RULE = "formula-value"
CONSENSUS_RULE = "consensus"
OUTSIDE_RULE = "edited outside pedro"  # a difference from the recorded table, found on scoring again
UNKNOWN_USER = "unknown"  # who made an edit outside pedro, where the workbook does not say


def change_rows(**columns):
    """A DataFrame of change-log rows from one value or list per column of
    CHANGE_COLUMNS (``time=..., user=..., cell=[...]``), in the log's order."""
    import pandas as pd

    return pd.DataFrame({name: columns[name] for name in CHANGE_COLUMNS}, columns=CHANGE_COLUMNS, dtype=object)


def change_table(length: int, **columns) -> Table:
    """A ``Table`` of ``length`` change-log rows from one value (the same in every row) or list per column of
    CHANGE_COLUMNS, in the log's order."""
    return Table({name: columns[name] if isinstance(columns[name], list) else [columns[name]] * length
                  for name in CHANGE_COLUMNS}, length)


def synonym_changes(rated, rubric, time: str, user: str) -> Table:
    """One row per answer cell that normalising rewrites (a synonym, or a
    footnote mark taken off)."""
    import numpy as np

    answers = rated.answer_table
    at = np.flatnonzero(answers["rewrite"])
    old = [answer_text(v) for v in answers["raw"][at].tolist()]
    markers, new, items = answers["marker"][at].tolist(), answers["answer"][at].tolist(), answers["item"][at].tolist()
    return change_table(
        len(at), time=time, user=user, sheet=rated.sheet, cell=rated.cells_of(at),
        study=rated.study_table["study"][answers["study_index"][at]].tolist(), item=items,
        old=old, new=new, rule=[FOOTNOTE_RULE if m else SYNONYM_RULE for m in markers],
        reason=[f"'{o}': footnote mark '{m}' removed, read as {a} (rubric {rubric.name}, [rules.footnotes])"
                if m else _rewrite_reason(o, a, int(item), rubric) for o, a, m, item in zip(old, new, markers, items)])


def _rewrite_reason(old: str, answer, item: int, rubric) -> str:
    """Why a cell was rewritten: a criterion's points written another way ("2/3", "2.0") are read as a
    number of its points, not as a synonym; any other answer is one of the rubric's synonyms."""
    worth = rubric.points_of.get(item, 1)
    if worth > 1 and str(answer).isdigit():
        return (f"points written as {old}, read as {answer} of {worth} (rubric {rubric.name}: "
                f"{rubric.item_word} {item} is worth {worth} points)")
    return f"'{old}' is written as {answer} (rubric {rubric.name}, [answers.synonyms] {answer})"


def with_formula_changes(result, formulas: dict):
    """``result``'s changes, plus a row for each answer computed by a formula
    (``formulas``: {cell: the formula as text}), which the audited workbook
    keeps as the value it gave: a writer cannot keep a formula's cached value
    and the formula would read back as blank.  A formula with no saved value
    (raw blank) stays: PD804 says so."""
    import numpy as np
    import pandas as pd

    changes = result.changes
    if not formulas:
        return changes
    answers = result.sheet.answers
    every_cell = result.sheet.cells_of(answers)  # the writer named them all to find ``formulas``: made once
    chosen = np.flatnonzero(answers["raw"].notna().to_numpy() &
                            pd.Series(every_cell, dtype=object).isin(formulas.keys()).to_numpy())
    if not len(chosen):
        return changes
    valued, cells = answers.iloc[chosen], [every_cell[at] for at in chosen.tolist()]
    rows = change_rows(
        time=result.time, user=result.user, sheet=result.sheet.sheet, cell=cells,
        study=result.sheet.studies.loc[valued["study_index"], "study"].tolist(),
        item=[int(i) for i in valued["item"]], old=[formulas[c] for c in cells],
        new=[a if a is not None else answer_text(raw) for a, raw in zip(valued["answer"], valued["raw"])],
        rule=FORMULA_RULE, reason="the answer came from a formula; the audited workbook keeps the value it gave "
                                  "(a formula's cached value cannot be kept)")
    return pd.concat([changes[~changes["cell"].isin(rows["cell"])], rows], ignore_index=True)


def consensus_changes(resolutions, sheet: str, address_of, source_name: str, time: str):
    """One row per resolved disagreement: each assessor's answer as old, the
    consensus as new.  ``address_of(resolution)`` gives the consensus sheet's cell."""
    return change_rows(
        time=time, user=[r.resolved_by for r in resolutions], sheet=sheet,
        cell=[address_of(r) for r in resolutions], study=[r.study for r in resolutions],
        item=[r.item for r in resolutions],
        old=["; ".join(f"{name}: {answer if answer is not None else '(blank)'}" for name, answer in r.answers.items())
             for r in resolutions],
        new=[r.consensus for r in resolutions], rule=CONSENSUS_RULE,
        reason=[f"consensus from {source_name} row {r.row}: {r.reason or '(no reason given)'}" for r in resolutions])


def outside_changes(result):
    """One row per difference between the table an audited input recorded and
    the sheet now (``result.edits``: ``pedro.audit.record.Difference``), in
    the order `pedro audit` lists them, logged at this run's time.  Who edited
    is the workbook's last saver where its properties say so after scoring
    (``result.last_saved``), else not known: never the user scoring again."""
    edits, (by, when) = result.edits, result.last_saved
    found = f"found by {result.user} on scoring again" + (f"; the workbook was last saved at {when}" if when else "")
    return change_rows(time=result.time, user=by or UNKNOWN_USER, sheet=result.sheet.sheet,
                       cell=[e.cell for e in edits], study=[e.study for e in edits], item=[e.item for e in edits],
                       old=[e.old for e in edits], new=[e.new for e in edits], rule=OUTSIDE_RULE,
                       reason=[f"{e.message}; {found}" for e in edits])


def logged_changes(result, changes):
    """This run's change-log rows: the edits made outside pedro since the
    input was scored, then ``changes``, pedro's own."""
    import pandas as pd

    if result.edits:
        outside = outside_changes(result)
        changes = pd.concat([outside, changes], ignore_index=True) if len(changes) else outside
    return not_logged_again(result.previous_changes, changes)


def not_logged_again(previous, rows):
    """``rows`` less each that repeats, old and new alike, the latest row the
    log holds for its cell.  Scoring an input again over its audited workbook,
    with nothing changed since, then adds no row (a re-run duplicates
    nothing); a cell edited since has a later row, the edit, so its rewrite
    is logged again."""
    if not len(previous) or not len(rows):
        return rows
    latest = {(sheet, cell): (canonical(old), canonical(new))
              for sheet, cell, old, new in zip(previous["sheet"], previous["cell"], previous["old"], previous["new"])}
    keep = []
    for sheet, cell, old, new in zip(rows["sheet"], rows["cell"], rows["old"], rows["new"]):
        change = (canonical(old), canonical(new))
        keep.append(latest.get((sheet, cell)) != change)
        latest[(sheet, cell)] = change
    return rows[keep].reset_index(drop=True)


def hashed_log(previous, changes, key) -> list[list]:
    """The change log's rows with their chained hashes: the previous rows as
    they were, this run's rows chained after the last of them."""
    rows = [list(r) for r in previous[LOG_COLUMNS].itertuples(index=False)] if len(previous) else []
    head = rows[-1][-1] if rows else None
    new = [list(r) for r in changes[CHANGE_COLUMNS].itertuples(index=False)]
    return rows + [r + [h] for r, h in zip(new, chain_hashes(new, head, key))]
