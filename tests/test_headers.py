"""Header matching and layout detection: columns are found by their label,
never by position.

The first half classifies single header texts with ``HeaderMatcher``; the
second reads real workbooks and CSV files through ``pedro.engine.score_file``.
"""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner

from pedro.cli import main
from pedro.engine import score_file
from pedro.errors import InputError, SheetError
from pedro.rubric import load_rubric, tomllib
from pedro.sheets.layout import HeaderMatcher

from conftest import ITEM_HEADERS, item_sheet, write_csv, write_xlsx

RUBRIC = load_rubric()
MATCHER = HeaderMatcher(RUBRIC)
RAW_RUBRIC = tomllib.loads(open(RUBRIC.path, encoding="utf-8").read())
RAW_ITEMS = {entry["number"]: entry for entry in RAW_RUBRIC["items"]}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _item(header):
    match = MATCHER.classify(header)
    assert match is not None, f"{header!r} is not recognised at all"
    assert match.role == "item", f"{header!r} is read as {match}"
    return match


# ---------------------------------------------------------------------------
# Item headers by number, with or without a word or letter.
# ---------------------------------------------------------------------------

NUMBER_FORMS = ["{n}", "Q{n}", "q{n}", "Q {n}", "Q{n:02d}", "C{n}", "c {n}", "Item {n}", "item{n}", "ITEM  {n}",
                "Criterion {n}", "criterion{n}", "Criteria {n}", "#{n}", "({n})", "{n}.", "{n})", "Q{n}:", "Q.{n}",
                " Item {n} ", "Item #{n}", "{fw}", "Q{fw}", "Item {fw}", "Ｑ{fw}"]


@pytest.mark.parametrize("number", range(1, 12))
@pytest.mark.parametrize("form", NUMBER_FORMS)
def test_numbered_header_is_its_item(form, number):
    header = form.format(n=number, fw=str(number).translate(FULL_WIDTH))
    match = _item(header)
    assert (match.item, match.strong, match.conflict) == (number, True, None), header


@pytest.mark.parametrize("cell_value, number", [(2, 2), (2.0, 2), (11, 11), (1, 1)])
def test_numeric_header_cells_are_items(cell_value, number):
    """A header typed as a bare number is stored by Excel as a number, not text."""
    assert _item(cell_value).item == number


@pytest.mark.parametrize("header", ["Item-2", "Q-2", "item_2", "Q_2"])
def test_numbered_header_with_a_separator_is_its_item(header):
    """'Item-2' and 'item_2' (how R and Stata exports name columns) are item 2."""
    assert _item(header).item == 2


# ---------------------------------------------------------------------------
# Item headers by name: every alias in the rubric, as written there, and the
# ways people vary them.
# ---------------------------------------------------------------------------

RUBRIC_ALIASES = [(alias, number) for number, entry in RAW_ITEMS.items()
                  for alias in [entry["label"], *entry["aliases"]]]


@pytest.mark.parametrize("alias, number", RUBRIC_ALIASES, ids=[f"{n}-{a}" for a, n in RUBRIC_ALIASES])
def test_every_rubric_alias_names_its_item(alias, number):
    assert _item(alias).item == number
    assert _item(alias.upper()).item == number
    assert _item(f"  {alias.title()}  ").item == number


@pytest.mark.parametrize("alias, number", RUBRIC_ALIASES, ids=[f"{n}-{a}" for a, n in RUBRIC_ALIASES])
def test_number_and_rubric_alias_name_the_item(alias, number):
    for header in (f"{number} {alias}", f"Q{number} {alias}", f"{number}. {alias}", f"Item {number}: {alias}"):
        match = _item(header)
        assert (match.item, match.strong, match.conflict) == (number, True, None), header


NAMED = [
    # 1 eligibility
    ("Eligibility", 1), ("Eligibility criteria specified", 1), ("Q1 Eligibility", 1), ("Inclusion criteria", 1),
    # 2 random allocation
    ("Random allocation", 2), ("random allocation", 2), ("RANDOM ALLOCATION", 2), ("Random  allocation", 2),
    ("Random\u00a0allocation", 2), ("random-allocation", 2), ("Random allocation?", 2), ("Randomisation", 2),
    ("Randomization", 2), ("RANDOMIZATION", 2), ("Randomised", 2), ("Randomized", 2),
    ("2 Random allocation", 2), ("2 Randomization", 2), ("2. Randomised", 2), ("2 - Random allocation", 2),
    ("2 (Random allocation)", 2), ("Q2 Randomisation", 2), ("Q2: Randomisation", 2), ("Q2 - Randomization", 2),
    ("Item 2 Random allocation", 2), ("Criterion 2: Random allocation", 2), ("2\nRandom allocation", 2),
    ("２ Random allocation", 2),
    # 3 concealed allocation
    ("Concealed allocation", 3), ("Allocation concealment", 3), ("Allocation concealed", 3),
    ("3 Allocation concealed", 3),
    # 4 baseline
    ("Baseline comparability", 4), ("Baseline similarity", 4), ("Groups similar at baseline", 4),
    ("4 Baseline comparable", 4),
    # 5 subjects blinded
    ("Subjects blinded", 5), ("Blinded subjects", 5), ("Subject blinding", 5), ("Blinding of participants", 5),
    ("Patients blinded", 5), ("5 Blind subjects", 5),
    # 6 therapists blinded
    ("Therapists blinded", 6), ("Blind therapists", 6), ("6 Blind therapist", 6),
    # 7 assessors blinded
    ("Blind assessors", 7), ("Blinded assessors", 7), ("Assessor blinding", 7), ("Blinded outcome assessors", 7),
    ("7 Assessors blinded", 7),
    # 8 follow-up
    ("Adequate follow-up", 8), ("Adequate follow up", 8), ("Adequate Follow-Up", 8), ("adequate followup", 8),
    ("FOLLOW-UP", 8), ("Adequate follow\u2011up", 8), ("Adequate follow\u2013up", 8), ("<15% dropouts", 8),
    ("< 15% dropouts", 8), ("<15 % drop-outs", 8), ("<15% Drop-outs", 8), ("Drop-outs", 8), ("8 <15% dropouts", 8),
    (">85% follow-up", 8), ("Q8 Adequate follow-up", 8),
    # 9 intention to treat
    ("ITT", 9), ("itt", 9), ("ＩＴＴ", 9), ("ITT analysis", 9), ("Intention-to-treat", 9),
    ("Intention to treat analysis", 9), ("Intention-to-Treat Analysis", 9), ("Intent to treat", 9), ("9 ITT", 9),
    ("Intention to treat (ITT)", 9),
    # 10 between-group comparisons
    ("Between-group comparisons", 10), ("Between group comparison", 10), ("Between-group statistical comparisons", 10),
    ("10 Between-group", 10), ("１０ Between-group comparisons", 10),
    # 11 point estimates and variability
    ("Point estimates and variability", 11), ("Point estimates & variability", 11),
    ("Point measures & variability", 11), ("11 Point estimates", 11), ("Criterion 11", 11),
]


@pytest.mark.parametrize("header, number", NAMED)
def test_named_header_is_its_item(header, number):
    match = _item(header)
    assert (match.item, match.strong, match.conflict) == (number, True, None)


def test_number_and_name_that_disagree_are_read_by_the_name_and_reported():
    match = _item("1 Random allocation")
    assert match.item == 2
    assert match.strong
    assert "numbered 1" in match.conflict and "item 2" in match.conflict


def test_number_with_an_unknown_name_is_a_weak_match():
    match = _item("2 something else")
    assert (match.item, match.strong) == (2, False)


# ---------------------------------------------------------------------------
# Other roles and evidence columns.
# ---------------------------------------------------------------------------

ROLE_HEADERS = [
    ("Study", "study"), ("study", "study"), ("STUDY ", "study"), ("Trial", "study"), ("Article", "study"),
    ("Reference", "study"), ("Author(s)", "study"), ("Authors", "study"), ("First author", "study"),
    ("Author, year", "study"), ("Study ID", "study"), ("Citation", "study"), ("Study (year)", "study"),
    ("Total", "total"), ("Score", "total"), ("PEDro score", "total"), ("PEDro Score (0-10)", "total"),
    ("Total score", "total"), ("PEDro total", "total"), ("Total /10", "total"), ("Score /10", "total"),
    ("Quality", "band"), ("Band", "band"), ("Quality rating", "band"), ("Methodological quality", "band"),
    ("Randomisation method", "method"), ("Randomization method", "method"), ("Method of randomisation", "method"),
    ("Sequence generation", "method"), ("Allocation method", "method"),
    ("N allocated", "n_allocated"), ("n randomised", "n_allocated"), ("N randomized", "n_allocated"),
    ("Number allocated", "n_allocated"), ("Randomised (n)", "n_allocated"),
    ("N analysed", "n_analysed"), ("N analyzed", "n_analysed"), ("Number analysed", "n_analysed"),
    ("N completed", "n_analysed"), ("Analysed (n)", "n_analysed"), ("N followed up", "n_analysed"),
]


@pytest.mark.parametrize("header, role", ROLE_HEADERS)
def test_role_header(header, role):
    match = MATCHER.classify(header)
    assert match is not None and (match.role, match.item) == (role, None), match


EVIDENCE_HEADERS = [
    ("2 evidence", 2), ("2 Evidence", 2), ("Item 2 evidence", 2), ("Evidence 2", 2), ("2 quote", 2),
    ("Random allocation quote", 2), ("Randomisation quote", 2), ("Randomization: quote", 2),
    ("2 Random allocation evidence", 2), ("2 justification", 2), ("Quote (item 3)", 3), ("Item 5 notes", 5),
    ("Blind assessors - supporting text", 7), ("Q8 page", 8), ("Q8 pages", 8), ("Page (Q8)", 8),
    ("Adequate follow-up page", 8), ("ITT quote", 9), ("11 evidence", 11),
]


@pytest.mark.parametrize("header, number", EVIDENCE_HEADERS)
def test_evidence_header(header, number):
    match = MATCHER.classify(header)
    assert match is not None and (match.role, match.item) == ("evidence", number), match


# ---------------------------------------------------------------------------
# Headers that must not be read as items.
# ---------------------------------------------------------------------------

NOT_ITEMS = ["2019", 2019, "Notes", "12", 12, "13", "0", "Q0", "Q12", "Item 12", "99", "100", "Country", "Year",
             "Publication year", "N", "Age", "Outcome", "Intervention", "Setting", "Follow-up (months)",
             "Follow-up duration", "Page", "Quote", "Evidence", "Comments", "Item", "Criterion", "Blinding",
             "Random effects", "Design", "", "   ", None, True]


@pytest.mark.parametrize("header", NOT_ITEMS, ids=[repr(h) for h in NOT_ITEMS])
def test_header_that_is_not_an_item(header):
    assert MATCHER.classify(header) is None


# ---------------------------------------------------------------------------
# Layouts through real files.
# ---------------------------------------------------------------------------

def _totals(result) -> dict:
    return dict(zip(result.sheet.studies["study"], result.scores["total"].tolist()))


def _rules(result) -> list[str]:
    return result.findings["rule"].tolist()


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_header_on_row_four_under_titles(tmp_path, kind):
    rows = [["Exercise for ALS: PEDro ratings (Table 2)"], ["Rated by AB, checked by CD, 2024"], [],
            *item_sheet({"Smith 2019": "YYYNNNYYYYY", "Jones 2020": "NNNNNNNNNNN"})]
    path = (write_xlsx if kind == "xlsx" else write_csv)(tmp_path / f"titled.{kind}", rows)
    result = score_file(path)
    assert result.sheet.layout.header_row == 4
    assert result.sheet.studies["row"].tolist() == [5, 6]
    assert _totals(result) == {"Smith 2019": 7, "Jones 2020": 0}
    assert "PD802" not in _rules(result)  # the title rows are above the header, not skipped trials


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_columns_in_any_order(tmp_path, seed):
    headers = ["Trial", "Q1", "Randomisation", "C3", "Item 4", "Subjects blinded", "6 Blind therapists",
               "Blind assessors", "<15% dropouts", "ITT", "10 Between-group comparisons", "Criterion 11",
               "PEDro score", "Randomisation method", "N allocated", "N analysed", "2 evidence", "Country"]
    trials = {"Alpha 2001": ["Y", "Y", "Y", "N", "N", "N", "Y", "Y", "Y", "Y", "Y", 7, "computer", 40, 38,
                             "p3: computer-generated", "AU"],
              "Beta 2002": ["N", "Y", "N", "Y", "N", "N", "N", "N", "N", "Y", "Y", 4, "sealed envelopes", 20, 15,
                            "p2: envelopes", "NZ"]}
    order = list(range(len(headers)))
    random.Random(seed).shuffle(order)
    rows = [[headers[i] for i in order]] + [[([label] + values)[i] for i in order] for label, values in trials.items()]
    result = score_file(write_xlsx(tmp_path / "shuffled.xlsx", rows))

    layout = result.sheet.layout
    by_header = {column.header: number for number, column in layout.items.items()}
    assert by_header == {h: n for n, h in enumerate(headers[1:12], start=1)}
    assert {role: column.header for role, column in layout.roles.items()} == {
        "study": "Trial", "total": "PEDro score", "method": "Randomisation method",
        "n_allocated": "N allocated", "n_analysed": "N analysed"}
    assert {n: column.header for n, column in layout.evidence.items()} == {2: "2 evidence"}
    assert _totals(result) == {"Alpha 2001": 7, "Beta 2002": 4}
    assert result.sheet.studies["n_allocated"].tolist() == [40, 20]
    assert result.sheet.studies["method"].tolist() == ["computer", "sealed envelopes"]
    assert not {"PD201", "PD202", "PD101", "PD102"} & set(_rules(result))


def test_item_one_absent_total_still_defined(tmp_path):
    rows = [["Study", *ITEM_HEADERS[1:], "Total"],
            ["Smith 2019", *"YYNNNYYYYY", 7],
            ["Jones 2020", *"NNNNNNNNNN", 0]]
    result = score_file(write_xlsx(tmp_path / "no-item-1.xlsx", rows))
    assert 1 not in result.sheet.layout.items
    assert _totals(result) == {"Smith 2019": 7, "Jones 2020": 0}
    assert result.scores["unknown"].tolist() == [0, 0]
    assert result.scores["band"].tolist() == ["good", "poor"]
    assert not {"PD102", "PD202"} & set(_rules(result))
    assert result.exit_status == 0


LABELS = ["Müller 2020 ", "  Ødegård et al.", "O'Brien & Søren (2018)", "李 2021", "Smith 2019a\u00a0"]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("study_header", ["", "Name"])
def test_study_column_without_a_known_header_is_the_first_text_column(tmp_path, kind, study_header):
    rows = [["Year", study_header, *ITEM_HEADERS[1:]]]
    rows += [[2018 + i, label, *("Y" * i + "N" * (10 - i))] for i, label in enumerate(LABELS)]
    path = (write_xlsx if kind == "xlsx" else write_csv)(tmp_path / f"unlabelled.{kind}", rows)
    result = score_file(path)
    layout = result.sheet.layout
    assert layout.study_found_by == "first text column"
    assert layout.roles["study"].letter == "B"
    # As written, spaces and all; the Year column completes the one label without a year (row 3: 2019).
    shown = [label + " (2019)" if i == 1 else label for i, label in enumerate(LABELS)]
    assert result.sheet.studies["study"].tolist() == shown
    assert result.scores["total"].tolist() == [0, 1, 2, 3, 4]
    reported = set(result.findings["study"].dropna())
    assert reported <= set(shown)


def test_labels_are_reported_exactly_as_written_with_a_study_header(tmp_path):
    studies = {label: "YYYYYYYYYYY" for label in LABELS}
    result = score_file(write_xlsx(tmp_path / "labels.xlsx", item_sheet(studies)))
    assert result.sheet.studies["study"].tolist() == LABELS
    assert set(result.findings["study"].dropna()) <= set(LABELS)


def _two_sheet_book(tmp_path):
    return write_xlsx(tmp_path / "two-sheets.xlsx",
                      [["About this review"], ["Study", "Year", "Notes"], ["Smith 2019", 2019, "pilot"]],
                      sheet="Read me",
                      extra_sheets={"PEDro": item_sheet({"Smith 2019": "YYYYYNNYYYY"})})


def test_sheet_with_the_items_is_picked_and_named(tmp_path):
    result = score_file(_two_sheet_book(tmp_path))
    assert result.sheet.sheet == "PEDro"
    assert result.sheet_names == ["Read me", "PEDro"]
    assert "'PEDro'" in result.sheet_choice and "Read me" in result.sheet_choice
    assert _totals(result) == {"Smith 2019": 8}


def test_sheet_option_picks_the_sheet(tmp_path):
    result = score_file(_two_sheet_book(tmp_path), sheet="PEDro")
    assert result.sheet.sheet == "PEDro"
    assert "--sheet" in result.sheet_choice


def test_missing_sheet_lists_the_sheets(tmp_path):
    path = _two_sheet_book(tmp_path)
    with pytest.raises(InputError) as raised:
        score_file(path, sheet="Ratings")
    message = str(raised.value)
    assert "'Ratings'" in message and "Read me" in message and "PEDro" in message

    cli = CliRunner().invoke(main, ["score", str(path), "--sheet", "Ratings", "--dry-run"])
    assert cli.exit_code == 2
    assert "Read me, PEDro" in cli.output


def test_sheet_missing_item_eight_names_it_and_the_headers(tmp_path):
    headers = [h for h in ITEM_HEADERS if not h.startswith("8 ")]
    path = write_xlsx(tmp_path / "no-item-8.xlsx", [["Study", *headers], ["Smith 2019", *"YYYYYYYYYY"]])
    with pytest.raises(SheetError) as raised:
        score_file(path)
    message = str(raised.value)
    assert "item 8" in message and "adequate follow-up" in message.lower()
    for header in ("Study", "7 Blind assessors", "9 Intention-to-treat analysis"):
        assert header in message

    cli = CliRunner().invoke(main, ["score", str(path), "--dry-run"])
    assert cli.exit_code == 2
    assert "item 8" in cli.output


def test_duplicate_item_columns_name_both(tmp_path):
    rows = [["Study", *ITEM_HEADERS, "Allocation concealment"], ["Smith 2019", *"YYYYYYYYYYY", "N"]]
    with pytest.raises(SheetError) as raised:
        score_file(write_xlsx(tmp_path / "duplicate.xlsx", rows))
    message = str(raised.value)
    assert "3 Concealed allocation" in message and "Allocation concealment" in message
    assert "D" in message and "M" in message and "item 3" in message


def test_csv_with_semicolons(tmp_path):
    path = tmp_path / "semicolons.csv"
    lines = [";".join(["Study", *ITEM_HEADERS, "Total"]),
             ";".join(["Smith, J. (2019)", *"YYYNNNYYYYY", "7"]),
             ";".join(["Jones, K. (2020)", *"NYNNNNNNNNN", "1"])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = score_file(path)
    assert result.book_kind == "csv"
    assert _totals(result) == {"Smith, J. (2019)": 7, "Jones, K. (2020)": 1}
    assert not {"PD201", "PD202"} & set(_rules(result))


def test_reported_total_out_of_ten(tmp_path):
    rows = item_sheet({"Smith 2019": "YYYNNNYYYYY", "Jones 2020": "YYYNNNYYYYY"}, ["PEDro score"],
                      {"Smith 2019": ["7/10"], "Jones 2020": ["8/10"]})
    result = score_file(write_xlsx(tmp_path / "total.xlsx", rows))
    assert result.sheet.layout.role("total").header == "PEDro score"
    assert _totals(result) == {"Smith 2019": 7, "Jones 2020": 7}
    mismatches = result.findings[result.findings["rule"] == "PD202"]
    assert mismatches["study"].tolist() == ["Jones 2020"]
    assert mismatches["cell"].tolist() == ["M3"]
    assert mismatches["value"].tolist() == ["8/10"]
    assert "PD201" not in _rules(result)


RENUMBERED = ["1 Random allocation", "2 Concealed allocation", "3 Baseline comparability", "4 Blind subjects",
              "5 Blind therapists", "6 Blind assessors", "7 Adequate follow-up", "8 Intention-to-treat analysis",
              "9 Between-group comparisons", "10 Point estimates and variability"]


def test_header_numbered_one_naming_random_allocation(tmp_path):
    rows = [["Study", *RENUMBERED], ["Smith 2019", *"YNNNNNNNNN"]]
    result = score_file(write_xlsx(tmp_path / "renumbered.xlsx", rows))
    layout = result.sheet.layout
    assert {n: c.header for n, c in layout.items.items()} == dict(zip(range(2, 12), RENUMBERED))
    assert _totals(result) == {"Smith 2019": 1}  # the 'Y' under '1 Random allocation' is item 2
    conflicts = result.findings[result.findings["rule"] == "PD801"]
    assert conflicts["cell"].tolist()[0] == "B1"
    assert set(conflicts["severity"]) == {"warning"}
    assert len(conflicts) == 10


def test_header_conflict_quotes_the_header_as_written(tmp_path):
    rows = [["Study", *RENUMBERED], ["Smith 2019", *"YNNNNNNNNN"]]
    result = score_file(write_xlsx(tmp_path / "renumbered.xlsx", rows))
    first = result.findings[(result.findings["rule"] == "PD801") & (result.findings["cell"] == "B1")]
    assert "'1 Random allocation'" in first["message"].iat[0]
