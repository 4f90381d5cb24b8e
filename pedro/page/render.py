"""Render the report's data (``pedro.page.model``) into one HTML file.

Jinja2 renders ``templates/report.html.j2`` with autoescaping on, so every
value that comes from a workbook (a trial labelled ``<script>``, a cell
starting ``=HYPERLINK(``) is text in the page, never markup.  The stylesheet
and the script are put inside the page, and its Content-Security-Policy
allows exactly those two (by their SHA-256) and nothing from anywhere else.
The templates, stylesheet and script are package data, read through
``importlib.resources`` so that an installed wheel finds them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources
from pathlib import Path

from markupsafe import Markup, escape

from ..write.files import atomic_write
from .figures import shown_answer

PACKAGE = "pedro.page"


def resource_text(*parts: str) -> str:
    """A file shipped in pedro/page (a template, the stylesheet or the script)."""
    return resources.files(PACKAGE).joinpath(*parts).read_text(encoding="utf-8")


def source_hash(text: str) -> str:
    """The CSP source expression allowing one inline <style> or <script> whose content is ``text``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(css: str, js: str) -> str:
    """Nothing may load from anywhere (no fonts, images, frames, connections); only this page's own
    stylesheet and script run."""
    return (f"default-src 'none'; style-src {source_hash(css)}; script-src {source_hash(js)}; "
            "img-src 'none'; font-src 'none'; connect-src 'none'; frame-src 'none'; base-uri 'none'; "
            "form-action 'none'")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: every character but letters, digits and spaces as a CSS escape,
    so no title can end the string, the rule or the <style> element."""
    return '"' + "".join(c if c.isalnum() and c.isascii() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


def running_title(title: str) -> str:
    """The page's title at the foot of every printed page, beside the page number."""
    return f"\n@page {{ @bottom-left {{ content: {css_string(title[:90])}; }} }}\n"


def number(value) -> str:
    """A statistic as the report prints it: two decimals, an en dash where there is none."""
    return "\u2013" if value is None else f"{value:.2f}"


def isolated(text, labels):
    """``text`` escaped, with each trial label in it isolated in <bdi>, so that a right-to-left label cannot
    reorder the text around it ("Kalron 2021 (8), \u05de\u05d7\u05e7\u05e8 (6)" stays in that order)."""
    text = "" if text is None else str(text)
    found = sorted((label for label in labels if label and label in text), key=len, reverse=True)
    if not found:
        return escape(text)
    # A label is matched only where it is not part of a longer word ("A" is not isolated inside "Ratings").
    parts = re.split("(?<!\\w)(" + "|".join(map(re.escape, found)) + ")(?!\\w)", text)
    return Markup("").join(Markup("<bdi>%s</bdi>") % part if n % 2 else escape(part) for n, part in enumerate(parts))


def environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: resource_text("templates", name)),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = number
    env.filters["shown"] = shown_answer
    env.filters["isolated"] = isolated
    return env


def render_page(page) -> str:
    """The whole HTML document of ``page`` (a ``pedro.page.model.Page``)."""
    css = resource_text("static", "report.css") + running_title(page.title)
    js = resource_text("static", "report.js")
    return environment().get_template("report.html.j2").render(
        page=page, css=css, js=js, csp=content_security_policy(css, js))


def write_page(html: str, output: Path) -> Path:
    """Write the document atomically (a temporary file renamed into place)."""
    def write(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(html)
    return atomic_write(Path(output), write)
