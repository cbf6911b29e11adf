"""`sheetdesk report --month YYYY-MM [--json]` over a real workbook, in English and Chinese, by hand."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from sync.service.cli import cli
from tests.sync.conftest import make_workbook
from tests.sync.service.test_config import write_config
from tickets import label

ZH = {"Core": "核心客户", "Standard": "普通客户", "Product quality": "产品质量", "Delivery": "物流配送",
      "Phone": "电话", "Email": "邮件", "Closed": "已关闭", "Action": "处理中", "New": "新建", "yes": "是", "no": "否"}
BASE = {"tier": "Standard", "channel": "Phone", "safety_risk": "no", "description": "Broken"}
TICKETS = [  # November 2026: three tickets; October: one
    {**BASE, "ticket_id": "N1", "received": datetime(2026, 11, 3, 10), "customer": "Acme", "product": "Kettle",
     "category": "Product quality", "status": "Action", "first_response": datetime(2026, 11, 3, 11),
     "root_cause": "Loose screw", "corrective_action": "Tighten screws", "action_owner": "Zhou Min",
     "action_due": datetime(2026, 12, 5, 18)},
    {**BASE, "ticket_id": "N2", "received": datetime(2026, 11, 10, 10), "customer": "Bolt", "product": "Kettle",
     "category": "Product quality", "channel": "Email", "status": "New"},
    {**BASE, "ticket_id": "N3", "received": datetime(2026, 11, 12, 10), "customer": "Cora", "product": "Lamp",
     "category": "Delivery", "status": "New"},
    {**BASE, "ticket_id": "O1", "received": datetime(2026, 10, 8, 10), "customer": "Dan", "product": "Lamp",
     "category": "Delivery", "status": "New"},
]  # fmt: skip


def typed(language):
    rows = []
    for cells in TICKETS:
        values = {key: (ZH.get(value, value) if language == "zh" and isinstance(value, str) else value)
                  for key, value in cells.items()}  # fmt: skip
        rows.append({label(key, language): value for key, value in values.items()})
    return rows


def run(tmp_path, language, *options):
    make_workbook(tmp_path / "desk.xlsx", language, rows=typed(language))
    config = write_config(tmp_path)
    return CliRunner().invoke(cli, ["report", "--config", str(config), "--now", "2026-12-01T09:00", *options])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_json_review_counts_the_month_and_compares_it(tmp_path, language):
    result = run(tmp_path, language, "--month", "2026-11", "--json")
    assert result.exit_code == 0, result.output
    review = json.loads(result.stdout)
    this = review["this_month"]
    quality, delivery = ("产品质量", "物流配送") if language == "zh" else ("Product quality", "Delivery")
    assert review["month"] == "2026-11" and this["total"] == 3
    assert this["by_category"] == {quality: 2, delivery: 1}
    assert this["by_product"] == {"Kettle": 2, "Lamp": 1}
    # Routine, 24 h: N1 answered after 1 h; N2 and N3 never answered and long past due: 1 of 3 on time.
    assert this["first_response_on_time"] == {"value": 1 / 3, "part": 1, "whole": 3}
    assert this["targets"]["first_response_on_time"]["met"] is False
    assert review["previous_month"]["total"] == 1 and review["same_month_last_year"]["total"] == 0
    assert review["top_root_causes"] == {"Loose screw": 1}
    assert review["open_actions"] == [{"ticket_id": "N1", "owner": "Zhou Min", "due": "2026-12-05T18:00:00+08:00",
                                       "action": "Tighten screws"}]  # fmt: skip


@pytest.mark.parametrize("language, words", [
    ("en", ["Monthly complaint review 2026-11", "Open actions and their owners", "Zhou Min", "Loose screw"]),
    ("zh", ["2026-11 月度投诉复盘", "未完成措施及负责人", "Zhou Min", "去年同月"]),
])  # fmt: skip
def test_the_review_prints_as_tables_in_the_workbooks_language(tmp_path, language, words):
    result = run(tmp_path, language, "--month", "2026-11")
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.stdout


def test_a_month_not_written_yyyy_mm_is_a_usage_error(tmp_path):
    result = run(tmp_path, "en", "--month", "11/2026")
    assert result.exit_code == 2
    assert "write it like 2026-11" in result.output


def test_the_review_shows_shares_as_percentages_in_print_and_in_mail_lines(tmp_path):
    from sync.tabs.report import review_lines
    from tests.tickets.test_review import KNOWN, NOW, SHANGHAI
    from tickets.review import monthly_review, parse_month

    result = run(tmp_path, "en", "--month", "2026-11")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "33.3%" in line)  # one of three on time
    assert "First" in line
    assert "…" not in result.stdout  # a narrow terminal folds a long word, it never cuts one
    review = monthly_review(KNOWN, parse_month("2026-11"), NOW, SHANGHAI)
    [(_, lines)] = [(title, lines) for title, lines in review_lines(review, "en") if "First response on time"
                    in " ".join(lines)]
    shares = next(line for line in lines if line.startswith("First response on time"))
    assert "%" in shares and "0." not in shares.split(" · ")[1]
