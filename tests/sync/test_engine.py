"""The cycle engine over real .xlsx files: stamps, problems, idempotence, people moving things around."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import openpyxl

from tests.sync.conftest import NEW_COMPLAINT, NOW, append_rows, make_workbook, tickets_by_id


def test_a_cycle_gives_new_rows_an_id_and_a_received_time(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT, {**NEW_COMPLAINT, "Customer": "Lotus"}])
    report = desk_factory(path).cycle(NOW)
    tickets = tickets_by_id(path)
    assert sorted(tickets) == ["CS-20261123-0001", "CS-20261123-0002"]
    first = tickets["CS-20261123-0001"]
    assert first["Received"] == datetime(2026, 11, 23, 10, 0)
    assert first["Customer"] == "Harbour Foods"
    assert report.rows == 2 and report.wrote


def test_computed_columns_come_from_the_rule_tabs(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT, {**NEW_COMPLAINT, "Safety risk": "yes"}])
    desk_factory(path).cycle(NOW)
    tickets = tickets_by_id(path)
    routine, safety = tickets["CS-20261123-0001"], tickets["CS-20261123-0002"]
    assert safety["Grade"] == "Critical"
    assert safety["Response due"] == datetime(2026, 11, 23, 11, 0)  # 1 h on the 24x7 clock
    assert routine["Department"] and routine["Liaison"]
    assert routine["Rules"].count("·") == 2
    assert routine["SLA"] == "on track"
    assert routine["Check"] is None


def test_a_second_cycle_with_nothing_new_leaves_the_file_untouched(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", sample=30, rows=[NEW_COMPLAINT])
    desk = desk_factory(path)
    desk.cycle(NOW)
    before = path.read_bytes(), os.stat(path).st_mtime_ns
    report = desk.cycle(NOW + timedelta(seconds=30))
    assert not report.wrote and report.cells_written == 0
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before


def test_a_row_with_five_problems_shows_all_five_and_the_other_rows_still_work(tmp_path, desk_factory):
    bad = {
        **NEW_COMPLAINT,
        "Ticket ID": "CS-BAD",
        "Received": "yesterday-ish",
        "Tier": "Bronze",
        "Status": "Closed",
        "Satisfaction": 11,
        "Affected customers": "many",
    }
    path = make_workbook(tmp_path / "desk.xlsx", rows=[bad, NEW_COMPLAINT])
    report = desk_factory(path).cycle(NOW)
    tickets = tickets_by_id(path)
    check = tickets["CS-BAD"]["Check"]
    for phrase in ('Received: "yesterday-ish" is not a date', 'Tier: "Bronze" is not an allowed value',
                   "Satisfaction: 11 is outside 1–10", 'Affected customers: "many" is not a whole number',
                   "Root cause is empty — a Closed ticket needs it"):
        assert phrase in check
    assert tickets["CS-BAD"]["Received"] == "yesterday-ish"  # what the person typed stays
    good = tickets["CS-20261123-0001"]
    assert good["Check"] is None and good["Grade"]
    assert report.problem_rows == 1


def test_check_messages_speak_chinese_in_a_chinese_workbook(tmp_path, desk_factory):
    row = {"渠道": "电话", "客户": "华东食品", "客户等级": "核心客户", "产品": "冷链箱", "问题类型": "产品质量",
           "问题描述": "箱盖破裂", "安全隐患": "否", "客户诉求": "换货", "状态": "新建", "满意度": 12}
    path = make_workbook(tmp_path / "desk.xlsx", language="zh", rows=[row])
    desk_factory(path).cycle(NOW)
    ticket = next(iter(tickets_by_id(path).values()))
    assert ticket["校验"] == "满意度：12 超出 1–10，请填写 1 到 10 的分数"
    assert ticket["SLA状态"] == "正常"


def test_people_sorting_inserting_and_moving_columns_keep_each_ticket_its_values(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", sample=12)
    desk = desk_factory(path)
    desk.cycle(NOW)
    before = tickets_by_id(path)

    workbook = openpyxl.load_workbook(path)
    worksheet = workbook.worksheets[0]
    rows = [list(row) for row in worksheet.iter_rows(min_row=2, values_only=True)]
    rows.sort(key=lambda row: str(row[3]), reverse=True)  # sort by Customer, descending
    rows.insert(3, [None] * len(rows[0]))  # an empty row in the middle
    header = [cell.value for cell in worksheet[1]]
    moved = header.index("Grade")
    for table in (rows, [header]):
        for row in table:
            row.insert(2, row.pop(moved))  # Grade moves to column C
    header[2] = "GRADE"  # and a person changes its case
    worksheet.delete_rows(1, worksheet.max_row)
    for row in [header, *rows]:
        worksheet.append(row)
    workbook.save(path)

    report = desk.cycle(NOW + timedelta(minutes=5))
    after = tickets_by_id(path)
    assert set(after) == set(before)
    for ticket_id, values in before.items():
        assert after[ticket_id]["GRADE"] == values["Grade"], ticket_id
        assert after[ticket_id]["Customer"] == values["Customer"]
        assert after[ticket_id]["Department"] == values["Department"]
    assert report.rows == len(before)


def test_new_rows_typed_later_get_the_next_numbers(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    desk = desk_factory(path)
    desk.cycle(NOW)
    append_rows(path, [{**NEW_COMPLAINT, "Customer": "Later Ltd"}])
    desk.cycle(NOW + timedelta(minutes=5))
    tickets = tickets_by_id(path)
    assert tickets["CS-20261123-0002"]["Customer"] == "Later Ltd"
    assert tickets["CS-20261123-0002"]["Received"] == datetime(2026, 11, 23, 10, 5)


def test_first_response_and_resolved_are_stamped_when_the_status_moves(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    desk = desk_factory(path)
    desk.cycle(NOW)
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook.worksheets[0]
    header = [cell.value for cell in worksheet[1]]
    worksheet.cell(row=2, column=header.index("Status") + 1, value="Resolved")
    workbook.save(path)
    desk.cycle(NOW + timedelta(hours=2))
    ticket = tickets_by_id(path)["CS-20261123-0001"]
    assert ticket["First response"] == datetime(2026, 11, 23, 12, 0)
    assert ticket["Resolved"] == datetime(2026, 11, 23, 12, 0)
    assert ticket["Follow-up due"] == datetime(2026, 11, 25, 12, 0)  # 48 real hours after Resolved


def test_a_dry_run_writes_nothing_and_reserves_no_numbers(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    before = path.read_bytes()
    desk = desk_factory(path)
    report = desk.cycle(NOW, dry_run=True)
    assert path.read_bytes() == before
    assert report.outcomes[0].grade
    desk.cycle(NOW)
    assert "CS-20261123-0001" in tickets_by_id(path)


def test_due_times_stay_put_while_time_passes_even_for_tickets_waiting_on_the_customer(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", sample=40)
    desk = desk_factory(path)
    desk.cycle(NOW)
    before = tickets_by_id(path)
    assert any(ticket["Status"] == "Waiting on customer" for ticket in before.values())
    desk.cycle(NOW + timedelta(minutes=5))
    desk.cycle(NOW + timedelta(minutes=10))
    after = tickets_by_id(path)
    for column in ("Response due", "Resolution due", "Follow-up due", "Grade", "Department", "Rules"):
        assert {key: row[column] for key, row in after.items()} == {key: row[column] for key, row in before.items()}


def test_a_wait_on_the_customer_moves_the_due_times_only_once_it_ends(tmp_path, desk_factory):
    routine = {**NEW_COMPLAINT, "Tier": "Standard", "Category": "Delivery"}
    path = make_workbook(tmp_path / "desk.xlsx", rows=[routine])
    desk = desk_factory(path)
    desk.cycle(NOW)
    due = tickets_by_id(path)["CS-20261123-0001"]["Resolution due"]
    set_status(path, "Waiting on customer")
    desk.cycle(NOW + timedelta(hours=1))
    desk.cycle(NOW + timedelta(hours=3))
    waiting = tickets_by_id(path)["CS-20261123-0001"]
    assert (waiting["Resolution due"], waiting["SLA"]) == (due, "paused")
    set_status(path, "Action")
    desk.cycle(NOW + timedelta(hours=4))
    assert tickets_by_id(path)["CS-20261123-0001"]["Resolution due"] == due + timedelta(hours=3)


def set_status(path, status):
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook.worksheets[0]
    header = [cell.value for cell in worksheet[1]]
    worksheet.cell(row=2, column=header.index("Status") + 1, value=status)
    workbook.save(path)
