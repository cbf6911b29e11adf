"""Formulas and merged cells on Google Sheets, through gspread's real client against the local fake API.

A formula whose result is empty text (``=IF(A2="","",A2)``) is never blank to the desk: it is read as a formula,
nothing is stamped over it and its row's Check says so. A merge is read with the values (every read), its hidden
cells are never written, and the row's Check says which cell to unmerge, as on an .xlsx.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.backends.gsheets.backend import GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from sync.backends.port import CellWrite, ChangeSet, RowRef
from sync.engine import Desk
from sync.state import StateStore
from tests.sync.backends.gsheets.fake_sheets import FakeSheets, Formula
from tests.sync.conftest import NEW_COMPLAINT, NOW
from tests.sync.hostile_workbooks import template_tabs
from tickets import FormulaCell, match_headers

KEY = "formulas-and-merges"
EMPTY_FORMULA = '=IF(B2="","",B2)'


@pytest.fixture
def fake(monkeypatch):
    with FakeSheets() as server:
        monkeypatch.setenv(EMULATOR_VARIABLE, server.url)
        yield server


def tickets_with(rows: list[dict]) -> dict[str, list[list]]:
    """The template's tabs with these Tickets rows ({header: value})."""
    tabs = template_tabs()
    header = tabs["Tickets"][0]
    tabs["Tickets"] = [header] + [[values.get(text) for text in header] for values in rows]
    return tabs


def cycle_twice(backend: GSheetsBackend, state_dir: Path):
    """Two cycles at the same moment; return both reports."""
    state = StateStore(state_dir)
    try:
        desk = Desk(backend, state)
        return desk.cycle(NOW), desk.cycle(NOW)
    finally:
        state.close()


def cell(spreadsheet, row: int, header: str):
    """The fake's own cell (0-based row) under ``header`` of the Tickets tab."""
    sheet = spreadsheet.sheet("Tickets")
    return sheet.cell(row, sheet.values()[0].index(header))


def test_the_fake_serves_a_formula_as_google_does(fake):
    spreadsheet = fake.create(KEY, tabs={"Tickets": [["Ticket ID", "Notes"], [Formula(EMPTY_FORMULA, ""), "x"]]})
    api = fake.api
    unformatted = api.values_batch_get(KEY, {"ranges": ["Tickets"], "valueRenderOption": ["UNFORMATTED_VALUE"]})
    formulas = api.values_batch_get(KEY, {"ranges": ["Tickets"], "valueRenderOption": ["FORMULA"]})
    grid = api.get(KEY, {"ranges": ["Tickets"], "fields": ["sheets.data.rowData.values(effectiveValue,userEnteredValue)"]})
    assert unformatted["valueRanges"][0]["values"][1] == ["", "x"]
    assert formulas["valueRanges"][0]["values"][1] == [EMPTY_FORMULA, "x"]
    assert grid["sheets"][0]["data"][0]["rowData"][1]["values"][0] == {"userEnteredValue": {"formulaValue": EMPTY_FORMULA}}
    assert spreadsheet.values("Tickets")[1] == [None, "x"]


def test_a_formula_giving_empty_text_is_read_as_a_formula_not_a_blank_cell(fake):
    fake.create(KEY, tabs={"Tickets": [["Ticket ID", "Received", "Notes"],
                                       ["CS-1", Formula(EMPTY_FORMULA, ""), Formula("=1+1", 2)]]})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    for _ in range(2):  # the start-up read with metadata, then the light read
        row = backend.read().sheets["Tickets"].rows[1]
        assert row == ["CS-1", FormulaCell('IF(B2="","",B2)'), 2]


def test_a_stamp_planned_on_a_blank_cell_is_not_written_over_a_formula_typed_meanwhile(fake):
    spreadsheet = fake.create(KEY, tabs={"Tickets": [["Ticket ID", "Received", "Grade"], ["CS-1", None, None]]})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    snapshot = backend.read()
    spreadsheet.person_types("Tickets", 1, 1, Formula(EMPTY_FORMULA, ""))
    changes = ChangeSet("Tickets", columns=match_headers(snapshot.sheets["Tickets"].rows[0]).positions, cells=[
        CellWrite(RowRef(1, "CS-1"), "received", NOW.replace(tzinfo=None)), CellWrite(RowRef(1, "CS-1"), "grade", "P2")])
    backend.apply(changes, snapshot)
    received = spreadsheet.sheet("Tickets").cell(1, 1)
    assert (received.formula, received.value) == (EMPTY_FORMULA, None)
    assert spreadsheet.values("Tickets")[1] == ["CS-1", None, "P2"]


def test_a_desk_never_stamps_over_a_formula_and_says_so_in_check(fake, tmp_path):
    complaint = dict(NEW_COMPLAINT, Status="Acknowledged")
    spreadsheet = fake.create(KEY, tabs=tickets_with([dict(complaint, Received=Formula(EMPTY_FORMULA, "")),
                                                      dict(complaint, **{"First response": Formula(EMPTY_FORMULA, "")})]))
    first, second = cycle_twice(GSheetsBackend(KEY, retry_budget_seconds=2), tmp_path / "state")
    assert cell(spreadsheet, 1, "Received").formula == EMPTY_FORMULA and cell(spreadsheet, 1, "Received").value is None
    assert cell(spreadsheet, 2, "First response").formula == EMPTY_FORMULA
    assert cell(spreadsheet, 2, "First response").value is None
    assert cell(spreadsheet, 2, "Received").value is not None  # the row's blank Received was stamped as usual
    for row in (1, 2):
        assert EMPTY_FORMULA in cell(spreadsheet, row, "Check").value
    assert first.wrote and not second.wrote


def test_the_fake_lists_merges_as_google_does_and_keeps_the_top_left_value(fake):
    spreadsheet = fake.create(KEY, tabs={"Tickets": [["Ticket ID", "Notes"], ["CS-1", "a"], ["CS-2", "b"]]})
    spreadsheet.person_merges("Tickets", 1, 0, 2, 0)
    body = fake.api.get(KEY, {"fields": ["sheets(properties.title,merges)"]})
    assert body["sheets"][0]["merges"] == [{"sheetId": spreadsheet.sheet("Tickets").sheet_id, "startRowIndex": 1,
                                            "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 1}]
    assert spreadsheet.values("Tickets") == [["Ticket ID", "Notes"], ["CS-1", "a"], [None, "b"]]


def test_a_desk_never_writes_under_a_merge_and_says_which_cell_to_unmerge(fake, tmp_path):
    spreadsheet = fake.create(KEY, tabs=tickets_with([NEW_COMPLAINT, NEW_COMPLAINT, NEW_COMPLAINT]))
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    backend.read()  # the desk has read the sheet before the merge: the light read must see it
    spreadsheet.person_merges("Tickets", 1, 0, 2, 0)  # A2:A3, the ID cells of two new rows
    first, second = cycle_twice(backend, tmp_path / "state")
    assert spreadsheet.values("Tickets")[1][0] == "CS-20261123-0001"
    assert cell(spreadsheet, 2, "Ticket ID").value is None  # the hidden cell was never written
    assert spreadsheet.values("Tickets")[3][0] == "CS-20261123-0002"
    assert "Ticket ID: A3 is merged into A2:A3 — unmerge it" in cell(spreadsheet, 2, "Check").value
    assert first.wrote and not second.wrote


def test_a_merge_made_between_the_read_and_the_write_is_not_written_under(fake):
    spreadsheet = fake.create(KEY, tabs={"Tickets": [["Ticket ID", "Customer", "Grade"], ["CS-1", "Zeta", None],
                                                     ["CS-2", "Alpha", None]]})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    snapshot = backend.read()
    spreadsheet.person_merges("Tickets", 1, 2, 2, 2)  # the two Grade cells
    changes = ChangeSet("Tickets", columns=match_headers(snapshot.sheets["Tickets"].rows[0]).positions, cells=[
        CellWrite(RowRef(1, "CS-1"), "grade", "P1"), CellWrite(RowRef(2, "CS-2"), "grade", "P2")])
    backend.apply(changes, snapshot)
    assert spreadsheet.sheet("Tickets").cell(1, 2).value == "P1"
    assert spreadsheet.sheet("Tickets").cell(2, 2).value is None
