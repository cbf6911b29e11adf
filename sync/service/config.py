"""config.toml, read into pydantic settings (DESIGN §7).

Every problem is reported at once, naming the key (``[mail] port: ...``); an unknown key is an error. Paths are
relative to the config file's folder. Secrets never live here: the SMTP password comes from the environment
variable that ``[mail] password_env`` names.
"""

from __future__ import annotations

import json
import os
import tomllib
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mailers import MailSettings, ReminderSettings
from sync.backends.registry import BACKENDS
from sync.errors import ConfigError

__all__ = [
    "Settings",
    "WorkbookSettings",
    "ScheduleSettings",
    "StateSettings",
    "MonitorSettings",
    "TeamSettings",
    "LoopSettings",
    "PortalSettings",
    "IntakeSettings",
    "MailIntakeSettings",
    "FormsSettings",
    "CustomersSettings",
    "load_settings",
    "workbook_identity",
    "write_starter_config",
    "DEFAULT_CONFIG",
]

DEFAULT_CONFIG = Path("config.toml")
STARTER_CONFIG = "default_config.toml"  # shipped inside this package: a commented config for new installs
_XLSX_LINES = ('backend = "xlsx"', 'path = "desk.xlsx"')


BackendName = Literal[tuple(BACKENDS)]  # type: ignore[valid-type]  # [workbook] backend: a registry name

class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkbookSettings(_Section):
    """Which spreadsheet is the ticket database."""

    backend: BackendName = Field("xlsx", description="xlsx (a local file) or gsheets.")
    path: Path = Field(Path("desk.xlsx"), description="The .xlsx file (backend = xlsx).")
    spreadsheet: str | None = Field(None, description="The Google spreadsheet key (backend = gsheets).")
    credentials: Path | None = Field(
        None, description="Service-account JSON file (gsheets); GOOGLE_APPLICATION_CREDENTIALS if unset."
    )
    language: Literal["auto", "en", "zh"] = Field("auto", description="Language of messages in the sheet.")
    backups: int = Field(5, ge=0, description="How many previous versions of the .xlsx to keep in [state] dir.")
    stale_lock_hours: float = Field(
        12, gt=0, description="An Excel/LibreOffice lock file older than this, whose program is not running on "
        "this host, is stale: it is logged loudly and no longer holds back writes."
    )
    aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="Extra header names per column key, e.g. customer = ['Client']."
    )
    retry_budget_seconds: float = Field(60, gt=0, description="gsheets: give up retrying after this long.")
    date_order: Literal["DMY", "MDY"] | None = Field(
        None, description="How slashed dates such as 11/03/2026 are read: DMY (11 March) or MDY (3 November); "
        "unset, a date that reads both ways is flagged as ambiguous. Year-first dates are always understood."
    )

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


class LoopSettings(_Section):
    """How the desk closes the loop with the customer."""

    satisfaction_target: int = Field(
        7,
        ge=1,
        le=10,
        description="A follow-up score below this (1–10) asks for a second follow-up before Closed.",
    )


class PortalSettings(_Section):
    """The customers' web pages (docs/portal.md): where they listen, the address customers reach, the secret."""

    listen: str = Field("127.0.0.1:8080", description="host:port to listen on; a reverse proxy adds TLS.")
    public_url: str = Field(
        "http://127.0.0.1:8080", description="The address customers reach (used in links in mail)."
    )
    secret_env: str = Field(
        "SHEETDESK_PORTAL_SECRET", description="The environment variable holding the secret that signs links."
    )
    language: Literal["auto", "en", "zh"] = Field("auto", description="auto: the workbook's language.")
    form_per_ip_per_hour: int = Field(10, ge=1, description="Complaints accepted from one IP address an hour.")
    form_per_address_per_day: int = Field(5, ge=1, description="Complaints accepted from one email address a day.")
    lookups_per_ip_per_hour: int = Field(20, ge=1, description="Status-link requests from one IP address an hour.")
    behind_proxy: bool = Field(False, description="Trust the reverse proxy's X-Forwarded-For (one hop).")

    @field_validator("listen")
    @classmethod
    def _host_and_port(cls, listen: str) -> str:
        host, separator, port = listen.rpartition(":")
        if not separator or not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(f'"{listen}" is not host:port — write it like "127.0.0.1:8080"')
        return listen

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f'"{url}" is not a web address — write it like "https://complaints.example.com"')
        return url.rstrip("/")


class MailIntakeSettings(_Section):
    """``[intake.mail]``: the complaints mailbox, read over IMAP. The secret comes from the environment."""

    host: str = Field(description="IMAP server host name.")
    port: int | None = Field(None, ge=1, le=65535, description="IMAP port: 993 for ssl, 143 for starttls/none.")
    security: Literal["ssl", "starttls", "none"] = Field("ssl", description="ssl, starttls or none.")
    username: str = Field(description="The mailbox login, e.g. complaints@example.com.")
    password_env: str = Field(
        "SHEETDESK_IMAP_PASSWORD", description="Environment variable holding the password (or OAuth2 token)."
    )
    auth: Literal["password", "xoauth2"] = Field("password", description="password, or xoauth2 (Microsoft 365).")
    folder: str = Field("INBOX", description="The folder complaints arrive in.")
    processed_folder: str = Field("Processed", description="Where handled mail is moved (created if missing).")
    timeout_seconds: float = Field(30, gt=0, description="Give up on a silent IMAP server after this long.")
    poll_minutes: float = Field(
        2, gt=0, le=60, description="The daemon polls the mailbox this often between cycles; a new complaint "
        "wakes a cycle at once, so its customer is told the number within about this long.",
    )


class FormsSettings(_Section):
    """``[intake.forms]``: a Google/Microsoft Forms responses tab in the same workbook."""

    tab: str = Field(description="The responses tab's name, e.g. 'Form Responses 1'.")
    aliases: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Question headers per field: timestamp, response_id, customer, contact, product, category, "
        "order_no, request, description.",
    )


class IntakeSettings(_Section):
    """``[intake]``: the channels customers complain through besides staff typing."""

    mail: MailIntakeSettings | None = None
    forms: FormsSettings | None = None


class CustomersSettings(_Section):
    """``[customers]``: mail to customers (the acknowledgement with their ticket number)."""

    acknowledge: bool = Field(True, description="Send each mailed complaint its ticket number.")
    sender: str | None = Field(None, description="The From address of mail to customers; [mail] sender if unset.")
    sender_name: str | None = Field(None, description="The From display name; [mail] sender_name if unset.")
    ack_per_sender_per_hour: int = Field(3, ge=0, description="At most this many acknowledgements per address.")


class MonitorSettings(_Section):
    """An outside monitor told of every cycle, the healthchecks.io way (see docs/operations.md, "Health")."""

    ping_url: str | None = Field(
        None, description="GET url/start when a cycle starts, url after a good one, url/fail after a failed one."
    )
    timeout_seconds: float = Field(10, gt=0, le=60, description="Give up on a ping after this long.")

    @field_validator("ping_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("write the monitor's URL in full, starting with https:// (or http://)")
        return value


class TeamSettings(_Section):
    """One more workbook served by the same daemon, with its own rules, state and mail."""

    name: str = Field(description="A short name for logs, e.g. 'north'.")
    workbook: WorkbookSettings
    state: StateSettings
    mail: MailSettings | None = None
    reminders: ReminderSettings | None = None
    intake: IntakeSettings | None = None
    customers: CustomersSettings | None = None


class Settings(_Section):
    """The whole of config.toml."""

    workbook: WorkbookSettings = WorkbookSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    reminders: ReminderSettings = ReminderSettings()
    mail: MailSettings = MailSettings()
    state: StateSettings = StateSettings()
    loop: LoopSettings = LoopSettings()
    portal: PortalSettings | None = Field(None, description="The customer portal; `sheetdesk run` serves it if set.")
    intake: IntakeSettings = IntakeSettings()
    customers: CustomersSettings = CustomersSettings()
    monitor: MonitorSettings = MonitorSettings()
    teams: list[TeamSettings] = Field(default_factory=list, description="More workbooks ([[teams]] tables).")
    base_dir: Path = Path(".")

    @model_validator(mode="after")
    def _teams_are_distinct(self) -> Settings:
        """Each desk needs its own name, workbook and state dir: two desks sharing one would corrupt it."""
        names = ["main", *(team.name for team in self.teams)]
        states = [self.resolve(self.state.dir), *(self.resolve(team.state.dir) for team in self.teams)]
        books = [workbook_identity(self, self.workbook), *(workbook_identity(self, team.workbook)
                                                            for team in self.teams)]
        shared = []
        for what, values in (("name", names), ("state dir", states), ("workbook", books)):
            for value in sorted({str(value) for value in values if values.count(value) > 1}):
                shared.append(f"two desks share the {what} '{value}'")
        if shared:
            raise ValueError("; ".join(shared) + " — give each desk its own (the main desk is named 'main')")
        return self

    def resolve(self, path: Path | str) -> Path:
        """Return ``path`` relative to the config file's folder (absolute paths stay)."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else self.base_dir / path


def workbook_identity(settings: Settings, workbook: WorkbookSettings) -> str:
    """What "the same workbook" means (two desks may not share one; one process serves it): a spreadsheet's
    key, or a file's resolved path (a symlink and its target are the same workbook)."""
    if workbook.backend == "gsheets":
        return f"gsheets:{workbook.spreadsheet}"
    return str(settings.resolve(workbook.path).resolve())


def load_settings(path: Path | None = None) -> Settings:
    """Given a config file path, return its settings. Raise ConfigError naming every wrong key."""
    path = Path(path or DEFAULT_CONFIG)
    if not path.exists():
        raise ConfigError(
            f"{path}: no such config file — `sheetdesk init desk.xlsx` writes a commented one, or pass --config FILE"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from error
    if "base_dir" in data:
        raise ConfigError(f"{path}: 1 problem(s)\n  base_dir: unknown key — remove it or check its spelling")
    try:
        return Settings.model_validate({**data, "base_dir": path.resolve().parent})
    except ValidationError as error:
        raise ConfigError(_describe(path, error, data)) from None


def _describe(path: Path, error: ValidationError, data: dict) -> str:
    """One line per problem, each naming its section and key, e.g. ``[mail] port: ...``."""
    lines = [f"{path}: {error.error_count()} problem(s)"]
    for detail in error.errors(include_url=False):
        where = _where(list(detail["loc"]), data)
        lines.append(f"  {where}: {_what(detail, where)}")
    return "\n".join(lines)


def _where(location: list, data: dict) -> str:
    """``[section] key``, ``[teams.workbook] key (team "north")``, or ``[section]`` for a whole section."""
    if not location:
        return "[[teams]]"  # the only whole-file check: desks must not share a name, workbook or state dir
    section, rest = str(location[0]), location[1:]
    if section == "teams" and rest and isinstance(rest[0], int):
        return _team_where(rest[0], rest[1:], data)
    if not rest:
        return f"[{section}]" if isinstance(data.get(section), dict) or section not in data else section
    return f"[{section}] {'.'.join(str(part) for part in rest)}"


def _team_where(index: int, rest: list, data: dict) -> str:
    teams = data.get("teams") or []
    team = teams[index] if index < len(teams) and isinstance(teams[index], dict) else {}
    label = f'team "{team["name"]}"' if isinstance(team.get("name"), str) else f"team {index + 1}"
    if len(rest) >= 2 and isinstance(team.get(str(rest[0])), dict):
        return f"[teams.{rest[0]}] {'.'.join(str(part) for part in rest[1:])} ({label})"
    return f"[[teams]] {'.'.join(str(part) for part in rest) or ''} ({label})".replace("  ", " ")


def _what(detail: dict, where: str) -> str:
    kind = detail["type"]
    if kind == "extra_forbidden":
        section = where.startswith("[") and where.endswith("]")
        return f"unknown {'section' if section else 'key'} — remove it or check its spelling"
    if kind == "missing":
        return "missing — add it"
    if kind in ("literal_error", "enum"):  # quote the typo back beside the allowed values
        expected = detail.get("ctx", {}).get("expected", "")
        return f"{_quoted(detail.get('input'))} is not allowed — use {expected}"
    return str(detail["msg"]).removeprefix("Value error, ")


def starter_config_text(workbook_path: Path | None = None, spreadsheet: str | None = None, base_dir: Path = Path(".")) -> str:
    """Return the shipped, commented config.toml, pointing at ``workbook_path`` (written relative to
    ``base_dir``, the config's folder) or, with ``spreadsheet``, at that Google Sheet."""
    text = resources.files(__package__).joinpath(STARTER_CONFIG).read_text(encoding="utf-8")
    backend_line, path_line = _XLSX_LINES
    if spreadsheet is not None:
        text = text.replace(backend_line, 'backend = "gsheets"', 1)
        text = text.replace(path_line, f"spreadsheet = {_toml_string(spreadsheet)}\n# {path_line}", 1)
    elif workbook_path is not None:
        relative = os.path.relpath(Path(workbook_path).resolve(), Path(base_dir).resolve())
        text = text.replace(path_line, f"path = {_toml_string(Path(relative).as_posix())}", 1)
    return text


def write_starter_config(target: Path, workbook_path: Path | None = None, spreadsheet: str | None = None) -> bool:
    """Write the commented starter config to ``target`` unless a file is already there (never overwritten).

    Return True if it was written. Raise ConfigError if the folder cannot be written.
    """
    target = Path(target)
    if target.exists():
        return False
    text = starter_config_text(workbook_path, spreadsheet, target.resolve().parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        return False
    except OSError as error:
        raise ConfigError(f"{target}: cannot write the config there ({error.strerror or error})") from None
    return True


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escaping is valid TOML for any text."""
    return json.dumps(value, ensure_ascii=False)


def _quoted(value: object) -> str:
    """A value from the config file as the person wrote it, cut short: ``"smpt"``, ``25``."""
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + '…"'
