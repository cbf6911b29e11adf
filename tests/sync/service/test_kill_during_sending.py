"""A ``run --once`` killed with SIGKILL in the middle of sending repeats at most the one message in flight: each
message is recorded as sent the moment the (slow, real) SMTP server on 127.0.0.1 accepted it."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.mailers.conftest import CollectingHandler, SmtpServer, free_port
from tests.sync.conftest import make_workbook
from tests.sync.service.test_cli import child_environment
from tests.sync.service.test_daemon import wait_for
from tests.sync.service.test_mail_failures import LATER, _smtp_config

SECONDS_PER_MESSAGE = 0.7


class SlowHandler(CollectingHandler):
    """Takes ``delay`` seconds over each message before it answers 250 (and keeps it)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def run_once(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sync.service.cli", "run", "--once", "--config", str(config), "--now", LATER],
        cwd=config.parent, env=child_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def ledger_states(state_dir: Path) -> Counter:
    with sqlite3.connect(state_dir / "sheetdesk.sqlite3") as connection:
        return Counter(state for (state,) in connection.execute("SELECT state FROM mail_message"))


def test_a_kill_during_sending_repeats_at_most_the_message_in_flight(tmp_path):
    server = SmtpServer(free_port())
    server.handler = SlowHandler(SECONDS_PER_MESSAGE)
    server.start()
    try:
        make_workbook(tmp_path / "desk.xlsx", sample=8)
        config = _smtp_config(tmp_path, server.port)
        child = run_once(config)
        wait_for(lambda: len(server.received) >= 3 or child.poll() is not None, timeout=60, what="3 deliveries")
        child.kill()  # SIGKILL: no cleanup, no chance to record anything more
        child.wait(timeout=30)
        before_restart = len(server.received)
        server.handler.delay = 0
        again = run_once(config)
        _, stderr = again.communicate(timeout=120)
    finally:
        server.stop()

    assert child.returncode == -9, "the first run was meant to be killed mid-way"
    assert again.returncode == 0, stderr.decode()
    deliveries = Counter(item.message_id for item in server.received)
    states = ledger_states(tmp_path / "state")
    assert 3 <= before_restart < sum(states.values()), (before_restart, states)
    assert states == {"sent": len(deliveries)}  # every message went out in the end
    repeated = {message_id: count for message_id, count in deliveries.items() if count > 1}
    assert sum(deliveries.values()) - len(deliveries) <= 1, repeated  # at most one message twice
