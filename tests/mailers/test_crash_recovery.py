"""A process killed between a send and its ledger record: after restart nothing is lost, only the message in
flight repeats, and a duplicate carries the same Message-ID as the original."""

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


def test_a_process_killed_after_the_server_took_a_message_but_before_recording_it_repeats_only_that_one(
    tmp_path, smtp_server, smtp_settings, reminder_settings
):
    ledger_path = tmp_path / "state.sqlite"
    child = start_child(ledger_path, smtp_server.port, "killed-before-recording")
    child.wait(timeout=60)
    before_restart = [item.message_id for item in smtp_server.received]

    report, again, states = restart(ledger_path, smtp_settings, reminder_settings)

    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()
    assert len(before_restart) == 1  # the server took one message; the process died before recording it
    assert before_restart[0] in report.sent  # sent again, with the same Message-ID
    assert len(report.sent) == 4 and states == {"sent": 4}
    assert again.sent == [] and again.composed == []
    by_id = Counter(item.message_id for item in smtp_server.received)
    assert by_id[before_restart[0]] == 2 and sorted(by_id.values()) == [1, 1, 1, 2]
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
    # The first message was recorded as sent the moment the server took it; only the one in flight repeats.
    in_flight = before_restart[-1]
    assert len(report.sent) == 3 and in_flight in report.sent and states == {"sent": 3}
    assert again.sent == []
    by_recipient = Counter(item.rcpt_tos[0] for item in smtp_server.received)
    assert set(by_recipient) == EXPECTED
    for message_id, count in Counter(item.message_id for item in smtp_server.received).items():
        assert count == (2 if message_id == in_flight else 1)


def test_the_child_process_sends_normally_when_nobody_kills_it(tmp_path, smtp_server):
    child = start_child(tmp_path / "state.sqlite", smtp_server.port, "plain")
    child.wait(timeout=60)

    assert child.returncode == 0, child.stderr.read().decode()
    assert {item.rcpt_tos[0] for item in smtp_server.received} == EXPECTED
