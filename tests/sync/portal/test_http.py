"""The portal over real HTTP: waitress on 127.0.0.1 (a free port), as `sheetdesk serve` and `sheetdesk run`
serve it, talked to with urllib and a cookie jar like a browser without JavaScript."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from sync.service.config import load_settings
from sync.service.web import open_portal
from sync.state import StateStore
from tests.sync.conftest import make_workbook
from tests.sync.portal.conftest import GOOD_COMPLAINT, Clock, free_port

SECRET = "a-long-enough-test-secret-0123456789"


def write_config(folder: Path, port: int) -> Path:
    make_workbook(folder / "desk.xlsx")
    path = folder / "config.toml"
    path.write_text(f"""
[workbook]
path = "desk.xlsx"
[schedule]
every_minutes = 60
[mail]
transport = "outbox"
outbox_dir = "outbox"
[state]
dir = "state"
[portal]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
secret_env = "PORTAL_SECRET"
""", encoding="utf-8")
    return path


class Visitor:
    """A browser without JavaScript: cookies kept, forms posted as application/x-www-form-urlencoded."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


@pytest.fixture
def portal(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    settings = load_settings(write_config(tmp_path, 0))
    clock = Clock()
    server = open_portal(settings, listen="127.0.0.1:0", clock=clock)
    server.start()
    yield server, clock, settings
    server.stop()


def test_a_complaint_sent_over_http_is_queued_with_its_number(portal):
    server, clock, settings = portal
    visitor = Visitor(server.url)
    status, page = visitor.get("/")
    assert status == 200
    clock.advance(seconds=10)
    fields = {"csrf_token": hidden(page, "csrf_token"), "form_token": hidden(page, "form_token"), **GOOD_COMPLAINT}
    status, answer = visitor.post("/", fields)
    match = re.search(r'id="ticket-number">([^<]+)<', answer)
    assert match, (status, answer)
    number = match.group(1)
    assert status == 200 and number.startswith("CS-")
    state = StateStore(settings.resolve("state"))
    assert [queued.ticket_id for queued in state.queued()] == [number]
    state.close()
    status, again = visitor.post("/", fields)  # the same form sent twice is refused, not a second ticket
    assert status == 400


def test_a_post_from_another_site_without_the_cookie_is_refused(portal):
    server, clock, _ = portal
    page = Visitor(server.url).get("/")[1]
    clock.advance(seconds=10)
    stranger = Visitor(server.url)
    status, _ = stranger.post("/", {"csrf_token": hidden(page, "csrf_token"), "form_token": hidden(page, "form_token"),
                                    **GOOD_COMPLAINT})
    assert status == 400


def test_a_bad_listen_address_is_a_config_error(tmp_path, monkeypatch):
    from sync.errors import ConfigError

    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    settings = load_settings(write_config(tmp_path, 0))
    with pytest.raises(ConfigError, match=r"\[portal\] listen"):
        open_portal(settings, listen="nowhere")


def test_without_the_secret_the_portal_does_not_start_and_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET", raising=False)
    completed = subprocess.run(
        [sys.executable, "-m", "sync.service.cli", "serve", "--config", str(write_config(tmp_path, free_port()))],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    assert completed.returncode == 2
    assert "[portal] secret_env: the environment variable PORTAL_SECRET is not set" in completed.stderr


@pytest.mark.parametrize("command", [["serve"], ["run"]])
def test_sheetdesk_serve_and_run_serve_the_portal_until_sigterm(tmp_path, command):
    port = free_port()
    config = write_config(tmp_path, port)
    process = subprocess.Popen(
        [sys.executable, "-m", "sync.service.cli", *command, "--config", str(config)],
        env={**os.environ, "PORTAL_SECRET": SECRET, "PYTHONPATH": str(Path.cwd())},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        status, page = wait_for_page(f"http://127.0.0.1:{port}")
        assert status == 200 and 'name="form_token"' in page
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=180)
    assert process.returncode == 0, errors


def wait_for_page(base: str, seconds: float = 180) -> tuple[int, str]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return Visitor(base).get("/")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_complaint_wakes_the_daemon_so_its_row_appears_long_before_the_next_scheduled_cycle(tmp_path):
    from tests.sync.conftest import tickets_by_id

    port = free_port()
    config = write_config(tmp_path, port)  # every_minutes = 60
    process = subprocess.Popen(
        [sys.executable, "-m", "sync.service.cli", "run", "--config", str(config)],
        env={**os.environ, "PORTAL_SECRET": SECRET, "PYTHONPATH": str(Path.cwd())},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_page(f"http://127.0.0.1:{port}")
        wait_for_first_cycle(tmp_path / "state" / "heartbeat.json")
        visitor = Visitor(f"http://127.0.0.1:{port}")
        page = visitor.get("/")[1]
        time.sleep(3.1)  # the portal refuses a form sent faster than a person types
        fields = {"csrf_token": hidden(page, "csrf_token"), "form_token": hidden(page, "form_token"),
                  **GOOD_COMPLAINT, "category": "Product quality"}
        answer = visitor.post("/", fields)[1]
        number = re.search(r'id="ticket-number">([^<]+)<', answer).group(1)
        deadline = time.monotonic() + 180
        while number not in tickets_by_id(tmp_path / "desk.xlsx"):
            assert time.monotonic() < deadline, "the complaint's row did not appear: the daemon was not woken"
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=180)
    assert process.returncode == 0, errors


def wait_for_first_cycle(heartbeat: Path, seconds: float = 180) -> None:
    """The daemon's first cycle is over: it wrote its heartbeat."""
    deadline = time.monotonic() + seconds
    while not heartbeat.exists():
        assert time.monotonic() < deadline, "the daemon's first cycle did not finish"
        time.sleep(0.2)
