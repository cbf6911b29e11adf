"""Health that tells the truth: the heartbeat is written after good cycles only (by the daemon and by
``run --once``), a failed cycle leaves a record ``sheetdesk status`` reads, a stale heartbeat is unhealthy, and
``[monitor] ping_url`` gets the healthchecks.io pings on a real HTTP server on 127.0.0.1 — where a monitor that
hangs never holds the cycle up by more than its timeout."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sync.service.health import FAILED_CYCLE_FILE, HEARTBEAT_FILE
from tests.mailers.conftest import free_port
from tests.sync.conftest import make_workbook
from tests.sync.service.test_cli import invoke
from tests.sync.service.test_config import write_config
from tests.sync.service.test_daemon import start_daemon, stop, wait_for

NOW = "2026-11-23T10:00"
LATER = "2026-12-20T10:00"
PING_ID = "5f1c0ffe-check"


class Monitor:
    """A healthchecks.io stand-in on 127.0.0.1: keeps every path it is asked for; may take ``delay`` s to answer."""

    def __init__(self, delay: float = 0) -> None:
        self.paths: list[str] = []
        self.delay = delay
        monitor = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's hook name)
                monitor.paths.append(self.path)
                time.sleep(monitor.delay)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *arguments):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{PING_ID}"

    def __enter__(self) -> Monitor:
        self.thread.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def desk(tmp_path) -> Path:
    """A workbook with eight sample tickets, scheduled every 5 minutes (so a heartbeat is stale after 15)."""
    make_workbook(tmp_path / "desk.xlsx", sample=8)
    config = write_config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace("every_minutes = 0.02", "every_minutes = 5"),
                      encoding="utf-8")
    return config


def with_monitor(config: Path, url: str, timeout: float = 5) -> Path:
    config.write_text(config.read_text(encoding="utf-8") + f'[monitor]\nping_url = "{url}"\ntimeout_seconds = {timeout}\n',
                      encoding="utf-8")
    return config


def record(state_dir: Path, name: str) -> dict:
    path = state_dir / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def break_workbook(path: Path) -> None:
    path.write_bytes(os.urandom(2048))  # someone saved garbage over it


# -- the heartbeat and status --------------------------------------------------------------------------------


def test_run_once_writes_the_heartbeat_and_status_says_healthy(desk, tmp_path):
    assert invoke("status", "--config", desk).exit_code == 1  # nothing ran yet

    assert invoke("run", "--once", "--config", desk, "--now", NOW).exit_code == 0

    beat = record(tmp_path / "state", HEARTBEAT_FILE)
    assert beat["ok"] is True and beat["tickets"] == 8 and beat["desk"] == "main"
    result = invoke("status", "--config", desk)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("main: ok — last good cycle ended")


def test_a_failed_cycle_leaves_the_heartbeat_alone_and_status_says_why(desk, tmp_path):
    assert invoke("run", "--once", "--config", desk, "--now", NOW).exit_code == 0
    heartbeat = tmp_path / "state" / HEARTBEAT_FILE
    before = heartbeat.read_bytes(), heartbeat.stat().st_mtime_ns
    break_workbook(tmp_path / "desk.xlsx")

    assert invoke("run", "--once", "--config", desk, "--now", NOW).exit_code != 0

    assert (heartbeat.read_bytes(), heartbeat.stat().st_mtime_ns) == before  # `find -mmin` sees no fresh beat
    result = invoke("status", "--config", desk)
    assert result.exit_code == 1
    [line] = result.stdout.splitlines()
    assert line.startswith("main: UNHEALTHY — the last cycle failed") and "cannot be read" in line, line


def test_a_cycle_whose_mail_failed_is_a_failed_cycle(desk, tmp_path):
    (tmp_path / "outbox").write_text("a file where the outbox folder should be", encoding="utf-8")
    assert invoke("run", "--once", "--config", desk, "--now", LATER).exit_code == 1

    assert record(tmp_path / "state", HEARTBEAT_FILE) == {}
    assert record(tmp_path / "state", FAILED_CYCLE_FILE)["mails_waiting"] > 0
    result = invoke("status", "--config", desk)
    assert result.exit_code == 1 and "not delivered" in result.stdout, result.stdout


def test_the_next_good_cycle_makes_the_desk_healthy_again(desk, tmp_path):
    good = (tmp_path / "desk.xlsx").read_bytes()
    break_workbook(tmp_path / "desk.xlsx")
    invoke("run", "--once", "--config", desk, "--now", NOW)
    (tmp_path / "desk.xlsx").write_bytes(good)

    assert invoke("run", "--once", "--config", desk, "--now", NOW).exit_code == 0

    assert not (tmp_path / "state" / FAILED_CYCLE_FILE).exists()
    assert invoke("status", "--config", desk).exit_code == 0


def test_a_heartbeat_older_than_three_intervals_is_unhealthy(desk, tmp_path):
    config = desk
    assert invoke("run", "--once", "--config", config, "--now", NOW).exit_code == 0
    path = tmp_path / "state" / HEARTBEAT_FILE
    beat = json.loads(path.read_text(encoding="utf-8"))
    beat["finished_at"] = (datetime.now(UTC) - timedelta(minutes=14)).isoformat()
    path.write_text(json.dumps(beat), encoding="utf-8")
    assert invoke("status", "--config", config).exit_code == 0  # 14 minutes: within 3 × 5

    beat["finished_at"] = (datetime.now(UTC) - timedelta(minutes=16)).isoformat()
    path.write_text(json.dumps(beat), encoding="utf-8")
    result = invoke("status", "--config", config)
    assert result.exit_code == 1
    assert "16 minutes ago, more than 3 × every_minutes (15 minutes)" in result.stdout, result.stdout


def test_a_dry_run_records_no_health(desk, tmp_path):
    assert invoke("run", "--once", "--dry-run", "--config", desk, "--now", NOW).exit_code == 0
    assert not (tmp_path / "state").exists()


def test_status_with_a_broken_config_is_a_config_error(tmp_path):
    (tmp_path / "config.toml").write_text("[schedule]\nevery_minute = 5\n", encoding="utf-8")
    assert invoke("status", "--config", tmp_path / "config.toml").exit_code == 2


# -- the monitor ---------------------------------------------------------------------------------------------


def test_run_once_pings_start_then_success(desk):
    with Monitor() as monitor:
        assert invoke("run", "--once", "--config", with_monitor(desk, monitor.url), "--now", NOW).exit_code == 0
        wait_for(lambda: len(monitor.paths) >= 2, what="two pings")
    assert sorted(monitor.paths) == sorted([f"/{PING_ID}/start", f"/{PING_ID}"])


def test_a_failed_cycle_pings_fail(desk, tmp_path):
    break_workbook(tmp_path / "desk.xlsx")
    with Monitor() as monitor:
        assert invoke("run", "--once", "--config", with_monitor(desk, monitor.url), "--now", NOW).exit_code != 0
        wait_for(lambda: len(monitor.paths) >= 2, what="two pings")
    assert sorted(monitor.paths) == sorted([f"/{PING_ID}/start", f"/{PING_ID}/fail"])


def test_a_monitor_that_hangs_delays_run_once_by_at_most_its_timeout(desk, tmp_path):
    started = time.monotonic()
    assert invoke("run", "--once", "--config", desk, "--now", NOW).exit_code == 0
    plain = time.monotonic() - started
    (tmp_path / "state" / "sheetdesk.sqlite3").unlink()  # so the second cycle does the same work again
    with Monitor(delay=30) as monitor:
        config = with_monitor(desk, monitor.url, timeout=1)
        started = time.monotonic()
        result = invoke("run", "--once", "--config", config, "--now", NOW)
        pinged = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert pinged < plain + 1 + 2, (plain, pinged)  # the cycle, plus at most the 1 s timeout (and some slack)
    assert "monitor ping" in result.stderr and PING_ID not in result.stderr  # logged, without the secret URL


def test_a_dead_monitor_never_fails_the_cycle(desk):
    config = with_monitor(desk, f"http://127.0.0.1:{free_port()}/{PING_ID}", timeout=1)
    result = invoke("run", "--once", "--config", config, "--now", NOW)
    assert result.exit_code == 0, result.output
    assert invoke("status", "--config", config).exit_code == 0


def test_the_daemon_pings_every_cycle(tmp_path):
    make_workbook(tmp_path / "desk.xlsx", sample=8)
    desk = write_config(tmp_path)  # a cycle about every second
    with Monitor() as monitor:
        daemon = start_daemon(with_monitor(desk, monitor.url), tmp_path / "daemon.log")
        try:
            wait_for(lambda: monitor.paths.count(f"/{PING_ID}") >= 2, what="two good cycles")
        finally:
            code = stop(daemon)
    assert code == 0
    assert monitor.paths[0] == f"/{PING_ID}/start" and f"/{PING_ID}/fail" not in monitor.paths
    assert record(tmp_path / "state", HEARTBEAT_FILE)["ok"] is True
