"""Editors' audit: a fresh audited workbook verifies; every kind of later edit is caught and named."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pedro.audit import chain as chain_module
from pedro.audit.chain import KEY_ENV, canonical, chain_hashes, table_digest
from pedro.audit.verify import verify_workbook
from pedro.cli import main
from pedro.engine import score_file
from pedro.errors import InputError
from pedro.write.audited import write_audited

from conftest import item_sheet, write_xlsx

# Five trials; "yes"/"n"/1 answers give the change log rows to chain.
STUDIES = {"Smith 2001": "yesYYNNYYYYYY", "Jones 2002": "YYNYNNYnNYY", "Lee 2003": "NYYYNNNYYYY",
           "Garcia 2010": "YYYN1NYYYYY", "Okafor 2015": "YYNNNNNNNYY"}


def _sheet(studies):
    rows = [item_sheet({})[0]]
    for label, answers in studies.items():
        cells = ["yes"] + list(answers[3:]) if answers.startswith("yes") else list(answers)
        rows.append([label, *cells])
    return rows


@pytest.fixture
def audited(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    source = write_xlsx(tmp_path / "in.xlsx", _sheet(STUDIES))
    return write_audited(score_file(source), tmp_path / "audited.xlsx")


def _edit(path, sheet, cell, value):
    workbook = openpyxl.load_workbook(path)
    workbook[sheet][cell] = value
    workbook.save(path)


def _audit(path, *args):
    return CliRunner().invoke(main, ["audit", str(path), *args])


def test_fresh_audited_workbook_verifies(audited):
    report = verify_workbook(audited)
    assert report["ok"], report["discrepancies"]
    assert report["chain"] == {"ok": True, "rows": 3, "first_bad_row": None}
    assert report["edited_after_scoring"] == [] and report["score_mismatches"] == []
    result = _audit(audited)
    assert result.exit_code == 0 and "verified" in result.output


def test_json_format(audited):
    result = _audit(audited, "--json")
    report = json.loads(result.output)
    assert set(report) >= {"ok", "chain", "edited_after_scoring", "score_mismatches", "bands", "band_changes"}
    # totals 8, 5, 7, 8, 3
    assert report["bands"]["cashin2020"] == {"poor": 1, "fair": 1, "good": 3, "excellent": 0}
    assert report["bands"]["high-low-6"] == {"low": 2, "high": 3}
    three = next(c for c in report["band_changes"] if c["to"] == "three-level")
    assert three["changed"] == 3  # good -> high, the same trials under another label
    assert {b["study"] for b in report["on_boundary"]} == {"Smith 2001", "Jones 2002", "Garcia 2010", "Okafor 2015"}
    restricted = json.loads(_audit(audited, "--json", "--bands", "cashin2020", "--bands", "high-low-5").output)
    assert set(restricted["bands"]) == {"cashin2020", "high-low-5"}


def test_item_edited_afterwards_is_named(audited):
    _edit(audited, "Ratings", "D4", "N")  # Lee 2003, item 3: Y -> N
    report = verify_workbook(audited)
    assert not report["ok"]
    assert report["edited_after_scoring"] == [{"study": "Lee 2003", "item": 3, "cell": "D4", "recorded": "Y",
                                               "found": "N"}]
    # the total recomputed from the item cells no longer matches Scores either
    assert {(m["study"], m["field"]) for m in report["score_mismatches"]} >= {("Lee 2003", "Total")}
    result = _audit(audited)
    assert result.exit_code == 1
    assert "Lee 2003: Ratings!D4 edited after scoring: recorded 'Y', found 'N'" in result.output


def test_total_edited_in_scores_is_caught(audited):
    workbook = openpyxl.load_workbook(audited)
    header = [c.value for c in workbook["Scores"][1]]
    column = header.index("Total") + 1
    cell = workbook["Scores"].cell(row=2, column=column)
    assert cell.value == 8
    cell.value = 9
    workbook.save(audited)
    report = verify_workbook(audited)
    assert not report["scores_sheet"]["ok"]
    assert report["score_mismatches"][0]["study"] == "Smith 2001"
    assert report["score_mismatches"][0]["expected"] == "8" and report["score_mismatches"][0]["found"] == "9"


def _log(path):
    workbook = openpyxl.load_workbook(path)
    return workbook, workbook["Change log"]


def test_change_log_row_deleted(audited):
    workbook, log = _log(audited)
    log.delete_rows(3)
    workbook.save(audited)
    report = verify_workbook(audited)
    assert report["chain"]["ok"] is False and report["chain"]["first_bad_row"] == 2


def test_last_change_log_row_deleted(audited):
    workbook, log = _log(audited)
    log.delete_rows(log.max_row)
    workbook.save(audited)
    report = verify_workbook(audited)
    assert report["chain"]["ok"] is False
    assert any("were deleted at the end" in d for d in report["discrepancies"])


def test_change_log_row_edited(audited):
    workbook, log = _log(audited)
    log["H3"] = "N"  # the "new" value of the second change
    workbook.save(audited)
    report = verify_workbook(audited)
    assert report["chain"] == {"ok": False, "rows": 3, "first_bad_row": 2}


def test_change_log_rows_reordered(audited):
    workbook, log = _log(audited)
    rows = [[c.value for c in row] for row in log.iter_rows(min_row=2)]
    for r, values in enumerate([rows[1], rows[0], rows[2]], start=2):
        for c, value in enumerate(values, start=1):
            log.cell(row=r, column=c).value = value
    workbook.save(audited)
    assert verify_workbook(audited)["chain"]["first_bad_row"] == 1


def test_provenance_digest_changed(audited):
    workbook = openpyxl.load_workbook(audited)
    sheet = workbook["Provenance"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "answers_digest":
            row[1].value = "sha256:" + "0" * 64
    workbook.save(audited)
    report = verify_workbook(audited)
    assert report["provenance"]["ok"] is False
    assert any(d.startswith("Provenance sheet") for d in report["discrepancies"])


def test_not_an_audited_workbook_is_exit_2(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", _sheet(STUDIES))
    result = _audit(source)
    assert result.exit_code == 2 and "is not an audited workbook" in result.output


def test_hmac_mode_rejects_a_chain_recomputed_without_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "editor-secret")
    source = write_xlsx(tmp_path / "in.xlsx", _sheet(STUDIES))
    audited = write_audited(score_file(source), tmp_path / "audited.xlsx")
    assert verify_workbook(audited)["ok"]
    workbook = openpyxl.load_workbook(audited)
    assert workbook["Change log"]["K2"].value.startswith("hmac-sha256:")
    # A forger without the key edits a change-log row and recomputes the whole chain, and the
    # Provenance seal, with plain SHA-256: a chain that verifies without a key...
    log = workbook["Change log"]
    log["H2"] = "N"
    rows = [[c.value for c in row][:10] for row in log.iter_rows(min_row=2)]
    for r, digest in enumerate(chain_hashes(rows, None, None), start=2):
        log.cell(row=r, column=11).value = digest
    provenance = workbook["Provenance"]
    entries = [[row[0].value, row[1].value] for row in provenance.iter_rows(min_row=2)]
    for row in provenance.iter_rows(min_row=2):
        if row[0].value == "change_log_head":
            row[1].value = log.cell(row=log.max_row, column=11).value
    entries = [[row[0].value, row[1].value] for row in provenance.iter_rows(min_row=2)]
    provenance.cell(row=provenance.max_row, column=2).value = table_digest(entries[:-1], None)
    workbook.save(audited)
    monkeypatch.delenv(KEY_ENV)
    # ...without the key the recorded key fingerprint says a key sealed it,
    with pytest.raises(InputError, match="was sealed with a key; the key given .PEDRO_AUDIT_KEY. is missing"):
        verify_workbook(audited)
    monkeypatch.setenv(KEY_ENV, "editor-secret")
    report = verify_workbook(audited)  # and with the key it is rejected
    assert report["chain"]["ok"] is False and report["chain"]["first_bad_row"] == 1
    assert report["provenance"]["ok"] is False
    # A forger who also writes the fingerprint of no key: without the key it looks consistent, with it it is
    # refused as sealed without the key.
    _set_provenance(workbook, "key_fingerprint", "none")
    workbook.save(audited)
    monkeypatch.delenv(KEY_ENV)
    assert verify_workbook(audited)["chain"]["ok"]
    monkeypatch.setenv(KEY_ENV, "editor-secret")
    with pytest.raises(InputError, match="was sealed without a key, but a key is given .PEDRO_AUDIT_KEY."):
        verify_workbook(audited)
    # and a wrong key does not verify a genuine workbook: it is named as the likely cause
    genuine = write_audited(score_file(source), tmp_path / "genuine.xlsx")
    monkeypatch.setenv(KEY_ENV, "another key")
    with pytest.raises(InputError, match="was sealed with a key; the key given .PEDRO_AUDIT_KEY. is different"):
        verify_workbook(genuine)


def test_hmac_workbook_without_the_key_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "k")
    source = write_xlsx(tmp_path / "in.xlsx", _sheet(STUDIES))
    audited = write_audited(score_file(source), tmp_path / "audited.xlsx")
    monkeypatch.delenv(KEY_ENV)
    result = _audit(audited)
    assert result.exit_code == 2 and "sealed with a key; the key given (PEDRO_AUDIT_KEY) is missing" in result.output


def test_rerun_keeps_the_chain_verifiable(audited, tmp_path):
    _edit(audited, "Ratings", "F3", "yes")  # an assessor's later correction, then a re-run
    again = write_audited(score_file(audited), tmp_path / "again.xlsx")
    report = verify_workbook(again)
    assert report["ok"], report["discrepancies"]
    # the three earlier rows, the assessor's edit (found against the recorded cells), then pedro's rewrite of it
    assert report["chain"]["rows"] == 5
    log = [[c.value for c in row] for row in openpyxl.load_workbook(again)["Change log"].iter_rows(min_row=5)]
    assert [r[3:9] for r in log] == [["F3", "Jones 2002", 5, "N", "yes", "edited outside pedro"],
                                     ["F3", "Jones 2002", 5, "yes", "Y", "answer-synonym"]]


def test_canonical_values_survive_a_round_trip():
    assert canonical(3.0) == "3" and canonical(None) == "" and canonical(True) == "TRUE"


def test_summary_sheet_is_a_traffic_light_with_band_counts_and_a_chart(audited):
    workbook = openpyxl.load_workbook(audited)
    summary = workbook["Summary"]
    rows = list(summary.iter_rows(values_only=True))
    counts = {r[0]: r[1] for r in rows[4:9]}
    assert counts == {"poor": 1, "fair": 1, "good": 3, "excellent": 0, "no band (answers missing)": 0}
    assert len(summary._charts) == 1
    header = next(i for i, r in enumerate(rows) if r[0] == "Study")
    assert rows[header][1:12] == tuple(str(n) for n in range(1, 12))
    assert rows[header + 1][0] == "Smith 2001" and rows[header + 1][12] == 8
    formats = {str(rng.sqref): [rule.operator for rule in rules] for rng, rules in
               summary.conditional_formatting._cf_rules.items()}
    (block, operators), = formats.items()
    assert block == f"B{header + 2}:L{header + 6}" and operators.count("equal") == 3
    scores_header = [c.value for c in workbook["Scores"][1]]
    assert {"Band: cashin2020", "Band: three-level", "Band: high-low-6", "Band: high-low-5",
            "On a band boundary in"} <= set(scores_header)


def _set_provenance(workbook, key, value):
    """Change one Provenance value and reseal the sheet, as a forger who knows the format would."""
    provenance = workbook["Provenance"]
    for row in provenance.iter_rows(min_row=2):
        if row[0].value == key:
            row[1].value = value
    entries = [[row[0].value, row[1].value] for row in provenance.iter_rows(min_row=2)]
    provenance.cell(row=provenance.max_row, column=2).value = table_digest(entries[:-1], None)


def _scores_cell(workbook, header, line):
    return workbook["Scores"].cell(row=line, column=[c.value for c in workbook["Scores"][1]].index(header) + 1)


def test_scores_row_numbers_edited_are_named_and_the_item_sheet_is_not_blamed(audited):
    workbook = openpyxl.load_workbook(audited)
    _scores_cell(workbook, "Row", 3).value = "x"  # Jones 2002's row: no longer a number
    _scores_cell(workbook, "Row", 4).value = 99  # Lee 2003's row: now names a row with no trial
    workbook.save(audited)
    report = verify_workbook(audited)
    assert report["discrepancies"] == ["Scores sheet: edited after scoring (its digest differs from the one "
                                       "recorded)", "Scores!B3: the row number 'x' was edited",
                                       "Scores!B4: the row number '99' was edited (no trial was on that row at "
                                       "scoring)"]
    # The Recorded cells show the item sheet unchanged: its cells are not reported as edited.
    assert report["edited_after_scoring"] == [] and report["answers"] == {"ok": True}
    assert report["score_mismatches"] == []


def test_change_log_head_differing_from_the_provenance_is_caught(audited):
    workbook = openpyxl.load_workbook(audited)
    _set_provenance(workbook, "change_log_head", "sha256:" + "0" * 64)
    workbook.save(audited)
    report = verify_workbook(audited)
    assert report["provenance"]["ok"] and report["chain"] == {"ok": False, "rows": 3, "first_bad_row": 3}
    assert report["discrepancies"] == ["Change log: the last row's hash is not the head the Provenance recorded"]


def test_answers_digest_missing_is_reported_though_no_cell_changed(audited):
    workbook = openpyxl.load_workbook(audited)
    _set_provenance(workbook, "answers_digest", None)
    workbook.save(audited)
    report = verify_workbook(audited)
    assert report["answers"] == {"ok": False} and report["edited_after_scoring"] == []
    assert report["discrepancies"] == ["item answers: no valid digest recorded ('')",
                                       "item answers: their digest differs from the one recorded at scoring time"]


def test_scores_sheet_without_its_study_column_is_exit_2(audited):
    _edit(audited, "Scores", "A1", "Trial")
    result = _audit(audited)
    assert result.exit_code == 2
    assert "the Scores sheet has lost its 'Study' or 'Row' column" in result.output


# Values as the digests meet them: text with quotes, backslashes, every control character, line and paragraph
# separators, non-Latin and astral characters; numbers, booleans, None, and numpy scalars.
DIGEST_VALUES = (st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20) | st.integers()
                 | st.floats(allow_nan=False) | st.booleans() | st.none()
                 | st.sampled_from(["\x00\x1f\x7f\"\\/", "\u2028\u2029", "é Ω 𝄞", ""]))


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(DIGEST_VALUES, max_size=8), max_size=6))
def test_digests_cover_rows_as_json_encoder_writes_them(rows):
    """Every workbook pedro sealed holds digests over rows written by json.JSONEncoder(ensure_ascii=False,
    separators=(",", ":")) of the values' canonical texts; they must verify for ever, so the quicker spelling
    of that text (issue 18) has to give it byte for byte."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    as_sealed = [encoder.encode([canonical(v) for v in row]).encode("utf-8") for row in rows]
    assert [chain_module._serialise(row) for row in rows] == as_sealed
    rows_hashed = hashlib.sha256(b"".join(text + b"\n" for text in as_sealed)).digest()  # then that hash hashed
    assert table_digest(rows) == f"sha256:{hashlib.sha256(rows_hashed).hexdigest()}"
    assert chain_module._serialise([np.int64(3), np.float64(2.0), np.bool_(True)]) == b'["3","2","TRUE"]'
