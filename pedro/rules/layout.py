"""How the sheet was read: header conflicts, rows that are not trials, footnote
marks, formulas without a saved value, and the structure the values alone do
not show (headers over two rows, merged cells, hidden rows, columns or sheets)."""

from ..normalise import parse_total, split_total_marker
from ..sheets.layout import ROLE_NAMES
from ..table import Table, missing
from .base import FINDING_COLUMNS, Rule, no_findings


def check_header_conflicts(ctx, rule):
    """A header whose item number and item name disagree (the name is used)."""
    notes = ctx.sheet.layout.notes
    if not notes:
        return no_findings()
    first = ctx.rubric.item_numbers[0]
    return Table.concat([ctx.sheet_finding(rule, cell=cell, detail=text, first=first) for cell, text in notes],
                        FINDING_COLUMNS)


def check_skipped_rows(ctx, rule):
    """A row under the header that is not a trial: a summary ('Mean'), a note, legend, source or heading."""
    if not ctx.sheet.skipped:
        return no_findings()
    return Table.concat([ctx.sheet_finding(rule, cell=cell, detail=why) for _, why, cell in ctx.sheet.skipped],
                        FINDING_COLUMNS)


HEADER_CONFLICT = Rule(
    id="PD801", name="header-number-name-conflict", severity="warning",
    message="{cell}: {detail}; check the columns were not renumbered after {word} {first} was dropped",
    summary_template="A header whose {word} number and {word} name disagree (the name is used).",
    criterion="Map columns by label, not position: sheets that omit item 1 often renumber items 1-10 "
              "(PEDRO-NOTES 4.14)",
    check=check_header_conflicts, scope="sheet")

SKIPPED_ROW = Rule(
    id="PD802", name="row-not-a-trial", severity="advisory",
    message="{cell}: {detail}; it is not scored",
    criterion="One row per trial; summary rows, notes, legends and headings around the table are not trials "
              "(PEDRO-NOTES 4.14)",
    check=check_skipped_rows, scope="sheet")


READING_NOTE = ("PEDro scale, general rule: points are only awarded when a criterion is clearly satisfied, so "
                "pedro reads what the sheet holds and says how, never guessing (pedro.org.au/english/resources/"
                "pedro-scale/)")


def check_footnote_markers(ctx, rule):
    """An answer or reported total with a footnote mark glued to it ('Ya', '7/10b'), read without the mark."""
    import numpy as np

    markers = ctx.answer_column("marker")
    # Markers are rare: the values not None are found at C speed (np.equal: None != None is twice as slow),
    # and only those are asked about NaN (no marker either): ``missing`` over the whole column took three
    # times as long (2.2 ms at 10,000 trials).
    given = ~np.equal(markers, None)
    at = np.flatnonzero(given)
    given[at[missing(markers[at])]] = False
    marked = ctx.answers_where(given, "answer", "marker")
    answers = marked["answer"].tolist()
    frames = [ctx.trial_findings(
        rule, marked["study_index"], ctx.sheet.cells_of(marked["position"]), marked["raw"], item=marked["item"],
        reading=[f"answer {a}" for a in answers], mark=marked["marker"],
        effect=[f"the cell is written as {a} and the change is logged" for a in answers])]
    if ctx.sheet.layout.role("total") is not None:
        totals = ctx.trial_column("total")
        marked_totals = ctx.map_distinct("total", _total_marker)  # (reading, mark), or None
        found = ~missing(marked_totals)
        rows = np.flatnonzero(found)
        frames.append(ctx.trial_findings(rule, rows, ctx.role_cells("total", rows), totals[rows],
                                         reading=[reading for reading, _ in marked_totals[found]],
                                         mark=[mark for _, mark in marked_totals[found]],
                                         effect="the cell is left as it is"))
    frames = [f for f in frames if len(f)]
    return Table.concat(frames, FINDING_COLUMNS) if frames else no_findings()


def _total_marker(value) -> tuple[str, str] | None:
    """(how a reported total with a footnote mark is read, the mark), or None."""
    split = split_total_marker(value)
    if split is None:
        return None
    points, out_of = parse_total(value)
    if points is None:
        return None
    return f"total {points}" + (f"/{out_of}" if out_of else ""), split[1]


def check_formulas_without_value(ctx, rule):
    """An answer or total cell whose formula has no saved result, so it reads as blank."""
    import numpy as np

    grid = ctx.sheet.grid
    if grid is None:
        return no_findings()
    raw = ctx.answer_column("raw")
    total = ctx.sheet.layout.role("total")
    blank_totals = np.flatnonzero(missing(ctx.trial_column("total"))) if total is not None else None  # trials
    # Nothing reads as blank: no need to look at the formulas (their search may unpack the sheet's markup).  A
    # blank answer is looked for as None first, a search that stops at the first one, where ``missing`` goes
    # through all 660,000 answers at 60,000 trials (18 ms); NaN and its kin only where there is no None.
    if (blank_totals is None or not len(blank_totals)) and None not in raw.tolist() and not missing(raw).any():
        return no_findings()
    bare = grid.formulas_without_value
    if not bare:
        return no_findings()
    blank_answers = np.flatnonzero(missing(raw))  # positions in the answers table
    layout = ctx.sheet.layout
    items, rows = ctx.answer_column("item"), ctx.answer_column("row")
    formula_answers = blank_answers[np.array([(row, layout.items[item].index) in bare for item, row in zip(
        items[blank_answers].tolist(), rows[blank_answers].tolist())], dtype=bool)]
    hits = list(zip(ctx.answer_column("study_index")[formula_answers].tolist(), ctx.sheet.cells_of(formula_answers),
                    items[formula_answers].tolist()))
    if blank_totals is not None:
        hits += [(i, layout.cell(total.index, row), None) for i, row in zip(
            blank_totals.tolist(), ctx.trial_column("row")[blank_totals].tolist()) if (row, total.index) in bare]
    hits.sort(key=lambda hit: hit[0])
    return ctx.trial_findings(rule, [h[0] for h in hits], [h[1] for h in hits], None, item=[h[2] for h in hits],
                              what=["the total" if h[2] is None else f"{ctx.rubric.item_word} {h[2]}" for h in hits])


def check_sheet_structure(ctx, rule):
    """Headers over two rows or merged, hidden rows, columns or sheet, merged answer cells: how they were read."""
    notes = [(cell, text) for cell, text in ctx.sheet.layout.reading]
    grid = ctx.sheet.grid
    if grid is not None:
        notes += _hidden_notes(ctx, grid) + _merged_answer_notes(ctx, grid)
    if not notes:
        return no_findings()
    return Table.concat([ctx.sheet_finding(rule, cell=cell, detail=text) for cell, text in notes], FINDING_COLUMNS)


def _used_columns(layout, word: str) -> dict[int, str]:
    used = {c.index: f"{word} {n}" for n, c in layout.items.items()}
    used.update({c.index: f"the evidence for {word} {n}" for n, c in layout.evidence.items()})
    used.update({c.index: ROLE_NAMES[role] for role, c in layout.roles.items()})
    return used


def _hidden_notes(ctx, grid) -> list[tuple[str, str]]:
    layout = ctx.sheet.layout
    notes = []
    if grid.hidden:
        notes.append(("", f"sheet '{grid.sheet}' is hidden in the workbook; it was read as it is"))
    info = grid.info
    if not (info.hidden_rows or info.hidden_columns):
        return notes
    study = layout.role("study")
    label_index = study.index if study else 0
    import numpy as np

    rows = ctx.trial_column("row")
    hidden = np.flatnonzero(np.isin(rows, list(info.hidden_rows)))
    for row, label in zip(rows[hidden].tolist(), ctx.trial_column("study")[hidden].tolist()):
        line = grid.row_name(row - 1)
        notes.append((layout.cell(label_index, row), f"{line} (trial '{label}') is hidden in the workbook; it was "
                                                     f"read and scored like the others: delete the {line.split()[0]} "
                                                     "if the trial is excluded"))
    used = _used_columns(layout, ctx.rubric.item_word)
    for index in sorted(info.hidden_columns & set(used)):
        notes.append((layout.cell(index, layout.header_row),
                      f"{grid.column_name(index)} ({used[index]}) is hidden in the workbook; it was read"))
    return notes


def _merged_answer_notes(ctx, grid) -> list[tuple[str, str]]:
    if not grid.merged:
        return []
    used = _used_columns(ctx.sheet.layout, ctx.rubric.item_word)
    rows = set((ctx.trial_column("row") - 1).tolist())
    notes = []
    for r1, c1, r2, c2 in grid.merged:
        covered = [c for c in range(c1, c2 + 1) if c in used]
        if not covered or not any(r in rows for r in range(r1, r2 + 1)) or (r1 == r2 and c1 == c2):
            continue
        first = grid.address(r1, c1)
        area = f"{first}:{grid.address(r2, c2)}"
        value = grid.value(r1, c1)
        shown = "" if value is None else value
        notes.append((first, f"cells {area} are merged: only {first} holds a value ('{shown}'); the other cells "
                             "are read as blank, never as a copy of it"))
    return notes


FOOTNOTE_MARKER = Rule(
    id="PD803", name="footnote-marker", severity="advisory",
    message="{cell}: '{value}' is read as {reading}, taking the trailing '{mark}' for a footnote marker; {effect}",
    criterion=READING_NOTE, check=check_footnote_markers, parameters=("footnotes",))

FORMULA_WITHOUT_VALUE = Rule(
    id="PD804", name="formula-without-value", severity="warning",
    message="{cell}: the formula for {what} has no saved result (the workbook was saved by a program that does "
            "not calculate formulas), so it is read as blank; open the workbook in Excel or LibreOffice, save it, "
            "and run again",
    criterion=READING_NOTE, check=check_formulas_without_value)

SHEET_STRUCTURE = Rule(
    id="PD805", name="sheet-structure", severity="advisory",
    message="{cell}: {detail}",
    criterion=READING_NOTE, check=check_sheet_structure, scope="sheet")
