"""Waits on the customer, counted in the sheet itself: the ``Paused h`` column (DESIGN §4).

Everything a due time depends on lives in the sheet, so a lost, corrupt or old state dir never moves one. The
state store still records each ticket's status history (when a wait began and ended), but a due time is
computed from the sheet's ``Paused h`` alone:

- **Paused h** is the number of hours, on the ticket's clock, by which its finished waits on the customer
  pushed its resolution due back. The daemon writes it when a wait ends; while a wait goes on the due times stay
  where they were (the SLA column says "paused").
- **Resolution due** is Received + resolution hours + Paused h, counted on the clock. A wait that began at or
  after the resolution due moves nothing (it came too late), as before.
- **Response due** is never moved by a wait: a ticket waits on the customer only after its first response, so
  the response was already met or missed when the wait began.

Which waits are new to the sheet: the state remembers the ``Paused h`` it last wrote and the end of the last wait
it counted (``PauseCount``). When the sheet holds what the state remembers, waits that ended after that are
added. When they disagree, the state is older than the sheet (restored from a backup) or a person corrected the
cell: the sheet wins and every wait the state knows of is taken as already counted. With no memory at all (a
lost state dir, or the first cycle after upgrading) the waits the state knows of are added to the sheet's value:
a fresh state knows only waits that began after it was made, which the sheet cannot hold yet. What a lost state
dir costs here: a wait going on at the moment it was lost is counted from the first cycle after the loss. The
one case a backup cannot get right: restored from a backup taken during a wait, while the ticket, after that
wait had ended and been counted, is waiting again — the state then sees one long wait, counted when it ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from tickets.calendar import BusinessCalendar
from tickets.outcome import Clock, PauseCount
from tickets.sla import Pause

__all__ = ["PauseCount", "count_waits", "paused_due", "read_paused_hours", "PAUSED_HOURS_DIGITS"]

PAUSED_HOURS_DIGITS = 4  # Paused h is kept to 1/10 000 h (0.36 s): what the sheet holds is exactly what is used


def count_waits(
    sheet_hours: float | None,
    remembered: PauseCount | None,
    waits: Sequence[Pause],
    *,
    received: datetime,
    resolution_hours: float | None,
    clock: Clock,
    calendar: BusinessCalendar,
) -> PauseCount:
    """Given the sheet's ``Paused h`` (None when blank), what the state remembers writing, and the finished
    waits the state knows of (oldest first, each with an end), return the count the due times use now.

    See the module docstring for which waits are new to the sheet.
    """
    base = sheet_hours or 0.0
    through = remembered.through if remembered is not None else None
    if remembered is not None and not math.isclose(remembered.hours, base, abs_tol=10 ** -PAUSED_HOURS_DIGITS):
        known = [wait.end for wait in waits if wait.end is not None]
        return PauseCount(base, max([*known, *([through] if through else [])], default=None))
    hours = base
    for wait in waits:
        if wait.end is None or (through is not None and wait.end <= through):
            continue
        hours += _pushed_by(wait, hours, received, resolution_hours, clock, calendar)
        through = wait.end
    return PauseCount(round(hours, PAUSED_HOURS_DIGITS), through)


def _pushed_by(
    wait: Pause, counted: float, received: datetime, resolution_hours: float | None, clock: Clock,
    calendar: BusinessCalendar,
) -> float:
    """The hours on ``clock`` by which a finished wait pushes the resolution due (already pushed by
    ``counted`` hours) back: all of it, or nothing when it began at or after that due."""
    assert wait.end is not None
    start = max(wait.start, received)
    if wait.end <= start:
        return 0.0
    if resolution_hours is not None and start >= calendar.add_hours(received, resolution_hours + counted, clock):
        return 0.0
    return max(0.0, calendar.hours_between(start, wait.end, clock))


def paused_due(
    received: datetime, hours: float | None, paused_hours: float, clock: Clock, calendar: BusinessCalendar
) -> datetime | None:
    """The due ``hours`` on ``clock`` after ``received``, pushed back by ``paused_hours``; None without hours."""
    if hours is None:
        return None
    return calendar.add_hours(received, hours + paused_hours, clock)


def read_paused_hours(value: object) -> float | None:
    """The ``Paused h`` cell as a number of hours (``18``, ``18.5``, ``"18,5"``); None when it is blank or not
    a number of 0 or more (the engine then falls back on what the state remembers, and rewrites the cell)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", "."))
        except ValueError:
            return None
    return number if math.isfinite(number) and number >= 0 else None
