"""Proving a write to the Tickets tab landed on the rows it was meant for, and repairing it when it did not.

Google Sheets has no conditional write: between the backend's re-read and its batchUpdate a person may sort,
insert or delete rows, and the cells then land on other rows. So after a write to ticket rows the backend reads
the Tickets tab back once (DESIGN §10: at most one more request per writing cycle) and checks each row it wrote:
its cells the write did not touch must still hold what they held at the re-read. Each row that fails was moved:
``repairs`` finds which row stands there now (by those same cells), puts back every input cell the write covered
(what that row held, or blank), and writes the intended cells again where their rows are now — one more
batchUpdate, sent only when something moved. A computed cell that landed on a wrong row is left for the next
cycle, which recomputes it anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sync.backends.port import Cell, CellWrite, RowRef
from sync.backends.relocate import locate_rows, may_write
from tickets import COMPUTED_KEYS, cell_text

__all__ = ["Landing", "misplaced_rows", "repairs"]

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

    def add(self, write: CellWrite, row: int, position: int) -> None:
        if 0 < row < len(self.current):
            self.written.setdefault(row, {})[position] = write.value
            self.planned[write.row] = row

    @property
    def input_positions(self) -> set[int]:
        return {position for key, position in self.columns.items() if key not in COMPUTED_KEYS}


def misplaced_rows(landing: Landing, after: Sequence[Sequence[Cell]]) -> list[int]:
    """Return the written rows whose untouched cells no longer hold what they held at the re-read."""
    return [row for row, cells in sorted(landing.written.items())
            if not _same_cells(landing.current[row], _row(after, row), skip=cells)]


def repairs(landing: Landing, after: Sequence[Sequence[Cell]], misplaced: Sequence[int]) -> list[Write]:
    """Return the writes that undo a misplaced write and redo it where its rows are now.

    The row standing at each misplaced position is told by its untouched cells (the best unique match among the
    rows at the re-read). One that is still the row the write meant was only typed into: it needs nothing.
    Otherwise each input cell the write covered gets back what that row held at the re-read (blank when it held
    nothing, or when the row cannot be told), and every intended write is sent again where its row is now.
    """
    repaired = [list(row) for row in after]
    fixes: dict[tuple[int, int], Cell] = {}
    moved_to: dict[int, int] = {}  # row at the re-read -> where it stands now
    inputs = landing.input_positions
    for row in misplaced:
        written = landing.written[row]
        origin = _origin(landing.current, _row(repaired, row), skip=written)
        if origin == row:
            continue
        if origin is not None:
            moved_to[origin] = row
        for position in written:
            if position in inputs:
                held = _at(landing.current[origin], position) if origin is not None else None
                fixes[(row, position)] = held
                _put(repaired, row, position, held)
    if not fixes and not moved_to:
        return []
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


def _origin(current: Sequence[Sequence[Cell]], now: Sequence[Cell], skip: dict[int, Cell]) -> int | None:
    """The row of ``current`` that ``now`` is, by the cells not in ``skip``: the row with the most equal filled
    cells, or None when no row or several rows share the best score."""
    scores = [(_likeness(current[index], now, skip), index) for index in range(1, len(current))]
    best = max(scores, default=(0, None))
    if best[0] == 0 or sum(1 for score, _ in scores if score == best[0]) > 1:
        return None
    return best[1]


def _likeness(before: Sequence[Cell], now: Sequence[Cell], skip: dict[int, Cell]) -> int:
    """How many filled cells (outside ``skip``) of ``before`` ``now`` holds too."""
    return sum(1 for position, value in enumerate(before)
               if position not in skip and value is not None and cell_text(value) == cell_text(_at(now, position)))


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
