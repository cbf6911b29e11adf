"""Losing the state dir moves no due time: what a ticket's resolution due depends on — its waits on the customer —
is kept in the sheet's own ``Paused h`` column. A ticket waits from Monday afternoon to the next Monday and goes
back to Investigating; then the state dir is lost, or restored from a backup taken before or during the wait, and the
next cycle shows the very same Resolution due, Paused h and SLA — on the memory, xlsx and gsheets backends
(gspread's real client against the local fake Sheets API)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from sheets_templates import build_spec
from sync.backends.gsheets.backend import GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from sync.backends.memory import MemoryBackend
from sync.backends.port import Backend
from sync.backends.xlsx.backend import XlsxBackend
from sync.backends.xlsx.writer import write_xlsx
from sync.engine import Desk
from sync.state import STATE_FILE, StateStore
from tests.sync.backends.gsheets.fake_sheets import FakeSheets
from tests.sync.conftest import NEW_COMPLAINT, NOW, SHANGHAI
from tickets import BusinessCalendar, Clock, read_datetime

ROUTINE = {**NEW_COMPLAINT, "Tier": "Standard", "Category": "Delivery"}
WAIT_BEGINS = NOW + timedelta(hours=4)  # Monday 2026-11-23 14:00, before the resolution due
NEXT_MONDAY = NOW + timedelta(days=7)  # 2026-11-30 10:00: the customer answered, back to Investigating
LATER = NEXT_MONDAY + timedelta(hours=1)
KEY = "paused-desk"


@dataclass
class Sheet:
    """One workbook on one backend, as a person sees it: type a status, read a ticket's cells."""

    backend: Callable[[], Backend]
    type_status: Callable[[str], None]

    def ticket(self) -> dict[str, object]:
        rows = self.backend().read().sheets["Tickets"].rows
        header, row = rows[0], rows[1]
        return dict(zip(header, row, strict=False))

    def due(self) -> datetime:
        return read_datetime(self.ticket()["Resolution due"], SHANGHAI).replace(tzinfo=None)


def spec():
    made = build_spec("en", sample=0, now=NOW.replace(tzinfo=None), seed=7)
    header = made.tab("tickets").rows[0]
    made.tab("tickets").rows.append([ROUTINE.get(label) for label in header])
    return made


def memory_sheet(tmp_path: Path) -> Sheet:
    backend = MemoryBackend({tab.name: [list(row) for row in tab.rows] for tab in spec().tabs})

    def type_status(status: str) -> None:
        rows = backend.tabs["Tickets"]
        rows[1][rows[0].index("Status")] = status

    return Sheet(lambda: backend, type_status)


def xlsx_sheet(tmp_path: Path) -> Sheet:
    path = tmp_path / "desk.xlsx"
    write_xlsx(spec(), path)

    def type_status(status: str) -> None:
        workbook = openpyxl.load_workbook(path)
        sheet = workbook["Tickets"]
        column = [cell.value for cell in sheet[1]].index("Status") + 1
        sheet.cell(row=2, column=column, value=status)
        workbook.save(path)

    return Sheet(lambda: XlsxBackend(path, backup_dir=tmp_path / "backups"), type_status)


@pytest.fixture
def fake(monkeypatch):
    with FakeSheets() as server:
        monkeypatch.setenv(EMULATOR_VARIABLE, server.url)
        yield server


def gsheets_sheet(fake: FakeSheets) -> Sheet:
    spreadsheet = fake.create(KEY)
    GSheetsBackend(KEY).lay_out(spec())

    def type_status(status: str) -> None:
        header = spreadsheet.values("Tickets")[0]
        spreadsheet.person_types("Tickets", 1, header.index("Status"), status)

    return Sheet(lambda: GSheetsBackend(KEY, retry_budget_seconds=2), type_status)


@pytest.fixture(params=["memory", "xlsx", "gsheets"])
def sheet(request, tmp_path) -> Sheet:
    if request.param == "gsheets":
        return gsheets_sheet(request.getfixturevalue("fake"))
    return {"memory": memory_sheet, "xlsx": xlsx_sheet}[request.param](tmp_path)


def cycle(sheet: Sheet, state_dir: Path, now: datetime):
    state = StateStore(state_dir)
    try:
        return Desk(sheet.backend(), state).cycle(now)
    finally:
        state.close()


def back_up(state_dir: Path, to: Path) -> None:
    """A consistent copy of the state store, as a backup tool would take it."""
    to.mkdir(parents=True)
    with sqlite3.connect(state_dir / STATE_FILE) as source, sqlite3.connect(to / STATE_FILE) as copy:
        source.backup(copy)


def wait_until_next_monday(sheet: Sheet, state_dir: Path, backups: Path) -> tuple[datetime, Clock]:
    """Run the desk through the wait; return the Resolution due the ticket showed before it, and its clock."""
    [outcome] = cycle(sheet, state_dir, NOW).outcomes
    before = sheet.due()
    back_up(state_dir, backups / "before-the-wait")
    sheet.type_status("Waiting on customer")
    cycle(sheet, state_dir, WAIT_BEGINS)
    back_up(state_dir, backups / "during-the-wait")
    sheet.type_status("Investigating")
    cycle(sheet, state_dir, NEXT_MONDAY)
    return before, outcome.deadlines.clock


def lose(state_dir: Path, backups: Path) -> None:
    shutil.rmtree(state_dir)


def restore(name: str) -> Callable[[Path, Path], None]:
    def restore_backup(state_dir: Path, backups: Path) -> None:
        shutil.rmtree(state_dir)
        shutil.copytree(backups / name, state_dir)

    return restore_backup


@pytest.mark.parametrize("mishap", [lose, restore("before-the-wait"), restore("during-the-wait")],
                         ids=["lost", "restored from before the wait", "restored from during the wait"])
def test_a_lost_or_old_state_dir_moves_no_due_time(sheet, tmp_path, mishap):
    state_dir, backups = tmp_path / "state", tmp_path / "backups-of-state"
    before, clock = wait_until_next_monday(sheet, state_dir, backups)
    after_wait = sheet.ticket()
    due = sheet.due()
    # The wait pushed the resolution due back by exactly the hours it lasted on the ticket's clock.
    waited = BusinessCalendar().hours_between(WAIT_BEGINS, NEXT_MONDAY, clock)
    assert waited > 24 and float(after_wait["Paused h"]) == pytest.approx(waited)
    assert BusinessCalendar().hours_between(before, due, clock) == pytest.approx(waited)

    mishap(state_dir, backups)
    report = cycle(sheet, state_dir, LATER)

    shown = sheet.ticket()
    assert sheet.due() == due
    assert float(shown["Paused h"]) == pytest.approx(waited)
    assert shown["SLA"] == after_wait["SLA"] != "overdue"
    [outcome] = report.outcomes
    assert outcome.escalation == 0


def test_a_second_wait_adds_to_the_first_after_the_state_dir_was_lost(sheet, tmp_path):
    state_dir = tmp_path / "state"
    _, clock = wait_until_next_monday(sheet, state_dir, tmp_path / "backups-of-state")
    waited = BusinessCalendar().hours_between(WAIT_BEGINS, NEXT_MONDAY, clock)
    shutil.rmtree(state_dir)
    cycle(sheet, state_dir, LATER)
    sheet.type_status("Waiting on customer")
    cycle(sheet, state_dir, LATER + timedelta(hours=2))  # Monday 13:00
    sheet.type_status("Investigating")
    cycle(sheet, state_dir, LATER + timedelta(hours=4))  # Monday 15:00: two more working hours

    assert float(sheet.ticket()["Paused h"]) == pytest.approx(waited + 2)


def test_a_wait_that_ends_while_the_workbook_is_open_is_counted_when_it_can_be_written(tmp_path):
    sheet = xlsx_sheet(tmp_path)
    state_dir = tmp_path / "state"
    [outcome] = cycle(sheet, state_dir, NOW).outcomes
    sheet.type_status("Waiting on customer")
    cycle(sheet, state_dir, WAIT_BEGINS)
    sheet.type_status("Investigating")
    lock = tmp_path / ".~lock.desk.xlsx#"
    lock.write_text("someone,host;", encoding="utf-8")
    assert cycle(sheet, state_dir, NEXT_MONDAY).deferred  # the wait ended; the sheet could not be written
    lock.unlink()

    cycle(sheet, state_dir, LATER)

    waited = BusinessCalendar().hours_between(WAIT_BEGINS, NEXT_MONDAY, outcome.deadlines.clock)
    assert float(sheet.ticket()["Paused h"]) == pytest.approx(waited)


def test_the_chinese_workbook_has_the_column_as_zan_ting_shi_chang():
    header = build_spec("zh", sample=0).tab("tickets").rows[0]
    assert "暂停时长" in header
    assert "Paused h" in build_spec("en", sample=0).tab("tickets").rows[0]
