"""The daemon: cycles on a ~1 s schedule as a real process, SIGTERM ends it cleanly, one instance per workbook,
a failing cycle is logged and counted and the next one runs; plus the loop in-process with a backend whose
read() fails once (the outermost edge)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from sync.errors import WorkbookError
from sync.service.config import load_settings
from sync.service.daemon import Daemon, DeskRunner
from sync.service.desks import desk_configs, open_backend, open_desk
from sync.service.health import FAILED_CYCLE_FILE, HEARTBEAT_FILE, write_json_atomically
from sync.service.progress import spinner
from tests.sync.conftest import NEW_COMPLAINT, NOW, make_workbook, tickets_by_id
from tests.sync.service.test_cli import child_environment
from tests.sync.service.test_config import write_config

ONE_SECOND = 1 / 60  # every_minutes for a one-second schedule


def wait_for(condition: Callable[[], object], timeout: float = 20, what: str = "") -> object:
    """Poll ``condition`` until it returns something true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what or condition}")


def heartbeat(state_dir: Path) -> dict:
    """The heartbeat: written after good cycles only."""
    path = state_dir / HEARTBEAT_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def failed_cycle(state_dir: Path) -> dict:
    """The failed-cycle record: written after a failed cycle, removed by the next good one."""
    path = state_dir / FAILED_CYCLE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def start_daemon(config: Path, log: Path, *options: str) -> subprocess.Popen:
    """Start ``sheetdesk run`` as its own process, its log going to ``log``."""
    stream = log.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "sync.service.cli", "run", "--config", str(config), *options],
        cwd=config.parent, env=child_environment(), stdout=stream, stderr=subprocess.STDOUT,
    )
    stream.close()
    return process


def stop(process: subprocess.Popen) -> int:
    """Send SIGTERM and return the exit code; a daemon that ignores it is killed and the test fails."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("the daemon did not stop on SIGTERM")


@pytest.fixture
def served(tmp_path):
    """A workbook with eight sample tickets and one new complaint, and a config on a ~1 s schedule."""
    make_workbook(tmp_path / "desk.xlsx", sample=8, rows=[NEW_COMPLAINT])
    return write_config(tmp_path)


# -- the real process ----------------------------------------------------------------------------------------


def test_the_daemon_cycles_on_schedule_serves_alone_and_stops_cleanly_on_sigterm(served, tmp_path):
    daemon = start_daemon(served, tmp_path / "daemon.log", "--json-logs")
    try:
        beat = wait_for(lambda: heartbeat(tmp_path / "state").get("cycles", 0) >= 2, what="two cycles")
        second = subprocess.run(
            [sys.executable, "-m", "sync.service.cli", "run", "--config", str(served)],
            cwd=tmp_path, env=child_environment(), capture_output=True, text=True, timeout=60,
        )
    finally:
        code = stop(daemon)
    assert beat and code == 0, (tmp_path / "daemon.log").read_text()
    assert second.returncode == 3
    assert second.stderr == (
        f"sheetdesk: already running for {(tmp_path / 'desk.xlsx').resolve()} (pid {daemon.pid}) — "
        "stop that one first, or let it serve\n"
    )
    state = heartbeat(tmp_path / "state")
    assert state["ok"] is True and state["failures"] == 0, (state, (tmp_path / "daemon.log").read_text())
    assert state["tickets"] == 9 and state["pid"] == daemon.pid
    tickets = tickets_by_id(tmp_path / "desk.xlsx")  # opens with openpyxl: the file is whole
    assert len(tickets) == 9 and any(ticket_id.startswith("CS-") for ticket_id in tickets)

    entries = [json.loads(line) for line in (tmp_path / "daemon.log").read_text().splitlines()]
    cycles = [entry for entry in entries if "cells_written" in entry]
    assert len(cycles) >= 2 and cycles[-1]["cycles"] == len(cycles)
    assert {"desk", "tickets", "problem_rows", "mails_sent", "duration_seconds"} <= set(cycles[0])
    assert cycles[0]["tickets"] == 9 and cycles[0]["cells_written"] > 0  # the first cycle stamped the new row
    assert cycles[-1]["cells_written"] == 0  # and later ones had nothing to write
    assert entries[-1]["message"] == "stopped"


def test_a_cycle_that_fails_is_logged_and_counted_and_the_next_one_runs(served, tmp_path):
    workbook = tmp_path / "desk.xlsx"
    daemon = start_daemon(served, tmp_path / "daemon.log")
    try:
        first = wait_for(lambda: heartbeat(tmp_path / "state").get("ok") and heartbeat(tmp_path / "state"),
                         what="a good cycle")
        good = workbook.read_bytes()
        workbook.write_bytes(os.urandom(2048))  # someone saves garbage over the workbook
        failed = wait_for(lambda: failed_cycle(tmp_path / "state").get("failures", 0) >= 1
                          and failed_cycle(tmp_path / "state"), what="a failed cycle")
        beat_while_failing = heartbeat(tmp_path / "state")
        workbook.write_bytes(good)  # and puts it back
        recovered = wait_for(lambda: (beat := heartbeat(tmp_path / "state")).get("ok") and
                             beat["cycles"] > failed["cycles"] and beat, what="a good cycle after the failure")
    finally:
        code = stop(daemon)
    log = (tmp_path / "daemon.log").read_text()
    assert code == 0, log
    assert failed["ok"] is False and "cannot be read as an .xlsx workbook" in failed["reason"]
    assert beat_while_failing["cycles"] < failed["cycles"]  # a failed cycle never freshens the heartbeat
    assert beat_while_failing["finished_at"] <= failed["finished_at"] and first["ok"] is True
    assert recovered["failures"] >= 1 and recovered["consecutive_failures"] == 0
    assert recovered["last_good_cycle"] > failed["last_cycle"]
    assert failed_cycle(tmp_path / "state") == {}  # the good cycle cleared the failed-cycle record
    assert "main: cycle failed (1 failures so far); the next cycle tries again:" in log
    assert "Traceback" not in log
    assert len(tickets_by_id(workbook)) == 9


# -- in process: the guard and the loop, with a backend that fails once ---------------------------------------


class FailsOnce:
    """Wraps a real backend; its first read() raises ``error`` (the one thing mocked: the outermost edge)."""

    def __init__(self, backend, error: Exception, on_read: Callable[[], None] | None = None) -> None:
        self.backend, self.error, self.on_read, self.reads = backend, error, on_read, 0

    def read(self):
        self.reads += 1
        if self.on_read is not None:
            self.on_read()
        if self.reads == 1:
            raise self.error
        return self.backend.read()

    def __getattr__(self, name: str):
        return getattr(self.backend, name)


class LoopDidNotStop(BaseException):
    """Raised by a test hook past the daemon's guard (which catches Exception only) so a broken stop fails fast."""


def stop_or_give_up(runner: DeskRunner, stop_when: Callable[[], object]) -> Callable[[], None]:
    """An on_read hook: run ``stop_when``; if the loop still runs three cycles on, end the test's loop by force."""

    def hook() -> None:
        stop_when()
        if runner.cycles > 4:
            raise LoopDidNotStop(f"still cycling after {runner.cycles - 1} cycles")  # fails the test, never hangs

    return hook


def runner_over(tmp_path: Path, error: Exception, on_read: Callable[[], None] | None = None) -> DeskRunner:
    make_workbook(tmp_path / "desk.xlsx", sample=4, rows=[NEW_COMPLAINT])
    [config] = desk_configs(load_settings(write_config(tmp_path)))
    backend = FailsOnce(open_backend(config), error, on_read)
    return DeskRunner(config, open_desk(config, mail=False, backend=backend))


def test_the_guard_logs_an_unexpected_error_in_one_line_and_the_next_cycle_works(tmp_path, caplog):
    runner = runner_over(tmp_path, RuntimeError("network cable unplugged"))
    caplog.set_level(logging.INFO, logger="sync.service.daemon")
    try:
        assert runner.run_cycle(NOW, dry_run=False) is False
        assert heartbeat(runner.config.state_dir) == {}  # no good cycle yet: no heartbeat
        assert failed_cycle(runner.config.state_dir)["failures"] == 1
        assert runner.run_cycle(NOW, dry_run=False) is True
    finally:
        runner.desk.state.close()
    [failure] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert failure.getMessage() == (
        "main: cycle failed (1 failures so far); the next cycle tries again: "
        "unexpected RuntimeError: network cable unplugged"
    )
    assert failure.exc_info is None  # the traceback goes to the debug log only
    beat = heartbeat(runner.config.state_dir)
    assert (beat["ok"], beat["cycles"], beat["failures"], beat["consecutive_failures"]) == (True, 2, 1, 0)
    assert beat["tickets"] == 5 and failed_cycle(runner.config.state_dir) == {}
    assert "CS-20261123-0001" in tickets_by_id(tmp_path / "desk.xlsx")


def test_the_loop_goes_on_after_a_failed_cycle_until_stopped(tmp_path):
    runner = runner_over(tmp_path, WorkbookError("desk.xlsx: cannot be read"))
    daemon = Daemon([runner], every_minutes=ONE_SECOND, clock=lambda: NOW)
    runner.desk.backend.on_read = stop_or_give_up(runner, lambda: runner.cycles >= 2 and daemon.stop())
    try:
        assert daemon.run() == 0
    finally:
        runner.desk.state.close()
    assert (runner.cycles, runner.failures) == (2, 1)
    assert runner.last_good == NOW


def test_sigterm_during_a_cycle_lets_it_finish_and_then_the_loop_ends(tmp_path):
    runner = runner_over(tmp_path, WorkbookError("first read fails"))
    daemon = Daemon([runner], every_minutes=ONE_SECOND, clock=lambda: NOW)
    # The signal arrives while the second cycle is reading the workbook.
    runner.desk.backend.on_read = stop_or_give_up(
        runner, lambda: runner.cycles == 2 and os.kill(os.getpid(), signal.SIGTERM)
    )
    previous = signal.signal(signal.SIGTERM, daemon.stop)
    try:
        assert daemon.run() == 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        runner.desk.state.close()
    assert daemon.stopping and runner.cycles == 2
    assert runner.last_report is not None and runner.last_report.rows == 5  # the interrupted cycle finished
    assert heartbeat(runner.config.state_dir)["ok"] is True
    assert len(tickets_by_id(tmp_path / "desk.xlsx")) == 5


def test_the_heartbeat_is_replaced_whole(tmp_path):
    path = tmp_path / "state" / HEARTBEAT_FILE
    write_json_atomically(path, {"cycles": 1})
    write_json_atomically(path, {"cycles": 2, "desk": "北区"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"cycles": 2, "desk": "北区"}
    assert [file.name for file in path.parent.iterdir()] == [HEARTBEAT_FILE]  # no temporary files left


def test_a_heartbeat_that_cannot_be_written_does_not_stop_the_cycle(tmp_path, caplog):
    runner = runner_over(tmp_path, WorkbookError("first read fails"))
    (runner.config.state_dir / HEARTBEAT_FILE).mkdir()  # a folder where the file should go
    try:
        assert runner.run_cycle(NOW, dry_run=False) is False
        assert runner.run_cycle(NOW, dry_run=False) is True
    finally:
        runner.desk.state.close()
    assert f"cannot write the heartbeat in {runner.config.state_dir}" in caplog.text


# -- the progress spinner: a person at a terminal only --------------------------------------------------------


def test_no_spinner_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert not hasattr(spinner("main", True), "update")  # a nullcontext, not a rich Status


def test_a_spinner_on_a_terminal_but_never_in_ci_or_when_not_wanted(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats the output as a terminal
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("CI", raising=False)
    assert hasattr(spinner("main", True), "update")
    assert not hasattr(spinner("main", False), "update")
    monkeypatch.setenv("CI", "true")
    assert not hasattr(spinner("main", True), "update")


def test_the_workbook_a_failed_cycle_left_behind_still_opens(tmp_path):
    """A failed cycle writes nothing: the workbook the person sees stays exactly as it was."""
    runner = runner_over(tmp_path, WorkbookError("first read fails"))
    before = (tmp_path / "desk.xlsx").read_bytes()
    try:
        runner.run_cycle(NOW, dry_run=False)
    finally:
        runner.desk.state.close()
    assert (tmp_path / "desk.xlsx").read_bytes() == before
    openpyxl.load_workbook(tmp_path / "desk.xlsx")


def test_the_lock_in_the_state_dir_holds_even_when_temporary_folders_are_private(tmp_path, monkeypatch):
    from sync.errors import AlreadyRunning
    from sync.service.desks import InstanceLock

    first = InstanceLock("desk.xlsx", tmp_path / "state-dir")
    (tmp_path / "state-dir").mkdir()
    first.acquire()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # another service, another /tmp
    second = InstanceLock("desk.xlsx", tmp_path / "state-dir")
    with pytest.raises(AlreadyRunning, match="already running for desk.xlsx"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()
