"""SLA maths: due times pushed back by pauses, SLA states, escalation levels, hours open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.calendar import BusinessCalendar
from tickets.model import Ticket
from tickets.outcome import Clock, Deadlines, SlaState
from tickets.sla import (
    DueKind,
    Pause,
    compute_deadlines,
    due_with_pauses,
    escalation_level,
    hours_open,
    pending_due,
    sla_state,
)
from tickets.status import Status

SHANGHAI = ZoneInfo("Asia/Shanghai")
BUSINESS, ALWAYS = Clock.BUSINESS, Clock.ALWAYS
CALENDAR = BusinessCalendar()  # Asia/Shanghai, Mon–Fri 09:00–18:00
FRACTION = 0.2


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in November 2026 (Monday the 23rd to Friday the 27th is the working week used here)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


MONDAY_9 = at(11, 23, 9)


def deadlines_for(
    received: datetime = MONDAY_9,
    response: float | None = 4,
    resolution: float | None = 27,
    follow_up: float | None = None,
    clock: Clock = BUSINESS,
    pauses: list[Any] | None = None,
    resolved: datetime | None = None,
    now: datetime = MONDAY_9,
) -> Deadlines:
    return compute_deadlines(
        received, response, resolution, follow_up, clock, CALENDAR, pauses or [], resolved, now=now
    )


def ticket(**fields: Any) -> Ticket:
    return Ticket(row=2, **({"received": MONDAY_9, "status": Status.NEW} | fields))


# --- Due times ----------------------------------------------------------------------------------------------


def test_response_and_resolution_count_business_hours_from_received() -> None:
    deadlines = deadlines_for()
    assert deadlines.clock is BUSINESS
    assert deadlines.response_due == at(11, 23, 13)
    assert deadlines.resolution_due == at(11, 25, 18)
    assert deadlines.follow_up_due is None


def test_friday_17_00_plus_4_business_hours_is_due_monday_12_00() -> None:
    assert deadlines_for(received=at(11, 20, 17)).response_due == at(11, 23, 12)


def test_a_ticket_that_waited_two_working_days_has_its_dues_moved_back_exactly_two_working_days() -> None:
    two_working_days = Pause(at(11, 23, 10), at(11, 25, 10))  # Monday 10:00 to Wednesday 10:00
    plain = deadlines_for()
    paused = deadlines_for(pauses=[two_working_days], now=at(11, 26, 9))
    assert paused.response_due == at(11, 25, 13)
    assert paused.resolution_due == at(11, 27, 18)
    for before, after in (
        (plain.response_due, paused.response_due),
        (plain.resolution_due, paused.resolution_due),
    ):
        assert before is not None and after is not None
        assert CALENDAR.hours_between(before, after, BUSINESS) == 18


def test_a_pause_over_a_weekend_moves_business_dues_by_its_working_hours_only() -> None:
    friday_evening_to_monday_evening = Pause(at(11, 20, 20), at(11, 23, 20))
    deadlines = deadlines_for(
        received=at(11, 20, 9), pauses=[friday_evening_to_monday_evening], now=at(11, 24)
    )
    assert deadlines.resolution_due == at(11, 25, 18)  # 27 h from Friday 09:00 is Tuesday 18:00, plus Monday


def test_on_the_24x7_clock_a_pause_moves_dues_by_its_real_length() -> None:
    deadlines = deadlines_for(
        response=None, resolution=24, clock=ALWAYS, pauses=[(at(11, 23, 12), at(11, 25, 12))], now=at(11, 26)
    )
    assert deadlines.response_due is None
    assert deadlines.resolution_due == at(11, 26, 9)


def test_a_pause_that_began_after_the_due_moves_nothing() -> None:
    late_pause = Pause(at(11, 23, 14), at(11, 24, 14))
    deadlines = deadlines_for(pauses=[late_pause], now=at(11, 25))
    assert deadlines.response_due == at(11, 23, 13)
    assert deadlines.resolution_due == at(11, 26, 18)  # the resolution due was still ahead: 9 working h later


def test_an_ongoing_pause_counts_up_to_now() -> None:
    still_waiting = Pause(at(11, 23, 10))
    deadlines = deadlines_for(pauses=[still_waiting], now=at(11, 24, 15))
    # 1 h before the pause, then 3 h after "now" (Tuesday 15:00).
    assert deadlines.response_due == at(11, 24, 18)


def test_overlapping_pauses_count_once_and_a_pause_before_received_counts_from_received() -> None:
    overlapping = [(at(11, 23, 10), at(11, 24, 10)), (at(11, 23, 12), at(11, 25, 10))]
    assert deadlines_for(pauses=overlapping, now=at(11, 26)).response_due == at(11, 25, 13)
    from_sunday = [Pause(at(11, 22, 12), at(11, 23, 10))]
    assert deadlines_for(pauses=from_sunday, now=at(11, 26)).response_due == at(11, 23, 14)


def test_naive_pauses_and_moments_are_in_the_calendar_zone() -> None:
    naive = [(datetime(2026, 11, 23, 10), datetime(2026, 11, 25, 10))]
    deadlines = compute_deadlines(
        datetime(2026, 11, 23, 9), 4, 27, None, BUSINESS, CALENDAR, naive, None, now=at(11, 26)
    )
    assert deadlines.resolution_due == at(11, 27, 18)


def test_follow_up_counts_real_hours_from_resolved_48_by_default_whatever_the_rules_clock() -> None:
    resolved = at(11, 25, 15)
    assert deadlines_for(clock=ALWAYS, resolved=resolved).follow_up_due == at(11, 27, 15)
    assert deadlines_for(clock=BUSINESS, resolved=resolved).follow_up_due == at(11, 27, 15)
    assert deadlines_for(clock=BUSINESS, follow_up=72, resolved=at(11, 27, 17)).follow_up_due == at(
        11, 30, 17
    )


def test_follow_up_is_not_pushed_back_by_pauses() -> None:
    deadlines = deadlines_for(
        clock=ALWAYS, pauses=[Pause(at(11, 25, 16), at(11, 26, 16))], resolved=at(11, 25, 15), now=at(11, 28)
    )
    assert deadlines.follow_up_due == at(11, 27, 15)


def test_a_due_without_hours_or_without_received_is_none() -> None:
    assert deadlines_for(response=None, resolution=None).response_due is None
    no_received = compute_deadlines(None, 4, 27, None, BUSINESS, CALENDAR, [], None, now=MONDAY_9)
    assert (no_received.response_due, no_received.resolution_due, no_received.follow_up_due) == (
        None,
        None,
        None,
    )


def test_negative_hours_are_refused() -> None:
    with pytest.raises(ValueError):
        deadlines_for(response=-1)


PAUSE_POINTS = st.lists(
    st.integers(min_value=0, max_value=60 * 24 * 40), min_size=0, max_size=8, unique=True
).map(sorted)


@settings(max_examples=300, deadline=None)
@given(
    hours=st.floats(min_value=0, max_value=200).map(lambda hours: round(hours, 3)),
    points=PAUSE_POINTS,
    clock=st.sampled_from([BUSINESS, ALWAYS]),
)
def test_a_due_is_the_moment_the_unpaused_hours_add_up_to_the_target(
    hours: float, points: list[int], clock: Clock
) -> None:
    moments = [MONDAY_9 + timedelta(minutes=minutes) for minutes in points]
    pauses = list(zip(moments[0::2], moments[1::2], strict=False))
    due = due_with_pauses(MONDAY_9, hours, clock, CALENDAR, reversed(pauses))
    paused = sum(CALENDAR.hours_between(start, min(end, due), clock) for start, end in pauses if start < due)
    assert CALENDAR.hours_between(MONDAY_9, due, clock) - paused == pytest.approx(hours, abs=1e-6)
    assert due >= due_with_pauses(MONDAY_9, hours, clock, CALENDAR, [])


# --- SLA state ----------------------------------------------------------------------------------------------

# Received Monday 09:00: response due Monday 13:00 (4 h), resolution due Wednesday 18:00 (27 h), business clock.
DEADLINES = Deadlines(BUSINESS, response_due=at(11, 23, 13), resolution_due=at(11, 25, 18))


def state(now: datetime, deadlines: Deadlines = DEADLINES, **fields: Any) -> SlaState:
    return sla_state(ticket(**fields), deadlines, now, FRACTION, CALENDAR)


def test_a_new_ticket_well_before_its_response_due_is_on_track() -> None:
    assert state(at(11, 23, 10)) is SlaState.ON_TRACK


def test_a_new_ticket_with_a_fifth_of_its_response_time_left_is_due_soon() -> None:
    assert state(at(11, 23, 12, 15)) is SlaState.DUE_SOON  # 0.75 of 4 h left
    assert state(at(11, 23, 12, 10)) is SlaState.ON_TRACK  # 0.83 of 4 h left


def test_a_ticket_without_a_first_response_past_its_response_due_is_overdue() -> None:
    assert state(at(11, 23, 13, 1)) is SlaState.OVERDUE
    assert state(at(11, 23, 13)) is SlaState.DUE_SOON  # due at 13:00 is not yet overdue at 13:00


def test_after_the_first_response_the_resolution_due_is_what_counts() -> None:
    responded = {"status": Status.INVESTIGATING, "first_response": at(11, 23, 14)}
    assert state(at(11, 24, 12), **responded) is SlaState.ON_TRACK  # 15 of 27 h left
    assert state(at(11, 25, 14), **responded) is SlaState.DUE_SOON  # 4 of 27 h left
    assert state(at(11, 25, 18, 1), **responded) is SlaState.OVERDUE


def test_on_the_business_clock_a_weekend_is_not_time_left() -> None:
    friday = Deadlines(BUSINESS, response_due=at(11, 23, 10), resolution_due=at(11, 25, 18))
    saturday_noon = at(11, 21, 12)
    assert state(saturday_noon, friday, received=at(11, 20, 11)) is SlaState.DUE_SOON  # 1 of 8 working h left
    always = Deadlines(ALWAYS, response_due=at(11, 23, 10), resolution_due=at(11, 25, 18))
    assert state(saturday_noon, always, received=at(11, 20, 11)) is SlaState.ON_TRACK  # 46 of 71 real h left


def test_a_ticket_waiting_on_the_customer_is_paused_even_past_its_due() -> None:
    assert state(at(11, 30), status=Status.WAITING) is SlaState.PAUSED


@pytest.mark.parametrize("status", [Status.CLOSED, Status.DUPLICATE])
def test_closed_and_duplicate_tickets_are_closed(status: Status) -> None:
    assert state(at(11, 30), status=status) is SlaState.CLOSED


def test_a_ticket_resolved_by_its_resolution_due_is_met_and_after_it_met_late() -> None:
    done = {"status": Status.FOLLOWED_UP, "first_response": at(11, 23, 10), "follow_up": at(11, 27, 10)}
    assert state(at(11, 30), resolved=at(11, 25, 18), **done) is SlaState.MET
    assert state(at(11, 30), resolved=at(11, 25, 18, 1), **done) is SlaState.MET_LATE


def test_a_resolved_ticket_without_its_follow_up_is_overdue_once_follow_up_due_passes() -> None:
    deadlines = Deadlines(BUSINESS, at(11, 23, 13), at(11, 25, 18), follow_up_due=at(11, 27, 15))
    resolved = {"status": Status.RESOLVED, "first_response": at(11, 23, 10), "resolved": at(11, 25, 15)}
    assert state(at(11, 26, 9), deadlines, **resolved) is SlaState.MET
    assert state(at(11, 27, 12), deadlines, **resolved) is SlaState.DUE_SOON  # 3 of 48 real h left
    assert state(at(11, 27, 16), deadlines, **resolved) is SlaState.OVERDUE
    assert state(at(11, 27, 16), deadlines, follow_up=at(11, 27, 11), **resolved) is SlaState.MET


def test_a_follow_up_due_soon_and_overdue_count_real_hours_over_a_weekend() -> None:
    # Fixed Friday 17:00, follow-up due Sunday 17:00: the weekend counts, whatever the rule's clock.
    fixed_on_friday = ticket(
        received=at(11, 20, 9), status=Status.RESOLVED, first_response=at(11, 20, 10), resolved=at(11, 20, 17)
    )
    deadlines = Deadlines(BUSINESS, at(11, 20, 13), at(11, 20, 18), follow_up_due=at(11, 22, 17))
    sunday_morning, sunday_evening = at(11, 22, 9), at(11, 22, 21)
    assert sla_state(fixed_on_friday, deadlines, sunday_morning, FRACTION, CALENDAR) is SlaState.DUE_SOON
    assert sla_state(fixed_on_friday, deadlines, sunday_evening, FRACTION, CALENDAR) is SlaState.OVERDUE
    four_hours_late = escalation_level(
        fixed_on_friday, deadlines, sunday_evening, SlaState.OVERDUE, 1.5, CALENDAR
    )
    assert four_hours_late == 3


def test_a_resolved_ticket_without_a_resolved_time_is_judged_as_resolved_now() -> None:
    resolved = {"status": Status.RESOLVED, "first_response": at(11, 23, 10)}
    assert state(at(11, 25, 17), **resolved) is SlaState.MET
    assert state(at(11, 26, 9), **resolved) is SlaState.MET_LATE


def test_an_open_ticket_without_deadlines_is_on_track() -> None:
    assert state(at(11, 30), Deadlines(BUSINESS)) is SlaState.ON_TRACK


def test_every_sla_state_is_reachable() -> None:
    follow_up = Deadlines(BUSINESS, at(11, 23, 13), at(11, 25, 18), at(11, 27, 15))
    reached = {
        state(at(11, 23, 10)),
        state(at(11, 23, 12, 30)),
        state(at(11, 23, 14)),
        state(at(11, 23, 14), status=Status.WAITING),
        state(at(11, 23, 14), status=Status.DUPLICATE),
        state(at(11, 26), follow_up, status=Status.RESOLVED, resolved=at(11, 25, 12)),
        state(at(11, 26, 12), follow_up, status=Status.RESOLVED, resolved=at(11, 26, 11)),
    }
    assert reached == set(SlaState)


def test_pending_due_names_which_due_is_being_worked_toward() -> None:
    follow_up = Deadlines(BUSINESS, at(11, 23, 13), at(11, 25, 18), at(11, 27, 15))
    assert pending_due(ticket(), follow_up).kind is DueKind.RESPONSE
    assert pending_due(ticket(first_response=at(11, 23, 10)), follow_up).kind is DueKind.RESOLUTION
    awaiting_follow_up = pending_due(ticket(status=Status.RESOLVED, resolved=at(11, 25, 15)), follow_up)
    assert awaiting_follow_up is not None
    assert (awaiting_follow_up.kind, awaiting_follow_up.clock) == (DueKind.FOLLOW_UP, ALWAYS)
    assert pending_due(ticket(status=Status.FOLLOWED_UP), follow_up) is None
    odd_rule = Deadlines(BUSINESS, response_due=at(11, 25, 18), resolution_due=at(11, 24, 18))
    assert pending_due(ticket(), odd_rule).kind is DueKind.RESOLUTION  # the earliest pending due counts


# --- Escalation ---------------------------------------------------------------------------------------------

RESPONDED = {"status": Status.ACTION, "first_response": at(11, 23, 10)}


def level(now: datetime, deadlines: Deadlines = DEADLINES, escalate_after: float = 4, **fields: Any) -> int:
    the_ticket = ticket(**(RESPONDED | fields))
    current = sla_state(the_ticket, deadlines, now, FRACTION, CALENDAR)
    return escalation_level(the_ticket, deadlines, now, current, escalate_after, CALENDAR)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(11, 25, 17), 0),  # due soon, not overdue
        (at(11, 26, 10), 1),  # overdue by 1 working hour
        (at(11, 26, 13), 1),  # overdue by exactly 4: not more than
        (at(11, 26, 13, 1), 2),  # the manager
        (at(11, 26, 17, 1), 3),  # more than 8: the admin
    ],
)
def test_escalation_climbs_with_the_working_hours_overdue(now: datetime, expected: int) -> None:
    assert level(now) == expected


def test_a_business_clock_ticket_does_not_escalate_over_the_weekend_but_a_24x7_one_does() -> None:
    friday_due = {"received": at(11, 20, 9)}
    business = Deadlines(BUSINESS, at(11, 20, 10), at(11, 20, 17))
    always = Deadlines(ALWAYS, at(11, 20, 10), at(11, 20, 17))
    monday_morning = at(11, 23, 9, 30)
    assert level(monday_morning, business, **friday_due) == 1  # 1.5 working hours
    assert level(monday_morning, always, **friday_due) == 3  # 64.5 real hours


def test_a_paused_ticket_does_not_escalate() -> None:
    assert level(at(11, 30), status=Status.WAITING) == 0


# --- Hours open ---------------------------------------------------------------------------------------------


def test_hours_open_counts_real_hours_to_now_or_to_the_end() -> None:
    assert hours_open(MONDAY_9, at(11, 24, 10)) == 25
    assert hours_open(MONDAY_9, at(11, 24, 10), at(11, 23, 12)) == 3


def test_hours_open_reads_naive_moments_in_the_zone_and_is_never_negative() -> None:
    assert hours_open(datetime(2026, 11, 23, 9), datetime(2026, 11, 23, 2, tzinfo=UTC)) == 1
    assert hours_open(at(11, 24), MONDAY_9) == 0
