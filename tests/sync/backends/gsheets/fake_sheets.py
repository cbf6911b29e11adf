"""A local fake of the Google Sheets v4 REST API: a real HTTP server on 127.0.0.1, for gspread to talk to.

It is the test double of the outermost edge only (Google's HTTP API), and covers exactly what gspread and the
gsheets backend call:

- ``GET  /v4/spreadsheets/{id}`` with ``includeGridData``, ``ranges`` and a ``fields`` mask;
- ``GET  /v4/spreadsheets/{id}/values:batchGet`` and ``GET/PUT /v4/spreadsheets/{id}/values/{range}``;
- ``POST /v4/spreadsheets/{id}/values:batchUpdate`` (RAW or USER_ENTERED) and ``values:batchClear``;
- ``POST /v4/spreadsheets/{id}:batchUpdate`` with updateCells, repeatCell, appendDimension, addSheet,
  deleteSheet, updateSheetProperties, updateDimensionProperties, addConditionalFormatRule,
  deleteConditionalFormatRule, setDataValidation, setBasicFilter, addChart, deleteEmbeddedObject, mergeCells and
  unmergeCells — atomic, as Google's is: one bad request and nothing is applied.

Values are served as ``UNFORMATTED_VALUE``/``SERIAL_NUMBER`` would be: numbers as JSON numbers, text as strings,
dates as serial numbers. Writes beyond a tab's grid fail as Google's do ("exceeds grid limits").

A formula cell (``Formula`` in ``load``/``person_types``) holds its formula and the result Google would have
calculated (the fake calculates nothing): the values API serves the result (``""`` for an empty one), or the
formula under ``FORMULA``; ``spreadsheets.get`` serves ``userEnteredValue.formulaValue`` beside the
``effectiveValue`` (none for an empty result). Merged ranges are listed as ``sheets[].merges``; merging keeps only
the top-left value, as Google's does, and a value written under a merge is kept but hidden.

For tests it counts read and write requests, answers with errors on demand (``fail_next``), and lets a person
act between the daemon's read and its write (``before_next``, and ``person_*`` helpers on a spreadsheet).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tickets import from_excel_serial, to_excel_serial

__all__ = ["FakeSheets", "FakeSpreadsheet", "FakeSheet", "FakeCell", "FakeApiError", "Formula", "parse_field_mask"]

Value = str | int | float | bool | None
DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
DATE_TIME_FORMAT = {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"}


class FakeApiError(Exception):
    """An error the fake answers with, in Google's JSON error shape."""

    STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
                    500: "INTERNAL", 503: "UNAVAILABLE"}

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.STATUS_NAMES.get(self.code, "UNKNOWN")}}


@dataclass(frozen=True)
class Formula:
    """What a person types to make a formula cell: ``=IF(A2="","",A2)`` and the result Google shows for it."""

    text: str
    result: Value = None


@dataclass(slots=True)
class FakeCell:
    """One cell: its value (effective = entered; the fake evaluates no formulas), formula, format and validation."""

    value: Value = None
    formula: str | None = None
    number_format: dict | None = None
    validation: dict | None = None
    format: dict = field(default_factory=dict)  # other userEnteredFormat parts: backgroundColor, textFormat


@dataclass
class FakeSheet:
    """One tab: a grid of cells (ragged: missing cells are blank) and the objects that live on it."""

    sheet_id: int
    title: str
    index: int
    rows: list[list[FakeCell]] = field(default_factory=list)
    row_count: int = DEFAULT_ROWS
    column_count: int = DEFAULT_COLUMNS
    frozen_rows: int = 0
    frozen_columns: int = 0
    conditional_formats: list[dict] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    basic_filter: dict | None = None
    column_widths: dict[int, int] = field(default_factory=dict)
    merges: list[dict] = field(default_factory=list)  # GridRanges, end indexes exclusive

    def cell(self, row: int, column: int, create: bool = False) -> FakeCell | None:
        if row >= len(self.rows) or column >= len(self.rows[row]):
            if not create:
                return None
            while len(self.rows) <= row:
                self.rows.append([])
            values = self.rows[row]
            values.extend(FakeCell() for _ in range(column + 1 - len(values)))
        return self.rows[row][column]

    def values(self) -> list[list[Value]]:
        """Return the values as plain Python, DATE_TIME-formatted numbers as datetimes, trailing blanks trimmed."""
        table = [[_plain(cell) for cell in row] for row in self.rows]
        for row in table:
            while row and row[-1] is None:
                row.pop()
        while table and not table[-1]:
            table.pop()
        return table

    def properties(self) -> dict[str, Any]:
        grid = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_columns:
            grid["frozenColumnCount"] = self.frozen_columns
        return {"sheetId": self.sheet_id, "title": self.title, "index": self.index, "sheetType": "GRID",
                "gridProperties": grid}


def _plain(cell: FakeCell) -> Value | datetime:
    if isinstance(cell.value, int | float) and not isinstance(cell.value, bool) and _is_datetime(cell.number_format):
        return from_excel_serial(cell.value)
    return cell.value


def _is_datetime(number_format: dict | None) -> bool:
    return bool(number_format) and number_format.get("type") in {"DATE", "DATE_TIME", "TIME"}


@dataclass
class FakeSpreadsheet:
    """A spreadsheet held by the fake; tests read and edit it directly, as a person in the browser would."""

    key: str
    title: str
    sheets: list[FakeSheet] = field(default_factory=list)
    next_id: int = 1000

    def clone(self) -> FakeSpreadsheet:
        """A copy to apply a batch to (so a failing batch changes nothing); cells are copied, their dicts are
        shared because writes replace them rather than edit them."""
        sheets = []
        for sheet in self.sheets:
            twin = copy.copy(sheet)
            twin.rows = [[FakeCell(cell.value, cell.formula, cell.number_format, cell.validation, dict(cell.format))
                          for cell in row] for row in sheet.rows]
            twin.conditional_formats = copy.deepcopy(sheet.conditional_formats)
            twin.charts = copy.deepcopy(sheet.charts)
            twin.column_widths = dict(sheet.column_widths)
            twin.merges = copy.deepcopy(sheet.merges)
            sheets.append(twin)
        return FakeSpreadsheet(self.key, self.title, sheets, self.next_id)

    def sheet(self, title: str) -> FakeSheet:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise FakeApiError(400, f"Unable to parse range: {title}")

    def sheet_by_id(self, sheet_id: int) -> FakeSheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise FakeApiError(400, f"No grid with id: {sheet_id}")

    def add_sheet(self, title: str, sheet_id: int | None = None, rows: int = DEFAULT_ROWS,
                  columns: int = DEFAULT_COLUMNS, index: int | None = None) -> FakeSheet:
        if any(sheet.title == title for sheet in self.sheets):
            raise FakeApiError(400, f'A sheet with the name "{title}" already exists. Please enter another name.')
        if sheet_id is None:
            sheet_id = self.next_id
            self.next_id += 1
        if any(sheet.sheet_id == sheet_id for sheet in self.sheets):
            raise FakeApiError(400, f"A sheet with id {sheet_id} already exists.")
        sheet = FakeSheet(sheet_id, title, len(self.sheets), row_count=rows, column_count=columns)
        self.sheets.insert(len(self.sheets) if index is None else index, sheet)
        self._renumber()
        return sheet

    def move_sheet(self, sheet_id: int, index: int) -> None:
        """Move a tab to ``index`` counted as Google counts it: before the move (to put the first of three tabs
        after the second, the index is 2)."""
        sheet = self.sheet_by_id(sheet_id)
        if not 0 <= index <= len(self.sheets):
            raise FakeApiError(400, f"Invalid index: {index}")
        current = self.sheets.index(sheet)
        self.sheets.remove(sheet)
        self.sheets.insert(index - 1 if index > current else index, sheet)
        self._renumber()

    def delete_sheet(self, sheet_id: int) -> None:
        self.sheets.remove(self.sheet_by_id(sheet_id))
        self._renumber()

    def _renumber(self) -> None:
        for position, sheet in enumerate(self.sheets):
            sheet.index = position

    def load(self, title: str, rows: list[list[Any]]) -> FakeSheet:
        """Put ``rows`` in tab ``title`` (created when absent), as typed values; datetimes get a date format."""
        try:
            sheet = self.sheet(title)
        except FakeApiError:
            sheet = self.add_sheet(title)
        sheet.rows = [[_typed_cell(value) for value in row] for row in rows]
        sheet.row_count = max(sheet.row_count, len(rows) + 1)
        sheet.column_count = max(sheet.column_count, max((len(row) for row in rows), default=0))
        return sheet

    def values(self, title: str) -> list[list[Value | datetime]]:
        return self.sheet(title).values()

    def tabs(self) -> dict[str, list[list[Value | datetime]]]:
        return {sheet.title: sheet.values() for sheet in self.sheets}

    # A person in the browser -------------------------------------------------------------------------------------

    def person_types(self, title: str, row: int, column: int, value: Any) -> None:
        """Type ``value`` into a cell (0-based row and column), keeping the cell's format and validation."""
        sheet = self.sheet(title)
        cell = sheet.cell(row, column, create=True)
        typed = _typed_cell(value)
        cell.value, cell.formula = typed.value, typed.formula
        if typed.number_format is not None:
            cell.number_format = typed.number_format
        sheet.row_count = max(sheet.row_count, row + 1)

    def person_sorts(self, title: str, key_column: int | str, descending: bool = False) -> None:
        """Sort the rows under the header by one column (its position or header text); blanks sort last."""
        sheet = self.sheet(title)
        position = key_column if isinstance(key_column, int) else _header_position(sheet, key_column)
        body = sheet.rows[1:]

        def key(row: list[FakeCell]) -> tuple:
            value = row[position].value if position < len(row) else None
            if value is None or value == "":
                return (2, "")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return (0, value)
            return (1, str(value).casefold())

        filled = [row for row in body if key(row)[0] != 2]
        blank = [row for row in body if key(row)[0] == 2]
        filled.sort(key=key, reverse=descending)
        sheet.rows[1:] = filled + blank

    def person_inserts_row(self, title: str, index: int, values: list[Any]) -> None:
        """Insert a row at ``index`` (0-based; 1 is just under the header) holding ``values``."""
        sheet = self.sheet(title)
        while len(sheet.rows) < index:
            sheet.rows.append([])
        sheet.rows.insert(index, [_typed_cell(value) for value in values])
        sheet.row_count += 1
        for rule in sheet.conditional_formats:
            for grid_range in rule.get("ranges", []):
                _shift_range(grid_range, index)
        for grid_range in sheet.merges:
            _shift_range(grid_range, index)

    def person_deletes_row(self, title: str, index: int) -> None:
        sheet = self.sheet(title)
        del sheet.rows[index]
        sheet.row_count -= 1
        for grid_range in sheet.merges:
            for end in ("startRowIndex", "endRowIndex"):
                if grid_range.get(end, 0) > index:
                    grid_range[end] -= 1
        sheet.merges = [grid_range for grid_range in sheet.merges if _span_cells(grid_range) > 1]

    def person_merges(self, title: str, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        """Merge a block of cells (0-based, inclusive), as Format > Merge cells does: only the top-left value
        stays."""
        sheet = self.sheet(title)
        _merge(sheet, {"sheetId": sheet.sheet_id, "startRowIndex": first_row, "endRowIndex": last_row + 1,
                       "startColumnIndex": first_column, "endColumnIndex": last_column + 1})

    def person_clears_conditional_formats(self, title: str) -> None:
        self.sheet(title).conditional_formats.clear()


def _span_cells(grid_range: dict) -> int:
    return ((grid_range.get("endRowIndex", 1) - grid_range.get("startRowIndex", 0))
            * (grid_range.get("endColumnIndex", 1) - grid_range.get("startColumnIndex", 0)))


def _merge(sheet: FakeSheet, grid_range: dict) -> None:
    """Merge ``grid_range`` (which must not overlap a merge): the top-left cell keeps its value, the rest are
    cleared."""
    rows = range(grid_range["startRowIndex"], grid_range["endRowIndex"])
    columns = range(grid_range["startColumnIndex"], grid_range["endColumnIndex"])
    if _span_cells(grid_range) < 2 or any(_overlaps(grid_range, other) for other in sheet.merges):
        raise FakeApiError(400, "You can't merge a single cell, or cells that overlap a merge.")
    for row in rows:
        for column in columns:
            cell = sheet.cell(row, column)
            if cell is not None and (row, column) != (rows.start, columns.start):
                cell.value, cell.formula = None, None
    sheet.merges.append(dict(grid_range))


def _overlaps(first: dict, second: dict) -> bool:
    return (first["startRowIndex"] < second["endRowIndex"] and second["startRowIndex"] < first["endRowIndex"]
            and first["startColumnIndex"] < second["endColumnIndex"]
            and second["startColumnIndex"] < first["endColumnIndex"])


def _shift_range(grid_range: dict, index: int) -> None:
    if "endRowIndex" in grid_range and grid_range["endRowIndex"] > index:
        grid_range["endRowIndex"] += 1
    if grid_range.get("startRowIndex", 0) > index:
        grid_range["startRowIndex"] += 1


def _header_position(sheet: FakeSheet, header: str) -> int:
    for position, cell in enumerate(sheet.rows[0] if sheet.rows else []):
        if isinstance(cell.value, str) and cell.value.strip().casefold() == header.strip().casefold():
            return position
    raise KeyError(header)


def _typed_cell(value: Any) -> FakeCell:
    if isinstance(value, Formula):
        return FakeCell(None if value.result == "" else value.result,
                        formula=value.text if value.text.startswith("=") else f"={value.text}")
    if isinstance(value, datetime):
        return FakeCell(to_excel_serial(value), number_format=dict(DATE_TIME_FORMAT))
    if value == "":
        return FakeCell()
    return FakeCell(value)


# Ranges ---------------------------------------------------------------------------------------------------------


@dataclass
class GridSpan:
    """A rectangle of one sheet; ``None`` ends are unbounded (to the grid's edge)."""

    sheet: FakeSheet
    start_row: int = 0
    start_column: int = 0
    end_row: int | None = None  # exclusive
    end_column: int | None = None  # exclusive

    def bounded(self) -> tuple[int, int, int, int]:
        end_row = self.sheet.row_count if self.end_row is None else self.end_row
        end_column = self.sheet.column_count if self.end_column is None else self.end_column
        return self.start_row, self.start_column, end_row, end_column

    def check_inside_grid(self) -> None:
        _, _, end_row, end_column = self.bounded()
        if end_row > self.sheet.row_count or end_column > self.sheet.column_count:
            raise FakeApiError(400, f"Range ('{self.sheet.title}'!{_a1(self)}) exceeds grid limits. Max rows: "
                                    f"{self.sheet.row_count}, max columns: {self.sheet.column_count}")


_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def _a1(span: GridSpan) -> str:
    start_row, start_column, end_row, end_column = span.bounded()
    return f"{column_letters(start_column)}{start_row + 1}:{column_letters(max(end_column - 1, 0))}{max(end_row, 1)}"


def parse_range(spreadsheet: FakeSpreadsheet, text: str) -> GridSpan:
    """Parse A1 notation (``'My tab'!A1:C4``, ``Tab!A:C``, ``Tab!2:2``, ``Tab``, ``A1``) into a GridSpan."""
    name, _, cells = _split_sheet(text)
    if name is None:
        if any(sheet.title == cells for sheet in spreadsheet.sheets):
            return GridSpan(spreadsheet.sheet(cells))
        if not spreadsheet.sheets:
            raise FakeApiError(400, f"Unable to parse range: {text}")
        sheet = spreadsheet.sheets[0]
    else:
        sheet = spreadsheet.sheet(name)
    if not cells:
        return GridSpan(sheet)
    first, _, last = cells.partition(":")
    start, end = _cell(first, text), _cell(last or first, text)
    return GridSpan(
        sheet,
        start_row=start[1] or 0,
        start_column=start[0] or 0,
        end_row=None if end[1] is None else end[1] + 1,
        end_column=None if end[0] is None else end[0] + 1,
    )


def _split_sheet(text: str) -> tuple[str | None, str, str]:
    if text.startswith("'"):
        closing = re.match(r"^'((?:[^']|'')*)'(?:!(.*))?$", text)
        if closing is None:
            raise FakeApiError(400, f"Unable to parse range: {text}")
        return closing.group(1).replace("''", "'"), "!", closing.group(2) or ""
    if "!" in text:
        name, _, cells = text.rpartition("!")
        return name, "!", cells
    return None, "", text


def _cell(text: str, whole: str) -> tuple[int | None, int | None]:
    match = _CELL.match(text.strip())
    if match is None or not (match.group(1) or match.group(2)):
        raise FakeApiError(400, f"Unable to parse range: {whole}")
    letters, digits = match.groups()
    return (_column_index(letters) if letters else None, int(digits) - 1 if digits else None)


def grid_span(spreadsheet: FakeSpreadsheet, grid_range: dict) -> GridSpan:
    return GridSpan(
        spreadsheet.sheet_by_id(grid_range.get("sheetId", 0)),
        grid_range.get("startRowIndex", 0),
        grid_range.get("startColumnIndex", 0),
        grid_range.get("endRowIndex"),
        grid_range.get("endColumnIndex"),
    )


# Field masks ----------------------------------------------------------------------------------------------------


def parse_field_mask(mask: str) -> dict[str, dict]:
    """Parse a Google field mask (``a.b,c(d,e.f)``) into a tree; an empty subtree means "everything below"."""
    tree: dict[str, dict] = {}
    position = _parse_mask_list(mask.replace(" ", ""), 0, tree)
    if position != len(mask.replace(" ", "")):
        raise FakeApiError(400, f"Invalid field selection {mask}")
    return tree


def _parse_mask_list(mask: str, position: int, tree: dict) -> int:
    while position < len(mask):
        match = re.compile(r"[A-Za-z_*][A-Za-z0-9_]*(?:\.[A-Za-z_*][A-Za-z0-9_]*)*").match(mask, position)
        if match is None:
            raise FakeApiError(400, f"Invalid field selection {mask}")
        node = tree
        for name in match.group(0).split("."):
            node = node.setdefault(name, {})
        position = match.end()
        if position < len(mask) and mask[position] == "(":
            position = _parse_mask_list(mask, position + 1, node)
            if position >= len(mask) or mask[position] != ")":
                raise FakeApiError(400, f"Invalid field selection {mask}")
            position += 1
        if position < len(mask) and mask[position] == ",":
            position += 1
            continue
        break
    return position


def apply_field_mask(value: Any, tree: dict) -> Any:
    if not tree or "*" in tree:
        return value
    if isinstance(value, list):
        return [apply_field_mask(item, tree) for item in value]
    if isinstance(value, dict):
        masked = {key: apply_field_mask(value[key], subtree) for key, subtree in tree.items() if key in value}
        return {key: part for key, part in masked.items() if part != {} or value[key] == {}}
    return value


def _mask_wants(tree: dict | None, *path: str) -> bool:
    node = tree
    for name in path:
        if node is None or not node or "*" in node:
            return True
        if name not in node:
            return False
        node = node[name]
    return True


# The API --------------------------------------------------------------------------------------------------------


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _extended_value(cell: FakeCell, entered: bool) -> dict | None:
    if entered and cell.formula is not None:
        return {"formulaValue": cell.formula}
    value = cell.value
    if value is None:
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": _json_number(value)}
    return {"stringValue": value}


def _cell_from_extended(extended: dict | None) -> tuple[Value, str | None]:
    if not extended:
        return None, None
    if "formulaValue" in extended:
        return None, extended["formulaValue"]
    for kind in ("stringValue", "numberValue", "boolValue"):
        if kind in extended:
            return extended[kind], None
    if "errorValue" in extended:
        raise FakeApiError(400, "errorValue cannot be entered")
    return None, None


class SheetsApi:
    """The request handlers, over a dict of spreadsheets; every method returns the JSON body to answer with."""

    def __init__(self, spreadsheets: dict[str, FakeSpreadsheet]) -> None:
        self.spreadsheets = spreadsheets

    def spreadsheet(self, key: str) -> FakeSpreadsheet:
        if key not in self.spreadsheets:
            raise FakeApiError(404, "Requested entity was not found.")
        return self.spreadsheets[key]

    # spreadsheets.get

    def get(self, key: str, query: dict[str, list[str]]) -> dict:
        spreadsheet = self.spreadsheet(key)
        mask = parse_field_mask(query["fields"][0]) if "fields" in query else None
        with_data = _mask_wants(mask, "sheets", "data") if mask is not None else (
            query.get("includeGridData", ["false"])[0].lower() == "true")
        spans = [parse_range(spreadsheet, text) for text in query.get("ranges", [])]
        body = self.describe(spreadsheet, spans, with_data)
        return apply_field_mask(body, mask) if mask is not None else body

    def describe(self, spreadsheet: FakeSpreadsheet, spans: list[GridSpan] | None = None, with_data: bool = False) -> dict:
        sheets = []
        for sheet in spreadsheet.sheets:
            mine = [span for span in spans or [] if span.sheet is sheet]
            if spans and not mine:
                continue
            entry: dict[str, Any] = {"properties": sheet.properties()}
            if sheet.conditional_formats:
                entry["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
            if sheet.charts:
                entry["charts"] = copy.deepcopy(sheet.charts)
            if sheet.basic_filter:
                entry["basicFilter"] = copy.deepcopy(sheet.basic_filter)
            if sheet.merges:
                entry["merges"] = copy.deepcopy(sheet.merges)
            if with_data:
                entry["data"] = [self._grid_data(span) for span in (mine or [GridSpan(sheet)])]
            sheets.append(entry)
        return {
            "spreadsheetId": spreadsheet.key,
            "properties": {"title": spreadsheet.title, "locale": "en_US", "timeZone": "Etc/GMT",
                           "autoRecalc": "ON_CHANGE"},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet.key}/edit",
        }

    def _grid_data(self, span: GridSpan) -> dict:
        start_row, start_column, end_row, end_column = span.bounded()
        rows = []
        for row in range(start_row, min(end_row, len(span.sheet.rows))):
            values = []
            for column in range(start_column, min(end_column, len(span.sheet.rows[row]))):
                values.append(self._cell_data(span.sheet.rows[row][column]))
            while values and not values[-1]:
                values.pop()
            rows.append({"values": values} if values else {})
        while rows and not rows[-1]:
            rows.pop()
        return {"startRow": start_row, "startColumn": start_column, "rowData": rows}

    def _cell_data(self, cell: FakeCell) -> dict:
        data: dict[str, Any] = {}
        entered = _extended_value(cell, entered=True)
        if entered is not None:
            data["userEnteredValue"] = entered
        effective = _extended_value(cell, entered=False)
        if effective is not None:
            data["effectiveValue"] = effective
        if cell.validation is not None:
            data["dataValidation"] = copy.deepcopy(cell.validation)
        user_format = dict(cell.format)
        if cell.number_format is not None:
            user_format["numberFormat"] = dict(cell.number_format)
        if user_format:
            data["userEnteredFormat"] = user_format
        return data

    # values

    def values_get(self, key: str, text: str, query: dict[str, list[str]]) -> dict:
        spreadsheet = self.spreadsheet(key)
        return self._value_range(parse_range(spreadsheet, text), query)

    def values_batch_get(self, key: str, query: dict[str, list[str]]) -> dict:
        spreadsheet = self.spreadsheet(key)
        spans = [parse_range(spreadsheet, text) for text in query.get("ranges", [])]
        return {"spreadsheetId": key, "valueRanges": [self._value_range(span, query) for span in spans]}

    def _value_range(self, span: GridSpan, query: dict[str, list[str]]) -> dict:
        span.check_inside_grid()
        render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
        start_row, start_column, end_row, end_column = span.bounded()
        rows: list[list[Any]] = []
        for row in range(start_row, min(end_row, len(span.sheet.rows))):
            cells = span.sheet.rows[row][start_column:end_column]
            values = [self._rendered(cell, render) for cell in cells]
            while values and values[-1] == "":
                values.pop()
            rows.append(values)
        while rows and not rows[-1]:
            rows.pop()
        body: dict[str, Any] = {"range": f"'{span.sheet.title}'!{_a1(span)}", "majorDimension": "ROWS"}
        if rows:
            body["values"] = rows
        return body

    def _rendered(self, cell: FakeCell, render: str) -> Any:
        if render == "FORMULA" and cell.formula is not None:
            return cell.formula
        if cell.value is None:
            return ""
        if render == "FORMATTED_VALUE":
            if isinstance(cell.value, bool):
                return "TRUE" if cell.value else "FALSE"
            if isinstance(cell.value, int | float) and _is_datetime(cell.number_format):
                return from_excel_serial(cell.value).strftime("%Y-%m-%d %H:%M")
            return str(_json_number(cell.value))
        return _json_number(cell.value)

    def values_update(self, key: str, text: str, query: dict[str, list[str]], body: dict) -> dict:
        spreadsheet = self.spreadsheet(key)
        option = query.get("valueInputOption", [None])[0]
        return self._write_values(spreadsheet, text, body.get("values", []), option)

    def values_batch_update(self, key: str, body: dict) -> dict:
        spreadsheet = self.spreadsheet(key)
        option = body.get("valueInputOption")
        trial = spreadsheet.clone()
        responses = [self._write_values(trial, item["range"], item.get("values", []), option) for item in body.get("data", [])]
        spreadsheet.sheets = trial.sheets
        return {"spreadsheetId": key, "totalUpdatedCells": sum(r["updatedCells"] for r in responses), "responses": responses}

    def _write_values(self, spreadsheet: FakeSpreadsheet, text: str, values: list[list[Any]], option: str | None) -> dict:
        if option not in {"RAW", "USER_ENTERED"}:
            raise FakeApiError(400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
        span = parse_range(spreadsheet, text)
        GridSpan(span.sheet, span.start_row, span.start_column, span.start_row + len(values),
                 span.start_column + max((len(row) for row in values), default=0)).check_inside_grid()
        updated = 0
        for row_offset, row in enumerate(values):
            for column_offset, value in enumerate(row):
                if value is None:  # JSON null leaves the cell as it is
                    continue
                cell = span.sheet.cell(span.start_row + row_offset, span.start_column + column_offset, create=True)
                cell.value, cell.formula = _entered(value, option)
                updated += 1
        return {"spreadsheetId": spreadsheet.key, "updatedRange": text, "updatedCells": updated}

    def values_batch_clear(self, key: str, body: dict) -> dict:
        spreadsheet = self.spreadsheet(key)
        for text in body.get("ranges", []):
            self._clear(parse_range(spreadsheet, text))
        return {"spreadsheetId": key, "clearedRanges": body.get("ranges", [])}

    def _clear(self, span: GridSpan) -> None:
        start_row, start_column, end_row, end_column = span.bounded()
        for row in range(start_row, min(end_row, len(span.sheet.rows))):
            for cell in span.sheet.rows[row][start_column:end_column]:
                cell.value, cell.formula = None, None

    # spreadsheets.batchUpdate

    def batch_update(self, key: str, body: dict, query: dict[str, list[str]]) -> dict:
        spreadsheet = self.spreadsheet(key)
        trial = spreadsheet.clone()
        replies = []
        for number, request in enumerate(body.get("requests", [])):
            if len(request) != 1:
                raise FakeApiError(400, f"Invalid requests[{number}]: exactly one kind of request expected")
            (kind, arguments), = request.items()
            handler = getattr(self, f"_do_{kind}", None)
            if handler is None:
                raise FakeApiError(400, f"Invalid requests[{number}]: the fake does not know {kind}")
            try:
                replies.append(handler(trial, arguments) or {})
            except FakeApiError as error:
                raise FakeApiError(error.code, f"Invalid requests[{number}].{kind}: {error.message}") from None
        spreadsheet.sheets, spreadsheet.next_id = trial.sheets, trial.next_id
        response: dict[str, Any] = {"spreadsheetId": key, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            response["updatedSpreadsheet"] = self.describe(spreadsheet, with_data=bool(body.get("responseIncludeGridData")))
        return apply_field_mask(response, parse_field_mask(query["fields"][0])) if "fields" in query else response

    def _do_updateCells(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        fields = _field_set(arguments.get("fields", ""))
        rows = arguments.get("rows", [])
        if "start" in arguments:
            start = arguments["start"]
            width = max((len(row.get("values", [])) for row in rows), default=0)
            span = GridSpan(spreadsheet.sheet_by_id(start.get("sheetId", 0)), start.get("rowIndex", 0),
                            start.get("columnIndex", 0), start.get("rowIndex", 0) + len(rows),
                            start.get("columnIndex", 0) + width)
        else:
            span = grid_span(spreadsheet, arguments["range"])
        span.check_inside_grid()
        start_row, start_column, end_row, end_column = span.bounded()
        for row in range(start_row, end_row):
            data_row = rows[row - start_row].get("values", []) if row - start_row < len(rows) else []
            for column in range(start_column, end_column):
                data = data_row[column - start_column] if column - start_column < len(data_row) else {}
                existing = span.sheet.cell(row, column)
                if existing is None and not data:
                    continue
                _set_cell(span.sheet.cell(row, column, create=True), data, fields)

    def _do_repeatCell(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        span = grid_span(spreadsheet, arguments["range"])
        span.check_inside_grid()
        fields = _field_set(arguments.get("fields", ""))
        start_row, start_column, end_row, end_column = span.bounded()
        for row in range(start_row, end_row):
            for column in range(start_column, end_column):
                _set_cell(span.sheet.cell(row, column, create=True), arguments.get("cell", {}), fields)

    def _do_appendDimension(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        sheet = spreadsheet.sheet_by_id(arguments.get("sheetId", 0))
        if arguments.get("dimension") == "ROWS":
            sheet.row_count += arguments["length"]
        elif arguments.get("dimension") == "COLUMNS":
            sheet.column_count += arguments["length"]
        else:
            raise FakeApiError(400, "dimension must be ROWS or COLUMNS")

    def _do_addSheet(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> dict:
        properties = arguments.get("properties", {})
        grid = properties.get("gridProperties", {})
        title = properties.get("title") or f"Sheet{len(spreadsheet.sheets) + 1}"
        sheet = spreadsheet.add_sheet(title, properties.get("sheetId"), grid.get("rowCount", DEFAULT_ROWS),
                                      grid.get("columnCount", DEFAULT_COLUMNS), properties.get("index"))
        sheet.frozen_rows = grid.get("frozenRowCount", 0)
        sheet.frozen_columns = grid.get("frozenColumnCount", 0)
        return {"addSheet": {"properties": sheet.properties()}}

    def _do_deleteSheet(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        if len(spreadsheet.sheets) == 1:
            raise FakeApiError(400, "You can't remove all the sheets in a document.")
        spreadsheet.delete_sheet(arguments["sheetId"])

    def _do_updateSheetProperties(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        properties = arguments.get("properties", {})
        sheet = spreadsheet.sheet_by_id(properties.get("sheetId", 0))
        fields = _field_set(arguments.get("fields", ""))
        grid = properties.get("gridProperties", {})
        if "title" in fields:
            sheet.title = properties["title"]
        if "index" in fields:
            spreadsheet.move_sheet(sheet.sheet_id, properties["index"])
        if fields & {"gridProperties", "gridProperties.rowCount"}:
            sheet.row_count = grid.get("rowCount", sheet.row_count)
        if fields & {"gridProperties", "gridProperties.columnCount"}:
            sheet.column_count = grid.get("columnCount", sheet.column_count)
        if fields & {"gridProperties", "gridProperties.frozenRowCount"}:
            sheet.frozen_rows = grid.get("frozenRowCount", 0)
        if fields & {"gridProperties", "gridProperties.frozenColumnCount"}:
            sheet.frozen_columns = grid.get("frozenColumnCount", 0)

    def _do_updateDimensionProperties(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        dimension_range = arguments["range"]
        sheet = spreadsheet.sheet_by_id(dimension_range.get("sheetId", 0))
        if dimension_range.get("dimension") != "COLUMNS":
            return
        if dimension_range.get("endIndex", 0) > sheet.column_count:
            raise FakeApiError(400, "column index exceeds grid limits")
        for column in range(dimension_range.get("startIndex", 0), dimension_range["endIndex"]):
            sheet.column_widths[column] = arguments.get("properties", {}).get("pixelSize", 100)

    def _do_addConditionalFormatRule(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        rule = copy.deepcopy(arguments["rule"])
        ranges = rule.get("ranges") or []
        if not ranges:
            raise FakeApiError(400, "a conditional format rule needs ranges")
        sheet = spreadsheet.sheet_by_id(ranges[0].get("sheetId", 0))
        condition = rule.get("booleanRule", {}).get("condition", {})
        if condition.get("type") == "CUSTOM_FORMULA" and not str(condition.get("values", [{}])[0].get("userEnteredValue", "")).startswith("="):
            raise FakeApiError(400, "Invalid ConditionalFormatRule: formula must start with =")
        index = arguments.get("index", 0)
        sheet.conditional_formats.insert(index, rule)

    def _do_deleteConditionalFormatRule(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        sheet = spreadsheet.sheet_by_id(arguments.get("sheetId", 0))
        index = arguments.get("index", 0)
        if index >= len(sheet.conditional_formats):
            raise FakeApiError(400, f"No conditional format on sheet {sheet.sheet_id} at index {index}")
        del sheet.conditional_formats[index]

    def _do_setDataValidation(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        span = grid_span(spreadsheet, arguments["range"])
        span.check_inside_grid()
        start_row, start_column, end_row, end_column = span.bounded()
        for row in range(start_row, end_row):
            for column in range(start_column, end_column):
                cell = span.sheet.cell(row, column, create="rule" in arguments)
                if cell is not None:
                    cell.validation = copy.deepcopy(arguments.get("rule"))

    def _do_setBasicFilter(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        grid_range = arguments["filter"]["range"]
        spreadsheet.sheet_by_id(grid_range.get("sheetId", 0)).basic_filter = copy.deepcopy(arguments["filter"])

    def _do_addChart(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> dict:
        chart = copy.deepcopy(arguments["chart"])
        anchor = chart.get("position", {}).get("overlayPosition", {}).get("anchorCell", {})
        sheet = spreadsheet.sheet_by_id(anchor.get("sheetId", 0))
        if "chartId" not in chart:
            chart["chartId"] = spreadsheet.next_id
            spreadsheet.next_id += 1
        if not chart.get("spec", {}).get("basicChart", {}).get("series"):
            raise FakeApiError(400, "a basic chart needs at least one series")
        sheet.charts.append(chart)
        return {"addChart": {"chart": chart}}

    def _do_mergeCells(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        grid_range = dict(arguments["range"])
        span = grid_span(spreadsheet, grid_range)
        span.check_inside_grid()
        start_row, start_column, end_row, end_column = span.bounded()
        _merge(span.sheet, {"sheetId": span.sheet.sheet_id, "startRowIndex": start_row, "endRowIndex": end_row,
                            "startColumnIndex": start_column, "endColumnIndex": end_column})

    def _do_unmergeCells(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        grid_range = arguments["range"]
        sheet = grid_span(spreadsheet, grid_range).sheet
        bounds = {"startRowIndex": grid_range.get("startRowIndex", 0), "endRowIndex": grid_range.get("endRowIndex", sheet.row_count),
                  "startColumnIndex": grid_range.get("startColumnIndex", 0),
                  "endColumnIndex": grid_range.get("endColumnIndex", sheet.column_count)}
        sheet.merges = [merge for merge in sheet.merges if not _overlaps(merge, bounds)]

    def _do_deleteEmbeddedObject(self, spreadsheet: FakeSpreadsheet, arguments: dict) -> None:
        for sheet in spreadsheet.sheets:
            for chart in sheet.charts:
                if chart.get("chartId") == arguments["objectId"]:
                    sheet.charts.remove(chart)
                    return
        raise FakeApiError(400, f"No object with id {arguments['objectId']}")


def _field_set(fields: str) -> set[str]:
    names: set[str] = set()

    def walk(tree: dict, prefix: str) -> None:
        for name, subtree in tree.items():
            path = f"{prefix}{name}"
            names.add(path)
            walk(subtree, f"{path}.")

    walk(parse_field_mask(fields) if fields else {}, "")
    return names


def _set_cell(cell: FakeCell, data: dict, fields: set[str]) -> None:
    everything = "*" in fields
    if everything or "userEnteredValue" in fields:
        cell.value, cell.formula = _cell_from_extended(data.get("userEnteredValue"))
    user_format = data.get("userEnteredFormat", {})
    # A mask naming parts of the format ("userEnteredFormat.wrapStrategy") leaves its other parts alone.
    whole_format = "userEnteredFormat" in fields and not any(name.startswith("userEnteredFormat.") for name in fields)
    if everything or whole_format or "userEnteredFormat.numberFormat" in fields:
        cell.number_format = copy.deepcopy(user_format.get("numberFormat"))
    for part in ("backgroundColor", "textFormat", "horizontalAlignment", "verticalAlignment", "wrapStrategy"):
        if everything or whole_format or f"userEnteredFormat.{part}" in fields or any(
                name.startswith(f"userEnteredFormat.{part}.") for name in fields):
            if part in user_format:
                cell.format[part] = copy.deepcopy(user_format[part])
            else:
                cell.format.pop(part, None)
    if everything or "dataValidation" in fields:
        cell.validation = copy.deepcopy(data.get("dataValidation"))


def _entered(value: Any, option: str | None) -> tuple[Value, str | None]:
    if option == "RAW" or not isinstance(value, str):
        return (None if value == "" else value), None
    if value.startswith("="):
        return None, value
    if value.upper() in {"TRUE", "FALSE"}:
        return value.upper() == "TRUE", None
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        return (value or None), None
    return (int(number) if number.is_integer() else number), None


# The server -----------------------------------------------------------------------------------------------------

_ROUTES: list[tuple[str, re.Pattern[str]]] = [
    ("values_batch_get", re.compile(r"^/v4/spreadsheets/([^/]+)/values:batchGet$")),
    ("values_batch_update", re.compile(r"^/v4/spreadsheets/([^/]+)/values:batchUpdate$")),
    ("values_batch_clear", re.compile(r"^/v4/spreadsheets/([^/]+)/values:batchClear$")),
    ("values", re.compile(r"^/v4/spreadsheets/([^/]+)/values/(.+)$")),
    ("batch_update", re.compile(r"^/v4/spreadsheets/([^/:]+):batchUpdate$")),
    ("get", re.compile(r"^/v4/spreadsheets/([^/:]+)$")),
]
READ_ROUTES = frozenset({"get", "values_batch_get", "values_get"})


@dataclass
class Failure:
    status: int
    retry_after: str | None


class FakeSheets:
    """The fake Sheets API server. Use as a context manager, or ``start()`` and ``stop()``.

    ``reads`` and ``writes`` count requests served (injected failures are counted in ``failed``); ``log`` holds
    ``(method, route, path)`` of every request answered, failures included, and ``fields`` the field mask each
    asked for ("" for none), in the same order.
    """

    def __init__(self) -> None:
        self.spreadsheets: dict[str, FakeSpreadsheet] = {}
        self.api = SheetsApi(self.spreadsheets)
        self.reads = 0
        self.writes = 0
        self.failed = 0
        self.log: list[tuple[str, str, str]] = []
        self.fields: list[str] = []
        self.lock = threading.RLock()
        self._failures: list[Failure] = []
        self._hooks: list[tuple[str, Callable[[FakeSheets], None]]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeSheets:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="fake-sheets", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSheets:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def create(self, key: str, title: str = "Complaint desk", tabs: dict[str, list[list[Any]]] | None = None) -> FakeSpreadsheet:
        """Create a spreadsheet holding ``tabs`` (a new one has one empty tab, "Sheet1", as Google's has)."""
        spreadsheet = FakeSpreadsheet(key, title)
        for name, rows in (tabs or {"Sheet1": []}).items():
            spreadsheet.load(name, rows)
        self.spreadsheets[key] = spreadsheet
        return spreadsheet

    def fail_next(self, count: int, status: int = 429, retry_after: str | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` (and a ``Retry-After`` header when given)."""
        with self.lock:
            self._failures.extend(Failure(status, retry_after) for _ in range(count))

    def before_next(self, kind: str, action: Callable[[FakeSheets], None]) -> None:
        """Run ``action`` once, just before serving the next ``kind`` ("read" or "write") request."""
        if kind not in {"read", "write"}:
            raise ValueError(f"kind must be 'read' or 'write', not {kind!r}")
        with self.lock:
            self._hooks.append((kind, action))

    def reset_counts(self) -> None:
        with self.lock:
            self.reads = self.writes = self.failed = 0
            self.log.clear()
            self.fields.clear()

    def handle(self, method: str, raw_path: str, body: bytes) -> tuple[int, dict, dict[str, str]]:
        """Answer one request: return ``(status, JSON body, extra headers)``."""
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        route, arguments = _route(method, parts.path)
        with self.lock:
            self.log.append((method, route, parts.path))
            self.fields.append(query.get("fields", [""])[0])
            if self._failures:
                failure = self._failures.pop(0)
                self.failed += 1
                headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
                return failure.status, FakeApiError(failure.status, "injected failure").body(), headers
            kind = "read" if route in READ_ROUTES else "write"
            self._run_hooks(kind)
            try:
                answer = self._dispatch(route, arguments, query, json.loads(body) if body else {})
            except FakeApiError as error:
                return error.code, error.body(), {}
            if kind == "read":
                self.reads += 1
            else:
                self.writes += 1
            return 200, answer, {}

    def _run_hooks(self, kind: str) -> None:
        for hook in list(self._hooks):
            if hook[0] == kind:
                self._hooks.remove(hook)
                hook[1](self)
                return

    def _dispatch(self, route: str, arguments: list[str], query: dict[str, list[str]], body: dict) -> dict:
        key = arguments[0] if arguments else ""
        if route == "get":
            return self.api.get(key, query)
        if route == "values_batch_get":
            return self.api.values_batch_get(key, query)
        if route == "values_get":
            return self.api.values_get(key, unquote(arguments[1]), query)
        if route == "values_update":
            return self.api.values_update(key, unquote(arguments[1]), query, body)
        if route == "values_batch_update":
            return self.api.values_batch_update(key, body)
        if route == "values_batch_clear":
            return self.api.values_batch_clear(key, body)
        if route == "batch_update":
            return self.api.batch_update(key, body, query)
        raise FakeApiError(404, f"The fake Sheets API has no {route}")


def _route(method: str, path: str) -> tuple[str, list[str]]:
    for name, pattern in _ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        if name == "values":
            name = {"GET": "values_get", "PUT": "values_update"}.get(method, "unknown")
        return name, list(match.groups())
    return "unknown", []


def _handler_for(fake: FakeSheets) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # small header and body writes would otherwise wait ~40 ms for an ACK
        wbufsize = 1 << 16

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, answer, headers = fake.handle(self.command, self.path, body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:  # the tests' output stays quiet
            pass

    return Handler
