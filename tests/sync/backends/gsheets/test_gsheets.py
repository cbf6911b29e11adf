"""The gsheets backend through gspread's real client, against the local fake Sheets API (the emulator switch)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from sync.backends.gsheets.backend import SCOPES, GSheetsBackend, load_credentials
from sync.backends.gsheets.http import EMULATOR_VARIABLE, RetryPolicy
from sync.backends.port import CellWrite, ChangeSet, Chart, FormattingSpec, GeneratedTab, RowRef, Snapshot
from sync.errors import ConfigError, WorkbookError
from tests.sync.backends.gsheets.fake_sheets import FakeSheets
from tickets import TICKET_COLUMNS, column_letter, match_headers

KEY = "desk-key"
HEADER = [column.en for column in TICKET_COLUMNS]
LABELS = {"overdue": "overdue", "due_soon": "due soon", "paused": "paused", "closed": "closed"}


def ticket_rows(count: int) -> list[list]:
    """A Tickets tab of ``count`` tickets with every column, computed columns blank."""
    rows = [list(HEADER)]
    start = datetime(2026, 11, 1, 9, 0)
    for number in range(1, count + 1):
        row = [None] * len(HEADER)
        row[HEADER.index("Ticket ID")] = f"CS-{number:05d}"
        row[HEADER.index("Received")] = start + timedelta(minutes=7 * number)
        row[HEADER.index("Customer")] = f"Customer {number % 37}"
        row[HEADER.index("Status")] = "New"
        rows.append(row)
    return rows


def workbook(count: int = 5) -> dict[str, list[list]]:
    return {
        "Tickets": ticket_rows(count),
        "Lists": [["Tier", "Category"], ["Gold", "Quality"], ["Silver", "Delivery"]],
    }


def grades_for(snapshot: Snapshot, grade: str = "P2") -> ChangeSet:
    """A grade and a response due for every ticket, as the engine would ask."""
    rows = snapshot.sheets["Tickets"].rows
    positions = match_headers(rows[0]).positions
    changes = ChangeSet("Tickets", columns=positions)
    for index, row in enumerate(rows[1:], start=1):
        ticket_id = row[positions["ticket_id"]]
        changes.cells.append(CellWrite(RowRef(index, ticket_id), "grade", f"{grade} {ticket_id}"))
        changes.cells.append(CellWrite(RowRef(index, ticket_id), "response_due", datetime(2026, 12, 1, 17, 45)))
    return changes


def column_of(spreadsheet, tab: str, header: str) -> dict[str, object]:
    """``{Ticket ID: value}`` of one column, read from the fake's state."""
    rows = spreadsheet.values(tab)
    id_position, position = rows[0].index("Ticket ID"), rows[0].index(header)
    return {row[id_position]: (row[position] if position < len(row) else None) for row in rows[1:] if row}


@pytest.fixture
def fake(monkeypatch):
    with FakeSheets() as server:
        monkeypatch.setenv(EMULATOR_VARIABLE, server.url)
        yield server


@pytest.fixture
def desk(fake):
    """A spreadsheet of five tickets on the fake, and a backend over it."""
    spreadsheet = fake.create(KEY, tabs=workbook())
    return spreadsheet, GSheetsBackend(KEY, retry_budget_seconds=2)


# -- reading ------------------------------------------------------------------------------------------------------


def test_it_reads_values_unformatted_with_dates_as_serial_numbers(desk):
    _, backend = desk
    rows = backend.read().sheets["Tickets"].rows
    received = rows[1][HEADER.index("Received")]
    assert isinstance(received, float) and received == pytest.approx(46327.379861, abs=1e-5)
    assert rows[1][HEADER.index("Ticket ID")] == "CS-00001"


def test_blank_cells_inside_a_row_read_as_none(fake):
    fake.create(KEY, tabs={"Tickets": [["Ticket ID", "Customer", "Notes"], ["CS-1", "", "x"]]})
    rows = GSheetsBackend(KEY).read().sheets["Tickets"].rows
    assert rows[1] == ["CS-1", None, "x"]


def test_describe_names_the_spreadsheet_title_and_key(desk):
    _, backend = desk
    assert backend.describe() == f"Google Sheet {KEY}"
    backend.read()
    assert backend.describe() == f"Google Sheet 'Complaint desk' ({KEY})"


def test_a_full_read_and_a_values_read_give_the_same_snapshot(desk):
    _, backend = desk
    first = backend.read()  # the start-up read carries metadata
    second = backend.read()  # the light read: values and formulas, no metadata
    assert first.sheets == second.sheets


def test_a_tab_renamed_between_cycles_is_found_by_falling_back_to_a_full_read(desk, fake):
    spreadsheet, backend = desk
    backend.read()
    spreadsheet.sheet("Lists").title = "Options"
    assert set(backend.read().sheets) == {"Tickets", "Options"}


# -- request budget (DESIGN §8) -----------------------------------------------------------------------------------


@pytest.mark.parametrize("tickets", [100, 1000])
def test_a_writing_cycle_costs_at_most_four_requests_whatever_the_row_count(fake, tickets):
    fake.create(KEY, tabs=workbook(tickets))
    backend = GSheetsBackend(KEY, metadata_every=3)
    backend.read()  # start-up: open_by_key and a full read
    fake.reset_counts()
    per_cycle = []
    for cycle in range(6):
        reads, writes = fake.reads, fake.writes
        snapshot = backend.read()
        backend.apply(grades_for(snapshot, grade=f"P{cycle}"), snapshot)
        per_cycle.append((fake.reads - reads, fake.writes - writes))
    assert per_cycle == [(3, 1)] * 6  # the read, the re-read, the write and the read-back proving it landed


def test_a_cycle_with_nothing_to_write_sends_no_write(desk, fake):
    _, backend = desk
    backend.read()
    fake.reset_counts()
    for _ in range(8):  # includes reads that also fetch metadata
        snapshot = backend.read()
        backend.apply(ChangeSet("Tickets", columns=match_headers(snapshot.sheets["Tickets"].rows[0]).positions), snapshot)
    assert (fake.reads, fake.writes) == (8, 0)


def test_the_backend_counts_requests_as_the_server_sees_them(desk, fake):
    _, backend = desk
    snapshot = backend.read()
    backend.apply(grades_for(snapshot), snapshot)
    assert (backend.counts.reads, backend.counts.writes) == (fake.reads, fake.writes) == (4, 1)


# -- writing ------------------------------------------------------------------------------------------------------


def test_a_write_too_big_for_one_request_goes_in_consecutive_parts(desk, fake, monkeypatch):
    import sync.backends.gsheets.backend

    spreadsheet, backend = desk
    monkeypatch.setattr(sync.backends.gsheets.backend, "MAX_WRITE_BYTES", 400)
    snapshot = backend.read()
    changes = grades_for(snapshot)
    changes.tabs["Dashboard"] = GeneratedTab([["KPI", "Value"], ["open", 5]])
    writes = fake.writes
    backend.apply(changes, snapshot)
    assert fake.writes - writes > 1
    assert column_of(spreadsheet, "Tickets", "Grade") == {f"CS-{n:05d}": f"P2 CS-{n:05d}" for n in range(1, 6)}
    assert spreadsheet.values("Dashboard") == [["KPI", "Value"], ["open", 5]]


def test_datetimes_are_written_as_serial_numbers_with_a_date_time_format(desk):
    spreadsheet, backend = desk
    snapshot = backend.read()
    backend.apply(grades_for(snapshot), snapshot)
    cell = spreadsheet.sheet("Tickets").cell(1, HEADER.index("Response due"))
    assert cell.number_format == {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"}
    assert column_of(spreadsheet, "Tickets", "Response due")["CS-00001"] == datetime(2026, 12, 1, 17, 45)


def test_text_starting_with_equals_is_stored_as_text_not_as_a_formula(desk):
    spreadsheet, backend = desk
    snapshot = backend.read()
    positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
    changes = ChangeSet("Tickets", columns=positions, cells=[CellWrite(RowRef(1, "CS-00001"), "check", "=SUM(A1)")])
    backend.apply(changes, snapshot)
    cell = spreadsheet.sheet("Tickets").cell(1, positions["check"])
    assert (cell.value, cell.formula) == ("=SUM(A1)", None)


def test_a_person_sorting_and_inserting_between_read_and_write_loses_nothing(desk, fake):
    spreadsheet, backend = desk
    snapshot = backend.read()

    def person(server: FakeSheets) -> None:
        sheet = server.spreadsheets[KEY]
        sheet.person_sorts("Tickets", "Customer", descending=True)
        sheet.person_inserts_row("Tickets", 2, ["CS-NEW", None, None, "Newcomer"])
        sheet.person_types("Tickets", 4, HEADER.index("Grade"), None)
        sheet.person_types("Tickets", 3, HEADER.index("Notes"), "typed while the daemon computed")

    fake.before_next("read", person)  # runs just before the re-read in apply
    typed = spreadsheet.values("Tickets")
    backend.apply(grades_for(snapshot), snapshot)
    grades = column_of(spreadsheet, "Tickets", "Grade")
    assert {key: value for key, value in grades.items() if value} == {
        f"CS-{number:05d}": f"P2 CS-{number:05d}" for number in range(1, 6)}
    assert grades["CS-NEW"] is None
    after = spreadsheet.values("Tickets")
    assert "typed while the daemon computed" in after[3]
    assert len(after) == len(typed) + 1


def test_a_stamp_into_an_input_cell_a_person_filled_meanwhile_is_dropped(desk, fake):
    spreadsheet, backend = desk
    snapshot = backend.read()
    positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
    changes = ChangeSet("Tickets", columns=positions)
    changes.cells.append(CellWrite(RowRef(2, "CS-00002"), "first_response", datetime(2026, 11, 2, 8, 0)))
    fake.before_next("read", lambda server: server.spreadsheets[KEY].person_types(
        "Tickets", 2, positions["first_response"], "called them"))
    backend.apply(changes, snapshot)
    assert column_of(spreadsheet, "Tickets", "First response")["CS-00002"] == "called them"


def test_a_column_added_past_the_grid_edge_grows_the_grid(fake):
    rows = [HEADER[:26], ["CS-1"] + [None] * 25]
    spreadsheet = fake.create(KEY, tabs={"Tickets": rows})
    spreadsheet.sheet("Tickets").column_count = 26
    backend = GSheetsBackend(KEY)
    snapshot = backend.read()
    positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
    changes = ChangeSet("Tickets", columns=positions, add_columns={"sla": "SLA", "check": "Check"})
    changes.cells.append(CellWrite(RowRef(1, "CS-1"), "check", "Tier is blank"))
    backend.apply(changes, snapshot)
    assert spreadsheet.values("Tickets")[0][26:] == ["SLA", "Check"]
    assert spreadsheet.values("Tickets")[1][27] == "Tier is blank"


def test_generated_tabs_carry_their_charts_and_are_replaced_whole(desk):
    spreadsheet, backend = desk
    chart = Chart("bar", "Open by grade", "E2", header_row=0, first_row=1, last_row=3)
    dashboard = GeneratedTab([["Grade", "Open"], ["P1", 2], ["P2", 5], ["P3", 1]], charts=[chart], widths=[12, 8])
    snapshot = backend.read()
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": dashboard}), snapshot)
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": GeneratedTab([["Grade", "Open"], ["P1", 1]], [chart])}),
                  backend.read())
    sheet = spreadsheet.sheet("Dashboard")
    assert spreadsheet.values("Dashboard") == [["Grade", "Open"], ["P1", 1]]
    assert len(sheet.charts) == 1
    basic = sheet.charts[0]["spec"]["basicChart"]
    assert basic["chartType"] == "COLUMN"
    assert basic["series"][0]["series"]["sourceRange"]["sources"][0]["startColumnIndex"] == 1
    assert sheet.charts[0]["position"]["overlayPosition"]["anchorCell"] == {
        "sheetId": sheet.sheet_id, "rowIndex": 1, "columnIndex": 4}
    assert sheet.column_widths[0] == 12 * 7 + 5


def test_a_dashboard_shows_shares_as_percent_and_headings_bold_and_a_rewrite_drops_stale_formats(desk):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sync.tabs.dashboard import build_dashboard
    from tests.sync.tabs.test_dashboard import sample_kpis

    spreadsheet, backend = desk
    now = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    tab = build_dashboard(sample_kpis(), "en", now)
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": tab}), backend.read())
    sheet = spreadsheet.sheet("Dashboard")
    share = next(index for index, row in enumerate(tab.rows) if row and row[0] == "First response on time")
    assert spreadsheet.values("Dashboard")[share][:4] == ["First response on time", 0.6667, 2, 3]
    assert sheet.cell(share, 1).number_format == {"type": "PERCENT", "pattern": "0.0%"}
    assert sheet.cell(share - 1, 1).number_format is None  # the ticket total above it is a count
    figures = next(index for index, row in enumerate(tab.rows) if row and row[0] == "Key figures")
    assert sheet.cell(figures, 0).format["textFormat"] == {"bold": True}
    assert sheet.cell(figures + 1, 2).format["textFormat"] == {"bold": True}
    assert "textFormat" not in sheet.cell(share, 0).format
    repeat = next(index for index, row in enumerate(tab.rows) if row and str(row[0]).startswith("Repeat complaints"))
    assert sheet.cell(repeat, 0).format["wrapStrategy"] == "WRAP"  # the long label shows whole
    assert sheet.cell(share, 4).format["horizontalAlignment"] == "CENTER"  # the target stands apart from "Out of"
    assert list(spreadsheet.tabs())[:2] == ["Tickets", "Dashboard"] and len(spreadsheet.tabs()) > 2
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": GeneratedTab([["Plain"], ["row"], ["rows"]])}), backend.read())
    sheet = spreadsheet.sheet("Dashboard")
    assert "textFormat" not in sheet.cell(figures, 0).format
    assert sheet.cell(share, 1).number_format is None


def test_a_rejected_write_writes_nothing_and_is_deferred(desk, fake):
    from sync.errors import WriteDeferred

    spreadsheet, backend = desk
    snapshot = backend.read()
    changes = grades_for(snapshot)
    changes.tabs["Dashboard"] = GeneratedTab([["KPI"]])
    spreadsheet.add_sheet("Dashboard")  # a person made one by hand; the backend's metadata does not know yet
    before = spreadsheet.tabs()
    with pytest.raises(WriteDeferred, match="already exists"):
        backend.apply(changes, snapshot)
    assert spreadsheet.tabs() == before
    snapshot = backend.read()  # after a rejected write the next read fetches metadata: it sees the new tab
    backend.apply(changes, snapshot)
    assert column_of(spreadsheet, "Tickets", "Grade")["CS-00001"] == "P2 CS-00001"
    assert spreadsheet.values("Dashboard") == [["KPI"]]


# -- formatting ---------------------------------------------------------------------------------------------------


def test_formatting_rules_follow_the_sla_and_check_columns_over_the_whole_table(desk):
    spreadsheet, backend = desk
    snapshot = backend.read()
    assert snapshot.formatting_ok is False
    positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
    spec = FormattingSpec(LABELS, {"status": "Lists!$A$2:$A$3"})
    backend.apply(ChangeSet("Tickets", columns=positions, formatting=spec), snapshot)
    rules = spreadsheet.sheet("Tickets").conditional_formats
    formulas = [rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for rule in rules]
    sla, check = column_letter(positions["sla"]), column_letter(positions["check"])
    assert formulas[0] == f'=AND(LEN(${check}2)>0,N("sheetdesk SLA={sla} Check={check}")=0)'
    assert f'=AND(TRIM(${sla}2)="overdue",N("sheetdesk SLA={sla} Check={check}")=0)' in formulas
    assert len(rules) == 5
    assert all(rule["ranges"] == [{"sheetId": spreadsheet.sheet("Tickets").sheet_id, "startRowIndex": 1,
                                   "startColumnIndex": 0}] for rule in rules)
    validation = spreadsheet.sheet("Tickets").cell(3, positions["status"]).validation
    assert validation["condition"] == {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "=Lists!$A$2:$A$3"}]}
    assert backend.read().formatting_ok is True


def test_formatting_is_applied_again_without_piling_up_rules(desk):
    spreadsheet, backend = desk
    for _ in range(3):
        snapshot = backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        backend.apply(ChangeSet("Tickets", columns=positions, formatting=FormattingSpec(LABELS)), snapshot)
    assert len(spreadsheet.sheet("Tickets").conditional_formats) == 5


def test_a_person_removing_the_rules_is_noticed_at_the_next_read_carrying_metadata(fake):
    spreadsheet = fake.create(KEY, tabs=workbook())
    backend = GSheetsBackend(KEY, metadata_every=2)
    snapshot = backend.read()
    positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
    backend.apply(ChangeSet("Tickets", columns=positions, formatting=FormattingSpec(LABELS)), snapshot)
    spreadsheet.person_clears_conditional_formats("Tickets")
    seen = [backend.read().formatting_ok for _ in range(2)]
    assert seen == [True, False]  # the first read is a plain values read; the second carries metadata


def test_a_person_removing_a_drop_down_is_noticed(fake):
    spreadsheet = fake.create(KEY, tabs=workbook())
    backend = GSheetsBackend(KEY, metadata_every=1)
    snapshot = backend.read()
    positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
    spec = FormattingSpec(LABELS, {"tier": "Lists!$A$2:$A$3"})
    backend.apply(ChangeSet("Tickets", columns=positions, formatting=spec), snapshot)
    assert backend.read().formatting_ok is True
    spreadsheet.sheet("Tickets").cell(1, positions["tier"]).validation = None
    assert backend.read().formatting_ok is False


def test_moving_the_sla_column_makes_the_rules_stale(desk):
    spreadsheet, backend = desk
    snapshot = backend.read()
    positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
    backend.apply(ChangeSet("Tickets", columns=positions, formatting=FormattingSpec(LABELS)), snapshot)
    for row in spreadsheet.sheet("Tickets").rows:  # a person drags SLA to the front
        row.insert(0, row.pop(positions["sla"]) if positions["sla"] < len(row) else None)
    assert backend.read().formatting_ok is False


# -- links, lay-out, credentials ----------------------------------------------------------------------------------


def test_row_link_points_at_the_ticket_row_as_last_read(desk):
    spreadsheet, backend = desk
    assert backend.row_link("CS-00003") is None
    backend.read()
    gid = spreadsheet.sheet("Tickets").sheet_id
    assert backend.row_link("CS-00003") == f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid={gid}&range=A4"
    assert backend.row_link("CS-404") is None


def test_lay_out_puts_template_tabs_into_a_new_spreadsheet(fake):
    spreadsheet = fake.create(KEY)  # Google's new spreadsheet: one empty Sheet1
    tab = SimpleNamespace(name="Tickets", rows=[["Ticket ID", "Tier"], ["CS-1", "Gold"]], widths=[18, 10],
                          frozen_rows=1, autofilter=True, dropdowns={1: "Lists!$A$2:$A$3"}, fills={(0, 1): "D9EAD3"},
                          bold_header=True, bold_rows=[1])
    lists = SimpleNamespace(name="Lists", rows=[["Tier"], ["Gold"], ["Silver"]], widths=[], frozen_rows=0,
                            autofilter=False, dropdowns={}, fills={}, bold_header=False)
    GSheetsBackend(KEY).lay_out(SimpleNamespace(tabs=[tab, lists]))
    assert [sheet.title for sheet in spreadsheet.sheets] == ["Tickets", "Lists"]
    sheet = spreadsheet.sheet("Tickets")
    assert sheet.values() == [["Ticket ID", "Tier"], ["CS-1", "Gold"]]
    assert sheet.frozen_rows == 1 and sheet.basic_filter is not None
    assert sheet.cell(1, 1).validation["condition"]["type"] == "ONE_OF_RANGE"
    assert sheet.cell(0, 1).format["backgroundColor"]["green"] == pytest.approx(0xEA / 255)
    assert sheet.cell(0, 0).format["textFormat"] == sheet.cell(1, 1).format["textFormat"] == {"bold": True}


def test_lay_out_never_overwrites_an_existing_tab(desk):
    spreadsheet, backend = desk
    tab = SimpleNamespace(name="Tickets", rows=[["Ticket ID"]], widths=[], frozen_rows=0, autofilter=False,
                          dropdowns={}, fills={}, bold_header=True)
    with pytest.raises(WorkbookError, match="already has the tab"):
        backend.lay_out(SimpleNamespace(tabs=[tab]))
    assert spreadsheet.values("Tickets")[1][0] == "CS-00001"


def test_the_real_template_lays_out_and_reads_back(fake):
    templates = pytest.importorskip("sheets_templates")
    spreadsheet = fake.create(KEY)
    backend = GSheetsBackend(KEY)
    backend.lay_out(templates.build_spec("en", sample=8))
    snapshot = backend.read()
    assert snapshot.sheets["Tickets"].rows[0] == HEADER
    assert len(snapshot.sheets["Tickets"].rows) == 9
    assert spreadsheet.sheet("Tickets").column_count >= len(HEADER)


def test_an_unknown_spreadsheet_is_a_workbook_error_naming_the_setting(fake):
    with pytest.raises(WorkbookError, match=r"\[workbook\] spreadsheet"):
        GSheetsBackend("no-such-key").read()


def test_no_access_tells_to_share_the_sheet(desk, fake):
    _, backend = desk
    fake.fail_next(1, 403)
    with pytest.raises(WorkbookError, match="share it"):
        backend.read()


def test_without_emulator_or_credentials_the_config_error_names_both_settings(monkeypatch):
    monkeypatch.delenv(EMULATOR_VARIABLE, raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    with pytest.raises(ConfigError, match="credentials.*GOOGLE_APPLICATION_CREDENTIALS"):
        GSheetsBackend(KEY)


def test_an_unreadable_key_file_is_a_config_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.delenv(EMULATOR_VARIABLE, raising=False)
    path = tmp_path / "key.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="key.json"):
        GSheetsBackend(KEY, credentials=path)


def test_service_account_credentials_ask_for_the_spreadsheets_scope_only(tmp_path):
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps({"type": "service_account", "project_id": "p", "private_key_id": "1",
                                "private_key": pem, "client_email": "desk@p.iam.gserviceaccount.com",
                                "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}))
    credentials = load_credentials(path, emulator=None)
    assert tuple(credentials.scopes) == SCOPES == ("https://www.googleapis.com/auth/spreadsheets",)
    assert credentials.service_account_email == "desk@p.iam.gserviceaccount.com"


def test_the_retry_budget_comes_from_the_constructor(fake):
    assert GSheetsBackend(KEY, retry_budget_seconds=12.5).policy.budget_seconds == 12.5
    assert isinstance(GSheetsBackend(KEY, policy=RetryPolicy(budget_seconds=3)).policy, RetryPolicy)


def test_the_template_freezes_b2_and_filters_every_row_to_come(fake):
    templates = pytest.importorskip("sheets_templates")
    spreadsheet = fake.create(KEY)
    GSheetsBackend(KEY).lay_out(templates.build_spec("en", sample=3))
    sheet = spreadsheet.sheet("Tickets")
    assert (sheet.frozen_rows, sheet.frozen_columns) == (1, 1)
    grid_range = sheet.basic_filter["range"]
    assert "endRowIndex" not in grid_range and grid_range["endColumnIndex"] == len(HEADER)


@pytest.mark.parametrize("breaks", ["filter", "panes"])
def test_a_broken_filter_or_lost_frozen_panes_are_noticed_and_put_back(fake, breaks):
    templates = pytest.importorskip("sheets_templates")
    spreadsheet = fake.create(KEY)
    backend = GSheetsBackend(KEY)
    backend.lay_out(templates.build_spec("en", sample=3))
    snapshot = backend.read()
    positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
    backend.apply(ChangeSet("Tickets", columns=positions, formatting=FormattingSpec(LABELS)), snapshot)
    assert backend.read().formatting_ok
    sheet = spreadsheet.sheet("Tickets")
    if breaks == "filter":
        sheet.basic_filter = {"range": {"sheetId": sheet.sheet_id, "startRowIndex": 0, "endRowIndex": 4}}
    else:
        sheet.frozen_rows = sheet.frozen_columns = 0
    fresh = GSheetsBackend(KEY)
    snapshot = fresh.read()
    assert not snapshot.formatting_ok
    fresh.apply(ChangeSet("Tickets", columns=positions, formatting=FormattingSpec(LABELS)), snapshot)
    sheet = spreadsheet.sheet("Tickets")
    assert (sheet.frozen_rows, sheet.frozen_columns) == (1, 1)
    assert "endRowIndex" not in sheet.basic_filter["range"]
    assert GSheetsBackend(KEY).read().formatting_ok
