"""Rebuild the example workbooks in this folder (run from the repository root:
``python sheets/examples/build_examples.py``).  The committed .xlsx files are
the output; this script documents exactly what they hold.

als-exercise.xlsx: the six ALS exercise trials rated with the PEDro scale in a
published review, items 1-11 and totals as printed there (Y/N), laid out as
reviewers' sheets usually are: a title and a note above the header row.
"""

from pathlib import Path

import openpyxl
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent

ALS_TRIALS = [  # study, items 1-11 as printed, total as printed
    ("Kalron 2021", "YYYYYNYYNYY", 8),
    ("Clawson 2017", "NYNYNNYNNYY", 5),
    ("van Groenestijn 2019", "YYYYNNYNYYY", 7),
    ("Ferri 2019", "YYNYYNNYNYY", 6),
    ("Lunetta 2015", "YYYNYNYYYYY", 8),
    ("Zucchi 2019", "YYYNYNYNNYY", 6),
]

HEADER = ["Study", "1 Eligibility criteria", "2 Random allocation", "3 Concealed allocation",
          "4 Baseline comparability", "5 Blind subjects", "6 Blind therapists", "7 Blind assessors",
          "8 Adequate follow-up", "9 Intention-to-treat analysis", "10 Between-group comparisons",
          "11 Point estimates and variability", "Total PEDro score"]


def build_als(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "PEDro ratings"
    sheet.append(["Methodological quality of exercise trials in ALS (PEDro scale)"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Y = criterion satisfied, N = not satisfied. Item 1 is not included in the total."])
    sheet.append([])
    sheet.append(HEADER)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for study, answers, total in ALS_TRIALS:
        sheet.append([study, *answers, total])
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = "B5"
    workbook.save(path)


if __name__ == "__main__":
    build_als(HERE / "als-exercise.xlsx")
    print("wrote", HERE / "als-exercise.xlsx")
