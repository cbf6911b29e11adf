"""A customer's mailed reply is told to the ticket's liaison in their next digest, once per reply, in the
liaison's language; against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from mailers import AlwaysWorking, Mailroom, SmtpTransport
from tests.mailers.builders import QUALITY, SERVICE, at, make_outcome


def arrivals(server, since=0):
    return [(item.rcpt_tos[0], str(item.message["Subject"]), item.message.get_body(("plain",)).get_content())
            for item in server.received[since:]]


def test_each_reply_is_one_line_in_the_liaisons_digest_in_their_language(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
    outcomes = [make_outcome("CS-Q-1", QUALITY, received=at(23, 9), resolution_due=at(25, 17)),
                make_outcome("CS-S-1", SERVICE, received=at(23, 9), resolution_due=at(25, 17))]
    mailroom.run_cycle(outcomes, at(23, 10), AlwaysWorking())  # the dispatch notices
    seen = len(smtp_server.received)

    replies = {"CS-Q-1": at(23, 10, 5), "CS-S-1": at(23, 10, 6)}
    mailroom.run_cycle(outcomes, at(23, 10, 10), AlwaysWorking(), customer_replies=replies)
    told = sorted(arrivals(smtp_server, seen))
    assert [(to, subject) for to, subject, _ in told] == [
        ("li@quality.example", "1 customer replied — Quality"),
        ("zhang@service.example", "1 项客户回复 — 售后服务部"),
    ]
    assert "CS-Q-1" in told[0][2] and "Customer replied — read the Messages tab" in told[0][2]
    assert "2026-11-23 10:05" in told[0][2]
    assert "CS-S-1" in told[1][2] and "客户已回复——请查看往来记录" in told[1][2]

    seen = len(smtp_server.received)
    mailroom.run_cycle(outcomes, at(23, 10, 20), AlwaysWorking(), customer_replies=replies)
    assert arrivals(smtp_server, seen) == []  # the same reply is told once

    mailroom.run_cycle(outcomes, at(23, 10, 30), AlwaysWorking(), customer_replies={"CS-Q-1": at(23, 10, 25)})
    assert [(to, subject) for to, subject, _ in arrivals(smtp_server, seen)] == [
        ("li@quality.example", "1 customer replied — Quality")]  # a second reply, a second line


def test_a_reply_on_an_overdue_ticket_is_its_own_line_beside_the_overdue_one(
    smtp_server, smtp_settings, reminder_settings, ledger
):
    mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
    outcomes = [make_outcome("CS-Q-1", QUALITY, received=at(23, 9), resolution_due=at(23, 10))]
    mailroom.run_cycle(outcomes, at(23, 9, 5), AlwaysWorking())
    seen = len(smtp_server.received)
    mailroom.run_cycle(outcomes, at(23, 10, 30), AlwaysWorking(), customer_replies={"CS-Q-1": at(23, 10, 20)})
    [(to, subject, text)] = [item for item in arrivals(smtp_server, seen) if item[0] == "li@quality.example"]
    assert subject == "1 overdue, 1 customer replied — Quality"
    assert "Overdue" in text and "Customer replied — read the Messages tab" in text
