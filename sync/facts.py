"""Derived facts a rule may test, worked out over the whole sheet in one pass each (DESIGN §3).

``Similar 7d``: tickets with the same product and category received in the 7 days up to this ticket's own
Received, this one included, so a grade never drops as time passes. ``Customer 30d``: tickets from the same
customer received in the 30 days up to this one's Received, this one included.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime, timedelta

from tickets import Status, Ticket

__all__ = ["similar_counts", "customer_counts"]


def _window_counts(
    tickets: Sequence[Ticket], key: Callable[[Ticket], Hashable | None], window: timedelta
) -> list[int]:
    """For each ticket, count tickets of the same key received in ``window`` up to its own Received."""
    groups: dict[Hashable, list[datetime]] = defaultdict(list)
    for ticket in tickets:
        group = key(ticket)
        if group is not None and ticket.received is not None and ticket.status is not Status.DUPLICATE:
            groups[group].append(ticket.received)
    for moments in groups.values():
        moments.sort()
    counts = []
    for ticket in tickets:
        group = key(ticket)
        if group is None or ticket.received is None or ticket.status is Status.DUPLICATE:
            counts.append(1 if ticket.received is not None else 0)
            continue
        moments = groups[group]
        upto = bisect_right(moments, ticket.received)
        since = bisect_left(moments, ticket.received - window)
        counts.append(upto - since)
    return counts


def _text_key(*values: str | None) -> tuple[str, ...] | None:
    if any(not value for value in values):
        return None
    return tuple(value.casefold() for value in values)  # type: ignore[union-attr]


def similar_counts(tickets: Sequence[Ticket], days: int = 7) -> list[int]:
    """Return ``Similar 7d`` for each ticket (same product and category)."""
    return _window_counts(tickets, lambda ticket: _text_key(ticket.product, ticket.category), timedelta(days=days))


def customer_counts(tickets: Sequence[Ticket], days: int = 30) -> list[int]:
    """Return ``Customer 30d`` for each ticket (same customer)."""
    return _window_counts(tickets, lambda ticket: _text_key(ticket.customer), timedelta(days=days))
