"""Which reminders are due: stages per ticket and clock, and who receives each (DESIGN §5).

Pure: given the cycle's outcomes, the settings and ``now``, return every reminder whose time has come. Whether
it was already sent, may be sent now (quiet hours, circuit breaker) or must wait is the Mailroom's business,
with the ledger.

Stages per ticket and clock::

    due soon ──► overdue ──► repeat #1, #2, … every repeat_hours while overdue        (to the liaison)
                    └─ escalate_after_hours overdue ──► escalation                    (to the manager)
                    └─ 2 × escalate_after_hours overdue ──► admin escalation          (to admin_email)

Only the most advanced liaison stage is due at a time (a ticket first seen 50 h late gets repeat #2, not the
overdue notice and repeat #1 too). Repeats count wall-clock hours. Which clock runs and how far a ticket has
escalated are the kernel's decisions (``tickets.running_clock``, the Escalation column ``Outcome.escalation``),
so mail and sheet agree.

Besides the ladder:

- **Dispatch.** An open ticket with a department tells its liaison once (per recipient: a ticket moved to
  another department is dispatched again), so the first mail about a ticket says it is new — not "due soon".
- **Second follow-up.** A follow-up score below the target gives the ticket a second follow-up due
  (``tickets.sla``); the kernel's running clock then speaks of it, on the follow-up's ladder.
- **Action due.** A typed ``Action due`` that passes while the ticket is not yet Resolved reminds the liaison,
  naming the ``Action owner``: overdue, then a repeat every ``repeat_hours`` (no escalation: the date is the
  team's own promise, not an SLA).

A ticket on a 24x7 clock is urgent at every stage, dispatch included: quiet hours never hold it (DESIGN §5).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property

from mailers.addresses import is_valid_email
from mailers.settings import ReminderSettings
from tickets import DueKind, escalation_step, running_clock
from tickets.outcome import Clock, Outcome, SlaState
from tickets.status import OPEN_STATUSES

__all__ = ["Stage", "Role", "Reminder", "Plan", "plan_reminders"]


class Stage(StrEnum):
    """A step on the reminder ladder; the order of the members is the order of urgency."""

    CUSTOMER_REPLIED = "customer_replied"  # the customer mailed about the ticket since it last moved: once per reply
    DISPATCH = "dispatch"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    REPEAT = "repeat"
    ESCALATION = "escalation"
    ADMIN_ESCALATION = "admin_escalation"

    @property
    def rank(self) -> int:
        return list(Stage).index(self)


class Role(StrEnum):
    """Why a person receives a reminder."""

    LIAISON = "liaison"
    DEPUTY = "deputy"
    MANAGER = "manager"
    ADMIN = "admin"


@dataclass(frozen=True)
class Reminder:
    """One stage of one ticket's clock, due now, for one recipient."""

    outcome: Outcome = field(compare=False, repr=False)
    ticket_id: str
    deadline: DueKind
    stage: Stage
    due: datetime
    recipient: str
    role: Role
    language: str = "en"
    recipient_name: str | None = None
    repeat: int = 0  # the repeat number for Stage.REPEAT, else 0
    first_notice: bool = False  # a repeat whose earlier notices this recipient never got: worded as the first
    urgent: bool = False  # may be sent in quiet hours

    @cached_property
    def key(self) -> str:
        """The ledger key: ticket, clock, stage (with repeat number), due time, recipient.

        A dispatch is keyed by ticket and recipient alone: due times move (pauses), the dispatch happens once.
        """
        if self.stage is Stage.DISPATCH:
            return f"{self.ticket_id}|dispatch|{self.recipient.lower()}"
        if self.stage is Stage.CUSTOMER_REPLIED:  # due is the reply's time: each reply is told once
            return f"{self.ticket_id}|customer_replied|{self.due.astimezone(UTC).isoformat()}|{self.recipient.lower()}"
        stage = f"{self.stage}#{self.repeat}" if self.stage is Stage.REPEAT else str(self.stage)
        due = self.due.astimezone(UTC).isoformat(timespec="seconds")
        return f"{self.ticket_id}|{self.deadline}|{stage}|{due}|{self.recipient.lower()}"

    @property
    def department(self) -> str:
        assignment = self.outcome.assignment
        return assignment.department if assignment else ""

    def late_by(self, now: datetime) -> timedelta:
        """How long past due at ``now`` (negative: time still left)."""
        return now - self.due


@dataclass(frozen=True)
class Plan:
    """What is due this cycle, plus what the circuit breaker needs to know."""

    reminders: tuple[Reminder, ...]
    overdue_clocks: frozenset[str]  # "ticket|clock|due" of every clock past due now
    open_tickets: int
    unaddressed: tuple[str, ...] = ()  # ticket IDs with a due reminder and no valid address at all


@dataclass(frozen=True)
class _Audience:
    recipient: str
    role: Role
    language: str
    name: str | None = None


def plan_reminders(
    outcomes: Sequence[Outcome], settings: ReminderSettings, now: datetime,
    customer_replies: Mapping[str, datetime] | None = None,
) -> Plan:
    """Given a cycle's outcomes, the reminder settings and an aware ``now``, return every reminder due now.

    Closed, Duplicate and Waiting (paused) tickets, and rows without a Ticket ID yet, get nothing; an open
    ticket with a department gets its dispatch notice (kept once per recipient by the ledger's key).
    ``customer_replies`` (Ticket ID -> the time of the customer's latest mailed reply, for tickets whose
    "Customer replied" is set) tells the ticket's liaison, whatever its status, once per reply.
    """
    replies = customer_replies or {}
    reminders: list[Reminder] = []
    overdue: set[str] = set()
    unaddressed: list[str] = []
    open_tickets = 0
    for outcome in outcomes:
        open_tickets += outcome.ticket.effective_status in OPEN_STATUSES
        if not outcome.ticket.ticket_id:
            continue
        running = running_clock(outcome)
        kind, due, start = (running.kind, running.due, running.start) if running else (
            DueKind.RESPONSE, outcome.ticket.received, None)
        stages = _dispatch(outcome, settings) if due is not None else []
        if running is not None:
            if now >= due:
                overdue.add(f"{outcome.ticket.ticket_id}|{kind}|{due.astimezone(UTC).isoformat()}")
            stages += _stages(outcome, due, start, settings, now)
        if stages and stages[0][2] is None:  # the liaison stage found nobody, not even the admin
            unaddressed.append(outcome.ticket.ticket_id)
        if due is not None:
            reminders += _reminders_for(outcome, kind, due, stages)
        reminders += _action_reminders(outcome, settings, now)
        replied = replies.get(outcome.ticket.ticket_id)
        if replied is not None:
            reminders += _reminders_for(outcome, kind, replied, [(Stage.CUSTOMER_REPLIED, 0, _liaison(outcome, settings))])
    return Plan(tuple(reminders), frozenset(overdue), open_tickets, tuple(unaddressed))


def _dispatch(outcome: Outcome, settings: ReminderSettings) -> list[tuple[Stage, int, _Audience | None]]:
    """The dispatch notice of an open ticket that has a department (sent once per recipient by the ledger)."""
    ticket = outcome.ticket
    if outcome.assignment is None or ticket.effective_status not in OPEN_STATUSES:
        return []
    return [(Stage.DISPATCH, 0, _liaison(outcome, settings))]


def _action_reminders(outcome: Outcome, settings: ReminderSettings, now: datetime) -> list[Reminder]:
    """Overdue (then repeats) for a typed Action due that passed before the ticket was Resolved."""
    ticket = outcome.ticket
    due = ticket.action_due
    if due is None or ticket.effective_status not in OPEN_STATUSES or outcome.sla is SlaState.PAUSED:
        return []
    if now < due:
        return []
    repeat = int((now - due).total_seconds() // (settings.repeat_hours * 3600))
    stage = (Stage.REPEAT if repeat else Stage.OVERDUE, repeat, _liaison(outcome, settings))
    return list(_reminders_for(outcome, DueKind.ACTION, due, [stage]))


def _reminders_for(
    outcome: Outcome, kind: DueKind, due: datetime, stages: list[tuple[Stage, int, _Audience | None]]
) -> Iterator[Reminder]:
    for stage, repeat, audience in stages:
        if audience is None:
            continue
        yield Reminder(
            outcome=outcome,
            ticket_id=outcome.ticket.ticket_id or "",
            deadline=kind,
            stage=stage,
            due=due,
            recipient=audience.recipient,
            role=audience.role,
            language=audience.language,
            recipient_name=audience.name,
            repeat=repeat,
            urgent=_runs_around_the_clock(outcome),
        )


def _stages(
    outcome: Outcome, due: datetime, start: datetime | None, settings: ReminderSettings, now: datetime
) -> Iterator[tuple[Stage, int, _Audience | None]]:
    late_by = now - due
    if late_by < timedelta(0):
        if _is_due_soon(outcome, due, start, settings, now):
            yield Stage.DUE_SOON, 0, _liaison(outcome, settings)
        return
    repeat = int(late_by.total_seconds() // (settings.repeat_hours * 3600))
    yield (Stage.REPEAT if repeat else Stage.OVERDUE), repeat, _liaison(outcome, settings)
    level = _escalation(outcome, late_by, settings)
    if level >= 1:
        yield Stage.ESCALATION, 0, _manager(outcome, settings)
    if level >= 2:
        yield Stage.ADMIN_ESCALATION, 0, _admin(settings)


def _escalation(outcome: Outcome, late_by: timedelta, settings: ReminderSettings) -> int:
    """0, 1 (manager) or 2 (admin): the sheet's Escalation column (1 overdue, 2 manager, 3 admin, on the rule's
    clock) when the engine set it, so mail and sheet agree; the kernel's steps over wall-clock hours otherwise."""
    level = outcome.escalation or escalation_step(late_by.total_seconds() / 3600, settings.escalate_after_hours)
    return max(level - 1, 0)


def _is_due_soon(
    outcome: Outcome, due: datetime, start: datetime | None, settings: ReminderSettings, now: datetime
) -> bool:
    # The kernel's SLA state knows the business calendar; the wall-clock share covers the follow-up clock and
    # outcomes without an SLA state.
    if outcome.sla is SlaState.DUE_SOON:
        return True
    if start is None or start >= due:
        return False
    return (due - now) <= (due - start) * settings.due_soon_fraction


def _runs_around_the_clock(outcome: Outcome) -> bool:
    return outcome.deadlines is not None and outcome.deadlines.clock is Clock.ALWAYS


def _liaison(outcome: Outcome, settings: ReminderSettings) -> _Audience | None:
    assignment = outcome.assignment
    if assignment and is_valid_email(assignment.liaison_email):
        return _Audience(
            assignment.liaison_email.strip(), Role.LIAISON, assignment.language, assignment.liaison
        )
    if assignment and is_valid_email(assignment.deputy_email):
        return _Audience(assignment.deputy_email.strip(), Role.DEPUTY, assignment.language)
    return _admin(settings)


def _manager(outcome: Outcome, settings: ReminderSettings) -> _Audience | None:
    assignment = outcome.assignment
    if assignment and is_valid_email(assignment.manager_email):
        return _Audience(
            assignment.manager_email.strip(), Role.MANAGER, assignment.language, assignment.manager
        )
    return _admin(settings)


def _admin(settings: ReminderSettings) -> _Audience | None:
    if not is_valid_email(settings.admin_email):
        return None
    return _Audience(settings.admin_email.strip(), Role.ADMIN, settings.admin_language or "en")
