"""Finding rows and columns again after people moved them between a read and a write.

Online sheets (and the in-memory double) can change while a cycle computes. Before writing, a backend maps each
``RowRef`` to the row's current position by Ticket ID, and each column key to its current position by header.
A row that had no ID when read is found by its input cells (its fingerprint). A write to an input cell that is
no longer blank is dropped: what a person typed always wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sync.backends.port import Cell, CellWrite, RowRef
from tickets import COMPUTED_KEYS, INPUT_KEYS, cell_text, is_blank, match_headers, normalize_label

__all__ = ["locate_columns", "locate_rows", "fingerprint", "may_write", "appended_rows", "end_of_data"]


def locate_columns(
    read_positions: dict[str, int], read_header: Sequence[Cell], current_header: Sequence[Cell]
) -> dict[str, int]:
    """Return ``{column key: current position}``, following each header as read to where it stands now."""
    now = {normalize_label(text): position for position, text in enumerate(current_header) if not is_blank(text)}
    rematched = match_headers(current_header).positions
    located: dict[str, int] = {}
    for key, position in read_positions.items():
        text = read_header[position] if position < len(read_header) else None
        found = now.get(normalize_label(text)) if not is_blank(text) else None
        if found is None:
            found = rematched.get(key)
        if found is not None:
            located[key] = found
    return located


def fingerprint(row: Sequence[Cell], positions: dict[str, int]) -> tuple[str, ...]:
    """Return a row's input cells as comparable text (the ID left out), to find it again without an ID."""
    values = []
    for key in INPUT_KEYS:
        if key == "ticket_id":
            continue
        position = positions.get(key)
        value = row[position] if position is not None and position < len(row) else None
        values.append(_plain(value))
    return tuple(values)


def _plain(value: Cell) -> str:
    return cell_text(value)


def locate_rows(
    writes: Iterable[CellWrite],
    read_rows: Sequence[Sequence[Cell]],
    current_rows: Sequence[Sequence[Cell]],
    columns: dict[str, int],
) -> dict[RowRef, int]:
    """Return ``{row as read: its current index}`` for every row the writes touch that can still be found."""
    refs = {write.row for write in writes}
    if not refs or not current_rows:
        return {}
    read_positions = match_headers(read_rows[0]).positions if read_rows else {}
    current_positions = match_headers(current_rows[0]).positions
    id_position = columns.get("ticket_id", current_positions.get("ticket_id"))
    by_id: dict[str, list[int]] = {}
    unnamed: dict[tuple[str, ...], list[int]] = {}
    for index in range(1, len(current_rows)):
        row = current_rows[index]
        ticket_id = _plain(row[id_position]) if id_position is not None and id_position < len(row) else ""
        if ticket_id:
            by_id.setdefault(ticket_id, []).append(index)
        else:
            unnamed.setdefault(fingerprint(row, current_positions), []).append(index)
    located: dict[RowRef, int] = {}
    taken: set[int] = set()
    for ref in sorted(refs, key=lambda ref: ref.index):
        if ref.ticket_id:
            matches = by_id.get(ref.ticket_id, [])
            if len(matches) > 1:
                matches = _same_row_of_a_shared_id(ref, read_rows, read_positions, current_rows, current_positions,
                                                   matches)
            if len(matches) == 1:  # an ID typed twice meanwhile is ambiguous: skip this cycle
                located[ref] = matches[0]
            continue
        if ref.index >= len(read_rows):
            continue
        free = [index for index in unnamed.get(fingerprint(read_rows[ref.index], read_positions), []) if index not in taken]
        if free:
            located[ref] = min(free, key=lambda index: abs(index - ref.index))
            taken.add(located[ref])
    return located


def _same_row_of_a_shared_id(
    ref: RowRef,
    read_rows: Sequence[Sequence[Cell]],
    read_positions: dict[str, int],
    current_rows: Sequence[Sequence[Cell]],
    current_positions: dict[str, int],
    matches: list[int],
) -> list[int]:
    """Of the current rows holding an ID that several rows hold, the one that is ``ref``: the one alone with its
    input cells; among rows alike in those too, the one of the same rank (rows alike in every input cell are
    interchangeable). Return every match still in doubt (the write to it waits) when the rows as read do not
    show the same rows with that ID."""
    id_position = read_positions.get("ticket_id")
    if ref.index >= len(read_rows) or id_position is None:
        return matches
    wanted = fingerprint(read_rows[ref.index], read_positions)
    alike = [index for index in matches if fingerprint(current_rows[index], current_positions) == wanted]
    read_alike = [index for index in range(1, len(read_rows)) if _plain(_at(read_rows[index], id_position)) ==
                  ref.ticket_id and fingerprint(read_rows[index], read_positions) == wanted]
    if len(alike) != len(read_alike) or ref.index not in read_alike:
        return alike if len(alike) == 1 else matches
    return [alike[read_alike.index(ref.index)]]


def _at(row: Sequence[Cell], position: int) -> Cell:
    return row[position] if position < len(row) else None


def may_write(column: str, current: Cell, replaces: Cell = None) -> bool:
    """A computed cell is always the daemon's; an input cell only while it is still blank, or — for a write that
    ``replaces`` a value — while it still holds that value (text compared trimmed and case-insensitively)."""
    if column in COMPUTED_KEYS or is_blank(current):
        return True
    if replaces is None:
        return False
    if isinstance(current, str) and isinstance(replaces, str):
        return current.strip().casefold() == replaces.strip().casefold()
    return current == replaces


def appended_rows(
    appends: Iterable[dict[str, Cell]], current_rows: Sequence[Sequence[Cell]], columns: dict[str, int]
) -> dict[int, dict[int, Cell]]:
    """Return where the rows of ``ChangeSet.append`` land: ``{row index: {column position: value}}``.

    They go below the last row of ``current_rows`` holding anything, in order, at the ``columns`` positions (a key
    without a position is left out); a row whose Ticket ID already stands in the tab, or came earlier in
    ``appends``, is skipped.
    """
    id_position = columns.get("ticket_id")
    present = {
        _plain(row[id_position]) for row in current_rows[1:] if id_position is not None and id_position < len(row)
    }
    next_index = end_of_data(current_rows)
    placed: dict[int, dict[int, Cell]] = {}
    for values in appends:
        ticket_id = _plain(values.get("ticket_id"))
        if not ticket_id or ticket_id in present:
            continue
        present.add(ticket_id)
        placed[next_index] = {columns[key]: value for key, value in values.items()
                              if key in columns and not (value is None or value == "")}
        next_index += 1
    return placed


def end_of_data(rows: Sequence[Sequence[Cell]]) -> int:
    """The index just below the last row holding anything (1 for a tab with only its header)."""
    for index in range(len(rows) - 1, 0, -1):
        if any(not is_blank(value) for value in rows[index]):
            return index + 1
    return 1
