"""Fixtures for the portal: an app over a real state store in tmp_path, a settable clock, and helpers that read
the tokens a page carries the way a browser would."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.customers import CustomerStore, DeskReply, PublishedTicket, ReplyMail
from sync.portal import PortalConfig, Tokens, create_app
from sync.service.web import intake_submit
from sync.state import STATE_FILE, QueuedRow, StateStore

SECRET = "test-secret-not-for-production"
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CATEGORIES = ["Product quality", "Delivery", "Service"]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Intake:
    """The one intake function as the service wires it, and its queue as the next cycle will read it."""

    def __init__(self, state_dir: Path) -> None:
        self.submit = intake_submit(state_dir)
        self.state = StateStore(state_dir)

    def __call__(self, *arguments):
        return self.submit(*arguments)

    @property
    def complaints(self) -> list[QueuedRow]:
        return self.state.queued()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (``report_call``): the browser keeps its page on a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    StateStore(tmp_path / "state").close()
    return tmp_path / "state" / STATE_FILE


@pytest.fixture
def store(state_path: Path) -> CustomerStore:
    store = CustomerStore(state_path)
    store.publish(
        [PublishedTicket("CS-20261123-0001", "Investigating", "Important", "Quality", "2026-11-23 18:00"),
         PublishedTicket("CS-20261123-0002", "New")],
        {"category": CATEGORIES}, "en",
    )
    store.record_reply(DeskReply("CS-20261123-0001", "a1", "2026-11-23 11:00", "We are checking the batch.",
                                 ReplyMail.DUE))
    return store


@pytest.fixture
def intake(state_path: Path):
    intake = Intake(state_path.parent)
    yield intake
    intake.state.close()


@pytest.fixture
def app(state_path: Path, store: CustomerStore, clock: Clock, intake: Intake):
    config = PortalConfig(SECRET, state_path, intake, public_url="https://desk.example.com", clock=clock)
    app = create_app(config)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(clock: Clock) -> Tokens:
    return Tokens(SECRET, clock)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hidden(page: str, name: str) -> str:
    """The value of the hidden input ``name`` on an HTML page."""
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def resolve(store: CustomerStore, ticket_id: str) -> int:
    """Publish ``ticket_id`` as Resolved in a new round, as a cycle does; return the round."""
    ticket = store.published(ticket_id)
    assert ticket is not None
    store.publish([PublishedTicket(ticket_id, "Resolved", ticket.grade, ticket.department)],
                  {"category": CATEGORIES}, "en")
    return store.advance_round(ticket_id)


GOOD_COMPLAINT = {
    "customer": "Harbour Foods",
    "email": "buyer@harbour.example",
    "phone": "+86 21 5555 0100",
    "product": "Cold-chain box",
    "category": "Product quality",
    "order_no": "PO-7731",
    "description": "Lid cracks on delivery",
}
