"""The rubric loader: the packaged scale, band sets, and clear errors for bad files."""

from __future__ import annotations

import pytest

from pedro.errors import RubricError
from pedro.rubric import load_rubric, packaged_rubric_files

PEDRO_SCALE_ITEMS = {  # number: key, from the official PEDro scale (1999)
    1: "eligibility", 2: "random_allocation", 3: "concealed_allocation", 4: "baseline_comparability",
    5: "blind_subjects", 6: "blind_therapists", 7: "blind_assessors", 8: "adequate_followup",
    9: "intention_to_treat", 10: "between_group_comparison", 11: "point_estimates_variability",
}


def test_packaged_pedro_rubric():
    assert "pedro" in packaged_rubric_files()
    rubric = load_rubric()
    assert {item.number: item.key for item in rubric.items} == PEDRO_SCALE_ITEMS
    assert rubric.scored_items == tuple(range(2, 12))  # item 1 is not scored
    assert rubric.max_total == 10
    assert rubric.default_bands == "cashin2020"
    assert len(rubric.sha256) == 64


@pytest.mark.parametrize("name, cuts", [
    # (band set, the band of each total 0..10) as published; see rubrics/pedro.toml for sources
    ("cashin2020", ["poor"] * 4 + ["fair"] * 2 + ["good"] * 3 + ["excellent"] * 2),
    ("three-level", ["poor"] * 4 + ["fair"] * 2 + ["high"] * 5),
    ("high-low-6", ["low"] * 6 + ["high"] * 5),
    ("high-low-5", ["low"] * 5 + ["high"] * 6),
])
def test_band_sets(name, cuts):
    bands = load_rubric().band_set(name)
    assert [bands.band_of(t) for t in range(11)] == cuts
    assert bands.source


def _write(tmp_path, text):
    path = tmp_path / "custom.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _pedro_text():
    return packaged_rubric_files()["pedro"].read_text(encoding="utf-8")


def test_custom_rubric_file_with_new_alias(tmp_path):
    text = _pedro_text().replace('aliases = ["concealed allocation",', 'aliases = ["verborgene zuteilung", '
                                 '"concealed allocation",')
    rubric = load_rubric(str(_write(tmp_path, text)))
    from pedro.sheets.layout import HeaderMatcher

    assert HeaderMatcher(rubric).classify("Verborgene Zuteilung").item == 3


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("{ label = \"fair\", min = 4, max = 5 },\n  { label = \"good\", min = 6",
                         "{ label = \"fair\", min = 4, max = 4 },\n  { label = \"good\", min = 6", 1),
     "without gaps or overlaps"),
    (lambda t: t.replace('default_bands = "cashin2020"', 'default_bands = "nope"'), "default_bands 'nope'"),
    (lambda t: t.replace('"?" = ["?", "unclear"', 'X = ["?", "unclear"'), "'X' is not an answer"),
    (lambda t: t.replace('N = ["n", "no"', 'N = ["n", "yes", "no"'), "'yes' is listed for both Y and N"),
    (lambda t: t.replace("number = 8\n", "number = 12\n"), "numbered 1..11"),
    (lambda t: t.replace("scored = true", "scored = 1", 1), "'scored' must be bool"),
    (lambda t: t + "\n[columns.study2]\nword = []\n", "unknown key(s) ['word']"),
    (lambda t: t.replace("[rubric]", "[rubric", 1), "cannot read rubric"),
])
def test_bad_rubric_named_clearly(tmp_path, edit, message):
    text = edit(_pedro_text())
    assert text != _pedro_text()
    with pytest.raises(RubricError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]").replace("?", r"\?")):
        load_rubric(str(_write(tmp_path, text)))


def test_unknown_rubric_name():
    with pytest.raises(RubricError, match="no rubric named 'nope'; pedro ships: pedro"):
        load_rubric("nope")


def test_rules_command_lists_the_given_rubrics_parameters(tmp_path):
    """`pedro rules --rubric FILE` shows the rules as that rubric sets them (issue 12: the option
    was accepted and ignored): its own threshold, and a table it lacks named as such."""
    import re

    from click.testing import CliRunner

    from pedro.cli import main

    text = packaged_rubric_files()["pedro"].read_text(encoding="utf-8")
    text = text.replace("threshold = 0.85", "threshold = 0.8")
    text = re.sub(r"\[rules\.blinding\]\n(#.*\n)*items = \[5, 6\]\n", "", text)
    mine = tmp_path / "mine.toml"
    mine.write_text(text, encoding="utf-8")
    packaged = CliRunner().invoke(main, ["rules"])
    assert packaged.exit_code == 0, packaged.output
    assert "parameters [rules.followup]: item = 8, threshold = 0.85" in packaged.output
    result = CliRunner().invoke(main, ["rules", "--rubric", str(mine)])
    assert result.exit_code == 0, result.output
    assert "(mine.toml)" in result.output.splitlines()[0]
    assert "parameters [rules.followup]: item = 8, threshold = 0.8," in result.output
    assert "has no [rules.blinding] table" in result.output
    assert "[rules.blinding]" in packaged.output and "has no [rules.blinding]" not in packaged.output
    missing = CliRunner().invoke(main, ["rules", "--rubric", str(tmp_path / "absent.toml")])
    assert missing.exit_code == 2 and "absent.toml" in missing.output
