"""What a run takes from its surroundings: who runs it, the time, the digest
of a file on disk, and a pause of the garbage collector while large tables
are built.  Every stage may use these; they use nothing of pedro's."""

from __future__ import annotations

import datetime as dt
import gc
import getpass
import hashlib
from contextlib import contextmanager
from pathlib import Path


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers and services
        return "unknown"


def now_utc() -> str:
    """The time, to the second, in ISO 8601 with its UTC offset: what the change log and Provenance record."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def bulk_allocation():
    """Pause Python's cyclic garbage collector while large tables are built.
    A sheet of 60,000 trials makes hundreds of thousands of lists and dicts,
    none in a reference cycle, and each batch of them would set off another
    collection over everything alive (a tenth of the run, issue 6); what is
    freed is freed by reference counting all the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
