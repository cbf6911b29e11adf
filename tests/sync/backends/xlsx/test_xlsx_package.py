"""Writes that used to need openpyxl are streamed into the package: new generated tabs, a Dashboard whose charted
tables changed size, colours and drop-downs re-applied. Each is checked against the openpyxl path (kept as the
fallback for workbooks the package writer refuses) writing the same cycle."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from sync.backends.xlsx import backend as xlsx_backend
from sync.backends.xlsx.backend import XlsxBackend
from sync.backends.xlsx.patch import PatchRefused
from sync.engine import DeskSettings
from tests.sync.conftest import NEW_COMPLAINT, NOW, append_rows, make_workbook

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PERSON_RULE = 'LEN($B2)>100'


def refuse(*arguments):
    raise PatchRefused("refused for the test")


def openpyxl_only(monkeypatch) -> None:
    """Make the backend write the way it did before streaming: always through openpyxl."""
    monkeypatch.setattr(xlsx_backend, "write_package", refuse)


def never_openpyxl(monkeypatch) -> list:
    """Make any openpyxl write fail the test; return the list of refusals logged (there must be none)."""
    def fail(self, *arguments):
        raise AssertionError("the write went through openpyxl")

    monkeypatch.setattr(XlsxBackend, "_rewrite", fail)
    return []


def values(path: Path) -> dict[str, list[list]]:
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}
    finally:
        workbook.close()


def colour_rules(path: Path, sheet: int = 0) -> list[tuple[str, str, list[str], bool]]:
    """Every conditional-formatting rule of a sheet: (range, fill colour, formulas, stop if true)."""
    worksheet = openpyxl.load_workbook(path).worksheets[sheet]
    return sorted(
        (str(block.sqref), rule.dxf.fill.fgColor.rgb if rule.dxf and rule.dxf.fill else "", list(rule.formula),
         bool(rule.stopIfTrue))
        for block in worksheet.conditional_formatting for rule in block.rules
    )


def dropdowns(path: Path) -> list[tuple[str, str]]:
    worksheet = openpyxl.load_workbook(path).worksheets[0]
    return sorted((str(validation.sqref), validation.formula1) for validation in worksheet.data_validations.dataValidation)


def charts(path: Path, sheet: str) -> list[tuple[str, str]]:
    """The charts of a tab as (kind, the references of their series)."""
    worksheet = openpyxl.load_workbook(path)[sheet]
    return [(type(chart).__name__, ",".join(series.val.numRef.f for series in chart.series)) for chart in worksheet._charts]


def make_twins(tmp_path, sample: int = 30) -> tuple[Path, Path]:
    """The same fresh workbook twice: one to be written by streaming, one through openpyxl."""
    (tmp_path / "streamed").mkdir()
    (tmp_path / "rebuilt").mkdir()
    streamed = make_workbook(tmp_path / "streamed" / "desk.xlsx", sample=sample)
    rebuilt = tmp_path / "rebuilt" / "desk.xlsx"
    shutil.copy(streamed, rebuilt)
    return streamed, rebuilt


@pytest.fixture
def twins(tmp_path):
    return make_twins(tmp_path)


def cycle_both(twins, monkeypatch, now=NOW):
    """One cycle on each twin, each with its own state store: streamed, and through openpyxl."""
    from sync.engine import Desk
    from sync.state import StateStore

    for path, force in zip(twins, (never_openpyxl, openpyxl_only), strict=True):
        with monkeypatch.context() as patched:
            force(patched)
            state = StateStore(path.parent / "state")
            try:
                assert Desk(XlsxBackend(path), state).cycle(now).wrote
            finally:
                state.close()


def test_the_first_fill_streams_what_openpyxl_would_write(twins, monkeypatch):
    cycle_both(twins, monkeypatch)
    streamed, rebuilt = twins
    assert values(streamed) == values(rebuilt)
    assert colour_rules(streamed) == colour_rules(rebuilt)
    assert len(colour_rules(streamed)) == 5
    assert dropdowns(streamed) == dropdowns(rebuilt)
    assert charts(streamed, "Dashboard") == charts(rebuilt, "Dashboard")
    dashboard = openpyxl.load_workbook(streamed)["Dashboard"]
    assert dashboard["A1"].font.b is True
    assert openpyxl.load_workbook(streamed).sheetnames == openpyxl.load_workbook(rebuilt).sheetnames


def test_a_second_cycle_after_the_streamed_first_fill_finds_nothing_to_write(twins, desk_factory, monkeypatch):
    streamed, _ = twins
    never_openpyxl(monkeypatch)
    desk_factory(streamed).cycle(NOW)
    report = desk_factory(streamed, DeskSettings(remember=False)).cycle(NOW)
    assert not report.wrote and report.cells_written == 0  # formatting found, Dashboard and Rule check as wanted


def test_colours_a_person_broke_are_streamed_back_next_to_their_own_rule(twins, monkeypatch):
    streamed, rebuilt = twins
    cycle_both(twins, monkeypatch)
    for path in twins:  # the person clears every rule and adds one of their own
        workbook = openpyxl.load_workbook(path)
        tickets = workbook.worksheets[0]
        tickets.conditional_formatting._cf_rules.clear()
        tickets.conditional_formatting.add("B2:B500", FormulaRule(formula=[PERSON_RULE], fill=PatternFill(
            start_color="FFFF00", end_color="FFFF00", fill_type="solid")))
        workbook.save(path)
    cycle_both(twins, monkeypatch, now=NOW + timedelta(minutes=5))
    assert colour_rules(streamed) == colour_rules(rebuilt)
    assert [rule for rule in colour_rules(streamed) if rule[2] == [PERSON_RULE]]
    assert len(colour_rules(streamed)) == 6


def test_colours_applied_again_replace_ours_without_piling_up(tmp_path, monkeypatch):
    from sync.backends.port import ChangeSet, FormattingSpec
    from tickets import match_headers

    path = make_workbook(tmp_path / "desk.xlsx", sample=3)
    never_openpyxl(monkeypatch)
    backend = XlsxBackend(path)
    labels = {"overdue": "overdue", "due_soon": "due soon", "paused": "paused", "closed": "closed"}
    for _ in range(3):
        snapshot = backend.read()
        positions = match_headers(snapshot.sheets["Tickets"].rows[0]).positions
        backend.apply(ChangeSet("Tickets", columns=positions, formatting=FormattingSpec(labels)), snapshot)
    assert len(colour_rules(path)) == 5
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml").decode()
    assert styles.count("<dxf>") == 5  # the same five fills, reused


def test_a_drop_down_a_person_set_is_kept_and_not_doubled(tmp_path, desk_factory, monkeypatch):
    path = make_workbook(tmp_path / "desk.xlsx", sample=5)
    workbook = openpyxl.load_workbook(path)
    tickets = workbook.worksheets[0]
    tickets.data_validations.dataValidation.clear()
    handlers = DataValidation(type="list", formula1='"Ann,Bo"', allow_blank=True)
    handlers.add("E2:E300")  # the Tier column, which the desk would give its own list
    tickets.add_data_validation(handlers)
    workbook.save(path)
    never_openpyxl(monkeypatch)
    desk_factory(path).cycle(NOW)
    listed = dropdowns(path)
    assert ("E2:E300", '"Ann,Bo"') in listed
    assert [sqref for sqref, _ in listed if sqref.startswith("E")] == ["E2:E300"]
    assert len(listed) > 1  # the desk's own lists on the other columns


def test_a_dashboard_that_grew_is_written_whole_as_openpyxl_would_with_nothing_left_behind(tmp_path, monkeypatch):
    twins = make_twins(tmp_path, sample=3)
    cycle_both(twins, monkeypatch)
    streamed, rebuilt = twins
    charted = charts(streamed, "Dashboard")
    for path in twins:
        append_rows(path, [{**NEW_COMPLAINT, "Category": category} for category in ("Billing", "Packaging", "Other")])
    cycle_both(twins, monkeypatch, now=NOW + timedelta(minutes=5))
    assert charts(streamed, "Dashboard") != charted  # the category table grew: the chart spans more rows
    assert charts(streamed, "Dashboard") == charts(rebuilt, "Dashboard")
    assert values(streamed) == values(rebuilt)
    with zipfile.ZipFile(streamed) as archive:
        names = archive.namelist()
        content_types = archive.read("[Content_Types].xml").decode()
    assert len(names) == len(set(names))
    chart_parts = [name for name in names if name.startswith("xl/charts/")]
    assert len(chart_parts) == len(charted)  # the old charts were dropped, not left behind
    assert all(f'"/{name}"' in content_types for name in chart_parts)


def test_a_generated_tab_tied_to_a_part_the_writer_does_not_own_falls_back_to_openpyxl(tmp_path, desk_factory,
                                                                                       monkeypatch):
    from openpyxl.comments import Comment

    path = make_workbook(tmp_path / "desk.xlsx", sample=5)
    desk_factory(path).cycle(NOW)
    workbook = openpyxl.load_workbook(path)
    workbook["Dashboard"]["A1"].comment = Comment("numbers for the Monday meeting", "Li")
    workbook.save(path)
    append_rows(path, [{**NEW_COMPLAINT, "Category": "Billing"}])
    rewrites = []
    rewrite = XlsxBackend._rewrite
    monkeypatch.setattr(XlsxBackend, "_rewrite", lambda self, *args: rewrites.append(1) or rewrite(self, *args))
    assert desk_factory(path).cycle(NOW + timedelta(minutes=5)).wrote
    assert rewrites == [1]
    tickets = values(path)["Tickets"]
    assert tickets[-1][0].startswith("CS-")  # the new row got its number through openpyxl


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
def test_libreoffice_opens_the_streamed_first_fill(tmp_path, desk_factory, monkeypatch):
    path = make_workbook(tmp_path / "desk.xlsx", sample=30)
    never_openpyxl(monkeypatch)
    desk_factory(path).cycle(NOW)
    out = tmp_path / "out"
    subprocess.run([SOFFICE, "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    converted = values(out / "desk.xlsx")
    original = values(path)
    assert set(converted) == set(original)
    assert converted["Dashboard"][:3] == original["Dashboard"][:3]
    assert len(openpyxl.load_workbook(out / "desk.xlsx")["Dashboard"]._charts) == len(
        openpyxl.load_workbook(path)["Dashboard"]._charts)
