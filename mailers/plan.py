"""Which reminders are due: stages per ticket and clock, and who receives each (DESIGN §5).

Pure: given the cycle's outcomes, the settings and ``now``, return every reminder whose time has come. Whether
it was already sent, may be sent now (quiet hours, circuit breaker) or must wait is the Mailroom's business,
with the ledger.

Stages per ticket and clock::

    due soon ──► overdue ──► repeat #1, #2, … every repeat_hours while overdue        (to the liaison)
                    └─ escalate_after_hours overdue ──► escalation                    (to the manager)
                    └─ 2 × escalate_after_hours overdue ──► admin escalation          (to admin_email)

Only the most advanced liaison stage is due at a time (a ticket first seen 50 h late gets repeat #2, not the
overdue notice and repeat #1 too). Lateness counts wall-clock hours, so the ladder means the same on business
and 24x7 clocks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from mailers.addresses import is_valid_email
from mailers.settings import ReminderSettings
from tickets.outcome import Clock, Outcome, SlaState
from tickets.status import OPEN_STATUSES, Status

__all__ = [
    "DeadlineKind",
    "Stage",
    "Role",
    "Reminder",
    "Plan",
    "plan_reminders",
    "escalation_level",
    "active_deadline",
]


class DeadlineKind(StrEnum):
    """Which of a ticket's deadlines a reminder is about."""

    RESPONSE = "response"
    RESOLUTION = "resolution"
    FOLLOW_UP = "follow_up"


class Stage(StrEnum):
    """A step on the reminder ladder; the order of the members is the order of urgency."""

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


_URGENT_STAGES = frozenset({Stage.OVERDUE, Stage.ESCALATION, Stage.ADMIN_ESCALATION})
_SILENT_STATUSES = frozenset({Status.CLOSED, Status.DUPLICATE, Status.FOLLOWED_UP, Status.WAITING})


@dataclass(frozen=True)
class Reminder:
    """One stage of one ticket's clock, due now, for one recipient."""

    outcome: Outcome = field(compare=False, repr=False)
    ticket_id: str
    deadline: DeadlineKind
    stage: Stage
    due: datetime
    recipient: str
    role: Role
    language: str = "en"
    recipient_name: str | None = None
    repeat: int = 0  # the repeat number for Stage.REPEAT, else 0
    urgent: bool = False  # may be sent in quiet hours

    @property
    def key(self) -> str:
        """The ledger key: ticket, clock, stage (with repeat number), due time, recipient."""
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


def plan_reminders(outcomes: Sequence[Outcome], settings: ReminderSettings, now: datetime) -> Plan:
    """Given a cycle's outcomes, the reminder settings and an aware ``now``, return every reminder due now.

    Closed, Duplicate, Followed-up and Waiting (paused) tickets, and rows without a Ticket ID yet, get nothing.
    """
    reminders: list[Reminder] = []
    overdue: set[str] = set()
    unaddressed: list[str] = []
    open_tickets = 0
    for outcome in outcomes:
        open_tickets += outcome.ticket.effective_status in OPEN_STATUSES
        found = active_deadline(outcome)
        if found is None or not outcome.ticket.ticket_id:
            continue
        kind, due, start = found
        if now >= due:
            overdue.add(f"{outcome.ticket.ticket_id}|{kind}|{due.astimezone(UTC).isoformat()}")
        stages = list(_stages(outcome, due, start, settings, now))
        if stages and stages[0][2] is None:  # the liaison stage found nobody, not even the admin
            unaddressed.append(outcome.ticket.ticket_id)
        reminders += _reminders_for(outcome, kind, due, stages)
    return Plan(tuple(reminders), frozenset(overdue), open_tickets, tuple(unaddressed))


def active_deadline(outcome: Outcome) -> tuple[DeadlineKind, datetime, datetime | None] | None:
    """Return the clock that runs for a ticket now — (kind, due, start) — or None if none does.

    Response until the first response, then resolution; the follow-up clock once Resolved.
    """
    ticket, deadlines = outcome.ticket, outcome.deadlines
    status = ticket.effective_status
    if deadlines is None or status in _SILENT_STATUSES or outcome.sla in (SlaState.PAUSED, SlaState.CLOSED):
        return None
    if status is Status.RESOLVED:
        if ticket.follow_up is not None or deadlines.follow_up_due is None:
            return None
        return DeadlineKind.FOLLOW_UP, deadlines.follow_up_due, ticket.resolved
    if ticket.first_response is None and deadlines.response_due is not None:
        return DeadlineKind.RESPONSE, deadlines.response_due, ticket.received
    if deadlines.resolution_due is None:
        return None
    return DeadlineKind.RESOLUTION, deadlines.resolution_due, ticket.received


def escalation_level(late_by: timedelta, settings: ReminderSettings) -> int:
    """Return 0 (not escalated), 1 (manager) or 2 (admin) for a clock ``late_by`` past due.

    The engine may use this to fill the Escalation column, so sheet and mail agree.
    """
    hours = late_by.total_seconds() / 3600
    if hours < settings.escalate_after_hours:
        return 0
    return 1 if hours < 2 * settings.escalate_after_hours else 2


def _reminders_for(
    outcome: Outcome, kind: DeadlineKind, due: datetime, stages: list[tuple[Stage, int, _Audience | None]]
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
            urgent=stage in _URGENT_STAGES and _runs_around_the_clock(outcome),
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
    """The sheet's Escalation column (1 overdue, 2 manager, 3 admin, on the rule's clock) when the engine set it,
    so mail and sheet agree; wall-clock hours otherwise."""
    if outcome.escalation:
        return max(outcome.escalation - 1, 0)
    return escalation_level(late_by, settings)


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
    return _Audience(settings.admin_email.strip(), Role.ADMIN, settings.admin_language)
