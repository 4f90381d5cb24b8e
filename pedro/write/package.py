"""The audited workbook written at the level of the .xlsx package.

openpyxl turns every cell of a workbook into a Python object to load it and
back into XML to save it, and it costs most of pedro's time at the scale of
the PEDro database (issue 6: 167 s of a 60,000-trial run, three times a bare
openpyxl load and save).  The audited workbook is the input plus five new
sheets and a few marked cells, so this module writes it as such:

- every part of the input is copied as it is, except the item sheet, whose
  XML is copied too but for the rows that hold a rewritten or marked cell;
- the styles part gains the fills, fonts and cell formats pedro needs, each
  derived from a cell's own format so its font, border and number format stay;
- the item sheet's comments and their VML shapes are rebuilt: the assessor's
  own comments kept as they were, pedro's replaced;
- pedro's sheets are written as XML with inline strings, streamed into the zip.

Whatever this module does not understand raises ``Unsupported`` before
anything is written, and the caller falls back to openpyxl: prefixed
spreadsheet namespaces, rows or cells without references, a formula answer
that other cells share, VML drawings holding form controls.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from ..sheets.cells import column_index, column_letter, split_address
from .files import FORMULA_STARTS, needs_quote_prefix
from .style import ANSWER_COLOURS, HEADER_COLOUR, MARK_WIDTH, MISSING_COLOUR, SEVERITY_COLOURS, BarChart, Table

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_WORKSHEET = NS_DOC_REL + "/worksheet"
REL_COMMENTS = NS_DOC_REL + "/comments"
REL_VML = NS_DOC_REL + "/vmlDrawing"
REL_DRAWING = NS_DOC_REL + "/drawing"
REL_CHART = NS_DOC_REL + "/chart"
REL_CALC_CHAIN = NS_DOC_REL + "/calcChain"
_CT = "application/vnd.openxmlformats-officedocument."
CT_WORKSHEET = _CT + "spreadsheetml.worksheet+xml"
CT_COMMENTS = _CT + "spreadsheetml.comments+xml"
CT_VML = _CT + "vmlDrawing"
CT_DRAWING = _CT + "drawing+xml"
CT_CHART = _CT + "drawingml.chart+xml"
REL_STYLES = NS_DOC_REL + "/styles"
CT_STYLES = _CT + "spreadsheetml.styles+xml"
CT_WORKBOOK = _CT + "spreadsheetml.sheet.main+xml"
REL_OFFICE_DOCUMENT = NS_DOC_REL + "/officeDocument"

# Characters XML 1.0 cannot carry; a cell's text never needs them.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ATTR = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')


class Unsupported(Exception):
    """The package has a structure this writer does not handle (the message says which)."""


# --------------------------------------------------------------------------- cells and text

def split_ref(ref: str) -> tuple[int, int]:
    """(row, column), both 1-based, of 'E5'."""
    address = split_address(ref)
    if address is None:
        raise Unsupported(f"cell reference {ref!r}")
    return address


_SPACES = " \t\n\r"


_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))


def legal_utf8(xml: str) -> bytes:
    """``xml`` as UTF-8 without the characters XML cannot carry (none of them
    can be markup, so the whole text is filtered at once, at C speed)."""
    data = xml.encode("utf-8").translate(None, _CONTROL_BYTES)
    if b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:  # U+FFFE, U+FFFF
        data = data.replace(b"\xef\xbf\xbe", b"").replace(b"\xef\xbf\xbf", b"")
    return data


def escape(text: str) -> str:
    """Text for XML: &, < and > as entities.  (xml.sax.saxutils does the same, but importing it
    imports urllib.request and the email package: 45 ms of every `pedro score`.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_text(value: str) -> str:
    return escape(_ILLEGAL_XML.sub("", value))


def xml_attr(value: str) -> str:
    return escape(_ILLEGAL_XML.sub("", value)).replace('"', "&quot;").replace("\n", "&#10;").replace(
        "\r", "&#13;").replace("\t", "&#9;")


def inline_string(ref: str, text: str, style: int) -> str:
    text = _ILLEGAL_XML.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def cell_xml(ref: str, value, style: int = 0) -> str:
    """One <c> element; '' for a blank cell without a style."""
    kind = type(value)
    if kind is str:
        return inline_string(ref, value, style)
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>' if style else ""
    if kind is bool:
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if kind is int:
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):  # NaN, inf: no value
            return f'<c r="{ref}"{s}/>' if style else ""
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if hasattr(value, "item"):  # numpy scalars
        return cell_xml(ref, value.item(), style)
    try:
        import pandas as pd

        if pd.isna(value):
            return cell_xml(ref, None, style)
    except (TypeError, ValueError):
        pass
    return inline_string(ref, str(value), style)


# --------------------------------------------------------------------------- styles

@dataclass
class _Block:
    """A counted list in styles.xml (<fills count="n">...</fills>): its items' XML."""

    tag: str
    items: list[str]
    start: int = -1
    end: int = -1


class Styles:
    """styles.xml, extended in place: fills, fonts, cell formats and
    differential formats appended after the workbook's own, which keep their
    indices (every cell of the input keeps its look)."""

    _ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
              "tableStyles", "colors", "extLst")

    def __init__(self, xml: str | None):
        self.xml = xml or _BLANK_STYLES
        root = re.search(r"<(\w+:)?styleSheet\b", self.xml)
        if root is None or root.group(1):
            raise Unsupported("styles part without a plain <styleSheet>")
        self.blocks = {tag: self._block(tag) for tag in ("fonts", "fills", "cellXfs", "dxfs")}
        if not self.blocks["cellXfs"].items:
            raise Unsupported("styles part without cell formats")
        self._derived: dict[tuple, int] = {}
        self._fills: dict[str, int] = {}
        self._fonts: dict[tuple, int] = {}
        self._dxfs: dict[str, int] = {}

    def _block(self, tag: str) -> _Block:
        element = tag[:-1] if tag != "cellXfs" else "xf"
        if tag == "dxfs":
            element = "dxf"
        match = re.search(rf"<{tag}\b[^>]*?(?:/>|>(.*?)</{tag}>)", self.xml, re.S)
        if match is None:
            return _Block(tag, [])
        body = match.group(1) or ""
        items = re.findall(rf"<{element}\b[^>]*?/>|<{element}\b[^>]*?>.*?</{element}>", body, re.S)
        return _Block(tag, items, match.start(), match.end())

    # -- reading
    def fill_colour(self, xf_index: int) -> str:
        """The last six hex digits of the solid fill colour of a cell format ('' if none)."""
        xfs = self.blocks["cellXfs"].items
        if not 0 <= xf_index < len(xfs):
            return ""
        fill_id = _attrs(xfs[xf_index]).get("fillId")
        fills = self.blocks["fills"].items
        if fill_id is None or not fill_id.isdigit() or int(fill_id) >= len(fills):
            return ""
        match = re.search(r'<fgColor\b[^>]*\brgb="([0-9A-Fa-f]{6,8})"', fills[int(fill_id)])
        return match.group(1)[-6:].upper() if match else ""

    # -- adding
    def fill(self, rgb: str) -> int:
        if rgb not in self._fills:
            self._fills[rgb] = self._append("fills", f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
                                                     f'<bgColor indexed="64"/></patternFill></fill>')
        return self._fills[rgb]

    def font(self, bold: bool = True, size: float | None = None) -> int:
        key = (bold, size)
        if key not in self._fonts:
            fonts = self.blocks["fonts"].items
            base = fonts[0] if fonts else "<font/>"
            inner = re.sub(r"^<font\b[^>]*?/?>|</font>$", "", base)
            inner = re.sub(r"<b\b[^>]*/>", "", inner)
            if size is not None:
                inner = re.sub(r"<sz\b[^>]*/>", f'<sz val="{size:g}"/>', inner) if "<sz" in inner \
                    else inner + f'<sz val="{size:g}"/>'
            self._fonts[key] = self._append("fonts", f"<font>{'<b/>' if bold else ''}{inner}</font>")
        return self._fonts[key]

    def dxf(self, rgb: str) -> int:
        if rgb not in self._dxfs:
            self._dxfs[rgb] = self._append("dxfs", '<dxf><fill><patternFill patternType="solid">'
                                                   f'<fgColor rgb="FF{rgb}"/><bgColor rgb="FF{rgb}"/>'
                                                   '</patternFill></fill></dxf>')
        return self._dxfs[rgb]

    def derive(self, base: int, fill: int | None = None, font: int | None = None, quote: bool = False) -> int:
        """A cell format like ``base`` but with this fill (0: none), font, or quote prefix."""
        key = (base, fill, font, quote)
        if key in self._derived:
            return self._derived[key]
        xfs = self.blocks["cellXfs"].items
        xf = xfs[base] if 0 <= base < len(xfs) else xfs[0]
        if fill is not None:
            xf = _set_attr(xf, "fillId", str(fill))
            xf = _set_attr(xf, "applyFill", "1")
        if font is not None:
            xf = _set_attr(xf, "fontId", str(font))
            xf = _set_attr(xf, "applyFont", "1")
        if quote:
            xf = _set_attr(xf, "quotePrefix", "1")
        index = base if xf == (xfs[base] if 0 <= base < len(xfs) else None) else self._append("cellXfs", xf)
        self._derived[key] = index
        return index

    def _append(self, tag: str, item: str) -> int:
        self.blocks[tag].items.append(item)
        return len(self.blocks[tag].items) - 1

    def to_xml(self) -> str:
        """The styles part with every block rewritten from its items."""
        xml = self.xml
        # Replace from the last block to the first so earlier offsets stay valid.
        present = sorted((b for b in self.blocks.values() if b.start >= 0), key=lambda b: b.start, reverse=True)
        for block in present:
            xml = xml[:block.start] + _render_block(block) + xml[block.end:]
        for block in self.blocks.values():
            if block.start < 0 and block.items:
                xml = _insert_in_order(xml, block.tag, _render_block(block), self._ORDER, "styleSheet")
        return xml


def _render_block(block: _Block) -> str:
    if not block.items:
        return f'<{block.tag} count="0"/>'
    return f'<{block.tag} count="{len(block.items)}">{"".join(block.items)}</{block.tag}>'


def _attrs(element: str) -> dict[str, str]:
    head = re.match(r"<[\w:]+\b([^>]*?)/?>", element, re.S)
    return dict(_ATTR.findall(head.group(1))) if head else {}


def _set_attr(element: str, name: str, value: str) -> str:
    """``element``'s start tag with attribute ``name`` set to ``value``."""
    head = re.match(r"<[\w:]+\b[^>]*?(?=/?>)", element, re.S)
    start = head.group(0)
    pattern = re.compile(rf'(\s){re.escape(name)}\s*=\s*"[^"]*"')
    if pattern.search(start):
        new = pattern.sub(lambda m: f'{m.group(1)}{name}="{value}"', start, count=1)
    else:
        new = f'{start} {name}="{value}"'
    return new + element[head.end():]


def _insert_in_order(xml: str, tag: str, text: str, order: tuple, root: str) -> str:
    """Insert a child element ``text`` where the schema's ``order`` puts ``tag``:
    before the first later sibling present, else before the root's end tag."""
    for later in order[order.index(tag) + 1:]:
        match = re.search(rf"<{later}\b", xml)
        if match:
            return xml[:match.start()] + text + xml[match.start():]
    end = xml.rindex(f"</{root}>")
    return xml[:end] + text + xml[end:]


_BLANK_STYLES = (
    f'<styleSheet xmlns="{NS_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/>'
    '</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
    'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
    '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


# --------------------------------------------------------------------------- the package

@dataclass
class Relationship:
    id: str
    type: str
    target: str
    external: bool = False


def read_rels(xml: bytes | None) -> list[Relationship]:
    if not xml:
        return []
    root = ElementTree.fromstring(xml)
    return [Relationship(r.get("Id"), r.get("Type"), r.get("Target"), r.get("TargetMode") == "External")
            for r in root.iter(f"{{{NS_PKG_REL}}}Relationship")]


def rels_xml(rels: list[Relationship]) -> bytes:
    body = "".join(f'<Relationship Id="{xml_attr(r.id)}" Type="{xml_attr(r.type)}" Target="{xml_attr(r.target)}"'
                   + (' TargetMode="External"' if r.external else "") + "/>" for r in rels)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{NS_PKG_REL}">'
            f"{body}</Relationships>").encode()


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """The part name a relationship of ``source`` points at."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


@dataclass
class SheetEntry:
    name: str
    rid: str
    part: str
    element: str  # the <sheet .../> element as written


@dataclass
class Package:
    """The parts of a workbook, by name, in their order, plus the edits to make."""

    parts: dict[str, bytes]
    order: list[str]
    content_types: dict = field(default_factory=dict)  # {"defaults": {ext: type}, "overrides": {part: type}}
    workbook_part: str = "xl/workbook.xml"
    large_parts: set = field(default_factory=set)  # streamed parts that may pass 2 GiB

    @classmethod
    def read(cls, path) -> Package:
        with zipfile.ZipFile(path) as archive:
            order = [info.filename for info in archive.infolist() if not info.is_dir()]
            parts = {name: archive.read(name) for name in order}
        package = cls(parts, order)
        package.content_types = package._read_content_types()
        main = [r for r in read_rels(parts.get("_rels/.rels"))
                if r.type.endswith("/officeDocument") and not r.external]
        if not main:
            raise Unsupported("no workbook part")
        package.workbook_part = resolve("", main[0].target)
        if package.workbook_part not in parts:
            raise Unsupported("workbook part missing")
        return package

    @classmethod
    def blank(cls) -> Package:
        """A package with a workbook and styles and no sheets."""
        parts = {
            "_rels/.rels": rels_xml([Relationship("rId1", REL_OFFICE_DOCUMENT, "xl/workbook.xml")]),
            "xl/workbook.xml": (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{NS_MAIN}" '
                                f'xmlns:r="{NS_DOC_REL}"><bookViews><workbookView activeTab="0"/></bookViews><sheets>'
                                '</sheets></workbook>').encode(),
            "xl/_rels/workbook.xml.rels": rels_xml([Relationship("rId1", REL_STYLES, "styles.xml")]),
            "xl/styles.xml": _BLANK_STYLES.encode(),
        }
        package = cls(parts, list(parts))
        package.content_types = {
            "defaults": {"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml"},
            "overrides": {"xl/workbook.xml": CT_WORKBOOK, "xl/styles.xml": CT_STYLES}}
        return package

    def _read_content_types(self) -> dict:
        root = ElementTree.fromstring(self.parts["[Content_Types].xml"])
        defaults = {e.get("Extension").lower(): e.get("ContentType") for e in root.iter(f"{{{NS_TYPES}}}Default")}
        overrides = {e.get("PartName").lstrip("/"): e.get("ContentType") for e in root.iter(f"{{{NS_TYPES}}}Override")}
        return {"defaults": defaults, "overrides": overrides}

    def content_types_xml(self) -> bytes:
        defaults = "".join(f'<Default Extension="{xml_attr(ext)}" ContentType="{xml_attr(kind)}"/>'
                           for ext, kind in self.content_types["defaults"].items())
        overrides = "".join(f'<Override PartName="/{xml_attr(part)}" ContentType="{xml_attr(kind)}"/>'
                            for part, kind in self.content_types["overrides"].items() if part in self.parts)
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{NS_TYPES}">'
                f"{defaults}{overrides}</Types>").encode()

    def text(self, part: str) -> str:
        return self.parts[part].decode("utf-8")

    def rels(self, part: str) -> list[Relationship]:
        return read_rels(self.parts.get(rels_name(part)))

    def set_rels(self, part: str, rels: list[Relationship]) -> None:
        self.put(rels_name(part), rels_xml(rels))

    def put(self, part: str, data: bytes, content_type: str | None = None) -> None:
        if part not in self.parts:
            self.order.append(part)
        self.parts[part] = data
        if content_type:
            self.content_types["overrides"][part] = content_type

    def remove(self, part: str) -> None:
        for name in (part, rels_name(part)):
            if self.parts.pop(name, None) is not None:
                self.order.remove(name)
        self.content_types["overrides"].pop(part, None)

    def free_name(self, pattern: str) -> str:
        """The first part name ``pattern.format(n)`` (n = 1, 2, ...) not in use."""
        n = 1
        while pattern.format(n) in self.parts:
            n += 1
        return pattern.format(n)

    def sheets(self) -> list[SheetEntry]:
        xml = self.text(self.workbook_part)
        if re.search(r"<\w+:workbook\b", xml):
            raise Unsupported("prefixed workbook namespace")
        rels = {r.id: r for r in self.rels(self.workbook_part)}
        entries = []
        for element in re.findall(r"<sheet\b[^>]*/>", _sheets_block(xml)):
            attrs = _attrs(element)
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
            if rid not in rels:
                raise Unsupported("a sheet without its relationship")
            name = ElementTree.fromstring(f"<x a=\"{attrs.get('name', '')}\"/>").get("a")
            entries.append(SheetEntry(name, rid, resolve(self.workbook_part, rels[rid].target), element))
        return entries

    def save(self, path, streamed: dict | None = None, level: int = 1) -> None:
        """Write the package to ``path``; ``streamed`` maps part names to
        iterables of text chunks (or functions returning them), written
        without holding the whole part."""
        streamed = streamed or {}
        # Parts given as a function come last: they may depend on what the others wrote.
        order = sorted(self.order, key=lambda name: callable(streamed.get(name)))
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
            archive.writestr("[Content_Types].xml", self.content_types_xml())
            for name in order:
                if name == "[Content_Types].xml" or (name not in self.parts and name not in streamed):
                    continue
                if name in streamed:
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info._compresslevel = level  # ZipFile.open takes the level from here (CPython 3.7+)
                    # Zip64 headers only where a part may pass 2 GiB: some readers of .xlsx refuse them.
                    with archive.open(info, "w", force_zip64=name in self.large_parts) as handle:
                        buffer = []
                        size = 0
                        chunks = streamed[name]
                        for chunk in (chunks() if callable(chunks) else chunks):
                            buffer.append(chunk)
                            size += len(chunk)
                            if size > 1 << 20:
                                handle.write(legal_utf8("".join(buffer)))
                                buffer, size = [], 0
                        handle.write(legal_utf8("".join(buffer)))
                else:
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, self.parts[name], compresslevel=level)


def _sheets_block(xml: str) -> str:
    match = re.search(r"<sheets\b[^>]*>(.*?)</sheets>", xml, re.S)
    if match is None:
        raise Unsupported("workbook without sheets")
    return match.group(1)


# --------------------------------------------------------------------------- the item sheet

@dataclass
class CellEdit:
    """What to do to one cell of the item sheet."""

    value: object = None  # the new value, when ``set_value``
    set_value: bool = False
    fill: int | None = None  # fill id to apply, or None to keep the cell's
    clear_colours: frozenset = frozenset()  # fills (RRGGBB) to remove when no other fill is given


_ROW = re.compile(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)


def sheet_data_span(xml: str) -> tuple[int, int]:
    """(start, end) of the <sheetData> element's content."""
    if re.search(r"<\w+:worksheet\b", xml[:2000]):
        raise Unsupported("prefixed worksheet namespace")
    open_tag = re.search(r"<sheetData\b[^>]*?(/?)>", xml)
    if open_tag is None:
        raise Unsupported("worksheet without sheetData")
    if open_tag.group(1):
        return open_tag.end(), open_tag.end()
    end = xml.find("</sheetData>", open_tag.end())
    return open_tag.end(), end


_FORMULA = re.compile(r"<f(?=[\s/>])([^>]*?)(?:/>|>(.*?)</f>)", re.S)  # <f>, not <family> of a rich text run
_CELL_START = re.compile(r"<c\s")


def formula_cells(xml: str, span: tuple[int, int]) -> dict[str, str]:
    """{reference: the <f> element} of every formula cell: found from each
    formula, not by walking every cell."""
    found = {}
    start, end = span
    for formula in _FORMULA.finditer(xml, start, end):
        cell_start = max((m.start() for m in _CELL_START.finditer(xml, max(start, formula.start() - 400),
                                                                  formula.start())), default=-1)
        if cell_start == -1:
            cell_start = xml.rfind("<c", start, formula.start())
        reference = _CELL_REF.search(xml, cell_start, xml.find(">", cell_start))
        if cell_start == -1 or reference is None:
            raise Unsupported("a formula cell without a reference")
        found[xml[reference.start(1):reference.end() - 1]] = formula.group(0)
    return found


def patch_cells(xml: str, edits: dict[str, CellEdit], styles: Styles, span: tuple[int, int]) -> tuple[str, dict]:
    """The worksheet XML with ``edits`` applied, and {reference: old formula
    text} of the formula cells whose value replaced their formula."""
    by_row: dict[int, dict[int, tuple[str, CellEdit]]] = {}
    for ref, edit in edits.items():
        row, column = split_ref(ref)
        by_row.setdefault(row, {})[column] = (ref, edit)
    start, end = span
    pieces, position, replaced = [], start, {}
    pending = sorted(by_row)
    index = 0
    for match in _ROW.finditer(xml, start, end):
        attrs = _attrs(match.group(0))
        if "r" not in attrs:
            raise Unsupported("a row without a reference")
        number = int(attrs["r"])
        while index < len(pending) and pending[index] < number:  # rows that do not exist yet
            pieces.append(xml[position:match.start()])
            position = match.start()
            pieces.append(_new_row(pending[index], by_row[pending[index]], styles))
            index += 1
        if index < len(pending) and pending[index] == number:
            pieces.append(xml[position:match.start()])
            pieces.append(_patch_row(match, by_row[number], styles, replaced))
            position = match.end()
            index += 1
    pieces.append(xml[position:end])
    for number in pending[index:]:
        pieces.append(_new_row(number, by_row[number], styles))
    return xml[:start] + "".join(pieces) + xml[end:], replaced


def _new_row(number: int, cells: dict[int, tuple[str, CellEdit]], styles: Styles) -> str:
    body = "".join(_edited_cell(ref, {}, None, edit, styles, {}) for _, (ref, edit) in sorted(cells.items()))
    return f'<row r="{number}">{body}</row>'


_CELL_REF = re.compile(r'\sr="([A-Z]+)\d+"')


def _patch_row(match, cells: dict[int, tuple[str, CellEdit]], styles: Styles, replaced: dict) -> str:
    """The row ``match`` with ``cells`` ({column: (reference, edit)}) edited."""
    head = match.group(0)[:match.group(0).index(">") + 1]
    if head.endswith("/>"):
        head = head[:-2] + ">"
    body = match.group(2) or ""
    wanted = {ref: edit for ref, edit in cells.values()}
    # Most writers put r first: find each wanted cell directly, else read the row cell by cell.
    found = {}
    for ref in wanted:
        at = body.find(f'<c r="{ref}"')
        if at == -1:
            return _patch_cell_by_cell(head, body, cells, styles, replaced)
        found[ref] = _CELL.match(body, at)
    pieces, position = [], 0
    for ref, cell in sorted(found.items(), key=lambda pair: pair[1].start()):
        pieces.append(body[position:cell.start()])
        pieces.append(_edited_cell(ref, _attrs(cell.group(0)), cell.group(2), wanted[ref], styles, replaced))
        position = cell.end()
    pieces.append(body[position:])
    return head + "".join(pieces) + "</row>"


def _patch_cell_by_cell(head: str, body: str, cells: dict[int, tuple[str, CellEdit]], styles: Styles,
                        replaced: dict) -> str:
    """``_patch_row`` reading every cell's reference: the cells to edit may be
    written without r first, or be missing from the row (they are added in
    column order)."""
    existing = []  # (column, xml)
    seen = set()
    for cell in _CELL.finditer(body):
        reference = _CELL_REF.search(cell.group(1))
        if reference is None:
            raise Unsupported("a cell without a reference")
        column = column_index(reference.group(1)) + 1
        if column in cells:
            ref, edit = cells[column]
            existing.append((column, _edited_cell(ref, _attrs(cell.group(0)), cell.group(2), edit, styles, replaced)))
            seen.add(column)
        else:
            existing.append((column, cell.group(0)))
    added = [(column, _edited_cell(ref, {}, None, edit, styles, replaced))
             for column, (ref, edit) in cells.items() if column not in seen]
    if added:
        head = re.sub(r'\sspans="[^"]*"', "", head)  # the row now reaches other columns
        existing = sorted(existing + added, key=lambda pair: pair[0])
    return head + "".join(text for _, text in existing) + "</row>"


def _edited_cell(ref: str, attrs: dict, body: str | None, edit: CellEdit, styles: Styles, replaced: dict) -> str:
    style = int(attrs.get("s", "0") or 0)
    formula = re.search(r"<f\b[^>]*?(?:/>|>.*?</f>)", body or "", re.S)
    set_value = edit.set_value
    quote = set_value and needs_quote_prefix(edit.value)
    fill = edit.fill
    if fill is None and edit.clear_colours and styles.fill_colour(style) in edit.clear_colours:
        fill = 0
    if fill is not None or quote:
        style = styles.derive(style, fill=fill, quote=quote)
    if set_value:
        if formula is not None:
            if re.search(r'\bt="(shared|array|dataTable)"', formula.group(0)) and "ref=" in formula.group(0):
                raise Unsupported(f"cell {ref} holds a formula other cells share")
            replaced[ref] = formula.group(0)
        return cell_xml(ref, edit.value, style) or f'<c r="{ref}"/>'
    # Keep the cell's content and attributes; change only its style.
    kept = "".join(f' {k}="{v}"' for k, v in attrs.items() if k not in ("r", "s"))
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s}{kept}>{body}</c>' if body else f'<c r="{ref}"{s}{kept}/>'


# --------------------------------------------------------------------------- comments

@dataclass
class Comment:
    ref: str
    text_xml: str  # the <text> element
    author: str
    width: int = MARK_WIDTH
    height: int = 100


def read_comments(xml: bytes | None) -> list[Comment]:
    if not xml:
        return []
    text = xml.decode("utf-8")
    if re.search(r"<\w+:comments\b", text):
        raise Unsupported("prefixed comments namespace")
    authors = [ElementTree.fromstring(f"<a>{a}</a>").text or ""
               for a in re.findall(r"<author>(.*?)</author>|<author/>", text, re.S)]
    comments = []
    for element in re.finditer(r"<comment\b([^>]*)>(.*?)</comment>", text, re.S):
        attrs = dict(_ATTR.findall(element.group(1)))
        author_id = int(attrs.get("authorId", "0") or 0)
        inner = re.search(r"<text\b.*</text>|<text/>", element.group(2), re.S)
        comments.append(Comment(attrs.get("ref", ""), inner.group(0) if inner else "<text/>",
                                authors[author_id] if author_id < len(authors) else ""))
    return comments


def text_element(text: str) -> str:
    return f'<text><t xml:space="preserve">{xml_text(text)}</t></text>'


def comments_xml(comments: list[Comment]) -> bytes:
    authors = list(dict.fromkeys(c.author for c in comments)) or [""]
    ids = {a: i for i, a in enumerate(authors)}
    body = "".join(f'<comment ref="{c.ref}" authorId="{ids[c.author]}">{c.text_xml}</comment>' for c in comments)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{NS_MAIN}"><authors>'
            + "".join(f"<author>{xml_text(a)}</author>" for a in authors)
            + f"</authors><commentList>{body}</commentList></comments>").encode()


def vml_xml(comments: list[Comment], block: int) -> bytes:
    """The legacy drawing Excel needs to show the comments: one hidden note
    shape per comment, ids in blocks of 1024 from ``block``."""
    blocks = max(1, -(-(len(comments) + 1) // 1024))
    ids = ",".join(str(block + n) for n in range(blocks))
    shapes = []
    for n, comment in enumerate(comments):
        row, column = split_ref(comment.ref)
        shapes.append(
            f'<v:shape id="_x0000_s{block * 1024 + n + 1}" type="#_x0000_t202" style="position:absolute;'
            f'margin-left:59.25pt;margin-top:1.5pt;width:{comment.width}px;height:{comment.height}px;z-index:{n + 1};'
            'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            f'<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f'<x:Anchor>{column}, 15, {max(row - 2, 0)}, 10, {column + 4}, 15, {max(row - 2, 0) + 5}, 4</x:Anchor>'
            f'<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{column - 1}</x:Column>'
            '</x:ClientData></v:shape>')
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
            f'<o:idmap v:ext="edit" data="{ids}"/></o:shapelayout><v:shapetype id="_x0000_t202" '
            'coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
            '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
            + "".join(shapes) + "</xml>").encode()


def vml_blocks_in_use(package: Package, skip: str | None = None) -> int:
    """The highest shape-id block any other VML part of the package claims."""
    highest = 0
    for name, data in package.parts.items():
        if name.lower().endswith(".vml") and name != skip:
            for listed in re.findall(rb'data="([\d,\s]+)"', data):
                highest = max([highest, *(int(n) for n in re.findall(rb"\d+", listed))])
    return highest


def only_notes(vml: bytes) -> bool:
    """True when a VML drawing holds nothing but comment notes (no form controls, no pictures)."""
    kinds = re.findall(rb'ObjectType\s*=\s*"(\w+)"', vml)
    shapes = len(re.findall(rb"<\w+:shape\b", vml))  # not <v:shapetype>: no word boundary after "shape"
    return all(kind == b"Note" for kind in kinds) and shapes == len(kinds)


# --------------------------------------------------------------------------- pedro's sheets

def _pane(freeze: str | None) -> str:
    if not freeze:
        return ""
    row, column = split_ref(freeze)
    x, y = column - 1, row - 1
    if not x and not y:
        return ""
    active = "bottomRight" if x and y else ("bottomLeft" if y else "topRight")
    split = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
    return (f'<pane{split} topLeftCell="{freeze}" activePane="{active}" state="frozen"/>'
            f'<selection pane="{active}" activeCell="{freeze}" sqref="{freeze}"/>')


def worksheet_chunks(table: Table, styles: Styles, drawing_rid: str | None = None):
    """The worksheet XML of a ``pedro.write.style.Table``, in chunks of rows."""
    rows = table.rows
    width = max((len(r) for r in rows), default=0)
    letters = [column_letter(i) for i in range(max(width, 1) + 1)]
    yield _worksheet_head(table, letters[max(width, 1) - 1])
    yield "<sheetData>"
    yield from _row_chunks(table, styles, letters)
    yield "</sheetData>"
    if table.autofilter and table.header_row and len(rows) > table.header_row:
        yield f'<autoFilter ref="A{table.header_row}:{letters[width - 1]}{len(rows)}"/>'
    yield from _answer_formats(table.answer_blocks, styles, letters)
    yield '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
    if drawing_rid:
        yield f'<drawing r:id="{drawing_rid}"/>'
    yield "</worksheet>"


def _worksheet_head(table: Table, last_letter: str) -> str:
    """What comes before the cells: the sheet's extent, its frozen pane and column widths."""
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS_MAIN}" '
            f'xmlns:r="{NS_DOC_REL}"><dimension ref="A1:{last_letter}{max(len(table.rows), 1)}"/>'
            f'<sheetViews><sheetView workbookViewId="0">{_pane(table.freeze)}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>')
    if table.widths:
        head += "<cols>" + "".join(f'<col min="{c + 1}" max="{c + 1}" width="{w}" customWidth="1"/>'
                                   for c, w in sorted(table.widths.items())) + "</cols>"
    return head


def _row_styles(table: Table, styles: Styles) -> dict[int, int]:
    """{row: cell format} of the rows styled whole, as ``pedro.write.style.render``
    draws them: bold rows, header rows bold on the header colour, the title
    bold and larger (its font wins, a header's fill stays)."""
    headers = ((table.header_row,) if table.header_row else ()) + tuple(table.subheader_rows)
    fonts, fills = {}, {}
    for number in table.bold_rows:
        fonts[number] = styles.font(bold=True)
    for number in headers:
        fonts[number], fills[number] = styles.font(bold=True), styles.fill(HEADER_COLOUR)
    if table.title_row:
        fonts[table.title_row] = styles.font(bold=True, size=table.title_size)
    return {number: styles.derive(0, font=font, fill=fills.get(number)) for number, font in fonts.items()}


def _row_chunks(table: Table, styles: Styles, letters: list[str]):
    """The <row> elements, joined 2,000 rows at a time.  The hot loop of a
    60,000-trial sheet: most cells are text, written here rather than through
    ``cell_xml``, with the row's format worked out once per row."""
    row_style = _row_styles(table, styles)
    severity, severity_column = {}, table.severity_column
    if severity_column is not None:
        severity = {name: styles.derive(0, fill=styles.fill(colour)) for name, colour in SEVERITY_COLOURS.items()}
    quoted: dict[int, int] = {}
    header_row = table.header_row or 0
    chunk = []
    for number, values in enumerate(table.rows, start=1):
        r = str(number)
        base = row_style.get(number, 0)
        base_attr = f' s="{base}"' if base else ""
        cells = []
        for column, value in enumerate(values):
            if type(value) is str and value:
                style = base
                if column == severity_column and number > header_row:
                    style = severity.get(value, style)
                if value[:1] in FORMULA_STARTS and needs_quote_prefix(value):
                    if style not in quoted:
                        quoted[style] = styles.derive(style, quote=True)
                    style = quoted[style]
                if "&" in value or "<" in value or ">" in value:
                    value = escape(value)
                space = ' xml:space="preserve"' if value and (value[0] in _SPACES or value[-1] in _SPACES) else ""
                attr = base_attr if style == base else f' s="{style}"'
                cells.append(f'<c r="{letters[column]}{r}"{attr} t="inlineStr"><is><t{space}>{value}</t></is></c>')
            elif base or (value is not None and type(value) is not str):  # "" is a blank cell, as in openpyxl
                cells.append(cell_xml(letters[column] + r, None if type(value) is str else value, base))
        if cells:
            chunk.append(f'<row r="{r}">{"".join(cells)}</row>')
        if len(chunk) >= 2000:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)


def _answer_formats(answer_blocks: list, styles: Styles, letters: list[str]):
    """The traffic light of each answer block: conditional formats, as ``pedro.write.style`` draws them."""
    priority = 1
    for first_column, count, first_row, last_row in answer_blocks:
        if last_row < first_row:
            continue
        first, final = letters[first_column - 1], letters[first_column + count - 2]
        rules = []
        for answer, colour in ANSWER_COLOURS.items():
            rules.append(f'<cfRule type="cellIs" dxfId="{styles.dxf(colour)}" priority="{priority}" '
                         f'operator="equal"><formula>{xml_text(chr(34) + answer + chr(34))}</formula></cfRule>')
            priority += 1
        rules.append(f'<cfRule type="expression" dxfId="{styles.dxf(MISSING_COLOUR)}" priority="{priority}">'
                     f'<formula>ISBLANK({first}{first_row})</formula></cfRule>')
        priority += 1
        yield f'<conditionalFormatting sqref="{first}{first_row}:{final}{last_row}">{"".join(rules)}' \
              "</conditionalFormatting>"


def chart_parts(chart: BarChart, sheet_name: str) -> tuple[bytes, bytes]:
    """(drawing XML, chart XML) of a ``pedro.write.style.BarChart`` on sheet ``sheet_name``;
    the drawing refers to the chart as relationship rId1."""
    return _chart_drawing(chart), _chart_xml(chart, sheet_name)


def _chart_drawing(chart: BarChart) -> bytes:
    """The drawing that anchors the chart to its cell."""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr '
        'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f'<xdr:oneCellAnchor><xdr:from><xdr:col>{chart.anchor_column - 1}</xdr:col><xdr:colOff>0</xdr:colOff>'
        f'<xdr:row>{chart.anchor_row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
        f'<xdr:ext cx="{int(chart.width_cm * 360000)}" cy="{int(chart.height_cm * 360000)}"/>'
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="1" name="Chart 1"/><xdr:cNvGraphicFramePr/>'
        '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:r="{NS_DOC_REL}" '
        'r:id="rId1"/></a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>'
        '</xdr:wsDr>').encode()


def _chart_title(text: str) -> str:
    return (f'<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:pPr><a:defRPr/></a:pPr><a:r><a:t>{xml_text(text)}'
            '</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>')


def _chart_xml(chart: BarChart, sheet_name: str) -> bytes:
    """The bar chart: one series of ``chart.data_column`` against the labels of ``chart.category_column``."""
    quoted = "'" + sheet_name.replace("'", "''") + "'"
    column = column_letter(chart.data_column - 1)
    category = column_letter(chart.category_column - 1)

    def ref(col, first, last=None):
        return xml_text(f"{quoted}!${col}${first}" + (f":${col}${last}" if last is not None else ""))

    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<c:chartSpace '
        'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="{NS_DOC_REL}">'
        f'<c:style val="10"/><c:chart>{_chart_title(chart.title)}<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        '<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/><c:ser>'
        f'<c:idx val="0"/><c:order val="0"/><c:tx><c:strRef><c:f>{ref(column, chart.title_row)}</c:f></c:strRef>'
        f'</c:tx><c:cat><c:strRef><c:f>{ref(category, chart.first_row, chart.last_row)}</c:f></c:strRef></c:cat>'
        f'<c:val><c:numRef><c:f>{ref(column, chart.first_row, chart.last_row)}</c:f></c:numRef></c:val>'
        '</c:ser><c:gapWidth val="150"/><c:axId val="10"/><c:axId val="100"/></c:barChart>'
        '<c:catAx><c:axId val="10"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="1"/><c:majorTickMark val="none"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="100"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="100"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        f'<c:axPos val="l"/><c:majorGridlines/>{_chart_title(chart.y_title)}<c:numFmt formatCode="General" '
        'sourceLinked="1"/><c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="10"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx></c:plotArea>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>').encode()


# --------------------------------------------------------------------------- editing the package

# CT_Worksheet's children, in the order the schema requires.
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
    "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews", "mergeCells",
    "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors",
    "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst")




def new_rid(rels: list[Relationship]) -> str:
    taken = {r.id for r in rels}
    n = len(rels) + 1
    while f"rId{n}" in taken:
        n += 1
    return f"rId{n}"


def styles_part(package: Package) -> str:
    """The styles part's name, created empty-styled when the workbook has none."""
    rels = package.rels(package.workbook_part)
    for r in rels:
        if r.type == REL_STYLES and not r.external:
            part = resolve(package.workbook_part, r.target)
            if part not in package.parts:
                package.put(part, _BLANK_STYLES.encode(), CT_STYLES)
            return part
    part = package.free_name("xl/styles{}.xml")
    package.put(part, _BLANK_STYLES.encode(), CT_STYLES)
    rels.append(Relationship(new_rid(rels), REL_STYLES, _relative(package.workbook_part, part)))
    package.set_rels(package.workbook_part, rels)
    return part


def _relative(source: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


def _reachable(package: Package, start: list[str]) -> set[str]:
    seen, stack = set(), list(start)
    while stack:
        part = stack.pop()
        if part in seen:
            continue
        seen.add(part)
        stack.extend(resolve(part, r.target) for r in package.rels(part) if not r.external)
    return seen


def drop_sheets(package: Package, removed: list[SheetEntry]) -> None:
    """Remove sheets (a re-run's old pedro sheets) with the parts only they use,
    their relationships, and the workbook's names scoped to them."""
    if not removed:
        return
    entries = package.sheets()
    gone_ids = {e.rid for e in removed}
    indices = [i for i, e in enumerate(entries) if e.rid in gone_ids]
    doomed = _reachable(package, [e.part for e in removed])
    roots = [resolve(package.workbook_part, r.target) for r in package.rels(package.workbook_part)
             if r.id not in gone_ids and not r.external]
    for part in doomed - _reachable(package, roots):  # parts a remaining sheet also uses stay
        package.remove(part)
    package.set_rels(package.workbook_part, [r for r in package.rels(package.workbook_part) if r.id not in gone_ids])
    xml = package.text(package.workbook_part)
    for entry in removed:
        xml = xml.replace(entry.element, "", 1)

    def rescope(match):
        attrs = _attrs(match.group(0))
        scope = attrs.get("localSheetId")
        if scope is None or not scope.isdigit():
            return match.group(0)
        scope = int(scope)
        if scope in indices:
            return ""
        return _set_attr(match.group(0), "localSheetId", str(scope - sum(i < scope for i in indices)))

    xml = re.sub(r"<definedName\b[^>]*?(?:/>|>.*?</definedName>)", rescope, xml, flags=re.S)
    xml = re.sub(r"<definedNames>\s*</definedNames>|<definedNames/>", "", xml)
    remaining = len(entries) - len(removed)
    for attribute in ("activeTab", "firstSheet"):
        xml = re.sub(rf'\b{attribute}="(\d+)"',
                     lambda m, a=attribute: f'{a}="{m.group(1) if int(m.group(1)) < remaining else 0}"', xml)
    package.put(package.workbook_part, xml.encode())


def _add_sheet_entry(package: Package, name: str, part: str) -> None:
    rels = package.rels(package.workbook_part)
    rid = new_rid(rels)
    rels.append(Relationship(rid, REL_WORKSHEET, _relative(package.workbook_part, part)))
    package.set_rels(package.workbook_part, rels)
    xml = package.text(package.workbook_part)
    root = re.search(r"<workbook\b[^>]*>", xml)
    if root is None or f'xmlns="{NS_MAIN}"' not in root.group(0):
        raise Unsupported("workbook part not in the transitional spreadsheet namespace")
    prefix = re.search(rf'xmlns:(\w+)="{re.escape(NS_DOC_REL)}"', root.group(0))
    reference = f'{prefix.group(1)}:id="{rid}"' if prefix else f'r:id="{rid}" xmlns:r="{NS_DOC_REL}"'
    ids = [int(n) for n in re.findall(r'<sheet\b[^>]*?\bsheetId="(\d+)"', xml)]
    element = f'<sheet name="{xml_attr(name)}" sheetId="{max(ids, default=0) + 1}" {reference}/>'
    if "</sheets>" in xml:
        xml = xml.replace("</sheets>", element + "</sheets>", 1)
    else:
        xml = re.sub(r"<sheets\s*/>", f"<sheets>{element}</sheets>", xml, count=1)
    package.put(package.workbook_part, xml.encode())


def _check_drawable(table: Table) -> None:
    """Tables styled cell by cell are openpyxl's to draw (``pedro.write.style.RENDER_ONLY``)."""
    if table.render_only():
        raise Unsupported(f"a sheet styled cell by cell ({', '.join(table.render_only())})")


def add_values_sheet(package: Package, name: str, table: Table) -> None:
    """A sheet of plain values, held whole so that the item sheet can be marked."""
    _check_drawable(table)
    part = package.free_name("xl/worksheets/sheet{}.xml")
    styles = Styles(package.text("xl/styles.xml"))
    package.put(part, "".join(worksheet_chunks(table, styles)).encode(), CT_WORKSHEET)
    package.put("xl/styles.xml", styles.to_xml().encode())
    _add_sheet_entry(package, name, part)


def add_table_sheet(package: Package, name: str, table: Table, styles: Styles) -> dict:
    """Add one of pedro's sheets; return {part: chunks} for ``Package.save`` to stream."""
    _check_drawable(table)
    part = package.free_name("xl/worksheets/sheet{}.xml")
    package.put(part, b"", CT_WORKSHEET)  # reserved; the content is streamed
    drawing_rid = None
    if table.chart is not None:
        drawing = package.free_name("xl/drawings/drawing{}.xml")
        chart = package.free_name("xl/charts/chart{}.xml")
        drawing_xml, chart_xml = chart_parts(table.chart, name)
        package.put(drawing, drawing_xml, CT_DRAWING)
        package.put(chart, chart_xml, CT_CHART)
        package.set_rels(drawing, [Relationship("rId1", REL_CHART, _relative(drawing, chart))])
        drawing_rid = "rId1"
        package.set_rels(part, [Relationship(drawing_rid, REL_DRAWING, _relative(part, drawing))])
    _add_sheet_entry(package, name, part)
    if len(table.rows) * max((len(r) for r in table.rows), default=0) > 10_000_000:  # about 100 bytes a cell
        package.large_parts.add(part)
    return {part: worksheet_chunks(table, styles, drawing_rid)}


class ItemSheet:
    """The item sheet's XML and its comments, edited in place."""

    def __init__(self, package: Package, part: str, styles: Styles):
        self.package, self.part, self.styles = package, part, styles
        self.xml = package.text(part)
        self.span = sheet_data_span(self.xml)
        self.rels = package.rels(part)
        by_id = {r.id: r for r in self.rels}
        legacy = re.search(r"<legacyDrawing\b[^>]*?\b[\w]+:id=\"([^\"]+)\"", self.xml)
        self.vml_part = None
        if legacy:
            if legacy.group(1) not in by_id:
                raise Unsupported("a legacy drawing without its relationship")
            self.vml_part = resolve(part, by_id[legacy.group(1)].target)
            if not only_notes(package.parts.get(self.vml_part, b"")):
                raise Unsupported("the item sheet's legacy drawing holds more than comments")
        comment_rels = [r for r in self.rels if r.type == REL_COMMENTS and not r.external]
        self.comments_part = resolve(part, comment_rels[0].target) if comment_rels else None
        self._formulas = None

    def formulas_among(self, cells) -> dict[str, str]:
        """{cell: its formula as text ('=...')} of the given cells (an iterable
        of references) that hold a formula."""
        if self._formulas is None:
            self._formulas = formula_cells(self.xml, self.span)
        if not self._formulas:  # most sheets: no set of every answer cell to build
            return {}
        cells = set(cells)
        found = {}
        for ref, element in self._formulas.items():
            if ref in cells:
                text = re.sub(r"^<f\b[^>]*?(?:/>|>)|</f>$", "", element)
                found[ref] = "=" + _unescape(text) if text else "= (a formula shared with another cell)"
        return found

    def mark(self, values: dict, fills: dict, comments: dict, author: str, clear_colours: set) -> None:
        """Write ``values``, apply ``fills`` ({cell: fill id}) and ``comments``
        ({cell: (text, height)}); first clear ``author``'s earlier comments and
        the fills of ``clear_colours`` on their cells."""
        existing = read_comments(self.package.parts.get(self.comments_part)) if self.comments_part else []
        kept = [c for c in existing if c.author != author]
        edits: dict[str, CellEdit] = {}
        for comment in existing:
            if comment.author == author:
                edits[comment.ref] = CellEdit(clear_colours=frozenset(clear_colours))
        for ref, value in values.items():
            edit = edits.setdefault(ref, CellEdit())
            edit.value, edit.set_value = value, True
        for ref, fill in fills.items():
            edits.setdefault(ref, CellEdit()).fill = fill
        self.xml, replaced = patch_cells(self.xml, edits, self.styles, self.span)
        if replaced:
            self._drop_calc_chain()
        ours = [Comment(ref, text_element(text), author, height=height) for ref, (text, height) in comments.items()]
        if ours or existing:
            self._write_comments(kept + ours)
        self.package.put(self.part, self.xml.encode())

    def _write_comments(self, comments: list[Comment]) -> None:
        package = self.package
        if self.comments_part is None:
            self.comments_part = package.free_name("xl/comments{}.xml")
            self.rels.append(Relationship(new_rid(self.rels), REL_COMMENTS, _relative(self.part, self.comments_part)))
        package.put(self.comments_part, comments_xml(comments), CT_COMMENTS)
        block = vml_blocks_in_use(package, skip=self.vml_part) + 1
        if self.vml_part is None:
            self.vml_part = package.free_name("xl/drawings/vmlDrawing{}.vml")
            rid = new_rid(self.rels)
            self.rels.append(Relationship(rid, REL_VML, _relative(self.part, self.vml_part)))
            self.xml = _insert_in_order(self.xml, "legacyDrawing",
                                        f'<legacyDrawing xmlns:r="{NS_DOC_REL}" r:id="{rid}"/>',
                                        WORKSHEET_ORDER, "worksheet")
        extension = posixpath.splitext(self.vml_part)[1].lstrip(".").lower()
        known = package.content_types["defaults"].get(extension) or package.content_types["overrides"].get(
            self.vml_part)
        package.put(self.vml_part, vml_xml(comments, block), None if known else CT_VML)
        package.set_rels(self.part, self.rels)

    def _drop_calc_chain(self) -> None:
        """Excel's calculation chain lists formula cells; a replaced formula
        would leave it pointing at a value, which Excel reports as damage.
        It is a cache: Excel rebuilds it."""
        package = self.package
        rels = package.rels(package.workbook_part)
        chains = [r for r in rels if r.type == REL_CALC_CHAIN]
        for r in chains:
            package.remove(resolve(package.workbook_part, r.target))
        if chains:
            package.set_rels(package.workbook_part, [r for r in rels if r.type != REL_CALC_CHAIN])


def _unescape(text: str) -> str:
    """XML text as the characters it stands for (the five entities; &amp; last, so '&amp;lt;' stays '&lt;')."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace(
        "&amp;", "&")
