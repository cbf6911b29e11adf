"""The deployment files: systemd accepts the units, and the units and the image run the commands sheetdesk has.

Run with ``pytest deploy`` (the default test run covers ``tests/`` only). ``systemd-analyze verify`` is used
when installed, else that test is skipped; Docker is not needed: the Dockerfile is checked as text against
pyproject.toml and the CLI.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
UNITS = ("sheetdesk.service", "sheetdesk-once.service", "sheetdesk.timer", "sheetdesk@.service")
INSTALLED_COMMAND = "/opt/sheetdesk/venv/bin/sheetdesk"


def directives(unit: str) -> dict[str, dict[str, list[str]]]:
    """Return a unit file's settings: section -> key -> every value given (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in (DEPLOY / unit).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, value = line.split("=", 1)
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def setting(unit: str, section: str, key: str) -> str:
    return directives(unit)[section][key][-1]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_every_unit_without_a_warning(tmp_path):
    # verify also checks that ExecStart exists: point it at this environment's sheetdesk instead of /opt.
    command = Path(sys.executable).with_name("sheetdesk")
    if not command.exists():
        pytest.skip("the sheetdesk command is not installed in this environment (pip install -e .)")
    for unit in UNITS:
        text = (DEPLOY / unit).read_text().replace(INSTALLED_COMMAND, str(command))
        (tmp_path / unit.replace("@.", "@north.")).write_text(text)
    names = [unit.replace("@.", "@north.") for unit in UNITS]
    completed = subprocess.run(
        ["systemd-analyze", "verify", *names], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout + completed.stderr == ""


def test_the_daemon_unit_runs_the_daemon_as_its_own_user_with_time_to_finish_a_cycle():
    service = directives("sheetdesk.service")["Service"]
    assert service["Type"] == ["simple"]
    assert service["ExecStart"] == [f"{INSTALLED_COMMAND} run --config /etc/sheetdesk/config.toml"]
    assert service["User"] == ["sheetdesk"]
    assert service["Restart"] == ["on-failure"]
    assert service["RestartPreventExitStatus"] == ["2 3"]
    assert service["KillSignal"] == ["SIGTERM"]
    assert int(service["TimeoutStopSec"][0]) >= 120
    assert service["EnvironmentFile"] == ["-/etc/sheetdesk/sheetdesk.env"]


def test_the_timer_runs_one_cycle_five_minutes_after_the_last_and_excludes_the_daemon():
    timer = directives("sheetdesk.timer")
    assert timer["Timer"]["Unit"] == ["sheetdesk-once.service"]
    assert timer["Timer"]["OnUnitInactiveSec"] == ["5min"]
    assert timer["Unit"]["Conflicts"] == ["sheetdesk.service"]
    once = directives("sheetdesk-once.service")["Service"]
    assert once["Type"] == ["oneshot"]
    assert once["ExecStart"] == [f"{INSTALLED_COMMAND} run --once --config /etc/sheetdesk/config.toml"]


def test_the_team_template_gives_each_team_its_config_and_state():
    service = directives("sheetdesk@.service")["Service"]
    assert service["ExecStart"] == [f"{INSTALLED_COMMAND} run --config /etc/sheetdesk/%i.toml"]
    assert service["StateDirectory"] == ["sheetdesk/%i"]


def dockerfile() -> list[tuple[str, str]]:
    """Return the Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [tuple(line.split(None, 1)) for line in lines]


def test_the_image_starts_from_python_311_slim_and_runs_the_daemon_on_the_data_volume():
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert ("VOLUME", '["/data"]') in instructions
    command = [arguments for instruction, arguments in instructions if instruction == "CMD"]
    assert [json.loads(arguments) for arguments in command] == [
        ["sheetdesk", "run", "--config", "/data/config.toml"]
    ]


def test_the_image_runs_as_a_user_that_is_not_root():
    users = [arguments for instruction, arguments in dockerfile() if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_the_image_copies_every_package_pyproject_installs_and_its_readme():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    copied = {
        source
        for instruction, arguments in dockerfile()
        if instruction == "COPY"
        for source in arguments.split()[:-1]
    }
    top_level = {package.split(".")[0] for package in project["tool"]["setuptools"]["packages"]}
    expected = {"pyproject.toml", project["project"]["readme"], *top_level}
    assert expected <= copied


def test_the_commands_the_units_and_the_image_run_exist():
    from sync.service.cli import cli

    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    assert "--config" in result.output and "--once" in result.output


def test_the_image_reports_health_with_sheetdesk_status():
    checks = [arguments for instruction, arguments in dockerfile() if instruction == "HEALTHCHECK"]
    assert len(checks) == 1
    options, command = checks[0].split(" CMD ", 1)
    assert json.loads(command) == ["sheetdesk", "status", "--config", "/data/config.toml"]
    assert "--interval=" in options and "--timeout=" in options


def test_the_restart_advice_never_loops_on_a_config_error():
    """Docker cannot exempt exit 2 from restarting, so the advice is a bounded on-failure:N everywhere."""
    texts = {"Dockerfile": (DEPLOY / "Dockerfile").read_text(), "operations.md": (ROOT / "docs" / "operations.md").read_text()}
    for name, text in texts.items():
        policies = re.findall(r"--restart[ =]([\w:-]+)", text)
        assert policies, name
        assert all(re.fullmatch(r"on-failure:\d+", policy) for policy in policies), (name, policies)
    for unit in ("sheetdesk.service", "sheetdesk@.service"):
        assert setting(unit, "Service", "RestartPreventExitStatus").split() == ["2", "3"]


def test_the_status_command_the_image_runs_exists():
    from sync.service.cli import cli

    result = CliRunner().invoke(cli, ["status", "--help"])
    assert result.exit_code == 0 and "--config" in result.output
