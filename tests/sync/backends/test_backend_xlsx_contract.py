"""The xlsx backend passes the backend contract, on real files in tmp_path."""

from __future__ import annotations

import pytest

from sync.backends.xlsx.backend import XlsxBackend
from tests.sync.backends.backend_contract import BackendContract
from tests.sync.backends.xlsx.xlsx_files import edit_workbook, read_workbook, write_workbook


class XlsxHarness:
    def __init__(self, directory) -> None:
        self.path = directory / "desk.xlsx"
        self.backend = XlsxBackend(self.path, backup_dir=directory / "backups")

    def load(self, tabs):
        write_workbook(self.path, tabs)

    def tabs(self):
        return read_workbook(self.path)

    def person_types(self, tab, row, column, value):
        edit_workbook(self.path, lambda workbook: workbook[tab].cell(row=row + 1, column=column + 1, value=value))

    def person_sorts(self, tab, column, reverse=False):
        def sort(workbook):
            worksheet = workbook[tab]
            rows = [list(row) for row in worksheet.iter_rows(min_row=2, values_only=True)]
            rows.sort(key=lambda row: str(row[column] or ""), reverse=reverse)
            for row_number, row in enumerate(rows, start=2):
                for column_number, value in enumerate(row, start=1):
                    worksheet.cell(row=row_number, column=column_number, value=value)

        edit_workbook(self.path, sort)

    def person_inserts_row(self, tab, index, values):
        def insert(workbook):
            worksheet = workbook[tab]
            worksheet.insert_rows(index + 1)
            for column_number, value in enumerate(values, start=1):
                worksheet.cell(row=index + 1, column=column_number, value=value)

        edit_workbook(self.path, insert)


class TestXlsxBackend(BackendContract):
    @pytest.fixture
    def harness(self, tmp_path):
        return XlsxHarness(tmp_path)
