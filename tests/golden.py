"""The golden outputs of issue 12's restructuring: the workbooks pedro wrote
before its modules moved, stored in ``tests/data/expected/``, and the
functions that build them again and compare them cell by cell.

``python tests/golden.py`` rebuilds the stored copies; do that only when an
output is meant to change, and say why in the commit.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import openpyxl

TESTS = Path(__file__).resolve().parent
EXPECTED = TESTS / "data" / "expected"
EXAMPLE = TESTS.parent / "sheets" / "examples" / "als-exercise.xlsx"

# What changes from run to run: times, the login name, hashes and digests.
_HASH = re.compile(r"^(sha256|hmac-sha256):[0-9a-f]{64}$|^[0-9a-f]{64}$")
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)?$")
_VOLATILE_KEYS = {"time", "user"}  # file names are the same on every build


def _stable(value):
    if isinstance(value, str):
        if _HASH.match(value):
            return "<hash>"
        if _TIME.match(value):
            return "<time>"
        value = re.sub(r"sha256 [0-9a-f]{64}", "sha256 <hash>", value)
    return value


def look(path: Path) -> dict:
    """What a reader of the workbook sees, per sheet: values (volatile ones
    normalised), fills, comments, bold, quote prefixes, conditional formats,
    data validations, merged cells, panes, filters, widths and charts."""
    workbook = openpyxl.load_workbook(path)
    seen = {"sheets": workbook.sheetnames}
    for sheet in workbook.worksheets:
        cells = {}
        key_value = sheet.title.startswith("Provenance")
        for row in sheet.iter_rows():
            for cell in row:
                value = _stable(cell.value)
                if key_value and cell.column == 2 and sheet.cell(cell.row, 1).value in _VOLATILE_KEYS:
                    value = "<volatile>"
                fill = cell.fill.fgColor.rgb[-6:] if cell.fill is not None and cell.fill.fill_type == "solid" else None
                comment = (cell.comment.author, cell.comment.text) if cell.comment is not None else None
                font = (bool(cell.font.b), cell.font.sz if cell.font.sz not in (None, 11) else None)
                wrap = bool(cell.alignment.wrap_text) if cell.alignment is not None else False
                state = (value, fill, comment, font, cell.quotePrefix, wrap)
                if state != (None, None, None, (False, None), False, False):
                    cells[cell.coordinate] = state
        formats = {str(rng.sqref): sorted((rule.type, rule.operator, tuple(rule.formula or ()),
                                           rule.dxf.fill.fgColor.rgb[-6:] if rule.dxf and rule.dxf.fill else None)
                                          for rule in rules)
                   for rng, rules in sheet.conditional_formatting._cf_rules.items()}
        validations = sorted((v.type, v.formula1, str(v.sqref)) for v in sheet.data_validations.dataValidation)
        seen[sheet.title] = {
            "cells": cells, "formats": formats, "validations": validations,
            "merged": sorted(str(m) for m in sheet.merged_cells.ranges), "charts": len(sheet._charts),
            "freeze": sheet.freeze_panes, "filter": sheet.auto_filter.ref,
            "widths": {k: d.width for k, d in sheet.column_dimensions.items() if d.customWidth},
        }
    return seen


def second_assessor(first: Path, target: Path) -> Path:
    """The example rated again by a second assessor who differs on a few items."""
    workbook = openpyxl.load_workbook(first)
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[4]]  # a title and a note above the header
    changes = {(5, "3 Concealed allocation"): "N", (6, "5 Blind subjects"): "Y", (7, "8 Adequate follow-up"): "?"}
    for (row, heading), value in changes.items():
        sheet.cell(row, header.index(heading) + 1).value = value
    workbook.save(target)
    return target


def build(folder: Path) -> dict[str, Path]:
    """Every golden output, written into ``folder`` through the public commands."""
    from click.testing import CliRunner

    from pedro.cli import main

    folder.mkdir(parents=True, exist_ok=True)
    example = folder / "als-exercise.xlsx"
    shutil.copyfile(EXAMPLE, example)
    other = second_assessor(example, folder / "als-exercise-b.xlsx")
    outputs = {name: folder / name for name in ("als-exercise.audited.xlsx", "als-exercise.disagreements.xlsx",
                                                  "als-exercise.consensus.xlsx", "template.xlsx")}
    runner = CliRunner()
    for arguments in (["score", str(example), "-o", str(outputs["als-exercise.audited.xlsx"])],
                      ["compare", str(example), str(other), "--names", "A,B",
                       "-o", str(outputs["als-exercise.disagreements.xlsx"])],
                      ["template", str(outputs["template.xlsx"])]):
        result = runner.invoke(main, arguments)
        assert result.exit_code in (0, 1), result.output
    resolved = openpyxl.load_workbook(outputs["als-exercise.disagreements.xlsx"])
    sheet = resolved["Disagreements"]
    header = [c.value for c in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, header.index("Consensus") + 1).value = "N"
        sheet.cell(row, header.index("Reason") + 1).value = "agreed at the consensus meeting"
        sheet.cell(row, header.index("Resolved by") + 1).value = "C"
    resolved_path = folder / "resolved.disagreements.xlsx"
    resolved.save(resolved_path)
    result = runner.invoke(main, ["consensus", str(resolved_path), "-o", str(outputs["als-exercise.consensus.xlsx"])])
    assert result.exit_code == 0, result.output
    return outputs


if __name__ == "__main__":
    sys.path.insert(0, str(TESTS))
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        for name, path in build(Path(scratch)).items():
            shutil.copyfile(path, EXPECTED / name)
            print("wrote", EXPECTED / name)
