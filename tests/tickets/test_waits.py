"""The kernel's count of waits on the customer (``Paused h``): which waits push the resolution due, and that a
state lost or restored from an old backup at any moment ends with the same count as a state that never was."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets import BusinessCalendar, Clock, PauseCount, count_waits, paused_due, read_paused_hours
from tickets.sla import Pause

ZONE = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)  # a Monday
CALENDAR = BusinessCalendar()


def count(sheet, remembered, waits, hours=24.0, clock=Clock.ALWAYS):
    return count_waits(sheet, remembered, waits, received=RECEIVED, resolution_hours=hours, clock=clock,
                       calendar=CALENDAR)


def wait(start_hours: float, end_hours: float) -> Pause:
    return Pause(RECEIVED + timedelta(hours=start_hours), RECEIVED + timedelta(hours=end_hours))


def test_a_wait_that_began_before_the_due_pushes_it_back_by_all_of_it():
    assert count(None, None, [wait(4, 70)]).hours == pytest.approx(66)
    assert paused_due(RECEIVED, 24, 66, Clock.ALWAYS, CALENDAR) == RECEIVED + timedelta(hours=90)


def test_a_wait_that_began_at_or_after_the_due_moves_nothing():
    assert count(None, None, [wait(24, 30)]).hours == 0
    assert count(None, None, [wait(4, 10), wait(29, 35)]).hours == pytest.approx(12)  # due 30 after the first


def test_on_the_business_clock_only_working_hours_of_a_wait_count():
    monday_14_to_wednesday_10 = wait(4, 48)
    assert count(None, None, [monday_14_to_wednesday_10], hours=27, clock=Clock.BUSINESS).hours == pytest.approx(
        4 + 9 + 1)


def test_when_the_sheet_and_the_memory_agree_only_waits_after_the_last_counted_are_added():
    first, second = wait(1, 3), wait(5, 6)
    remembered = PauseCount(2.0, first.end)
    assert count(2.0, remembered, [first, second]) == PauseCount(3.0, second.end)


def test_when_they_disagree_the_sheet_wins_and_the_known_waits_count_as_in_it():
    first, second = wait(1, 3), wait(5, 6)
    remembered = PauseCount(0.0, None)  # an old backup: before either wait was counted
    assert count(3.0, remembered, [first, second]) == PauseCount(3.0, second.end)


def test_the_paused_cell_reads_numbers_and_nothing_else():
    assert [read_paused_hours(value) for value in (18, 18.5, "18,5", " 2 ", None, "", "abc", -1, True)] == [
        18.0, 18.5, 18.5, 2.0, None, None, None, None, None]


@st.composite
def waits_and_mishap(draw):
    """Sequential waits (hours after Received) and a moment (after wait ``at``) where the state is lost or
    replaced by a backup taken after wait ``backup`` (``backup`` ≤ ``at``; None: lost, no backup)."""
    gaps = draw(st.lists(st.tuples(st.floats(0, 40), st.floats(0.25, 60)), min_size=1, max_size=6))
    waits, cursor = [], 0.0
    for gap, length in gaps:
        waits.append(wait(cursor + gap, cursor + gap + length))
        cursor += gap + length
    at = draw(st.integers(0, len(waits)))
    backup = draw(st.one_of(st.none(), st.integers(0, at)))
    clock = draw(st.sampled_from([Clock.ALWAYS, Clock.BUSINESS]))
    hours = draw(st.sampled_from([4.0, 24.0, 72.0]))
    return waits, at, backup, clock, hours


@settings(max_examples=200, deadline=None, derandomize=True)
@given(waits_and_mishap())
def test_a_state_lost_or_restored_at_any_moment_ends_with_the_same_count(case):
    waits, at, backup, clock, hours = case

    def run(sheet, memory, known, new_waits):
        """Cycles that each see one more wait end; the write always lands, so the memory follows the sheet."""
        history = list(known)
        for finished in new_waits:
            history.append(finished)
            memory = count(sheet, memory, history, hours, clock)
            sheet = memory.hours
        return sheet, memory

    intact, _ = run(None, None, [], waits)
    sheet, _ = run(None, None, [], waits[:at])
    if backup is None:  # lost: a fresh state knows only the waits that began after the loss
        memory, known = None, []
    else:  # restored: the memory and the waits as they were after wait ``backup``
        _, memory = run(None, None, [], waits[:backup])
        known = waits[:backup]
    # The first cycle after the mishap sees no wait end (a wait must be seen beginning before it can end), and
    # leaves its memory as the sheet is: the write lands, or there was nothing to write.
    memory = count(sheet, memory, known, hours, clock)
    after, _ = run(memory.hours, memory, known, waits[at:])
    assert (after or 0) == pytest.approx(intact or 0, abs=1e-3)
