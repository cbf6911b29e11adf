"""A complaint sent on the portal's form gets the acknowledgement a mailed one gets: the portal over Flask's test
client, the one intake function, the real cycle over a real .xlsx, and the acknowledgement as an .eml in the
outbox."""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest

from mailers import OutboxTransport
from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk
from sync.intake.channels import IntakeChannels
from sync.intake.mailbox import CustomerSettings
from tests.sync.conftest import NOW, make_workbook, tickets_by_id
from tests.sync.portal.test_routes import send_complaint

DESK = "complaints@desk.example"


class PortalDesk:
    """The desk behind the portal: its workbook, the portal's state dir, and an outbox for customer mail."""

    def __init__(self, tmp_path, intake, **customers):
        self.path = make_workbook(tmp_path / "desk.xlsx")
        self.outbox = tmp_path / "outbox"
        channels = IntakeChannels(intake.state, customers=CustomerSettings(sender=DESK, **customers),
                                  transport=OutboxTransport(self.outbox))
        self.desk = Desk(XlsxBackend(self.path), intake.state, intake=channels)

    def cycle(self, minutes: int = 0):
        return self.desk.cycle(NOW + timedelta(minutes=minutes))

    def mails(self):
        return [BytesParser(policy=policy.default).parse(path.open("rb"))
                for path in sorted(self.outbox.glob("*.eml"))] if self.outbox.exists() else []


@pytest.fixture
def make_desk(tmp_path, intake):
    return lambda **customers: PortalDesk(tmp_path, intake, **customers)


def test_a_portal_complaint_is_acknowledged_once_with_its_number_and_target(client, clock, make_desk):
    desk = make_desk()
    send_complaint(client, clock)
    desk.cycle()
    (ticket_id,) = tickets_by_id(desk.path)
    (ack,) = desk.mails()
    assert ack["To"].addresses[0].addr_spec == "buyer@harbour.example"  # the form's address, not the phone
    assert ack["Subject"] == f"[{ticket_id}] We received your complaint: Lid cracks on delivery"
    assert ack["Auto-Submitted"] == "auto-replied" and ack["In-Reply-To"] is None
    body = ack.get_content()
    assert f"registered as ticket {ticket_id}" in body
    due = tickets_by_id(desk.path)[ticket_id]["Response due"]
    assert f"We will reply by {due:%Y-%m-%d %H:%M}" in body
    assert "What happens next" in body
    desk.cycle(minutes=5)
    assert len(desk.mails()) == 1  # never twice


def test_a_portal_complaint_in_chinese_is_acknowledged_in_chinese(client, clock, make_desk):
    desk = make_desk()
    client.get("/?lang=zh")
    send_complaint(client, clock, description="盖子在运输中破裂")
    desk.cycle()
    (ack,) = desk.mails()
    assert "我们已收到您的投诉：盖子在运输中破裂" in ack["Subject"]
    assert "工单编号为 CS-20261123-0001" in ack.get_content()


def test_no_acknowledgement_when_customers_are_not_acknowledged(client, clock, make_desk):
    desk = make_desk(acknowledge=False)
    send_complaint(client, clock)
    desk.cycle()
    assert len(tickets_by_id(desk.path)) == 1 and desk.mails() == []


def test_one_address_gets_at_most_the_per_sender_limit_of_acknowledgements(client, clock, make_desk):
    desk = make_desk(ack_per_sender_per_hour=2)
    for _ in range(4):
        assert send_complaint(client, clock).status_code == 200
    desk.cycle()
    assert len(tickets_by_id(desk.path)) == 4
    assert [mail["To"].addresses[0].addr_spec for mail in desk.mails()] == ["buyer@harbour.example"] * 2


def test_hostile_text_cannot_add_a_header_or_a_line_to_the_acknowledgement(client, clock, make_desk):
    desk = make_desk()
    send_complaint(client, clock, customer="Eve\r\nBcc: all@victim.example",
                   description="=HYPERLINK(\"http://evil.example\")\r\nBcc: all@victim.example")
    desk.cycle()
    (ack,) = desk.mails()
    assert ack["Bcc"] is None and ack["Cc"] is None
    assert "\n" not in ack["Subject"] and "\n" not in str(ack["To"])
    assert [address.addr_spec for address in ack["To"].addresses] == ["buyer@harbour.example"]
    assert "\nBcc:" not in ack.get_content()


@pytest.mark.parametrize("name", ['Eve <all@victim.example>, "x" <y@victim.example>', "Eve; all@victim.example",
                                  "李雷 (Lotus, Tea) <a@b.example>"])
def test_a_name_holding_addresses_stays_one_display_name_of_the_one_recipient(client, clock, make_desk, name):
    desk = make_desk()
    send_complaint(client, clock, customer=name)
    desk.cycle()
    (ack,) = desk.mails()
    assert [address.addr_spec for address in ack["To"].addresses] == ["buyer@harbour.example"]
    assert ack["To"].addresses[0].display_name == name
