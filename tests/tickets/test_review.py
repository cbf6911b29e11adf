"""The monthly review, worked out by hand on known tickets (seeds 000 §9, 001, 003)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tickets.kpi import Ratio
from tickets.model import Ticket
from tickets.outcome import Clock, Deadlines, Outcome
from tickets.review import MonthError, monthly_review, parse_month

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


def at(year, month, day, hour=10):
    return datetime(year, month, day, hour, 0, tzinfo=SHANGHAI)


def outcome(row, received, *, response_due=None, **fields):
    deadlines = Deadlines(Clock.ALWAYS, response_due=response_due) if response_due else None
    ticket = Ticket(row=row, ticket_id=f"T{row}", received=received, **fields)
    return Outcome(ticket=ticket, deadlines=deadlines)


KNOWN = [
    # November 2026: three tickets.
    outcome(1, at(2026, 11, 3), response_due=at(2026, 11, 3, 12), first_response=at(2026, 11, 3, 11),
            status="Closed", customer="Acme", product="Kettle", category="Quality", channel="Phone",
            root_cause="Loose screw", satisfaction=9),
    outcome(2, at(2026, 11, 20), response_due=at(2026, 11, 20, 12), status="Action", customer="Acme",
            product="Kettle", category="Quality", channel="Email", root_cause="Loose screw",
            action_owner="Zhou Min", action_due=at(2026, 12, 3), corrective_action="Tighten all screws"),
    outcome(3, at(2026, 11, 28), response_due=at(2026, 11, 28, 12), first_response=at(2026, 11, 28, 13),
            status="Resolved", customer="Bolt", product="Lamp", category="Delivery", channel="Phone",
            root_cause="Courier", satisfaction=5),
    # October 2026: one ticket, answered on time.
    outcome(4, at(2026, 10, 9), response_due=at(2026, 10, 9, 12), first_response=at(2026, 10, 9, 11),
            status="Closed", customer="Cora", product="Lamp", category="Delivery", channel="Store",
            satisfaction=8),
    # November 2025: one ticket, never answered.
    outcome(5, at(2025, 11, 12), response_due=at(2025, 11, 12, 12), status="New", customer="Dan", product="Kettle",
            category="Quality", channel="Phone", action_owner="Li Lei"),
    # A duplicate in November never counts.
    outcome(6, at(2026, 11, 21), status="Duplicate", customer="Acme", product="Kettle", category="Quality"),
]


def test_the_month_is_counted_by_category_product_and_channel():
    review = monthly_review(KNOWN, parse_month("2026-11"), NOW, SHANGHAI)
    assert review.month == "2026-11"
    assert review.this.total == 3
    assert review.this.by_category == (("Quality", 2), ("Delivery", 1))
    assert review.this.by_product == (("Kettle", 2), ("Lamp", 1))
    assert review.this.by_channel == (("Phone", 2), ("Email", 1))


def test_the_kpis_of_the_month_stand_beside_the_month_before_and_the_same_month_last_year():
    review = monthly_review(KNOWN, parse_month("2026-11"), NOW, SHANGHAI)
    # November: T1 on time, T2 never answered (past due), T3 an hour late: 1 of 3.
    assert review.this.first_response_on_time == Ratio(1, 3)
    assert review.this.resolution_rate == Ratio(2, 3)  # Closed and Resolved, no Check problems
    assert review.this.repeat_complaints == Ratio(1, 3)  # Acme's Kettle again on the 20th
    assert review.this.average_satisfaction == 7.0  # (9 + 5) / 2
    assert (review.previous.total, review.previous.first_response_on_time) == (1, Ratio(1, 1))
    assert (review.last_year.total, review.last_year.first_response_on_time) == (1, Ratio(0, 1))
    assert review.this.targets()["first_response_on_time"]["met"] is False


def test_the_review_names_the_top_root_causes_and_the_open_actions_with_their_owners():
    review = monthly_review(KNOWN, parse_month("2026-11"), NOW, SHANGHAI)
    assert review.top_root_causes == (("Loose screw", 2), ("Courier", 1))
    assert [(action.ticket_id, action.owner, action.due) for action in review.open_actions] == [
        ("T2", "Zhou Min", at(2026, 12, 3)),
        ("T5", "Li Lei", None),  # open since last year, owner named, no date: last
    ]
    data = review.to_dict()
    assert data["open_actions"][0] == {"ticket_id": "T2", "owner": "Zhou Min", "due": "2026-12-03T10:00:00+08:00",
                                       "action": "Tighten all screws"}
    assert data["this_month"]["by_channel"] == {"Phone": 2, "Email": 1}
    assert data["same_month_last_year"]["total"] == 1


@pytest.mark.parametrize("text", ["2026-13", "2026/11", "Nov 2026", ""])
def test_a_month_not_written_yyyy_mm_is_refused_with_the_way_to_write_it(text):
    with pytest.raises(MonthError, match="write it like 2026-11"):
        parse_month(text)


def test_a_month_is_its_first_day():
    assert parse_month(" 2026-02 ") == date(2026, 2, 1)
