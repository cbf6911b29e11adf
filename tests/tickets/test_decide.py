"""A row's decision: the kernel turns a ticket, its rules' verdict and its waits into an Outcome, and says when
time alone next changes it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tickets import (
    Assignment,
    BusinessCalendar,
    Clock,
    DueKind,
    Pause,
    Problem,
    SlaState,
    Status,
    Thresholds,
    Ticket,
    decide,
    moments_of_change,
    running_clock,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = BusinessCalendar()  # Mon–Fri 09:00–18:00 in Shanghai
THRESHOLDS = Thresholds(due_soon_fraction=0.25, escalate_after_hours=4, cluster_threshold=3, cluster_days=7)
QUALITY = Assignment("Quality", "Li Lei", "li@quality.example")


@dataclass(frozen=True)
class Verdict:
    """What rule tabs decide, as the kernel's RuleDecision protocol asks."""

    grade: str | None = "B"
    assignment: Assignment | None = QUALITY
    response_hours: float | None = 2
    resolution_hours: float | None = 8
    follow_up_hours: float | None = 48
    clock: Clock | None = Clock.ALWAYS
    fired: tuple[str, ...] = ("G3", "O1", "D2")
    problems: tuple[Problem, ...] = ()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def ticket(**fields) -> Ticket:
    return Ticket(row=2, **({"ticket_id": "CS-1", "received": at(23, 9), "status": Status.NEW} | fields))


def decided(the_ticket: Ticket, now: datetime, verdict: Verdict = Verdict(), **options):
    return decide(the_ticket, verdict, calendar=CALENDAR, now=now, thresholds=THRESHOLDS, **options)


def test_a_new_ticket_gets_its_grade_owner_due_times_and_sla_state():
    outcome = decided(ticket(), at(23, 10))
    assert (outcome.grade, outcome.assignment, outcome.rules) == ("B", QUALITY, ("G3", "O1", "D2"))
    assert (outcome.deadlines.response_due, outcome.deadlines.resolution_due) == (at(23, 11), at(23, 17))
    assert (outcome.sla, outcome.escalation) == (SlaState.ON_TRACK, 0)


def test_an_overdue_ticket_escalates_by_the_thresholds_on_its_clock():
    assert [decided(ticket(), at(23, 11) + timedelta(hours=hours)).escalation for hours in (0.5, 4.5, 8.5)] == [
        1, 2, 3]


def test_a_finished_wait_on_the_customer_pushes_the_due_times_back_and_an_ongoing_one_holds_them():
    wait = Pause(at(23, 10), at(23, 13))
    resumed = decided(ticket(status=Status.ACTION, first_response=at(23, 9, 30)), at(23, 14), waits=[wait])
    assert resumed.deadlines.resolution_due == at(23, 20)
    still_waiting = decided(ticket(status=Status.WAITING, first_response=at(23, 9, 30)), at(23, 14),
                            waits=[Pause(at(23, 10))])
    assert (still_waiting.deadlines.resolution_due, still_waiting.sla) == (at(23, 17), SlaState.PAUSED)


def test_the_rows_problems_come_before_the_verdicts_and_a_duplicate_is_closed_without_rules():
    row_problem, rule_problem = Problem("tier", "unknown_choice"), Problem("grade", "no_rule")
    outcome = decided(ticket(), at(23, 10), Verdict(problems=(rule_problem,)), problems=[row_problem])
    assert outcome.problems == (row_problem, rule_problem)
    duplicate = decided(ticket(status=Status.DUPLICATE), at(23, 10), problems=[row_problem])
    assert (duplicate.sla, duplicate.grade, duplicate.deadlines, duplicate.problems) == (
        SlaState.CLOSED, None, None, (row_problem,))


def test_reminders_run_on_the_due_the_sla_column_speaks_of_and_never_for_a_waiting_ticket():
    outcome = decided(ticket(first_response=at(23, 9, 30), status=Status.ACTION), at(23, 10))
    running = running_clock(outcome)
    assert (running.kind, running.due) == (DueKind.RESOLUTION, at(23, 17))
    waiting = replace(outcome, ticket=outcome.ticket.model_copy(update={"status": Status.WAITING}))
    assert running_clock(waiting) is None


def test_time_changes_a_row_when_it_turns_due_soon_overdue_escalated_and_leaves_its_cluster():
    outcome = replace(decided(ticket(), at(23, 9, 10)), similar_7d=3)
    moments = sorted(moments_of_change(outcome, CALENDAR, at(23, 9, 10), THRESHOLDS))
    just_after = timedelta(microseconds=1)
    assert moments == [
        at(23, 10, 29),  # due soon a minute early: a quarter of the 2 hours left
        at(23, 11) + just_after,  # overdue
        at(23, 15) + just_after,  # escalated to the manager: more than 4 hours overdue
        at(23, 19) + just_after,  # to the admin: more than 8 hours
        at(30, 9),  # the cluster's 7 days are over
    ]
