"""The monthly review (月度复盘): one month's complaints against the month before and the same month a year
earlier (seeds 000 §9 and §12, 001 按月汇总统计…通过数据对比发现变化趋势, 003 每季度提交一份投诉分析报告).

Pure: ``monthly_review`` takes the cycle's outcomes, the month and the time, and returns counts by category,
product and channel, the top root causes, the actions still open with their owners, and the KPIs (with the
same honest definitions as ``compute_kpis``) of the three months, each against the 003 targets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from tickets.errors import SheetdeskError
from tickets.kpi import Kpis, Tally, compute_kpis, counted_outcomes, tally_most_first
from tickets.outcome import Outcome
from tickets.status import OPEN_STATUSES

__all__ = ["MonthlyReview", "OpenAction", "MonthError", "parse_month", "monthly_review", "TOP_ROOT_CAUSES"]

TOP_ROOT_CAUSES = 5
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(SheetdeskError, ValueError):
    """A month that is not written YYYY-MM."""


@dataclass(frozen=True)
class OpenAction:
    """An action still open: its ticket, who owns it, by when, and what it is."""

    ticket_id: str
    owner: str | None
    due: datetime | None
    action: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "owner": self.owner,
                "due": self.due.isoformat() if self.due else None, "action": self.action}


@dataclass(frozen=True)
class MonthlyReview:
    """One month's review: its KPIs, those of the month before and of the same month last year, and more."""

    month: str
    this: Kpis
    previous: Kpis
    last_year: Kpis
    top_root_causes: Tally
    open_actions: tuple[OpenAction, ...]

    def to_dict(self) -> dict[str, Any]:
        """The review as plain JSON-ready data."""

        def figures(kpis: Kpis) -> dict[str, Any]:
            data = kpis.to_dict()
            keep = ("total", "by_category", "by_product", "by_channel", "first_response_on_time",
                    "resolution_on_time", "resolution_rate", "repeat_complaints", "average_satisfaction", "targets")
            return {key: data[key] for key in keep}

        return {
            "month": self.month,
            "this_month": figures(self.this),
            "previous_month": figures(self.previous),
            "same_month_last_year": figures(self.last_year),
            "top_root_causes": dict(self.top_root_causes),
            "open_actions": [action.to_dict() for action in self.open_actions],
        }


def parse_month(text: str) -> date:
    """Given ``YYYY-MM``, return the month's first day. Raise MonthError otherwise."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise MonthError(f'"{text}" is not a month — write it like 2026-11')
    return date(int(match.group(1)), int(match.group(2)), 1)


def monthly_review(outcomes: Sequence[Outcome], month: date, now: datetime, zone: tzinfo) -> MonthlyReview:
    """Given a cycle's outcomes, a month's first day, the aware time and the Calendar's zone, return the review.

    A month's figures count the tickets received in it (in ``zone``), as of its end (or ``now``, if sooner): a
    ticket still without a response at the month's end after its due counts as late. Root causes are counted
    among the month's tickets (text compared as typed, trimmed), the most frequent first. Open actions are those
    of every ticket still open at ``now`` that names an action owner or an action due, the earliest due first.
    """
    counted = counted_outcomes(outcomes)
    previous = _add_months(month, -1)
    return MonthlyReview(
        month=f"{month:%Y-%m}",
        this=_month_kpis(counted, month, now, zone),
        previous=_month_kpis(counted, previous, now, zone),
        last_year=_month_kpis(counted, _add_months(month, -12), now, zone),
        top_root_causes=_root_causes(_received_in(counted, month, zone)),
        open_actions=_open_actions(counted),
    )


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _bounds(month: date, zone: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(month, time(), tzinfo=zone)
    return start, datetime.combine(_add_months(month, 1), time(), tzinfo=zone)


def _received_in(outcomes: Sequence[Outcome], month: date, zone: tzinfo) -> list[Outcome]:
    start, end = _bounds(month, zone)
    return [outcome for outcome in outcomes
            if outcome.ticket.received is not None and start <= outcome.ticket.received < end]


def _month_kpis(outcomes: Sequence[Outcome], month: date, now: datetime, zone: tzinfo) -> Kpis:
    _, end = _bounds(month, zone)
    as_of = min(now, end - timedelta(microseconds=1))
    return compute_kpis(_received_in(outcomes, month, zone), as_of, zone)


def _root_causes(outcomes: Sequence[Outcome]) -> Tally:
    causes = [" ".join(outcome.ticket.root_cause.split()) for outcome in outcomes if outcome.ticket.root_cause]
    return tally_most_first(causes)[:TOP_ROOT_CAUSES] if causes else ()


def _open_actions(outcomes: Sequence[Outcome]) -> tuple[OpenAction, ...]:
    found = [
        OpenAction(outcome.ticket.ticket_id or f"row {outcome.ticket.row}", outcome.ticket.action_owner,
                   outcome.ticket.action_due, outcome.ticket.corrective_action)
        for outcome in outcomes
        if outcome.ticket.effective_status in OPEN_STATUSES
        and (outcome.ticket.action_owner or outcome.ticket.action_due)
    ]
    far = datetime.max.replace(tzinfo=UTC)
    return tuple(sorted(found, key=lambda action: (action.due.astimezone(UTC) if action.due else far,
                                                   action.ticket_id)))

