"""When can time alone next change what a cycle computes?

A daemon cycle over an unchanged workbook recomputes the same cells unless the clock has crossed a moment that
matters: a ticket turning due soon, overdue or escalated, a date typed in the future arriving, a cluster
leaving its window, a new week on the Dashboard. ``next_change`` returns the earliest such moment, so the
daemon can skip the work until then (the mail still runs every cycle). It errs early, never late.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from tickets import DATE_INPUT_KEYS, BusinessCalendar, Outcome, SlaState, pending_due

__all__ = ["next_change", "LONGEST_QUIET"]

# Even with nothing due, recompute at least this often.
LONGEST_QUIET = timedelta(hours=1)
_JUST_AFTER = timedelta(microseconds=1)
_TIMED_STATES = frozenset({SlaState.ON_TRACK, SlaState.DUE_SOON, SlaState.OVERDUE, SlaState.MET, SlaState.MET_LATE})


def next_change(
    outcomes: Sequence[Outcome],
    calendar: BusinessCalendar,
    now: datetime,
    *,
    due_soon_fraction: float,
    escalate_after_hours: float,
    cluster_threshold: int,
    cluster_days: int,
) -> datetime:
    """Return the earliest moment after ``now`` at which time alone could change a cycle's result."""
    moments = [now + LONGEST_QUIET, _next_monday(now, calendar)]
    for outcome in outcomes:
        moments += _future_dates(outcome, now)
        moments += _clock_moments(outcome, calendar, due_soon_fraction, escalate_after_hours)
        if outcome.similar_7d >= cluster_threshold and outcome.ticket.received is not None:
            moments.append(outcome.ticket.received + timedelta(days=cluster_days))
    return min(moment for moment in moments if moment > now)


def _future_dates(outcome: Outcome, now: datetime) -> Iterable[datetime]:
    for key in DATE_INPUT_KEYS:
        moment = getattr(outcome.ticket, key)
        if moment is not None and moment > now:
            yield moment


def _clock_moments(
    outcome: Outcome, calendar: BusinessCalendar, fraction: float, escalate_after_hours: float
) -> Iterable[datetime]:
    """The moments a ticket turns due soon, overdue, and escalates once and twice."""
    if outcome.deadlines is None or outcome.sla not in _TIMED_STATES:
        return
    pending = pending_due(outcome.ticket, outcome.deadlines)
    if pending is None:
        return
    if pending.start is not None:
        target = calendar.hours_between(pending.start, pending.due, pending.clock)
        yield calendar.add_hours(pending.start, max(target * (1 - fraction), 0) - 1 / 60, pending.clock)
    # Overdue and escalated are strict ("more than"): the change comes just after each moment.
    yield pending.due + _JUST_AFTER
    yield calendar.add_hours(pending.due, escalate_after_hours, pending.clock) + _JUST_AFTER
    yield calendar.add_hours(pending.due, 2 * escalate_after_hours, pending.clock) + _JUST_AFTER


def _next_monday(now: datetime, calendar: BusinessCalendar) -> datetime:
    local = calendar.in_zone(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(days=7 - local.weekday())
