"""The issue's 'Done when' scenarios, against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from mailers import AlwaysWorking, Mailroom, SmtpTransport
from tests.mailers.builders import ADMIN, QUALITY, SERVICE, at, make_outcome


def two_departments():
    return [
        make_outcome("CS-Q-1", QUALITY, customer="Acme Ltd", received=at(23, 9), resolution_due=at(23, 17)),
        make_outcome("CS-S-1", SERVICE, customer="华东电器", received=at(23, 9), resolution_due=at(23, 17)),
    ]


def run(mailroom, now, outcomes=None):
    return mailroom.run_cycle(outcomes or two_departments(), now, AlwaysWorking())


def arrivals(server, since=0):
    return sorted((item.rcpt_tos[0], str(item.message["Subject"])) for item in server.received[since:])


def test_each_recipient_gets_exactly_the_expected_digests_as_tickets_go_due_soon_overdue_and_escalate(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))

    run(mailroom, at(23, 13))
    assert arrivals(smtp_server) == [  # the first mail about a ticket dispatches it
        ("li@quality.example", "1 new — Quality"),
        ("zhang@service.example", "1 项新派单 — 售后服务部"),
    ]

    seen = len(smtp_server.received)
    run(mailroom, at(23, 15, 30))
    assert arrivals(smtp_server, seen) == [
        ("li@quality.example", "1 due soon — Quality"),
        ("zhang@service.example", "1 项即将到期 — 售后服务部"),
    ]

    seen = len(smtp_server.received)
    run(mailroom, at(23, 16))
    assert arrivals(smtp_server, seen) == []

    run(mailroom, at(23, 17, 10))
    assert arrivals(smtp_server, seen) == [
        ("li@quality.example", "1 overdue — Quality"),
        ("zhang@service.example", "1 项已超时 — 售后服务部"),
    ]

    seen = len(smtp_server.received)
    run(mailroom, at(24, 17, 10))
    assert arrivals(smtp_server, seen) == [
        ("li@quality.example", "1 overdue — Quality"),
        ("liu@service.example", "1 项已升级 — 售后服务部"),
        ("wang@quality.example", "1 escalated — Quality"),
        ("zhang@service.example", "1 项已超时 — 售后服务部"),
    ]

    seen = len(smtp_server.received)
    run(mailroom, at(25, 17, 10))
    assert arrivals(smtp_server, seen) == [
        (ADMIN, "2 escalated — Quality, 售后服务部"),
        ("li@quality.example", "1 overdue — Quality"),
        ("zhang@service.example", "1 项已超时 — 售后服务部"),
    ]
    assert len({item.message_id for item in smtp_server.received}) == len(smtp_server.received)


def test_the_repeat_notice_says_which_reminder_it_is(smtp_server, smtp_settings, reminder_settings, ledger):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
    for day in (23, 24, 25):  # overdue at 17:00 on the 23rd; a repeat every 24 h
        run(mailroom, at(day, 17, 10))

    liaison = [item for item in smtp_server.received if item.rcpt_tos == ["li@quality.example"]][-1]
    text = liaison.message.get_body(("plain",)).get_content()
    assert "Overdue, reminder 3" in text
    assert "2 d 10 min late" in text
    service = [item for item in smtp_server.received if item.rcpt_tos == ["zhang@service.example"]][-1]
    assert "已超时（第 3 次催办）" in service.message.get_body(("plain",)).get_content()


def test_the_first_mail_about_a_late_ticket_does_not_count_reminders_nobody_got(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
    run(mailroom, at(29, 17, 10))  # first seen six days late: repeat #6 by the clock, but the first notice

    for item in smtp_server.received:
        text = item.message.get_body(("plain",)).get_content()
        if item.rcpt_tos == ["li@quality.example"]:
            assert "— New ticket for you · Overdue\n" in text and "Overdue, reminder" not in text
        if item.rcpt_tos == ["zhang@service.example"]:
            assert "— 新派单 · 已超时" in text and "催办" not in text


def test_rerunning_a_cycle_with_the_same_now_sends_nothing(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
    first = run(mailroom, at(24, 17, 10))
    delivered = len(smtp_server.received)

    again = run(mailroom, at(24, 17, 10))

    assert len(first.sent) == delivered == 4
    assert again.sent == [] and again.composed == []
    assert len(smtp_server.received) == delivered


def test_every_reminder_arrives_exactly_once_when_the_server_is_down_for_two_cycles(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
    smtp_server.stop()
    start = at(24, 17, 10)

    down_once = run(mailroom, start)
    down_twice = run(mailroom, start + timedelta(minutes=10))
    smtp_server.start()
    too_early = run(mailroom, start + timedelta(minutes=15))  # backing off: 10 min after the 2nd failure
    up = run(mailroom, start + timedelta(minutes=30))
    after = run(mailroom, start + timedelta(minutes=40))

    assert len(down_once.failed) == len(down_twice.failed) == 4
    assert too_early.sent == [] and too_early.waiting_retry == 4
    assert len(up.sent) == 4 and after.sent == []
    assert Counter(item.rcpt_tos[0] for item in smtp_server.received) == {
        "li@quality.example": 1,
        "zhang@service.example": 1,
        "wang@quality.example": 1,
        "liu@service.example": 1,
    }
    assert sorted(item.message_id for item in smtp_server.received) == sorted(down_once.failed)


def test_every_reminder_arrives_exactly_once_when_the_server_answers_451_for_two_cycles(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
    smtp_server.handler.fail_with = "451 4.3.0 try again later"
    start = at(23, 17, 10)

    first = run(mailroom, start)
    second = run(mailroom, start + timedelta(minutes=6))
    smtp_server.handler.fail_with = None
    third = run(mailroom, start + timedelta(hours=1))

    assert len(first.failed) == len(second.failed) == 2 and first.dead == []
    assert sorted(third.sent) == sorted(first.failed)
    assert sorted(item.rcpt_tos[0] for item in smtp_server.received) == [
        "li@quality.example",
        "zhang@service.example",
    ]


def test_a_cycle_uses_one_smtp_connection_for_all_its_messages(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))

    report = run(mailroom, at(25, 17, 10))

    assert len(report.sent) == 5
    assert smtp_server.connections() == 1
