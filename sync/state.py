"""The state store: what the daemon remembers between cycles, in SQLite under ``[state] dir``.

It keeps when each ticket was first seen, the history of its statuses (when each wait on the customer began
and ended), the ``Paused h`` it last wrote per ticket (so it knows which waits the sheet already counts; the due
times themselves depend on the sheet alone, see tickets.waits), the ticket-number counter per day, the intake queue (complaints taken in by a channel and
waiting for the next cycle to append them to the Tickets tab), and the last good version of every rule tab. The
mail ledger and the intake channels keep their own tables in the same file.

Several processes share the file (the daemon, ``sheetdesk serve``, a ``run --once``): every reservation and
queue change is one ``BEGIN IMMEDIATE`` transaction, so two processes never take the same ticket number.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tickets import PauseCount

__all__ = ["StateStore", "StatusSpan", "QueuedRow", "CustomerMessage", "STATE_FILE", "format_ticket_id", "parse_ticket_id",
           "write_lock"]

_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def write_lock(path: Path) -> threading.RLock:
    """The one lock of this process for writing the state file at ``path``.

    Threads of one process (the portal's request threads, the cycle) that write the same SQLite file queue here
    and are woken the moment it is free, instead of meeting SQLite's busy lock and polling for it with sleeps
    of up to 100 ms. Another process (``sheetdesk serve`` beside ``run``) still meets SQLite's own lock.
    """
    key = str(Path(path).resolve())
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.RLock())

STATE_FILE = "sheetdesk.sqlite3"
ZONE_KEY = "calendar zone"
STAFF_KEY = "staff addresses"
TICKET_ID = re.compile(r"^CS-(\d{8})-(\d{4,})$")


def format_ticket_id(day: str, number: int) -> str:
    """Return the Ticket ID of number ``number`` of ``day`` ("20261123"): ``CS-20261123-0007``."""
    return f"CS-{day}-{number:04d}"


def parse_ticket_id(text: object) -> tuple[str, int] | None:
    """Return ``(day, number)`` of a Ticket ID sheetdesk gave, or None for any other text."""
    match = TICKET_ID.match(str(text or "").strip())
    return (match.group(1), int(match.group(2))) if match else None

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ticket (
    ticket_id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS status_span (
    ticket_id TEXT NOT NULL,
    status TEXT NOT NULL,
    since TEXT NOT NULL,
    until TEXT,
    PRIMARY KEY (ticket_id, since)
);
CREATE INDEX IF NOT EXISTS status_span_open ON status_span (ticket_id) WHERE until IS NULL;
CREATE TABLE IF NOT EXISTS paused (
    ticket_id TEXT PRIMARY KEY,
    hours REAL NOT NULL,
    through TEXT
);
CREATE TABLE IF NOT EXISTS id_counter (
    day TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS intake_queue (
    ticket_id TEXT PRIMARY KEY,
    source_ref TEXT UNIQUE,
    channel TEXT NOT NULL,
    cells TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    queued_at TEXT NOT NULL,
    appended_at TEXT
);
CREATE INDEX IF NOT EXISTS intake_queue_waiting ON intake_queue (queued_at) WHERE appended_at IS NULL;
CREATE TABLE IF NOT EXISTS customer_message (
    id INTEGER PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    at TEXT NOT NULL,
    channel TEXT NOT NULL,
    sender TEXT NOT NULL,
    text TEXT NOT NULL,
    automatic INTEGER NOT NULL DEFAULT 0,
    source_ref TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS inbox_bad_address (
    address TEXT PRIMARY KEY,
    flagged_at TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS good_rules (
    role TEXT PRIMARY KEY,
    rows TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blob (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class StatusSpan:
    """A stretch of time a ticket spent in one status; ``until`` is None while it still is."""

    status: str
    since: datetime
    until: datetime | None


@dataclass(frozen=True)
class QueuedRow:
    """A complaint taken in by a channel, waiting to become a Tickets row.

    ``cells`` maps column keys (``tickets.columns``) to values: text, numbers, booleans, or aware datetimes.
    ``details`` is what the channel keeps beside the row (the ticket's language, the mail it answers, …).
    """

    ticket_id: str
    channel: str
    cells: dict[str, object]
    queued_at: datetime
    source_ref: str | None = None
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerMessage:
    """A message a customer sent about a ticket, for the Messages tab. ``automatic``: an auto-reply."""

    ticket_id: str
    at: datetime
    channel: str
    sender: str
    text: str
    automatic: bool = False
    source_ref: str | None = None


@dataclass(frozen=True)
class BadAddress:
    """An address mail to which bounced: when it was flagged (aware) and what the bounce said."""

    address: str
    flagged_at: datetime
    reason: str


class StateStore:
    """The daemon's memory of one workbook."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / STATE_FILE
        self.connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self._write_lock = write_lock(self.path)
        with self._write_lock:
            self.connection.executescript(_SCHEMA)

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block's statements as one transaction (all or nothing), holding the file's ``write_lock``."""
        with self._write_lock:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")

    # -- tickets -------------------------------------------------------------------------------------------

    def first_seen(self) -> dict[str, datetime]:
        """Return ``{ticket ID: when a cycle first saw it}``."""
        rows = self.connection.execute("SELECT ticket_id, first_seen FROM ticket")
        return {ticket_id: datetime.fromisoformat(seen) for ticket_id, seen in rows}

    def status_spans(self) -> dict[str, list[StatusSpan]]:
        """Return every ticket's status history, oldest first."""
        history: dict[str, list[StatusSpan]] = {}
        rows = self.connection.execute("SELECT ticket_id, status, since, until FROM status_span ORDER BY ticket_id, since")
        for ticket_id, status, since, until in rows:
            history.setdefault(ticket_id, []).append(
                StatusSpan(status, datetime.fromisoformat(since), datetime.fromisoformat(until) if until else None)
            )
        return history

    def record_cycle(self, seen: Iterable[tuple[str, str]], now: datetime) -> None:
        """Remember the tickets a cycle saw, each with its status, as of ``now``.

        A ticket seen for the first time gets ``first_seen = now``; a status different from the open span's
        closes that span at ``now`` and opens a new one.
        """
        stamp = now.isoformat()
        current = {
            ticket_id: status
            for ticket_id, status in self.connection.execute(
                "SELECT ticket_id, status FROM status_span WHERE until IS NULL"
            )
        }
        with self.transaction() as connection:
            for ticket_id, status in seen:
                connection.execute(
                    "INSERT OR IGNORE INTO ticket (ticket_id, first_seen) VALUES (?, ?)", (ticket_id, stamp)
                )
                if current.get(ticket_id) == status:
                    continue
                connection.execute(
                    "UPDATE status_span SET until = ? WHERE ticket_id = ? AND until IS NULL", (stamp, ticket_id)
                )
                connection.execute(
                    "INSERT OR REPLACE INTO status_span (ticket_id, status, since) VALUES (?, ?, ?)",
                    (ticket_id, status, stamp),
                )

    def pause_counts(self) -> dict[str, PauseCount]:
        """Return ``{ticket ID: the Paused h last written, through the end of the last wait it counts}``."""
        rows = self.connection.execute("SELECT ticket_id, hours, through FROM paused")
        return {ticket_id: PauseCount(hours, datetime.fromisoformat(through) if through else None)
                for ticket_id, hours, through in rows}

    def record_pause_counts(self, counts: Iterable[tuple[str, PauseCount]]) -> None:
        """Remember the Paused h of these tickets as it now stands in the sheet (after the write that put it there)."""
        with self.transaction() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO paused (ticket_id, hours, through) VALUES (?, ?, ?)",
                [(ticket_id, count.hours, count.through.isoformat() if count.through else None)
                 for ticket_id, count in counts],
            )

    # -- ticket numbers ------------------------------------------------------------------------------------

    def last_ticket_number(self, day: str) -> int:
        """Return the highest ticket number ever written for ``day`` (e.g. "20261123"), 0 if none."""
        row = self.connection.execute("SELECT last FROM id_counter WHERE day = ?", (day,)).fetchone()
        return row[0] if row else 0

    def record_ticket_number(self, day: str, number: int) -> None:
        """Remember that ticket number ``number`` of ``day`` reached the sheet, so it is never given again."""
        self.connection.execute(
            "INSERT INTO id_counter (day, last) VALUES (?, ?) "
            "ON CONFLICT(day) DO UPDATE SET last = max(last, excluded.last)",
            (day, number),
        )

    def record_ticket_numbers(self, numbers: Iterable[tuple[str, int]]) -> None:
        """``record_ticket_number`` for each ``(day, number)``, in one transaction."""
        with self.transaction() as connection:
            connection.executemany(
                "INSERT INTO id_counter (day, last) VALUES (?, ?) "
                "ON CONFLICT(day) DO UPDATE SET last = max(last, excluded.last) WHERE excluded.last > last",
                list(numbers),
            )

    def reserve_ticket_numbers(self, day: str, count: int = 1, at_least: int = 0) -> int:
        """Reserve ``count`` ticket numbers of ``day`` that no one was ever given; return the first.

        The numbers follow the highest one ever reserved or written for ``day``, and ``at_least`` (the highest
        the caller saw in the sheet). Once reserved, a number is never given again (unless released at once by
        ``release_ticket_numbers``), whichever process asks.
        """
        with self.transaction() as connection:
            first = max(self.last_ticket_number(day), at_least) + 1
            connection.execute(
                "INSERT INTO id_counter (day, last) VALUES (?, ?) "
                "ON CONFLICT(day) DO UPDATE SET last = max(last, excluded.last)",
                (day, first + count - 1),
            )
        return first

    def release_ticket_numbers(self, day: str, first: int, last: int) -> bool:
        """Give back numbers ``first``..``last`` of ``day`` reserved by ``reserve_ticket_numbers`` and never used.

        Only possible while nobody reserved a later number meanwhile; return whether they were given back.
        """
        cursor = self.connection.execute(
            "UPDATE id_counter SET last = ? WHERE day = ? AND last = ?", (first - 1, day, last)
        )
        return cursor.rowcount == 1

    def desk_zone(self) -> tzinfo | None:
        """Return the zone of the desk's Calendar as the last cycle read it (None before the first cycle)."""
        name = self.get(ZONE_KEY)
        try:
            return ZoneInfo(name) if name else None
        except (ZoneInfoNotFoundError, ValueError):
            return None

    def set_desk_zone(self, zone: tzinfo) -> None:
        """Publish the Calendar's zone, so channels in other processes number tickets by the desk's day."""
        if self.get(ZONE_KEY) != str(zone):
            self.put(ZONE_KEY, str(zone))

    def staff_addresses(self) -> set[str]:
        """Return the liaisons' addresses (liaison, manager, deputy) as the last cycle read them, lower case."""
        return set(json.loads(self.get(STAFF_KEY) or "[]"))

    def staff_addresses_known(self) -> bool:
        """Whether the liaisons' addresses were ever published (by a cycle, or by a channel that read them)."""
        return self.get(STAFF_KEY) is not None

    def set_staff_addresses(self, addresses: Iterable[str]) -> None:
        """Publish the liaisons' addresses, so the mailbox never acknowledges the desk's own people."""
        text = json.dumps(sorted({address.strip().lower() for address in addresses if address}))
        if self.get(STAFF_KEY) != text:  # an empty list is published too: a tab without addresses is known
            self.put(STAFF_KEY, text)

    # -- bounced addresses ---------------------------------------------------------------------------------

    def flag_bad_addresses(self, addresses: Iterable[str], reason: str, now: datetime) -> None:
        """Remember that mail to ``addresses`` bounced (``reason``: what the bounce said): customer mail to them
        is held, and the tickets whose Contact holds one say so in their Check cell."""
        self.connection.executemany(
            "INSERT OR REPLACE INTO inbox_bad_address (address, flagged_at, reason) VALUES (?, ?, ?)",
            [(address.strip().lower(), now.astimezone(UTC).isoformat(), reason) for address in addresses],
        )

    def bad_addresses(self) -> dict[str, BadAddress]:
        """``{address: BadAddress}`` for every address a bounce flagged (lower case)."""
        rows = self.connection.execute("SELECT address, flagged_at, reason FROM inbox_bad_address")
        return {address: BadAddress(address, datetime.fromisoformat(at), reason) for address, at, reason in rows}

    def is_bad_address(self, address: str) -> bool:
        """Whether mail to ``address`` bounced."""
        return self.connection.execute("SELECT 1 FROM inbox_bad_address WHERE address = ?",
                                       (address.strip().lower(),)).fetchone() is not None

    def bad_addresses_mark(self) -> str:
        """A text that changes whenever an address is flagged."""
        count, latest = self.connection.execute(
            "SELECT count(*), coalesce(max(flagged_at), '') FROM inbox_bad_address").fetchone()
        return f"{count}|{latest}"

    # -- customers' messages -------------------------------------------------------------------------------

    def add_customer_message(self, message: CustomerMessage) -> bool:
        """Record a message a customer sent about a ticket (a mail reply, a survey comment); return False when
        its ``source_ref`` was recorded before (nothing is recorded twice)."""
        cursor = self.connection.execute(
            "INSERT OR IGNORE INTO customer_message (ticket_id, at, channel, sender, text, automatic, source_ref) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (message.ticket_id, message.at.isoformat(), message.channel, message.sender, message.text,
             int(message.automatic), message.source_ref),
        )
        return cursor.rowcount == 1

    def messages_mark(self) -> int:
        """A number that changes whenever a customer message is recorded (a cycle with news is never quiet)."""
        return self.connection.execute("SELECT coalesce(max(id), 0) FROM customer_message").fetchone()[0]

    def customer_messages(self) -> list[CustomerMessage]:
        """Return every message customers sent, oldest first."""
        rows = self.connection.execute(
            "SELECT ticket_id, at, channel, sender, text, automatic, source_ref FROM customer_message ORDER BY at, id"
        )
        return [CustomerMessage(ticket_id, datetime.fromisoformat(at), channel, sender, text, bool(automatic), ref)
                for ticket_id, at, channel, sender, text, automatic, ref in rows]

    # -- the intake queue ----------------------------------------------------------------------------------

    def enqueue(
        self, day: str, channel: str, cells: dict[str, object], queued_at: datetime, source_ref: str | None = None,
        details: dict[str, object] | None = None,
    ) -> tuple[str, bool]:
        """Reserve a Ticket ID of ``day`` and queue ``cells`` under it, in one transaction.

        Return ``(ticket ID, True)``. A ``source_ref`` already queued returns ``(its ticket ID, False)`` and
        queues nothing: a channel that crashed after queueing and takes the same complaint in again gets the
        same ticket, never a second one.
        """
        with self.transaction() as connection:
            if source_ref is not None:
                known = connection.execute(
                    "SELECT ticket_id FROM intake_queue WHERE source_ref = ?", (source_ref,)
                ).fetchone()
                if known:
                    return known[0], False
            number = self.last_ticket_number(day) + 1
            self.record_ticket_number(day, number)
            ticket_id = format_ticket_id(day, number)
            connection.execute(
                "INSERT INTO intake_queue (ticket_id, source_ref, channel, cells, details, queued_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (ticket_id, source_ref, channel, json.dumps(cells, default=_queued_value, ensure_ascii=False),
                 json.dumps(details or {}, default=_queued_value, ensure_ascii=False), queued_at.isoformat()),
            )
        return ticket_id, True

    def queued(self) -> list[QueuedRow]:
        """Return the complaints not yet appended, oldest first."""
        rows = self.connection.execute(
            "SELECT ticket_id, channel, cells, queued_at, source_ref, details FROM intake_queue "
            "WHERE appended_at IS NULL ORDER BY queued_at, ticket_id"
        )
        return [QueuedRow(ticket_id, channel, _cells(cells), datetime.fromisoformat(queued_at), source_ref,
                          _cells(details))
                for ticket_id, channel, cells, queued_at, source_ref, details in rows]

    def has_queued(self) -> bool:
        """Whether a complaint waits to be appended (a cycle must not take the quiet path then)."""
        return self.connection.execute(
            "SELECT 1 FROM intake_queue WHERE appended_at IS NULL LIMIT 1"
        ).fetchone() is not None

    def mark_appended(self, ticket_ids: Iterable[str], now: datetime) -> None:
        """Acknowledge queued complaints: their rows reached the Tickets tab."""
        with self.transaction() as connection:
            connection.executemany(
                "UPDATE intake_queue SET appended_at = ? WHERE ticket_id = ? AND appended_at IS NULL",
                [(now.astimezone(UTC).isoformat(), ticket_id) for ticket_id in ticket_ids],
            )

    def queued_by_id(self, ticket_id: str) -> QueuedRow | None:
        """Return the complaint queued under ``ticket_id`` (appended or not), or None."""
        row = self.connection.execute(
            "SELECT ticket_id, channel, cells, queued_at, source_ref, details FROM intake_queue WHERE ticket_id = ?",
            (ticket_id,),
        ).fetchone()
        if row is None:
            return None
        ticket, channel, cells, queued_at, source_ref, details = row
        return QueuedRow(ticket, channel, _cells(cells), datetime.fromisoformat(queued_at), source_ref, _cells(details))

    def appended_since(self, since: datetime, channel: str | None = None) -> list[QueuedRow]:
        """Return the complaints appended to the tab at or after ``since`` (of ``channel``, if given)."""
        rows = self.connection.execute(
            "SELECT ticket_id, channel, cells, queued_at, source_ref, details FROM intake_queue "
            "WHERE appended_at >= ? AND (? IS NULL OR channel = ?) ORDER BY queued_at, ticket_id",
            (since.astimezone(UTC).isoformat(), channel, channel),
        )
        return [QueuedRow(ticket, kind, _cells(cells), datetime.fromisoformat(at), ref, _cells(details))
                for ticket, kind, cells, at, ref, details in rows]

    def recorded_languages(self) -> dict[str, str]:
        """Return ``{ticket ID: "en" | "zh"}`` for every complaint whose channel recorded the customer's language
        at intake (a mail's, the portal page's); tickets typed by staff or from a Forms tab have none."""
        rows = self.connection.execute(
            "SELECT ticket_id, json_extract(details, '$.language') FROM intake_queue "
            "WHERE json_extract(details, '$.language') IN ('en', 'zh')"
        )
        return dict(rows.fetchall())

    def queued_ticket(self, source_ref: str) -> str | None:
        """Return the Ticket ID a complaint with ``source_ref`` was queued under, or None."""
        row = self.connection.execute(
            "SELECT ticket_id FROM intake_queue WHERE source_ref = ?", (source_ref,)
        ).fetchone()
        return row[0] if row else None

    # -- rule tabs -----------------------------------------------------------------------------------------

    def good_rules(self, role: str) -> list[list] | None:
        """Return the rows of the last version of rule tab ``role`` that had no errors, or None."""
        row = self.connection.execute("SELECT rows FROM good_rules WHERE role = ?", (role,)).fetchone()
        return json.loads(row[0]) if row else None

    def save_good_rules(self, role: str, rows: list[list], now: datetime) -> None:
        text = json.dumps(rows, default=_json_default, ensure_ascii=False)
        self.connection.execute(
            "INSERT INTO good_rules (role, rows, saved_at) VALUES (?, ?, ?) "
            "ON CONFLICT(role) DO UPDATE SET rows = excluded.rows, saved_at = excluded.saved_at "
            "WHERE good_rules.rows != excluded.rows",
            (role, text, now.isoformat()),
        )

    # -- anything else -------------------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def get_blob(self, key: str) -> bytes | None:
        row = self.connection.execute("SELECT value FROM blob WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put_blob(self, key: str, value: bytes | None) -> None:
        """Store ``value`` under ``key``; None removes it."""
        if value is None:
            self.connection.execute("DELETE FROM blob WHERE key = ?", (key,))
        else:
            self.connection.execute("INSERT OR REPLACE INTO blob (key, value) VALUES (?, ?)", (key, value))

    def put(self, key: str, value: str) -> None:
        self.connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


DATETIME_MARK = "$datetime"


def _cells(text: str) -> dict[str, object]:
    """Read queued cells back: datetimes were stored as ``{"$datetime": ISO}``."""
    cells = json.loads(text)
    return {key: datetime.fromisoformat(value[DATETIME_MARK]) if isinstance(value, dict) else value
            for key, value in cells.items()}


def _queued_value(value: object) -> dict[str, str]:
    if isinstance(value, datetime):
        return {DATETIME_MARK: value.isoformat()}
    raise TypeError(f"a queued cell holds {type(value).__name__}, not a cell value")


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
