"""The in-memory backend passes the backend contract."""

from __future__ import annotations

import copy

import pytest

from sync.backends.memory import MemoryBackend
from tests.sync.backends.backend_contract import BackendContract


class MemoryHarness:
    def __init__(self) -> None:
        self.backend = MemoryBackend()

    def load(self, tabs):
        self.backend.tabs = copy.deepcopy(tabs)

    def tabs(self):
        return copy.deepcopy(self.backend.tabs)

    def person_types(self, tab, row, column, value):
        cells = self.backend.tabs[tab][row]
        cells.extend([None] * (column + 1 - len(cells)))
        cells[column] = value

    def person_sorts(self, tab, column, reverse=False):
        rows = self.backend.tabs[tab]
        rows[1:] = sorted(rows[1:], key=lambda row: str(row[column] or ""), reverse=reverse)

    def person_inserts_row(self, tab, index, values):
        self.backend.tabs[tab].insert(index, list(values))


class TestMemoryBackend(BackendContract):
    @pytest.fixture
    def harness(self):
        return MemoryHarness()
