"""The SMTP transport, through yagmail: one connection per ``send`` call, or per ``held`` block — a cycle holds
its transport, so everything the cycle sends (reminders, digests, acknowledgements, customer mail) shares one.

Why yagmail's connection and not ``yag.send``: ``yag.send`` builds its own message from ``contents``, with a
Message-ID and headers of its making. The ledger needs the message it recorded to go out byte-for-byte with
the same Message-ID (a retry after a crash must be recognisable as a duplicate), and our headers are already
sanitised. So yagmail does what it is good at — connect, STARTTLS/SSL, log in — via ``yag.login()``, and the
prepared ``EmailMessage`` goes out with ``yag.smtp.send_message`` on that one connection.

yagmail's defaults to tame, each checked in its source (0.16):

- a missing password makes it ask the OS keyring, then ``getpass``: the password is always passed
  explicitly, read from the environment variable ``[mail] password_env``; with no ``username`` login is
  skipped (``smtp_skip_login``), for relays that need none;
- ``smtp_starttls=None`` means STARTTLS whenever ``smtp_ssl`` is False: both are always passed explicitly,
  so ``security = "none"`` really speaks plain SMTP;
- ``smtp_ssl`` defaults to True and the port to 465: both are passed;
- a user name without ``@`` gets ``@gmail.com`` appended: the user is passed as ``{username: alias}``, which
  yagmail takes verbatim;
- extra keyword arguments go to ``smtplib.SMTP(...)``: that is how ``timeout`` is set.

The password never appears in an error message or log line.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from mailers.errors import TransportError
from mailers.settings import MailSettings
from mailers.transport import ResultCallback, SendResult, report_each

if TYPE_CHECKING:
    import yagmail

__all__ = ["SmtpTransport"]


class SmtpTransport:
    """Delivers messages to the SMTP server of ``[mail]``; see Transport.send for the contract."""

    def __init__(self, settings: MailSettings, environ: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self._environ = os.environ if environ is None else environ
        self._hold: _Hold | None = None

    def send(self, messages: Sequence[EmailMessage], on_result: ResultCallback | None = None) -> list[SendResult]:
        """See Transport.send. Uses the held connection (see ``held``), else opens one for ``messages`` and closes
        it after; each result is reported to ``on_result`` the moment the server answered that message."""
        if not messages:
            return []
        try:
            client = self._client()
        except TransportError as error:
            return report_each([SendResult(_message_id(message), error) for message in messages], on_result)
        results: list[SendResult] = []
        try:
            results = self._send_all(client, messages, on_result)
        finally:
            self._release(client, broken=not results or isinstance(results[-1].error, _ConnectionLost))
        return results

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """See Transport.held."""
        if self._hold is not None:
            yield
            return
        self._hold = _Hold()
        try:
            yield
        finally:
            hold, self._hold = self._hold, None
            if hold.client is not None:
                hold.client.close()

    def _client(self) -> yagmail.SMTP:
        """The held connection, opened now if need be; else a connection of its own. Raise TransportError when
        it cannot be opened (within a held block, once: later sends fail with the same error)."""
        hold = self._hold
        if hold is None:
            return self._connect()
        if hold.error is not None:
            raise hold.error
        if hold.client is None:
            try:
                hold.client = self._connect()
            except TransportError as error:
                hold.error = error
                raise
        return hold.client

    def _release(self, client: yagmail.SMTP, broken: bool) -> None:
        """Close ``client`` unless the held block keeps it; a broken held connection is dropped and reopened by
        the next send."""
        hold = self._hold
        if hold is None or hold.client is not client:
            client.close()
        elif broken:
            hold.client = None
            client.close()

    def yagmail_client(self) -> yagmail.SMTP:
        """Return an unconnected yagmail client configured from the settings (see the module docstring).

        Raise TransportError if a username is set but its password environment variable is not.
        """
        settings = self.settings
        login = settings.username or settings.sender
        import yagmail  # only a desk that sends over SMTP pays for importing it

        client = yagmail.SMTP(
            user={login: settings.sender_name},
            password=self._password(),
            host=settings.host,
            port=settings.port,
            smtp_ssl=settings.security == "ssl",
            smtp_starttls=settings.security == "starttls",
            smtp_skip_login=settings.username is None,
            soft_email_validation=False,
            timeout=settings.timeout_seconds,
        )
        client.set_logging(None)  # yagmail's own logger would print to stderr; errors come back as results
        return client

    def _password(self) -> str | None:
        if self.settings.username is None:
            return None
        password = self._environ.get(self.settings.password_env)
        if not password:
            raise TransportError(
                f"the SMTP password is not set: put it in the environment variable {self.settings.password_env} "
                f"(user {self.settings.username})"
            )
        return password

    def _connect(self) -> yagmail.SMTP:
        client = self.yagmail_client()
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            client.login()
        except smtplib.SMTPAuthenticationError as error:
            client.close()
            raise TransportError(
                f"{where} refused the login of {self.settings.username}: {_reply(error)}"
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            client.close()
            raise TransportError(f"cannot connect to the SMTP server {where}: {_describe(error)}") from error
        return client

    def _send_all(
        self, client: yagmail.SMTP, messages: Sequence[EmailMessage], on_result: ResultCallback | None
    ) -> list[SendResult]:
        results: list[SendResult] = []
        for message in messages:
            connection_lost = results and isinstance(results[-1].error, _ConnectionLost)
            if connection_lost:
                result = SendResult(_message_id(message), results[-1].error)
            else:
                result = self._send_one(client, message)
            results += report_each([result], on_result)
        return results

    def _send_one(self, client: yagmail.SMTP, message: EmailMessage) -> SendResult:
        message_id = _message_id(message)
        recipients = [address.addr_spec for address in message["To"].addresses]
        try:
            client.smtp.send_message(message, from_addr=self.settings.sender, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            permanent = all(500 <= code < 600 for code in codes)
            return SendResult(message_id, TransportError(f"recipient refused: {_refusals(error)}", permanent))
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            return SendResult(message_id, TransportError(f"the server said {_reply(error)}", permanent))
        except smtplib.SMTPNotSupportedError as error:
            return SendResult(
                message_id, TransportError(f"the server cannot take this message: {error}", True)
            )
        except (smtplib.SMTPException, OSError) as error:
            return SendResult(message_id, _ConnectionLost(f"the connection broke: {_describe(error)}"))
        return SendResult(message_id)


@dataclass
class _Hold:
    """A held block's connection (None until the first send) or the error that opening it gave."""

    client: yagmail.SMTP | None = None
    error: TransportError | None = None


class _ConnectionLost(TransportError):
    """The SMTP connection broke mid-cycle: this and every later message of the cycle failed."""


def _message_id(message: EmailMessage) -> str:
    return str(message["Message-ID"])


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = (
        error.smtp_error.decode("utf-8", "replace")
        if isinstance(error.smtp_error, bytes)
        else error.smtp_error
    )
    return f"{error.smtp_code} {text}"


def _refusals(error: smtplib.SMTPRecipientsRefused) -> str:
    parts = []
    for address, (code, reply) in error.recipients.items():
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        parts.append(f"{address}: {code} {text}")
    return "; ".join(parts)


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__
