"""Opening and locking desks: a desk put together from settings (backend, state store, mailroom), and the
one-instance lock per workbook. The commands and the daemon call this."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailers import Ledger, Mailroom, MailSettings, ReminderSettings, Transport, build_transport
from sync.backends import registry
from sync.backends.port import Backend, BackendPlace, Snapshot
from sync.engine import Desk, DeskSettings
from sync.errors import AlreadyRunning, ConfigError
from sync.service.config import (
    CustomersSettings,
    IntakeSettings,
    Settings,
    StateSettings,
    WorkbookSettings,
    workbook_identity,
)
from sync.state import STATE_FILE, StateStore
from tickets import Thresholds

if TYPE_CHECKING:
    from sync.intake.channels import IntakeChannels

__all__ = [
    "DeskConfig",
    "desk_configs",
    "open_backend",
    "backend_place",
    "open_desk",
    "desk_settings",
    "open_desk_cleanly",
    "ensure_state_dir",
    "open_mailroom",
    "open_intake",
    "resolved_mail_settings",
    "InstanceLock",
    "hold_locks",
    "read_only_desk",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeskConfig:
    """Everything one workbook's desk needs, with paths resolved against the config file's folder."""

    name: str
    workbook: WorkbookSettings
    state: StateSettings
    mail: MailSettings
    reminders: ReminderSettings
    settings: Settings
    intake: IntakeSettings = IntakeSettings()
    customers: CustomersSettings = CustomersSettings()

    @property
    def state_dir(self) -> Path:
        return self.settings.resolve(self.state.dir)

    @property
    def workbook_path(self) -> Path:
        return self.settings.resolve(self.workbook.path)

    @property
    def identity(self) -> str:
        """What 'the same workbook' means for the one-instance lock (``workbook_identity``)."""
        return workbook_identity(self.settings, self.workbook)


def desk_configs(settings: Settings) -> list[DeskConfig]:
    """Return the main desk and one per ``[[teams]]`` entry, each with its own workbook, state and mail."""
    desks = [DeskConfig("main", settings.workbook, settings.state, settings.mail, settings.reminders, settings,
                        settings.intake, settings.customers)]
    for team in settings.teams:
        desks.append(
            DeskConfig(
                team.name,
                team.workbook,
                team.state,
                team.mail or settings.mail,
                team.reminders or settings.reminders,
                settings,
                team.intake or IntakeSettings(),
                team.customers or settings.customers,
            )
        )
    return desks


def open_backend(config: DeskConfig, state: StateStore | None = None) -> Backend:
    """Return the backend the desk's ``[workbook]`` names (``sync.backends.registry``); a Google Sheet keeps its
    metadata in ``state``, so a new process starts with the light read."""
    place = backend_place(config.settings, config.workbook, config.state_dir, memory=state)
    return registry.open_backend(config.workbook.backend, place)


def backend_place(
    settings: Settings, workbook: WorkbookSettings, state_dir: Path | None = None, memory: StateStore | None = None
) -> BackendPlace:
    """Where ``workbook`` lives, its paths resolved against the config file's folder; backups go in
    ``state_dir``/backups (none without a state dir)."""
    return BackendPlace(
        path=settings.resolve(workbook.path),
        spreadsheet=workbook.spreadsheet,
        credentials=settings.resolve(workbook.credentials) if workbook.credentials else None,
        backup_dir=state_dir / "backups" if state_dir is not None else None,
        backups=workbook.backups,
        retry_budget_seconds=workbook.retry_budget_seconds,
        memory=memory,
        stale_lock_hours=workbook.stale_lock_hours,
    )


def open_desk(
    config: DeskConfig, *, mail: bool = True, backend: Backend | None = None, remember: bool = True
) -> Desk:
    """Return a ready desk for ``config``; without ``mail`` it computes and writes but sends nothing.

    ``remember`` keeps each cycle's settled result in the state store for the next process (``run --once``);
    a daemon keeps it in memory and passes False.
    """
    state = StateStore(config.state_dir)
    mailroom = open_mailroom(config, state) if mail else None
    customers = None
    if config.settings.portal is not None:  # the portal's code (Flask and all) loads only for a desk that has one
        from sync.service.web import customer_loop

        customers = customer_loop(config.settings, config.name, state, _utc_now,
                                  customer_sender=config.customers.sender or config.mail.sender)
    backend = backend or open_backend(config, state)
    intake = open_intake(config, state, mailroom.transport if mailroom is not None else None, backend.read)
    return Desk(backend, state, desk_settings(config, remember), mailroom=mailroom, customers=customers,
                intake=intake)


def desk_settings(config: DeskConfig, remember: bool = True) -> DeskSettings:
    """The engine's settings for ``config``'s desk, built once from its config sections."""
    reminders = config.reminders
    thresholds = Thresholds(
        due_soon_fraction=reminders.due_soon_fraction, escalate_after_hours=reminders.escalate_after_hours,
        cluster_threshold=reminders.cluster_threshold, cluster_days=reminders.cluster_days,
        satisfaction_target=config.settings.loop.satisfaction_target,
    )
    return DeskSettings(
        language=config.workbook.language, aliases=config.workbook.aliases, thresholds=thresholds,
        daily_digest_at=config.settings.schedule.daily_digest_at, remember=remember,
        date_order=config.workbook.date_order,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def open_intake(
    config: DeskConfig, state: StateStore, transport: Transport | None,
    read_workbook: Callable[[], Snapshot] | None = None,
) -> IntakeChannels | None:
    """Return the desk's intake channels (``[intake]``, ``[customers]``), or None when it has none.

    Acknowledgements go out by the desk's ``[mail]`` transport (None: never, as without mail). The mailbox
    reads the Liaisons tab with ``read_workbook`` when it must know the desk's people before any cycle did.
    """
    mail, forms = config.intake.mail, config.intake.forms
    portal = config.settings.portal is not None  # its complaints get acknowledged
    if mail is None and forms is None and not portal:
        return None
    from sync.intake.channels import IntakeChannels  # loaded only for a desk that takes complaints in
    from sync.intake.forms import FormResponses
    from sync.intake.mailbox import CustomerSettings, MailboxSettings, MailIntake
    from sync.intake.people import DeskPeople

    customers = CustomerSettings(
        acknowledge=config.customers.acknowledge,
        sender=config.customers.sender or config.mail.sender,
        sender_name=config.customers.sender_name or config.mail.sender_name,
        ack_per_sender_per_hour=config.customers.ack_per_sender_per_hour,
    )
    mailbox = None
    if mail is not None:
        mailbox = MailIntake(state, MailboxSettings(
            host=mail.host, username=mail.username, password_env=mail.password_env, port=mail.port,
            security=mail.security, folder=mail.folder, processed_folder=mail.processed_folder, auth=mail.auth,
            timeout=mail.timeout_seconds,
        ), customers, people=DeskPeople(state, read_workbook, config.workbook.language,
                                        config.workbook.aliases).addresses)
    responses = FormResponses(state, forms.tab, forms.aliases) if forms is not None else None
    return IntakeChannels(state, mailbox, customers, transport, responses)


def resolved_mail_settings(config: DeskConfig) -> MailSettings:
    """The desk's ``[mail]`` with its outbox folder made relative to the config file."""
    outbox = config.settings.resolve(config.mail.outbox_dir)
    return config.mail.model_copy(update={"outbox_dir": str(outbox)})


def open_mailroom(config: DeskConfig, state: StateStore) -> Mailroom:
    """Return the desk's mailroom: its ledger lives in the state store's SQLite file."""
    mail = resolved_mail_settings(config)
    return Mailroom(config.reminders, mail, Ledger(state.path), build_transport(mail))


def ensure_state_dir(config: DeskConfig) -> None:
    """Make sure the desk's ``[state] dir`` exists and can be written. Raise ConfigError saying where if not."""
    directory = config.state_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory, prefix=".probe-"):
            pass
    except OSError as error:
        raise ConfigError(
            f"{_section(config, 'state')} dir {directory}: cannot write there ({error.strerror or error}) — "
            "point it at a folder sheetdesk may write to"
        ) from None


def open_desk_cleanly(config: DeskConfig, **options) -> Desk:
    """``open_desk`` with a broken state store (not a folder, not SQLite) reported as a ConfigError."""
    try:
        return open_desk(config, **options)
    except (OSError, sqlite3.Error) as error:
        raise ConfigError(
            f"{_section(config, 'state')} dir {config.state_dir}: the state store cannot be opened ({error}) — "
            "check the folder, or move the broken file away"
        ) from None


def _section(config: DeskConfig, name: str) -> str:
    return f"[{name}]" if config.name == "main" else f'[teams.{name}] (team "{config.name}")'


class InstanceLock:
    """An exclusive lock per workbook, held for the life of the process (released by the OS on exit).

    The lock file lives in ``directory`` (the desk's state dir) or, without one, in the system's temporary
    folder under a name made from the workbook's identity. The daemon takes both: the first holds even where
    services get private temporary folders (systemd's PrivateTmp), the second across configs that name the
    same workbook with different state dirs.
    """

    def __init__(self, identity: str, directory: Path | None = None) -> None:
        digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
        self.path = (directory or Path(tempfile.gettempdir())) / f"sheetdesk-{digest}.lock"
        self.identity = identity
        self.handle = None

    def acquire(self) -> None:
        """Take the lock. Raise AlreadyRunning if another process holds it."""
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise AlreadyRunning(
                f"already running for {self.identity} (pid {holder}) — stop that one first, or let it serve"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


@contextlib.contextmanager
def hold_locks(configs: list[DeskConfig]) -> Iterator[None]:
    """Hold every desk's instance lock for the block. Raise AlreadyRunning (taking none) if one is held."""
    locks = [lock for config in configs for lock in (InstanceLock(config.identity, config.state_dir),
                                                      InstanceLock(config.identity))]
    try:
        for lock in locks:
            lock.acquire()
        yield
    finally:
        for lock in locks:
            lock.release()


@contextlib.contextmanager
def read_only_desk(config: DeskConfig, mail: bool = False) -> Iterator[Desk]:
    """Yield a desk that writes nothing anywhere: its state store is a scratch copy of the real one.

    With ``mail`` it has its mailroom (over the scratch ledger), for a dry run to say what it would send; a dry
    run's cycle hands nothing to the transport.
    """
    with tempfile.TemporaryDirectory(prefix="sheetdesk-") as scratch:
        _copy_state(config.state_dir / STATE_FILE, Path(scratch) / STATE_FILE)
        desk = open_desk_cleanly(replace(config, state=StateSettings(dir=Path(scratch))), mail=mail)
        try:
            yield desk
        finally:
            desk.state.close()


def _copy_state(source: Path, target: Path) -> None:
    if not source.exists():
        return
    try:
        with sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True) as reader, sqlite3.connect(target) as copy:
            reader.backup(copy)
    except sqlite3.Error as error:
        log.warning("%s: cannot read the state store (%s); checking without it", source, error)
