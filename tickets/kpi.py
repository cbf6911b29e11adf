"""The managers' numbers: KPIs of the complaint desk, worked out from one cycle's outcomes.

``compute_kpis`` is pure (no clock, no IO): the Dashboard tab, ``sheetdesk report`` and the daily manager digest
all read the same ``Kpis``. Every figure is defined in ``compute_kpis``'s docstring; a figure that has nothing to
measure (a rate over zero tickets, a median of no durations) is ``None``, never 0.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from tickets.outcome import Outcome, SlaState
from tickets.status import DONE_STATUSES, OPEN_STATUSES, Status

__all__ = [
    "Kpis",
    "Ratio",
    "Cluster",
    "WeekCount",
    "Tally",
    "compute_kpis",
    "counted_outcomes",
    "DEFAULT_CLUSTER_THRESHOLD",
    "DEFAULT_CLUSTER_DAYS",
    "TREND_WEEKS",
    "REPEAT_WINDOW_DAYS",
    "TARGETS",
    "Target",
    "repeat_complaints",
]

DEFAULT_CLUSTER_THRESHOLD = 5  # 002: “同一问题7天内收到5条以上反馈”升为重要
DEFAULT_CLUSTER_DAYS = 7
TREND_WEEKS = 8
REPEAT_WINDOW_DAYS = 30  # 001 二次投诉率: the same customer, product or category again within this many days


@dataclass(frozen=True)
class Target:
    """A KPI's target (003): met when the figure is above ``at_least`` (or equal, unless ``strictly``)."""

    at_least: float
    strictly: bool = False

    def met(self, value: float | None) -> bool | None:
        """Whether ``value`` meets the target; None when there is no value to judge."""
        if value is None:
            return None
        return value > self.at_least if self.strictly else value >= self.at_least


# 003 "响应率：超过95%；解决率：不低于80%；客户满意度：保持在7分以上（满分10分）".
TARGETS: dict[str, Target] = {
    "first_response_on_time": Target(0.95, strictly=True),
    "resolution_rate": Target(0.80),
    "average_satisfaction": Target(7.0),
}

# Counts by name, in display order. A blank grade, department or category is counted under "".
Tally = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Ratio:
    """``part`` of ``whole``; ``value`` is the share, or None when ``whole`` is 0."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "part": self.part, "whole": self.whole}


@dataclass(frozen=True)
class Cluster:
    """Similar complaints piling up: a product and category whose Similar 7d reached the threshold."""

    product: str
    category: str
    size: int  # the largest Similar 7d among the pair's tickets in the window

    def to_dict(self) -> dict[str, Any]:
        return {"product": self.product, "category": self.category, "size": self.size}


@dataclass(frozen=True)
class WeekCount:
    """One ISO week of the trend: tickets received and tickets resolved in it (in the Calendar's zone)."""

    week: str  # ISO week, e.g. "2026-W48"
    starts: date  # its Monday
    received: int
    resolved: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "starts": self.starts.isoformat(),
            "received": self.received,
            "resolved": self.resolved,
        }


@dataclass(frozen=True)
class Kpis:
    """The desk's KPIs at ``as_of`` (in the Calendar's zone); see ``compute_kpis`` for what each field means."""

    as_of: datetime
    total: int
    open: int
    overdue: int
    open_by_grade: Tally
    open_by_department: Tally
    by_status: Tally
    by_category: Tally
    by_channel: Tally
    by_product: Tally
    first_response_on_time: Ratio
    resolution_on_time: Ratio
    resolution_rate: Ratio
    repeat_complaints: Ratio
    median_first_response_hours: float | None
    median_resolution_hours: float | None
    average_satisfaction: float | None
    cluster_threshold: int
    clusters: tuple[Cluster, ...]
    trend: tuple[WeekCount, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the KPIs as plain JSON-ready data (tallies as objects in display order)."""
        return {
            "as_of": self.as_of.isoformat(),
            "total": self.total,
            "open": self.open,
            "overdue": self.overdue,
            "open_by_grade": dict(self.open_by_grade),
            "open_by_department": dict(self.open_by_department),
            "by_status": dict(self.by_status),
            "by_category": dict(self.by_category),
            "by_channel": dict(self.by_channel),
            "by_product": dict(self.by_product),
            "targets": self.targets(),
            "first_response_on_time": self.first_response_on_time.to_dict(),
            "resolution_on_time": self.resolution_on_time.to_dict(),
            "resolution_rate": self.resolution_rate.to_dict(),
            "repeat_complaints": self.repeat_complaints.to_dict(),
            "median_first_response_hours": self.median_first_response_hours,
            "median_resolution_hours": self.median_resolution_hours,
            "average_satisfaction": self.average_satisfaction,
            "cluster_threshold": self.cluster_threshold,
            "clusters": [cluster.to_dict() for cluster in self.clusters],
            "trend": [week.to_dict() for week in self.trend],
        }


    def targets(self) -> dict[str, dict[str, Any]]:
        """Each targeted figure's target (003) and whether it is met now (None: nothing to judge yet)."""
        values = {
            "first_response_on_time": self.first_response_on_time.value,
            "resolution_rate": self.resolution_rate.value,
            "average_satisfaction": self.average_satisfaction,
        }
        return {
            key: {"at_least": target.at_least, "strictly": target.strictly, "met": target.met(values[key])}
            for key, target in TARGETS.items()
        }


def counted_outcomes(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """Return the outcomes the KPIs count: every ticket except those marked Duplicate."""
    return [outcome for outcome in outcomes if outcome.ticket.effective_status is not Status.DUPLICATE]


def compute_kpis(
    outcomes: Sequence[Outcome],
    now: datetime,
    calendar_zone: tzinfo,
    *,
    grade_order: Sequence[str] = (),
    cluster_threshold: int = DEFAULT_CLUSTER_THRESHOLD,
    cluster_days: int = DEFAULT_CLUSTER_DAYS,
) -> Kpis:
    """Given one cycle's outcomes and the aware time ``now``, return the desk's KPIs as of ``now``.

    ``as_of`` is ``now`` in ``calendar_zone``, the zone the Dashboard shows times in.

    Tickets with status Duplicate are left out of every figure. "Tickets" below means the rest; a blank
    status counts as New. Durations are real elapsed time (24x7 hours, pauses not deducted), unlike the
    deadlines, which run on the rule's clock.

    - ``total``: tickets.
    - ``open``: tickets whose status is New, Acknowledged, Investigating, Action or Waiting on customer.
    - ``overdue``: tickets whose SLA state (this cycle's ``Outcome.sla``) is overdue.
    - ``open_by_grade``: open tickets by grade; grades named in ``grade_order`` first, in that order (zeros
      kept), then any other grade alphabetically, then ungraded tickets under "".
    - ``open_by_department``: open tickets by department (unassigned under ""), most first, then by name.
    - ``by_status``: tickets by status, every status of the loop except Duplicate, in loop order, zeros kept.
    - ``by_category``, ``by_channel``, ``by_product``: tickets by category, channel, product (blank under ""),
      most first, then by name.
    - ``first_response_on_time``: of the tickets with a Response due that either have a First response or are
      past their Response due at ``now``, those whose first response came at or before the due time. A ticket
      past its due with no response counts as late, so the rate cannot flatter. A First response the daemon
      stamped (the first cycle that saw the status leave New) counts as that cycle's time: up to one cycle
      late, never early; type the real time over it when known.
    - ``resolution_on_time``: likewise for Resolved and Resolution due.
    - ``median_first_response_hours``: median of First response − Received in hours, over tickets with both
      and the first response not before Received.
    - ``median_resolution_hours``: median of Resolved − Received in hours, likewise.
    - ``resolution_rate``: tickets whose status is Resolved, Followed up or Closed and whose Check is clean
      (a ticket closed on paper, with problems in its Check cell, is not resolved), of all tickets.
    - ``average_satisfaction``: mean of the Satisfaction scores in 1–10 (others are errors, left out).
    - ``repeat_complaints`` (001 二次投诉率): tickets whose customer had an earlier ticket about the same product
      or the same category in the 30 days up to this one, of all tickets (see ``repeat_complaints``).
    - ``clusters``: each (product, category) pair with a ticket received in the ``cluster_days`` days up to
      ``now`` whose ``similar_7d`` is at least ``cluster_threshold``; its size is the largest such
      ``similar_7d``. Largest first, then by product and category. Tickets without product or category
      form no cluster.
    - ``trend``: the ``TREND_WEEKS`` ISO weeks (Monday to Sunday in ``calendar_zone``) ending with the week of
      ``now``, oldest first: tickets whose Received falls in the week, and tickets whose Resolved does.
    """
    counted = counted_outcomes(outcomes)
    open_outcomes = [outcome for outcome in counted if outcome.ticket.effective_status in OPEN_STATUSES]
    return Kpis(
        as_of=now.astimezone(calendar_zone),
        total=len(counted),
        open=len(open_outcomes),
        overdue=sum(1 for outcome in counted if outcome.sla is SlaState.OVERDUE),
        open_by_grade=tally_grades(open_outcomes, grade_order),
        open_by_department=tally_most_first(_department(outcome) for outcome in open_outcomes),
        by_status=tally_statuses(counted),
        by_category=tally_most_first(outcome.ticket.category or "" for outcome in counted),
        by_channel=tally_most_first(outcome.ticket.channel or "" for outcome in counted),
        by_product=tally_most_first(outcome.ticket.product or "" for outcome in counted),
        first_response_on_time=response_on_time(counted, now),
        resolution_on_time=resolution_on_time(counted, now),
        resolution_rate=Ratio(_count_done(counted), len(counted)),
        repeat_complaints=repeat_complaints(counted),
        median_first_response_hours=median_hours(counted, "first_response"),
        median_resolution_hours=median_hours(counted, "resolved"),
        average_satisfaction=average_satisfaction(counted),
        cluster_threshold=cluster_threshold,
        clusters=find_clusters(counted, now, cluster_threshold, cluster_days),
        trend=weekly_trend(counted, now, calendar_zone),
    )


def _department(outcome: Outcome) -> str:
    return outcome.assignment.department if outcome.assignment else ""


def _count_done(outcomes: Sequence[Outcome]) -> int:
    return sum(1 for outcome in outcomes if outcome.ticket.effective_status in DONE_STATUSES and not outcome.problems)


def tally_most_first(names: Iterable[str]) -> Tally:
    """Return how often each name occurs, most frequent first, ties by name."""
    counts = Counter(names)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def tally_grades(outcomes: Sequence[Outcome], grade_order: Sequence[str]) -> Tally:
    """Return outcomes by grade: ``grade_order`` first (zeros kept), other grades by name, ungraded last."""
    counts = Counter(outcome.grade or "" for outcome in outcomes)
    known = [(grade, counts.pop(grade, 0)) for grade in grade_order]
    ungraded = counts.pop("", 0)
    others = sorted(counts.items())
    return tuple(known + others + ([("", ungraded)] if ungraded else []))


def tally_statuses(outcomes: Sequence[Outcome]) -> Tally:
    """Return outcomes by status, in loop order, every status but Duplicate, zeros kept."""
    counts = Counter(outcome.ticket.effective_status for outcome in outcomes)
    return tuple((status.value, counts[status]) for status in Status if status is not Status.DUPLICATE)


def response_on_time(outcomes: Sequence[Outcome], now: datetime) -> Ratio:
    """Return first responses at or before Response due, of the tickets with a response or past their due."""
    pairs = [
        (outcome.ticket.first_response, outcome.deadlines.response_due)
        for outcome in outcomes
        if outcome.deadlines is not None
    ]
    return _on_time(pairs, now)


def resolution_on_time(outcomes: Sequence[Outcome], now: datetime) -> Ratio:
    """Return resolutions at or before Resolution due, of the tickets resolved or past their due."""
    pairs = [
        (outcome.ticket.resolved, outcome.deadlines.resolution_due)
        for outcome in outcomes
        if outcome.deadlines is not None
    ]
    return _on_time(pairs, now)


def _on_time(pairs: Sequence[tuple[datetime | None, datetime | None]], now: datetime) -> Ratio:
    """Done at or before due, of the pairs done or past due at ``now`` (a missing done past due is late)."""
    measured = [(done, due) for done, due in pairs if due is not None and (done is not None or due < now)]
    return Ratio(sum(1 for done, due in measured if done is not None and done <= due), len(measured))


def repeat_complaints(outcomes: Sequence[Outcome]) -> Ratio:
    """Return the tickets whose customer complained before about the same product or the same category within
    ``REPEAT_WINDOW_DAYS`` days up to this ticket's Received (names compared case-insensitively), of all."""
    by_customer: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        ticket = outcome.ticket
        if ticket.customer and ticket.received is not None:
            by_customer.setdefault(ticket.customer.casefold(), []).append(outcome)
    window = timedelta(days=REPEAT_WINDOW_DAYS)
    repeats = 0
    for group in by_customer.values():
        group.sort(key=lambda outcome: outcome.ticket.received)
        for position, outcome in enumerate(group):
            repeats += any(_same_subject(earlier.ticket, outcome.ticket) for earlier in group[:position]
                           if outcome.ticket.received - earlier.ticket.received <= window)
    return Ratio(repeats, len(outcomes))


def _same_subject(earlier: Any, later: Any) -> bool:
    def same(first: str | None, second: str | None) -> bool:
        return bool(first and second and first.casefold() == second.casefold())

    return same(earlier.product, later.product) or same(earlier.category, later.category)


def median_hours(outcomes: Sequence[Outcome], field: str) -> float | None:
    """Return the median of ``ticket.<field>`` − Received in hours, over tickets with both, not negative."""
    hours = []
    for outcome in outcomes:
        start, end = outcome.ticket.received, getattr(outcome.ticket, field)
        if start is not None and end is not None and end >= start:
            hours.append((end - start) / timedelta(hours=1))
    return statistics.median(hours) if hours else None


def average_satisfaction(outcomes: Sequence[Outcome]) -> float | None:
    """Return the mean Satisfaction over tickets scored 1–10, or None when none is."""
    scores = [
        outcome.ticket.satisfaction
        for outcome in outcomes
        if outcome.ticket.satisfaction is not None and 1 <= outcome.ticket.satisfaction <= 10
    ]
    return statistics.fmean(scores) if scores else None


def find_clusters(
    outcomes: Sequence[Outcome], now: datetime, threshold: int, days: int
) -> tuple[Cluster, ...]:
    """Return the clusters of tickets received in the ``days`` days up to ``now`` (see ``compute_kpis``)."""
    since = now - timedelta(days=days)
    sizes: dict[tuple[str, str], int] = {}
    for outcome in outcomes:
        ticket = outcome.ticket
        if not (ticket.product and ticket.category and ticket.received is not None):
            continue
        if since < ticket.received <= now and outcome.similar_7d >= threshold:
            pair = (ticket.product, ticket.category)
            sizes[pair] = max(sizes.get(pair, 0), outcome.similar_7d)
    clusters = [Cluster(product, category, size) for (product, category), size in sizes.items()]
    return tuple(sorted(clusters, key=lambda cluster: (-cluster.size, cluster.product, cluster.category)))


def weekly_trend(outcomes: Sequence[Outcome], now: datetime, zone: tzinfo) -> tuple[WeekCount, ...]:
    """Return tickets received and resolved per ISO week, for the ``TREND_WEEKS`` weeks ending with ``now``'s."""
    this_monday = _monday(now.astimezone(zone).date())
    mondays = [this_monday - timedelta(weeks=back) for back in range(TREND_WEEKS - 1, -1, -1)]
    received = Counter(_week_of(outcome.ticket.received, zone) for outcome in outcomes)
    resolved = Counter(_week_of(outcome.ticket.resolved, zone) for outcome in outcomes)
    return tuple(
        WeekCount(_iso_week_name(monday), monday, received[monday], resolved[monday]) for monday in mondays
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_of(moment: datetime | None, zone: tzinfo) -> date | None:
    if moment is None:
        return None
    local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return _monday(local.date())


def _iso_week_name(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"
