"""A workbook path that is a symlink (``desk.xlsx -> /srv/real/team.xlsx``) is written through the link: the link
stays a link, the file it points at gets the write (atomically, its temporary file in the target's folder), a lock
file beside either name defers the write, and the backups stay beside the state."""

from __future__ import annotations

import os

import pytest

from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk
from sync.state import StateStore
from tests.sync.conftest import NEW_COMPLAINT, append_rows, make_workbook, tickets_by_id
from tests.sync.conftest import NOW as AWARE_NOW
from tests.sync.service.test_cli import invoke
from tests.sync.service.test_config import write_config

NOW = "2026-11-23T10:00"


@pytest.fixture
def linked(tmp_path):
    """``desk/desk.xlsx`` is a relative symlink to ``real/team.xlsx``, which holds the workbook."""
    (tmp_path / "real").mkdir()
    target = make_workbook(tmp_path / "real" / "team.xlsx", sample=4, rows=[NEW_COMPLAINT])
    (tmp_path / "desk").mkdir()
    link = tmp_path / "desk" / "desk.xlsx"
    link.symlink_to(os.path.relpath(target, link.parent))
    return link, target


def test_a_cycle_writes_through_the_link_and_keeps_it_a_link(linked, tmp_path):
    link, target = linked
    config = write_config(tmp_path / "desk")
    before = os.readlink(link)

    result = invoke("run", "--once", "--config", config, "--now", NOW)

    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == before
    assert "CS-20261123-0001" in tickets_by_id(target)  # staff opening the real file see the write
    assert [path.name for path in (tmp_path / "desk").iterdir() if path.name.endswith(".xlsx")] == ["desk.xlsx"]
    assert sorted(path.name for path in (tmp_path / "real").iterdir()) == ["team.xlsx"]  # no temporary left
    backups = list((tmp_path / "desk" / "state" / "backups").iterdir())
    assert len(backups) == 1 and not backups[0].is_symlink()  # beside the state, a copy of the old version


def test_a_second_cycle_after_a_person_edited_the_real_file_sees_the_edit(linked, tmp_path):
    link, target = linked
    config = write_config(tmp_path / "desk")
    assert invoke("run", "--once", "--config", config, "--now", NOW).exit_code == 0
    append_rows(target, [{**NEW_COMPLAINT, "Customer": "Second customer"}])  # staff save the real file

    assert invoke("run", "--once", "--config", config, "--now", NOW).exit_code == 0

    assert link.is_symlink()
    assert {"CS-20261123-0001", "CS-20261123-0002"} <= set(tickets_by_id(target))


def test_the_real_file_open_in_libreoffice_defers_the_write(linked, tmp_path):
    link, target = linked
    (target.parent / f".~lock.{target.name}#").write_text("someone,host,01.01.2026 10:00;", encoding="utf-8")
    before = target.read_bytes()
    state = StateStore(tmp_path / "state")
    try:
        desk = Desk(XlsxBackend(link, backup_dir=tmp_path / "state" / "backups"), state)
        report = desk.cycle(AWARE_NOW)
    finally:
        state.close()
    assert report.deferred and "open in Excel or LibreOffice" in report.deferred
    assert target.read_bytes() == before and link.is_symlink()
