"""A row of the Tickets tab read into a Ticket, with every problem it has."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tickets import RowContext, Status, is_blank_row, read_row

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)
CONTEXT = RowContext(SHANGHAI, NOW, {"tier": ["Core", "Key", "Standard"], "category": ["Product quality"]})
GOOD = {
    "ticket_id": " CS-20261120-0001 ",
    "received": "2026/11/20 09:30",
    "customer": "Harbour  Foods",
    "tier": "core",
    "category": "Product quality",
    "status": "处理中",
    "affected_customers": 3.0,
    "safety_risk": "否",
}


def codes(result):
    return sorted((problem.column, problem.code) for problem in result.problems)


def test_a_good_row_reads_into_typed_fields_with_no_problem():
    result = read_row(2, GOOD, CONTEXT)
    ticket = result.ticket
    assert result.problems == []
    assert ticket.ticket_id == "CS-20261120-0001"
    assert ticket.received == datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)
    assert ticket.customer == "Harbour Foods"
    assert ticket.status is Status.ACTION
    assert (ticket.affected_customers, ticket.safety_risk) == (3, False)


def test_every_problem_of_a_row_is_collected_not_only_the_first():
    result = read_row(
        7,
        {**GOOD, "received": "soon", "tier": "Bronze", "satisfaction": 11, "status": "Closed", "affected_customers": "x"},
        CONTEXT,
    )
    assert codes(result) == [
        ("affected_customers", "not_a_whole_number"),
        ("corrective_action", "required_for_status"),
        ("customer_confirmed", "not_confirmed"),
        ("first_response", "required_for_status"),
        ("fix_verified", "required_for_status"),
        ("follow_up", "required_for_status"),
        ("preventive_action", "required_for_status"),
        ("received", "not_a_date"),
        ("root_cause", "required_for_status"),
        ("satisfaction", "satisfaction_range"),
        ("tier", "unknown_value"),
    ]
    assert result.ticket.received is None and result.ticket.customer == "Harbour Foods"


def test_an_unknown_status_names_the_allowed_ones():
    problem = read_row(3, {**GOOD, "status": "Pending"}, CONTEXT).problems[0]
    message = problem.render("en", "Status")
    assert message.startswith('Status: "Pending" is not a status — use one of: New, Acknowledged')


def test_dates_in_the_future_or_before_received_are_problems():
    result = read_row(3, {**GOOD, "first_response": "2026-11-19 10:00", "resolved": "2026-11-24 10:00"}, CONTEXT)
    assert codes(result) == [("first_response", "before_received"), ("resolved", "future_date")]


def test_a_resolved_ticket_needs_a_first_response_a_root_cause_and_a_corrective_action():
    result = read_row(3, {**GOOD, "status": "Resolved", "resolved": "2026-11-21 10:00"}, CONTEXT)
    assert codes(result) == [
        ("corrective_action", "required_for_status"),
        ("first_response", "required_for_status"),
        ("root_cause", "required_for_status"),
    ]


def test_messages_speak_the_workbooks_language():
    problem = read_row(3, {**GOOD, "status": "Closed", "root_cause": None}, CONTEXT).problems[0]
    assert problem.render("zh", "根本原因") == "根本原因为空 —— 状态为“已关闭”的工单必须填写"


def test_a_row_with_only_computed_cells_is_blank():
    assert is_blank_row({"grade": "Urgent", "check": "x", "customer": "  "})
    assert not is_blank_row({"customer": "Acme"})
