"""The ``sheetdesk`` command. Thin: parse arguments, call the library, turn SheetdeskError into a message and
an exit code (0 ok, 1 problems found, 2 usage or config error, 3 already running). Never a traceback."""

from __future__ import annotations

import functools
import logging
import sys
from datetime import datetime
from pathlib import Path

import click

from sync.config import DEFAULT_CONFIG, load_settings
from sync.errors import SheetdeskError

__all__ = ["main", "cli"]

log = logging.getLogger("sheetdesk")


def _fail_cleanly(command):
    """Run a command; a SheetdeskError becomes its message on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SheetdeskError as error:
            click.echo(f"sheetdesk: {error}", err=True)
            sys.exit(error.exit_code)

    return wrapper


def _config_option(command):
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=DEFAULT_CONFIG,
        show_default=True,
        help="The config file.",
    )(command)


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f'"{text}" is not an ISO time — write it like 2026-11-23T14:00') from None


def _setup_logging(verbose: bool, json_lines: bool = False) -> None:
    from sync.logs import configure_logging

    configure_logging(verbose=verbose, json_lines=json_lines)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sheetdesk")
def cli() -> None:
    """sheetdesk — a closed-loop complaint desk on a shared spreadsheet."""


@cli.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Workbook language.")
@click.option("--sample", type=click.IntRange(min=0), default=0, help="Add N realistic sample tickets.")
@click.option("--backend", type=click.Choice(["xlsx", "gsheets"]), default="xlsx", show_default=True)
@click.option("--spreadsheet", help="gsheets: the key of an existing spreadsheet to lay the tabs into.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@_config_option
@_fail_cleanly
def init(path: Path, lang: str, sample: int, backend: str, spreadsheet: str | None, force: bool, config_path: Path) -> None:
    """Create a new workbook from the template (PATH is the .xlsx file)."""
    from sync.commands import init_workbook

    click.echo(init_workbook(path, lang, sample, backend, spreadsheet, force, config_path))


@cli.command()
@_config_option
@click.option("--now", "now_text", help="Check as of this time (ISO), e.g. 2026-11-23T14:00.")
@_fail_cleanly
def check(config_path: Path, now_text: str | None) -> None:
    """Validate config, rule tabs and rows; write nothing. Exit 1 when there are problems."""
    from sync.commands import check_desks

    _setup_logging(False)
    settings = load_settings(config_path)
    problems = check_desks(settings, _parse_now(now_text))
    sys.exit(1 if problems else 0)


@cli.command()
@_config_option
@click.option("--once", is_flag=True, help="Run one cycle and exit.")
@click.option("--dry-run", is_flag=True, help="Compute everything, write and send nothing.")
@click.option("--now", "now_text", help="Fix the clock (ISO time), e.g. 2026-11-23T14:00.")
@click.option("--verbose", "-v", is_flag=True, help="Log more.")
@click.option("--json-logs", is_flag=True, help="Log one JSON object per line.")
@_fail_cleanly
def run(config_path: Path, once: bool, dry_run: bool, now_text: str | None, verbose: bool, json_logs: bool) -> None:
    """Run the daemon: a cycle now, then every [schedule] every_minutes."""
    _setup_logging(verbose, json_logs)
    settings = load_settings(config_path)
    now = _parse_now(now_text)
    if once:
        from sync.commands import run_once

        sys.exit(run_once(settings, now, dry_run))
    from sync.daemon import run_daemon

    sys.exit(run_daemon(settings, dry_run=dry_run, now=now))


@cli.command()
@_config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--now", "now_text", help="Report as of this time (ISO).")
@_fail_cleanly
def report(config_path: Path, as_json: bool, now_text: str | None) -> None:
    """Print the desk's KPIs."""
    from sync.commands import print_report

    _setup_logging(False)
    print_report(load_settings(config_path), as_json, _parse_now(now_text))


@cli.command("mail-test")
@_config_option
@click.option("--to", "recipient", required=True, help="Send a test message to this address.")
@_fail_cleanly
def mail_test(config_path: Path, recipient: str) -> None:
    """Send one test message through the configured transport."""
    from sync.commands import send_test_mail

    click.echo(send_test_mail(load_settings(config_path), recipient))


@cli.command()
@_config_option
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--sample", type=click.IntRange(min=1), default=40, show_default=True)
@click.option("--now", "now_text", help="Fix the clock (ISO time).")
@_fail_cleanly
def demo(config_path: Path, lang: str, sample: int, now_text: str | None) -> None:
    """Create the config's workbook with sample tickets (if absent) and run one cycle into the outbox."""
    from sync.commands import run_demo

    _setup_logging(False)
    click.echo(run_demo(load_settings(config_path), lang, sample, _parse_now(now_text)))


def main() -> None:
    cli(prog_name="sheetdesk")


if __name__ == "__main__":
    main()
