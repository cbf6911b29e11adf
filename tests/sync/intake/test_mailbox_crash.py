"""kill -9 at any moment of `sheetdesk run --once` taking in a mailbox loses no complaint and makes none twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from email import policy
from email.parser import BytesParser

import pytest

from sync.state import StateStore
from tests.sync.conftest import NOW, make_workbook, tickets_by_id
from tests.sync.intake.mail_server import PASSWORD, PASSWORD_VARIABLE
from tests.sync.intake.test_mailbox import a_mail

MAILS = 30


def write_config(tmp_path, server, desk_address):
    config = tmp_path / "config.toml"
    config.write_text(f"""
[workbook]
path = "desk.xlsx"

[mail]
transport = "outbox"
outbox_dir = "outbox"
sender = "{desk_address}"

[state]
dir = "state"

[intake.mail]
host = "127.0.0.1"
port = {server.imap_port}
security = "none"
username = "{desk_address}"
password_env = "{PASSWORD_VARIABLE}"

[customers]
ack_per_sender_per_hour = 100
""", encoding="utf-8")
    return config


def run_once(config, environment, kill_after: float | None = None) -> int | None:
    command = [sys.executable, "-m", "sync.service.cli", "run", "--once", "--config", str(config),
               "--now", NOW.isoformat()]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=str(config.parent))
    if kill_after is None:
        return process.wait(timeout=300)
    time.sleep(kill_after)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return None


@pytest.mark.slow
def test_killing_the_cycle_at_random_moments_neither_loses_nor_duplicates_a_ticket(mail_server, tmp_path):
    desk_address = mail_server.new_address()
    customer = f"crash+{desk_address.split('@')[0]}@customer.example"
    make_workbook(tmp_path / "desk.xlsx")
    config = write_config(tmp_path, mail_server, desk_address)
    for number in range(MAILS):
        mail_server.deliver(desk_address, bytes(a_mail(sender=customer, subject=f"Complaint {number}",
                                                       body=f"Problem {number}")))
    environment = {**os.environ, PASSWORD_VARIABLE: PASSWORD, "PYTHONPATH": os.getcwd()}
    chance = random.Random(20261123)
    for _ in range(6):
        run_once(config, environment, kill_after=chance.uniform(0.3, 2.5))
    assert run_once(config, environment) in (0, 1)
    assert run_once(config, environment) in (0, 1)

    tickets = tickets_by_id(tmp_path / "desk.xlsx")
    subjects = Counter(row["Description"].split("\n")[0] for row in tickets.values())
    assert subjects == Counter(f"Complaint {number}" for number in range(MAILS))  # each once, none lost
    assert mail_server.uids(desk_address, "INBOX") == []
    state = StateStore(tmp_path / "state")
    try:
        assert state.queued() == []
    finally:
        state.close()
    subjects = [BytesParser(policy=policy.default).parsebytes(path.read_bytes())["Subject"]
                for path in (tmp_path / "outbox").glob("*.eml")]
    acknowledged = Counter(subject[1:].split("]")[0] for subject in subjects if "We received" in subject)
    assert set(acknowledged) == set(tickets)
    assert max(acknowledged.values()) <= 2  # at most the one in flight is repeated
