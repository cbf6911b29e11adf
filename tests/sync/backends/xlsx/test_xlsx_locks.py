"""The daemon never writes over a workbook someone has open or has just saved (issue #2, DESIGN §6).

Excel and LibreOffice leave a lock file next to an open workbook; while one is there a cycle computes but
writes nothing, says so in the log, and the next cycle writes. A save by someone between the daemon's read and
its write is caught the same way.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from sync.backends.xlsx import locks
from sync.backends.xlsx.backend import XlsxBackend
from sync.errors import WriteDeferred
from tests.sync.conftest import NEW_COMPLAINT, NOW, make_workbook, tickets_by_id

LOCKS = {
    "libreoffice": ".~lock.desk.xlsx#",
    "excel": "~$desk.xlsx",
}


def file_state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), os.stat(path).st_mtime_ns


def person_saves(path: Path, customer: str) -> None:
    """Someone changes the first ticket's customer in their spreadsheet program and saves."""
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook.worksheets[0]
    header = [cell.value for cell in worksheet[1]]
    worksheet.cell(row=2, column=header.index("Customer") + 1, value=customer)
    workbook.save(path)


@pytest.mark.parametrize("program", sorted(LOCKS))
def test_an_open_workbook_is_left_alone_until_its_lock_file_goes(tmp_path, desk_factory, caplog, program):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    lock = tmp_path / LOCKS[program]
    lock.write_text("someone,host,0;")
    before = file_state(path)
    desk = desk_factory(path)

    with caplog.at_level(logging.WARNING):
        report = desk.cycle(NOW)

    assert file_state(path) == before
    assert not report.wrote and report.cells_written == 0
    assert report.deferred and lock.name in report.deferred
    logged = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert any(lock.name in line and "next cycle" in line and "open in Excel or LibreOffice" in line
               for line in logged), logged
    assert not list((tmp_path / "state").glob("backups/*"))

    lock.unlink()
    report = desk.cycle(NOW + timedelta(minutes=5))
    assert report.wrote and not report.deferred
    (ticket,) = tickets_by_id(path).values()
    assert ticket["Customer"] == "Harbour Foods" and ticket["Grade"]
    assert ticket["Received"] == NOW.replace(tzinfo=None) + timedelta(minutes=5)


def test_a_long_name_is_locked_by_excels_shortened_owner_file(tmp_path):
    path = make_workbook(tmp_path / "complaints.xlsx", rows=[NEW_COMPLAINT])
    (tmp_path / "~$mplaints.xlsx").write_text("owner")  # Excel keeps the last len-2 characters
    backend = XlsxBackend(path)
    snapshot = backend.read()
    with pytest.raises(WriteDeferred, match="~\\$mplaints.xlsx"):
        backend._ensure_writable(snapshot)


class SavedDuringCycle(XlsxBackend):
    """A backend over a file that a person saves right after the daemon read it (once)."""

    saves = 1

    def read(self):
        snapshot = super().read()
        if self.saves:
            self.saves -= 1
            person_saves(self.path, "Saved meanwhile Ltd")
        return snapshot


def test_a_save_between_read_and_write_defers_the_write_to_the_next_cycle(tmp_path, desk_factory, caplog):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    desk = desk_factory(path)
    desk.backend = SavedDuringCycle(path, backup_dir=tmp_path / "state" / "backups")

    with caplog.at_level(logging.WARNING):
        report = desk.cycle(NOW)

    assert not report.wrote and "saved by someone" in report.deferred and "next cycle" in report.deferred
    assert any("saved by someone" in record.getMessage() for record in caplog.records)
    workbook = openpyxl.load_workbook(path)
    assert workbook.worksheets[0]["D2"].value == "Saved meanwhile Ltd"
    assert workbook.worksheets[0]["A2"].value is None  # no ID was stamped over the person's save

    report = desk.cycle(NOW + timedelta(minutes=5))
    assert report.wrote
    (ticket,) = tickets_by_id(path).values()
    assert ticket["Customer"] == "Saved meanwhile Ltd" and ticket["Grade"]


def test_a_deferred_write_does_not_use_up_the_new_rows_ticket_number(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    lock = tmp_path / LOCKS["excel"]
    lock.write_text("owner")
    desk = desk_factory(path)
    for minutes in range(0, 30, 5):  # Excel stays open for half an hour
        assert desk.cycle(NOW + timedelta(minutes=minutes)).deferred
    lock.unlink()
    desk.cycle(NOW + timedelta(minutes=30))
    assert list(tickets_by_id(path)) == ["CS-20261123-0001"]


class SavedDuringWrite(XlsxBackend):
    """A backend over a file that a person saves while the daemon's own save is under way (once)."""

    saves = 1

    def _back_up(self):
        raise AssertionError("no backup may be taken for a write that is not made")

    def _ensure_writable(self, snapshot):
        if self.saves and getattr(self, "checked", False):
            self.saves -= 1
            person_saves(self.path, "Saved while writing Ltd")
        self.checked = True
        super()._ensure_writable(snapshot)


def test_a_save_during_the_daemons_own_save_keeps_the_persons_file(tmp_path):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    from sync.engine import Desk
    from sync.state import StateStore

    state = StateStore(tmp_path / "state")
    try:
        report = Desk(SavedDuringWrite(path), state).cycle(NOW)
    finally:
        state.close()
    assert not report.wrote and "saved by someone" in report.deferred
    assert openpyxl.load_workbook(path).worksheets[0]["D2"].value == "Saved while writing Ltd"
    assert not list(tmp_path.glob(".desk.*.tmp.xlsx"))  # the unused temporary file is gone


def test_an_unchanged_workbook_with_a_lock_file_is_not_reported_as_deferred(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    desk = desk_factory(path)
    assert desk.cycle(NOW).wrote
    (tmp_path / LOCKS["libreoffice"]).write_text("someone")
    report = desk.cycle(NOW + timedelta(seconds=30))
    assert not report.wrote and report.deferred is None


# -- who holds a lock, and when it is stale ----------------------------------------------------------------------

HOUR = 3600
TEST_OFFICE = "sdtestoffice"  # a program name nobody else runs: this test's own stand-in for soffice.bin


def libreoffice_lock(folder: Path, host: str, hours_old: float) -> Path:
    lock = folder / ".~lock.desk.xlsx#"
    lock.write_text(f"Sandra Liu,sandra,{host},30.11.2026 09:12,file:///home/sandra/.config/libreoffice/4;")
    then = time.time() - hours_old * HOUR
    os.utime(lock, (then, then))
    return lock


@pytest.fixture
def office_is_ours(monkeypatch):
    """LibreOffice's process names replaced by one only this test starts (other programs on the machine may
    run the real LibreOffice meanwhile); the process table read is the real one."""
    monkeypatch.setitem(locks.PROGRAM_PROCESSES, "LibreOffice", (TEST_OFFICE,))


def test_a_deferred_write_names_the_lock_owner_host_and_age(tmp_path, desk_factory, caplog):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    libreoffice_lock(tmp_path, "pc-07", hours_old=3.5)
    with caplog.at_level(logging.WARNING):
        report = desk_factory(path).cycle(NOW)
    assert not report.wrote
    assert "held by Sandra Liu on pc-07 since" in report.deferred and "(3.5 h)" in report.deferred
    assert "delete" in report.deferred


def test_an_excel_owner_file_names_its_owner():
    lock = read_lock_bytes(bytes([8]) + b"Mei Chen" + b"\x00" * 45 + "Mei Chen".encode("utf-16-le"))
    assert (lock.program, lock.owner, lock.host) == ("Excel", "Mei Chen", None)


def read_lock_bytes(data: bytes):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "~$desk.xlsx"
        path.write_bytes(data)
        return locks.read_lock(path)


def test_an_old_lock_from_this_host_whose_program_is_gone_is_stale_and_said_loudly(
    tmp_path, desk_factory, caplog, office_is_ours
):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    lock = libreoffice_lock(tmp_path, socket.gethostname(), hours_old=13)
    with caplog.at_level(logging.WARNING):
        report = desk_factory(path).cycle(NOW)
    assert report.wrote and "CS-20261123-0001" in tickets_by_id(path)
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any(line.startswith("STALE LOCK ignored") and "Sandra Liu" in line and "13.0 h" in line
               and "stale_lock_hours = 12" in line for line in warnings), warnings
    assert lock.exists()  # not ours to delete


def test_an_old_lock_is_live_while_its_program_runs_on_this_host(tmp_path, desk_factory, office_is_ours):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    libreoffice_lock(tmp_path, socket.gethostname(), hours_old=13)
    program = tmp_path / TEST_OFFICE
    shutil.copy(shutil.which("sleep"), program)
    running = subprocess.Popen([str(program), "60"])
    try:
        report = desk_factory(path).cycle(NOW)
    finally:
        running.kill()
        running.wait()
    assert not report.wrote and "Sandra Liu" in report.deferred


@pytest.mark.parametrize("host, hours_old, limit", [("pc-07", 40, 12), (None, 13, 24)])
def test_a_lock_from_another_host_or_younger_than_the_setting_is_never_stale(
    tmp_path, office_is_ours, host, hours_old, limit
):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    libreoffice_lock(tmp_path, host or socket.gethostname(), hours_old=hours_old)
    backend = XlsxBackend(path, stale_lock_hours=limit)
    with pytest.raises(WriteDeferred, match="Sandra Liu"):
        backend._ensure_writable(backend.read())


def test_stale_lock_hours_is_read_from_the_config(tmp_path):
    from sync.service.config import load_settings
    from sync.service.desks import desk_configs, open_backend
    from tests.sync.service.test_config import write_config

    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("[workbook]\n", "[workbook]\nstale_lock_hours = 2.5\n", 1))
    assert open_backend(desk_configs(load_settings(config))[0]).stale_lock_hours == 2.5
