"""The Ticket: one row of the Tickets tab, read and checked.

``read_row`` turns the raw cells of a row into a ``Ticket`` plus every problem the row has, never only the
first: cell problems come from reading each column (``tickets.values``), closed-loop problems from the checks
below, and a field that fails is left blank so the other checks still run. The pydantic model then validates
the typed values strictly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from tickets.columns import COLUMNS_BY_KEY, EVENT_DATE_KEYS, INPUT_KEYS, Kind
from tickets.messages import Choices, Problem
from tickets.status import DONE_STATUSES, Status, parse_status
from tickets.values import (
    INVISIBLE,
    CellValueError,
    name_invisible,
    read_boolean,
    read_datetime,
    read_integer,
    read_text,
    shorten,
)

__all__ = [
    "Ticket",
    "RowContext",
    "RowResult",
    "DEFAULT_SATISFACTION_TARGET",
    "UNREACHABLE_PREFIXES",
    "read_row",
    "read_cells",
    "is_blank_row",
    "customer_unreachable",
    "needs_second_follow_up",
]

# 003: "客户满意度：保持在7分以上（满分10分）". A lower score asks for a second follow-up before Closed.
DEFAULT_SATISFACTION_TARGET = 7
# A Note starting with one of these says the customer could not be reached (after two tries) to confirm.
UNREACHABLE_PREFIXES = ("unreachable", "无法联系")


@dataclass(frozen=True)
class RowContext:
    """What reading a row needs to know besides the row: the zone, the clock and the allowed values."""

    zone: tzinfo = UTC
    now: datetime | None = None
    allowed: Mapping[str, Sequence[str]] = field(default_factory=dict)  # choice list key -> allowed values
    satisfaction_target: int = DEFAULT_SATISFACTION_TARGET  # [loop] satisfaction_target
    date_order: str | None = None  # "DMY" or "MDY": how 11/03/2026 is read; None: ambiguous dates are problems


def _status(value: Any) -> Status:
    status = parse_status(value)
    if status is None:
        raise CellValueError("unknown_status", read_text(value) or str(value))
    return status


def _text(value: Any) -> str | None:
    if type(value) is str:  # the common case, kept fast: 10 000 rows × 14 text columns a cycle
        text = value.strip()
        if INVISIBLE.search(text):
            return read_text(text)
        return (" ".join(text.split()) if "  " in text or "\n" in text or "\t" in text else text) or None
    return read_text(value)


_READERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: _text,
    Kind.CHOICE: _text,
    Kind.INTEGER: read_integer,
    Kind.BOOLEAN: read_boolean,
    Kind.STATUS: _status,
}


class Ticket(BaseModel):
    """A row of the Tickets tab, every input column read into its Python type (None when blank).

    Build one with ``read_row``, which first reads raw cells (serial dates, "是", "3.0", …) into these types;
    pydantic then validates the result, so a Ticket never holds a value of the wrong type.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int  # the sheet's 1-based row number, for messages
    ticket_id: str | None = None
    received: AwareDatetime | None = None
    channel: str | None = None
    customer: str | None = None
    tier: str | None = None
    contact: str | None = None
    product: str | None = None
    category: str | None = None
    description: str | None = None
    safety_risk: bool | None = None
    affected_customers: int | None = None
    request: str | None = None
    status: Status | None = None
    handler: str | None = None
    first_response: AwareDatetime | None = None
    root_cause: str | None = None
    corrective_action: str | None = None
    preventive_action: str | None = None
    action_owner: str | None = None
    action_due: AwareDatetime | None = None
    fix_verified: bool | None = None
    resolved: AwareDatetime | None = None
    customer_confirmed: bool | None = None
    follow_up: AwareDatetime | None = None
    satisfaction: int | None = None
    second_follow_up: AwareDatetime | None = None
    notes: str | None = None
    reply: str | None = None
    order_no: str | None = None
    source_ref: str | None = None

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
    for key in INPUT_KEYS:
        value = cells.get(key)
        if value is not None and value != "" and not (isinstance(value, str) and not value.strip()):
            return False
    return True


_INPUT_KINDS = tuple((key, COLUMNS_BY_KEY[key].kind) for key in INPUT_KEYS)
_CHOICE_KEYS = tuple(key for key in INPUT_KEYS if COLUMNS_BY_KEY[key].kind is Kind.CHOICE)
# The closed loop (DESIGN §3; 004 steps 2–4, 000 §4): what a status needs before it may be set.
_RESOLVED_NEEDS = ("first_response", "root_cause", "corrective_action")
_CLOSED_NEEDS = ("preventive_action", "fix_verified", "follow_up")


def read_row(row: int, cells: Mapping[str, Any], context: RowContext) -> RowResult:
    """Given a row's 1-based number and its raw cells by column key, return the ticket and all its problems.

    A cell that cannot be read becomes a problem naming its column, and the field stays blank so the closed-loop
    checks still run on the rest.
    """
    data, problems = read_cells(cells, context.zone, context.date_order)
    ticket = Ticket.model_validate({"row": row, **data})
    problems.extend(check_choices(ticket, context))
    problems.extend(check_loop(ticket, context))
    return RowResult(ticket, problems)


def read_cells(
    cells: Mapping[str, Any], zone: tzinfo, date_order: str | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Read each input cell into its column's type; return the values and a problem per unreadable cell.

    Text with invisible characters is read without them, and the cell gets a problem saying so.
    """
    data: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, kind in _INPUT_KINDS:
        value = cells.get(key)
        if value is None or value == "":
            data[key] = None
            continue
        if type(value) is str and INVISIBLE.search(value):
            problems.append(_invisible(key, value))
        try:
            data[key] = read_datetime(value, zone, date_order) if kind is Kind.DATETIME else _READERS[kind](value)
        except CellValueError as error:
            data[key] = None
            problems.append(_problem(key, error))
    return data, problems


def _invisible(key: str, value: str) -> Problem:
    return Problem(key, "invisible_character", {"value": shorten(value), "character": name_invisible(value)})


def _problem(key: str, error: CellValueError) -> Problem:
    if error.code == "unknown_status":
        return Problem(key, error.code, {"value": error.value, "allowed": Choices(tuple(Status))})
    return Problem(key, error.code, {"value": error.value, **error.details})


def check_choices(ticket: Ticket, context: RowContext) -> list[Problem]:
    """Return a problem for each choice cell whose value is not on the Lists tab (case-insensitive)."""
    problems = []
    for key in _CHOICE_KEYS:
        value = getattr(ticket, key)
        allowed = context.allowed.get(COLUMNS_BY_KEY[key].choices or key)
        if value is None or not allowed:
            continue
        if value.casefold() not in _folded(tuple(allowed)):
            problems.append(Problem(key, "unknown_value", {"value": value, "allowed": Choices(tuple(allowed))}))
    return problems


@functools.lru_cache(maxsize=64)
def _folded(allowed: tuple[str, ...]) -> frozenset[str]:
    return frozenset(choice.casefold() for choice in allowed)


def check_loop(ticket: Ticket, context: RowContext) -> list[Problem]:
    """Return the closed-loop problems of a ticket (DESIGN §3): what its status needs, and values out of range."""
    problems = _status_needs(ticket, context)
    if ticket.satisfaction is not None and not 1 <= ticket.satisfaction <= 10:
        problems.append(Problem("satisfaction", "satisfaction_range", {"value": ticket.satisfaction}))
    if ticket.affected_customers is not None and ticket.affected_customers < 0:
        problems.append(Problem("affected_customers", "negative_number", {"value": ticket.affected_customers}))
    problems += _date_problems(ticket, context)
    return problems


def customer_unreachable(ticket: Ticket) -> bool:
    """Whether the Notes say the customer could not be reached ("unreachable…" / "无法联系…")."""
    notes = (ticket.notes or "").strip().casefold()
    return notes.startswith(UNREACHABLE_PREFIXES)


def needs_second_follow_up(ticket: Ticket, target: int) -> bool:
    """Whether a follow-up score below ``target`` still waits for its second follow-up (二次回访)."""
    score = ticket.satisfaction
    return score is not None and 1 <= score < target and ticket.second_follow_up is None


def _status_needs(ticket: Ticket, context: RowContext) -> list[Problem]:
    status = ticket.status
    problems: list[Problem] = []
    if status in DONE_STATUSES:
        problems += _required(ticket, _RESOLVED_NEEDS, status)
    if status is Status.FOLLOWED_UP:
        problems += _required(ticket, ("follow_up",), status)
    if status is Status.CLOSED:
        problems += _closed_needs(ticket, context)
    return problems


def _required(ticket: Ticket, keys: Sequence[str], status: Status) -> list[Problem]:
    return [Problem(key, "required_for_status", {"status": status}) for key in keys if getattr(ticket, key) is None]


def _closed_needs(ticket: Ticket, context: RowContext) -> list[Problem]:
    """Closed: the fix verified, the customer's confirmation, a follow-up with a score, a second one if low."""
    status = Status.CLOSED
    problems = _required(ticket, _CLOSED_NEEDS, status)
    if ticket.fix_verified is False:
        problems.append(Problem("fix_verified", "fix_not_verified", {"status": status}))
    unreachable = customer_unreachable(ticket)
    if ticket.customer_confirmed is not True and not unreachable:
        problems.append(Problem("customer_confirmed", "not_confirmed", {"status": status}))
    if ticket.satisfaction is None and not unreachable:
        problems.append(Problem("satisfaction", "required_for_status", {"status": status}))
    if needs_second_follow_up(ticket, context.satisfaction_target):
        problems.append(Problem("second_follow_up", "second_follow_up_needed",
                                {"value": ticket.satisfaction, "target": context.satisfaction_target}))
    return problems


def _date_problems(ticket: Ticket, context: RowContext) -> list[Problem]:
    problems: list[Problem] = []
    for key in EVENT_DATE_KEYS:
        moment = getattr(ticket, key)
        if moment is None:
            continue
        if context.now is not None and moment > context.now:
            problems.append(Problem(key, "future_date", {"value": f"{moment:%Y-%m-%d %H:%M}"}))
        elif key != "received" and ticket.received is not None and moment < ticket.received:
            problems.append(Problem(key, "before_received", {"value": f"{moment:%Y-%m-%d %H:%M}"}))
    return problems
