"""The .xlsx package, part by part: the container pedro's package writer edits.

openpyxl turns every cell of a workbook into a Python object to load it and
back into XML to save it, and it costs most of pedro's time at the scale of
the PEDro database (issue 6: 167 s of a 60,000-trial run, three times a bare
openpyxl load and save).  The audited workbook is the input plus pedro's
sheets and a few marked cells, so it is written as such
(``pedro.write.audited`` decides what goes in):

- every part of the input is copied as it is, except the item sheet, whose
  XML is copied too but for the rows that hold a rewritten or marked cell
  (``pedro.write.item_sheet``), its comments kept one per cell
  (``pedro.write.comments``);
- the styles part gains the fills, fonts and cell formats pedro needs, each
  derived from a cell's own format so its font, border and number format stay
  (``Styles``);
- the workbook's content type follows the file's name: a .xlsx loses its
  macros (``fit_to_suffix`` says so), a .xlsm declares itself macro-enabled;
- pedro's sheets are written as XML with inline strings, streamed into the zip
  (``pedro.write.tables``).

This module is the container and its XML plumbing: the parts and their content
types, relationships, the workbook's list of sheets, the styles part, escaping,
and removing sheets, macros and dangling relationships.  Whatever the writer
does not understand raises ``Unsupported`` before anything is written, and the
caller falls back to openpyxl (and names what openpyxl drops,
``pedro.write.carry``): prefixed spreadsheet namespaces, rows or cells without
references, an answer inside an array formula over other cells.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.etree import ElementTree

from ..errors import OutputError
from ..sheets.cells import split_address

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
ATTRIBUTE = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')


class Unsupported(Exception):
    """The package has a structure this writer does not handle (the message says which)."""


# --------------------------------------------------------------------------- cells and text

def split_ref(ref: str) -> tuple[int, int]:
    """(row, column), both 1-based, of 'E5'."""
    address = split_address(ref)
    if address is None:
        raise Unsupported(f"cell reference {ref!r}")
    return address


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


def unescape(text: str) -> str:
    """XML text as the characters it stands for (the five entities; &amp; last, so '&amp;lt;' stays '&lt;')."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace(
        "&amp;", "&")


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
        fill_id = attrs_of(xfs[xf_index]).get("fillId")
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

    def derive(self, base: int, fill: int | None = None, font: int | None = None, quote: bool = False,
               align: tuple = ()) -> int:
        """A cell format like ``base`` but with this fill (0: none), font, quote prefix, or
        alignment (``align``: attributes of <alignment>, as (("wrapText", "1"),))."""
        key = (base, fill, font, quote, align)
        if key in self._derived:
            return self._derived[key]
        xfs = self.blocks["cellXfs"].items
        xf = xfs[base] if 0 <= base < len(xfs) else xfs[0]
        if fill is not None:
            xf = set_attr(xf, "fillId", str(fill))
            xf = set_attr(xf, "applyFill", "1")
        if font is not None:
            xf = set_attr(xf, "fontId", str(font))
            xf = set_attr(xf, "applyFont", "1")
        if quote:
            xf = set_attr(xf, "quotePrefix", "1")
        if align:
            xf = _aligned(set_attr(xf, "applyAlignment", "1"), align)
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
                xml = insert_in_order(xml, block.tag, _render_block(block), self._ORDER, "styleSheet")
        return xml


WRAPPED = (("wrapText", "1"), ("vertical", "top"))  # text wrapped, from the top of the cell
CENTRED = (("horizontal", "center"),)


def _aligned(xf: str, align: tuple) -> str:
    """An <xf> with the <alignment> attributes ``align`` (alignment is its first child)."""

    def with_attrs(element):
        for name, value in align:
            element = set_attr(element, name, value)
        return element

    if re.search(r"<alignment\b", xf):
        return re.sub(r"<alignment\b[^>]*?/?>", lambda m: with_attrs(m.group(0)), xf, count=1)
    wrap = with_attrs("<alignment/>")
    if xf.rstrip().endswith("/>"):
        return xf.rstrip()[:-2].rstrip() + f">{wrap}</xf>"
    return re.sub(r"^(<xf\b[^>]*>)", lambda m: m.group(1) + wrap, xf, count=1)


def _render_block(block: _Block) -> str:
    if not block.items:
        return f'<{block.tag} count="0"/>'
    return f'<{block.tag} count="{len(block.items)}">{"".join(block.items)}</{block.tag}>'


def attrs_of(element: str) -> dict[str, str]:
    head = re.match(r"<[\w:]+\b([^>]*?)/?>", element, re.S)
    return dict(ATTRIBUTE.findall(head.group(1))) if head else {}


def set_attr(element: str, name: str, value: str) -> str:
    """``element``'s start tag with attribute ``name`` set to ``value``."""
    head = re.match(r"<[\w:]+\b[^>]*?(?=/?>)", element, re.S)
    start = head.group(0)
    pattern = re.compile(rf'(\s){re.escape(name)}\s*=\s*"[^"]*"')
    if pattern.search(start):
        new = pattern.sub(lambda m: f'{m.group(1)}{name}="{value}"', start, count=1)
    else:
        new = f'{start} {name}="{value}"'
    return new + element[head.end():]


def insert_in_order(xml: str, tag: str, text: str, order: tuple, root: str) -> str:
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

    def content_type(self, part: str) -> str | None:
        """The content type of ``part``: its override, else the default of its extension."""
        return self.content_types["overrides"].get(part) or self.content_types["defaults"].get(
            posixpath.splitext(part)[1].lstrip(".").lower())

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
            attrs = attrs_of(element)
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


# --------------------------------------------------------------------------- editing the package

# CT_Worksheet's children, in the order the schema requires.
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
    "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews", "mergeCells",
    "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors",
    "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst")

# CT_Workbook's children, in the order the schema requires.
WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets", "functionGroups",
    "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
    "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


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
    rels.append(Relationship(new_rid(rels), REL_STYLES, relative_target(package.workbook_part, part)))
    package.set_rels(package.workbook_part, rels)
    return part


def relative_target(source: str, part: str) -> str:
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
        attrs = attrs_of(match.group(0))
        scope = attrs.get("localSheetId")
        if scope is None or not scope.isdigit():
            return match.group(0)
        scope = int(scope)
        if scope in indices:
            return ""
        return set_attr(match.group(0), "localSheetId", str(scope - sum(i < scope for i in indices)))

    xml = re.sub(r"<definedName\b[^>]*?(?:/>|>.*?</definedName>)", rescope, xml, flags=re.S)
    xml = re.sub(r"<definedNames>\s*</definedNames>|<definedNames/>", "", xml)
    remaining = len(entries) - len(removed)
    for attribute in ("activeTab", "firstSheet"):
        xml = re.sub(rf'\b{attribute}="(\d+)"',
                     lambda m, a=attribute: f'{a}="{m.group(1) if int(m.group(1)) < remaining else 0}"', xml)
    package.put(package.workbook_part, xml.encode())


REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
CT_WORKBOOK_MACROS = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_VBA = "application/vnd.ms-office.vbaProject"
# Excel 4.0 macro sheets and Excel 5 dialog sheets: macro content that a .xlsx cannot hold either.
CT_MACRO_SHEETS = ("application/vnd.ms-excel.macrosheet+xml", "application/vnd.ms-excel.intlmacrosheet+xml",
                   _CT + "spreadsheetml.dialogsheet+xml")
MAIN_TYPES = {".xlsx": CT_WORKBOOK, ".xlsm": CT_WORKBOOK_MACROS}
MACROS = "macros (VBA project)"  # how pedro names what a .xlsx cannot hold


def fit_to_suffix(package: Package, name: str) -> list[str]:
    """Make the package what the file ``name`` it is written to says: a .xlsm
    workbook declares itself macro-enabled; a .xlsx workbook holds no macros
    and declares itself so (Excel refuses a .xlsx of the macro-enabled type).
    Returns what was left out, one phrase each; refuses (OutputError) a .xlsx
    of a workbook with macro sheets, which are sheets of the workbook."""
    suffix = posixpath.splitext(str(name))[1].lower()
    if suffix not in MAIN_TYPES:
        return []
    left_out = []
    if suffix == ".xlsx":
        if any(package.content_type(part) in CT_MACRO_SHEETS for part in package.parts):
            raise OutputError(f"cannot write {posixpath.basename(str(name))}: the workbook holds Excel 4.0 macro or "
                              "dialog sheets, which a .xlsx workbook cannot hold; write it to a .xlsm file instead")
        if _drop_macros(package):
            left_out.append(f"{MACROS}, which a .xlsx workbook cannot hold (write to a .xlsm file to keep them)")
    package.content_types["overrides"][package.workbook_part] = MAIN_TYPES[suffix]
    return left_out


def _drop_macros(package: Package) -> bool:
    """Remove the VBA project, the parts only it uses (its signature), and the workbook's relationship to it."""
    workbook = package.workbook_part
    rels = package.rels(workbook)
    vba = [resolve(workbook, r.target) for r in rels if r.type == REL_VBA and not r.external]
    if not vba:
        return False
    roots = [resolve(workbook, r.target) for r in rels if r.type != REL_VBA and not r.external]
    roots += [resolve("", r.target) for r in package.rels("") if not r.external and resolve("", r.target) != workbook]
    for part in _reachable(package, vba) - _reachable(package, roots) - {workbook}:
        package.remove(part)
    package.set_rels(workbook, [r for r in rels if r.type != REL_VBA])
    defaults = package.content_types["defaults"]
    if defaults.get("bin") == CT_VBA and not any(
            part.lower().endswith(".bin") and part not in package.content_types["overrides"] for part in package.parts):
        del defaults["bin"]
    return True


def drop_dangling_relationships(package: Package) -> None:
    """Remove each relationship to a part the package does not hold (openpyxl
    writes one to a vbaProject.bin it does not copy) unless its source refers
    to it by id, where removing it would break the source instead."""
    present = {part.lower() for part in package.parts}
    for rels_part in [p for p in package.parts if p.endswith(".rels")]:
        folder, name = posixpath.split(rels_part)
        source = posixpath.join(posixpath.dirname(folder), name[:-len(".rels")])
        rels = read_rels(package.parts[rels_part])
        text = package.parts.get(source, b"")
        kept = [r for r in rels if r.external or unquote(resolve(source, r.target)).lower() in present
                or f'"{r.id}"'.encode() in text]
        if len(kept) < len(rels):
            package.put(rels_part, rels_xml(kept))


def add_sheet_entry(package: Package, name: str, part: str, hidden: bool = False) -> None:
    rels = package.rels(package.workbook_part)
    rid = new_rid(rels)
    rels.append(Relationship(rid, REL_WORKSHEET, relative_target(package.workbook_part, part)))
    package.set_rels(package.workbook_part, rels)
    xml = package.text(package.workbook_part)
    root = re.search(r"<workbook\b[^>]*>", xml)
    if root is None or f'xmlns="{NS_MAIN}"' not in root.group(0):
        raise Unsupported("workbook part not in the transitional spreadsheet namespace")
    prefix = re.search(rf'xmlns:(\w+)="{re.escape(NS_DOC_REL)}"', root.group(0))
    reference = f'{prefix.group(1)}:id="{rid}"' if prefix else f'r:id="{rid}" xmlns:r="{NS_DOC_REL}"'
    ids = [int(n) for n in re.findall(r'<sheet\b[^>]*?\bsheetId="(\d+)"', xml)]
    state = ' state="hidden"' if hidden else ""
    element = f'<sheet name="{xml_attr(name)}" sheetId="{max(ids, default=0) + 1}"{state} {reference}/>'
    if "</sheets>" in xml:
        xml = xml.replace("</sheets>", element + "</sheets>", 1)
    else:
        xml = re.sub(r"<sheets\s*/>", f"<sheets>{element}</sheets>", xml, count=1)
    package.put(package.workbook_part, xml.encode())
