"""What customers may see and what they answered, kept in the state store (DESIGN §8).

The portal never opens the workbook. Each cycle *publishes* here what customers may see — every ticket's
status, grade, department, due time and the current "round", plus the Lists tab's choices — and the portal only
reads that. The desk's public replies (the Tickets tab's ``Reply to customer``) are kept here as each cycle
first sees them, in order: the status page shows them. What customers do on the portal (answers to "is it fixed?" and the survey, requests
for a status link) is *queued* here, and the next cycle writes it to the workbook and the outbox.

A ticket's **round** counts how often a cycle saw it turn Resolved. Links to "is it fixed?" and the survey are
bound to one round, so a reopened and again resolved ticket's old links stop working.

One answer per ticket, round and question: a second answer within ``REPLACE_WITHIN`` of the first replaces it
(a customer who clicked the wrong score can correct it); after that the first answer stands.

The store lives in the state store's SQLite file and keeps its own tables. It is used from the daemon's cycle
and from the portal's request threads at once, so every thread gets its own connection.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sync.state import write_lock

__all__ = [
    "CustomerStore",
    "PublishedTicket",
    "Reply",
    "DeskReply",
    "ReplyMail",
    "Answer",
    "StatusRequest",
    "AnswerOutcome",
    "Limit",
    "Admission",
    "REPLACE_WITHIN",
    "reply_mail_key",
    "CONFIRM",
    "SURVEY",
]

REPLACE_WITHIN = timedelta(hours=12)
CONFIRM = "confirm"
SURVEY = "survey"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS customer_ticket (
    ticket_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    grade TEXT,
    department TEXT,
    due TEXT,
    round INTEGER NOT NULL DEFAULT 0,
    language TEXT NOT NULL DEFAULT 'en'
);
CREATE TABLE IF NOT EXISTS desk_reply (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    at TEXT NOT NULL,
    text TEXT NOT NULL,
    mail TEXT NOT NULL,
    UNIQUE (ticket_id, digest)
);
CREATE TABLE IF NOT EXISTS customer_list (
    name TEXT PRIMARY KEY,
    choices TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customer_answer (
    ticket_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    first_at TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    applied INTEGER NOT NULL DEFAULT 0,
    written TEXT,
    PRIMARY KEY (ticket_id, round, kind)
);
CREATE TABLE IF NOT EXISTS status_request (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT NOT NULL,
    email TEXT NOT NULL,
    asked_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS portal_hit (
    bucket TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS portal_hit_bucket ON portal_hit (bucket, at);
CREATE TABLE IF NOT EXISTS portal_nonce (
    nonce TEXT PRIMARY KEY,
    used_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customer_mail (
    key TEXT PRIMARY KEY,
    sent_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Reply:
    """A message the desk sent the customer (public), as shown on the status page."""

    at: str
    text: str


class ReplyMail:
    """What becomes of a desk reply's mail (``DeskReply.mail``)."""

    DUE = "due"  # to be mailed (once: the mail's key is marked sent)
    NO_ADDRESS = "no_address"  # the ticket's Contact holds no email address
    BEFORE_START = "before_start"  # already in the sheet when the portal's first cycle ran: never mailed


@dataclass(frozen=True)
class DeskReply:
    """A reply the desk wrote the customer (``Reply to customer``), as a cycle first saw it; ``digest`` names
    its text, ``at`` is that cycle's time as the desk's wall clock (``YYYY-MM-DD HH:MM``)."""

    ticket_id: str
    digest: str
    at: str
    text: str
    mail: str


@dataclass(frozen=True)
class PublishedTicket:
    """What a customer may see of one ticket. ``status`` is the English status value; ``due`` is the due time
    that matters now (response, resolution or follow-up), as ``YYYY-MM-DD HH:MM`` in the desk's zone."""

    ticket_id: str
    status: str
    grade: str | None = None
    department: str | None = None
    due: str | None = None
    round: int = 0
    language: str = "en"
    replies: tuple[Reply, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Answer:
    """A customer's answer waiting for (or already written by) a cycle. ``value`` is "yes"/"no" or "1".."10"."""

    ticket_id: str
    round: int
    kind: str
    value: str
    comment: str
    answered_at: datetime
    written: str | None  # what a cycle last wrote to the workbook for it, None if nothing yet


@dataclass(frozen=True)
class StatusRequest:
    """Someone asked for a status link for ``ticket_id``, giving ``email``; the cycle mails it if they match."""

    request_id: int
    ticket_id: str
    email: str
    asked_at: datetime


@dataclass(frozen=True)
class Limit:
    """At most ``uses`` uses of ``bucket`` (e.g. ``form-ip:1.2.3.4``) within ``window``."""

    bucket: str
    window: timedelta
    uses: int


class Admission:
    """What ``CustomerStore.admit`` decided."""

    ADMITTED = "admitted"
    LIMITED = "limited"
    REPLAYED = "replayed"


class AnswerOutcome:
    """What ``record_answer`` did."""

    RECORDED = "recorded"
    REPLACED = "replaced"
    REFUSED = "refused"


class CustomerStore:
    """The customer-facing tables of the state store at ``path`` (the SQLite file)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = write_lock(self.path)
        with self._write_lock:
            self.connection.executescript(_SCHEMA)

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must stay in the thread that made them)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    def close(self) -> None:
        """Close this thread's connection."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the file's ``write_lock`` (threads queue there, not in SQLite)."""
        connection = self.connection
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _write(self, statement: str, parameters: tuple = ()) -> sqlite3.Cursor:
        """One statement that writes, on its own, holding the file's ``write_lock``."""
        with self._write_lock:
            return self.connection.execute(statement, parameters)

    # -- what the cycle publishes ---------------------------------------------------------------------------

    def publish(self, tickets: Iterable[PublishedTicket], lists: dict[str, list[str]], language: str) -> None:
        """Replace what customers may see with ``tickets`` and ``lists``; ``round`` is kept from the store
        (``advance_round`` moves it). Tickets no longer in the workbook disappear."""
        rows = [(ticket.ticket_id, ticket.status, ticket.grade, ticket.department, ticket.due, ticket.language)
                for ticket in tickets]
        with self._transaction() as connection:
            connection.execute("CREATE TEMP TABLE IF NOT EXISTS seen (ticket_id TEXT PRIMARY KEY)")
            connection.execute("DELETE FROM temp.seen")
            connection.executemany("INSERT OR IGNORE INTO temp.seen VALUES (?)", ((row[0],) for row in rows))
            connection.execute("DELETE FROM customer_ticket WHERE ticket_id NOT IN (SELECT ticket_id FROM temp.seen)")
            connection.executemany(
                "INSERT INTO customer_ticket (ticket_id, status, grade, department, due, language) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(ticket_id) DO UPDATE SET status = excluded.status, "
                "grade = excluded.grade, department = excluded.department, due = excluded.due, "
                "language = excluded.language",
                rows,
            )
            connection.execute("DELETE FROM customer_list")
            connection.executemany(
                "INSERT INTO customer_list (name, choices) VALUES (?, ?)",
                [(name, json.dumps(list(choices), ensure_ascii=False)) for name, choices in lists.items()]
                + [("@language", json.dumps(language))],
            )

    def advance_round(self, ticket_id: str) -> int:
        """The ticket just turned Resolved: start its next round and return it."""
        with self._transaction() as connection:
            connection.execute("UPDATE customer_ticket SET round = round + 1 WHERE ticket_id = ?", (ticket_id,))
            row = connection.execute("SELECT round FROM customer_ticket WHERE ticket_id = ?", (ticket_id,)).fetchone()
        return row[0] if row else 0

    def published(self, ticket_id: str) -> PublishedTicket | None:
        """Return what customers may see of ``ticket_id``, or None if the last cycle did not publish it; its
        replies are the desk's, oldest first."""
        row = self.connection.execute(
            "SELECT ticket_id, status, grade, department, due, round, language FROM customer_ticket "
            "WHERE ticket_id = ?", (ticket_id,),
        ).fetchone()
        if row is None:
            return None
        replies = tuple(Reply(reply.at, reply.text) for reply in self.desk_replies(ticket_id))
        return PublishedTicket(*row, replies=replies)

    def has_published(self) -> bool:
        """Whether any cycle published yet (the first one finds a sheet that was there before the portal)."""
        return self.connection.execute("SELECT 1 FROM customer_list LIMIT 1").fetchone() is not None

    # -- the desk's public replies --------------------------------------------------------------------------

    def record_reply(self, reply: DeskReply) -> bool:
        """Keep a desk reply; return False when this ticket had a reply with the same text before."""
        cursor = self._write(
            "INSERT OR IGNORE INTO desk_reply (ticket_id, digest, at, text, mail) VALUES (?, ?, ?, ?, ?)",
            (reply.ticket_id, reply.digest, reply.at, reply.text, reply.mail),
        )
        return cursor.rowcount == 1

    def reply_digests(self) -> set[tuple[str, str]]:
        """Return ``(ticket ID, digest)`` of every desk reply kept (one read per cycle, whatever the rows)."""
        return set(self.connection.execute("SELECT ticket_id, digest FROM desk_reply").fetchall())

    def desk_replies(self, ticket_id: str | None = None) -> list[DeskReply]:
        """Return the desk's replies (of ``ticket_id``, or all), oldest first."""
        rows = self.connection.execute(
            "SELECT ticket_id, digest, at, text, mail FROM desk_reply WHERE ? IS NULL OR ticket_id = ? ORDER BY id",
            (ticket_id, ticket_id),
        )
        return [DeskReply(*row) for row in rows]

    def replies_to_mail(self) -> list[DeskReply]:
        """Return the replies whose mail is due and not yet sent (``reply_mail_key``), oldest first."""
        rows = self.connection.execute(
            "SELECT ticket_id, digest, at, text, mail FROM desk_reply WHERE mail = ? AND NOT EXISTS ("
            "SELECT 1 FROM customer_mail WHERE key = 'reply:' || desk_reply.ticket_id || ':' || desk_reply.digest) "
            "ORDER BY id", (ReplyMail.DUE,),
        )
        return [DeskReply(*row) for row in rows]

    def published_statuses(self) -> dict[str, tuple[str, int]]:
        """Return ``{ticket ID: (status, round)}`` as last published."""
        rows = self.connection.execute("SELECT ticket_id, status, round FROM customer_ticket")
        return {ticket_id: (status, round_) for ticket_id, status, round_ in rows}

    def choices(self, name: str) -> list[str]:
        """Return the choices of list ``name`` (e.g. "category") as the last cycle published them."""
        row = self.connection.execute("SELECT choices FROM customer_list WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else []

    def desk_language(self) -> str | None:
        """Return the workbook's language as the last cycle saw it, or None before the first cycle."""
        row = self.connection.execute("SELECT choices FROM customer_list WHERE name = '@language'").fetchone()
        return json.loads(row[0]) if row else None

    # -- what customers answer ------------------------------------------------------------------------------

    def record_answer(
        self, ticket_id: str, round_: int, kind: str, value: str, comment: str, now: datetime
    ) -> str:
        """Queue a customer's answer; return an ``AnswerOutcome`` value.

        The first answer is recorded; another within ``REPLACE_WITHIN`` of the first replaces it (and is
        written again by the next cycle); after that the answer is refused.
        """
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT first_at FROM customer_answer WHERE ticket_id = ? AND round = ? AND kind = ?",
                (ticket_id, round_, kind),
            ).fetchone()
            if row is None:
                connection.execute(
                    "INSERT INTO customer_answer (ticket_id, round, kind, value, comment, first_at, answered_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (ticket_id, round_, kind, value, comment, now.isoformat(), now.isoformat()),
                )
                return AnswerOutcome.RECORDED
            if now - datetime.fromisoformat(row[0]) >= REPLACE_WITHIN:
                return AnswerOutcome.REFUSED
            connection.execute(
                "UPDATE customer_answer SET value = ?, comment = ?, answered_at = ?, applied = 0 "
                "WHERE ticket_id = ? AND round = ? AND kind = ?",
                (value, comment, now.isoformat(), ticket_id, round_, kind),
            )
            return AnswerOutcome.REPLACED

    def answer(self, ticket_id: str, round_: int, kind: str) -> Answer | None:
        """Return the answer recorded for this ticket, round and question, if any."""
        row = self.connection.execute(
            "SELECT ticket_id, round, kind, value, comment, answered_at, written FROM customer_answer "
            "WHERE ticket_id = ? AND round = ? AND kind = ?", (ticket_id, round_, kind),
        ).fetchone()
        return _answer(row) if row else None

    def last_written(self, ticket_id: str, kind: str) -> str | None:
        """Return what answers to ``kind`` last wrote into the ticket's row, in any round (None: nothing)."""
        row = self.connection.execute(
            "SELECT written FROM customer_answer WHERE ticket_id = ? AND kind = ? AND written IS NOT NULL "
            "ORDER BY round DESC, answered_at DESC LIMIT 1", (ticket_id, kind),
        ).fetchone()
        return row[0] if row else None

    def pending_answers(self) -> list[Answer]:
        """Return the answers no cycle has written yet, oldest first."""
        rows = self.connection.execute(
            "SELECT ticket_id, round, kind, value, comment, answered_at, written FROM customer_answer "
            "WHERE applied = 0 ORDER BY answered_at"
        )
        return [_answer(row) for row in rows]

    def mark_applied(self, answer: Answer, written: str | None) -> None:
        """A cycle handled ``answer``; ``written`` is what it put in the workbook (None: a person's value won)."""
        self._write(
            "UPDATE customer_answer SET applied = 1, written = coalesce(?, written) "
            "WHERE ticket_id = ? AND round = ? AND kind = ? AND answered_at = ?",
            (written, answer.ticket_id, answer.round, answer.kind, answer.answered_at.isoformat()),
        )

    def request_status_link(self, ticket_id: str, email: str, now: datetime) -> None:
        """Queue a request for a status link; the cycle mails it only if ``email`` is the ticket's contact."""
        self._write(
            "INSERT INTO status_request (ticket_id, email, asked_at) VALUES (?, ?, ?)",
            (ticket_id, email, now.isoformat()),
        )

    def take_status_requests(self) -> list[StatusRequest]:
        """Return and forget every queued status-link request."""
        with self._transaction() as connection:
            rows = connection.execute("SELECT id, ticket_id, email, asked_at FROM status_request ORDER BY id").fetchall()
            connection.execute("DELETE FROM status_request")
        return [StatusRequest(number, ticket_id, email, datetime.fromisoformat(at)) for number, ticket_id, email, at in rows]

    # -- the portal's own bookkeeping ----------------------------------------------------------------------

    def count_hit(self, bucket: str, now: datetime, window: timedelta, limit: int) -> bool:
        """Count one use of ``bucket`` (e.g. ``ip:1.2.3.4``); return False when it already had ``limit`` uses
        within ``window`` (the use is then not counted)."""
        return self.admit(None, [Limit(bucket, window, limit)], now) == Admission.ADMITTED

    def admit(self, nonce: str | None, limits: Sequence[Limit], now: datetime) -> str:
        """In one transaction: refuse a one-time form token used before (``Admission.REPLAYED``), refuse when a
        limit's bucket already had its uses within its window (``Admission.LIMITED``); else count one use of
        every bucket, mark ``nonce`` used and return ``Admission.ADMITTED``. A refusal counts and marks nothing.
        """
        stamp = now.isoformat()
        with self._transaction() as connection:
            if nonce is not None and connection.execute(
                    "SELECT 1 FROM portal_nonce WHERE nonce = ?", (nonce,)).fetchone():
                return Admission.REPLAYED
            for limit in limits:
                (used,) = connection.execute(
                    "SELECT count(*) FROM portal_hit WHERE bucket = ? AND at >= ?",
                    (limit.bucket, (now - limit.window).isoformat())).fetchone()
                if used >= limit.uses:
                    return Admission.LIMITED
            connection.executemany("INSERT INTO portal_hit (bucket, at) VALUES (?, ?)",
                                   [(limit.bucket, stamp) for limit in limits])
            if nonce is not None:
                connection.execute("INSERT INTO portal_nonce (nonce, used_at) VALUES (?, ?)", (nonce, stamp))
        return Admission.ADMITTED

    def forget_old(self, now: datetime, older_than: timedelta = timedelta(days=2)) -> None:
        """Drop used form tokens and limit counts nobody can need any more (form tokens live one day, the
        longest limit window is a day). Each full cycle calls it."""
        since = (now - older_than).isoformat()
        with self._transaction() as connection:
            connection.execute("DELETE FROM portal_nonce WHERE used_at < ?", (since,))
            connection.execute("DELETE FROM portal_hit WHERE at < ?", (since,))

    # -- mail to customers, sent once ----------------------------------------------------------------------

    def mail_sent(self, key: str) -> bool:
        return self.connection.execute("SELECT 1 FROM customer_mail WHERE key = ?", (key,)).fetchone() is not None

    def mark_mail_sent(self, key: str, now: datetime) -> None:
        self._write(
            "INSERT OR IGNORE INTO customer_mail (key, sent_at) VALUES (?, ?)", (key, now.isoformat())
        )


def reply_mail_key(reply: DeskReply) -> str:
    """The key that marks a desk reply's mail sent."""
    return f"reply:{reply.ticket_id}:{reply.digest}"


def _answer(row: tuple) -> Answer:
    ticket_id, round_, kind, value, comment, answered_at, written = row
    return Answer(ticket_id, round_, kind, value, comment, datetime.fromisoformat(answered_at), written)
