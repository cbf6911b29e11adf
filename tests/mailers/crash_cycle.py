"""A child process for the crash tests: runs one mailroom cycle against the test's SMTP server.

    python -m tests.mailers.crash_cycle LEDGER PORT NOW MODE

MODE ``killed-before-recording``: the process SIGKILLs itself the moment the server accepted the first message,
before the ledger records it. MODE ``plain``: a normal cycle (the test may kill it from the SMTP server's side).
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime

from mailers import AlwaysWorking, Ledger, Mailroom, MailSettings, ReminderSettings, SmtpTransport
from tests.mailers.builders import ADMIN
from tests.mailers.test_reminders_over_smtp import two_departments


class KilledBeforeRecording:
    """Wraps a transport; the process dies by SIGKILL when the first result comes back, before it is recorded."""

    def __init__(self, inner: SmtpTransport) -> None:
        self.inner = inner

    def send(self, messages, on_result=None):
        def die(result):
            os.kill(os.getpid(), signal.SIGKILL)

        return self.inner.send(messages, on_result=die)


def main(ledger_path: str, port: str, now: str, mode: str) -> None:
    mail_settings = MailSettings(
        transport="smtp", host="127.0.0.1", port=int(port), security="none", sender="desk@sheetdesk.example"
    )
    transport = SmtpTransport(mail_settings)
    if mode == "killed-before-recording":
        transport = KilledBeforeRecording(transport)
    with Ledger(ledger_path) as ledger:
        mailroom = Mailroom(ReminderSettings(admin_email=ADMIN), mail_settings, ledger, transport)
        mailroom.run_cycle(two_departments(), datetime.fromisoformat(now), AlwaysWorking())


if __name__ == "__main__":
    main(*sys.argv[1:5])
