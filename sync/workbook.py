"""A read-only view of a Snapshot by role: which tab is the Tickets tab, which are the rule tabs, which language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sync.backends.port import Sheet, Snapshot
from sync.errors import WorkbookError
from tickets import TABS, HeaderMap, find_tab, match_headers

__all__ = ["WorkbookView"]


@dataclass
class WorkbookView:
    """The tabs of a snapshot found by role (English or Chinese names), and the Tickets header."""

    snapshot: Snapshot
    tabs: dict[str, str]  # role -> actual tab name
    header: HeaderMap
    language: str

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
        if "ticket_id" not in header.positions:
            raise WorkbookError(
                f'{tabs["tickets"]}!1: no "Ticket ID" (工单编号) header in the first row — add it, '
                "so each row can be told apart."
            )
        if language == "auto":
            language = "zh" if tabs["tickets"] == TABS["tickets"].zh else header.language
        return cls(snapshot, tabs, header, language)

    def sheet(self, role: str) -> Sheet | None:
        name = self.tabs.get(role)
        return self.snapshot.sheets[name] if name else None

    def rows(self, role: str) -> list[list]:
        sheet = self.sheet(role)
        return sheet.rows if sheet else []

    def tab_name(self, role: str) -> str:
        """The actual name of a tab, or the name it gets in this workbook's language when created."""
        return self.tabs.get(role) or TABS[role].label(self.language)
