"""The gsheets backend passes the backend contract, through gspread's real client to the local fake Sheets API."""

from __future__ import annotations

import pytest

from sync.backends.gsheets.backend import GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from tests.sync.backends.backend_contract import BackendContract
from tests.sync.backends.gsheets.fake_sheets import FakeSheets, FakeSpreadsheet

KEY = "contract-spreadsheet"


class FakeSheetsHarness:
    """A spreadsheet on the fake server, the backend pointed at it by the emulator switch, and a person."""

    def __init__(self, fake: FakeSheets) -> None:
        self.fake = fake
        fake.create(KEY)
        self.backend = GSheetsBackend(KEY)

    @property
    def spreadsheet(self) -> FakeSpreadsheet:
        return self.fake.spreadsheets[KEY]

    def load(self, tabs):
        self.fake.create(KEY, tabs=tabs)

    def tabs(self):
        return self.spreadsheet.tabs()

    def person_types(self, tab, row, column, value):
        self.spreadsheet.person_types(tab, row, column, value)

    def person_sorts(self, tab, column, reverse=False):
        self.spreadsheet.person_sorts(tab, column, descending=reverse)

    def person_inserts_row(self, tab, index, values):
        self.spreadsheet.person_inserts_row(tab, index, values)


@pytest.fixture
def fake_sheets(monkeypatch):
    with FakeSheets() as fake:
        monkeypatch.setenv(EMULATOR_VARIABLE, fake.url)
        yield fake


class TestGSheetsBackend(BackendContract):
    @pytest.fixture
    def harness(self, fake_sheets):
        return FakeSheetsHarness(fake_sheets)
