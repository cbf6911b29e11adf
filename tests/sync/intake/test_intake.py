"""The one intake function: complaints queued with a reserved number become Tickets rows, exactly once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk
from sync.intake import CHANNEL_EMAIL, CHANNEL_WEBSITE, Complaint, IntakeError, reserve_ticket_id, take_in
from sync.queued import CELL_TEXT_LIMIT
from sync.state import StateStore
from tests.sync.conftest import NEW_COMPLAINT, NOW, make_workbook, tickets_by_id


def a_complaint(**changes) -> Complaint:
    values = dict(channel=CHANNEL_EMAIL, received=NOW - timedelta(minutes=7), customer="Lin Wei",
                  contact="lin.wei@example.com", description="The lid cracked on delivery", language="en")
    values.update(changes)
    return Complaint(**values)


@pytest.fixture
def workbook(tmp_path):
    return make_workbook(tmp_path / "desk.xlsx")


@pytest.fixture
def state(tmp_path):
    store = StateStore(tmp_path / "state")
    yield store
    store.close()


@pytest.fixture
def desk(workbook, state, tmp_path):
    return Desk(XlsxBackend(workbook, backup_dir=tmp_path / "backups"), state)


def test_a_queued_complaint_becomes_a_row_with_its_reserved_number(desk, state, workbook):
    receipt = take_in(state, a_complaint())
    assert receipt.ticket_id == "CS-20261123-0001" and receipt.new
    report = desk.cycle(NOW)
    assert report.wrote and report.rows_appended == 1
    row = tickets_by_id(workbook)["CS-20261123-0001"]
    assert row["Channel"] == "Email" and row["Customer"] == "Lin Wei" and row["Contact"] == "lin.wei@example.com"
    assert row["Description"] == "The lid cracked on delivery"
    assert row["Received"] == (NOW - timedelta(minutes=7)).replace(tzinfo=None)
    assert row["Grade"] and row["Response due"]  # decided in the same cycle that appended it
    assert state.queued() == []


def test_the_next_cycle_appends_nothing_again(desk, state, workbook):
    take_in(state, a_complaint())
    desk.cycle(NOW)
    desk.cycle(NOW + timedelta(minutes=5))
    assert list(tickets_by_id(workbook)) == ["CS-20261123-0001"]


def test_the_same_source_taken_in_twice_is_one_ticket(desk, state, workbook):
    first = take_in(state, a_complaint(source_ref="<m1@example.com>"))
    again = take_in(state, a_complaint(source_ref="<m1@example.com>", description="redelivered"))
    assert again.ticket_id == first.ticket_id and not again.new
    desk.cycle(NOW)
    assert list(tickets_by_id(workbook)) == [first.ticket_id]
    assert tickets_by_id(workbook)[first.ticket_id]["Source ref"] == "<m1@example.com>"


def test_staff_rows_and_queued_complaints_never_share_a_number(tmp_path, state):
    path = make_workbook(tmp_path / "staff.xlsx", rows=[NEW_COMPLAINT])
    desk = Desk(XlsxBackend(path), state)
    queued = take_in(state, a_complaint())
    reserved = reserve_ticket_id(state, NOW)
    desk.cycle(NOW)
    numbers = list(tickets_by_id(path))
    assert sorted(numbers) == ["CS-20261123-0001", "CS-20261123-0003"]
    assert queued.ticket_id == "CS-20261123-0001" and reserved == "CS-20261123-0002"
    assert take_in(state, a_complaint(description="later")).ticket_id == "CS-20261123-0004"


def test_a_number_is_of_the_desks_day(state, desk):
    desk.cycle(NOW)  # publishes the Calendar's zone (Asia/Shanghai)
    late_evening_in_london = NOW.replace(hour=23, minute=30).astimezone(ZoneInfo("UTC")) - timedelta(hours=8)
    receipt = take_in(state, a_complaint(received=late_evening_in_london + timedelta(hours=1)))
    assert receipt.ticket_id.startswith("CS-20261123-")


def test_the_customers_words_stay_data_never_formulas(desk, state, workbook):
    words = ['=HYPERLINK("http://evil.example","click")', "+86 21 5555", "-1", "@SUM(A1)"]
    receipts = [take_in(state, a_complaint(description=text, customer=text)) for text in words]
    desk.cycle(NOW)
    sheet = openpyxl.load_workbook(workbook).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value}
    for receipt, text in zip(receipts, words, strict=True):
        cell = rows[receipt.ticket_id][header.index("Description")]
        assert cell.value == text and cell.data_type in ("s", "inlineStr")


def test_a_long_description_is_cut_and_kept_whole_in_the_state_dir(desk, state, workbook, tmp_path):
    text = "破损" * (CELL_TEXT_LIMIT // 2) + " the end"
    receipt = take_in(state, a_complaint(description=text))
    desk.cycle(NOW)
    cell = tickets_by_id(workbook)[receipt.ticket_id]["Description"]
    assert len(cell) <= CELL_TEXT_LIMIT and cell.startswith("破损破损")
    kept = tmp_path / "state" / "texts" / f"{receipt.ticket_id}.description.txt"
    assert kept.read_text(encoding="utf-8") == text and str(kept.relative_to(tmp_path / "state")) in cell


def test_characters_no_workbook_can_hold_are_dropped(desk, state, workbook):
    receipt = take_in(state, a_complaint(description="broken\x00 lid\x07\r\nsecond line"))
    desk.cycle(NOW)
    assert tickets_by_id(workbook)[receipt.ticket_id]["Description"] == "broken lid\nsecond line"


def test_a_deferred_write_keeps_the_complaint_queued(desk, state, workbook, tmp_path):
    receipt = take_in(state, a_complaint())
    lock = tmp_path / ".~lock.desk.xlsx#"
    lock.write_text("someone")
    assert desk.cycle(NOW).deferred
    assert [queued.ticket_id for queued in state.queued()] == [receipt.ticket_id]
    lock.unlink()
    desk.cycle(NOW + timedelta(minutes=5))
    assert list(tickets_by_id(workbook)) == [receipt.ticket_id] and state.queued() == []


def test_a_crash_after_the_append_before_the_acknowledgement_makes_no_second_row(desk, state, workbook, monkeypatch):
    receipt = take_in(state, a_complaint())

    def crash(*args):
        raise KeyboardInterrupt("killed after the write")

    monkeypatch.setattr(state, "mark_appended", crash)
    with pytest.raises(KeyboardInterrupt):
        desk.cycle(NOW)
    monkeypatch.undo()
    assert [queued.ticket_id for queued in state.queued()] == [receipt.ticket_id]
    desk.cycle(NOW + timedelta(minutes=5))
    assert list(tickets_by_id(workbook)) == [receipt.ticket_id] and state.queued() == []


def test_a_dry_run_shows_queued_complaints_and_appends_nothing(desk, state, workbook):
    take_in(state, a_complaint())
    report = desk.cycle(NOW, dry_run=True)
    assert report.rows == 1 and not report.wrote
    assert tickets_by_id(workbook) == {} and len(state.queued()) == 1


def test_a_form_response_shows_the_website_channel_in_the_workbooks_language(tmp_path, state):
    path = make_workbook(tmp_path / "zh.xlsx", language="zh")
    desk = Desk(XlsxBackend(path), state)
    receipt = take_in(state, a_complaint(channel=CHANNEL_WEBSITE, language="zh", description="盖子裂了"))
    desk.cycle(NOW)
    row = tickets_by_id(path)[receipt.ticket_id]
    assert row["渠道"] == "官网" and row["问题描述"] == "盖子裂了"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"description": "  "}, "needs a description"),
        ({"received": NOW.replace(tzinfo=None)}, "timezone"),
        ({"channel": "pigeon"}, "unknown channel"),
        ({"language": "fr"}, "unknown language"),
    ],
)
def test_a_complaint_that_cannot_be_a_ticket_is_refused_with_a_reason(state, changes, message):
    with pytest.raises(IntakeError, match=message):
        take_in(state, a_complaint(**changes))
    assert state.queued() == []


def test_a_known_customer_keeps_their_tier_and_a_new_one_gets_the_last_tier(tmp_path, state):
    known = {**NEW_COMPLAINT, "Contact": "buyer@harbour.example", "Tier": "Key"}
    path = make_workbook(tmp_path / "tiers.xlsx", rows=[known])
    desk = Desk(XlsxBackend(path), state)
    returning = take_in(state, a_complaint(contact="Buyer@Harbour.example"))
    stranger = take_in(state, a_complaint(contact="someone@else.example"))
    desk.cycle(NOW)
    rows = tickets_by_id(path)
    assert rows[returning.ticket_id]["Tier"] == "Key" and rows[stranger.ticket_id]["Tier"] == "Standard"
    assert rows[stranger.ticket_id]["Response due"]
    # A mailed complaint has no category yet: Check asks a person to choose one (the due times do not wait).
    assert rows[stranger.ticket_id]["Check"] == (
        "Category is empty — choose one of: Product quality, Safety, Function & usability, Delivery, Packaging, "
        "After-sales service, Service attitude, Billing, Other"
    )
