"""What each CLI command does, as plain functions that return text or an exit code (the CLI only prints)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from rich.console import Console

from sync.app import desk_configs, open_backend, open_desk
from sync.config import Settings
from sync.engine import CycleReport
from sync.errors import ConfigError, SheetdeskError, WorkbookError

__all__ = ["init_workbook", "check_desks", "run_once", "print_report", "send_test_mail", "run_demo", "now_or_clock"]

log = logging.getLogger(__name__)


def now_or_clock(now: datetime | None) -> datetime:
    """Return ``now`` (a naive one stays naive: the desk reads it in its Calendar's zone) or the clock."""
    return now if now is not None else datetime.now().astimezone()


def init_workbook(
    path: Path, language: str, sample: int, backend: str, spreadsheet: str | None, force: bool, config_path: Path
) -> str:
    """Create a workbook from the template; return what was done."""
    from sheets_templates import build_spec, write_xlsx

    spec = build_spec(language, sample=sample, now=datetime.now().astimezone())
    if backend == "gsheets":
        if not spreadsheet:
            raise ConfigError("init --backend gsheets needs --spreadsheet KEY (the key from the sheet's URL)")
        from sync.gsheets import GSheetsBackend

        GSheetsBackend(spreadsheet).lay_out(spec)
        return f"laid the {language} template into spreadsheet {spreadsheet}"
    if path.exists() and not force:
        raise WorkbookError(f"{path} already exists — choose another name, or add --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_xlsx(spec, path)
    return f"created {path} ({language}, {sample} sample tickets)"


def check_desks(settings: Settings, now: datetime | None) -> int:
    """Validate every desk without writing; print each problem. Return how many problems were found."""
    console = Console(stderr=False, highlight=False)
    total = 0
    for config in desk_configs(settings):
        desk = open_desk(config, mail=False)
        report = desk.cycle(now_or_clock(now), dry_run=True)
        for problem in desk.last_rules.problems:
            console.print(f"[bold]{problem.where}[/]: {problem.render(report.language)}", markup=True)
            total += 1
        for problem in desk.last_calendar_problems:
            console.print(f"[bold]{problem.where}[/]: {problem.message(report.language)}", markup=True)
            total += 1
        for outcome in report.outcomes:
            for text in _row_problems(outcome, report.language):
                console.print(f"[bold]{desk.tickets_tab}!{outcome.ticket.row}[/]: {text}", markup=True)
                total += 1
        console.print(f"{config.name}: {report.rows} tickets checked, {total} problems")
    return total


def _row_problems(outcome, language: str) -> list[str]:
    from tickets import label

    return [problem.render(language, label(problem.column, language) if problem.column else "")
            for problem in outcome.problems]


def run_once(settings: Settings, now: datetime | None, dry_run: bool) -> int:
    """Run one cycle on every desk; return the exit code (0, or 1 if a desk failed)."""
    failed = 0
    for config in desk_configs(settings):
        try:
            report = open_desk(config).cycle(now_or_clock(now), dry_run=dry_run)
        except SheetdeskError as error:
            if len(settings.teams) == 0:
                raise
            log.error("%s: %s", config.name, error)
            failed += 1
            continue
        log.info("%s", report.summary())
    return 1 if failed else 0


def print_report(settings: Settings, as_json: bool, now: datetime | None) -> None:
    """Print the KPIs of every desk, as tables or JSON."""
    from sync.report import render_report, report_json

    console = Console()
    for config in desk_configs(settings):
        desk = open_desk(config, mail=False)
        report: CycleReport = desk.cycle(now_or_clock(now), dry_run=True)
        kpis = desk.last_kpis
        if as_json:
            print(report_json(kpis))
        else:
            console.print(render_report(kpis, report.language))


def send_test_mail(settings: Settings, recipient: str) -> str:
    """Send one test message through the configured transport; return what happened."""
    from mailers import mail_test, open_transport

    transport = open_transport(settings.mail, settings.resolve)
    return mail_test(transport, recipient, settings.mail)


def run_demo(settings: Settings, language: str, sample: int, now: datetime | None) -> str:
    """Create the configured workbook with samples if it is missing, then run one cycle. Return a summary."""
    config = desk_configs(settings)[0]
    if config.workbook.backend != "xlsx":
        raise ConfigError("demo works on a local workbook: set [workbook] backend = \"xlsx\"")
    lines = []
    if not config.workbook_path.exists():
        lines.append(init_workbook(config.workbook_path, language, sample, "xlsx", None, False, Path()))
    report = open_desk(config, backend=open_backend(config)).cycle(now_or_clock(now))
    lines.append(report.summary())
    lines.append(f"workbook: {config.workbook_path}")
    if config.mail.transport == "outbox":
        lines.append(f"outbox:   {settings.resolve(config.mail.outbox_dir)}")
    return "\n".join(lines)
