"""A person moving rows at the worst moment — after the backend's re-read, just before its write — loses nothing:
the write is read back, and rows it landed on by mistake are put back and the intended rows written, in the same
cycle."""

from __future__ import annotations

from datetime import datetime

import pytest

from sync.backends.gsheets.backend import GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from sync.backends.port import CellWrite, ChangeSet, RowRef
from tests.sync.backends.gsheets.fake_sheets import FakeSheets
from tests.sync.backends.gsheets.test_gsheets import HEADER
from tickets import match_headers

KEY = "moving-rows"
STAMP = datetime(2026, 11, 23, 10, 0)


def row(**cells) -> list:
    values = [None] * len(HEADER)
    for header, value in cells.items():
        values[HEADER.index(header.replace("_", " "))] = value
    return values


def tickets() -> list[list]:
    """Two named tickets around two new rows (no ID yet), one ticket Resolved without a Resolved time."""
    return [
        list(HEADER),
        row(Ticket_ID="CS-1", Customer="Zeta", Status="New", Notes="typed by a person"),
        row(Customer="Alpha", Status="New", Description="new one"),
        row(Ticket_ID="CS-3", Customer="Mango", Status="Resolved", Notes="keep me"),
        row(Customer="Beta", Status="New", Description="new two"),
    ]


@pytest.fixture
def fake(monkeypatch):
    with FakeSheets() as server:
        monkeypatch.setenv(EMULATOR_VARIABLE, server.url)
        yield server


def stamps_and_grades(snapshot) -> ChangeSet:
    """What a cycle asks: an ID and Received for each new row, Resolved for CS-3, a Grade for every row."""
    rows = snapshot.sheets["Tickets"].rows
    positions = match_headers(rows[0]).positions
    changes = ChangeSet("Tickets", columns=positions)
    new_number = 10
    for index, values in enumerate(rows[1:], start=1):
        ticket_id = values[positions["ticket_id"]]
        reference = RowRef(index, ticket_id)
        if ticket_id is None:
            changes.cells.append(CellWrite(reference, "ticket_id", f"CS-{new_number}"))
            changes.cells.append(CellWrite(reference, "received", STAMP))
            new_number += 1
        elif values[positions["status"]] == "Resolved":
            changes.cells.append(CellWrite(reference, "resolved", STAMP))
        changes.cells.append(CellWrite(reference, "grade", f"grade of {ticket_id or values[positions['customer']]}"))
    return changes


def by_customer(spreadsheet) -> dict[str, dict[str, object]]:
    rows = spreadsheet.values("Tickets")
    return {values[HEADER.index("Customer")]: dict(zip(HEADER, values, strict=False)) for values in rows[1:]
            if values and len(values) > HEADER.index("Customer")}


def assert_nothing_lost(spreadsheet) -> None:
    tickets_now = by_customer(spreadsheet)
    assert tickets_now["Zeta"]["Ticket ID"] == "CS-1" and tickets_now["Zeta"]["Notes"] == "typed by a person"
    assert tickets_now["Mango"]["Ticket ID"] == "CS-3" and tickets_now["Mango"]["Notes"] == "keep me"
    assert tickets_now["Mango"]["Resolved"] is not None
    assert tickets_now["Zeta"].get("Resolved") is None and tickets_now["Zeta"].get("Received") is None
    assert {tickets_now["Alpha"]["Ticket ID"], tickets_now["Beta"]["Ticket ID"]} == {"CS-10", "CS-11"}
    assert tickets_now["Alpha"]["Received"] is not None and tickets_now["Beta"]["Received"] is not None
    for customer, ticket in tickets_now.items():
        if customer in ("Zeta", "Mango", "Alpha", "Beta"):
            expected = {"Zeta": "CS-1", "Mango": "CS-3"}.get(customer, ticket["Ticket ID"])
            assert ticket["Grade"] in (f"grade of {expected}", f"grade of {customer}")


@pytest.mark.parametrize("move", [
    lambda sheet: sheet.person_sorts("Tickets", "Customer"),
    lambda sheet: sheet.person_sorts("Tickets", "Customer", descending=True),
    lambda sheet: sheet.person_inserts_row("Tickets", 1, row(Customer="Inserted", Status="New")),
    lambda sheet: sheet.person_deletes_row("Tickets", 1) or sheet.person_inserts_row(
        "Tickets", 4, row(Ticket_ID="CS-1", Customer="Zeta", Status="New", Notes="typed by a person")),
], ids=["sort", "sort descending", "insert above", "delete and re-add"])
def test_rows_moved_just_before_the_write_are_repaired_in_the_same_cycle(fake, move):
    spreadsheet = fake.create(KEY, tabs={"Tickets": tickets()})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    snapshot = backend.read()
    fake.before_next("write", lambda server: move(server.spreadsheets[KEY]))
    fake.reset_counts()
    backend.apply(stamps_and_grades(snapshot), snapshot)
    assert_nothing_lost(spreadsheet)
    assert fake.reads == 2  # the re-read before the write and the read-back after it
    assert fake.writes == 2  # the write and its repair


def test_a_write_that_landed_right_costs_one_read_back_and_no_repair(fake):
    spreadsheet = fake.create(KEY, tabs={"Tickets": tickets()})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    snapshot = backend.read()
    fake.reset_counts()
    backend.apply(stamps_and_grades(snapshot), snapshot)
    assert_nothing_lost(spreadsheet)
    assert (fake.reads, fake.writes) == (2, 1)


def test_a_person_typing_into_the_row_being_stamped_keeps_what_they_typed(fake):
    spreadsheet = fake.create(KEY, tabs={"Tickets": tickets()})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    snapshot = backend.read()
    notes = HEADER.index("Notes")
    fake.before_next("write", lambda server: server.spreadsheets[KEY].person_types("Tickets", 2, notes, "called back"))
    backend.apply(stamps_and_grades(snapshot), snapshot)
    assert by_customer(spreadsheet)["Alpha"]["Notes"] == "called back"
    assert_nothing_lost(spreadsheet)
