"""Output safety (issue 5, point 4): never over the input, however it is
spelt; written through a temporary file and a rename, so an interrupted run
(Ctrl-C, a full disk, a kill) leaves the old output or the new one, never a
part; an unwritable location is exit 2 and one sentence; two runs writing the
same output leave one complete file."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pedro.cli import main
from pedro.engine import score_file
from pedro.errors import OutputError
from pedro.write.audited import write_audited
from pedro.write.package import Package

from conftest import item_sheet, write_xlsx

TRIALS = {"Smith 2010": "YYYNYNNYYYY", "Jones 2012": "YYNYNNYYNYY"}


def run(*args, cwd: Path | None = None):
    if cwd is None:
        return CliRunner().invoke(main, [str(a) for a in args])
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(old)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def source(tmp_path) -> Path:
    return write_xlsx(tmp_path / "ratings.xlsx", item_sheet(TRIALS))


# ---------------------------------------------------------------------------
# Never over the input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", ["same", "dot", "dotdot", "absolute", "symlink", "hardlink"])
def test_refuses_to_write_over_the_input_however_spelt(tmp_path, source, spelling):
    (tmp_path / "sub").mkdir()
    output = {
        "same": "ratings.xlsx",
        "dot": "./ratings.xlsx",
        "dotdot": "sub/../ratings.xlsx",
        "absolute": str(source.resolve()),
        "symlink": "link.xlsx",
        "hardlink": "hard.xlsx",
    }[spelling]
    if spelling == "symlink":
        (tmp_path / "link.xlsx").symlink_to(source)
    if spelling == "hardlink":
        os.link(source, tmp_path / "hard.xlsx")
    before = source.read_bytes()
    result = run("score", "ratings.xlsx", "-o", output, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "refusing to write over the input" in result.output and "Traceback" not in result.output
    assert source.read_bytes() == before


def test_default_output_beside_the_input_is_not_the_input(tmp_path, source):
    assert run("score", source).exit_code == 0
    assert (tmp_path / "ratings.audited.xlsx").exists() and leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# Interrupted runs leave the old output or the new one
# ---------------------------------------------------------------------------

def _old_output(tmp_path: Path) -> tuple[Path, bytes]:
    out = tmp_path / "out.xlsx"
    write_xlsx(out, [["an older audited workbook"]])
    return out, out.read_bytes()


def _fail_saves(monkeypatch, error):
    """Make both workbook writers (the package writer and openpyxl) fail part-way."""
    monkeypatch.setattr(openpyxl.Workbook, "save", _failing_save(error))
    monkeypatch.setattr(Package, "save", _failing_save(error))


def _failing_save(error):
    """A save that writes part of a workbook and then fails like the real world does."""
    def save(self, filename, *args, **kwargs):
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise error
    return save


@pytest.mark.parametrize("error, exit_code, phrase", [
    (KeyboardInterrupt(), 130, "interrupted; nothing was written"),
    (OSError(errno.ENOSPC, "No space left on device"), 2, "No space left on device"),
    (OSError(errno.EIO, "Input/output error"), 2, "Input/output error"),
], ids=["ctrl-c", "disk-full", "io-error"])
def test_failed_save_leaves_the_old_output_and_no_temporary_file(tmp_path, source, monkeypatch, error, exit_code,
                                                                 phrase):
    out, before = _old_output(tmp_path)
    _fail_saves(monkeypatch, error)
    result = run("score", source, "-o", out)
    assert result.exit_code == exit_code, result.output
    assert phrase in result.output and "Traceback" not in result.output
    assert out.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_failed_first_save_leaves_no_output_at_all(tmp_path, source, monkeypatch):
    _fail_saves(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(OutputError, match="No space left on device"):
        write_audited(score_file(source), tmp_path / "new.xlsx")
    assert not (tmp_path / "new.xlsx").exists() and leftovers(tmp_path) == []


def _big_sheet(path: Path, trials: int) -> Path:
    return write_xlsx(path, item_sheet({f"Trial {i}": "YYYNYNNYYYY" for i in range(trials)}))


@pytest.mark.slow
def test_killed_run_leaves_old_or_new_output_never_a_part(tmp_path):
    """SIGKILL while the workbook is being saved (as soon as its temporary file
    appears, and a moment later): the output is still the old workbook, and a
    run left alone replaces it whole.  A kill can leave a temporary file
    behind, never a damaged output."""
    source = _big_sheet(tmp_path / "big.xlsx", 200)
    out, before = _old_output(tmp_path)
    for delay in (0.0, 0.05):
        process = subprocess.Popen([sys.executable, "-m", "pedro.cli", "score", str(source), "-o", str(out), "-q"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".out.xlsx.*.tmp")) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        if out.read_bytes() != before:  # the save finished before the kill: then it is whole
            assert openpyxl.load_workbook(out)["Scores"].max_row == 201
            return
        for temporary in tmp_path.glob(".out.xlsx.*.tmp"):
            temporary.unlink()
    assert subprocess.run([sys.executable, "-m", "pedro.cli", "score", str(source), "-o", str(out), "-q"],
                          capture_output=True, timeout=120).returncode == 0
    assert openpyxl.load_workbook(out)["Scores"].max_row == 201 and leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# Locations that cannot be written
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("where, phrase", [
    (lambda tmp: tmp / "missing" / "out.xlsx", "does not exist"),
    (lambda tmp: tmp / "ratings.xlsx" / "out.xlsx", "does not exist"),  # the 'folder' is a file
    (lambda tmp: Path("/proc/pedro-cannot-write-here.xlsx"), "cannot write"),
])
def test_unwritable_output_location(tmp_path, source, where, phrase):
    target = where(tmp_path)
    result = run("score", source, "-o", target)
    assert result.exit_code == 2, result.output
    assert phrase in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_output_that_is_a_folder(tmp_path, source):
    (tmp_path / "a-folder.xlsx").mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        write_audited(score_file(source), tmp_path / "a-folder.xlsx")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders; run as a normal user to test")
def test_read_only_folder(tmp_path, source):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run("score", source, "-o", folder / "out.xlsx")
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 2 and "not writable" in result.output


# ---------------------------------------------------------------------------
# Two runs writing the same output
# ---------------------------------------------------------------------------

def test_two_runs_writing_the_same_output_leave_one_complete_file(tmp_path):
    first = _big_sheet(tmp_path / "first.xlsx", 150)
    second = write_xlsx(tmp_path / "second.xlsx", item_sheet({f"Other {i}": "NNNNNNNNNNN" for i in range(120)}))
    out = tmp_path / "shared.xlsx"
    runs = [subprocess.Popen([sys.executable, "-m", "pedro.cli", "score", str(path), "-o", str(out), "-q"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for path in (first, second)]
    for process in runs:
        assert process.wait(timeout=120) in (0, 1), process.stderr.read()
    workbook = openpyxl.load_workbook(out)
    provenance = {row[0]: row[1] for row in workbook["Provenance"].iter_rows(values_only=True)}
    rows = workbook["Scores"].max_row - 1
    assert (provenance["input"], rows) in {("first.xlsx", 150), ("second.xlsx", 120)}
    assert leftovers(tmp_path) == []
