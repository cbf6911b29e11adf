"""The acknowledgement: the customer who mailed a complaint, or sent one on the portal's form, is told its number,
once, in the ticket's language.

Sent after the cycle that appended the ticket, because the first-response target comes from the rule tabs
(the row's Response due). It answers the customer's mail (In-Reply-To / References), says it was sent by a
machine (``Auto-Submitted: auto-replied``, ``X-Auto-Response-Suppress: All``, so well-behaved responders stay
silent), carries a Message-ID that encodes the ticket (a reply to it finds its ticket), and tags the subject
``[CS-…]``. Each is marked sent as soon as the transport took it; a crash repeats at most the one in flight.

A mailed complaint's acknowledgement is planned when the mail is taken in. A complaint from the portal or a
Forms responses tab (channel Website, ``details["acknowledge"]`` and ``details["address"]`` set by the channel)
is planned here, when it is about to be sent: the same per-sender limit (``ack_per_sender_per_hour``, counted
together with mailed ones), and never to a bad address or one of the desk's own people. Any acknowledgement to
an address that bounced since is held.
"""

from __future__ import annotations

import quopri
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime

from mailers import Transport, clean_header_text, is_valid_email, make_address, ticket_message_id
from sync.intake.complaint import CHANNEL_EMAIL, CHANNEL_WEBSITE
from sync.intake.mailbox import CustomerSettings, MailRecords
from sync.state import QueuedRow, StateStore
from tickets import Outcome

__all__ = ["send_acknowledgements", "compose_acknowledgement", "acknowledgement_id", "fixed_headers",
           "FixedHeaders", "AckReport"]

MACHINE_HEADERS = (("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All"),
                   ("Precedence", "auto_reply"))
CONTENT_HEADERS = (("MIME-Version", "1.0"), ("Content-Type", 'text/plain; charset="utf-8"'),
                   ("Content-Transfer-Encoding", "quoted-printable"))
LOOKBACK = timedelta(days=2)  # tickets appended this long ago still get their acknowledgement if it failed

TEXT = {
    "en": {
        "subject": "[{ticket}] We received your complaint: {subject}",
        "greeting": "Dear {customer},",
        "received": "Thank you for writing to us. Your complaint is registered as ticket {ticket}.",
        "target": "We will reply by {due} at the latest.",
        "no_target": "We will reply as soon as possible.",
        "next": ("What happens next: the responsible department looks into it and keeps you informed. To add "
                 "anything, reply to this mail and keep {ticket} in the subject."),
        "closing": "This message was sent automatically.",
    },
    "zh": {
        "subject": "[{ticket}] 我们已收到您的投诉：{subject}",
        "greeting": "{customer}，您好：",
        "received": "感谢您的来信。您的投诉已登记，工单编号为 {ticket}。",
        "target": "我们最迟将于 {due} 前答复您。",
        "no_target": "我们会尽快答复您。",
        "next": "接下来：责任部门将调查处理，并随时告知进展。如需补充，请直接回复本邮件，并在主题中保留 {ticket}。",
        "closing": "本邮件由系统自动发送。",
    },
}


@dataclass
class AckReport:
    sent: int = 0
    failed: int = 0


def send_acknowledgements(
    state: StateStore, transport: Transport, customers: CustomerSettings, outcomes: Sequence[Outcome],
    now: datetime, *, dry_run: bool = False,
) -> AckReport:
    """Acknowledge every complaint appended lately (mailed, or sent on the portal) whose acknowledgement is due.

    All go over one transport connection. With ``dry_run`` nothing is sent, marked or planned.
    """
    records = MailRecords(state)
    by_ticket = {outcome.ticket.ticket_id: outcome for outcome in outcomes if outcome.ticket.ticket_id}
    waiting = [queued for queued in state.appended_since(now - LOOKBACK)
               if queued.channel in (CHANNEL_EMAIL, CHANNEL_WEBSITE) and queued.details.get("acknowledge")
               and queued.ticket_id in by_ticket and not records.acknowledged(queued.ticket_id)
               and not records.is_bad(_address(queued))]  # held: the address bounced since
    report = AckReport()
    if dry_run:
        return report
    due = [queued for queued in waiting if _planned(queued, records, state, customers, now)]
    if not due:  # nothing to compose: the sender's address is not even looked at
        return report
    fixed = fixed_headers(customers, now)
    messages = [compose_acknowledgement(queued, by_ticket[queued.ticket_id], customers, now, fixed) for queued in due]
    for queued, result in zip(due, transport.send(messages), strict=True):
        if result.delivered:
            records.mark_acknowledged(_ack_key(queued), queued.ticket_id, now)
            report.sent += 1
        else:
            report.failed += 1
    return report


def _ack_key(queued: QueuedRow) -> str:
    """The key the acknowledgement of ``queued`` is planned and marked under: the mail's key, or the portal's."""
    return str(queued.details.get("mail_key") or queued.source_ref or queued.ticket_id)


def _planned(queued: QueuedRow, records: MailRecords, state: StateStore, customers: CustomerSettings,
             now: datetime) -> bool:
    """Whether ``queued``'s acknowledgement may go: a mailed one was planned at intake; a portal one is now."""
    if queued.channel == CHANNEL_EMAIL:
        return True
    address = _address(queued).lower()
    if not is_valid_email(address) or records.is_bad(address):
        return False
    if address in {customers.sender.lower(), *state.staff_addresses()}:
        return False
    return records.plan_acknowledgement(_ack_key(queued), address, customers.ack_per_sender_per_hour, now)


class _OneClassPerHeader(HeaderRegistry):
    """The stdlib's header registry, making each header name's class once: the stdlib makes a new class every
    time a header is set, which is most of the cost of composing a thousand acknowledgements."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY = policy.default.clone(header_factory=_OneClassPerHeader())


@dataclass(frozen=True)
class FixedHeaders:
    """The headers every acknowledgement of one cycle carries, parsed once: parsing header values is most of what
    composing a mail costs, and a cycle may acknowledge a thousand complaints."""

    sender: object  # From
    date: object  # Date: the cycle's moment
    machine: tuple[tuple[str, object], ...]  # Auto-Submitted, X-Auto-Response-Suppress, Precedence
    content: tuple[tuple[str, object], ...]  # MIME-Version, Content-Type (UTF-8 text), quoted-printable


def fixed_headers(customers: CustomerSettings, now: datetime) -> FixedHeaders:
    """The headers of every acknowledgement from ``customers.sender`` sent at ``now``."""
    message = EmailMessage(POLICY)
    message["From"] = make_address(customers.sender, customers.sender_name or None)
    message["Date"] = format_datetime(now)
    for name, value in (*MACHINE_HEADERS, *CONTENT_HEADERS):
        message[name] = value
    parsed = dict(message.items())
    return FixedHeaders(parsed["From"], parsed["Date"], tuple((name, parsed[name]) for name, _ in MACHINE_HEADERS),
                        tuple((name, parsed[name]) for name, _ in CONTENT_HEADERS))


def compose_acknowledgement(
    queued: QueuedRow, outcome: Outcome, customers: CustomerSettings, now: datetime,
    fixed: FixedHeaders | None = None,
) -> EmailMessage:
    """Return the acknowledgement of ``queued`` (mailed or from the portal), with ``outcome``'s first-response target.

    ``fixed`` is ``fixed_headers(customers, now)``, made once for many acknowledgements. Every text of the customer's
    goes in as plain text: header values cleaned of line breaks (no header can be added), the name in the
    greeting on one line.
    """
    details: Mapping[str, object] = queued.details
    language = "zh" if details.get("language") == "zh" else "en"
    words = TEXT[language]
    ticket = queued.ticket_id
    address = _address(queued)
    if not is_valid_email(address):
        raise ValueError(f"{ticket}: {address!r} is not an address to acknowledge")
    fixed = fixed or fixed_headers(customers, now)
    message = EmailMessage(POLICY)
    message["From"] = fixed.sender  # an already parsed header is taken as it is
    # an Address object, never a formatted string: a name holding "<…>" or commas stays one display name
    message["To"] = make_address(address, str(queued.cells.get("customer") or "") or None)
    original = clean_header_text(details.get("subject") or _first_words(queued.cells.get("description")))
    message["Subject"] = words["subject"].format(ticket=ticket, subject=original or ticket)
    message["Date"] = fixed.date
    message["Message-ID"] = acknowledgement_id(ticket, customers.sender)
    parent = details.get("message_id")
    if parent:
        message["In-Reply-To"] = str(parent)
        references = [str(reference) for reference in details.get("references") or []]  # type: ignore[union-attr]
        message["References"] = " ".join([*references, str(parent)][-10:])
    for name, value in (*fixed.machine, *fixed.content):
        message[name] = value
    customer = " ".join(str(queued.cells.get("customer") or address).split())
    # what set_content would make of UTF-8 text, without its cost: quoted-printable, lines of at most 76
    message.set_payload(quopri.encodestring(_body(words, ticket, customer, outcome).encode("utf-8")).decode("ascii"))
    return message


def _body(words: Mapping[str, str], ticket: str, customer: str, outcome: Outcome) -> str:
    due = outcome.deadlines.response_due if outcome.deadlines else None
    if due is not None:
        target = words["target"].format(due=f"{due:%Y-%m-%d %H:%M} ({due.tzinfo})")
    else:
        target = words["no_target"]
    lines = [words["greeting"].format(customer=customer), "", words["received"].format(ticket=ticket), target, "",
             words["next"].format(ticket=ticket), "", words["closing"]]
    return "\n".join(lines) + "\n"


def _address(queued: QueuedRow) -> str:
    """Where ``queued``'s acknowledgement goes: the portal form's address (its Contact may add a phone number),
    else the Contact cell (a mailed complaint's sender)."""
    return str(queued.details.get("address") or queued.cells.get("contact") or "").strip()


def _first_words(description: object, length: int = 60) -> str:
    """The start of a complaint's description, on one line: the subject of a portal complaint's acknowledgement."""
    text = " ".join(str(description or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def acknowledgement_id(ticket: str, sender: str) -> str:
    """The acknowledgement's Message-ID, naming the ticket: a reply's In-Reply-To leads back to it."""
    return ticket_message_id(ticket, ticket, sender)
