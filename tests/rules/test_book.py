"""The RuleBook decides grade, owner and deadlines for a ticket, and never guesses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules import RuleBook, check_book, parse_liaisons, parse_lists, parse_rule_tab
from tests.rules.conftest import (
    DEADLINE_EN,
    DEADLINE_ZH,
    GRADE_EN,
    GRADE_ZH,
    LIAISONS_EN,
    LIAISONS_ZH,
    LISTS_EN,
    LISTS_ZH,
    OWNER_EN,
    OWNER_ZH,
)
from tickets.messages import render
from tickets.outcome import Clock
from tickets.status import Status


def build_book(
    grade, owner, deadline, liaisons, lists_rows, names=("Grade rules", "Owner rules", "Deadline rules")
):
    lists, _ = parse_lists(lists_rows)
    tabs = [
        parse_rule_tab(role, name, rows, lists)
        for role, name, rows in zip(
            ("grade_rules", "owner_rules", "deadline_rules"), names, (grade, owner, deadline), strict=True
        )
    ]
    for tab in tabs:
        assert tab.ok, [str(problem) for problem in tab.problems]
    liaison_book, _ = parse_liaisons("Liaisons", liaisons)
    return RuleBook(tabs[0].table, tabs[1].table, tabs[2].table, liaison_book, lists)


@pytest.fixture
def book_en() -> RuleBook:
    return build_book(GRADE_EN, OWNER_EN, DEADLINE_EN, LIAISONS_EN, LISTS_EN)


@pytest.fixture
def book_zh() -> RuleBook:
    return build_book(
        GRADE_ZH, OWNER_ZH, DEADLINE_ZH, LIAISONS_ZH, LISTS_ZH, ("定级规则", "分派规则", "时限规则")
    )


def ticket(**facts):
    base = {
        "received": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        "tier": "Standard",
        "category": "Billing",
        "safety_risk": False,
        "status": Status.NEW,
        "similar_7d": 1,
        "customer_30d": 1,
        "hours_open": 2.5,
    }
    return {**base, **facts}


def test_a_safety_ticket_gets_the_top_grade_its_owner_and_a_24x7_clock(book_en):
    verdict = book_en.evaluate(ticket(safety_risk=True, category="Safety"))
    assert verdict.grade == "A"
    assert verdict.assignment.department == "Quality"
    assert verdict.assignment.liaison_email == "li.lei@example.com"
    assert (verdict.response_hours, verdict.resolution_hours, verdict.follow_up_hours) == (1, 24, 24)
    assert verdict.clock is Clock.ALWAYS
    assert verdict.fired == ("G1", "O1", "D1")
    assert verdict.problems == ()


def test_the_most_urgent_grade_wins_whatever_the_rule_order(book_en):
    verdict = book_en.evaluate(ticket(tier="Gold", similar_7d=6))
    assert verdict.grade == "A"  # G2 (A) beats G3 (B) although both match
    assert verdict.fired[0] == "G2"


def test_owner_and_deadline_rules_can_test_the_grade(book_en):
    verdict = book_en.evaluate(ticket(similar_7d=5))
    assert verdict.fired == ("G2", "O3", "D1")
    assert verdict.assignment.department == "Quality"


def test_a_plain_ticket_falls_through_to_the_catch_alls(book_en):
    verdict = book_en.evaluate(ticket())
    assert verdict.fired == ("G5", "O4", "D4")
    assert verdict.assignment.department == "Service"
    assert verdict.follow_up_hours == 48
    assert verdict.clock is Clock.BUSINESS


def test_a_switched_off_rule_never_fires(book_en):
    assert book_en.evaluate(ticket(tier="Standard")).grade == "C"  # G4 would say A


def test_a_chinese_workbook_decides_the_same_way(book_zh):
    verdict = book_zh.evaluate(ticket(safety_risk=True, category="安全", tier="普通"))
    assert verdict.grade == "一级"
    assert verdict.assignment.department == "质量部"
    assert verdict.assignment.language == "zh"
    assert verdict.clock is Clock.ALWAYS
    assert verdict.fired == ("G1", "O1", "D1")


def test_a_status_written_in_chinese_matches_the_status_value(book_zh):
    verdict = book_zh.evaluate(ticket(category="物流", tier="金卡", status=Status.RESOLVED))
    assert verdict.fired[1] == "O2"


def test_a_status_given_as_chinese_text_matches_an_english_status_cell():
    owner = [row[:] for row in OWNER_EN]
    owner[0][3] = "IF Status"
    owner[3][3] = "Resolved"
    book = build_book(GRADE_EN, owner, DEADLINE_EN, LIAISONS_EN, LISTS_EN)
    assert book.evaluate(ticket(status="已解决")).fired[1] == "O3"
    assert book.evaluate(ticket(status=Status.RESOLVED)).fired[1] == "O3"
    assert book.evaluate(ticket(status="新建")).fired[1] == "O4"


def test_a_ticket_no_rule_matches_gets_a_problem_not_a_guess():
    owner = [row[:] for row in OWNER_EN[:-1]]  # no catch-all
    book = build_book(GRADE_EN, owner, DEADLINE_EN, LIAISONS_EN, LISTS_EN)
    verdict = book.evaluate(ticket(category="Billing"))
    assert verdict.assignment is None
    assert [(problem.column, problem.code, problem.params) for problem in verdict.problems] == [
        ("department", "no_rule", {"tab": "Owner rules"})
    ]
    assert render("no_rule", "en", **verdict.problems[0].params) == (
        "⚠ no rule on the Owner rules tab matches this ticket — add a rule or a catch-all row"
    )


def unchecked_tab(role, rows, lists):
    """Build a tab's table without refusing it for its errors, as if an overlap had slipped past the checks."""
    from rules.tabs import _build, _Reader

    reader = _Reader(role, "Deadline rules", rows, lists)
    layout = reader.read_layout()
    return _build(reader, layout, reader.read_rows(layout))


def test_two_deadline_rules_matching_one_ticket_is_a_conflict_naming_both():
    lists, _ = parse_lists(LISTS_EN)
    rows = [row[:] for row in DEADLINE_EN] + [["D5", "C", "Standard", 2, 10, "", ""]]
    assert (
        parse_rule_tab("deadline_rules", "Deadline rules", rows, lists).table is None
    )  # the check refuses it
    grade = parse_rule_tab("grade_rules", "Grade rules", GRADE_EN, lists).table
    verdict = RuleBook(grade, None, unchecked_tab("deadline_rules", rows, lists), None, lists).evaluate(
        ticket()
    )
    assert verdict.response_hours is None
    assert [(problem.code, problem.params) for problem in verdict.problems] == [
        ("rule_conflict", {"tab": "Deadline rules", "rules": "D4, D5"})
    ]
    assert verdict.fired == ("G5",)


def test_a_missing_tab_is_skipped():
    lists, _ = parse_lists(LISTS_EN)
    grade = parse_rule_tab("grade_rules", "Grade rules", GRADE_EN, lists).table
    verdict = RuleBook(grade, None, None).evaluate(ticket())
    assert verdict.grade == "C"
    assert verdict.assignment is None and verdict.response_hours is None and verdict.follow_up_hours is None


def test_a_clean_book_has_no_cross_tab_problems(book_en, book_zh):
    assert check_book(book_en) == []
    assert check_book(book_zh) == []


def test_a_department_missing_from_liaisons_is_an_error_at_its_cell():
    owner = [row[:] for row in OWNER_EN]
    owner[2][4] = "Logistic"
    book = build_book(GRADE_EN, owner, DEADLINE_EN, LIAISONS_EN, LISTS_EN)
    problems = check_book(book)
    assert [str(problem) for problem in problems] == [
        'Owner rules!E3: department "Logistic" is not on the Liaisons tab — did you mean "Logistics"?'
    ]
    assert problems[0].is_error


def test_a_liaison_not_listed_for_its_department_is_an_error():
    owner = [row[:] for row in OWNER_EN]
    owner[1][5] = "Han Meimei"
    problems = check_book(build_book(GRADE_EN, owner, DEADLINE_EN, LIAISONS_EN, LISTS_EN))
    assert [(problem.code, problem.cell) for problem in problems] == [("unknown_liaison", "F2")]


def test_an_unknown_department_still_gets_an_assignment_without_emails():
    owner = [row[:] for row in OWNER_EN]
    owner[4][4] = "Nowhere"
    verdict = build_book(GRADE_EN, owner, DEADLINE_EN, LIAISONS_EN, LISTS_EN).evaluate(ticket())
    assert verdict.assignment.department == "Nowhere"
    assert verdict.assignment.liaison_email is None


def test_a_blank_tier_takes_the_strictest_deadline_of_its_choices_and_says_what_to_choose():
    deadline = [row[:] for row in DEADLINE_EN[:-1]]
    deadline += [["D4", "C", "Platinum, Gold", 4, 48, "", "business"], ["D5", "C", "Standard", 8, 72, "", ""]]
    book = build_book(GRADE_EN, OWNER_EN, deadline, LIAISONS_EN, LISTS_EN)
    verdict = book.evaluate(ticket(tier=None))
    assert verdict.grade == "C"  # the Grade rules' own catch-all
    assert (verdict.response_hours, verdict.resolution_hours, verdict.clock) == (4, 48, Clock.BUSINESS)
    assert verdict.fired[-1] == "D4"  # Platinum and Gold: 4 h before Standard's 8 h
    (problem,) = verdict.problems
    assert (problem.column, problem.code) == ("tier", "empty_choice")
    assert problem.render("en", "Tier") == "Tier is empty — choose one of: Platinum, Gold, Standard"
    assert problem.render("zh", "客户等级") == "客户等级为空 —— 请从以下选择：Platinum、Gold、Standard"
    # With the tier chosen the ticket takes its own row and the message goes.
    chosen = book.evaluate(ticket(tier="Standard"))
    assert (chosen.response_hours, chosen.fired[-1], chosen.problems) == (8, "D5", ())
