"""`pedro export` (issue 16, point 3): the table robvis's Generic template reads, checked against
robvis's own example data (tests/data/robvis/, see its README for the source), and a tidy long table
that R and pandas read without options."""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from pedro.audit.chain import KEY_ENV
from pedro.cli import main
from pedro.engine import score_file
from pedro.export import (
    DEFAULT_JUDGEMENTS,
    ROBVIS_JUDGEMENTS,
    answer_points,
    default_overall,
    judgement,
    max_points,
    r_writes_scientific,
)
from pedro.rubric import load_rubric, packaged_rubric_files
from pedro.write.audited import write_audited

from conftest import ALS_EXAMPLE, item_sheet, write_csv, write_xlsx

ROBVIS_EXAMPLE = Path(__file__).parent / "data" / "robvis" / "data_rob1.csv"
# robvis R/rob_traffic_light.R, rob_traffic_light_generic: the last column is weights where every value matches.
ROBVIS_WEIGHT = re.compile(r"^[-]{0,1}[0-9]{0,}.{0,1}[0-9]{1,}$")
# robvis's levels after clean_data (R/helpers.R) and the Generic template's "u"/"m" -> "s".
ROBVIS_LEVELS = {"l", "s", "h", "c", "n", "x"}

# Trials chosen for their judgements: Doe has an unclear answer; Roe an unclear one and a missing one, whose
# attainable range (5-6) spans two bands; Poe a missing one whose range (9-10) stays in one band.
TRIALS = {"Doe 2001": "YY?YNNYYYYY", "Roe 2002": "YY?Y.NYNYNY", "Poe 2003": "YYYYYYYYY.Y",
          "Moe 2004": "NNNNNNNNNNN"}


@pytest.fixture(autouse=True)
def _no_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def robvis_level(value: str) -> str:
    """What robvis makes of a judgement (R/helpers.R clean_data, then the Generic template's u/m -> s)."""
    initials = "".join(word[0] for word in re.findall(r"[^\W\d_]{2,}", value)).lower()
    level = "x" if initials in ("na", "n") or not value else initials[:1]
    return {"u": "s", "m": "s"}.get(level, level)


def make_names(name: str) -> str:
    """R's make.names, as read.csv applies it to headers, then robvis's dots-to-spaces."""
    name = re.sub(r"[^A-Za-z0-9._]", ".", name)
    if not re.match(r"[A-Za-z.]", name) or re.match(r"\.[0-9]", name):
        name = "X" + name
    return name.replace(".", " ")


@pytest.fixture
def als_audited(tmp_path) -> Path:
    return write_audited(score_file(ALS_EXAMPLE), tmp_path / "als.audited.xlsx")


@pytest.fixture
def trials_audited(tmp_path) -> Path:
    source = write_xlsx(tmp_path / "trials.xlsx", item_sheet(TRIALS))
    return write_audited(score_file(source), tmp_path / "trials.audited.xlsx")


def export(path: Path, *args, to="robvis", name="out.csv"):
    output = path.parent / name
    result = run("export", path, "--to", to, "-o", output, *args)
    assert result.exit_code == 0, result.output
    return output, result


# --- the layout robvis reads ------------------------------------------------------------------------


def test_robvis_export_of_the_example_has_the_layout_of_robvis_example_data(als_audited):
    output, result = export(als_audited)
    assert "verified as scored" in result.output
    ours, theirs = read_rows(output), read_rows(ROBVIS_EXAMPLE)
    rubric = load_rubric()
    scored = [rubric.item(n).label for n in rubric.scored_items]
    # Column for column: the study, one column per domain headed by its name, then Overall and Weight.
    for table, domains in ((ours, scored), (theirs, None)):
        header = table[0]
        assert header[0] == "Study" and header[-2:] == ["Overall", "Weight"]
        if domains is not None:
            assert header[1:-2] == domains
        assert all(len(row) == len(header) for row in table)
        # One header row: robvis's check_first_row refuses data whose first row holds these words.
        assert not {"study", "overall", "weight"} & {value.lower() for value in table[1]}
        # Every judgement (domains and Overall) is one robvis knows, read to a level it draws.
        judgements = {value for row in table[1:] for value in row[1:-1]}
        assert judgements <= set(ROBVIS_JUDGEMENTS)
        assert {robvis_level(value) for value in judgements} <= ROBVIS_LEVELS - {"x"}
        # The weights: numbers robvis recognises as weights in every row.
        assert all(ROBVIS_WEIGHT.match(row[-1]) for row in table[1:])
    assert len(ours[0]) == 1 + len(scored) + 2 and len(theirs[0]) == 1 + 7 + 2
    assert [row[0] for row in ours[1:]] == ["Kalron 2021", "Clawson 2017", "van Groenestijn 2019", "Ferri 2019",
                                            "Lunetta 2015", "Zucchi 2019"]
    # Both files read the same way: no byte-order mark, and pandas takes the weights as numbers, as
    # robvis's rob_summary needs (is.numeric on the last column).
    for path in (output, ROBVIS_EXAMPLE):
        assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
        frame = pd.read_csv(path)
        assert frame.columns[0] == "Study" and pd.api.types.is_numeric_dtype(frame["Weight"])
    # The names robvis prints once R's read.csv has made them syntactic: the labels, hyphens as spaces.
    assert [make_names(h) for h in ours[0][1:-2]] == [label.replace("-", " ") for label in scored]


def test_robvis_example_itself_passes_the_checks_this_test_applies():
    """The checks are not blind: robvis's own table uses a vocabulary they accept, a table with a
    numbered header, a blank cell or a weight in exponent form fails them."""
    rows = read_rows(ROBVIS_EXAMPLE)
    assert {robvis_level(v) for row in rows[1:] for v in row[1:-1]} == {"l", "s", "h", "n"}
    # The four judgements pedro writes are exactly the words of robvis's own Generic example.
    assert {v for row in rows[1:] for v in row[1:-1]} == set(ROBVIS_JUDGEMENTS)
    assert make_names("2 Random allocation") == "X2 Random allocation"
    assert robvis_level("") == "x" and robvis_level("No information") == "n" and robvis_level("Unclear") == "s"
    assert not ROBVIS_WEIGHT.match("1e-05") and ROBVIS_WEIGHT.match("0.00001")


# --- values -------------------------------------------------------------------------------------------


def test_every_judgement_follows_from_the_answer(trials_audited):
    output, _ = export(trials_audited)
    table = read_rows(output)
    rubric = load_rubric()
    expected = {"Y": "Low", "N": "High", "?": "Unclear", ".": "No information"}
    for row, answers in zip(table[1:], TRIALS.values()):
        assert row[1:-2] == [expected[answers[n - 1]] for n in rubric.scored_items], row
    by_study = {row[0]: row for row in table[1:]}
    assert by_study["Doe 2001"][2] == "Unclear"  # item 3 (items 2-11 in columns 1-10)
    assert by_study["Roe 2002"][2:5] == ["Unclear", "Low", "No information"]  # items 3-5


def test_overall_follows_the_band(trials_audited):
    table = read_rows(export(trials_audited)[0])
    overall = {row[0]: row[-2] for row in table[1:]}
    # cashin2020: Doe 7 good -> Low; Roe 5-6 spans fair and good -> No information; Poe 9-10 excellent -> Low;
    # Moe 0 poor -> High.
    assert overall == {"Doe 2001": "Low", "Roe 2002": "No information", "Poe 2003": "Low", "Moe 2004": "High"}
    assert default_overall(("poor", "fair", "good", "excellent")) == {
        "poor": "High", "fair": "Unclear", "good": "Low", "excellent": "Low"}
    assert default_overall(("low", "high")) == {"low": "High", "high": "Low"}
    assert default_overall(("poor", "fair", "high")) == {"poor": "High", "fair": "Unclear", "high": "Low"}
    assert default_overall(()) == {} and default_overall(("only",)) == {}
    # Another band set, and a mapping of the user's.
    table = read_rows(export(trials_audited, "--bands", "high-low-6")[0])
    assert [row[-2] for row in table[1:]] == ["Low", "No information", "Low", "High"]
    table = read_rows(export(trials_audited, "--overall", "GOOD=Unclear,excellent=high")[0])
    assert [row[-2] for row in table[1:]] == ["Unclear", "No information", "High", "High"]


def test_overall_uses_the_band_set_recorded_at_scoring(tmp_path):
    source = write_xlsx(tmp_path / "trials.xlsx", item_sheet(TRIALS))
    audited = write_audited(score_file(source, bands="three-level"), tmp_path / "three.audited.xlsx")
    table = read_rows(export(audited)[0])
    # three-level: Doe 7 high -> Low; Roe 5-6 spans fair and high; Poe high; Moe poor.
    assert [row[-2] for row in table[1:]] == ["Low", "No information", "Low", "High"]


def test_mapping_options_change_the_output(trials_audited):
    table = read_rows(export(trials_audited, "--judgements", "?=High, missing=unclear,n=no INFORMATION")[0])
    by_study = {row[0]: row for row in table[1:]}
    assert by_study["Doe 2001"][2] == "High"
    assert by_study["Roe 2002"][4] == "Unclear"
    assert by_study["Roe 2002"][-2] == "Unclear"  # no band: the trial's "missing" judgement
    assert by_study["Moe 2004"][1:-2] == ["No information"] * 10
    table = read_rows(export(trials_audited, "--all-items")[0])
    assert table[0][:2] == ["Study", "Eligibility criteria"] and table[0][-3:] == [
        "Point estimates and variability", "Overall", "Weight"]
    assert len(table[0]) == 1 + 11 + 2


def test_weights_from_a_column_of_the_item_sheet(tmp_path):
    rows = item_sheet(TRIALS, extra_header=["Sample size"],
                      extra={"Doe 2001": [40], "Roe 2002": ["12.5"], "Poe 2003": [0.00001], "Moe 2004": [7]})
    source = write_xlsx(tmp_path / "weighted.xlsx", rows)
    table = read_rows(export(source, "--weight", "sample size")[0])
    assert [row[-1] for row in table[1:]] == ["40", "12.5", "0.00001", "7"]
    rows[2][-1] = None
    write_xlsx(source, rows)
    result = run("export", source, "--to", "robvis", "--weight", "Sample size", "-o", tmp_path / "w.csv")
    assert result.exit_code == 2 and "cell M3" in result.output and "robvis needs a weight" in result.output
    assert not (tmp_path / "w.csv").exists()


# R 4.2.2's as.character of each number, as printed by
# Rscript -e 'x <- c(...); cat(paste(x, as.character(x)), sep = "\n")' (Debian r-base-core 4.2.2).
R_AS_CHARACTER = {0.00001: "1e-05", 0.0001: "1e-04", 0.001: "0.001", 100000: "1e+05", 123456: "123456",
                  0.00012: "0.00012", 10000: "10000", 1: "1", 0.5: "0.5", 200000: "2e+05", 250000: "250000",
                  1e15: "1e+15", 0.000123: "0.000123", 0.0012345678: "0.0012345678", 1234567.5: "1234567.5",
                  3e-7: "3e-07", 99999: "99999"}


@pytest.mark.parametrize(("number", "shown"), R_AS_CHARACTER.items())
def test_which_weights_r_writes_in_scientific_notation(number, shown):
    assert r_writes_scientific(number) == ("e" in shown)


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (Debian: apt-get install r-base-core)")
def test_which_weights_r_writes_in_scientific_notation_asked_of_r_itself():
    numbers = [0.00001, 0.001, 0.00099, 100000, 110000, 123456, 1e6, 2.5e-4, 0.000250001, 5e5, 7, 0.07, 1e-3 / 3]
    listing = ",".join(repr(float(n)) for n in numbers)
    shown = subprocess.run(["Rscript", "-e", f"cat(as.character(c({listing})), sep='\\n')"], capture_output=True,
                           text=True, check=True).stdout.split()
    assert [r_writes_scientific(n) for n in numbers] == ["e" in text for text in shown]


def test_a_weight_robvis_would_stop_on_is_named(tmp_path):
    """Drawn in R 4.2 with robvis from GitHub (issue 16): a Weight column holding 0.00001 reads back as
    "1e-05", robvis's rob_traffic_light's check of the column fails and the figure stops; the table is still
    written (rob_summary draws it), with a note that says what to do."""
    rows = item_sheet(TRIALS, extra_header=["n"],
                      extra={"Doe 2001": [40], "Roe 2002": [100000], "Poe 2003": [0.00001], "Moe 2004": [7]})
    source = write_xlsx(tmp_path / "weighted.xlsx", rows)
    output, result = export(source, "--weight", "n")
    assert "note: 2 weight(s), the first 100000 (Roe 2002), are ones R writes in scientific notation" in result.output
    assert "multiplying all of them by one factor" in result.output
    assert [row[-1] for row in read_rows(output)[1:]] == ["40", "100000", "0.00001", "7"]
    rows = item_sheet(TRIALS, extra_header=["n"], extra={t: [w] for t, w in zip(TRIALS, (40, 99999, 0.001, 7))})
    assert "scientific" not in export(write_xlsx(tmp_path / "fine.xlsx", rows), "--weight", "n")[1].output


def test_labels_shared_or_blank_are_told_apart(tmp_path):
    rows = item_sheet({"Same 2001": "YYYYYYYYYYY", "Other 2002": "NNNNNNNNNNN"})
    rows.append(["Same 2001", *"YNYNYNYNYNY"])
    rows.append([None, *"YYNNYYNNYYN"])
    rows.append([2019.0, *"YYNNYYNNYYN"])
    table = read_rows(export(write_xlsx(tmp_path / "dup.xlsx", rows))[0])
    assert [row[0] for row in table[1:]] == ["Same 2001 (row 2)", "Other 2002", "Same 2001 (row 4)",
                                             "(no label, row 5)", "2019"]


def test_several_point_criteria_are_judged_by_their_points():
    item = replace(load_rubric().item(8), points=3)
    assert max_points(item) == 3 and answer_points(item, "2") == 2 and answer_points(item, "Y") == 3
    assert [judgement(item, a, DEFAULT_JUDGEMENTS) for a in ("0", "1", "3", None, "?")] == [
        "High", "Unclear", "Low", "No information", "Unclear"]
    unscored = load_rubric().item(1)
    assert max_points(unscored) == 0 and answer_points(unscored, "Y") == 0 and answer_points(unscored, None) is None


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (["--judgements", "Y=Great"], "'Great' is not a judgement robvis's Generic template draws; use Low, Unclear, "
                                  "High or No information"),
    (["--judgements", "maybe=Low"], "'maybe' is not something to map"),
    (["--judgements", "YLow"], "has no key="),
    (["--judgements", ","], "--judgements is empty"),
    (["--overall", "superb=Low"], "band 'superb', which band set 'cashin2020' does not have"),
    (["--weight", "nowhere"], "no column 'nowhere' for --weight"),
    (["--bands", "nonesuch"], "unknown band set 'nonesuch'"),
])
def test_bad_options_are_one_sentence_and_exit_2(trials_audited, args, words):
    result = run("export", trials_audited, "--to", "robvis", "-o", trials_audited.parent / "x.csv", *args)
    assert result.exit_code == 2, result.output
    assert words in result.output and result.output.startswith("pedro: ")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not (trials_audited.parent / "x.csv").exists()


def test_robvis_options_with_the_tidy_table_and_unknown_formats_are_refused(trials_audited):
    result = run("export", trials_audited, "--to", "csv", "--judgements", "Y=Low")
    assert result.exit_code == 2 and "shape the robvis table only" in result.output
    result = run("export", trials_audited, "--to", "robvis", "--assessor", "Ana")
    assert result.exit_code == 2 and "with --to csv only" in result.output
    result = run("export", trials_audited, "--to", "xml")
    assert result.exit_code == 2 and result.output == "pedro: cannot export to 'xml'; choose one of robvis, csv\n"


def test_export_never_writes_over_the_input(trials_audited):
    result = run("export", trials_audited, "--to", "csv", "-o", trials_audited)
    assert result.exit_code == 2 and "refusing to write over the input" in result.output


# --- a tampered audited workbook ----------------------------------------------------------------------


def test_a_tampered_workbook_is_refused_unless_exported_unverified(trials_audited):
    workbook = openpyxl.load_workbook(trials_audited)
    workbook["Ratings"]["B5"] = "Y"  # Moe 2004, item 1: was N
    workbook["Ratings"]["C5"] = "Y"  # item 2: was N, so Moe's total is 1 now
    workbook.save(trials_audited)
    output = trials_audited.parent / "rob.csv"
    result = run("export", trials_audited, "--to", "robvis", "-o", output)
    assert result.exit_code == 2 and "does not verify as scored" in result.output and "--unverified" in result.output
    assert "Ratings!B5 edited after scoring" in result.output and re.search(r"; and \d+ more\)", result.output)
    assert not output.exists()
    result = run("export", trials_audited, "--to", "robvis", "-o", output, "--unverified")
    assert result.exit_code == 0 and "NOT verified" in result.output
    assert read_rows(output)[4][1] == "Low"  # the cells as they are now


def test_a_workbook_whose_scores_were_edited_in_the_package_is_refused(trials_audited):
    """Edited in the .xlsx package itself, as a hand-edit outside Excel would: the Scores sheet's total of
    the first trial."""
    with zipfile.ZipFile(trials_audited) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    workbook = openpyxl.load_workbook(trials_audited)
    scores = workbook.sheetnames.index("Scores") + 1
    part = f"xl/worksheets/sheet{scores}.xml"
    total_column = [c.value for c in workbook["Scores"][1]].index("Total")
    cell = f"{openpyxl.utils.get_column_letter(total_column + 1)}2"
    edited = re.sub(rf'(<c r="{cell}"[^>]*>\s*<v>)7(</v>)', r"\g<1>9\g<2>", parts[part].decode("utf-8"))
    assert edited != parts[part].decode("utf-8")
    parts[part] = edited.encode("utf-8")
    with zipfile.ZipFile(trials_audited, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    result = run("export", trials_audited, "--to", "csv", "-o", trials_audited.parent / "t.csv")
    assert result.exit_code == 2 and "does not verify as scored" in result.output


def test_the_input_is_not_modified(trials_audited):
    before = hashlib.sha256(trials_audited.read_bytes()).hexdigest()
    export(trials_audited)
    export(trials_audited, to="csv", name="tidy.csv")
    assert hashlib.sha256(trials_audited.read_bytes()).hexdigest() == before


def test_default_output_sits_beside_the_input(trials_audited):
    result = run("export", trials_audited, "--to", "robvis")
    assert result.exit_code == 0, result.output
    assert (trials_audited.parent / "trials.audited.robvis.csv").is_file()
    assert run("export", trials_audited, "--to", "csv").exit_code == 0
    assert (trials_audited.parent / "trials.audited.tidy.csv").is_file()


# --- the tidy table ---------------------------------------------------------------------------------


def test_pandas_reads_the_tidy_table_back_to_pedros_totals(trials_audited):
    output, _ = export(trials_audited, to="csv", name="tidy.csv")
    tidy = pd.read_csv(output)
    rubric = load_rubric()
    assert list(tidy.columns) == ["study", "item", "label", "answer", "points", "max_points", "assessor",
                                  "scored_by", "cell"]
    assert len(tidy) == len(TRIALS) * len(rubric.items)
    assert pd.api.types.is_numeric_dtype(tidy["points"]) and pd.api.types.is_integer_dtype(tidy["item"])
    scores = score_file(trials_audited).scores
    by_study = tidy.groupby("study", sort=False)
    # Points recomputed from the tidy table: the lowest total attainable, and the total where nothing is missing.
    assert by_study["points"].sum().tolist() == scores["min_total"].tolist() == [7, 5, 9, 0]
    complete = by_study["points"].apply(lambda p: p.notna().all())
    assert by_study["points"].sum()[complete].tolist() == scores["total"].dropna().astype(int).tolist()
    assert (by_study["max_points"].sum() == rubric.max_total).all()
    # The highest: the missing answers scored as met.
    highest = (tidy["points"].fillna(tidy["max_points"])).groupby(tidy["study"], sort=False).sum()
    assert highest.tolist() == scores["max_total"].tolist()
    doe = tidy[tidy["study"] == "Doe 2001"].set_index("item")
    assert doe.at[3, "answer"] == "?" and doe.at[3, "points"] == 0 and doe.at[3, "cell"] == "D2"
    roe = tidy[tidy["study"] == "Roe 2002"].set_index("item")
    assert pd.isna(roe.at[5, "answer"]) and pd.isna(roe.at[5, "points"])
    assert (tidy.loc[tidy["item"] == 1, "max_points"] == 0).all()  # PEDro's item 1 adds nothing
    # No assessor named in the workbook: NA, and who ran `pedro score` in a column of its own.
    assert tidy["assessor"].isna().all()
    assert set(tidy["scored_by"]) == {score_file(trials_audited).previous_provenance["user"]}


def test_tidy_table_of_a_plain_item_sheet_names_the_assessor_given(tmp_path):
    source = write_xlsx(tmp_path / "plain.xlsx", item_sheet(TRIALS))
    output, result = export(source, "--assessor", "Ana Núñez", to="csv", name="tidy.csv")
    assert "nothing to verify" in result.output
    raw = output.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and "Ana Núñez".encode() in raw
    tidy = pd.read_csv(output)
    assert set(tidy["assessor"]) == {"Ana Núñez"} and tidy["scored_by"].isna().all()  # scored on the fly
    output, _ = export(source, to="csv", name="anonymous.csv")
    assert pd.read_csv(output)["assessor"].isna().all()  # nothing recorded: NA, not a guess


@pytest.mark.skipif("testex" not in packaged_rubric_files(), reason="the TESTEX rubric is not installed")
def test_testex_criteria_worth_several_points_export_by_their_points(tmp_path):
    """TESTEX (rubrics/testex.toml): criteria 6 and 8 are worth 3 and 2 points, and there is no band set,
    so every Overall is "No information" (the rule stated in pedro.export)."""
    # Four trials of the TESTEX table of a published review (Open Heart 2018, PMC6307588, Table 2), as
    # the published test data of rubrics/testex.toml has them: points per criterion, criteria 6 and 8 as 0-3, 0-2.
    source = write_csv(tmp_path / "testex.csv", [
        ["Study", "Eligibility criteria specified", "Randomisation details specified", "Allocation concealed",
         "Groups similar at baseline", "Assessors blinded", "Outcomes measures assessed >85% participants",
         "Intention to treat analysis", "Reporting between-group statistical comparison",
         "Point measures and measures of variability", "Activity monitoring in control group",
         "Relative exercise intensity constant", "Exercise volume and energy expenditure", "Overall TESTEX (/15)"],
        ["Hegbom 25", 1, 0, 0, 1, 0, 3, 0, 2, 1, 0, 0, 0, 8],
        ["Luo 2", 1, 1, 1, 0, 1, 3, 1, 2, 1, 1, 0, 1, 13],
        ["Malmo 26", 1, 0, 0, 0, 1, 2, 0, 2, 1, 1, 1, 1, 10],
        ["Osbak 27", 1, 1, 1, 1, 1, 2, 1, 2, 1, 0, 1, 0, 12]])
    output, result = export(source, "--rubric", "testex")
    table = read_rows(output)
    # Said on the terminal, not only in the README: no bands, so no Overall.
    assert 'note: rubric testex has no quality bands' in result.output
    assert 'every trial\'s Overall is "No information"' in result.output
    rubric = load_rubric("testex")
    assert table[0] == ["Study", *[item.label for item in rubric.items], "Overall", "Weight"]
    malmo = next(row for row in table if row[0] == "Malmo 26")
    assert malmo[6] == "Unclear" and malmo[8] == "Low"  # criterion 6: 2 of 3; criterion 8: 2 of 2
    assert {row[-2] for row in table[1:]} == {"No information"}
    tidy = pd.read_csv(export(source, "--rubric", "testex", to="csv", name="tidy.csv")[0])
    scores = score_file(source, rubric="testex").scores
    assert tidy.groupby("study", sort=False)["points"].sum().tolist() == scores["min_total"].tolist() == [
        8, 13, 10, 12]
    assert (tidy.groupby("study")["max_points"].sum() == 15).all()


def test_weights_of_a_transposed_sheet_and_a_weight_not_a_number(tmp_path):
    """Items as rows, trials as columns: the weight is read from the trial's own column, and a weight that is
    not a plain number ("1,5" could be 1.5 or 15) is refused naming its cell."""
    rows = item_sheet(TRIALS, extra_header=["n"],
                      extra={"Doe 2001": [40], "Roe 2002": [12], "Poe 2003": [3], "Moe 2004": [7]})
    columns = [list(column) for column in zip(*rows)]
    source = write_xlsx(tmp_path / "transposed.xlsx", columns)
    assert score_file(source).sheet.layout.transposed
    table = read_rows(export(source, "--weight", "n")[0])
    assert [(row[0], row[-1]) for row in table[1:]] == [("Doe 2001", "40"), ("Roe 2002", "12"), ("Poe 2003", "3"),
                                                        ("Moe 2004", "7")]
    columns[-1][2] = "1,5"
    write_xlsx(source, columns)
    result = run("export", source, "--to", "robvis", "--weight", "n", "-o", tmp_path / "w.csv")
    assert result.exit_code == 2 and "cell C13: the weight '1,5' is not a number" in result.output


def test_an_unreadable_answer_is_exported_as_missing_and_said(tmp_path):
    rows = item_sheet({"Doe 2001": "YYYYYYYYYYY"})
    rows[1][3] = "perhaps"  # item 3
    output, result = export(write_xlsx(tmp_path / "odd.xlsx", rows))
    assert "1 error finding(s) open" in result.output
    assert read_rows(output)[1][2] == "No information"
    tidy = pd.read_csv(export(tmp_path / "odd.xlsx", to="csv", name="tidy.csv")[0]).set_index("item")
    assert pd.isna(tidy.at[3, "answer"]) and pd.isna(tidy.at[3, "points"]) and tidy.at[3, "cell"] == "D2"


# --- what robvis does with the table (issue 16 point 3, after review) ----------------------------------


def rob_summary_domains(header: list[str], overall: bool) -> list[str]:
    """The bars robvis's rob_summary(tool = "Generic") draws from a table's header, as robvis 0.3.0 and the
    GitHub versions whose default is overall = FALSE select them (R/rob_summary.R, rob_summary_generic):
    with overall = FALSE, columns 2 to ncol - 2 and the weights, so the second-to-last column is dropped."""
    columns = header[1:-2] + [header[-1]] if not overall else header[1:]
    return columns[:-1]  # the last is the weights


def test_the_overall_column_is_always_written_so_rob_summary_loses_no_item(trials_audited):
    table = read_rows(export(trials_audited)[0])
    rubric = load_rubric()
    items = [rubric.item(n).label for n in rubric.scored_items]
    # rob_summary's default in those versions (overall = FALSE) drops the Overall column and keeps every item;
    # overall = TRUE draws every item and Overall.
    assert rob_summary_domains(table[0], overall=False) == items
    assert rob_summary_domains(table[0], overall=True) == [*items, "Overall"]
    # A table without Overall would have lost its last item there: the option that wrote one is gone.
    assert rob_summary_domains(table[0][:-2] + table[0][-1:], overall=False) == items[:-1]
    result = run("export", trials_audited, "--to", "robvis", "--no-overall", "-o", trials_audited.parent / "n.csv")
    assert result.exit_code == 2 and "No such option '--no-overall'" in result.output
    assert not (trials_audited.parent / "n.csv").exists()
    # The advice given is overall = TRUE for both functions, and it is the same in --help.
    help_text = " ".join(run("export", "--help").output.split())
    assert "pass overall = TRUE to rob_traffic_light (its default) and to rob_summary" in help_text
    assert "Some concerns" not in help_text and "no-overall" not in help_text


@pytest.mark.parametrize("option, value, why", [
    ("--judgements", "partial=Some concerns", 'rob_traffic_light draws it as "Unclear"'),
    ("--judgements", "N=moderate", 'rob_traffic_light draws it as "Unclear"'),
    ("--judgements", "N=Critical", "some versions of rob_summary have no Critical level and leave it out"),
    ("--judgements", "missing=not applicable", 'rob_summary reads it as "No information"'),
    ("--overall", "poor=Critical", "have no Critical level"),
    ("--overall", "fair=Some concerns", "draws it as \"Unclear\""),
])
def test_judgements_robvis_would_draw_as_another_are_refused(trials_audited, option, value, why):
    output = trials_audited.parent / "r.csv"
    result = run("export", trials_audited, "--to", "robvis", option, value, "-o", output)
    assert result.exit_code == 2, result.output
    word = value.partition("=")[2]
    assert result.output.startswith(f"pedro: {option}: robvis's Generic template does not draw '")
    assert f"'{word.lower()}'" in result.output.lower() and why in result.output
    assert result.output.rstrip().endswith("use Low, Unclear, High or No information")
    assert result.output.count("\n") == 1 and not output.exists()


def test_default_judgements_are_the_generic_templates_own_words(trials_audited):
    """Every word written is one robvis's Generic example uses, and each is drawn as itself: the level
    robvis reads it to (R/helpers.R clean_data, u -> s) differs for each of the four."""
    assert set(DEFAULT_JUDGEMENTS.values()) == set(ROBVIS_JUDGEMENTS) == {"Low", "Unclear", "High",
                                                                         "No information"}
    assert len({robvis_level(word) for word in ROBVIS_JUDGEMENTS}) == 4
    theirs = {v for row in read_rows(ROBVIS_EXAMPLE)[1:] for v in row[1:-1]}
    ours = {v for row in read_rows(export(trials_audited)[0])[1:] for v in row[1:-1]}
    assert ours <= theirs and ours == {"Low", "Unclear", "High", "No information"}


FORMULA_LABELS = ['=HYPERLINK("http://example.org","Doe")', "+Roe 2002", "-Poe 2003", "@Moe 2004"]


def _formula_label_sheet(tmp_path: Path) -> Path:
    """An item sheet whose study labels begin as formulas would, stored as text (as Excel stores a label
    typed after an apostrophe)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Ratings"
    for row in item_sheet(dict(zip(FORMULA_LABELS, TRIALS.values()))):
        sheet.append([None] * len(row))
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=sheet.max_row, column=column, value=value)
            if isinstance(value, str) and value[:1] in "=+-@":
                cell.data_type = "s"  # text, not a formula
    path = tmp_path / "formulas.xlsx"
    workbook.save(path)
    return path


def test_labels_are_written_exactly_for_r_and_pandas_unless_excel_safe(tmp_path):
    source = _formula_label_sheet(tmp_path)
    assert [c.value for c in openpyxl.load_workbook(source)["Ratings"]["A"][1:]] == FORMULA_LABELS
    robvis, _ = export(source, name="rob.csv")
    tidy, _ = export(source, to="csv", name="tidy.csv")
    # R and pandas read no formulas: the labels come back exactly as in the workbook.
    assert [row[0] for row in read_rows(robvis)[1:]] == FORMULA_LABELS
    assert pd.read_csv(robvis)["Study"].tolist() == FORMULA_LABELS
    assert pd.read_csv(tidy)["study"].drop_duplicates().tolist() == FORMULA_LABELS
    # For Excel, on request: the apostrophe Excel hides, on the labels only.
    safe, _ = export(source, "--excel-safe", name="safe.csv")
    rows = read_rows(safe)
    assert [row[0] for row in rows[1:]] == ["'" + label for label in FORMULA_LABELS]
    assert rows[0] == read_rows(robvis)[0] and [row[1:] for row in rows] == [row[1:] for row in read_rows(robvis)]
    safe_tidy, _ = export(source, "--excel-safe", to="csv", name="safe_tidy.csv")
    assert set(pd.read_csv(safe_tidy)["study"]) == {"'" + label for label in FORMULA_LABELS}


def test_the_tidy_assessor_is_only_the_one_recorded_or_given(trials_audited, monkeypatch):
    import pedro.export as export_module

    tidy = pd.read_csv(export(trials_audited, to="csv", name="tidy.csv")[0])
    assert tidy["assessor"].isna().all() and tidy["scored_by"].notna().all()
    given = pd.read_csv(export(trials_audited, "--assessor", "Ana", to="csv", name="ana.csv")[0])
    assert set(given["assessor"]) == {"Ana"} and given["scored_by"].tolist() == tidy["scored_by"].tolist()
    # A workbook that names its assessor (a disagreement or consensus workbook's Provenance key): that name.
    real = export_module.read_ratings

    def named(*args):
        result, verified, problem = real(*args)
        return replace(result, previous_provenance={**result.previous_provenance, "assessor": "Bo"}), verified, problem

    monkeypatch.setattr(export_module, "read_ratings", named)
    recorded = pd.read_csv(export(trials_audited, to="csv", name="bo.csv")[0])
    assert set(recorded["assessor"]) == {"Bo"}
    assert set(pd.read_csv(export(trials_audited, "--assessor", "Cy", to="csv", name="cy.csv")[0])["assessor"]) == {
        "Cy"}


@pytest.mark.skipif("testex" not in packaged_rubric_files(), reason="the TESTEX rubric is not installed")
def test_another_rubric_than_the_one_recorded_is_refused(trials_audited):
    output = trials_audited.parent / "x.csv"
    result = run("export", trials_audited, "--to", "robvis", "--rubric", "testex", "-o", output)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"pedro: {trials_audited.name} was scored with rubric pedro; ")
    assert "leave --rubric out" in result.output and result.output.count("\n") == 1 and not output.exists()
    # The rubric recorded, named again, is what it was scored with: exported as usual, with no note.
    _, result = export(trials_audited, "--rubric", "pedro")
    assert "verified as scored" in result.output and "note:" not in result.output


def test_no_note_where_the_rubric_has_bands(trials_audited):
    assert "note:" not in export(trials_audited)[1].output


def test_readme_reads_the_table_as_robvis_needs_it():
    """The README's R lines: the names kept as written (R's make.names would turn TESTEX's and PEDro's
    punctuation into dots, which robvis shows as spaces), UTF-8, and overall = TRUE for both functions."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Export: `pedro export`"):readme.index("## Rubrics: PEDro, TESTEX")]
    assert 'read.csv("rob.csv", check.names = FALSE, encoding = "UTF-8")' in section
    assert 'rob_summary(rob, tool = "Generic", overall = TRUE)' in section
    assert "--no-overall" not in section and "--excel-safe" in section and "scored_by" in section
    assert make_names("Intention-to-treat analysis") == "Intention to treat analysis"
    assert make_names("Outcome measures assessed in >85% of patients") == (
        "Outcome measures assessed in  85  of patients")
