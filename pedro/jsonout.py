"""JSON reports as text, the same whichever command prints them.

orjson, not the standard library: ``json.dumps`` with ``indent`` falls back to
the pure-Python encoder, which took 14 of the 16 s of ``pedro score --json``
on a 60,000-trial sheet (issue 6); orjson writes the same indented UTF-8 text
in a fraction of a second.  numpy scalars and arrays are written as numbers,
NaN as null; anything else it does not know is written as its ``str``.
"""

from __future__ import annotations

import sys


def dumps_bytes(report) -> bytes:
    """``report`` as indented JSON (two spaces, UTF-8, keys in their order)."""
    import orjson  # not for `pedro --help`

    return orjson.dumps(report, default=str,
                        option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def echo(report, stream=None) -> None:
    """Write ``report`` as JSON and a newline to ``stream`` (default stdout), as bytes: the newline is
    written after the text rather than appended to a copy of it (39 MB at 60,000 trials, issue 18)."""
    stream = sys.stdout if stream is None else stream
    binary = getattr(stream, "buffer", stream)  # a text stream's bytes underneath, or a binary stream itself
    if binary is not stream:
        stream.flush()  # whatever text went before comes first
    binary.write(dumps_bytes(report))
    binary.write(b"\n")
    binary.flush()
