"""The desk's own people: the addresses the mailbox never acknowledges (liaisons, managers, deputies).

Every cycle publishes them from the Liaisons tab it read (``StateStore.set_staff_addresses``). Mail can arrive
before any cycle ran with this state dir — the daemon's first poll, a new or restored state dir — so until a
cycle has published them they come from the last good Liaisons tab the state store remembers, else from the
workbook's Liaisons tab itself, read once; what was found is published, so the next poll reads nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from rules import parse_liaisons, screen_tab
from sync.backends.port import Snapshot
from sync.state import StateStore
from sync.workbook import WorkbookView

__all__ = ["DeskPeople", "liaison_addresses"]

WorkbookReader = Callable[[], Snapshot]


class DeskPeople:
    """Who the desk's own people are, for a channel of ``state``'s desk.

    ``read_workbook`` reads the workbook (a backend's ``read``), used only while no cycle has published the
    addresses and the state store remembers no good Liaisons tab; ``language`` and ``aliases`` are the
    ``[workbook]`` settings the cycle reads it with.
    """

    def __init__(self, state: StateStore, read_workbook: WorkbookReader | None = None, language: str = "auto",
                 aliases: Mapping[str, Iterable[str]] | None = None) -> None:
        self.state = state
        self.read_workbook = read_workbook
        self.language = language
        self.aliases = aliases

    def addresses(self) -> set[str]:
        """Return the addresses of the desk's own people, lower case (empty when none can be known)."""
        if not self.state.staff_addresses_known():
            found = self._remembered()
            if found is None:
                found = self._from_workbook()
            if found is None:
                return set()
            self.state.set_staff_addresses(found)
        return self.state.staff_addresses()

    def _remembered(self) -> list[str] | None:
        rows = self.state.good_rules("liaisons")
        return liaison_addresses("Liaisons", rows) if rows else None

    def _from_workbook(self) -> list[str] | None:
        if self.read_workbook is None:
            return None
        view = WorkbookView.of(self.read_workbook(), self.language, self.aliases)
        rows = view.rows("liaisons")
        return liaison_addresses(view.tab_name("liaisons"), rows) if rows else None


def liaison_addresses(tab_name: str, rows: Sequence[Sequence[object]]) -> list[str]:
    """Every address on a Liaisons tab's ``rows`` (row 0 the headers): liaisons, managers and deputies. A cell
    showing an error or holding a formula without a value is read as empty (the cycle's Rule check names it)."""
    liaisons, _ = parse_liaisons(tab_name, screen_tab(tab_name, rows, rule_tab=False).rows)
    return [address for entry in liaisons.entries
            for address in (entry.email, entry.manager_email, entry.deputy_email) if address]
