"""KPIs worked out by hand on seven known tickets, compared exactly with compute_kpis."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tickets.kpi import Cluster, Ratio, WeekCount, compute_kpis
from tickets.messages import Problem
from tickets.model import Ticket
from tickets.outcome import Assignment, Clock, Deadlines, Outcome, SlaState

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)  # a Wednesday in ISO week 2026-W48


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def outcome(
    row: int,
    *,
    grade=None,
    department=None,
    response_due=None,
    resolution_due=None,
    sla=None,
    similar_7d=1,
    customer_30d=1,
    **ticket_fields,
) -> Outcome:
    deadlines = None
    if response_due or resolution_due:
        deadlines = Deadlines(Clock.BUSINESS, response_due=response_due, resolution_due=resolution_due)
    return Outcome(
        ticket=Ticket(row=row, ticket_id=f"CS-{row:04d}", **ticket_fields),
        grade=grade,
        assignment=Assignment(department) if department else None,
        deadlines=deadlines,
        sla=sla,
        similar_7d=similar_7d,
        customer_30d=customer_30d,
    )


def known_outcomes() -> list[Outcome]:
    """Seven tickets; the comments give what each contributes."""
    return [
        # Closed: responded in 2 h (on time), resolved in 24 h (on time), satisfaction 9.
        outcome(
            2,
            grade="A",
            department="Quality",
            sla=SlaState.CLOSED,
            status="Closed",
            customer="Acme",
            product="Kettle",
            category="Quality",
            received=at(11, 23, 9),
            first_response=at(11, 23, 11),
            resolved=at(11, 24, 9),
            satisfaction=9,
            response_due=at(11, 23, 13),
            resolution_due=at(11, 24, 18),
        ),
        # Open and overdue: responded in 4 h (late); a repeat complaint (Acme's Kettle again, 1 day after row 2);
        # satisfaction 11 is out of range.
        outcome(
            3,
            grade="A",
            department="Quality",
            sla=SlaState.OVERDUE,
            similar_7d=2,
            customer_30d=2,
            status="Action",
            customer="ACME",
            product="Kettle",
            category="Quality",
            received=at(11, 24, 8),
            first_response=at(11, 24, 12),
            satisfaction=11,
            response_due=at(11, 24, 10),
            resolution_due=at(11, 27, 8),
        ),
        # Open, blank status (New), no response yet; its Similar 7d of 3 makes a Kettle/Quality cluster.
        outcome(
            4,
            grade="B",
            department="Service",
            sla=SlaState.ON_TRACK,
            similar_7d=3,
            customer="Bolt",
            product="Kettle",
            category="Quality",
            received=at(11, 25, 8),
            response_due=at(11, 25, 16),
            resolution_due=at(11, 30, 8),
        ),
        # Resolved two weeks ago: responded in 1 h (on time), resolved in 72 h (late), satisfaction 6. Acme
        # again, but another product and category: not a repeat complaint.
        outcome(
            5,
            grade="B",
            department="Logistics",
            sla=SlaState.MET_LATE,
            status="Resolved",
            customer="Acme",
            product="Parcel",
            category="Delivery",
            received=at(11, 10, 10),
            first_response=at(11, 10, 11),
            resolved=at(11, 13, 10),
            satisfaction=6,
            response_due=at(11, 10, 12),
            resolution_due=at(11, 12, 10),
        ),
        # A duplicate: would change nearly every figure if it were counted.
        outcome(
            6,
            grade="A",
            department="Quality",
            sla=SlaState.OVERDUE,
            similar_7d=5,
            customer_30d=3,
            status="Duplicate",
            product="Kettle",
            category="Quality",
            received=at(11, 24, 9),
            first_response=at(11, 24, 20),
            resolved=at(11, 25, 9),
            satisfaction=1,
            response_due=at(11, 24, 10),
            resolution_due=at(11, 25, 8),
        ),
        # Waiting, ungraded and unassigned, no deadlines, responded in 30 min; a repeat customer. Received on
        # Sunday 22 Nov in UTC but Monday 23 Nov in Shanghai, so the trend counts it in week 48.
        outcome(
            7,
            sla=SlaState.PAUSED,
            customer_30d=2,
            status="Waiting on customer",
            received=datetime(2026, 11, 22, 16, 30, tzinfo=UTC),
            first_response=datetime(2026, 11, 22, 17, 0, tzinfo=UTC),
        ),
        # Closed in October, before the trend's eight weeks; its Similar 7d of 4 is too old to be a cluster.
        # Bolt's Kettle again on 25 Nov (row 4) is 55 days later: not a repeat.
        outcome(
            8,
            similar_7d=4,
            sla=SlaState.CLOSED,
            status="Closed",
            customer="Bolt",
            product="Kettle",
            category="Noise",
            received=at(10, 1, 10),
            first_response=at(10, 1, 13),
            resolved=at(10, 3, 10),
            satisfaction=8,
        ),
    ]


@pytest.fixture
def kpis():
    return compute_kpis(known_outcomes(), NOW, SHANGHAI, grade_order=("A", "B", "C"), cluster_threshold=3)


def test_it_counts_every_ticket_but_the_duplicate(kpis):
    assert kpis.total == 6


def test_it_counts_open_tickets_as_those_before_resolution(kpis):
    assert kpis.open == 3


def test_it_counts_tickets_whose_sla_state_is_overdue(kpis):
    assert kpis.overdue == 1


def test_it_lists_open_tickets_by_grade_in_the_lists_order_with_ungraded_last(kpis):
    assert kpis.open_by_grade == (("A", 1), ("B", 1), ("C", 0), ("", 1))


def test_it_lists_open_tickets_by_department_most_first_then_by_name(kpis):
    assert kpis.open_by_department == (("", 1), ("Quality", 1), ("Service", 1))


def test_it_lists_tickets_by_status_in_loop_order_with_zeros(kpis):
    assert kpis.by_status == (
        ("New", 1),
        ("Acknowledged", 0),
        ("Investigating", 0),
        ("Action", 1),
        ("Waiting on customer", 1),
        ("Resolved", 1),
        ("Followed up", 0),
        ("Closed", 2),
    )


def test_it_lists_tickets_by_category_most_first(kpis):
    assert kpis.by_category == (("Quality", 3), ("", 1), ("Delivery", 1), ("Noise", 1))


def test_first_response_on_time_counts_tickets_with_a_response_and_a_due_time(kpis):
    assert kpis.first_response_on_time == Ratio(2, 3)
    assert kpis.first_response_on_time.value == 2 / 3


def test_resolution_on_time_counts_resolved_tickets_with_a_due_time(kpis):
    assert kpis.resolution_on_time == Ratio(1, 2)


def test_median_first_response_is_in_real_elapsed_hours(kpis):
    # 0.5, 1, 2, 3, 4
    assert kpis.median_first_response_hours == 2.0


def test_median_resolution_is_in_real_elapsed_hours(kpis):
    # 24, 48, 72
    assert kpis.median_resolution_hours == 48.0


def test_resolution_rate_is_resolved_or_later_of_all_tickets(kpis):
    assert kpis.resolution_rate == Ratio(3, 6)


def test_average_satisfaction_leaves_out_scores_outside_one_to_ten(kpis):
    assert kpis.average_satisfaction == (9 + 6 + 8) / 3


def test_repeat_complaints_are_the_same_customer_about_the_same_product_or_category_in_30_days(kpis):
    assert kpis.repeat_complaints == Ratio(1, 6)  # row 3 only (any ticket of the same customer would say 2)


def test_a_ticket_past_its_response_due_without_a_response_counts_as_late():
    later = compute_kpis(known_outcomes(), at(11, 25, 17), SHANGHAI)
    assert later.first_response_on_time == Ratio(2, 4)  # row 4 was due 25 Nov 16:00 and has no response


def test_a_closed_ticket_with_check_problems_is_not_resolved():
    outcomes = known_outcomes()
    outcomes[0] = replace(outcomes[0], problems=(Problem("fix_verified", "required_for_status"),))
    assert compute_kpis(outcomes, NOW, SHANGHAI).resolution_rate == Ratio(2, 6)


def test_each_targeted_figure_says_whether_it_meets_the_003_target(kpis):
    targets = kpis.targets()
    assert targets["first_response_on_time"] == {"at_least": 0.95, "strictly": True, "met": False}  # 2/3
    assert targets["resolution_rate"]["met"] is False  # 3/6 < 80 %
    assert targets["average_satisfaction"]["met"] is True  # (9 + 6 + 8) / 3 = 7.67 ≥ 7


def test_tickets_are_broken_down_by_channel_and_product(kpis):
    assert kpis.by_product == (("Kettle", 4), ("", 1), ("Parcel", 1))  # the duplicate not counted
    assert kpis.by_channel == (("", 6),)


def test_clusters_are_recent_pairs_whose_similar_7d_reached_the_threshold(kpis):
    assert kpis.clusters == (Cluster("Kettle", "Quality", 3),)


def test_a_higher_cluster_threshold_finds_no_cluster():
    assert compute_kpis(known_outcomes(), NOW, SHANGHAI, cluster_threshold=4).clusters == ()
    assert compute_kpis(known_outcomes(), NOW, SHANGHAI).clusters == ()  # the default: 5 in 7 days (002)


def test_the_trend_counts_eight_iso_weeks_in_the_calendar_zone(kpis):
    assert [week.week for week in kpis.trend] == [f"2026-W{number}" for number in range(41, 49)]
    assert kpis.trend[0].starts == date(2026, 10, 5)
    assert kpis.trend[-1] == WeekCount("2026-W48", date(2026, 11, 23), received=4, resolved=1)
    assert kpis.trend[-2] == WeekCount("2026-W47", date(2026, 11, 16), received=0, resolved=0)
    assert kpis.trend[-3] == WeekCount("2026-W46", date(2026, 11, 9), received=1, resolved=1)
    assert sum(week.received for week in kpis.trend[:-3]) == 0


def test_no_tickets_give_counts_of_zero_and_no_rates():
    empty = compute_kpis([], NOW, SHANGHAI)
    assert (empty.total, empty.open, empty.overdue) == (0, 0, 0)
    assert empty.resolution_rate.value is None
    assert empty.median_first_response_hours is None
    assert empty.average_satisfaction is None
    assert len(empty.trend) == 8


def test_to_dict_is_plain_json(kpis):
    data = json.loads(json.dumps(kpis.to_dict()))
    assert data["open_by_grade"] == {"A": 1, "B": 1, "C": 0, "": 1}
    assert data["first_response_on_time"] == {"value": 2 / 3, "part": 2, "whole": 3}
    assert data["clusters"] == [{"product": "Kettle", "category": "Quality", "size": 3}]
    assert data["trend"][-1] == {"week": "2026-W48", "starts": "2026-11-23", "received": 4, "resolved": 1}
    assert data["as_of"] == "2026-11-25T12:00:00+08:00"


def test_the_kpis_are_as_of_now_in_the_calendar_zone():
    kpis = compute_kpis([], datetime(2026, 11, 25, 4, 0, tzinfo=UTC), SHANGHAI)
    assert kpis.as_of == NOW
    assert kpis.as_of.utcoffset().total_seconds() == 8 * 3600
