"""What a run takes from its surroundings: who runs it, the time, the digest
of a file on disk, a pause of the garbage collector while large tables are
built, and the quick way out of the command.  Every stage may use these; they
use nothing of pedro's."""

from __future__ import annotations

import datetime as dt
import gc
import getpass
import hashlib
import os
import sys
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
            if is_the_command():
                # What was built stays alive to the end of the command: moved out of the collector's sight, the
                # later collections (of the report's dicts, say) no longer walk it again each time (issue 18).
                # Not in a program that uses pedro: there, frozen objects would never be collected.
                gc.freeze()
            gc.enable()


def is_the_command() -> bool:
    """Whether this process is the `pedro` command itself (its script, or ``python -m pedro.cli``), not a
    program or a test that calls pedro's functions and goes on afterwards."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None:
        return spec.name == "pedro.cli"
    script = Path(getattr(main, "__file__", None) or "")
    return script.name.lower() in ("pedro", "pedro-script.py") and script.parent.name.lower() in ("bin", "scripts")


def leave(status: int) -> None:
    """End the `pedro` command with exit status ``status`` once its output is out: flush stdout and stderr,
    then leave without freeing, one by one, the millions of objects a big sheet made (0.3 s of CPU, 7%, of
    a dry run at 60,000 trials, issue 18).  pedro registers nothing to run at exit, and every file it
    writes is complete and renamed into place before this is called (pedro.write.files), so nothing is
    lost.  Anywhere but in the command itself (a test, a program using pedro), or when the output cannot
    be flushed, it returns and the caller exits normally."""
    if not is_the_command():
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: let the normal exit report it as it does
        return
    os._exit(status)
