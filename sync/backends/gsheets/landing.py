"""Proving a write to the Tickets tab landed on the rows it was meant for, and repairing it when it did not.

Google Sheets has no conditional write: between the backend's re-read and its batchUpdate a person may sort,
insert or delete rows, and the cells then land on other rows. So after a write to ticket rows the backend reads
the Tickets tab back once (DESIGN §10: at most one more request per writing cycle) and checks each row it wrote:
its cells the write did not touch must still hold what they held at the re-read. Each row that fails was moved:
``origins`` tells which row stands there now (a row a person inserted is never taken for a look-alike still in
place), ``repairs`` puts back every cell the write covered there (what that row held, or blank for a row a person
inserted), and writes the intended cells again where their rows are now — one more batchUpdate, sent only when
something moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sync.backends.port import Cell, CellWrite, RowRef
from sync.backends.relocate import appended_rows, locate_rows, may_write
from tickets import cell_text

__all__ = ["Landing", "misplaced_rows", "origins", "repairs"]

Write = tuple[int, int, Cell]  # 0-based row, column, value


@dataclass
class Landing:
    """What a write to existing ticket rows was planned on: the tab at the re-read and the cells written."""

    current: list[list[Cell]]  # the Tickets tab at the re-read, header first
    cells: Sequence[CellWrite]  # the writes the engine asked for
    read_rows: Sequence[Sequence[Cell]]  # the tab as the cycle read it (what the RowRefs point into)
    columns: dict[str, int]  # column key -> position at the re-read
    written: dict[int, dict[int, Cell]] = field(default_factory=dict)  # row -> {position: value} sent
    planned: dict[RowRef, int] = field(default_factory=dict)  # where each row as read was written
    appends: Sequence[dict[str, Cell]] = ()  # the new rows asked for (ChangeSet.append)

    def add(self, write: CellWrite, row: int, position: int) -> None:
        if 0 < row < len(self.current):
            self.written.setdefault(row, {})[position] = write.value
            self.planned[write.row] = row

    def add_appended(self, rows: dict[int, dict[int, Cell]]) -> None:
        """Record new rows written below the data (blank rows at the re-read)."""
        for row, cells in rows.items():
            self.written.setdefault(row, {}).update(cells)


def misplaced_rows(landing: Landing, after: Sequence[Sequence[Cell]]) -> list[int]:
    """Return the written rows whose untouched cells no longer hold what they held at the re-read."""
    return [row for row, cells in sorted(landing.written.items())
            if not _same_cells(_row(landing.current, row), _row(after, row), skip=cells)]


def repairs(landing: Landing, after: Sequence[Sequence[Cell]], misplaced: Sequence[int]) -> list[Write]:
    """Return the writes that undo a misplaced write and redo it where its rows are now.

    The row standing at each misplaced position is told by ``origins``. One that is still the row the write meant
    was only typed into: it needs nothing. Otherwise each cell the write covered gets back what that row held
    at the re-read (blank when it is a row a person inserted, or cannot be told), every intended write is sent
    again where its row is now, and a new row that was undone is appended again below the data as it is now.
    """
    repaired = [list(row) for row in after]
    fixes: dict[tuple[int, int], Cell] = {}
    moved_to: dict[int, int] = {}  # row at the re-read -> where it stands now
    for row, origin in origins(landing, after, misplaced).items():
        if origin == row:
            continue
        if origin is not None:
            moved_to[origin] = row
        for position in landing.written[row]:
            held = _at(landing.current[origin], position) if origin is not None else None
            fixes[(row, position)] = held
            _put(repaired, row, position, held)
    for row, cells in appended_rows(landing.appends, repaired, landing.columns).items():  # a new row undone
        for position, value in cells.items():
            fixes[(row, position)] = value
            _put(repaired, row, position, value)
    targets = locate_rows(landing.cells, landing.read_rows, repaired, landing.columns)
    for write in landing.cells:
        planned = landing.planned.get(write.row)
        row = targets.get(write.row, moved_to.get(planned) if planned is not None else None)
        position = landing.columns.get(write.column)
        if row is None or position is None or (row == planned and (row, position) not in fixes):
            continue
        present = _cell(repaired, row, position)
        if cell_text(present) != cell_text(write.value) and may_write(write.column, present):
            fixes[(row, position)] = write.value
            _put(repaired, row, position, write.value)
    return [(row, position, value) for (row, position), value in fixes.items()]


def origins(landing: Landing, after: Sequence[Sequence[Cell]], misplaced: Sequence[int]) -> dict[int, int | None]:
    """Return, for each misplaced row, the row of the re-read that stands there now (None: a row a person
    inserted meanwhile, or one that cannot be told).

    Rows told for sure come first: a row standing intact outside the written rows, and a row whose Ticket ID
    (where the write did not cover it) names one row of the re-read. A row a person inserted that looks like one
    of those is never taken for it. The others are matched among the rows left: the one whose cells outside the
    write are all the same — when two written rows could be the same row, the one that keeps its order among the
    rows told for sure (an inserted or deleted row moves no other row past it); failing any, a row moved and typed
    into at once: the one alone that differs in a single cell.
    """
    current = landing.current
    placed = _standing(landing, after)  # row of the re-read -> where it stands now
    placed.update({row: row for row in landing.written if row not in misplaced and row not in placed})
    found = {row: origin for origin, row in placed.items() if row in landing.written}
    open_rows = [row for row in misplaced if row not in found]
    free = [index for index in range(1, len(current)) if index not in placed]
    exact = {row: [index for index in free if _same_cells(current[index], _row(after, row), landing.written[row])]
             for row in open_rows}
    while _place_one(open_rows, exact, found, placed):
        pass
    for row in open_rows:
        if row not in found:
            left = [index for index in free if index not in placed]
            options = [index for index in exact[row] if index not in placed]
            found[row] = options[0] if options else _most_alike(current, _row(after, row), landing.written[row], left)
            if found[row] is not None:
                placed[found[row]] = row
    return {row: found.get(row) for row in misplaced}


def _standing(landing: Landing, after: Sequence[Sequence[Cell]]) -> dict[int, int]:
    """``{row of the re-read: row now}`` for the rows told for sure: intact outside the written rows (alike rows
    in their order), or named by a Ticket ID the write did not cover that one row of the re-read held."""
    id_position = landing.columns.get("ticket_id")
    by_key: dict[tuple[str, ...], list[int]] = {}
    by_id: dict[str, list[int]] = {}
    for index in range(1, len(landing.current)):
        by_key.setdefault(_key(landing.current[index]), []).append(index)
        ticket_id = _id_text(landing.current[index], id_position)
        if ticket_id:
            by_id.setdefault(ticket_id, []).append(index)
    placed: dict[int, int] = {}
    for row in range(1, len(after)):
        if row in landing.written:
            continue
        alike = [index for index in by_key.get(_key(after[row]), []) if index not in placed]
        if alike:
            placed[alike[0]] = row
    taken = set(placed.values())
    for row in range(1, len(after)):
        shown = _id_text(after[row], id_position) if id_position not in landing.written.get(row, {}) else ""
        named = by_id.get(shown, []) if shown else []
        if row not in taken and len(named) == 1 and named[0] not in placed:
            placed[named[0]] = row
    return placed


def _place_one(open_rows: list[int], exact: dict[int, list[int]], found: dict[int, int | None],
               placed: dict[int, int]) -> bool:
    """Place one written row whose row of the re-read is certain (see ``origins``); False when none is."""
    for row in open_rows:
        if row in found:
            continue
        options = [index for index in exact[row] if index not in placed]
        if len(options) > 1:
            options = [index for index in options if _in_order(index, row, placed)]
        if len(options) != 1:
            continue
        origin = options[0]
        rivals = [other for other in open_rows if other != row and other not in found and origin in exact[other]]
        if rivals and [other for other in [row, *rivals] if _in_order(origin, other, placed)] != [row]:
            continue
        found[row], placed[origin] = origin, row
        return True
    return False


def _in_order(origin: int, row: int, placed: dict[int, int]) -> bool:
    """Whether ``origin`` standing at ``row`` keeps its order with its nearest placed neighbours."""
    above = [before for before in placed if before < origin]
    below = [before for before in placed if before > origin]
    return (not above or placed[max(above)] < row) and (not below or row < placed[min(below)])


def _most_alike(current: Sequence[Sequence[Cell]], now: Sequence[Cell], skip: dict[int, Cell],
                candidates: Sequence[int]) -> int | None:
    """The candidate row of ``current`` that alone differs from ``now`` in one cell (outside ``skip``) — a row
    typed into as it moved; None when none or several do (two new complaints differ in more than one cell)."""
    near = [index for index in candidates if _differences(current[index], now, skip) == 1]
    return near[0] if len(near) == 1 else None


def _differences(before: Sequence[Cell], now: Sequence[Cell], skip: dict[int, Cell]) -> int:
    """How many cells (outside ``skip``) differ between ``before`` and ``now``."""
    width = max(len(before), len(now))
    return sum(1 for position in range(width)
               if position not in skip and cell_text(_at(before, position)) != cell_text(_at(now, position)))


def _key(row: Sequence[Cell]) -> tuple[str, ...]:
    values = [cell_text(value) for value in row]
    while values and not values[-1]:
        values.pop()
    return tuple(values)


def _id_text(row: Sequence[Cell], position: int | None) -> str:
    return cell_text(_at(row, position)).strip() if position is not None else ""


def _same_cells(before: Sequence[Cell], now: Sequence[Cell], skip: dict[int, Cell]) -> bool:
    width = max(len(before), len(now))
    return all(cell_text(_at(before, position)) == cell_text(_at(now, position))
               for position in range(width) if position not in skip)


def _row(rows: Sequence[Sequence[Cell]], index: int) -> Sequence[Cell]:
    return rows[index] if index < len(rows) else []


def _at(values: Sequence[Cell], position: int) -> Cell:
    return values[position] if position < len(values) else None


def _cell(rows: Sequence[Sequence[Cell]], row: int, position: int) -> Cell:
    values = rows[row] if row < len(rows) else []
    return values[position] if position < len(values) else None


def _put(rows: list[list[Cell]], row: int, position: int, value: Cell) -> None:
    while len(rows) <= row:
        rows.append([])
    values = rows[row]
    if len(values) <= position:
        values.extend([None] * (position + 1 - len(values)))
    values[position] = value
