"""Chinese that reads as Chinese: a Chinese workbook's Check cells and the mail about it (DESIGN §3, §5)."""

from __future__ import annotations

from datetime import datetime

from sync.service.config import load_settings
from sync.service.desks import desk_configs, open_desk
from tests.sync.conftest import SHANGHAI, make_workbook, tickets_by_id

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def complaint(ticket_id, day, **changes):
    row = {"工单编号": ticket_id, "接收时间": datetime(2026, 11, day, 9, 30), "渠道": "电话", "客户": f"客户{ticket_id}",
           "客户等级": "普通客户", "产品": "儿童保温杯", "问题类型": "包装破损", "问题描述": "杯盖破损",
           "安全隐患": "否", "状态": "新建"}  # fmt: skip
    return {**row, **changes}


def open_chinese_desk(tmp_path, smtp_server, rows, extra=""):
    make_workbook(tmp_path / "desk.xlsx", "zh", rows=rows)
    (tmp_path / "config.toml").write_text(
        f"""
[workbook]
path = "desk.xlsx"
[reminders]
admin_email = "admin@example.cn"
{extra}
[mail]
transport = "smtp"
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
sender = "desk@example.cn"
timeout_seconds = 5
[state]
dir = "state"
""",
        encoding="utf-8",
    )
    return open_desk(desk_configs(load_settings(tmp_path / "config.toml"))[0])


def subjects_to(server, address):
    return [str(item.message["Subject"]) for item in server.received if address in item.rcpt_tos]


def test_a_chinese_workbooks_cluster_alert_to_the_admin_is_in_chinese(tmp_path, smtp_server):
    rows = [complaint(f"T{day}", day) for day in (18, 19, 20, 21, 22)]  # five in 7 days: a cluster
    desk = open_chinese_desk(tmp_path, smtp_server, rows)
    try:
        desk.cycle(MONDAY)
    finally:
        desk.state.close()
    subjects = subjects_to(smtp_server, "admin@example.cn")
    assert "同类投诉聚集：儿童保温杯 · 包装破损" in subjects
    assert all("—" in subject or "：" in subject for subject in subjects)  # escalations and digest in Chinese too
    assert not any(subject.isascii() for subject in subjects)


def test_admin_language_in_the_config_still_wins(tmp_path, smtp_server):
    rows = [complaint(f"T{day}", day) for day in (18, 19, 20, 21, 22)]
    desk = open_chinese_desk(tmp_path, smtp_server, rows, extra='quality_language = "en"')
    try:
        desk.cycle(MONDAY)
    finally:
        desk.state.close()
    subjects = subjects_to(smtp_server, "admin@example.cn")
    assert "Complaint cluster: 儿童保温杯 · 包装破损" in subjects
    assert "同类投诉聚集：儿童保温杯 · 包装破损" not in subjects


def test_a_chinese_check_names_chinese_statuses_and_joins_with_a_chinese_semicolon(tmp_path, smtp_server):
    rows = [complaint("BAD", 22, 状态="搞定了", 客户等级="金牌")]
    desk = open_chinese_desk(tmp_path, smtp_server, rows)
    try:
        desk.cycle(MONDAY)
    finally:
        desk.state.close()
    check = tickets_by_id(tmp_path / "desk.xlsx")["BAD"]["校验"]
    assert check == (
        "状态：“搞定了”不是有效状态，请从以下选择：新建、已响应、调查中、处理中、待客户反馈、已解决、已回访、已关闭、重复；"
        "客户等级：“金牌”不在可选值中，请从以下选择：核心客户、重点客户、普通客户；"
        "⚠ 时限规则中没有规则匹配此工单，请添加规则或兜底行"
    )
