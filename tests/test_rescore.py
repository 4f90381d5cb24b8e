"""Scoring again: the same input over its audited workbook adds nothing to the
history, a keyed workbook is not continued under another seal, the terminal says
what of the history goes on, and a closed pipe is not reported as a bug (found by
reviewing issue 13 as a user)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pedro.cli import main

from conftest import item_sheet, write_xlsx

TRIALS = {"Smith 2001": "YYYNNNNYYYY", "Jones 2002": "YYYNNNYYYYY", "Lee 2003": "YYYYYNNNYYY"}


def _score(*args, env=None):
    return CliRunner().invoke(main, ["score", *map(str, args)], env=env or {})


def _log(path: Path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)["Change log"].iter_rows(min_row=2, values_only=True))


@pytest.fixture()
def ratings(tmp_path) -> Path:
    rows = item_sheet(TRIALS)
    rows[1][2] = "yes"  # C2: a synonym pedro rewrites to Y, so the first run logs a change
    return write_xlsx(tmp_path / "ratings.xlsx", rows)


def test_scoring_an_unchanged_input_again_adds_no_log_rows(ratings):
    audited = ratings.with_name("ratings.audited.xlsx")
    first = _score(ratings)
    assert first.exit_code in (0, 1), first.output
    logged = _log(audited)
    assert [row[3] for row in logged] == ["C2"] and logged[0][6:8] == ("yes", "Y")
    for _ in range(2):  # the README: running again duplicates nothing
        again = _score(ratings)
        assert again.exit_code == first.exit_code, again.output
        assert _log(audited) == logged
        assert "history:" not in again.output
    audit = CliRunner().invoke(main, ["audit", str(audited)], env={})
    assert audit.exit_code == 0, audit.output


def test_a_corrected_input_is_logged_as_an_edit_and_rewritten_again(ratings):
    audited = ratings.with_name("ratings.audited.xlsx")
    _score(ratings)
    workbook = openpyxl.load_workbook(ratings)
    workbook["Ratings"]["C2"] = "no"  # the assessor corrects the original input
    workbook.save(ratings)
    again = _score(ratings)
    assert "history: 1 edit(s) made outside pedro" in again.output
    logged = _log(audited)
    assert [(row[3], row[6], row[7], row[8]) for row in logged] == [
        ("C2", "yes", "Y", "answer-synonym"), ("C2", "Y", "no", "edited outside pedro"),
        ("C2", "no", "N", "answer-synonym")]
    assert CliRunner().invoke(main, ["audit", str(audited)], env={}).exit_code == 0


@pytest.mark.parametrize("key_then, key_now, words", [
    ("k1", None, "was sealed with a key; the key given (PEDRO_AUDIT_KEY) is missing"),
    ("k1", "k2", "was sealed with a key; the key given (PEDRO_AUDIT_KEY) is different"),
    (None, "k2", "was sealed without a key, but a key is given (PEDRO_AUDIT_KEY)"),
])
def test_an_audited_workbook_is_not_continued_under_another_seal(ratings, tmp_path, key_then, key_now, words):
    audited = tmp_path / "first.xlsx"
    assert _score(ratings, "-o", audited, env={"PEDRO_AUDIT_KEY": key_then}).exit_code in (0, 1)
    again = _score(audited, "-o", tmp_path / "second.xlsx", env={"PEDRO_AUDIT_KEY": key_now})
    assert again.exit_code == 2
    assert again.output.startswith(f"pedro: first.xlsx {words}: scoring it again would continue its change log")
    assert "Traceback" not in again.output and not (tmp_path / "second.xlsx").exists()
    # and writing over it from the original input is refused the same way
    over = _score(ratings, "-o", audited, env={"PEDRO_AUDIT_KEY": key_now})
    assert over.exit_code == 2 and f"first.xlsx {words}" in over.output


def test_the_same_key_continues_the_history(ratings, tmp_path):
    audited = tmp_path / "first.xlsx"
    _score(ratings, "-o", audited, env={"PEDRO_AUDIT_KEY": "k1"})
    again = _score(audited, "-o", tmp_path / "second.xlsx", env={"PEDRO_AUDIT_KEY": "k1"})
    assert again.exit_code in (0, 1), again.output
    audit = CliRunner().invoke(main, ["audit", str(tmp_path / "second.xlsx")], env={"PEDRO_AUDIT_KEY": "k1"})
    assert audit.exit_code == 0, audit.output


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell for the pipe")
def test_a_reader_that_stops_reading_is_not_a_bug():
    pedro = Path(sys.executable).with_name("pedro")
    if not pedro.exists():
        pytest.skip(f"the installed pedro command is not beside {sys.executable}")
    done = subprocess.run(["sh", "-c", f"'{pedro}' rules | head -c 0"], capture_output=True, text=True, timeout=60)
    assert done.stderr == ""  # not "internal error (BrokenPipeError) ... This is a bug in pedro"


def test_an_audited_input_edited_before_compare_keeps_its_edit_in_the_history(ratings, tmp_path):
    """An assessor's audited workbook edited after scoring, then compared: the edit reaches the disagreement
    workbook's change log (which the consensus continues) as "edited outside pedro", as scoring it again
    would log it, instead of vanishing between the two logs (found reviewing issue 13)."""
    ann = tmp_path / "ann.audited.xlsx"
    _score(ratings, "-o", ann)
    workbook = openpyxl.load_workbook(ann)
    workbook["Ratings"]["D2"] = "N"  # Smith 2001, item 3: Y when scored
    workbook.save(ann)
    ben = write_xlsx(tmp_path / "ben.xlsx", item_sheet(TRIALS))
    out = tmp_path / "d.xlsx"
    compared = CliRunner().invoke(main, ["compare", str(ann), str(ben), "--names", "Ann,Ben", "-o", str(out)], env={})
    assert compared.exit_code == 0, compared.output
    log = _log(out)
    edits = [row for row in log if row[8] == "edited outside pedro"]
    assert [(row[2], row[3], row[4], row[6], row[7]) for row in edits] == [("Ratings", "D2", "Smith 2001", "Y", "N")]
    introduction = next(row for row in log if row[9] and row[9].startswith("Ann's ann.audited.xlsx"))
    assert "1 row(s) are edits made outside pedro since it was scored" in introduction[9]
    # the first run's rewrite (C2 yes -> Y) is Ann's own log, carried verbatim, and not logged a second time
    assert [(row[3], row[6], row[7]) for row in log if row[8] == "answer-synonym"] == [("C2", "yes", "Y")]


@pytest.mark.parametrize("edit", ["a log cell edited", "the last log row deleted"])
def test_an_audited_workbook_whose_log_no_longer_verifies_is_not_continued(ratings, tmp_path, edit):
    """Scoring again would carry the break into the new workbook, found only at audit: refuse, and say
    what to do (found reviewing issue 13)."""
    audited = tmp_path / "first.xlsx"
    _score(ratings, "-o", audited)
    workbook = openpyxl.load_workbook(audited)
    log = workbook["Change log"]
    if edit == "a log cell edited":
        log["H2"] = "N"  # the first run's yes -> Y now reads yes -> N
    else:
        log.delete_rows(2)
    workbook.save(audited)
    again = _score(audited, "-o", tmp_path / "second.xlsx")
    assert again.exit_code == 2, again.output
    assert again.output.startswith("pedro: first.xlsx: its change log no longer verifies (")
    assert "run pedro audit first.xlsx to see what changed" in again.output
    assert not (tmp_path / "second.xlsx").exists()


def test_auditing_an_unscored_consensus_says_to_score_it(tmp_path):
    """A consensus item sheet has pedro's change log but no Scores yet: say to score it, not to "score the
    original item sheet again" (found reviewing issue 13)."""
    from pedro.consensus import read_consensus
    from pedro.write.consensus import write_consensus

    ann = write_xlsx(tmp_path / "ann.xlsx", item_sheet(TRIALS))
    ben = write_xlsx(tmp_path / "ben.xlsx", item_sheet(TRIALS))
    out = tmp_path / "d.xlsx"
    assert CliRunner().invoke(main, ["compare", str(ann), str(ben), "-o", str(out)], env={}).exit_code == 0
    merged = write_consensus(read_consensus(out), tmp_path / "cons.xlsx")
    audit = CliRunner().invoke(main, ["audit", str(merged)], env={})
    assert audit.exit_code == 2
    assert "cons.xlsx has not been scored" in audit.output and "run `pedro score cons.xlsx`" in audit.output
