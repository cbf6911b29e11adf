"""Form responses: a Google/Microsoft Forms responses tab in the same .xlsx becomes tickets, once each."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import openpyxl
import pytest

from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk
from sync.intake.channels import IntakeChannels
from sync.intake.forms import FormResponses
from sync.state import StateStore
from tests.sync.conftest import NOW, make_workbook, tickets_by_id

TAB = "Form Responses 1"
GOOGLE_HEADER = ["Timestamp", "Email Address", "Your name", "Product", "What happened", "Order number"]


def add_responses(path, header, rows, tab=TAB):
    workbook = openpyxl.load_workbook(path)
    if tab not in workbook.sheetnames:
        workbook.create_sheet(tab).append(header)
    sheet = workbook[tab]
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # the form stored the answer as text, as Google Forms does
    workbook.save(path)


def responses_tab(path):
    return [list(row) for row in openpyxl.load_workbook(path)[TAB].iter_rows(values_only=True)]


def a_desk(path, state_dir, aliases=None):
    state = StateStore(state_dir)
    channels = IntakeChannels(state, forms=FormResponses(state, TAB, aliases or {}))
    return Desk(XlsxBackend(path), state, intake=channels), state


@pytest.fixture
def workbook(tmp_path):
    path = make_workbook(tmp_path / "desk.xlsx")
    add_responses(path, GOOGLE_HEADER, [
        [datetime(2026, 11, 23, 9, 12), "amy@shop.example", "Amy", "Cold-chain box", "Lid cracked", "SO-1"],
        [datetime(2026, 11, 23, 9, 40), "bo@shop.example", "Bo", "Thermo bag", "=cmd|' /C calc'!A0", None],
    ])
    return path


def test_each_response_becomes_one_website_ticket_received_at_its_timestamp(workbook, tmp_path):
    desk, state = a_desk(workbook, tmp_path / "state")
    before = responses_tab(workbook)
    desk.cycle(NOW)
    tickets = sorted(tickets_by_id(workbook).values(), key=lambda row: row["Received"])
    assert [row["Customer"] for row in tickets] == ["Amy", "Bo"]
    assert tickets[0]["Channel"] == "Website" and tickets[0]["Received"] == datetime(2026, 11, 23, 9, 12)
    assert tickets[0]["Contact"] == "amy@shop.example" and tickets[0]["Order no."] == "SO-1"
    assert tickets[1]["Description"] == "=cmd|' /C calc'!A0"  # data, not a formula
    assert all(row["Source ref"].startswith("form:sha256:") for row in tickets)
    desk.cycle(NOW + timedelta(minutes=5))
    assert len(tickets_by_id(workbook)) == 2
    assert responses_tab(workbook) == before  # the responses tab is never written
    state.close()


def test_a_new_response_later_is_picked_up_and_the_old_ones_not_again(workbook, tmp_path):
    desk, state = a_desk(workbook, tmp_path / "state")
    desk.cycle(NOW)
    add_responses(workbook, GOOGLE_HEADER, [[datetime(2026, 11, 23, 10, 1), "cy@x.example", "Cy", "Box", "Dent", None]])
    desk.cycle(NOW + timedelta(minutes=5))
    assert sorted(row["Customer"] for row in tickets_by_id(workbook).values()) == ["Amy", "Bo", "Cy"]
    state.close()


def test_a_lost_state_dir_makes_no_second_ticket_thanks_to_the_source_ref_column(workbook, tmp_path):
    desk, state = a_desk(workbook, tmp_path / "state")
    desk.cycle(NOW)
    state.close()
    shutil.rmtree(tmp_path / "state")
    desk, state = a_desk(workbook, tmp_path / "state")
    desk.cycle(NOW + timedelta(minutes=5))
    assert len(tickets_by_id(workbook)) == 2
    state.close()


def test_columns_are_matched_by_header_and_a_response_id_keys_microsoft_forms(tmp_path):
    path = make_workbook(tmp_path / "desk.xlsx")
    header = ["ID", "Start time", "Completion time", "Email", "Name", "投诉内容", "产品"]
    add_responses(path, header, [[7, datetime(2026, 11, 23, 8, 0), datetime(2026, 11, 23, 8, 3), "d@x.example",
                                  "Dee", "开箱即坏", "Kettle"]])
    desk, state = a_desk(path, tmp_path / "state")
    desk.cycle(NOW)
    (row,) = tickets_by_id(path).values()
    assert row["Description"] == "开箱即坏" and row["Product"] == "Kettle" and row["Customer"] == "Dee"
    assert row["Received"] == datetime(2026, 11, 23, 8, 3) and row["Source ref"] == "form:formresponses1:7"
    state.close()


def test_an_unknown_question_stops_the_channel_with_a_message_on_rule_check(tmp_path):
    path = make_workbook(tmp_path / "desk.xlsx")
    add_responses(path, ["Timestamp", "Email Address", "What went wrong?"],
                  [[datetime(2026, 11, 23, 9, 0), "e@x.example", "Broken"]])
    desk, state = a_desk(path, tmp_path / "state")
    report = desk.cycle(NOW)
    assert tickets_by_id(path) == {} and report.rule_problems >= 1
    rule_check = [list(row) for row in openpyxl.load_workbook(path)["Rule check"].iter_rows(values_only=True)]
    problems = {row[1]: row[3] for row in rule_check if row[0] == TAB}
    assert '"What went wrong?" is not known' in problems["C1"] and "aliases" in problems["C1"]
    assert "no Description" in problems["1"]
    state.close()
    desk, state = a_desk(path, tmp_path / "state", aliases={"description": ["What went wrong?"]})
    desk.cycle(NOW + timedelta(minutes=5))
    assert [row["Description"] for row in tickets_by_id(path).values()] == ["Broken"]
    state.close()
