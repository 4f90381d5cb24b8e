"""The package check's markers (``reader._Markers``): whether a part's markup could mark a hidden row or
column (``hidden=``) or a formula (``f`` then a space, ``/`` or ``>``), or hold a character no workbook can
store (its byte, ``&#``, ``_x``, U+FFFE/U+FFFF).  A part without the first two is not unpacked again to look
for them, and a sheet read from parts without the third is not searched value by value: a marker missed is
a hidden row, a formula or a control character missed.  The quick searches (``reader._marked``, issue 18)
must say what searching for the markers themselves says, however the text is cut into the pieces the check
unpacks."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pedro.sheets import reader

HIDDEN = re.compile(rb"hidden=")
FORMULA = re.compile(rb"f[\s/>]")
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|&#|_[xX]|\xef\xbf[\xbe\xbf]")

# Mostly the markers' own bytes, so that near misses ("hidden", "f=") and markers are common, and some texts
# with far more than _FEW_OCCURRENCES of a first byte.
markup = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b"h", b"f", b"hidden=", b"hidden", b"f>", b"f/", b"f ", b"f\t", b"f=", b"<c r=",
                              b"x", b"idden=", b"&", b"&#", b"#", b"_", b"_x", b"_X", b"\x01", b"\x1f", b"\t\r\n",
                              b"\xef", b"\xef\xbf", b"\xbf\xbe", "\ufffe".encode(), "\uffff".encode(), "é".encode()]),
             max_size=400).map(b"".join),
)


@settings(max_examples=400, deadline=None)
@given(markup)
def test_marked_is_the_search_for_the_marker(data):
    assert reader._marked(data, reader._HIDDEN_HINT) == (HIDDEN.search(data) is not None)
    assert reader._marked(data, reader._FORMULA_HINT) == (FORMULA.search(data) is not None)
    assert reader._may_hold_control(data) == (CONTROL.search(data) is not None)


@settings(max_examples=300, deadline=None)
@given(markup, st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_markers_fed_in_pieces_are_the_markers_of_the_whole(data, cuts):
    ends = sorted({min(c, len(data)) for c in cuts} | {len(data)})
    markers, start = reader._Markers(), 0
    for end in ends:
        markers.feed(data[start:end])
        start = end
    assert (markers.hidden, markers.formula, markers.control) == (
        HIDDEN.search(data) is not None, FORMULA.search(data) is not None, CONTROL.search(data) is not None)


def test_a_marker_after_many_occurrences_of_its_first_byte_is_found():
    """Past _FEW_OCCURRENCES of "h" the rest is searched for the marker itself."""
    many = b"h" * (reader._FEW_OCCURRENCES * 3)
    assert reader._marked(many + b"hidden=", reader._HIDDEN_HINT)
    assert not reader._marked(many + b"hidde", reader._HIDDEN_HINT)
    assert reader._marked(b"f" * 500 + b"<f>", reader._FORMULA_HINT)
