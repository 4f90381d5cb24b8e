"""JSON reports as text, the same whichever command prints them.

orjson, not the standard library: ``json.dumps`` with ``indent`` falls back to
the pure-Python encoder, which took 14 of the 16 s of ``pedro score --json``
on a 60,000-trial sheet (issue 6); orjson writes the same indented UTF-8 text
in a fraction of a second.  numpy scalars and arrays are written as numbers,
NaN as null; anything else it does not know is written as its ``str``.
"""

from __future__ import annotations


def dumps_bytes(report) -> bytes:
    """``report`` as indented JSON (two spaces, UTF-8, keys in their order)."""
    import orjson  # not for `pedro --help`

    return orjson.dumps(report, default=str,
                        option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
