"""SLA maths: due times, where a ticket stands against them, and how far it has escalated (DESIGN §4, §5).

Decisions, in one place:

- **Clock.** Response and resolution due count on the rule's clock (``Deadlines.clock``). Follow-up due counts
  real elapsed hours (``FOLLOW_UP_CLOCK``, 24x7) whatever the rule's clock: the seeds promise a follow-up visit
  "处理结束后48小时内" / "24 至 48 小时内" after the fix, and the template's Deadline rules say so too (business rows
  give resolution in multiples of 9 working hours but follow-up as a flat 48, "within 48 hours of the fix"). On the
  business clock 48 h would be more than five working days. ``PendingDue.clock`` says which clock a due uses.
- **Second follow-up.** A follow-up score below the satisfaction target (003: 7 of 10) asks for a second
  follow-up (二次回访, 002: "立即启动二次处理流程"); it is due the same follow-up hours after the first follow-up,
  on the same real-hours clock.
- **Pauses.** Time in ``Waiting on customer`` does not count. A due is the moment at which ``hours`` of
  *unpaused* time on the clock have passed since Received; equivalently, it is pushed back by exactly the clock
  time of every pause that began before it. A pause that began after the due moves nothing (it came too late); an
  ongoing pause counts up to ``now``, so while a ticket waits its dues move forward cycle by cycle. Pausing for two
  working days on the business clock therefore moves the dues back exactly two working days. Follow-up due
  (counted from Resolved) is not paused.
- **The due that matters.** For an open ticket, the earliest of response due (until a first response) and
  resolution due; for a Resolved ticket not yet followed up, follow-up due; for a followed-up ticket whose low
  score asks for a second follow-up not yet made, the second follow-up due; otherwise none.
- **Escalation.** 0 not overdue; 1 overdue; 2 overdue by more than ``escalate_after_hours`` (the department
  manager); 3 by more than twice that (the admin). "Overdue by" is measured on the rule's clock, so a
  business-clock response or resolution does not escalate over a weekend (a follow-up, on 24x7, does).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from tickets.calendar import DEFAULT_ZONE, BusinessCalendar
from tickets.model import Ticket
from tickets.outcome import Clock, Deadlines, SlaState
from tickets.status import OPEN_STATUSES, Status

__all__ = [
    "Pause",
    "DueKind",
    "PendingDue",
    "DEFAULT_FOLLOW_UP_HOURS",
    "FOLLOW_UP_CLOCK",
    "compute_deadlines",
    "due_with_pauses",
    "pending_due",
    "sla_state",
    "escalation_level",
    "escalation_step",
    "change_moments",
    "ESCALATION_STEPS",
    "hours_open",
]

DEFAULT_FOLLOW_UP_HOURS = 48.0
FOLLOW_UP_CLOCK = Clock.ALWAYS  # see the module docstring
ESCALATION_STEPS = (1, 2)  # overdue by more than this many times escalate_after_hours: manager, then admin
_JUST_AFTER = timedelta(microseconds=1)
_FINISHED = frozenset({Status.RESOLVED, Status.FOLLOWED_UP})
_CLOSED = frozenset({Status.CLOSED, Status.DUPLICATE})


@dataclass(frozen=True)
class Pause:
    """A stretch of ``Waiting on customer``: from ``start`` to ``end``, or still going on when ``end`` is None."""

    start: datetime
    end: datetime | None = None


PauseLike = Pause | tuple[datetime, datetime | None]


class DueKind(StrEnum):
    """Which of a ticket's due times is meant."""

    RESPONSE = "response"
    RESOLUTION = "resolution"
    FOLLOW_UP = "follow_up"
    SECOND_FOLLOW_UP = "second_follow_up"
    ACTION = "action"  # the typed Action due: reminded about, never an SLA state


@dataclass(frozen=True)
class PendingDue:
    """The due a ticket is working toward now: its kind, when and on which clock it started counting, its time."""

    kind: DueKind
    start: datetime | None
    due: datetime
    clock: Clock


def compute_deadlines(
    received: datetime | None,
    response_hours: float | None,
    resolution_hours: float | None,
    follow_up_hours: float | None,
    clock: Clock,
    calendar: BusinessCalendar,
    pauses: Iterable[PauseLike] = (),
    resolved: datetime | None = None,
    *,
    now: datetime,
    second_from: datetime | None = None,
) -> Deadlines:
    """Given a ticket's times, the rule's hours and clock, return its due times in the calendar's zone.

    Response and resolution due count from ``received`` on ``clock`` and are pushed back by ``pauses`` (see the
    module docstring); follow-up due counts from ``resolved`` on ``FOLLOW_UP_CLOCK``, unpaused, with
    ``DEFAULT_FOLLOW_UP_HOURS`` when the hours are None; the second follow-up due counts the same hours from
    ``second_from`` (the first follow-up, given only when a low score asks for a second one).
    A due whose start or hours are missing is None. An ongoing pause counts up to ``now``. Raise ValueError if any
    hours are negative or not finite.
    """
    paused = _closed_pauses(pauses, now, calendar)
    follow_up = DEFAULT_FOLLOW_UP_HOURS if follow_up_hours is None else follow_up_hours
    return Deadlines(
        clock=clock,
        response_due=_due(received, response_hours, clock, calendar, paused),
        resolution_due=_due(received, resolution_hours, clock, calendar, paused),
        follow_up_due=_due(resolved, follow_up, FOLLOW_UP_CLOCK, calendar, []),
        second_follow_up_due=_due(second_from, follow_up, FOLLOW_UP_CLOCK, calendar, []),
        follow_up_from=resolved,
    )


def _due(
    start: datetime | None,
    hours: float | None,
    clock: Clock,
    calendar: BusinessCalendar,
    pauses: list[tuple[datetime, datetime]],
) -> datetime | None:
    if start is None or hours is None:
        return None
    return due_with_pauses(start, hours, clock, calendar, pauses)


def due_with_pauses(
    start: datetime,
    hours: float,
    clock: Clock,
    calendar: BusinessCalendar,
    pauses: Iterable[tuple[datetime, datetime]],
) -> datetime:
    """Return the moment ``hours`` of unpaused time on ``clock`` have passed since ``start``.

    ``pauses`` are closed (start, end) pairs in any order; they may overlap, and only their part after ``start``
    counts. Walks from pause to pause by start: the time before each pause is used up first, so a pause that begins
    at or after the moment the hours run out changes nothing. Raise ValueError if ``hours`` is negative.
    """
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"hours must be a finite number of 0 or more, not {hours!r}")
    cursor, remaining = _utc(start, calendar), hours
    for pause_start, pause_end in sorted((_utc(a, calendar), _utc(b, calendar)) for a, b in pauses):
        if pause_end <= cursor:
            continue  # over before the clock got here, or swallowed by an earlier, longer pause
        available = max(0.0, calendar.hours_between(cursor, pause_start, clock))
        if remaining <= available:
            break
        remaining -= available
        cursor = pause_end
    return calendar.add_hours(cursor, remaining, clock)


def _closed_pauses(
    pauses: Iterable[PauseLike], now: datetime, calendar: BusinessCalendar
) -> list[tuple[datetime, datetime]]:
    """Return the pauses as closed (start, end) pairs in UTC, an ongoing one ending at ``now``."""
    closed = []
    for pause in pauses:
        start, end = (pause.start, pause.end) if isinstance(pause, Pause) else pause
        closed.append((_utc(start, calendar), _utc(now if end is None else end, calendar)))
    return closed


def pending_due(ticket: Ticket, deadlines: Deadlines) -> PendingDue | None:
    """Given a ticket and its deadlines, return the due it is working toward now, or None when there is none.

    Open (and waiting) tickets: the earliest of response due (while there is no first response) and resolution
    due. A Resolved ticket without a Follow-up time: follow-up due. Resolved or Followed up with a second
    follow-up due and no second follow-up yet: that due. Otherwise (Closed, Duplicate, done): none.
    """
    status = ticket.effective_status
    if status is Status.RESOLVED and ticket.follow_up is None and deadlines.follow_up_due is not None:
        start = deadlines.follow_up_from or ticket.resolved  # the latest round's resolution (tickets.rounds)
        return PendingDue(DueKind.FOLLOW_UP, start, deadlines.follow_up_due, FOLLOW_UP_CLOCK)
    if status in _FINISHED and ticket.follow_up is not None and ticket.second_follow_up is None:
        second = deadlines.second_follow_up_due
        return None if second is None else PendingDue(DueKind.SECOND_FOLLOW_UP, ticket.follow_up, second, FOLLOW_UP_CLOCK)
    if status not in OPEN_STATUSES:
        return None
    candidates = []
    if ticket.first_response is None and deadlines.response_due is not None:
        candidates.append(
            PendingDue(DueKind.RESPONSE, ticket.received, deadlines.response_due, deadlines.clock)
        )
    if deadlines.resolution_due is not None:
        candidates.append(
            PendingDue(DueKind.RESOLUTION, ticket.received, deadlines.resolution_due, deadlines.clock)
        )
    return min(candidates, key=lambda pending: pending.due.astimezone(UTC), default=None)


def sla_state(
    ticket: Ticket,
    deadlines: Deadlines,
    now: datetime,
    due_soon_fraction: float,
    calendar: BusinessCalendar,
) -> SlaState:
    """Given a ticket, its deadlines and the time, return where it stands (first match wins):

    closed (Closed, Duplicate); paused (Waiting on customer); overdue (``now`` after the pending due); due soon (no
    more than ``due_soon_fraction`` of the pending due's target left, both measured on that due's clock from its
    start); met / met late (Resolved or Followed up, resolved at or before / after resolution due — a
    missing Resolved time counts as ``now``, a missing resolution due as met); on track.
    """
    status = ticket.effective_status
    if status in _CLOSED:
        return SlaState.CLOSED
    if status is Status.WAITING:
        return SlaState.PAUSED
    pending = pending_due(ticket, deadlines)
    if pending is not None and _utc(now, calendar) > _utc(pending.due, calendar):
        return SlaState.OVERDUE
    if pending is not None and _is_due_soon(pending, now, due_soon_fraction, calendar):
        return SlaState.DUE_SOON
    if status in _FINISHED:
        return _met(ticket, deadlines, now, calendar)
    return SlaState.ON_TRACK


def _is_due_soon(pending: PendingDue, now: datetime, fraction: float, calendar: BusinessCalendar) -> bool:
    if pending.start is None:
        return False
    target = calendar.hours_between(pending.start, pending.due, pending.clock)
    left = calendar.hours_between(now, pending.due, pending.clock)
    return target > 0 and left <= fraction * target


def _met(ticket: Ticket, deadlines: Deadlines, now: datetime, calendar: BusinessCalendar) -> SlaState:
    if deadlines.resolution_due is None:
        return SlaState.MET
    resolved = _utc(ticket.resolved or now, calendar)
    return SlaState.MET if resolved <= _utc(deadlines.resolution_due, calendar) else SlaState.MET_LATE


def _utc(moment: datetime, calendar: BusinessCalendar) -> datetime:
    # Compare in UTC: aware datetimes sharing a tzinfo compare by wall clock, which is wrong in the DST fold.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.zone)
    return moment.astimezone(UTC)


def escalation_level(
    ticket: Ticket,
    deadlines: Deadlines,
    now: datetime,
    state: SlaState,
    escalate_after_hours: float,
    calendar: BusinessCalendar,
) -> int:
    """Given a ticket, its deadlines, the time and its SLA state, return its escalation level.

    0 unless ``state`` is overdue; then 1, or 2 once overdue by more than ``escalate_after_hours`` (the manager),
    or 3 once overdue by more than twice that (the admin). Overdue time counts from the pending due on its clock
    (see ``pending_due``).
    """
    if state is not SlaState.OVERDUE:
        return 0
    pending = pending_due(ticket, deadlines)
    if pending is None:
        return 1
    return escalation_step(calendar.hours_between(pending.due, now, pending.clock), escalate_after_hours)


def escalation_step(overdue_hours: float, escalate_after_hours: float) -> int:
    """Given how many hours a due is past, return its escalation level: 1 overdue, 2 overdue by more than
    ``escalate_after_hours`` (the manager), 3 by more than ``ESCALATION_STEPS[-1]`` times that (the admin)."""
    return 1 + sum(1 for step in ESCALATION_STEPS if overdue_hours > step * escalate_after_hours)


def change_moments(pending: PendingDue, fraction: float, escalate_after_hours: float,
                   calendar: BusinessCalendar) -> list[datetime]:
    """Given the due a ticket works toward, return the moments its SLA state or escalation level changes:
    when it turns due soon (a minute early: cells show minutes), overdue, and each escalation step.

    Overdue and escalated are strict ("more than"), so each of those changes comes just after its moment.
    """
    moments = []
    if pending.start is not None:
        target = calendar.hours_between(pending.start, pending.due, pending.clock)
        moments.append(calendar.add_hours(pending.start, max(target * (1 - fraction), 0) - 1 / 60, pending.clock))
    moments.append(pending.due + _JUST_AFTER)
    moments += [calendar.add_hours(pending.due, step * escalate_after_hours, pending.clock) + _JUST_AFTER
                for step in ESCALATION_STEPS]
    return moments


def hours_open(
    received: datetime, now: datetime, end: datetime | None = None, *, zone: tzinfo = DEFAULT_ZONE
) -> float:
    """Return the real hours from ``received`` to ``end`` (or ``now`` while open), never below 0.

    Naive moments are wall-clock time in ``zone``.
    """
    first, last = (_aware(moment, zone) for moment in (received, end or now))
    return max(0.0, (last - first).total_seconds() / 3600)


def _aware(moment: datetime, zone: tzinfo) -> datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
