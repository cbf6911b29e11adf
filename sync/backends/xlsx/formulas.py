"""What a fast value reader misses in a worksheet's XML: error cells and formulas without a saved value, and
formula results an openpyxl save drops.

python-calamine reads an error cell (``#N/A``) and a formula with no saved result as an empty cell. Taking them
for blank would have the daemon stamp over them, or count a rule condition as "any". ``special_cells`` finds them
in the worksheet XML so the backend can read them as ``ErrorValue`` and ``FormulaCell``.

openpyxl keeps people's formulas when it saves, but not their last results: the next read would find every
formula without a value. ``keep_formula_results`` puts the results the file held before the save back into the
saved file, for every formula still standing in the same cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import AnyStr
from xml.sax.saxutils import unescape

from sync.backends.port import Cell
from sync.backends.xlsx.patch import copy_archive, worksheet_member
from tickets import ErrorValue, FormulaCell, column_index

__all__ = ["special_cells", "has_formulas_or_errors", "may_hold_formulas_or_errors", "keep_formula_results",
           "cells_span", "outside_cells"]

FORMULA_OR_ERROR = re.compile(r"""<(?:\w+:)?f[\s>/]|\st\s*=\s*["']e["']""")
CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c\s*>)", re.DOTALL)
FORMULA = re.compile(r"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f\s*>)", re.DOTALL)
VALUE = re.compile(r"<(?:\w+:)?v\s*>(.*?)</(?:\w+:)?v\s*>", re.DOTALL)
EMPTY_VALUE = re.compile(r"<((?:\w+:)?)v\s*/>|<((?:\w+:)?)v\s*>\s*</(?:\w+:)?v\s*>")
REFERENCE = re.compile(r"""(?<![\w:.-])r\s*=\s*["']([A-Z]+)(\d+)["']""")
TYPE = re.compile(r"""(?<![\w:.-])t\s*=\s*["'](\w+)["']""")

Position = tuple[int, int]


# Literal pieces every match of FORMULA_OR_ERROR holds: a formula's start tag begins "<f" or "<prefix:f", an error's
# type attribute ends in a quoted e. ``find`` looks for them many times faster than the pattern can scan a worksheet,
# and real sheets rarely hold them anywhere else among their cells.
FORMULA_MARKS = ("<f", ":f")
ERROR_MARKS = ('"e"', "'e'", "\"e'", "'e\"")
BYTE_MARKS = tuple(mark.encode() for mark in FORMULA_MARKS + ERROR_MARKS)


def has_formulas_or_errors(xml: str) -> bool:
    """Whether a worksheet's cells hold any formula or error at all (a fast test before the scan)."""
    start, end = cells_span(xml) or (0, len(xml))
    return any(_matches_at(xml, start, end, mark, found) for mark, found in _marks(xml, start, end))


def may_hold_formulas_or_errors(data: bytes) -> bool:
    """Whether a worksheet's XML, as stored (UTF-8), may hold a formula or error cell: False means it holds none,
    found without decoding it (most worksheets); True asks ``has_formulas_or_errors`` of the decoded text."""
    start, end = cells_span(data) or (0, len(data))
    return any(data.find(mark, start, end) >= 0 for mark in BYTE_MARKS)


def cells_span(xml: AnyStr) -> tuple[int, int] | None:
    """Where a worksheet's cells are, as (start, end) in its XML (text or UTF-8 bytes): from its sheetData start
    tag to the end of the sheetData end tag. None when it has no sheetData."""
    word = "sheetData" if isinstance(xml, str) else b"sheetData"
    first = xml.find(word)  # type: ignore[arg-type]
    if first < 0:
        return None
    return first, min(xml.rfind(word) + len(word) + 1, len(xml))  # type: ignore[arg-type]


def outside_cells(data: bytes) -> str:
    """A worksheet's XML (UTF-8 bytes) without its cells, as text: what lies before and after sheetData (the
    panes, filter, drop-downs and colour rules), decoded without the rows."""
    span = cells_span(data)
    if span is None:
        return data.decode("utf-8")
    return (data[: span[0]] + data[span[1]:]).decode("utf-8", errors="replace")


def _formula_or_error_starts(xml: str) -> list[int]:
    """Where FORMULA_OR_ERROR matches among the worksheet's cells, in order: found from the literal marks, each
    tried within its own tag (a match never crosses a ``<``), instead of the pattern scanning every character."""
    start, end = cells_span(xml) or (0, len(xml))
    return sorted({position for mark, found in _marks(xml, start, end)
                   for position in _matches_at(xml, start, end, mark, found)})


def _marks(xml: str, start: int, end: int):
    """Yield (mark, position) of every literal mark between ``start`` and ``end``."""
    for mark in FORMULA_MARKS + ERROR_MARKS:
        found = xml.find(mark, start, end)
        while found >= 0:
            yield mark, found
            found = xml.find(mark, found + 1, end)


def _matches_at(xml: str, start: int, end: int, mark: str, found: int) -> list[int]:
    """The starts of FORMULA_OR_ERROR's matches in the tag holding the ``mark`` found at ``found``."""
    tag = xml.rfind("<", start, found + 1)
    window_end = min(found + len(mark) + 1, end)
    return [match.start() for match in FORMULA_OR_ERROR.finditer(xml, max(tag, start), window_end)]


def special_cells(xml: str) -> dict[Position, Cell]:
    """Return {(row, column): ErrorValue | FormulaCell} (0-based) for the cells of a worksheet's XML that hold an
    error, or a formula whose value is missing or empty."""
    found: dict[Position, Cell] = {}
    for position, attributes, content in _formula_or_error_cells(xml):
        kind = _kind(attributes, content)
        if kind is not None:
            found[position] = kind
    return found


def _formula_or_error_cells(xml: str):
    """Yield (position, start-tag attributes, content) of every cell holding a formula or an error."""
    searched_to = 0
    for match_start in _formula_or_error_starts(xml):
        if match_start < searched_to:
            continue
        # the cell's start tag: the "<" before an error type attribute, or before a formula (a cell's first child)
        cell = CELL.match(xml, xml.rfind("<", 0, match_start))
        if cell is None:
            continue
        searched_to = cell.end()
        reference = REFERENCE.search(cell.group(1))
        if reference is not None:
            position = (int(reference.group(2)) - 1, column_index(reference.group(1)))
            yield position, cell.group(1), cell.group(2) or ""


def _kind(attributes: str, content: str) -> Cell:
    cell_type = TYPE.search(attributes)
    value = VALUE.search(content)
    if cell_type is not None and cell_type.group(1) == "e":
        return ErrorValue(unescape(value.group(1)).strip().upper() if value else "#N/A")
    formula = FORMULA.search(content)
    if formula is not None and (value is None or not value.group(1)):
        return FormulaCell(unescape(formula.group(1) or "").strip())
    return None


# -- keeping results through an openpyxl save --------------------------------------------------------------------


def formula_results(xml: str) -> dict[str, tuple[str | None, str]]:
    """Return {cell reference: (type attribute, saved value XML)} of the formula cells that hold a result."""
    results: dict[str, tuple[str | None, str]] = {}
    for _position, attributes, content in _formula_or_error_cells(xml):
        value = VALUE.search(content)
        if FORMULA.search(content) is None or value is None or not value.group(1):
            continue
        reference = REFERENCE.search(attributes)
        cell_type = TYPE.search(attributes)
        results[f"{reference.group(1)}{reference.group(2)}"] = (cell_type.group(1) if cell_type else None,
                                                                value.group(1))
    return results


def keep_formula_results(original: Path, saved: Path) -> None:
    """Put back into ``saved`` (an openpyxl save of ``original``) the formula results ``original`` held, in every
    worksheet, for each cell that still holds a formula and has no result. Nothing is done when ``original``
    held no formula result."""
    with zipfile.ZipFile(original) as before:
        wanted = _results_by_sheet(before)
    if not wanted:
        return
    staged = saved.with_suffix(".results.part")
    with zipfile.ZipFile(saved) as after:
        replacements = {}
        for sheet, results in wanted.items():
            member = worksheet_member(after, sheet)
            if member is None:
                continue
            xml = after.read(member).decode("utf-8")
            patched = _with_results(xml, results)
            if patched != xml:
                replacements[member] = io.BytesIO(patched.encode("utf-8"))
        if not replacements:
            return
        copy_archive(after, staged, replacements)
    staged.replace(saved)


def _results_by_sheet(archive: zipfile.ZipFile) -> dict[str, dict[str, tuple[str | None, str]]]:
    workbook_xml = archive.read("xl/workbook.xml").decode("utf-8")
    names = [unescape(name, {"&quot;": '"', "&apos;": "'"})
             for name in re.findall(r"""<(?:\w+:)?sheet\b[^>]*?\bname\s*=\s*["']([^"']*)["']""", workbook_xml)]
    wanted = {}
    for name in names:
        member = worksheet_member(archive, name)
        if member is None or member not in archive.namelist():
            continue
        xml = archive.read(member).decode("utf-8")
        results = formula_results(xml) if has_formulas_or_errors(xml) else {}
        if results:
            wanted[name] = results
    return wanted


def _with_results(xml: str, results: dict[str, tuple[str | None, str]]) -> str:
    """Return the worksheet ``xml`` with each formula cell named in ``results`` given back its saved result."""

    def restore(match: re.Match) -> str:
        attributes, content = match.group(1), match.group(2)
        reference = REFERENCE.search(attributes)
        if content is None or reference is None or FORMULA.search(content) is None:
            return match.group(0)
        result = results.get(f"{reference.group(1)}{reference.group(2)}")
        value = VALUE.search(content)
        if result is None or (value is not None and value.group(1)):
            return match.group(0)
        cell_type, saved = result
        prefix = match.group(0)[1: match.group(0).index("c")]
        body = EMPTY_VALUE.sub("", content) + f"<{prefix}v>{saved}</{prefix}v>"
        attributes = TYPE.sub("", attributes).rstrip()
        if cell_type is not None:
            attributes += f' t="{cell_type}"'
        return f"<{prefix}c{attributes}>{body}</{prefix}c>"

    return CELL.sub(restore, xml) if has_formulas_or_errors(xml) else xml
