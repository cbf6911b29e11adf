"""The business calendar: working-hour arithmetic on both clocks, and reading the Calendar tab."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.calendar import (
    DEFAULT_WEEK,
    BusinessCalendar,
    WorkingHours,
    parse_calendar,
    read_dates,
    read_time,
)
from tickets.columns import cell_name, parse_cell_name
from tickets.outcome import Clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
BUSINESS, ALWAYS = Clock.BUSINESS, Clock.ALWAYS


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone: ZoneInfo = SHANGHAI
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def nine_to_six(zone: ZoneInfo = SHANGHAI, **extra: object) -> BusinessCalendar:
    return BusinessCalendar(zone=zone, **extra)  # the default week is Mon–Fri 09:00–18:00


# --- Business hours -----------------------------------------------------------------------------------------


def test_friday_17_00_plus_4_business_hours_is_monday_12_00() -> None:
    assert nine_to_six().add_hours(at(2026, 11, 20, 17), 4, BUSINESS) == at(2026, 11, 23, 12)


def test_a_holiday_is_skipped() -> None:
    calendar = nine_to_six(holidays=frozenset({date(2026, 11, 23)}))
    assert calendar.add_hours(at(2026, 11, 20, 17), 4, BUSINESS) == at(2026, 11, 24, 12)


def test_a_make_up_saturday_counts() -> None:
    calendar = nine_to_six(workdays={date(2026, 11, 21): WorkingHours(time(9), time(18))})
    assert calendar.add_hours(at(2026, 11, 20, 17), 4, BUSINESS) == at(2026, 11, 21, 12)


def test_a_make_up_day_given_as_a_bare_date_works_mondays_hours() -> None:
    monday = WorkingHours(time(8, 30), time(17, 30))
    calendar = BusinessCalendar(week=(monday,) + DEFAULT_WEEK[1:], workdays=[date(2026, 11, 21)])
    assert calendar.hours_on(date(2026, 11, 21)) == monday


def test_a_date_that_is_both_holiday_and_make_up_day_is_a_holiday() -> None:
    saturday = date(2026, 11, 21)
    calendar = nine_to_six(holidays=frozenset({saturday}), workdays=[saturday])
    assert calendar.hours_on(saturday) is None


def test_a_start_outside_working_time_begins_at_the_next_opening() -> None:
    calendar = nine_to_six()
    assert calendar.add_hours(at(2026, 11, 21, 10), 1, BUSINESS) == at(2026, 11, 23, 10)  # Saturday
    assert calendar.add_hours(at(2026, 11, 23, 7), 1, BUSINESS) == at(2026, 11, 23, 10)  # before opening
    assert calendar.add_hours(at(2026, 11, 23, 19), 1, BUSINESS) == at(2026, 11, 24, 10)  # after closing


def test_a_due_that_uses_up_a_day_exactly_is_that_days_closing() -> None:
    assert nine_to_six().add_hours(at(2026, 11, 23, 9), 9, BUSINESS) == at(2026, 11, 23, 18)


def test_hours_are_spread_over_several_days_and_minutes_count() -> None:
    # Monday 16:30 + 20.5 h: 1.5 on Monday, 9 on Tuesday, 9 on Wednesday, 1 on Thursday.
    assert nine_to_six().add_hours(at(2026, 11, 23, 16, 30), 20.5, BUSINESS) == at(2026, 11, 26, 10)


def test_zero_hours_from_working_time_is_the_start_itself() -> None:
    assert nine_to_six().add_hours(at(2026, 11, 23, 11), 0, BUSINESS) == at(2026, 11, 23, 11)


def test_a_day_ending_at_24_00_works_until_midnight() -> None:
    whole_day = WorkingHours(time(0), time(0))
    calendar = BusinessCalendar(week=(whole_day,) * 7)
    assert calendar.add_hours(at(2026, 11, 23, 22), 5, BUSINESS) == at(2026, 11, 24, 3)
    assert str(WorkingHours(time(9), time(0))) == "09:00–24:00"


def test_naive_moments_are_wall_clock_time_in_the_calendar_zone() -> None:
    due = nine_to_six().add_hours(datetime(2026, 11, 20, 17), 4, BUSINESS)
    assert due == at(2026, 11, 23, 12) and due.tzinfo == SHANGHAI


def test_aware_moments_in_another_zone_are_converted_and_the_result_is_in_the_calendar_zone() -> None:
    friday_17_shanghai = datetime(2026, 11, 20, 9, tzinfo=UTC)
    due = nine_to_six().add_hours(friday_17_shanghai, 4, BUSINESS)
    assert (due.year, due.month, due.day, due.hour, due.tzinfo) == (2026, 11, 23, 12, SHANGHAI)


def test_hours_between_counts_working_hours_only_and_is_negative_backwards() -> None:
    calendar = nine_to_six()
    assert calendar.hours_between(at(2026, 11, 20, 17), at(2026, 11, 23, 12), BUSINESS) == 4
    assert calendar.hours_between(at(2026, 11, 23, 12), at(2026, 11, 20, 17), BUSINESS) == -4
    assert calendar.hours_between(at(2026, 11, 20, 17), at(2026, 11, 23, 12), ALWAYS) == 67


def test_is_working_time_includes_opening_and_excludes_closing() -> None:
    calendar = nine_to_six()
    assert calendar.is_working_time(at(2026, 11, 23, 9))
    assert not calendar.is_working_time(at(2026, 11, 23, 18))
    assert not calendar.is_working_time(at(2026, 11, 21, 12))


def test_next_working_time_is_the_moment_itself_or_the_next_opening() -> None:
    calendar = nine_to_six()
    assert calendar.next_working_time(at(2026, 11, 23, 11)) == at(2026, 11, 23, 11)
    assert calendar.next_working_time(at(2026, 11, 20, 18)) == at(2026, 11, 23, 9)


def test_negative_hours_are_refused() -> None:
    with pytest.raises(ValueError):
        nine_to_six().add_hours(at(2026, 11, 23, 9), -1, BUSINESS)


def test_a_week_without_any_working_day_is_refused() -> None:
    with pytest.raises(ValueError, match="no working day"):
        BusinessCalendar(week=(None,) * 7)


def test_working_hours_that_end_before_they_start_are_refused() -> None:
    with pytest.raises(ValueError):
        WorkingHours(time(18), time(9))


# --- Daylight saving time (Europe/Berlin) -------------------------------------------------------------------


def test_24x7_across_spring_forward_adds_real_hours() -> None:
    assert nine_to_six(BERLIN).add_hours(at(2026, 3, 28, 12, zone=BERLIN), 24, ALWAYS) == at(
        2026, 3, 29, 13, zone=BERLIN
    )


def test_24x7_across_fall_back_adds_real_hours() -> None:
    assert nine_to_six(BERLIN).add_hours(at(2026, 10, 24, 12, zone=BERLIN), 24, ALWAYS) == at(
        2026, 10, 25, 11, zone=BERLIN
    )


def test_24x7_hours_between_midnights_of_a_dst_day_are_23_and_25() -> None:
    calendar = nine_to_six(BERLIN)
    assert calendar.hours_between(at(2026, 3, 29, zone=BERLIN), at(2026, 3, 30, zone=BERLIN), ALWAYS) == 23
    assert calendar.hours_between(at(2026, 10, 25, zone=BERLIN), at(2026, 10, 26, zone=BERLIN), ALWAYS) == 25


@pytest.mark.parametrize("friday", [date(2026, 3, 27), date(2026, 10, 23)], ids=["spring", "autumn"])
def test_business_hours_across_a_dst_weekend_keep_the_wall_clock(friday: date) -> None:
    start = datetime.combine(friday, time(17), tzinfo=BERLIN)
    due = nine_to_six(BERLIN).add_hours(start, 4, BUSINESS)
    assert due.date() == friday + timedelta(days=3) and due.time() == time(12)
    assert due.utcoffset() != start.utcoffset()


def test_a_working_day_spanning_a_dst_change_counts_real_hours() -> None:
    whole_day = WorkingHours(time(0), time(0))
    calendar = BusinessCalendar(zone=BERLIN, week=(whole_day,) * 7)
    assert calendar.hours_between(at(2026, 3, 29, zone=BERLIN), at(2026, 3, 30, zone=BERLIN), BUSINESS) == 23


def test_in_the_fall_back_hour_the_later_moment_is_the_later_due() -> None:
    calendar = BusinessCalendar(zone=BERLIN, week=(WorkingHours(time(0), time(0)),) * 7)
    first_pass = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    due = calendar.add_hours(first_pass, 1, BUSINESS)
    assert due.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, an hour later


# --- Properties ---------------------------------------------------------------------------------------------

CALENDARS = st.sampled_from(
    [
        nine_to_six(
            BERLIN, holidays=frozenset({date(2026, 3, 30), date(2026, 10, 26)}), workdays=[date(2026, 3, 28)]
        ),
        nine_to_six(
            SHANGHAI,
            holidays=frozenset({date(2026, 10, day) for day in range(1, 8)}),
            workdays=[date(2026, 10, 10)],
        ),
        BusinessCalendar(
            zone=ZoneInfo("America/New_York"), week=(None,) * 5 + (WorkingHours(time(22), time(0)),) * 2
        ),
    ]
)
MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)).map(
    lambda naive: naive.replace(microsecond=0, tzinfo=UTC)
)
HOURS = st.floats(min_value=0, max_value=400, allow_nan=False).map(lambda hours: round(hours, 4))
CLOCKS = st.sampled_from([BUSINESS, ALWAYS])


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, hours=HOURS, clock=CLOCKS)
def test_hours_between_a_start_and_its_due_are_the_hours_added(
    calendar: BusinessCalendar, start: datetime, hours: float, clock: Clock
) -> None:
    due = calendar.add_hours(start, hours, clock)
    assert calendar.hours_between(start, due, clock) == pytest.approx(hours, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, hours=HOURS, more=HOURS, clock=CLOCKS)
def test_more_hours_are_never_due_earlier(
    calendar: BusinessCalendar, start: datetime, hours: float, more: float, clock: Clock
) -> None:
    assert calendar.add_hours(start, hours, clock) <= calendar.add_hours(start, hours + more, clock)


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, later=MOMENTS, hours=HOURS, clock=CLOCKS)
def test_a_later_start_is_never_due_earlier(
    calendar: BusinessCalendar, start: datetime, later: datetime, hours: float, clock: Clock
) -> None:
    first, second = sorted([start, later])
    assert calendar.add_hours(first, hours, clock) <= calendar.add_hours(second, hours, clock)


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, moments=st.lists(MOMENTS, min_size=3, max_size=3).map(sorted), clock=CLOCKS)
def test_hours_between_adds_up_over_consecutive_stretches(
    calendar: BusinessCalendar, moments: list[datetime], clock: Clock
) -> None:
    first, middle, last = moments
    whole = calendar.hours_between(first, last, clock)
    parts = calendar.hours_between(first, middle, clock) + calendar.hours_between(middle, last, clock)
    assert whole == pytest.approx(parts, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, start=MOMENTS, hours=st.floats(min_value=0.01, max_value=400))
def test_a_positive_business_due_falls_in_working_time_or_at_a_closing(
    calendar: BusinessCalendar, start: datetime, hours: float
) -> None:
    due = calendar.add_hours(start, hours, BUSINESS)
    just_before = due - timedelta(microseconds=1)
    assert calendar.is_working_time(due) or calendar.is_working_time(just_before)


# --- Reading the Calendar tab -------------------------------------------------------------------------------


def test_an_empty_tab_gives_shanghai_monday_to_friday_nine_to_six() -> None:
    calendar, problems = parse_calendar([])
    assert calendar == BusinessCalendar() and problems == []
    assert calendar.zone == SHANGHAI and calendar.week == DEFAULT_WEEK


def test_parse_calendar_reads_the_english_layout() -> None:
    rows = [
        ["Working calendar"],
        ["Timezone", "Europe/Berlin"],
        [],
        ["Weekday", "Start", "End"],
        ["Monday", "09:00", "18:00"],
        ["Tuesday", time(8, 30), 0.75],
        ["Wednesday", datetime(1899, 12, 30, 9), "5:30 pm"],
        ["Thursday", 0.375, "24:00"],
        ["Friday", "9", 17],
        ["Saturday", None, ""],
        [],
        ["Date", "Type", "Note"],
        [datetime(2026, 12, 25), "Holiday", "Christmas"],
        ["2026-12-26", "holiday"],
        [46388, " HOLIDAY "],  # 2027-01-01 as an Excel serial
        ["2026-12-19", "Workday", "make-up Saturday"],
    ]
    calendar, problems = parse_calendar(rows)
    assert problems == []
    assert calendar.zone == BERLIN
    assert calendar.week == (
        WorkingHours(time(9), time(18)),
        WorkingHours(time(8, 30), time(18)),
        WorkingHours(time(9), time(17, 30)),
        WorkingHours(time(9), time(0)),
        WorkingHours(time(9), time(17)),
        None,
        None,
    )
    assert calendar.holidays == {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}
    assert dict(calendar.workdays) == {date(2026, 12, 19): WorkingHours(time(9), time(18))}


def test_parse_calendar_reads_the_chinese_layout_in_any_order() -> None:
    rows = [
        ["日期", "类型", "备注"],
        ["2026-10-01..2026-10-07", "节假日", "国庆节"],
        ["2026年9月26日", "调休上班"],
        [date(2026, 10, 10), "上班"],
        [],
        ["  星期 ", "上班", "下班"],
        ["周一", "9:00", "18:00"],
        ["星期二", "9:00", "18:00"],
        ["周三", "9点", "18点"],
        ["周四", "9:00", "18:00"],
        ["周五", "9:00", "18:00"],
        ["周六", None, None],
        ["星期日", None, None],
        [],
        ["时区", "Asia/Shanghai"],
    ]
    calendar, problems = parse_calendar(rows)
    assert problems == []
    assert calendar.zone == SHANGHAI and calendar.week == DEFAULT_WEEK
    assert calendar.holidays == {date(2026, 10, day) for day in range(1, 8)}
    assert set(calendar.workdays) == {date(2026, 9, 26), date(2026, 10, 10)}
    assert calendar.add_hours(at(2026, 9, 30, 17), 4, BUSINESS) == at(2026, 10, 8, 12)


def test_blocks_may_start_in_any_column_and_make_up_days_may_give_their_hours() -> None:
    rows = [
        [None, "Time zone", "UTC"],
        [None, "WEEKDAY", "START", "END"],
        [None, "Mon", "10:00", "16:00"],
        [None, "Date", "Type", "Start", "End"],
        [None, "2026-11-21", "workday", "10:00", "14:00"],
    ]
    calendar, problems = parse_calendar(rows)
    assert problems == []
    assert calendar.zone == ZoneInfo("UTC")
    assert calendar.week == (WorkingHours(time(10), time(16)),) + (None,) * 6
    assert dict(calendar.workdays) == {date(2026, 11, 21): WorkingHours(time(10), time(14))}


def test_a_zone_written_in_the_wrong_case_or_as_beijing_time_is_understood() -> None:
    assert parse_calendar([["Timezone", "europe/berlin"]]) == (nine_to_six(BERLIN), [])
    assert parse_calendar([["时区", "北京时间"]]) == (nine_to_six(SHANGHAI), [])
    assert parse_calendar([["Timezone", "UTC+8"]]) == (nine_to_six(ZoneInfo("Etc/GMT-8")), [])
    assert parse_calendar([["Timezone", "GMT-05:00"]]) == (nine_to_six(ZoneInfo("Etc/GMT+5")), [])


def test_a_misspelt_zone_names_its_cell_and_suggests_the_zone() -> None:
    calendar, problems = parse_calendar([["Timezone", "Asia/Shangai"]])
    assert calendar.zone == SHANGHAI
    [problem] = problems
    assert (problem.cell, problem.where, problem.code) == ("B1", "Calendar!B1", "zone_suggestion")
    assert (
        problem.message("en")
        == 'Calendar!B1: "Asia/Shangai" is not a time zone — did you mean "Asia/Shanghai"?'
    )
    assert problem.message("zh") == "工作日历!B1：“Asia/Shangai”不是有效时区，您是不是要写“Asia/Shanghai”？"


def test_an_unknown_zone_without_a_likely_match_falls_back_to_shanghai() -> None:
    calendar, problems = parse_calendar([[], ["", "Timezone", "Mars/Olympus"]])
    assert calendar.zone == SHANGHAI
    assert [(problem.cell, problem.code) for problem in problems] == [("C2", "unknown_zone")]
    assert "Asia/Shanghai is used" in problems[0].message_en


def test_every_bad_row_of_the_weekday_block_is_reported_with_its_cell_and_the_rest_applies() -> None:
    rows = [
        ["Weekday", "Start", "End"],
        ["Monday", "09:00", "18:00"],
        ["Funday", "09:00", "18:00"],
        ["Tuesday", "09:00", None],
        ["Wednesday", "18:00", "09:00"],
        ["Thursday", "nine", "18:00"],
        ["Monday", "10:00", "12:00"],
        ["Friday", "08:00", "12:00"],
    ]
    calendar, problems = parse_calendar(rows)
    assert [(problem.cell, problem.code) for problem in problems] == [
        ("A3", "unknown_weekday"),
        ("C4", "half_span"),
        ("C5", "end_before_start"),
        ("B6", "not_a_time"),
        ("A7", "repeated_weekday"),
    ]
    assert calendar.week == (
        WorkingHours(time(9), time(18)),
        None,
        None,
        None,
        WorkingHours(time(8), time(12)),
        None,
        None,
    )
    assert problems[4].message_en == (
        "Calendar!A7: Monday already has working hours on row 2 — one span a day; the row is skipped"
    )
    assert problems[4].message_zh.startswith("工作日历!A7：星期一 已在第 2 行设置工作时间")


def test_a_weekday_block_without_any_working_day_reports_it_and_keeps_the_default_week() -> None:
    calendar, problems = parse_calendar([[], ["星期", "上班", "下班"], ["周一", None, None]])
    assert calendar.week == DEFAULT_WEEK
    assert [(problem.cell, problem.code) for problem in problems] == [("A2", "no_working_day")]


def test_every_bad_row_of_the_date_block_is_reported_with_its_cell() -> None:
    rows = [
        ["Date", "Type", "Note"],
        ["2026-12-25", "holiday"],
        ["Christmas", "holiday"],
        ["2026-12-24", "half day"],
        ["2026-12-25", "workday"],
        ["2026-12-31..2026-12-01", "holiday"],
        ["2026-12-28", ""],  # a blank type is a holiday
    ]
    calendar, problems = parse_calendar(rows)
    assert [(problem.cell, problem.code) for problem in problems] == [
        ("A3", "not_a_date"),
        ("B4", "unknown_day_type"),
        ("A5", "conflicting_date"),
        ("A6", "not_a_date"),
    ]
    assert (
        problems[2].message_en == "Calendar!A5: 2026-12-25 is already a holiday on row 2 — the row is skipped"
    )
    assert problems[2].message_zh == "工作日历!A5：2026-12-25 已在第 2 行设为节假日；此行已忽略"
    assert calendar.holidays == {date(2026, 12, 25), date(2026, 12, 28)}
    assert dict(calendar.workdays) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09:00", time(9)),
        ("9:30", time(9, 30)),
        ("09:00:00", time(9)),
        ("9:30 pm", time(21, 30)),
        ("下午5:30", time(17, 30)),
        ("5:30下午", time(17, 30)),
        ("18：00", time(18)),
        ("9点30", time(9, 30)),
        ("8点半", time(8, 30)),
        ("9点", time(9)),
        ("24:00", time(0)),
        (0.375, time(9)),
        (0.75, time(18)),
        (1, time(0)),
        (18, time(18)),
        (time(8, 15), time(8, 15)),
        (datetime(1899, 12, 30, 17, 45), time(17, 45)),
        ("0.5", time(12)),
        ("25:00", None),
        ("nine", None),
        (True, None),
        (-0.5, None),
    ],
)
def test_read_time_understands_the_ways_people_write_a_time(value: object, expected: time | None) -> None:
    assert read_time(value) == expected


def test_read_dates_expands_a_range_and_refuses_a_backward_or_year_long_one() -> None:
    assert read_dates("2026-10-01 ~ 2026-10-03") == [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)]
    assert read_dates("2026-10-01至2026-10-01") == [date(2026, 10, 1)]
    assert read_dates("2026-10-03..2026-10-01") is None
    assert read_dates("2026-01-01..2027-06-01") is None


@pytest.mark.parametrize(
    ("row", "column", "reference"), [(0, 0, "A1"), (0, 1, "B1"), (9, 25, "Z10"), (0, 26, "AA1")]
)
def test_cell_name_gives_a1_names_column_first_and_parses_them_back(row: int, column: int, reference: str) -> None:
    assert cell_name(column, row) == reference
    assert parse_cell_name(reference) == (column, row) and parse_cell_name(reference.lower()) == (column, row)


def test_equal_calendars_hash_alike_and_the_kept_hash_is_not_copied_into_another():
    from dataclasses import replace

    holiday = date(2026, 10, 1)
    first = BusinessCalendar(holidays=[holiday])
    assert hash(first) == hash(first) == hash(BusinessCalendar(holidays=[holiday]))
    other = replace(first, holidays=frozenset())
    assert other == BusinessCalendar() and hash(other) == hash(BusinessCalendar())
    assert {first: 1}[BusinessCalendar(holidays=[holiday])] == 1
