"""The complaints mailbox end to end: a real IMAP + SMTP server (mail-devel) on 127.0.0.1, a real .xlsx workbook,
the real cycle. Each test has its own desk mailbox; customers have theirs, where acknowledgements land."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import openpyxl
import pytest

from mailers import Ledger, Mailroom, MailSettings, ReminderSettings, SmtpTransport
from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk
from sync.intake.channels import IntakeChannels
from sync.intake.mailbox import CustomerSettings, MailboxSettings, MailIntake, MailRecords
from sync.state import StateStore
from tests.sync.conftest import NOW, make_workbook, tickets_by_id
from tests.sync.intake.mail_server import PASSWORD, PASSWORD_VARIABLE

CUSTOMER = "lin.wei@customer.example"


def a_mail(sender=CUSTOMER, to="desk@desk.example", subject="Lid cracked", body="The lid cracked on delivery.",
           name="Lin Wei", **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(headers.pop("date", NOW - timedelta(minutes=3)))
    message["Message-ID"] = headers.pop("message_id", make_msgid(domain="customer.example"))
    for header, value in headers.items():
        message[header.replace("_", "-")] = value
    message.set_content(body)
    return message


class Desk_:
    """A desk with its workbook, state, mailbox and SMTP transport, all real."""

    def __init__(self, mail_server, tmp_path, monkeypatch, **customers):
        monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
        self.server = mail_server
        self.address = mail_server.new_address()
        self.customer = CUSTOMER.replace("@", f"+{self.address.split('@')[0]}@")  # a customer mailbox per test
        self.path = make_workbook(tmp_path / "desk.xlsx")
        self.state = StateStore(tmp_path / "state")
        settings = MailboxSettings(host="127.0.0.1", port=mail_server.imap_port, security="none",
                                   username=self.address, password_env=PASSWORD_VARIABLE)
        self.customers = CustomerSettings(sender=self.address, **customers)
        self.mailbox = MailIntake(self.state, settings, self.customers)
        smtp = MailSettings(transport="smtp", host="127.0.0.1", port=mail_server.smtp_port, security="none",
                            sender=self.address)
        channels = IntakeChannels(self.state, self.mailbox, self.customers, SmtpTransport(smtp))
        self.desk = Desk(XlsxBackend(self.path), self.state, intake=channels)

    def receive(self, message: EmailMessage | bytes) -> None:
        self.server.deliver(self.address, message if isinstance(message, bytes) else bytes(message))

    def cycle(self, minutes: int = 0):
        return self.desk.cycle(NOW + timedelta(minutes=minutes))

    def tickets(self):
        return tickets_by_id(self.path)

    def acknowledgements(self, address=None):
        return self.server.messages(address or self.customer)


@pytest.fixture
def desk(mail_server, tmp_path, monkeypatch):
    made = Desk_(mail_server, tmp_path, monkeypatch)
    yield made
    made.state.close()


def test_a_new_complaint_becomes_a_ticket_and_the_customer_gets_its_number(desk):
    desk.receive(a_mail(sender=desk.customer))
    report = desk.cycle()
    (ticket_id, row), = desk.tickets().items()
    assert row["Channel"] == "Email" and row["Customer"] == "Lin Wei" and row["Contact"] == desk.customer
    assert row["Description"] == "Lid cracked\n\nThe lid cracked on delivery."
    assert row["Received"] == (NOW - timedelta(minutes=3)).replace(tzinfo=None, second=0)
    assert report.rows_appended == 1 and not report.intake_problems
    (ack,) = desk.acknowledgements()
    assert f"[{ticket_id}]" in ack.subject and ticket_id in ack.text
    assert ack.headers["auto-submitted"] == ("auto-replied",)
    assert ack.headers["x-auto-response-suppress"] == ("All",)
    assert ack.headers["message-id"][0].startswith(f"<sheetdesk-ack.{ticket_id}.")
    original = desk.state.queued_by_id(ticket_id).details["message_id"]
    assert ack.headers["in-reply-to"] == (original,) and original in ack.headers["references"][0]
    assert row["Response due"].strftime("%Y-%m-%d %H:%M") in ack.text
    assert desk.server.uids(desk.address, "INBOX") == [] and len(desk.server.uids(desk.address, "Processed")) == 1
    assert desk.server.seen_flags(desk.address, "Processed") == [False]  # people still see it as unread


def test_the_same_mail_redelivered_makes_no_second_ticket_and_no_second_acknowledgement(desk):
    mail = a_mail(sender=desk.customer)
    desk.receive(mail)
    desk.cycle()
    desk.receive(mail)
    desk.cycle(5)
    assert len(desk.tickets()) == 1 and len(desk.acknowledgements()) == 1
    assert len(desk.server.uids(desk.address, "Processed")) == 2


def test_a_message_id_reused_with_another_body_is_a_new_complaint(desk):
    desk.receive(a_mail(sender=desk.customer, message_id="<same@customer.example>"))
    desk.receive(a_mail(sender=desk.customer, message_id="<same@customer.example>", body="Another problem."))
    desk.cycle()
    assert len(desk.tickets()) == 2


def test_a_reply_to_the_acknowledgement_joins_its_ticket(desk):
    desk.receive(a_mail(sender=desk.customer))
    desk.cycle()
    (ack,) = desk.acknowledgements()
    ack_id = ack.headers["message-id"][0]
    reply = a_mail(sender=desk.customer, subject=f"Re: {ack.subject}", body="Photos attached tomorrow.\n\n> quoted",
                   In_Reply_To=ack_id, References=ack_id)
    desk.receive(reply)
    desk.cycle(5)
    assert len(desk.tickets()) == 1 and len(desk.acknowledgements()) == 1
    (message,) = desk.state.customer_messages()
    assert message.ticket_id == next(iter(desk.tickets())) and message.text == "Photos attached tomorrow."


def test_a_customer_replying_to_their_own_first_mail_with_the_desk_in_cc_makes_no_second_ticket(desk):
    first = a_mail(sender=desk.customer)
    desk.receive(first)
    desk.cycle()
    follow_up = a_mail(sender=desk.customer, to="buyer@customer.example", Cc=desk.address,
                       subject="Re: Lid cracked", body="And the second box too.",
                       In_Reply_To=first["Message-ID"], References=first["Message-ID"])
    desk.receive(follow_up)
    desk.cycle(5)
    assert len(desk.tickets()) == 1
    assert [message.text for message in desk.state.customer_messages()] == ["And the second box too."]


def test_a_ticket_tag_from_its_customer_is_a_reply_and_from_anyone_else_a_new_ticket_mentioning_it(desk):
    desk.receive(a_mail(sender=desk.customer))
    desk.cycle()
    (ticket_id,) = desk.tickets()
    desk.receive(a_mail(sender=desk.customer, subject=f"About [{ticket_id}]", body="Any news?"))
    desk.receive(a_mail(sender="colleague@customer.example", subject=f"Fwd: [{ticket_id}]", body="Same here."))
    desk.cycle(5)
    tickets = desk.tickets()
    assert len(tickets) == 2
    other = next(row for key, row in tickets.items() if key != ticket_id)
    assert ticket_id in other["Notes"] and other["Contact"] == "colleague@customer.example"
    assert [message.text for message in desk.state.customer_messages()] == ["Any news?"]


def test_an_out_of_office_reply_gets_no_acknowledgement(desk):
    desk.receive(a_mail(sender=desk.customer, subject="Automatic reply: Lid cracked", body="I am away.",
                        Auto_Submitted="auto-replied"))
    desk.receive(a_mail(sender=desk.customer, subject="Newsletter", Precedence="bulk", List_Id="<news.x>"))
    desk.cycle()
    assert desk.acknowledgements() == []


def test_a_bounce_flags_the_address_and_makes_no_ticket(desk):
    desk.receive(a_mail(sender=desk.customer))
    desk.cycle()
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@customer.example>"
    bounce["To"] = desk.address
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Return-Path"] = "<>"
    bounce["X-Failed-Recipients"] = desk.customer
    bounce["Message-ID"] = make_msgid()
    bounce.set_content(f"Final-Recipient: rfc822; {desk.customer}\nAction: failed\n")
    desk.receive(bounce)
    desk.cycle(5)
    assert len(desk.tickets()) == 1
    assert desk.customer in MailRecords(desk.state).bad_addresses()
    desk.receive(a_mail(sender=desk.customer, body="A second complaint"))
    desk.cycle(10)
    assert len(desk.tickets()) == 2 and len(desk.acknowledgements()) == 1  # no mail to a bad address


def test_an_auto_responder_loop_ends_after_one_exchange(desk):
    """A badly behaved responder (no Auto-Submitted) answers every mail, quoting the subject and thread."""
    desk.receive(a_mail(sender=desk.customer, subject="Broken"))
    for minutes in range(0, 30, 5):
        desk.cycle(minutes)
        for ack in desk.acknowledgements():
            ack_id = ack.headers["message-id"][0]
            if any(ack_id in str(message.headers.get("in-reply-to")) for message in
                   desk.server.messages(desk.address, "Processed") + desk.server.messages(desk.address)):
                continue
            desk.receive(a_mail(sender=desk.customer, subject=f"Re: {ack.subject}", body="I am out until Monday.",
                                In_Reply_To=ack_id, References=ack_id))
    assert len(desk.tickets()) == 1 and len(desk.acknowledgements()) == 1


def test_forty_mails_from_one_sender_in_a_minute_make_forty_tickets_and_three_acknowledgements(desk):
    for number in range(40):
        desk.receive(a_mail(sender=desk.customer, subject=f"Complaint {number}", body=f"Problem number {number}"))
    desk.cycle()
    assert len(desk.tickets()) == 40
    assert len(desk.acknowledgements()) == 3


def test_a_chinese_mail_in_gb18030_with_an_encoded_word_subject(desk):
    body = "盖子在运输中裂开了，请尽快处理。".encode("gb18030")
    subject = "=?gb18030?b?" + __import__("base64").b64encode("冷链箱盖子破裂".encode("gb18030")).decode() + "?="
    raw = (f"From: =?gb18030?b?{__import__('base64').b64encode('林伟'.encode('gb18030')).decode()}?= "
           f"<{desk.customer}>\r\nTo: {desk.address}\r\nSubject: {subject}\r\n"
           f"Message-ID: <gb@customer.example>\r\nDate: {format_datetime(NOW)}\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=gb18030\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode() + body
    desk.receive(raw)
    desk.cycle()
    (ticket_id, row), = desk.tickets().items()
    assert row["Customer"] == "林伟" and row["Description"] == "冷链箱盖子破裂\n\n盖子在运输中裂开了，请尽快处理。"
    (ack,) = desk.acknowledgements()
    assert "我们已收到您的投诉" in ack.subject and f"工单编号为 {ticket_id}" in ack.text


def test_an_html_only_mail_becomes_plain_text_without_quoted_history(desk):
    message = EmailMessage()
    message["From"] = desk.customer
    message["To"] = desk.address
    message["Subject"] = "Broken handle"
    message["Message-ID"] = make_msgid()
    message.set_content("<html><body><p>The <b>handle</b> broke.</p><p>Order SO-1187</p>"
                        "<div>On Mon, Nov 23, 2026 at 9:00 AM Shop &lt;shop@x.example&gt; wrote:</div>"
                        "<blockquote>old text</blockquote><script>alert(1)</script></body></html>", subtype="html")
    desk.receive(message)
    desk.cycle()
    (row,) = desk.tickets().values()
    assert row["Description"].startswith("Broken handle\n\nThe handle broke.")
    assert "SO-1187" in row["Description"] and "old text" not in row["Description"] and "<" not in row["Description"]


def test_a_20_mb_attachment_is_listed_and_stored_beside_the_eml_never_opened(desk, tmp_path):
    message = a_mail(sender=desk.customer, subject="Video of the damage")
    payload = bytes(range(256)) * (20 * 1024 * 1024 // 256)
    message.add_attachment(payload, maintype="video", subtype="mp4", filename="../damage video.mp4")
    desk.receive(message)
    desk.cycle()
    (row,) = desk.tickets().values()
    assert "Attachments: ../damage video.mp4 (20.0 MB)" in row["Description"]
    (stored,) = (tmp_path / "state" / "mail").glob("*/*/01-damage_video.mp4")
    assert stored.stat().st_size == len(payload) and (stored.parent / "message.eml").exists()


def test_mail_from_a_liaison_or_the_desk_itself_is_never_acknowledged(desk):
    desk.cycle()  # the first cycle publishes the Liaisons tab's addresses
    desk.receive(a_mail(sender="lucy.wang@example.com", name="Lucy Wang"))
    desk.receive(a_mail(sender=desk.address, name="Desk"))
    desk.cycle(5)
    assert len(desk.tickets()) == 2
    # (the liaison's mailbox on the shared server may hold digests other tests' desks sent: only acknowledgements count)
    assert [message for message in desk.server.messages("lucy.wang@example.com")
            if "We received your complaint" in message.subject] == []
    assert desk.acknowledgements(desk.address) == []


def test_an_unreachable_mailbox_is_reported_and_the_cycle_goes_on(desk, monkeypatch):
    monkeypatch.setenv(PASSWORD_VARIABLE, "wrong")
    report = desk.cycle()
    assert report.intake_problems and "login refused" in report.intake_problems[0]
    assert report.rows == 0 and report.wrote


def set_status(path, ticket_id, status):
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == ticket_id:
            row[header.index("Status")].value = status
    workbook.save(path)


def messages_tab(path):
    workbook = openpyxl.load_workbook(path)
    return [list(row) for row in workbook["Messages"].iter_rows(values_only=True)]


def test_a_reply_goes_to_the_messages_tab_and_marks_the_ticket_customer_replied_until_it_moves_on(desk):
    desk.receive(a_mail(sender=desk.customer))
    desk.cycle()
    (ticket_id,) = desk.tickets()
    desk.receive(a_mail(sender=desk.customer, subject=f"Re: [{ticket_id}]", body="Here is the batch number: B-77",
                        date=NOW + timedelta(minutes=4)))
    desk.cycle(5)
    rows = messages_tab(desk.path)
    assert rows[0] == ["Ticket ID", "Time", "Channel", "From", "Text"]
    assert rows[1][0] == ticket_id and rows[1][2] == "Email" and desk.customer in rows[1][3]
    assert rows[1][4] == "Here is the batch number: B-77"
    assert desk.tickets()[ticket_id]["Customer replied"].startswith("yes, 2026-11-23")
    set_status(desk.path, ticket_id, "Investigating")
    desk.cycle(10)
    assert desk.tickets()[ticket_id]["Customer replied"] is None


def test_a_reply_while_waiting_on_the_customer_says_so_loudly(desk):
    desk.receive(a_mail(sender=desk.customer))
    desk.cycle()
    (ticket_id,) = desk.tickets()
    set_status(desk.path, ticket_id, "Waiting on customer")
    desk.cycle(5)
    desk.receive(a_mail(sender=desk.customer, subject=f"Re: [{ticket_id}]", body="Found the receipt.",
                        date=NOW + timedelta(minutes=9)))
    desk.cycle(10)
    assert "REPLIED while Waiting on customer" in desk.tickets()[ticket_id]["Customer replied"]


def set_cells(path, ticket_id, values):
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == ticket_id:
            for label, value in values.items():
                row[header.index(label)].value = value
    workbook.save(path)


def test_a_mailed_reply_is_told_to_the_liaison_in_the_next_digest_once_per_reply(mail_server, tmp_path, monkeypatch):
    made = Desk_(mail_server, tmp_path, monkeypatch)
    smtp = MailSettings(transport="smtp", host="127.0.0.1", port=mail_server.smtp_port, security="none",
                        sender=made.address)
    mailroom = Mailroom(ReminderSettings(admin_email="admin@example.com"), smtp, Ledger(made.state.path),
                        SmtpTransport(smtp))
    made.desk = Desk(XlsxBackend(made.path), made.state, mailroom=mailroom, intake=made.desk.intake)
    liaison = "grace.li@example.com"  # the Quality department's liaison in the template's rules
    told_before = len(mail_server.messages(liaison))

    def digests_since(count):
        return [(message.subject, message.text) for message in mail_server.messages(liaison)[count:]]

    made.receive(a_mail(sender=made.customer))
    made.cycle()
    (ticket_id,) = made.tickets()
    set_cells(made.path, ticket_id, {"Category": "Product quality", "Tier": "Core"})
    made.cycle(1)
    assert [subject for subject, _ in digests_since(told_before)] == ["1 new — Quality"]
    told = len(mail_server.messages(liaison))

    made.receive(a_mail(sender=made.customer, subject=f"Re: [{ticket_id}]", body="Batch B-77",
                        date=NOW + timedelta(minutes=2)))
    made.cycle(3)
    [(subject, text)] = digests_since(told)
    assert subject == "1 customer replied — Quality"
    assert ticket_id in text and "Customer replied — read the Messages tab" in text
    made.cycle(4)
    made.cycle(5)
    assert len(digests_since(told)) == 1  # once per reply

    made.receive(a_mail(sender=made.customer, subject=f"Re: [{ticket_id}]", body="And a photo",
                        date=NOW + timedelta(minutes=6)))
    made.cycle(7)
    assert [subject for subject, _ in digests_since(told)] == ["1 customer replied — Quality"] * 2
    made.state.close()
