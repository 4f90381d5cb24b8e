"""The item sheet of the audited workbook, edited in its XML.

Only the rows that hold a rewritten or marked cell are rewritten
(``patch_cells``); the rest of the sheet is copied as it is.  Where a value
replaces the cell that defines a shared formula (a column filled down), the
cells that shared it get their own formula, and a replaced formula takes the
calculation chain with it (Excel rebuilds it).  pedro's findings go into the
cells' comments (``ItemSheet.mark``, through ``pedro.write.comments``).  Rows
or cells without references, or an answer inside an array formula over other
cells, raise ``Unsupported``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from ..sheets.cells import column_index
from .comments import (
    COMMENTS_ROOT,
    Comment,
    append_text,
    assessors_comments,
    comments_xml,
    read_comments,
    text_element,
    vml_blocks_in_use,
    vml_with_notes,
)
from .files import needs_quote_prefix
from .package import (
    CT_COMMENTS,
    CT_VML,
    NS_DOC_REL,
    REL_CALC_CHAIN,
    REL_COMMENTS,
    REL_VML,
    WORKSHEET_ORDER,
    Package,
    Relationship,
    Styles,
    Unsupported,
    attrs_of,
    cell_xml,
    insert_in_order,
    new_rid,
    relative_target,
    resolve,
    sheet_data_span,
    split_ref,
    unescape,
    xml_text,
)
from .style import FINDINGS_SEPARATOR, with_findings


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
        attrs = attrs_of(element)
        if attrs.get("t") == "shared" and "ref" in attrs and "si" in attrs:
            masters[attrs["si"]] = (ref, unescape(_formula_body(element)))
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
        attrs = attrs_of(match.group(0))
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
        pieces.append(_edited_cell(ref, attrs_of(cell.group(0)), cell.group(2), wanted[ref], styles, replaced))
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
            existing.append((column, _edited_cell(ref, attrs_of(cell.group(0)), cell.group(2), edit, styles, replaced)))
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
            spread = attrs_of(formula.group(0))
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
            text = unescape(_formula_body(element))
            attrs = attrs_of(element)
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
            attrs = attrs_of(element)
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
        root = COMMENTS_ROOT.search(old_xml.decode("utf-8")) if old_xml else None
        if ordered:
            if self.comments_part is None:
                self.comments_part = package.free_name("xl/comments{}.xml")
                self.rels.append(Relationship(new_rid(self.rels), REL_COMMENTS,
                                              relative_target(self.part, self.comments_part)))
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
            self.rels.append(Relationship(rid, REL_VML, relative_target(self.part, self.vml_part)))
            self.xml = insert_in_order(self.xml, "legacyDrawing",
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
