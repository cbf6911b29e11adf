"""Cells a hostile but realistic team leaves in a real .xlsx: each becomes a message in its row's Check cell (or
on the Rule check tab), the rest of the sheet is served, nothing a person typed changes, and a second cycle at
the same moment writes nothing."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from sync.backends.xlsx.patch import worksheet_member
from sync.engine import DeskSettings
from tests.sync.conftest import NEW_COMPLAINT, NOW, append_rows, make_workbook, tickets_by_id

FIRST_ID = "CS-20261123-0001"


def rewrite_xml(path: Path, sheet: str | None, edit) -> None:
    """Change the XML of one worksheet of ``path`` (None: the shared strings) as another program might have
    written it."""
    with zipfile.ZipFile(path) as archive:
        member = worksheet_member(archive, sheet) if sheet else "xl/sharedStrings.xml"
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[member] = edit(parts[member].decode("utf-8")).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def put_results(path: Path, sheet: str, results: dict[str, tuple[str | None, str]]) -> None:
    """Save into ``path`` the results Excel would have saved for formula cells ({cell: (type, value)}), as a file
    last saved by Excel carries them (openpyxl writes formulas without results)."""

    def saved(xml: str) -> str:
        for reference, (kind, value) in results.items():
            kind_attribute = f' t="{kind}"' if kind else ""
            xml, count = re.subn(rf'<c r="{reference}"([^>]*?)><f>(.*?)</f>(?:<v\s*/>|<v>\s*</v>)?</c>',
                                 rf'<c r="{reference}"\1{kind_attribute}><f>\2</f><v>{value}</v></c>', xml)
            assert count == 1, reference
        return xml

    rewrite_xml(path, sheet, saved)


def set_cells(path: Path, sheet: str, cells: dict[str, object]) -> None:
    workbook = openpyxl.load_workbook(path)
    for reference, value in cells.items():
        workbook[sheet][reference] = value
    workbook.save(path)


def calamine_rows(path: Path, sheet: str = "Tickets") -> list[list]:
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        workbook.close()


def letter(path: Path, header: str) -> str:
    """The column letter of ``header`` on the Tickets tab (columns move as the template grows)."""
    headers = [cell.value for cell in openpyxl.load_workbook(path)["Tickets"][1]]
    return openpyxl.utils.get_column_letter(headers.index(header) + 1)


def settles(desk, path: Path) -> bool:
    """Whether a second cycle at the same moment finds nothing to write and leaves the file as it is."""
    before = path.read_bytes()
    report = desk.cycle(NOW)
    return not report.wrote and report.cells_written == 0 and path.read_bytes() == before


def test_a_control_character_in_a_cell_is_a_message_and_every_other_row_is_served(tmp_path, desk_factory):
    bell = {**NEW_COMPLAINT, "Tier": "Co§re", "Product": "Cold§box"}
    path = make_workbook(tmp_path / "desk.xlsx", rows=[bell, NEW_COMPLAINT])
    rewrite_xml(path, "Tickets", lambda xml: xml.replace("&#167;", "_x0007_"))  # how Excel saves a pasted BEL
    desk = desk_factory(path)
    report = desk.cycle(NOW)
    tickets = tickets_by_id(path)
    assert report.wrote and report.rows == 2
    first = tickets[FIRST_ID]
    assert calamine_rows(path)[1][4] == "Co\x07re"  # what the person typed stays
    assert "invisible character (U+0007" in first["Check"] and "\x07" not in first["Check"]
    assert first["Grade"] == "Urgent"  # read as "Core" meanwhile
    assert tickets["CS-20261123-0002"]["Grade"] and tickets["CS-20261123-0002"]["Check"] is None
    assert settles(desk, path)


def test_a_zero_width_character_is_named_instead_of_calling_the_value_unknown(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[{**NEW_COMPLAINT, "Tier": "Core\u200b"}])
    desk = desk_factory(path)
    desk.cycle(NOW)
    check = tickets_by_id(path)[FIRST_ID]["Check"]
    assert check == ('Tier: "Core<U+200B>" holds an invisible character (U+200B ZERO WIDTH SPACE) — retype the value '
                     "without it")
    assert settles(desk, path)


def test_error_values_are_never_stamped_over_and_say_what_they_are(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[{**NEW_COMPLAINT, "Status": "Acknowledged"}, NEW_COMPLAINT])
    response, check_column = letter(path, "First response"), letter(path, "Check")
    set_cells(path, "Tickets", {"A2": "=1/0", "B2": "=NA()", f"{response}2": "=#REF!"})
    put_results(path, "Tickets", {"A2": ("e", "#DIV/0!"), "B2": ("e", "#N/A"), f"{response}2": ("e", "#REF!")})
    desk = desk_factory(path)
    desk.cycle(NOW)
    rows = openpyxl.load_workbook(path)["Tickets"]
    assert (rows["A2"].value, rows["B2"].value, rows[f"{response}2"].value) == ("=1/0", "=NA()", "=#REF!")
    check = rows[f"{check_column}2"].value
    for phrase in ("Ticket ID: the formula gives #DIV/0!", "Received: the formula gives #N/A",
                   "First response: the formula gives #REF!"):
        assert phrase in check
    assert rows["A3"].value == FIRST_ID  # the next row is served
    assert calamine_rows(path)[1][0] == "" and calamine_rows(path)[1][1] == ""  # results kept as errors
    assert settles(desk, path)


def test_an_error_in_a_rule_condition_stops_that_tab_and_the_last_good_version_serves(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT, {**NEW_COMPLAINT, "Tier": "Standard"}])
    desk = desk_factory(path)
    desk.cycle(NOW)
    grades = {ticket_id: ticket["Grade"] for ticket_id, ticket in tickets_by_id(path).items()}
    set_cells(path, "Grade rules", {"C2": "=NA()"})
    put_results(path, "Grade rules", {"C2": ("e", "#N/A")})
    desk.cycle(NOW)
    assert {ticket_id: ticket["Grade"] for ticket_id, ticket in tickets_by_id(path).items()} == grades
    assert "Critical" not in grades.values()
    check_tab = [row for row in openpyxl.load_workbook(path)["Rule check"].iter_rows(values_only=True)]
    assert any(row[0] == "Grade rules" and row[1] == "C2" and "#N/A" in row[3] for row in check_tab)


def test_a_formula_without_a_saved_value_is_not_blank_so_no_id_is_stamped_every_cycle(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT, NEW_COMPLAINT])
    set_cells(path, "Tickets", {"A2": '="CS-"&ROW()'})
    desk = desk_factory(path)
    desk.cycle(NOW)
    rows = openpyxl.load_workbook(path)["Tickets"]
    assert rows["A2"].value == '="CS-"&ROW()' and rows["A3"].value == FIRST_ID
    assert rows[f"{letter(path, 'Check')}2"].value.startswith(
        'Ticket ID: the cell holds a formula (="CS-"&ROW()) but no value')
    assert settles(desk, path)


def test_the_saved_results_of_peoples_formulas_survive_a_rewrite(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT])
    notes = letter(path, "Notes")
    set_cells(path, "Tickets", {"A2": '="CS-"&ROW()', f"{notes}2": "=1+1"})
    put_results(path, "Tickets", {"A2": ("str", "CS-2"), f"{notes}2": (None, "2")})
    desk = desk_factory(path)
    report = desk.cycle(NOW)
    assert report.wrote
    rows = calamine_rows(path)
    notes_index = openpyxl.utils.column_index_from_string(notes) - 1
    assert rows[1][0] == "CS-2" and rows[1][notes_index] == 2.0  # still readable without Excel recalculating
    assert openpyxl.load_workbook(path)["Tickets"]["A2"].value == '="CS-"&ROW()'
    assert settles(desk, path)


def test_merged_cells_are_reported_and_never_written_under_the_merge(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT, NEW_COMPLAINT, NEW_COMPLAINT])
    workbook = openpyxl.load_workbook(path)
    workbook["Tickets"].merge_cells("A2:A3")  # the ID cells of two new rows
    check = letter(path, "Check")
    workbook["Tickets"].merge_cells(f"{check}3:{check}4")  # Check cells
    workbook.save(path)
    desk = desk_factory(path)
    report = desk.cycle(NOW)
    assert report.wrote
    rows = openpyxl.load_workbook(path)["Tickets"]
    assert rows["A2"].value == FIRST_ID and rows["A4"].value == "CS-20261123-0002"
    assert "Ticket ID: A3 is merged into A2:A3 — unmerge it" in rows[f"{check}3"].value
    assert settles(desk, path)


def test_a_duplicated_header_is_named_with_both_cells_and_that_column_is_left_alone(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT, NEW_COMPLAINT])
    workbook = openpyxl.load_workbook(path)
    workbook["Tickets"].insert_cols(1)
    workbook["Tickets"]["A1"] = "Received"
    workbook.save(path)
    desk = desk_factory(path)
    report = desk.cycle(NOW)
    rows = list(openpyxl.load_workbook(path)["Tickets"].iter_rows(values_only=True))
    assert all(row[0] is None and row[2] is None for row in rows[1:])  # neither Received column stamped
    assert [row[1] for row in rows[1:]] == [FIRST_ID, "CS-20261123-0002"]
    assert report.rule_problems >= 1
    check_tab = [row for row in openpyxl.load_workbook(path)["Rule check"].iter_rows(values_only=True)]
    assert any("Tickets!A1 and Tickets!C1 both say \"Received\"" in (row[3] or "") for row in check_tab)
    assert settles(desk, path)


def test_a_huge_value_is_quoted_short_and_no_cell_goes_over_the_limit(tmp_path, desk_factory):
    huge = "床" * 30_000
    path = make_workbook(tmp_path / "desk.xlsx", rows=[{**NEW_COMPLAINT, "Tier": huge, "Satisfaction": huge}])
    desk = desk_factory(path)
    desk.cycle(NOW)
    ticket = tickets_by_id(path)[FIRST_ID]
    assert len(ticket["Check"]) < 2_000 and "…" in ticket["Check"]
    assert ticket["Tier"] == huge
    assert settles(desk, path)


def test_a_row_received_in_the_future_gets_no_stamps_and_the_next_cycle_agrees(tmp_path, desk_factory):
    future = {**NEW_COMPLAINT, "Ticket ID": "CS-F", "Received": "2026-12-24", "Status": "Resolved",
              "Root cause": "seal", "Corrective action": "new seal"}
    path = make_workbook(tmp_path / "desk.xlsx", rows=[future])
    desk = desk_factory(path)
    desk.cycle(NOW)
    ticket = tickets_by_id(path)["CS-F"]
    assert ticket["First response"] is None and ticket["Resolved"] is None
    assert "Received: 2026-12-24 00:00 is in the future" in ticket["Check"]
    assert "before Received" not in ticket["Check"]
    assert settles(desk, path)


def test_an_ambiguous_slashed_date_is_named_with_both_readings(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[{**NEW_COMPLAINT, "Ticket ID": "CS-A", "Received": "11/03/2026"}])
    desk = desk_factory(path)
    desk.cycle(NOW)
    check = tickets_by_id(path)["CS-A"]["Check"]
    assert "ambiguous" in check and "2026-03-11" in check and "2026-11-03" in check
    assert settles(desk, path)


def test_the_date_order_setting_reads_slashed_dates_day_first_or_month_first(tmp_path, desk_factory):
    rows = [{**NEW_COMPLAINT, "Ticket ID": "CS-A", "Received": "11/03/2026 09:00"}]
    for order, due in (("DMY", datetime(2026, 3, 11)), ("MDY", datetime(2026, 11, 3))):
        path = make_workbook(tmp_path / f"{order}.xlsx", rows=rows)
        desk_factory(path, DeskSettings(date_order=order)).cycle(NOW)
        ticket = tickets_by_id(path)["CS-A"]
        assert ticket["Check"] is None or "Received" not in ticket["Check"]
        assert ticket["Response due"].date() >= due.date()
        assert ticket["Response due"].month == due.month


def test_rows_appended_later_next_to_hostile_ones_are_served(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", rows=[{**NEW_COMPLAINT, "Tier": "Core\u200b"}])
    desk = desk_factory(path)
    desk.cycle(NOW)
    append_rows(path, [NEW_COMPLAINT])
    desk.cycle(NOW)
    assert "CS-20261123-0002" in tickets_by_id(path)
