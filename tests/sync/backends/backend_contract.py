"""The contract every backend passes (DESIGN §6): memory, xlsx and gsheets run these same tests.

Subclass ``BackendContract`` and give it a ``harness`` fixture returning an object with:

- ``backend``: the Backend under test;
- ``load(tabs)``: put a workbook with these tabs (``{name: rows}``) in place;
- ``tabs()``: what is stored now, read around the backend (openpyxl, the fake server's state, …);
- ``person_types(tab, row, column, value)``, ``person_sorts(tab, column, reverse)``,
  ``person_inserts_row(tab, index, values)``: a person editing the workbook (0-based row and column).

A person's edit between ``read()`` and ``apply()`` must either be met by ``WriteDeferred`` with nothing written,
or the write must land every value on its own ticket and overwrite nothing the person typed.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sync.backends.port import CellWrite, ChangeSet, FormattingSpec, GeneratedTab, RowRef, Snapshot
from sync.errors import WriteDeferred
from tickets import match_headers, read_datetime, read_text

HEADER = ["Ticket ID", "Received", "Customer", "Status", "Notes", "Grade", "Department", "Response due", "Check"]


def workbook() -> dict[str, list[list]]:
    return {
        "Tickets": [
            list(HEADER),
            ["CS-1", datetime(2026, 11, 20, 9, 30), "Beta Foods", "New", "call back", None, None, None, None],
            ["CS-2", datetime(2026, 11, 21, 10, 0), "Acme", "Action", None, None, None, None, None],
            [None, None, "Cobalt Ltd", "New", "typed by a person", None, None, None, None],
            ["CS-3", datetime(2026, 11, 22, 11, 15), "Delta", "Resolved", "=not a formula", None, None, None, None],
        ],
        "Lists": [["Tier", "Category"], ["Gold", "Quality"], ["Silver", "Delivery"]],
        "Notes of the team": [["anything", 1], ["kept", 2.5]],
    }


def plain(value) -> str:
    """Cells compared as people see them: text, whole numbers without .0, blanks as ''."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return read_text(value) or ""


def plain_tab(rows) -> list[list[str]]:
    cleaned = [[plain(value) for value in row] for row in rows]
    cleaned = [row[: max((i + 1 for i, v in enumerate(row) if v), default=0)] for row in cleaned]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return cleaned


def by_ticket(rows, column: str) -> dict[str, str]:
    positions = match_headers(rows[0]).positions
    result = {}
    for row in rows[1:]:
        padded = list(row) + [None] * len(rows[0])
        ticket_id = plain(padded[positions["ticket_id"]])
        if ticket_id:
            result[ticket_id] = plain(padded[positions[column]])
    return result


def computed_writes(snapshot: Snapshot, values: dict[str, str]) -> ChangeSet:
    """Grade per ticket, as the engine would ask for it."""
    rows = snapshot.sheets["Tickets"].rows
    positions = match_headers(rows[0]).positions
    changes = ChangeSet("Tickets", columns=positions)
    for index, row in enumerate(rows[1:], start=1):
        ticket_id = plain(row[positions["ticket_id"]]) if len(row) > positions["ticket_id"] else ""
        if ticket_id in values:
            changes.cells.append(CellWrite(RowRef(index, ticket_id), "grade", values[ticket_id]))
    return changes


class BackendContract:
    """Tests every backend passes. Subclasses provide the ``harness`` fixture."""

    def test_it_reads_every_tab_with_the_header_first(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        assert set(snapshot.sheets) >= {"Tickets", "Lists", "Notes of the team"}
        tickets = snapshot.sheets["Tickets"].rows
        assert [plain(value) for value in tickets[0]] == HEADER
        assert plain(tickets[1][0]) == "CS-1"
        assert read_datetime(tickets[1][1], datetime.now().astimezone().tzinfo).replace(tzinfo=None) == datetime(
            2026, 11, 20, 9, 30
        )
        assert plain(tickets[4][4]) == "=not a formula"

    def test_an_empty_change_set_writes_nothing(self, harness):
        harness.load(workbook())
        before = harness.tabs()
        snapshot = harness.backend.read()
        harness.backend.apply(ChangeSet("Tickets"), snapshot)
        assert harness.tabs() == before

    def test_it_writes_computed_cells_to_their_tickets_and_nothing_else(self, harness):
        harness.load(workbook())
        before = {name: plain_tab(rows) for name, rows in harness.tabs().items()}
        snapshot = harness.backend.read()
        harness.backend.apply(computed_writes(snapshot, {"CS-1": "P2", "CS-3": "P4"}), snapshot)
        after = {name: plain_tab(rows) for name, rows in harness.tabs().items()}
        assert by_ticket(after["Tickets"], "grade") == {"CS-1": "P2", "CS-2": "", "CS-3": "P4"}
        grade = HEADER.index("Grade")
        for name in before:
            for row_number, row in enumerate(before[name]):
                for column, value in enumerate(row):
                    if name == "Tickets" and column == grade and row_number in (1, 4):
                        continue
                    assert after[name][row_number][column] == value, (name, row_number, column)

    def test_it_stamps_an_id_into_a_row_that_had_none(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        changes = ChangeSet("Tickets", columns=positions)
        changes.cells.append(CellWrite(RowRef(3, None), "ticket_id", "CS-4"))
        changes.cells.append(CellWrite(RowRef(3, None), "grade", "P3"))
        harness.backend.apply(changes, snapshot)
        rows = plain_tab(harness.tabs()["Tickets"])
        assert rows[3][:5] == ["CS-4", "", "Cobalt Ltd", "New", "typed by a person"]
        assert by_ticket(rows, "grade")["CS-4"] == "P3"

    def test_it_never_overwrites_an_input_cell_a_person_filled(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        changes = ChangeSet("Tickets", columns=positions)
        changes.cells.append(CellWrite(RowRef(1, "CS-1"), "notes", "the daemon's idea"))
        harness.backend.apply(changes, snapshot)
        assert by_ticket(plain_tab(harness.tabs()["Tickets"]), "notes")["CS-1"] == "call back"

    def test_datetimes_written_read_back_as_the_same_minute(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        changes = ChangeSet("Tickets", columns=positions)
        due = datetime(2026, 11, 24, 17, 45)
        changes.cells.append(CellWrite(RowRef(2, "CS-2"), "response_due", due))
        harness.backend.apply(changes, snapshot)
        rows = harness.backend.read().sheets["Tickets"].rows
        value = rows[2][positions["response_due"]]
        zone = datetime.now().astimezone().tzinfo
        assert read_datetime(value, zone).replace(tzinfo=None) == due

    def test_text_that_looks_like_a_formula_is_written_as_text(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        harness.backend.apply(computed_writes(snapshot, {"CS-2": "=1+1"}), snapshot)
        assert by_ticket(plain_tab(harness.backend.read().sheets["Tickets"].rows), "grade")["CS-2"] == "=1+1"

    def test_missing_computed_columns_are_added_at_the_end(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        changes = ChangeSet("Tickets", columns=positions, add_columns={"sla": "SLA"})
        changes.cells.append(CellWrite(RowRef(1, "CS-1"), "sla", "overdue"))
        harness.backend.apply(changes, snapshot)
        rows = plain_tab(harness.tabs()["Tickets"])
        assert rows[0] == HEADER + ["SLA"]
        assert by_ticket(rows, "sla") == {"CS-1": "overdue", "CS-2": "", "CS-3": ""}

    def test_generated_tabs_are_created_and_replaced_whole(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        first = GeneratedTab([["Tab", "Cell", "Problem"], ["Owner rules", "C1", "unknown"], ["Grade rules", "B2", "x"]])
        harness.backend.apply(ChangeSet("Tickets", tabs={"Rule check": first}), snapshot)
        assert plain_tab(harness.tabs()["Rule check"]) == plain_tab(first.rows)
        snapshot = harness.backend.read()
        second = GeneratedTab([["Tab", "Cell", "Problem"], ["Lists", "A1", "fine"]])
        harness.backend.apply(ChangeSet("Tickets", tabs={"Rule check": second}), snapshot)
        assert plain_tab(harness.tabs()["Rule check"]) == plain_tab(second.rows)
        assert plain_tab(harness.tabs()["Notes of the team"]) == [["anything", "1"], ["kept", "2.5"]]

    def test_a_tab_meant_after_tickets_is_created_right_after_it_and_the_other_tabs_keep_their_order(self, harness):
        tabs = workbook()
        harness.load({"Notes of the team": tabs["Notes of the team"], "Tickets": tabs["Tickets"], "Lists": tabs["Lists"]})
        snapshot = harness.backend.read()
        dashboard = GeneratedTab([["Complaint desk dashboard"], ["Open tickets", 3]], after_tickets=True)
        rule_check = GeneratedTab([["Tab", "Cell", "Problem"]])
        harness.backend.apply(ChangeSet("Tickets", tabs={"Dashboard": dashboard, "Rule check": rule_check}), snapshot)
        after = harness.tabs()
        assert list(after) == ["Notes of the team", "Tickets", "Dashboard", "Lists", "Rule check"]
        assert plain_tab(after["Dashboard"]) == [["Complaint desk dashboard"], ["Open tickets", "3"]]
        assert plain_tab(after["Notes of the team"]) == [["anything", "1"], ["kept", "2.5"]]
        assert plain_tab(after["Lists"]) == plain_tab(tabs["Lists"])

    def test_a_tab_meant_after_tickets_standing_elsewhere_moves_there_when_written_whole(self, harness):
        tabs = workbook()
        tabs["Dashboard"] = [["Complaint desk dashboard"], ["Open tickets", 2]]
        harness.load(tabs)
        snapshot = harness.backend.read()
        dashboard = GeneratedTab([["Complaint desk dashboard"], ["Open tickets", 3], ["Overdue", 1]], after_tickets=True)
        harness.backend.apply(ChangeSet("Tickets", tabs={"Dashboard": dashboard}), snapshot)
        after = harness.tabs()
        assert list(after) == ["Tickets", "Dashboard", "Lists", "Notes of the team"]
        assert plain_tab(after["Dashboard"]) == plain_tab(dashboard.rows)
        assert plain_tab(after["Notes of the team"]) == [["anything", "1"], ["kept", "2.5"]]
        assert plain_tab(after["Tickets"]) == plain_tab(tabs["Tickets"])

    def test_formatting_is_reported_missing_until_applied(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        assert snapshot.formatting_ok is False
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        spec = FormattingSpec({"overdue": "overdue", "due_soon": "due soon"}, {"customer": "Lists!$A$2:$A$3"})
        changes = ChangeSet("Tickets", columns=positions, add_columns={"sla": "SLA"}, formatting=spec)
        harness.backend.apply(changes, snapshot)
        assert harness.backend.read().formatting_ok is True

    def test_a_person_sorting_and_typing_between_read_and_write_loses_nothing(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        harness.person_sorts("Tickets", HEADER.index("Customer"), reverse=True)
        harness.person_inserts_row("Tickets", 1, ["CS-9", None, "Echo", "New", "new row"])
        harness.person_types("Tickets", 2, HEADER.index("Notes"), "typed meanwhile")
        typed = {name: plain_tab(rows) for name, rows in harness.tabs().items()}
        wanted = {"CS-1": "P1", "CS-2": "P2", "CS-3": "P3"}
        try:
            harness.backend.apply(computed_writes(snapshot, wanted), snapshot)
        except WriteDeferred:
            assert {name: plain_tab(rows) for name, rows in harness.tabs().items()} == typed
            snapshot = harness.backend.read()
            harness.backend.apply(computed_writes(snapshot, wanted), snapshot)
        after = plain_tab(harness.tabs()["Tickets"])
        assert {key: value for key, value in by_ticket(after, "grade").items() if value} == wanted
        grade = HEADER.index("Grade")
        for row_number, row in enumerate(typed["Tickets"]):
            for column, value in enumerate(row):
                if column != grade:
                    assert after[row_number][column] == value, (row_number, column)

    def test_rows_sharing_one_ticket_id_each_get_their_own_cells_even_when_sorted_meanwhile(self, harness):
        tabs = workbook()
        tabs["Tickets"][2][0] = "CS-1"  # a duplicated ID: both rows still get their Check message
        harness.load(tabs)
        snapshot = harness.backend.read()
        harness.person_sorts("Tickets", HEADER.index("Customer"), reverse=False)
        rows = snapshot.sheets["Tickets"].rows
        positions = match_headers(rows[0]).positions
        changes = ChangeSet("Tickets", columns=positions)
        for index in (1, 2):
            changes.cells.append(CellWrite(RowRef(index, "CS-1"), "check", f"shared ID, {plain(rows[index][2])}"))
        try:
            harness.backend.apply(changes, snapshot)
        except WriteDeferred:
            snapshot = harness.backend.read()
            rows = snapshot.sheets["Tickets"].rows
            changes.cells = [CellWrite(RowRef(index, "CS-1"), "check", f"shared ID, {plain(rows[index][2])}")
                             for index in range(1, len(rows)) if plain(rows[index][0]) == "CS-1"]
            harness.backend.apply(changes, snapshot)
        after = plain_tab(harness.tabs()["Tickets"])
        checks = {row[2]: row[HEADER.index("Check")] for row in after[1:] if len(row) > HEADER.index("Check")}
        assert checks == {"Beta Foods": "shared ID, Beta Foods", "Acme": "shared ID, Acme"}

    def test_appended_rows_go_below_the_last_row_as_data(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        received = datetime(2026, 11, 23, 8, 5)
        words = ["=1+1", "+33 1 23 45", "-5 stars", "@SUM(A1:A2)", "=HYPERLINK(\"http://x\")"]
        changes = ChangeSet("Tickets", columns=positions)
        for number, text in enumerate(words, start=10):
            changes.append.append({"ticket_id": f"CS-{number}", "received": received, "customer": text,
                                   "notes": text, "grade": "P3"})
        harness.backend.apply(changes, snapshot)
        rows = plain_tab(harness.tabs()["Tickets"])
        assert rows[:5] == plain_tab(workbook()["Tickets"])
        assert [row[0] for row in rows[5:]] == [f"CS-{number}" for number in range(10, 15)]
        assert [row[HEADER.index("Notes")] for row in rows[5:]] == words
        assert by_ticket(rows, "customer")["CS-13"] == "@SUM(A1:A2)"
        assert by_ticket(rows, "received")["CS-10"] == "2026-11-23 08:05"
        assert by_ticket(rows, "grade")["CS-14"] == "P3"
        read_back = harness.backend.read().sheets["Tickets"].rows
        assert [row[HEADER.index("Customer")] for row in read_back[5:10]] == words

    def test_appended_rows_stay_data_when_the_formatting_is_written_too(self, harness):
        """(xlsx: the openpyxl path rather than the streaming patch.)"""
        harness.load(workbook())
        snapshot = harness.backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        spec = FormattingSpec({"overdue": "overdue", "due_soon": "due soon"})
        words = ["=1+1", "+1", "-1", "@A1"]
        changes = ChangeSet("Tickets", columns=positions, add_columns={"sla": "SLA"}, formatting=spec,
                            append=[{"ticket_id": f"CS-{n}", "notes": text, "sla": "overdue"}
                                    for n, text in enumerate(words, start=50)])
        harness.backend.apply(changes, snapshot)
        rows = plain_tab(harness.tabs()["Tickets"])
        assert [row[HEADER.index("Notes")] for row in rows[5:]] == words
        assert by_ticket(rows, "sla")["CS-52"] == "overdue"

    def test_an_append_repeated_after_a_crash_makes_no_second_row(self, harness):
        harness.load(workbook())
        row = {"ticket_id": "CS-20", "customer": "Foxtrot", "status": "New"}
        for _ in range(2):
            snapshot = harness.backend.read()
            positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
            harness.backend.apply(ChangeSet("Tickets", columns=positions, append=[dict(row)]), snapshot)
        rows = plain_tab(harness.tabs()["Tickets"])
        assert [line[0] for line in rows].count("CS-20") == 1
        snapshot = harness.backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        changes = ChangeSet("Tickets", columns=positions, append=[{"ticket_id": "CS-1", "customer": "Again"}])
        harness.backend.apply(changes, snapshot)
        assert plain_tab(harness.tabs()["Tickets"]) == rows

    def test_appended_rows_fill_a_column_added_in_the_same_write(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        changes = ChangeSet("Tickets", columns=positions, add_columns={"source_ref": "Source ref"},
                            append=[{"ticket_id": "CS-30", "customer": "Golf", "source_ref": "<a@b>"}])
        harness.backend.apply(changes, snapshot)
        rows = plain_tab(harness.tabs()["Tickets"])
        assert rows[0] == HEADER + ["Source ref"]
        assert by_ticket(rows, "source_ref") == {"CS-1": "", "CS-2": "", "CS-3": "", "CS-30": "<a@b>"}

    def test_rows_a_person_added_meanwhile_are_kept_above_the_appended_ones(self, harness):
        harness.load(workbook())
        snapshot = harness.backend.read()
        harness.person_inserts_row("Tickets", 5, ["CS-9", None, "Echo", "New", "typed meanwhile"])
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        changes = ChangeSet("Tickets", columns=positions, append=[{"ticket_id": "CS-40", "customer": "Hotel"}])
        try:
            harness.backend.apply(changes, snapshot)
        except WriteDeferred:
            snapshot = harness.backend.read()
            harness.backend.apply(changes, snapshot)
        rows = plain_tab(harness.tabs()["Tickets"])
        assert [row[0] for row in rows[1:]] == ["CS-1", "CS-2", "", "CS-3", "CS-9", "CS-40"]
        assert by_ticket(rows, "notes")["CS-9"] == "typed meanwhile"


@pytest.fixture
def sample_workbook():
    return workbook()
