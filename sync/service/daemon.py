"""The daemon: a cycle at start, then every ``[schedule] every_minutes`` (with a little jitter).

Between cycles each desk's complaints mailbox is polled every ``[intake.mail] poll_minutes``; a poll that took
something in (a complaint, a reply, a bounce) wakes a cycle at once, as a complaint on the portal does.

Every cycle is guarded: a failure is logged and counted, and the loop goes on, so a bad row, rule or file can
never crash-loop it. SIGTERM and SIGINT let the current cycle finish, then the daemon exits 0. One instance per
workbook: a second one exits 3. After each good cycle the heartbeat is rewritten, after a failed one (an error,
or a mail not delivered) the failed-cycle record; ``[monitor] ping_url`` hears of each (sync.service.health).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import schedule

from sync.engine import CycleReport, Desk
from sync.intake.channels import IntakeChannels
from sync.portal import PortalServer
from sync.service.config import Settings
from sync.service.desks import (
    DeskConfig,
    desk_configs,
    ensure_state_dir,
    hold_locks,
    open_desk_cleanly,
    read_only_desk,
)
from sync.service.failures import describe_error
from sync.service.health import Monitor, failure_reason, record_failed_cycle, record_good_cycle, report_fields
from sync.service.progress import spinner
from sync.service.web import open_portal

__all__ = ["run_daemon", "Daemon", "DeskRunner"]

log = logging.getLogger(__name__)
TICK_SECONDS = 0.2


@dataclass
class DeskRunner:
    """One desk inside the daemon: its desk, its counters and its health records (see sync.service.health)."""

    config: DeskConfig
    desk: Desk
    cycles: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_report: CycleReport | None = None
    last_good: datetime | None = None
    progress: bool = False
    polls: int = 0
    poll_failures: int = 0

    @property
    def poll_minutes(self) -> float | None:
        """How often the desk's mailbox is polled between cycles (None: the desk has no mailbox)."""
        mail = self.config.intake.mail
        return mail.poll_minutes if mail is not None and isinstance(self.desk.intake, IntakeChannels) else None

    def poll(self, now: datetime) -> bool:
        """Poll the desk's mailbox between cycles; return whether a cycle should run now to write what came in.
        Never raises (but for KeyboardInterrupt): a failure is logged, and the next poll or cycle tries again."""
        intake = self.desk.intake
        if not isinstance(intake, IntakeChannels):
            return False
        self.polls += 1
        try:
            report = intake.poll(now)
        except Exception as error:  # the guard: a mailbox problem must not stop the daemon
            self.poll_failures += 1
            log.warning("%s: the mailbox poll failed; the next poll tries again: %s", self.config.name,
                        describe_error(error, hint=False))
            return False
        return report is not None and report.needs_cycle

    def run_cycle(self, now: datetime, dry_run: bool) -> bool:
        """Run one guarded cycle; return whether it was good (it ran to the end and every mail it tried went
        out). Never raises (but for KeyboardInterrupt). A dry run records nothing."""
        self.cycles += 1
        try:
            with spinner(self.config.name, self.progress) as progress:
                report = self.desk.cycle(now, dry_run=dry_run, progress=progress)
        except Exception as error:  # the guard: one bad cycle must not stop the daemon
            self._failed(now, error, dry_run)
            return False
        self.last_report = report
        log.info("%s: %s", self.config.name, report.summary(), extra={"fields": _fields(self, report)})
        reason = failure_reason(report)
        if reason is not None:
            self._count_failure(now, reason, dry_run)
            return False
        self.consecutive_failures = 0
        self.last_good = now
        if not dry_run:
            record_good_cycle(self.config.state_dir, self._record(now, report))
        return True

    def _failed(self, now: datetime, error: Exception, dry_run: bool) -> None:
        message = describe_error(error, hint=False)
        self._count_failure(now, message, dry_run)
        log.error(
            "%s: cycle failed (%s failures so far); the next cycle tries again: %s",
            self.config.name, self.failures, message,
            extra={"fields": {"desk": self.config.name, "ok": False, "cycles": self.cycles,
                              "failures": self.failures, "error": message}},
        )
        log.debug("%s: the failed cycle's traceback", self.config.name, exc_info=error)

    def _count_failure(self, now: datetime, reason: str, dry_run: bool) -> None:
        self.failures += 1
        self.consecutive_failures += 1
        if not dry_run:
            record_failed_cycle(self.config.state_dir, reason, self._record(now, None))

    def _record(self, now: datetime, report: CycleReport | None) -> dict:
        """What the heartbeat (``report`` given) or the failed-cycle record says about this desk."""
        record = {
            "desk": self.config.name,
            "pid": os.getpid(),
            "last_cycle": now.isoformat(),
            "last_good_cycle": self.last_good.isoformat() if self.last_good else None,
            "cycles": self.cycles,
            "failures": self.failures,
            "consecutive_failures": self.consecutive_failures,
        }
        return record if report is None else {**record, **report_fields(report)}


def _fields(runner: DeskRunner, report: CycleReport) -> dict:
    """The JSON log line's fields for a finished cycle."""
    good = not report.mail_failed
    return {"desk": runner.config.name, "ok": good, "cycles": runner.cycles, "failures": runner.failures,
            **report_fields(report)}


@dataclass
class Daemon:
    """The schedule loop over one or more desks."""

    runners: list[DeskRunner]
    every_minutes: float
    jitter_seconds: float = 0
    dry_run: bool = False
    monitor: Monitor = field(default_factory=lambda: Monitor(None, 1))
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
        """One cycle of every desk; the monitor hears the start and whether all of them were good."""
        if not self.dry_run:
            self.monitor.start()
        good = True
        for runner in self.runners:
            if self.stopping:
                break
            good = runner.run_cycle(self.clock(), self.dry_run) and good
        if not self.dry_run:
            self.monitor.finished(good)

    def poll(self, runner: DeskRunner) -> None:
        """Poll one desk's mailbox between cycles; wake a cycle when the poll took something in."""
        if not self.stopping and runner.poll(self.clock()):
            self.wake()

    def run(self) -> int:
        """Run a cycle now, then on schedule until stopped, polling mailboxes between cycles. Return the exit
        code (0). A dry run polls nothing: polling takes mail in."""
        seconds = max(1, round(self.every_minutes * 60))
        job = self.scheduler.every(seconds)
        if self.jitter_seconds >= 1:
            job = job.to(seconds + int(self.jitter_seconds))
        job.seconds.do(self.cycle_all)
        for runner in self.runners:
            if runner.poll_minutes is not None and not self.dry_run:
                self.scheduler.every(max(1, round(runner.poll_minutes * 60))).seconds.do(self.poll, runner)
                log.info("%s: polling the complaints mailbox every %s minutes between cycles", runner.config.name,
                         runner.poll_minutes)
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

    With ``dry_run`` nothing is written, sent, recorded or created (each desk works on a scratch copy of its
    state). Raise AlreadyRunning if another process serves one of the workbooks, ConfigError if a state dir is
    unusable.
    """
    configs = desk_configs(settings)
    with contextlib.ExitStack() as stack:
        if not dry_run:
            for config in configs:
                ensure_state_dir(config)
            stack.enter_context(hold_locks(configs))
        desks = [stack.enter_context(_served_desk(config, dry_run)) for config in configs]
        runners = [DeskRunner(config, desk, progress=progress) for config, desk in zip(configs, desks, strict=True)]
        daemon = Daemon(
            runners, settings.schedule.every_minutes, jitter_seconds=settings.schedule.jitter_seconds, dry_run=dry_run,
            monitor=Monitor(settings.monitor.ping_url, settings.monitor.timeout_seconds),
        )
        if now is not None:
            daemon.clock = lambda: now
        signal.signal(signal.SIGTERM, daemon.stop)
        signal.signal(signal.SIGINT, daemon.stop)
        log.info("serving %s every %s minutes%s", ", ".join(config.name for config in configs),
                 settings.schedule.every_minutes, " (dry run: nothing is written or sent)" if dry_run else "")
        portal = _start_portal(settings, dry_run, daemon.wake)
        try:
            return daemon.run()
        finally:
            if portal is not None:
                portal.stop()


@contextlib.contextmanager
def _served_desk(config: DeskConfig, dry_run: bool) -> Iterator[Desk]:
    """The desk the daemon serves: the real one, or for a dry run a desk over a scratch copy of its state."""
    if dry_run:
        with read_only_desk(config, mail=True) as desk:
            yield desk
        return
    desk = open_desk_cleanly(config, remember=False)
    try:
        yield desk
    finally:
        desk.state.close()


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
