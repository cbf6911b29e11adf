"""Health that tells the truth: the heartbeat, the failed-cycle record, ``sheetdesk status`` and the monitor ping.

Two files in each desk's ``[state] dir``, both written atomically (a reader never sees half a file):

    heartbeat.json      rewritten after a GOOD cycle only: the cycle ran to the end and every mail it tried went
                        out. So ``find heartbeat.json -mmin -15`` stays a true check.
    failed-cycle.json   written after a failed cycle (an error, or a mail not delivered), with the reason;
                        removed by the next good cycle.

``desk_health`` reads them: unhealthy when the last cycle failed, when no good cycle was ever recorded, or
when the last good one ended more than ``STALE_CYCLES`` × ``every_minutes`` ago. The daemon and ``run --once``
both write them (a dry run writes nothing).

``Monitor`` pings ``[monitor] ping_url`` the healthchecks.io way: ``url/start`` when a cycle starts, ``url``
after a good cycle, ``url/fail`` after a failed one. Each ping runs in its own thread with
``[monitor] timeout_seconds``, so a slow or dead monitor never holds up a cycle; ``run --once`` waits for its
pings at most that long before it exits. The URL is never logged (it carries the check's secret id).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sync.engine import CycleReport

__all__ = [
    "HEARTBEAT_FILE",
    "FAILED_CYCLE_FILE",
    "STALE_CYCLES",
    "Health",
    "Monitor",
    "record_good_cycle",
    "record_failed_cycle",
    "failure_reason",
    "report_fields",
    "desk_health",
    "write_json_atomically",
]

log = logging.getLogger(__name__)
HEARTBEAT_FILE = "heartbeat.json"
FAILED_CYCLE_FILE = "failed-cycle.json"
STALE_CYCLES = 3  # a last good cycle older than this many schedule intervals means the desk has stopped


def write_json_atomically(path: Path, data: dict) -> None:
    """Write ``data`` as JSON to ``path`` atomically (temp file in the same folder, fsync, replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False, indent=2, default=str)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record_good_cycle(state_dir: Path, data: dict) -> None:
    """After a good cycle: rewrite the heartbeat (stamped ``finished_at`` = the real clock, UTC) and drop any
    failed-cycle record. A disk problem is logged, never raised (it must not stop the daemon)."""
    try:
        write_json_atomically(state_dir / HEARTBEAT_FILE, {**data, "ok": True, "finished_at": _utc_now()})
        (state_dir / FAILED_CYCLE_FILE).unlink(missing_ok=True)
    except OSError as problem:
        log.error("cannot write the heartbeat in %s: %s", state_dir, problem)


def record_failed_cycle(state_dir: Path, reason: str, data: dict | None = None) -> None:
    """After a failed cycle: write the failed-cycle record with ``reason``; the heartbeat is left as it was."""
    try:
        record = {**(data or {}), "ok": False, "reason": reason, "finished_at": _utc_now()}
        write_json_atomically(state_dir / FAILED_CYCLE_FILE, record)
    except OSError as problem:
        log.error("cannot record the failed cycle in %s: %s", state_dir, problem)


def failure_reason(report: CycleReport) -> str | None:
    """Why a cycle that ran to its end was still not good (a mail was not delivered), or None when it was."""
    failures = report.mail_failures
    if not failures:
        return None
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    return failures[0].describe() + more


def report_fields(report: CycleReport) -> dict:
    """A cycle's figures, for the heartbeat and the JSON log line."""
    return {
        "tickets": report.rows,
        "problem_rows": report.problem_rows,
        "rule_problems": report.rule_problems,
        "cells_written": report.cells_written,
        "deferred": report.deferred,
        "mails_sent": report.mails_sent,
        "mails_waiting": report.mails_waiting,
        "mails_failed": report.mails_failed,
        "mails_held": report.mails_held,
        "duration_seconds": round(report.duration_seconds, 3),
    }


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Health:
    """One desk's health: ``ok``, and one line saying why."""

    desk: str
    ok: bool
    reason: str

    def line(self) -> str:
        return f"{self.desk}: {'ok' if self.ok else 'UNHEALTHY'} — {self.reason}"


def desk_health(desk: str, state_dir: Path, every_minutes: float, now: datetime | None = None) -> Health:
    """Given a desk's state dir and schedule, return its health as of ``now`` (the real clock by default)."""
    now = now or datetime.now(UTC)
    good = _read_record(state_dir / HEARTBEAT_FILE)
    failed = _read_record(state_dir / FAILED_CYCLE_FILE)
    good_at = _finished_at(good)
    failed_at = _finished_at(failed)
    if failed_at is not None and (good_at is None or failed_at >= good_at):
        return Health(desk, False, f"the last cycle failed ({_ago(now, failed_at)}): {failed.get('reason')}")
    if good_at is None:
        return Health(desk, False, f"no good cycle recorded in {state_dir} yet — is sheetdesk running?")
    limit = STALE_CYCLES * every_minutes
    if (now - good_at).total_seconds() > limit * 60:
        return Health(desk, False, f"the last good cycle ended {_ago(now, good_at)}, more than {STALE_CYCLES} × "
                                   f"every_minutes ({limit:g} minutes) — is sheetdesk still running?")
    return Health(desk, True, f"last good cycle ended {_ago(now, good_at)}")


def _read_record(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _finished_at(record: dict) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(record["finished_at"]))
    except (KeyError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ago(now: datetime, moment: datetime) -> str:
    minutes = max(0, round((now - moment).total_seconds() / 60))
    when = moment.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    return f"at {when}, {minutes} minute{'' if minutes == 1 else 's'} ago"


class Monitor:
    """Pings a healthchecks.io-style URL; never raises, never holds a cycle up (see the module docstring)."""

    def __init__(self, ping_url: str | None, timeout_seconds: float) -> None:
        self.ping_url = ping_url.rstrip("/") if ping_url else None
        self.timeout_seconds = timeout_seconds
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """A cycle starts: GET ``url/start``."""
        self._ping("/start")

    def finished(self, good: bool) -> None:
        """A cycle ended: GET ``url`` when it was good, ``url/fail`` when not."""
        self._ping("" if good else "/fail")

    def wait(self) -> None:
        """Wait for the pings still under way, at most ``timeout_seconds`` in all (``run --once`` before exit)."""
        deadline = time.monotonic() + self.timeout_seconds
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [thread for thread in self._threads if thread.is_alive()]

    def _ping(self, suffix: str) -> None:
        if not self.ping_url:
            return
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        thread = threading.Thread(target=self._get, args=(self.ping_url + suffix, suffix or "/"), daemon=True,
                                  name=f"monitor-ping{suffix or '/'}")
        thread.start()
        self._threads.append(thread)

    def _get(self, url: str, what: str) -> None:
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_seconds) as response:  # noqa: S310 (http(s) only)
                response.read(1024)
        except Exception as error:  # the monitor's trouble must never become the desk's
            log.warning("monitor ping %s failed: %s", what, type(error).__name__ + (f" ({error})" if str(error) else ""))
