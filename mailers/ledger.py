"""The send ledger: what was sent to whom, so sending is idempotent and a crash loses nothing (DESIGN §5).

SQLite in WAL mode, in the state directory it shares with other tables; every table here starts ``mail_``.

    mail_message    one row per composed message: its bytes, state (pending → sent | dead), attempts,
                    failures, next attempt time (exponential backoff), sent time, last error
    mail_reminder   one row per reminder key (ticket, clock, stage[#repeat], due, recipient) → the message
                    that carries it; a key found here is never planned into another message
    mail_event      once-only things: cluster alerts, daily digests, admin alerts, the circuit breaker
    mail_overdue    the clocks that were overdue at the end of the last cycle (for the circuit breaker)

At-least-once with a stable Message-ID: a message is recorded as *pending* with its reminder keys in one
transaction BEFORE it is handed to the transport, and marked *sent* (its own committed, fsynced transaction) the
moment the server accepted it, before the next message goes. A process killed in between finds that one
message pending on restart and sends the same bytes again — same Message-ID, so a duplicate, if the first
attempt did arrive, is recognisable as one. A kill in the middle of a batch repeats at most the one message
that was in flight.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from mailers.errors import LedgerError

__all__ = ["Ledger", "StoredMessage", "BreakerState", "retry_delay", "FIRST_RETRY", "LONGEST_RETRY"]

FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)

PENDING, SENT, DEAD = "pending", "sent", "dead"
_STARTED = "started"
_BREAKER = "breaker"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_message (
    message_id      TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    raw             BLOB NOT NULL,
    state           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    sent_at         TEXT,
    last_error      TEXT
);
CREATE INDEX IF NOT EXISTS mail_message_due ON mail_message (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS mail_reminder (
    key         TEXT PRIMARY KEY,
    message_id  TEXT NOT NULL REFERENCES mail_message (message_id),
    recorded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mail_event (
    key         TEXT PRIMARY KEY,
    happened_at TEXT NOT NULL,
    detail      TEXT
);
CREATE TABLE IF NOT EXISTS mail_overdue (
    clock TEXT PRIMARY KEY
);
"""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def retry_delay(failures: int) -> timedelta:
    """Return how long to wait after the ``failures``-th failure: 5 min, 10, 20, … at most 6 h."""
    return min(FIRST_RETRY * 2 ** max(failures - 1, 0), LONGEST_RETRY)


@dataclass(frozen=True)
class StoredMessage:
    """A message as the ledger holds it."""

    message_id: str
    kind: str
    recipient: str
    subject: str
    raw: bytes
    state: str
    attempts: int
    failures: int
    last_error: str | None = None

    def message(self) -> EmailMessage:
        """Return the stored bytes parsed back into the message that was composed."""
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass(frozen=True)
class BreakerState:
    """A tripped circuit breaker: when it tripped and which overdue clocks looked suspect."""

    tripped_at: datetime
    suspects: frozenset[str]


class Ledger:
    """The send ledger in one SQLite file. Every method raises LedgerError if the database fails."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            # FULL: an intent must be on disk before the message leaves, or a crash could lose it.
            self._connection.execute("PRAGMA synchronous=FULL")
            self._connection.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as error:
            raise LedgerError(
                f"cannot open the send ledger {self.path}: {error} — check the [state] dir"
            ) from error

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise LedgerError(f"the send ledger {self.path} failed: {error}") from error

    def _query(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
        try:
            return self._connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise LedgerError(f"the send ledger {self.path} failed: {error}") from error

    # -- reminders and messages -------------------------------------------------------------------------

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        """Return those of ``keys`` already carried by a message (pending, sent or dead)."""
        wanted = list(dict.fromkeys(keys))
        known: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(f"SELECT key FROM mail_reminder WHERE key IN ({marks})", chunk)
            known.update(row[0] for row in rows)
        return known

    def record_intent(
        self,
        message: EmailMessage,
        kind: str,
        now: datetime,
        reminder_keys: Iterable[str] = (),
        event_keys: Iterable[str] = (),
    ) -> bool:
        """Record ``message`` as pending, with the reminder keys it carries and the once-only events it
        discharges, in one transaction. Return False (and record nothing) if its Message-ID is known."""
        message_id = str(message["Message-ID"])
        with self._transaction() as connection:
            if connection.execute(
                "SELECT 1 FROM mail_message WHERE message_id = ?", (message_id,)
            ).fetchone():
                return False
            connection.execute(
                "INSERT INTO mail_message (message_id, kind, recipient, subject, raw, state, created_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    kind,
                    str(message["To"]),
                    str(message["Subject"]),
                    message.as_bytes(),
                    PENDING,
                    _stamp(now),
                    _stamp(now),
                ),
            )
            connection.executemany(
                "INSERT INTO mail_reminder (key, message_id, recorded_at) VALUES (?, ?, ?)",
                [(key, message_id, _stamp(now)) for key in reminder_keys],
            )
            connection.executemany(
                "INSERT OR REPLACE INTO mail_event (key, happened_at, detail) VALUES (?, ?, ?)",
                [(key, _stamp(now), message_id) for key in event_keys],
            )
        return True

    def due_messages(self, now: datetime) -> list[StoredMessage]:
        """Return the pending messages whose next attempt is due at ``now``, oldest first."""
        rows = self._query(
            "SELECT message_id, kind, recipient, subject, raw, state, attempts, failures, last_error"
            " FROM mail_message WHERE state = ? AND next_attempt_at <= ? ORDER BY created_at, message_id",
            (PENDING, _stamp(now)),
        )
        return [StoredMessage(*row) for row in rows]

    def waiting_count(self, now: datetime) -> int:
        """Return how many pending messages are backing off after a failure (not due at ``now``)."""
        rows = self._query(
            "SELECT COUNT(*) FROM mail_message WHERE state = ? AND next_attempt_at > ?",
            (PENDING, _stamp(now)),
        )
        return rows[0][0]

    def get(self, message_id: str) -> StoredMessage | None:
        """Return the message with this Message-ID, or None."""
        rows = self._query(
            "SELECT message_id, kind, recipient, subject, raw, state, attempts, failures, last_error"
            " FROM mail_message WHERE message_id = ?",
            (message_id,),
        )
        return StoredMessage(*rows[0]) if rows else None

    def begin_attempts(self, message_ids: Iterable[str], now: datetime) -> None:
        """Count one more attempt for each message, before it is handed to the transport."""
        with self._transaction() as connection:
            connection.executemany(
                "UPDATE mail_message SET attempts = attempts + 1, last_attempt_at = ? WHERE message_id = ?",
                [(_stamp(now), message_id) for message_id in message_ids],
            )

    def mark_sent(self, message_id: str, now: datetime) -> None:
        """Record that the transport accepted the message."""
        with self._transaction() as connection:
            connection.execute(
                "UPDATE mail_message SET state = ?, sent_at = ?, last_error = NULL WHERE message_id = ?",
                (SENT, _stamp(now), message_id),
            )

    def mark_failed(
        self, message_id: str, error: str, permanent: bool, now: datetime, max_failures: int
    ) -> bool:
        """Record a failed attempt and schedule the next with backoff. Return True if the message is now dead
        (a permanent error, or ``max_failures`` reached) and will not be tried again."""
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT failures FROM mail_message WHERE message_id = ?", (message_id,)
            ).fetchone()
            failures = (row[0] if row else 0) + 1
            dead = permanent or failures >= max_failures
            connection.execute(
                "UPDATE mail_message SET failures = ?, last_error = ?, state = ?, next_attempt_at = ?"
                " WHERE message_id = ?",
                (failures, error, DEAD if dead else PENDING, _stamp(now + retry_delay(failures)), message_id),
            )
        return dead

    def dead_without_alert(self) -> list[StoredMessage]:
        """Return the dead messages (other than alerts) the admin has not been told about yet."""
        rows = self._query(
            "SELECT message_id, kind, recipient, subject, raw, state, attempts, failures, last_error"
            " FROM mail_message WHERE state = ? AND kind != 'alert'"
            " AND NOT EXISTS (SELECT 1 FROM mail_event WHERE key = 'dead|' || message_id)"
            " ORDER BY created_at",
            (DEAD,),
        )
        return [StoredMessage(*row) for row in rows]

    # -- once-only events -----------------------------------------------------------------------------

    def event_time(self, key: str) -> datetime | None:
        """Return when the once-only event ``key`` was last recorded, or None."""
        rows = self._query("SELECT happened_at FROM mail_event WHERE key = ?", (key,))
        return _moment(rows[0][0]) if rows else None

    def record_event(self, key: str, now: datetime, detail: str | None = None) -> None:
        """Record (or re-record) the once-only event ``key`` at ``now``."""
        with self._transaction() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO mail_event (key, happened_at, detail) VALUES (?, ?, ?)",
                (key, _stamp(now), detail),
            )

    def is_first_run(self) -> bool:
        """True until a cycle was marked started and while no reminder was ever recorded."""
        if self._query("SELECT 1 FROM mail_reminder LIMIT 1"):
            return False
        return self.event_time(_STARTED) is None

    def mark_started(self, now: datetime) -> None:
        """Record that a (non dry-run) cycle ran, so the next one is not a first run."""
        if self.event_time(_STARTED) is None:
            self.record_event(_STARTED, now)

    def daily_digest_due(self, now: datetime, at: time) -> bool:
        """True if it is ``at`` or later on ``now``'s day and that day's digest is not recorded yet.

        The day is recorded with the digest's intent (event key ``daily_digest_key(now)``).
        """
        return now.timetz().replace(tzinfo=None) >= at and self.event_time(self.daily_digest_key(now)) is None

    @staticmethod
    def daily_digest_key(now: datetime) -> str:
        return f"daily|{now.date().isoformat()}"

    # -- circuit breaker ------------------------------------------------------------------------------

    def previous_overdue(self) -> set[str] | None:
        """Return the clocks overdue at the end of the last cycle, or None if none was ever recorded."""
        if self.event_time("overdue-recorded") is None:
            return None
        return {row[0] for row in self._query("SELECT clock FROM mail_overdue")}

    def remember_overdue(self, clocks: Iterable[str], now: datetime) -> None:
        """Replace the remembered set of overdue clocks."""
        with self._transaction() as connection:
            connection.execute("DELETE FROM mail_overdue")
            connection.executemany(
                "INSERT INTO mail_overdue (clock) VALUES (?)", [(clock,) for clock in clocks]
            )
            connection.execute(
                "INSERT OR REPLACE INTO mail_event (key, happened_at) VALUES ('overdue-recorded', ?)",
                (_stamp(now),),
            )

    def breaker(self) -> BreakerState | None:
        """Return the tripped circuit breaker, or None if reminders may flow."""
        rows = self._query("SELECT happened_at, detail FROM mail_event WHERE key = ?", (_BREAKER,))
        if not rows:
            return None
        return BreakerState(_moment(rows[0][0]), frozenset(json.loads(rows[0][1] or "[]")))

    def trip_breaker(self, suspects: Iterable[str], now: datetime) -> None:
        """Hold reminders: record the breaker as tripped at ``now`` with the suspect clocks."""
        self.record_event(_BREAKER, now, json.dumps(sorted(suspects)))

    def release_breaker(self) -> bool:
        """Let reminders flow again (an admin checked the dates). Return True if the breaker was tripped."""
        with self._transaction() as connection:
            return connection.execute("DELETE FROM mail_event WHERE key = ?", (_BREAKER,)).rowcount > 0
