"""Reading TESTEX sheets (issue 16, user review): the attainable range of a criterion read by parts counts
the parts already known, and a points cell with a footnote mark, or written as points out of the
criterion's maximum ('2/3'), is read as a yes/no answer with a mark is.  Every sheet here is CONSTRUCTED
for the test."""

from __future__ import annotations

from pedro.audit.log import FOOTNOTE_RULE
from pedro.engine import score_file

from conftest import write_csv, write_xlsx

PARTS_HEADER = ["Study", "1", "2", "3", "4", "5", "6a Adherence >85%", "6b Adverse events reported",
                "6c Exercise attendance reported", "7", "8a Primary outcome", "8b Secondary outcomes", "9", "10",
                "11", "12", "Total (/15)"]
POINTS_HEADER = ["Study", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "Total"]


def _findings(result, rule):
    found = result.findings[result.findings["rule"] == rule]
    return list(zip(found["cell"], found["message"]))


def test_a_known_part_counts_in_the_range(tmp_path):
    """8a=Y with 8b blank: criterion 8 scores 1 or 2, so the total is 6-7 and the reporting subtotal 4-5;
    a printed total of 5 is then impossible (PD202)."""
    from pedro.scoring import subtotal_scores

    path = write_xlsx(tmp_path / "parts.xlsx", [PARTS_HEADER,
        ["P2 2002", "Y", "N", "N", "Y", "N", "Y", "N", "Y", "N", "Y", "", "Y", "N", "N", "N", 5],
        ["P5 2005", "Y", "N", "N", "Y", "N", "Y", "N", "Y", "N", "Y", "", "Y", "N", "N", "N", 6]])
    result = score_file(path, rubric="testex")
    assert result.scores["min_total"].tolist() == [6, 6] and result.scores["max_total"].tolist() == [7, 7]
    subtotals = subtotal_scores(result.sheet.answers, result.rubric, 2)
    assert subtotals["reporting_min"].tolist() == [4, 4] and subtotals["reporting_max"].tolist() == [5, 5]
    assert [cell for cell, _ in _findings(result, "PD202")] == ["Q2"]


def test_an_invalid_part_leaves_the_known_parts_counted(tmp_path):
    """6a='2' is not a yes/no point, but 6b and 6c are Y: criterion 6 scores 2 or 3, the total 14 or 15."""
    path = write_xlsx(tmp_path / "parts.xlsx", [PARTS_HEADER,
        ["P4 2004", "Y", "Y", "Y", "Y", "Y", 2, "Y", "Y", "Y", "Y", "Y", "Y", "Y", "Y", "Y", 12],
        ["P6 2006", "Y", "Y", "Y", "Y", "Y", 2, "N", "N", "Y", "Y", "Y", "Y", "Y", "Y", "Y", 12]])
    result = score_file(path, rubric="testex")
    assert result.scores["min_total"].tolist() == [14, 12] and result.scores["max_total"].tolist() == [15, 13]
    assert [cell for cell, _ in _findings(result, "PD202")] == ["Q2"]  # 12 is attainable only for P6
    assert [cell for cell, _ in _findings(result, "PD101")] == ["G2", "G3"]


def test_footnote_marks_on_points_are_read_and_logged(tmp_path):
    """'3†' and '2a' are 3 and 2 with a footnote mark, as '1*' is 1 (PD803 and a change-log row each)."""
    path = write_csv(tmp_path / "fn.csv", [POINTS_HEADER,
        ["A 2001", "1*", "1", "1", "1", "1", "3†", "1", "2a", "1", "1", "1", "1", "15"],
        ["B 2002", "1", "1", "1", "1", "1", "3¹", "1", "2b", "1", "1", "1", "1", "14"]])
    result = score_file(path, rubric="testex")
    assert _findings(result, "PD101") == []
    assert result.scores["total"].tolist() == [15, 15]
    assert {cell for cell, _ in _findings(result, FOOTNOTE_RULE)} == {"B2", "G2", "I2", "G3", "I3"}
    answers = result.sheet.answers.set_index(["study_index", "item"])
    assert answers.loc[(0, 6), ["answer", "marker", "rewrite"]].tolist() == ["3", "†", True]
    assert answers.loc[(1, 8), ["answer", "marker", "rewrite"]].tolist() == ["2", "b", True]
    assert [cell for cell, _ in _findings(result, "PD202")] == ["N3"]
    # and the change log has a row for each, as for the yes/no answer '1*'
    import openpyxl

    from pedro.audit.workbook import CHANGE_LOG_SHEET
    from pedro.write.audited import write_audited

    write_audited(result, tmp_path / "fn.audited.xlsx")
    log = list(openpyxl.load_workbook(tmp_path / "fn.audited.xlsx")[CHANGE_LOG_SHEET].iter_rows(values_only=True))
    columns = [str(c).lower() for c in log[0]]
    marked = {(r[columns.index("cell")], r[columns.index("old")], r[columns.index("new")]) for r in log[1:]
              if r[columns.index("rule")] == FOOTNOTE_RULE}
    assert {("G2", "3†", "3"), ("I2", "2a", "2"), ("B2", "1*", "Y"), ("G3", "3¹", "3"), ("I3", "2b", "2")} <= marked


def test_points_out_of_the_criterions_maximum(tmp_path):
    """'2/3' on criterion 6 (worth 3) and '1/2' on criterion 8 (worth 2) are 2 and 1 points, as a total
    'n/15' is; '2/2' on criterion 6 and '3/3' on criterion 8 are not (the maximum is not the criterion's),
    nor is a mark after a number out of range ('4a' on criterion 6)."""
    path = write_csv(tmp_path / "frac.csv", [POINTS_HEADER,
        ["A 2001", "1", "1", "1", "1", "1", "2/3", "1", "1/2", "1", "0", "0", "0", "10"],
        ["B 2002", "1", "1", "1", "1", "1", "2/2", "1", "3/3", "1", "0", "0", "0", ""],
        ["C 2003", "1", "1", "1", "1", "1", "4a", "1", "2", "1", "0", "0", "0", ""]])
    result = score_file(path, rubric="testex")
    answers = result.sheet.wide("answer")
    assert answers[6].tolist() == ["2", None, None] and answers[8].tolist() == ["1", None, "2"]
    assert result.scores["total"].tolist()[0] == 10
    assert sorted(cell for cell, _ in _findings(result, "PD101")) == ["G3", "G4", "I3"]


SUBTOTAL_HEADER = ["Study", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "Study quality (/5)",
                   "Reporting (/10)", "Overall TESTEX (/15)"]
SUBTOTAL_ROWS = [["Good 2001", 1, 1, 1, 1, 1, 3, 1, 2, 1, 1, 1, 1, 5, 10, 15],
                 ["WrongSub 2003", 1, 0, 0, 1, 0, 3, 0, 2, 1, 0, 0, 0, 3, 5, 8],
                 ["Text 2004", 1, 0, 0, 1, 0, 3, 0, 2, 1, 0, 0, 0, "2/5", "six", 8]]


def test_printed_subtotals_are_checked(tmp_path):
    """Issue 16's Done-when: every total and subtotal against the printed ones.  A subtotal that is not the
    sum of its criteria, or not a number from 0 to its maximum, is PD207, cited to the TESTEX paper."""
    result = score_file(write_xlsx(tmp_path / "sub.xlsx", [SUBTOTAL_HEADER, *SUBTOTAL_ROWS]), rubric="testex")
    layout = result.sheet.layout
    assert {name: c.header for name, c in layout.subtotals.items()} == {
        "study_quality": "Study quality (/5)", "reporting": "Reporting (/10)"}
    assert layout.role("total").header == "Overall TESTEX (/15)"
    found = _findings(result, "PD207")
    assert [cell for cell, _ in found] == ["N3", "O3", "O4"]
    assert "study quality subtotal '3' differs from the sum of criteria 1-5 (2)" in found[0][1]
    assert "study reporting subtotal 'six' is not a whole number from 0 to 10" in found[2][1]
    assert set(result.findings[result.findings["rule"] == "PD207"]["severity"]) == {"error"}
    assert _findings(result, "PD206") == []  # the subtotal columns are read, not left as unknown totals


def test_printed_subtotals_in_json_and_scores_sheet(tmp_path):
    import json

    import openpyxl
    from click.testing import CliRunner

    from pedro.cli import main

    source = write_xlsx(tmp_path / "sub.xlsx", [SUBTOTAL_HEADER, *SUBTOTAL_ROWS])
    out = CliRunner().invoke(main, ["score", "--rubric", "testex", "--json", "--dry-run", str(source)])
    report = json.loads(out.output)
    assert [s["reported_subtotals"] for s in report["studies"]] == [
        {"study_quality": 5, "reporting": 10}, {"study_quality": 3, "reporting": 5},
        {"study_quality": 2, "reporting": "six"}]
    assert [s["subtotals"]["study_quality"]["points"] for s in report["studies"]] == [5, 2, 2]
    output = tmp_path / "sub.audited.xlsx"
    assert CliRunner().invoke(main, ["score", "--rubric", "testex", str(source), "-o", str(output)]).exit_code == 1
    rows = [list(r) for r in openpyxl.load_workbook(output)["Scores"].iter_rows(values_only=True)]
    computed, printed = (rows[0].index(f"{kind}: Study quality (/5)") for kind in ("Subtotal", "Reported subtotal"))
    assert printed == computed + 1 and [(r[computed], r[printed]) for r in rows[1:]] == [(5, 5), (2, 3), (2, 2)]
    assert rows[0].count("Reported subtotal: Study reporting (/10)") == 1
    rules = CliRunner().invoke(main, ["rules", "--rubric", "testex"]).output
    assert "PD207" in rules and "Smart et al. 2015" in rules.split("PD207", 1)[1].split("PD2", 1)[0]
    pedro_rules = CliRunner().invoke(main, ["rules"]).output
    assert "does not apply" in pedro_rules.split("PD207", 1)[1].split("PD2", 1)[0]


def test_subtotal_headers_as_reviews_write_them(tmp_path):
    """'Quality subtotal', 'Reporting score (0-10)', 'Study quality', 'Overall reporting (max 10)' name the
    subtotals; 'Quality' alone is not one (it is a band's header), nor is a subtotal out of another maximum."""
    from pedro.rubric import load_rubric
    from pedro.sheets.layout import HeaderMatcher

    matcher = HeaderMatcher(load_rubric("testex"))
    named = {header: (m.subtotal if (m := matcher.classify(header)) is not None else None) for header in [
        "Quality subtotal", "Reporting score (0-10)", "Study quality", "Study reporting", "Overall quality (max 5)",
        "Overall reporting (max 10)", "Reporting (/10)", "Quality", "Quality (/10)", "Total (/15)"]}
    assert named == {"Quality subtotal": "study_quality", "Reporting score (0-10)": "reporting",
                     "Study quality": "study_quality", "Study reporting": "reporting",
                     "Overall quality (max 5)": "study_quality", "Overall reporting (max 10)": "reporting",
                     "Reporting (/10)": "reporting", "Quality": None, "Quality (/10)": None, "Total (/15)": None}
    pedro = HeaderMatcher(load_rubric("pedro"))
    assert pedro.classify("Study quality (/5)") is None or pedro.classify("Study quality (/5)").role != "subtotal"


def test_header_wordings_of_published_tables(tmp_path):
    """The criteria as reviews head them: points after the name, footnote marks and glued footnote letters,
    and the paper's longer wordings."""
    header = ["Study", "Eligibility criteria specifieda", "Randomisation specifiedb", "Allocation concealed¹",
              "Groups similar at baseline*", "Blinding of assessor (for at least one key outcome)",
              "Outcome measures assessed in 85% of participants (3 points)", "Intention-to-treat analysis†",
              "Between-group statistical comparisons reported (/2)",
              "Point measures and measures of variability for all reported outcome measures",
              "Activity monitoring in control groups (0-1)", "Relative exercise intensity remained constant",
              "Exercise volume and energy expenditure", "Overall quality (max 5)", "Overall reporting (max 10)",
              "Total (max 15)"]
    result = score_file(write_csv(tmp_path / "h.csv", [header, ["Smith 2019", "Y", "Y", "N", "Y", "Y", "3", "Y",
                                                                 "2", "Y", "N", "Y", "Y", "4", "9", "13"]]),
                        rubric="testex")
    assert sorted(result.sheet.layout.items) == list(range(1, 13))
    assert result.scores["total"].tolist() == [13] and result.findings.empty


def test_points_qualifier_must_be_the_criterions(tmp_path):
    """'(2 points)' after criterion 6 (worth 3) is not its points: the header is not taken for it."""
    from pedro.rubric import load_rubric
    from pedro.sheets.layout import HeaderMatcher

    matcher = HeaderMatcher(load_rubric("testex"))
    assert matcher.classify("Outcome measures assessed in 85% of patients (3 points)").item == 6
    assert matcher.classify("Outcome measures assessed in 85% of patients (2 points)") is None
    assert matcher.classify("Allocation concealedx") is not None  # a glued letter after an exact name
    assert matcher.classify("Allocation concealedxy") is None
