"""The sheetdesk command over real workbooks in tmp_path: each command's happy path, its error paths, their
exit codes (0 ok, 1 problems, 2 usage or config, 3 already running) and messages — and, through a real
subprocess, that no traceback ever reaches stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sync.service.cli import cli
from sync.service.config import load_settings
from sync.service.desks import InstanceLock, desk_configs
from tests.sync.conftest import NEW_COMPLAINT, append_rows, make_workbook, tickets_by_id
from tests.sync.service.test_config import write_config

NOW = "2026-11-23T10:00"  # a Monday inside working hours, read in the Calendar's zone
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def config(tmp_path) -> Path:
    """A config beside a template workbook holding eight sample tickets."""
    make_workbook(tmp_path / "desk.xlsx", sample=8)
    return write_config(tmp_path)


def invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def child_environment() -> dict[str, str]:
    """The environment for a real ``python -m sync.service.cli`` child: this checkout importable, no debug switch."""
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    environment.pop("SHEETDESK_DEBUG", None)
    return environment


def eml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def break_the_rules(path: Path) -> None:
    """A rule-tab problem, a calendar problem and a row with two bad cells."""
    workbook = openpyxl.load_workbook(path)
    workbook["Deadline rules"]["E2"] = "soon"
    workbook["Calendar"]["B4"] = "25:00"
    workbook.save(path)
    append_rows(path, [{**NEW_COMPLAINT, "Tier": "Gold", "Status": "Banana"}])


# -- init ----------------------------------------------------------------------------------------------------


def test_init_creates_a_workbook_with_sample_tickets(tmp_path):
    result = invoke("init", tmp_path / "books" / "desk.xlsx", "--sample", "5")
    assert result.exit_code == 0, result.output
    assert "created" in result.stdout
    tickets = openpyxl.load_workbook(tmp_path / "books" / "desk.xlsx").worksheets[0]
    assert tickets.title == "Tickets"
    assert sum(1 for row in tickets.iter_rows(min_row=2, values_only=True) if any(row)) == 5


def test_init_makes_a_chinese_workbook(tmp_path):
    assert invoke("init", tmp_path / "desk.xlsx", "--lang", "zh").exit_code == 0
    header = [cell.value for cell in openpyxl.load_workbook(tmp_path / "desk.xlsx").worksheets[0][1]]
    assert "工单编号" in header


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["Tickets", "Dashboard", "Grade rules"]),
    ("zh", ["工单", "看板", "定级规则"]),
])
def test_init_puts_the_dashboard_right_after_tickets_saying_the_first_cycle_fills_it(tmp_path, language, expected):
    assert invoke("init", tmp_path / "desk.xlsx", "--lang", language, "--sample", "3").exit_code == 0
    workbook = openpyxl.load_workbook(tmp_path / "desk.xlsx")
    assert workbook.sheetnames[:3] == expected
    assert "sheetdesk run" in workbook.worksheets[1]["A2"].value


def test_a_cycle_puts_the_dashboard_right_after_tickets_in_an_old_workbook_that_lacks_it(config, tmp_path):
    path = tmp_path / "desk.xlsx"
    before = openpyxl.load_workbook(path)
    assert "Dashboard" not in before.sheetnames
    kept = {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in before.worksheets if sheet.title != "Tickets"}
    result = invoke("run", "--once", "--config", config, "--now", NOW)
    assert result.exit_code == 0, result.output
    after = openpyxl.load_workbook(path)
    assert after.sheetnames[:2] == ["Tickets", "Dashboard"]
    assert [title for title in after.sheetnames if title in kept] == list(kept)
    for title, rows in kept.items():
        assert [list(row) for row in after[title].iter_rows(values_only=True)] == rows, title
    assert after["Tickets"].print_title_rows == "$1:$1"


def test_init_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "desk.xlsx"
    path.write_bytes(b"the team's precious work")
    result = invoke("init", path)
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert path.read_bytes() == b"the team's precious work"
    assert invoke("init", path, "--force").exit_code == 0
    assert openpyxl.load_workbook(path).worksheets[0].title == "Tickets"


def test_init_on_a_folder_says_to_name_the_file(tmp_path):
    result = invoke("init", tmp_path)
    assert result.exit_code == 2 and "is a folder" in result.stderr


def test_init_writes_a_commented_config_that_points_at_the_new_workbook(tmp_path):
    config = tmp_path / "config.toml"
    result = invoke("init", tmp_path / "books" / "desk.xlsx", "--config", config)
    assert result.exit_code == 0, result.output
    assert f"wrote {config}" in result.stdout
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# sheetdesk configuration") and "# xlsx (a local .xlsx file)" in text
    settings = load_settings(config)
    assert settings.resolve(settings.workbook.path) == tmp_path / "books" / "desk.xlsx"
    assert settings.resolve(settings.state.dir) == tmp_path / "state"
    assert invoke("check", "--config", config, "--now", NOW).exit_code == 0


def test_init_never_overwrites_an_existing_config(tmp_path):
    config = write_config(tmp_path)
    before = config.read_bytes()
    result = invoke("init", tmp_path / "other.xlsx", "--config", config)
    assert result.exit_code == 0 and f"kept the existing {config}" in result.stdout
    assert config.read_bytes() == before


def test_init_without_a_path_for_a_local_workbook_is_a_usage_error(tmp_path):
    result = invoke("init", "--config", tmp_path / "config.toml")
    assert result.exit_code == 2 and "sheetdesk init desk.xlsx" in result.stderr
    assert not (tmp_path / "config.toml").exists()


def test_init_for_gsheets_needs_no_path_and_lays_the_template_into_the_spreadsheet(tmp_path, monkeypatch):
    from sync.backends.gsheets.http import EMULATOR_VARIABLE
    from tests.sync.backends.gsheets.fake_sheets import FakeSheets

    config = tmp_path / "config.toml"
    with FakeSheets() as server:
        monkeypatch.setenv(EMULATOR_VARIABLE, server.url)
        spreadsheet = server.create("KEY123")
        result = invoke("init", "--backend", "gsheets", "--spreadsheet", "KEY123", "--config", config)
        assert result.exit_code == 0, result.output
        assert [sheet.title for sheet in spreadsheet.sheets][:3] == ["Tickets", "Dashboard", "Grade rules"]
    settings = load_settings(config)
    assert (settings.workbook.backend, settings.workbook.spreadsheet) == ("gsheets", "KEY123")


def test_init_for_gsheets_without_a_key_is_a_usage_error(tmp_path):
    result = invoke("init", "--backend", "gsheets", "--config", tmp_path / "config.toml")
    assert result.exit_code == 2 and "--spreadsheet KEY" in result.stderr


def test_init_with_an_unknown_language_is_a_usage_error(tmp_path):
    result = invoke("init", tmp_path / "desk.xlsx", "--lang", "fr")
    assert result.exit_code == 2 and "'fr' is not one of" in result.stderr


# -- check ---------------------------------------------------------------------------------------------------


def test_check_passes_a_clean_workbook_and_writes_nothing(config, tmp_path):
    before = (tmp_path / "desk.xlsx").read_bytes()
    result = invoke("check", "--config", config, "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "main: 8 tickets checked, 0 problems" in result.stdout
    assert (tmp_path / "desk.xlsx").read_bytes() == before
    assert not (tmp_path / "state").exists()  # not even the state store


def test_check_prints_every_problem_with_its_tab_and_cell_and_exits_1(config, tmp_path):
    break_the_rules(tmp_path / "desk.xlsx")
    before = (tmp_path / "desk.xlsx").read_bytes()
    result = invoke("check", "--config", config, "--now", NOW)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert 'Deadline rules!E2: "soon" is not a number of hours — write a number such as 24' in lines
    assert any(line.startswith('Calendar!B4: "25:00" is not a time') for line in lines)
    assert any(line.startswith('Tickets!10: Status: "Banana" is not a status') for line in lines)
    assert any(line.startswith('Tickets!10: Tier: "Gold" is not an allowed value') for line in lines)
    assert (tmp_path / "desk.xlsx").read_bytes() == before
    assert not (tmp_path / "state").exists()


def test_check_names_a_mistyped_rule_header_with_its_cell_and_a_suggestion_and_exits_1(config, tmp_path):
    workbook = openpyxl.load_workbook(tmp_path / "desk.xlsx")
    header = [cell for cell in workbook["Owner rules"][1] if cell.value == "IF Category"][0]
    header.value = "IF Categroy"
    workbook.save(tmp_path / "desk.xlsx")
    result = invoke("check", "--config", config, "--now", NOW)
    assert result.exit_code == 1, result.output
    assert any(line.startswith(f'Owner rules!{header.coordinate}: "IF Categroy" is not a column') and "Category" in line
               for line in result.stdout.splitlines()), result.stdout


def test_check_uses_the_state_store_without_changing_it(config, tmp_path):
    append_rows(tmp_path / "desk.xlsx", [NEW_COMPLAINT])
    assert invoke("run", "--once", "--config", config, "--now", NOW).exit_code == 0
    state = tmp_path / "state" / "sheetdesk.sqlite3"
    before = (tmp_path / "desk.xlsx").read_bytes(), state.read_bytes()
    assert invoke("check", "--config", config, "--now", "2026-11-23T11:00").exit_code == 0
    assert ((tmp_path / "desk.xlsx").read_bytes(), state.read_bytes()) == before


def test_check_on_a_missing_workbook_says_how_to_make_one(tmp_path):
    result = invoke("check", "--config", write_config(tmp_path))
    assert result.exit_code == 2
    assert "no such workbook" in result.stderr and "sheetdesk init" in result.stderr


def test_check_on_a_corrupt_workbook_says_it_cannot_be_read(config, tmp_path):
    (tmp_path / "desk.xlsx").write_bytes(os.urandom(4096))
    result = invoke("check", "--config", config)
    assert result.exit_code == 2
    assert "cannot be read as an .xlsx workbook" in result.stderr


@pytest.mark.parametrize(
    "command", [["check"], ["run", "--once"], ["report"], ["mail-test", "--to", "a@example.com"]]
)
def test_every_command_reports_a_missing_config_with_exit_2(tmp_path, command):
    result = invoke(*command, "--config", tmp_path / "nope.toml")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"sheetdesk: {tmp_path / 'nope.toml'}: no such config file")
    assert "sheetdesk init desk.xlsx" in result.stderr  # says how to get one


def test_a_config_with_unknown_keys_names_every_one_and_exits_2(tmp_path):
    config = write_config(tmp_path, '[reminders]\nrepeat_hour = 4\n\n[mails]\nsender = "x@example.com"\n')
    config.write_text(config.read_text().replace('path = "desk.xlsx"', 'path = "desk.xlsx"\nlanguge = "en"'))
    result = invoke("run", "--once", "--config", config)
    assert result.exit_code == 2
    assert "3 problem(s)" in result.stderr
    assert "[workbook] languge: unknown key" in result.stderr
    assert "[reminders] repeat_hour: unknown key" in result.stderr
    assert "[mails]: unknown section — remove it or check its spelling" in result.stderr


def test_the_default_config_is_config_toml_in_the_working_folder(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--now", NOW)
    assert result.exit_code == 0 and "8 tickets checked" in result.stdout


# -- run --once ----------------------------------------------------------------------------------------------


def test_run_once_stamps_new_rows_and_sends_mail(config, tmp_path):
    append_rows(tmp_path / "desk.xlsx", [NEW_COMPLAINT])
    result = invoke("run", "--once", "--config", config, "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "CS-20261123-0001" in tickets_by_id(tmp_path / "desk.xlsx")
    assert "9 tickets" in result.stderr  # the summary log line
    assert (tmp_path / "state" / "sheetdesk.sqlite3").exists()


def test_run_once_dry_run_writes_and_sends_nothing(config, tmp_path):
    append_rows(tmp_path / "desk.xlsx", [NEW_COMPLAINT])
    before = (tmp_path / "desk.xlsx").read_bytes()
    result = invoke("run", "--once", "--dry-run", "--config", config, "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "dry run, nothing written" in result.stderr
    assert (tmp_path / "desk.xlsx").read_bytes() == before
    assert eml_files(tmp_path / "outbox") == []


def test_an_invalid_now_is_a_usage_error(config):
    result = invoke("run", "--once", "--config", config, "--now", "next tuesday")
    assert result.exit_code == 2
    assert '"next tuesday" is not an ISO time — write it like 2026-11-23T14:00' in result.stderr


def test_a_state_dir_that_cannot_be_written_is_a_config_error(config, tmp_path):
    (tmp_path / "state").write_text("a file where the folder should be")
    result = invoke("run", "--once", "--config", config)
    assert result.exit_code == 2
    assert f"[state] dir {tmp_path / 'state'}: cannot write there" in result.stderr


def test_run_once_while_a_daemon_serves_the_workbook_exits_3(config):
    lock = InstanceLock(desk_configs(load_settings(config))[0].identity)
    lock.acquire()
    try:
        result = invoke("run", "--once", "--config", config, "--now", NOW)
    finally:
        lock.release()
    assert result.exit_code == 3
    assert "already running for" in result.stderr and f"pid {os.getpid()}" in result.stderr


def test_an_unexpected_error_is_one_line_not_a_traceback(config, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk said no")

    monkeypatch.setattr("sync.service.commands.check_desks", broken)
    monkeypatch.delenv("SHEETDESK_DEBUG", raising=False)
    result = invoke("check", "--config", config)
    assert result.exit_code == 1
    assert result.stderr == (
        "sheetdesk: unexpected RuntimeError: the disk said no — please report this "
        "(SHEETDESK_DEBUG=1 shows details)\n"
    )
    monkeypatch.setenv("SHEETDESK_DEBUG", "1")
    assert isinstance(invoke("check", "--config", config).exception, RuntimeError)


# -- report --------------------------------------------------------------------------------------------------


def test_report_json_gives_the_kpis_and_writes_nothing(config, tmp_path):
    before = (tmp_path / "desk.xlsx").read_bytes()
    result = invoke("report", "--json", "--config", config, "--now", NOW)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert 0 < figures["total"] <= 8 and "overdue" in figures
    assert (tmp_path / "desk.xlsx").read_bytes() == before
    assert not (tmp_path / "state").exists()


def test_report_prints_the_dashboard_tables(config):
    result = invoke("report", "--config", config, "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "Complaint desk dashboard" in result.stdout and "Key figures" in result.stdout


# -- mail-test -----------------------------------------------------------------------------------------------


def test_mail_test_writes_an_eml_into_the_outbox(config, tmp_path):
    result = invoke("mail-test", "--config", config, "--to", "grace.li@example.com")
    assert result.exit_code == 0, result.output
    assert "into the outbox" in result.stdout
    [eml] = eml_files(tmp_path / "outbox")
    message = message_from_bytes(eml.read_bytes())
    assert message["To"] == "grace.li@example.com" and "desk@example.com" in message["From"]


def test_mail_test_to_a_bad_address_is_a_usage_error_and_sends_nothing(config, tmp_path):
    result = invoke("mail-test", "--config", config, "--to", "grace at example")
    assert result.exit_code == 2
    assert "Invalid value for '--to': \"grace at example\" is not an email address" in result.stderr
    assert eml_files(tmp_path / "outbox") == []


def test_mail_test_that_cannot_deliver_exits_1(config, tmp_path):
    (tmp_path / "outbox").write_text("a file where the folder should be")
    result = invoke("mail-test", "--config", config, "--to", "grace.li@example.com")
    assert result.exit_code == 1
    assert result.stderr.startswith("sheetdesk: mail: cannot write to the outbox")


def test_mail_test_for_an_unknown_team_names_the_desks(config):
    result = invoke("mail-test", "--config", config, "--to", "a@example.com", "--team", "west")
    assert result.exit_code == 2 and "no desk named 'west'; the desks are: main" in result.stderr


# -- demo ----------------------------------------------------------------------------------------------------


def test_demo_makes_the_workbook_and_fills_the_outbox(tmp_path):
    config = write_config(tmp_path, workbook="demo/desk.xlsx")
    result = invoke("demo", "--config", config, "--sample", "8", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert f"workbook: {tmp_path / 'demo' / 'desk.xlsx'}" in result.stdout
    assert len(tickets_by_id(tmp_path / "demo" / "desk.xlsx")) == 8
    assert eml_files(tmp_path / "outbox")


def test_demo_in_an_empty_folder_writes_the_starter_config_and_fills_the_outbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("demo", "--sample", "8", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "wrote config.toml" in result.stdout
    assert len(tickets_by_id(tmp_path / "desk.xlsx")) == 8
    assert eml_files(tmp_path / "outbox")
    assert (tmp_path / "state").is_dir()


# -- the real process: messages, never tracebacks -------------------------------------------------------------


def test_the_real_command_fails_cleanly_on_every_kind_of_bad_input(tmp_path):
    """Started in parallel to keep the run short; each case: its exit code, its message, no traceback."""
    good, corrupt, blocked = tmp_path / "good", tmp_path / "corrupt", tmp_path / "blocked"
    for folder in (good, corrupt, blocked):
        folder.mkdir()
    write_config(good)
    (corrupt / "desk.xlsx").write_bytes(b"PK\x03\x04 not really a zip" + os.urandom(512))
    write_config(corrupt)
    unknown = write_config(tmp_path / "unknown", "[schedul]\nevery_minutes = 1\n")
    make_workbook(blocked / "desk.xlsx")
    write_config(blocked)
    (blocked / "state").write_text("in the way")
    cases = {
        "no config": (["check", "--config", tmp_path / "nope.toml"], 2, "no such config file"),
        "corrupt workbook": (["run", "--once", "--config", corrupt / "config.toml"], 2, "cannot be read as an .xlsx"),
        "unknown section": (["report", "--config", unknown], 2, "[schedul]: unknown section"),
        "bad --now": (["run", "--once", "--config", good / "config.toml", "--now", "soon"], 2, "not an ISO time"),
        "bad address": (["mail-test", "--config", good / "config.toml", "--to", "nobody"], 2, "not an email address"),
        "state dir": (["run", "--once", "--config", blocked / "config.toml"], 2, "cannot write there"),
    }
    processes = {
        name: subprocess.Popen([sys.executable, "-m", "sync.service.cli", *map(str, args)], cwd=tmp_path, env=child_environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, (args, _, _) in cases.items()
    }
    for name, process in processes.items():
        _, stderr = process.communicate(timeout=60)
        _, code, message = cases[name]
        assert "Traceback" not in stderr, name
        assert process.returncode == code, (name, stderr)
        assert message in stderr, (name, stderr)


def test_the_console_script_runs_check_and_reports_problems_with_exit_1(config, tmp_path):
    break_the_rules(tmp_path / "desk.xlsx")
    script = Path(sys.executable).with_name("sheetdesk")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sync.service.cli"]
    result = subprocess.run([*command, "check", "--now", NOW], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert 'Deadline rules!E2: "soon" is not a number of hours' in result.stdout


def test_a_mail_error_is_one_line_naming_the_mail_side_with_exit_code_1(config, monkeypatch):
    from mailers import LedgerError

    def broken(*_args, **_kwargs):
        raise LedgerError("the send ledger is locked — stop the other sheetdesk")

    monkeypatch.setattr("sync.service.commands.check_desks", broken)
    result = invoke("check", "--config", config)
    assert result.exit_code == 1
    assert result.stderr == "sheetdesk: mail: the send ledger is locked — stop the other sheetdesk\n"


# -- help ----------------------------------------------------------------------------------------------------


def test_the_top_level_help_shows_every_command_description_whole():
    result = invoke("--help")
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1]
    assert "..." not in commands
    for name, command in cli.commands.items():
        first_sentence = command.help.split("\n\n")[0].split(". ")[0].replace("\n", " ").rstrip(".")
        assert " ".join(first_sentence.split()) in " ".join(commands.split()), name
