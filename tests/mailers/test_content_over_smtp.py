"""What arrives: Chinese intact, sheet values escaped, no header injection, the headers a digest needs."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from mailers import AlwaysWorking, Mailroom, SmtpTransport
from tests.mailers.builders import QUALITY, SERVICE, at, make_outcome

EVIL_CUSTOMER = "Acme\r\nBcc: x@evil.example"
EVIL_DESCRIPTION = '<script>alert("pwned")</script> leaks'


JUST_LATE = at(23, 17, 10)


def deliver(outcomes, smtp_settings, reminder_settings, ledger, now=JUST_LATE, row_link=None):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
    return mailroom.run_cycle(outcomes, now, AlwaysWorking(), row_link=row_link)


def test_chinese_subjects_bodies_and_display_names_arrive_intact(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    outcome = make_outcome(
        "CS-20261123-0007", SERVICE, customer="华东电器有限公司", category="质量问题", description="水壶漏水"
    )

    deliver([outcome], smtp_settings, reminder_settings, ledger)

    (received,) = smtp_server.received
    message = received.message
    assert received.content.isascii()  # RFC 2047 headers and base64 bodies: safe through any relay
    assert str(message["Subject"]) == "1 项已超时 — 售后服务部"
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("张伟", "zhang@service.example")
    (sender,) = message["From"].addresses
    assert sender.display_name == "Complaint desk 投诉台"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for expected in (
        "张伟，您好：",
        "华东电器有限公司",
        "质量问题",
        "水壶漏水",
        "已超时",
        "超时 10分钟",
        "解决截止",
    ):
        assert expected in html
    for expected in (
        "张伟，您好：",
        "华东电器有限公司",
        "水壶漏水",
        "解决截止 2026-11-23 17:00 — 超时 10分钟 — 新派单 · 已超时",  # the first mail about it: a dispatch
    ):
        assert expected in text


def test_a_customer_name_with_a_bcc_line_and_a_script_description_inject_nothing(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    evil_department = replace(
        QUALITY, department="Quality\r\nBcc: y@evil.example", liaison="Li\nCc: z@evil.example"
    )
    outcome = make_outcome("CS-1", evil_department, customer=EVIL_CUSTOMER, description=EVIL_DESCRIPTION)

    deliver([outcome], smtp_settings, reminder_settings, ledger)

    (received,) = smtp_server.received
    message = received.message
    assert received.rcpt_tos == ["li@quality.example"]
    assert sorted(message.keys()) == sorted(
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "Auto-Submitted",
            "X-Auto-Response-Suppress",
            "MIME-Version",
            "Content-Type",
        ]
    )
    assert all("\n" not in str(value) and "\r" not in str(value) for value in message.values())
    assert str(message["Subject"]) == "1 overdue — Quality Bcc: y@evil.example"
    assert [address.addr_spec for address in message["To"].addresses] == ["li@quality.example"]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    assert "Acme Bcc: x@evil.example" in html
    assert not re.search(r"^Bcc:", received.content.decode("ascii"), re.MULTILINE)


def test_a_digest_carries_the_headers_of_an_automatic_message(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    deliver([make_outcome("CS-1")], smtp_settings, reminder_settings, ledger)

    message = smtp_server.received[0].message
    assert message["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"<[0-9a-f]{40}@sheetdesk>", str(message["Message-ID"]))
    assert message["Date"].datetime == at(23, 17, 10)
    assert smtp_server.received[0].mail_from == "desk@sheetdesk.example"


def test_rows_link_to_the_sheet_when_a_row_link_is_given_and_only_web_links_are_kept(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    outcomes = [make_outcome("CS-1", row=7), make_outcome("CS-2", row=8)]

    def row_link(ticket):
        if ticket.row == 7:
            return "https://docs.google.com/spreadsheets/d/abc/edit#gid=0&range=A7"
        return "javascript:alert(1)"

    deliver(outcomes, smtp_settings, reminder_settings, ledger, row_link=row_link)

    html = smtp_server.received[0].message.get_body(("html",)).get_content()
    assert '<a href="https://docs.google.com/spreadsheets/d/abc/edit#gid=0&amp;range=A7" style="color: #1a56a8;">CS-1</a>' in html
    assert "javascript" not in html


def test_the_most_urgent_ticket_comes_first(smtp_server, smtp_settings, reminder_settings, ledger):
    outcomes = [
        make_outcome("CS-LATER", resolution_due=at(23, 16)),
        make_outcome("CS-EARLIEST", resolution_due=at(23, 12)),
        make_outcome("CS-SOON", resolution_due=at(23, 18)),
    ]

    deliver(outcomes, smtp_settings, reminder_settings, ledger, now=at(23, 17))

    text = smtp_server.received[0].message.get_body(("plain",)).get_content()
    assert text.index("CS-EARLIEST") < text.index("CS-LATER") < text.index("CS-SOON")
    assert str(smtp_server.received[0].message["Subject"]) == "2 overdue, 1 due soon — Quality"


@pytest.mark.parametrize(
    "assignment, owner, expected",
    [
        (QUALITY, "Zhou Min", ("1 action overdue — Quality", "Action (owner: Zhou Min) due 2026-11-23 16:00")),
        (SERVICE, "周敏", ("1 项措施超期 — 售后服务部", "措施（负责人：周敏）截止 2026-11-23 16:00")),
        (QUALITY, None, ("1 action overdue — Quality", "Action (owner: not named) due 2026-11-23 16:00")),
    ],
)
def test_a_passed_action_due_reminds_the_liaison_and_names_the_owner(
    smtp_server, smtp_settings, reminder_settings, ledger, assignment, owner, expected
):
    outcome = make_outcome("CS-A", assignment, action_due=at(23, 16), action_owner=owner, resolution_due=at(30, 17))
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
    mailroom.run_cycle([outcome], at(23, 12), AlwaysWorking())  # the dispatch notice
    seen = len(smtp_server.received)
    mailroom.run_cycle([outcome], JUST_LATE, AlwaysWorking())  # 17:10: the action is 1 h 10 min late
    (late,) = smtp_server.received[seen:]
    subject, line = expected
    assert str(late.message["Subject"]) == subject
    assert line in late.message.get_body(("plain",)).get_content()
