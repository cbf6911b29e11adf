"""Form responses: a Google/Microsoft Forms responses tab in the same .xlsx becomes tickets, once each."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import openpyxl
import pytest

from mailers import MemoryTransport
from sheets_templates import build_spec
from sync.backends.gsheets.backend import GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk
from sync.intake.channels import IntakeChannels
from sync.intake.forms import FormResponses
from sync.intake.mailbox import CustomerSettings
from sync.state import StateStore
from tests.sync.backends.gsheets.fake_sheets import FakeSheets
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


# -- acknowledgements, and the channel on Google Sheets ---------------------------------------------------------


def an_acknowledging_desk(backend, state, sender="desk@desk.example", **customers):
    transport = MemoryTransport()
    channels = IntakeChannels(state, forms=FormResponses(state, TAB, {}), transport=transport,
                              customers=CustomerSettings(sender=sender, **customers))
    return Desk(backend, state, intake=channels), transport


def acknowledged(transport) -> list[tuple[str, str]]:
    return [(message["To"].addresses[0].addr_spec, str(message["Subject"])) for message in transport.sent]


def test_a_response_with_an_email_is_acknowledged_once_with_its_number(workbook, tmp_path):
    state = StateStore(tmp_path / "state")
    desk, transport = an_acknowledging_desk(XlsxBackend(workbook), state)
    desk.cycle(NOW)
    desk.cycle(NOW + timedelta(minutes=5))
    by_contact = {row["Contact"]: ticket_id for ticket_id, row in tickets_by_id(workbook).items()}
    assert sorted(acknowledged(transport)) == sorted([
        ("amy@shop.example", f"[{by_contact['amy@shop.example']}] We received your complaint: Lid cracked"),
        ("bo@shop.example", f"[{by_contact['bo@shop.example']}] We received your complaint: =cmd|' /C calc'!A0"),
    ])
    (amy,) = [message for message in transport.sent if "amy@" in str(message["To"])]
    assert amy["Auto-Submitted"] == "auto-replied" and amy["In-Reply-To"] is None
    assert f"registered as ticket {by_contact['amy@shop.example']}" in amy.get_content()
    state.close()


def test_responses_follow_the_per_sender_limit_and_never_acknowledge_the_desks_own_people(tmp_path):
    path = make_workbook(tmp_path / "desk.xlsx")
    add_responses(path, GOOGLE_HEADER, [
        [datetime(2026, 11, 23, 9, minute), "amy@shop.example", "Amy", "Box", f"Dent {minute}", None]
        for minute in range(4)
    ] + [
        [datetime(2026, 11, 23, 9, 30), "lucy.wang@example.com", "Lucy", "Box", "Forwarded", None],  # a liaison
        [datetime(2026, 11, 23, 9, 31), "desk@desk.example", "Desk", "Box", "Typed by the desk", None],
        [datetime(2026, 11, 23, 9, 32), "+86 21 5555", "Phone only", "Box", "Call me", None],
    ])
    state = StateStore(tmp_path / "state")
    desk, transport = an_acknowledging_desk(XlsxBackend(path), state, ack_per_sender_per_hour=2)
    desk.cycle(NOW)
    assert len(tickets_by_id(path)) == 7
    assert [to for to, _ in acknowledged(transport)] == ["amy@shop.example"] * 2
    state.close()


def test_the_forms_channel_on_a_google_sheet_never_writes_the_responses_tab(tmp_path, monkeypatch):
    with FakeSheets() as fake:
        monkeypatch.setenv(EMULATOR_VARIABLE, fake.url)
        spreadsheet = fake.create("forms-desk")
        GSheetsBackend("forms-desk").lay_out(build_spec("en", now=NOW.replace(tzinfo=None), seed=7))
        spreadsheet.load(TAB, [GOOGLE_HEADER,
                               [datetime(2026, 11, 23, 9, 12), "amy@shop.example", "Amy", "Box", "Lid cracked", "SO-1"],
                               [datetime(2026, 11, 23, 9, 40), "bo@shop.example", "Bo", "Bag", "=1+1", None]])
        before = spreadsheet.values(TAB)
        state = StateStore(tmp_path / "state")
        desk, transport = an_acknowledging_desk(GSheetsBackend("forms-desk", retry_budget_seconds=2), state)
        try:
            desk.cycle(NOW)
            desk.cycle(NOW + timedelta(minutes=5))
        finally:
            state.close()
        tickets = spreadsheet.values("Tickets")
        header = tickets[0]
        rows = [dict(zip(header, row, strict=False)) for row in tickets[1:] if any(row)]
        assert sorted(row["Customer"] for row in rows) == ["Amy", "Bo"]
        assert {row["Channel"] for row in rows} == {"Website"}
        assert [row["Description"] for row in rows if row["Customer"] == "Bo"] == ["=1+1"]  # text, not a formula
        assert all(str(row["Source ref"]).startswith("form:sha256:") for row in rows)
        assert spreadsheet.values(TAB) == before  # the responses tab is never written
        assert sorted(to for to, _ in acknowledged(transport)) == ["amy@shop.example", "bo@shop.example"]
