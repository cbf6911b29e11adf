"""Real .xlsx files on disk for tests: write tabs with openpyxl, read them back around the backend."""

from __future__ import annotations

from pathlib import Path

import openpyxl


def write_workbook(path: Path, tabs: dict[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in tabs.items():
        worksheet = workbook.create_sheet(name)
        for row_number, row in enumerate(rows, start=1):
            for column_number, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = worksheet.cell(row=row_number, column=column_number, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
    workbook.save(path)
    return path


def read_workbook(path: Path) -> dict[str, list[list]]:
    workbook = openpyxl.load_workbook(path)
    return {
        worksheet.title: [list(row) for row in worksheet.iter_rows(values_only=True)] for worksheet in workbook.worksheets
    }


def edit_workbook(path: Path, edit) -> None:
    """A person opens the file, changes something and saves it."""
    workbook = openpyxl.load_workbook(path)
    edit(workbook)
    workbook.save(path)
