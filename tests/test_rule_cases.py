"""Rule cases as data, run by one parametrised test (after sqlfluff's rule harness).

Each rule in ``pedro.rules.RULES`` has a file ``tests/rule_cases/<rule id>.toml``::

    rule = "PD202"

    [[case]]
    name = "item-1-counted"            # kebab-case; the test id is PD202-item-1-counted
    expect = "fail"                    # "fail": the rule must report it; "pass": it must not
    above = [["Table 2. PEDro scores"]]  # optional rows above the header (titles)
    header = ["Study", "1 Eligibility criteria", ..., "Total"]
    rows = [["Smith 2010", "Y", ..., 7]]  # "" is an empty cell
    cells = ["M2"]                     # optional, fail only: exactly the cells flagged
    message_contains = ["items 1-11"]  # optional, fail only: text every finding's message has
    message_excludes = ["items 1-11"]  # optional, fail only: text no finding's message has
    format = "csv"                     # optional: "xlsx" (default) or "csv"
    bands = "high-low-5"               # optional: the band set to score with (default: the rubric's)
    rubric = "testex"                  # optional: the rubric to score with (default: pedro)

The test writes the sheet as a real file, runs ``pedro.engine.score_file`` on
it and looks only at the findings of the file's rule: the other rules may
report what they like about the same sheet.
"""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import pytest

from pedro.engine import score_file
from pedro.rules import RULES, RULES_BY_ID, SEVERITIES

from conftest import REPO, write_csv, write_xlsx

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CASES_DIR = Path(__file__).resolve().parent / "rule_cases"
README = REPO / "README.md"
CATALOGUE_START, CATALOGUE_END = "<!-- rules:start -->", "<!-- rules:end -->"

REQUIRED_KEYS = {"name", "expect", "header", "rows"}
OPTIONAL_KEYS = {"above", "cells", "message_contains", "message_excludes", "format", "bands", "rubric"}
FAIL_ONLY_KEYS = {"cells", "message_contains", "message_excludes"}
CASE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RULE_ID = re.compile(r"^PD\d{3}$")


def load_case_files() -> dict[str, dict]:
    """File stem (the rule id) -> the parsed TOML of that file."""
    files = {}
    for path in sorted(CASES_DIR.glob("*.toml")):
        with path.open("rb") as handle:
            files[path.stem] = tomllib.load(handle)
    return files


CASE_FILES = load_case_files()


def case_params():
    for stem, data in CASE_FILES.items():
        for case in data.get("case", []):
            yield pytest.param(stem, case, id=f"{stem}-{case.get('name', '?')}")


def case_problems(stem: str, data: dict) -> list[str]:
    """What is wrong with one case file, as sentences naming the file and case."""
    problems = []
    if data.get("rule") != stem:
        problems.append(f"{stem}.toml: rule = {data.get('rule')!r}, expected {stem!r} (the file name)")
    if stem not in RULES_BY_ID:
        problems.append(f"{stem}.toml: no rule {stem} in pedro.rules.RULES")
    unknown_top = set(data) - {"rule", "case"}
    if unknown_top:
        problems.append(f"{stem}.toml: unknown top-level key(s) {sorted(unknown_top)}; allowed: rule, [[case]]")
    names = [case.get("name") for case in data.get("case", [])]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        problems.append(f"{stem}.toml: case names used twice: {duplicated}")
    for number, case in enumerate(data.get("case", []), start=1):
        where = f"{stem}.toml case {case.get('name', f'#{number}')!r}"
        missing = REQUIRED_KEYS - set(case)
        unknown = set(case) - REQUIRED_KEYS - OPTIONAL_KEYS
        if missing:
            problems.append(f"{where}: missing key(s) {sorted(missing)}")
        if unknown:
            problems.append(f"{where}: unknown key(s) {sorted(unknown)}; allowed: "
                            f"{sorted(REQUIRED_KEYS | OPTIONAL_KEYS)}")
        if not CASE_NAME.match(str(case.get("name", ""))):
            problems.append(f"{where}: name must be kebab-case (lower-case words joined by '-')")
        if case.get("expect") not in ("fail", "pass"):
            problems.append(f"{where}: expect must be 'fail' or 'pass', found {case.get('expect')!r}")
        if case.get("expect") == "pass" and FAIL_ONLY_KEYS & set(case):
            problems.append(f"{where}: {sorted(FAIL_ONLY_KEYS & set(case))} only make sense when expect = 'fail'")
        if case.get("format", "xlsx") not in ("xlsx", "csv"):
            problems.append(f"{where}: format must be 'xlsx' or 'csv', found {case.get('format')!r}")
        if not case.get("rows"):
            problems.append(f"{where}: rows is empty; give at least one trial row")
    return problems


def write_case_sheet(case: dict, folder: Path) -> Path:
    """The case's rows as a real file: titles, header, trials ("" = empty cell)."""
    rows = [*case.get("above", []), case["header"], *case["rows"]]
    rows = [[None if value == "" else value for value in row] for row in rows]
    if case.get("format", "xlsx") == "csv":
        return write_csv(folder / "case.csv", rows)
    return write_xlsx(folder / "case.xlsx", rows)


def shown(findings) -> str:
    if findings.empty:
        return "(no findings)"
    return "\n".join(f"  {f.rule} {f.cell}: {f.message}" for f in findings.itertuples())


@pytest.mark.parametrize(("rule_id", "case"), list(case_params()))
def test_rule_case(rule_id, case, tmp_path):
    problems = case_problems(rule_id, {"rule": rule_id, "case": [case]})
    assert not problems, "\n".join(problems)
    result = score_file(write_case_sheet(case, tmp_path), bands=case.get("bands"), rubric=case.get("rubric"))
    findings = result.findings[result.findings["rule"] == rule_id]
    everything = f"all findings on the sheet:\n{shown(result.findings)}"

    if case["expect"] == "pass":
        assert findings.empty, f"{rule_id} should not report this sheet, but did:\n{shown(findings)}\n{everything}"
        return

    assert not findings.empty, f"{rule_id} should report this sheet, but did not\n{everything}"
    if "cells" in case:
        assert sorted(findings["cell"]) == sorted(case["cells"]), (
            f"{rule_id} flagged cells {sorted(findings['cell'])}, expected exactly {sorted(case['cells'])}\n"
            f"{shown(findings)}")
    for message in findings["message"]:
        for text in case.get("message_contains", []):
            assert text in message, f"{rule_id} message lacks {text!r}: {message}"
        for text in case.get("message_excludes", []):
            assert text not in message, f"{rule_id} message should not say {text!r}: {message}"
    assert set(findings["severity"]) == {RULES_BY_ID[rule_id].severity}


def test_case_files_are_well_formed():
    problems = [p for stem, data in CASE_FILES.items() for p in case_problems(stem, data)]
    assert not problems, "\n".join(problems)


def test_every_rule_has_failing_and_passing_cases():
    missing = []
    for rule in RULES:
        expects = [case.get("expect") for case in CASE_FILES.get(rule.id, {}).get("case", [])]
        for wanted in ("fail", "pass"):
            if wanted not in expects:
                missing.append(f"{rule.id} ({rule.name}) has no '{wanted}' case in tests/rule_cases/{rule.id}.toml")
    assert not missing, "\n".join(missing)


def test_rule_ids_are_unique_and_well_formed():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)), f"rule ids used twice: {sorted({i for i in ids if ids.count(i) > 1})}"
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names)), f"rule names used twice: {sorted({n for n in names if names.count(n) > 1})}"
    assert [i for i in ids if not RULE_ID.match(i)] == []


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_rule_is_documented(rule):
    assert rule.summary, f"{rule.id}: its check function {rule.check.__name__} needs a docstring"
    assert rule.severity in SEVERITIES, f"{rule.id}: severity {rule.severity!r} is not one of {SEVERITIES}"
    assert rule.criterion.strip(), f"{rule.id}: no PEDro criterion or note"
    assert "PEDro" in rule.criterion or "PEDRO-NOTES" in rule.criterion, (
        f"{rule.id}: criterion should cite the PEDro scale or PEDRO-NOTES: {rule.criterion!r}")
    assert rule.message.strip(), f"{rule.id}: no message template"
    # The template must parse as a format string (a stray brace would fail only when the rule fires).
    list(string.Formatter().parse(rule.message))


def test_readme_catalogue_matches_rules():
    from pedro.catalogue import rules_markdown

    text = README.read_text(encoding="utf-8") if README.exists() else ""
    if CATALOGUE_START not in text or CATALOGUE_END not in text:
        pytest.skip(f"README.md has no {CATALOGUE_START} ... {CATALOGUE_END} markers yet "
                    "(the README is being written); nothing to compare")
    catalogue = text.split(CATALOGUE_START, 1)[1].split(CATALOGUE_END, 1)[0]
    assert catalogue.strip() == rules_markdown().strip(), (
        "README.md's rule catalogue is stale; paste the output of pedro.catalogue.rules_markdown() "
        f"between {CATALOGUE_START} and {CATALOGUE_END}")
