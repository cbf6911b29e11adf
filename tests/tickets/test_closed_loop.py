"""No ticket closed on paper: what Resolved and Closed need before Check is quiet (DESIGN §3; seeds 000, 003, 004).

Each scenario is a row as a person would type it, in English or in Chinese, and the exact Check text expected.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sync.computed_cells import check_text
from tickets import RowContext, read_row

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=SHANGHAI)
CONTEXT = RowContext(SHANGHAI, NOW)

RESOLVED_EN = {
    "ticket_id": "CS-20261123-0001",
    "received": "2026-11-23 09:00",
    "customer": "Harbour Foods",
    "status": "Resolved",
    "first_response": "2026-11-23 09:30",
    "root_cause": "Seal ring fitted upside down",
    "corrective_action": "Sent a new lid",
    "resolved": "2026-11-24 10:00",
}
CLOSED_EN = {
    **RESOLVED_EN,
    "status": "Closed",
    "preventive_action": "Orientation check at packing",
    "action_owner": "Zhou Min",
    "action_due": "2026-11-30 18:00",  # a promise may lie in the future: it is not a date that happened
    "fix_verified": "yes",
    "customer_confirmed": "yes",
    "follow_up": "2026-11-25 15:00",
    "satisfaction": 8,
}
# The same tickets typed by a Chinese team: 是/否 and Chinese statuses.
RESOLVED_ZH = {**RESOLVED_EN, "status": "已解决", "root_cause": "密封圈装反", "corrective_action": "补发新盖"}
CLOSED_ZH = {**CLOSED_EN, **RESOLVED_ZH, "status": "已关闭", "fix_verified": "是", "customer_confirmed": "是"}

LABELS = {
    "en": {"root_cause": "Root cause", "corrective_action": "Corrective action"},
    "zh": {"root_cause": "根本原因", "corrective_action": "纠正措施"},
}


def check(cells, language, context=CONTEXT):
    return check_text(read_row(5, cells, context).problems, language)


@pytest.mark.parametrize("language, cells", [("en", CLOSED_EN), ("zh", CLOSED_ZH)])
def test_a_ticket_closed_with_the_whole_loop_has_no_problem(language, cells):
    assert check(cells, language) is None


@pytest.mark.parametrize("language, cells", [("en", RESOLVED_EN), ("zh", RESOLVED_ZH)])
def test_resolved_needs_a_first_response_a_root_cause_and_a_corrective_action(language, cells):
    assert check(cells, language) is None
    empty = {**cells, "root_cause": None, "corrective_action": None, "first_response": None}
    expected = {
        "en": "Root cause is empty — a Resolved ticket needs it; "
        "Corrective action is empty — a Resolved ticket needs it; "
        "First response is empty — a Resolved ticket needs it",
        "zh": "根本原因为空 —— 状态为“已解决”的工单必须填写；"
        "纠正措施为空 —— 状态为“已解决”的工单必须填写；"
        "首次响应时间为空 —— 状态为“已解决”的工单必须填写",
    }
    assert _sorted_parts(check(empty, language)) == _sorted_parts(expected[language])


def _sorted_parts(text):
    return sorted(text.replace("；", "; ").split("; "))


def test_chinese_problems_are_joined_with_a_chinese_semicolon():
    text = check({**RESOLVED_ZH, "root_cause": None, "corrective_action": None}, "zh")
    assert "；" in text and "; " not in text


@pytest.mark.parametrize(
    "language, cells, expected",
    [
        ("en", {**CLOSED_EN, "fix_verified": None}, "Fix verified is empty — a Closed ticket needs it"),
        ("zh", {**CLOSED_ZH, "fix_verified": None}, "效果验证为空 —— 状态为“已关闭”的工单必须填写"),
        (
            "en",
            {**CLOSED_EN, "fix_verified": "no"},
            "Fix verified is no — a Closed ticket needs the fix checked to work: verify it, then write yes",
        ),
        ("zh", {**CLOSED_ZH, "fix_verified": "否"}, "效果验证为“否” —— 状态为“已关闭”的工单需确认措施有效，验证后填写 是"),
        ("en", {**CLOSED_EN, "preventive_action": None}, "Preventive action is empty — a Closed ticket needs it"),
        ("zh", {**CLOSED_ZH, "satisfaction": None}, "满意度为空 —— 状态为“已关闭”的工单必须填写"),
        ("en", {**CLOSED_EN, "follow_up": None}, "Follow-up is empty — a Closed ticket needs it"),
    ],
)
def test_closed_needs_the_fix_verified_a_preventive_action_a_follow_up_and_a_score(language, cells, expected):
    assert check(cells, language) == expected


@pytest.mark.parametrize(
    "language, cells, expected",
    [
        (
            "en",
            {**CLOSED_EN, "customer_confirmed": "no"},
            "Customer confirmed is not yes — a Closed ticket needs the customer's confirmation, or a Note "
            'starting "unreachable" after two tries',
        ),
        (
            "zh",
            {**CLOSED_ZH, "customer_confirmed": None},
            "客户确认不是“是” —— 状态为“已关闭”的工单需客户确认；两次联系不上时请在备注开头写“无法联系”",
        ),
    ],
)
def test_closed_needs_the_customers_confirmation(language, cells, expected):
    assert check(cells, language) == expected


@pytest.mark.parametrize(
    "cells, note",
    [
        (CLOSED_EN, "Unreachable: called 11-25 and 11-26, no answer"),
        (CLOSED_ZH, "无法联系：11月25日、26日两次致电未接"),
    ],
)
def test_a_customer_unreachable_after_two_tries_may_be_closed_without_confirmation_or_score(cells, note):
    unconfirmed = {**cells, "customer_confirmed": "no", "satisfaction": None}
    assert check({**unconfirmed, "notes": note}, "en") is None
    assert check({**unconfirmed, "notes": "Called once, " + note}, "en") is not None  # the note must lead with it


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_score_below_the_target_asks_for_a_second_follow_up_before_closed(language):
    closed = CLOSED_EN if language == "en" else CLOSED_ZH
    low = {**closed, "satisfaction": 6}  # 003: satisfaction kept at 7 or more out of 10
    expected = {
        "en": "2nd follow-up is empty — the score 6 is below the target 7: a second follow-up comes before Closed",
        "zh": "二次回访时间为空 —— 满意度 6 低于目标 7，关闭前需进行二次回访",
    }
    assert check(low, language) == expected[language]
    assert check({**low, "second_follow_up": "2026-11-26 10:00"}, language) is None
    assert check({**closed, "satisfaction": 7}, language) is None  # at the target: done
    stricter = RowContext(SHANGHAI, NOW, satisfaction_target=9)  # [loop] satisfaction_target = 9
    assert check({**closed, "satisfaction": 8}, language, stricter) is not None


def test_a_second_follow_up_before_the_first_is_caught_like_any_date_before_received():
    early = {**CLOSED_EN, "satisfaction": 4, "second_follow_up": "2026-11-22 10:00"}
    assert check(early, "en") == "2nd follow-up: 2026-11-22 10:00 is before Received — check the date"
