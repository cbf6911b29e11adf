"""The Dashboard goes right after Tickets on both xlsx write paths (the streamed package writer and openpyxl), and
whatever workbook.xml counts by tab position still means the same tab: each defined name's ``localSheetId`` (a
filter, print titles, a print area) and the view's active and first tab. LibreOffice opens the result.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from sync.backends.port import ChangeSet
from sync.backends.xlsx import backend as xlsx_backend
from sync.backends.xlsx.backend import XlsxBackend
from sync.backends.xlsx.patch import PatchRefused
from sync.tabs.dashboard import SECOND_PAGE_ROW, build_dashboard
from tests.sync.tabs.test_dashboard import NOW, sample_kpis

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def people_workbook(path: Path, with_dashboard: bool = False) -> None:
    """A workbook as people keep it: their own Notes tab first, Tickets, Lists; filters, print titles, a print area;
    Lists is the tab shown on opening and Notes the first one in the tab bar."""
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["Plan", "Owner"])
    notes.append(["Call Acme back", "Li Na"])
    notes.print_area = "A1:B2"
    notes.auto_filter.ref = "A1:B2"
    tickets = workbook.create_sheet("Tickets")
    tickets.append(["Ticket ID", "Received", "Customer", "Status"])
    tickets.append(["CS-1", datetime(2026, 11, 20, 9, 30), "Acme", "New"])
    tickets.append(["CS-2", datetime(2026, 11, 21, 10, 0), "Beta", "Action"])
    tickets.print_title_rows = "1:1"
    tickets.auto_filter.ref = "A1:D3"
    lists = workbook.create_sheet("Lists")
    lists.append(["Tier"])
    lists.append(["Gold"])
    lists.print_title_rows = "1:1"
    if with_dashboard:
        old = workbook.create_sheet("Dashboard")
        old.append(["Complaint desk dashboard"])
        old.print_area = "A1:F40"
    workbook.active = workbook.sheetnames.index("Lists")
    workbook.save(path)


def write_dashboard(path: Path) -> None:
    backend = XlsxBackend(path, backup_dir=path.parent / "backups")
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": build_dashboard(sample_kpis(), "en", NOW)}), backend.read())


def defined_names(path: Path) -> list[tuple[str, str, str]]:
    """(name, the tab its localSheetId points at, the formula) of every tab-scoped defined name, read raw."""
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/workbook.xml").decode("utf-8")
    tabs = re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"', xml)
    names = re.findall(r'<(?:\w+:)?definedName\b([^>]*)>([^<]*)<', xml)
    result = []
    for attributes, formula in names:
        local = re.search(r'localSheetId="(\d+)"', attributes)
        name = re.search(r'\bname="([^"]*)"', attributes).group(1)
        if local:
            result.append((name, tabs[int(local.group(1))], formula))
    return result


@pytest.fixture(params=["streamed", "openpyxl"])
def write_path(request, monkeypatch):
    """Both write paths: the package writer, or openpyxl when the package writer refuses."""
    if request.param == "openpyxl":
        def refuse(*arguments, **keywords):
            raise PatchRefused("as if the package were laid out in a way the writer does not know")

        monkeypatch.setattr(xlsx_backend, "write_package", refuse)
    return request.param


def test_a_new_dashboard_goes_right_after_tickets_and_every_name_keeps_its_tab(tmp_path, write_path):
    path = tmp_path / "desk.xlsx"
    people_workbook(path)
    write_dashboard(path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Notes", "Tickets", "Dashboard", "Lists"]
    assert workbook.active.title == "Lists"
    assert workbook["Tickets"].print_title_rows == "$1:$1"
    assert workbook["Tickets"].auto_filter.ref == "A1:D3"
    assert workbook["Lists"].print_title_rows == "$1:$1"
    assert workbook["Notes"].auto_filter.ref == "A1:B2"
    assert "$A$1:$B$2" in str(workbook["Notes"].print_area)
    for name, tab, formula in defined_names(path):
        assert formula.lstrip("'").startswith(tab), f"{name} of {tab} points at {formula}"
    assert [row[0] for row in workbook["Notes"].iter_rows(values_only=True)] == ["Plan", "Call Acme back"]


def test_a_dashboard_standing_last_moves_right_after_tickets_with_its_names(tmp_path, write_path):
    path = tmp_path / "desk.xlsx"
    people_workbook(path, with_dashboard=True)
    edit = load_workbook(path)
    edit.active = edit.sheetnames.index("Dashboard")
    edit.save(path)
    write_dashboard(path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Notes", "Tickets", "Dashboard", "Lists"]
    assert workbook.active.title == "Dashboard"
    for name, tab, formula in defined_names(path):
        assert formula.lstrip("'").startswith(tab), f"{name} of {tab} points at {formula}"
    assert {tab for _, tab, _ in defined_names(path)} >= {"Notes", "Tickets", "Lists"}


def test_the_dashboard_prints_landscape_one_page_wide_with_both_charts_on_the_first_page(tmp_path, write_path):
    path = tmp_path / "desk.xlsx"
    people_workbook(path)
    write_dashboard(path)
    dashboard = load_workbook(path)["Dashboard"]
    assert dashboard.page_setup.orientation == "landscape"
    assert (dashboard.page_setup.fitToWidth, dashboard.page_setup.fitToHeight) in {(1, 0), ("1", "0")}
    assert dashboard.sheet_properties.pageSetUpPr.fitToPage
    assert [brk.id for brk in dashboard.row_breaks.brk] == [SECOND_PAGE_ROW]
    assert dashboard["A1"].font.b and dashboard["A1"].font.name == "Calibri"  # a named font: no serif fallback
    repeat = next(row for row in dashboard.iter_rows() if str(row[0].value).startswith("Repeat complaints"))
    assert repeat[0].alignment.wrap_text and dashboard.row_dimensions[repeat[0].row].height == 30


def test_a_dashboard_from_before_print_settings_is_written_whole_again_with_them(tmp_path):
    path = tmp_path / "desk.xlsx"
    people_workbook(path)
    write_dashboard(path)
    edit = load_workbook(path)
    edit["Dashboard"].sheet_properties.pageSetUpPr.fitToPage = False  # as an older sheetdesk left it
    edit["Dashboard"].page_setup.orientation = "portrait"
    edit.save(path)
    backend = XlsxBackend(path, backup_dir=tmp_path / "backups")
    tab = build_dashboard(sample_kpis(), "en", NOW)
    tab.rows[5][1] = 99  # a figure changed, nothing moved: the tab would only have its cells patched
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": tab}), backend.read())
    dashboard = load_workbook(path)["Dashboard"]
    assert dashboard.page_setup.orientation == "landscape"
    assert dashboard.cell(6, 2).value == 99


def test_the_first_page_of_a_workbook_view_is_kept_when_the_dashboard_moves(tmp_path, write_path):
    path = tmp_path / "desk.xlsx"
    people_workbook(path, with_dashboard=True)
    edit = load_workbook(path)
    edit.views[0].firstSheet = 2  # the tab bar was scrolled to start at Lists
    edit.save(path)
    write_dashboard(path)
    workbook = load_workbook(path)
    assert workbook.sheetnames[workbook.views[0].firstSheet] == "Lists"


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; apt-get install libreoffice-calc-nogui")
def test_libreoffice_opens_the_moved_workbook_with_its_tabs_and_names(tmp_path, write_path):
    path = tmp_path / "desk.xlsx"
    people_workbook(path, with_dashboard=True)
    write_dashboard(path)
    out = tmp_path / "out"
    completed = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "xlsx", "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=180)
    assert "Error" not in completed.stderr + completed.stdout, completed.stderr
    saved = load_workbook(out / "desk.xlsx")
    assert saved.sheetnames == ["Notes", "Tickets", "Dashboard", "Lists"]
    assert saved["Tickets"].print_title_rows == "$1:$1"
    assert saved["Lists"].print_title_rows == "$1:$1"
    assert saved["Dashboard"].page_setup.orientation == "landscape"
    assert saved["Dashboard"]["A1"].value == "Complaint desk dashboard"
