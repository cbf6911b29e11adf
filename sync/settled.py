"""The settled result: what a full cycle left behind so the next ones can be quiet (DESIGN §10).

After a cycle that left the workbook as it wants it, nothing can change until the workbook changes (its
fingerprint) or time alone crosses a moment that matters (``sync.quiet.next_change``). Until then a cycle only
runs the mail. A daemon keeps the result in memory; ``run --once`` processes keep it in the state store too, so
the next process can take the quiet path.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version as package_version

from sync.backends.port import Cell
from sync.cycle_report import CycleReport
from sync.state import StateStore
from tickets import BusinessCalendar, parse_calendar

__all__ = ["Settled", "SettledCache", "SETTLED_KEY"]

SETTLED_KEY = "settled"
SHEETDESK_VERSION = package_version("sheetdesk")
SETTLED_FORMAT = f"1 {SHEETDESK_VERSION}"  # a remembered result from other code is never used


@dataclass(frozen=True)
class Settled:
    """What a full cycle left for the quiet ones: the workbook's fingerprint, until when it holds, the report."""

    fingerprint: object
    until: datetime
    report: CycleReport
    calendar: BusinessCalendar


class SettledCache:
    """The last settled result of one desk, in memory and (``remember``) in the state store.

    ``settings_key`` is what a remembered result depends on besides the workbook (the desk's settings): a result
    saved under another key, or by another version of sheetdesk, is never used.
    """

    def __init__(self, state: StateStore, settings_key: Hashable, remember: bool = True) -> None:
        self.state = state
        self.key = (SETTLED_FORMAT, settings_key)
        self.remember = remember
        self._settled: Settled | None = None

    def current(self, now: datetime, fingerprint: Callable[[], object] | None) -> Settled | None:
        """The last result, if the workbook is as it left it and no moment that matters has passed by ``now``
        (naive: in the Calendar's zone). Without a ``fingerprint`` (the backend has none) there is none."""
        if fingerprint is None:
            return None
        settled = self._settled if self._settled is not None else self._remembered()
        if settled is None:
            return None
        moment = now if now.tzinfo is not None else now.replace(tzinfo=settled.calendar.zone)
        if moment >= settled.until or fingerprint() != settled.fingerprint:
            return None
        return settled

    def keep(self, settled: Settled | None, calendar_rows: Sequence[Sequence[Cell]], wrote: bool) -> None:
        """Keep ``settled`` (None: nothing is settled) for the next cycle.

        Also kept in the state store for the next process, but only after a cycle that wrote nothing: a writing
        cycle stays fast, and the next one, finding nothing to write, keeps it. The calendar is kept as its tab's
        rows and read again when loaded.
        """
        self._settled = settled
        if not self.remember or wrote:
            return
        saved = None
        if settled is not None:
            saved = pickle.dumps((self.key, settled.fingerprint, settled.until, settled.report, list(calendar_rows)))
        self.state.put_blob(SETTLED_KEY, saved)

    def _remembered(self) -> Settled | None:
        """The result the last process left in the state store, if it was made by this code and settings."""
        saved = self.state.get_blob(SETTLED_KEY)
        if not saved:
            return None
        try:
            key, fingerprint, until, report, calendar_rows = pickle.loads(saved)
        except Exception:  # written by another version of sheetdesk: recompute
            return None
        if key != self.key:
            return None
        return Settled(fingerprint, until, report, parse_calendar(calendar_rows)[0])
