"""Two assessors who spell trial labels the way people do, and keep more than the item columns, through
compare -> resolve (by hand, as a person would, in openpyxl and in the package) -> consensus -> score ->
audit (issue 14, bullets 6 and 7; issue 13, bullet 2 for `pedro consensus`).

The table is shaped as the PEDro tables of published exercise reviews are (trials by first author and
year; items 1-11; total; method of allocation; numbers for item 8; quotes), with labels spelt as a
second assessor spells them: accents dropped, "et al." and the year's brackets left out or added,
reference numbers in brackets, initials after the surname.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pedro.audit.chain import KEY_ENV, canonical, verify_chain
from pedro.cli import main
from pedro.engine import score_file

from conftest import ITEM_HEADERS, write_xlsx

ANN_EXTRA = ["Total", "Randomisation method", "N allocated", "N analysed", "2 evidence", "Notes", "Funding"]
BEN_EXTRA = ["Total", "Method of allocation", "N randomised", "N with outcome", "Random allocation quote", "Notes",
             "Country"]

# Ann's label, Ben's label, Ann's answers 1-11, Ben's answers ("T" is Ben's typo "Yy"; "y" is Ben's "yes"),
# then Ann's and Ben's method, allocated, analysed, quote, notes, and Ann's funding / Ben's country.
SHARED = [
    ("Müller et al. (2019)", "Muller et al 2019", "YYYYNNYYYYY", "YYYYNNYNYYY",
     ("computer-generated list", 40, 38, "p.3 'randomly allocated by computer'", None, "DFG"),
     ("Computer generated list", 40, 36, "p.3", None, "Germany")),
    ("García-López et al. (2020)", "Garcia-Lopez, 2020", "YYNYNNYYNYY", "YYNYNNYYNYY",
     ("random number table", 56, 50, "p.4", None, None), ("random number table", 56, 50, "p.4", None, "Spain")),
    ("Smith et al. (2013)", "Smith 2013", "YYYYNNNYYYY", "YYYTNNNYYYY",
     ("sealed envelopes", 30, 29, "p.2", "pilot", None), ("sealed envelopes", 30, 29, "p.2", "pilot", "UK")),
    ("Kalron et al. (2021) [12]", "Kalron 2021", "YYYYYNYYNYY", "YYYYYNYYNYY",
     ("block randomisation", 46, 40, "p.5", None, None), ("block randomisation", 46, 40, "p.5", None, "Israel")),
    ("Clawson LL et al. (2017)", "Clawson et al., 2017", "YYNYNNYNNYY", "YYNYNNYNNYy",
     ("stratified", 59, 47, "p.6", None, "NIH"), ("stratified", 59, 47, "p.6", None, "USA")),
    ("Ferri A, et al. (2019)", "Ferri 2019", "YYYYNNYYNYY", "YYNYNNYYNYY",
     ("random number generator", 20, 18, "p.2", None, None), ("random number generator", 20, 18, "p.2", None, None)),
    ("Lunetta C et al. (2015)", "Lunetta, 2015", "YYYYYNYYNYY", "YYYYYNYYNYY",
     ("computer", 60, 58, "p.3", None, None), ("computer", 60, 58, "p.3", None, "Italy")),
    ("Zucchi E et al. (2019)", "Zucchi et al 2019", "YYNYNNYNYYY", "YYNYNNYNYYY",
     ("minimisation", 65, 55, "p.4", "crossover", None), ("minimisation", 65, 55, "p.4", "crossover", "Italy")),
    ("Ødegaard et al. (2018)", "Odegaard 2018", "YYYYNNYYYYY", "YYYYNNYYYYY",
     ("random", 32, 30, "p.2", None, None), ("random", 32, 30, "p.2", None, "Norway")),
    ("van der Berg et al. (2016)", "Van der Berg, 2016", "YYNNNNYYYYY", "YYNNNNYYYYY",
     ("coin toss", 24, 24, "p.3", None, None), ("coin toss", 24, 24, "p.3", None, None)),
    ("Dal Bello-Haas et al. (2007)", "Dal Bello-Haas 2007", "YYYYNNYNNYY", "YYYYNNYNNYY",
     ("random", 27, 20, "p.5", None, None), ("random", 27, 20, "p.5", None, "USA")),
    ("Drory 2001", "drory, 2001", "YYNYNNYNNYY", "YYNYNNYNNYY",
     ("sealed envelopes", 25, 14, "p.2", None, None), ("sealed envelopes", 25, 14, "p.2", None, "Israel")),
    ("Pinto et al. (2012a)", "Pinto 2012a", "YYNYNNYYYYY", "YYNYNNYYYYY",
     ("random", 20, 20, "p.1", None, None), ("random", 20, 20, "p.1", None, None)),
    ("Pinto et al. (2012b)", "Pinto 2012b", "YYNYNNNYYYY", "YYNYNNNYYYY",
     ("random", 22, 21, "p.1", None, None), ("random", 22, 21, "p.1", None, None)),
]
ANN_ONLY = [("Li et al. (2012)", "YYNYNNNYYYY", ("random", 30, 29, "p.2", None, None)),
            ("Braga et al. (2018)", "YYYYNNYYYYY", ("sealed envelopes", 24, 24, "p.3", None, None))]
BEN_ONLY = [("Li Y 2012", "YYNYNNNYYYY", ("random", 30, 29, "p.2", None, "China")),
            ("Li Z et al. 2012", "YYNYYNNYYYY", ("random", 44, 40, "p.4", None, "China")),
            ("Merico 2018", "YYYYNNYYYYY", ("random", 24, 24, "p.2", None, "Italy"))]
CARRIED = ["Randomisation method", "N allocated", "N analysed", "2 evidence", "Notes", "Funding", "Country"]


def _cells(answers: str) -> list:
    return [{"T": "Yy", "y": "yes", ".": None}.get(letter, letter) for letter in answers]


def _rows(trials, extra_header: list[str], title: str | None) -> list[list]:
    rows = ([[title], []] if title else []) + [["Study", *ITEM_HEADERS, *extra_header]]
    for label, answers, extra in trials:
        total = sum(1 for letter in answers[1:] if letter in "Yy" and letter != "T")
        rows.append([label, *_cells(answers), total, *extra])
    return rows


@pytest.fixture
def sheets(tmp_path, monkeypatch):
    """Ann's sheet, scored once (an audited workbook with a change log: she wrote 'Yes' once), and Ben's."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    ann_trials = [(a, answers, extra) for a, _, answers, _, extra, _ in SHARED] + ANN_ONLY
    ben_trials = [(b, answers, extra) for _, b, _, answers, _, extra in SHARED] + BEN_ONLY
    ann_rows = _rows(ann_trials, ANN_EXTRA, "Table 2. Methodological quality of the included trials (PEDro scale)")
    ann_rows[4][1] = "Yes"  # Müller et al., item 1: rewritten "Y" and logged when Ann's sheet is scored
    ann = write_xlsx(tmp_path / "ann.xlsx", ann_rows, sheet="PEDro")
    scored = CliRunner().invoke(main, ["score", str(ann), "-o", str(tmp_path / "ann.audited.xlsx")])
    assert scored.exit_code == 0, scored.output
    ben = write_xlsx(tmp_path / "ben.xlsx", _rows(ben_trials, BEN_EXTRA, None), sheet="Ratings")
    return tmp_path / "ann.audited.xlsx", ben


def _compare(ann, ben, out, *extra):
    return CliRunner().invoke(main, ["compare", str(ann), str(ben), "--names", "Ann,Ben", "-o", str(out), *extra])


def _save_as(path: Path, user: str, when: dt.datetime) -> None:
    """Set the document properties as Excel sets them on saving, by editing the package: who saved the
    workbook last, and when."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    core = parts["docProps/core.xml"].decode("utf-8")
    core = re.sub(r"<cp:lastModifiedBy>.*?</cp:lastModifiedBy>|<cp:lastModifiedBy/>", "", core)
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                  rf"\g<1>{when.strftime('%Y-%m-%dT%H:%M:%SZ')}\g<2>", core)
    core = core.replace("</cp:coreProperties>", f"<cp:lastModifiedBy>{user}</cp:lastModifiedBy></cp:coreProperties>")
    parts["docProps/core.xml"] = core.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _resolve_all(path: Path, by: str = "Carol") -> dict:
    """Fill every open Consensus cell as the third rater would (the first assessor's answer where it is
    readable, else Y); return {(study, item): consensus}."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Disagreements"]
    header = [c.value for c in sheet[1]]
    chosen = {}
    for row in range(2, sheet.max_row + 1):
        first = sheet.cell(row, next(i for i, h in enumerate(header) if h.endswith(": answer")) + 1).value
        answer = first if first in ("Y", "N", "?") else "Y"
        sheet.cell(row, header.index("Consensus") + 1).value = answer
        sheet.cell(row, header.index("Reason") + 1).value = "re-read the report"
        sheet.cell(row, header.index("Resolved by") + 1).value = by
        chosen[(sheet.cell(row, 1).value, sheet.cell(row, 2).value)] = answer
    workbook.save(path)
    return chosen


def _sheet_rows(path: Path, name: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))


def test_compare_pairs_labels_as_a_person_would(sheets, tmp_path):
    ann, ben = sheets
    result = _compare(ann, ben, tmp_path / "d.xlsx", "--json", "--dry-run")
    assert result.exit_code == 0, result.output
    studies = json.loads(result.output)["studies"]
    assert studies["compared"] == 14
    assert studies["unmatched"] == {"Ann": ["Li et al. (2012)", "Braga et al. (2018)"],
                                    "Ben": ["Li Y 2012", "Li Z et al. 2012", "Merico 2018"]}
    assert studies["ambiguous"] == [{"key": "li 2012", "labels": {"Ann": ["Li et al. (2012)"],
                                                                  "Ben": ["Li Y 2012", "Li Z et al. 2012"]},
                                     "matched": "ambiguous, not paired"}]
    pairs = studies["paired_by_surname_and_year"]
    assert len(pairs) == 13  # all but Drory 2001 = drory, 2001, which the exact key pairs
    assert {"Ann": "Müller et al. (2019)", "Ben": "Muller et al 2019"} in pairs
    assert {"Ann": "García-López et al. (2020)", "Ben": "Garcia-Lopez, 2020"} in pairs
    assert {"Ann": "Smith et al. (2013)", "Ben": "Smith 2013"} in pairs
    assert {"Ann": "Pinto et al. (2012b)", "Ben": "Pinto 2012b"} in pairs  # the year letter is kept
    why = {(t["rated_by"], t["study"]): (t["row"], t["why"]) for t in studies["not_paired"]}
    assert why[("Ann", "Braga et al. (2018)")] == (19, "not in Ben's sheet (no trial there with this label, or "
                                                       "this surname and year)")
    assert why[("Ben", "Li Z et al. 2012")][0] == 17 and why[("Ben", "Li Z et al. 2012")][1].startswith("ambiguous")

    terminal = _compare(ann, ben, tmp_path / "d.xlsx", "--dry-run")
    assert terminal.exit_code == 0, terminal.output
    assert "14 trial(s) compared, 13 of them paired by first author's surname and year" in terminal.output
    assert "ambiguous, not paired ('li 2012'): Ann 'Li et al. (2012)'; Ben 'Li Y 2012', 'Li Z et al. 2012'" \
        in terminal.output
    assert "rated by Ann only (1): 'Braga et al. (2018)' (row 19)" in terminal.output  # Li: listed as ambiguous
    assert "pedro consensus will refuse this workbook while trials are ambiguous" in terminal.output
    assert "rated by Ben only (1): 'Merico 2018' (row 18)" in terminal.output
    assert "Ben: Smith et al. (2013) item 4 'Yy'" in terminal.output


def test_a_typo_is_shown_as_typed_and_flagged(sheets, tmp_path):
    ann, ben = sheets
    out = tmp_path / "d.xlsx"
    result = _compare(ann, ben, out, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["unreadable_answers"] == [{"rated_by": "Ben", "study": "Smith et al. (2013)", "item": 4,
                                             "typed": "Yy"}]
    typo = [d for d in report["disagreements"] if d["study"] == "Smith et al. (2013)"]
    assert typo == [{"study": "Smith et al. (2013)", "item": 4, "answers": {"Ann": "Y", "Ben": None},
                     "unreadable": {"Ben": "Yy"}}]
    sheet = openpyxl.load_workbook(out)["Disagreements"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "Smith et al. (2013)")
    cell = row[header.index("Ben: answer")]
    assert cell.value == "Yy (not a valid answer)"
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")  # on red, as an error
    assert row[header.index("Ann: answer")].value == "Y"
    assert "(blank)" not in [c.value for r in sheet.iter_rows(min_row=2) for c in r]


def test_both_typing_the_same_unreadable_answer_is_still_listed(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    a = write_xlsx(tmp_path / "a.xlsx", _rows([("Smith 2013", "YYTYNNYYYYY", ())], [], None))
    b = write_xlsx(tmp_path / "b.xlsx", _rows([("Smith 2013", "YYTYNNYYYYY", ())], [], None))
    result = CliRunner().invoke(main, ["compare", str(a), str(b), "--json", "-o", str(tmp_path / "d.xlsx")])
    report = json.loads(result.output)
    assert [(d["item"], d["unreadable"]) for d in report["disagreements"]] == [(3, {"a": "Yy", "b": "Yy"})]
    rows = _sheet_rows(tmp_path / "d.xlsx", "Disagreements")
    assert rows[1][3] == rows[1][5] == "Yy (not a valid answer)"


@pytest.mark.slow  # compare, consensus, score and audit of 19 trials: about two seconds
def test_compare_to_consensus_carries_every_trial_column_and_history(sheets, tmp_path):
    ann, ben = sheets
    out = tmp_path / "d.xlsx"
    assert _compare(ann, ben, out).exit_code == 0
    # Ann's one "Li 2012" against Ben's two: consensus would hold one trial twice, so it refuses, naming them.
    refused = CliRunner().invoke(main, ["consensus", str(out), "-o", str(tmp_path / "refused.xlsx")])
    assert refused.exit_code == 2 and "labels are ambiguous" in refused.output
    assert all(f"'{label}'" in refused.output for label in ("Li et al. (2012)", "Li Y 2012", "Li Z et al. 2012"))
    assert not (tmp_path / "refused.xlsx").exists()
    book = openpyxl.load_workbook(ben)  # Ben gives his second Li 2012 a year letter, as the refusal asks
    cell = next(c for c in book.active["A"] if c.value == "Li Z et al. 2012")
    cell.value = "Li Z et al. 2012b"
    book.save(ben)
    assert _compare(ann, ben, out).exit_code == 0
    trials_sheet = _sheet_rows(out, "Trials")
    assert trials_sheet[0][6:] == tuple(CARRIED)
    assert len(trials_sheet) == 1 + 2 * 15 + 1 + 2
    chosen = _resolve_all(out)
    assert chosen[("Smith et al. (2013)", 4)] == "Y" and ("Müller et al. (2019)", 8) in chosen
    # Outside pedro, Carol corrects an agreed answer and one of Ben's numbers, then saves in "Excel".
    workbook = openpyxl.load_workbook(out)
    agreed = workbook["Agreed"]
    zucchi = next(r for r in agreed.iter_rows(min_row=2) if r[0].value == "Zucchi E et al. (2019)")
    assert zucchi[7].value == "Y"
    zucchi[7].value = "N"  # item 7
    trials = workbook["Trials"]
    header = [c.value for c in trials[1]]
    ben_muller = next(r for r in trials.iter_rows(min_row=2) if r[0].value == "Müller et al. (2019)"
                      and r[2].value == "Ben")
    ben_muller[header.index("N analysed")].value = 37
    workbook.save(out)
    _save_as(out, "Carol", dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))

    consensus_path = tmp_path / "consensus.xlsx"
    merged = CliRunner().invoke(main, ["consensus", str(out), "-o", str(consensus_path)])
    assert merged.exit_code == 0, merged.output
    assert "18 trial(s)" in merged.output and "2 cell(s) edited outside pedro" in merged.output
    assert "rated by Ben only, carried with those answers: 'Merico 2018'" in merged.output

    rows = _sheet_rows(consensus_path, "Consensus")
    header = list(rows[0])
    assert header == ["Study", *ITEM_HEADERS, *CARRIED, "Consensus notes"]
    by_label = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    every_label = [a for a, *_ in SHARED] + [label for label, *_ in ANN_ONLY] + ["Li Z et al. 2012b", "Merico 2018"]
    assert sorted(by_label) == sorted(every_label) and len(rows) == 19  # every trial, once
    muller = by_label["Müller et al. (2019)"]
    assert muller["Randomisation method"] == "computer-generated list"  # Ann's kept ...
    assert muller["N analysed"] == 38 and muller["Funding"] == "DFG" and muller["Country"] == "Germany"
    notes = muller["Consensus notes"]
    assert 'Randomisation method: Ann "computer-generated list", Ben "Computer generated list" (kept Ann\'s)' in notes
    assert 'N analysed: Ann "38", Ben "37" (kept Ann\'s)' in notes  # ... with Ben's (edited) value named
    assert 'Study: Ann "Müller et al. (2019)", Ben "Muller et al 2019"' in notes
    assert muller["8 Adequate follow-up"] == "Y" and muller["1 Eligibility criteria"] == "Y"
    assert by_label["Zucchi E et al. (2019)"]["7 Blind assessors"] == "N"  # the outside edit is taken
    assert by_label["Smith et al. (2013)"]["4 Baseline comparability"] == "Y"
    assert by_label["Smith et al. (2013)"]["Notes"] == "pilot" and by_label["Zucchi E et al. (2019)"]["Notes"] == \
        "crossover"
    assert by_label["García-López et al. (2020)"]["Country"] == "Spain"
    li = by_label["Li Z et al. 2012b"]
    assert li["N allocated"] == 44 and li["5 Blind subjects"] == "Y" and li["Consensus notes"].startswith(
        "rated by Ben only: not in Ann's sheet")
    assert 'Study: Ann "Li et al. (2012)", Ben "Li Y 2012"' in by_label["Li et al. (2012)"]["Consensus notes"]
    assert by_label["Braga et al. (2018)"]["Consensus notes"].startswith("rated by Ann only: not in Ben's sheet")
    _check_history(ann, consensus_path)

    final = tmp_path / "final.xlsx"
    scored = CliRunner().invoke(main, ["score", str(consensus_path), "-o", str(final), "--json"])
    assert scored.exit_code == 0, scored.output
    report = json.loads(scored.output)
    assert len(report["studies"]) == 18
    assert not [f for s in report["studies"] for f in s["findings"] if f["severity"] == "error"]
    result = score_file(consensus_path)
    assert set(result.sheet.layout.roles) >= {"method", "n_allocated", "n_analysed"}
    assert 2 in result.sheet.layout.evidence  # the carried columns are read as what they are
    totals = dict(zip(result.sheet.studies["study"], result.scores["total"]))
    assert totals["Müller et al. (2019)"] == 8 and totals["Zucchi E et al. (2019)"] == 5
    audited = CliRunner().invoke(main, ["audit", str(final)])
    assert audited.exit_code == 0, audited.output
    assert _sheet_rows(final, "Change log") == _sheet_rows(consensus_path, "Change log")  # kept, nothing spurious


def _check_history(ann_audited: Path, consensus_path: Path) -> None:
    """The consensus's change log: Ann's own log verbatim after a row saying whose it is, the answers pedro
    rewrote reading Ben's sheet, the two edits made outside pedro (by Carol), then every resolution; one
    chain that verifies from its first row."""
    log = _sheet_rows(consensus_path, "Change log")[1:]
    ann_log = _sheet_rows(ann_audited, "Change log")[1:]
    assert ann_log and ann_log[0][6:8] == ("Yes", "Y")
    assert log[0][8] == "history" and "Ann's ann.audited.xlsx" in log[0][9] and "chain verified" in log[0][9]
    assert [r[:10] for r in log[1: 1 + len(ann_log)]] == [r[:10] for r in ann_log]  # verbatim
    rest = log[1 + len(ann_log):]
    assert rest[0][8] == "history" and "Ben's ben.xlsx" in rest[0][9] and "rewrote" in rest[0][9]
    assert (rest[1][2], rest[1][6], rest[1][7], rest[1][8]) == ("Ratings", "yes", "Y", "answer-synonym")
    outside = [r for r in log if r[8] == "edited outside pedro"]
    assert [(r[1], r[2], r[4], r[5], r[6], r[7]) for r in outside] == [
        ("Carol", "Agreed", "Zucchi E et al. (2019)", 7, "Y", "N"),
        ("Carol", "Trials", "Müller et al. (2019)", None, "36", "37")]
    resolutions = [r for r in log if r[8] == "consensus"]
    assert log.index(outside[-1]) < log.index(resolutions[0])  # edits first, then the resolutions
    assert ("Smith et al. (2013)", 4, "Ann: Y; Ben: Yy (not a valid answer)", "Y") in [r[4:8] for r in resolutions]
    assert all(r[1] == "Carol" for r in resolutions)
    assert verify_chain([list(r[:10]) for r in log], [r[10] for r in log])["ok"]
    provenance = dict(_sheet_rows(consensus_path, "Provenance")[1:])
    assert provenance["change_log_rows"] == str(len(log)) and provenance["change_log_head"] == log[-1][10]


@pytest.fixture
def resolved(tmp_path, monkeypatch):
    """A small resolved disagreement workbook: three trials both rated, one only A rated."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    a = write_xlsx(tmp_path / "a.xlsx", _rows([("Smith 2013", "YYYYNNYYYYY", ("random", 40, 38)),
                                               ("Jones 2002", "YYNYNNYNNYY", ("coin", 20, 20)),
                                               ("Lee et al. (2003)", "NYYYNNNYYYY", ("table", 30, 30)),
                                               ("Only A 2010", "YYYYYYYYYYY", ("random", 10, 10))],
                                              ["Total", "Randomisation method", "N allocated", "N analysed"], None))
    b = write_xlsx(tmp_path / "b.xlsx", _rows([("Smith 2013", "YYNYNNYYYYY", ("random", 40, 38)),
                                               ("Jones 2002", "YYNYNNYYNYY", ("coin", 20, 20)),
                                               ("Lee 2003", "NYYYNNNYYYY", ("table", 30, 30))],
                                              ["Total", "Randomisation method", "N allocated", "N analysed"], None))
    out = tmp_path / "d.xlsx"
    assert CliRunner().invoke(main, ["compare", str(a), str(b), "-o", str(out)]).exit_code == 0
    _resolve_all(out)
    return out


def _consensus(path: Path):
    return CliRunner().invoke(main, ["consensus", str(path), "-o", str(path.with_name("c.xlsx"))])


def _edit(path: Path, edit) -> None:
    workbook = openpyxl.load_workbook(path)
    edit(workbook)
    workbook.save(path)


def _row_of(sheet, label):
    return next(r[0].row for r in sheet.iter_rows(min_row=2) if r[0].value == label)


@pytest.mark.parametrize("change, named", [
    (lambda wb: wb["Agreed"].delete_rows(_row_of(wb["Agreed"], "Jones 2002")), "Study Jones 2002"),
    (lambda wb: wb["Agreed"].cell(_row_of(wb["Agreed"], "Lee et al. (2003)"), 1, "Lee 2003 (renamed)"),
     "Study Lee et al. (2003) was deleted (or its Study changed)"),
    (lambda wb: wb["Unmatched"].delete_rows(2), "'Only A 2010', Assessor a, Row 5"),
    (lambda wb: wb["Trials"].append(["New 2020", 9, "a", "New 2020", 9, "a only", "random"]), "New 2020"),
    (lambda wb: wb["Disagreements"].delete_rows(2), "Study Smith 2013, Item 3"),
    (lambda wb: wb["Trials"].cell(2, 5, 99), "'Smith 2013', Assessor a, Row 2 was deleted"),
    (lambda wb: wb["Trials"].delete_cols(7), "column 'Randomisation method'"),
    (lambda wb: wb["Trials"].cell(2, 1, "Smith 2013 (renamed)"), "cell A2: 'Study' ties the trial"),
])
def test_a_trial_pedro_cannot_place_is_an_error_naming_it(resolved, change, named):
    _edit(resolved, change)
    result = _consensus(resolved)
    assert result.exit_code == 2, result.output
    assert named in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1  # one sentence
    assert not resolved.with_name("c.xlsx").exists()


def test_sorting_and_filling_in_are_not_edits(resolved):
    def sort(workbook):
        for name in ("Disagreements", "Trials", "Unmatched"):
            sheet = workbook[name]
            rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
            for r, values in enumerate(reversed(rows), start=2):
                for c, value in enumerate(values, start=1):
                    sheet.cell(r, c, value)
    _edit(resolved, sort)
    result = _consensus(resolved)
    assert result.exit_code == 0, result.output
    assert "edited outside pedro" not in result.output
    log = _sheet_rows(resolved.with_name("c.xlsx"), "Change log")[1:]
    assert [r[8] for r in log] == ["consensus", "consensus"]
    labels = [r[0] for r in _sheet_rows(resolved.with_name("c.xlsx"), "Consensus")[1:]]
    assert labels == ["Smith 2013", "Jones 2002", "Lee et al. (2003)", "Only A 2010"]  # the sheets' order still


def test_an_edited_record_or_log_is_refused(resolved, tmp_path):
    copy = tmp_path / "copy.xlsx"
    shutil.copy(resolved, copy)
    def forge(workbook):  # Smith 2013's item 3, as recorded, made to agree with what it was resolved to
        cell = workbook["Recorded cells"].cell(2, 2)
        assert cell.value.startswith('["Smith 2013", "3"')
        cell.value = cell.value.replace('"Y", "", "N"', '"N", "", "N"')
    _edit(resolved, forge)
    result = _consensus(resolved)
    assert result.exit_code == 2 and "hidden 'Recorded cells' sheet" in result.output
    _edit(copy, lambda wb: wb["Provenance"].cell(2, 2, "someone else"))
    result = _consensus(copy)
    assert result.exit_code == 2 and "Provenance sheet is not as pedro compare wrote it" in result.output


def test_edits_to_the_recorded_answers_are_logged_before_the_resolutions(resolved):
    def edit(workbook):
        sheet = workbook["Disagreements"]
        sheet.cell(2, 4, "N")  # an assessor's answer as recorded: logged, the Consensus column decides
        workbook["Unmatched"].cell(2, 6, "N")  # item 2 of the trial only A rated: logged and taken
    _edit(resolved, edit)
    result = _consensus(resolved)
    assert result.exit_code == 0, result.output
    log = _sheet_rows(resolved.with_name("c.xlsx"), "Change log")[1:]
    assert [(r[2], r[3], r[6], r[7], r[8], r[1]) for r in log[:2]] == [
        ("Disagreements", "D2", "Y", "N", "edited outside pedro", "unknown"),
        ("Unmatched", "F2", "Y", "N", "edited outside pedro", "unknown")]  # saved too soon after compare to say
    assert [r[8] for r in log[2:]] == ["consensus", "consensus"]
    rows = _sheet_rows(resolved.with_name("c.xlsx"), "Consensus")
    only_a = next(r for r in rows if r[0] == "Only A 2010")
    assert only_a[2] == "N"
    smith = next(r for r in rows if r[0] == "Smith 2013")
    assert smith[3] == "Y"  # item 3: the Consensus column's answer


def test_the_consensus_sheet_edited_before_scoring_is_logged(resolved, tmp_path):
    """The consensus workbook records its table as an audited workbook does: a cell edited between
    `pedro consensus` and `pedro score` becomes an "edited outside pedro" row after the resolutions."""
    assert _consensus(resolved).exit_code == 0
    consensus_path = resolved.with_name("c.xlsx")
    assert openpyxl.load_workbook(consensus_path)["Recorded cells"].sheet_state == "hidden"
    header = list(_sheet_rows(consensus_path, "Consensus")[0])
    _edit(consensus_path, lambda wb: wb["Consensus"].cell(3, header.index("N analysed") + 1, 19))  # Jones 2002
    final = tmp_path / "final.xlsx"
    scored = CliRunner().invoke(main, ["score", str(consensus_path), "-o", str(final)])
    assert scored.exit_code == 0, scored.output
    log = _sheet_rows(final, "Change log")[1:]
    assert [r[8] for r in log] == ["consensus", "consensus", "edited outside pedro"]
    assert (log[-1][3], log[-1][4], log[-1][6], log[-1][7]) == (f"{chr(65 + header.index('N analysed'))}3",
                                                                "Jones 2002", "20", "19")
    assert CliRunner().invoke(main, ["audit", str(final)]).exit_code == 0


def test_consensus_says_when_the_key_is_the_likely_cause(resolved, tmp_path, monkeypatch):
    """A disagreement workbook sealed without a key, merged with one, and one sealed with a key, merged
    without it or with another: refused, naming the key, not as tampering."""
    monkeypatch.setenv(KEY_ENV, "a secret")
    result = _consensus(resolved)
    assert result.exit_code == 2
    assert f"sealed by pedro compare without a key, but a key is given ({KEY_ENV})" in result.output
    a, b = (write_xlsx(tmp_path / f"{n}.xlsx", _rows([("Smith 2013", answers, ())], [], None))
            for n, answers in (("a", "YYYYNNYYYYY"), ("b", "YYNYNNYYYYY")))
    keyed = tmp_path / "keyed.xlsx"
    assert CliRunner().invoke(main, ["compare", str(a), str(b), "-o", str(keyed)]).exit_code == 0
    _resolve_all(keyed)
    assert _consensus(keyed).exit_code == 0  # the same key: merged
    monkeypatch.setenv(KEY_ENV, "another secret")
    assert "the key given (PEDRO_AUDIT_KEY) is different" in _consensus(keyed).output
    monkeypatch.delenv(KEY_ENV)
    assert "the key given (PEDRO_AUDIT_KEY) is missing" in _consensus(keyed).output


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_a_workbook_saved_by_libreoffice_merges_without_spurious_edits(resolved, tmp_path):
    """LibreOffice rewrites every cell on saving (numbers as floats, shared strings, the hidden sheet kept
    hidden): none of that is an edit."""
    outdir = tmp_path / "lo"
    done = subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                           "--convert-to", "xlsx", "--outdir", str(outdir), str(resolved)],
                          capture_output=True, text=True, timeout=180)
    saved = outdir / resolved.name
    assert done.returncode == 0 and saved.exists(), done.stderr
    with zipfile.ZipFile(saved) as archive:
        assert "LibreOffice" in archive.read("docProps/app.xml").decode("utf-8")
    assert openpyxl.load_workbook(saved)["Recorded cells"].sheet_state == "hidden"
    result = CliRunner().invoke(main, ["consensus", str(saved), "-o", str(tmp_path / "c.xlsx")])
    assert result.exit_code == 0, result.output
    assert "edited outside pedro" not in result.output
    log = _sheet_rows(tmp_path / "c.xlsx", "Change log")[1:]
    assert [r[8] for r in log] == ["consensus", "consensus"]
    assert canonical(_sheet_rows(tmp_path / "c.xlsx", "Consensus")[1][13]) == "40"
