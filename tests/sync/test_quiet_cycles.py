"""A daemon skips recomputing an unchanged workbook until something falls due — and the sheet it leaves is
always exactly what a full cycle would have written."""

from __future__ import annotations

import random
import shutil
from datetime import timedelta

import openpyxl

from sync.engine import Desk
from sync.state import StateStore
from sync.xlsx import XlsxBackend
from tests.sync.conftest import NOW, make_workbook


def contents(path):
    workbook = openpyxl.load_workbook(path)
    tabs = {}
    for worksheet in workbook.worksheets:
        rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
        if worksheet.title == "Dashboard":
            rows = rows[1:]  # the generated-at line changes with every regeneration
        tabs[worksheet.title] = rows
    return tabs


def person_moves(path, rng):
    """A person moves a random open ticket along the loop."""
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook["Tickets"]
    header = [cell.value for cell in worksheet[1]]
    status = header.index("Status") + 1
    rows = [row for row in range(2, worksheet.max_row + 1)
            if worksheet.cell(row=row, column=status).value in ("New", "Acknowledged", "Investigating", "Action")]
    if rows:
        row = rng.choice(rows)
        worksheet.cell(row=row, column=status, value=rng.choice(["Investigating", "Waiting on customer", "Action"]))
    workbook.save(path)


def test_a_daemon_that_skips_quiet_cycles_leaves_the_same_sheet_as_full_cycles(tmp_path):
    rng = random.Random(11)
    warm_path = make_workbook(tmp_path / "warm.xlsx", sample=40)
    cold_path = tmp_path / "cold.xlsx"
    shutil.copy(warm_path, cold_path)
    warm_state, cold_state = StateStore(tmp_path / "warm-state"), StateStore(tmp_path / "cold-state")
    warm = Desk(XlsxBackend(warm_path), warm_state)
    moment, quiet = NOW, 0
    for step in range(60):
        moment += timedelta(minutes=rng.choice([1, 5, 5, 15, 60, 180, 600]))
        if step % 9 == 4:
            state = rng.getstate()
            person_moves(warm_path, rng)
            rng.setstate(state)
            person_moves(cold_path, rng)
        report = warm.cycle(moment)
        quiet += report.quiet
        Desk(XlsxBackend(cold_path), cold_state).cycle(moment)  # a fresh desk: always a full cycle
        assert contents(warm_path) == contents(cold_path), f"step {step} at {moment:%a %H:%M} (quiet: {report.quiet})"
    assert quiet >= 10  # the shortcut was really taken
    warm_state.close()
    cold_state.close()


def test_a_quiet_cycle_is_not_taken_once_a_person_saved_the_workbook(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", sample=10)
    desk = desk_factory(path)
    desk.cycle(NOW)
    assert desk.cycle(NOW + timedelta(seconds=10)).quiet
    person_moves(path, random.Random(1))
    assert not desk.cycle(NOW + timedelta(seconds=20)).quiet


def outcome_due(received, due, sla, status=None):
    from tickets import Clock, Deadlines, Outcome, Status, Ticket

    ticket = Ticket(row=2, ticket_id="CS-1", received=received, status=status or Status.ACTION,
                    first_response=received)
    return Outcome(ticket, deadlines=Deadlines(Clock.ALWAYS, resolution_due=due), sla=sla, similar_7d=1)


def quiet_until(outcome, now):
    from sync.quiet import next_change
    from tickets import BusinessCalendar

    return next_change([outcome], BusinessCalendar(), now, due_soon_fraction=0.25, escalate_after_hours=4,
                       cluster_threshold=3, cluster_days=7)


def test_time_alone_next_matters_when_a_ticket_turns_due_soon_overdue_then_escalated():
    from tickets import SlaState

    received = NOW
    due = NOW + timedelta(hours=8)  # 24x7: due soon from 6 h on, overdue after 8 h, escalated after 12 h and 16 h
    on_track = outcome_due(received, due, SlaState.ON_TRACK)
    assert quiet_until(on_track, NOW + timedelta(minutes=10)) == NOW + timedelta(minutes=70)  # the hourly recompute
    assert quiet_until(on_track, NOW + timedelta(hours=5, minutes=30)) == NOW + timedelta(hours=5, minutes=59)
    due_soon = outcome_due(received, due, SlaState.DUE_SOON)
    assert quiet_until(due_soon, NOW + timedelta(hours=7, minutes=30)) == due + timedelta(microseconds=1)
    overdue = outcome_due(received, due, SlaState.OVERDUE)
    assert quiet_until(overdue, due + timedelta(hours=3, minutes=30)) == due + timedelta(hours=4, microseconds=1)
    assert quiet_until(overdue, due + timedelta(hours=4, minutes=30)) == due + timedelta(hours=5, minutes=30)


def test_a_date_typed_in_the_future_matters_when_it_arrives():
    from tickets import SlaState

    later = NOW + timedelta(minutes=20)
    assert quiet_until(outcome_due(later, later + timedelta(days=3), SlaState.ON_TRACK), NOW) == later
