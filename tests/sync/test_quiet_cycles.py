"""A daemon skips recomputing an unchanged workbook until something falls due — and the sheet it leaves is
always exactly what a full cycle would have written."""

from __future__ import annotations

import random
import shutil
from datetime import timedelta

import openpyxl

from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk, DeskSettings
from sync.state import StateStore
from tests.sync.conftest import NOW, make_workbook
from tickets import Thresholds


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


def test_quiet_cycles_leave_the_same_sheet_as_full_cycles_in_a_daemon_and_across_processes(tmp_path):
    """Three copies of one workbook, the same times and edits: a daemon (one Desk), ``run --once`` processes (a
    fresh Desk each time, remembering through the state store) and full cycles (nothing remembered)."""
    rng = random.Random(11)
    paths = {name: tmp_path / f"{name}.xlsx" for name in ("daemon", "processes", "full")}
    make_workbook(paths["daemon"], sample=40)
    for name in ("processes", "full"):
        shutil.copy(paths["daemon"], paths[name])
    states = {name: StateStore(tmp_path / f"{name}-state") for name in paths}
    daemon = Desk(XlsxBackend(paths["daemon"]), states["daemon"])
    moment, quiet = NOW, {"daemon": 0, "processes": 0}
    for step in range(45):
        moment += timedelta(minutes=rng.choice([1, 5, 5, 15, 60, 180, 600]))
        if step % 9 == 4:
            state = rng.getstate()
            for path in paths.values():
                rng.setstate(state)
                person_moves(path, rng)
        quiet["daemon"] += daemon.cycle(moment).quiet
        quiet["processes"] += Desk(XlsxBackend(paths["processes"]), states["processes"]).cycle(moment).quiet
        states["full"].put_blob("settled", None)  # forget: always a full cycle
        assert not Desk(XlsxBackend(paths["full"]), states["full"]).cycle(moment).quiet
        expected = contents(paths["full"])
        assert contents(paths["daemon"]) == expected, f"daemon, step {step} at {moment:%a %H:%M}"
        assert contents(paths["processes"]) == expected, f"processes, step {step} at {moment:%a %H:%M}"
    assert quiet["daemon"] >= 8 and quiet["processes"] >= 8  # the shortcut was really taken
    for state in states.values():
        state.close()


def test_a_remembered_result_from_other_settings_is_not_used(tmp_path):
    path = make_workbook(tmp_path / "desk.xlsx", sample=10)
    state = StateStore(tmp_path / "state")
    assert Desk(XlsxBackend(path), state).cycle(NOW).wrote  # a writing cycle keeps nothing (it stays fast) …
    assert not Desk(XlsxBackend(path), state).cycle(NOW + timedelta(seconds=5)).quiet  # … the next one does
    assert Desk(XlsxBackend(path), state).cycle(NOW + timedelta(seconds=10)).quiet
    assert not Desk(XlsxBackend(path), state, DeskSettings(thresholds=Thresholds(due_soon_fraction=0.5))).cycle(NOW + timedelta(seconds=20)).quiet
    state.close()


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
    from tickets import BusinessCalendar, Thresholds

    thresholds = Thresholds(due_soon_fraction=0.25, escalate_after_hours=4, cluster_threshold=3, cluster_days=7)
    return next_change([outcome], BusinessCalendar(), now, thresholds)


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


def resave(path):
    """A person opens the workbook and saves it without changing anything: new bytes, the same values."""
    workbook = openpyxl.load_workbook(path)
    workbook.save(path)


def test_a_save_that_changed_nothing_costs_a_read_and_is_quiet_in_a_daemon_and_across_processes(tmp_path,
                                                                                                monkeypatch):
    path = make_workbook(tmp_path / "desk.xlsx", sample=15)
    state = StateStore(tmp_path / "state")
    reads = []
    read = XlsxBackend.read
    monkeypatch.setattr(XlsxBackend, "read", lambda self: reads.append(1) or read(self))

    def process(minutes):
        reads.clear()
        return Desk(XlsxBackend(path), state).cycle(NOW + timedelta(minutes=minutes))

    assert process(0).wrote
    assert not process(1).quiet  # nothing to write: settled, with the digest of the values it read
    resave(path)
    saved = process(2)
    assert saved.quiet and not saved.wrote and reads == [1]  # read and compared, nothing decided
    again = process(3)
    assert again.quiet and reads == []  # the next process knows the new bytes: not even a read
    daemon = Desk(XlsxBackend(path), state)
    assert daemon.cycle(NOW + timedelta(minutes=4)).quiet
    resave(path)
    reads.clear()
    assert daemon.cycle(NOW + timedelta(minutes=5)).quiet and reads == [1]
    person_moves(path, random.Random(3))
    assert not daemon.cycle(NOW + timedelta(minutes=6)).quiet  # a value changed: a full cycle
    state.close()


def test_a_customer_message_that_came_with_a_save_that_changed_nothing_is_not_missed(tmp_path):
    """The values are as settled but a customer wrote meanwhile: the Messages tab needs a full cycle."""
    from sync.state import CustomerMessage

    path = make_workbook(tmp_path / "desk.xlsx", sample=15)
    state = StateStore(tmp_path / "state")
    assert Desk(XlsxBackend(path), state).cycle(NOW).wrote
    assert not Desk(XlsxBackend(path), state).cycle(NOW + timedelta(minutes=1)).quiet  # settled, with a digest
    ticket_id = openpyxl.load_workbook(path)["Tickets"]["A2"].value
    state.add_customer_message(CustomerMessage(ticket_id, NOW + timedelta(minutes=1), "mail", "c@example.com",
                                               "Any news?"))
    resave(path)
    report = Desk(XlsxBackend(path), state).cycle(NOW + timedelta(minutes=2))
    assert not report.quiet and report.wrote
    assert "Messages" in openpyxl.load_workbook(path).sheetnames
    state.close()


def test_a_remembered_report_that_does_not_read_back_means_a_full_cycle_and_is_read_only_for_a_quiet_one(tmp_path):
    import pickle

    from sync.settled import SETTLED_KEY

    path = make_workbook(tmp_path / "desk.xlsx", sample=15)
    state = StateStore(tmp_path / "state")
    assert Desk(XlsxBackend(path), state).cycle(NOW).wrote
    assert not Desk(XlsxBackend(path), state).cycle(NOW + timedelta(minutes=1)).quiet  # settled, with a digest
    key, fingerprint, until, report, calendar_rows, digest = pickle.loads(state.get_blob(SETTLED_KEY))
    assert isinstance(report, bytes)  # kept pickled apart: unpickled only when a quiet cycle needs it
    state.put_blob(SETTLED_KEY, pickle.dumps((key, fingerprint, until, b"not a report", calendar_rows, digest)))
    person_moves(path, random.Random(5))  # the values changed: a full cycle, which never needs the old report
    assert not Desk(XlsxBackend(path), state).cycle(NOW + timedelta(minutes=2)).quiet
    assert Desk(XlsxBackend(path), state).cycle(NOW + timedelta(minutes=3)).cells_written == 0  # settled again
    key, fingerprint, until, report, calendar_rows, digest = pickle.loads(state.get_blob(SETTLED_KEY))
    state.put_blob(SETTLED_KEY, pickle.dumps((key, fingerprint, until, b"not a report", calendar_rows, digest)))
    resave(path)  # the same values, but the report cannot be read back: recompute rather than fail
    recomputed = Desk(XlsxBackend(path), state).cycle(NOW + timedelta(minutes=4))
    assert not recomputed.quiet and recomputed.rows == 15
    assert Desk(XlsxBackend(path), state).cycle(NOW + timedelta(minutes=5)).quiet
    state.close()
