"""What a cycle works out for a ticket: grade, owner, deadlines, SLA state. Shared by sync and mailers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tickets.messages import Problem
from tickets.model import Ticket

__all__ = ["Clock", "SlaState", "Deadlines", "Assignment", "Outcome", "PauseCount", "SLA_LABELS"]


@dataclass(frozen=True)
class PauseCount:
    """The waits on the customer a ticket's due times count (tickets.waits): ``hours`` on its clock — its
    ``Paused h`` cell — through the wait that ended at ``through`` (None: no wait counted yet)."""

    hours: float = 0.0
    through: datetime | None = None


class Clock(StrEnum):
    """Which hours count toward a deadline."""

    BUSINESS = "business"
    ALWAYS = "24x7"


class SlaState(StrEnum):
    """Where a ticket stands against its deadlines (DESIGN §4)."""

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    PAUSED = "paused"
    MET = "met"
    MET_LATE = "met_late"
    CLOSED = "closed"

    def label(self, language: str) -> str:
        english, chinese = SLA_LABELS[self]
        return chinese if language == "zh" else english


SLA_LABELS: dict[SlaState, tuple[str, str]] = {
    SlaState.ON_TRACK: ("on track", "正常"),
    SlaState.DUE_SOON: ("due soon", "即将到期"),
    SlaState.OVERDUE: ("overdue", "已超时"),
    SlaState.PAUSED: ("paused", "已暂停"),
    SlaState.MET: ("met", "已达成"),
    SlaState.MET_LATE: ("met late", "超时完成"),
    SlaState.CLOSED: ("closed", "已关闭"),
}


@dataclass(frozen=True)
class Deadlines:
    """The due times of a ticket (aware datetimes), after pauses have pushed them back.

    ``clock`` is the rule's clock and applies to the response and resolution dues; the follow-up due always
    counts real hours (``tickets.sla.FOLLOW_UP_CLOCK``), as the seeds' "48 hours after the fix" means.
    """

    clock: Clock
    response_due: datetime | None = None
    resolution_due: datetime | None = None
    follow_up_due: datetime | None = None
    second_follow_up_due: datetime | None = None  # set only when a low score asks for a second follow-up
    follow_up_from: datetime | None = None  # the resolution the follow-up due counts from (tickets.rounds)


@dataclass(frozen=True)
class Assignment:
    """Who owns a ticket: the department and its people, from Owner rules and the Liaisons tab."""

    department: str
    liaison: str | None = None
    liaison_email: str | None = None
    deputy_email: str | None = None
    manager: str | None = None
    manager_email: str | None = None
    language: str = "en"


@dataclass(frozen=True)
class Outcome:
    """Everything the daemon computed for one ticket in one cycle."""

    ticket: Ticket
    grade: str | None = None
    assignment: Assignment | None = None
    deadlines: Deadlines | None = None
    sla: SlaState | None = None
    escalation: int = 0
    similar_7d: int = 0
    customer_30d: int = 0
    rules: tuple[str, ...] = ()  # IDs of the rules that fired, e.g. ("G2", "O5", "D3")
    last_solved: str | None = None  # the latest other Closed ticket about the same product and category
    problems: tuple[Problem, ...] = field(default=())
    paused: PauseCount | None = None  # its waits on the customer as counted now (None: Paused h is left alone)
    resolved_again: datetime | None = None  # when the latest round was resolved (tickets.rounds), for its cell
