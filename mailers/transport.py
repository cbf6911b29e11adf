"""The transport port: hand composed messages to the mail system. One verb, ``send``.

Adapters, one module each: ``mailers.outbox.OutboxTransport`` (.eml files, the embedded default) and
``mailers.smtp.SmtpTransport`` (yagmail). The in-memory double, ``MemoryTransport``, lives here beside the port.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from mailers.errors import TransportError

__all__ = ["Transport", "SendResult", "ResultCallback", "MemoryTransport", "report_each"]


@dataclass(frozen=True)
class SendResult:
    """What became of one message: delivered (``error`` None) or not, and whether a retry can help."""

    message_id: str
    error: TransportError | None = None

    @property
    def delivered(self) -> bool:
        return self.error is None


ResultCallback = Callable[[SendResult], None]


def report_each(results: list[SendResult], on_result: ResultCallback | None) -> list[SendResult]:
    """Tell ``on_result`` (if any) every result, in order; return ``results``."""
    if on_result is not None:
        for result in results:
            on_result(result)
    return results


class Transport(Protocol):
    """Where messages go."""

    def send(self, messages: Sequence[EmailMessage], on_result: ResultCallback | None = None) -> list[SendResult]:
        """Given messages, try to deliver each, all over ONE connection (opened only if there is something to
        send); return one SendResult per message, in order.

        ``on_result`` is called with each message's result as soon as it is known — for a delivered message,
        right after the server accepted it and before the next message is handed over — so the caller can record
        it at once and a crash repeats at most the one message in flight.

        Never raises for a delivery problem: a failure to connect or log in fails every result with the same
        TransportError. ``TransportError.permanent`` is True only when the same message can never succeed
        (e.g. the server rejected the recipient with a 5xx code).
        """
        ...

    def held(self) -> AbstractContextManager[None]:
        """Within the block, every ``send`` shares ONE connection: opened by the first send that has something
        to send, closed when the block ends. A cycle holds its transport, so its reminders, digests and customer
        mail go out over one connection. A connection that cannot be opened fails every send of the block
        without trying again; one that broke is opened again by the next send. Nested blocks share the outer's.
        """
        ...


class MemoryTransport:
    """The test double: keeps what it was given in ``sent``; ``fail_with`` makes every send fail;
    ``connections`` counts the connections a real transport would have opened."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.connections = 0
        self.fail_with: TransportError | None = None
        self._holding = False
        self._connected = False

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """See Transport.held."""
        if self._holding:
            yield
            return
        self._holding, self._connected = True, False
        try:
            yield
        finally:
            self._holding = self._connected = False

    def send(self, messages: Sequence[EmailMessage], on_result: ResultCallback | None = None) -> list[SendResult]:
        """See Transport.send."""
        if not messages:
            return []
        if not self._connected:
            self.connections += 1
            self._connected = self._holding
        if self.fail_with is not None:
            failed = [SendResult(str(message["Message-ID"]), self.fail_with) for message in messages]
            return report_each(failed, on_result)
        results = []
        for message in messages:
            self.sent.append(message)
            results += report_each([SendResult(str(message["Message-ID"]))], on_result)
        return results
