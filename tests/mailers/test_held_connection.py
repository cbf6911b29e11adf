"""A held SMTP transport: every send of the block over one connection, a broken one opened again by the next send,
one that cannot be opened tried once — against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from mailers import MemoryTransport, SmtpTransport


def a_message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "desk@sheetdesk.example"
    message["To"] = to
    message["Subject"] = "hello"
    message["Message-ID"] = make_msgid(domain="sheetdesk.example")
    message.set_content("hello")
    return message


def test_every_send_of_a_held_block_shares_one_connection(smtp_server, smtp_settings):
    transport = SmtpTransport(smtp_settings)
    with transport.held():
        for number in range(3):
            assert transport.send([a_message(f"person{number}@example.com")])[0].delivered
    assert len(smtp_server.received) == 3 and smtp_server.connections() == 1


def test_without_a_held_block_each_send_opens_its_own_connection(smtp_server, smtp_settings):
    transport = SmtpTransport(smtp_settings)
    for number in range(2):
        transport.send([a_message(f"person{number}@example.com")])
    assert smtp_server.connections() == 2


def test_a_broken_held_connection_is_opened_again_by_the_next_send(smtp_server, smtp_settings):
    transport = SmtpTransport(smtp_settings)
    with transport.held():
        assert transport.send([a_message("one@example.com")])[0].delivered
        smtp_server.stop()  # the server goes away mid-cycle, and comes back
        assert not transport.send([a_message("two@example.com")])[0].delivered
        smtp_server.start()
        assert transport.send([a_message("three@example.com")])[0].delivered
    assert [item.rcpt_tos for item in smtp_server.received] == [["one@example.com"], ["three@example.com"]]


def test_a_server_that_cannot_be_reached_is_tried_once_per_held_block(smtp_server, smtp_settings, monkeypatch):
    transport = SmtpTransport(smtp_settings)
    opened = []
    connect = SmtpTransport._connect

    def counting(self):
        opened.append(1)
        return connect(self)

    monkeypatch.setattr(SmtpTransport, "_connect", counting)
    smtp_server.stop()
    with transport.held():
        first = transport.send([a_message("one@example.com")])
        second = transport.send([a_message("two@example.com")])
    assert not first[0].delivered and not second[0].delivered
    assert second[0].error is first[0].error and len(opened) == 1
    smtp_server.start()
    assert transport.send([a_message("three@example.com")])[0].delivered  # the next block tries again


def test_the_memory_double_counts_one_connection_per_held_block():
    transport = MemoryTransport()
    with transport.held():
        transport.send([a_message("one@example.com")])
        transport.send([a_message("two@example.com")])
    transport.send([a_message("three@example.com")])
    assert transport.connections == 2
