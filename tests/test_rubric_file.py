"""A rubric is a data file a user can write (issue 16, point 2): a checklist with other items, other
point values and other subtotals scores a sheet with no code change, and a mistake in the file is one
sentence naming the key, its line and what is allowed."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from pedro.cli import main
from pedro.engine import score_file
from pedro.errors import RubricError
from pedro.rubric import load_rubric
from pedro.write.audited import write_audited

from conftest import write_csv, write_xlsx

# A user's own five-item checklist: item 3 is worth 2 points, item 5 is not scored, no band set (and
# says why), one subtotal, and the concealment rule by role.  No [answers] or [columns] table: the
# loader's defaults read yes/no/1/0 and the usual Study/Total headers.
CHECKLIST = """\
[rubric]
name = "check5"
title = "A five-item checklist"
source = "Our review protocol, section 2.4"
no_bands = "the protocol names no quality bands"

[[items]]
number = 1
key = "random_allocation"
label = "Randomised"
criterion = "The trial was randomised."
scored = true
aliases = ["randomised"]

[[items]]
number = 2
key = "concealed_allocation"
label = "Concealed"
criterion = "Allocation was concealed."
scored = true
aliases = ["concealed"]

[[items]]
number = 3
key = "outcome_reporting"
label = "Outcome reporting"
criterion = "Outcomes were reported in full (2 points) or in part (1 point)."
scored = true
points = 2
aliases = ["outcome reporting", "reporting"]

[[items]]
number = 4
key = "dropouts"
label = "Drop-outs described"
criterion = "Drop-outs were described."
scored = true
aliases = ["dropouts described", "dropouts"]

[[items]]
number = 5
key = "funding"
label = "Funding stated"
criterion = "Funding was stated."
scored = false
aliases = ["funding", "funding stated"]

[[subtotals]]
name = "design"
label = "Design"
items = [1, 2]

[rules.concealment]
randomisation_role = "random_allocation"
concealment_role = "concealed_allocation"
"""

SHEET = [["Study", "Randomised", "Concealed", "Outcome reporting", "Drop-outs described", "Funding", "Total"],
         ["A 2001", "yes", "yes", 2, "no", "yes", 4],
         ["B 2002", "no", "yes", 1, "yes", "no", 4],  # printed 4, the items give 3
         ["C 2003", "yes", "?", 3, "yes", "no", 3]]  # 3 points on a 2-point item


@pytest.fixture
def checklist(tmp_path):
    path = tmp_path / "check5.toml"
    path.write_text(CHECKLIST, encoding="utf-8")
    return path


def test_user_rubric_loads_with_its_own_points(checklist):
    rubric = load_rubric(str(checklist))
    assert rubric.max_total == 5  # 1 + 1 + 2 + 1; item 5 is not scored
    assert rubric.scored_items == (1, 2, 3, 4)
    assert rubric.item(3).points == 2 and not rubric.item(3).yes_no
    assert [s.items for s in rubric.subtotals] == [(1, 2)]
    assert rubric.band_set(None).bands == () and "no quality bands" in rubric.band_set(None).describe()
    assert rubric.by_role("concealed_allocation").number == 2


def test_user_rubric_scores_a_sheet_without_code_change(tmp_path, checklist):
    result = score_file(write_xlsx(tmp_path / "five.xlsx", SHEET), rubric=str(checklist))
    totals = result.scores["total"].tolist()
    assert totals[:2] == [4, 3]  # A: 1 + 1 + 2 + 0; B: 0 + 1 + 1 + 1
    assert result.scores["total"].isna().tolist() == [False, False, True]  # C's '3' is not an answer
    assert result.scores.loc[2, ["min_total", "max_total"]].tolist() == [2, 4]  # 1 + 0 + ? + 1
    assert result.scores["band"].isna().all()
    findings = result.findings
    mismatch = findings[findings["rule"] == "PD202"]
    assert mismatch["study"].tolist() == ["B 2002"]
    assert "differs from the sum of items 1-4 (5 points) (3)" in mismatch["message"].iloc[0]
    bad = findings[findings["rule"] == "PD101"]
    assert bad["cell"].tolist() == ["D4"] and bad["value"].tolist() == ["3"]
    assert "worth at most 2 points" in bad["message"].iloc[0]
    # The concealment rule runs by role on this rubric's own numbering: item 2 Y while item 1 is N.
    concealed = findings[findings["rule"] == "PD304"]
    assert concealed["study"].tolist() == ["B 2002"] and concealed["cell"].tolist() == ["C3"]
    # Rules whose tables the checklist lacks (quasi-random, follow-up, blinding, bands) are skipped.
    assert not set(findings["rule"]) & {"PD301", "PD303", "PD305", "PD401", "PD501", "PD203", "PD204"}


def test_user_rubric_audited_workbook_keeps_the_out_of_range_value(tmp_path, checklist):
    import openpyxl

    source = write_xlsx(tmp_path / "five.xlsx", SHEET)
    result = score_file(source, rubric=str(checklist))
    output = tmp_path / "five.audited.xlsx"
    write_audited(result, output)
    book = openpyxl.load_workbook(output)
    assert book["Ratings"]["D4"].value == 3  # never clamped to 2, never turned into 0
    assert book["Ratings"]["D2"].value == 2  # a number of points stays a number
    scores = [[c.value for c in row] for row in book["Scores"].iter_rows()]
    header = scores[0]
    assert "Subtotal: Design (/2)" in header
    design = header.index("Subtotal: Design (/2)")
    assert [row[design] for row in scores[1:]] == [2, 1, 1]
    assert header[header.index("Max") + 1] == "Subtotal: Design (/2)"


def test_user_rubric_on_the_command_line(tmp_path, checklist):
    sheet = write_csv(tmp_path / "five.csv", SHEET)
    result = CliRunner().invoke(main, ["score", str(sheet), "--rubric", str(checklist), "--dry-run"])
    assert result.exit_code == 1, result.output  # errors found
    assert "bands: no band (the protocol names no quality bands)" in result.output
    assert "totals out of 5 (design /2)" in result.output
    report = json.loads(CliRunner().invoke(main, ["score", str(sheet), "--rubric", str(checklist), "--dry-run",
                                                  "--json"]).output)
    assert report["max_total"] == 5 and report["no_band"].startswith("no band")
    assert report["studies"][0]["subtotals"] == {"design": {"points": 2, "min": 2, "max": 2}}
    assert report["studies"][0]["answers"]["3"] == "2"


def _bad(tmp_path, text):
    path = tmp_path / "my.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubric(str(path))
    return str(caught.value)


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return lines[nth - 1]


def test_error_names_key_line_and_allowed_values(tmp_path):
    text = CHECKLIST.replace("points = 2", 'points = "two"')
    message = _bad(tmp_path, text)
    line = _line_of(text, 'points = "two"')
    assert message.endswith(f"my.toml line {line}: [[items]] #3 'points' must be a whole number 1-10, "
                            'found "two"'), message


@pytest.mark.parametrize("edit, needle, expected", [
    # a number of points out of range
    (lambda t: t.replace("points = 2", "points = 0"), "points = 0", "'points' must be a whole number 1-10, found 0"),
    # a key of the wrong type, on the item it belongs to
    (lambda t: t.replace('label = "Concealed"', "label = 7"), "label = 7", "[[items]] #2 'label' must be text"),
    # an unknown key in an item
    (lambda t: t.replace("points = 2", "points = 2\npoint = 2"), "point = 2", "unknown key 'point'; allowed:"),
    # a subtotal naming an item the rubric does not score
    (lambda t: t.replace("items = [1, 2]", "items = [1, 5]"), "items = [1, 5]",
     "[[subtotals]] #1 'items' must list scored item numbers (1, 2, 3, 4), found [1, 5]"),
    # two items with one key (one role)
    (lambda t: t.replace('key = "dropouts"', 'key = "funding"'), ('key = "funding"', 2),
     "[[items]] #5 'key' 'funding' is also the key of item 4"),
    # parts that do not add up to the points
    (lambda t: t.replace("points = 2\n", 'points = 2\nparts = [{ code = "3a", label = "In full" }]\n'),
     "parts = [", "'parts' must list one part per point (2), found 1"),
    # a part code that is not the item's number and a letter
    (lambda t: t.replace("points = 2\n", 'points = 2\nparts = [{ code = "4a", label = "x" }, '
                                        '{ code = "3b", label = "y" }]\n'), "parts = [",
     'part code "4a" must be the item number and a letter'),
    # neither a band set nor why there is none
    (lambda t: t.replace('no_bands = "the protocol names no quality bands"\n', ""), "[rubric]",
     "the rubric names no band set; add tables [bands.NAME]"),
    # a band set that leaves a total without a band: the maximum is this rubric's, not PEDro's 10
    (lambda t: t + '\n[bands.mine]\nsource = "protocol"\nbands = [{ label = "low", min = 0, max = 2 }, '
                   '{ label = "high", min = 3, max = 4 }]\n', "bands = [", "bands end at 4, expected 5"),
])
def test_bad_rubric_files_give_line_numbered_sentences(tmp_path, edit, needle, expected):
    text = edit(CHECKLIST)
    assert text != CHECKLIST
    message = _bad(tmp_path, text)
    assert expected in message, message
    needle, nth = needle if isinstance(needle, tuple) else (needle, 1)
    assert re.search(rf"my\.toml line {_line_of(text, needle, nth)}:", message), message


def test_toml_syntax_error_names_the_line(tmp_path):
    text = CHECKLIST.replace('label = "Concealed"', 'label = "Concealed')
    message = _bad(tmp_path, text)
    line = _line_of(text, 'label = "Concealed')
    assert "cannot read rubric" in message and f"line {line}" in message, message


def test_rules_command_says_which_rules_apply(checklist):
    result = CliRunner().invoke(main, ["rules", "--rubric", str(checklist)])
    assert result.exit_code == 0, result.output
    blocks = result.output.split("\nPD")
    concealment = next(b for b in blocks if b.startswith("304"))
    assert "does not apply" not in concealment and "concealment_role = concealed_allocation" in concealment
    followup = next(b for b in blocks if b.startswith("501"))
    assert "does not apply: rubric check5 has no [rules.followup] table, so the rule is skipped" in followup
    bands = next(b for b in blocks if b.startswith("203"))
    assert "names no band set (the protocol names no quality bands)" in bands


def test_a_role_the_rubric_lacks_is_named(tmp_path):
    text = CHECKLIST.replace('concealment_role = "concealed_allocation"', 'concealment_role = "hidden"')
    path = tmp_path / "my.toml"
    path.write_text(text, encoding="utf-8")
    rubric = load_rubric(str(path))
    from pedro.rules import RULES_BY_ID, applies

    assert applies(RULES_BY_ID["PD304"], rubric) == "rubric check5 has no item with role hidden"


def test_readme_example_is_this_checklist():
    """The README's "Writing a rubric" example is the checklist these tests score, and its error example
    is the sentence pedro gives."""
    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(\[rubric\]\nname = \"check5\".*?)```", readme, re.S).group(1)
    assert example == CHECKLIST
    line = _line_of(CHECKLIST, "points = 2")
    assert f"`rubric my.toml line {line}: [[items]] #3 'points' must be a whole number 1-10, found \"two\"`" in readme


def test_rule_summaries_in_a_rubrics_words():
    """`pedro rules --rubric` words a rule with the rubric's own maximum and sum; PEDro's are its
    docstrings word for word (the README's catalogue is made from them)."""
    from pedro.rules import RULES, RULES_BY_ID

    pedro, testex = load_rubric("pedro"), load_rubric("testex")
    assert all(rule.summary_for(pedro) == rule.summary for rule in RULES)
    assert RULES_BY_ID["PD201"].summary_for(testex) == ("A reported total that is not a whole number from 0 to 15 "
                                                         "(or 'n/15').")
    assert RULES_BY_ID["PD202"].summary_for(testex) == ("A reported total that differs from the points of "
                                                         "criteria 1-12 (15 points).")


# --- `pedro audit` and `pedro consensus` on the user's own rubric (kept by name and SHA-256, not by path)

CLEAN = [SHEET[0], ["A 2001", "yes", "yes", 2, "no", "yes", 4], ["B 2002", "no", "yes", 1, "yes", "no", 3]]


@pytest.fixture
def audited_checklist(tmp_path, checklist):
    output = tmp_path / "five.audited.xlsx"
    write_audited(score_file(write_xlsx(tmp_path / "five.xlsx", CLEAN), rubric=str(checklist)), output)
    return output


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_audit_of_a_user_rubric_needs_the_file(audited_checklist, checklist):
    sha = load_rubric(str(checklist)).sha256
    refused = _cli("audit", audited_checklist)
    assert refused.exit_code == 2, refused.output
    assert refused.output.strip() == (f"pedro: five.audited.xlsx was scored with rubric 'check5' (sha256 "
                                      f"{sha[:12]}…), which pedro does not ship; pass it with --rubric FILE")
    audited = _cli("audit", audited_checklist, "--rubric", checklist, "--json")
    assert audited.exit_code == 0, audited.output
    report = json.loads(audited.output)
    assert report["ok"] and not report["score_mismatches"] and not report["discrepancies"]


def test_audit_refuses_another_rubric_file(tmp_path, audited_checklist, checklist):
    edited = tmp_path / "edited.toml"
    edited.write_text(CHECKLIST.replace("section 2.4", "section 2.5"), encoding="utf-8")
    sha = load_rubric(str(checklist)).sha256
    refused = _cli("audit", audited_checklist, "--rubric", edited)
    assert refused.exit_code == 2, refused.output
    assert (f"was scored with rubric 'check5' (sha256 {sha[:12]}…), but {edited} has sha256 "
            f"{load_rubric(str(edited)).sha256[:12]}…, another file; pass the rubric file it was scored with"
            ) in refused.output
    assert _cli("audit", audited_checklist, "--rubric", "pedro").exit_code == 2  # a packaged rubric is no escape


def test_audit_of_a_packaged_rubric_reads_it_from_the_provenance(tmp_path):
    """TESTEX is shipped: no --rubric needed, and naming it again is harmless."""
    sheet = [["Study", *[f"{n}" for n in range(1, 13)], "Total"],
             ["T 2010", "Y", "Y", "Y", "Y", "Y", 3, "Y", 2, "Y", "Y", "Y", "Y", 15]]
    output = tmp_path / "t.audited.xlsx"
    write_audited(score_file(write_xlsx(tmp_path / "t.xlsx", sheet), rubric="testex"), output)
    for extra in ([], ["--rubric", "testex"]):
        audited = _cli("audit", output, *extra)
        assert audited.exit_code == 0, audited.output


def test_consensus_of_a_user_rubric(tmp_path, checklist):
    other = [list(r) for r in CLEAN]
    other[1][3] = 1  # A 2001: outcome reporting, 1 point where the first assessor gave 2
    other[1][6] = 3
    a, b = write_xlsx(tmp_path / "a.xlsx", CLEAN), write_xlsx(tmp_path / "b.xlsx", other)
    disagreements = tmp_path / "d.xlsx"
    assert _cli("compare", a, b, "--rubric", checklist, "-o", disagreements).exit_code in (0, 1)
    import openpyxl

    book = openpyxl.load_workbook(disagreements)
    sheet = book["Disagreements"]
    consensus = [c.value for c in sheet[1]].index("Consensus") + 1
    sheet.cell(2, consensus).value = 2
    book.save(disagreements)
    refused = _cli("consensus", disagreements, "-o", tmp_path / "c.xlsx")
    assert refused.exit_code == 2, refused.output
    # pedro compare records the rubric's name and SHA-256, so the refusal names the file by its digest
    sha = load_rubric(str(checklist)).sha256
    assert (f"d.xlsx was scored with rubric 'check5' (sha256 {sha[:12]}…), which pedro does not ship; pass it "
            "with --rubric FILE") in refused.output
    wrong = _cli("consensus", disagreements, "--rubric", "testex", "-o", tmp_path / "c.xlsx")
    assert wrong.exit_code == 2 and "another file" in wrong.output
    # ... and a copy of the rubric edited since (one more alias) is another file, refused as well
    edited = tmp_path / "edited.toml"
    edited.write_text(checklist.read_text().replace('aliases = [', 'aliases = ["added alias", ', 1))
    changed = _cli("consensus", disagreements, "--rubric", edited, "-o", tmp_path / "c.xlsx")
    assert changed.exit_code == 2 and f"but {edited} has sha256" in changed.output, changed.output
    merged = _cli("consensus", disagreements, "--rubric", checklist, "-o", tmp_path / "c.xlsx")
    assert merged.exit_code == 0, merged.output
    assert score_file(tmp_path / "c.xlsx", rubric=str(checklist)).scores["total"].tolist() == [4, 3]


# Issue 16 review: rubric mistakes that used to load silently, or load and compute wrongly.
@pytest.mark.parametrize("edit, needle, expected", [
    # a subtotal listing an item twice would count it twice
    (lambda t: t.replace("items = [1, 2]", "items = [1, 1]"), "items = [1, 1]",
     "[[subtotals]] #1 'items' must list scored item numbers (1, 2, 3, 4), found [1, 1]; item 1 is listed twice"),
    (lambda t: t.replace("items = [1, 2]", "items = [1, 7]"), "items = [1, 7]",
     "'items' must list scored item numbers (1, 2, 3, 4), found [1, 7]"),
    # a misspelt rule table would switch the concealment rule off
    (lambda t: t.replace("[rules.concealment]", "[rules.concealmnt]"), "[rules.concealmnt]",
     "unknown rule table [rules.concealmnt]; pedro's rules read: answers, blinding, concealment, evidence, "
     "followup, footnotes, quasi_random, totals"),
    # a misspelt role
    (lambda t: t.replace('concealment_role = "concealed_allocation"', 'concealment_role = "concealed_alocation"'),
     "concealment_role", "[rules.concealment] 'concealment_role' \"concealed_alocation\" names no item; the roles "
     "(item keys) are: random_allocation, concealed_allocation, outcome_reporting, dropouts, funding"),
    (lambda t: t + '\n[bandz.x]\nsource = "s"\n', "[bandz.x]",
     "unknown table or key 'bandz'; allowed: rubric, items, subtotals, answers, columns, bands, rules"),
    (lambda t: t + "\n[rules.evidence]\nitems = [1, 9]\n", "items = [1, 9]",
     "[rules.evidence] 'items' must name item numbers (1, 2, 3, 4, 5) once each, found [1, 9]"),
    (lambda t: t.replace('"dropouts described", "dropouts"]', '"dropouts described", "concealed"]'),
     '"dropouts described", "concealed"',
     "[[items]] #4 alias 'concealed' is also an alias of item 2; each alias must name one item"),
])
def test_rubric_mistakes_that_loaded_silently_are_errors(tmp_path, edit, needle, expected):
    text = edit(CHECKLIST)
    assert text != CHECKLIST
    message = _bad(tmp_path, text)
    assert f"my.toml line {_line_of(text, needle)}:" in message, message
    assert expected in message, message


def test_duplicate_item_number_points_at_the_duplicate(tmp_path):
    text = CHECKLIST.replace("number = 4", "number = 3")
    message = _bad(tmp_path, text)
    assert f"line {_line_of(text, 'number = 3', 2)}: [[items]] #4 'number' 3: items must be numbered 1..5 once each" \
        in message, message


def test_shipped_rubrics_name_only_rule_tables_the_rules_read():
    """RULE_TABLES (what the loader allows) is the set of tables pedro's rules and reader read."""
    from pedro.rubric import RULE_TABLES
    from pedro.rules import RULES

    read = {name for rule in RULES for name in (*rule.parameters, *rule.requires, rule.cites) if name}
    assert read | {"footnotes"} == set(RULE_TABLES)
    for name in ("pedro", "testex"):
        assert set(load_rubric(name).rule_params) <= set(RULE_TABLES)
