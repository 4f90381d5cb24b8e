"""Restructuring changes no output (issue 12): the audited workbook of the
bundled example, a two-assessor disagreement workbook, the consensus merged
from it and the blank template are written now and compared, sheet by sheet
and cell by cell (values, fills, comments, fonts, formats, validations,
panes, widths, charts), with copies stored before the modules moved.  Times,
login names and hashes are normalised; everything else must be equal."""

from __future__ import annotations

import pytest
from golden import EXPECTED, build, look

NAMES = ["als-exercise.audited.xlsx", "als-exercise.disagreements.xlsx", "als-exercise.consensus.xlsx",
         "template.xlsx"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return build(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", NAMES)
def test_output_is_the_stored_copy(written, name):
    expected, now = look(EXPECTED / name), look(written[name])
    assert now["sheets"] == expected["sheets"]
    for sheet in expected["sheets"]:
        for aspect, value in expected[sheet].items():
            assert now[sheet][aspect] == value, (name, sheet, aspect)


def test_the_comparison_sees_a_change(written, tmp_path):
    """The comparison is not blind: one edited cell makes it differ."""
    import openpyxl

    workbook = openpyxl.load_workbook(written["als-exercise.audited.xlsx"])
    workbook["Scores"]["C2"] = "edited"
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)
    assert look(edited)["Scores"]["cells"] != look(EXPECTED / NAMES[0])["Scores"]["cells"]
