"""The fake Sheets API behaves like Google's where the backend depends on it."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from tests.sync.backends.gsheets.fake_sheets import FakeApiError, FakeSheets, parse_field_mask, parse_range

KEY = "fake-key"


@pytest.fixture
def fake():
    with FakeSheets() as server:
        server.create(KEY, tabs={"Tickets": [["Ticket ID", "Received", "Notes"],
                                             ["CS-1", datetime(2026, 11, 20, 9, 30), None],
                                             ["CS-2", None, "x"]],
                                 "It's mine": [["a", 1.0, True]]})
        yield server


def get(fake, path, **params):
    return requests.get(f"{fake.url}/v4/spreadsheets/{KEY}{path}", params=params, timeout=5)


def post(fake, path, body):
    return requests.post(f"{fake.url}/v4/spreadsheets/{KEY}{path}", json=body, timeout=5)


def test_batch_get_serves_unformatted_values_trimmed_with_blanks_as_empty_text(fake):
    body = get(fake, "/values:batchGet", ranges=["'Tickets'", "'It''s mine'!A1:C1"],
               valueRenderOption="UNFORMATTED_VALUE").json()
    tickets, mine = body["valueRanges"]
    assert tickets["values"] == [["Ticket ID", "Received", "Notes"], ["CS-1", 46346.395833333336], ["CS-2", "", "x"]]
    assert mine["values"] == [["a", 1, True]]


def test_formatted_values_show_dates_as_people_see_them(fake):
    body = get(fake, "/values:batchGet", ranges=["Tickets!B2"]).json()
    assert body["valueRanges"][0]["values"] == [["2026-11-20 09:30"]]


def test_raw_input_keeps_an_equals_sign_as_text_and_user_entered_makes_a_formula(fake):
    post(fake, "/values:batchUpdate", {"valueInputOption": "RAW", "data": [{"range": "Tickets!C2", "values": [["=1+1"]]}]})
    post(fake, "/values:batchUpdate", {"valueInputOption": "USER_ENTERED",
                                       "data": [{"range": "Tickets!C3", "values": [["=1+1"]]}]})
    sheet = fake.spreadsheets[KEY].sheet("Tickets")
    assert (sheet.cell(1, 2).value, sheet.cell(1, 2).formula) == ("=1+1", None)
    assert sheet.cell(2, 2).formula == "=1+1"


def test_a_batch_update_is_all_or_nothing(fake):
    sheet_id = fake.spreadsheets[KEY].sheet("Tickets").sheet_id
    answer = post(fake, ":batchUpdate", {"requests": [
        {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": 2},
                         "rows": [{"values": [{"userEnteredValue": {"stringValue": "written"}}]}],
                         "fields": "userEnteredValue"}},
        {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 26},
                         "rows": [{"values": [{"userEnteredValue": {"stringValue": "past the edge"}}]}],
                         "fields": "userEnteredValue"}},
    ]})
    assert answer.status_code == 400 and "exceeds grid limits" in answer.json()["error"]["message"]
    assert fake.spreadsheets[KEY].values("Tickets")[1] == ["CS-1", datetime(2026, 11, 20, 9, 30)]


def test_metadata_honours_the_field_mask_and_ranges(fake):
    body = get(fake, "", fields="properties.title,sheets.properties(sheetId,title)").json()
    assert body == {"properties": {"title": "Complaint desk"},
                    "sheets": [{"properties": {"sheetId": 1000, "title": "Tickets"}},
                               {"properties": {"sheetId": 1001, "title": "It's mine"}}]}
    ranged = get(fake, "", ranges="Tickets!A2:A3", fields="sheets(properties.title,data.rowData.values.effectiveValue)")
    assert ranged.json()["sheets"] == [{"properties": {"title": "Tickets"}, "data": [{"rowData": [
        {"values": [{"effectiveValue": {"stringValue": "CS-1"}}]},
        {"values": [{"effectiveValue": {"stringValue": "CS-2"}}]}]}]}]


def test_injected_failures_come_first_with_retry_after(fake):
    fake.fail_next(1, 429, retry_after="3")
    answer = get(fake, "")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "3"
    assert answer.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert get(fake, "").status_code == 200
    assert (fake.failed, fake.reads, fake.writes) == (1, 1, 0)


def test_a_person_acts_just_before_the_next_request_of_a_kind(fake):
    fake.before_next("write", lambda server: server.spreadsheets[KEY].person_types("Tickets", 2, 2, "person"))
    get(fake, "/values:batchGet", ranges=["Tickets"])
    assert fake.spreadsheets[KEY].values("Tickets")[2][2] == "x"
    post(fake, "/values:batchClear", {"ranges": ["'It''s mine'"]})
    assert fake.spreadsheets[KEY].values("Tickets")[2][2] == "person"


def test_a_person_sorts_rows_with_blanks_last_and_inserts_rows(fake):
    spreadsheet = fake.spreadsheets[KEY]
    spreadsheet.person_sorts("Tickets", "Notes")
    assert [row[0] for row in spreadsheet.values("Tickets")[1:]] == ["CS-2", "CS-1"]
    spreadsheet.person_inserts_row("Tickets", 1, ["CS-0"])
    assert [row[0] for row in spreadsheet.values("Tickets")[1:]] == ["CS-0", "CS-2", "CS-1"]


def test_a1_ranges_parse_like_googles():
    with FakeSheets() as fake:
        spreadsheet = fake.create(KEY, tabs={"My tab": [["a"]]})
        span = parse_range(spreadsheet, "'My tab'!B2:D")
        assert (span.start_row, span.start_column, span.end_row, span.end_column) == (1, 1, None, 4)
        assert parse_range(spreadsheet, "My tab").end_row is None
        assert parse_range(spreadsheet, "A1").bounded() == (0, 0, 1, 1)
        with pytest.raises(FakeApiError):
            parse_range(spreadsheet, "Nope!A1")


def test_field_masks_parse_nested_selections():
    assert parse_field_mask("a.b,c(d,e.f)") == {"a": {"b": {}}, "c": {"d": {}, "e": {"f": {}}}}
