"""People and the daemon at the same time: a simulated person sorts, inserts, deletes and types between every read
and write — on the gsheets backend at the worst moment, after the re-read and just before the write — for
hundreds of cycles. At the end every ticket kept the ID it was first given and every value the person typed is
still there."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sync.backends.gsheets.backend import GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from sync.backends.memory import MemoryBackend
from sync.engine import Desk, DeskSettings
from sync.state import StateStore
from tests.sync.backends.gsheets.fake_sheets import FakeSheets
from tests.sync.hostile_workbooks import template_tabs
from tickets import cell_text

START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TYPED_COLUMNS = ("Handler", "Notes", "Root cause", "Contact")  # never stamped by the daemon
SORT_COLUMNS = ("Customer", "Notes", "Ticket ID", "Received", "Grade", "Handler")


class MemorySheet:
    """The person's hands on the in-memory workbook."""

    def __init__(self, backend: MemoryBackend) -> None:
        self.backend = backend

    def rows(self) -> list[list]:
        return self.backend.tabs["Tickets"]

    def sort(self, header: str, descending: bool) -> None:
        rows = self.rows()
        position = rows[0].index(header)
        body = rows[1:]
        filled = [row for row in body if position < len(row) and cell_text(row[position])]
        blank = [row for row in body if not (position < len(row) and cell_text(row[position]))]
        filled.sort(key=lambda row: cell_text(row[position]).casefold(), reverse=descending)
        rows[1:] = filled + blank

    def insert(self, index: int, values: list) -> None:
        self.rows().insert(index, values)

    def delete(self, index: int) -> None:
        del self.rows()[index]

    def type(self, row: int, header: str, value: object) -> None:
        values = self.rows()[row]
        position = self.rows()[0].index(header)
        values.extend([None] * (position + 1 - len(values)))
        values[position] = value


class FakeSheet:
    """The person's hands on the fake Google spreadsheet, in the browser."""

    def __init__(self, spreadsheet) -> None:
        self.spreadsheet = spreadsheet

    def rows(self) -> list[list]:
        return self.spreadsheet.values("Tickets")

    def sort(self, header: str, descending: bool) -> None:
        self.spreadsheet.person_sorts("Tickets", header, descending=descending)

    def insert(self, index: int, values: list) -> None:
        self.spreadsheet.person_inserts_row("Tickets", index, values)

    def delete(self, index: int) -> None:
        self.spreadsheet.person_deletes_row("Tickets", index)

    def type(self, row: int, header: str, value: object) -> None:
        self.spreadsheet.person_types("Tickets", row, self.rows()[0].index(header), value)


class Person:
    """Acts at random (seeded) and remembers what they typed, by a mark in each complaint's Description."""

    def __init__(self, seed: int, header: list[str]) -> None:
        self.random = random.Random(seed)
        self.header = header
        self.typed: dict[str, dict[str, object]] = {}
        self.ids: dict[str, str] = {}
        self.given: set[str] = set()  # every ID seen on a complaint, deleted ones included
        self.complaints = 0

    def complaint(self) -> list:
        self.complaints += 1
        mark = f"complaint {self.complaints}"
        values = {"Customer": self.random.choice(["Harbour Foods", "Lotus", "Zhang"]), "Tier": "Core",
                  "Channel": "Phone", "Product": "Cold-chain box", "Category": "Product quality",
                  "Description": mark, "Safety risk": "no", "Request": "Replacement", "Status": "New"}
        self.typed[mark] = dict(values)
        return [values.get(text) for text in self.header]

    def act(self, sheet) -> None:
        rows = sheet.rows()
        choice = self.random.random()
        if choice < 0.25:
            sheet.sort(self.random.choice(SORT_COLUMNS), self.random.random() < 0.5)
        elif choice < 0.45 or len(rows) < 3:
            sheet.insert(self.random.randint(1, len(rows)), self.complaint())
        elif choice < 0.55:
            index = self.random.randint(1, len(rows) - 1)
            self.typed.pop(self._mark(rows[index]), None)
            self.ids.pop(self._mark(rows[index]), None)
            sheet.delete(index)
        else:
            self._type(sheet, rows)

    def _type(self, sheet, rows: list[list]) -> None:
        index = self.random.randint(1, len(rows) - 1)
        mark = self._mark(rows[index])
        if mark not in self.typed:
            return
        if self.random.random() < 0.3:
            header, value = "Status", self.random.choice(["Acknowledged", "Investigating"])
        else:
            header = self.random.choice(TYPED_COLUMNS)
            position = self.header.index(header)
            if position < len(rows[index]) and cell_text(rows[index][position]):
                return  # people fill blanks here; overwriting their own words is not what is checked
            value = f"{header.lower()} {self.random.randint(1, 999)}"
        sheet.type(index, header, value)
        self.typed[mark][header] = value

    def _mark(self, row: list) -> str:
        position = self.header.index("Description")
        return cell_text(row[position]) if position < len(row) else ""

    def check(self, rows: list[list]) -> None:
        """Every ticket keeps its first ID, IDs are unique, and every typed value is where it was typed."""
        header = [cell_text(text) for text in rows[0]]
        by_mark = {self._mark(row): row for row in rows[1:] if self._mark(row)}
        assert set(by_mark) == set(self.typed), "a complaint vanished or appeared"
        id_position = header.index("Ticket ID")
        seen: set[str] = set()
        for mark, row in by_mark.items():
            for column, value in self.typed[mark].items():
                assert cell_text(row[header.index(column)]) == cell_text(value), f"{mark}: {column} lost"
            ticket_id = cell_text(row[id_position]) if id_position < len(row) else ""
            if ticket_id:
                assert self.ids.setdefault(mark, ticket_id) == ticket_id, f"{mark} changed its ID"
                assert ticket_id not in seen, f"{ticket_id} given twice"
                seen.add(ticket_id)
                self.given.add(ticket_id)


def run(person: Person, sheet, desk: Desk, cycles: int, at_worst_moment: Callable[[Callable[[], None]], None]):
    for number in range(cycles):
        person.act(sheet)
        at_worst_moment(lambda: person.act(sheet))
        desk.cycle(START + timedelta(minutes=5 * number))
        person.check(sheet.rows())
    assert len(person.given) >= cycles // 10, "the desk did not keep up: too few tickets got an ID"


def first_workbook(person: Person) -> dict[str, list[list]]:
    tabs = template_tabs()
    tabs["Tickets"] = [list(person.header), person.complaint(), person.complaint()]
    return tabs


def test_a_person_moving_rows_around_the_memory_backend_loses_nothing(tmp_path: Path):
    header = template_tabs()["Tickets"][0]
    person = Person(7, header)
    backend = MemoryBackend(tabs=first_workbook(person))
    sheet = MemorySheet(backend)
    state = StateStore(tmp_path / "state")
    try:
        desk = Desk(backend, state, DeskSettings(dashboard=False))

        def worst_moment(action):
            backend.before_write = lambda _: action()

        run(person, sheet, desk, 200, worst_moment)
    finally:
        state.close()


@pytest.fixture
def fake(monkeypatch):
    with FakeSheets() as server:
        monkeypatch.setenv(EMULATOR_VARIABLE, server.url)
        yield server


@pytest.mark.parametrize(("seed", "cycles"), [(11, 100), (20261130, 30)], ids=["seed 11", "soak seed 20261130"])
def test_a_person_moving_rows_in_a_google_sheet_while_it_is_written_loses_nothing(fake, tmp_path: Path, seed, cycles):
    """Seed 20261130 is the soak's: a complaint inserted above the row being stamped once got another ticket's ID."""
    header = template_tabs()["Tickets"][0]
    person = Person(seed, header)
    spreadsheet = fake.create("interleaving", tabs=first_workbook(person))
    sheet = FakeSheet(spreadsheet)
    state = StateStore(tmp_path / "state")
    pending = []

    def worst_moment(action):
        pending.clear()
        pending.append(action)

        def between_reread_and_write(_server):
            if pending:
                pending.pop()()

        fake.before_next("write", between_reread_and_write)

    try:
        desk = Desk(GSheetsBackend("interleaving", retry_budget_seconds=2), state, DeskSettings(dashboard=False))
        run(person, sheet, desk, cycles, worst_moment)
    finally:
        state.close()
