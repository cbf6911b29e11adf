"""The outbox transport: one .eml file per message in a folder — the embedded default, needs no network.

A file name is the message's Date (UTC) and Message-ID with only safe characters, so writing the same message
twice (a retry after a crash) replaces the file instead of adding a second one. Each file is written to a
temporary name, fsynced and renamed into place: a reader never sees half a message.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from mailers.errors import TransportError
from mailers.transport import ResultCallback, SendResult, report_each

__all__ = ["OutboxTransport", "outbox_file_name"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def outbox_file_name(message: EmailMessage) -> str:
    """Return ``YYYYmmdd-HHMMSS-<message id, safe characters>.eml`` for ``message``."""
    date = parsedate_to_datetime(str(message["Date"])).astimezone(UTC)
    identity = _UNSAFE.sub("_", str(message["Message-ID"]).strip("<> ")).strip("._")[:120] or "message"
    return f"{date:%Y%m%d-%H%M%S}-{identity}.eml"


class OutboxTransport:
    """Writes each message as an .eml file into ``directory`` (created if missing)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """See Transport.held: a folder needs no connection."""
        yield

    def send(self, messages: Sequence[EmailMessage], on_result: ResultCallback | None = None) -> list[SendResult]:
        """See Transport.send. A file that cannot be written fails its message (not permanent)."""
        results = []
        for message in messages:
            results += report_each([self._send_one(message)], on_result)
        return results

    def _send_one(self, message: EmailMessage) -> SendResult:
        message_id = str(message["Message-ID"])
        try:
            self._write(message)
        except OSError as error:
            problem = f"cannot write to the outbox {self.directory}: {error.strerror or error}"
            return SendResult(message_id, TransportError(problem))
        return SendResult(message_id)

    def _write(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / outbox_file_name(message)
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".writing-", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(message.as_bytes())
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
