"""Putting a desk together from settings: backend, state store, mailroom. The CLI and the daemon call this."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailers import Ledger, Mailroom, MailSettings, ReminderSettings, build_transport
from sync.backends.port import Backend
from sync.engine import Desk
from sync.service.config import Settings, StateSettings, WorkbookSettings
from sync.state import StateStore

__all__ = ["DeskConfig", "desk_configs", "open_backend", "open_desk", "open_mailroom", "resolved_mail_settings"]


@dataclass(frozen=True)
class DeskConfig:
    """Everything one workbook's desk needs, with paths resolved against the config file's folder."""

    name: str
    workbook: WorkbookSettings
    state: StateSettings
    mail: MailSettings
    reminders: ReminderSettings
    settings: Settings

    @property
    def state_dir(self) -> Path:
        return self.settings.resolve(self.state.dir)

    @property
    def workbook_path(self) -> Path:
        return self.settings.resolve(self.workbook.path)

    @property
    def identity(self) -> str:
        """What 'the same workbook' means for the one-instance lock."""
        if self.workbook.backend == "gsheets":
            return f"gsheets:{self.workbook.spreadsheet}"
        return str(self.workbook_path.resolve())


def desk_configs(settings: Settings) -> list[DeskConfig]:
    """Return the main desk and one per ``[[teams]]`` entry, each with its own workbook, state and mail."""
    desks = [DeskConfig("main", settings.workbook, settings.state, settings.mail, settings.reminders, settings)]
    for team in settings.teams:
        desks.append(
            DeskConfig(
                team.name,
                team.workbook,
                team.state,
                team.mail or settings.mail,
                team.reminders or settings.reminders,
                settings,
            )
        )
    return desks


def open_backend(config: DeskConfig) -> Backend:
    """Return the backend the desk's ``[workbook]`` names."""
    workbook = config.workbook
    if workbook.backend == "gsheets":
        from sync.backends.gsheets.backend import GSheetsBackend

        credentials = config.settings.resolve(workbook.credentials) if workbook.credentials else None
        return GSheetsBackend(workbook.spreadsheet or "", credentials, retry_budget_seconds=workbook.retry_budget_seconds)
    from sync.backends.xlsx.backend import XlsxBackend

    return XlsxBackend(config.workbook_path, backup_dir=config.state_dir / "backups", backups=workbook.backups)


def open_desk(
    config: DeskConfig, *, mail: bool = True, backend: Backend | None = None, remember: bool = True
) -> Desk:
    """Return a ready desk for ``config``; without ``mail`` it computes and writes but sends nothing.

    ``remember`` keeps each cycle's settled result in the state store for the next process (``run --once``);
    a daemon keeps it in memory and passes False.
    """
    state = StateStore(config.state_dir)
    mailroom = open_mailroom(config, state) if mail else None
    reminders = config.reminders
    return Desk(
        backend or open_backend(config),
        state,
        language=config.workbook.language,
        aliases=config.workbook.aliases,
        due_soon_fraction=reminders.due_soon_fraction,
        escalate_after_hours=reminders.escalate_after_hours,
        cluster_threshold=reminders.cluster_threshold,
        cluster_days=reminders.cluster_days,
        mailroom=mailroom,
        daily_digest_at=config.settings.schedule.daily_digest_at,
        remember=remember,
    )


def resolved_mail_settings(config: DeskConfig) -> MailSettings:
    """The desk's ``[mail]`` with its outbox folder made relative to the config file."""
    outbox = config.settings.resolve(config.mail.outbox_dir)
    return config.mail.model_copy(update={"outbox_dir": str(outbox)})


def open_mailroom(config: DeskConfig, state: StateStore) -> Mailroom:
    """Return the desk's mailroom: its ledger lives in the state store's SQLite file."""
    mail = resolved_mail_settings(config)
    return Mailroom(config.reminders, mail, Ledger(state.path), build_transport(mail))
