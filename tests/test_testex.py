"""TESTEX (issue 16, point 1): a 15-point scale over 12 criteria, two of them worth several points, read
as one column of points or one column per point, with study-quality and reporting subtotals and no band
set (TESTEX has no validated quality bands).

The published table is tests/data/published/testex/openheart_pmc6307588_table2.csv (see SOURCES.md
there); every other sheet here is CONSTRUCTED for the test and says so."""

from __future__ import annotations

import csv
import json
import re

import openpyxl
import pytest
from click.testing import CliRunner

from pedro.cli import main
from pedro.engine import score_file
from pedro.errors import SheetError
from pedro.rubric import load_rubric
from pedro.write.audited import write_audited

from conftest import REPO, write_csv, write_xlsx

PUBLISHED = REPO / "tests" / "data" / "published" / "testex" / "openheart_pmc6307588_table2.csv"


def _printed_rows():
    """The published table's trial rows: label, the twelve criteria's points, the printed total."""
    with PUBLISHED.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    return [(row[0], [int(v) for v in row[1:13]], int(row[13])) for row in rows if row[13]]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_testex_rubric():
    rubric = load_rubric("testex")
    assert rubric.max_total == 15 and rubric.item_numbers == tuple(range(1, 13))
    assert rubric.scored_items == tuple(range(1, 13))  # unlike PEDro, criterion 1 counts
    assert {n: rubric.item(n).points for n in rubric.item_numbers if rubric.item(n).points > 1} == {6: 3, 8: 2}
    assert [p.code for p in rubric.item(6).parts] == ["6a", "6b", "6c"]
    assert [p.code for p in rubric.item(8).parts] == ["8a", "8b"]
    assert {s.name: (s.items, sum(rubric.points_of[i] for i in s.items)) for s in rubric.subtotals} == {
        "study_quality": ((1, 2, 3, 4, 5), 5), "reporting": ((6, 7, 8, 9, 10, 11, 12), 10)}
    assert rubric.band_sets == {} and rubric.band_set(None).describe() == (
        "no band (TESTEX has no validated quality bands)")
    assert "doi:10.1097/XEB.0000000000000020" in rubric.source


def test_published_table_every_total_and_subtotal():
    """Each printed total of the published table against pedro's, and each subtotal against the sum of
    the printed criteria 1-5 and 6-12."""
    from pedro.scoring import subtotal_scores

    result = score_file(PUBLISHED, rubric="testex")
    printed = _printed_rows()
    studies = result.sheet.studies
    assert studies["study"].tolist() == [label for label, _, _ in printed]
    assert result.scores["total"].tolist() == [total for _, _, total in printed]
    assert [sum(points) for _, points, _ in printed] == [total for _, _, total in printed]
    subtotals = subtotal_scores(result.sheet.answers, result.rubric, len(studies))
    assert subtotals["study_quality"].tolist() == [sum(points[:5]) for _, points, _ in printed]
    assert subtotals["reporting"].tolist() == [sum(points[5:]) for _, points, _ in printed]
    # criterion 6 and 8 read as their points; the printed 'Total' row is a summary, not a trial
    answers = result.sheet.wide("answer")
    assert answers[6].tolist() == [str(points[5]) for _, points, _ in printed]
    assert answers[8].tolist() == ["2"] * len(printed)
    assert set(result.findings["rule"]) == {"PD802"}
    assert result.sheet.skipped[0][0] == 11
    assert result.scores["band"].isna().all()


def test_published_table_with_a_wrong_printed_total(tmp_path):
    """CONSTRUCTED from the published table: Luo's printed 13 changed to 12."""
    rows = list(csv.reader(PUBLISHED.open(encoding="utf-8")))
    assert rows[2][0] == "Luo 2" and rows[2][13] == "13"
    rows[2][13] = "12"
    result = score_file(write_csv(tmp_path / "wrong.csv", rows), rubric="testex")
    wrong = result.findings[result.findings["rule"] == "PD202"]
    assert wrong["study"].tolist() == ["Luo 2"] and wrong["cell"].tolist() == ["N3"]
    assert wrong["message"].iloc[0] == ("N3: reported total 12 differs from the sum of criteria 1-12 (15 points) "
                                        "(13)")
    report = json.loads(run("score", tmp_path / "wrong.csv", "--rubric", "testex", "--dry-run", "--json").output)
    luo = report["studies"][1]
    assert (luo["total"], luo["reported_total"], luo["total_difference"]) == (13, 12, -1)


# CONSTRUCTED: three trials rated by parts (the per-point answers are made up), and the same ratings as
# one column of points.  Trial B gives its parts as 1/0, as reviews often do.
PARTS = [["Study", "1", "2", "3", "4", "5", "6a Adherence >85%", "6b Adverse events reported",
          "6c Exercise attendance reported", "7", "8a Primary outcome", "8b Secondary outcomes", "9", "10", "11",
          "12", "TESTEX total (/15)"],
         ["Trial A", "Y", "Y", "N", "Y", "N", "Y", "N", "Y", "Y", "Y", "Y", "Y", "N", "N", "Y", 10],
         ["Trial B", "Y", "N", "N", "Y", "N", 1, 1, 1, "N", 1, 0, "Y", "N", "N", "N", 7],
         ["Trial C", "Y", "Y", "Y", "Y", "Y", "Y", "N", "?", "Y", "Y", "Y", "Y", "Y", "Y", "Y", 13]]
POINTS = [["Study", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "Total"],
          ["Trial A", "Y", "Y", "N", "Y", "N", 2, "Y", 2, "Y", "N", "N", "Y", 10],
          ["Trial B", "Y", "N", "N", "Y", "N", 3, "N", 1, "Y", "N", "N", "N", 7],
          ["Trial C", "Y", "Y", "Y", "Y", "Y", 1, "Y", 2, "Y", "Y", "Y", "Y", 13]]


def test_both_layouts_score_alike(tmp_path):
    by_parts = score_file(write_xlsx(tmp_path / "parts.xlsx", PARTS), rubric="testex")
    by_points = score_file(write_xlsx(tmp_path / "points.xlsx", POINTS), rubric="testex")
    parts = by_parts.sheet.layout.parts
    assert {n: [(code, c.letter) for code, c in columns.items()] for n, columns in parts.items()} == {
        6: [("6a", "G"), ("6b", "H"), ("6c", "I")], 8: [("8a", "K"), ("8b", "L")]}
    assert by_points.sheet.layout.parts == {}
    for result in (by_parts, by_points):
        assert result.scores["total"].tolist() == [10, 7, 13]
        assert result.sheet.wide("answer")[6].tolist() == ["2", "3", "1"]
        assert result.sheet.wide("answer")[8].tolist() == ["2", "1", "2"]
        assert result.findings[result.findings["severity"] != "advisory"].empty


def test_parts_written_back_as_read(tmp_path):
    source = write_xlsx(tmp_path / "parts.xlsx", PARTS)
    result = score_file(source, rubric="testex")
    output = tmp_path / "parts.audited.xlsx"
    write_audited(result, output)
    sheet = openpyxl.load_workbook(output)["Ratings"]
    header = [c.value for c in sheet[1]]
    assert header == PARTS[0]  # one column per part stays one column per part
    assert [c.value for c in sheet[3]][6:9] == [1, 1, 1]  # the parts' 1/0 are kept as typed
    assert [c.value for c in sheet[3]][1:3] == ["Y", "N"]  # a yes/no criterion's answer is canonical
    scores = [[c.value for c in row] for row in openpyxl.load_workbook(output)["Scores"].iter_rows()]
    column = scores[0].index("6 Outcome measures assessed in >85% of patients")
    assert [row[column] for row in scores[1:]] == ["2", "3", "1"]
    quality = scores[0].index("Subtotal: Study quality (/5)")
    reporting = scores[0].index("Subtotal: Study reporting (/10)")
    assert [(row[quality], row[reporting]) for row in scores[1:]] == [(3, 7), (2, 5), (5, 8)]
    audit = run("audit", output)
    assert audit.exit_code == 0 and "verified" in audit.output.splitlines()[0], audit.output


def test_a_bad_part_points_at_its_cell(tmp_path):
    rows = [list(r) for r in PARTS]
    rows[1][7] = "maybe"  # 6b
    rows[2][10] = None  # 8b blank
    result = score_file(write_xlsx(tmp_path / "parts.xlsx", rows), rubric="testex")
    found = result.findings.set_index("rule")
    assert found.loc["PD101", "cell"] == "H2" and found.loc["PD101", "value"] == "maybe"
    assert "(part 6b: adverse events reported, a yes/no point)" in found.loc["PD101", "message"]
    assert found.loc["PD102", "cell"] == "K3"
    assert result.scores["total"].isna().tolist() == [True, True, False]
    # Trial A: 6b unknown, 6a and 6c "Y", so 8 + 2..3; Trial B: 8a blank, 8b 0, so 6 + 0..1 (the parts
    # already known count: user review of issue 16, where 0..3 and 0..2 let an impossible total pass).
    assert result.scores[["min_total", "max_total"]].values.tolist()[:2] == [[10, 11], [6, 7]]


@pytest.mark.parametrize("value, hint", [(4, "worth at most 3 points"), (1.5, "points are whole numbers"),
                                         ("two", "")])
def test_points_out_of_range_are_errors_that_keep_the_value(tmp_path, value, hint):
    rows = [list(r) for r in POINTS]
    rows[1][6] = value
    source = write_xlsx(tmp_path / "points.xlsx", rows)
    result = score_file(source, rubric="testex")
    bad = result.findings[result.findings["rule"] == "PD101"]
    assert bad["cell"].tolist() == ["G2"] and bad["value"].tolist() == [str(value)]
    assert hint in bad["message"].iloc[0]
    assert "a whole number from 0 to 3, or ?" in bad["message"].iloc[0]
    assert result.scores["total"].isna().iloc[0]
    assert result.scores[["min_total", "max_total"]].values.tolist()[0] == [8, 11]
    output = tmp_path / "points.audited.xlsx"
    write_audited(result, output)
    assert openpyxl.load_workbook(output)["Ratings"]["G2"].value == value  # never clamped, never 0


def test_layout_errors_name_the_parts(tmp_path):
    rows = [[c for i, c in enumerate(row) if i != 8] for row in PARTS]  # no 6c
    with pytest.raises(SheetError, match=r"has columns for part\(s\) 6a, 6b of criterion 6 .* none for 6c "
                                         r"\(exercise attendance reported\)"):
        score_file(write_xlsx(tmp_path / "no6c.xlsx", rows), rubric="testex")
    rows = [row + [value] for row, value in zip(PARTS, ["6 Outcome measures", 2, 3, 1])]
    with pytest.raises(SheetError, match="gives the points of criterion 6 .* give its parts; keep one or the other"):
        score_file(write_xlsx(tmp_path / "both.xlsx", rows), rubric="testex")


def test_concealment_rule_runs_by_role_with_the_testex_citation(tmp_path):
    rows = [list(r) for r in POINTS]
    rows[2][3] = "Y"  # Trial B: allocation concealed, randomisation not specified
    rows[2][13] = 8
    result = score_file(write_xlsx(tmp_path / "points.xlsx", rows), rubric="testex")
    found = result.findings[result.findings["rule"] == "PD304"]
    assert found["message"].tolist() == ["D3: criterion 3 (allocation concealed) is 'Y' while criterion 2 "
                                         "(randomisation specified) is 'N'; concealment is defined for a random "
                                         "schedule, so justify or correct it"]
    # PEDro's rules on quasi-random allocation, blinding and follow-up have no TESTEX table: not run.
    assert not set(result.findings["rule"]) & {"PD303", "PD305", "PD401", "PD501", "PD503"}
    rules = run("rules", "--rubric", "testex").output
    assert "source: TESTEX criteria 2 and 3 (Smart et al. 2015)" in rules
    assert "does not apply: rubric testex has no [rules.quasi_random] table" in rules


def test_score_command_end_to_end(tmp_path):
    source = write_xlsx(tmp_path / "points.xlsx", POINTS)
    result = run("score", source, "--rubric", "testex")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "bands: no band (TESTEX has no validated quality bands)" in lines
    assert "totals out of 15 (study quality /5, study reporting /10): 3 of 3 trial(s) with a known total" in lines
    report = json.loads(run("score", source, "--rubric", "testex", "--dry-run", "--json").output)
    assert report["rubric"] == "testex" and report["max_total"] == 15
    assert report["no_band"] == "no band (TESTEX has no validated quality bands)"
    assert [s["subtotals"]["study_quality"]["points"] for s in report["studies"]] == [3, 2, 5]
    assert report["studies"][1]["answers"]["6"] == "3"
    summary = openpyxl.load_workbook(tmp_path / "points.audited.xlsx")["Summary"]
    assert summary["A1"].value.startswith("TESTEX scores of 3 trial(s)")
    assert summary["A5"].value == "no band (TESTEX has no validated quality bands)"


def test_template_and_rubrics_commands(tmp_path):
    output = tmp_path / "testex.xlsx"
    assert run("template", output, "--rubric", "testex").exit_code == 0
    book = openpyxl.load_workbook(output)
    header = [c.value for c in book["Ratings"][1]]
    assert header[:3] == ["Study", "1 Eligibility criteria specified", "1 evidence"]
    assert "6a Adherence >85%" in header and "8b Secondary outcomes" in header
    assert "Randomisation method" not in header and "N allocated" not in header  # PEDro's rules only
    about = [[c.value for c in row] for row in book["About the scale"].iter_rows()]
    assert "the sum of the points of criteria 1-12" in about[2][0]
    assert ["no band (TESTEX has no validated quality bands)"] == [v for v in about[-1] if v]
    # The template, filled in, is read by parts.
    sheet = book["Ratings"]
    for column, value in enumerate(["Trial X"] + ["Y", None] * 5 + ["Y", "N", "Y", None, "Y", None, "Y", "N", None]
                                   + ["Y", None] * 4, start=1):
        sheet.cell(row=2, column=column, value=value)
    book.save(output)
    result = score_file(output, rubric="testex")
    assert result.scores["total"].tolist() == [5 + 2 + 1 + 1 + 4]
    rubrics = run("rubrics").output
    assert "rubric pedro:" in rubrics and "rubric testex:" in rubrics
    assert "source: Smart NA, Waldron M, Ismail H, et al." in rubrics
    assert "bands: no band (TESTEX has no validated quality bands)" in rubrics


def test_compare_two_testex_assessors(tmp_path):
    """Full agreement statistics on points are another helper's work; here: it runs and says nothing wrong."""
    other = [list(r) for r in POINTS]
    other[1][2] = "N"  # Trial A: criterion 2
    other[1][13] = 9
    a = write_xlsx(tmp_path / "a.xlsx", POINTS)
    b = write_xlsx(tmp_path / "b.xlsx", other)
    result = run("compare", a, b, "--rubric", "testex", "-o", tmp_path / "d.xlsx")
    assert result.exit_code in (0, 1), result.output
    assert "1 disagreement(s) on items" in result.output


def test_consensus_accepts_points(tmp_path):
    """Two assessors disagree on criterion 6's points; the consensus gives 3 and the merged sheet scores it."""
    other = [list(r) for r in POINTS]
    other[1][6] = 3
    other[1][13] = 11
    a, b = write_xlsx(tmp_path / "a.xlsx", POINTS), write_xlsx(tmp_path / "b.xlsx", other)
    disagreements = tmp_path / "d.xlsx"
    assert run("compare", a, b, "--rubric", "testex", "-o", disagreements).exit_code == 0
    book = openpyxl.load_workbook(disagreements)
    sheet = book["Disagreements"]
    row = [c.value for c in sheet[2]]
    assert row[:4] == ["Trial A", 6, "Outcome measures assessed in >85% of patients", "2"]
    sheet["H2"] = 4  # the Consensus column: out of range first
    sheet["I2"] = "checked the report"
    book.save(disagreements)
    refused = run("consensus", disagreements, "--rubric", "testex", "-o", tmp_path / "c.xlsx")
    assert refused.exit_code == 2 and "its points, 0 to its maximum); H2 has '4'" in refused.output
    book = openpyxl.load_workbook(disagreements)
    book["Disagreements"]["H2"] = 3
    book.save(disagreements)
    # No --rubric: the disagreement workbook's Provenance names TESTEX, which pedro ships.
    merged = run("consensus", disagreements, "-o", tmp_path / "c.xlsx")
    assert merged.exit_code == 0, merged.output
    result = score_file(tmp_path / "c.xlsx", rubric="testex")
    assert result.sheet.wide("answer")[6].tolist() == ["3", "3", "1"]
    assert result.scores["total"].tolist() == [11, 7, 13]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["traffic-light", "summary", "bands"])
def test_plots_of_a_testex_sheet(tmp_path, kind):
    import pedro.plot as plots

    result = score_file(write_xlsx(tmp_path / "parts.xlsx", PARTS), rubric="testex")
    figure = {"traffic-light": "traffic_light", "summary": "summary", "bands": "band_distribution"}[kind]
    drawn = getattr(plots, figure)(result)
    texts = [t.get_text() for t in drawn.findobj(lambda o: hasattr(o, "get_text"))]
    assert any("TESTEX" in t for t in texts)
    assert not any("PEDro" in t or "/10" in t for t in texts)
    if kind == "traffic-light":
        assert {"2/3", "3/3", "2/2", "1/2", "  10/15  "} <= set(texts)
    if kind == "bands":
        assert "no band (TESTEX has no validated quality bands)" in texts
    assert plots.plot(result, tmp_path / f"{kind}.png", kind).stat().st_size > 0


def test_rules_and_findings_speak_of_criteria(tmp_path):
    """Under TESTEX the rule texts and the findings say "criterion", with TESTEX's numbers and labels; a rule
    TESTEX does not have keeps PEDro's numbers and says so."""
    rules = run("rules", "--rubric", "testex").output
    assert 'Criterion 3 "Y" (allocation concealed) while criterion 2 (randomisation specified) is not "Y".' in rules
    assert "A blank answer: the criterion has not been rated, so the total is not known." in rules
    assert 'it scores 0, as TESTEX requires' in rules
    assert 'A "Y" on a criterion whose evidence column' in rules
    assert "A header whose criterion number and criterion name disagree" in rules
    assert 'Item 8 "Y" although the numbers given show 85% or less of those allocated were followed up. (as PEDro ' \
           'numbers its items)' in rules
    applying = [line for block in rules.split("\nPD")[1:] if "does not apply" not in block
                for line in block.splitlines()[:2]]
    assert not [line for line in applying if re.search(r"\b[Ii]tems?\b|PEDro", line)], applying
    rows = [list(r) for r in POINTS]
    rows[0][2], rows[0][3] = "2 Allocation concealed", "3 Randomisation specified"  # numbers and names disagree
    rows[1][4], rows[1][5] = None, "?"  # Trial A: criterion 4 blank, 5 unclear
    rows[2][10] = "maybe"
    result = score_file(write_xlsx(tmp_path / "words.xlsx", rows), rubric="testex")
    messages = result.findings["message"].tolist()
    assert messages, result.findings
    assert not [m for m in messages if re.search(r"\b[Ii]tems?\b", m)], messages
    by_rule = dict(zip(result.findings["rule"], messages))
    assert "no answer for criterion 4 (groups similar at baseline)" in by_rule["PD102"]
    assert "criterion 5 is answered unclear" in by_rule["PD103"]
    assert "is not a valid answer for criterion 10" in by_rule["PD101"]
    assert "names criterion 2 (Randomisation specified); read as criterion 2; check the columns were not renumbered " \
           "after criterion 1 was dropped" in by_rule["PD801"]
