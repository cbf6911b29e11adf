"""config.toml, read into pydantic settings (DESIGN §7).

Every problem is reported at once, naming the key (``[mail] port: ...``); an unknown key is an error. Paths are
relative to the config file's folder. Secrets never live here: the SMTP password comes from the environment
variable that ``[mail] password_env`` names.
"""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mailers import MailSettings, ReminderSettings
from sync.errors import ConfigError

__all__ = [
    "Settings",
    "WorkbookSettings",
    "ScheduleSettings",
    "StateSettings",
    "TeamSettings",
    "load_settings",
    "DEFAULT_CONFIG",
]

DEFAULT_CONFIG = Path("config.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkbookSettings(_Section):
    """Which spreadsheet is the ticket database."""

    backend: Literal["xlsx", "gsheets"] = Field("xlsx", description="xlsx (a local file) or gsheets.")
    path: Path = Field(Path("desk.xlsx"), description="The .xlsx file (backend = xlsx).")
    spreadsheet: str | None = Field(None, description="The Google spreadsheet key (backend = gsheets).")
    credentials: Path | None = Field(
        None, description="Service-account JSON file (gsheets); GOOGLE_APPLICATION_CREDENTIALS if unset."
    )
    language: Literal["auto", "en", "zh"] = Field("auto", description="Language of messages in the sheet.")
    backups: int = Field(5, ge=0, description="How many previous versions of the .xlsx to keep in [state] dir.")
    aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="Extra header names per column key, e.g. customer = ['Client']."
    )
    retry_budget_seconds: float = Field(60, gt=0, description="gsheets: give up retrying after this long.")

    @model_validator(mode="after")
    def _gsheets_needs_a_key(self) -> WorkbookSettings:
        if self.backend == "gsheets" and not self.spreadsheet:
            raise ValueError('backend = "gsheets" needs spreadsheet = "<the key from the sheet\'s URL>"')
        return self

    @field_validator("aliases")
    @classmethod
    def _known_columns(cls, aliases: dict[str, list[str]]) -> dict[str, list[str]]:
        from tickets import COLUMNS_BY_KEY

        unknown = sorted(set(aliases) - set(COLUMNS_BY_KEY))
        if unknown:
            raise ValueError(f"unknown column key {unknown[0]!r}; use one of {', '.join(COLUMNS_BY_KEY)}")
        return aliases


class ScheduleSettings(_Section):
    """How often the daemon runs a cycle, and when the daily manager digest goes out."""

    every_minutes: float = Field(5, gt=0, description="Minutes between cycles.")
    jitter_seconds: float = Field(10, ge=0, description="Up to this much random delay, so many desks don't align.")
    daily_digest_at: time = Field(time(8, 30), description="Local time of the managers' daily digest.")


class StateSettings(_Section):
    """Where the daemon keeps its memory (SQLite), backups and heartbeat."""

    dir: Path = Field(Path("state"), description="Folder for the state store, backups and heartbeat.")


class TeamSettings(_Section):
    """One more workbook served by the same daemon, with its own rules, state and mail."""

    name: str = Field(description="A short name for logs, e.g. 'north'.")
    workbook: WorkbookSettings
    state: StateSettings
    mail: MailSettings | None = None
    reminders: ReminderSettings | None = None


class Settings(_Section):
    """The whole of config.toml."""

    workbook: WorkbookSettings = WorkbookSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    reminders: ReminderSettings = ReminderSettings()
    mail: MailSettings = MailSettings()
    state: StateSettings = StateSettings()
    teams: list[TeamSettings] = Field(default_factory=list, description="More workbooks ([[teams]] tables).")
    base_dir: Path = Path(".")

    def resolve(self, path: Path | str) -> Path:
        """Return ``path`` relative to the config file's folder (absolute paths stay)."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else self.base_dir / path


def load_settings(path: Path | None = None) -> Settings:
    """Given a config file path, return its settings. Raise ConfigError naming every wrong key."""
    path = Path(path or DEFAULT_CONFIG)
    if not path.exists():
        raise ConfigError(f"{path}: no such config file — copy the project's config.toml or pass --config FILE")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from error
    if "base_dir" in data:
        raise ConfigError(f"{path}: unknown key 'base_dir'")
    try:
        return Settings.model_validate({**data, "base_dir": path.resolve().parent})
    except ValidationError as error:
        raise ConfigError(_describe(path, error)) from None


def _describe(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: {error.error_count()} problem(s)"]
    for detail in error.errors(include_url=False):
        location = [str(part) for part in detail["loc"]]
        section = f"[{location[0]}]" if location else ""
        key = ".".join(location[1:])
        if detail["type"] == "extra_forbidden":
            what = "unknown key — remove it or check its spelling"
        else:
            what = detail["msg"].removeprefix("Value error, ")
        lines.append(f"  {section} {key}: {what}".rstrip())
    return "\n".join(lines)
