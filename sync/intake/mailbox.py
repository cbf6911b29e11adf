"""The complaints mailbox (``[intake.mail]``): new mail becomes tickets, replies join their ticket, exactly once.

Each ``MailIntake.poll`` logs in over IMAP (imap-tools), takes the mail in ``folder`` after the last UID it
handled, and for each message:

1. reads it (``sync.intake.inbound``) and names it by ``key`` (Message-ID + content hash);
2. skips it if that key was handled before (a redelivery, or a crash after handling and before moving);
3. keeps the raw .eml and its attachments in the state dir (``mail/<hash[:2]>/<hash>/``), never opening them;
4. a bounce flags the failed addresses (no ticket); a reply — In-Reply-To/References naming a mail sheetdesk
   sent or received, or a ``[CS-…]`` tag from that ticket's own customer — is recorded as the ticket's
   message; anything else goes through ``take_in`` (idempotent by the key) with the acknowledgement decided;
5. moves the handled mail to ``processed_folder`` and records the UID (per UIDVALIDITY).

The Seen flag is never read or set (``BODY.PEEK``): people read that mailbox too. A crash at any point repeats
at most steps 1–5 for the mail in hand, and the key makes the repeat harmless.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import os
import re
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.errors import MailboxLoginError

from mailers import TICKET_MESSAGE_PREFIX
from sync.intake.complaint import CHANNEL_EMAIL, Complaint, take_in
from sync.intake.inbound import AUTOMATIC, BOUNCE, PERSON, InboundMail, read_mail
from sync.intake.people import DeskPeople
from sync.state import CustomerMessage, StateStore, parse_ticket_id
from tickets import SheetdeskError

__all__ = [
    "MailboxSettings",
    "CustomerSettings",
    "MailIntake",
    "PollReport",
    "MailboxError",
    "MailRecords",
    "ACK_ID_PREFIX",
    "SECURITIES",
]

log = logging.getLogger(__name__)

SECURITIES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
FETCH_BATCH = 100  # messages fetched per IMAP command, then moved in one command
MAIL_DIR = "mail"
ACK_ID_PREFIX = TICKET_MESSAGE_PREFIX  # mail about a ticket (the acknowledgement first): <sheetdesk-ack.CS-….<hash>@domain>
ACK_ID = re.compile(r"<sheetdesk-ack\.(CS-\d{8}-\d{4,})\.")
UNSAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox_progress (
    folder TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS inbox_seen (
    key TEXT PRIMARY KEY,
    message_id TEXT,
    ticket_id TEXT,
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_seen_message_id ON inbox_seen (message_id);
CREATE TABLE IF NOT EXISTS inbox_ack (
    key TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    planned_at TEXT NOT NULL,
    ticket_id TEXT,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS inbox_ack_address ON inbox_ack (address, planned_at);
"""


class MailboxError(SheetdeskError):
    """The mailbox cannot be read now (server down, login refused, folder missing); the next cycle tries again."""


@dataclass(frozen=True)
class MailboxSettings:
    """``[intake.mail]``: where the complaints mailbox is and how to log in (the secret from the environment)."""

    host: str
    username: str
    password_env: str = "SHEETDESK_IMAP_PASSWORD"
    port: int | None = None
    security: str = "ssl"  # ssl | starttls | none
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    auth: str = "password"  # password | xoauth2 (then password_env holds an OAuth2 access token)
    timeout: float = 30.0

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.security, 993)


@dataclass(frozen=True)
class CustomerSettings:
    """``[customers]``: whether and from whom customers get mail, and how much at most."""

    acknowledge: bool = True
    sender: str = ""
    sender_name: str = ""
    ack_per_sender_per_hour: int = 3


@dataclass
class PollReport:
    """What one poll did."""

    tickets: list[str] = field(default_factory=list)  # Ticket IDs of new complaints
    replies: list[str] = field(default_factory=list)  # Ticket IDs that got a customer's message
    bounces: list[str] = field(default_factory=list)  # addresses flagged as bad
    again: int = 0  # mail handled before (redelivered, or a repeat after a crash)
    acknowledgements_planned: int = 0
    moved: int = 0

    @property
    def needs_cycle(self) -> bool:
        """Whether something came in that a cycle writes: a ticket to append, a reply, a bounced address."""
        return bool(self.tickets or self.replies or self.bounces)

    def summary(self) -> str:
        return (f"mailbox: {len(self.tickets)} new tickets, {len(self.replies)} replies, {len(self.bounces)} bounced "
                f"addresses, {self.again} seen before")


class MailRecords:
    """The mailbox's memory in the state store: progress, handled mail, planned acknowledgements, bad addresses."""

    def __init__(self, state: StateStore) -> None:
        self.state = state
        self.connection = state.connection
        self.connection.executescript(_SCHEMA)

    def last_uid(self, folder: str, uidvalidity: int) -> int:
        """The last UID handled in ``folder``; 0 when the folder's UIDVALIDITY changed (UIDs were renumbered)."""
        row = self.connection.execute(
            "SELECT uidvalidity, last_uid FROM inbox_progress WHERE folder = ?", (folder,)
        ).fetchone()
        return row[1] if row and row[0] == uidvalidity else 0

    def set_last_uid(self, folder: str, uidvalidity: int, uid: int) -> None:
        self.connection.execute(
            "INSERT INTO inbox_progress (folder, uidvalidity, last_uid) VALUES (?, ?, ?) ON CONFLICT(folder) DO "
            "UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
            (folder, uidvalidity, uid),
        )

    def handled(self, key: str) -> bool:
        return self.connection.execute("SELECT 1 FROM inbox_seen WHERE key = ?", (key,)).fetchone() is not None

    def mark_handled(self, mail: InboundMail, kind: str, ticket_id: str | None, now: datetime) -> None:
        self.connection.execute(
            "INSERT OR IGNORE INTO inbox_seen (key, message_id, ticket_id, kind, sender, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (mail.key, mail.message_id, ticket_id, kind, mail.sender, now.astimezone(UTC).isoformat()),
        )

    def ticket_of_message(self, message_id: str) -> str | None:
        """The ticket a mail sheetdesk received or sent belongs to."""
        sent = ACK_ID.match(message_id)
        if sent:
            return sent.group(1)
        row = self.connection.execute(
            "SELECT ticket_id FROM inbox_seen WHERE message_id = ? AND ticket_id IS NOT NULL", (message_id,)
        ).fetchone()
        return row[0] if row else None

    def customer_of(self, ticket_id: str) -> set[str]:
        """The addresses that wrote ticket ``ticket_id``'s first mail (or its Contact, if it came another way)."""
        rows = self.connection.execute(
            "SELECT sender FROM inbox_seen WHERE ticket_id = ? AND kind = 'ticket'", (ticket_id,)
        )
        found = {row[0] for row in rows}
        queued = self.state.queued_by_id(ticket_id)
        if queued is not None and queued.cells.get("contact"):
            found.add(str(queued.cells["contact"]).strip().lower())
        return found

    def plan_acknowledgement(self, key: str, address: str, limit: int, now: datetime) -> bool:
        """Count an acknowledgement to ``address`` for mail ``key``, unless ``limit`` were planned in the last hour.

        Return whether it may be sent. Asked again for the same key, the answer is the same.
        """
        with self.state.transaction() as connection:
            known = connection.execute("SELECT 1 FROM inbox_ack WHERE key = ?", (key,)).fetchone()
            if known:
                return True
            since = (now - timedelta(hours=1)).astimezone(UTC).isoformat()
            (recent,) = connection.execute(
                "SELECT count(*) FROM inbox_ack WHERE address = ? AND planned_at > ?", (address, since)
            ).fetchone()
            if recent >= limit:
                return False
            connection.execute(
                "INSERT INTO inbox_ack (key, address, planned_at) VALUES (?, ?, ?)",
                (key, address, now.astimezone(UTC).isoformat()),
            )
        return True

    def acknowledged(self, ticket_id: str) -> bool:
        return self.connection.execute(
            "SELECT 1 FROM inbox_ack WHERE ticket_id = ? AND sent_at IS NOT NULL", (ticket_id,)
        ).fetchone() is not None

    def mark_acknowledged(self, key: str, ticket_id: str, now: datetime) -> None:
        self.connection.execute(
            "UPDATE inbox_ack SET ticket_id = ?, sent_at = ? WHERE key = ?",
            (ticket_id, now.astimezone(UTC).isoformat(), key),
        )

    def flag_bad(self, addresses: Iterable[str], reason: str, now: datetime) -> None:
        self.state.flag_bad_addresses(addresses, reason, now)

    def is_bad(self, address: str) -> bool:
        return self.state.is_bad_address(address)

    def bad_addresses(self) -> dict[str, str]:
        """``{address: why}`` for every address a bounce flagged."""
        return {address: bad.reason for address, bad in self.state.bad_addresses().items()}


class _RawMessage(MailMessage):
    """A fetched message kept as the server's bytes: sheetdesk parses it itself, once."""

    def __init__(self, fetch_data: list) -> None:
        self.raw, self._raw_uid_data, self._raw_flag_data = self._get_message_data_parts(fetch_data)


class MailIntake:
    """The complaints mailbox of one desk. ``people`` returns the desk's own people's addresses, never
    acknowledged (default: ``DeskPeople`` over the state store alone)."""

    def __init__(
        self,
        state: StateStore,
        settings: MailboxSettings,
        customers: CustomerSettings | None = None,
        environ: Mapping[str, str] | None = None,
        people: Callable[[], set[str]] | None = None,
    ) -> None:
        self.state = state
        self.people = people or DeskPeople(state).addresses
        self.settings = settings
        self.customers = customers or CustomerSettings()
        self.records = MailRecords(state)
        self.environ = os.environ if environ is None else environ
        self.mail_dir = state.path.parent / MAIL_DIR
        self._never_acknowledged: set[str] | None = None

    # -- the poll -----------------------------------------------------------------------------------------

    def poll(self, now: datetime) -> PollReport:
        """Take in every mail that arrived since the last poll, as of ``now`` (aware). Raise MailboxError when
        the mailbox cannot be reached or read; what was handled before the failure stays handled."""
        report = PollReport()
        self._never_acknowledged = None
        try:
            with self._connect() as box:
                self._poll_folder(box, now, report)
        except MailboxError:
            raise
        except MailboxLoginError as error:
            raise self._login_refused() from error
        except (TimeoutError, OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
            raise MailboxError(f"[intake.mail] {self.settings.host}:{self.settings.effective_port}: {error}; "
                               "the next cycle tries again") from error
        if report.tickets or report.replies or report.bounces:
            log.info("%s", report.summary())
        return report

    def _poll_folder(self, box: BaseMailBox, now: datetime, report: PollReport) -> None:
        folder, processed = self.settings.folder, self.settings.processed_folder
        if not box.folder.exists(processed):
            box.folder.create(processed)
        box.folder.set(folder)
        uidvalidity = int(box.folder.status(folder, ["UIDVALIDITY"])["UIDVALIDITY"])
        last = self.records.last_uid(folder, uidvalidity)
        uids = [uid for uid in box.uids(f"UID {last + 1}:*") if int(uid) > last]
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start:start + FETCH_BATCH]
            handled = []
            for message in box.fetch(uid_list=batch, mark_seen=False, bulk=True):
                self.take(message.raw, now, report)
                handled.append(message.uid)
            if handled:
                box.move(handled, processed)
                report.moved += len(handled)
                self.records.set_last_uid(folder, uidvalidity, max(int(uid) for uid in handled))

    def _connect(self) -> BaseMailBox:
        settings = self.settings
        secret = self.environ.get(settings.password_env, "")
        if not secret:
            raise MailboxError(f"[intake.mail] password_env: the environment variable ${settings.password_env} is "
                               "empty — put the mailbox password (or OAuth2 token) there")
        port = settings.effective_port
        if settings.security == "ssl":
            box: BaseMailBox = MailBox(settings.host, port, timeout=settings.timeout)
        elif settings.security == "starttls":
            box = MailBoxStartTls(settings.host, port, timeout=settings.timeout)
        else:
            box = MailBoxUnencrypted(settings.host, port, timeout=settings.timeout)
        box.email_message_class = _RawMessage
        try:
            if settings.auth == "xoauth2":
                return box.xoauth2(settings.username, secret, initial_folder=None)
            return box.login(settings.username, secret, initial_folder=None)
        except (MailboxLoginError, imaplib.IMAP4.error) as error:  # imaplib says NO to AUTHENTICATE by raising
            box.client.shutdown()
            raise self._login_refused() from error

    def _login_refused(self) -> MailboxError:
        settings = self.settings
        secret = ("the OAuth2 access token in ${0} (tokens expire: refresh it)" if settings.auth == "xoauth2"
                  else "the secret in ${0}").format(settings.password_env)
        return MailboxError(f"[intake.mail] {settings.username}@{settings.host}: login refused — check username "
                            f"and {secret}")

    # -- one mail -----------------------------------------------------------------------------------------

    def take(self, raw: bytes, now: datetime, report: PollReport | None = None) -> str:
        """Handle one mail's bytes; return what it was: "again", "bounce", "reply" or "ticket"."""
        report = report if report is not None else PollReport()
        mail = read_mail(raw)
        if self.records.handled(mail.key):
            report.again += 1
            return "again"
        stored = self._store(mail, now)
        if mail.kind == BOUNCE:
            return self._bounce(mail, now, report)
        ticket_id = self._thread(mail)
        if ticket_id is not None:
            return self._reply(mail, ticket_id, now, report)
        return self._new_ticket(mail, stored, now, report)

    def _bounce(self, mail: InboundMail, now: datetime, report: PollReport) -> str:
        reason = f"bounced {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {mail.subject[:120]}"
        self.records.flag_bad(mail.bounced, reason, now)
        report.bounces += list(mail.bounced)
        self.records.mark_handled(mail, "bounce", None, now)
        return "bounce"

    def _thread(self, mail: InboundMail) -> str | None:
        """The ticket a mail answers: by its thread headers, else by a ticket tag from that ticket's customer."""
        for message_id in reversed(mail.thread_ids):  # the nearest parent last in References
            ticket_id = self.records.ticket_of_message(message_id)
            if ticket_id is not None:
                return ticket_id
        for tag in mail.tags:
            if mail.sender in self.records.customer_of(tag):
                return tag
        return None

    def _reply(self, mail: InboundMail, ticket_id: str, now: datetime, report: PollReport) -> str:
        text = mail.text or mail.subject
        message = CustomerMessage(ticket_id, _arrival(mail, now), "Email", _from(mail), text,
                                  automatic=mail.kind == AUTOMATIC, source_ref=mail.key)
        self.state.add_customer_message(message)
        self.records.mark_handled(mail, "reply", ticket_id, now)
        if mail.kind == PERSON:
            report.replies.append(ticket_id)
        return "reply"

    def _new_ticket(self, mail: InboundMail, stored: Path, now: datetime, report: PollReport) -> str:
        acknowledge = self._may_acknowledge(mail, now)
        mentions = [tag for tag in mail.tags if parse_ticket_id(tag)]
        complaint = Complaint(
            channel=CHANNEL_EMAIL,
            received=_arrival(mail, now),
            description=_description(mail),
            customer=mail.sender_name or mail.sender,
            contact=mail.sender,
            language=mail.language,
            source_ref=mail.key,
            notes=f"Mentions {', '.join(mentions)} (sent by another address)" if mentions else None,
            details={"acknowledge": acknowledge, "mail_key": mail.key, "message_id": mail.message_id,
                     "references": list(mail.references), "subject": mail.subject,
                     "stored": stored.relative_to(self.state.path.parent).as_posix()},
        )
        receipt = take_in(self.state, complaint)
        self.records.mark_handled(mail, "ticket", receipt.ticket_id, now)
        report.tickets.append(receipt.ticket_id)
        report.acknowledgements_planned += int(acknowledge)
        return "ticket"

    def _may_acknowledge(self, mail: InboundMail, now: datetime) -> bool:
        """No acknowledgement to machines, bounces, the desk's own people, bad addresses, or past the limit."""
        customers = self.customers
        if not customers.acknowledge or mail.kind != PERSON or "@" not in mail.sender:
            return False
        if self._never_acknowledged is None:  # read once per poll
            self._never_acknowledged = {self.settings.username.lower(), customers.sender.lower(),
                                        *self.people()}
        if mail.sender in self._never_acknowledged or self.records.is_bad(mail.sender):
            return False
        return self.records.plan_acknowledgement(mail.key, mail.sender, customers.ack_per_sender_per_hour, now)

    def _store(self, mail: InboundMail, now: datetime) -> Path:
        """Keep the .eml and its attachments under the state dir (``mail/<hash[:2]>/<hash>/``); return the
        folder. Safe to repeat: a folder holding its .eml is complete (the .eml is written last)."""
        digest = hashlib.sha256(mail.key.encode("utf-8")).hexdigest()[:20]
        folder = self.mail_dir / digest[:2] / digest
        if (folder / "message.eml").exists():
            return folder
        for number, attachment in enumerate(mail.attachments, start=1):
            _write_whole(folder / f"{number:02d}-{_safe_name(attachment.name)}", attachment.payload)
        _write_whole(folder / "message.eml", mail.raw)
        return folder


def _description(mail: InboundMail) -> str:
    """Subject and words, then the attachments by name and size."""
    parts = [mail.subject, mail.text] if mail.text else [mail.subject]
    if mail.attachments:
        listed = ", ".join(f"{attachment.name} ({_size(attachment.size)})" for attachment in mail.attachments)
        parts.append(f"Attachments: {listed}")
    return "\n\n".join(part for part in parts if part) or "(empty mail)"


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if count < 1024 or unit == "MB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return str(count)


def _from(mail: InboundMail) -> str:
    return f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender


def _arrival(mail: InboundMail, now: datetime) -> datetime:
    """When the mail reached the desk's server: the newest Received header, else its Date, else now."""
    received = _received_time(mail.raw)
    arrival = received or mail.sent or now
    return min(arrival, now) if arrival.tzinfo else now


def _received_time(raw: bytes) -> datetime | None:
    header = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("latin-1")
    match = re.search(r"^Received:((?:.*)(?:\r?\n[ \t].*)*)", header, re.MULTILINE | re.IGNORECASE)
    if not match or ";" not in match.group(1):
        return None
    try:
        moment = parsedate_to_datetime(match.group(1).rsplit(";", 1)[1].strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _safe_name(name: str) -> str:
    cleaned = UNSAFE_NAME.sub("_", os.path.basename(name.replace("\\", "/"))).strip("._") or "attachment"
    return cleaned[:120]


def _write_whole(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
