"""config.toml: defaults, paths relative to the file, every problem at once naming its key, [[teams]].

``write_config`` and ``team_table`` are shared with the CLI, daemon and teams tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.errors import ConfigError
from sync.service.config import load_settings
from sync.service.desks import desk_configs

FAST_SCHEDULE = "[schedule]\nevery_minutes = 0.02\njitter_seconds = 0\n"


def write_config(folder: Path, extra: str = "", *, workbook: str = "desk.xlsx", name: str = "config.toml") -> Path:
    """Write a config for a local workbook in ``folder``: outbox and state beside it, a ~1 s schedule."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        f'[workbook]\npath = "{workbook}"\n\n{FAST_SCHEDULE}\n'
        '[mail]\noutbox_dir = "outbox"\nsender = "desk@example.com"\n\n[state]\ndir = "state"\n\n' + extra,
        encoding="utf-8",
    )
    return path


def team_table(name: str, workbook: str, *, mail: str | None = None) -> str:
    """One ``[[teams]]`` table with its own workbook and state dir (and outbox, when ``mail`` is given)."""
    table = f'[[teams]]\nname = "{name}"\n[teams.workbook]\npath = "{workbook}"\n[teams.state]\ndir = "state-{name}"\n'
    if mail is not None:
        table += f'[teams.mail]\noutbox_dir = "{mail}"\nsender = "{name}@example.com"\n'
    return table + "\n"


def problems_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_an_empty_file_gives_the_documented_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("", encoding="utf-8")
    settings = load_settings(path)
    assert settings.workbook.backend == "xlsx" and settings.workbook.path == Path("desk.xlsx")
    assert settings.schedule.every_minutes == 5 and settings.schedule.jitter_seconds == 10
    assert settings.mail.transport == "outbox" and settings.state.dir == Path("state")
    assert settings.teams == []
    [main] = desk_configs(settings)
    assert main.name == "main" and main.workbook_path == tmp_path / "desk.xlsx"


def test_paths_are_relative_to_the_config_files_folder_not_the_working_one(tmp_path, monkeypatch):
    write_config(tmp_path / "conf", team_table("north", "/abs/north.xlsx"), workbook="books/desk.xlsx")
    monkeypatch.chdir(tmp_path)
    main, north = desk_configs(load_settings(Path("conf/config.toml")))
    folder = (tmp_path / "conf").resolve()
    assert main.workbook_path == folder / "books" / "desk.xlsx"
    assert main.state_dir == folder / "state"
    assert north.workbook_path == Path("/abs/north.xlsx")
    assert north.state_dir == folder / "state-north"


def test_fractional_minutes_are_allowed_for_short_intervals(tmp_path):
    settings = load_settings(write_config(tmp_path))
    assert settings.schedule.every_minutes == pytest.approx(0.02)


def test_every_problem_is_reported_at_once_naming_each_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[workbook]\npth = "x.xlsx"\nbackend = "excel"\n'
        "[schedule]\nevery_minute = 3\nevery_minutes = 0\n"
        "[mail]\nport = 0\nsmtp_host = 'x'\n"
        "[foo]\na = 1\n",
        encoding="utf-8",
    )
    message = problems_of(path)
    assert message.startswith(f"{path}: 7 problem(s)")
    for line in (
        "[workbook] pth: unknown key — remove it or check its spelling",
        "[workbook] backend: \"excel\" is not allowed — use 'xlsx' or 'gsheets'",
        "[schedule] every_minute: unknown key — remove it or check its spelling",
        "[schedule] every_minutes: Input should be greater than 0",
        "[mail] port: Input should be greater than or equal to 1",
        "[mail] smtp_host: unknown key — remove it or check its spelling",
        "[foo]: unknown section — remove it or check its spelling",
    ):
        assert f"  {line}\n" in message + "\n", line


def test_a_missing_file_says_how_to_get_one(tmp_path):
    message = problems_of(tmp_path / "nope.toml")
    assert "no such config file" in message and "--config FILE" in message


def test_a_file_that_is_not_toml_says_so(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[workbook\npath = ", encoding="utf-8")
    assert "not valid TOML" in problems_of(path)


def test_base_dir_is_not_a_key_people_can_set(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('base_dir = "/"\n', encoding="utf-8")
    assert "base_dir: unknown key" in problems_of(path)


def test_teams_have_their_own_workbook_state_and_mail_and_share_the_rest(tmp_path):
    extra = team_table("north", "north.xlsx", mail="outbox-north") + team_table("south", "south.xlsx")
    extra += '[teams.reminders]\nrepeat_hours = 4\n'
    settings = load_settings(write_config(tmp_path, extra))
    main, north, south = desk_configs(settings)
    assert [main.name, north.name, south.name] == ["main", "north", "south"]
    assert north.workbook_path == tmp_path.resolve() / "north.xlsx"
    assert len({main.state_dir, north.state_dir, south.state_dir}) == 3
    assert north.mail.outbox_dir == "outbox-north" and north.mail.sender == "north@example.com"
    assert south.mail == main.mail  # no [teams.mail]: the main [mail]
    assert south.reminders.repeat_hours == 4 and north.reminders == main.reminders


def test_a_teams_problems_name_the_team_and_the_key(tmp_path):
    extra = team_table("north", "north.xlsx").replace('path = "north.xlsx"', 'pth = "north.xlsx"')
    extra += '[[teams]]\n[teams.workbook]\npath = "s.xlsx"\n'
    message = problems_of(write_config(tmp_path, extra))
    assert '[teams.workbook] pth (team "north"): unknown key — remove it or check its spelling' in message
    assert "[[teams]] name (team 2): missing — add it" in message
    assert "[[teams]] state (team 2): missing — add it" in message


def test_two_desks_cannot_share_a_name_a_workbook_or_a_state_dir(tmp_path):
    extra = '[[teams]]\nname = "main"\n[teams.workbook]\npath = "desk.xlsx"\n[teams.state]\ndir = "state"\n'
    message = problems_of(write_config(tmp_path, extra))
    assert "two desks share the name 'main'" in message
    assert "two desks share the state dir" in message
    assert "two desks share the workbook" in message
