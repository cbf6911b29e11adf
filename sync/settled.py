"""The settled result: what a full cycle left behind so the next ones can be quiet (DESIGN §10).

After a cycle that left the workbook as it wants it, nothing can change until the workbook changes (its
fingerprint) or time alone crosses a moment that matters (``sync.quiet.next_change``). Until then a cycle only
runs the mail. A person saving the file without changing what it holds changes its fingerprint but not its
values: the next cycle reads the workbook, finds the digest of its values as the settled cycle left them, and is
quiet too (reading plus comparing). A daemon keeps the result in memory; ``run --once`` processes keep it in the state store too, so
the next process can take the quiet path.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from importlib.metadata import version as package_version

from sync.backends.port import Cell, Snapshot
from sync.cycle_report import CycleReport
from sync.state import StateStore
from tickets import BusinessCalendar, parse_calendar

__all__ = ["Settled", "SettledCache", "SETTLED_KEY", "snapshot_digest"]

SETTLED_KEY = "settled"
FINGERPRINT_KEY = "settled fingerprint"  # a newer fingerprint of the same values, kept apart: small to write
SHEETDESK_VERSION = package_version("sheetdesk")
# A remembered result from other code is never used. 2: the report pickled apart (read back only for a quiet
# cycle) and fingerprints kept with the customer-message mark.
SETTLED_FORMAT = f"2 {SHEETDESK_VERSION}"


@dataclass(frozen=True)
class Settled:
    """What a full cycle left for the quiet ones: the workbook's fingerprint, until when it holds, the report."""

    fingerprint: object
    until: datetime
    kept_report: CycleReport | bytes  # the report, or as the state store kept it: unpickled when first asked for
    calendar: BusinessCalendar
    digest: str | None = None  # of the workbook's values as read (None: not known, e.g. after a write)

    @property
    def report(self) -> CycleReport:
        """The settled cycle's report. A remembered one is unpickled here, the first time: a cycle that finds the
        workbook changed never needs it (ten thousand outcomes take a while to unpickle)."""
        if isinstance(self.kept_report, bytes):
            object.__setattr__(self, "kept_report", pickle.loads(self.kept_report))
        return self.kept_report  # type: ignore[return-value]


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
        settled = self.holding(now)
        if settled is None or fingerprint() != settled.fingerprint:
            return None
        return self._with_report(settled)

    def holding(self, now: datetime) -> Settled | None:
        """The last result, if no moment that matters has passed by ``now``, whatever the workbook is now."""
        if self._settled is None:
            self._settled = self._remembered()
        settled = self._settled
        if settled is None:
            return None
        moment = now if now.tzinfo is not None else now.replace(tzinfo=settled.calendar.zone)
        return settled if moment < settled.until else None

    def same_values(self, settled: Settled, snapshot: Snapshot, fingerprint: object) -> bool:
        """Whether ``snapshot`` holds exactly the values ``settled`` was made from (a save that changed
        nothing); if so, ``fingerprint`` (the workbook's as ``snapshot`` read it, in the form ``current`` is
        given) is taken as the settled one, here and for the next process."""
        if settled.digest is None or snapshot_digest(snapshot) != settled.digest or self._with_report(settled) is None:
            return False
        self._settled = replace(settled, fingerprint=fingerprint)
        if self.remember:
            self.state.put_blob(FINGERPRINT_KEY, pickle.dumps((self.key, settled.until, fingerprint)))
        return True

    def keep(self, settled: Settled | None, calendar_rows: Sequence[Sequence[Cell]], wrote: bool) -> None:
        """Keep ``settled`` (None: nothing is settled) for the next cycle.

        Also kept in the state store for the next process, but only after a cycle that wrote nothing: a writing
        cycle stays fast, and the next one, finding nothing to write, keeps it. The calendar is kept as its tab's
        rows and read again when loaded.
        """
        self._settled = settled
        if not self.remember or wrote:
            return
        self.state.put_blob(FINGERPRINT_KEY, None)
        saved = None
        if settled is not None:
            report = settled.kept_report
            report = report if isinstance(report, bytes) else pickle.dumps(report)  # read back only when needed
            saved = pickle.dumps((self.key, settled.fingerprint, settled.until, report, list(calendar_rows),
                                  settled.digest))
        self.state.put_blob(SETTLED_KEY, saved)

    def _with_report(self, settled: Settled) -> Settled | None:
        """``settled``, once its report reads back; None (and nothing settled) when it does not (kept by other
        code of the same version, say)."""
        try:
            settled.report  # noqa: B018 - unpickled here, where a failure can still mean "recompute"
        except Exception:
            self._settled = None
            return None
        return settled

    def _remembered(self) -> Settled | None:
        """The result the last process left in the state store, if it was made by this code and settings."""
        saved = self.state.get_blob(SETTLED_KEY)
        if not saved:
            return None
        try:
            key, fingerprint, until, report, calendar_rows, digest = pickle.loads(saved)
            newer = self.state.get_blob(FINGERPRINT_KEY)
            if newer:
                newer_key, newer_until, newer_fingerprint = pickle.loads(newer)
                if (newer_key, newer_until) == (key, until):
                    fingerprint = newer_fingerprint
        except Exception:  # written by another version of sheetdesk: recompute
            return None
        if key != self.key:
            return None
        return Settled(fingerprint, until, report, parse_calendar(calendar_rows)[0], digest)


def snapshot_digest(snapshot: Snapshot) -> str:
    """A digest of every value of every tab and of whether the formatting is in place: equal digests, the same
    workbook as far as a cycle can tell."""
    sheets = sorted((name, sheet.rows) for name, sheet in snapshot.sheets.items())
    return hashlib.blake2b(pickle.dumps((snapshot.formatting_ok, sheets), protocol=5), digest_size=20).hexdigest()
