"""The state store: what the daemon remembers between cycles, in SQLite under ``[state] dir``.

It keeps when each ticket was first seen, the history of its statuses (time spent waiting on the customer
pauses its SLA clock), the ticket-number counter per day, and the last good version of every rule tab. The mail
ledger keeps its own tables in the same file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["StateStore", "StatusSpan", "STATE_FILE"]

STATE_FILE = "sheetdesk.sqlite3"

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
CREATE TABLE IF NOT EXISTS id_counter (
    day TEXT PRIMARY KEY,
    last INTEGER NOT NULL
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


class StateStore:
    """The daemon's memory of one workbook."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / STATE_FILE
        self.connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.executescript(_SCHEMA)

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block's statements as one transaction (all or nothing)."""
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


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
