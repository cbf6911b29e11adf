"""Queued complaints join the cycle: the intake queue's rows become rows of the Tickets tab (DESIGN §8).

Channels (mailbox, portal, form responses) never write the workbook: they queue complaints in the state store
under a reserved Ticket ID (``sync.intake``). Each cycle reads the queue and places every waiting complaint,
as if it were already a row, below the Tickets tab's last row, so the same cycle grades it and fills its
computed cells; the write appends the rows (``ChangeSet.append``) and only then are the complaints acknowledged
in the queue. A complaint whose Ticket ID already stands in the tab (the write landed, then the process died
before acknowledging) is acknowledged without a second row. So a crash anywhere neither loses nor duplicates a
ticket.

Customer text is cut to fit a cell (``CELL_TEXT_LIMIT`` characters); the whole text is kept in the state dir
under ``texts/<Ticket ID>.<column>.txt`` and the cell says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from sync.backends.port import Cell, Sheet, Snapshot
from sync.backends.relocate import end_of_data
from sync.state import QueuedRow, StateStore
from tickets import cell_text, is_blank, label

__all__ = ["QueuedRows", "take_queue", "fit_cell", "CELL_TEXT_LIMIT", "TEXTS_DIR"]

CELL_TEXT_LIMIT = 32_000  # Excel holds 32 767 characters in a cell, Google Sheets 50 000
TEXTS_DIR = "texts"
# A channel key (``sync.intake.CHANNELS``) as the Channel cell shows it, in the template's words (Lists tab).
CHANNEL_WORDS = {"email": {"en": "Email", "zh": "邮件"}, "website": {"en": "Website", "zh": "官网"}}
CUT_NOTE = {"en": "… [cut: the whole text is in {path}]", "zh": "…［已截断：全文见 {path}］"}


@dataclass
class QueuedRows:
    """The queue as this cycle placed it: the Tickets rows from ``first_index`` on are queued complaints."""

    snapshot: Snapshot  # the snapshot with the queued rows placed below the Tickets tab's rows
    first_index: int
    rows: dict[str, QueuedRow] = field(default_factory=dict)  # by Ticket ID
    new_columns: dict[str, str] = field(default_factory=dict)  # column key -> header, for values with no column
    already_written: list[str] = field(default_factory=list)  # Ticket IDs found in the tab: acknowledge them

    def is_queued(self, index: int) -> bool:
        return index >= self.first_index


def take_queue(
    snapshot: Snapshot, tickets_tab: str, positions: dict[str, int], language: str, state: StateStore, zone: tzinfo,
    *, save_texts: bool = True,
) -> QueuedRows:
    """Place the waiting complaints of ``state`` below the rows of ``tickets_tab``, in a copy of ``snapshot``.

    ``positions`` is the Tickets header as read. A queued value whose column the tab lacks gets its column
    (``new_columns``); datetimes become wall-clock time in ``zone``; long text is cut (the whole kept in the state
    dir unless ``save_texts`` is false, as in a dry run).
    """
    rows = snapshot.sheets[tickets_tab].rows
    waiting = state.queued()
    present = _ticket_ids(rows, positions.get("ticket_id"))
    placed = QueuedRows(snapshot, end_of_data(rows))
    placed.already_written = [queued.ticket_id for queued in waiting if queued.ticket_id in present]
    waiting = [queued for queued in waiting if queued.ticket_id not in present]
    if not waiting:
        return placed
    header = list(rows[0]) if rows else []
    columns = dict(positions)
    for queued in waiting:
        for key, value in queued.cells.items():
            if key not in columns and not is_blank(value):
                placed.new_columns[key] = label(key, language)
                columns[key] = len(header)
                header.append(placed.new_columns[key])
    texts = state.path.parent / TEXTS_DIR if save_texts else None
    new_rows = [_row(queued, columns, len(header), zone, texts, language) for queued in waiting]
    tickets = Sheet(tickets_tab, [header, *rows[1:placed.first_index], *new_rows])
    placed.snapshot = Snapshot({**snapshot.sheets, tickets_tab: tickets}, snapshot.version, snapshot.formatting_ok)
    placed.rows = {queued.ticket_id: queued for queued in waiting}
    return placed


def fit_cell(text: str, ticket_id: str, column: str, texts: Path | None, language: str = "en") -> str:
    """Return ``text`` cut to fit a cell, saying where the whole text is; save it there (unless ``texts`` is None)."""
    if len(text) <= CELL_TEXT_LIMIT:
        return text
    path = Path(TEXTS_DIR) / f"{ticket_id}.{column}.txt"
    if texts is not None:
        _save_text(texts / path.name, text)
    note = CUT_NOTE.get(language, CUT_NOTE["en"]).format(path=path.as_posix())
    return text[: CELL_TEXT_LIMIT - len(note)] + note


def _row(queued: QueuedRow, columns: dict[str, int], width: int, zone: tzinfo, texts: Path | None,
         language: str) -> list[Cell]:
    row: list[Cell] = [None] * width
    row[columns["ticket_id"]] = queued.ticket_id
    for key, value in queued.cells.items():
        if key not in columns or is_blank(value) or key == "ticket_id":
            continue
        if isinstance(value, datetime):
            value = value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) if value.tzinfo else value
        elif key == "channel":
            value = CHANNEL_WORDS.get(str(value), {}).get(language, value)
        elif isinstance(value, str):
            value = fit_cell(value, queued.ticket_id, key, texts, language)
        row[columns[key]] = value  # type: ignore[assignment]
    return row


def _ticket_ids(rows: list[list[Cell]], position: int | None) -> set[str]:
    if position is None:
        return set()
    return {cell_text(row[position]) for row in rows[1:] if position < len(row)}


def _save_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a temporary file moved into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
