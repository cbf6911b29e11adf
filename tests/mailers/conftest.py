"""A real SMTP server on 127.0.0.1 (aiosmtpd) that collects what it receives and can be stopped or made
to answer with an error."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from mailers import Ledger, MailSettings, ReminderSettings
from tests.mailers.builders import ADMIN


@dataclass
class Received:
    """One envelope the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    peer: tuple

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.content)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class CollectingHandler:
    """Accepts DATA and keeps the envelope, or answers ``fail_with`` (e.g. ``451 4.3.0 try later``)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.fail_with: str | None = None
        self.on_data = None  # called with the envelope before answering, e.g. to kill a client

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.fail_with:
            return self.fail_with
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.peer)
        )
        if self.on_data is not None:
            self.on_data(envelope)
        return "250 OK"


class SmtpServer:
    """An aiosmtpd server on a fixed free port that can go down and come back."""

    def __init__(self, port: int, **smtp_options: object) -> None:
        self.port = port
        self.handler = CollectingHandler()
        self.smtp_options = smtp_options
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **self.smtp_options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def connections(self) -> int:
        return len({item.peer for item in self.received})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(smtp_server) -> MailSettings:
    return MailSettings(
        transport="smtp",
        host="127.0.0.1",
        port=smtp_server.port,
        security="none",
        sender="desk@sheetdesk.example",
        sender_name="Complaint desk 投诉台",
        timeout_seconds=5,
    )


@pytest.fixture
def reminder_settings() -> ReminderSettings:
    return ReminderSettings(admin_email=ADMIN)


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "state" / "state.sqlite") as opened:
        yield opened
