"""A low follow-up score asks for a second follow-up (二次回访) before Closed: its due time and Check, in a cycle."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from tests.sync.conftest import make_workbook, tickets_by_id
from tickets import label

NOW = datetime(2026, 11, 27, 12, 0)
FOLLOWED_UP = {
    "ticket_id": "LOW", "received": datetime(2026, 11, 23, 10, 0), "channel": "Phone", "customer": "Acme",
    "tier": "Standard", "product": "Kettle K2", "category": "Packaging", "description": "Box crushed",
    "safety_risk": "no", "status": "Followed up", "first_response": datetime(2026, 11, 23, 11, 0),
    "root_cause": "Thin carton", "corrective_action": "New kettle", "preventive_action": "Double-wall box",
    "fix_verified": "yes", "resolved": datetime(2026, 11, 24, 10, 0), "customer_confirmed": "yes",
    "follow_up": datetime(2026, 11, 26, 9, 0), "satisfaction": 4,
}  # fmt: skip
ZH = {"Phone": "电话", "Standard": "普通客户", "Packaging": "包装破损", "no": "否", "yes": "是",
      "Followed up": "已回访", "Closed": "已关闭"}


def cells(language, **changes):
    values = {**FOLLOWED_UP, **changes}
    return {label(key, language): (ZH.get(value, value) if language == "zh" and isinstance(value, str) else value)
            for key, value in values.items()}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_score_of_4_gets_a_second_follow_up_due_48_hours_after_the_first(tmp_path, desk_factory, language):
    path = make_workbook(tmp_path / "desk.xlsx", language, rows=[cells(language)])
    desk_factory(path).cycle(NOW)
    row = tickets_by_id(path)["LOW"]
    assert row[label("second_follow_up_due", language)] == datetime(2026, 11, 28, 9, 0)  # 26th 09:00 + 48 h
    assert row[label("check", language)] is None  # Followed up: the second visit is not late yet


@pytest.mark.parametrize("language, check", [
    ("en", "2nd follow-up is empty — the score 4 is below the target 7: a second follow-up comes before Closed"),
    ("zh", "二次回访时间为空 —— 满意度 4 低于目标 7，关闭前需进行二次回访"),
])  # fmt: skip
def test_closing_before_the_second_follow_up_is_a_check_problem_until_it_is_made(
    tmp_path, desk_factory, language, check
):
    path = make_workbook(tmp_path / "desk.xlsx", language, rows=[cells(language, status="Closed")])
    desk = desk_factory(path)
    desk.cycle(NOW)
    assert tickets_by_id(path)["LOW"][label("check", language)] == check
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=header.index(label("second_follow_up", language)) + 1, value=datetime(2026, 11, 27, 10))
    workbook.save(path)
    desk.cycle(NOW)
    assert tickets_by_id(path)["LOW"][label("check", language)] is None
