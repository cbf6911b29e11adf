"""Several teams ([[teams]]) served by one sheetdesk: each with its own workbook, state and mail; a broken
workbook never stops the others, and the exit code says a problem happened."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from sync.service.cli import cli
from sync.service.config import load_settings
from sync.service.daemon import Daemon, DeskRunner
from sync.service.desks import desk_configs, open_desk
from sync.service.health import FAILED_CYCLE_FILE, HEARTBEAT_FILE
from tests.sync.conftest import NEW_COMPLAINT, NOW, make_workbook, tickets_by_id
from tests.sync.service.test_config import team_table, write_config

CLOCK = "2026-11-23T10:00"


@pytest.fixture
def teams(tmp_path):
    """Three desks: main (good), north (good, its own outbox) and south (a corrupt file)."""
    make_workbook(tmp_path / "desk.xlsx", sample=4, rows=[NEW_COMPLAINT])
    make_workbook(tmp_path / "north.xlsx", language="zh", rows=[
        {"客户": "华东餐饮", "客户等级": "核心客户", "渠道": "电话", "产品": "冷链箱", "问题类型": "产品质量",
         "问题描述": "盖子破裂", "安全隐患": "否", "客户诉求": "换货", "状态": "新建"}
    ])
    (tmp_path / "south.xlsx").write_bytes(os.urandom(4096))
    extra = team_table("north", "north.xlsx", mail="outbox-north") + team_table("south", "south.xlsx")
    return write_config(tmp_path, extra)


def invoke(*args):
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def test_run_once_serves_the_good_teams_and_exits_1_for_the_broken_one(teams, tmp_path):
    result = invoke("run", "--once", "--config", teams, "--now", CLOCK)
    assert result.exit_code == 1, result.output
    assert "CS-20261123-0001" in tickets_by_id(tmp_path / "desk.xlsx")
    assert "CS-20261123-0001" in tickets_by_id(tmp_path / "north.xlsx")  # each desk counts its own IDs
    assert "south: cycle failed: " in result.stderr and "cannot be read as an .xlsx workbook" in result.stderr
    assert (tmp_path / "state").is_dir() and (tmp_path / "state-north").is_dir()
    assert "Traceback" not in result.output


def test_each_team_mails_through_its_own_outbox(teams, tmp_path):
    invoke("run", "--once", "--config", teams, "--now", CLOCK)
    main_mail = {path.read_bytes() for path in (tmp_path / "outbox").glob("*.eml")}
    north_mail = {path.read_bytes() for path in (tmp_path / "outbox-north").glob("*.eml")}
    assert main_mail and north_mail and not main_mail & north_mail
    assert all(b"north@example.com" in message for message in north_mail)


def test_check_reports_the_broken_team_and_checks_the_others(teams, tmp_path):
    result = invoke("check", "--config", teams, "--now", CLOCK)
    assert result.exit_code == 1
    assert "main: 5 tickets checked" in result.stdout and "north: 1 tickets checked" in result.stdout
    assert "south: cannot be checked: " in result.stdout


def test_report_json_gives_one_object_per_team_that_could_be_read(teams):
    result = invoke("report", "--json", "--config", teams, "--now", CLOCK)
    assert result.exit_code == 1
    figures = json.loads(result.stdout)
    assert sorted(figures) == ["main", "north"] and figures["north"]["total"] == 1
    assert "south: no report:" in result.stderr


def test_when_every_desk_is_broken_the_error_itself_comes_out(tmp_path):
    (tmp_path / "desk.xlsx").write_bytes(b"garbage")
    result = invoke("run", "--once", "--config", write_config(tmp_path, team_table("north", "missing.xlsx")))
    assert result.exit_code == 2
    assert "north: cycle failed: " in result.stderr and "no such workbook" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"sheetdesk: {tmp_path / 'desk.xlsx'}: cannot be read")


def test_one_daemon_serves_every_team_and_a_broken_one_only_counts_its_failures(teams, tmp_path):
    runners = [DeskRunner(config, open_desk(config)) for config in desk_configs(load_settings(teams))]
    daemon = Daemon(runners, every_minutes=1, clock=lambda: NOW)
    try:
        daemon.cycle_all()
        daemon.cycle_all()
    finally:
        for runner in runners:
            runner.desk.state.close()
    main, north, south = runners
    assert (main.cycles, main.failures, north.failures, south.failures) == (2, 0, 0, 2)
    assert main.last_report is not None and main.last_report.rows == 5
    beats = {runner.config.name: json.loads((runner.config.state_dir / HEARTBEAT_FILE).read_text())
             for runner in runners if (runner.config.state_dir / HEARTBEAT_FILE).exists()}
    failed = json.loads((south.config.state_dir / FAILED_CYCLE_FILE).read_text())
    assert beats["north"]["ok"] is True and "south" not in beats and failed["failures"] == 2
    assert "CS-20261123-0001" in tickets_by_id(tmp_path / "north.xlsx")
