"""Which reminders are due, for which clock, to whom."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from mailers import ReminderSettings, Role, Stage, plan_reminders
from tests.mailers.builders import ADMIN, QUALITY, SERVICE, at, make_outcome
from tickets import DueKind
from tickets.outcome import Clock, SlaState
from tickets.status import Status

SETTINGS = ReminderSettings(admin_email=ADMIN)


def ladder(outcomes, settings, now):
    """The due reminders on the deadline ladder (the once-only dispatch notice left out)."""
    reminders = plan_reminders(outcomes, settings, now).reminders
    return tuple(reminder for reminder in reminders if reminder.stage is not Stage.DISPATCH)


def stages(outcome, now, settings=SETTINGS):
    """The due (stage, repeat, recipient) triples on the ladder, least advanced stage first."""
    reminders = ladder([outcome], settings, now)
    found = [(reminder.stage, reminder.repeat, reminder.recipient) for reminder in reminders]
    return sorted(found, key=lambda triple: triple[0].rank)


def test_an_on_track_ticket_gets_nothing():
    assert stages(make_outcome("CS-1"), at(23, 12)) == []


def test_a_ticket_with_a_quarter_of_its_time_left_gets_a_due_soon_warning():
    assert stages(make_outcome("CS-1"), at(23, 15)) == [(Stage.DUE_SOON, 0, "li@quality.example")]


def test_the_kernels_due_soon_state_counts_even_when_wall_time_says_otherwise():
    outcome = make_outcome("CS-1", sla=SlaState.DUE_SOON)
    assert stages(outcome, at(23, 10)) == [(Stage.DUE_SOON, 0, "li@quality.example")]


def test_a_passed_deadline_gives_an_overdue_notice_then_numbered_repeats_and_escalations():
    outcome = make_outcome("CS-1")
    assert stages(outcome, at(23, 17)) == [(Stage.OVERDUE, 0, "li@quality.example")]
    assert stages(outcome, at(24, 17)) == [(Stage.REPEAT, 1, "li@quality.example")]  # escalates after 24 h
    assert stages(outcome, at(24, 18)) == [
        (Stage.REPEAT, 1, "li@quality.example"),
        (Stage.ESCALATION, 0, "wang@quality.example"),
    ]
    assert stages(outcome, at(25, 18)) == [
        (Stage.REPEAT, 2, "li@quality.example"),
        (Stage.ESCALATION, 0, "wang@quality.example"),
        (Stage.ADMIN_ESCALATION, 0, ADMIN),
    ]


@pytest.mark.parametrize("status", [Status.CLOSED, Status.DUPLICATE, Status.FOLLOWED_UP, Status.WAITING])
def test_closed_duplicate_followed_up_and_paused_tickets_get_nothing(status):
    assert stages(make_outcome("CS-1", status=status), at(25, 17)) == []


def test_a_row_without_a_ticket_id_yet_gets_nothing():
    outcome = make_outcome("CS-1")
    outcome = replace(outcome, ticket=outcome.ticket.model_copy(update={"ticket_id": None}))
    assert stages(outcome, at(25, 17)) == []


def test_the_response_clock_runs_until_the_first_response():
    outcome = make_outcome("CS-1", status=Status.NEW, response_due=at(23, 11))
    (reminder,) = ladder([outcome], SETTINGS, at(23, 12))
    assert (reminder.deadline, reminder.stage, reminder.due) == (
        DueKind.RESPONSE,
        Stage.OVERDUE,
        at(23, 11),
    )

    answered = make_outcome("CS-1", response_due=at(23, 11), first_response=at(23, 10))
    assert ladder([answered], SETTINGS, at(23, 12)) == ()


def test_a_resolved_ticket_runs_the_follow_up_clock_until_it_is_followed_up():
    resolved = make_outcome(
        "CS-1",
        status=Status.RESOLVED,
        resolved=at(23, 12),
        follow_up_due=at(25, 12),
        resolution_due=at(23, 17),
    )
    (reminder,) = ladder([resolved], SETTINGS, at(25, 1))
    assert (reminder.deadline, reminder.stage) == (DueKind.FOLLOW_UP, Stage.DUE_SOON)

    visited = make_outcome(
        "CS-1", status=Status.RESOLVED, resolved=at(23, 12), follow_up_due=at(25, 12), follow_up=at(24, 9)
    )
    assert ladder([visited], SETTINGS, at(25, 13)) == ()


def test_the_deputy_stands_in_for_a_liaison_without_a_valid_email():
    outcome = make_outcome("CS-1", replace(QUALITY, liaison_email="li at quality"))
    (reminder,) = ladder([outcome], SETTINGS, at(23, 17))
    assert (reminder.recipient, reminder.role) == ("deputy@quality.example", Role.DEPUTY)


def test_the_admin_is_the_last_resort_and_in_their_own_language():
    nobody = replace(QUALITY, liaison_email=None, deputy_email="", manager_email="n/a", language="zh")
    settings = ReminderSettings(admin_email=ADMIN, admin_language="en")
    reminders = ladder([make_outcome("CS-1", nobody)], settings, at(24, 17))
    assert {(reminder.recipient, reminder.role, reminder.language) for reminder in reminders} == {
        (ADMIN, Role.ADMIN, "en")
    }


def test_a_ticket_nobody_can_be_told_about_is_reported_as_unaddressed():
    nobody = replace(QUALITY, liaison_email=None, deputy_email=None)
    plan = plan_reminders([make_outcome("CS-1", nobody)], ReminderSettings(), at(23, 17))
    assert plan.reminders == () and plan.unaddressed == ("CS-1",)


def test_a_moved_deadline_re_arms_the_reminders():
    before = ladder([make_outcome("CS-1")], SETTINGS, at(23, 17, 30))
    after = plan_reminders(
        [make_outcome("CS-1", resolution_due=at(23, 17, 15))], SETTINGS, at(23, 17, 30)
    ).reminders
    assert before[0].key != after[0].key
    assert before[0].key == "CS-1|resolution|overdue|2026-11-23T09:00:00+00:00|li@quality.example"


def test_every_stage_of_a_24x7_clock_is_urgent_and_no_business_clock_stage_is():
    safety = make_outcome("CS-1", clock=Clock.ALWAYS)
    business = make_outcome("CS-2")
    for moment in (at(23, 12), at(23, 16), at(24, 17)):  # dispatch only; due soon; repeat and escalations
        reminders = plan_reminders([safety, business], SETTINGS, moment).reminders
        urgent = {reminder.ticket_id for reminder in reminders if reminder.urgent}
        assert urgent == {"CS-1"}
        assert all(reminder.urgent for reminder in reminders if reminder.ticket_id == "CS-1")
    stages_at_16 = {r.stage for r in plan_reminders([safety], SETTINGS, at(23, 16)).reminders}
    assert stages_at_16 == {Stage.DISPATCH, Stage.DUE_SOON}


# -- dispatch, second follow-up, action due ------------------------------------------------------------


def test_an_open_ticket_with_a_department_is_dispatched_to_its_liaison_once_per_recipient():
    (dispatch,) = plan_reminders([make_outcome("CS-1")], SETTINGS, at(23, 12)).reminders
    assert (dispatch.stage, dispatch.recipient, dispatch.role) == (Stage.DISPATCH, "li@quality.example", Role.LIAISON)
    # Keyed by ticket and recipient alone: a moved due time does not dispatch it again ...
    moved = plan_reminders([make_outcome("CS-1", resolution_due=at(24, 17))], SETTINGS, at(23, 12)).reminders
    assert moved[0].key == dispatch.key == "CS-1|dispatch|li@quality.example"
    # ... another department's liaison is told too.
    (other,) = plan_reminders([make_outcome("CS-1", SERVICE)], SETTINGS, at(23, 12)).reminders
    assert other.key == "CS-1|dispatch|zhang@service.example" and other.language == "zh"


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED, Status.DUPLICATE])
def test_a_ticket_already_resolved_is_not_dispatched(status):
    outcome = make_outcome("CS-1", status=status, resolved=at(23, 10), follow_up_due=at(30, 10))
    assert Stage.DISPATCH not in {r.stage for r in plan_reminders([outcome], SETTINGS, at(23, 12)).reminders}


def test_a_ticket_without_a_department_is_not_dispatched():
    assert plan_reminders([make_outcome("CS-1", None)], SETTINGS, at(23, 12)).reminders == ()


def test_a_low_score_runs_the_second_follow_up_clock_until_the_second_follow_up():
    low = dict(status=Status.FOLLOWED_UP, resolved=at(23, 12), follow_up_due=at(25, 12), follow_up=at(24, 10),
               satisfaction=4, second_follow_up_due=at(26, 10))
    # 48 real hours from the follow-up at 24th 10:00: due 26th 10:00; due soon from 25th 22:00, overdue after.
    assert stages(make_outcome("CS-1", **low), at(25, 21)) == []
    (soon,) = ladder([make_outcome("CS-1", **low)], SETTINGS, at(25, 23))
    assert (soon.deadline, soon.stage, soon.due) == (DueKind.SECOND_FOLLOW_UP, Stage.DUE_SOON, at(26, 10))
    (late,) = ladder([make_outcome("CS-1", **low)], SETTINGS, at(26, 11))
    assert (late.deadline, late.stage) == (DueKind.SECOND_FOLLOW_UP, Stage.OVERDUE)
    done = make_outcome("CS-1", **low, second_follow_up=at(25, 9))
    assert ladder([done], SETTINGS, at(26, 11)) == ()


def test_an_action_due_that_passes_before_resolved_reminds_the_liaison_naming_the_owner():
    outcome = make_outcome("CS-1", action_due=at(24, 12), action_owner="Zhou Min", resolution_due=at(30, 17))
    assert [r for r in ladder([outcome], SETTINGS, at(24, 11)) if r.deadline is DueKind.ACTION] == []
    (late,) = ladder([outcome], SETTINGS, at(24, 13))
    assert (late.deadline, late.stage, late.due, late.recipient) == (
        DueKind.ACTION, Stage.OVERDUE, at(24, 12), "li@quality.example"
    )
    assert late.outcome.ticket.action_owner == "Zhou Min"
    (again,) = ladder([outcome], SETTINGS, at(25, 13))  # repeat_hours = 24
    assert (again.stage, again.repeat) == (Stage.REPEAT, 1)
    resolved = make_outcome("CS-1", status=Status.RESOLVED, resolved=at(24, 14), action_due=at(24, 12))
    assert [r for r in ladder([resolved], SETTINGS, at(25, 13)) if r.deadline is DueKind.ACTION] == []


def test_the_plan_counts_open_tickets_and_overdue_clocks_for_the_breaker():
    plan = plan_reminders(
        [make_outcome("CS-1"), make_outcome("CS-2", status=Status.CLOSED)], SETTINGS, at(23, 18)
    )
    assert plan.open_tickets == 1
    assert plan.overdue_clocks == {"CS-1|resolution|2026-11-23T09:00:00+00:00"}


def test_without_the_sheets_escalation_the_kernels_steps_count_wall_clock_hours_overdue():
    outcome = make_outcome("CS-1")  # due at(23, 17); no Escalation column value
    late = {hours: stages(outcome, at(23, 17) + timedelta(hours=hours)) for hours in (23.9, 24.1, 47.9, 48.1)}
    assert [Stage.ESCALATION in {stage for stage, _, _ in found} for found in late.values()] == [
        False, True, True, True]
    assert [Stage.ADMIN_ESCALATION in {stage for stage, _, _ in found} for found in late.values()] == [
        False, False, False, True]


def test_the_sheets_escalation_column_decides_who_is_escalated_to():
    outcome = replace(make_outcome("CS-1"), escalation=1)  # on the business clock it is only just overdue
    assert stages(outcome, at(25, 18)) == [(Stage.REPEAT, 2, "li@quality.example")]


def test_reminders_speak_of_the_due_the_sla_column_speaks_of_the_earliest_pending_one():
    odd_rule = make_outcome("CS-1", status=Status.NEW, response_due=at(23, 20), resolution_due=at(23, 17))
    (reminder,) = ladder([odd_rule], SETTINGS, at(23, 18))
    assert (reminder.deadline, reminder.due) == (DueKind.RESOLUTION, at(23, 17))
