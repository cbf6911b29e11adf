"""What the command says is what it did: a dry run "would send" and leaves no trace on disk, a count of one is
singular, and a config value that is not allowed is quoted back so the person sees the typo."""

from __future__ import annotations

from pathlib import Path

from sync.engine import CycleReport
from tests.sync.conftest import make_workbook
from tests.sync.service.test_cli import invoke
from tests.sync.service.test_config import problems_of, write_config
from tests.sync.service.test_daemon import start_daemon, stop, wait_for

LATER = "2026-12-20T10:00"  # long after the samples were received: every open sample ticket is overdue


def files_under(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*")}


def test_a_dry_run_says_would_send_and_creates_nothing_not_even_the_state_dir(tmp_path):
    make_workbook(tmp_path / "desk.xlsx", sample=8)
    config = write_config(tmp_path, "[reminders]\nquiet_hours = false\n")
    before = files_under(tmp_path)

    result = invoke("run", "--once", "--dry-run", "--config", config, "--now", LATER)

    assert result.exit_code == 0, result.output
    assert "would send" in result.stderr and "mails sent" not in result.stderr, result.stderr
    assert files_under(tmp_path) == before  # no state dir, no outbox, no backups, no heartbeat


def test_a_dry_run_counts_what_it_would_send():
    report = CycleReport("desk.xlsx", rows=3, dry_run=True, mails_sent=15)
    assert "would send 15 mails" in report.summary()
    assert "sent" not in report.summary().replace("would send", "")


def test_one_mail_is_one_mail_not_one_mails():
    line = CycleReport("desk.xlsx", rows=1, mails_sent=1).summary()
    assert "1 mail sent" in line and "1 mails" not in line
    assert "1 ticket," in CycleReport("desk.xlsx", rows=1).summary()
    assert "2 mails sent" in CycleReport("desk.xlsx", rows=2, mails_sent=2).summary()


def test_a_bad_transport_is_quoted_back_with_the_allowed_values(tmp_path):
    config = write_config(tmp_path, "", name="config.toml")
    config.write_text(config.read_text(encoding="utf-8").replace("[mail]\n", '[mail]\ntransport = "smpt"\n'),
                      encoding="utf-8")
    message = problems_of(config)
    assert '[mail] transport: "smpt" is not allowed' in message, message
    assert "'outbox', 'smtp' or 'memory'" in message


def test_the_daemon_in_a_dry_run_creates_nothing_either(tmp_path):
    make_workbook(tmp_path / "desk.xlsx", sample=8)
    config = write_config(tmp_path, "[reminders]\nquiet_hours = false\n")
    before = files_under(tmp_path)
    log = tmp_path / "daemon.log"
    daemon = start_daemon(config, log, "--dry-run", "--now", LATER)
    try:
        wait_for(lambda: log.read_text(encoding="utf-8").count("would send") >= 2, what="two dry cycles")
    finally:
        code = stop(daemon)
    assert code == 0, log.read_text(encoding="utf-8")
    assert files_under(tmp_path) == before | {Path("daemon.log")}
