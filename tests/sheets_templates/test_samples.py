"""Sample tickets: realistic, consistent with their status, and clean under the ticket model."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sheets_templates import list_values, sample_tickets
from tickets import COMPUTED_KEYS, RowContext, Status, parse_status, read_row

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 30, tzinfo=ZONE)
LANGUAGES = ("en", "zh")


@pytest.fixture(scope="module", params=LANGUAGES)
def samples(request):
    return request.param, sample_tickets(request.param, 40, NOW, seed=7)


def _status(ticket) -> Status:
    return parse_status(ticket["status"])


def test_every_sample_row_reads_without_a_problem(samples):
    language, tickets = samples
    context = RowContext(ZONE, NOW, list_values(language))
    for row, ticket in enumerate(tickets, start=2):
        assert read_row(row, ticket, context).problems == [], ticket


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_small_sample_sets_read_without_a_problem_at_night_too(language, seed):
    night = datetime(2026, 10, 2, 6, 5, tzinfo=ZONE)
    context = RowContext(ZONE, night, list_values(language))
    for row, ticket in enumerate(sample_tickets(language, 9 + seed * 5, night, seed), start=2):
        assert read_row(row, ticket, context).problems == [], ticket


def test_samples_are_the_same_for_the_same_seed_and_differ_for_another(samples):
    language, tickets = samples
    assert sample_tickets(language, 40, NOW, seed=7) == tickets
    assert sample_tickets(language, 40, NOW, seed=8) != tickets


def test_no_sample_time_is_in_the_future_or_older_than_about_three_weeks(samples):
    _, tickets = samples
    local_now = NOW.replace(tzinfo=None)
    for ticket in tickets:
        moments = [
            ticket[key] for key in ("received", "first_response", "resolved", "follow_up") if ticket[key]
        ]
        assert all(local_now - timedelta(days=23) <= moment <= local_now for moment in moments)


def test_statuses_walk_the_whole_loop_and_most_are_open(samples):
    _, tickets = samples
    counts = Counter(_status(ticket) for ticket in tickets)
    assert set(counts) == set(Status)
    open_ones = sum(counts[s] for s in (Status.NEW, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.ACTION))
    assert open_ones > len(tickets) / 2


def test_statuses_are_written_in_the_workbook_language(samples):
    language, tickets = samples
    assert {ticket["status"] for ticket in tickets} <= {status.label(language) for status in Status}


def test_ticket_ids_count_per_day_received_and_are_unique(samples):
    _, tickets = samples
    ids = [ticket["ticket_id"] for ticket in tickets]
    assert len(set(ids)) == len(ids)
    for ticket in tickets:
        assert re.fullmatch(rf"CS-{ticket['received']:%Y%m%d}-\d{{4}}", ticket["ticket_id"])
    first_of_day = {ticket["ticket_id"][:11] for ticket in tickets}
    assert {f"{day}-0001" for day in first_of_day} <= set(ids)


def test_closed_and_followed_up_tickets_carry_the_whole_loop(samples):
    _, tickets = samples
    finished = [t for t in tickets if _status(t) in (Status.CLOSED, Status.FOLLOWED_UP)]
    assert finished
    for ticket in finished:
        assert ticket["root_cause"] and ticket["corrective_action"] and ticket["preventive_action"]
        assert ticket["first_response"] <= ticket["resolved"] <= ticket["follow_up"]
        assert 1 <= ticket["satisfaction"] <= 10


def test_new_tickets_have_no_response_yet(samples):
    _, tickets = samples
    new = [t for t in tickets if _status(t) is Status.NEW]
    assert new  # the samples show a desk with fresh complaints waiting
    assert all(t["first_response"] is None and t["resolved"] is None for t in new)


def test_some_tickets_carry_a_safety_risk(samples):
    language, tickets = samples
    yes = list_values(language)["yes_no"][0]
    assert 2 <= sum(ticket["safety_risk"] == yes for ticket in tickets) < len(tickets) / 4


def test_some_tickets_are_a_core_customer_s_quality_problem(samples):
    language, tickets = samples
    lists = list_values(language)
    core_quality = [
        t for t in tickets if (t["tier"], t["category"]) == (lists["tier"][0], lists["category"][0])
    ]
    assert len(core_quality) >= 2


def test_a_cluster_of_the_same_product_and_category_arrives_within_a_few_days(samples):
    _, tickets = samples
    groups = Counter((t["product"], t["category"]) for t in tickets if t["received"] >= _recent(tickets))
    assert max(groups.values()) >= 3


def _recent(tickets) -> datetime:
    return NOW.replace(tzinfo=None) - timedelta(days=5)


def test_a_duplicate_names_the_ticket_it_repeats(samples):
    _, tickets = samples
    ids = {ticket["ticket_id"] for ticket in tickets}
    duplicates = [t for t in tickets if _status(t) is Status.DUPLICATE]
    assert duplicates
    for ticket in duplicates:
        named = re.search(r"CS-\d{8}-\d{4}", ticket["notes"]).group()
        assert named in ids and named != ticket["ticket_id"]


def test_samples_leave_computed_columns_blank(samples):
    _, tickets = samples
    assert all(not ticket.get(key) for ticket in tickets for key in COMPUTED_KEYS)


def test_a_naive_now_is_taken_as_the_calendar_s_wall_clock():
    naive = sample_tickets("en", 10, NOW.replace(tzinfo=None), seed=1)
    assert naive == sample_tickets("en", 10, NOW, seed=1)
    assert sample_tickets("en", 10, NOW.astimezone(ZoneInfo("UTC")), seed=1) == naive
