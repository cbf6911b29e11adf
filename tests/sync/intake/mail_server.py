"""A real IMAP + SMTP server on 127.0.0.1 for the intake tests: mail-devel (pymap + aiosmtpd), in its own process.

Multi-user mode: every address has its own mailbox, all with the same password. Mail sent over SMTP lands in
the recipient's INBOX; tests put exact bytes into a mailbox with IMAP APPEND.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import pytest
from imap_tools import MailBoxUnencrypted

PASSWORD = "desk-secret"
PASSWORD_VARIABLE = "SHEETDESK_TEST_IMAP_PASSWORD"
_users = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mail-devel exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("mail-devel did not start")


@dataclass
class MailServer:
    imap_port: int
    smtp_port: int

    def new_address(self, name: str = "desk") -> str:
        """A fresh mailbox for one test."""
        return f"{name}{next(_users)}@desk.example"

    def mailbox(self, user: str) -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.imap_port).login(user, PASSWORD, initial_folder=None)

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Put ``raw`` into ``user``'s ``folder``, as a mail server delivering it would (IMAP APPEND)."""
        with self.mailbox(user) as box:
            box.append(raw, folder, flag_set=())

    def uids(self, user: str, folder: str = "INBOX") -> list[str]:
        with self.mailbox(user) as box:
            if not box.folder.exists(folder):
                return []
            box.folder.set(folder)
            return box.uids("ALL")

    def messages(self, user: str, folder: str = "INBOX") -> list:
        """The messages in ``user``'s folder (read without marking them seen)."""
        with self.mailbox(user) as box:
            if not box.folder.exists(folder):
                return []
            box.folder.set(folder)
            return list(box.fetch(mark_seen=False))

    def seen_flags(self, user: str, folder: str) -> list[bool]:
        return ["\\Seen" in message.flags for message in self.messages(user, folder)]


def start_mail_devel(password: str, log: IO[bytes]) -> tuple[subprocess.Popen, int, int]:
    """Start mail-devel (multi-user, every mailbox with ``password``) on free ports of 127.0.0.1, logging to
    ``log``; return the process, its IMAP port and its SMTP port once both answer."""
    imap_port, smtp_port = _free_port(), _free_port()
    command = [sys.executable, "-m", "mail_devel", "--host", "127.0.0.1", "--imap-port", str(imap_port),
               "--smtp-port", str(smtp_port), "--no-http", "--multi-user", "--password", password]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(imap_port, process)
        _wait_for(smtp_port, process)
    except RuntimeError:
        stop_mail_devel(process)
        raise
    return process, imap_port, smtp_port


def stop_mail_devel(process: subprocess.Popen, seconds: float = 10) -> None:
    """Stop the server; one holding thousands of mails may take a while, then it is killed."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    log = tempfile.TemporaryFile()  # the server logs every command: a pipe nobody reads would fill and stall it
    process, imap_port, smtp_port = start_mail_devel(PASSWORD, log)
    try:
        yield MailServer(imap_port, smtp_port)
    finally:
        stop_mail_devel(process)
        log.close()
