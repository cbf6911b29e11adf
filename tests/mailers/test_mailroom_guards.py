"""The mailroom's guards, with the memory transport: quiet hours, first run, circuit breaker, retries and
dead messages, cluster alerts, the daily digest, dry runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from mailers import AlwaysWorking, Mailroom, MailSettings, MemoryTransport, ReminderSettings, TransportError
from tests.mailers.builders import ADMIN, QUALITY, SERVICE, OfficeHours, at, make_outcome
from tickets.outcome import Clock


def recipients(messages):
    return sorted(str(message["To"].addresses[0].addr_spec) for message in messages)


def subjects(messages):
    return sorted(str(message["Subject"]) for message in messages)


@pytest.fixture
def transport():
    return MemoryTransport()


@pytest.fixture
def mailroom(ledger, transport):
    return Mailroom(ReminderSettings(admin_email=ADMIN), MailSettings(transport="memory"), ledger, transport)


def settle(mailroom, outcomes, now):
    """Run one cycle so later cycles are not the first run and the breaker has a baseline; the tickets'
    dispatch notices go out here and are forgotten by the transport, so tests see only what follows."""
    report = mailroom.run_cycle(outcomes, now, AlwaysWorking())
    mailroom.transport.sent.clear()
    return report


# -- quiet hours --------------------------------------------------------------------------------------------


def test_quiet_hours_hold_non_urgent_reminders_until_working_time(mailroom, transport):
    outcomes = [make_outcome("CS-1", resolution_due=at(23, 20))]  # overdue at 20:00, on a business clock
    settle(mailroom, outcomes, at(23, 12))

    night = mailroom.run_cycle(outcomes, at(23, 21), OfficeHours())
    morning = mailroom.run_cycle(outcomes, at(24, 9, 5), OfficeHours())

    assert night.sent == [] and night.queued_quiet == 1 and night.quiet_until == at(24, 9)
    assert len(morning.sent) == 1 and recipients(transport.sent) == ["li@quality.example"]


def test_a_24x7_tickets_overdue_notice_goes_out_at_night(mailroom, transport):
    safety = make_outcome("CS-SAFE", resolution_due=at(23, 20), clock=Clock.ALWAYS)
    settle(mailroom, [safety], at(23, 12))

    night = mailroom.run_cycle([safety], at(23, 21), OfficeHours())

    assert len(night.sent) == 1 and night.queued_quiet == 0


def test_quiet_hours_can_be_switched_off(ledger, transport):
    settings = ReminderSettings(admin_email=ADMIN, quiet_hours=False)
    mailroom = Mailroom(settings, MailSettings(transport="memory"), ledger, transport)

    report = mailroom.run_cycle([make_outcome("CS-1", resolution_due=at(23, 20))], at(23, 21), OfficeHours())

    assert len(report.sent) == 1


# -- first run ---------------------------------------------------------------------------------------------


def test_the_first_run_over_a_sheet_with_many_overdue_tickets_sends_one_summary_per_person(
    mailroom, transport
):
    outcomes = [make_outcome(f"CS-Q-{number}", QUALITY, resolution_due=at(20, 17)) for number in range(4)]
    outcomes += [make_outcome(f"CS-S-{number}", SERVICE, resolution_due=at(23, 16)) for number in range(2)]

    first = mailroom.run_cycle(outcomes, at(23, 17), AlwaysWorking())
    second = mailroom.run_cycle(outcomes, at(23, 17, 5), AlwaysWorking())

    assert first.summary
    assert subjects(transport.sent) == [
        "Summary: 4 escalated — Quality",
        "Summary: 4 escalated — Quality",
        "Summary: 4 overdue — Quality",
        "汇总：2 项已超时 — 售后服务部",
    ]
    assert recipients(transport.sent) == [
        ADMIN,
        "li@quality.example",
        "wang@quality.example",
        "zhang@service.example",
    ]
    assert "now watches this sheet" in transport.sent[0].get_body(("plain",)).get_content()
    assert second.sent == [] and second.composed == []


def test_a_first_run_with_few_overdue_tickets_sends_ordinary_digests(mailroom, transport):
    report = mailroom.run_cycle([make_outcome("CS-1")], at(23, 17, 10), AlwaysWorking())

    assert not report.summary and subjects(transport.sent) == ["1 overdue — Quality"]


# -- circuit breaker -----------------------------------------------------------------------------------------


def twelve_tickets(due):
    return [make_outcome(f"CS-{number:02}", resolution_due=due) for number in range(12)]


def test_many_tickets_turning_overdue_at_once_hold_all_reminders_and_tell_the_admin_once(mailroom, transport):
    settle(mailroom, twelve_tickets(at(23, 17)), at(23, 12))

    tripped = mailroom.run_cycle(twelve_tickets(at(23, 12, 30)), at(23, 12, 35), AlwaysWorking())
    still = mailroom.run_cycle(twelve_tickets(at(23, 12, 30)), at(23, 12, 40), AlwaysWorking())

    assert tripped.breaker_tripped and tripped.held == 12
    assert recipients(transport.sent) == [ADMIN]
    assert "12 tickets turned overdue at once" in str(transport.sent[0]["Subject"])
    assert still.breaker_tripped and still.sent == []


def test_fixing_the_dates_releases_the_breaker(mailroom, transport):
    settle(mailroom, twelve_tickets(at(23, 17)), at(23, 12))
    mailroom.run_cycle(twelve_tickets(at(23, 12, 30)), at(23, 12, 35), AlwaysWorking())

    fixed = mailroom.run_cycle(twelve_tickets(at(23, 17)), at(23, 12, 40), AlwaysWorking())

    assert not fixed.breaker_tripped


def test_an_admin_can_release_the_breaker_and_the_held_reminders_go_out(mailroom, transport):
    settle(mailroom, twelve_tickets(at(23, 17)), at(23, 12))
    mailroom.run_cycle(twelve_tickets(at(23, 12, 30)), at(23, 12, 35), AlwaysWorking())

    assert mailroom.release_breaker()
    released = mailroom.run_cycle(twelve_tickets(at(23, 12, 30)), at(23, 12, 40), AlwaysWorking())

    assert not released.breaker_tripped
    assert subjects(released.composed) == ["12 overdue — Quality"]


def test_the_breaker_lets_go_after_its_hold_hours(mailroom):
    settle(mailroom, twelve_tickets(at(23, 17)), at(23, 12))
    mailroom.run_cycle(twelve_tickets(at(23, 12, 30)), at(23, 12, 35), AlwaysWorking())

    later = mailroom.run_cycle(twelve_tickets(at(23, 12, 30)), at(24, 12, 36), AlwaysWorking())

    assert not later.breaker_tripped and later.sent


def test_a_few_tickets_turning_overdue_do_not_trip_the_breaker(mailroom):
    settle(mailroom, twelve_tickets(at(23, 17))[:5], at(23, 12))

    report = mailroom.run_cycle(twelve_tickets(at(23, 12, 30))[:5], at(23, 12, 35), AlwaysWorking())

    assert not report.breaker_tripped and len(report.sent) == 1


# -- retries and dead messages -------------------------------------------------------------------------------


def test_after_max_failures_a_message_is_dropped_and_the_admin_is_told_once(ledger, transport):
    settings = ReminderSettings(admin_email=ADMIN, max_failures=3)
    mailroom = Mailroom(settings, MailSettings(transport="memory"), ledger, transport)
    transport.fail_with = TransportError("connection refused")
    now = at(23, 17, 10)
    reports = []
    for _ in range(3):
        reports.append(mailroom.run_cycle([make_outcome("CS-1")], now, AlwaysWorking()))
        now += timedelta(hours=1)
    transport.fail_with = None

    alerted = mailroom.run_cycle([make_outcome("CS-1")], now, AlwaysWorking())
    quiet = mailroom.run_cycle([make_outcome("CS-1")], now + timedelta(minutes=5), AlwaysWorking())

    assert [len(report.failed) for report in reports] == [1, 1, 1]
    assert reports[-1].dead == reports[0].failed
    assert recipients(transport.sent) == [ADMIN]
    assert "could not deliver 1 messages" in str(transport.sent[0]["Subject"])
    assert "connection refused" in transport.sent[0].get_body(("plain",)).get_content()
    assert len(alerted.sent) == 1 and quiet.sent == []


def test_a_permanent_error_drops_the_message_at_once(mailroom, transport):
    transport.fail_with = TransportError("550 no such user", permanent=True)

    report = mailroom.run_cycle([make_outcome("CS-1")], at(23, 17, 10), AlwaysWorking())

    assert report.dead == report.failed and len(report.dead) == 1


# -- clusters, daily digest, dry run ------------------------------------------------------------------------


def test_a_complaint_cluster_alerts_the_quality_lead_once_per_window(ledger, transport):
    settings = ReminderSettings(admin_email=ADMIN, quality_email="qa@desk.example", cluster_days=7)
    mailroom = Mailroom(settings, MailSettings(transport="memory"), ledger, transport)
    cluster = [  # the default threshold: 5 similar in 7 days (002)
        make_outcome(f"CS-{number}", similar_7d=5, product="Kettle K2", category="Leak")
        for number in range(5)
    ]
    below = [replace(outcome, similar_7d=4) for outcome in cluster[:4]]
    four = mailroom.run_cycle(below, at(23, 9), AlwaysWorking())
    assert not any("cluster" in str(message["Subject"]).lower() for message in four.composed)

    first = mailroom.run_cycle(cluster, at(23, 10), AlwaysWorking())
    same_week = mailroom.run_cycle(cluster, at(26, 10), AlwaysWorking())
    next_window = mailroom.run_cycle(cluster, at(30, 10), AlwaysWorking())

    def to_quality(report):
        return [message for message in report.composed if "qa@desk.example" in str(message["To"])]

    (alert,) = to_quality(first)
    assert str(alert["Subject"]) == "Complaint cluster: Kettle K2 · Leak"
    assert "Kettle K2 · Leak: 5 tickets (CS-0, CS-1, CS-2, CS-3, CS-4)" in alert.get_body(("plain",)).get_content()
    assert to_quality(same_week) == []
    assert len(to_quality(next_window)) == 1


def test_the_daily_digest_goes_to_every_manager_once_a_day(mailroom, transport):
    outcomes = [
        make_outcome("CS-Q", QUALITY, resolution_due=at(27, 17)),
        make_outcome("CS-S", SERVICE, resolution_due=at(27, 17)),
    ]

    def kpis(language):
        return {"未结工单": 2, "已超时": 0} if language == "zh" else {"Open tickets": 2, "Overdue": 0}

    settle(mailroom, outcomes, at(23, 6))  # the dispatch notices
    early = mailroom.run_cycle(outcomes, at(23, 7), AlwaysWorking(), daily_kpis=kpis, daily_digest_at=time(8))
    due = mailroom.run_cycle(
        outcomes, at(23, 8, 5), AlwaysWorking(), daily_kpis=kpis, daily_digest_at=time(8)
    )
    again = mailroom.run_cycle(outcomes, at(23, 9), AlwaysWorking(), daily_kpis=kpis, daily_digest_at=time(8))
    tomorrow = mailroom.run_cycle(
        outcomes, at(24, 8), AlwaysWorking(), daily_kpis=kpis, daily_digest_at=time(8)
    )

    assert early.composed == [] and again.composed == []
    assert recipients(due.composed) == [ADMIN, "liu@service.example", "wang@quality.example"]
    assert subjects(due.composed) == ["Daily complaint digest — 2026-11-23"] * 2 + [
        "投诉日报 — 2026-11-23"
    ]
    chinese = next(message for message in due.composed if "liu@" in str(message["To"]))
    text = chinese.get_body(("plain",)).get_content()
    assert "- 未结工单：2" in text and "- 已超时：0" in text  # a count of 0 is written, with a Chinese colon
    assert len(tomorrow.composed) == 3


def test_a_dry_run_composes_but_records_and_sends_nothing(mailroom, transport, ledger):
    outcomes = [make_outcome("CS-1")]

    dry = mailroom.run_cycle(outcomes, at(23, 17, 10), AlwaysWorking(), dry_run=True)
    real = mailroom.run_cycle(outcomes, at(23, 17, 10), AlwaysWorking())

    assert dry.dry_run and subjects(dry.composed) == ["1 overdue — Quality"] and dry.sent == []
    assert len(real.sent) == 1 and transport.connections == 1


def test_a_naive_now_is_refused(mailroom):
    with pytest.raises(ValueError, match="aware"):
        mailroom.run_cycle([], at(23, 9).replace(tzinfo=None))


def test_the_report_describes_itself_in_one_line(mailroom):
    report = mailroom.run_cycle([make_outcome("CS-1")], at(23, 17, 10), AlwaysWorking())
    assert report.describe() == "1 sent, 0 failed, 0 quiet"


def test_last_months_review_goes_to_every_manager_on_the_first_working_day_once(mailroom, transport):
    outcomes = [make_outcome("CS-Q", QUALITY, resolution_due=at(27, 17)),
                make_outcome("CS-S", SERVICE, resolution_due=at(27, 17))]
    asked = []

    def review(language, month):
        asked.append((language, month))
        return [("主要根本原因", ["螺丝松动 · 2"])] if language == "zh" else [("Top root causes", ["Loose screw · 2"])]

    def cycle(day, hour):
        return mailroom.run_cycle(outcomes, at(day, hour), OfficeHours(), daily_digest_at=time(8, 30),
                                  monthly_review=review)

    def monthly(report):
        return [message for message in report.composed if "review" in str(message["Subject"]).lower()
                or "复盘" in str(message["Subject"])]

    assert monthly(cycle(1, 10)) == []  # 1 November 2026 is a Sunday: not a working day
    assert monthly(cycle(2, 8)) == []  # the first working day, before 08:30
    sent = monthly(cycle(2, 9))
    assert recipients(sent) == [ADMIN, "liu@service.example", "wang@quality.example"]
    assert subjects(sent) == ["Monthly complaint review — 2026-10"] * 2 + ["月度投诉复盘 — 2026-10"]
    chinese = next(message for message in sent if "liu@" in str(message["To"]))
    assert "- 螺丝松动 · 2" in chinese.get_body(("plain",)).get_content()
    assert {month for _, month in asked} == {date(2026, 10, 1)}
    assert monthly(cycle(2, 11)) == [] and monthly(cycle(3, 9)) == []  # once a month
