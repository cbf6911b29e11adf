"""The Lessons tab (经验库) and the Tickets tab's Last solved column, through a real cycle in both languages."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from tests.sync.conftest import make_workbook, tickets_by_id
from tickets import label

NOW = datetime(2026, 11, 27, 12, 0)
CLOSED = {
    "tier": "Standard", "channel": "Phone", "customer": "Acme", "product": "Kettle K2", "category": "Packaging",
    "description": "Box crushed", "safety_risk": "no", "status": "Closed", "first_response": None,
    "root_cause": "Thin carton", "corrective_action": "Sent a new kettle", "preventive_action": "Double-wall box",
    "action_owner": "Zhou Min", "fix_verified": "yes", "customer_confirmed": "yes", "satisfaction": 8,
}  # fmt: skip
ZH = {"Standard": "普通客户", "Phone": "电话", "Packaging": "包装破损", "Closed": "已关闭", "New": "新建", "no": "否",
      "yes": "是", "Delivery": "物流配送"}  # fmt: skip


def ticket(ticket_id, day, **changes):
    cells = {**CLOSED, "ticket_id": ticket_id, "received": datetime(2026, 11, day, 9, 0),
             "first_response": datetime(2026, 11, day, 9, 30), "resolved": datetime(2026, 11, day, 15, 0),
             "follow_up": datetime(2026, 11, day, 18, 0), **changes}  # fmt: skip
    return cells


TICKETS = [
    ticket("OLD", 20, root_cause="Courier dropped it"),
    ticket("NEWER", 24),
    ticket("OTHER", 25, category="Delivery", root_cause="Late courier"),  # same product, another category
    ticket("OPEN", 26, status="New", root_cause=None, corrective_action=None, preventive_action=None,
           fix_verified=None, customer_confirmed=None, satisfaction=None, resolved=None, follow_up=None,
           first_response=None),  # fmt: skip
]


def typed(language):
    rows = []
    for cells in TICKETS:
        values = {key: (ZH.get(value, value) if language == "zh" and isinstance(value, str) else value)
                  for key, value in cells.items() if value is not None}  # fmt: skip
        rows.append({label(key, language): value for key, value in values.items()})
    return rows


@pytest.mark.parametrize("language, tab, yes", [("en", "Lessons", "yes"), ("zh", "经验库", "是")])
def test_the_lessons_tab_keeps_every_closed_ticket_newest_first(tmp_path, desk_factory, language, tab, yes):
    path = make_workbook(tmp_path / "desk.xlsx", language, rows=typed(language))
    desk_factory(path).cycle(NOW)
    rows = list(openpyxl.load_workbook(path)[tab].iter_rows(values_only=True))
    assert list(rows[0]) == [label(key, language) for key in (
        "ticket_id", "resolved", "product", "category", "root_cause", "corrective_action", "preventive_action",
        "action_owner", "fix_verified", "satisfaction")]  # fmt: skip
    category = {"en": "Packaging", "zh": "包装破损"}[language]
    delivery = {"en": "Delivery", "zh": "物流配送"}[language]
    assert [list(row) for row in rows[1:]] == [  # resolved 25th, 24th, 20th; the New ticket is no lesson
        ["OTHER", "2026-11-25 15:00", "Kettle K2", delivery, "Late courier", "Sent a new kettle",
         "Double-wall box", "Zhou Min", yes, 8],
        ["NEWER", "2026-11-24 15:00", "Kettle K2", category, "Thin carton", "Sent a new kettle",
         "Double-wall box", "Zhou Min", yes, 8],
        ["OLD", "2026-11-20 15:00", "Kettle K2", category, "Courier dropped it", "Sent a new kettle",
         "Double-wall box", "Zhou Min", yes, 8],
    ]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh"])
def test_last_solved_points_at_the_latest_other_closed_ticket_of_the_same_product_and_category(
    tmp_path, desk_factory, language
):
    path = make_workbook(tmp_path / "desk.xlsx", language, rows=typed(language))
    desk_factory(path).cycle(NOW)
    column = label("last_solved", language)
    sheet = tickets_by_id(path)
    assert {ticket_id: sheet[ticket_id][column] for ticket_id in ("OLD", "NEWER", "OTHER", "OPEN")} == {
        "OPEN": "NEWER",  # a new Packaging complaint about the Kettle: see how NEWER was solved
        "NEWER": "OLD",  # a closed ticket points at the one before it, never at itself
        "OLD": "NEWER",
        "OTHER": None,  # the only Delivery one
    }
