"""Any workbook, any cell (DESIGN §3): for hostile workbooks generated from the column table, on the memory, xlsx
and gsheets backends, a cycle raises nothing, changes no typed cell except by stamping a blank one, leaves every
row either valid or with a Check message, writes no cell over the limit, never writes Lists, Liaisons or a rule
tab and names a hostile cell or a merge there on the Rule check — and a second cycle at the same moment writes
nothing."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, seed, settings

from sync.backends.gsheets.backend import GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from sync.backends.memory import MemoryBackend
from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk
from sync.state import StateStore
from tests.sync.backends.gsheets.fake_sheets import FakeSheets
from tests.sync.hostile_workbooks import (
    RULE_TABS,
    STAMPED,
    HostileWorkbook,
    fake_sheets_tabs,
    hostile_workbooks,
    merge_fake_sheet,
    write_xlsx_workbook,
)
from tickets import (
    CELL_TEXT_LIMIT,
    COMPUTED_KEYS,
    ErrorValue,
    FormulaCell,
    cell_name,
    invisible_characters,
    is_blank,
    match_headers,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
COMMON = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])


def run_twice(backend, state_dir: Path):
    """Read the workbook, run a cycle, read it again, run a second cycle at the same moment."""
    before = backend.read()
    state = StateStore(state_dir)
    applied = backend.apply
    written: list = []

    def apply(changes, snapshot):  # what the second cycle wrote, to say so when it should have written nothing
        written[:] = [(write.row.index, write.column, write.value) for write in changes.cells] + list(changes.tabs)
        return applied(changes, snapshot)

    backend.apply = apply
    try:
        desk = Desk(backend, state)
        first = desk.cycle(NOW)
        after = backend.read()
        written.clear()
        second = desk.cycle(NOW)
    finally:
        state.close()
    second.written = list(written)
    return before, first, after, second


def assert_the_cycle_held(workbook: HostileWorkbook, before, after, second, first=None) -> None:
    read = before.sheets["Tickets"].rows
    rows = after.sheets["Tickets"].rows
    header = read[0]
    mapping = match_headers(header)
    duplicated = {key for key in mapping.positions if sum(
        1 for text in header if match_headers([text]).positions.keys() == {key}) > 1}
    computed = {position for key, position in match_headers(rows[0]).positions.items() if key in COMPUTED_KEYS}
    stamped = {position for key, position in mapping.positions.items() if key in STAMPED and key not in duplicated}
    assert not second.wrote and second.cells_written == 0, f"a second cycle wrote again: {second.written}"
    for index in range(1, len(read)):
        for position in range(len(header)):
            if position in computed:
                continue
            was, now = _at(read[index], position), _at(rows[index], position)
            if is_blank(was):
                assert is_blank(now) or position in stamped, f"row {index + 1}: a blank cell got {now!r}"
            else:
                assert now == was, f"row {index + 1}, column {position + 1}: {was!r} became {now!r}"
    _assert_rows_explained(workbook, read, rows, mapping.positions, duplicated)
    for name in RULE_TABS:  # the tabs people edit beside Tickets are never written
        assert after.sheets[name].rows == before.sheets[name].rows, f"the {name} tab changed"
    if first is not None:
        _assert_rule_cells_named(workbook, first)
    for row in rows:
        for value in row:
            assert not isinstance(value, str) or len(value) <= CELL_TEXT_LIMIT or value in _typed(read)


def _assert_rows_explained(workbook, read, rows, positions, duplicated) -> None:
    """A row holding an error, a formula without a value or an invisible character in an input cell the desk
    reads has a Check message (unless a merge hides its Check cell)."""
    check = match_headers(rows[0]).positions.get("check")
    covered = {(row, column) for first_row, first_column, last_row, last_column in workbook.merged
               for row in range(first_row, last_row + 1) for column in range(first_column, last_column + 1)}
    for index in range(1, len(read)):
        hostile = [key for key, position in positions.items() if key not in COMPUTED_KEYS and key not in duplicated
                   and (index, position) not in covered and _is_hostile(_at(read[index], position))]
        if hostile and check is not None and (index, check) not in covered:
            assert not is_blank(_at(rows[index], check)), f"row {index + 1} ({hostile}) has no Check message"


def _assert_rule_cells_named(workbook: HostileWorkbook, report) -> None:
    """A hostile cell or a merge on Lists, Liaisons or a rule tab is named on the Rule check, tab and cell."""
    named = {(problem.tab, problem.cell) for problem in report.rule_findings}
    hidden = {(name, row, column) for name, ranges in workbook.rule_merges.items()
              for first_row, first_column, last_row, last_column in ranges
              for row in range(first_row, last_row + 1) for column in range(first_column, last_column + 1)
              if (row, column) != (first_row, first_column)}
    places = [place for place in workbook.rule_cells if place not in hidden]
    places += [(name, first_row, first_column) for name, ranges in workbook.rule_merges.items()
               for first_row, first_column, _, _ in ranges]
    for name, row, column in places:
        assert (name, cell_name(column, row)) in named, f"{name}!{cell_name(column, row)} is not named: {named}"


def _is_hostile(value) -> bool:
    return isinstance(value, ErrorValue | FormulaCell) or (isinstance(value, str) and bool(invisible_characters(value)))


def _typed(rows) -> set:
    return {value for row in rows for value in row if isinstance(value, str)}


def _at(row, position):
    return row[position] if position < len(row) else None


@seed(20261123)
@settings(max_examples=15, **COMMON)
@given(workbook=hostile_workbooks())
def test_any_workbook_on_the_memory_backend(workbook):
    backend = MemoryBackend(tabs=workbook.read_tabs(), merged=workbook.merges())
    with tempfile.TemporaryDirectory() as state_dir:
        before, first, after, second = run_twice(backend, Path(state_dir))
    assert_the_cycle_held(workbook, before, after, second, first)


@seed(20261123)
@settings(max_examples=6, **COMMON)
@given(workbook=hostile_workbooks())
def test_any_workbook_in_a_real_xlsx_file(workbook):
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx_workbook(workbook, Path(folder) / "desk.xlsx")
        before, first, after, second = run_twice(XlsxBackend(path), Path(folder) / "state")
    assert_the_cycle_held(workbook, before, after, second, first)


@pytest.fixture(scope="module")
def sheets():
    with FakeSheets() as server:
        yield server


@seed(20261123)
@settings(max_examples=6, **COMMON)
@given(workbook=hostile_workbooks())
def test_any_workbook_in_a_google_sheet(workbook, sheets, monkeypatch):
    monkeypatch.setenv(EMULATOR_VARIABLE, sheets.url)
    key = f"hostile-{len(sheets.spreadsheets)}"
    merge_fake_sheet(workbook, sheets.create(key, tabs=fake_sheets_tabs(workbook)))
    with tempfile.TemporaryDirectory() as folder:
        before, first, after, second = run_twice(GSheetsBackend(key, retry_budget_seconds=2), Path(folder))
    assert_the_cycle_held(workbook, before, after, second, first)
