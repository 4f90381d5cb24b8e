"""Progress for long jobs: one status line on stderr, rewritten in place.

Shown only when stderr is a terminal and the job is large (a big file, or
several files), and never with --quiet: pipes, logs and CI stay clean.
"""

from __future__ import annotations

import sys
import time

LARGE_INPUT_BYTES = 1_000_000  # about 5,000 trials in a typical item sheet


class Progress:
    """Callable ``progress(stage, detail)``; ``done()`` clears the line."""

    def __init__(self, stream=None, enabled: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self.width = 0

    def __call__(self, stage: str, detail: str = "") -> None:
        if not self.enabled:
            return
        text = f"pedro: {stage} {detail}".rstrip() + f"  ({time.monotonic() - self.started:.0f} s)"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def done(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def for_job(paths, quiet: bool, stream=None) -> Progress:
    """A Progress that is enabled only for a large job on a terminal."""
    stream = stream if stream is not None else sys.stderr
    is_terminal = hasattr(stream, "isatty") and stream.isatty()
    sizes = [p.stat().st_size for p in paths if p.is_file()]
    large = len(sizes) > 1 or any(size >= LARGE_INPUT_BYTES for size in sizes)
    return Progress(stream, enabled=is_terminal and large and not quiet)
