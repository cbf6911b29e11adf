"""Retries, budgets, timeouts, counts and the emulator switch of the gsheets HTTP client, over real HTTP."""

from __future__ import annotations

import socket
import threading

import pytest
from google.auth.credentials import AnonymousCredentials
from gspread.exceptions import APIError

from sync.backends.gsheets.backend import GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE, RetryPolicy, SheetsHTTPClient, emulator_base_url
from sync.errors import BackendError
from tests.sync.backends.gsheets.fake_sheets import FakeSheets

KEY = "retry-key"


class FakeClock:
    """A clock that only moves when the client sleeps: budgets are tested without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def policy(clock: FakeClock, budget: float = 60.0) -> RetryPolicy:
    return RetryPolicy(budget_seconds=budget, first_delay=1.0, max_delay=8.0, sleep=clock.sleep, clock=clock)


@pytest.fixture
def fake(monkeypatch):
    with FakeSheets() as server:
        server.create(KEY, tabs={"Tickets": [["Ticket ID"], ["CS-1"]]})
        monkeypatch.setenv(EMULATOR_VARIABLE, server.url)
        yield server


def test_a_429_is_retried_after_the_servers_retry_after(fake):
    clock = FakeClock()
    backend = GSheetsBackend(KEY, policy=policy(clock))
    backend.read()
    fake.fail_next(2, 429, retry_after="7")
    assert backend.read().sheets["Tickets"].rows == [["Ticket ID"], ["CS-1"]]
    assert len(clock.sleeps) == 2 and all(seconds >= 7 for seconds in clock.sleeps)
    assert backend.counts.retries == 2


def test_a_500_is_retried_with_growing_jittered_waits(fake):
    clock = FakeClock()
    backend = GSheetsBackend(KEY, policy=policy(clock))
    backend.read()
    fake.fail_next(4, 500)
    backend.read()
    ceilings = [1.0, 2.0, 4.0, 8.0]
    assert len(clock.sleeps) == 4
    assert all(0 <= seconds <= ceiling for seconds, ceiling in zip(clock.sleeps, ceilings, strict=True))


def test_past_the_budget_the_cycle_ends_with_backend_error_and_the_next_succeeds(fake):
    clock = FakeClock()
    backend = GSheetsBackend(KEY, policy=policy(clock, budget=60))
    backend.read()
    fake.fail_next(3, 503, retry_after="30")
    with pytest.raises(BackendError, match="HTTP 503.*3 attempt.*60 s budget.*next cycle"):
        backend.read()
    assert clock.sleeps == [30, 30]  # a third wait would pass the budget: no pointless sleep
    assert backend.read().sheets["Tickets"].rows[1] == ["CS-1"]


def test_a_retry_after_longer_than_the_budget_gives_up_at_once(fake):
    clock = FakeClock()
    backend = GSheetsBackend(KEY, policy=policy(clock, budget=10))
    backend.read()
    fake.fail_next(1, 429, retry_after="3600")
    with pytest.raises(BackendError):
        backend.read()
    assert clock.sleeps == []


def test_retries_over_real_http_succeed_within_a_small_budget(fake):
    clock = FakeClock()
    policy = RetryPolicy(budget_seconds=2.0, first_delay=0.01, max_delay=0.05, sleep=clock.sleep, clock=clock)
    backend = GSheetsBackend(KEY, policy=policy)
    backend.read()
    fake.fail_next(2, 429, retry_after="0")
    fake.fail_next(1, 500)
    backend.read()
    assert (backend.counts.retries, fake.failed) == (3, 3)
    assert len(clock.sleeps) == 3 and sum(clock.sleeps) <= 2.0


def test_one_budget_covers_every_request_of_an_operation(fake):
    clock = FakeClock()
    client = SheetsHTTPClient(None, policy=policy(clock, budget=20), emulator=fake.url)
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{KEY}"
    with client.operation():
        fake.fail_next(1, 429, retry_after="15")
        client.request("get", url)
        fake.fail_next(1, 429, retry_after="15")
        with pytest.raises(BackendError):
            client.request("get", url)  # 15 s already spent of the operation's 20


def test_a_client_error_is_not_retried(fake):
    clock = FakeClock()
    client = SheetsHTTPClient(None, policy=policy(clock), emulator=fake.url)
    with pytest.raises(APIError):
        client.request("get", "https://sheets.googleapis.com/v4/spreadsheets/missing")
    assert clock.sleeps == [] and client.counts.retries == 0


def test_a_drive_style_403_rate_limit_is_retried(fake):
    clock = FakeClock()
    client = SheetsHTTPClient(None, policy=policy(clock), emulator=fake.url)
    original = fake.handle
    answers = iter([(403, {"error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded"}]}}, {})])

    def handle(method, path, body):
        return next(answers, None) or original(method, path, body)

    fake.handle = handle
    client.request("get", f"https://sheets.googleapis.com/v4/spreadsheets/{KEY}")
    assert client.counts.retries == 1


def test_a_read_timeout_is_retried(fake):
    # The server holds its answer until the client, having given up on it, waits to retry: the timeout fires
    # whatever the machine's speed, and no sleep races it.
    gave_up = threading.Event()
    policy = RetryPolicy(budget_seconds=30, first_delay=0.01, read_timeout=0.2, sleep=lambda seconds: gave_up.set())
    backend = GSheetsBackend(KEY, policy=policy)
    backend.read()
    fake.before_next("read", lambda server: gave_up.wait(30))
    backend.read()
    assert gave_up.is_set() and backend.counts.retries == 1


def test_a_refused_connection_is_retried_then_reported(monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(EMULATOR_VARIABLE, f"http://127.0.0.1:{port}")
    clock = FakeClock()
    backend = GSheetsBackend(KEY, policy=policy(clock, budget=10))
    with pytest.raises(BackendError, match="connection failed"):
        backend.read()
    assert len(clock.sleeps) >= 2


def test_requests_are_counted_as_reads_and_writes(fake):
    client = SheetsHTTPClient(None, emulator=fake.url)
    client.values_batch_get(KEY, ["'Tickets'"])
    client.fetch_sheet_metadata(KEY)
    client.batch_update(KEY, {"requests": []})
    client.values_batch_update(KEY, {"valueInputOption": "RAW", "data": []})
    assert (client.counts.reads, client.counts.writes) == (2, 2)


def test_the_emulator_receives_sheets_and_drive_urls_and_nothing_else():
    client = SheetsHTTPClient(None, emulator="http://127.0.0.1:8089")
    assert client.route("https://sheets.googleapis.com/v4/spreadsheets/k/values:batchGet?ranges=A") == (
        "http://127.0.0.1:8089/v4/spreadsheets/k/values:batchGet?ranges=A")
    assert client.route("https://www.googleapis.com/drive/v3/files/k") == "http://127.0.0.1:8089/drive/v3/files/k"
    assert client.route("https://oauth2.googleapis.com/token") == "https://oauth2.googleapis.com/token"


def test_without_the_emulator_urls_are_left_alone():
    client = SheetsHTTPClient(AnonymousCredentials())
    url = "https://sheets.googleapis.com/v4/spreadsheets/k"
    assert client.route(url) == url
    assert emulator_base_url({}) is None
    assert emulator_base_url({EMULATOR_VARIABLE: " http://127.0.0.1:9/ "}) == "http://127.0.0.1:9"


def test_the_emulator_is_reached_with_anonymous_credentials(fake, tmp_path):
    backend = GSheetsBackend(KEY, credentials=tmp_path / "ignored-under-the-emulator.json")
    backend.read()
    assert isinstance(backend.http.session.credentials, AnonymousCredentials)
    assert "Authorization" not in backend.http.session.headers
