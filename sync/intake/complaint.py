"""The one intake function: a complaint from any channel becomes a queued ticket with its number (DESIGN §8).

Every channel (the mailbox, the portal's form, a Forms responses tab, a script) calls ``take_in``. It never
touches the workbook: in one state-store transaction it reserves the Ticket ID and queues the complaint; the
next cycle appends the row (``sync.queued``) and acknowledges it in the queue. The returned number is final:
the customer may be told it at once.

Exactly once: give each complaint a ``source_ref`` that names it in its channel (a mail's Message-ID and body
hash, a form response's id). ``take_in`` called again with the same ``source_ref`` — after a crash before the
channel recorded its progress — returns the same Ticket ID and queues nothing. Between ``take_in`` and the
append nothing can be lost: the queue is in SQLite, and the append skips a Ticket ID already in the tab.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sync.state import StateStore, format_ticket_id
from tickets import SheetdeskError

__all__ = [
    "Complaint",
    "Receipt",
    "IntakeError",
    "take_in",
    "reserve_ticket_id",
    "clean_text",
    "CHANNEL_EMAIL",
    "CHANNEL_WEBSITE",
    "CHANNELS",
]

CHANNEL_EMAIL = "email"
CHANNEL_WEBSITE = "website"
CHANNELS = (CHANNEL_EMAIL, CHANNEL_WEBSITE)  # keys; the Channel cell shows the workbook language's word
LANGUAGES = ("en", "zh")
# Characters no workbook can hold (XML 1.0 forbids them); tab, line feed and carriage return stay.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class IntakeError(SheetdeskError):
    """A complaint cannot be taken in as given (no description, a naive time, an unknown channel)."""


@dataclass(frozen=True)
class Complaint:
    """A customer's complaint as a channel received it. Every text is the customer's words, kept as data.

    ``received`` is when it arrived (timezone-aware). ``channel`` is one of ``CHANNELS``. ``language`` is the
    ticket's language ("en" or "zh"; None: the workbook's), used for mail to the customer. ``source_ref`` names
    it in its channel (see the module docstring); it is also written to the ``Source ref`` column. ``details``
    is what the channel keeps beside the ticket (JSON-able), handed back by the queue.
    """

    channel: str
    received: datetime
    description: str
    customer: str | None = None
    contact: str | None = None
    product: str | None = None
    category: str | None = None
    order_no: str | None = None
    request: str | None = None
    notes: str | None = None
    language: str | None = None
    source_ref: str | None = None
    details: dict[str, object] = field(default_factory=dict)

    def cells(self) -> dict[str, object]:
        """Return the Tickets cells this complaint fills, by column key (blank ones left out)."""
        texts = {"customer": self.customer, "contact": self.contact, "product": self.product,
                 "category": self.category, "order_no": self.order_no, "request": self.request,
                 "description": self.description, "notes": self.notes, "source_ref": self.source_ref}
        cells: dict[str, object] = {"received": self.received, "channel": self.channel}
        cells.update({key: text for key, value in texts.items() if (text := clean_text(value))})
        return cells


@dataclass(frozen=True)
class Receipt:
    """What intake gave a complaint: its Ticket ID, and whether it is new (False: ``source_ref`` was known)."""

    ticket_id: str
    new: bool


def take_in(state: StateStore, complaint: Complaint) -> Receipt:
    """Reserve a Ticket ID for ``complaint`` and queue it for the next cycle; return the receipt.

    The number is of the day the complaint arrived, in the desk's Calendar zone. Raise IntakeError when the
    complaint cannot become a ticket (blank description, naive ``received``, unknown channel or language).
    Safe to call from any process sharing the state dir; idempotent per ``source_ref``.
    """
    _check(complaint)
    details = {**complaint.details, "language": complaint.language}
    ticket_id, new = state.enqueue(
        _day(state, complaint.received), complaint.channel, complaint.cells(), complaint.received,
        source_ref=complaint.source_ref, details=details,
    )
    return Receipt(ticket_id, new)


def reserve_ticket_id(state: StateStore, when: datetime) -> str:
    """Reserve and return a Ticket ID of the day of ``when`` (aware) that nobody else is ever given.

    For channels that number a complaint before they can queue it; ``take_in`` reserves by itself.
    """
    if when.tzinfo is None:
        raise IntakeError("a ticket number is reserved for a moment with a timezone")
    day = _day(state, when)
    return format_ticket_id(day, state.reserve_ticket_numbers(day))


def clean_text(value: str | None) -> str | None:
    """Return a customer's text fit for a cell: characters a workbook cannot hold removed, ends trimmed."""
    if value is None:
        return None
    text = UNWRITABLE.sub("", str(value)).replace("\r\n", "\n").strip()
    return text or None


def _check(complaint: Complaint) -> None:
    if complaint.channel not in CHANNELS:
        raise IntakeError(f"unknown channel {complaint.channel!r}: use one of {', '.join(CHANNELS)}")
    if complaint.received.tzinfo is None:
        raise IntakeError("Complaint.received needs a timezone (when did it arrive, where?)")
    if not clean_text(complaint.description):
        raise IntakeError("a complaint needs a description: the customer's words")
    if complaint.language not in (None, *LANGUAGES):
        raise IntakeError(f"unknown language {complaint.language!r}: use en or zh")


def _day(state: StateStore, when: datetime) -> str:
    zone: tzinfo | None = state.desk_zone() or when.tzinfo
    return when.astimezone(zone).strftime("%Y%m%d")
