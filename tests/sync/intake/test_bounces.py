"""A bounce is seen in the workbook and holds customer mail: a real IMAP + SMTP server (mail-devel), a real .xlsx,
the desk as the daemon opens it (with the portal's customer loop, which mails "is it fixed?")."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from sync.service.config import load_settings
from sync.service.desks import desk_configs, open_desk
from tests.sync.conftest import NOW, tickets_by_id
from tests.sync.intake.test_mailbox import a_mail, set_cells
from tests.sync.intake.test_polling import desk_config
from tests.sync.test_customer_loop import SECRET
from tickets.messages import render


def a_bounce(desk_address: str, failed: str) -> EmailMessage:
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@customer.example>"
    bounce["To"] = desk_address
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Return-Path"] = "<>"
    bounce["X-Failed-Recipients"] = failed
    bounce["Message-ID"] = make_msgid()
    bounce.set_content(f"Final-Recipient: rfc822; {failed}\nAction: failed\nStatus: 5.1.1\n")
    return bounce


@pytest.fixture
def served(tmp_path, mail_server, monkeypatch):
    """The desk, its mailbox address and a customer address of this test's own."""
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    config, address = desk_config(tmp_path, mail_server, monkeypatch)
    path = tmp_path / "config.toml"
    path.write_text(path.read_text() + '\n[portal]\npublic_url = "https://complaints.example.com"\n'
                    'secret_env = "PORTAL_SECRET"\n', encoding="utf-8")
    (config,) = desk_configs(load_settings(path))
    desk = open_desk(config)
    yield desk, address, f"buyer+{address.split('@')[0]}@customer.example"
    desk.state.close()


def test_a_bounce_shows_in_the_tickets_check_cell_and_holds_customer_mail_until_the_contact_changes(
    served, mail_server, tmp_path
):
    desk, address, customer = served
    workbook = tmp_path / "desk.xlsx"
    mail_server.deliver(address, bytes(a_mail(sender=customer)))
    desk.cycle(NOW)
    (ticket_id, row), = tickets_by_id(workbook).items()
    assert len(mail_server.messages(customer)) == 1 and "bounced" not in row["Check"]  # acknowledged

    mail_server.deliver(address, bytes(a_bounce(address, customer)))
    report = desk.cycle(NOW + timedelta(minutes=5))
    check = tickets_by_id(workbook)[ticket_id]["Check"]
    assert f"Contact: mail to {customer} bounced on {NOW + timedelta(minutes=5):%Y-%m-%d %H:%M}" in check
    assert "fix the Contact" in check and not report.quiet

    set_cells(workbook, ticket_id, {"Status": "Resolved", "First response": (NOW + timedelta(minutes=2)).replace(
        tzinfo=None), "Root cause": "Brittle lid", "Corrective action": "New supplier"})
    report = desk.cycle(NOW + timedelta(minutes=10))
    assert report.mails_held >= 1  # "is it fixed?" is held: the address bounced
    assert len(mail_server.messages(customer)) == 1

    fixed = customer.replace("buyer+", "buyer.fixed+")
    set_cells(workbook, ticket_id, {"Contact": fixed})
    desk.cycle(NOW + timedelta(minutes=15))
    assert ["Is your problem fixed?" in message.subject for message in mail_server.messages(fixed)] == [True]
    assert "bounced" not in (tickets_by_id(workbook)[ticket_id]["Check"] or "")
    assert len(mail_server.messages(customer)) == 1  # nothing more to the address that bounced


def test_the_check_cell_says_it_in_chinese_in_a_chinese_workbook():
    text = render("contact_bounced", "zh", column="联系方式", value="a@b.example", date="2026-11-23 10:05")
    assert "被退回" in text and "请修正联系方式" in text and "2026-11-23 10:05" in text
