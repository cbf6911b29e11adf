"""When can time alone next change what a cycle computes?

A daemon cycle over an unchanged workbook recomputes the same cells unless the clock has crossed a moment that
matters: a ticket turning due soon, overdue or escalated, a date typed in the future arriving, a cluster
leaving its window, a new week on the Dashboard. ``next_change`` returns the earliest such moment, so the
daemon can skip the work until then (the mail still runs every cycle). It errs early, never late.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from tickets import BusinessCalendar, Outcome, Thresholds, moments_of_change

__all__ = ["next_change", "LONGEST_QUIET"]

# Even with nothing due, recompute at least this often.
LONGEST_QUIET = timedelta(hours=1)


def next_change(
    outcomes: Sequence[Outcome], calendar: BusinessCalendar, now: datetime, thresholds: Thresholds
) -> datetime:
    """Return the earliest moment after ``now`` at which time alone could change a cycle's result: a row's
    (the kernel says when, ``tickets.moments_of_change``), or the Dashboard's week."""
    moments = [now + LONGEST_QUIET, _next_monday(now, calendar)]
    for outcome in outcomes:
        moments += moments_of_change(outcome, calendar, now, thresholds)
    return min(moment for moment in moments if moment > now)


def _next_monday(now: datetime, calendar: BusinessCalendar) -> datetime:
    local = calendar.in_zone(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(days=7 - local.weekday())
