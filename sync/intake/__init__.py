"""Customers in: every channel's complaints go through one intake function into the state store's queue.

``take_in(state, Complaint(...)) -> Receipt`` reserves the Ticket ID and queues the complaint; the next cycle
appends it to the Tickets tab. See docs/intake.md for the contract.
"""

from sync.intake.complaint import (
    CHANNEL_EMAIL,
    CHANNEL_WEBSITE,
    CHANNELS,
    Complaint,
    IntakeError,
    Receipt,
    clean_text,
    reserve_ticket_id,
    take_in,
)

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
