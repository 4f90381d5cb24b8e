"""The JSON report written a chunk of trials at a time (issue 18) is, byte for
byte, the text orjson gives the whole report: checked on random JSON values
against orjson itself, and on real reports (PEDro and TESTEX, several chunk
sizes so that trials fall on every side of a chunk's edge)."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pedro import report as report_module
from pedro.engine import score_file
from pedro.jsonout import Chunks, dumps_bytes, echo

TESTS = Path(__file__).resolve().parent
EXAMPLE = TESTS.parent / "sheets" / "examples" / "als-exercise.xlsx"
TESTEX_TABLE = TESTS / "data" / "published" / "testex" / "openheart_pmc6307588_table2.csv"

# JSON values as pedro's reports hold them: text with line breaks and quotes, numbers, null, nesting.
SCALARS = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6),
                                                                                             inner, max_size=4),
                      max_leaves=12)


def written(report) -> bytes:
    out = io.BytesIO()
    echo(report, out)
    return out.getvalue()


def in_chunks(items: list, size: int) -> Chunks:
    return Chunks(lambda: (items[start:start + size] for start in range(0, len(items), size)))


@settings(max_examples=200, deadline=None)
@given(before=st.dictionaries(st.text(max_size=6), VALUES, max_size=3), items=st.lists(VALUES, max_size=9),
       after=VALUES, size=st.integers(1, 10))
def test_an_array_written_in_chunks_is_the_whole_array_as_orjson_writes_it(before, items, after, size):
    report = {**before, "studies": items, "zz after": after}
    expected = orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n"
    assert written({**before, "studies": in_chunks(items, size), "zz after": after}) == expected


def test_empty_chunks_and_no_chunks_give_an_empty_array():
    empty = Chunks(lambda: iter([[], []]))
    assert written({"studies": empty, "n": 0}) == dumps_bytes({"studies": [], "n": 0}) + b"\n"
    assert written({"studies": Chunks(lambda: iter(()))}) == b'{\n  "studies": []\n}\n'


def test_chunks_below_the_top_level_are_written_whole():
    """A report of several files holds each file's report in a list: its trials are written as a list."""
    items = [{"study": "Smith 2001", "findings": []}, {"study": "Lee 2003", "findings": [{"rule": "PD101"}]}]
    report = {"files": [{"studies": in_chunks(items, 1)}], "tally": {"files": 1}}
    assert written(report) == dumps_bytes({"files": [{"studies": items}], "tally": {"files": 1}}) + b"\n"
    assert list(in_chunks(items, 1)) == items


@pytest.mark.parametrize(("sheet", "rubric"), [(EXAMPLE, None), (TESTEX_TABLE, "testex")])
@pytest.mark.parametrize("size", [1, 2, 5, 1000])
def test_a_real_report_streamed_is_the_report_written_whole(monkeypatch, sheet, rubric, size):
    """Each trial's dict, its findings and (TESTEX) its subtotals, whichever chunk it falls in."""
    result = score_file(sheet, rubric=rubric)
    whole = report_module.result_to_json(result)
    assert isinstance(whole["studies"], list) and len(whole["studies"]) > 5
    monkeypatch.setattr(report_module, "STUDIES_PER_CHUNK", size)
    streamed = report_module.result_to_json(result, streamed=True)
    assert isinstance(streamed["studies"], Chunks)
    assert written(streamed) == dumps_bytes(whole) + b"\n"
    if rubric == "testex":  # the keys only a rubric with subtotals adds, in every trial
        assert all({"subtotals", "reported_subtotals"} <= set(study) for study in whole["studies"])
    assert any(study["findings"] for study in whole["studies"]) or whole["findings"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=6), unique=True, max_size=12), st.data())
def test_a_dict_display_made_for_keys_is_dict_of_zip(keys, data):
    # report._dict_of writes a dict display from the keys as literals (issue 18): any text, quotes and
    # backslashes included, gives the dict zip gives, in the same order.
    values = data.draw(st.lists(st.one_of(st.none(), st.text(max_size=3)), min_size=len(keys), max_size=len(keys)))
    made = report_module._dict_of(keys)(values)
    assert made == dict(zip(keys, values)) and list(made) == keys


def test_a_dict_display_takes_only_text_keys():
    with pytest.raises(TypeError, match="must be text"):
        report_module._dict_of(["2", 3])
