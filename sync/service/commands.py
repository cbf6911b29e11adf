"""What each CLI command does, as plain functions that return text or an exit code (the CLI only prints).

Exit codes (DESIGN §7): 0 ok, 1 problems found, 2 usage or config error, 3 already running. With several desks
(``[[teams]]``) one desk's failure never stops the others: it is reported, the others are served, and the exit
code is 1 (problems found). Only when no desk at all could be served does its own error (and code) come out.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from sync.backends import registry
from sync.backends.port import Backend, LaysOut
from sync.computed_cells import problem_texts
from sync.engine import CycleReport, Desk
from sync.errors import ConfigError
from sync.service.config import Settings, load_settings, write_starter_config
from sync.service.desks import (
    DeskConfig,
    backend_place,
    desk_configs,
    ensure_state_dir,
    hold_locks,
    open_backend,
    open_desk_cleanly,
    read_only_desk,
    resolved_mail_settings,
)
from sync.service.failures import describe_error
from sync.service.health import (
    Monitor,
    desk_health,
    failure_reason,
    record_failed_cycle,
    record_good_cycle,
    report_fields,
)
from sync.service.progress import spinner

__all__ = [
    "init_workbook",
    "write_config_for",
    "check_desks",
    "run_once",
    "show_status",
    "print_report",
    "send_test_mail",
    "run_demo",
    "now_or_clock",
    "find_desk",
]

log = logging.getLogger(__name__)
Result = TypeVar("Result")


def now_or_clock(now: datetime | None) -> datetime:
    """Return ``now`` (a naive one stays naive: the desk reads it in its Calendar's zone) or the clock."""
    return now if now is not None else datetime.now().astimezone()


# -- opening desks -----------------------------------------------------------------------------------------


def each_desk(
    configs: list[DeskConfig], work: Callable[[DeskConfig], Result], on_error: Callable[[DeskConfig, str], None]
) -> tuple[list[Result], int]:
    """Run ``work`` on every desk; a desk that fails is reported to ``on_error`` and the others go on.

    Return the results and how many desks failed. Raise the first error when no desk could be served.
    """
    results: list[Result] = []
    errors: list[tuple[DeskConfig, Exception]] = []
    for config in configs:
        try:
            results.append(work(config))
        except Exception as error:  # one desk's failure must not stop the others
            errors.append((config, error))
            log.debug("%s failed", config.name, exc_info=True)
    first = 1 if errors and not results else 0  # raised below rather than reported
    for config, error in errors[first:]:
        on_error(config, describe_error(error))
    if first:
        raise errors[0][1]
    return results, len(errors)


def find_desk(settings: Settings, name: str | None) -> DeskConfig:
    """Return the desk called ``name`` (the main desk when None). Raise ConfigError naming the desks there are."""
    configs = desk_configs(settings)
    if name is None:
        return configs[0]
    for config in configs:
        if config.name == name:
            return config
    raise ConfigError(f"no desk named {name!r}; the desks are: {', '.join(config.name for config in configs)}")


# -- the commands ------------------------------------------------------------------------------------------


def init_workbook(
    path: Path, language: str, sample: int, backend: str, spreadsheet: str | None, force: bool, config_path: Path,
    now: datetime | None = None,
) -> str:
    """Create a workbook from the template, sample tickets received up to ``now``; return what was done.

    The backend lays the template out itself (``LaysOut``), so colours and drop-downs have one writer per
    backend. Raise WorkbookError if it cannot be made, ConfigError if the backend lacks what it needs.
    """
    from sheets_templates import build_spec

    if backend == "gsheets" and not spreadsheet:
        raise ConfigError("init --backend gsheets needs --spreadsheet KEY (the key from the sheet's URL)")
    target = _backend_for_init(backend, path, spreadsheet, config_path)
    if not isinstance(target, LaysOut):
        raise ConfigError(f"the {backend} backend cannot lay out a new workbook; make it another way")
    target.lay_out(_with_dashboard(build_spec(language, sample=sample, now=now_or_clock(now))), replace=force)
    if backend == "gsheets":
        return f"laid the {language} template into spreadsheet {spreadsheet}"
    return f"created {path} ({language}, {sample} sample tickets)"


def _with_dashboard(spec: Any) -> Any:
    """The template ``spec`` with the Dashboard right after Tickets, saying the first cycle fills it: a new
    workbook shows its tabs in the order they keep."""
    from sheets_templates import TabSpec
    from sync.tabs.dashboard import DASHBOARD_WIDTHS, placeholder_rows
    from tickets import TABS

    dashboard = TabSpec(TABS["dashboard"].label(spec.language), placeholder_rows(spec.language),
                        widths=list(DASHBOARD_WIDTHS), key="dashboard")
    position = next((index + 1 for index, tab in enumerate(spec.tabs) if tab.key == "tickets"), len(spec.tabs))
    spec.tabs.insert(position, dashboard)
    return spec


def write_config_for(config_path: Path, workbook_path: Path | None = None, spreadsheet: str | None = None) -> str:
    """Write the commented starter config at ``config_path`` unless one is there; return what was done."""
    if write_starter_config(config_path, workbook_path, spreadsheet):
        return f"wrote {config_path} (commented; edit [mail] and [reminders] admin_email before `sheetdesk run`)"
    return f"kept the existing {config_path}"


def _backend_for_init(backend: str, path: Path, spreadsheet: str | None, config_path: Path) -> Backend:
    """The backend ``init`` builds in: ``path`` or ``spreadsheet``, with the config's credentials and retry
    budget when there is a config."""
    # A local file needs nothing from the config (which may not be written yet); a spreadsheet its credentials.
    wants_config = backend != "xlsx" and config_path.exists()
    settings = load_settings(config_path) if wants_config else Settings()
    workbook = settings.workbook.model_copy(update={"backend": backend, "spreadsheet": spreadsheet})
    place = replace(backend_place(settings, workbook), path=path)
    return registry.open_backend(backend, place)


def check_desks(settings: Settings, now: datetime | None, console: Console | None = None) -> int:
    """Validate every desk without writing anything (not even state); print each problem with its tab and cell.

    Return how many problems were found (a desk that cannot be read counts as one).
    """
    console = console or Console(highlight=False)

    def check(config: DeskConfig) -> int:
        with read_only_desk(config) as desk:
            report = desk.cycle(now_or_clock(now), dry_run=True)
            found = _print_problems(console, report)
        console.print(f"{config.name}: {report.rows} tickets checked, {found} problems", markup=False, soft_wrap=True)
        return found

    def failed(config: DeskConfig, message: str) -> None:
        console.print(f"{config.name}: cannot be checked: {message}", markup=False, soft_wrap=True)

    counts, failures = each_desk(desk_configs(settings), check, failed)
    return sum(counts) + failures


def _print_problems(console: Console, report: CycleReport) -> int:
    language = report.language
    lines = [problem.render(language) for problem in report.rule_findings]  # "Tab!Cell: message"
    lines += [problem.message(language) for problem in report.calendar_findings]  # starts with its cell
    for outcome in report.outcomes:
        where = f"{report.tickets_tab}!{outcome.ticket.row}"
        lines += [f"{where}: {text}" for text in problem_texts(outcome.problems, language)]
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)  # one line each, for grep
    return len(lines)


def run_once(settings: Settings, now: datetime | None, dry_run: bool, progress: bool = False) -> int:
    """Run one cycle on every desk; return the exit code: 0, or 1 if a mail was not delivered or a desk failed
    while others were served. Each desk's heartbeat or failed-cycle record is written, and the monitor pinged.

    Raise AlreadyRunning if a daemon serves one of the workbooks (unless ``dry_run``, which writes, records and
    creates nothing: not even the state dir).
    """
    configs = desk_configs(settings)
    if not dry_run:
        for config in configs:
            ensure_state_dir(config)
    monitor = Monitor(None if dry_run else settings.monitor.ping_url, settings.monitor.timeout_seconds)

    def cycle(config: DeskConfig) -> CycleReport:
        try:
            with _desk_for_once(config, dry_run) as desk, spinner(config.name, progress) as stage:
                report = desk.cycle(now_or_clock(now), dry_run=dry_run, progress=stage)
        except Exception as error:
            if not dry_run:
                record_failed_cycle(config.state_dir, describe_error(error, hint=False), {"desk": config.name})
            raise
        log.info("%s", report.summary())
        if not dry_run:
            _record_outcome(config, report)
        return report

    def failed(config: DeskConfig, message: str) -> None:
        log.error("%s: cycle failed: %s", config.name, message)

    monitor.start()
    good = False
    try:
        with hold_locks([] if dry_run else configs):
            reports, failures = each_desk(configs, cycle, failed)
        good = not failures and not any(report.mail_failed for report in reports)
    finally:
        monitor.finished(good)
        monitor.wait()
    return 0 if good else 1


def _record_outcome(config: DeskConfig, report: CycleReport) -> None:
    """The heartbeat after a good cycle, the failed-cycle record after one whose mail did not all go out."""
    record = {"desk": config.name, "pid": os.getpid(), **report_fields(report)}
    reason = failure_reason(report)
    if reason is None:
        record_good_cycle(config.state_dir, record)
    else:
        record_failed_cycle(config.state_dir, reason, record)


def show_status(settings: Settings, console: Console | None = None) -> int:
    """Print one line per desk saying whether it is healthy and why; return 0 when all are, else 1.

    Reads only the heartbeat and failed-cycle record in each ``[state] dir`` (see sync.service.health).
    """
    console = console or Console(highlight=False)
    every_minutes = settings.schedule.every_minutes
    healths = [desk_health(config.name, config.state_dir, every_minutes) for config in desk_configs(settings)]
    for health in healths:
        console.print(health.line(), markup=False, soft_wrap=True)
    return 0 if all(health.ok for health in healths) else 1


@contextmanager
def _desk_for_once(config: DeskConfig, dry_run: bool) -> Iterator[Desk]:
    """The desk for one cycle: the real one, or for a dry run one whose state is a scratch copy."""
    if dry_run:
        with read_only_desk(config, mail=True) as desk:
            yield desk
        return
    desk = open_desk_cleanly(config)
    try:
        yield desk
    finally:
        desk.state.close()


def print_report(
    settings: Settings, as_json: bool, now: datetime | None, console: Console | None = None, month: str | None = None
) -> int:
    """Print the KPIs of every desk — or, with ``month`` (YYYY-MM), its monthly review — as tables or JSON (one
    object, or ``{desk: object}`` with several desks).

    Writes nothing. Return the exit code (1 if a desk could not be read while others were). Raise MonthError
    for a month not written YYYY-MM.
    """
    from sync.tabs.report import render_report, render_review, report_json
    from tickets.review import monthly_review, parse_month

    console = console or Console()
    configs = desk_configs(settings)
    first_day = parse_month(month) if month is not None else None

    def kpis(config: DeskConfig):
        with read_only_desk(config) as desk:
            report = desk.cycle(now_or_clock(now), dry_run=True)
            if first_day is None or report.kpis is None:
                return config.name, report.kpis, report.language
            as_of = report.kpis.as_of
            return config.name, monthly_review(report.outcomes, first_day, as_of, as_of.tzinfo), report.language

    def failed(config: DeskConfig, message: str) -> None:
        log.error("%s: no report: %s", config.name, message)

    results, failures = each_desk(configs, kpis, failed)
    if as_json:
        by_desk = {name: figures for name, figures, _ in results}
        print(report_json(by_desk["main"] if len(configs) == 1 else by_desk))
    else:
        for name, figures, language in results:
            if len(configs) > 1:
                console.rule(name)
            console.print(render_report(figures, language) if first_day is None else render_review(figures, language))
    return 1 if failures else 0


def send_test_mail(settings: Settings, recipient: str, desk: str | None = None) -> str:
    """Send one test message through the desk's transport; return what happened.

    Raise AddressError if ``recipient`` is not an address, TransportError if the message was not delivered.
    """
    from mailers import WorkbookRef, build_transport, mail_test

    config = find_desk(settings, desk)
    mail = resolved_mail_settings(config)
    workbook = config.workbook
    if workbook.backend == "gsheets":
        key = workbook.spreadsheet or ""
        named = WorkbookRef(f"Google Sheet {key}", f"https://docs.google.com/spreadsheets/d/{key}/edit")
    else:
        named = WorkbookRef(config.workbook_path.name)
    result = mail_test(build_transport(mail), recipient, mail, workbook=named)
    if mail.transport == "outbox":
        return f"wrote a test message to {recipient} into the outbox {mail.outbox_dir} ({result.message_id})"
    return f"sent a test message to {recipient} through {mail.transport} ({result.message_id})"


def run_demo(settings: Settings, language: str, sample: int, now: datetime | None) -> str:
    """Create the configured workbook with samples if it is missing, then run one cycle. Return a summary.

    The demo's cycle sends its mail whatever the hour (quiet hours off), so the outbox shows what liaisons get.
    """
    config = desk_configs(settings)[0]
    if config.workbook.backend != "xlsx":
        raise ConfigError("demo works on a local workbook: set [workbook] backend = \"xlsx\"")
    config = replace(config, reminders=config.reminders.model_copy(update={"quiet_hours": False}))
    ensure_state_dir(config)
    lines = []
    if not config.workbook_path.exists():
        lines.append(init_workbook(config.workbook_path, language, sample, "xlsx", None, False, Path(), now))
    desk = open_desk_cleanly(config, backend=open_backend(config))
    try:
        report = desk.cycle(now_or_clock(now))
    finally:
        desk.state.close()
    lines.append(report.summary())
    lines.append(f"workbook: {config.workbook_path}")
    if config.mail.transport == "outbox":
        lines.append(f"outbox:   {settings.resolve(config.mail.outbox_dir)}")
    return "\n".join(lines)
