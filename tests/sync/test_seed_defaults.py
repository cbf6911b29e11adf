"""The template's defaults say what the seed articles say, in both languages (DESIGN §4; docs/rules.md).

Each ticket is typed into a fresh template workbook and one cycle fills its grade and due times; every
expected value below is worked out by hand from the articles' numbers:

- 001: safety risk → start within 1 hour, round the clock; routine → first reply within 24 hours;
- 000: a core customer's major quality problem → respond within 2 hours;
- 002: routine solved within 24 hours; important → a plan within 12 hours; 5 or more similar complaints
  in 7 days → important; a public social-media complaint that spreads → urgent.

"Within N hours" is N clock hours: a ticket received on Friday 17:30 is not answered on Monday.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.sync.conftest import make_workbook, tickets_by_id
from tickets import label

FRIDAY_1730 = datetime(2026, 11, 27, 17, 30)
NOW = datetime(2026, 11, 27, 17, 40)  # the cycle, ten minutes later
ZH_VALUES = {
    "Core": "核心客户", "Key": "重点客户", "Standard": "普通客户", "Product quality": "产品质量",
    "Delivery": "物流配送", "Billing": "收费争议", "Packaging": "包装破损", "Other": "其他", "Phone": "电话",
    "Social media": "社交媒体", "Email": "邮件", "New": "新建", "no": "否", "yes": "是",
}  # fmt: skip


def typed(ticket_id, tier, category, channel="Phone", received=FRIDAY_1730, product="Kettle K2"):
    return {"ticket_id": ticket_id, "received": received, "customer": f"Customer {ticket_id}", "tier": tier,
            "product": product, "category": category, "channel": channel, "description": "It broke",
            "safety_risk": "no", "status": "New"}  # fmt: skip


TICKETS = [
    typed("CORE-Q", "Core", "Product quality"),
    typed("ROUTINE", "Standard", "Delivery"),
    typed("PUBLIC", "Key", "Billing", channel="Social media"),
    # Packaging complaints about one product on five days of the week: the fifth makes five in 7 days.
    *(typed(f"PACK-{day}", "Standard", "Packaging", received=datetime(2026, 11, day, 10, 0), product="Lamp")
      for day in (23, 24, 25, 26, 27)),
]
# ticket: (grade, response due, resolution due), by hand on the 24x7 clock from Received.
EXPECTED = {
    "CORE-Q": ("Urgent", datetime(2026, 11, 27, 19, 30), datetime(2026, 11, 29, 17, 30)),  # 2 h; 48 h
    "ROUTINE": ("Routine", datetime(2026, 11, 28, 17, 30), datetime(2026, 11, 28, 17, 30)),  # 24 h; 24 h
    "PUBLIC": ("Urgent", datetime(2026, 11, 27, 19, 30), datetime(2026, 11, 29, 17, 30)),
    "PACK-26": ("Routine", datetime(2026, 11, 27, 10, 0), datetime(2026, 11, 27, 10, 0)),  # 4 similar: routine
    "PACK-27": ("Important", datetime(2026, 11, 27, 22, 0), datetime(2026, 11, 30, 10, 0)),  # 5th: 12 h; 72 h
}
GRADES_ZH = {"Urgent": "紧急", "Routine": "一般", "Important": "重要"}


def rows_in(language):
    rows = []
    for ticket in TICKETS:
        values = {key: (ZH_VALUES.get(value, value) if language == "zh" else value) for key, value in ticket.items()}
        rows.append({label(key, language): value for key, value in values.items()})
    return rows


@pytest.mark.parametrize("language", ["en", "zh"])
def test_grades_and_due_times_follow_the_articles(tmp_path, desk_factory, language):
    path = make_workbook(tmp_path / "desk.xlsx", language, rows=rows_in(language))
    desk_factory(path).cycle(NOW)
    sheet = tickets_by_id(path)
    for ticket_id, (grade, response_due, resolution_due) in EXPECTED.items():
        row = sheet[ticket_id]
        wanted_grade = GRADES_ZH[grade] if language == "zh" else grade
        assert row[label("grade", language)] == wanted_grade, ticket_id
        assert row[label("response_due", language)] == response_due, ticket_id
        assert row[label("resolution_due", language)] == resolution_due, ticket_id
        assert row[label("check", language)] is None, (ticket_id, row[label("check", language)])


@pytest.mark.parametrize(
    "language, message",
    [
        ("en", "Tier is empty — choose one of: Core, Key, Standard"),
        ("zh", "客户等级为空 —— 请从以下选择：核心客户、重点客户、普通客户"),
    ],
)
def test_a_blank_tier_gets_due_times_from_the_catch_all_and_check_names_the_choices(
    tmp_path, desk_factory, language, message
):
    blank = {**typed("NO-TIER", None, "Other"), "tier": None}
    row = {label(key, language): (ZH_VALUES.get(value, value) if language == "zh" else value)
           for key, value in blank.items() if value is not None}  # fmt: skip
    path = make_workbook(tmp_path / "desk.xlsx", language, rows=[row])
    desk_factory(path).cycle(NOW)
    ticket = tickets_by_id(path)["NO-TIER"]
    assert ticket[label("check", language)] == message
    # Routine for every tier, 24 h on the 24x7 clock: due Saturday 17:30.
    assert ticket[label("response_due", language)] == datetime(2026, 11, 28, 17, 30)
    assert ticket[label("resolution_due", language)] == datetime(2026, 11, 28, 17, 30)
