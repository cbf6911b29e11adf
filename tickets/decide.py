"""A row's decision: from a ticket, what its rules said and its history, to its Outcome (DESIGN §4, §5).

Pure, and the one owner of time rules besides ``tickets.sla``: which deadline is running, the SLA state, the
escalation level, and the next moment time alone changes a row. The cycle (``sync.engine``) gathers the inputs
(rows, rule verdicts, status history) and asks ``decide``; the mailers ask ``running_clock``; quiet cycles ask
``moments_of_change``. A new computed column touches the column table (``tickets.columns``), ``decide`` and the
cell writer (``sync.computed_cells``), and nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from tickets.calendar import BusinessCalendar
from tickets.columns import DATE_INPUT_KEYS
from tickets.kpi import DEFAULT_CLUSTER_DAYS, DEFAULT_CLUSTER_THRESHOLD
from tickets.messages import Problem
from tickets.model import DEFAULT_SATISFACTION_TARGET, Ticket
from tickets.outcome import Assignment, Clock, Deadlines, Outcome, PauseCount, SlaState
from tickets.rounds import latest_resolution
from tickets.sla import (
    Pause,
    PendingDue,
    change_moments,
    compute_deadlines,
    escalation_level,
    hours_open,
    pending_due,
    sla_state,
)
from tickets.status import Status
from tickets.waits import count_waits, paused_due

__all__ = ["Thresholds", "RuleDecision", "decide", "finished_pauses", "rule_facts", "running_clock",
           "moments_of_change", "second_follow_up_from", "SILENT_STATUSES"]

# Tickets whose clocks no reminder speaks of: closed, or waiting on the customer. (A Followed-up ticket still
# has one when its low score asks for a second follow-up: ``pending_due`` says so.)
SILENT_STATUSES = frozenset({Status.CLOSED, Status.DUPLICATE, Status.WAITING})
_TIMED_STATES = frozenset({SlaState.ON_TRACK, SlaState.DUE_SOON, SlaState.OVERDUE, SlaState.MET, SlaState.MET_LATE})


@dataclass(frozen=True)
class Thresholds:
    """The desk's thresholds (config ``[reminders]``, ``[loop]``): when a due is "soon", when an overdue one
    escalates, what makes a cluster of similar tickets, and the follow-up score below which a second
    follow-up is due."""

    due_soon_fraction: float = 0.25
    escalate_after_hours: float = 24
    cluster_threshold: int = DEFAULT_CLUSTER_THRESHOLD
    cluster_days: int = DEFAULT_CLUSTER_DAYS
    satisfaction_target: int = DEFAULT_SATISFACTION_TARGET


class RuleDecision(Protocol):
    """What the rule tabs decided for a ticket (``rules.Verdict`` is one); None where a tab could not decide."""

    grade: str | None
    assignment: Assignment | None
    response_hours: float | None
    resolution_hours: float | None
    follow_up_hours: float | None
    clock: Clock | None
    fired: tuple[str, ...]
    problems: tuple[Problem, ...]


def decide(
    ticket: Ticket,
    verdict: RuleDecision,
    *,
    calendar: BusinessCalendar,
    now: datetime,
    thresholds: Thresholds,
    waits: Sequence[Pause] = (),
    paused_hours: float | None = None,
    remembered: PauseCount | None = None,
    resolved_again: datetime | None = None,
    similar_7d: int = 0,
    customer_30d: int = 0,
    problems: Sequence[Problem] = (),
) -> Outcome:
    """Given a ticket, its rules' verdict, its waits on the customer (the last one may still be going on), its
    ``Paused h`` as the sheet holds it (None: blank), what the state remembers counting (``tickets.waits``) and
    the time, return its Outcome: grade, owner, due times, SLA state, escalation, the waits counted (``paused``,
    for the ``Paused h`` cell) and every problem (the row's ``problems`` first, then the verdict's). The
    resolution due depends on ``paused_hours`` and the finished waits not counted yet, never on the history
    alone, so a lost or old state never moves it. The follow-up due counts from the later of Resolved and
    ``resolved_again`` (the latest round's resolution, ``tickets.rounds``). A Duplicate is closed and decided
    by no rule."""
    if ticket.status is Status.DUPLICATE:
        return Outcome(ticket, sla=SlaState.CLOSED, similar_7d=similar_7d, customer_30d=customer_30d,
                       problems=tuple(problems))
    deadlines = sla = paused = None
    escalation = 0
    if verdict.clock is not None and ticket.received is not None:
        paused = count_waits(
            paused_hours, remembered, finished_pauses(waits, ticket.effective_status, now), received=ticket.received,
            resolution_hours=verdict.resolution_hours, clock=verdict.clock, calendar=calendar,
        )
        deadlines = _deadlines(ticket.received, verdict.response_hours, verdict.resolution_hours,
                               verdict.follow_up_hours, verdict.clock, calendar, paused.hours,
                               latest_resolution(ticket.resolved, resolved_again),
                               second_follow_up_from(ticket, thresholds.satisfaction_target))
        sla = sla_state(ticket, deadlines, now, thresholds.due_soon_fraction, calendar)
        escalation = escalation_level(ticket, deadlines, now, sla, thresholds.escalate_after_hours, calendar)
    elif ticket.status is Status.CLOSED:
        sla = SlaState.CLOSED
    return Outcome(
        ticket, grade=verdict.grade, assignment=verdict.assignment, deadlines=deadlines, sla=sla,
        escalation=escalation, similar_7d=similar_7d, customer_30d=customer_30d, rules=verdict.fired,
        problems=(*problems, *verdict.problems), paused=paused, resolved_again=resolved_again,
    )


@functools.lru_cache(maxsize=200_000)
def _deadlines(
    received: datetime, response_hours: float | None, resolution_hours: float | None,
    follow_up_hours: float | None, clock: Clock, calendar: BusinessCalendar, paused_hours: float,
    resolved: datetime | None, second_from: datetime | None = None,
) -> Deadlines:
    """Due times, the resolution due pushed back by ``paused_hours`` (tickets.waits); the response due is never
    moved by a wait. They do not depend on the clock, so a daemon remembers them."""
    unpaused = compute_deadlines(received, response_hours, None, follow_up_hours, clock, calendar, (), resolved,
                                 now=received, second_from=second_from)
    return replace(unpaused, resolution_due=paused_due(received, resolution_hours, paused_hours, clock, calendar))


def second_follow_up_from(ticket: Ticket, target: int) -> datetime | None:
    """The first follow-up, when its score is below ``target``: the second follow-up counts from it."""
    score = ticket.satisfaction
    return ticket.follow_up if score is not None and 1 <= score < target else None


def finished_pauses(waits: Sequence[Pause], status: Status | None, now: datetime) -> tuple[Pause, ...]:
    """The finished waits on the customer, from the recorded ones plus this cycle's status.

    A wait still going on is left out: while a ticket waits, its due times stay where they were when the wait
    began (the SLA column says "paused"), so the sheet does not change every cycle; when the wait ends they move
    back by all of it at once.
    """
    pauses = list(waits)
    if pauses and pauses[-1].end is None:
        if status is Status.WAITING:
            pauses.pop()
        else:
            pauses[-1] = Pause(pauses[-1].start, now)  # the wait ended this cycle
    return tuple(pauses)


def rule_facts(
    ticket: Ticket, similar_7d: int, customer_30d: int, now: datetime, used: Sequence[str]
) -> dict[str, object]:
    """The facts a rule may test for ``ticket``: its fields, ``similar_7d``, ``customer_30d``, and
    ``hours_open`` when a rule in ``used`` tests it (the one fact that changes with the clock)."""
    facts: dict[str, object] = dict(ticket.__dict__)
    facts["similar_7d"] = similar_7d
    facts["customer_30d"] = customer_30d
    if "hours_open" in used:
        facts["hours_open"] = hours_open(ticket.received, now, ticket.resolved) if ticket.received else None
    return facts


def running_clock(outcome: Outcome) -> PendingDue | None:
    """Return the due that reminders speak of for a ticket, or None when none runs.

    It is the due the SLA column speaks of (``pending_due``), except for tickets that are done or waiting on
    the customer, paused or closed: no reminder runs for those.
    """
    if outcome.deadlines is None or outcome.ticket.effective_status in SILENT_STATUSES:
        return None
    if outcome.sla in (SlaState.PAUSED, SlaState.CLOSED):
        return None
    return pending_due(outcome.ticket, outcome.deadlines)


def moments_of_change(
    outcome: Outcome, calendar: BusinessCalendar, now: datetime, thresholds: Thresholds
) -> Iterable[datetime]:
    """The moments after ``now`` at which time alone could change what ``decide`` gives for this row: a date
    typed in the future arriving, the SLA state or escalation changing, the row leaving its cluster's window.
    Errs early, never late."""
    for key in DATE_INPUT_KEYS:
        moment = getattr(outcome.ticket, key)
        if moment is not None and moment > now:
            yield moment
    if outcome.deadlines is not None and outcome.sla in _TIMED_STATES:
        pending = pending_due(outcome.ticket, outcome.deadlines)
        if pending is not None:
            yield from change_moments(pending, thresholds.due_soon_fraction, thresholds.escalate_after_hours,
                                      calendar)
    if outcome.similar_7d >= thresholds.cluster_threshold and outcome.ticket.received is not None:
        yield outcome.ticket.received + timedelta(days=thresholds.cluster_days)
