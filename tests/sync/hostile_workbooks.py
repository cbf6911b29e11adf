"""Hostile workbooks for property tests: generated from the column table, so a new column is covered at once.

A workbook is the template's tabs plus a Tickets tab whose header may be shuffled, have an input column
duplicated or renamed, and whose rows are drawn, column by column, from an alphabet a real team produces: error
values, formulas with no saved value and formulas with their saved result, control and invisible characters,
huge text, dates in many forms (text, Excel serial numbers, in the future), duplicate and malformed IDs, plus
merged cells (down and across). The tabs people edit beside it — Lists, Liaisons and the rule tabs — may get a
hostile cell of their own and a merge. ``write_xlsx_workbook`` and ``fake_sheets_tabs`` turn it into a real
.xlsx file or a fake Google spreadsheet.
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
# A control character c stands as chr(MARK_BASE + ord(c)) until the .xlsx is written (openpyxl refuses them).
MARK_BASE = 0xE000
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
MARKS = re.compile("[\ue000-\ue01f]|&#(5734[4-9]|573[5-6][0-9]|5737[0-5]);")
INVISIBLE_TEXTS = ("Core\u200b", "\ufeffCore", "Co\x07re", "Safety\u202e", "Key\u2060", "\u00adStandard",
                   "\x1bNew")
HUGE = "床" * 33_000
ERRORS = tuple(ErrorValue(text) for text in ("#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"))
FORMULAS = (FormulaCell("NOW()"), FormulaCell('"CS-"&ROW()'), FormulaCell('IF(A1="","",1)'))
DATE_TEXTS = ("2026-11-20 09:00", "11/03/2026", "11/29/2026 14:00", "20.11.2026", "2026年11月20日 9点",
              "2026/11/20", "yesterday", "2026-12-24", "31/31/2026", "46346.5", "2026-11-20T09:00:00+08:00",
              "Nov 20, 2026", "20/11/26", " 2026-11-20  ", "0", "")
DATE_NUMBERS = (46346.5, 46349, 0, -3, 2_958_466.0)  # Excel serials: a time, a day, the epoch, below and past it
RULE_TABS = ("Lists", "Liaisons", "Grade rules", "Owner rules", "Deadline rules")
NOTE_HEADERS = frozenset({"note", "notes", "备注"})
IDS = ("CS-20261123-0001", "CS-20261123-0001", "CS-20261120-0007", "CS-BAD", "cs 7", "=CS-1")
STAMPED = frozenset({"ticket_id", "received", "first_response", "resolved"})


@dataclass(frozen=True)
class SavedFormula:
    """A formula saved with its result, as Excel and LibreOffice save them: every backend reads the result."""

    formula: str
    result: object


@dataclass
class HostileWorkbook:
    """The template's tabs with a hostile Tickets tab, the merged ranges on it, and on the tabs people edit
    beside it: ``rule_merges`` ({tab: ranges}) and ``rule_cells`` (the (tab, row, column) made hostile)."""

    tabs: dict[str, list[list]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    rule_merges: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    rule_cells: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def tickets(self) -> list[list]:
        return self.tabs["Tickets"]

    def read_tabs(self) -> dict[str, list[list]]:
        """The tabs as any backend reads them: a saved formula as its result."""
        return {name: [[_result(value) for value in row] for row in rows] for name, rows in self.tabs.items()}

    def merges(self) -> dict[str, list[tuple[int, int, int, int]]]:
        return {"Tickets": list(self.merged), **{name: list(ranges) for name, ranges in self.rule_merges.items()}}


def _result(value):
    return value.result if isinstance(value, SavedFormula) else value


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
    typical = _typical(kind, key, tabs)
    hostile = st.one_of(st.none(), st.sampled_from(ERRORS), st.sampled_from(FORMULAS),
                        st.sampled_from(INVISIBLE_TEXTS), st.just(HUGE), st.just("=1+1"),
                        typical.map(_saved_formula))
    return st.one_of(typical, typical, hostile)


def _saved_formula(value):
    """A formula giving ``value``, saved with it (a blank or a date stays as typed)."""
    if value is None or isinstance(value, datetime):
        return value
    return SavedFormula(f'"{value}"' if isinstance(value, str) else str(value), value)


def _typical(kind: Kind, key: str, tabs: dict[str, list[list]]) -> st.SearchStrategy:
    """What a person types in a cell of this column: right, nearly right, or wrong."""
    if key == "ticket_id":
        typical = st.one_of(st.none(), st.sampled_from(IDS))
    elif kind is Kind.DATETIME:
        typical = st.one_of(st.none(), _moments(), st.sampled_from(DATE_TEXTS), st.sampled_from(DATE_NUMBERS))
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
    return typical


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
        merged.append(draw(_merge(len(rows), len(header))))
    workbook = HostileWorkbook(tabs, merged)
    if draw(st.integers(0, 2)) == 0:
        _spoil_rule_tab(draw, workbook, formulas)
    if merges and draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(RULE_TABS))
        merge = draw(_merge(len(tabs[name]), len(tabs[name][0]), header_row=True))
        workbook.rule_merges[name] = [merge]
        _empty_under(tabs[name], merge)
    return workbook


def _empty_under(rows: list[list], merge: tuple[int, int, int, int]) -> None:
    """Empty the cells a merge hides, as Excel and LibreOffice do when cells are merged."""
    first_row, first_column, last_row, last_column = merge
    for row in range(first_row, last_row + 1):
        for column in range(first_column, last_column + 1):
            if (row, column) != (first_row, first_column) and column < len(rows[row]):
                rows[row][column] = None


def _merge(row_count: int, column_count: int, header_row: bool = False) -> st.SearchStrategy:
    """A merged range of two to six cells, down or across (or both), inside the tab's rows and columns."""
    @st.composite
    def draw_merge(draw):
        first_row = draw(st.integers(0 if header_row else 1, row_count - 2))
        first_column = draw(st.integers(0, column_count - 2))
        last_row = first_row + draw(st.integers(0, 1))
        last_column = min(first_column + draw(st.integers(0 if last_row > first_row else 1, 2)), column_count - 1)
        return first_row, first_column, last_row, last_column
    return draw_merge()


def _spoil_rule_tab(draw, workbook: HostileWorkbook, formulas: bool) -> None:
    """Put one hostile value into a cell people edit on Lists, Liaisons or a rule tab (never into a Note)."""
    name = draw(st.sampled_from(RULE_TABS))
    rows = workbook.tabs[name]
    header = rows[0]
    columns = [column for column, text in enumerate(header)
               if text and str(text).strip().casefold() not in NOTE_HEADERS]
    row, column = draw(st.integers(0, len(rows) - 1)), draw(st.sampled_from(columns))
    while len(rows[row]) <= column:
        rows[row].append(None)
    typed = rows[row][column]
    choices = [*ERRORS, *(FORMULAS if formulas else ()), f"{typed or ''}\u200b", f"\ufeff{typed or ''}",
               f"{typed or ''}\u202e"]
    rows[row][column] = draw(st.sampled_from(choices))
    workbook.rule_cells.append((name, row, column))


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
    for name, ranges in workbook.merges().items():
        for first_row, first_column, last_row, last_column in ranges:
            book[name].merge_cells(start_row=first_row + 1, start_column=first_column + 1,
                                   end_row=last_row + 1, end_column=last_column + 1)
    book.save(path)
    _encode_control_characters(path)
    _save_results(workbook, path)
    return path


def _put(cell, value) -> None:
    if isinstance(value, ErrorValue):
        cell.value = str(value)  # openpyxl writes a known error text as an error cell
    elif isinstance(value, FormulaCell):
        cell.value = f"={value.formula}"
    elif isinstance(value, SavedFormula):
        cell.value = f"={value.formula}"  # its result is put in by _save_results
    elif isinstance(value, str):
        cell.value = CONTROLS.sub(lambda match: chr(MARK_BASE + ord(match.group(0))), value)
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
    if not MARKS.search(xml):
        return
    parts[member] = MARKS.sub(lambda match: f"_x{_marked(match.group(0)) - MARK_BASE:04X}_", xml).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def _save_results(workbook: HostileWorkbook, path: Path) -> None:
    """Put the results of saved formulas into the Tickets worksheet, as Excel saves them (openpyxl saves none)."""
    results = {(row, column): value.result for row, values in enumerate(workbook.tickets)
               for column, value in enumerate(values) if isinstance(value, SavedFormula)}
    if not results:
        return
    with zipfile.ZipFile(path) as archive:
        member = worksheet_member(archive, "Tickets")
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = parts[member].decode("utf-8")
    for (row, column), result in results.items():
        reference = f"{openpyxl.utils.get_column_letter(column + 1)}{row + 1}"
        kind, text = _result_xml(result)
        xml = re.sub(rf'<c r="{reference}"([^>]*?)><f>(.*?)</f>(?:<v\s*/>|<v>\s*</v>)?</c>',
                     lambda match, reference=reference, kind=kind, text=text: f'<c r="{reference}"{match.group(1)}{kind}><f>'
                     f"{match.group(2)}</f><v>{text}</v></c>", xml, count=1)
    parts[member] = xml.encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def _result_xml(result) -> tuple[str, str]:
    """A formula result as a worksheet cell saves it: (the type attribute, the value text)."""
    if isinstance(result, bool):
        return ' t="b"', "1" if result else "0"
    if isinstance(result, int | float):
        return "", repr(result)
    text = str(result).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ' t="str"', re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda match: f"_x{ord(match.group(0)):04X}_", text)


def _marked(text: str) -> int:
    return ord(text) if len(text) == 1 else int(text[2:-1])


def fake_sheets_tabs(workbook: HostileWorkbook) -> dict[str, list[list]]:
    """The workbook as a Google spreadsheet holds it: an error shows as its text, and a formula is one whose result
    is empty text (Google calculates every formula: a result a desk could mistake for a blank cell is the hostile
    case), and a saved formula is the formula with its result. Merges are made afterwards by ``merge_fake_sheet``."""
    def plain(value):
        if isinstance(value, ErrorValue):
            return str(value)
        if isinstance(value, FormulaCell):
            return Formula(f"={value.formula}", "")
        if isinstance(value, SavedFormula):
            return Formula(f"={value.formula}", value.result)
        return value
    return {name: [[plain(value) for value in row] for row in rows] for name, rows in workbook.tabs.items()}


def merge_fake_sheet(workbook: HostileWorkbook, spreadsheet) -> None:
    """Merge the workbook's merged ranges on the fake spreadsheet (Tickets and the tabs beside it), as a person
    would."""
    for name, ranges in workbook.merges().items():
        for first_row, first_column, last_row, last_column in ranges:
            spreadsheet.person_merges(name, first_row, first_column, last_row, last_column)
