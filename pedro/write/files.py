"""Writing files safely: never over the input, never half-written, and text
that stays text.

Every file pedro writes goes to a temporary file in the target folder, is
flushed to disk, and is then renamed over the target (``os.replace`` is atomic
on one file system), so an interrupted run (Ctrl-C, a full disk, a kill)
leaves the old file or the new one, never a part, and two runs writing the
same file leave one of them whole.

Text that a spreadsheet would take for a formula (starting with ``=``, ``+``,
``-`` or ``@``) is written as text: in a workbook as a string cell with Excel's
quote prefix (so that editing the cell keeps it text), in a CSV file behind an
apostrophe (``csv_safe``), the usual defence against formula injection.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from ..errors import OutputError

# The formula guard, the one definition every writer uses.
FORMULA_PREFIXES = ("=", "+", "-", "@")
FORMULA_STARTS = "".join(FORMULA_PREFIXES)  # for a quick first-character test in the package writer's loop
# In CSV a tab or carriage return before the formula character also triggers it.
CSV_FORMULA_PREFIXES = FORMULA_PREFIXES + ("\t", "\r")
# Answers that are single signs ("+" yes, "-" no) are not formulas anywhere.
_SIGN_ANSWERS = ("+", "-")


def needs_quote_prefix(value, prefixes: tuple = FORMULA_PREFIXES) -> bool:
    """Text that a spreadsheet would take for a formula (it starts with one of
    ``prefixes`` and is not a lone sign): written as text with a guard."""
    return isinstance(value, str) and value.startswith(prefixes) and value not in _SIGN_ANSWERS


def put(cell, value):
    """Set an openpyxl cell so that text is always text: a string starting with
    '=', '+', '-' or '@' is stored as a string with the quote prefix, never as
    a formula that Excel would evaluate."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        if needs_quote_prefix(value):
            cell.quotePrefix = True
    return cell


def csv_safe(value):
    """A value for a CSV cell: text that Excel or LibreOffice would evaluate as
    a formula gets a leading apostrophe; everything else is unchanged."""
    return "'" + value if needs_quote_prefix(value, CSV_FORMULA_PREFIXES) else value


def check_output_path(output: Path, input_path: Path | None = None) -> Path:
    """The output path, or OutputError when it is the input (however spelt:
    another relative path, a symlink or a hard link), a folder, or in a
    folder that does not exist or cannot be written."""
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
    if output.is_dir():
        raise OutputError(f"cannot write {output}: it is a folder; give a file name such as {output / 'out.xlsx'}")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write {output}: folder {folder} is not writable; choose another -o")
    return output


def atomic_save(workbook, output: Path) -> Path:
    """Save an openpyxl workbook to ``output`` through a temporary file and a rename."""
    return atomic_write(output, workbook.save)


def atomic_write_csv(rows, output: Path) -> Path:
    """Write rows to a CSV file (UTF-8 with a byte-order mark, which Excel
    needs to read it as UTF-8), every cell through ``csv_safe``."""
    def write(temporary: str) -> None:
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows([[csv_safe(value) for value in row] for row in rows])
        with open(temporary, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(buffer.getvalue())
    return atomic_write(output, write)


def atomic_write(output: Path, write) -> Path:
    """Run ``write(temporary path)``, flush the file to disk, rename it onto
    ``output``.  On any failure or interruption the temporary file is removed
    and ``output`` is as it was."""
    output = Path(output)
    folder = output.parent if str(output.parent) else Path(".")
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=folder)
        os.close(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; give it the usual mode
        write(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, output)
        temporary = None
        _sync_folder(folder)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}; check the disk and the folder, then "
                          "run again (nothing was changed)") from None
    finally:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
    return output


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every system can open a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
