"""Fixtures for sync tests: real template workbooks in tmp_path and desks over them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from sheets_templates import build_spec
from sync.backends.xlsx.backend import XlsxBackend
from sync.backends.xlsx.writer import write_xlsx
from sync.engine import Desk, DeskSettings
from sync.state import StateStore
from tests.mailers.conftest import smtp_server  # noqa: F401 (the real SMTP server on 127.0.0.1, shared)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # a Monday, inside working hours
# A core customer's quality complaint, as a person types it (Tickets headers in English).
NEW_COMPLAINT = {
    "Channel": "Phone",
    "Customer": "Harbour Foods",
    "Tier": "Core",
    "Product": "Cold-chain box",
    "Category": "Product quality",
    "Description": "Lid cracks on delivery",
    "Safety risk": "no",
    "Request": "Replacement",
    "Status": "New",
}


def make_workbook(path: Path, language: str = "en", sample: int = 0, rows: list[dict] | None = None) -> Path:
    """Write a template workbook, then append ``rows`` ({header label: value}) to its Tickets tab."""
    write_xlsx(build_spec(language, sample=sample, now=NOW.replace(tzinfo=None), seed=7), path)
    if rows:
        append_rows(path, rows)
    return path


def append_rows(path: Path, rows: list[dict]) -> None:
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook.worksheets[0]
    header = [cell.value for cell in worksheet[1]]
    first = worksheet.max_row + 1
    while first > 2 and all(cell.value is None for cell in worksheet[first - 1]):
        first -= 1
    for offset, row in enumerate(rows):
        for label, value in row.items():
            worksheet.cell(row=first + offset, column=header.index(label) + 1, value=value)
    workbook.save(path)


def tickets_by_id(path: Path) -> dict[str, dict[str, object]]:
    """The Tickets tab as {Ticket ID: {header: value}}, read with openpyxl around the backend."""
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook.worksheets[0]
    rows = list(worksheet.iter_rows(values_only=True))
    header = rows[0]
    id_column = header.index("Ticket ID") if "Ticket ID" in header else header.index("工单编号")
    return {row[id_column]: dict(zip(header, row, strict=False)) for row in rows[1:] if row[id_column]}


@pytest.fixture
def desk_factory(tmp_path):
    """Return a function making a Desk over a workbook file, with its state in tmp_path/state."""
    stores: list[StateStore] = []

    def make(path: Path, settings: DeskSettings | None = None, **options) -> Desk:
        state = StateStore(tmp_path / "state")
        stores.append(state)
        backend = XlsxBackend(path, backup_dir=tmp_path / "state" / "backups")
        return Desk(backend, state, settings, **options)

    yield make
    for store in stores:
        store.close()
