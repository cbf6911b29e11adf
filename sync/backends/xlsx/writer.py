"""Write a ``WorkbookSpec`` to an .xlsx file with openpyxl."""

from __future__ import annotations

from datetime import date, datetime
from os import PathLike
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sheets_templates.builder import HEADER_FONT, TabSpec, WorkbookSpec
from sync.backends.xlsx.format import add_list_dropdown

__all__ = ["write_xlsx", "DATETIME_FORMAT", "DATE_FORMAT", "header_font", "print_wide", "wrap_column"]

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def write_xlsx(spec: WorkbookSpec, path: str | PathLike[str]) -> None:
    """Write ``spec`` as a new .xlsx workbook at ``path``, replacing any file there.

    Each tab keeps its values, column widths, frozen rows, auto-filter, bold rows, fills and drop-downs;
    datetimes show as ``yyyy-mm-dd hh:mm``. Raise OSError if the file cannot be written.
    """
    workbook = Workbook()
    workbook.remove(workbook.active)
    for tab in spec.tabs:
        _write_tab(workbook.create_sheet(tab.name), tab)
    workbook.save(path)


def _write_tab(worksheet: Any, tab: TabSpec) -> None:
    for row in tab.rows:
        worksheet.append(row)
    _format_dates(worksheet)
    for index, width in enumerate(tab.widths):
        worksheet.column_dimensions[get_column_letter(index + 1)].width = width
    if tab.frozen_rows or tab.frozen_columns:
        worksheet.freeze_panes = f"{get_column_letter(tab.frozen_columns + 1)}{tab.frozen_rows + 1}"
    if tab.autofilter and tab.rows:
        last_column = get_column_letter(max(len(row) for row in tab.rows))
        worksheet.auto_filter.ref = f"A1:{last_column}{max(len(tab.rows), 2)}"
    _make_bold(worksheet, ([0] if tab.bold_header else []) + tab.bold_rows)
    for column in tab.wrap_columns:
        wrap_column(worksheet, column + 1, len(tab.rows))
    if tab.print_wide:
        print_wide(worksheet, tab.frozen_rows)
    for (row, column), colour in tab.fills.items():
        worksheet.cell(row + 1, column + 1).fill = PatternFill(fill_type="solid", fgColor=colour)
    _add_dropdowns(worksheet, tab.dropdowns)


def _format_dates(worksheet: Any) -> None:
    for row in worksheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT


def header_font() -> Font:
    """The bold font of header rows: named and sized like the body text, so it never falls back to a serif."""
    name, size = HEADER_FONT
    return Font(name=name, size=size, bold=True)


def wrap_column(worksheet: Any, column: int, last_row: int) -> None:
    """Wrap text in the 1-based ``column``: its cells down to ``last_row`` and, as the column's style, new ones."""
    wrapped = Alignment(wrap_text=True, vertical="top")
    worksheet.column_dimensions[get_column_letter(column)].alignment = wrapped
    for row in range(2, last_row + 1):
        worksheet.cell(row, column).alignment = wrapped


def print_wide(worksheet: Any, header_rows: int = 1) -> None:
    """Print landscape, fitted to one page wide (as many pages down as needed), repeating the header rows."""
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    if header_rows:
        worksheet.print_title_rows = f"1:{header_rows}"


def _make_bold(worksheet: Any, rows: list[int]) -> None:
    bold = header_font()
    for row in rows:
        for cell in worksheet[row + 1]:
            if cell.value is not None:
                cell.font = bold


def _add_dropdowns(worksheet: Any, dropdowns: dict[int, str]) -> None:
    for column, source in sorted(dropdowns.items()):
        add_list_dropdown(worksheet, column, source)
