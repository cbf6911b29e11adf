"""Write a handful of cells into an .xlsx without loading it: a streaming patch of one worksheet's XML.

``patch_rows`` copies the workbook's zip member by member, unchanged, except the worksheet it writes to, whose
XML it streams row by row, replacing or inserting exactly the addressed ``<c>`` cells, and, only when a datetime
needs a style the workbook lacks, ``xl/styles.xml``. Everything else (shapes, pictures, Excel 2010+ features,
shared strings) stays byte for byte as it was. Memory stays about one row of XML plus a read buffer; the
patched worksheet is staged in a temporary file so the zip keeps its member order.

Strings are written as inline strings (``sharedStrings.xml`` stays as it is); text that starts with ``=`` stays
text; numbers and booleans as values; datetimes as serial numbers with a ``yyyy-mm-dd hh:mm`` format derived from
the cell's own style; None clears a value and keeps the cell's style.

Anything the patcher cannot do safely (a shared or array formula's master cell, a formula Excel's calculation chain
lists, characters XML cannot carry, a worksheet it cannot find or parse) raises ``PatchRefused`` before the target is complete; the caller then writes
the slow way.
"""

from __future__ import annotations

import functools
import io
import math
import posixpath
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, unescape

from sync.backends.port import DATETIME_FORMAT, Cell
from sync.errors import SheetdeskError
from tickets import cell_name, column_index

__all__ = ["PatchRefused", "patch_rows", "worksheet_member"]

READ_CHUNK_CHARACTERS = 1 << 20
COPY_CHUNK_BYTES = 1 << 20
FIRST_CUSTOM_NUMBER_FORMAT = 164
EPOCH_1900 = datetime(1899, 12, 30)
EPOCH_1904 = datetime(1904, 1, 1)
SECONDS_PER_DAY = 86_400
ILLEGAL_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CELL_REFERENCE = re.compile(r"([A-Z]+)(\d+)")
CELL_COLUMN = re.compile(r"""(?<![\w:.-])r\s*=\s*["']([A-Z]+)\d+["']""")
ROW_NUMBER = re.compile(r"""(?<![\w:.-])r\s*=\s*["'](\d+)["']""")


class PatchRefused(SheetdeskError):
    """The patcher cannot write these cells safely into this workbook; write it another way."""


Position = tuple[int, int]  # 0-based row, column


def patch_rows(
    source: Path,
    target: Path,
    sheet_name: str,
    rows: Mapping[int, Mapping[int, Cell]],
    *,
    unless_formula: Collection[Position] = (),
) -> None:
    """Copy the .xlsx ``source`` to ``target`` with ``rows`` ({row: {column: value}}, 0-based) put into the
    worksheet ``sheet_name``. A (row, column) in ``unless_formula`` is left alone when its cell holds a formula.

    Raise PatchRefused when the write cannot be done safely this way (``target`` is then incomplete).
    """
    try:
        _patch(source, target, sheet_name, rows, set(unless_formula))
    except (ValueError, LookupError, zipfile.BadZipFile) as error:  # an unexpected part or encoding
        raise PatchRefused(f"the workbook is not laid out as the patcher expects ({error})") from error


def _patch(source: Path, target: Path, sheet_name: str, rows: Mapping[int, Mapping[int, Cell]],
           unless_formula: set[Position]) -> None:
    with zipfile.ZipFile(source) as archive:
        member = worksheet_member(archive, sheet_name)
        if member is None:
            raise PatchRefused(f"no worksheet named {sheet_name!r}")
        styles_member = _styles_member(archive)
        styles = StyleBook(archive.read(styles_member).decode("utf-8")) if styles_member else None
        encoder = CellEncoder(styles, _date_epoch(archive.read("xl/workbook.xml").decode("utf-8")))
        with tempfile.TemporaryFile() as staged:
            with archive.open(member) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
                writer = io.TextIOWrapper(staged, encoding="utf-8", newline="")
                patcher = SheetPatcher(rows, encoder, unless_formula)
                patcher.calculation_chain = any(name.endswith("/calcChain.xml") for name in archive.namelist())
                patcher.run(text, writer)
                writer.flush()
                writer.detach()
            replacements = {member: staged}
            if styles is not None and styles.changed:
                replacements[styles_member] = io.BytesIO(styles.render().encode("utf-8"))
            copy_archive(archive, target, replacements)


# -- the zip -----------------------------------------------------------------------------------------------------

def worksheet_member(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """Return the zip member holding the worksheet named ``sheet_name``, or None if there is none."""
    workbook_xml = archive.read("xl/workbook.xml").decode("utf-8")
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook_xml):
        name = _attribute(tag, "name")
        if name is not None and unescape(name, {"&quot;": '"', "&apos;": "'"}) == sheet_name:
            relation = re.search(r'\s[\w]+:id\s*=\s*["\']([^"\']*)["\']', tag)
            return _relation_member(archive, relation.group(1)) if relation else None
    return None


def _relation_member(archive: zipfile.ZipFile, relation_id: str) -> str | None:
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")):
        if _attribute(tag, "Id") == relation_id:
            return _member_path(_attribute(tag, "Target") or "")
    return None


def _styles_member(archive: zipfile.ZipFile) -> str | None:
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")):
        if (_attribute(tag, "Type") or "").endswith("/styles"):
            return _member_path(_attribute(tag, "Target") or "")
    return None


def _member_path(target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))


def _date_epoch(workbook_xml: str) -> datetime:
    properties = re.search(r"<(?:\w+:)?workbookPr\b[^>]*>", workbook_xml)
    flag = _attribute(properties.group(0), "date1904") if properties else None
    return EPOCH_1904 if flag in ("1", "true") else EPOCH_1900


def copy_archive(archive: zipfile.ZipFile, target: Path, replacements: Mapping[str, IO[bytes]],
                 additions: Mapping[str, bytes] | None = None, removals: Collection[str] = ()) -> None:
    """Write ``archive`` to ``target`` member by member, in the same order: ``replacements`` in place of theirs,
    ``removals`` left out, ``additions`` (new or rewritten whole) at their old place or at the end."""
    additions = additions or {}
    written = set()
    with zipfile.ZipFile(target, "w") as copy:
        for info in archive.infolist():
            if info.filename in removals and info.filename not in additions:
                continue
            if info.filename in additions:
                copy.writestr(info.filename, additions[info.filename], zipfile.ZIP_DEFLATED)
                written.add(info.filename)
                continue
            fresh = zipfile.ZipInfo(info.filename, info.date_time)
            fresh.compress_type = info.compress_type
            fresh.external_attr = info.external_attr
            fresh.comment = info.comment
            fresh.file_size = info.file_size  # lets zipfile choose zip64 where the original needed it
            replacement = replacements.get(info.filename)
            with copy.open(fresh, "w", force_zip64=info.file_size > zipfile.ZIP64_LIMIT) as output:
                if replacement is None:
                    with archive.open(info) as original:
                        shutil.copyfileobj(original, output, COPY_CHUNK_BYTES)
                else:
                    replacement.seek(0)
                    shutil.copyfileobj(replacement, output, COPY_CHUNK_BYTES)
        for name, data in additions.items():
            if name not in written:
                copy.writestr(name, data, zipfile.ZIP_DEFLATED)


# -- XML helpers -------------------------------------------------------------------------------------------------

@functools.cache
def _attribute_pattern(name: str) -> re.Pattern:
    return re.compile(rf"""(?<![\w:.-]){re.escape(name)}\s*=\s*(["'])(.*?)\1""", re.DOTALL)


def _attribute(tag: str, name: str) -> str | None:
    """Return the raw (still escaped) value of attribute ``name`` in the start tag ``tag``, or None."""
    match = _attribute_pattern(name).search(tag)
    return match.group(2) if match else None


def _set_attribute(tag: str, name: str, value: str) -> str:
    """Return the start tag ``tag`` with attribute ``name`` set to ``value`` (already escaped)."""
    pattern = re.compile(rf"""(?<![\w:.-]){re.escape(name)}\s*=\s*(["']).*?\1""", re.DOTALL)
    if pattern.search(tag):
        return pattern.sub(lambda _: f'{name}="{value}"', tag, count=1)
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end].rstrip()} {name}="{value}"{tag[end:]}'


def _remove_attribute(tag: str, name: str) -> str:
    return re.sub(rf"""\s+(?<![\w:.-]){re.escape(name)}\s*=\s*(["']).*?\1""", "", tag, count=1, flags=re.DOTALL)


def stretch_filter(tail: str, prefix: str, last_row: int) -> str:
    """Return a worksheet's ``tail`` (from ``</sheetData>`` on) with its auto-filter (if any) reaching down to
    ``last_row`` (1-based, at least row 2), its columns unchanged."""
    found = re.search(rf"<{re.escape(prefix)}autoFilter\b[^>]*>", tail)
    corners = re.fullmatch(r"([A-Z]+)(\d+):([A-Z]+)(\d+)", (_attribute(found.group(0), "ref") or "") if found else "")
    if found is None or corners is None:
        return tail
    grown = f"{corners.group(1)}{corners.group(2)}:{corners.group(3)}{max(last_row, 2)}"
    return tail[: found.start()] + _set_attribute(found.group(0), "ref", grown) + tail[found.end():]


# -- styles ------------------------------------------------------------------------------------------------------

class StyleBook:
    """The workbook's styles.xml, able to hand out a datetime variant of any cell style (added only if missing)."""

    def __init__(self, xml: str) -> None:
        self.xml = xml
        root = re.search(r"<(\w+:)?styleSheet\b", xml)
        self.prefix = (root.group(1) or "") if root else ""
        block = re.search(rf"(<{self.prefix}cellXfs\b[^>]*>)(.*?)(</{self.prefix}cellXfs>)", xml, re.DOTALL)
        if block is None:
            raise PatchRefused("styles.xml has no cellXfs")
        self.cell_formats_block = block
        element = rf"<{self.prefix}xf\b[^>]*?/>|<{self.prefix}xf\b[^>]*>.*?</{self.prefix}xf>"
        self.cell_formats = re.findall(element, block.group(2), re.DOTALL)
        self.number_format_id, self.number_format_is_new = self._datetime_number_format()
        self.new_number_formats: list[tuple[int, str]] = (
            [(self.number_format_id, DATETIME_FORMAT)] if self.number_format_is_new else [])
        self.added_formats: list[str] = []
        self.variants: dict[int, int] = {}

    @property
    def changed(self) -> bool:
        return bool(self.added_formats)  # a new number format always comes with the cell style using it

    def datetime_style(self, style: int) -> int:
        """Return the index of a cell style like ``style`` but showing ``yyyy-mm-dd hh:mm``."""
        if style not in self.variants:
            self.variants[style] = self._datetime_variant(style)
        return self.variants[style]

    def _datetime_variant(self, style: int) -> int:
        formats = self.cell_formats + self.added_formats
        style = style if style < len(formats) else 0
        base = formats[style]
        start = re.match(r"<[^>]*>", base).group(0)
        if _attribute(start, "numFmtId") == str(self.number_format_id):
            return style
        variant_start = _set_attribute(_set_attribute(start, "numFmtId", str(self.number_format_id)),
                                       "applyNumberFormat", "1")
        variant = variant_start + base[len(start):]
        if variant in formats:
            return formats.index(variant)
        self.added_formats.append(variant)
        return len(formats)

    def format_id_for(self, code: str) -> int:
        """Return the id of the number format ``code`` (e.g. ``0.0%``), added to styles.xml if it is missing."""
        highest = FIRST_CUSTOM_NUMBER_FORMAT - 1
        for tag in re.findall(rf"<{self.prefix}numFmt\b[^>]*>", self.xml):
            identifier = int(_attribute(tag, "numFmtId") or 0)
            highest = max(highest, identifier)
            if _plain_format_code(_attribute(tag, "formatCode") or "") == code:
                return identifier
        for identifier, known in self.new_number_formats:
            highest = max(highest, identifier)
            if known == code:
                return identifier
        self.new_number_formats.append((highest + 1, code))
        return highest + 1

    def _datetime_number_format(self) -> tuple[int, bool]:
        """Return the id of a ``yyyy-mm-dd hh:mm`` number format, and whether it still has to be added."""
        highest = FIRST_CUSTOM_NUMBER_FORMAT - 1
        for tag in re.findall(rf"<{self.prefix}numFmt\b[^>]*>", self.xml):
            identifier = int(_attribute(tag, "numFmtId") or 0)
            highest = max(highest, identifier)
            if _plain_format_code(_attribute(tag, "formatCode") or "") == DATETIME_FORMAT:
                return identifier, False
        return highest + 1, True

    def render(self) -> str:
        """Return styles.xml with the added cell styles (and the datetime number format if it was missing)."""
        block = self.cell_formats_block
        count = len(self.cell_formats) + len(self.added_formats)
        opening = _set_attribute(block.group(1), "count", str(count))
        xml = self.xml[: block.start()] + opening + block.group(2) + "".join(self.added_formats) + block.group(3)
        xml += self.xml[block.end():]
        return self._with_number_format(xml) if self.new_number_formats else xml

    def _with_number_format(self, xml: str) -> str:
        prefix = self.prefix
        entry = "".join(f'<{prefix}numFmt numFmtId="{identifier}" formatCode="{escape(code)}"/>'
                        for identifier, code in self.new_number_formats)
        added = len(self.new_number_formats)
        block = re.search(rf"<{prefix}numFmts\b[^>]*?(/?)>", xml)
        if block is None:
            root = re.search(rf"<{prefix}styleSheet\b[^>]*>", xml)
            return f'{xml[: root.end()]}<{prefix}numFmts count="{added}">{entry}</{prefix}numFmts>{xml[root.end():]}'
        count = len(re.findall(rf"<{prefix}numFmt\b", xml)) + added
        opening = _set_attribute(block.group(0).replace("/>", ">") if block.group(1) else block.group(0), "count",
                                 str(count))
        closing = f"</{prefix}numFmts>"
        if block.group(1):
            return f"{xml[: block.start()]}{opening}{entry}{closing}{xml[block.end():]}"
        end = xml.index(closing, block.end())
        return f"{xml[: block.start()]}{opening}{xml[block.end(): end]}{entry}{xml[end:]}"


def _plain_format_code(code: str) -> str:
    """A number format without its escapes, as people read it (LibreOffice writes ``yyyy\\-mm\\-dd\\ hh:mm``)."""
    return re.sub(r'\\(.)|"', lambda match: match.group(1) or "", unescape(code, {"&quot;": '"'}))


# -- cells -------------------------------------------------------------------------------------------------------

class CellEncoder:
    """Turns a Python value into the XML of one cell, given the cell's reference and current style."""

    def __init__(self, styles: StyleBook | None, epoch: datetime) -> None:
        self.styles = styles
        self.epoch = epoch

    def encode(self, prefix: str, reference: str, style: str | None, value: Cell) -> str:
        """Return the ``<c>`` element for ``value``; an empty string for a blank cell with no style."""
        if isinstance(value, datetime):
            style = str(self._datetime_style(style))
        style_attribute = f' s="{style}"' if style is not None else ""
        opening = f'<{prefix}c r="{reference}"{style_attribute}'
        if value is None:
            return f"{opening}/>" if style is not None else ""
        type_attribute, content = self._content(prefix, value)
        return f"{opening}{type_attribute}>{content}</{prefix}c>"

    def _content(self, prefix: str, value: Cell) -> tuple[str, str]:
        if isinstance(value, str):
            if ILLEGAL_XML_CHARACTERS.search(value):
                raise PatchRefused("text holds characters XML cannot carry")
            text = escape(value).replace("\r", "&#13;")
            return ' t="inlineStr"', f'<{prefix}is><{prefix}t xml:space="preserve">{text}</{prefix}t></{prefix}is>'
        if isinstance(value, bool):
            return ' t="b"', f"<{prefix}v>{int(value)}</{prefix}v>"
        if isinstance(value, datetime):
            return "", f"<{prefix}v>{self._serial(value)!r}</{prefix}v>"
        if isinstance(value, int):
            return "", f"<{prefix}v>{value}</{prefix}v>"
        if isinstance(value, float) and math.isfinite(value):
            return "", f"<{prefix}v>{value!r}</{prefix}v>"
        raise PatchRefused(f"cannot write {value!r} as a cell value")

    def _serial(self, value: datetime) -> float:
        delta = value.replace(tzinfo=None) - self.epoch
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / SECONDS_PER_DAY

    def _datetime_style(self, style: str | None) -> int:
        if self.styles is None:
            raise PatchRefused("the workbook has no styles part to hold a datetime format")
        return self.styles.datetime_style(int(style or 0))


# -- the worksheet -----------------------------------------------------------------------------------------------

class SheetPatcher:
    """Streams one worksheet's XML from a text reader to a text writer, patching the addressed cells."""

    def __init__(self, rows: Mapping[int, Mapping[int, Cell]], encoder: CellEncoder, unless_formula: set[Position]) -> None:
        self.rows = rows
        self.pending_rows = sorted((row for row, cells in rows.items() if cells), reverse=True)  # smallest last
        self.encoder = encoder
        self.unless_formula = unless_formula
        self.calculation_chain = False  # Excel's list of formula cells, which must not name a cell without one
        self.tail: Callable[[str], str] | None = None  # rewrites what follows the rows, from </sheetData> on
        self.prefix = ""
        self.cell_pattern = self.formula_pattern = re.compile("")
        self.column_styles: dict[int, str] = {}  # 0-based column -> the style a new cell there takes

    def run(self, reader: IO[str], writer: IO[str]) -> None:
        """Copy the worksheet from ``reader`` to ``writer`` with the writes applied."""
        chunks = _chunks(reader)
        buffer = self._copy_head(chunks, writer)
        self._copy_rows(buffer, chunks, writer)

    def _copy_head(self, chunks: Iterator[str], writer: IO[str]) -> str:
        """Write everything up to and including ``<sheetData>``; return what was read beyond it."""
        buffer = ""
        for chunk in chunks:
            buffer += chunk
            root = re.search(r"<(\w+:)?worksheet\b", buffer)
            opening = root and re.search(rf"<{root.group(1) or ''}sheetData\b[^>]*?(/?)>", buffer)
            if opening:
                self._use_prefix(root.group(1) or "")
                head = self._with_dimension(buffer[: opening.start()])
                self.column_styles = self._styles_of_columns(head)
                if opening.group(1):  # an empty sheet: <sheetData/>
                    writer.write(f"{head}<{self.prefix}sheetData>")
                    return f"</{self.prefix}sheetData>" + buffer[opening.end():]
                writer.write(head + opening.group(0))
                return buffer[opening.end():]
        raise PatchRefused("the worksheet has no sheetData")

    def _use_prefix(self, prefix: str) -> None:
        """Match the worksheet's own namespace prefix (``x:`` in some programs' files, none in most)."""
        self.prefix = prefix
        escaped = re.escape(prefix)
        # group 1: the cell's start tag up to its end; its content (if any) follows
        self.cell_pattern = re.compile(rf"(<{escaped}c\b[^>]*?)(?:/>|>.*?</{escaped}c\s*>)", re.DOTALL)
        self.formula_pattern = re.compile(rf"<{escaped}f\b[^>]*>")

    def _with_dimension(self, head: str) -> str:
        dimension = re.search(rf"<{self.prefix}dimension\b[^>]*>", head)
        written = [position for position, value in self._positions() if value is not None]
        if dimension is None or not written:
            return head
        reference = _attribute(dimension.group(0), "ref") or "A1"
        corners = [CELL_REFERENCE.fullmatch(part) for part in reference.split(":")]
        if not all(corners):
            return head
        rows = [int(corner.group(2)) - 1 for corner in corners] + [row for row, _ in written]
        columns = [column_index(corner.group(1)) for corner in corners] + [column for _, column in written]
        grown = f"{cell_name(min(columns), min(rows))}:{cell_name(max(columns), max(rows))}"
        return head[: dimension.start()] + _set_attribute(dimension.group(0), "ref", grown) + head[dimension.end():]

    def _positions(self) -> Iterator[tuple[Position, Cell]]:
        for row, cells in self.rows.items():
            for column, value in cells.items():
                yield (row, column), value

    def _copy_rows(self, buffer: str, chunks: Iterator[str], writer: IO[str]) -> None:
        """Write every ``<row>`` (patched where addressed) and the rest of the worksheet."""
        prefix = re.escape(self.prefix)
        row_or_end = re.compile(rf"<{prefix}row\b[^>]*>|</{prefix}sheetData\s*>")
        row_end = f"</{self.prefix}row>"
        position, last_row = 0, -1
        while True:
            match = row_or_end.search(buffer, position)
            end = self._element_end(buffer, match, row_end) if match else -1
            if end == -1:
                more = next(chunks, None)
                if more is None:
                    raise PatchRefused("the worksheet's sheetData does not end")
                buffer, position = buffer[position:] + more, 0
                continue
            writer.write(buffer[position: match.start()])
            if match.group(0).startswith("</") or not self.pending_rows:
                self._write_new_rows(writer, None)
                self._copy_rest(buffer[match.start():], chunks, writer)
                return
            last_row = self._copy_row(buffer[match.start(): end], last_row, writer)
            position = end

    def _copy_rest(self, buffer: str, chunks: Iterator[str], writer: IO[str]) -> None:
        """Nothing left to patch: copy the rest as it is, through ``tail`` from ``</sheetData>`` on if it is set."""
        if self.tail is None:
            writer.write(buffer)
            for chunk in chunks:
                writer.write(chunk)
            return
        end = re.compile(rf"</{re.escape(self.prefix)}sheetData\s*>")
        while (match := end.search(buffer)) is None:
            keep = min(len(buffer), 64)  # an end tag cut in two by the chunking
            writer.write(buffer[: len(buffer) - keep])
            more = next(chunks, None)
            if more is None:
                raise PatchRefused("the worksheet's sheetData does not end")
            buffer = buffer[len(buffer) - keep:] + more
        writer.write(buffer[: match.start()])
        writer.write(self.tail(buffer[match.start():] + "".join(chunks)))

    @staticmethod
    def _element_end(buffer: str, match: re.Match, row_end: str) -> int:
        """Return where the element that ``match`` opens ends in ``buffer``, or -1 if it is not all read yet."""
        if match.group(0).startswith("</") or match.group(0).endswith("/>"):
            return match.end()
        closing = buffer.find(row_end, match.end())
        return closing + len(row_end) if closing != -1 else -1

    def _copy_row(self, text: str, last_row: int, writer: IO[str]) -> int:
        """Write one existing ``<row>`` (patched if addressed) after any new rows before it; return its number."""
        opening = text[: text.index(">") + 1]
        number = ROW_NUMBER.search(opening)
        row = int(number.group(1)) - 1 if number else last_row + 1
        self._write_new_rows(writer, row)
        if self.pending_rows and self.pending_rows[-1] == row:
            self.pending_rows.pop()
            writer.write(self._patched_row(text, opening, row))
        else:
            writer.write(text)
        return row

    def _write_new_rows(self, writer: IO[str], before: int | None) -> None:
        """Write the addressed rows that do not exist, up to (not including) row ``before`` (None: all).

        The row after a new one always carries ``r``: a row without it follows its predecessor with no gap, so no
        new row can come before it.
        """
        while self.pending_rows and (before is None or self.pending_rows[-1] < before):
            row = self.pending_rows.pop()
            cells = "".join(self._new_cell(row, column, value) for column, value in sorted(self.rows[row].items()))
            if cells:
                writer.write(f'<{self.prefix}row r="{row + 1}">{cells}</{self.prefix}row>')

    def _styles_of_columns(self, head: str) -> dict[int, str]:
        """Each column's own style from ``<cols>`` (e.g. wrapped text): a new cell there takes it, as in Excel."""
        styles = {}
        for tag in re.findall(rf"<{re.escape(self.prefix)}col\b[^>]*>", head):
            style, first, last = _attribute(tag, "style"), _attribute(tag, "min"), _attribute(tag, "max")
            if style and style != "0" and first and last and int(last) - int(first) < 16384:
                styles.update(dict.fromkeys(range(int(first) - 1, int(last)), style))
        return styles

    def _new_cell(self, row: int, column: int, value: Cell) -> str:
        return self.encoder.encode(self.prefix, cell_name(column, row), self.column_styles.get(column), value)

    def _patched_row(self, text: str, opening: str, row: int) -> str:
        """Return the ``<row>`` element ``text`` with the writes of ``row`` applied.

        Cells keep their order; a new cell goes before the first with a larger column, or after the last. Once a
        cell was inserted or removed, every later cell carries ``r`` (a cell without it counts from its left).
        """
        start = _remove_attribute(_set_attribute(opening, "r", str(row + 1)), "spans")
        if opening.endswith("/>"):
            start, body = start[:-2].rstrip() + ">", ""
        else:
            body = text[len(opening): len(text) - len(f"</{self.prefix}row>")]
        writes = self.rows[row]
        columns = sorted(writes)
        appended = self._appended_cells(body, row, columns)
        if appended is not None:
            return f"{start}{appended}</{self.prefix}row>"
        pieces: list[str] = []
        next_write, tail, last_end, column, shifted = 0, 0, 0, -1, False
        for match in self.cell_pattern.finditer(body):
            if next_write == len(columns) and not shifted:
                break  # the rest of the row stays as it is
            reference = CELL_COLUMN.search(match.group(1))
            column = column_index(reference.group(1)) if reference else column + 1
            while next_write < len(columns) and columns[next_write] < column:
                new = self._new_cell(row, columns[next_write], writes[columns[next_write]])
                pieces += [body[tail: match.start()], new]
                tail, shifted, next_write = match.start(), shifted or bool(new), next_write + 1
            if next_write < len(columns) and columns[next_write] == column:
                patched = self._patched_cell(match.group(0), match.group(1), row, column, writes[column])
                pieces += [body[tail: match.start()], patched]
                tail, shifted, next_write = match.end(), shifted or not patched, next_write + 1
            elif reference is None and shifted:
                pieces += [body[tail: match.start()], self._numbered(match.group(0), row, column)]
                tail = match.end()
            last_end = match.end()
        late = [self._new_cell(row, column, writes[column]) for column in columns[next_write:]]
        if late:
            pieces += [body[tail:last_end], *late]
            tail = last_end
        pieces.append(body[tail:])
        return f"{start}{''.join(pieces)}</{self.prefix}row>"

    def _appended_cells(self, body: str, row: int, columns: list[int]) -> str | None:
        """Return ``body`` with the new cells after its last one when every write lies right of it (as when a
        cycle fills computed columns the person left empty), without walking the row; else None.
        """
        last = body.rfind(f"<{self.prefix}c ")
        match = self.cell_pattern.match(body, last) if last != -1 else None
        reference = CELL_COLUMN.search(match.group(1)) if match else None
        if reference is None or columns[0] <= column_index(reference.group(1)):
            return None
        if self.cell_pattern.search(body, match.end()):  # a later cell without attributes: walk the row
            return None
        cells = "".join(self._new_cell(row, column, self.rows[row][column]) for column in columns)
        return f"{body[: match.end()]}{cells}{body[match.end():]}"

    def _patched_cell(self, text: str, opening: str, row: int, column: int, value: Cell) -> str:
        """Return the cell ``text`` holding ``value``, or as it is if it keeps its formula."""
        formula = self.formula_pattern.search(text)
        if formula and (row, column) in self.unless_formula:
            return self._numbered(text, row, column)
        if formula and _attribute(formula.group(0), "ref") is not None:
            raise PatchRefused(f"{cell_name(column, row)} holds the master of a shared or array formula")
        if formula and self.calculation_chain:
            raise PatchRefused(f"{cell_name(column, row)} holds a formula listed in the calculation chain")
        return self.encoder.encode(self.prefix, cell_name(column, row), _attribute(opening, "s"), value)

    def _numbered(self, text: str, row: int, column: int) -> str:
        """Return the cell ``text`` with its ``r`` attribute, added if it had none."""
        opening = f"<{self.prefix}c"
        if CELL_COLUMN.search(text[: text.index(">")]):
            return text
        return f'{opening} r="{cell_name(column, row)}"{text[len(opening):]}'


def _chunks(reader: IO[str]) -> Iterator[str]:
    while chunk := reader.read(READ_CHUNK_CHARACTERS):
        yield chunk
