"""Mail that did not go out is seen: the cycle line counts sent / waiting to retry / failed, each failure is a
WARNING naming the recipient and the reason, and ``run --once`` exits 1 — for a refused connection, a 451 or a
550 on RCPT from a real SMTP server on 127.0.0.1, and an outbox folder that is a file. The daemon keeps going."""

from __future__ import annotations

import re
from pathlib import Path

from tests.mailers.conftest import SmtpServer, free_port
from tests.sync.conftest import make_workbook
from tests.sync.service.test_cli import invoke
from tests.sync.service.test_config import write_config
from tests.sync.service.test_daemon import start_daemon, stop, wait_for

LATER = "2026-12-20T10:00"  # every open sample ticket is overdue: mail is due to several liaisons
ADDRESS = re.compile(r"[\w.+-]+@[\w.-]+")


class RefusingRecipients:
    """An SMTP handler that answers every RCPT TO with ``reply``."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 (aiosmtpd's hook)
        return self.reply


def _smtp_config(folder: Path, port: int) -> Path:
    config = write_config(folder, "[reminders]\nquiet_hours = false\n")
    text = config.read_text(encoding="utf-8").replace(
        '[mail]\n', f'[mail]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        "timeout_seconds = 5\n",
    )
    config.write_text(text, encoding="utf-8")
    return config


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " WARNING " in line]


def cycle_line(stderr: str) -> str:
    [line] = [line for line in stderr.splitlines() if " tickets, " in line]
    return line


def assert_seen(result, *, waiting: bool, failed: bool, reason: str) -> None:
    assert result.exit_code == 1, result.output
    line = cycle_line(result.stderr)
    assert "0 mails sent" in line, line
    assert re.search(r"[1-9]\d* waiting to retry" if waiting else r"0 waiting to retry", line), line
    assert re.search(r"[1-9]\d* failed" if failed else r" 0 failed", line), line
    warnings = [line for line in warnings_in(result.stderr) if "not delivered" in line or "gave up" in line]
    assert warnings, result.stderr
    for warning in warnings:
        assert ADDRESS.search(warning.split(" WARNING ", 1)[1]), warning  # names the recipient
        assert reason in warning, warning


def test_a_refused_connection_is_a_warning_per_mail_waiting_to_retry_and_exit_1(tmp_path):
    config = _smtp_config_with_workbook(tmp_path, free_port())  # nothing listens there
    result = invoke("run", "--once", "--config", config, "--now", LATER)
    assert_seen(result, waiting=True, failed=False, reason="cannot connect")


def run_against_refusing_server(folder: Path, reply: str):
    """``run --once`` against a real SMTP server that answers every RCPT TO with ``reply``."""
    server = SmtpServer(free_port())
    server.handler = RefusingRecipients(reply)
    server.start()
    try:
        return invoke("run", "--once", "--config", _smtp_config_with_workbook(folder, server.port), "--now", LATER)
    finally:
        server.stop()


def test_a_451_on_rcpt_waits_to_retry_and_exits_1(tmp_path):
    result = run_against_refusing_server(tmp_path, "451 4.3.0 try again later")
    assert_seen(result, waiting=True, failed=False, reason="451")


def test_a_550_on_rcpt_is_given_up_counted_as_failed_and_exits_1(tmp_path):
    result = run_against_refusing_server(tmp_path, "550 5.1.1 no such user")
    assert_seen(result, waiting=False, failed=True, reason="550")


def test_an_outbox_folder_that_is_a_file_is_seen_and_exits_1(tmp_path):
    make_workbook(tmp_path / "desk.xlsx", sample=8)
    config = write_config(tmp_path, "[reminders]\nquiet_hours = false\n")
    (tmp_path / "outbox").write_text("not a folder", encoding="utf-8")
    result = invoke("run", "--once", "--config", config, "--now", LATER)
    assert_seen(result, waiting=True, failed=False, reason="outbox")


def test_a_cycle_whose_mail_all_went_out_exits_0_and_counts_it(tmp_path):
    make_workbook(tmp_path / "desk.xlsx", sample=8)
    config = write_config(tmp_path, "[reminders]\nquiet_hours = false\n")
    result = invoke("run", "--once", "--config", config, "--now", LATER)
    assert result.exit_code == 0, result.output
    assert re.search(r"[1-9]\d* mails? sent, 0 waiting to retry, 0 failed", cycle_line(result.stderr))
    assert warnings_in(result.stderr) == []


def test_the_daemon_warns_and_keeps_cycling_while_mail_fails(tmp_path):
    make_workbook(tmp_path / "desk.xlsx", sample=8)
    config = write_config(tmp_path, "[reminders]\nquiet_hours = false\n")
    (tmp_path / "outbox").write_text("not a folder", encoding="utf-8")
    log = tmp_path / "daemon.log"
    daemon = start_daemon(config, log, "--now", LATER)
    try:
        wait_for(lambda: log.read_text(encoding="utf-8").count(" tickets, ") >= 2, what="two cycles")
    finally:
        code = stop(daemon)
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    assert "not delivered" in text and " WARNING " in text


def _smtp_config_with_workbook(folder: Path, port: int) -> Path:
    make_workbook(folder / "desk.xlsx", sample=8)
    return _smtp_config(folder, port)
