"""The ``sheetdesk`` command. Thin: parse arguments, call the library, turn errors into a message and an exit
code. Never a traceback (set SHEETDESK_DEBUG=1 to see one for an unexpected error).

Exit codes: 0 ok · 1 problems found (check found problems; a desk failed while others were served; a mail was
not delivered) · 2 usage or config error (a bad option, --now or --to; config.toml missing or wrong; the
workbook missing or unreadable when it is the only desk; the state dir unusable) · 3 already running.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

import click

from mailers import AddressError
from sync.backends.registry import BACKENDS
from sync.service.config import DEFAULT_CONFIG, load_settings
from sync.service.failures import describe_error, exit_code_of
from tickets import SheetdeskError

__all__ = ["main", "cli"]

log = logging.getLogger("sheetdesk")
INTERRUPTED = 130  # the shell's convention for "stopped by Ctrl-C"


def _fail_cleanly(command):
    """Run a command; any error becomes one line on stderr and its exit code (see the module docstring)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except click.ClickException:
            raise  # click prints usage errors itself, with exit code 2
        except AddressError as error:  # only --to takes an address: a usage error of that option
            raise click.BadParameter(str(error), param_hint="'--to'") from None
        except KeyboardInterrupt:
            _exit("interrupted", INTERRUPTED)
        except Exception as error:
            if not isinstance(error, SheetdeskError) and os.environ.get("SHEETDESK_DEBUG"):
                raise
            _exit(describe_error(error), exit_code_of(error))

    return wrapper


def _exit(message: str, code: int) -> None:
    click.echo(f"sheetdesk: {message}", err=True)
    sys.exit(code)


def _config_option(command):
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=DEFAULT_CONFIG,
        show_default=True,
        help="The config file.",
    )(command)


def _now_option(command):
    return click.option(
        "--now", "now", callback=_parse_now, metavar="ISO", help="Fix the clock, e.g. 2026-11-23T14:00."
    )(command)


def _parse_now(context: click.Context, parameter: click.Parameter, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f'"{text}" is not an ISO time — write it like 2026-11-23T14:00') from None


def _setup_logging(verbose: bool = False, json_lines: bool = False) -> None:
    from sync.service.logs import configure_logging

    configure_logging(verbose=verbose, json_lines=json_lines)


def _progress_wanted(json_logs: bool) -> bool:
    """A spinner only for a person at a terminal: never with JSON logs, never when stderr is a file or pipe."""
    return not json_logs and sys.stderr.isatty()


class _WholeSentenceGroup(click.Group):
    """A group whose command list shows each command's whole first sentence, wrapped, never cut with "..."."""

    def format_commands(self, context: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(context):
            command = self.get_command(context, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_WholeSentenceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sheetdesk")
def cli() -> None:
    """sheetdesk — a closed-loop complaint desk on a shared spreadsheet."""


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="Workbook language.")
@click.option("--sample", type=click.IntRange(min=0), default=0, help="Add N realistic sample tickets.")
@click.option("--backend", type=click.Choice(list(BACKENDS)), default="xlsx", show_default=True)
@click.option("--spreadsheet", help="gsheets: the key of an existing spreadsheet to lay the tabs into.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@_config_option
@_fail_cleanly
def init(
    path: Path | None, lang: str, sample: int, backend: str, spreadsheet: str | None, force: bool, config_path: Path
) -> None:
    """Create a new workbook from the template, and a commented config.toml if there is none.

    PATH is the .xlsx file to create; with --backend gsheets give --spreadsheet KEY instead.
    """
    from sync.service.commands import init_workbook, write_config_for

    if backend == "xlsx" and path is None:
        raise click.UsageError("give the workbook to create, e.g. `sheetdesk init desk.xlsx`")
    if backend == "gsheets" and not spreadsheet:
        raise click.UsageError("--backend gsheets needs --spreadsheet KEY (the key from the sheet's URL)")
    click.echo(init_workbook(path or Path(), lang, sample, backend, spreadsheet, force, config_path))
    click.echo(write_config_for(config_path, None if backend == "gsheets" else path, spreadsheet))


@cli.command()
@_config_option
@_now_option
@_fail_cleanly
def check(config_path: Path, now: datetime | None) -> None:
    """Validate config, rule tabs and rows; write nothing. Exit 1 when there are problems."""
    from sync.service.commands import check_desks

    _setup_logging()
    problems = check_desks(load_settings(config_path), now)
    sys.exit(1 if problems else 0)


@cli.command()
@_config_option
@click.option("--once", is_flag=True, help="Run one cycle and exit.")
@click.option("--dry-run", is_flag=True, help="Compute everything, write and send nothing.")
@_now_option
@click.option("--verbose", "-v", is_flag=True, help="Log more.")
@click.option("--json-logs", is_flag=True, help="Log one JSON object per line.")
@_fail_cleanly
def run(config_path: Path, once: bool, dry_run: bool, now: datetime | None, verbose: bool, json_logs: bool) -> None:
    """Run the daemon: a cycle now, then every [schedule] every_minutes, until SIGTERM or Ctrl-C."""
    _setup_logging(verbose, json_logs)
    settings = load_settings(config_path)
    progress = _progress_wanted(json_logs)
    if once:
        from sync.service.commands import run_once

        sys.exit(run_once(settings, now, dry_run, progress=progress))
    from sync.service.daemon import run_daemon

    sys.exit(run_daemon(settings, dry_run=dry_run, now=now, progress=progress))


@cli.command()
@_config_option
@click.option("--listen", metavar="HOST:PORT", help="Listen here instead of [portal] listen.")
@click.option("--verbose", "-v", is_flag=True, help="Log more.")
@click.option("--json-logs", is_flag=True, help="Log one JSON object per line.")
@_fail_cleanly
def serve(config_path: Path, listen: str | None, verbose: bool, json_logs: bool) -> None:
    """Serve the customer portal alone, until SIGTERM or Ctrl-C (cycles run elsewhere)."""
    from sync.service.web import serve_portal

    _setup_logging(verbose, json_logs)
    sys.exit(serve_portal(load_settings(config_path), listen))


@cli.command()
@_config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--month", default=None, metavar="YYYY-MM", callback=lambda _c, _p, value: _month(value),
              help="A month's review: counts, root causes, open actions, KPIs against earlier months.")
@_now_option
@_fail_cleanly
def report(config_path: Path, as_json: bool, month: str | None, now: datetime | None) -> None:
    """Print the desk's KPIs, or a month's review; write nothing."""
    from sync.service.commands import print_report

    _setup_logging()
    sys.exit(print_report(load_settings(config_path), as_json, now, month=month))


def _month(value: str | None) -> str | None:
    """Check ``--month`` before any work: a usage error (exit 2) saying how to write it."""
    from tickets.review import MonthError, parse_month

    if value is not None:
        try:
            parse_month(value)
        except MonthError as error:
            raise click.BadParameter(str(error)) from None
    return value


@cli.command()
@_config_option
@_fail_cleanly
def status(config_path: Path) -> None:
    """Health for monitors: exit 0 when every desk's last cycle was good and recent, 1 (saying why) when not."""
    from sync.service.commands import show_status

    sys.exit(show_status(load_settings(config_path)))


@cli.command("mail-test")
@_config_option
@click.option("--to", "recipient", required=True, help="Send a test message to this address.")
@click.option("--team", help="Use this [[teams]] desk's [mail] (default: the main [mail]).")
@_fail_cleanly
def mail_test(config_path: Path, recipient: str, team: str | None) -> None:
    """Send one test message through the configured transport (exit 2 for a bad address, 1 if not delivered)."""
    from sync.service.commands import send_test_mail

    click.echo(send_test_mail(load_settings(config_path), recipient, team))


@cli.command()
@_config_option
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--sample", type=click.IntRange(min=1), default=40, show_default=True)
@_now_option
@_fail_cleanly
def demo(config_path: Path, lang: str, sample: int, now: datetime | None) -> None:
    """Create the config's workbook with sample tickets (if absent) and run one cycle into the outbox.

    In a folder without config.toml it writes the commented starter config first.
    """
    from sync.service.commands import run_demo, write_config_for

    _setup_logging()
    if not config_path.exists():
        click.echo(write_config_for(config_path))
    click.echo(run_demo(load_settings(config_path), lang, sample, now))


def main() -> None:
    cli(prog_name="sheetdesk")


if __name__ == "__main__":
    main()
