"""The streaming cell patcher: cells land as values read back by openpyxl and calamine, nothing else moves.

Workbooks are real files in tmp_path, saved by openpyxl, by hand-written XML in the shapes other programs use
(rows and cells without ``r``, prefixed elements) and, when ``soffice`` is installed, by LibreOffice.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill
from python_calamine import CalamineWorkbook

from sync.backends.port import CellWrite, ChangeSet, RowRef
from sync.backends.xlsx.backend import XlsxBackend
from sync.backends.xlsx.patch import PatchRefused, patch_rows
from tests.sync.backends.xlsx.test_xlsx_preservation import (
    SHAPE_TEXT,
    drawing_text,
    media,
    person_adds_shape_and_picture,
)
from tests.sync.backends.xlsx.xlsx_files import write_workbook
from tickets import column_index, column_letter


def patch_cells(source, target, sheet_name, writes, **options):
    """``patch_rows`` given writes by (row, column), as the tests write them."""
    rows = {}
    for (row, column), value in writes.items():
        rows.setdefault(row, {})[column] = value
    patch_rows(source, target, sheet_name, rows, **options)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
TEXTS = ["工单 已解决", "a < b", "salt & pepper", "=1+1", "first line\nsecond line", "  padded  ", '"quoted"']
YELLOW = PatternFill(fill_type="solid", fgColor="FFFFFF00")


def openpyxl_rows(path: Path, sheet: str = "Tickets") -> list[list]:
    return [list(row) for row in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)]


def calamine_rows(path: Path, sheet: str = "Tickets") -> list[list]:
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        workbook.close()


def value_at(rows: list[list], row: int, column: int):
    return rows[row][column] if row < len(rows) and column < len(rows[row]) else None


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def assert_reads_back(path: Path, writes: dict) -> None:
    """Every write reads back the same in openpyxl and calamine (calamine shows blanks as '' and ints as floats)."""
    by_openpyxl, by_calamine = openpyxl_rows(path), calamine_rows(path)
    for (row, column), value in writes.items():
        assert value_at(by_openpyxl, row, column) == value, (row, column)
        assert value_at(by_calamine, row, column) in (value, "" if value is None else value), (row, column)


@pytest.fixture
def workbook(tmp_path) -> Path:
    return write_workbook(tmp_path / "desk.xlsx", {
        "Tickets": [
            ["Ticket ID", "Received", "Customer", "Grade", "Due"],
            ["CS-1", datetime(2026, 11, 20, 9, 30), "Beta", "P2", None],
            ["CS-2", None, "Acme", None, None, None, None, "far right"],
            [],
            ["CS-4", None, "Delta"],
        ],
        "Notes": [["kept", 1]],
    })


def test_values_of_every_kind_read_back_as_written(workbook, tmp_path):
    writes = {(1, column): text for column, text in enumerate(TEXTS)}
    writes |= {(2, 1): 42, (2, 2): 2.5, (2, 3): True, (2, 4): False, (4, 4): datetime(2026, 11, 24, 17, 45)}
    target = tmp_path / "patched.xlsx"
    patch_cells(workbook, target, "Tickets", writes)
    assert_reads_back(target, writes)
    assert openpyxl.load_workbook(target)["Tickets"]["E5"].number_format == "yyyy-mm-dd hh:mm"


def test_text_that_looks_like_a_formula_stays_text(workbook, tmp_path):
    target = tmp_path / "patched.xlsx"
    patch_cells(workbook, target, "Tickets", {(1, 3): "=SUM(A1:A3)"})
    assert openpyxl.load_workbook(target)["Tickets"]["D2"].data_type == "s"
    assert calamine_rows(target)[1][3] == "=SUM(A1:A3)"


def test_none_clears_the_value_and_keeps_the_style(tmp_path):
    path = write_workbook(tmp_path / "desk.xlsx", {"Tickets": [["Ticket ID", "Grade"], ["CS-1", "P2"]]})
    workbook = openpyxl.load_workbook(path)
    workbook["Tickets"]["B2"].fill = YELLOW
    workbook.save(path)
    target = tmp_path / "patched.xlsx"
    patch_cells(path, target, "Tickets", {(1, 1): None, (1, 0): None})
    cell = openpyxl.load_workbook(target)["Tickets"]["B2"]
    assert cell.value is None and cell.fill.fgColor.rgb == "FFFFFF00"
    assert openpyxl_rows(target) == [["Ticket ID", "Grade"], [None, None]]


def test_cells_are_inserted_in_order_between_existing_ones_and_in_new_rows(workbook, tmp_path):
    writes = {(2, 3): "between", (2, 9): "after the last", (3, 1): "in an empty row", (6, 2): "past the end",
              (5, 0): "also new"}
    target = tmp_path / "patched.xlsx"
    patch_cells(workbook, target, "Tickets", writes)
    assert_reads_back(target, writes)
    rows = openpyxl_rows(target)
    assert rows[2][:8] == ["CS-2", None, "Acme", "between", None, None, None, "far right"]
    assert rows[4][:3] == ["CS-4", None, "Delta"] and rows[0][0] == "Ticket ID"
    sheet_xml = members(target)["xl/worksheets/sheet1.xml"].decode()
    row_numbers = [int(number) for number in re.findall(r'<row r="(\d+)"', sheet_xml)]
    assert row_numbers == sorted(row_numbers)
    for row in re.findall(r"<row\b.*?</row>", sheet_xml):
        columns = [column_index(letters) for letters in re.findall(r'<c r="([A-Z]+)\d+"', row)]
        assert columns == sorted(columns)
    assert re.search(r'<dimension ref="A1:J7"', sheet_xml)


def test_a_datetime_keeps_the_cells_fill_and_gets_the_date_format(workbook, tmp_path):
    edited = openpyxl.load_workbook(workbook)
    edited["Tickets"]["E2"].fill = YELLOW
    edited["Tickets"]["E2"].font = Font(bold=True)
    edited.save(workbook)
    due = datetime(2026, 11, 24, 17, 45)
    target = tmp_path / "patched.xlsx"
    patch_cells(workbook, target, "Tickets", {(1, 4): due, (2, 4): due})
    cell = openpyxl.load_workbook(target)["Tickets"]["E2"]
    assert (cell.value, cell.number_format, cell.fill.fgColor.rgb, cell.font.bold) == (
        due, "yyyy-mm-dd hh:mm", "FFFFFF00", True)
    assert calamine_rows(target)[1][4] == due


def test_the_datetime_format_is_added_once_and_reused(workbook, tmp_path):
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    patch_cells(workbook, first, "Tickets", {(1, 4): datetime(2026, 1, 1, 8, 0), (4, 4): datetime(2026, 1, 2, 8, 0)})
    patch_cells(first, second, "Tickets", {(2, 4): datetime(2026, 1, 3, 8, 0)})
    styles = members(second)["xl/styles.xml"].decode()
    assert styles.count('formatCode="yyyy-mm-dd hh:mm"') == 1
    assert members(second)["xl/styles.xml"] == members(first)["xl/styles.xml"]
    received = openpyxl.load_workbook(second)["Tickets"]["B2"]  # written by openpyxl with its own style
    assert received.value == datetime(2026, 11, 20, 9, 30)


def test_only_the_worksheet_changes_when_no_style_is_needed(workbook, tmp_path):
    target = tmp_path / "patched.xlsx"
    patch_cells(workbook, target, "Tickets", {(1, 3): "P1"})
    before, after = members(workbook), members(target)
    assert list(before) == list(after)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["xl/worksheets/sheet1.xml"]


def test_shapes_and_pictures_survive_byte_for_byte(tmp_path):
    from tests.sync.backends.xlsx.test_xlsx_preservation import person_decorates
    from tests.sync.conftest import make_workbook

    path = make_workbook(tmp_path / "desk.xlsx", sample=4)
    person_decorates(path)
    person_adds_shape_and_picture(path)
    tickets = openpyxl.load_workbook(path).sheetnames[0]
    target = tmp_path / "patched.xlsx"
    patch_cells(path, target, tickets, {(1, 30): "P1", (2, 31): datetime(2026, 11, 24, 9, 0), (30, 1): "new row"})
    assert SHAPE_TEXT in drawing_text(target) and media(target) == ["xl/media/logo.png"]
    before, after = members(path), members(target)
    assert list(before) == list(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/styles.xml"}
    assert openpyxl_rows(target, tickets)[30][1] == "new row"


def test_rows_and_cells_without_numbers_are_counted_and_numbered_where_it_matters(tmp_path):
    path = write_workbook(tmp_path / "desk.xlsx", {"Tickets": [["x"]]})
    parts = members(path)
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    rows = ('<x:row><x:c t="inlineStr"><x:is><x:t>A1</x:t></x:is></x:c><x:c><x:v>2</x:v></x:c></x:row>'
            '<x:row r="3"><x:c><x:v>31</x:v></x:c></x:row><x:row><x:c><x:v>41</x:v></x:c></x:row>')
    sheet = re.sub(r"<sheetData>.*</sheetData>", f"<x:sheetData>{rows}</x:sheetData>", sheet)
    sheet = sheet.replace("<worksheet xmlns=", "<x:worksheet xmlns:x=").replace("</worksheet>", "</x:worksheet>")
    sheet = re.sub(r"<(/?)(?!x:)(\w+)", r"<\1x:\2", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert openpyxl_rows(path) == [["A1", 2], [None, None], [31, None], [41, None]]
    target = tmp_path / "patched.xlsx"
    writes = {(0, 0): "first", (1, 1): "inserted row", (3, 2): "beside 41"}
    patch_cells(path, target, "Tickets", writes)
    assert openpyxl_rows(target) == [["first", 2, None], [None, "inserted row", None], [31, None, None],
                                     [41, None, "beside 41"]]
    assert calamine_rows(target)[3] == [41.0, "", "beside 41"]
    cleared = tmp_path / "cleared.xlsx"
    patch_cells(path, cleared, "Tickets", {(0, 0): None})  # the first cell goes: the second must keep column B
    assert openpyxl_rows(cleared)[0] == [None, 2]


def test_a_shared_formula_master_is_refused_and_a_formula_in_an_input_cell_kept(tmp_path):
    path = write_workbook(tmp_path / "desk.xlsx", {"Tickets": [["a", "b"], [1, 2], [3, 4]]})
    parts = members(path)
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<c r="B2" t="n"><v>2</v></c>', '<c r="B2"><f t="shared" ref="B2:B3" si="0">A2*2</f><v>2</v></c>')
    sheet = sheet.replace('<c r="B3" t="n"><v>4</v></c>', '<c r="B3"><f t="shared" si="0"/><v>6</v></c>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(PatchRefused):
        patch_cells(path, tmp_path / "refused.xlsx", "Tickets", {(1, 1): "x"})
    target = tmp_path / "patched.xlsx"
    patch_cells(path, target, "Tickets", {(2, 1): "typed over"}, unless_formula={(2, 1)})
    assert openpyxl.load_workbook(target)["Tickets"]["B3"].value == "=A3*2"
    patch_cells(path, target, "Tickets", {(2, 1): "over a formula"})
    assert openpyxl.load_workbook(target)["Tickets"]["B3"].value == "over a formula"


def test_a_formula_in_excels_calculation_chain_is_refused(tmp_path):
    path = tmp_path / "desk.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Tickets"
    workbook.active.append(["a", "b"])
    workbook.active.append([1, "=A2*2"])  # a real formula
    workbook.save(path)
    parts = members(path)
    parts["xl/calcChain.xml"] = b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="B2" i="1"/></calcChain>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(PatchRefused):
        patch_cells(path, tmp_path / "refused.xlsx", "Tickets", {(1, 1): 2})
    patch_cells(path, tmp_path / "patched.xlsx", "Tickets", {(1, 0): 2})


def test_column_letters_round_trip():
    for column in (0, 25, 26, 51, 52, 701, 702, 16383):
        assert column_index(column_letter(column)) == column
    assert [column_letter(column) for column in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_the_backend_patches_a_cells_only_change_and_keeps_the_shapes(tmp_path):
    from tests.sync.backends.xlsx.test_xlsx_preservation import person_decorates
    from tests.sync.conftest import make_workbook

    path = make_workbook(tmp_path / "desk.xlsx", sample=4)
    person_decorates(path)
    person_adds_shape_and_picture(path)
    backend = XlsxBackend(path, backup_dir=tmp_path / "backups")
    snapshot = backend.read()
    tab = next(iter(snapshot.sheets))
    header = snapshot.sheets[tab].rows[0]
    columns = {"ticket_id": header.index("Ticket ID"), "grade": header.index("Grade")}
    changes = ChangeSet(tab, columns=columns, add_columns={"note_x": "Extra"})
    changes.cells.append(CellWrite(RowRef(1, snapshot.sheets[tab].rows[1][0]), "grade", "P1"))
    changes.cells.append(CellWrite(RowRef(1, snapshot.sheets[tab].rows[1][0]), "ticket_id", "overwritten?"))
    backend.apply(changes, snapshot)
    assert SHAPE_TEXT in drawing_text(path) and media(path) == ["xl/media/logo.png"]
    rows = backend.read().sheets[tab].rows
    assert rows[1][columns["grade"]] == "P1" and rows[1][0] == snapshot.sheets[tab].rows[1][0]
    assert rows[0][len([text for text in header if text not in (None, "")])] == "Extra"
    assert len(list((tmp_path / "backups").iterdir())) == 1


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_workbook_saved_by_libreoffice(workbook, tmp_path):
    source = convert_with_libreoffice(workbook, tmp_path / "converted", tmp_path)
    assert 'r="A1"' in members(source)["xl/worksheets/sheet1.xml"].decode()
    writes = {(1, 3): "工单 <b> & =1+1", (2, 3): 7, (2, 4): datetime(2026, 11, 24, 17, 45), (3, 2): "empty row",
              (9, 1): True, (1, 1): datetime(2026, 1, 1, 8, 0)}
    target = tmp_path / "patched.xlsx"
    patch_cells(source, target, "Tickets", writes)
    assert_reads_back(target, writes)
    assert openpyxl_rows(target, "Notes") == [["kept", 1]]
    reopened = convert_with_libreoffice(target, tmp_path / "reopened", tmp_path)  # LibreOffice opens the patch
    assert openpyxl_rows(reopened)[1][3] == "工单 <b> & =1+1"
    assert openpyxl_rows(reopened)[2][4] == datetime(2026, 11, 24, 17, 45)


def convert_with_libreoffice(path: Path, directory: Path, profile: Path) -> Path:
    """Open ``path`` in LibreOffice headless and save it as .xlsx into ``directory``; return the new file."""
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}/profile", "--headless", "--convert-to", "xlsx",
         "--outdir", str(directory), str(path)],
        check=True, capture_output=True, text=True, timeout=180,
    )
    converted = directory / path.name
    assert converted.exists() and "Error" not in result.stdout + result.stderr, result.stdout + result.stderr
    return converted


def test_the_backend_writes_with_openpyxl_when_the_patch_is_refused(tmp_path):
    path = write_workbook(tmp_path / "desk.xlsx", {"Tickets": [["Ticket ID", "Grade"], ["CS-1", 2], ["CS-2", 4]]})
    parts = members(path)
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<c r="B2" t="n"><v>2</v></c>', '<c r="B2"><f t="shared" ref="B2:B3" si="0">1+1</f><v>2</v></c>')
    sheet = sheet.replace('<c r="B3" t="n"><v>4</v></c>', '<c r="B3"><f t="shared" si="0"/><v>2</v></c>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    backend = XlsxBackend(path)
    snapshot = backend.read()
    changes = ChangeSet("Tickets", columns={"ticket_id": 0, "grade": 1})
    changes.cells.append(CellWrite(RowRef(1, "CS-1"), "grade", "P1"))
    backend.apply(changes, snapshot)
    assert openpyxl_rows(path) == [["Ticket ID", "Grade"], ["CS-1", "P1"], ["CS-2", "=1+1"]]


def test_a_cycle_whose_dashboard_numbers_change_patches_them_in_and_keeps_shapes_and_charts(tmp_path, desk_factory):
    import zipfile
    from datetime import timedelta

    import openpyxl

    from tests.sync.backends.xlsx.test_xlsx_preservation import person_decorates
    from tests.sync.conftest import NEW_COMPLAINT, NOW, append_rows, make_workbook

    path = make_workbook(tmp_path / "desk.xlsx", sample=12)
    desk = desk_factory(path)
    desk.cycle(NOW)  # creates the Dashboard (openpyxl: a new tab with charts)
    before = [row[1] for row in openpyxl.load_workbook(path)["Dashboard"].iter_rows(values_only=True)]
    append_rows(path, [NEW_COMPLAINT])  # a new ticket of a known kind: totals move, the layout stays
    person_decorates(path)
    person_adds_shape_and_picture(path)
    charts = sorted(name for name in zipfile.ZipFile(path).namelist() if name.startswith("xl/charts/chart"))
    report = desk.cycle(NOW + timedelta(minutes=5))
    assert report.wrote
    after = [row[1] for row in openpyxl.load_workbook(path)["Dashboard"].iter_rows(values_only=True)]
    assert after != before  # the numbers moved …
    assert SHAPE_TEXT in drawing_text(path) and media(path) == ["xl/media/logo.png"]  # … without openpyxl
    assert sorted(name for name in zipfile.ZipFile(path).namelist() if name.startswith("xl/charts/chart")) == charts
    # … and they are the numbers a Dashboard built from scratch shows.
    rebuilt = tmp_path / "rebuilt.xlsx"
    workbook = openpyxl.load_workbook(path)
    workbook.remove(workbook["Dashboard"])
    workbook.save(rebuilt)
    desk_factory(rebuilt).cycle(NOW + timedelta(minutes=5))
    patched_rows = list(openpyxl.load_workbook(path)["Dashboard"].iter_rows(values_only=True))[1:]
    assert patched_rows == list(openpyxl.load_workbook(rebuilt)["Dashboard"].iter_rows(values_only=True))[1:]


def test_a_charted_table_whose_labels_change_places_is_patched_but_one_that_grows_is_written_whole(tmp_path, monkeypatch):
    from sync.backends.port import Chart, GeneratedTab

    def tab(rows, last_row):
        return GeneratedTab(rows, charts=[Chart("bar", "Tickets by category", "D1", 2, 3, last_row)])

    path = tmp_path / "desk.xlsx"
    write_workbook(path, {"Tickets": [["Ticket ID", "Grade"], ["CS-1", None]]})
    backend = XlsxBackend(path)
    first = tab([["Dashboard"], [], ["Category", "Tickets"], ["Delivery", 3], ["Billing", 1]], 4)
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": first}), backend.read())
    rewrites = []
    rewrite = XlsxBackend._rewrite
    monkeypatch.setattr(XlsxBackend, "_rewrite", lambda self, *args: rewrites.append(1) or rewrite(self, *args))

    reordered = tab([["Dashboard"], [], ["Category", "Tickets"], ["Billing", 4], ["Delivery", 3], ["(note)"]], 4)
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": reordered}), backend.read())
    assert rewrites == []  # patched: the chart's rows kept their shape, a row below them is new
    assert openpyxl_rows(path, "Dashboard") == [["Dashboard", None], [None, None], ["Category", "Tickets"],
                                                ["Billing", 4], ["Delivery", 3], ["(note)", None]]
    grown = tab([["Dashboard"], [], ["Category", "Tickets"], ["Billing", 4], ["Delivery", 3], ["Safety", 1]], 5)
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": grown}), backend.read())
    assert rewrites == []  # streamed: the tab, its drawing and chart written whole into the package
    assert openpyxl_rows(path, "Dashboard")[-1] == ["Safety", 1]
    with zipfile.ZipFile(path) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        assert len(charts) == 1  # the old chart was dropped, not left behind
        assert "$B$4:$B$6" in archive.read(charts[0]).decode()  # the chart spans the new row


def test_a_workbook_rebuilt_by_openpyxl_asks_for_its_formulas_to_be_recalculated_on_opening(tmp_path):
    from sync.backends.port import GeneratedTab

    path = tmp_path / "desk.xlsx"
    write_workbook(path, {"Tickets": [["Ticket ID", "Grade"], ["CS-1", None]], "Rule check": [["Tab"]]})
    person_comments(path, "Rule check")  # a part the package writer does not own: openpyxl writes instead
    backend = XlsxBackend(path)
    backend.apply(ChangeSet("Tickets", tabs={"Rule check": GeneratedTab([["Tab"], ["fine"]])}), backend.read())
    assert openpyxl.load_workbook(path).calculation.fullCalcOnLoad is True


def person_comments(path: Path, sheet: str) -> None:
    """A person leaves a comment on a tab, which ties a comments part to its sheet."""
    from openpyxl.comments import Comment

    workbook = openpyxl.load_workbook(path)
    workbook[sheet]["A1"].comment = Comment("please check", "Ann")
    workbook.save(path)
