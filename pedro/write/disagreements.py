"""The disagreement workbook that `pedro compare` writes and `pedro consensus` reads.

Sheets:
- Disagreements: one row per (trial, item) on which the assessors' answers
  differ, each assessor's answer and evidence side by side, then an empty
  Consensus column (Y/N/? dropdown), Reason and Resolved by, to fill in by hand;
- Agreed: every compared trial with the answers all assessors gave (blank where
  they disagree): the consensus starts from it;
- Statistics: agreement per item and on totals, with a note on reading them;
- Trial differences: trials whose total or band differs;
- Unmatched: trials that not every assessor rated;
- Provenance: the assessors, their files and SHA-256.

Each sheet is a ``Table`` drawn by ``pedro.write.style.render``; header rows
wrap their text, aligned to the top, so long headings fit narrow columns.
"""

from __future__ import annotations

from pathlib import Path

from ..audit.workbook import PROVENANCE_SHEET, STUDY_COLUMN, Key
from ..compare import (
    AGREED_SHEET,
    CONSENSUS_HEADERS,
    CRITERION_HEADER,
    DIFFERENCES_SHEET,
    DISAGREEMENTS_MARK,
    DISAGREEMENTS_SHEET,
    ITEM_HEADER,
    MISSING,
    STATISTICS_SHEET,
    UNMATCHED_SHEET,
    Comparison,
    answer_header,
    evidence_header,
    trial_differences,
)
from ..runtime import current_user, now_utc
from .files import atomic_save, check_output_path
from .style import HIGHLIGHT_COLOUR, QUOTED_COLOUR, TO_FILL_COLOUR, Table, answer_validation, cell_range, render

READING_NOTE = (
    "How to read these: observed agreement is the share of trials on which the assessors gave the same point "
    "(Y against N or ?). Cohen's kappa corrects it for chance, but when almost every trial gets the same answer "
    "(PEDro items 2, 10 and 11 are usually Y, item 6 usually N) kappa can be near zero or undefined although "
    "agreement is high: the kappa paradox (Feinstein & Cicchetti 1990). Read kappa beside the prevalence of Y, "
    "the prevalence index and PABAK (Byrt, Bishop & Carlin 1993), and Gwet's AC1 (Gwet 2008), which stay "
    "interpretable when prevalence is extreme. Landis & Koch (1977) bands for kappa: <0 poor, 0-0.20 slight, "
    "0.21-0.40 fair, 0.41-0.60 moderate, 0.61-0.80 substantial, 0.81-1 almost perfect. ICC forms follow Shrout & "
    "Fleiss (1979); PEDro's reliability studies report ICC(1,1) (Maher et al. 2003) and ICC(2,1) (Tooth et al. "
    "2005). Statistics on totals use trials whose total is known for every assessor.")


def default_output(first_input: Path) -> Path:
    return first_input.with_name(f"{first_input.stem}.disagreements.xlsx")


def write_disagreements(comparison: Comparison, output: Path | None = None) -> Path:
    import openpyxl

    first = comparison.assessors[0].path
    output = Path(output) if output else default_output(first)
    for assessor in comparison.assessors:
        check_output_path(output, assessor.path)
    tables = {DISAGREEMENTS_SHEET: _disagreements_table(comparison), AGREED_SHEET: _agreed_table(comparison),
              STATISTICS_SHEET: _statistics_table(comparison), DIFFERENCES_SHEET: _differences_table(comparison),
              UNMATCHED_SHEET: _unmatched_table(comparison), PROVENANCE_SHEET: _provenance_table(comparison)}
    workbook = openpyxl.Workbook()
    workbook.active.title = DISAGREEMENTS_SHEET
    for name, table in tables.items():
        render(workbook[name] if name in workbook.sheetnames else workbook.create_sheet(name), table)
    return atomic_save(workbook, output)


def _row_range(row: int, width: int) -> str:
    """The range of a row's first ``width`` cells."""
    return cell_range(row, 0, row, width - 1)


def _disagreements_table(comparison: Comparison) -> Table:
    """One row per disagreement; the assessors' answers shaded, the columns to fill in highlighted."""
    rubric = comparison.assessors[0].result.rubric
    header = [STUDY_COLUMN, ITEM_HEADER, CRITERION_HEADER]
    for name in comparison.names:
        header += [answer_header(name), evidence_header(name)]
    header += list(CONSENSUS_HEADERS)
    rows = [header]
    for row in comparison.disagreements:
        values = [row["study"], row["item"], rubric.item(row["item"]).label]
        for name in comparison.names:
            values += [row["answers"][name] if row["answers"][name] is not None else "(blank)",
                       row["evidence"][name]]
        rows.append(values + [None, None, None])
    last, consensus = len(rows), len(header) - len(CONSENSUS_HEADERS)
    answers = [3 + 2 * i for i in range(len(comparison.names))]
    fills = {}
    if last > 1:
        fills = {cell_range(2, column, last, column): TO_FILL_COLOUR for column in range(consensus, len(header))}
        fills.update({cell_range(2, column, last, column): QUOTED_COLOUR for column in answers})
    return Table(
        rows, freeze="D2", fills=fills, wrapped=(cell_range(1, 0, last, len(header) - 1),),
        widths={0: 28, 1: 6, 2: 34, **{c: 12 for c in answers}, **{c + 1: 40 for c in answers},
                consensus: 12, consensus + 1: 40, consensus + 2: 16},
        validations=(answer_validation([cell_range(2, consensus, max(last, 2), consensus)], "Consensus",
                                       "Answer Y, N or ? (unclear)."),))


def _agreed_table(comparison: Comparison) -> Table:
    import numpy as np

    rubric = comparison.assessors[0].result.rubric
    header = [STUDY_COLUMN, *(item.heading for item in rubric.items)]
    answers = comparison.answers
    first = answers[:, 0, :]
    agreed = np.where((answers == first[:, None, :]).all(axis=1), first, MISSING)  # trials x items
    rows = [header, *([comparison.labels[key], *trial_answers]
                      for key, trial_answers in zip(comparison.keys, comparison.answer_text(agreed).tolist()))]
    return Table(rows, autofilter=False, freeze="B2", widths={0: 28}, wrapped=(_row_range(1, len(header)),))


def _fmt(value, digits=3):
    return None if value is None else round(float(value), digits)


def _ci(interval, digits=3, note=""):
    return None if interval is None else f"{interval[0]:.{digits}f} to {interval[1]:.{digits}f}{note}"


ITEM_STATISTICS = {  # column of comparison.items: its heading
    "item": ITEM_HEADER, "label": CRITERION_HEADER, "n": "n", "agreement": "Agreement",
    "prevalence_y": "Prevalence of Y", "cohen_kappa": "Cohen's kappa", "cohen_kappa_se": "kappa SE",
    "cohen_kappa_ci95": "kappa 95% CI", "pabak": "PABAK", "prevalence_index": "Prevalence index",
    "bias_index": "Bias index", "gwet_ac1": "Gwet's AC1", "gwet_ac1_se": "AC1 SE", "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha", "reasons": "Undefined because"}


def _item_statistics_rows(comparison: Comparison) -> list[list]:
    rows = []
    for row in comparison.items:
        values = []
        for column in ITEM_STATISTICS:
            value = row[column]
            if column == "cohen_kappa_ci95":
                value = _ci(value)
            elif column == "reasons":
                value = "; ".join(f"{k}: {v}" for k, v in value.items()) or None
            elif isinstance(value, float):
                value = _fmt(value)
            values.append(value)
        rows.append(values)
    return rows


def _total_statistics_rows(comparison: Comparison) -> list[list]:
    stats = comparison.total_stats
    rows = [[form, _fmt(result["value"]), _ci(result["ci95"]), result.get("reason")]
            for form, result in stats["icc"].items()]
    if stats["bland_altman"] is not None:
        ba = stats["bland_altman"]
        rows.append([f"Bland-Altman bias ({comparison.names[0]} - {comparison.names[1]})", _fmt(ba["bias"]),
                     _ci(ba["loa95"], 2, " (limits of agreement)"), ba.get("reason")])
        rows.append(["SD of differences", _fmt(ba["sd"]), None, None])
    rows.append(["Trials whose band differs", stats["band_changes"], None,
                 f"band set {comparison.assessors[0].result.bands.name}"])
    return rows


def _statistics_table(comparison: Comparison) -> Table:
    """A title, the note on reading the statistics, then a table per item and one on totals."""
    width = len(ITEM_STATISTICS)
    items = _item_statistics_rows(comparison)
    totals_title = 4 + len(items) + 2
    totals_header = ["Statistic", "Value", "95% CI", "Note"]
    rows = [[f"Agreement between {', '.join(comparison.names)} on {len(comparison.keys)} trial(s)"], [READING_NOTE],
            [], list(ITEM_STATISTICS.values()), *items, [],
            [f"Totals (items 2-11), {comparison.total_stats['n']} trial(s) with every total known"],
            totals_header + [None] * (width - len(totals_header)),  # its header band runs the sheet's width
            *_total_statistics_rows(comparison)]
    return Table(rows, header_row=4, autofilter=False, freeze=None, title_row=1, bold_rows=(totals_title,),
                 subheader_rows=(totals_title + 1,), merged=("A2:L2",), row_heights={2: 120},  # the note
                 wrapped=("A2", _row_range(4, width), _row_range(totals_title + 1, width)),
                 widths={0: 6, 1: 30, 15: 80})


def _differences_table(comparison: Comparison) -> Table:
    """Trials whose total or band differs; a differing band highlights the row."""
    names = comparison.names
    header = [STUDY_COLUMN, *(f"{n}: total" for n in names), *(f"{n}: band" for n in names), "Total differs",
              "Band differs"]
    rows, fills = [header], {}
    for row in trial_differences(comparison):
        totals = [row["totals"][n] for n in names]
        bands = [row["bands"][n] for n in names]
        band_differs = len(set(bands)) > 1
        rows.append([row["study"], *totals, *bands, "yes" if len(set(totals)) > 1 else "no",
                     "yes" if band_differs else "no"])
        if band_differs:
            fills[_row_range(len(rows), len(header))] = HIGHLIGHT_COLOUR
    return Table(rows, autofilter=False, freeze="B2", widths={0: 28}, fills=fills,
                 wrapped=(_row_range(1, len(header)),))


def _unmatched_table(comparison: Comparison) -> Table:
    header = ["Assessor", "Trial not rated by every assessor"]
    rows = [header, *([name, label] for name, labels in comparison.unmatched.items() for label in labels)]
    return Table(rows, autofilter=False, freeze=None, widths={0: 24, 1: 40}, wrapped=(_row_range(1, 2),))


def _provenance_table(comparison: Comparison) -> Table:
    result = comparison.assessors[0].result
    rows = [[DISAGREEMENTS_MARK, "value"], [Key.TIME, now_utc()], [Key.USER, current_user()],
            [Key.RUBRIC, result.rubric.name], [Key.BANDS, result.bands.name],
            [Key.ASSESSORS, ", ".join(comparison.names)]]
    for assessor in comparison.assessors:
        rows.append([f"{Key.ASSESSOR} {assessor.name}", f"{assessor.path.name} sha256 {assessor.result.input_sha256}"])
    return Table(rows, autofilter=False, freeze=None, widths={0: 28, 1: 80}, wrapped=(_row_range(1, 2),))
