"""A process killed between a send and its ledger record: after restart nothing is lost, and a duplicate
carries the same Message-ID as the original."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mailers import AlwaysWorking, Ledger, Mailroom, SmtpTransport
from tests.mailers.builders import at
from tests.mailers.test_reminders_over_smtp import two_departments

PROJECT = Path(__file__).resolve().parents[2]
NOW = at(24, 17, 10)  # four digests are due: two liaisons, two managers
EXPECTED = {"li@quality.example", "zhang@service.example", "wang@quality.example", "liu@service.example"}


def start_child(ledger_path, port, mode):
    command = [
        sys.executable,
        "-m",
        "tests.mailers.crash_cycle",
        str(ledger_path),
        str(port),
        NOW.isoformat(),
        mode,
    ]
    return subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def restart(ledger_path, smtp_settings, reminder_settings):
    with Ledger(ledger_path) as ledger:
        mailroom = Mailroom(reminder_settings, smtp_settings, ledger, SmtpTransport(smtp_settings))
        report = mailroom.run_cycle(two_departments(), NOW, AlwaysWorking())
        again = mailroom.run_cycle(two_departments(), NOW, AlwaysWorking())
        states = Counter(ledger.get(message_id).state for message_id in report.sent)
    return report, again, states


def test_a_process_killed_right_after_sending_loses_nothing_and_duplicates_keep_their_message_id(
    tmp_path, smtp_server, smtp_settings, reminder_settings
):
    ledger_path = tmp_path / "state.sqlite"
    child = start_child(ledger_path, smtp_server.port, "killed-after-send")
    child.wait(timeout=60)
    before_restart = [item.message_id for item in smtp_server.received]

    report, again, states = restart(ledger_path, smtp_settings, reminder_settings)

    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()
    assert len(before_restart) == 4
    assert sorted(report.sent) == sorted(before_restart)  # the same messages again, same Message-IDs
    assert states == {"sent": 4}
    assert again.sent == [] and again.composed == []
    by_id = Counter(item.message_id for item in smtp_server.received)
    assert set(by_id.values()) == {2}
    assert {item.rcpt_tos[0] for item in smtp_server.received} == EXPECTED


def test_a_process_killed_in_the_middle_of_a_cycle_loses_nothing(
    tmp_path, smtp_server, smtp_settings, reminder_settings
):
    ledger_path = tmp_path / "state.sqlite"
    child = start_child(ledger_path, smtp_server.port, "plain")

    def kill_the_sender_at_the_second_message(envelope):
        if len(smtp_server.received) == 2:
            os.kill(child.pid, signal.SIGKILL)

    smtp_server.handler.on_data = kill_the_sender_at_the_second_message
    child.wait(timeout=60)
    smtp_server.handler.on_data = None
    before_restart = [item.message_id for item in smtp_server.received]

    report, again, states = restart(ledger_path, smtp_settings, reminder_settings)

    assert child.returncode == -signal.SIGKILL
    assert len(before_restart) == 2
    assert len(report.sent) == 4 and states == {"sent": 4}
    assert again.sent == []
    by_recipient = Counter(item.rcpt_tos[0] for item in smtp_server.received)
    assert set(by_recipient) == EXPECTED
    for message_id, count in Counter(item.message_id for item in smtp_server.received).items():
        assert count == (2 if message_id in before_restart else 1)


def test_the_child_process_sends_normally_when_nobody_kills_it(tmp_path, smtp_server):
    child = start_child(tmp_path / "state.sqlite", smtp_server.port, "plain")
    child.wait(timeout=60)

    assert child.returncode == 0, child.stderr.read().decode()
    assert {item.rcpt_tos[0] for item in smtp_server.received} == EXPECTED
