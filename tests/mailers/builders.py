"""Cheap real objects for the mailers tests: outcomes of two departments, a working-hours calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tickets.model import Ticket
from tickets.outcome import Assignment, Clock, Deadlines, Outcome, SlaState
from tickets.status import Status

ZONE = ZoneInfo("Asia/Shanghai")

QUALITY = Assignment(
    department="Quality",
    liaison="Li Lei",
    liaison_email="li@quality.example",
    deputy_email="deputy@quality.example",
    manager="Wang Fang",
    manager_email="wang@quality.example",
    language="en",
)
SERVICE = Assignment(
    department="售后服务部",
    liaison="张伟",
    liaison_email="zhang@service.example",
    manager="刘洋",
    manager_email="liu@service.example",
    language="zh",
)
ADMIN = "admin@desk.example"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Shanghai time (the 23rd is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


def make_outcome(
    ticket_id: str,
    assignment: Assignment | None = QUALITY,
    *,
    received: datetime | None = None,
    resolution_due: datetime | None = None,
    response_due: datetime | None = None,
    follow_up_due: datetime | None = None,
    second_follow_up_due: datetime | None = None,
    first_response: datetime | None = None,
    resolved: datetime | None = None,
    status: Status = Status.INVESTIGATING,
    clock: Clock = Clock.BUSINESS,
    sla: SlaState | None = None,
    grade: str = "B",
    row: int = 2,
    similar_7d: int = 1,
    **ticket_fields: object,
) -> Outcome:
    """An outcome whose resolution clock (by default) runs from ``received`` to ``resolution_due``."""
    received = received or at(23, 9)
    if first_response is None and status is not Status.NEW:
        first_response = received + timedelta(minutes=30)
    fields = {"customer": "Acme Ltd", "category": "Quality", "product": "Kettle K2", "description": "Leaks"}
    fields.update(ticket_fields)
    ticket = Ticket(
        row=row,
        ticket_id=ticket_id,
        received=received,
        status=status,
        first_response=first_response,
        resolved=resolved,
        **fields,
    )
    deadlines = Deadlines(
        clock=clock,
        response_due=response_due,
        resolution_due=resolution_due or at(23, 17),
        follow_up_due=follow_up_due,
        second_follow_up_due=second_follow_up_due,
    )
    return Outcome(
        ticket=ticket, grade=grade, assignment=assignment, deadlines=deadlines, sla=sla, similar_7d=similar_7d
    )


class OfficeHours:
    """Monday to Friday, 09:00–18:00 Shanghai: the WorkingTime a BusinessCalendar would be."""

    def is_working_time(self, moment: datetime) -> bool:
        local = moment.astimezone(ZONE)
        return local.weekday() < 5 and 9 <= local.hour < 18

    def next_working_time(self, moment: datetime) -> datetime:
        local = moment.astimezone(ZONE).replace(second=0, microsecond=0)
        while not self.is_working_time(local):
            local = (local + timedelta(hours=1)).replace(minute=0)
        return local
