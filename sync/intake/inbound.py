"""One inbound mail, read: who sent it, its words as plain text, its attachments, and what kind of mail it is.

The words a customer wrote are the latest reply only: HTML is converted to text (html2text), quoted history
and signatures are stripped (mail-parser-reply, English and Chinese). Attachments are listed and kept as bytes
to be stored, never opened. Charsets are decoded as the mail declares them (GB18030 and encoded-word subjects
included); undecodable bytes become U+FFFD rather than an error.

What kind of mail (``kind``), decided by headers alone (the same list osTicket, Zammad and FreeScout check):

- ``bounce``: a delivery failure — empty ``Return-Path``, from MAILER-DAEMON or postmaster, a
  ``multipart/report; report-type=delivery-status``, or ``X-Failed-Recipients``. It flags addresses, never a
  ticket.
- ``automatic``: sent by a machine — ``Auto-Submitted`` other than ``no``, ``Precedence``
  bulk/list/junk/auto_reply, ``X-Autoreply``/``X-Autorespond``/``X-Autoresponder``, ``List-Id`` or
  ``List-Unsubscribe``. Never acknowledged.
- ``person``: anything else.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import html2text
from mailparser_reply import EmailReplyParser

__all__ = ["InboundMail", "Attachment", "read_mail", "BOUNCE", "AUTOMATIC", "PERSON", "TICKET_TAG"]

BOUNCE, AUTOMATIC, PERSON = "bounce", "automatic", "person"
TICKET_TAG = re.compile(r"\[(CS-\d{8}-\d{4,})\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
BULK_PRECEDENCE = {"bulk", "list", "junk", "auto_reply"}
AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "List-Id", "List-Unsubscribe")
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
FINAL_RECIPIENT = re.compile(r"^(?:Final|Original)-Recipient:\s*rfc822;\s*(\S+@\S+)\s*$", re.IGNORECASE | re.MULTILINE)
REPLY_LANGUAGES = ["en", "zh"]
_REPLY_PARSER = EmailReplyParser(languages=REPLY_LANGUAGES)


@dataclass(frozen=True)
class Attachment:
    """A file attached to a mail: its name as sent, type and bytes (stored beside the .eml, never opened)."""

    name: str
    content_type: str
    payload: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.payload)


@dataclass(frozen=True)
class InboundMail:
    """A mail as the intake sees it. ``key`` names it: its Message-ID and a hash of its content."""

    raw: bytes = field(repr=False)
    message_id: str | None
    sender_name: str
    sender: str  # the address, lower case
    subject: str
    text: str  # the latest reply as plain text: no quoted history, no signature
    sent: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    recipients: tuple[str, ...]  # To and Cc addresses, lower case
    kind: str
    bounced: tuple[str, ...] = ()  # the addresses a bounce says failed
    attachments: tuple[Attachment, ...] = ()
    language: str = "en"

    @property
    def content_hash(self) -> str:
        """A hash of what the sender wrote (subject, sender, words, attachments), not of the transport headers."""
        digest = hashlib.sha256()
        for part in (self.subject, self.sender, self.text, *(f"{a.name}:{a.size}" for a in self.attachments)):
            digest.update(part.encode("utf-8", "replace") + b"\x00")
        return digest.hexdigest()[:24]

    @property
    def key(self) -> str:
        """Names this mail for exactly-once: Message-ID plus content hash, so a Message-ID reused with another
        body is another mail; a mail without Message-ID is named by its content hash alone."""
        return f"{self.message_id or 'no-id'}#{self.content_hash}"

    @property
    def tags(self) -> tuple[str, ...]:
        """The ticket tags ``[CS-…]`` in the subject."""
        return tuple(TICKET_TAG.findall(self.subject))

    @property
    def thread_ids(self) -> tuple[str, ...]:
        return (*self.in_reply_to, *self.references)


def read_mail(raw: bytes) -> InboundMail:
    """Given a mail's bytes as the server holds them, return it read. Never raises for a malformed mail.

    The stdlib's compat32 parser is used, with headers decoded on demand: the modern policy parses every
    header it is asked for into objects, several times slower for a mailbox of a thousand mails.
    """
    message = message_from_bytes(raw)
    name, address = _sender(message)
    subject = _header_text(message, "Subject")
    body = _body_text(message)
    kind = _kind(message, address)
    return InboundMail(
        raw=raw,
        message_id=_first_id(message, "Message-ID"),
        sender_name=name,
        sender=address,
        subject=subject,
        text=latest_reply(body),
        sent=_date(message),
        in_reply_to=_ids(message, "In-Reply-To"),
        references=_ids(message, "References"),
        recipients=_recipients(message),
        kind=kind,
        bounced=_bounced(message) if kind == BOUNCE else (),
        attachments=_attachments(message),
        language="zh" if re.search(r"[\u4e00-\u9fff]", subject + body) else "en",
    )


def latest_reply(text: str) -> str:
    """Return the newest part of a mail's text: quoted history and signature stripped."""
    try:
        replies = _REPLY_PARSER.read(text).replies
    except Exception:  # a parser problem must not lose the mail: keep the whole text
        return text.strip()
    latest = _without_trailing_quote(replies[0].body) if replies else ""
    return latest or text.strip()


def _without_trailing_quote(text: str) -> str:
    """Drop a quoted block (``>`` lines) the parser left at the end, when no "wrote:" line introduced it."""
    lines = text.rstrip().splitlines()
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines).strip()


def _header_text(message: Message, name: str) -> str:
    """A header as text: encoded words (``=?gb18030?b?…?=``) decoded, folded lines joined."""
    value = message.get(name)
    if value is None:
        return ""
    return " ".join(_decoded_words(str(value)).split())


def _decoded_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, UnicodeError, ValueError, HeaderParseError):  # an unknown charset or broken word
        return text


def _sender(message: Message) -> tuple[str, str]:
    name, address = parseaddr(str(message.get("From") or ""))
    return _decoded_words(name).strip(), address.strip().lower()


def _recipients(message: Message) -> tuple[str, ...]:
    values = [str(value) for name in ("To", "Cc") for value in message.get_all(name, failobj=[])]
    return tuple(address.lower() for _, address in getaddresses(values) if address)


def _ids(message: Message, name: str) -> tuple[str, ...]:
    return tuple(MESSAGE_ID.findall(" ".join(str(value) for value in message.get_all(name, failobj=[]))))


def _first_id(message: Message, name: str) -> str | None:
    found = _ids(message, name)
    return found[0] if found else None


def _date(message: Message) -> datetime | None:
    try:
        sent = parsedate_to_datetime(str(message.get("Date") or ""))
    except (TypeError, ValueError, IndexError):
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or (disposition != "inline" and part.get_filename() is not None)


def _body_text(message: Message) -> str:
    """The mail's text: the first plain part, else the first HTML part converted to text, else nothing."""
    parts = [part for part in message.walk() if not part.is_multipart() and not _is_attachment(part)]
    for subtype in ("plain", "html"):
        part = next((part for part in parts if part.get_content_type() == f"text/{subtype}"), None)
        if part is not None:
            text = _decoded(part)
            return (_html_text(text) if subtype == "html" else text).replace("\r\n", "\n")
    return ""


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", "replace")


def _html_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0  # no hard wrapping: a cell wraps by itself
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_links = False
    return converter.handle(html).strip()


def _kind(message: Message, sender: str) -> str:
    if _is_bounce(message, sender):
        return BOUNCE
    if _is_automatic(message):
        return AUTOMATIC
    return PERSON


def _is_bounce(message: Message, sender: str) -> bool:
    return_path = message.get_all("Return-Path", failobj=None)
    if return_path is not None and all(str(value).strip() in ("<>", "") for value in return_path):
        return True
    if sender.split("@")[0] in BOUNCE_SENDERS:
        return True
    if message.get_content_type() == "multipart/report" and (
        (message.get_param("report-type") or "").lower() == "delivery-status"
    ):
        return True
    return message.get("X-Failed-Recipients") is not None


def _is_automatic(message: Message) -> bool:
    auto_submitted = _header_text(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _header_text(message, "Precedence").lower() in BULK_PRECEDENCE:
        return True
    return any(message.get(name) is not None for name in AUTO_HEADERS)


def _bounced(message: Message) -> tuple[str, ...]:
    """The addresses a bounce says failed: X-Failed-Recipients, and the recipients of a delivery-status report
    whose Action is "failed" (a "delayed" notice flags nothing); without a report, Final-Recipient lines in the
    text."""
    found = [address.strip().lower() for value in message.get_all("X-Failed-Recipients", failobj=[])
             for address in str(value).split(",") if "@" in address]
    reports = [part for part in message.walk() if part.get_content_type() == "message/delivery-status"]
    if reports:
        found += [address for part in reports for address in _failed_recipients(part)]
    else:
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                found += [address.lower().strip("<>") for address in FINAL_RECIPIENT.findall(_status_text(part))]
    return tuple(dict.fromkeys(found))


def _failed_recipients(report: Message) -> list[str]:
    """The recipients of a delivery-status report (RFC 3464) whose Action is "failed" (or not given)."""
    found = []
    blocks = report.get_payload() if report.is_multipart() else []
    for block in blocks:  # the first block is about the message, each later one about one recipient
        recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
        action = str(block.get("Action") or "failed").strip().lower()
        if ";" in recipient and "@" in recipient and action == "failed":
            found.append(recipient.split(";", 1)[1].strip().strip("<>").lower())
    return found


def _status_text(part: Message) -> str:
    return _decoded(part) if not part.is_multipart() else ""


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found = []
    for number, part in enumerate((part for part in message.walk() if not part.is_multipart()), start=1):
        if not _is_attachment(part) or part.get_content_type().startswith("message/"):
            continue
        name = _decoded_words(part.get_filename() or "") or f"attachment-{number}"
        found.append(Attachment(name, part.get_content_type(), part.get_payload(decode=True) or b""))
    return tuple(found)
