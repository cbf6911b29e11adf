"""The Ticket: one row of the Tickets tab, read and checked.

``read_row`` turns the raw cells of a row into a ``Ticket`` plus every problem the row has, never only the
first: field problems come from pydantic's validation of each column, closed-loop problems from the checks
below, and a field that fails is left blank so the other checks still run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from tickets.columns import COLUMNS_BY_KEY, INPUT_KEYS, Kind
from tickets.messages import Problem
from tickets.status import DONE_STATUSES, Status, parse_status
from tickets.values import CellValueError, is_blank, read_boolean, read_datetime, read_integer, read_text

__all__ = ["Ticket", "RowContext", "RowResult", "read_row", "is_blank_row"]


@dataclass(frozen=True)
class RowContext:
    """What reading a row needs to know besides the row: the zone, the clock and the allowed values."""

    zone: tzinfo = UTC
    now: datetime | None = None
    allowed: Mapping[str, Sequence[str]] = field(default_factory=dict)  # choice list key -> allowed values


def _fail(error: CellValueError) -> PydanticCustomError:
    return PydanticCustomError(error.code, "{value}", {"value": error.value})


def _text(value: Any) -> str | None:
    try:
        return read_text(value)
    except CellValueError as error:
        raise _fail(error) from None


def _moment(value: Any, info: ValidationInfo) -> datetime | None:
    context: RowContext = info.context or RowContext()
    try:
        return read_datetime(value, context.zone)
    except CellValueError as error:
        raise _fail(error) from None


def _integer(value: Any) -> int | None:
    try:
        return read_integer(value)
    except CellValueError as error:
        raise _fail(error) from None


def _boolean(value: Any) -> bool | None:
    try:
        return read_boolean(value)
    except CellValueError as error:
        raise _fail(error) from None


def _status(value: Any) -> Status | None:
    if is_blank(value):
        return None
    status = parse_status(value)
    if status is None:
        raise PydanticCustomError("unknown_status", "{value}", {"value": read_text(value) or str(value)})
    return status


Text = Annotated[str | None, BeforeValidator(_text)]
Moment = Annotated[datetime | None, BeforeValidator(_moment)]
Integer = Annotated[int | None, BeforeValidator(_integer)]
Boolean = Annotated[bool | None, BeforeValidator(_boolean)]
StatusCell = Annotated[Status | None, BeforeValidator(_status)]


class Ticket(BaseModel):
    """A row of the Tickets tab, every input column read into its Python type (None when blank)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int  # the sheet's 1-based row number, for messages
    ticket_id: Text = None
    received: Moment = None
    channel: Text = None
    customer: Text = None
    tier: Text = None
    contact: Text = None
    product: Text = None
    category: Text = None
    description: Text = None
    safety_risk: Boolean = None
    affected_customers: Integer = None
    request: Text = None
    status: StatusCell = None
    handler: Text = None
    first_response: Moment = None
    root_cause: Text = None
    corrective_action: Text = None
    preventive_action: Text = None
    resolved: Moment = None
    customer_confirmed: Boolean = None
    follow_up: Moment = None
    satisfaction: Integer = None
    notes: Text = None

    @property
    def effective_status(self) -> Status:
        """The status, with a blank status read as New."""
        return self.status or Status.NEW


@dataclass
class RowResult:
    """A row read: the ticket (fields that failed left blank) and everything wrong with it."""

    ticket: Ticket
    problems: list[Problem]


def is_blank_row(cells: Mapping[str, Any]) -> bool:
    """A row whose input cells are all blank is not a ticket (computed cells do not count)."""
    return all(is_blank(cells.get(key)) for key in INPUT_KEYS)


_DATE_KEYS = tuple(key for key in INPUT_KEYS if COLUMNS_BY_KEY[key].kind is Kind.DATETIME)
_CHOICE_KEYS = tuple(key for key in INPUT_KEYS if COLUMNS_BY_KEY[key].kind is Kind.CHOICE)
_CLOSED_NEEDS = ("root_cause", "corrective_action", "preventive_action", "follow_up")


def read_row(row: int, cells: Mapping[str, Any], context: RowContext) -> RowResult:
    """Given a row's 1-based number and its raw cells by column key, return the ticket and all its problems."""
    data = {key: cells.get(key) for key in INPUT_KEYS}
    problems: list[Problem] = []
    try:
        ticket = Ticket.model_validate({"row": row, **data}, context=context)
    except ValidationError as error:
        failed = set()
        for detail in error.errors(include_url=False):
            key = str(detail["loc"][0])
            failed.add(key)
            problems.append(_problem_from_error(key, detail, context))
        for key in failed:
            data[key] = None
        ticket = Ticket.model_validate({"row": row, **data}, context=context)
    problems.extend(check_choices(ticket, context))
    problems.extend(check_loop(ticket, context))
    return RowResult(ticket, problems)


def _problem_from_error(key: str, detail: Mapping[str, Any], context: RowContext) -> Problem:
    code = detail["type"]
    value = (detail.get("ctx") or {}).get("value", detail.get("input"))
    if code == "unknown_status":
        return Problem(key, code, {"value": value, "allowed": ", ".join(s.value for s in Status)})
    return Problem(key, code, {"value": value})


def check_choices(ticket: Ticket, context: RowContext) -> list[Problem]:
    """Return a problem for each choice cell whose value is not on the Lists tab (case-insensitive)."""
    problems = []
    for key in _CHOICE_KEYS:
        value = getattr(ticket, key)
        allowed = context.allowed.get(COLUMNS_BY_KEY[key].choices or key)
        if value is None or not allowed:
            continue
        if value.casefold() not in {choice.casefold() for choice in allowed}:
            problems.append(Problem(key, "unknown_value", {"value": value, "allowed": ", ".join(allowed)}))
    return problems


def check_loop(ticket: Ticket, context: RowContext) -> list[Problem]:
    """Return the closed-loop problems of a ticket (DESIGN §3)."""
    problems: list[Problem] = []
    status = ticket.status
    if status is Status.CLOSED:
        problems += [
            Problem(key, "required_for_status", {"status": status})
            for key in _CLOSED_NEEDS
            if getattr(ticket, key) is None
        ]
    if status in DONE_STATUSES and ticket.first_response is None:
        problems.append(Problem("first_response", "required_for_status", {"status": status}))
    if status is Status.FOLLOWED_UP and ticket.follow_up is None:
        problems.append(Problem("follow_up", "required_for_status", {"status": status}))
    if ticket.satisfaction is not None and not 1 <= ticket.satisfaction <= 10:
        problems.append(Problem("satisfaction", "satisfaction_range", {"value": ticket.satisfaction}))
    if ticket.affected_customers is not None and ticket.affected_customers < 0:
        problems.append(Problem("affected_customers", "negative_number", {"value": ticket.affected_customers}))
    for key in _DATE_KEYS:
        moment = getattr(ticket, key)
        if moment is None:
            continue
        if context.now is not None and moment > context.now:
            problems.append(Problem(key, "future_date", {"value": f"{moment:%Y-%m-%d %H:%M}"}))
        elif key != "received" and ticket.received is not None and moment < ticket.received:
            problems.append(Problem(key, "before_received", {"value": f"{moment:%Y-%m-%d %H:%M}"}))
    return problems
