"""Against a real Google spreadsheet: runs only when a scratch spreadsheet and a service-account key are given.

    SHEETDESK_LIVE_SPREADSHEET=<key of a scratch spreadsheet shared with the service account as Editor>
    GOOGLE_APPLICATION_CREDENTIALS=<path to the service account's JSON key>
    pytest -m live tests/sync/backends/gsheets/test_gsheets_live.py

It writes only a tab of its own, "sheetdesk live test", replaced on every run.
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest

from sync.backends.gsheets.backend import CREDENTIALS_VARIABLE, GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from sync.backends.port import ChangeSet, Chart, GeneratedTab
from tickets import from_excel_serial

SPREADSHEET_VARIABLE = "SHEETDESK_LIVE_SPREADSHEET"
TAB = "sheetdesk live test"

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not (os.environ.get(SPREADSHEET_VARIABLE) and os.environ.get(CREDENTIALS_VARIABLE)),
        reason=f"set {SPREADSHEET_VARIABLE} (a scratch spreadsheet's key, shared with the service account) and "
        f"{CREDENTIALS_VARIABLE} (the service account's JSON key) to run the live Google Sheets test",
    ),
]


@pytest.fixture
def backend(monkeypatch):
    monkeypatch.delenv(EMULATOR_VARIABLE, raising=False)
    return GSheetsBackend(os.environ[SPREADSHEET_VARIABLE], retry_budget_seconds=60)


def test_a_generated_tab_round_trips_through_google_within_the_request_budget(backend):
    backend.read()  # start-up
    before = backend.counts.snapshot()
    snapshot = backend.read()
    written = datetime.now().replace(second=0, microsecond=0)
    tab = GeneratedTab(
        [["What", "Value"], ["Written at", written], ["Looks like a formula", "=1+1"], ["Count", 3]],
        charts=[Chart("bar", "Count", "D2", header_row=0, first_row=3, last_row=3)],
    )
    backend.apply(ChangeSet(next(iter(snapshot.sheets)), tabs={TAB: tab}), snapshot)
    cycle = backend.counts.since(before)
    assert cycle.total <= 3 and cycle.writes == 1

    rows = backend.read().sheets[TAB].rows
    assert rows[2] == ["Looks like a formula", "=1+1"]
    assert rows[3] == ["Count", 3]
    assert from_excel_serial(rows[1][1]) == written
