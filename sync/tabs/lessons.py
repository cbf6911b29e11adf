"""The Lessons tab (经验库): the desk's knowledge base, one row per Closed ticket, newest first (DESIGN §3).

Seeds 000 (问题登记 → … → 改进归档) and 004 step 5 (复盘归档与知识库沉淀): every closed case is archived with its
root cause and its corrective and preventive actions, so the next person facing the same complaint finds how
it was solved. ``build_lessons`` makes the tab; ``last_solved`` gives each ticket the latest *other* Closed ticket
about the same product and category, for the Tickets tab's ``Last solved`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from sync.backends.port import Cell, GeneratedTab
from tickets import Outcome, Status, Ticket, label

__all__ = ["LESSON_COLUMNS", "build_lessons", "last_solved", "closed_newest_first"]

# The Tickets columns a lesson keeps, in order; headers are those columns' labels in the workbook's language.
LESSON_COLUMNS = (
    "ticket_id", "resolved", "product", "category", "root_cause", "corrective_action", "preventive_action",
    "action_owner", "fix_verified", "satisfaction",
)  # fmt: skip
_WIDTHS = [18, 17, 16, 16, 30, 30, 30, 14, 11, 11]
_YES_NO = {"en": ("yes", "no"), "zh": ("是", "否")}
_LONG_AGO = datetime(1900, 1, 1, tzinfo=UTC)


def closed_newest_first(tickets: Sequence[Ticket]) -> list[Ticket]:
    """Return the Closed tickets with an ID, the most recently resolved first (Received when not resolved)."""
    closed = [ticket for ticket in tickets if ticket.status is Status.CLOSED and ticket.ticket_id]
    return sorted(closed, key=lambda ticket: (ticket.resolved or ticket.received or _LONG_AGO, ticket.ticket_id or ""),
                  reverse=True)


def build_lessons(outcomes: Sequence[Outcome], language: str, zone: tzinfo) -> GeneratedTab:
    """Given a cycle's outcomes, the workbook's language and the Calendar's zone, return the Lessons tab: a
    header row, then one row per Closed ticket (times as ``2026-11-25 15:00`` text in ``zone``, yes/no in the
    language)."""
    header: list[Cell] = [label(key, language) for key in LESSON_COLUMNS]
    rows: list[list[Cell]] = [header]
    for ticket in closed_newest_first([outcome.ticket for outcome in outcomes]):
        rows.append([_cell(ticket, key, language, zone) for key in LESSON_COLUMNS])
    return GeneratedTab(rows=rows, widths=list(_WIDTHS))


def _cell(ticket: Ticket, key: str, language: str, zone: tzinfo) -> Cell:
    value = getattr(ticket, key)
    if isinstance(value, bool):
        yes, no = _YES_NO["zh" if language == "zh" else "en"]
        return yes if value else no
    if isinstance(value, datetime):  # as text: every backend reads it back the same, so the tab stays put
        return f"{value.astimezone(zone):%Y-%m-%d %H:%M}"
    return value


def last_solved(tickets: Sequence[Ticket]) -> list[str | None]:
    """For each ticket, the ID of the latest other Closed ticket about the same product and category (compared
    case-insensitively), or None when there is none."""
    latest: dict[tuple[str, str], list[Ticket]] = {}
    for ticket in closed_newest_first(tickets):
        subject = _subject(ticket)
        if subject is not None:
            latest.setdefault(subject, []).append(ticket)
    found: list[str | None] = []
    for ticket in tickets:
        candidates = latest.get(_subject(ticket) or ("", ""), [])
        found.append(next((other.ticket_id for other in candidates if other.ticket_id != ticket.ticket_id), None))
    return found


def _subject(ticket: Ticket) -> tuple[str, str] | None:
    if not ticket.product or not ticket.category:
        return None
    return ticket.product.casefold(), ticket.category.casefold()
