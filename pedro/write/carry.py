"""What the audited workbook carries over from its input, and naming what it could not.

The package writer (``pedro.write.package``) copies every part of the input it
does not edit, so the little it leaves out it knows and names itself (a .xlsx
cannot hold macros).  openpyxl, the fallback for the packages that writer
declines, rebuilds the workbook from its own model and drops whatever that
model lacks: sparklines, the data bars and icon sets of Excel 2010, text boxes
and shapes, form controls, the size, colour and visibility of comment boxes,
printer settings...  A list of what openpyxl drops would go stale with each of
its releases, so after openpyxl has written the workbook pedro compares the two
packages feature by feature (``features``, ``not_carried_over``) and names
every loss it finds, on stderr and in the Provenance sheet.  What can be put
back without openpyxl's model is put back first (``restore``): the document
properties, cells holding empty text, the workbook's content type, and no
relationship to a part that is not there.
"""

from __future__ import annotations

import re
from collections import Counter
from xml.etree import ElementTree

from .comments import plain_text, read_comments, vml_shapes
from .package import (
    MACROS,
    NS_MAIN,
    Package,
    Relationship,
    Unsupported,
    drop_dangling_relationships,
    fit_to_suffix,
    new_rid,
    resolve,
)
from .style import assessor_part

NS_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
NS_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
REL_APP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
REL_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
SHEET = "the sheet itself"

# Parts by content type (the first fragment found names the kind).  The parts every workbook has, or
# that pedro writes itself, are not compared as parts: sheets, styles, strings, theme, the calculation
# chain (a cache), document properties (compared property by property), comments, drawings and charts
# (compared on each sheet).
_PART_KINDS = (
    ("vbaProjectSignature", "macro signatures"), ("vbaProject", MACROS), ("printerSettings", "printer settings"),
    ("threadedcomments", "threaded comments"), ("person+xml", "threaded comments' authors"),
    ("pivotTable+xml", "pivot tables"), ("pivotCacheDefinition", "pivot caches"),
    ("pivotCacheRecords", "pivot cache records"), ("externalLink", "links to other workbooks"),
    ("spreadsheetml.table+xml", "tables"), ("queryTable", "query tables"), ("connections", "data connections"),
    ("slicerCache", "slicer caches"), ("slicer+xml", "slicers"), ("timelineCache", "timeline caches"),
    ("timeline+xml", "timelines"), ("controlproperties", "form control properties"),
    ("activeX", "ActiveX controls"), ("image/", "pictures"), ("oleObject", "embedded objects"),
    ("chartsheet", "chart sheets"), ("dialogsheet", "dialog sheets"), ("macrosheet", "macro sheets"),
    ("customXmlProperties", "custom XML data"), ("chartstyle", "chart styles"),
    ("chartcolorstyle", "chart colour styles"), ("chartex", "charts of Excel 2016"),
    ("sheetMetadata", "cell metadata"), ("rdrichvalue", "rich values"), ("webextension", "add-ins"),
)
_SAME_PARTS = ("spreadsheetml.worksheet", "spreadsheetml.styles", "spreadsheetml.sharedStrings", "theme+xml",
               "calcChain", "core-properties", "extended-properties", "custom-properties", "spreadsheetml.comments",
               "vmlDrawing", "officedocument.drawing+xml", "drawingml.chart+xml", "relationships", ".main+xml")
_PART_FOLDERS = (("customXml/", "custom XML data"), ("customUI/", "ribbon customisation"))

# Elements of a worksheet (outside its cells), by namespace and local name.
_SHEET_ELEMENTS = {
    (NS_MAIN, "cfRule"): "conditional formats", (NS_MAIN, "dataValidation"): "data validations",
    (NS_MAIN, "hyperlink"): "hyperlinks", (NS_MAIN, "mergeCell"): "merged cells",
    (NS_MAIN, "control"): "form controls", (NS_MAIN, "oleObject"): "embedded objects",
    (NS_MAIN, "brk"): "page breaks", (NS_MAIN, "protectedRange"): "protected ranges",
    (NS_MAIN, "scenario"): "scenarios", (NS_MAIN, "customSheetView"): "custom views",
    (NS_MAIN, "ignoredError"): "ignored error marks", (NS_MAIN, "cellWatch"): "watched cells",
    (NS_MAIN, "autoFilter"): "filter", (NS_MAIN, "sheetProtection"): "sheet protection",
    (NS_MAIN, "picture"): "background picture", (NS_MAIN, "legacyDrawingHF"): "pictures in the header or footer",
    (NS_MAIN, "sortState"): "sort settings", (NS_MAIN, "tablePart"): "tables",
    (NS_X14, "sparklineGroup"): "sparkline groups",
    (NS_X14, "cfRule"): "conditional formats of Excel 2010 (data bars, icon sets)",
    (NS_X14, "dataValidation"): "data validations of Excel 2010", (NS_X14, "slicer"): "slicers",
}
# Worksheet extensions whose content is counted above.
_COUNTED_EXTENSIONS = {"{78C0D931-6437-407d-A8EE-F0AAD7539E65}", "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}",
                       "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}", "{A8765BA9-456A-4dab-B4F3-ACF838C121DE}"}
_DRAWN = {"sp": "text boxes and shapes", "grpSp": "groups of shapes", "cxnSp": "connectors", "pic": "pictures",
          "contentPart": "ink", "AlternateContent": "drawing objects of Excel 2010 or later (slicers, controls)"}
_DOCUMENT_PROPERTIES = {REL_CORE: None, REL_APP: ("Company", "Manager", "HyperlinkBase", "Template"),
                        REL_CUSTOM: None}
_UNCHECKED_CORE = ("modified", "lastModifiedBy")  # every save sets them


def features(package: Package) -> Counter:
    """{(sheet or '', what, identity): count} of what a reader can see or use
    in the workbook: its parts by kind, its document properties, and per sheet
    its conditional formats, sparklines, validations, drawn objects, form
    controls, comments (text, author and box) and cells of empty text..."""
    found = Counter()
    for part in package.parts:
        kind = _part_kind(package, part)
        if kind:
            found[("", kind, "")] += 1
    found.update(_document_properties(package))
    empty = _empty_strings(package)
    for entry in package.sheets():
        found[(entry.name, SHEET, "")] += 1
        for (what, identity), count in _sheet_features(package, entry.part, empty).items():
            found[(entry.name, what, identity)] += count
    return found


def not_carried_over(before: Counter, after: Counter, skip=()) -> list[str]:
    """What ``before`` (the input's ``features``) has that ``after`` (the
    output's) lacks, one phrase each, in the input's order; the sheets named in
    ``skip`` (pedro's own, replaced) are not compared."""
    totals, missing = Counter(), Counter()
    for (scope, what, identity), count in before.items():
        if scope in skip:
            continue
        totals[(scope, what)] += count
        missing[(scope, what)] += max(0, count - after.get((scope, what, identity), 0))
    phrases = []
    for (scope, what), total in totals.items():
        if not missing[(scope, what)]:
            continue
        if what == SHEET:
            phrases.append(f"sheet '{scope}'")
            continue
        phrase = f"{what} on sheet '{scope}'" if scope else what
        phrases.append(phrase + (f" ({missing[(scope, what)]} of {total})" if total > 1 else ""))
    return phrases


def _part_kind(package: Package, part: str) -> str | None:
    kind = package.content_type(part) or ""
    for folder, name in _PART_FOLDERS:
        if part.startswith(folder) and not part.endswith(".rels"):
            return name
    if not kind or kind in ("application/xml", "text/xml") or any(f in kind for f in _SAME_PARTS):
        return None
    return next((name for fragment, name in _PART_KINDS if fragment.lower() in kind.lower()), f"parts of type {kind}")


def _parse(data: bytes | None):
    try:
        return ElementTree.fromstring(data) if data else None
    except ElementTree.ParseError:
        return None


def _local(tag: str) -> tuple[str, str]:
    namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, name


def _document_properties(package: Package) -> Counter:
    """Each document property with its value: the title, author, company, custom properties..."""
    found = Counter()
    for r in package.rels(""):
        if r.external or r.type not in _DOCUMENT_PROPERTIES:
            continue
        root = _parse(package.parts.get(resolve("", r.target)))
        if root is None:
            continue
        wanted = _DOCUMENT_PROPERTIES[r.type]
        for element in root:
            name = _local(element.tag)[1]
            if r.type == REL_CUSTOM:
                name = element.get("name", "")
                value = " ".join(f"{_local(v.tag)[1]}:{''.join(v.itertext())}" for v in element)  # type and value
            elif (wanted is not None and name not in wanted) or name in _UNCHECKED_CORE:
                continue
            else:
                value = "".join(element.itertext())
            if value:
                found[("", f"document property '{name}'", value)] += 1
    return found


def _empty_strings(package: Package) -> set[int]:
    """The indices of the shared strings that are empty text."""
    rels = package.rels(package.workbook_part)
    strings = next((resolve(package.workbook_part, r.target) for r in rels if r.type.endswith("/sharedStrings")), None)
    data = package.parts.get(strings, b"") if strings else b""
    return {n for n, item in enumerate(re.findall(rb"<si\b[^>]*?(?:/>|>.*?</si>)", data, re.S))
            if not re.search(rb"<t\b[^>]*>[^<]", item)}


def _sheet_features(package: Package, part: str, empty_strings: set[int]) -> Counter:
    xml = package.parts.get(part, b"")
    cells = re.search(rb"<(?:\w+:)?sheetData\b[^>]*?(?:/>|>.*?</(?:\w+:)?sheetData>)", xml, re.S)
    found = Counter()
    if cells:
        data = cells.group(0)
        found[("cells holding empty text", "")] += len(re.findall(
            rb'<c\b[^>]*\bt="inlineStr"[^>]*>\s*(?:<is\s*/>|<is>\s*(?:<t\s*/>|<t(?:\s[^>]*)?>\s*</t>)\s*</is>)', data))
        if empty_strings:
            found[("cells holding empty text", "")] += sum(
                int(index) in empty_strings for index in re.findall(rb'<c\b[^>]*\bt="s"[^>]*>\s*<v>(\d+)</v>', data))
        xml = xml[:cells.start()] + xml[cells.end():]
    root = _parse(xml)
    if root is None:
        raise Unsupported(f"the part {part} cannot be read")
    for element in root.iter():
        what = _SHEET_ELEMENTS.get(_local(element.tag))
        if what:
            found[(what, "")] += 1
    for extension in root.iterfind(f"{{{NS_MAIN}}}extLst/{{{NS_MAIN}}}ext"):
        uri = extension.get("uri", "")
        if uri not in _COUNTED_EXTENSIONS:
            found[(f"worksheet extension {uri}", "")] += 1
    found.update(_drawn(_linked(package, part, root, "drawing")))
    found.update(_comments(package, part, _linked(package, part, root, "legacyDrawing")))
    return found


def _linked(package: Package, part: str, root, tag: str) -> bytes | None:
    """The part a worksheet's <drawing> or <legacyDrawing> element points at."""
    element = next((child for child in root if _local(child.tag)[1] == tag), None)
    if element is None:
        return None
    rid = next((value for name, value in element.attrib.items() if _local(name)[1] == "id"), None)
    target = next((r for r in package.rels(part) if r.id == rid and not r.external), None)
    return package.parts.get(resolve(part, target.target)) if target is not None else None


def _drawn(data: bytes | None) -> Counter:
    """The objects of a drawing: charts, pictures, text boxes, shapes..."""
    found = Counter()
    root = _parse(data)
    for anchor in (root if root is not None else []):
        for child in anchor:
            name = _local(child.tag)[1]
            if name == "graphicFrame":
                chart = any(e.get("uri") == NS_CHART for e in child.iter() if _local(e.tag)[1] == "graphicData")
                found[("charts" if chart else "diagrams and other graphics", "")] += 1
            elif name in _DRAWN:
                found[(_DRAWN[name], "")] += 1
    return found


def _comments(package: Package, part: str, vml: bytes | None) -> Counter:
    """The comments of a sheet other than pedro's findings (text and author),
    the look of their boxes (size, colour, visibility, formatted text), and the
    form controls of its legacy drawing."""
    found = Counter()
    shapes = {}
    for match, cell in vml_shapes(vml) if vml else []:
        shape = match.group(0)
        if cell is None:
            kind = re.search(rb'ObjectType\s*=\s*"(\w+)"', shape)
            found[(f"form controls ({kind.group(1).decode()})" if kind else "shapes of a legacy drawing", "")] += 1
        else:
            shapes.setdefault(cell, _note_look(shape))
    comments_part = next((resolve(part, r.target) for r in package.rels(part) if r.type.endswith("/comments")), None)
    for comment in read_comments(package.parts.get(comments_part)) if comments_part else []:
        text = plain_text(comment.text_xml)
        own = assessor_part(text, comment.author)
        if own == "":
            continue
        own = text if own is None else own
        found[("comments", f"{comment.ref}\n{comment.author}\n{own}")] += 1
        look = f"{comment.ref} {shapes.get(comment.ref, 'no box')} {'<r>' in comment.text_xml}"
        found[("the look of comment boxes (size, colour, visibility, fonts)", look)] += 1
    return found


def _note_look(shape: bytes) -> str:
    style = dict(re.findall(rb"([\w-]+)\s*:\s*([^;\"]+)", re.search(rb'style="([^"]*)"', shape).group(1)))
    fill = re.search(rb'fillcolor="([^"]*)"', shape)
    look = [style.get(k, b"") for k in (b"width", b"height", b"visibility")]
    look += [fill.group(1).lower() if fill else b"", b"visible" if b"<x:Visible" in shape else b""]
    return b" ".join(look).decode("utf-8", "replace")


def restore(output: Package, original: Package | None, name: str, skip=()) -> list[str]:
    """Put back into ``output`` (written by openpyxl) what needs no model of
    it: the input's document properties as they were, the input's cells of
    empty text (openpyxl writes them blank; pedro's own sheets, and those in
    ``skip``, are left alone), the content type the file ``name`` needs, and no
    relationship to a part that is not there.  Returns what was left out for
    the file's type (a .xlsx holds no macros)."""
    if original is not None:
        _restore_properties(output, original)
        theirs = {entry.name for entry in original.sheets()} - set(skip)
        for entry in output.sheets():
            if entry.name not in theirs:
                continue
            xml = output.parts[entry.part]
            fixed = re.sub(rb'<c\b([^>]*?)\bt="inlineStr"([^>]*?)\s*/>', rb'<c\1t="inlineStr"\2><is><t></t></is></c>',
                           xml)
            if fixed != xml:
                output.put(entry.part, fixed)
    left_out = fit_to_suffix(output, name)
    drop_dangling_relationships(output)
    return left_out


def _restore_properties(output: Package, original: Package) -> None:
    """The input's document properties, byte for byte, in place of openpyxl's (as the package writer keeps them)."""
    root_rels = output.rels("")
    for r in original.rels(""):
        source = resolve("", r.target)
        if r.external or r.type not in _DOCUMENT_PROPERTIES or source not in original.parts:
            continue
        mine = next((x for x in root_rels if x.type == r.type and not x.external), None)
        if mine is None:
            mine = Relationship(new_rid(root_rels), r.type, source)
            root_rels.append(mine)
        output.put(resolve("", mine.target), original.parts[source], original.content_type(source))
    output.set_rels("", root_rels)


class NotCarriedOver(UserWarning):
    """Part of the input could not be carried into the audited workbook (the message names it)."""
