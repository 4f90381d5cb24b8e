"""pedro.table: the tables a dry run keeps as numpy arrays (issue 18) give exactly the DataFrames the rest of
pedro reads, and ``missing`` says what ``pd.isna`` says."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pedro.table import Table, first_seen_codes, missing


def test_a_tables_frame_has_the_dtypes_and_index_it_names():
    table = Table({"row": np.array([5, 6, 7], dtype=np.int64), "study": np.array(["A", None, "C"], dtype=object),
                   "total": np.array([7, None, 3], dtype=object), "status": np.array(["ok", "missing", "ok"],
                                                                                      dtype=object),
                   "listed": [1, None, "x"], "rewrite": np.array([True, False, True])},
                  dtypes={"total": "Int64", "status": "str"}, index_name="study_index")
    frame = table.frame()
    expected = pd.DataFrame({"row": [5, 6, 7], "study": pd.Series(["A", None, "C"], dtype=object),
                             "total": pd.Series([7, None, 3], dtype="Int64"),
                             "status": pd.Series(["ok", "missing", "ok"], dtype="str"),
                             "listed": pd.Series([1, None, "x"], dtype=object), "rewrite": [True, False, True]},
                            index=pd.RangeIndex(3, name="study_index"))
    pd.testing.assert_frame_equal(frame, expected)
    assert frame["study"].tolist() == ["A", None, "C"]  # None stays None in an object column, not NaN
    assert table.frame() is frame  # made once


def test_an_empty_text_column_is_typed_as_pandas_types_an_empty_list():
    frame = Table({"status": np.array([], dtype=object)}, dtypes={"status": "str"}).frame()
    assert len(frame) == 0 and frame["status"].dtype == object


def test_columns_must_have_the_tables_length():
    with pytest.raises(ValueError, match="length"):
        Table({"a": [1, 2], "b": [1]})
    assert len(Table({}, length=4)) == 4 and len(Table({})) == 0


@pytest.mark.parametrize("positions", [[2, 0], [1], [], [0, 0, 2]])
def test_take_picks_rows_of_arrays_and_lists_alike(positions):
    table = Table({"a": [10, None, 30], "b": np.array([1.5, 2.5, 3.5]), "c": np.array(["x", None, "z"], dtype=object)},
                  dtypes={"a": "Int64"}, index_name="i")
    taken = table.take(positions)
    assert taken["a"] == [[10, None, 30][p] for p in positions] and isinstance(taken["a"], list)
    assert taken["b"].tolist() == [[1.5, 2.5, 3.5][p] for p in positions]
    assert taken["c"].tolist() == [["x", None, "z"][p] for p in positions]
    assert (len(taken), taken.dtypes, taken.index_name) == (len(positions), {"a": "Int64"}, "i")


def test_concat_joins_rows_in_order_keeping_python_values():
    first = Table({"n": [1, 2], "v": np.array(["a", "b"], dtype=object)})
    second = Table({"n": np.array([3], dtype=np.int64), "v": ["c"], "extra": [0]})
    joined = Table.concat([first, second], ["n", "v"])
    assert joined.names == ["n", "v"] and len(joined) == 3
    assert joined["n"] == [1, 2, 3] and [type(v) for v in joined["n"]] == [int, int, int]  # no numpy int64
    assert joined["v"] == ["a", "b", "c"]  # an array and a list: a list
    arrays = Table.concat([first, first], ["v"])["v"]
    assert isinstance(arrays, np.ndarray) and arrays.tolist() == ["a", "b", "a", "b"]  # arrays alone: an array
    assert len(Table.concat([], ["n"])) == 0


@pytest.mark.parametrize("values", [
    np.array([1, 2, 3]),
    np.array([1.5, np.nan]),
    np.array(["Y", None, np.nan, 3, "", dt.date(2020, 1, 2)], dtype=object),
    ["Y", float("nan"), None, 4],
    np.array(["x", pd.NA, None], dtype=object),  # pandas' NA will not say whether it equals itself
    np.array(["2020-01-02", "NaT"], dtype="datetime64[D]"),
    np.array(["a", "b"]),
    [],
])
def test_missing_says_what_pandas_isna_says(values):
    expected = pd.isna(np.array(values, dtype=object) if isinstance(values, list) else values)
    assert missing(values).tolist() == list(expected)


# Values of every kind a sheet's cells and pedro's readings give, including those equal across types (1, 1.0,
# True; 0, 0.0, -0.0, False), None and NaN.
_CELL_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.0, 2.5]),
                         st.just(float("nan")), st.sampled_from(["Y", "N", "?", "y", "", " Y", "Good"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL_VALUES, max_size=40))
def test_first_seen_codes_are_pandas_factorize(values):
    # pedro.table.first_seen_codes (one hashing pass, issue 18) against the pandas function it stands for.
    array = np.array(values + [None], dtype=object)[:-1]  # (the None keeps numpy from making a 2-D array)
    codes, distinct = first_seen_codes(array)
    expected_codes, expected = pd.factorize(array)
    assert codes.tolist() == expected_codes.tolist()
    assert [(type(v), v) for v in distinct] == [(type(v), v) for v in expected.tolist()]
