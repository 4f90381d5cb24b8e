"""Reading a list of trial labels (`pedro template --studies FILE`)."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import InputError


def read_study_list(path: Path) -> list[str]:
    """Trial labels from a text or CSV file: the first field of each non-empty line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the study list {path} ({exc}); give a UTF-8 text file, one label per line") \
            from None
    if path.suffix.lower() in (".csv", ".tsv"):
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        rows = csv.reader(text.splitlines(), delimiter=delimiter)
        labels = [row[0].strip() for row in rows if row and row[0].strip()]
    else:
        labels = [line.strip() for line in text.splitlines() if line.strip()]
    if labels and labels[0].lower() in ("study", "trial", "label", "reference"):
        labels = labels[1:]
    return labels
