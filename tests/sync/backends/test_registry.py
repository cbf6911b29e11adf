"""The registry: one line per backend, each opened from a desk's [workbook]; optional features are declared."""

from __future__ import annotations

import openpyxl
import pytest

from sheets_templates import build_spec
from sync.backends.gsheets.http import EMULATOR_VARIABLE
from sync.backends.memory import MemoryBackend
from sync.backends.port import BackendPlace, Fingerprinted, LaysOut, RowLinks
from sync.backends.registry import BACKENDS, open_backend
from sync.errors import WorkbookError
from tests.sync.backends.gsheets.fake_sheets import FakeSheets


@pytest.fixture
def emulator(monkeypatch):
    with FakeSheets() as server:
        monkeypatch.setenv(EMULATOR_VARIABLE, server.url)
        yield server


def test_every_registered_backend_opens_from_a_place_and_has_the_ports_verbs(tmp_path, emulator):
    place = BackendPlace(path=tmp_path / "desk.xlsx", spreadsheet="sheet-key", backup_dir=tmp_path / "backups")
    for name in BACKENDS:
        backend = open_backend(name, place)
        assert all(callable(getattr(backend, verb)) for verb in ("read", "apply", "describe")), name
        assert isinstance(backend, LaysOut), name  # `sheetdesk init` can build every registered backend


def test_optional_features_are_declared_by_each_backend(emulator):
    xlsx, gsheets = (open_backend(name, BackendPlace(spreadsheet="k")) for name in ("xlsx", "gsheets"))
    assert isinstance(xlsx, Fingerprinted) and not isinstance(xlsx, RowLinks)
    assert isinstance(gsheets, RowLinks) and not isinstance(gsheets, Fingerprinted)
    assert not isinstance(MemoryBackend(), Fingerprinted | RowLinks)


def test_the_xlsx_backend_lays_out_the_template_and_never_over_a_file_unless_asked(tmp_path):
    path = tmp_path / "desk.xlsx"
    backend = open_backend("xlsx", BackendPlace(path=path))
    backend.lay_out(build_spec("zh", sample=3))
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[0] == "工单" and workbook["工单"].max_row == 4
    assert workbook["工单"].data_validations.dataValidation  # its drop-downs, from the backend's one writer
    with pytest.raises(WorkbookError, match="already exists"):
        backend.lay_out(build_spec("en"))
    backend.lay_out(build_spec("en"), replace=True)
    assert openpyxl.load_workbook(path).sheetnames[0] == "Tickets"


def test_the_memory_backend_lays_out_the_template_as_rows():
    backend = MemoryBackend()
    backend.lay_out(build_spec("en", sample=2))
    assert len(backend.read().sheets["Tickets"].rows) == 3
    with pytest.raises(WorkbookError, match="already has"):
        backend.lay_out(build_spec("en"))
