"""Write a cycle's changes into an .xlsx package in one streaming pass, without loading the workbook.

``write_package`` copies the workbook's zip member by member and changes only what the cycle owns:

- cells of any worksheet, streamed row by row (``sync.backends.xlsx.patch.SheetPatcher``);
- the Tickets tab's colours and drop-downs: our conditional-formatting rules (the ones whose formula carries the
  ``sheetdesk`` marker) are replaced, a person's own rules and validations stay; a drop-down is added only to a
  column no validation covers yet. Their fills go to ``styles.xml`` as differential formats;
- generated tabs written whole (a new Dashboard, or one whose charted tables changed size): a new worksheet part,
  its drawing and native charts (serialised by openpyxl's chart classes, nothing else of openpyxl), the
  relationships and content types that tie them in. A tab that existed is replaced, its old drawing and
  charts dropped; a new tab goes last, or right after the Tickets tab when it asks to
  (``GeneratedTab.after_tickets``, which also moves a tab that stands elsewhere). Moving a tab renumbers what
  workbook.xml counts by tab position — each defined name's ``localSheetId`` (filters, print titles, print
  areas) and the workbook view's ``activeTab`` and ``firstSheet`` — so each still means the same tab.

Every other part — pictures, shapes, comments, a person's formatting, Excel 2010+ extensions, shared strings —
is copied byte for byte. Anything outside what this writer knows (a generated tab with relationships other than
its drawing, parts it cannot parse) raises ``PatchRefused`` before the target is complete; the caller then writes
with openpyxl.
"""

from __future__ import annotations

import io
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import IO
from xml.sax.saxutils import escape, quoteattr, unescape

from sync.backends.port import (
    ROW_HEIGHT_POINTS,
    Cell,
    FormattingSpec,
    GeneratedTab,
    formatting_marker,
    tab_order,
)
from sync.backends.xlsx.patch import (
    CellEncoder,
    PatchRefused,
    SheetPatcher,
    StyleBook,
    _attribute,
    _date_epoch,
    _set_attribute,
    _styles_member,
    copy_archive,
    stretch_filter,
    worksheet_member,
)
from tickets import cell_name, column_index, column_letter

__all__ = ["PackageEdits", "write_package", "reorder_tabs", "PRINT_SIDE_MARGIN", "PRINT_TOP_MARGIN"]

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = f"{RELATIONSHIP_NS}/worksheet"
DRAWING_TYPE = f"{RELATIONSHIP_NS}/drawing"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
DRAWING_CONTENT = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_CONTENT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"
LAST_ROW = 1048576
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Worksheet children that come after conditionalFormatting / dataValidations, in the schema's order.
AFTER_CONDITIONAL_FORMATTING = ("dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup",
                                "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
                                "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF",
                                "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
                                "extLst")
AFTER_DATA_VALIDATIONS = AFTER_CONDITIONAL_FORMATTING[1:]
# Page margins (inches) of a generated tab printed wide: narrow, so the tables and charts print large.
PRINT_SIDE_MARGIN = 0.4
PRINT_TOP_MARGIN = 0.5
# styles.xml children after dxfs, in the schema's order.
AFTER_DIFFERENTIAL_FORMATS = ("tableStyles", "colors", "extLst")

Rows = Mapping[int, Mapping[int, Cell]]


@dataclass
class PackageEdits:
    """What one write changes: cells per sheet, generated tabs written whole, the Tickets tab's formatting."""

    cells: dict[str, Rows] = field(default_factory=dict)  # sheet -> {row: {column: value}}, 0-based
    unless_formula: dict[str, Collection[tuple[int, int]]] = field(default_factory=dict)
    tabs: dict[str, GeneratedTab] = field(default_factory=dict)
    formatting: tuple[str, dict[str, int], FormattingSpec] | None = None  # (sheet, column positions, spec)
    filter_to_row: dict[str, int] = field(default_factory=dict)  # sheet -> the last row its filter must reach
    tickets_tab: str | None = None  # where a tab with ``after_tickets`` goes: right after this one


def write_package(source: Path, target: Path, edits: PackageEdits) -> None:
    """Copy the .xlsx ``source`` to ``target`` with ``edits`` made. Raise PatchRefused when they cannot be made
    safely this way (``target`` is then incomplete)."""
    try:
        with zipfile.ZipFile(source) as archive:
            _PackageWriter(archive, edits).write(target)
    except (ValueError, LookupError, zipfile.BadZipFile) as error:  # an unexpected part or encoding
        raise PatchRefused(f"the workbook is not laid out as the package writer expects ({error})") from error


class _PackageWriter:
    """One pass over a package: staged replacements, new members, members dropped."""

    def __init__(self, archive: zipfile.ZipFile, edits: PackageEdits) -> None:
        self.archive = archive
        self.edits = edits
        self.names = set(archive.namelist())
        self.styles_member = _styles_member(archive)
        self.styles = Styles(archive.read(self.styles_member).decode("utf-8")) if self.styles_member else None
        self.encoder = CellEncoder(self.styles, _date_epoch(archive.read(WORKBOOK).decode("utf-8")))
        self.replacements: dict[str, IO[bytes]] = {}
        self.additions: dict[str, bytes] = {}
        self.removals: set[str] = set()
        self.content_types = archive.read(CONTENT_TYPES).decode("utf-8")
        self.workbook = archive.read(WORKBOOK).decode("utf-8")
        self.workbook_relationships = archive.read(WORKBOOK_RELATIONSHIPS).decode("utf-8")
        self.package_changed = False

    def write(self, target: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="sheetdesk-package-") as staging:
            self.staging = Path(staging)
            for name, tab in self.edits.tabs.items():
                self._put_tab(name, tab)
            sheets = set(self.edits.cells) | ({self.edits.formatting[0]} if self.edits.formatting else set())
            for sheet in sorted(sheets - set(self.edits.tabs)):
                self._stream_sheet(sheet)
            if self.styles is not None and self.styles.changed:
                self.replacements[self.styles_member] = io.BytesIO(self.styles.render().encode("utf-8"))
            if self.package_changed:
                self.replacements[CONTENT_TYPES] = io.BytesIO(self.content_types.encode("utf-8"))
                self.replacements[WORKBOOK] = io.BytesIO(self.workbook.encode("utf-8"))
                self.replacements[WORKBOOK_RELATIONSHIPS] = io.BytesIO(self.workbook_relationships.encode("utf-8"))
            copy_archive(self.archive, target, self.replacements, self.additions, self.removals)
            for staged in self.replacements.values():
                staged.close()

    # -- streamed sheets ---------------------------------------------------------------------------------------

    def _stream_sheet(self, sheet: str) -> None:
        member = worksheet_member(self.archive, sheet)
        if member is None:
            raise PatchRefused(f"no worksheet named {sheet!r}")
        patcher = SheetPatcher(self.edits.cells.get(sheet, {}), self.encoder, set(self.edits.unless_formula.get(sheet, ())))
        patcher.calculation_chain = any(name.endswith("/calcChain.xml") for name in self.names)
        if self.edits.formatting is not None and self.edits.formatting[0] == sheet:
            _, columns, spec = self.edits.formatting
            patcher.tail = lambda tail: _with_formatting(tail, patcher.prefix, columns, spec, self._styles())
        if sheet in self.edits.filter_to_row:
            formatted, last_row = patcher.tail, self.edits.filter_to_row[sheet]
            patcher.tail = lambda tail: stretch_filter(formatted(tail) if formatted else tail, patcher.prefix, last_row)
        staged = open(self.staging / f"sheet-{len(self.replacements)}.xml", "w+b")  # noqa: SIM115 — closed in write
        with self.archive.open(member) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            writer = io.TextIOWrapper(staged, encoding="utf-8", newline="")
            patcher.run(text, writer)
            writer.flush()
            writer.detach()
        self.replacements[member] = staged

    def _styles(self) -> Styles:
        if self.styles is None:
            raise PatchRefused("the workbook has no styles part to hold colours")
        return self.styles

    # -- generated tabs written whole --------------------------------------------------------------------------

    def _put_tab(self, name: str, tab: GeneratedTab) -> None:
        member = worksheet_member(self.archive, name)
        if member is None:
            member = self._new_sheet(name)
        else:
            self._drop_drawing_of(member)
        drawing = self._drawing(name, tab) if any(chart.last_row >= chart.first_row for chart in tab.charts) else None
        relationships_member = _relationships_of(member)
        if drawing is not None:
            self.additions[relationships_member] = _relationships([("rId1", DRAWING_TYPE, "/" + drawing)]).encode()
        styles = self._styles()
        formats = {cell: styles.number_style(code) for cell, code in tab.number_formats.items()}
        self.additions[member] = _tab_xml(tab, self.encoder, styles, formats,
                                          drawing_relationship="rId1" if drawing else None).encode("utf-8")
        self.replacements.pop(member, None)
        if tab.after_tickets and self.edits.tickets_tab is not None:
            reordered = reorder_tabs(self.workbook, name, self.edits.tickets_tab)
            if reordered != self.workbook:
                self.workbook, self.package_changed = reordered, True

    def _new_sheet(self, name: str) -> str:
        """Add a worksheet entry for tab ``name`` to the workbook, its relationship and content type."""
        number = _free_number(self.names | set(self.additions), "xl/worksheets/sheet{}.xml")
        member = f"xl/worksheets/sheet{number}.xml"
        relationship = _free_relationship_id(self.workbook_relationships)
        self.workbook_relationships = _append_relationship(
            self.workbook_relationships, relationship, WORKSHEET_TYPE, f"/{member}")
        sheet_ids = [int(value) for value in re.findall(r'<(?:\w+:)?sheet\b[^>]*?\ssheetId="(\d+)"', self.workbook)]
        prefix = _prefix_of(self.workbook, "workbook")
        entry = (f'<{prefix}sheet xmlns:r="{RELATIONSHIP_NS}" name={quoteattr(name)} '
                 f'sheetId="{max(sheet_ids, default=0) + 1}" r:id="{relationship}"/>')
        closing = re.search(rf"</{re.escape(prefix)}sheets\s*>", self.workbook)
        if closing is None:
            raise PatchRefused("workbook.xml has no sheets list")
        self.workbook = self.workbook[: closing.start()] + entry + self.workbook[closing.start():]
        self._add_content_type(member, WORKSHEET_CONTENT)
        return member

    def _drop_drawing_of(self, member: str) -> None:
        """Drop the drawing and charts of generated sheet ``member`` (it is written again whole). Refuse when the
        sheet is tied to anything else (comments, tables, pictures a person put there)."""
        relationships_member = _relationships_of(member)
        if relationships_member not in self.names:
            return
        for _, kind, target in _read_relationships(self.archive, relationships_member):
            if kind != DRAWING_TYPE:
                raise PatchRefused(f"the generated tab's part {member} is tied to more than a drawing")
            self._drop_part_tree(_resolve(member, target))
        self.removals.add(relationships_member)

    def _drop_part_tree(self, member: str) -> None:
        """Drop ``member``, what its relationships point at inside the package, and their content types."""
        if member in self.removals or member not in self.names:
            return
        self.removals.add(member)
        self.content_types = re.sub(rf'<Override\b[^>]*PartName="/{re.escape(member)}"[^>]*/>', "",
                                    self.content_types)
        self.package_changed = True
        relationships_member = _relationships_of(member)
        if relationships_member in self.names:
            self.removals.add(relationships_member)
            for _, _, target in _read_relationships(self.archive, relationships_member):
                self._drop_part_tree(_resolve(member, target))

    def _drawing(self, name: str, tab: GeneratedTab) -> str:
        """Add the drawing and chart parts of ``tab``'s charts; return the drawing's member name."""
        from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
        from openpyxl.xml.functions import tostring

        from sync.backends.xlsx.charts import build_chart

        taken = self.names | set(self.additions)
        drawing = SpreadsheetDrawing()
        drawing._id = _free_number(taken, "xl/drawings/drawing{}.xml")
        first_chart = _free_number(taken, "xl/charts/chart{}.xml")
        for offset, chart in enumerate(chart for chart in tab.charts if chart.last_row >= chart.first_row):
            native = build_chart(SimpleNamespace(title=name), chart)
            native.anchor = chart.anchor
            native._id = first_chart + offset
            drawing.charts.append(native)
        drawing_xml = tostring(drawing._write())  # assigns each chart its relationship
        for native in drawing.charts:
            self.additions[native.path.lstrip("/")] = XML_DECLARATION.encode() + tostring(native._write())
            self._add_content_type(native.path.lstrip("/"), CHART_CONTENT)
        member = drawing.path.lstrip("/")
        self.additions[member] = XML_DECLARATION.encode() + drawing_xml
        self.additions[_relationships_of(member)] = XML_DECLARATION.encode() + tostring(drawing._write_rels())
        self._add_content_type(member, DRAWING_CONTENT)
        return member

    def _add_content_type(self, member: str, content_type: str) -> None:
        entry = f'<Override PartName="/{member}" ContentType="{content_type}"/>'
        self.content_types = self.content_types.replace("</Types>", entry + "</Types>")
        self.package_changed = True


# -- the order of tabs ---------------------------------------------------------------------------------------------

def reorder_tabs(workbook_xml: str, name: str, tickets_tab: str) -> str:
    """Return workbook.xml with tab ``name`` moved right after ``tickets_tab`` (``sync.backends.port.tab_order``)
    and everything that counts tabs by position renumbered to follow its tab: the ``localSheetId`` of defined
    names and the workbook views' ``activeTab`` and ``firstSheet``. Unchanged when the tab is in place already
    or either tab is missing."""
    block = re.search(r"(<(?:\w+:)?sheets\b[^>]*>)(.*?)(</(?:\w+:)?sheets\s*>)", workbook_xml, re.DOTALL)
    if block is None:
        raise PatchRefused("workbook.xml has no sheets list")
    entries = re.findall(r"<(?:\w+:)?sheet\b[^>]*?/>|<(?:\w+:)?sheet\b[^>]*>.*?</(?:\w+:)?sheet\s*>",
                         block.group(2), re.DOTALL)
    names = [_unescape(_attribute(entry[: entry.index(">") + 1], "name") or "") for entry in entries]
    if name not in names or tickets_tab not in names:
        return workbook_xml
    order = tab_order(names, name, tickets_tab, after_tickets=True)
    if order == names:
        return workbook_xml
    new_place = {old: order.index(title) for old, title in enumerate(names)}
    sheets = block.group(1) + "".join(entries[names.index(title)] for title in order) + block.group(3)
    xml = workbook_xml[: block.start()] + sheets + workbook_xml[block.end():]
    return _renumber_tab_positions(xml, new_place)


def _renumber_tab_positions(xml: str, new_place: Mapping[int, int]) -> str:
    """Give every ``localSheetId``, ``activeTab`` and ``firstSheet`` its tab's new position."""

    def moved(old: str) -> str:
        return str(new_place.get(int(old), int(old)))

    def defined_name(match: re.Match) -> str:
        tag = match.group(0)
        local = _attribute(tag, "localSheetId")
        return tag if local is None else _set_attribute(tag, "localSheetId", moved(local))

    def workbook_view(match: re.Match) -> str:
        tag = match.group(0)
        for attribute in ("activeTab", "firstSheet"):
            old = _attribute(tag, attribute) or "0"
            if moved(old) != old:
                tag = _set_attribute(tag, attribute, moved(old))
        return tag

    xml = re.sub(r"<(?:\w+:)?definedName\b[^>]*>", defined_name, xml)
    return re.sub(r"<(?:\w+:)?workbookView\b[^>]*>", workbook_view, xml)


def _unescape(text: str) -> str:
    return unescape(text, {"&quot;": '"', "&apos;": "'"})


# -- the Tickets tab's formatting ----------------------------------------------------------------------------------

def _with_formatting(tail: str, prefix: str, columns: dict[str, int], spec: FormattingSpec, styles: Styles) -> str:
    """Return the worksheet's ``tail`` (from ``</sheetData>`` on) with our colour rules replaced and missing
    drop-downs added."""
    tail, priority = _without_our_rules(tail, prefix)
    rules = _colour_rules(columns, spec, styles, prefix, priority)
    if rules:
        width = max(columns.values(), default=0) + 1
        block = f'<{prefix}conditionalFormatting sqref="A2:{column_letter(width - 1)}{LAST_ROW}">'
        tail = _insert_before(tail, prefix, AFTER_CONDITIONAL_FORMATTING,
                              block + "".join(rules) + f"</{prefix}conditionalFormatting>")
    return _with_dropdowns(tail, prefix, columns, spec.dropdowns)


def _without_our_rules(tail: str, prefix: str) -> tuple[str, int]:
    """Remove our rules (and blocks left empty); return the tail and the highest priority a kept rule has."""
    escaped = re.escape(prefix)
    block_pattern = re.compile(rf"<{escaped}conditionalFormatting\b[^>]*>.*?</{escaped}conditionalFormatting\s*>",
                               re.DOTALL)
    rule_pattern = re.compile(rf"<{escaped}cfRule\b[^>]*?(?:/>|>.*?</{escaped}cfRule\s*>)", re.DOTALL)
    highest = 0

    def kept_block(match: re.Match) -> str:
        nonlocal highest
        block = match.group(0)
        kept = [rule for rule in rule_pattern.findall(block) if "sheetdesk" not in rule]
        if not kept:
            return ""
        for rule in kept:
            highest = max(highest, int(_attribute(rule[: rule.index(">") + 1], "priority") or 0))
        opening = block[: block.index(">") + 1]
        return opening + "".join(kept) + f"</{prefix}conditionalFormatting>"

    return block_pattern.sub(kept_block, tail), highest


def _colour_rules(columns: dict[str, int], spec: FormattingSpec, styles: Styles, prefix: str, after: int) -> list[str]:
    """Our rules, as ``sync.backends.xlsx.format`` writes them with openpyxl: Check first (stop if true), then
    the SLA states, each formula carrying the marker that names the columns it was written for."""
    marker = f'N("{formatting_marker(columns)}")=0'
    formulas: list[tuple[str, str, bool]] = []
    if "check" in columns:
        check = column_letter(columns["check"])
        formulas.append((f"AND(LEN(${check}2)>0,{marker})", spec.CHECK, True))
    if "sla" in columns:
        sla = column_letter(columns["sla"])
        colours = {"overdue": spec.OVERDUE, "due_soon": spec.DUE_SOON, "paused": spec.PAUSED, "closed": spec.CLOSED}
        for state, colour in colours.items():
            text = spec.sla_labels.get(state)
            if text:
                formulas.append((f'AND(${sla}2="{text.replace(chr(34), chr(34) * 2)}",{marker})', colour, False))
    rules = []
    for offset, (formula, colour, stop) in enumerate(formulas, start=1):
        stop_attribute = ' stopIfTrue="1"' if stop else ""
        rules.append(f'<{prefix}cfRule type="expression" dxfId="{styles.fill_format(colour)}" '
                     f'priority="{after + offset}"{stop_attribute}><{prefix}formula>{escape(formula)}'
                     f"</{prefix}formula></{prefix}cfRule>")
    return rules


def _with_dropdowns(tail: str, prefix: str, columns: dict[str, int], dropdowns: dict[str, str]) -> str:
    """Add a list drop-down to each column of ``dropdowns`` that no validation covers yet (a person's stay)."""
    covered = _validated_columns(tail)
    entries = []
    for key, source in dropdowns.items():
        if key not in columns or columns[key] in covered:
            continue
        letters = column_letter(columns[key])
        formula = escape(source[1:] if source.startswith("=") else source)
        entries.append(f'<{prefix}dataValidation type="list" allowBlank="1" showErrorMessage="0" '
                       f'sqref="{letters}2:{letters}{LAST_ROW}"><{prefix}formula1>{formula}</{prefix}formula1>'
                       f"</{prefix}dataValidation>")
    if not entries:
        return tail
    escaped = re.escape(prefix)
    existing = re.search(rf"<{escaped}dataValidations\b[^>]*?(/?)>", tail)
    if existing is None:
        block = f'<{prefix}dataValidations count="{len(entries)}">{"".join(entries)}</{prefix}dataValidations>'
        return _insert_before(tail, prefix, AFTER_DATA_VALIDATIONS, block)
    count = len(re.findall(rf"<{escaped}dataValidation\b", tail[existing.end():])) if not existing.group(1) else 0
    opening = _set_attribute(existing.group(0).replace("/>", ">"), "count", str(count + len(entries)))
    if existing.group(1):  # <dataValidations/>
        return tail[: existing.start()] + opening + "".join(entries) + f"</{prefix}dataValidations>" + tail[existing.end():]
    closing = tail.index(f"</{prefix}dataValidations>", existing.end())
    return tail[: existing.start()] + opening + tail[existing.end(): closing] + "".join(entries) + tail[closing:]


def _validated_columns(tail: str) -> set[int]:
    """Columns any validation covers, the Excel 2010 kind in extLst included."""
    covered: set[int] = set()
    references = re.findall(r'<(?:\w+:)?dataValidation\b[^>]*?\ssqref="([^"]*)"', tail)
    references += re.findall(r"<xm:sqref>([^<]*)</xm:sqref>", tail)
    for reference in references:
        for part in reference.split():
            corners = [re.match(r"\$?([A-Z]+)", corner) for corner in part.split(":")]
            if all(corners):
                first, last = (column_index(corner.group(1)) for corner in (corners[0], corners[-1]))
                covered.update(range(first, last + 1))
    return covered


def _insert_before(tail: str, prefix: str, followers: tuple[str, ...], element: str) -> str:
    """Insert ``element`` before the first of ``followers`` in ``tail``, else before ``</worksheet>``."""
    escaped = re.escape(prefix)
    names = "|".join(followers)
    match = re.search(rf"<{escaped}(?:{names})\b|</{escaped}worksheet\s*>", tail)
    if match is None:
        raise PatchRefused("the worksheet does not end")
    return tail[: match.start()] + element + tail[match.start():]


# -- styles --------------------------------------------------------------------------------------------------------

class Styles(StyleBook):
    """styles.xml, also able to hand out a bold cell style and a solid-fill differential format."""

    def __init__(self, xml: str) -> None:
        super().__init__(xml)
        self.added_fonts: list[str] = []
        self.added_differential: list[str] = []
        self._bold: int | None = None
        fonts = re.search(rf"<{self.prefix}fonts\b[^>]*>(.*?)</{self.prefix}fonts>", xml, re.DOTALL)
        if fonts is None:
            raise PatchRefused("styles.xml has no fonts")
        self.fonts = re.findall(rf"<{self.prefix}font\b[^>]*?/>|<{self.prefix}font\b[^>]*>.*?</{self.prefix}font>",
                                fonts.group(1), re.DOTALL)
        block = re.search(rf"<{self.prefix}dxfs\b[^>]*>(.*?)</{self.prefix}dxfs>", xml, re.DOTALL)
        self.differential = re.findall(rf"<{self.prefix}dxf\b[^>]*?/>|<{self.prefix}dxf\b[^>]*>.*?</{self.prefix}dxf>",
                                       block.group(1), re.DOTALL) if block else []

    @property
    def changed(self) -> bool:
        return bool(self.added_formats or self.added_fonts or self.added_differential)

    def bold_style(self) -> int:
        """Return the index of a cell style like the default one in a bold font."""
        if self._bold is None:
            prefix = self.prefix
            base = self.fonts[0] if self.fonts else f"<{prefix}font/>"
            opening = re.match(r"<[^>]*?(/?)>", base)
            body = "" if opening.group(1) else base[opening.end(): base.rindex("<")]
            body = re.sub(rf"<{prefix}b\b[^>]*/>", "", body)
            font = f"<{prefix}font><{prefix}b/>{body}</{prefix}font>"
            self.added_fonts.append(font)
            font_id = len(self.fonts) + len(self.added_fonts) - 1
            self.added_formats.append(f'<{prefix}xf numFmtId="0" fontId="{font_id}" fillId="0" borderId="0" '
                                      f'xfId="0" applyFont="1"/>')
            self._bold = len(self.cell_formats) + len(self.added_formats) - 1
        return self._bold

    def aligned_style(self, style: int, wrap: bool = False, centred: bool = False) -> int:
        """Return the index of a cell style like ``style``, its text wrapping (``wrap``) and centred
        (``centred``)."""
        formats = self.cell_formats + self.added_formats
        base = formats[style] if style < len(formats) else formats[0]
        start = re.match(r"<[^>]*?/?>", base).group(0)
        opening = _set_attribute(start.replace("/>", ">") if start.endswith("/>") else start, "applyAlignment", "1")
        body = "" if start.endswith("/>") else base[len(start): base.rindex("<")]
        body = re.sub(rf"<{self.prefix}alignment\b[^>]*?(?:/>|>.*?</{self.prefix}alignment>)", "", body, flags=re.DOTALL)
        prefix = self.prefix
        horizontal = ' horizontal="center"' if centred else ""
        wrapping = ' wrapText="1"' if wrap else ""
        variant = f'{opening}<{prefix}alignment{horizontal}{wrapping}/>{body}</{prefix}xf>'
        return _index_or_add(self.cell_formats, self.added_formats, variant)

    def number_style(self, code: str) -> int:
        """Return the index of a cell style like the default one showing numbers in the format ``code``."""
        identifier = self.format_id_for(code)
        style = (f'<{self.prefix}xf numFmtId="{identifier}" fontId="0" fillId="0" borderId="0" xfId="0" '
                 f'applyNumberFormat="1"/>')
        return _index_or_add(self.cell_formats, self.added_formats, style)

    def fill_format(self, colour: str) -> int:
        """Return the index of a differential format filling a cell with ``colour`` ("RRGGBB")."""
        prefix = self.prefix
        argb = f"00{colour.upper()}"  # as openpyxl writes a six-digit colour
        entry = (f'<{prefix}dxf><{prefix}fill><{prefix}patternFill patternType="solid"><{prefix}fgColor rgb="{argb}"/>'
                 f'<{prefix}bgColor rgb="{argb}"/></{prefix}patternFill></{prefix}fill></{prefix}dxf>')
        return _index_or_add(self.differential, self.added_differential, entry)

    def render(self) -> str:
        xml = super().render()
        prefix = self.prefix
        if self.added_fonts:
            block = re.search(rf"(<{prefix}fonts\b[^>]*>)(.*?)(</{prefix}fonts>)", xml, re.DOTALL)
            opening = _set_attribute(block.group(1), "count", str(len(self.fonts) + len(self.added_fonts)))
            xml = xml[: block.start()] + opening + block.group(2) + "".join(self.added_fonts) + block.group(3) + xml[block.end():]
        if self.added_differential:
            xml = self._with_differential(xml)
        return xml

    def _with_differential(self, xml: str) -> str:
        prefix = self.prefix
        count = str(len(self.differential) + len(self.added_differential))
        added = "".join(self.added_differential)
        block = re.search(rf"<{prefix}dxfs\b[^>]*?(/?)>", xml)
        if block is None:
            follower = re.search(rf"<{prefix}(?:{'|'.join(AFTER_DIFFERENTIAL_FORMATS)})\b|</{prefix}styleSheet\s*>", xml)
            return f'{xml[: follower.start()]}<{prefix}dxfs count="{count}">{added}</{prefix}dxfs>{xml[follower.start():]}'
        opening = _set_attribute(block.group(0).replace("/>", ">") if block.group(1) else block.group(0), "count", count)
        if block.group(1):
            return f"{xml[: block.start()]}{opening}{added}</{prefix}dxfs>{xml[block.end():]}"
        closing = xml.index(f"</{prefix}dxfs>", block.end())
        return f"{xml[: block.start()]}{opening}{xml[block.end(): closing]}{added}{xml[closing:]}"


def _index_or_add(existing: list[str], added: list[str], entry: str) -> int:
    """Return the index of ``entry`` among ``existing`` followed by ``added``, appending it to ``added`` when it is
    in neither."""
    known = existing + added
    if entry in known:
        return known.index(entry)
    added.append(entry)
    return len(known)

def _style_of(formats: Mapping[tuple[int, int], int], row: int, column: int, style: str | None) -> str | None:
    """A cell's style: its number format's if it has one, else the row's (bold or none)."""
    return str(formats[(row, column)]) if (row, column) in formats else style


# -- parts ---------------------------------------------------------------------------------------------------------

def _tab_xml(tab: GeneratedTab, encoder: CellEncoder, styles: Styles, formats: Mapping[tuple[int, int], int],
             drawing_relationship: str | None) -> str:
    """The worksheet XML of a generated tab: widths, values (row 1 and ``tab.bold_rows`` bold, a cell in
    ``formats`` in that cell style, ``tab.wrap_columns`` wrapped, ``tab.centred_columns`` centred), print settings
    and its drawing."""
    parts = [XML_DECLARATION, f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{RELATIONSHIP_NS}">']
    if tab.print_wide:
        parts.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
    width = max((len(row) for row in tab.rows), default=0)
    if tab.rows and width:
        parts.append(f'<dimension ref="A1:{cell_name(width - 1, len(tab.rows) - 1)}"/>')
    parts.append('<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
    widths = [(index, value) for index, value in enumerate(tab.widths, start=1) if value]
    if widths:
        parts.append("<cols>" + "".join(f'<col min="{index}" max="{index}" width="{value}" customWidth="1"/>'
                                        for index, value in widths) + "</cols>")
    parts.append("<sheetData>")
    bold_rows = set(tab.bold_rows)
    wrapped, centred = set(tab.wrap_columns), set(tab.centred_columns)
    for row_index, row in enumerate(tab.rows):
        style = str(styles.bold_style()) if row_index == 0 or row_index in bold_rows else None
        cells = []
        for column, value in enumerate(row):
            if value is None and style is None:
                continue
            cell_style = _style_of(formats, row_index, column, style)
            if value is not None and (column in wrapped or column in centred):
                cell_style = str(styles.aligned_style(int(cell_style or 0), wrap=column in wrapped,
                                                      centred=column in centred))
            cells.append(encoder.encode("", cell_name(column, row_index), cell_style, value))
        lines = tab.row_lines.get(row_index, 1)
        height = f' ht="{ROW_HEIGHT_POINTS * lines}" customHeight="1"' if lines > 1 else ""
        parts.append(f'<row r="{row_index + 1}"{height}>{"".join(cells)}</row>' if cells else "")
    parts.append("</sheetData>")
    parts.append(_print_settings(tab))
    if drawing_relationship:
        parts.append(f'<drawing r:id="{drawing_relationship}"/>')
    parts.append("</worksheet>")
    return "".join(parts)


def _print_settings(tab: GeneratedTab) -> str:
    """The page margins, and for a tab printed wide: landscape, one page wide, the page breaks before
    ``tab.page_breaks`` (as ``sync.backends.xlsx.writer.print_wide`` and openpyxl write them)."""
    if not tab.print_wide:
        return '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
    side, top = PRINT_SIDE_MARGIN, PRINT_TOP_MARGIN
    xml = (f'<pageMargins left="{side}" right="{side}" top="{top}" bottom="{top}" header="0.3" footer="0.3"/>'
           '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>')
    if tab.page_breaks:
        breaks = "".join(f'<brk id="{row}" max="16383" man="1"/>' for row in sorted(tab.page_breaks))
        count = len(tab.page_breaks)
        xml += f'<rowBreaks count="{count}" manualBreakCount="{count}">{breaks}</rowBreaks>'
    return xml


def _relationships(entries: list[tuple[str, str, str]]) -> str:
    body = "".join(f'<Relationship Id="{identifier}" Type="{kind}" Target={quoteattr(target)}/>'
                   for identifier, kind, target in entries)
    return f'{XML_DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS_NS}">{body}</Relationships>'


def _read_relationships(archive: zipfile.ZipFile, member: str) -> list[tuple[str, str, str]]:
    xml = archive.read(member).decode("utf-8")
    return [(_attribute(tag, "Id") or "", _attribute(tag, "Type") or "", _attribute(tag, "Target") or "")
            for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", xml)
            if (_attribute(tag, "TargetMode") or "") != "External"]


def _relationships_of(member: str) -> str:
    directory, name = posixpath.split(member)
    return posixpath.join(directory, "_rels", f"{name}.rels")


def _resolve(member: str, target: str) -> str:
    """The package member a relationship of ``member`` points at."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(member), target))


def _append_relationship(xml: str, identifier: str, kind: str, target: str) -> str:
    entry = f'<Relationship Id="{identifier}" Type="{kind}" Target={quoteattr(target)}/>'
    closing = re.search(r"</(?:\w+:)?Relationships\s*>", xml)
    if closing is None:
        raise PatchRefused("workbook.xml.rels has no Relationships list")
    return xml[: closing.start()] + entry + xml[closing.start():]


def _free_relationship_id(xml: str) -> str:
    taken = set(re.findall(r'\sId="([^"]*)"', xml))
    number = len(taken) + 1
    while f"rId{number}" in taken:
        number += 1
    return f"rId{number}"


def _free_number(taken: set[str], pattern: str) -> int:
    number = 1
    while pattern.format(number) in taken:
        number += 1
    return number


def _prefix_of(xml: str, element: str) -> str:
    match = re.search(rf"<(\w+:)?{element}\b", xml)
    return (match.group(1) or "") if match else ""
