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
- the item sheet keeps one comment per cell: pedro's findings go under a
  separator line in the assessor's comment (its text, author and VML box kept
  byte for byte) or in a comment of pedro's own; a re-run replaces only
  pedro's part, and every other shape of the legacy drawing (form controls)
  stays;
- where a value replaces the cell that defines a shared formula (a column
  filled down), the cells that shared it get their own formula;
- the workbook's content type follows the file's name: a .xlsx loses its
  macros (``fit_to_suffix`` says so), a .xlsm declares itself macro-enabled;
- pedro's sheets are written as XML with inline strings, streamed into the zip.

Whatever this module does not understand raises ``Unsupported`` before
anything is written, and the caller falls back to openpyxl (and names what
openpyxl drops, ``pedro.write.carry``): prefixed spreadsheet namespaces, rows
or cells without references, an answer inside an array formula over other
cells.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.etree import ElementTree

from ..errors import OutputError
from ..sheets.cells import column_index, column_letter, split_address
from .files import FORMULA_STARTS, needs_quote_prefix
from .style import (
    ANSWER_COLOURS,
    FINDINGS_SEPARATOR,
    HEADER_COLOUR,
    MARK_WIDTH,
    MISSING_COLOUR,
    PRINT_MARGINS,
    SEVERITY_COLOURS,
    BarChart,
    Table,
    assessor_part,
    chosen_print_setup,
    footer_text,
    with_findings,
)

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
    formula: str | None = None  # an <f> element to put in place of the cell's (the value stays)


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


def _formula_body(element: str) -> str:
    """The text of an <f> element as written (XML-escaped); '' for <f .../>."""
    return re.sub(r"^<f\b[^>]*?(?:/>|>)|</f>$", "", element)


def shared_masters(formulas: dict[str, str]) -> dict[str, tuple[str, str]]:
    """{shared index: (cell, formula text)} of the cells that define a shared
    formula, among ``formulas`` ({cell: <f> element})."""
    masters = {}
    for ref, element in formulas.items():
        attrs = _attrs(element)
        if attrs.get("t") == "shared" and "ref" in attrs and "si" in attrs:
            masters[attrs["si"]] = (ref, _unescape(_formula_body(element)))
    return masters


def shared_formula(master: str, text: str, ref: str) -> str:
    """The formula ``text`` of cell ``master`` as it reads in cell ``ref`` that
    shares it: relative references moved by the distance between the cells."""
    from openpyxl.formula.translate import Translator, TranslatorError

    try:
        return Translator("=" + text, origin=master).translate_formula(ref)[1:]
    except TranslatorError as exc:
        raise Unsupported(f"cell {ref} shares the formula of {master}, which cannot be moved ({exc})") from None


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
            # The cells sharing a shared formula get their own (``ItemSheet._unshared``); an array formula or
            # data table over other cells too cannot lose one of them.
            spread = _attrs(formula.group(0))
            if spread.get("t") in ("array", "dataTable") and spread.get("ref", ref) != ref:
                raise Unsupported(f"cell {ref} is part of an array formula or data table over {spread['ref']}")
            replaced[ref] = formula.group(0)
        return cell_xml(ref, edit.value, style) or f'<c r="{ref}"/>'
    if edit.formula is not None and formula is not None:
        body = body[:formula.start()] + edit.formula + body[formula.end():]
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
    attributes: str = ""  # the <comment> element's other attributes, as written (Excel's xr:uid ties it to a thread)


_COMMENTS_ROOT = re.compile(r"<comments\b[^>]*>")


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
        attrs = dict(_ATTR.findall(element.group(1)))
        author_id = int(attrs.get("authorId", "0") or 0)
        inner = re.search(r"<text\b.*</text>|<text/>", element.group(2) or "", re.S)
        others = "".join(f' {k}="{v}"' for k, v in _ATTR.findall(element.group(1)) if k not in ("ref", "authorId"))
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
    return _unescape(text)


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


# How pedro's sheets print (``pedro.write.style.PRINT_FOOTER``), as the worksheet's XML says it.
FIT_TO_PAGE_XML = '<pageSetUpPr fitToPage="1"/>'  # in <sheetPr>: the page setup's fitToWidth/fitToHeight apply
PAGE_SETUP = {"orientation": "landscape", "fitToWidth": "1", "fitToHeight": "0"}  # 0: as many pages down as it takes
MARGINS_XML = "<pageMargins " + " ".join(f'{side}="{inches}"' for side, inches in PRINT_MARGINS.items()) + "/>"
PAGE_SETUP_XML = "<pageSetup " + " ".join(f'{name}="{value}"' for name, value in PAGE_SETUP.items()) + "/>"
ODD_FOOTER_XML = f"<oddFooter>{xml_text(footer_text())}</oddFooter>"
FOOTER_XML = f"<headerFooter>{ODD_FOOTER_XML}</headerFooter>"
PRINT_SETUP_XML = MARGINS_XML + PAGE_SETUP_XML + FOOTER_XML
PRINT_TITLES = "_xlnm.Print_Titles"  # the defined name of the rows repeated atop each page, one per sheet

# CT_Workbook's children, in the order the schema requires.
WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets", "functionGroups",
    "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
    "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


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
    yield PRINT_SETUP_XML
    if drawing_rid:
        yield f'<drawing r:id="{drawing_rid}"/>'
    yield "</worksheet>"


def _worksheet_head(table: Table, last_letter: str) -> str:
    """What comes before the cells: printing one page wide, the sheet's extent, its frozen pane and column
    widths."""
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS_MAIN}" '
            f'xmlns:r="{NS_DOC_REL}"><sheetPr>{FIT_TO_PAGE_XML}</sheetPr>'
            f'<dimension ref="A1:{last_letter}{max(len(table.rows), 1)}"/>'
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
    """The drawing that anchors the chart to the cells it covers (``BarChart.area``):
    from the first cell's top left corner to the top left corner of the cell past the last."""
    first_column, first_row, last_column, last_row = chart.area()

    def marker(tag, column, row):  # 0-based, as drawings count
        return (f'<xdr:{tag}><xdr:col>{column}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row>'
                f'<xdr:rowOff>0</xdr:rowOff></xdr:{tag}>')

    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr '
        'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f'<xdr:twoCellAnchor>{marker("from", first_column - 1, first_row - 1)}{marker("to", last_column, last_row)}'
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="1" name="Chart 1"/><xdr:cNvGraphicFramePr/>'
        '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:r="{NS_DOC_REL}" '
        'r:id="rId1"/></a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>'
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


def _add_sheet_entry(package: Package, name: str, part: str, hidden: bool = False) -> None:
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
    state = ' state="hidden"' if hidden else ""
    element = f'<sheet name="{xml_attr(name)}" sheetId="{max(ids, default=0) + 1}"{state} {reference}/>'
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
    _add_sheet_entry(package, name, part, table.hidden)
    set_print_titles(package, len(package.sheets()) - 1, name, table.print_titles())
    if len(table.rows) * max((len(r) for r in table.rows), default=0) > 10_000_000:  # about 100 bytes a cell
        package.large_parts.add(part)
    return {part: worksheet_chunks(table, styles, drawing_rid)}


def set_print_titles(package: Package, index: int, name: str, rows: tuple[int, int] | None) -> None:
    """Repeat ``rows`` (first, last) atop each printed page of sheet ``name``,
    the ``index``-th of the workbook: its print titles, a defined name scoped
    to it, replace any it had."""
    xml = package.text(package.workbook_part)

    def others(match):
        attrs = _attrs(match.group(0))
        ours = attrs.get("name") == PRINT_TITLES and attrs.get("localSheetId") == str(index)
        return "" if ours else match.group(0)

    xml = re.sub(r"<definedName\b[^>]*?(?:/>|>.*?</definedName>)", others, xml, flags=re.S)
    if rows:
        quoted = "'" + name.replace("'", "''") + "'"
        element = (f'<definedName name="{PRINT_TITLES}" localSheetId="{index}">'
                   f"{xml_text(f'{quoted}!${rows[0]}:${rows[1]}')}</definedName>")
        xml = re.sub(r"<definedNames\s*/>", "<definedNames></definedNames>", xml, count=1)
        if "</definedNames>" in xml:
            xml = xml.replace("</definedNames>", element + "</definedNames>", 1)
        else:
            xml = _insert_in_order(xml, "definedNames", f"<definedNames>{element}</definedNames>", WORKBOOK_ORDER,
                                   "workbook")
    package.put(package.workbook_part, xml.encode())


def print_item_sheet(package: Package, part: str, header_row: int) -> None:
    """Give the item sheet (the worksheet ``part``) pedro's print setup with
    its header row repeated atop each page, unless the assessor chose how it
    prints (``pedro.write.style.chosen_print_setup``).  The sheet's XML is
    edited after its cells, in the schema's order; its other settings (paper,
    margins, printer, headers) stay, and so does a footer it has (the
    assessor's, or LibreOffice's "Page 1")."""
    index, entry = next((i, e) for i, e in enumerate(package.sheets()) if e.part == part)
    xml = package.text(part)
    start, end = sheet_data_span(xml)
    head, tail = xml[:start], xml[end:]  # the settings sit before and after the cells
    setup = re.search(r"<pageSetup\b[^>]*?(?:/>|>\s*</pageSetup>)", tail)
    fit = re.search(r"<pageSetUpPr\b[^>]*?/?>", head)
    footer = re.search(r"<oddFooter\b[^>]*?(?:/>|>(.*?)</oddFooter>)", tail, re.S)
    footer = _unescape(footer.group(1) or "") if footer else ""
    titles = re.search(rf'<definedName\b(?=[^>]*\bname="{re.escape(PRINT_TITLES)}")(?=[^>]*\blocalSheetId="{index}")',
                       package.text(package.workbook_part))
    attrs = _attrs(setup.group(0)) if setup else {}
    if chosen_print_setup(attrs.get("orientation"), attrs.get("scale"),
                          bool(fit) and _attrs(fit.group(0)).get("fitToPage") in ("1", "true"), bool(titles), footer):
        return
    if footer in ("", footer_text()):  # headerFooter follows pageSetup: its edit leaves the setup's offsets
        tail = _with_footer(tail)
    if setup:
        element = setup.group(0)
        for name, value in PAGE_SETUP.items():
            element = _set_attr(element, name, value)
        tail = tail[:setup.start()] + element + tail[setup.end():]
    else:
        tail = _insert_in_order(tail, "pageSetup", PAGE_SETUP_XML, WORKSHEET_ORDER, "worksheet")
    if fit:
        head = head[:fit.start()] + _set_attr(fit.group(0), "fitToPage", "1") + head[fit.end():]
    elif re.search(r"<sheetPr\b[^>]*/>", head):
        head = re.sub(r"<sheetPr\b([^>]*?)\s*/>", lambda m: f"<sheetPr{m.group(1)}>{FIT_TO_PAGE_XML}</sheetPr>", head,
                      count=1)
    elif "</sheetPr>" in head:  # pageSetUpPr is the last child of sheetPr
        head = head.replace("</sheetPr>", FIT_TO_PAGE_XML + "</sheetPr>", 1)
    else:
        head = _insert_in_order(head, "sheetPr", f"<sheetPr>{FIT_TO_PAGE_XML}</sheetPr>", WORKSHEET_ORDER, "worksheet")
    package.put(part, (head + xml[start:end] + tail).encode())
    set_print_titles(package, index, entry.name, (header_row, header_row))


def _with_footer(tail: str) -> str:
    """A worksheet's settings (what follows its cells) with pedro's footer in
    place of an empty one, its headers kept (CT_HeaderFooter: oddHeader, then oddFooter)."""
    header_footer = re.search(r"<headerFooter\b([^>]*?)(/?)>", tail)
    if header_footer is None:
        return _insert_in_order(tail, "headerFooter", FOOTER_XML, WORKSHEET_ORDER, "worksheet")
    if header_footer.group(2):
        return (tail[:header_footer.start()] + f"<headerFooter{header_footer.group(1)}>{ODD_FOOTER_XML}</headerFooter>"
                + tail[header_footer.end():])
    empty = re.search(r"<oddFooter\b[^>]*?(?:/>|>\s*</oddFooter>)", tail)
    if empty:
        return tail[:empty.start()] + ODD_FOOTER_XML + tail[empty.end():]
    own = re.search(r"<oddFooter\b[^>]*>.*?</oddFooter>", tail, re.S)  # pedro's, from an earlier run
    if own:
        return tail[:own.start()] + ODD_FOOTER_XML + tail[own.end():]
    header = re.search(r"<oddHeader\b[^>]*?(?:/>|>.*?</oddHeader>)", tail, re.S)
    at = header.end() if header else header_footer.end()
    return tail[:at] + ODD_FOOTER_XML + tail[at:]


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
        comment_rels = [r for r in self.rels if r.type == REL_COMMENTS and not r.external]
        self.comments_part = resolve(part, comment_rels[0].target) if comment_rels else None
        self._formulas = None

    def formula_elements(self) -> dict[str, str]:
        """{cell: its <f> element} of every formula cell of the sheet as read."""
        if self._formulas is None:
            self._formulas = formula_cells(self.xml, self.span)
        return self._formulas

    def formulas_among(self, cells) -> dict[str, str]:
        """{cell: its formula as text ('=...')} of the given cells (an iterable
        of references) that hold a formula; a cell sharing another's formula
        gets the formula as it reads in that cell."""
        formulas = self.formula_elements()
        if not formulas:  # most sheets: no set of every answer cell to build
            return {}
        cells = set(cells)
        masters = None
        found = {}
        for ref, element in formulas.items():
            if ref not in cells:
                continue
            text = _unescape(_formula_body(element))
            attrs = _attrs(element)
            if not text and attrs.get("t") == "shared":
                masters = masters if masters is not None else shared_masters(formulas)
                master = masters.get(attrs.get("si"))
                text = shared_formula(*master, ref) if master else ""
            found[ref] = "=" + text if text else "= (a formula shared with another cell)"
        return found

    def mark(self, values: dict, fills: dict, comments: dict, author: str, clear_colours: set) -> None:
        """Write ``values``, apply ``fills`` ({cell: fill id}) and add pedro's
        findings ``comments`` ({cell: (text, height)}) to the cells' comments,
        as ``author`` where pedro writes a comment alone; first take pedro's
        earlier findings out of every comment, and the fills of
        ``clear_colours`` off their cells."""
        existing = read_comments(self.package.parts.get(self.comments_part)) if self.comments_part else []
        kept, had_findings = assessors_comments(existing)
        edits = {ref: CellEdit(clear_colours=frozenset(clear_colours)) for ref in had_findings}
        for ref, value in values.items():
            edit = edits.setdefault(ref, CellEdit())
            edit.value, edit.set_value = value, True
        for ref, fill in fills.items():
            edits.setdefault(ref, CellEdit()).fill = fill
        for ref, formula in self._unshared(set(values)).items():
            edits.setdefault(ref, CellEdit()).formula = formula
        self.xml, replaced = patch_cells(self.xml, edits, self.styles, self.span)
        if replaced:
            self._drop_calc_chain()
        if comments or existing:
            self._write_comments(kept, comments, author)
        self.package.put(self.part, self.xml.encode())

    def _unshared(self, overwritten: set[str]) -> dict[str, str]:
        """{cell: its own <f> element} for each cell that shares the formula of
        a cell in ``overwritten``, which defines it (Excel writes a column filled
        down so: the first cell holds the formula, the others point to it)."""
        formulas = self.formula_elements()
        if not formulas:
            return {}
        masters = {si: (master, text) for si, (master, text) in shared_masters(formulas).items()
                   if master in overwritten}
        own = {}
        for ref, element in formulas.items():
            attrs = _attrs(element)
            master = masters.get(attrs.get("si")) if attrs.get("t") == "shared" else None
            if master is None or ref == master[0] or ref in overwritten:
                continue
            others = "".join(f' {k}="{v}"' for k, v in attrs.items() if k not in ("t", "si", "ref"))
            own[ref] = f"<f{others}>{xml_text(shared_formula(*master, ref))}</f>"
        return own

    def _write_comments(self, kept: dict[str, Comment], findings: dict, author: str) -> None:
        """The comments part and the legacy drawing: the assessors' comments,
        pedro's ``findings`` ({cell: (text, height)}) under theirs or alone."""
        comments, fresh = dict(kept), set()
        for ref, (text, height) in findings.items():
            if ref in kept:
                old = kept[ref]
                comments[ref] = Comment(ref, append_text(old.text_xml, f"\n{FINDINGS_SEPARATOR}\n{text}"), old.author,
                                        attributes=old.attributes)
            else:
                comments[ref] = Comment(ref, text_element(with_findings(None, text)), author, height=height)
                fresh.add(ref)
        ordered = sorted(comments.values(), key=lambda c: split_ref(c.ref))
        package = self.package
        old_xml = package.parts.get(self.comments_part) if self.comments_part else None
        root = _COMMENTS_ROOT.search(old_xml.decode("utf-8")) if old_xml else None
        if ordered:
            if self.comments_part is None:
                self.comments_part = package.free_name("xl/comments{}.xml")
                self.rels.append(Relationship(new_rid(self.rels), REL_COMMENTS,
                                              _relative(self.part, self.comments_part)))
            package.put(self.comments_part, comments_xml(ordered, root.group(0) if root else None), CT_COMMENTS)
        elif self.comments_part is not None:
            self._unlink(self.comments_part, REL_COMMENTS)
            self.comments_part = None
        old_vml = package.parts.get(self.vml_part) if self.vml_part else None
        self._put_drawing(vml_with_notes(old_vml, ordered, fresh, vml_blocks_in_use(package, skip=self.vml_part)))
        package.set_rels(self.part, self.rels)

    def _put_drawing(self, vml: bytes | None) -> None:
        """Write the legacy drawing, linking it from the sheet, or remove it when no shape is left."""
        package = self.package
        if vml is None:
            if self.vml_part is not None:
                self._unlink(self.vml_part, REL_VML)
                self.xml = re.sub(r"<legacyDrawing\b[^>]*?/>", "", self.xml, count=1)
                self.vml_part = None
            return
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
        package.put(self.vml_part, vml, None if known else CT_VML)

    def _unlink(self, part: str, kind: str) -> None:
        """Remove ``part`` (the sheet's own comments or drawing) and the sheet's relationship of type ``kind`` to it."""
        self.rels = [r for r in self.rels if not (r.type == kind and resolve(self.part, r.target) == part)]
        self.package.remove(part)

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
