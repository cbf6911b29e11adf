"""A new process starts with the light values read: the gsheets backend keeps its metadata in the state store.

Each "process" here is a new GSheetsBackend over a new StateStore on the same folder, as ``sheetdesk run --once``
from a timer makes one every few minutes. The fake Sheets API logs every request it answers, by route.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner

from sync.backends.gsheets.backend import GSheetsBackend
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from sync.service.cli import cli
from sync.state import StateStore
from tests.sync.backends.gsheets.fake_sheets import FakeSheets
from tests.sync.backends.gsheets.test_gsheets import KEY, grades_for, workbook

FULL_READ = "get"
VALUES_READ = "get values"  # a spreadsheets.get asking for values and formulas only, no metadata
WRITE = "batch_update"


@pytest.fixture
def fake(monkeypatch):
    with FakeSheets() as server:
        monkeypatch.setenv(EMULATOR_VARIABLE, server.url)
        yield server


def routes(fake: FakeSheets) -> list[str]:
    return [VALUES_READ if route == "get" and "conditionalFormats" not in fields and "rowData" in fields else route
            for (_, route, _), fields in zip(fake.log, fake.fields, strict=True)]


def process(tmp_path, **options) -> tuple[GSheetsBackend, StateStore]:
    """A backend as a new process builds it: nothing in memory but what the state store kept."""
    state = StateStore(tmp_path / "state")
    return GSheetsBackend(KEY, memory=state, **options), state


def one_read(tmp_path, fake: FakeSheets, **options):
    """Start a process, read once, stop; return the snapshot and the routes of the requests it sent."""
    backend, state = process(tmp_path, **options)
    fake.reset_counts()
    try:
        return backend.read(), routes(fake)
    finally:
        state.close()


def test_a_second_process_starts_with_the_light_values_read(fake, tmp_path):
    fake.create(KEY, tabs=workbook(20))
    first, first_routes = one_read(tmp_path, fake)
    second, second_routes = one_read(tmp_path, fake)
    assert first_routes == [FULL_READ, FULL_READ]  # gspread's open_by_key, then the read with grid data
    assert second_routes == [VALUES_READ]
    assert second.sheets == first.sheets


def test_without_a_memory_every_process_pays_the_full_read(fake, tmp_path):
    fake.create(KEY, tabs=workbook(5))
    for _ in range(2):
        fake.reset_counts()
        GSheetsBackend(KEY).read()
        assert routes(fake) == [FULL_READ, FULL_READ]


def test_a_remembered_process_writes_to_the_right_cells_without_a_metadata_request(fake, tmp_path):
    spreadsheet = fake.create(KEY, tabs=workbook(5))
    one_read(tmp_path, fake)
    backend, state = process(tmp_path)
    fake.reset_counts()
    snapshot = backend.read()
    backend.apply(grades_for(snapshot, grade="P3"), snapshot)
    state.close()
    assert routes(fake) == [VALUES_READ, VALUES_READ, WRITE, VALUES_READ]
    rows = spreadsheet.values("Tickets")
    grade = rows[0].index("Grade")
    assert [row[grade] for row in rows[1:]] == [f"P3 {row[0]}" for row in rows[1:]]


def test_metadata_is_fetched_every_nth_read_counted_across_processes(fake, tmp_path):
    fake.create(KEY, tabs=workbook(5))
    kinds = []
    for _ in range(7):
        _, sent = one_read(tmp_path, fake, metadata_every=3)
        kinds.append("full" if FULL_READ in sent else "values")
    assert kinds == ["full", "values", "values", "full", "values", "values", "full"]


def test_a_tab_renamed_between_processes_is_found_by_the_full_read(fake, tmp_path):
    spreadsheet = fake.create(KEY, tabs=workbook(5))
    one_read(tmp_path, fake)
    spreadsheet.sheet("Lists").title = "Options"
    snapshot, sent = one_read(tmp_path, fake)
    assert set(snapshot.sheets) == {"Tickets", "Options"}
    assert sent[-1] == FULL_READ
    _, after = one_read(tmp_path, fake)
    assert after == [VALUES_READ]  # the memory now knows the new name


def test_rows_inserted_between_processes_change_the_grid_and_fall_back_to_the_full_read(fake, tmp_path):
    spreadsheet = fake.create(KEY, tabs=workbook(5))
    first, _ = one_read(tmp_path, fake)
    spreadsheet.person_inserts_row("Tickets", 2, ["CS-NEW", None, None, "Walk-in"])
    snapshot, sent = one_read(tmp_path, fake)
    assert sent == [VALUES_READ, FULL_READ]
    assert len(snapshot.sheets["Tickets"].rows) == len(first.sheets["Tickets"].rows) + 1
    assert snapshot.sheets["Tickets"].rows[2][0] == "CS-NEW"


def test_a_person_clearing_the_colours_is_seen_by_the_next_process_that_fetches_metadata(fake, tmp_path):
    spreadsheet = fake.create(KEY, tabs=workbook(5))
    from sync.backends.port import ChangeSet, FormattingSpec
    from tickets import match_headers

    backend, state = process(tmp_path, metadata_every=2)
    snapshot = backend.read()
    positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
    labels = {"overdue": "overdue", "due_soon": "due soon", "paused": "paused", "closed": "closed"}
    backend.apply(ChangeSet("Tickets", columns=positions, formatting=FormattingSpec(labels)), snapshot)
    state.close()
    spreadsheet.person_clears_conditional_formats("Tickets")
    seen = [one_read(tmp_path, fake, metadata_every=2)[0].formatting_ok for _ in range(2)]
    assert seen == [True, False]  # as a daemon: the values read trusts the metadata, the next full read looks


def test_a_rejected_write_makes_the_next_process_read_everything(fake, tmp_path):
    fake.create(KEY, tabs=workbook(5))
    one_read(tmp_path, fake)
    backend, state = process(tmp_path)
    snapshot = backend.read()
    fake.fail_next(1, status=400)
    with pytest.raises(Exception):  # noqa: B017 — the deferral itself is tested in test_gsheets.py
        backend.apply(grades_for(snapshot), snapshot)
    state.close()
    _, sent = one_read(tmp_path, fake)
    assert FULL_READ in sent


def test_a_memory_of_another_format_is_ignored(fake, tmp_path):
    fake.create(KEY, tabs=workbook(5))
    state = StateStore(tmp_path / "state")
    state.put(f"gsheets metadata {KEY}", '{"format": 0, "sheets": [{"title": "Tickets"}]}')
    state.close()
    snapshot, sent = one_read(tmp_path, fake)
    assert FULL_READ in sent and "Tickets" in snapshot.sheets


def test_run_once_from_a_timer_starts_the_second_process_with_one_values_read(fake, tmp_path):
    templates = pytest.importorskip("sheets_templates")
    fake.create(KEY)
    GSheetsBackend(KEY).lay_out(templates.build_spec("en", sample=12, now=datetime(2026, 11, 23, 9, 0), seed=3))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[workbook]\nbackend = "gsheets"\nspreadsheet = "{KEY}"\n'
        '[mail]\ntransport = "outbox"\noutbox_dir = "outbox"\n[state]\ndir = "state"\n'
    )
    now = "2026-11-23T10:00"

    def run_once() -> list[str]:
        fake.reset_counts()
        result = CliRunner().invoke(cli, ["run", "--once", "--config", str(config), "--now", now])
        assert result.exit_code == 0, result.output
        return routes(fake)

    first = run_once()  # fills the computed columns: open, full read, re-read, write
    second = run_once()  # nothing new: one values read, no write
    assert first[:2] == [FULL_READ, FULL_READ] and WRITE in first
    assert second == [VALUES_READ]
