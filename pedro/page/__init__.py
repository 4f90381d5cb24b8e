"""`pedro report`: one self-contained HTML page for editors and peer reviewers.

``write_report`` scores (and, for an audited workbook, verifies) each input,
gathers what the page shows (``pedro.page.model``), draws the figures as
inline SVG (``pedro.page.figures``) and renders the page with Jinja2
(``pedro.page.render``).  Nothing is written beside the inputs.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..write.files import check_output_path
from .model import Page, build_page
from .render import render_page, write_page

__all__ = ["write_report", "build_page", "render_page", "Page"]


def write_report(inputs: list[str | Path], output: str | Path, bands: str | None = None, title: str | None = None,
                 sheet: str | None = None, rubric=None) -> tuple[Path, Page]:
    """Write the report of ``inputs`` to ``output`` (.html); return where, and what it shows."""
    output = Path(output)
    if output.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"cannot write the report as '{output.name}': name it .html, for example "
                         f"{output.with_suffix('.html').name}")
    if not inputs:
        raise InputError("pedro report needs at least one input: an audited workbook or an item sheet")
    for path in inputs:
        check_output_path(output, Path(path))
    page = build_page([Path(p) for p in inputs], bands=bands, title=title, sheet=sheet, rubric=rubric)
    return write_page(render_page(page), output), page
