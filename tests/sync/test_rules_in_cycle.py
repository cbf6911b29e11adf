"""Rule tabs edited by people drive the computed columns on the next cycle; bad tabs are reported, not applied."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta

import openpyxl
import pytest

from sheets_templates import build_spec
from sync.backends.port import Snapshot
from sync.rule_loading import load_rules
from sync.state import StateStore
from sync.workbook import WorkbookView
from tests.sync.conftest import NEW_COMPLAINT, NOW, make_workbook, tickets_by_id
from tickets import parse_calendar

SAFETY_COMPLAINT = {**NEW_COMPLAINT, "Customer": "Marina Hotel", "Safety risk": "yes"}


def edit(path, tab, row, column, value):
    workbook = openpyxl.load_workbook(path)
    workbook[tab].cell(row=row, column=column, value=value)
    workbook.save(path)


def find_cell(path, tab, text):
    worksheet = openpyxl.load_workbook(path)[tab]
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(f"{text!r} not on {tab}")


def rule_check(path):
    workbook = openpyxl.load_workbook(path)
    return [[value for value in row] for row in workbook["Rule check"].iter_rows(values_only=True)]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_templates_rule_tabs_have_no_problems(language, tmp_path):
    spec = build_spec(language)
    snapshot = Snapshot({tab.name: _sheet(tab) for tab in spec.tabs})
    view = WorkbookView.of(snapshot)
    state = StateStore(tmp_path)
    loaded = load_rules(view, state, NOW)
    assert [problem.render(language) for problem in loaded.problems] == []
    assert loaded.not_applied == {} and loaded.missing == []
    calendar, problems = parse_calendar(view.rows("calendar"))
    assert problems == []
    assert str(calendar.zone) == "Asia/Shanghai"
    state.close()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_daemon_restores_the_drop_downs_the_template_made_from_the_same_lists_ranges(language, tmp_path):
    from tickets import COLUMNS_BY_KEY, TICKET_COLUMNS

    spec = build_spec(language)
    view = WorkbookView.of(Snapshot({tab.name: _sheet(tab) for tab in spec.tabs}))
    state = StateStore(tmp_path)
    try:
        daemon = load_rules(view, state, NOW).dropdowns(view)
    finally:
        state.close()
    [tickets] = [tab for tab in spec.tabs if tab.key == "tickets"]
    template = {TICKET_COLUMNS[column].key: source for column, source in tickets.dropdowns.items()}
    assert daemon and {key: template[key] for key in daemon} == daemon
    assert all(COLUMNS_BY_KEY[key].choices for key in daemon)
    assert all(source.endswith("$200") for source in daemon.values())


def _sheet(tab):
    from sync.backends.port import Sheet

    return Sheet(tab.name, [list(row) for row in tab.rows])


def test_editing_a_rule_cell_changes_the_computed_columns_on_the_next_cycle(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    desk = desk_factory(path)
    desk.cycle(NOW)
    assert tickets_by_id(path)["CS-20261123-0001"]["Grade"] == "Urgent"  # a core customer's quality problem
    row, column = find_cell(path, "Grade rules", "Urgent")
    edit(path, "Grade rules", row, column, "Critical")
    desk.cycle(NOW + timedelta(minutes=5))
    ticket = tickets_by_id(path)["CS-20261123-0001"]
    assert ticket["Grade"] == "Critical"
    assert ticket["Response due"] == datetime(2026, 11, 23, 11, 0)  # Critical: 1 h on the 24x7 clock


def test_a_mistyped_rule_header_is_reported_with_its_cell_and_the_other_tabs_keep_serving(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    desk = desk_factory(path)
    desk.cycle(NOW)
    before = tickets_by_id(path)["CS-20261123-0001"]
    row, column = find_cell(path, "Owner rules", "IF Category")
    edit(path, "Owner rules", row, column, "IF Categroy")
    edit(path, "Grade rules", *find_cell(path, "Grade rules", "Urgent"), "Critical")
    report = desk.cycle(NOW + timedelta(minutes=5))
    lines = rule_check(path)
    cell = f"{openpyxl.utils.get_column_letter(column)}{row}"
    assert any(line[0] == "Owner rules" and line[1] == cell and "did you mean" in line[3] and "Category" in line[3]
               for line in lines), lines
    assert any("last good version is used" in (line[3] or "") for line in lines)
    after = tickets_by_id(path)["CS-20261123-0001"]
    assert after["Department"] == before["Department"]  # the last good Owner rules still serve
    assert after["Grade"] == "Critical"  # and the Grade rules edit took effect
    assert report.rule_problems >= 1


def test_a_bad_rule_tab_with_no_good_version_leaves_its_columns_blank_with_a_warning(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    edit(path, "Owner rules", *find_cell(path, "Owner rules", "IF Category"), "IF Categroy")
    desk_factory(path).cycle(NOW)
    ticket = tickets_by_id(path)["CS-20261123-0001"]
    assert ticket["Department"] is None
    assert "⚠" in ticket["Check"] and "Owner rules" in ticket["Check"]
    assert ticket["Grade"] == "Urgent"


def test_saved_workbook_colours_overdue_rows_over_the_whole_table(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT, SAFETY_COMPLAINT])
    desk = desk_factory(path)
    desk.cycle(NOW)
    desk.cycle(NOW + timedelta(hours=3))  # the safety ticket is now overdue
    assert tickets_by_id(path)["CS-20261123-0002"]["SLA"] == "overdue"
    worksheet = openpyxl.load_workbook(path)["Tickets"]
    header = [cell.value for cell in worksheet[1]]
    sla_letter = openpyxl.utils.get_column_letter(header.index("SLA") + 1)
    rules = [(str(conditional.sqref), rule) for conditional in worksheet.conditional_formatting for rule in conditional.rules]
    overdue = [(ranges, rule) for ranges, rule in rules if f'${sla_letter}2="overdue"' in rule.formula[0]]
    assert overdue, rules
    ranges, rule = overdue[0]
    assert ranges.startswith("A2:") and ranges.endswith("1048576")  # the whole table, so rows keep colours when sorted
    assert rule.dxf.fill.fgColor.rgb.endswith("F4CCCC") or rule.dxf.fill.bgColor.rgb.endswith("F4CCCC")


def test_formatting_a_person_removed_is_applied_again(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    desk = desk_factory(path)
    desk.cycle(NOW)
    workbook = openpyxl.load_workbook(path)
    workbook["Tickets"].conditional_formatting._cf_rules.clear()
    workbook.save(path)
    assert "sheetdesk SLA=" not in _sheet_xml(path)
    desk.cycle(NOW + timedelta(minutes=5))
    assert "sheetdesk SLA=" in _sheet_xml(path)


def _sheet_xml(path):
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def test_waiting_on_the_customer_for_two_working_days_moves_due_times_back_by_that(tmp_path, desk_factory):
    routine = {**NEW_COMPLAINT, "Tier": "Standard", "Category": "Delivery"}
    path = make_workbook(tmp_path / "desk.xlsx", rows=[routine])
    desk = desk_factory(path)
    desk.cycle(NOW)
    first = tickets_by_id(path)["CS-20261123-0001"]
    status = find_cell(path, "Tickets", "New")
    edit(path, "Tickets", *status, "Waiting on customer")
    desk.cycle(NOW + timedelta(minutes=30))  # Monday 10:30: the wait starts
    edit(path, "Tickets", *status, "Investigating")
    desk.cycle(NOW + timedelta(days=2, minutes=30))  # Wednesday 10:30: two working days later
    after = tickets_by_id(path)["CS-20261123-0001"]
    assert after["Resolution due"] - first["Resolution due"] >= timedelta(days=2)
    from tickets import BusinessCalendar, Clock

    calendar = BusinessCalendar()
    moved = calendar.hours_between(first["Resolution due"], after["Resolution due"], Clock.BUSINESS)
    assert moved == pytest.approx(18.0)  # two working days of 9 hours
