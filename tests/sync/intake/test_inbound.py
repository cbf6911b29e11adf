"""Reading one inbound mail: its kind by headers (loops and bounces), its key, its words."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from sync.intake.inbound import AUTOMATIC, BOUNCE, PERSON, read_mail


def raw(headers: dict[str, str] | None = None, body: str = "The lid cracked.", sender="lin@shop.example") -> bytes:
    message = EmailMessage()
    message["From"] = f"Lin <{sender}>"
    message["To"] = "desk@desk.example"
    message["Subject"] = "Lid"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return bytes(message)


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({}, PERSON),
        ({"Auto-Submitted": "no"}, PERSON),
        ({"Auto-Submitted": "auto-replied"}, AUTOMATIC),
        ({"Auto-Submitted": "auto-generated"}, AUTOMATIC),
        ({"Precedence": "bulk"}, AUTOMATIC),
        ({"Precedence": "list"}, AUTOMATIC),
        ({"Precedence": "junk"}, AUTOMATIC),
        ({"Precedence": "auto_reply"}, AUTOMATIC),
        ({"X-Autoreply": "yes"}, AUTOMATIC),
        ({"X-Autorespond": "Out of office"}, AUTOMATIC),
        ({"X-Autoresponder": "1"}, AUTOMATIC),
        ({"List-Id": "<news.shop.example>"}, AUTOMATIC),
        ({"List-Unsubscribe": "<mailto:unsub@shop.example>"}, AUTOMATIC),
        ({"Return-Path": "<>"}, BOUNCE),
        ({"X-Failed-Recipients": "gone@shop.example"}, BOUNCE),
    ],
)
def test_the_kind_of_a_mail_is_told_by_its_headers(headers, kind):
    assert read_mail(raw(headers)).kind == kind


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.shop.example", "postmaster@shop.example"])
def test_mail_from_the_mail_system_is_a_bounce(sender):
    assert read_mail(raw(sender=sender)).kind == BOUNCE


def test_a_delivery_status_report_is_a_bounce_naming_the_failed_address():
    report = EmailMessage()
    report["From"] = "Mail System <mailer@mx.shop.example>"
    report["Subject"] = "Delivery Status Notification (Failure)"
    report.set_content("Your message could not be delivered.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"; boundary="b1"')
    status = EmailMessage()
    status.set_content("Reporting-MTA: dns; mx.shop.example\n\nFinal-Recipient: rfc822; Gone@Shop.example\n"
                       "Action: failed\nStatus: 5.1.1\n")
    report.attach(status)
    mail = read_mail(bytes(report))
    assert mail.kind == BOUNCE and mail.bounced == ("gone@shop.example",)


def test_a_reused_message_id_with_another_body_has_another_key_and_a_missing_one_a_content_key():
    first = read_mail(raw({"Message-ID": "<1@shop.example>"}))
    same = read_mail(raw({"Message-ID": "<1@shop.example>", "Received": "from x by y; Mon, 23 Nov 2026 10:00:00 +0800"}))
    other = read_mail(raw({"Message-ID": "<1@shop.example>"}, body="Another problem."))
    assert first.key == same.key != other.key
    without = read_mail(raw())
    assert without.message_id is None and without.key.startswith("no-id#") and without.key == read_mail(raw()).key


def test_the_latest_reply_is_kept_without_quoted_history_or_signature():
    body = ("Still broken, see photo.\n\nBest,\nLin\n-- \nLin | Buyer | Shop\n\n"
            "On Mon, Nov 23, 2026 at 10:00 AM Desk <desk@desk.example> wrote:\n> Your ticket CS-20261123-0001\n")
    assert read_mail(raw(body=body)).text.startswith("Still broken, see photo.")
    assert "Your ticket" not in read_mail(raw(body=body)).text


def a_report(action: str) -> bytes:
    """A delivery-status report as mail systems send it (RFC 3464): a text part and a message/delivery-status part
    with one block about the message and one about the recipient."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.shop.example>\r\n"
        "To: desk@desk.example\r\nSubject: Delivery Status Notification\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nA message to lin@shop.example is not delivered yet.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.shop.example\r\n\r\n"
        f"Final-Recipient: rfc822; Lin@Shop.example\r\nAction: {action}\r\nStatus: 4.4.1\r\n\r\n"
        "--b1--\r\n"
    ).encode()


def test_a_delay_notice_is_no_ticket_and_flags_no_address_but_a_failure_does():
    delayed, failed = read_mail(a_report("delayed")), read_mail(a_report("failed"))
    assert delayed.kind == BOUNCE and delayed.bounced == ()
    assert failed.kind == BOUNCE and failed.bounced == ("lin@shop.example",)
