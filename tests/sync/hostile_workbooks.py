"""Hostile workbooks for property tests: generated from the column table, so a new column is covered at once.

A workbook is the template's tabs plus a Tickets tab whose header may be shuffled, have an input column
duplicated or renamed, and whose rows are drawn, column by column, from an alphabet a real team produces: error
values, formulas with no saved value, control and invisible characters, huge text, dates in many forms (and in
the future), duplicate and malformed IDs, plus merged cells. ``write_xlsx_workbook`` and ``fake_sheets_tabs``
turn it into a real .xlsx file or a fake Google spreadsheet.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
from hypothesis import strategies as st

from sheets_templates import build_spec
from sync.backends.xlsx.patch import worksheet_member
from tests.sync.backends.gsheets.fake_sheets import Formula
from tickets import (
    COMPUTED_KEYS,
    INPUT_KEYS,
    TICKET_COLUMNS,
    ErrorValue,
    FormulaCell,
    Kind,
    Status,
    match_headers,
)

TEMPLATE_NOW = datetime(2026, 11, 23, 10, 0)
CONTROL = "\x07"
CONTROL_MARK = "\ue000"  # stands for the control character until the .xlsx is written (openpyxl refuses it)
INVISIBLE_TEXTS = ("Core\u200b", "\ufeffCore", "Co\x07re", "Safety\u202e", "Key\u2060")
HUGE = "床" * 33_000
ERRORS = tuple(ErrorValue(text) for text in ("#N/A", "#REF!", "#DIV/0!", "#VALUE!"))
FORMULAS = (FormulaCell("NOW()"), FormulaCell('"CS-"&ROW()'), FormulaCell('IF(A1="","",1)'))
DATE_TEXTS = ("2026-11-20 09:00", "11/03/2026", "11/29/2026 14:00", "20.11.2026", "2026年11月20日 9点",
              "2026/11/20", "yesterday", "2026-12-24", "31/31/2026", "46346.5")
IDS = ("CS-20261123-0001", "CS-20261123-0001", "CS-20261120-0007", "CS-BAD", "cs 7", "=CS-1")
STAMPED = frozenset({"ticket_id", "received", "first_response", "resolved"})


@dataclass
class HostileWorkbook:
    """The template's tabs with a hostile Tickets tab, and the merged ranges on it."""

    tabs: dict[str, list[list]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def tickets(self) -> list[list]:
        return self.tabs["Tickets"]


def template_tabs() -> dict[str, list[list]]:
    spec = build_spec("en", sample=0, now=TEMPLATE_NOW, seed=7)
    return {tab.name: [list(row) for row in tab.rows] for tab in spec.tabs}


def _allowed(tabs: dict[str, list[list]], list_name: str) -> list[str]:
    lists = tabs.get("Lists") or [[]]
    if list_name not in lists[0]:
        return []
    position = lists[0].index(list_name)
    return [row[position] for row in lists[1:] if position < len(row) and row[position]]


def _moments() -> st.SearchStrategy:
    return st.integers(min_value=-60 * 24 * 40, max_value=60 * 24 * 40).map(
        lambda minutes: TEMPLATE_NOW + timedelta(minutes=minutes))


def cell_strategy(kind: Kind, key: str, tabs: dict[str, list[list]]) -> st.SearchStrategy:
    """What a person (or a paste, or a formula) leaves in a cell of a column of this kind."""
    hostile = st.one_of(st.none(), st.sampled_from(ERRORS), st.sampled_from(FORMULAS),
                        st.sampled_from(INVISIBLE_TEXTS), st.just(HUGE), st.just("=1+1"))
    if key == "ticket_id":
        typical = st.one_of(st.none(), st.sampled_from(IDS))
    elif kind is Kind.DATETIME:
        typical = st.one_of(st.none(), _moments(), st.sampled_from(DATE_TEXTS))
    elif kind is Kind.STATUS:
        typical = st.sampled_from([*(status.value for status in Status), "新建", "已解决", "Done?"])
    elif kind is Kind.CHOICE:
        column = next(column for column in TICKET_COLUMNS if column.key == key)
        name = {"tier": "Tier", "category": "Category", "channel": "Channel", "request": "Request"}.get(
            column.choices or key, (column.choices or key).title())
        typical = st.sampled_from(_allowed(tabs, name) or ["Core"]) | st.sampled_from(["Bronze", "core "])
    elif kind is Kind.INTEGER:
        typical = st.sampled_from([1, 3, 7, 11, -2, 3.5, "many", "12"])
    elif kind is Kind.BOOLEAN:
        typical = st.sampled_from(["yes", "no", "是", "否", "maybe", True])
    else:
        typical = st.sampled_from(["Harbour Foods", "Lid cracks", "a\tb\nc", "unreachable twice", "床" * 20])
    return st.one_of(typical, typical, hostile)


@st.composite
def hostile_workbooks(draw, merges: bool = True, formulas: bool = True) -> HostileWorkbook:
    """Draw a workbook: the template, a mutated Tickets header, up to six hostile rows, maybe merged cells."""
    tabs = template_tabs()
    header = list(tabs["Tickets"][0])
    header = draw(st.permutations(header)) if draw(st.booleans()) else header
    inputs = [text for text in header if match_headers([text]).positions.keys() & (set(INPUT_KEYS) - {"ticket_id"})]
    if draw(st.integers(0, 3)) == 0:  # a second, empty column with the header of an input column
        header.insert(draw(st.integers(0, len(header))), draw(st.sampled_from(inputs)))
    if draw(st.integers(0, 3)) == 0:  # a header renamed into something unknown
        position = header.index(draw(st.sampled_from(inputs)))
        header[position] = f"{header[position]} (old)"
    positions = match_headers(header).positions
    kinds = {column.key: column.kind for column in TICKET_COLUMNS}
    rows = [header]
    for _ in range(draw(st.integers(1, 6))):
        row: list = [None] * len(header)
        for key, position in positions.items():
            if key in COMPUTED_KEYS:
                continue
            value = draw(cell_strategy(kinds[key], key, tabs))
            row[position] = value if formulas or not isinstance(value, FormulaCell) else None
        rows.append(row)
    tabs["Tickets"] = rows
    merged = []
    if merges and len(rows) > 2 and draw(st.integers(0, 2)) == 0:
        column = draw(st.integers(0, len(header) - 1))
        first = draw(st.integers(1, len(rows) - 2))
        merged.append((first, column, first + 1, column))
    return HostileWorkbook(tabs, merged)


# -- into real files and fake spreadsheets ---------------------------------------------------------------------


def write_xlsx_workbook(workbook: HostileWorkbook, path: Path) -> Path:
    """Write the workbook as a real .xlsx: errors as error cells, formulas without saved values, merges, and
    control characters encoded as Excel writes them (``_x0007_``)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in workbook.tabs.items():
        sheet = book.create_sheet(name)
        for row_number, row in enumerate(rows, start=1):
            for column_number, value in enumerate(row, start=1):
                if value is not None:
                    _put(sheet.cell(row=row_number, column=column_number), value)
    for first_row, first_column, last_row, last_column in workbook.merged:
        book["Tickets"].merge_cells(start_row=first_row + 1, start_column=first_column + 1,
                                    end_row=last_row + 1, end_column=last_column + 1)
    book.save(path)
    _encode_control_characters(path)
    return path


def _put(cell, value) -> None:
    if isinstance(value, ErrorValue):
        cell.value = str(value)  # openpyxl writes a known error text as an error cell
    elif isinstance(value, FormulaCell):
        cell.value = f"={value.formula}"
    elif isinstance(value, str):
        cell.value = value.replace(CONTROL, CONTROL_MARK)
        if value.startswith("=") or value.startswith("#"):
            cell.data_type = "s"
    else:
        cell.value = value
        if isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"


def _encode_control_characters(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        member = worksheet_member(archive, "Tickets")
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = parts[member].decode("utf-8")
    if CONTROL_MARK not in xml and "&#57344;" not in xml:
        return
    parts[member] = re.sub("\ue000|&#57344;", "_x0007_", xml).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def fake_sheets_tabs(workbook: HostileWorkbook) -> dict[str, list[list]]:
    """The workbook as a Google spreadsheet holds it: an error shows as its text, and a formula is one whose result
    is empty text (Google calculates every formula: a result a desk could mistake for a blank cell is the hostile
    case). Merges are made afterwards by ``merge_fake_sheet``."""
    def plain(value):
        if isinstance(value, ErrorValue):
            return str(value)
        if isinstance(value, FormulaCell):
            return Formula(f"={value.formula}", "")
        return value
    return {name: [[plain(value) for value in row] for row in rows] for name, rows in workbook.tabs.items()}


def merge_fake_sheet(workbook: HostileWorkbook, spreadsheet) -> None:
    """Merge the workbook's merged ranges on the fake spreadsheet's Tickets tab, as a person would."""
    for first_row, first_column, last_row, last_column in workbook.merged:
        spreadsheet.person_merges("Tickets", first_row, first_column, last_row, last_column)
