"""Cell comments, and the legacy (VML) drawing that shows them, as XML.

The item sheet keeps one comment per cell: pedro's findings go under a
separator line in the assessor's comment (its text, author and VML box kept
byte for byte) or in a comment of pedro's own; a re-run replaces only pedro's
part (``assessors_comments``), and every other shape of the legacy drawing
(form controls) stays (``vml_with_notes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree

from ..sheets.cells import column_letter
from .package import ATTRIBUTE, NS_MAIN, Package, Unsupported, split_ref, unescape, xml_text
from .style import FINDINGS_SEPARATOR, MARK_WIDTH, assessor_part


@dataclass
class Comment:
    ref: str
    text_xml: str  # the <text> element
    author: str
    width: int = MARK_WIDTH
    height: int = 100
    attributes: str = ""  # the <comment> element's other attributes, as written (Excel's xr:uid ties it to a thread)


COMMENTS_ROOT = re.compile(r"<comments\b[^>]*>")


def read_comments(xml: bytes | None) -> list[Comment]:
    if not xml:
        return []
    text = xml.decode("utf-8")
    if re.search(r"<\w+:comments\b", text):
        raise Unsupported("prefixed comments namespace")
    authors = [ElementTree.fromstring(f"<a>{a}</a>").text or ""
               for a in re.findall(r"<author>(.*?)</author>|<author/>", text, re.S)]
    comments = []
    for element in re.finditer(r"<comment\b([^>]*?)(?:/>|>(.*?)</comment>)", text, re.S):
        attrs = dict(ATTRIBUTE.findall(element.group(1)))
        author_id = int(attrs.get("authorId", "0") or 0)
        inner = re.search(r"<text\b.*</text>|<text/>", element.group(2) or "", re.S)
        others = "".join(f' {k}="{v}"' for k, v in ATTRIBUTE.findall(element.group(1)) if k not in ("ref", "authorId"))
        comments.append(Comment(attrs.get("ref", ""), inner.group(0) if inner else "<text/>",
                                authors[author_id] if author_id < len(authors) else "", attributes=others))
    return comments


def text_element(text: str) -> str:
    return f'<text><t xml:space="preserve">{xml_text(text)}</t></text>'


def comments_xml(comments: list[Comment], root: str | None = None) -> bytes:
    """The comments part; ``root``: the start tag of the part it replaces (its namespace declarations stay)."""
    authors = list(dict.fromkeys(c.author for c in comments)) or [""]
    ids = {a: i for i, a in enumerate(authors)}
    body = "".join(f'<comment ref="{c.ref}" authorId="{ids[c.author]}"{c.attributes}>{c.text_xml}</comment>'
                   for c in comments)
    root = root or f'<comments xmlns="{NS_MAIN}">'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{root}<authors>'
            + "".join(f"<author>{xml_text(a)}</author>" for a in authors)
            + f"</authors><commentList>{body}</commentList></comments>").encode()


_CHARACTER_REFERENCE = re.compile(r"&#(x[0-9A-Fa-f]+|\d+);")


def plain_text(text_xml: str) -> str:
    """What a comment's <text> element reads: its runs' characters, without phonetic guides."""
    body = re.sub(r"<rPh\b.*?</rPh>", "", text_xml, flags=re.S)
    text = "".join(re.findall(r"<t(?:\s[^>]*)?>(.*?)</t>", body, re.S))
    text = _CHARACTER_REFERENCE.sub(lambda m: chr(int(m.group(1)[1:], 16) if m.group(1)[0] == "x"
                                                  else int(m.group(1))), text)
    return unescape(text)


def append_text(text_xml: str, text: str) -> str:
    """A comment's <text> element with ``text`` added at its end: a run in the
    font of the last run (not bold: Excel sets the author's name in bold), or
    more characters of a plain comment's one <t>."""
    if "<r>" in text_xml:
        fonts = re.findall(r"<rPr>.*?</rPr>", text_xml, re.S)
        font = re.sub(r"<b\b[^>]*/>", "", fonts[-1]) if fonts else ""
        at = min(i for i in (text_xml.find("<rPh"), text_xml.find("<phoneticPr"), text_xml.rfind("</text>")) if i >= 0)
        return text_xml[:at] + f'<r>{font}<t xml:space="preserve">{xml_text(text)}</t></r>' + text_xml[at:]
    plain = re.search(r"<t(?:\s[^>]*)?>(.*?)</t>|<t\s*/>", text_xml, re.S)
    if plain is None:
        return text_element(text.lstrip("\n"))
    return (text_xml[:plain.start()] + f'<t xml:space="preserve">{plain.group(1) or ""}{xml_text(text)}</t>'
            + text_xml[plain.end():])


def without_findings(text_xml: str, kept: str) -> str:
    """A comment's <text> element cut where pedro's findings start (its
    separator line), the assessor's runs and their fonts unchanged; ``kept``,
    the text before the separator, as a plain comment if the separator is
    not found inside one run (someone reformatted it)."""
    at = text_xml.find(FINDINGS_SEPARATOR)
    t_open = max(text_xml.rfind("<t>", 0, at), text_xml.rfind("<t ", 0, at))
    if at < 0 or t_open < 0 or "</t>" in text_xml[t_open:at]:
        return text_element(kept)
    content = text_xml.index(">", t_open) + 1
    before = text_xml[content:at]
    for line_break in ("\n", "&#10;", "&#xA;", "&#xa;"):  # the one ``append_text`` put before the separator
        if before.endswith(line_break):
            before = before[:-len(line_break)]
            break
    run = text_xml.rfind("<r>", 0, t_open)
    in_run = run > text_xml.rfind("</r>", 0, t_open)
    if before:
        return text_xml[:content] + before + "</t>" + ("</r>" if in_run else "") + "</text>"
    head = text_xml[:run] if in_run else text_xml[:t_open]
    return head + "</text>" if re.search(r"<t[\s>]", head) else text_element(kept)


def assessors_comments(existing: list[Comment]) -> tuple[dict[str, Comment], set[str]]:
    """An item sheet's comments without pedro's findings, one per cell
    ({cell: comment}; a comment pedro alone wrote is gone), and the cells whose
    comment held findings.  Two comments on one cell (an invalid package, which
    pedro wrote before) become one."""
    kept: dict[str, Comment] = {}
    had_findings = set()
    for comment in existing:
        text_xml = comment.text_xml
        own = assessor_part(plain_text(text_xml), comment.author)
        if own is not None:
            had_findings.add(comment.ref)
            if not own:
                continue
            text_xml = without_findings(text_xml, own)
        if comment.ref in kept:
            kept[comment.ref].text_xml = append_text(kept[comment.ref].text_xml, "\n" + plain_text(text_xml))
        else:
            kept[comment.ref] = Comment(comment.ref, text_xml, comment.author, attributes=comment.attributes)
    return kept, had_findings


# VML, the legacy drawing that shows comments (and form controls).  Writers bind its namespaces to
# prefixes of their own (Excel, LibreOffice and XlsxWriter: v, o, x; openpyxl: ns0, ns1...): pedro reads
# any, and writes its shapes with the drawing's.
_VML_NAMESPACES = {"v": "urn:schemas-microsoft-com:vml", "o": "urn:schemas-microsoft-com:office:office",
                   "x": "urn:schemas-microsoft-com:office:excel"}
_STANDARD_PREFIXES = {name: name for name in _VML_NAMESPACES}


def _vml_root(vml: bytes) -> tuple[int, int]:
    start = vml.find(b"<xml")
    end = vml.find(b">", start)
    if start < 0 or end < 0:
        raise Unsupported("a legacy drawing (comments, form controls) without its <xml> root")
    return start, end


def _bound(root: bytes, namespace: str) -> list[str]:
    """The prefixes ``root`` (a start tag) binds to ``namespace``."""
    return [p.decode() for p in re.findall(rb'xmlns:([\w.-]+)\s*=\s*"' + re.escape(namespace.encode()) + rb'"', root)]


def vml_shapes(vml: bytes):
    """(match, cell) of each shape of a VML drawing: its note's cell ('B3'),
    or None for a shape that is no note (a form control, a picture)."""
    start, end = _vml_root(vml)
    root = vml[start:end]
    shape = "|".join(map(re.escape, _bound(root, _VML_NAMESPACES["v"]))) or "v"
    excel = "|".join(map(re.escape, _bound(root, _VML_NAMESPACES["x"]))) or "x"
    pattern = re.compile(rf"<(?:{shape}):shape\b(?:[^>]*?/>|.*?</(?:{shape}):shape>)".encode(), re.S)
    for match in pattern.finditer(vml):
        yield match, note_cell(match.group(0), excel)


def note_cell(shape: bytes, excel: str = "x") -> str | None:
    """The cell a VML note shape belongs to ('B3'), or None for any other
    shape; ``excel``: the prefixes of the Excel namespace ('x', or 'x|ns2')."""
    if not re.search(rb'ObjectType\s*=\s*"Note"', shape):
        return None
    row = re.search(rf"<(?:{excel}):Row>\s*(\d+)\s*</".encode(), shape)
    column = re.search(rf"<(?:{excel}):Column>\s*(\d+)\s*</".encode(), shape)
    if row is None or column is None:
        return None
    return f"{column_letter(int(column.group(1)))}{int(row.group(1)) + 1}"


def _note_shapetype(p: dict) -> str:
    v, o = p["v"], p["o"]
    return (f'<{v}:shapetype id="_x0000_t202" coordsize="21600,21600" {o}:spt="202" '
            f'path="m,l,21600r21600,l21600,xe"><{v}:stroke joinstyle="miter"/>'
            f'<{v}:path gradientshapeok="t" {o}:connecttype="rect"/></{v}:shapetype>')


def note_shape(comment: Comment, shape_id: int, z: int, p: dict = _STANDARD_PREFIXES) -> str:
    """A hidden note shape for ``comment``, as Excel draws a new one (``p``: the drawing's prefixes)."""
    row, column = split_ref(comment.ref)
    v, o, x = p["v"], p["o"], p["x"]
    return (f'<{v}:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;'
            f'margin-left:59.25pt;margin-top:1.5pt;width:{comment.width}px;height:{comment.height}px;z-index:{z};'
            f'visibility:hidden" fillcolor="#ffffe1" {o}:insetmode="auto"><{v}:fill color2="#ffffe1"/>'
            f'<{v}:shadow on="t" color="black" obscured="t"/><{v}:path {o}:connecttype="none"/>'
            f'<{v}:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></{v}:textbox>'
            f'<{x}:ClientData ObjectType="Note"><{x}:MoveWithCells/><{x}:SizeWithCells/>'
            f'<{x}:Anchor>{column}, 15, {max(row - 2, 0)}, 10, {column + 4}, 15, {max(row - 2, 0) + 5}, 4</{x}:Anchor>'
            f'<{x}:AutoFill>False</{x}:AutoFill><{x}:Row>{row - 1}</{x}:Row><{x}:Column>{column - 1}</{x}:Column>'
            f'</{x}:ClientData></{v}:shape>')


def vml_xml(comments: list[Comment], block: int) -> bytes:
    """A new legacy drawing for ``comments``: one hidden note shape each, ids in blocks of 1024 from ``block``."""
    blocks = max(1, -(-(len(comments) + 1) // 1024))
    ids = ",".join(str(block + n) for n in range(blocks))
    shapes = "".join(note_shape(comment, block * 1024 + n + 1, n + 1) for n, comment in enumerate(comments))
    declarations = " ".join(f'xmlns:{p}="{n}"' for p, n in _VML_NAMESPACES.items())
    return (f'<xml {declarations}><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{ids}"/></o:shapelayout>'
            f'{_note_shapetype(_STANDARD_PREFIXES)}{shapes}</xml>').encode()


def vml_with_notes(vml: bytes | None, comments: list[Comment], fresh: set[str], taken: int) -> bytes | None:
    """The legacy drawing of a sheet whose comments are now ``comments``: the
    note shape of each comment kept byte for byte (its size, place, colour and
    visibility), new shapes for the comments in ``fresh`` (pedro's alone) and
    any without one, the notes of cells no longer commented dropped, and every
    other shape (form controls, pictures) kept.  None when no shape is left.
    ``taken``: the highest block of shape ids the package's other VML parts use."""
    if not vml:
        return vml_xml(comments, taken + 1) if comments else None
    wanted = {c.ref for c in comments} - fresh
    pieces, position, seen, shapes_left = [], 0, set(), 0
    for shape, cell in vml_shapes(vml):
        if cell is not None and (cell not in wanted or cell in seen):
            pieces.append(vml[position:shape.start()])
            position = shape.end()
            continue
        seen.add(cell)
        shapes_left += 1
    pieces.append(vml[position:])
    drawing = b"".join(pieces)
    new = [c for c in comments if c.ref not in seen]
    if not new:
        return drawing if shapes_left else None
    return _add_note_shapes(drawing, new, taken)


def _declared_prefixes(vml: bytes) -> tuple[bytes, dict]:
    """``vml`` with a prefix bound to each namespace of pedro's note shapes
    (a writer may leave out one it did not use), and {v, o, x: the prefix}."""
    start, end = _vml_root(vml)
    root = vml[start:end]
    prefixes = {}
    for name, namespace in _VML_NAMESPACES.items():
        bound = _bound(root, namespace)
        if not bound:
            if re.search(rf"xmlns:{name}\s*=".encode(), root):
                raise Unsupported("a legacy drawing (comments, form controls) with unusual namespace prefixes")
            root += f' xmlns:{name}="{namespace}"'.encode()
            bound = [name]
        prefixes[name] = bound[0]
    return vml[:start] + root + vml[end:], prefixes


def _add_note_shapes(drawing: bytes, new: list[Comment], taken: int) -> bytes:
    """``drawing`` with note shapes for ``new``: ids after its last one within
    the blocks it claims, else in blocks no other VML part uses (listed in its idmap)."""
    drawing, p = _declared_prefixes(drawing)
    used = [int(n) for n in re.findall(rb'\bid="_x0000_s(\d+)"', drawing)]
    idmap = re.search(rb'(<[\w.-]+:idmap\b[^>]*?\bdata=")([\d,\s]*)(")', drawing)
    blocks = sorted({int(n) for n in re.findall(rb"\d+", idmap.group(2))}) if idmap else []
    start = max([*used, blocks[0] * 1024 if blocks else 0]) + 1
    if not blocks or any((start + n) // 1024 not in blocks for n in range(len(new))):
        start = (max([taken, *blocks]) + 1) * 1024 + 1
        listed = ",".join(str(b) for b in sorted(set(blocks) | {(start + n) // 1024 for n in range(len(new))}))
        if idmap:
            drawing = drawing[:idmap.start(2)] + listed.encode() + drawing[idmap.end(2):]
        else:
            o, v = p["o"], p["v"]
            layout = f'<{o}:shapelayout {v}:ext="edit"><{o}:idmap {v}:ext="edit" data="{listed}"/></{o}:shapelayout>'
            at = _vml_root(drawing)[1] + 1
            drawing = drawing[:at] + layout.encode() + drawing[at:]
    if b'id="_x0000_t202"' not in drawing:
        first = next(vml_shapes(drawing), None)
        at = first[0].start() if first else drawing.rindex(b"</xml>")
        drawing = drawing[:at] + _note_shapetype(p).encode() + drawing[at:]
    z = len(re.findall(rb"z-index:", drawing))
    shapes = "".join(note_shape(c, start + n, z + n + 1, p) for n, c in enumerate(new)).encode()
    end = drawing.rindex(b"</xml>")
    return drawing[:end] + shapes + drawing[end:]


def vml_blocks_in_use(package: Package, skip: str | None = None) -> int:
    """The highest shape-id block any other VML part of the package claims."""
    highest = 0
    for name, data in package.parts.items():
        if name.lower().endswith(".vml") and name != skip:
            for listed in re.findall(rb'data="([\d,\s]+)"', data):
                highest = max([highest, *(int(n) for n in re.findall(rb"\d+", listed))])
    return highest
