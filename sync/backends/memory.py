"""An in-memory workbook behind the backend port, for tests and dry runs.

It behaves like a shared online sheet: a person may edit it between the daemon's read and its write
(``edit``), and ``apply`` re-locates rows by Ticket ID and columns by header, as the gsheets backend does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.backends.port import Cell, ChangeSet, FormattingSpec, Merge, Sheet, Snapshot, tab_order
from sync.backends.relocate import appended_rows, locate_columns, locate_rows, may_write
from sync.errors import WorkbookError
from tickets import fit_cell_text

__all__ = ["MemoryBackend"]


@dataclass
class MemoryBackend:
    """A workbook held as ``{tab name: rows}``; counts reads and writes."""

    tabs: dict[str, list[list[Cell]]] = field(default_factory=dict)
    formatting: FormattingSpec | None = None
    charts: dict[str, list] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0
    before_write: Callable[[MemoryBackend], None] | None = None  # a person acting between read and write
    merged: dict[str, list[Merge]] = field(default_factory=dict)  # tab name -> merged ranges

    def describe(self) -> str:
        return "memory workbook"

    def lay_out(self, spec: Any, replace: bool = False) -> None:
        """Hold the template ``spec``'s tabs (their rows; drop-downs as the formatting's). Raise WorkbookError if
        a tab is already there, unless ``replace``."""
        taken = [tab.name for tab in spec.tabs if tab.name in self.tabs]
        if taken and not replace:
            raise WorkbookError(f"the in-memory workbook already has the tab(s) {', '.join(taken)}")
        for tab in spec.tabs:
            self.tabs[tab.name] = [list(row) for row in tab.rows]

    def read(self) -> Snapshot:
        if not self.tabs:
            raise WorkbookError("the in-memory workbook has no tabs")
        self.reads += 1
        sheets = {name: Sheet(name, copy.deepcopy(rows), list(self.merged.get(name, ())))
                  for name, rows in self.tabs.items()}
        return Snapshot(sheets, version=self.writes, formatting_ok=self.formatting is not None)

    def apply(self, changes: ChangeSet, snapshot: Snapshot) -> None:
        if not changes:
            return
        if self.before_write is not None:
            self.before_write(self)
        self.writes += 1
        rows = self.tabs[changes.tickets_tab]
        header = rows[0]
        for key, text in changes.add_columns.items():
            header.append(text)
            changes.columns.setdefault(key, len(header) - 1)
        read_header = snapshot.sheets[changes.tickets_tab].rows[0]
        columns = locate_columns(changes.columns, read_header, header)
        targets = locate_rows(changes.cells, snapshot.sheets[changes.tickets_tab].rows, rows, columns)
        for write in changes.cells:
            target = targets.get(write.row)
            position = columns.get(write.column)
            if target is None or position is None:
                continue
            row = rows[target]
            if len(row) <= position:
                row.extend([None] * (position + 1 - len(row)))
            if may_write(write.column, row[position], write.replaces):
                row[position] = fit_cell_text(write.value)
        _append(rows, appended_rows(changes.append, rows, columns))
        for name, tab in changes.tabs.items():
            self.tabs[name] = [[fit_cell_text(value) for value in row] for row in tab.rows]
            order = tab_order(list(self.tabs), name, changes.tickets_tab, tab.after_tickets)
            self.tabs = {title: self.tabs[title] for title in order}
            self.charts[name] = list(tab.charts)
        if changes.formatting is not None:
            self.formatting = changes.formatting


def _append(rows: list[list[Cell]], placed: dict[int, dict[int, Cell]]) -> None:
    """Put new rows at their indices, growing the tab as needed."""
    for index, cells in sorted(placed.items()):
        while len(rows) <= index:
            rows.append([])
        row = rows[index]
        for position, value in cells.items():
            if len(row) <= position:
                row.extend([None] * (position + 1 - len(row)))
            row[position] = fit_cell_text(value)
