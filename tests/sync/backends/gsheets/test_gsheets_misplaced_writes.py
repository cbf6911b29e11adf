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


def graded_tickets() -> list[list]:
    """Named tickets already graded by earlier cycles, and one new row (no ID yet) in the middle."""
    return [
        list(HEADER),
        row(Ticket_ID="CS-1", Customer="Zeta", Status="New", Description="one", Grade="Routine"),
        row(Ticket_ID="CS-2", Customer="Lotus", Status="New", Description="two", Grade="Routine"),
        row(Customer="Zhang", Status="New", Description="three"),
        row(Ticket_ID="CS-4", Customer="Zhang", Status="New", Description="four", Grade="Routine"),
    ]


def stamp_the_new_row(snapshot) -> ChangeSet:
    rows = snapshot.sheets["Tickets"].rows
    positions = match_headers(rows[0]).positions
    reference = RowRef(3, None)
    return ChangeSet("Tickets", columns=positions, cells=[
        CellWrite(reference, "ticket_id", "CS-5"), CellWrite(reference, "received", STAMP),
        CellWrite(reference, "grade", "Routine")])


def ids_by_description(spreadsheet) -> dict[str, object]:
    rows = spreadsheet.values("Tickets")
    return {values[HEADER.index("Description")]: values[HEADER.index("Ticket ID")] for values in rows[1:]}


def test_a_row_inserted_where_the_write_lands_is_not_taken_for_a_look_alike_still_in_place(fake):
    """Found by the interleaving soak: a complaint inserted just above the row being stamped looked most like a
    ticket still standing intact elsewhere (same customer, same status), so the repair gave it that ticket's ID —
    one ID on two rows."""
    spreadsheet = fake.create(KEY, tabs={"Tickets": graded_tickets()})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    snapshot = backend.read()
    inserted = row(Customer="Lotus", Status="New", Description="inserted")
    fake.before_next("write", lambda server: server.spreadsheets[KEY].person_inserts_row("Tickets", 3, inserted))
    backend.apply(stamp_the_new_row(snapshot), snapshot)
    assert ids_by_description(spreadsheet) == {"one": "CS-1", "two": "CS-2", "inserted": None, "three": "CS-5",
                                               "four": "CS-4"}
    received = {values[HEADER.index("Description")]: values[HEADER.index("Received")]
                for values in spreadsheet.values("Tickets")[1:]}
    assert received["inserted"] is None and received["three"] == STAMP


def test_a_row_written_over_is_told_from_a_copy_inserted_above_it_by_their_order(fake):
    """A person inserts, just before the write, a copy of a ticket without its ID above the row being stamped: the
    write lands on the copy and on the ticket, which then look the same outside the written cells. The ticket is the
    one that kept its place after the rows told for sure, so it gets its ID back and the copy stays without one."""
    tickets_now = [
        list(HEADER),
        row(Ticket_ID="CS-1", Customer="Zeta", Status="New", Description="one", Grade="Routine"),
        row(Customer="Alpha", Status="New", Description="new"),
        row(Ticket_ID="CS-3", Customer="Mango", Status="New", Description="three", Grade="Routine"),
        row(Customer="Beta", Status="New", Description="new two"),
    ]
    spreadsheet = fake.create(KEY, tabs={"Tickets": tickets_now})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    snapshot = backend.read()
    positions = match_headers(tickets_now[0]).positions
    changes = ChangeSet("Tickets", columns=positions, cells=[
        CellWrite(RowRef(2, None), "ticket_id", "CS-10"), CellWrite(RowRef(2, None), "received", STAMP),
        CellWrite(RowRef(4, None), "ticket_id", "CS-11"), CellWrite(RowRef(4, None), "received", STAMP)])
    copy = row(Customer="Mango", Status="New", Description="three", Grade="Routine")
    fake.before_next("write", lambda server: server.spreadsheets[KEY].person_inserts_row("Tickets", 2, copy))
    backend.apply(changes, snapshot)
    rows = spreadsheet.values("Tickets")
    ids = [(values[HEADER.index("Customer")], values[HEADER.index("Ticket ID")]) for values in rows[1:]]
    assert ids == [("Zeta", "CS-1"), ("Mango", None), ("Alpha", "CS-10"), ("Mango", "CS-3"), ("Beta", "CS-11")]


def test_a_row_stamped_right_is_not_taken_for_a_new_row_inserted_under_it(fake):
    """Found by the interleaving soak: the stamp landed right, but a computed cell meant for the ticket below fell
    on a complaint inserted between them; the repair took that complaint for the stamped row (both new, alike) and
    wrote the stamped row's new ID into it as well."""
    tickets_now = [list(HEADER), row(Customer="Zhang", Status="New", Description="new"),
                   row(Ticket_ID="CS-2", Customer="Lotus", Status="New", Description="two", Grade="Routine")]
    spreadsheet = fake.create(KEY, tabs={"Tickets": tickets_now})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    snapshot = backend.read()
    changes = ChangeSet("Tickets", columns=match_headers(tickets_now[0]).positions, cells=[
        CellWrite(RowRef(1, None), "ticket_id", "CS-5"), CellWrite(RowRef(1, None), "received", STAMP),
        CellWrite(RowRef(2, "CS-2"), "grade", "Urgent")])
    inserted = row(Customer="Harbour Foods", Status="New", Description="inserted")
    fake.before_next("write", lambda server: server.spreadsheets[KEY].person_inserts_row("Tickets", 2, inserted))
    backend.apply(changes, snapshot)
    rows = [values + [None] * len(HEADER) for values in spreadsheet.values("Tickets")]
    cells = [(values[HEADER.index("Description")], values[HEADER.index("Ticket ID")], values[HEADER.index("Grade")])
             for values in rows[1:]]
    assert cells == [("new", "CS-5", None), ("inserted", None, None), ("two", "CS-2", "Urgent")]


def test_a_row_appended_while_a_person_inserts_one_above_lands_below_the_data_and_overwrites_nothing(fake):
    """A new complaint (from the mailbox or the portal) is appended below the last row as it stood at the re-read;
    a row a person inserts meanwhile pushes that last row down onto it. The read-back puts the pushed row's cells
    back and appends the complaint again below."""
    tickets_now = [list(HEADER), row(Ticket_ID="CS-1", Customer="Zeta", Status="New", Notes="one"),
                   row(Ticket_ID="CS-2", Customer="Lotus", Status="Action", Notes="two")]
    spreadsheet = fake.create(KEY, tabs={"Tickets": tickets_now})
    backend = GSheetsBackend(KEY, retry_budget_seconds=2)
    snapshot = backend.read()
    changes = ChangeSet("Tickets", columns=match_headers(tickets_now[0]).positions, append=[
        {"ticket_id": "CS-3", "customer": "Mango", "status": "New", "description": "by mail"}])
    inserted = row(Customer="Alpha", Status="New", Description="typed in")
    fake.before_next("write", lambda server: server.spreadsheets[KEY].person_inserts_row("Tickets", 1, inserted))
    backend.apply(changes, snapshot)
    rows = [values + [None] * len(HEADER) for values in spreadsheet.values("Tickets")]
    cells = [tuple(values[HEADER.index(header)] for header in ("Ticket ID", "Customer", "Status", "Notes",
                                                                  "Description")) for values in rows[1:]]
    assert cells == [(None, "Alpha", "New", None, "typed in"), ("CS-1", "Zeta", "New", "one", None),
                     ("CS-2", "Lotus", "Action", "two", None), ("CS-3", "Mango", "New", None, "by mail")]
