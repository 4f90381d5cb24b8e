"""JSON reports as text, the same whichever command prints them.

orjson, not the standard library: ``json.dumps`` with ``indent`` falls back to
the pure-Python encoder, which took 14 of the 16 s of ``pedro score --json``
on a 60,000-trial sheet (issue 6); orjson writes the same indented UTF-8 text
in a fraction of a second.  numpy scalars and arrays are written as numbers,
NaN as null; anything else it does not know is written as its ``str``.

A report's longest array (a sheet's trials) may be given as ``Chunks``: its
items are then made a few thousand at a time while ``echo`` writes them, so
the dicts of 60,000 trials and the text of all of them never sit in memory
together (issue 18); the text is byte for byte what the whole list gives.
"""

from __future__ import annotations

import sys

INDENT = b"  "  # orjson's OPT_INDENT_2


class Chunks:
    """A JSON array made piece by piece: ``make()`` yields lists of its items, in order.  Iterating it
    gives the items; anywhere but at the top level of the report ``echo`` writes, it is written as the
    whole list."""

    def __init__(self, make):
        self.make = make

    def __iter__(self):
        for chunk in self.make():
            yield from chunk


def _default(value):
    if isinstance(value, Chunks):
        return list(value)
    return str(value)


def dumps_bytes(report) -> bytes:
    """``report`` as indented JSON (two spaces, UTF-8, keys in their order)."""
    import orjson  # not for `pedro --help`

    return orjson.dumps(report, default=_default,
                        option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def echo(report, stream=None) -> None:
    """Write ``report`` as JSON and a newline to ``stream`` (default stdout), as bytes: the newline is
    written after the text rather than appended to a copy of it (39 MB at 60,000 trials, issue 18), and
    a ``Chunks`` value of the report's top level is written chunk by chunk."""
    stream = sys.stdout if stream is None else stream
    binary = getattr(stream, "buffer", stream)  # a text stream's bytes underneath, or a binary stream itself
    if binary is not stream:
        stream.flush()  # whatever text went before comes first
    if isinstance(report, dict) and any(isinstance(value, Chunks) for value in report.values()):
        _write_object(report, binary.write)
    else:
        binary.write(dumps_bytes(report))
    binary.write(b"\n")
    binary.flush()


def _write_object(report: dict, write) -> None:
    """``report`` (a dict with str keys) as ``dumps_bytes`` gives it, written a value at a time: each
    value is written at the top level and indented one step (JSON text holds a line break only between
    its tokens, never inside a string, so indenting every line is indenting the value)."""
    write(b"{")
    for position, (key, value) in enumerate(report.items()):
        write(b"\n" + INDENT if position == 0 else b",\n" + INDENT)
        write(dumps_bytes(key) + b": ")
        if isinstance(value, Chunks):
            _write_array(key, value, write)
        else:
            write(dumps_bytes(value).replace(b"\n", b"\n" + INDENT))
    write(b"\n}" if report else b"}")


def _write_array(key: str, chunks: Chunks, write) -> None:
    """The items of ``chunks`` as the value of ``key`` at the top level: "[", each item on its own lines
    indented two steps, "]" indented one; "[]" without items."""
    head = b"{\n" + INDENT + dumps_bytes(key) + b": ["
    written = False
    for chunk in chunks.make():
        if not chunk:
            continue
        # Each chunk is made as the value of its key in an object, so orjson itself indents the items two
        # steps, as they stand in the report: the text is written as orjson made it, less the object around
        # the items ("{\n  "key": [" and "\n  ]\n}").  Re-indenting the text of a bare list with
        # bytes.replace and slicing it were two copies of it (60 MB at 60,000 findings-heavy trials; the
        # report 540 -> 485 ms CPU, median of 21, issue 18).
        text = memoryview(dumps_bytes({key: chunk}))
        write(b"," if written else b"[")
        write(text[len(head):-len(b"\n  ]\n}")])
        written = True
    write(b"\n" + INDENT + b"]" if written else b"[]")
