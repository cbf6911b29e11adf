"""Nobody learns of a ticket late: dispatch notices, and 24x7 tickets never held by quiet hours (DESIGN §5).

The whole loop: a template workbook in English or Chinese, the cycle engine, quiet hours from the template's
Calendar (Mon–Fri 09:00–18:00, Asia/Shanghai) and a real SMTP server on 127.0.0.1.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import openpyxl
import pytest

from sync.service.config import load_settings
from sync.service.desks import desk_configs, open_desk
from tests.sync.conftest import SHANGHAI, make_workbook

SATURDAY_2210 = datetime(2026, 11, 28, 22, 10, tzinfo=SHANGHAI)
# How a person types the safety complaint that arrived on Saturday at 22:10, in each language.
SAFETY = {
    "en": {
        "Received": datetime(2026, 11, 28, 22, 10), "Channel": "Phone", "Customer": "Emily Wang",
        "Tier": "Standard", "Product": "Power bank 10000 mAh", "Category": "Safety",
        "Description": "Swelled and got hot while charging", "Safety risk": "yes", "Status": "New",
    },
    "zh": {
        "接收时间": datetime(2026, 11, 28, 22, 10), "渠道": "电话", "客户": "王芳", "客户等级": "普通客户",
        "产品": "充电宝 10000mAh", "问题类型": "安全问题", "问题描述": "充电时鼓包发烫", "安全隐患": "是",
        "状态": "新建",
    },
}
SAFETY_LIAISON = {"en": "helen.sun@example.com", "zh": "sunhaiyan@example.cn"}
# A complaint typed at the same moment, on a desk whose routine rows count working hours only: it may wait for
# Monday 09:00.
DELIVERY = {
    "en": {**SAFETY["en"], "Customer": "James Liu", "Product": "Desk lamp LED", "Category": "Delivery",
           "Description": "Parcel never arrived", "Safety risk": "no"},
    "zh": {**SAFETY["zh"], "客户": "刘洋", "产品": "LED台灯", "问题类型": "物流配送", "问题描述": "包裹未收到",
           "安全隐患": "否"},
}
DELIVERY_LIAISON = {"en": "tom.chen@example.com", "zh": "chentao@example.cn"}


def routine_on_business_hours(path, language):
    """Set the Routine rows' Clock to business, as a desk that does not work nights and weekends would."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[{"en": "Deadline rules", "zh": "时限规则"}[language]]
    header = [cell.value for cell in sheet[1]]
    grade, clock = 2, header.index({"en": "THEN Clock", "zh": "则 计时方式"}[language])  # Rule, On, IF Grade, …
    routine, business = {"en": ("Routine", "business"), "zh": ("一般", "工作时间")}[language]
    for row in sheet.iter_rows(min_row=2):
        if row[grade].value == routine:
            row[clock].value = business
    workbook.save(path)


def open_test_desk(tmp_path, smtp_server, language):
    make_workbook(tmp_path / "desk.xlsx", language, rows=[SAFETY[language], DELIVERY[language]])
    routine_on_business_hours(tmp_path / "desk.xlsx", language)
    (tmp_path / "config.toml").write_text(
        f"""
[workbook]
path = "desk.xlsx"
[reminders]
admin_email = "admin@example.com"
[mail]
transport = "smtp"
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
sender = "desk@example.com"
timeout_seconds = 5
[state]
dir = "state"
""",
        encoding="utf-8",
    )
    return open_desk(desk_configs(load_settings(tmp_path / "config.toml"))[0])


def mail_to(server, address, since=0):
    return [item.message for item in server.received[since:] if address in item.rcpt_tos]


def plain(message):
    return message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_safety_complaint_on_saturday_night_reaches_its_liaison_at_once(tmp_path, smtp_server, language):
    desk = open_test_desk(tmp_path, smtp_server, language)
    try:
        # The cycle at 22:10 — the minute it was typed — dispatches it; quiet hours do not hold it.
        report = desk.cycle(SATURDAY_2210)
        (dispatch,) = mail_to(smtp_server, SAFETY_LIAISON[language])
        text = plain(dispatch)
        due_line = {"en": "Response due 2026-11-28 23:10", "zh": "响应截止 2026-11-28 23:10"}[language]
        assert due_line in text  # 1 h round the clock: 22:10 + 1 h
        assert {"en": "New ticket for you", "zh": "新派单"}[language] in text
        assert str(dispatch["Subject"]) == {"en": "1 new — Safety", "zh": "1 项新派单 — 安全管理部"}[language]
        # The delivery ticket runs on business hours: its dispatch waits for Monday 09:00.
        assert mail_to(smtp_server, DELIVERY_LIAISON[language]) == [] and report.mails_held == 1

        # 22:55: 15 of its 60 minutes are left (due_soon_fraction 0.25): the warning goes out now, not Monday.
        seen = len(smtp_server.received)
        desk.cycle(SATURDAY_2210 + timedelta(minutes=45))
        (soon,) = mail_to(smtp_server, SAFETY_LIAISON[language], seen)
        assert {"en": "Due soon", "zh": "即将到期"}[language] in plain(soon)

        # 23:15: overdue, at once.
        seen = len(smtp_server.received)
        desk.cycle(SATURDAY_2210 + timedelta(minutes=65))
        (late,) = mail_to(smtp_server, SAFETY_LIAISON[language], seen)
        assert {"en": "5 min late", "zh": "超时 5分钟"}[language] in plain(late)

        # Monday 09:00: the business-clock ticket's dispatch, held over the weekend, goes out.
        seen = len(smtp_server.received)
        desk.cycle(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
        assert len(mail_to(smtp_server, DELIVERY_LIAISON[language], seen)) == 1
    finally:
        desk.state.close()
