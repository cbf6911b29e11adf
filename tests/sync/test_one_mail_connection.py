"""One SMTP connection per cycle (DESIGN §10): the liaison's digest, the customer's "is it fixed?" and the
acknowledgement of a new complaint all go out over the cycle's one connection — the real desk as the daemon
opens it, a real .xlsx, and a real SMTP server (aiosmtpd) on 127.0.0.1 counting connections."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.intake import CHANNEL_WEBSITE, Complaint, take_in
from sync.service.config import load_settings
from sync.service.desks import desk_configs, open_desk
from tests.mailers import conftest as mailer_fixtures
from tests.mailers.conftest import SmtpServer
from tests.sync.conftest import NEW_COMPLAINT, make_workbook
from tests.sync.test_customer_loop import COMPLAINT, MONDAY, RESOLVED, SECRET, edit

PORTAL_CUSTOMER = "buyer@lotus.example"
smtp_server = mailer_fixtures.smtp_server  # the real SMTP server (aiosmtpd) the mailer tests use


@pytest.fixture
def desk(tmp_path, monkeypatch, smtp_server):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    make_workbook(tmp_path / "desk.xlsx", rows=[COMPLAINT])
    (tmp_path / "config.toml").write_text(f"""
[workbook]
path = "desk.xlsx"
[reminders]
quiet_hours = false
[mail]
transport = "smtp"
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
sender = "desk@example.com"
timeout_seconds = 5
[state]
dir = "state"
[portal]
public_url = "https://complaints.example.com"
secret_env = "PORTAL_SECRET"
""", encoding="utf-8")
    desk = open_desk(desk_configs(load_settings(tmp_path / "config.toml"))[0])
    yield desk
    desk.state.close()


def a_portal_complaint(desk) -> str:
    complaint = Complaint(channel=CHANNEL_WEBSITE, received=MONDAY + timedelta(hours=1), customer="Lotus Tea",
                          contact=PORTAL_CUSTOMER, description=NEW_COMPLAINT["Description"],
                          source_ref="portal:one", details={"acknowledge": True, "address": PORTAL_CUSTOMER})
    return take_in(desk.state, complaint).ticket_id


def connections_since(server: SmtpServer, first: int) -> int:
    return len({item.peer for item in server.received[first:]})


def test_a_cycles_digests_customer_mail_and_acknowledgements_share_one_connection(desk, smtp_server):
    desk.cycle(MONDAY + timedelta(minutes=5))
    before = len(smtp_server.received)
    edit(desk.backend.path, COMPLAINT["Ticket ID"], RESOLVED)
    ticket_id = a_portal_complaint(desk)

    report = desk.cycle(MONDAY + timedelta(hours=1, minutes=5))

    received = smtp_server.received[before:]
    recipients = {address for item in received for address in item.rcpt_tos}
    subjects = " | ".join(str(item.message["Subject"]) for item in received)
    assert PORTAL_CUSTOMER in recipients and f"[{ticket_id}] We received your complaint" in subjects
    assert "buyer@harbour.example" in recipients  # "is it fixed?" to the resolved ticket's customer
    assert recipients - {PORTAL_CUSTOMER, "buyer@harbour.example"}  # the liaison's digest of the new ticket
    assert report.mails_sent >= 2
    assert connections_since(smtp_server, before) == 1


def test_a_server_that_cannot_be_reached_is_tried_once_per_cycle(desk, smtp_server, monkeypatch):
    opened = []
    connect = type(desk.mailroom.transport)._connect

    def counting(transport):
        opened.append(1)
        return connect(transport)

    monkeypatch.setattr(type(desk.mailroom.transport), "_connect", counting)
    smtp_server.stop()
    a_portal_complaint(desk)
    report = desk.cycle(MONDAY + timedelta(minutes=5))
    assert report.mails_sent == 0 and report.mail_failed
    assert len(opened) == 1  # the digest failed to connect; the acknowledgement did not try again
    smtp_server.start()
    desk.cycle(MONDAY + timedelta(minutes=20))
    assert any(PORTAL_CUSTOMER in item.rcpt_tos for item in smtp_server.received)
