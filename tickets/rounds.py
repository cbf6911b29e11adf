"""Rounds of resolution: a ticket resolved, reopened and resolved again starts a new round.

``Resolved`` is an input cell: the daemon fills it once, when blank, and never changes what it holds. So a
ticket reopened (the customer said "not fixed", or a person moved it back) and resolved again would keep its
first resolution time, and its follow-up would fall due at once, counted from the first round. The daemon owns
a ``Resolved again`` (再次解决时间) column instead: the moment the latest round was resolved, stamped by the first
cycle that sees the reopened ticket done again. The follow-up due counts from the later of the two, so a
person who types a new Resolved time over the old one is followed too (the later time wins).

The cell is kept in the sheet, so losing the state dir never moves a follow-up due; the state's status
history only tells the cycle that a round ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from tickets.model import Ticket
from tickets.status import DONE_STATUSES, Status
from tickets.values import CellValueError, read_datetime

__all__ = ["resolved_again", "latest_resolution", "reopened_at", "read_resolved_again"]


def reopened_at(history: Sequence[tuple[str, datetime]]) -> datetime | None:
    """Given a ticket's status history (``(status value, since)``, oldest first), return when it was last
    reopened — the start of the open stretch after its latest done status — or None if it is not open after
    having been done."""
    last_done = None
    for index, (status, _) in enumerate(history):
        if _is_done(status):
            last_done = index
    if last_done is None or last_done + 1 >= len(history):
        return None
    return history[last_done + 1][1]


def resolved_again(
    ticket: Ticket, sheet_value: datetime | None, history: Sequence[tuple[str, datetime]], now: datetime
) -> datetime | None:
    """Return the ``Resolved again`` cell for ``ticket`` as of ``now``.

    ``sheet_value`` is what the cell holds (None: blank or unreadable), ``history`` the statuses earlier cycles
    recorded (oldest first; this cycle's status is the ticket's). A ticket done now whose history ends in an
    open stretch after a done one is resolved again now — unless its Resolved (typed) or the cell is already
    at or after the reopening: that later time is the new round's. Otherwise the cell stays as it is.
    """
    if ticket.effective_status not in DONE_STATUSES:
        return sheet_value
    reopened = reopened_at(history)
    if reopened is None:
        return sheet_value
    known = latest_resolution(ticket.resolved, sheet_value)
    if known is not None and known >= reopened:
        return sheet_value
    return now


def latest_resolution(resolved: datetime | None, again: datetime | None) -> datetime | None:
    """The start of the current round: the later of ``Resolved`` and ``Resolved again`` (either may be blank)."""
    if resolved is None or again is None:
        return resolved or again
    return max(resolved, again)


def read_resolved_again(value: Any, zone: tzinfo) -> datetime | None:
    """The ``Resolved again`` cell as a moment; None when blank or not a time (the cycle then rewrites it)."""
    try:
        return read_datetime(value, zone)
    except CellValueError:
        return None


def _is_done(status: str) -> bool:
    try:
        return Status(status) in DONE_STATUSES
    except ValueError:
        return False
