"""A read-only view of a Snapshot by role: which tab is the Tickets tab, which are the rule tabs, which language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rules import RuleProblem
from sync.backends.port import Sheet, Snapshot
from sync.errors import WorkbookError
from tickets import TABS, HeaderMap, cell_name, find_tab, label, match_headers

__all__ = ["WorkbookView"]


@dataclass
class WorkbookView:
    """The tabs of a snapshot found by role (English or Chinese names), and the Tickets header."""

    snapshot: Snapshot
    tabs: dict[str, str]  # role -> actual tab name
    header: HeaderMap
    language: str
    ambiguous: dict[str, list[int]] = field(default_factory=dict)  # column key -> every position naming it

    @classmethod
    def of(
        cls, snapshot: Snapshot, language: str = "auto", aliases: Mapping[str, Iterable[str]] | None = None
    ) -> WorkbookView:
        """Given a snapshot, return its view. Raise WorkbookError if it has no Tickets tab."""
        names = snapshot.tab_names
        tabs = {role: name for role in TABS if (name := find_tab(names, role)) is not None}
        if "tickets" not in tabs:
            raise WorkbookError(
                f'the workbook has no "Tickets" (工单) tab — its tabs are: {", ".join(names) or "none"}. '
                "Rename the tab that holds the tickets, or create a workbook with `sheetdesk init`."
            )
        rows = snapshot.sheets[tabs["tickets"]].rows
        header = match_headers(rows[0] if rows else [], aliases)
        ambiguous = _ambiguous_columns(header, rows[0] if rows else [], aliases)
        if "ticket_id" in ambiguous:
            cells = " and ".join(f"{tabs['tickets']}!{cell_name(position, 0)}" for position in ambiguous["ticket_id"])
            raise WorkbookError(
                f'{cells} both say "Ticket ID" — delete or rename one, so each row can be told apart.'
            )
        if "ticket_id" not in header.positions:
            raise WorkbookError(
                f'{tabs["tickets"]}!1: no "Ticket ID" (工单编号) header in the first row — add it, '
                "so each row can be told apart."
            )
        for key in ambiguous:  # a column named twice is neither read nor written until one header goes
            header.positions.pop(key, None)
        if language == "auto":
            language = "zh" if tabs["tickets"] == TABS["tickets"].zh else header.language
        return cls(snapshot, tabs, header, language, ambiguous)

    def header_problems(self) -> list[RuleProblem]:
        """One problem per column whose header appears more than once, naming every cell, for the Rule check tab."""
        tab = self.tabs["tickets"]
        problems = []
        for key, positions in self.ambiguous.items():
            cells = [f"{tab}!{cell_name(position, 0)}" for position in positions]
            english, chinese = label(key, "en"), label(key, "zh")
            problems.append(RuleProblem(
                tab, cell_name(positions[-1], 0), "duplicate_header",
                f'{" and ".join(cells)} both say "{english}" — delete or rename one; until then sheetdesk neither '
                "reads nor fills that column",
                f"{'、'.join(cells)} 都是“{chinese}”列 —— 请删除或改名其中一个；在此之前系统不读取也不填写该列",
            ))
        return problems

    def covered_cells(self) -> dict[tuple[int, int], tuple[str, str]]:
        """The Tickets cells a merge hides (every cell of a merged range but its first):
        {(row, column): (cell name, range name)}, 0-based."""
        sheet = self.sheet("tickets")
        covered: dict[tuple[int, int], tuple[str, str]] = {}
        for first_row, first_column, last_row, last_column in sheet.merged if sheet else ():
            merge = f"{cell_name(first_column, first_row)}:{cell_name(last_column, last_row)}"
            for row in range(first_row, last_row + 1):
                for column in range(first_column, last_column + 1):
                    if (row, column) != (first_row, first_column):
                        covered[(row, column)] = (cell_name(column, row), merge)
        return covered

    def sheet(self, role: str) -> Sheet | None:
        name = self.tabs.get(role)
        return self.snapshot.sheets[name] if name else None

    def rows(self, role: str) -> list[list]:
        sheet = self.sheet(role)
        return sheet.rows if sheet else []

    def tab_name(self, role: str) -> str:
        """The actual name of a tab, or the name it gets in this workbook's language when created."""
        return self.tabs.get(role) or TABS[role].label(self.language)


def _ambiguous_columns(
    header: HeaderMap, header_row: list, aliases: Mapping[str, Iterable[str]] | None
) -> dict[str, list[int]]:
    """The column keys named by more than one header cell, with all their positions."""
    if not header.duplicates:
        return {}
    ambiguous: dict[str, list[int]] = {}
    for position, _text in header.duplicates:
        key = next(iter(match_headers([header_row[position]], aliases).positions), None)
        if key is not None and key in header.positions:
            ambiguous.setdefault(key, [header.positions[key]]).append(position)
    return ambiguous
