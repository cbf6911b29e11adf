"""The daemon: a cycle at start, then every ``[schedule] every_minutes`` (with a little jitter).

Every cycle is guarded: a failure is logged and counted, and the loop goes on, so a bad row, rule or file can
never crash-loop it. SIGTERM and SIGINT let the current cycle finish, then the daemon exits 0. One instance per
workbook: a second one exits 3. After each good cycle a heartbeat file is written atomically.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import schedule

from sync.engine import CycleReport, Desk
from sync.portal import PortalServer
from sync.service.config import Settings
from sync.service.desks import DeskConfig, desk_configs, ensure_state_dir, hold_locks, open_desk_cleanly
from sync.service.failures import describe_error
from sync.service.progress import spinner
from sync.service.web import open_portal

__all__ = ["run_daemon", "Daemon", "DeskRunner", "write_heartbeat", "HEARTBEAT_FILE"]

log = logging.getLogger(__name__)
HEARTBEAT_FILE = "heartbeat.json"
TICK_SECONDS = 0.2


def write_heartbeat(path: Path, data: dict) -> None:
    """Write ``data`` as JSON to ``path`` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".heartbeat.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(data, stream, ensure_ascii=False, indent=2, default=str)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


@dataclass
class DeskRunner:
    """One desk inside the daemon: its desk, its counters and its heartbeat."""

    config: DeskConfig
    desk: Desk
    cycles: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_report: CycleReport | None = None
    last_good: datetime | None = None
    progress: bool = False

    def run_cycle(self, now: datetime, dry_run: bool) -> bool:
        """Run one guarded cycle; return whether it succeeded. Never raises (but for KeyboardInterrupt)."""
        self.cycles += 1
        try:
            with spinner(self.config.name, self.progress) as progress:
                report = self.desk.cycle(now, dry_run=dry_run, progress=progress)
        except Exception as error:  # the guard: one bad cycle must not stop the daemon
            self._failed(now, error)
            return False
        self.consecutive_failures = 0
        self.last_report, self.last_good = report, now
        log.info("%s: %s", self.config.name, report.summary(), extra={"fields": _fields(self, report)})
        self._heartbeat(now)
        return True

    def _failed(self, now: datetime, error: Exception) -> None:
        self.failures += 1
        self.consecutive_failures += 1
        message = describe_error(error, hint=False)
        log.error(
            "%s: cycle failed (%s failures so far); the next cycle tries again: %s",
            self.config.name, self.failures, message,
            extra={"fields": {"desk": self.config.name, "ok": False, "cycles": self.cycles,
                              "failures": self.failures, "error": message}},
        )
        log.debug("%s: the failed cycle's traceback", self.config.name, exc_info=error)
        self._heartbeat(now, error=message)

    def _heartbeat(self, now: datetime, error: str | None = None) -> None:
        report = self.last_report
        try:
            write_heartbeat(
                self.config.state_dir / HEARTBEAT_FILE,
                {
                    "desk": self.config.name,
                    "pid": os.getpid(),
                    "ok": error is None,
                    "last_cycle": now.isoformat(),
                    "last_good_cycle": self.last_good.isoformat() if self.last_good else None,
                    "cycles": self.cycles,
                    "failures": self.failures,
                    "consecutive_failures": self.consecutive_failures,
                    "last_error": error,
                    "tickets": report.rows if report else None,
                    "problem_rows": report.problem_rows if report else None,
                    "cells_written": report.cells_written if report else None,
                    "mails_sent": report.mails_sent if report else None,
                    "duration_seconds": round(report.duration_seconds, 3) if report else None,
                },
            )
        except OSError as problem:  # a full disk must not stop the daemon either
            log.error("%s: cannot write the heartbeat: %s", self.config.name, problem)


def _fields(runner: DeskRunner, report: CycleReport) -> dict:
    return {
        "desk": runner.config.name,
        "ok": True,
        "cycles": runner.cycles,
        "failures": runner.failures,
        "tickets": report.rows,
        "problem_rows": report.problem_rows,
        "rule_problems": report.rule_problems,
        "cells_written": report.cells_written,
        "deferred": report.deferred,
        "mails_sent": report.mails_sent,
        "mails_held": report.mails_held,
        "duration_seconds": round(report.duration_seconds, 3),
    }


@dataclass
class Daemon:
    """The schedule loop over one or more desks."""

    runners: list[DeskRunner]
    every_minutes: float
    jitter_seconds: float = 0
    dry_run: bool = False
    clock: Callable[[], datetime] = lambda: datetime.now().astimezone()
    stopping: bool = False
    scheduler: schedule.Scheduler = field(default_factory=schedule.Scheduler)
    woken: threading.Event = field(default_factory=threading.Event)

    def wake(self) -> None:
        """Ask for a cycle at the next tick (the portal queued something: a complaint, an answer, a lookup).
        Safe from any thread; many wakes before the tick make one cycle."""
        self.woken.set()

    def stop(self, *_: object) -> None:
        """Ask the loop to end after the current cycle (the SIGTERM/SIGINT handler)."""
        if not self.stopping:
            log.info("stopping after the current cycle")
        self.stopping = True

    def cycle_all(self) -> None:
        for runner in self.runners:
            if self.stopping:
                return
            runner.run_cycle(self.clock(), self.dry_run)

    def run(self) -> int:
        """Run a cycle now, then on schedule until stopped. Return the exit code (0)."""
        seconds = max(1, round(self.every_minutes * 60))
        job = self.scheduler.every(seconds)
        if self.jitter_seconds >= 1:
            job = job.to(seconds + int(self.jitter_seconds))
        job.seconds.do(self.cycle_all)
        self.cycle_all()
        while not self.stopping:
            if self.woken.is_set():
                self.woken.clear()
                self.cycle_all()
            self.scheduler.run_pending()
            time.sleep(TICK_SECONDS)
        log.info("stopped")
        return 0


def run_daemon(
    settings: Settings, dry_run: bool = False, now: datetime | None = None, progress: bool = False
) -> int:
    """Serve every desk of ``settings`` until SIGTERM/SIGINT; return the exit code (0).

    Raise AlreadyRunning if another process serves one of the workbooks, ConfigError if a state dir is unusable.
    """
    configs = desk_configs(settings)
    for config in configs:
        ensure_state_dir(config)
    with hold_locks(configs):
        runners = [
            DeskRunner(config, open_desk_cleanly(config, remember=False), progress=progress) for config in configs
        ]
        daemon = Daemon(
            runners, settings.schedule.every_minutes, jitter_seconds=settings.schedule.jitter_seconds, dry_run=dry_run
        )
        if now is not None:
            daemon.clock = lambda: now
        signal.signal(signal.SIGTERM, daemon.stop)
        signal.signal(signal.SIGINT, daemon.stop)
        log.info("serving %s every %s minutes", ", ".join(config.name for config in configs),
                 settings.schedule.every_minutes)
        portal = _start_portal(settings, dry_run, daemon.wake)
        try:
            return daemon.run()
        finally:
            if portal is not None:
                portal.stop()
            for runner in runners:
                runner.desk.state.close()


def _start_portal(settings: Settings, dry_run: bool, wake: Callable[[], None]) -> PortalServer | None:
    """Serve the customer portal in a thread beside the cycles when ``[portal]`` is set (not in a dry run,
    which must change nothing: the portal queues what customers send). What a customer sends wakes a cycle at
    once, so a complaint is registered and a "not fixed" reopens its ticket within seconds, not minutes."""
    if settings.portal is None or dry_run:
        return None
    server = open_portal(settings, on_queued=wake)
    server.start()
    log.info("customer portal on %s (public address %s)", server.url, settings.portal.public_url)
    return server
