"""The blank item sheet an assessor fills in (``pedro template``)."""

from __future__ import annotations

from pathlib import Path

from ..audit.workbook import STUDY_COLUMN
from ..rubric import Rubric
from .files import atomic_save, check_output_path
from .style import Table, Validation, answer_validation, cell_range, render

RATINGS_SHEET = "Ratings"
ABOUT_SHEET = "About the scale"
COUNT_COLUMNS = ("N allocated", "N analysed")
EXTRA_COLUMNS = ("Randomisation method", *COUNT_COLUMNS)
ANSWER_ROWS = 200  # rows with a dropdown when fewer trials are listed


def write_template(output: Path, rubric: Rubric, labels: list[str]) -> Path:
    import openpyxl

    output = check_output_path(Path(output))
    workbook = openpyxl.Workbook()
    workbook.active.title = RATINGS_SHEET
    render(workbook.active, ratings_table(rubric, labels))
    render(workbook.create_sheet(ABOUT_SHEET), about_table(rubric))
    return atomic_save(workbook, output)


def ratings_table(rubric: Rubric, labels: list[str]) -> Table:
    """The Ratings sheet: a row per trial, and per item an answer column (a
    dropdown, the criterion in its header's comment) and an evidence column."""
    # The method and the counts feed PEDro's quasi-random and follow-up rules: only a rubric with them asks.
    extra = [*(EXTRA_COLUMNS[:1] if "quasi_random" in rubric.rule_params else ()),
             *(COUNT_COLUMNS if "followup" in rubric.rule_params else ())]
    header = [STUDY_COLUMN, *extra]
    columns, notes, widths = _item_columns(rubric, header)
    last_row = 1 + max(len(labels), ANSWER_ROWS)
    answers = [cell_range(2, column, last_row, column) for column, points in columns if points == 1]
    counts = [cell_range(2, column, last_row, column) for column in map(header.index, extra[-2:])
              if header[column] in COUNT_COLUMNS]
    # A criterion worth several points without parts: a dropdown of its points, per number of points.
    points = [Validation("list", '"' + ",".join([*map(str, range(worth + 1)), "?"]) + '"',
                         tuple(cell_range(2, c, last_row, c) for c, p in columns if p == worth),
                         error_title=f"{rubric.short_name} points",
                         error=f"Answer the points the criterion scores, 0 to {worth}, or ? (unclear).")
              for worth in sorted({p for _, p in columns if p > 1})]
    return Table(
        [header, *([label] + [None] * (len(header) - 1) for label in labels)], autofilter=False, freeze="B2",
        widths=widths, wrapped=(cell_range(1, 0, 1, len(header) - 1),), row_heights={1: 45}, header_notes=notes,
        validations=(answer_validation(answers, f"{rubric.short_name} answer",
                                       "Answer Y (clearly satisfied), N, or ? (unclear)."),
                     *points, *((Validation("whole", "0", tuple(counts), operator="greaterThanOrEqual"),)
                                if counts else ())))


def _item_columns(rubric: Rubric, header: list) -> tuple[list[tuple[int, int]], dict, dict]:
    """Add each item's columns to ``header``: its answer (or one yes/no column per part of a criterion worth
    several points, as the parts make each point a plain yes/no) and its evidence.  Returns the answer
    columns with the points each holds, the header notes (the criterion) and the column widths."""
    columns, notes, widths = [], {}, {0: 28, 1: 24}
    word = rubric.item_word.capitalize()  # "Criterion 6:" for TESTEX, PEDro's "Item 2:"
    for item in rubric.items:
        note = f"{word} {item.number}{'' if item.scored else ' (not scored)'}: {item.criterion}\n\n{item.note}"
        if item.parts:
            for part in item.parts:
                notes[len(header)] = f"{part.code} ({item.label}, 1 point): {part.label}\n\n{item.criterion}"
                columns.append((len(header), 1))
                widths[len(header)] = 14
                header.append(f"{part.code} {part.label}")
        else:
            notes[len(header)] = note.rstrip()
            columns.append((len(header), item.points))
            widths[len(header)] = 14
            header.append(item.heading)
        widths[len(header)] = 30
        header.append(f"{item.number} evidence")
    return columns, notes, widths


def _how_to_answer(rubric: Rubric) -> str:
    """How to answer and how the total is made, from the rubric: PEDro's sentence, or its kin for a rubric
    with points and subtotals."""
    text = ("Answer Y only when the criterion is clearly satisfied on a literal reading of the report; "
            "N when it is not; ? when unclear (scores 0).")
    unscored = [str(item.number) for item in rubric.items if not item.scored]
    if unscored:
        text += f" {rubric.item_word.capitalize()} {', '.join(unscored)} is not scored:" if len(unscored) == 1 \
            else f" {rubric.item_plural.capitalize()} {', '.join(unscored)} are not scored:"
        text += f" the total is the number of Y on {rubric.scored_text} (0-{rubric.max_total})."
    else:
        text += f" The total is the sum of the points of {rubric.scored_run} (0-{rubric.max_total})."
    several = [item for item in rubric.items if not item.yes_no]
    if several:
        text += " " + "; ".join(f"{item.number} {item.label} scores 0-{item.points}" + (
            f" (one yes/no column per point: {', '.join(p.code for p in item.parts)})" if item.parts else "")
            for item in several) + "."
    if rubric.subtotals:
        text += " Subtotals: " + "; ".join(f"{s.label} ({', '.join(map(str, s.items))})"
                                           for s in rubric.subtotals) + "."
    return text


def about_table(rubric: Rubric) -> Table:
    """The scale's items with their notes on administration, and its band sets."""
    rows = [[rubric.title], [f"Source: {rubric.source}"], [_how_to_answer(rubric)],
            [],
            ["Item", "Criterion", "Note on administration", "Scored", *(() if rubric.yes_no else ("Points",))],
            *([item.heading, item.criterion, item.note, "yes" if item.scored else "no",
               *(() if rubric.yes_no else (item.points,))] for item in rubric.items),
            [],
            ["Band sets (pedro score --bands NAME)" if rubric.band_sets else "Band sets"],
            *([b.name, b.describe(), b.source, b.caveat] for b in rubric.band_sets.values()),
            *(() if rubric.band_sets else ([rubric.band_set(None).describe()],))]
    bands_title = 5 + len(rubric.items) + 2
    width = max(len(row) for row in rows)
    return Table(rows, header_row=None, autofilter=False, freeze=None, title_row=1, title_size=14,
                 bold_rows=(5, bands_title), wrapped=(cell_range(5, 0, len(rows), width - 1),),
                 widths={0: 30, 1: 60, 2: 80, 3: 40})
