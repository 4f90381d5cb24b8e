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
from .style import append

OPEN_FILL, HEADER_FILL, ANSWER_FILL = "FFF2CC", "D9E1F2", "F2F2F2"

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
    workbook = openpyxl.Workbook()
    _write_disagreement_rows(workbook.active, comparison)
    _write_agreed(workbook.create_sheet(AGREED_SHEET), comparison)
    _write_statistics(workbook.create_sheet(STATISTICS_SHEET), comparison)
    _write_differences(workbook.create_sheet(DIFFERENCES_SHEET), comparison)
    _write_unmatched(workbook.create_sheet(UNMATCHED_SHEET), comparison)
    _write_provenance(workbook.create_sheet(PROVENANCE_SHEET), comparison)
    return atomic_save(workbook, output)


def _header(sheet, values, widths=None):
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in (widths or {}).items():
        sheet.column_dimensions[letter].width = width


def _write_disagreement_rows(sheet, comparison: Comparison) -> None:
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet.title = DISAGREEMENTS_SHEET
    rubric = comparison.assessors[0].result.rubric
    header = [STUDY_COLUMN, ITEM_HEADER, CRITERION_HEADER]
    for name in comparison.names:
        header += [answer_header(name), evidence_header(name)]
    header += list(CONSENSUS_HEADERS)
    _header(sheet, header, {"A": 28, "B": 6, "C": 34})
    for row in comparison.disagreements:
        values = [row["study"], row["item"], rubric.item(row["item"]).label]
        for name in comparison.names:
            values += [row["answers"][name] if row["answers"][name] is not None else "(blank)",
                       row["evidence"][name]]
        values += [None, None, None]
        append(sheet, values)
    consensus_col = len(header) - 2
    for i in range(len(comparison.names)):
        sheet.column_dimensions[get_column_letter(4 + 2 * i)].width = 12
        sheet.column_dimensions[get_column_letter(5 + 2 * i)].width = 40
    for offset, width in ((0, 12), (1, 40), (2, 16)):
        sheet.column_dimensions[get_column_letter(consensus_col + offset)].width = width
    rows = len(comparison.disagreements) + 1  # with the header; never ask openpyxl (max_row scans every cell)
    letter = get_column_letter(consensus_col)
    validation = DataValidation(type="list", formula1='"Y,N,?"', allow_blank=True, showErrorMessage=True,
                                errorTitle="Consensus", error="Answer Y, N or ? (unclear).")
    sheet.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}{max(rows, 2)}")
    open_fill, answer_fill = PatternFill("solid", fgColor=OPEN_FILL), PatternFill("solid", fgColor=ANSWER_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    open_columns = [consensus_col - 1 + offset for offset in range(3)]
    answer_columns = [3 + 2 * i for i in range(len(comparison.names))]
    for cells in sheet.iter_rows(min_row=2, max_row=rows, max_col=len(header)):
        for column in open_columns:
            cells[column].fill = open_fill
        for column in answer_columns:
            cells[column].fill = answer_fill
        for cell in cells:
            cell.alignment = wrap
    sheet.freeze_panes = "D2"
    if rows > 1:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{rows}"


def _write_agreed(sheet, comparison: Comparison) -> None:
    import numpy as np

    rubric = comparison.assessors[0].result.rubric
    _header(sheet, [STUDY_COLUMN, *(item.heading for item in rubric.items)], {"A": 28})
    answers = comparison.answers
    first = answers[:, 0, :]
    agreed = np.where((answers == first[:, None, :]).all(axis=1), first, MISSING)  # trials x items
    for key, trial_answers in zip(comparison.keys, comparison.answer_text(agreed).tolist()):
        append(sheet, [comparison.labels[key], *trial_answers])
    sheet.freeze_panes = "B2"


def _fmt(value, digits=3):
    return None if value is None else round(float(value), digits)


def _write_statistics(sheet, comparison: Comparison) -> None:
    from openpyxl.styles import Alignment, Font

    sheet.append([f"Agreement between {', '.join(comparison.names)} on {len(comparison.keys)} trial(s)"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([READING_NOTE])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=12)
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 120
    sheet.append([])
    columns = ["item", "label", "n", "agreement", "prevalence_y", "cohen_kappa", "cohen_kappa_se",
               "cohen_kappa_ci95", "pabak", "prevalence_index", "bias_index", "gwet_ac1", "gwet_ac1_se",
               "fleiss_kappa", "krippendorff_alpha", "reasons"]
    _header(sheet, ["Item", "Criterion", "n", "Agreement", "Prevalence of Y", "Cohen's kappa", "kappa SE",
                    "kappa 95% CI", "PABAK", "Prevalence index", "Bias index", "Gwet's AC1", "AC1 SE",
                    "Fleiss' kappa", "Krippendorff's alpha", "Undefined because"], {"A": 6, "B": 30, "P": 80})
    for row in comparison.items:
        values = []
        for column in columns:
            value = row[column]
            if column == "cohen_kappa_ci95":
                value = None if value is None else f"{value[0]:.3f} to {value[1]:.3f}"
            elif column == "reasons":
                value = "; ".join(f"{k}: {v}" for k, v in value.items()) or None
            elif isinstance(value, float):
                value = _fmt(value)
            values.append(value)
        append(sheet, values)
    stats = comparison.total_stats
    sheet.append([])
    sheet.append([f"Totals (items 2-11), {stats['n']} trial(s) with every total known"])
    sheet[sheet.max_row][0].font = Font(bold=True)
    _header(sheet, ["Statistic", "Value", "95% CI", "Note"])
    for form, result in stats["icc"].items():
        ci = result["ci95"]
        append(sheet, [form, _fmt(result["value"]), None if ci is None else f"{ci[0]:.3f} to {ci[1]:.3f}",
                        result.get("reason")])
    if stats["bland_altman"] is not None:
        ba = stats["bland_altman"]
        loa = ba["loa95"]
        append(sheet, [f"Bland-Altman bias ({comparison.names[0]} - {comparison.names[1]})", _fmt(ba["bias"]),
                        None if loa is None else f"{loa[0]:.2f} to {loa[1]:.2f} (limits of agreement)",
                        ba.get("reason")])
        append(sheet, ["SD of differences", _fmt(ba["sd"]), None, None])
    append(sheet, ["Trials whose band differs", stats["band_changes"], None,
                    f"band set {comparison.assessors[0].result.bands.name}"])


def _write_differences(sheet, comparison: Comparison) -> None:
    from openpyxl.styles import PatternFill

    names = comparison.names
    header = [STUDY_COLUMN, *(f"{n}: total" for n in names), *(f"{n}: band" for n in names), "Total differs",
              "Band differs"]
    _header(sheet, header, {"A": 28})
    highlight = PatternFill("solid", fgColor="FFC7CE")
    for line, row in enumerate(trial_differences(comparison), start=2):
        totals = [row["totals"][n] for n in names]
        bands = [row["bands"][n] for n in names]
        total_differs = len(set(totals)) > 1
        band_differs = len(set(bands)) > 1
        append(sheet, [row["study"], *totals, *bands, "yes" if total_differs else "no",
                        "yes" if band_differs else "no"])
        if band_differs:  # iter_rows with bounds: sheet[line] asks max_column, a scan of every cell
            for cell in next(sheet.iter_rows(min_row=line, max_row=line, max_col=len(header))):
                cell.fill = highlight
    sheet.freeze_panes = "B2"


def _write_unmatched(sheet, comparison: Comparison) -> None:
    _header(sheet, ["Assessor", "Trial not rated by every assessor"], {"A": 24, "B": 40})
    for name, labels in comparison.unmatched.items():
        for label in labels:
            append(sheet, [name, label])


def _write_provenance(sheet, comparison: Comparison) -> None:
    _header(sheet, [DISAGREEMENTS_MARK, "value"], {"A": 28, "B": 80})
    rows = [(Key.TIME, now_utc()), (Key.USER, current_user()), (Key.RUBRIC, comparison.assessors[0].result.rubric.name),
            (Key.BANDS, comparison.assessors[0].result.bands.name), (Key.ASSESSORS, ", ".join(comparison.names))]
    for assessor in comparison.assessors:
        rows.append((f"{Key.ASSESSOR} {assessor.name}", f"{assessor.path.name} sha256 {assessor.result.input_sha256}"))
    for key, value in rows:
        append(sheet, [key, value])
