"""Issue 16 review, the outputs of a rubric other than PEDro: which rubric a workbook records, what a rule
cites, `pedro plot` and `pedro audit` of a TESTEX workbook, the Summary sheet and the template."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from test_rubric_file import CHECKLIST, CLEAN
from test_testex import POINTS

from pedro.cli import main
from pedro.engine import score_file
from pedro.rubric import load_rubric
from pedro.write.audited import write_audited

from conftest import write_xlsx


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_users_rubric_named_like_a_shipped_one_is_not_taken_for_it(tmp_path):
    """A user's file that calls itself 'pedro' records that name: `pedro audit` must not check the workbook
    against the PEDro scale pedro ships (it failed with "unknown band set 'none'")."""
    mine = tmp_path / "mine.toml"
    mine.write_text(CHECKLIST.replace('name = "check5"', 'name = "pedro"'), encoding="utf-8")
    output = tmp_path / "mine.audited.xlsx"
    write_audited(score_file(write_xlsx(tmp_path / "mine.xlsx", CLEAN), rubric=str(mine)), output)
    sha = load_rubric(str(mine)).sha256
    refused = run("audit", output)
    assert refused.exit_code == 2, refused.output
    assert refused.output.strip() == (
        f"pedro: mine.audited.xlsx was scored with a rubric named 'pedro' that is not the one pedro ships (sha256 "
        f"{sha[:12]}…; pedro's is {load_rubric('pedro').sha256[:12]}…): a file of your own, or another version "
        "of pedro's; pass that file with --rubric FILE (or --rubric pedro to check it against the one pedro "
        "ships now)")
    assert "unknown band set" not in refused.output
    audited = run("audit", output, "--rubric", mine)
    assert audited.exit_code == 0 and "verified" in audited.output, audited.output


def _sources(*args) -> dict[str, str]:
    """Rule id -> its 'source:' line in `pedro rules ARGS`."""
    sources, rule = {}, None
    for line in run("rules", *args).output.splitlines():
        if line[:2] == "PD":
            rule = line.split()[0]
        elif line.strip().startswith("source: "):
            sources[rule] = line.strip()[len("source: "):]
    return sources


def test_rules_cite_pedro_only_for_pedro(tmp_path):
    """A rubric that gives no citation for a rule does not get PEDro's notes as its source."""
    own = "pedro's own check (written for the PEDro scale; this rubric gives no source)"
    checklist = tmp_path / "check5.toml"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    mine, testex, pedro = _sources("--rubric", checklist), _sources("--rubric", "testex"), _sources()
    assert mine["PD304"] == own and mine["PD101"] == own and mine["PD202"] == own
    assert not any("PEDro" in text and text != own for text in mine.values()), mine
    for rule in ("PD701", "PD702", "PD801", "PD802", "PD803", "PD804", "PD805"):
        assert testex[rule] == own, (rule, testex[rule])
    assert not any("PEDRO-NOTES" in text or "pedro.org.au" in text for text in testex.values()), testex
    # TESTEX's concealment citation says which part is pedro's inference, not the paper's
    assert testex["PD304"].startswith("TESTEX criteria 2 and 3 (Smart et al. 2015)")
    assert "pedro's reading" in testex["PD304"] and "presupposes a specified randomisation\"" not in testex["PD304"]
    assert pedro["PD304"].startswith("PEDro item 3 note") and pedro["PD701"].endswith("(PEDRO-NOTES 1.4)")


# --- `pedro plot`

@pytest.fixture
def testex_audited(tmp_path):
    rows = [list(r) for r in POINTS]
    rows[1][6], rows[1][13] = 0, 8  # Trial A: none of criterion 6's 3 points
    output = tmp_path / "points.audited.xlsx"
    write_audited(score_file(write_xlsx(tmp_path / "points.xlsx", rows), rubric="testex"), output)
    return output


def _texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(lambda o: hasattr(o, "get_text"))]


def test_plot_reads_the_rubric_an_audited_workbook_records(tmp_path, testex_audited):
    from pedro.plot import scored_input, traffic_light

    result = scored_input(testex_audited)
    assert result.rubric.name == "testex" and result.scores["total"].tolist() == [8, 7, 13]
    texts = _texts(traffic_light(result))
    assert any(t.startswith("TESTEX ratings") for t in texts) and "  8/15  " in texts
    # TESTEX scores every criterion: no "(* not scored)" with nothing marked, no "band (none)" heading
    assert "TESTEX criterion" in texts and not any("not scored" in t or "band (none)" in t for t in texts)
    drawn = run("plot", testex_audited, "-o", tmp_path / "tl.png")
    assert drawn.exit_code == 0 and (tmp_path / "tl.png").stat().st_size > 0, drawn.output
    refused = run("plot", testex_audited, "--rubric", "pedro", "-o", tmp_path / "x.png")
    assert refused.exit_code == 2 and "scored with rubric 'testex'" in refused.output, refused.output


def test_plot_of_pedro_still_marks_item_1_not_scored(tmp_path):
    from pedro.plot import traffic_light

    rows = [["Study", *map(str, range(1, 12))], ["A", *["Y"] * 11]]
    texts = _texts(traffic_light(score_file(write_xlsx(tmp_path / "p.xlsx", rows))))
    assert "PEDro item (* not scored)" in texts and "1*" in texts


def test_traffic_light_tells_0_of_3_from_3_of_3(testex_audited):
    """The dot of a criterion's points is coloured as No when it has none of them, as Yes when all."""
    from matplotlib.colors import to_hex

    from pedro.plot import ANSWER_COLOURS, scored_input, traffic_light

    figure = traffic_light(scored_input(testex_audited))
    axes = figure.axes[0]
    colour_at = {}
    for collection in axes.collections:
        for (x, y), face in zip(collection.get_offsets(), collection.get_facecolors()):
            colour_at.setdefault((round(float(x)), round(float(y))), to_hex(face))
    column = list(range(1, 13)).index(6)
    assert colour_at[(column, 0)] == ANSWER_COLOURS["N"]  # Trial A 0/3
    assert colour_at[(column, 1)] == ANSWER_COLOURS["Y"]  # Trial B 3/3
    assert colour_at[(column, 2)] == "#ffffff"  # Trial C 1/3
    assert {"0/3", "3/3", "1/3"} <= set(_texts(figure))


def test_summary_footnote_does_not_overlap_its_legend(testex_audited):
    from pedro.plot import scored_input, summary

    figure = summary(scored_input(testex_audited))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    legend = axes.get_legend().get_window_extent(renderer)
    note = next(t for t in axes.texts if t.get_text().startswith("A criterion worth several points"))
    box = note.get_window_extent(renderer)
    assert box.y1 < legend.y0, (box, legend)  # below it, not across it


def test_an_earlier_version_of_a_shipped_rubric_is_still_that_rubric():
    """A workbook scored with testex.toml before its wording changed (the SHA-256 it lists as earlier) is
    checked against the shipped file; any other SHA-256 under that name is a file of the user's own."""
    from pedro.audit.verify import recorded_rubric
    from pedro.audit.workbook import Key
    from pedro.errors import InputError

    testex = load_rubric("testex")
    for sha in (testex.sha256, *testex.earlier_sha256):
        assert recorded_rubric({Key.RUBRIC: "testex", Key.RUBRIC_SHA256: sha}, None, "t.xlsx").name == "testex"
    with pytest.raises(InputError, match="scored with a rubric named 'testex' that is not the one pedro ships"):
        recorded_rubric({Key.RUBRIC: "testex", Key.RUBRIC_SHA256: "0" * 64}, None, "t.xlsx")
    assert recorded_rubric({Key.RUBRIC: "testex", Key.RUBRIC_SHA256: "0" * 64}, "testex", "t.xlsx") == testex


# --- `pedro audit` recomputes the subtotals


def test_audit_names_a_stale_subtotal(tmp_path, testex_audited):
    """Criterion 6 of Trial B changed from 3 to 2 after scoring: the Scores sheet's reporting subtotal is
    stale as well as its total; and a subtotal cell edited on its own is found too."""
    import json

    import openpyxl

    book = openpyxl.load_workbook(testex_audited)
    sheet = book.worksheets[0]
    assert sheet["G3"].value == 3
    sheet["G3"] = 2
    scores = book["Scores"]
    header = [c.value for c in scores[1]]
    quality = header.index("Subtotal: Study quality (/5)") + 1
    reporting = header.index("Subtotal: Study reporting (/10)") + 1
    scores.cell(row=4, column=quality, value=4)  # Trial C: 5 recorded, edited to 4
    book.save(tmp_path / "tampered.xlsx")
    audited = run("audit", tmp_path / "tampered.xlsx", "--json")
    assert audited.exit_code == 1, audited.output
    found = json.loads(audited.output)["discrepancies"]
    letter = openpyxl.utils.get_column_letter
    assert f"Trial B: Scores!{letter(reporting)}3 (Subtotal: Study reporting (/10)) expected 4, found 5" in found, found
    assert f"Trial C: Scores!{letter(quality)}4 (Subtotal: Study quality (/5)) expected 5, found 4" in found, found
    clean = json.loads(run("audit", testex_audited, "--json").output)
    assert clean["ok"] and not clean["discrepancies"], clean


# --- the Summary sheet of a TESTEX workbook


def test_summary_of_a_testex_workbook(tmp_path):
    """Subtotals beside the total, the missing band said once and whole, a legend for the points, and a
    criterion's points that are not valid marked, not shown as a score."""
    import openpyxl

    rows = [list(r) for r in POINTS]
    rows[1][6] = 4  # Trial A: 4 points on criterion 6, worth 3
    rows[3][3] = "Yy"  # Trial C: an unreadable yes/no answer, shown as typed: the "!" is for points
    output = tmp_path / "points.audited.xlsx"
    write_audited(score_file(write_xlsx(tmp_path / "points.xlsx", rows), rubric="testex"), output)
    sheet = openpyxl.load_workbook(output)["Summary"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    text = [v for row in values for v in row if isinstance(v, str)]
    assert [t for t in text if "band" in t.lower() and t != "Band"] == [
        "No band set: totals are not classed into quality bands.", "no band (TESTEX has no validated quality bands)"]
    assert values[4][:2] == ["no band (TESTEX has no validated quality bands)", 3]
    assert sheet.column_dimensions["A"].width >= len(values[4][0])  # not cut off by the count beside it
    assert any(t.startswith("Points (criteria 6: 0-3, 8: 0-2): all of them coloured as Y") and
               "!x = not a valid number" in t for t in text)
    header = next(row for row in values if row[0] == "Study")
    assert header[13:17] == ["Total", "Study quality (/5)", "Study reporting (/10)", "Band"]
    trials = {row[0]: row for row in values[values.index(header) + 1:] if row[0]}
    assert trials["Trial A"][6] == "!4" and trials["Trial A"][13] is None  # unknown total, not 4 points
    assert trials["Trial A"][14:16] == [3, None]
    assert trials["Trial B"][6] == "3" and trials["Trial B"][13:16] == [7, 2, 5]
    assert trials["Trial C"][3] == "Yy"
    # the yes/no criteria coloured as answers, each criterion worth points by its points
    # (tests/test_testex_colours.py checks the colours)
    first = values.index(header) + 2
    ranges = sorted(str(r.sqref) for r in sheet.conditional_formatting)
    assert ranges == [f"{c}{first}:{d}{first + 2}" for c, d in ("BF", "GG", "HH", "II", "JM")], ranges


def test_template_speaks_of_criteria_and_gives_the_range_once(tmp_path):
    import openpyxl

    written = run("template", "--rubric", "testex", tmp_path / "t.xlsx")
    assert written.exit_code == 0, written.output
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    header = book.worksheets[0][1]
    assert header[1].comment.text.startswith("Criterion 1: Eligibility criteria were specified.")
    text = [v for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
            if isinstance(v, str)]
    assert any("The total is the sum of the points of criteria 1-12 (0-15)." in t for t in text)
    assert not any("(15 points) (0-15)" in t or t.startswith("Item ") for t in text)
    pedro = tmp_path / "p.xlsx"
    run("template", pedro)
    notes = [c.comment.text for c in openpyxl.load_workbook(pedro).worksheets[0][1] if c.comment]
    assert notes[0].startswith("Item 1 (not scored):") and notes[1].startswith("Item 2:")
