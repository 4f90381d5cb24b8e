"""Second assessors: compare, resolve, consensus, score, end to end."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pedro.cli import main
from pedro.compare import POSSIBLE_MATCH, compare_files, match_key, match_keys, pair_trials, surname_year_key
from pedro.consensus import read_consensus
from pedro.engine import score_file
from pedro.errors import InputError

from conftest import item_sheet, write_xlsx

TRIALS = ["Smith 2001", "Jones 2002", "Lee 2003", "Garcia 2010", "Okafor 2015"]


def filled_template(tmp_path, name: str, answers: dict[str, str], runner=None) -> str:
    """A `pedro template` sheet filled in by one assessor (answers: one letter per item)."""
    studies = tmp_path / "studies.txt"
    studies.write_text("\n".join(answers), encoding="utf-8")
    path = tmp_path / f"{name}.xlsx"
    result = (runner or CliRunner()).invoke(main, ["template", str(path), "--studies", str(studies)])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Ratings"]
    header = [c.value for c in sheet[1]]
    columns = {int(h.split()[0]): i + 1 for i, h in enumerate(header) if h and h.split()[0].isdigit()
               and "evidence" not in h}
    for row in range(2, sheet.max_row + 1):
        label = sheet.cell(row=row, column=1).value
        for item, letter in enumerate(answers[label], start=1):
            sheet.cell(row=row, column=columns[item]).value = None if letter == "." else letter
            if letter == "Y":
                sheet.cell(row=row, column=columns[item] + 1).value = f"{name}: p. {item}"
    workbook.save(path)
    return str(path)


def resolve(path, consensus: dict[tuple[str, int], str], by=None):
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Disagreements"]
    header = [c.value for c in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        key = (sheet.cell(row=row, column=1).value, sheet.cell(row=row, column=2).value)
        if key in consensus:
            sheet.cell(row=row, column=header.index("Consensus") + 1).value = consensus[key]
            sheet.cell(row=row, column=header.index("Reason") + 1).value = f"re-read item {key[1]}"
            if by:
                sheet.cell(row=row, column=header.index("Resolved by") + 1).value = by
    workbook.save(path)


def test_match_key_ignores_case_spacing_punctuation():
    assert match_key("Smith, 2001") == match_key(" smith  2001 ") == match_key("SMITH (2001)")
    assert match_key("Smith 2001a") != match_key("Smith 2001")
    assert match_key(None) is None


@pytest.mark.parametrize("labels, key", [
    (["Müller et al. (2019)", "Muller et al 2019", "MÜLLER 2019", "Müller, 2019 [12]", "Müller et al., 2019 (ref 3)",
      "Müller¹² et al. 2019", "Muller J, Schmidt K. 2019"], "muller 2019"),
    (["García-López et al. (2020)", "Garcia-Lopez, 2020", "García López 2020"], "garcialopez 2020"),
    (["Smith 2013", "Smith et al. (2013)", "Smith JA et al. 2013", "Smith and Jones 2013", "Smith & Jones (2013)",
      "SMITH J 2013"], "smith 2013"),
    (["van der Berg (2016)", "Van der Berg, 2016"], "vanderberg 2016"),
    (["Ødegaard 2018", "Odegaard et al 2018"], "odegaard 2018"),
    (["Smith 2001a", "Smith et al. (2001a)"], "smith 2001a"),
])
def test_surname_year_key_reads_labels_as_a_person_does(labels, key):
    assert {surname_year_key(label) for label in labels} == {key}


def test_surname_year_key_needs_a_name_and_a_year():
    assert surname_year_key("Trial A") is None and surname_year_key("2019") is None
    assert surname_year_key(None) is None
    assert surname_year_key("Müller et al.", 2019) == surname_year_key("Müller et al.", "2019") == "muller 2019"
    assert surname_year_key("Smith 2001a") != surname_year_key("Smith 2001b") != surname_year_key("Smith 2001")
    assert surname_year_key("Smith 2013") != surname_year_key("Smyth 2013")


def test_pair_trials_exact_first_then_surname_and_year():
    pairing = pair_trials(["A", "B"], [["Smith 2013", "Smith et al. 2013", "Jones 2002"],
                                       ["smith, 2013", "Jones et al. (2002)"]])
    # "Smith 2013" = "smith, 2013" on the exact key; the other Smith is left, never paired twice
    assert pairing.trials == [(0, 0), (2, 1)]
    assert pairing.kinds == ["label", "first author's surname and year"]
    assert [(u.assessor, u.label) for u in pairing.unpaired] == [(0, "Smith et al. 2013")]
    assert pairing.ambiguous == []


def test_pair_trials_reports_an_ambiguous_key_and_pairs_none_of_it():
    two_in_one = pair_trials(["A", "B"], [["Li 2012", "Li 2012", "Kim 2010"], ["Li et al. 2012", "Kim 2010"]])
    assert two_in_one.trials == [(2, 1)]
    assert two_in_one.ambiguous == [{"key": "li 2012", "labels": {"A": ["Li 2012", "Li 2012"],
                                                                  "B": ["Li et al. 2012"]},
                                     "matched": "ambiguous, not paired"}]
    assert all(u.why.startswith("ambiguous") for u in two_in_one.unpaired) and len(two_in_one.unpaired) == 3
    one_for_two = pair_trials(["A", "B"], [["Li (2012)"], ["Li Y 2012", "Li Z et al. 2012"]])
    assert one_for_two.trials == [] and one_for_two.ambiguous[0]["labels"]["B"] == ["Li Y 2012", "Li Z et al. 2012"]
    # without a year the exact keys decide, and a repeated one is ambiguous too
    repeated = pair_trials(["A", "B"], [["Trial A", "trial a"], ["Trial A"]])
    assert repeated.trials == [] and repeated.ambiguous[0]["key"] == "triala"


def test_pair_trials_takes_the_year_from_a_year_column():
    pairing = pair_trials(["A", "B"], [["Müller et al.", "Jones"], ["Muller 2019", "Jones 2002"]],
                          years=[[2019, 2003], None])
    assert pairing.trials == [(0, 0)]
    assert [u.label for u in pairing.unpaired] == ["Jones", "Jones 2002"]


def test_compare_reads_the_year_column(tmp_path):
    a = write_xlsx(tmp_path / "a.xlsx", item_sheet({"Müller et al.": "YYYYNNYYYYY", "Kalron": "YYYYNNYYYYY"},
                                                    ["Year"], {"Müller et al.": [2019], "Kalron": [2021]}))
    b = write_xlsx(tmp_path / "b.xlsx", item_sheet({"Muller 2019": "YYYYNNYYYYY",
                                                    "Kalron et al. (2021)": "YYYYNNYYYYN"}))
    comparison = compare_files([a, b])
    assert len(comparison.keys) == 2 and comparison.unmatched == {"a": [], "b": []}
    # The Year column completes each label of a: it is shown, and paired, with its year.
    assert comparison.paired_by_name_year() == [["Müller et al. (2019)", "Muller 2019"],
                                                ["Kalron (2021)", "Kalron et al. (2021)"]]


LABEL = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.text(),
                  st.text(alphabet=st.characters(max_codepoint=127)),  # ASCII, NUL and control characters too
                  st.sampled_from(["Smith, 2001", "ΟΔΟΣ 2001", "Ｓｍｉｔｈ　２００１", "Müller_2003", "", "  "]))


@given(st.lists(LABEL, max_size=30))
@settings(max_examples=300, deadline=None)
def test_match_keys_is_match_key_of_each_label(labels):
    assert match_keys(labels) == [match_key(label) for label in labels]


def test_two_assessors_end_to_end(tmp_path):
    runner = CliRunner()
    ann = filled_template(tmp_path, "ann", {
        "Smith 2001": "YYYYNNYYYYY", "Jones 2002": "YYNYNNYNNYY", "Lee 2003": "NYYYNNNYYYY",
        "Garcia 2010": "YYYNNNYYYYY", "Okafor 2015": "YYNNNNNNNYY"}, runner)
    ben = filled_template(tmp_path, "ben", {
        "Smith 2001": "YYNYNNYYYYY", "Jones 2002": "YYNYNNYYNYY", "Lee 2003": "NYYYNNNYYY?",
        "Garcia 2010": "YYYNNNYYYYY", "Okafor 2015": "YYNNNNNNNYY"}, runner)
    out = tmp_path / "dis.xlsx"
    result = runner.invoke(main, ["compare", ann, ben, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["assessors"] == ["ann", "ben"]
    assert report["studies"] == {"compared": 5, "unmatched": {"ann": [], "ben": []}, "not_paired": [],
                                 "ambiguous": [], "possible_matches": [], "paired_by_surname_and_year": [],
                                 "partly_rated": []}
    assert report["unreadable_answers"] == []
    assert {(d["study"], d["item"]) for d in report["disagreements"]} == {
        ("Smith 2001", 3), ("Jones 2002", 8), ("Lee 2003", 11)}
    item3 = report["items"][2]
    assert item3["item"] == 3 and item3["n"] == 5 and item3["agreement"] == pytest.approx(0.8)
    assert item3["pabak"] == pytest.approx(2 * 0.8 - 1)  # Byrt, Bishop & Carlin 1993: PABAK = 2 p_o - 1
    item2 = report["items"][1]  # every trial Y from both: kappa undefined, said so, not NaN
    assert item2["agreement"] == 1.0 and item2["cohen_kappa"] is None
    assert "cohen_kappa" in item2["reasons"] and item2["pabak"] == 1.0
    assert item2["prevalence_y"] == 1.0
    assert report["total"]["bland_altman"]["bias"] is not None
    assert set(report["total"]["icc"]) == {"ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)"}
    # band changes: Smith 8 vs 7 (good, good), Jones 5 vs 6 (fair vs good), Lee 8 vs 7 (good, good)
    assert report["total"]["band_changes"] == 1

    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Disagreements", "Agreed", "Trials", "Statistics", "Trial differences",
                                   "Unmatched", "Change log", "Provenance", "Recorded cells"]
    assert workbook["Recorded cells"].sheet_state == "hidden"
    sheet = workbook["Disagreements"]
    header = [c.value for c in sheet[1]]
    assert header == ["Study", "Item", "Criterion", "ann: answer", "ann: evidence", "ben: answer", "ben: evidence",
                      "Consensus", "Reason", "Resolved by"]
    rows = {(r[0], r[1]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[("Smith 2001", 3)][3:7] == ("Y", "ann: p. 3", "N", None)
    assert any(dv.formula1 == '"Y,N,?"' for dv in sheet.data_validations.dataValidation)

    # consensus refuses while anything is open, listing the rows
    refused = runner.invoke(main, ["consensus", str(out)])
    assert refused.exit_code == 2
    assert "3 disagreement(s) have no consensus answer yet" in refused.output
    assert "Smith 2001, item 3" in refused.output

    resolve(out, {("Smith 2001", 3): "N", ("Jones 2002", 8): "y", ("Lee 2003", 11): "Y"}, by="Carol")
    consensus_path = tmp_path / "consensus.xlsx"
    merged = runner.invoke(main, ["consensus", str(out), "-o", str(consensus_path)])
    assert merged.exit_code == 0, merged.output
    scored = score_file(consensus_path)
    totals = dict(zip(scored.sheet.studies["study"], scored.scores["total"]))
    assert totals == {"Smith 2001": 7, "Jones 2002": 6, "Lee 2003": 7, "Garcia 2010": 7, "Okafor 2015": 3}
    # every resolution is in the change log: trial, item, each answer, consensus, reason, who, when
    log = list(openpyxl.load_workbook(consensus_path)["Change log"].iter_rows(min_row=2, values_only=True))
    assert [(r[4], r[5], r[6], r[7]) for r in log] == [
        ("Smith 2001", 3, "ann: Y; ben: N", "N"), ("Jones 2002", 8, "ann: N; ben: Y", "Y"),
        ("Lee 2003", 11, "ann: Y; ben: ?", "Y")]
    assert all(r[1] == "Carol" and r[0] and "re-read item" in r[9] for r in log)
    # and pedro score keeps that log, appending to it
    audited = runner.invoke(main, ["score", str(consensus_path), "-o", str(tmp_path / "final.xlsx")])
    assert audited.exit_code == 0, audited.output
    final_log = list(openpyxl.load_workbook(tmp_path / "final.xlsx")["Change log"].iter_rows(min_row=2,
                                                                                              values_only=True))
    assert final_log[:3] == log


def test_three_assessors(tmp_path):
    runner = CliRunner()
    base = {"Smith 2001": "YYYYNNYYYYY", "Jones 2002": "YYNYNNYNNYY", "Lee 2003": "NYYYNNNYYYY"}
    a = filled_template(tmp_path, "a", base, runner)
    b = filled_template(tmp_path, "b", {**base, "Jones 2002": "YYYYNNYNNYY"}, runner)
    c = filled_template(tmp_path, "c", {**base, "Lee 2003": "NYYYNNNYYY."}, runner)
    comparison = compare_files([a, b, c])
    assert comparison.names == ["a", "b", "c"]
    assert {(d["study"], d["item"]) for d in comparison.disagreements} == {("Jones 2002", 3), ("Lee 2003", 11)}
    item3 = comparison.items[2]
    assert item3["cohen_kappa"] is None and "two assessors" in item3["reasons"]["cohen_kappa"]
    assert item3["fleiss_kappa"] is not None and item3["krippendorff_alpha"] is not None
    assert item3["gwet_ac1"] is not None
    # Lee 2003's total is unknown for c (item 11 blank): totals statistics use the two other trials
    assert comparison.total_stats["n"] == 2 and comparison.total_stats["excluded_unknown_total"] == 1
    assert comparison.total_stats["bland_altman"] is None  # only for two assessors
    out = tmp_path / "dis3.xlsx"
    result = runner.invoke(main, ["compare", a, b, c, "-o", str(out)])
    assert result.exit_code == 0, result.output
    resolve(out, {("Jones 2002", 3): "N", ("Lee 2003", 11): "Y"})
    merged = read_consensus(out, by="Dee")
    assert merged.answers["Jones 2002"][3] == "N" and merged.answers["Lee 2003"][11] == "Y"
    assert {r.resolved_by for r in merged.resolutions} == {"Dee"}
    consensus_path = tmp_path / "consensus3.xlsx"
    done = runner.invoke(main, ["consensus", str(out), "-o", str(consensus_path), "--by", "Dee"])
    assert done.exit_code == 0, done.output
    scored = score_file(consensus_path)
    assert dict(zip(scored.sheet.studies["study"], scored.scores["total"])) == {
        "Smith 2001": 8, "Jones 2002": 5, "Lee 2003": 7}
    log = list(openpyxl.load_workbook(consensus_path)["Change log"].iter_rows(min_row=2, values_only=True))
    assert [(r[4], r[5], r[6], r[7]) for r in log] == [("Jones 2002", 3, "a: N; b: Y; c: N", "N"),
                                                      ("Lee 2003", 11, "a: Y; b: Y; c: (blank)", "Y")]


def test_unmatched_trials_are_listed_never_dropped(tmp_path):
    a = write_xlsx(tmp_path / "a.xlsx", item_sheet({"Smith, 2001": "YYYYNNYYYYY", "Only A": "YYYYYYYYYYY"}))
    b = write_xlsx(tmp_path / "b.xlsx", item_sheet({"smith 2001": "YYYYNNYYYYY", "Only B": "NNNNNNNNNNN"}))
    comparison = compare_files([a, b])
    assert comparison.keys == [match_key("Smith 2001")]
    assert comparison.labels[comparison.keys[0]] == "Smith, 2001"  # as the first assessor wrote it
    assert comparison.unmatched == {"a": ["Only A"], "b": ["Only B"]}


def test_full_agreement_single_trial_defined(tmp_path):
    a = write_xlsx(tmp_path / "a.xlsx", item_sheet({"Solo": "YYYYNNYYYYY"}))
    b = write_xlsx(tmp_path / "b.xlsx", item_sheet({"Solo": "YYYYNNYYYYY"}))
    result = CliRunner().invoke(main, ["compare", str(a), str(b), "--json", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "NaN" not in result.output
    report = json.loads(result.output)
    assert report["disagreements"] == []
    for item in report["items"]:
        assert item["agreement"] == 1.0
        assert item["cohen_kappa"] is None and item["reasons"]["cohen_kappa"]
    icc = report["total"]["icc"]["ICC(1,1)"]
    assert icc["value"] is None and icc["reason"]
    assert not (tmp_path / "a.disagreements.xlsx").exists()


def test_no_trials_in_common_is_exit_2(tmp_path):
    a = write_xlsx(tmp_path / "a.xlsx", item_sheet({"A": "YYYYNNYYYYY"}))
    b = write_xlsx(tmp_path / "b.xlsx", item_sheet({"B": "YYYYNNYYYYY"}))
    result = CliRunner().invoke(main, ["compare", str(a), str(b)])
    assert result.exit_code == 2
    assert "no trials in common" in result.output and "Traceback" not in result.output


def test_unreadable_file_is_exit_2(tmp_path):
    a = write_xlsx(tmp_path / "a.xlsx", item_sheet({"A": "YYYYNNYYYYY"}))
    result = CliRunner().invoke(main, ["compare", str(a), str(tmp_path / "missing.xlsx")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_consensus_rejects_invalid_answers_and_allows_unresolved(tmp_path):
    a = write_xlsx(tmp_path / "a.xlsx", item_sheet({"T1": "YYYYNNYYYYY", "T2": "YYYYNNYYYYY"}))
    b = write_xlsx(tmp_path / "b.xlsx", item_sheet({"T1": "YYNYNNYYYYY", "T2": "YYYYNNYYYYN"}))
    out = tmp_path / "d.xlsx"
    assert CliRunner().invoke(main, ["compare", str(a), str(b), "-o", str(out)]).exit_code == 0
    resolve(out, {("T1", 3): "maybe"})
    bad = CliRunner().invoke(main, ["consensus", str(out)])
    assert bad.exit_code == 2 and "H2 has 'maybe'" in bad.output
    resolve(out, {("T1", 3): "Y"})
    partial = read_consensus(out, allow_unresolved=True)
    assert partial.answers["T2"][11] is None  # left missing, never guessed
    assert len(partial.unresolved) == 1
    with pytest.raises(InputError, match="no consensus answer yet"):
        read_consensus(out)
    not_ours = CliRunner().invoke(main, ["consensus", str(a)])
    assert not_ours.exit_code == 2 and "not a disagreement workbook" in not_ours.output


def test_names_option(tmp_path):
    a = write_xlsx(tmp_path / "a.xlsx", item_sheet({"T1": "YYYYNNYYYYY"}))
    b = write_xlsx(tmp_path / "b.xlsx", item_sheet({"T1": "YYYYNNYYYYY"}))
    report = json.loads(CliRunner().invoke(main, ["compare", str(a), str(b), "--names", "Ann, Ben", "--json",
                                                  "--dry-run"]).output)
    assert report["assessors"] == ["Ann", "Ben"]
    wrong = CliRunner().invoke(main, ["compare", str(a), str(b), "--names", "Ann"])
    assert wrong.exit_code == 2 and "one per file" in wrong.output


def test_umlauts_spelt_out_short_years_and_year_letters_pair_as_a_person_would():
    pairing = pair_trials(["Ann", "Ben"],
                          [["Mueller et al. (2011)", "Nguyen 2020", "Kim et al. (2021a)", "Bauer 2015", "Pohl 2016a"],
                           ["Müller 2011", "Nguyen et al., '20", "Kim 2021", "Baur 2015", "Pohl 2016b"]])
    assert pairing.trials == [(0, 0), (1, 1)]  # Mueller = Müller, '20 = 2020
    why = {(t.assessor, t.label): (t.matched, t.why) for t in pairing.unpaired}
    assert why[(0, "Kim et al. (2021a)")][0] == why[(1, "Kim 2021")][0] == POSSIBLE_MATCH
    assert why[(1, "Kim 2021")][1].startswith("possible match, not paired: year letter differs")
    assert pairing.possible == [{"key": "kim 2021", "labels": {"Ann": ["Kim et al. (2021a)"], "Ben": ["Kim 2021"]},
                                 "why": "year letter differs", "matched": POSSIBLE_MATCH}]
    # Neither spelt with an umlaut: two surnames; two year letters: two trials of one year.
    assert why[(0, "Bauer 2015")][0] is None and why[(0, "Pohl 2016a")][0] is None
    assert surname_year_key("O'Brien '98") == "obrien 1998"


def test_a_long_evidence_text_outside_the_basic_plane_fits_the_recorded_cells():
    """A cell holds 32,767 UTF-16 units: a recorded row of characters outside the Basic Multilingual
    Plane (two units each) must be cut at half that, as the audited workbook's are (found in review)."""
    from pedro.compare import DISAGREEMENTS_SHEET, read_recorded, recorded_rows

    evidence = "\U0001F600" * 20_000  # 20,000 code points, 40,000 UTF-16 units
    rows = recorded_rows(DISAGREEMENTS_SHEET, [["Study", "Ann: evidence"], ["Smith 2001", evidence]])
    assert all(len(cell.encode("utf-16-le")) // 2 <= 32_767 for row in rows for cell in row[1:])
    assert read_recorded(rows)[DISAGREEMENTS_SHEET][1] == ["Smith 2001", evidence]


def _statistic_keys(report: dict) -> set[str]:
    """The statistics computed in a `compare --json` report: every non-null figure of "items" (its SE,
    CI and reasons go with it), each ICC form, Bland-Altman and the band changes."""
    skip = {"item", "label", "n", "levels", "reasons", "ci95"}
    keys = {k for row in report["items"] for k, v in row.items()
            if k not in skip and not k.endswith(("_se", "_ci95")) and v is not None}
    total = report["total"]
    keys |= set(total["icc"]) | set(total["weighted"]) | {"band_changes"}
    keys |= {"bland_altman"} if total["bland_altman"] else set()
    return keys


@pytest.mark.parametrize("assessors", [2, 3])
def test_compare_json_names_the_method_of_every_statistic(tmp_path, assessors):
    runner = CliRunner()
    base = {"Smith 2001": "YYYYNNYYYYY", "Jones 2002": "YYNYNNYNNYY", "Lee 2003": "NYYYNNNYYYY"}
    paths = [filled_template(tmp_path, "a", base, runner),
             filled_template(tmp_path, "b", {**base, "Jones 2002": "YYYYNNYNNYY"}, runner),
             filled_template(tmp_path, "c", {**base, "Lee 2003": "NYYYNNNYYY."}, runner)][:assessors]
    out = tmp_path / "dis.xlsx"
    result = runner.invoke(main, ["compare", *paths, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    methods = report["methods"]
    assert _statistic_keys(report) <= set(methods)
    assert all(isinstance(m, str) and m.strip() for m in methods.values())
    # taken from the result objects: the API's method strings, not a copy that could drift
    assert methods["ICC(2,1)"] == report["total"]["icc"]["ICC(2,1)"]["method"]
    assert "Satterthwaite" in methods["ICC(2,1)"] and "Shrout & Fleiss 1979" in methods["ICC(3,1)"]
    if assessors == 2:
        assert "Cohen 1960" in methods["cohen_kappa"] and "Fleiss, Cohen & Everitt" in methods["cohen_kappa"]
        assert "Byrt" in methods["pabak"] and "Bland-Altman (1986)" in methods["bland_altman"]
        assert "fleiss_kappa" not in methods  # not computed for two assessors: no method claimed for it
    else:
        assert "Fleiss 1971" in methods["fleiss_kappa"] and "Gwet (2014)" in methods["gwet_ac1"]
        assert "every assessor who answered" in methods["agreement"]
        assert "cohen_kappa" not in methods and "bland_altman" not in methods

    # the Statistics sheet carries the same strings, each beside its statistic's heading
    sheet = openpyxl.load_workbook(out)["Statistics"]
    rows = [[v for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]
    start = rows.index(["Methods and sources"])
    assert rows[start + 1] == ["Statistic", "Method"]
    written = {row[1] for row in rows[start + 2:] if len(row) == 2}
    assert written == set(methods.values())
    assert ["Cohen's kappa" if assessors == 2 else "Fleiss' kappa",
            methods["cohen_kappa" if assessors == 2 else "fleiss_kappa"]] in rows[start + 2:]

    # the terminal names the interval method of kappa and the ICCs
    text = runner.invoke(main, ["compare", *paths, "-o", str(tmp_path / "again.xlsx")]).output
    kappa = ("  kappa (Cohen 1960): 95% CI: kappa +/- 1.96 SE (normal)" if assessors == 2
             else "  Fleiss' kappa (Fleiss 1971): 95% CI:")
    assert kappa in text
    assert "ICC(2,1), ICC(2,k) (Shrout & Fleiss 1979): 95% CI: Satterthwaite approximation" in text
    assert "ICC(1,*), ICC(3,*) (Shrout & Fleiss 1979): 95% CI: exact F-based" in text


def test_compare_consensus_score_on_a_sheet_rated_by_parts(tmp_path):
    """TESTEX criteria 6 and 8 rated one column per point (6a/6b/6c, 8a/8b): compare must not carry the
    parts after the first into the consensus as other columns, or the consensus sheet holds criterion 6
    and part columns 6b, 6c beside it and cannot be scored."""
    from test_testex import PARTS

    from pedro.compare import sheet_columns
    from pedro.engine import score_file

    from conftest import write_xlsx

    other = [list(r) for r in PARTS]
    other[1][7] = "Y"  # Trial A: 6b adverse events reported, so criterion 6 scores 3, not 2
    other[1][16] = 11
    a, b = write_xlsx(tmp_path / "a.xlsx", PARTS), write_xlsx(tmp_path / "b.xlsx", other)
    assert [header for _, header, _ in sheet_columns(score_file(a, rubric="testex"))] == []
    disagreements = tmp_path / "d.xlsx"
    runner = CliRunner()
    compared = runner.invoke(main, ["compare", str(a), str(b), "--rubric", "testex", "-o", str(disagreements)])
    assert compared.exit_code == 0, compared.output
    book = openpyxl.load_workbook(disagreements)
    sheet = book["Disagreements"]
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    # both sheets give criterion 6 by parts: the disagreement is on part 6b, not on the count (issue 16 review)
    assert row[:2] == ["Trial A", "6b"] and row[header.index("a: answer")] == "N"
    sheet.cell(2, header.index("Consensus") + 1, "Y")
    sheet.cell(2, header.index("Reason") + 1, "adverse events are reported in table 3")
    book.save(disagreements)
    merged = runner.invoke(main, ["consensus", str(disagreements), "-o", str(tmp_path / "c.xlsx")])
    assert merged.exit_code == 0, merged.output
    result = score_file(tmp_path / "c.xlsx", rubric="testex")
    assert result.sheet.wide("answer")[6].tolist() == ["3", "3", "1"]
    assert result.scores["total"].tolist() == [11, 7, 13]


def test_compare_reads_the_sheets_without_their_consistency_checks(tmp_path):
    """A comparison reports no consistency findings, so compare_files does not run the rules (a third of the
    time of `pedro compare`, issue 18): what it reads of each sheet is what `pedro score` reads, and asking a
    compared sheet for its findings says how to get them instead of answering "none"."""
    # Trial 2 gives item 3 (concealment) without item 2 (random allocation), which scoring finds.
    a = filled_template(tmp_path, "ann", {t: "YYYYNNYYYYY" if t != "Jones 2002" else "YNYYNNYYYYY" for t in TRIALS})
    b = filled_template(tmp_path, "bob", {t: "YYNYNNYYYYY" for t in TRIALS})
    comparison = compare_files([a, b])
    for assessor, path in zip(comparison.assessors, (a, b)):
        scored = score_file(path)
        assert assessor.result.findings is None
        assert assessor.result.scores.equals(scored.scores)
        assert assessor.result.sheet.answers.equals(scored.sheet.answers)
        assert assessor.result.changes.drop(columns="time").equals(scored.changes.drop(columns="time"))
        with pytest.raises(ValueError, match=r"(ann|bob)\.xlsx was read without its consistency checks"):
            _ = assessor.result.counts
    found = score_file(a).findings  # the checks that comparing leaves out are real
    assert (found["study"] == "Jones 2002").any() and len(found) > 0


def test_answers_at_is_the_wide_table_looked_up(tmp_path):
    """``RatedSheet.answers_at`` (what compare and its workbook look answers up with, without pandas) gives
    what the study x item DataFrame gives at those trials and items, and None for a trial or an item the
    sheet does not have."""
    import numpy as np

    sheet = score_file(filled_template(tmp_path, "a", {"Smith 2001": "YYN?NNYYY.Y", "Jones 2002": "NYYYNNNYYYY"})).sheet
    index, items = np.array([[1], [0], [5], [-1]]), [3, 11, 1, 99]
    for column in ("answer", "evidence", "status", "raw"):
        wide = sheet.wide(column)
        expected = [[wide.at[t, i] if t in wide.index and i in wide.columns else None for i in items]
                    for t in index[:, 0].tolist()]
        assert sheet.answers_at(index, items, column).tolist() == expected, column
    assert sheet.answers_at(index, items)[:2].tolist() == [["Y", "Y", "N", None], ["N", "Y", "Y", None]]
