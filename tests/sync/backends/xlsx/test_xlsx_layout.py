"""What managers and staff see on the Tickets tab of a real .xlsx: a filter over every ticket row, frozen panes at
B2, a wrapped Check column, a named header font, headers not hidden by the filter arrow, a printable page setup
— and all of it put back when a person or LibreOffice breaks it, as the colours are."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from sheets_templates.builder import FILTER_ARROW_WIDTH, display_width
from sync.backends.xlsx.patch import worksheet_member
from tests.sync.conftest import NEW_COMPLAINT, NOW, append_rows, make_workbook
from tickets import TICKET_COLUMNS, column_letter

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
LAST_COLUMN = column_letter(len(TICKET_COLUMNS) - 1)


def tickets_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(worksheet_member(archive, "Tickets")).decode("utf-8")


def tickets_sheet(path: Path):
    return openpyxl.load_workbook(path).worksheets[0]


def column_of(key: str) -> str:
    return column_letter([column.key for column in TICKET_COLUMNS].index(key))


# -- the filter ------------------------------------------------------------------------------------------------


def test_a_new_workbook_filters_its_header_and_first_row(tmp_path):
    path = make_workbook(tmp_path / "desk.xlsx")
    assert tickets_sheet(path).auto_filter.ref == f"A1:{LAST_COLUMN}2"


def test_the_filter_grows_with_every_ticket_row_people_add(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", sample=5)
    desk = desk_factory(path)
    desk.cycle(NOW)
    append_rows(path, [NEW_COMPLAINT, {**NEW_COMPLAINT, "Customer": "Lakeside Mart"}])
    desk.cycle(NOW + timedelta(minutes=5))
    assert tickets_sheet(path).auto_filter.ref == f"A1:{LAST_COLUMN}8"  # header + 5 + 2
    append_rows(path, [{**NEW_COMPLAINT, "Customer": "Hill Bakery"}])
    desk.cycle(NOW + timedelta(minutes=10))
    assert tickets_sheet(path).auto_filter.ref == f"A1:{LAST_COLUMN}9"


def test_a_filter_a_person_removed_is_put_back_over_every_row(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", sample=6)
    desk = desk_factory(path)
    desk.cycle(NOW)
    workbook = openpyxl.load_workbook(path)
    workbook["Tickets"].auto_filter.ref = None
    workbook.save(path)
    assert "<autoFilter" not in tickets_xml(path)
    desk.cycle(NOW + timedelta(minutes=5))
    assert tickets_sheet(path).auto_filter.ref == f"A1:{LAST_COLUMN}7"


# -- header, panes, wrapping, printing -------------------------------------------------------------------------


def test_the_header_font_is_named_and_sized_and_no_header_hides_under_the_filter_arrow(tmp_path):
    for language in ("en", "zh"):
        sheet = tickets_sheet(make_workbook(tmp_path / f"{language}.xlsx", language))
        for index, column in enumerate(TICKET_COLUMNS):
            cell = sheet.cell(1, index + 1)
            assert (cell.font.name, cell.font.sz, cell.font.b) == ("Calibri", 11, True)
            width = sheet.column_dimensions[column_letter(index)].width
            assert width >= display_width(column.label(language)) + FILTER_ARROW_WIDTH, (language, column.key)


def test_panes_are_frozen_at_b2_so_the_ticket_id_stays_in_view(tmp_path):
    sheet = tickets_sheet(make_workbook(tmp_path / "desk.xlsx"))
    assert sheet.freeze_panes == "B2"
    assert sheet["A1"].value == "Ticket ID"


def test_the_check_column_wraps_also_in_cells_the_daemon_writes_later(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", sample=3)
    desk = desk_factory(path)
    desk.cycle(NOW)
    append_rows(path, [{**NEW_COMPLAINT, "Tier": "Gold", "Status": "Banana"}])  # two problems in Check
    desk.cycle(NOW + timedelta(minutes=5))
    sheet = tickets_sheet(path)
    check = sheet[f"{column_of('check')}5"]
    assert check.value and check.alignment.wrap_text
    assert sheet.column_dimensions[column_of("check")].alignment.wrap_text


def test_the_tickets_tab_prints_landscape_one_page_wide_with_the_header_on_every_page(tmp_path):
    sheet = tickets_sheet(make_workbook(tmp_path / "desk.xlsx", sample=3))
    assert sheet.page_setup.orientation == "landscape"
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"


# -- what LibreOffice drops ------------------------------------------------------------------------------------


def libreoffice_round_trip(path: Path, folder: Path) -> None:
    """Open and save ``path`` with LibreOffice as .xlsx, as a person using it would, in place."""
    profile = folder / "profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc", "--convert-to",
                    "xlsx", "--outdir", str(folder / "saved"), str(path)], check=True, capture_output=True, timeout=180)
    shutil.copy(folder / "saved" / path.name, path)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
def test_what_a_libreoffice_save_drops_is_noticed_and_put_back_once(tmp_path, desk_factory, caplog):
    path = make_workbook(tmp_path / "desk.xlsx", sample=6)
    desk = desk_factory(path)
    desk.cycle(NOW)
    libreoffice_round_trip(path, tmp_path)
    xml = tickets_xml(path)
    assert 'stopIfTrue="1"' not in xml and 'state="frozen"' not in xml  # what LibreOffice drops, today
    reaches = [int(row) for row in re.findall(r'<dataValidation [^>]*sqref="[A-Z]+2:[A-Z]+(\d+)"', xml)]
    assert reaches and max(reaches) < 5000  # cut down to the used rows plus about a thousand
    with caplog.at_level("INFO"):
        desk.cycle(NOW + timedelta(minutes=5))
    assert '"stop if true"' in caplog.text and "cut short" in caplog.text and "no longer frozen" in caplog.text
    xml = tickets_xml(path)
    assert 'stopIfTrue="1"' in xml
    assert tickets_sheet(path).freeze_panes == "B2"
    status = tickets_sheet(path).data_validations.dataValidation
    assert all(cell_range.max_row == 1048576 for validation in status for cell_range in validation.sqref.ranges), [
        (validation.formula1, str(validation.sqref)) for validation in status]
    before = path.read_bytes()
    assert not desk.cycle(NOW + timedelta(minutes=6)).wrote  # put back once, then left alone
    assert path.read_bytes() == before


def test_a_person_s_own_frozen_panes_are_kept(tmp_path, desk_factory):
    path = make_workbook(tmp_path / "desk.xlsx", sample=3)
    workbook = openpyxl.load_workbook(path)
    workbook["Tickets"].freeze_panes = "D2"
    workbook.save(path)
    desk = desk_factory(path)
    desk.cycle(NOW)
    assert tickets_sheet(path).freeze_panes == "D2"
