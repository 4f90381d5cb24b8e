"""pedro's own sheets as worksheet XML, and how a sheet prints.

A ``pedro.write.style.Table`` becomes a worksheet streamed into the package in
chunks of rows (``add_table_sheet``, ``worksheet_chunks``): inline strings, the
traffic light of the answers as conditional formats, and a bar chart where the
table has one (``chart_parts``), drawn as ``pedro.write.style.render`` draws
them with openpyxl.  The print setup (landscape, one page wide, pedro's footer,
the header rows repeated atop each page) is spelt here as XML, for pedro's
sheets and for the item sheet (``print_item_sheet``).
"""

from __future__ import annotations

import re

from ..sheets.cells import column_letter
from .files import FORMULA_STARTS, needs_quote_prefix
from .package import (
    CENTRED,
    CT_CHART,
    CT_DRAWING,
    CT_WORKSHEET,
    NS_DOC_REL,
    NS_MAIN,
    REL_CHART,
    REL_DRAWING,
    WORKBOOK_ORDER,
    WORKSHEET_ORDER,
    WRAPPED,
    Package,
    Relationship,
    Styles,
    Unsupported,
    add_sheet_entry,
    attrs_of,
    cell_xml,
    escape,
    insert_in_order,
    relative_target,
    set_attr,
    sheet_data_span,
    split_ref,
    unescape,
    xml_text,
)
from .style import (
    DEFAULT_WIDTH,
    HEADER_COLOUR,
    PRINT_MARGINS,
    SEVERITY_COLOURS,
    BarChart,
    Table,
    answer_rules,
    chosen_print_setup,
    footer_text,
    pages_wide,
)

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


def print_setup_xml(pages: int = 1) -> str:
    """Margins, page setup (``pages`` wide) and footer of one of pedro's sheets."""
    return MARGINS_XML + PAGE_SETUP_XML.replace('fitToWidth="1"', f'fitToWidth="{pages}"') + FOOTER_XML
PRINT_TITLES = "_xlnm.Print_Titles"  # the defined name of the rows repeated atop each page, one per sheet


_SPACES = " \t\n\r"


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
    yield print_setup_xml(table.pages_wide())
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
    wrap = {table.header_row} if table.header_height() else set()
    return {number: styles.derive(0, font=font, fill=fills.get(number), align=WRAPPED if number in wrap else ())
            for number, font in fonts.items()}


def _row_chunks(table: Table, styles: Styles, letters: list[str]):
    """The <row> elements, joined 2,000 rows at a time.  The hot loop of a
    60,000-trial sheet: most cells are text, written here rather than through
    ``cell_xml``, with the row's format worked out once per row."""
    row_style = _row_styles(table, styles)
    severity, severity_column = {}, table.severity_column
    if severity_column is not None:
        severity = {name: styles.derive(0, fill=styles.fill(colour)) for name, colour in SEVERITY_COLOURS.items()}
    quoted: dict[int, int] = {}
    centred, centre = set(table.centred), {}

    def centred_style(style: int) -> int:
        if style not in centre:
            centre[style] = styles.derive(style, align=CENTRED)
        return centre[style]

    header_row = table.header_row or 0
    heights = {header_row: f' ht="{table.header_height()}" customHeight="1"'} if table.header_height() else {}
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
                if column in centred and number > header_row:
                    style = centred_style(style)
                if "&" in value or "<" in value or ">" in value:
                    value = escape(value)
                space = ' xml:space="preserve"' if value and (value[0] in _SPACES or value[-1] in _SPACES) else ""
                attr = base_attr if style == base else f' s="{style}"'
                cells.append(f'<c r="{letters[column]}{r}"{attr} t="inlineStr"><is><t{space}>{value}</t></is></c>')
            elif base or (value is not None and type(value) is not str):  # "" is a blank cell, as in openpyxl
                style = centred_style(base) if column in centred and value is not None and number > header_row else base
                cells.append(cell_xml(letters[column] + r, None if type(value) is str else value, style))
        if cells:
            chunk.append(f'<row r="{r}"{heights.get(number, "")}>{"".join(cells)}</row>')
        if len(chunk) >= 2000:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)


def _answer_formats(answer_blocks: list, styles: Styles, letters: list[str]):
    """The colours of each answer block: conditional formats, as ``pedro.write.style`` draws them
    (``answer_rules``)."""
    priority = 1
    for first_column, count, first_row, last_row, *worth in answer_blocks:
        if last_row < first_row:
            continue
        first, final = letters[first_column - 1], letters[first_column + count - 2]
        rules = []
        for kind, formula, colour in answer_rules(f"{first}{first_row}", *worth):
            operator = ' operator="equal"' if kind == "cellIs" else ""
            rules.append(f'<cfRule type="{kind}" dxfId="{styles.dxf(colour)}" priority="{priority}"{operator}>'
                         f"<formula>{xml_text(formula)}</formula></cfRule>")
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
    add_sheet_entry(package, name, part)


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
        package.set_rels(drawing, [Relationship("rId1", REL_CHART, relative_target(drawing, chart))])
        drawing_rid = "rId1"
        package.set_rels(part, [Relationship(drawing_rid, REL_DRAWING, relative_target(part, drawing))])
    add_sheet_entry(package, name, part, table.hidden)
    set_print_titles(package, len(package.sheets()) - 1, name, table.print_titles(), table.pages_wide() > 1)
    if len(table.rows) * max((len(r) for r in table.rows), default=0) > 10_000_000:  # about 100 bytes a cell
        package.large_parts.add(part)
    return {part: worksheet_chunks(table, styles, drawing_rid)}


def set_print_titles(package: Package, index: int, name: str, rows: tuple[int, int] | None,
                     first_column: bool = False) -> None:
    """Repeat ``rows`` (first, last) atop each printed page of sheet ``name``,
    the ``index``-th of the workbook, and its first column at the left of
    each when ``first_column``: its print titles, a defined name scoped to it,
    replace any it had."""
    xml = package.text(package.workbook_part)

    def others(match):
        attrs = attrs_of(match.group(0))
        ours = attrs.get("name") == PRINT_TITLES and attrs.get("localSheetId") == str(index)
        return "" if ours else match.group(0)

    xml = re.sub(r"<definedName\b[^>]*?(?:/>|>.*?</definedName>)", others, xml, flags=re.S)
    quoted = "'" + name.replace("'", "''") + "'"
    ranges = ([f"{quoted}!$A:$A"] if first_column else []) + ([f"{quoted}!${rows[0]}:${rows[1]}"] if rows else [])
    if ranges:
        element = (f'<definedName name="{PRINT_TITLES}" localSheetId="{index}">'
                   f"{xml_text(','.join(ranges))}</definedName>")
        xml = re.sub(r"<definedNames\s*/>", "<definedNames></definedNames>", xml, count=1)
        if "</definedNames>" in xml:
            xml = xml.replace("</definedNames>", element + "</definedNames>", 1)
        else:
            xml = insert_in_order(xml, "definedNames", f"<definedNames>{element}</definedNames>", WORKBOOK_ORDER,
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
    footer = unescape(footer.group(1) or "") if footer else ""
    titles = re.search(rf'<definedName\b(?=[^>]*\bname="{re.escape(PRINT_TITLES)}")(?=[^>]*\blocalSheetId="{index}")',
                       package.text(package.workbook_part))
    attrs = attrs_of(setup.group(0)) if setup else {}
    if chosen_print_setup(attrs.get("orientation"), attrs.get("scale"),
                          bool(fit) and attrs_of(fit.group(0)).get("fitToPage") in ("1", "true"), bool(titles), footer):
        return
    if footer in ("", footer_text()):  # headerFooter follows pageSetup: its edit leaves the setup's offsets
        tail = _with_footer(tail)
    pages = pages_wide(*_column_widths(head, xml[start:end]))
    if setup:
        element = setup.group(0)
        for name, value in dict(PAGE_SETUP, fitToWidth=str(pages)).items():
            element = set_attr(element, name, value)
        tail = tail[:setup.start()] + element + tail[setup.end():]
    else:
        tail = insert_in_order(tail, "pageSetup", print_setup_xml(pages)[len(MARGINS_XML):-len(FOOTER_XML)],
                               WORKSHEET_ORDER, "worksheet")
    if fit:
        head = head[:fit.start()] + set_attr(fit.group(0), "fitToPage", "1") + head[fit.end():]
    elif re.search(r"<sheetPr\b[^>]*/>", head):
        head = re.sub(r"<sheetPr\b([^>]*?)\s*/>", lambda m: f"<sheetPr{m.group(1)}>{FIT_TO_PAGE_XML}</sheetPr>", head,
                      count=1)
    elif "</sheetPr>" in head:  # pageSetUpPr is the last child of sheetPr
        head = head.replace("</sheetPr>", FIT_TO_PAGE_XML + "</sheetPr>", 1)
    else:
        head = insert_in_order(head, "sheetPr", f"<sheetPr>{FIT_TO_PAGE_XML}</sheetPr>", WORKSHEET_ORDER, "worksheet")
    package.put(part, (head + xml[start:end] + tail).encode())
    set_print_titles(package, index, entry.name, (header_row, header_row), pages > 1)


def _column_widths(head: str, cells: str) -> tuple[dict, int]:
    """({column: width} of the <col> elements in a worksheet's ``head``, the number of columns its
    ``cells`` (the sheetData) reach): what ``pages_wide`` takes."""
    widths = {}
    for element in re.findall(r"<col\b[^>]*>", head):
        attrs = attrs_of(element)
        try:
            low, high, width = int(attrs["min"]), int(attrs["max"]), float(attrs.get("width", DEFAULT_WIDTH))
        except (KeyError, ValueError):
            continue
        if attrs.get("hidden") in ("1", "true"):
            width = 0
        widths.update({column: width for column in range(low - 1, min(high, 16384))})
    dimension = re.search(r'<dimension\b[^>]*?\bref="(?:[A-Z]+\d+:)?([A-Z]+\d+)"', head)
    if dimension:  # the sheet says its extent: no scan of its cells
        return widths, split_ref(dimension.group(1))[1]
    last = max((split_ref(ref)[1] for ref in re.findall(r'<c\b[^>]*?\br="([A-Z]+\d+)"', cells)), default=0)
    return widths, last


def _with_footer(tail: str) -> str:
    """A worksheet's settings (what follows its cells) with pedro's footer in
    place of an empty one, its headers kept (CT_HeaderFooter: oddHeader, then oddFooter)."""
    header_footer = re.search(r"<headerFooter\b([^>]*?)(/?)>", tail)
    if header_footer is None:
        return insert_in_order(tail, "headerFooter", FOOTER_XML, WORKSHEET_ORDER, "worksheet")
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
