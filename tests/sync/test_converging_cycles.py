"""A cycle leaves what the next cycle would leave: workbooks the hostile-workbook properties found rewritten by a
second cycle at the same moment, on the memory backend (which re-locates rows by ID before writing, as an online
sheet does) and in a real .xlsx file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sync.backends.memory import MemoryBackend
from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk
from sync.state import StateStore
from tests.sync.conftest import NEW_COMPLAINT, NOW, make_workbook
from tests.sync.hostile_workbooks import template_tabs
from tickets import CELL_TEXT_LIMIT

TWICE = "CS-20261120-0007"
HUGE = "床" * 33_000
CLOSED = {
    **NEW_COMPLAINT, "Ticket ID": "CS-20261120-0001", "Received": datetime(2026, 11, 20, 9, 0), "Status": "Closed",
    "First response": datetime(2026, 11, 20, 10, 0), "Root cause": HUGE, "Corrective action": "New lid",
    "Preventive action": "Supplier audit", "Fix verified": "yes", "Resolved": datetime(2026, 11, 21, 9, 0),
    "Customer confirmed": "yes", "Follow-up": datetime(2026, 11, 22, 9, 0), "Satisfaction": 9,
}


def memory_desk(rows: list[dict], folder: Path) -> tuple[Desk, MemoryBackend]:
    tabs = template_tabs()
    header = tabs["Tickets"][0]
    tabs["Tickets"] += [[row.get(text) for text in header] for row in rows]
    backend = MemoryBackend(tabs=tabs)
    return Desk(backend, StateStore(folder / "state")), backend


def xlsx_desk(rows: list[dict], folder: Path) -> tuple[Desk, XlsxBackend]:
    backend = XlsxBackend(make_workbook(folder / "desk.xlsx", rows=rows), backup_dir=folder / "backups")
    return Desk(backend, StateStore(folder / "state")), backend


@pytest.fixture(params=["memory", "xlsx"])
def desk_of(request, tmp_path):
    """Return a function making a desk over ``rows`` ({header: value}) on the parametrized backend."""
    made: list[Desk] = []

    def make(rows: list[dict]) -> tuple[Desk, object]:
        desk, backend = (memory_desk if request.param == "memory" else xlsx_desk)(rows, tmp_path)
        made.append(desk)
        return desk, backend

    yield make
    for desk in made:
        desk.state.close()


def tickets_tab(backend) -> list[dict]:
    rows = backend.read().sheets["Tickets"].rows
    return [{text: row[position] if position < len(row) else None for position, text in enumerate(rows[0])}
            for row in rows[1:] if any(value is not None for value in row)]


def second_cycle_writes_nothing(desk: Desk) -> bool:
    report = desk.cycle(NOW)
    return not report.wrote and report.cells_written == 0


def test_two_rows_typed_with_one_id_both_get_their_cells_and_say_so(desk_of):
    desk, backend = desk_of([{**NEW_COMPLAINT, "Ticket ID": TWICE, "Received": datetime(2026, 11, 20, 9, 0)},
                             {**NEW_COMPLAINT, "Ticket ID": TWICE, "Received": datetime(2026, 11, 21, 9, 0),
                              "Customer": "Lotus"}])
    desk.cycle(NOW)
    first, second = tickets_tab(backend)
    assert first["Grade"] and second["Grade"] and first["Department"] and second["Department"]
    assert f'"{TWICE}" is also used on row 2' in second["Check"]
    assert first["Check"] is None
    assert second_cycle_writes_nothing(desk)


def test_a_stamp_that_makes_a_date_wrong_on_a_row_with_a_doubled_id_reads_the_same_next_cycle(desk_of):
    stamped = {**NEW_COMPLAINT, "Ticket ID": TWICE, "Status": "Acknowledged",
               "First response": datetime(2026, 11, 11, 4, 20)}  # Received is blank: it is stamped now
    desk, backend = desk_of([{**NEW_COMPLAINT, "Ticket ID": TWICE, "Received": datetime(2026, 11, 20, 9, 0)},
                             stamped])
    desk.cycle(NOW)
    check = tickets_tab(backend)[1]["Check"]
    assert "is before Received" in check and "is also used on row 2" in check
    assert check.index("is before Received") < check.index("is also used on row 2")
    assert second_cycle_writes_nothing(desk)


def test_a_lesson_with_a_huge_root_cause_is_written_once(desk_of):
    desk, backend = desk_of([CLOSED])
    desk.cycle(NOW)
    lessons = backend.read().sheets["Lessons"].rows
    assert lessons[1][0] == CLOSED["Ticket ID"]
    assert lessons[1][4].startswith("床" * 30_000) and len(lessons[1][4]) <= CELL_TEXT_LIMIT
    assert second_cycle_writes_nothing(desk)
