"""Writing workbooks safely: never over the input, never half-written.

Every workbook pedro writes goes to a temporary file in the target folder and
is then renamed over the target (``os.replace`` is atomic on one file system),
so an interrupted run leaves the old file or the new one, never a part.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import OutputError

FORMULA_PREFIXES = ("=",)


def put(cell, value):
    """Set a cell so that text is always text: a string starting with '=' is
    stored as a string, never as a formula that Excel would evaluate."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
    return cell


def check_output_path(output: Path, input_path: Path | None = None) -> Path:
    output = Path(output)
    if input_path is not None:
        try:
            same = output.exists() and os.path.samefile(output, input_path)
        except OSError:
            same = False
        if same or output.resolve() == Path(input_path).resolve():
            raise OutputError(f"refusing to write over the input {input_path}; pass -o with another file name")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {output}: folder {folder} does not exist; create it or choose another -o")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write {output}: folder {folder} is not writable; choose another -o")
    if output.is_dir():
        raise OutputError(f"cannot write {output}: it is a folder; give a file name such as {output / 'out.xlsx'}")
    return output


def atomic_save(workbook, output: Path) -> Path:
    """Save an openpyxl workbook to ``output`` through a temporary file and a rename."""
    output = Path(output)
    folder = output.parent if str(output.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=folder)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; give it the usual mode
        workbook.save(temporary)
        os.replace(temporary, output)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}; check the disk and the folder") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return output
