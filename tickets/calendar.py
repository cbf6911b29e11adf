"""The business calendar: which hours count toward a deadline, and the Calendar tab that says so (DESIGN §3, §4).

A ``BusinessCalendar`` knows a time zone, the working hours of each weekday (at most one span a day), holidays
(not worked even on a weekday) and make-up working days (weekend days that are worked). It adds hours on either
clock: ``Clock.ALWAYS`` counts real elapsed time, ``Clock.BUSINESS`` counts working time only.

All arithmetic happens in UTC, so a DST change never gains or loses an hour; results come back in the calendar's
zone. Naive inputs are read as wall-clock time in the calendar's zone. Working time steps day by day, never
minute by minute, and each day's span is worked out once and remembered.

``parse_calendar`` reads the Calendar tab (rows of raw cell values) into a calendar plus every problem it found,
each naming its cell; a bad cell is skipped and the rest still applies.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from tickets.columns import cell_name, normalize_label
from tickets.outcome import Clock
from tickets.values import CellValueError, is_blank, read_datetime, read_text

__all__ = [
    "WorkingHours",
    "BusinessCalendar",
    "CalendarProblem",
    "parse_calendar",
    "read_time",
    "read_dates",
    "DEFAULT_ZONE",
    "DEFAULT_HOURS",
    "DEFAULT_WEEK",
]

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
MIDNIGHT = time(0, 0)
ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class WorkingHours:
    """One working span of a day, from ``start`` to ``end`` wall-clock time.

    An ``end`` of 00:00 means midnight at the end of the day (written ``24:00`` on the tab), so 00:00–00:00 is
    the whole day. Raise ValueError if the span ends before it starts.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end != MIDNIGHT and self.end <= self.start:
            raise ValueError(f"working hours end ({self.end:%H:%M}) before they start ({self.start:%H:%M})")

    def on(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Given a date and a zone, return the span's opening and closing moments on that date, in UTC."""
        closing_day = day + ONE_DAY if self.end == MIDNIGHT else day
        opening = datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)
        closing = datetime.combine(closing_day, self.end, tzinfo=zone).astimezone(UTC)
        return opening, closing

    def __str__(self) -> str:
        end = "24:00" if self.end == MIDNIGHT else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}–{end}"


DEFAULT_HOURS = WorkingHours(time(9, 0), time(18, 0))
DEFAULT_WEEK: tuple[WorkingHours | None, ...] = (DEFAULT_HOURS,) * 5 + (None, None)

Span = tuple[datetime, datetime]  # opening and closing of one day's working time, in UTC


@dataclass(frozen=True)
class BusinessCalendar:
    """When the desk works: a zone, hours per weekday (Monday first), holidays and make-up working days.

    ``workdays`` maps each make-up date to its hours; an iterable of dates is also accepted and gets the default
    make-up hours (Monday's, or the first working weekday's). A date that is both a holiday and a make-up day is a
    holiday. Raise ValueError if ``week`` does not have seven entries or has no working day at all.
    """

    zone: ZoneInfo = DEFAULT_ZONE
    week: tuple[WorkingHours | None, ...] = DEFAULT_WEEK
    holidays: frozenset[date] = frozenset()
    workdays: Mapping[date, WorkingHours] = field(default_factory=dict)
    _spans: dict[date, Span | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        week = tuple(self.week)
        if len(week) != 7:
            raise ValueError(f"a week has 7 days, not {len(week)}")
        if all(hours is None for hours in week):
            raise ValueError("the week has no working day")
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", MappingProxyType(self._workday_hours(self.workdays)))

    def _workday_hours(
        self, workdays: Mapping[date, WorkingHours] | Iterable[date]
    ) -> dict[date, WorkingHours]:
        if isinstance(workdays, Mapping):
            return dict(workdays)
        return {day: self.make_up_hours for day in workdays}

    def __hash__(self) -> int:
        # Worked out once per calendar (a cycle hashes it with every row's decision), and never pickled: a zone
        # may hash differently in another process.
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.zone, self.week, self.holidays, frozenset(self.workdays.items())))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state

    @property
    def make_up_hours(self) -> WorkingHours:
        """Return the hours of a make-up day that gives none: Monday's, else the first working weekday's."""
        return next(hours for hours in self.week if hours is not None)

    def hours_on(self, day: date) -> WorkingHours | None:
        """Given a date, return its working hours, or None when it is not worked."""
        if day in self.holidays:
            return None
        if day in self.workdays:
            return self.workdays[day]
        return self.week[day.weekday()]

    def in_zone(self, moment: datetime) -> datetime:
        """Given a moment, return it aware in the calendar's zone (a naive moment is wall-clock time there)."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.zone)
        if moment.tzinfo is self.zone:
            return moment  # already there; converting costs microseconds thousands of times a cycle
        return moment.astimezone(self.zone)

    def is_working_time(self, moment: datetime) -> bool:
        """Return True if ``moment`` falls inside working hours (opening included, closing excluded)."""
        instant = self._utc(moment)
        span = self._span(self._local_date(instant))
        return span is not None and span[0] <= instant < span[1]

    def next_working_time(self, moment: datetime) -> datetime:
        """Return ``moment`` itself if it is working time, else the next opening, in the calendar's zone."""
        return self._add_working(self._utc(moment), timedelta(0)).astimezone(self.zone)

    def add_hours(self, start: datetime, hours: float, clock: Clock) -> datetime:
        """Given a start, a number of hours and a clock, return the due moment in the calendar's zone.

        On the 24x7 clock this is real elapsed time. On the business clock only working time counts, and a start
        outside working time begins at the next opening; a due that uses up a day exactly is that day's closing
        (Monday 09:00 + 9 h is Monday 18:00). Raise ValueError if ``hours`` is negative or not finite.
        """
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number of 0 or more, not {hours!r}")
        instant = self._utc(start)
        amount = timedelta(hours=hours)
        if clock == Clock.ALWAYS:
            return (instant + amount).astimezone(self.zone)
        return self._add_working(instant, amount).astimezone(self.zone)

    def hours_between(self, start: datetime, end: datetime, clock: Clock) -> float:
        """Return the hours from ``start`` to ``end`` on ``clock``: negative when ``end`` comes first."""
        first, last = self._utc(start), self._utc(end)
        if last < first:
            return -self.hours_between(end, start, clock)
        if clock == Clock.ALWAYS:
            return (last - first) / ONE_HOUR
        return self._working_between(first, last) / ONE_HOUR

    def _add_working(self, instant: datetime, amount: timedelta) -> datetime:
        day = self._local_date(instant)
        while True:
            span = self._span(day)
            if span is not None and instant < span[1]:
                begin = max(instant, span[0])
                available = span[1] - begin
                if amount <= available:
                    return begin + amount
                amount -= available
            day += ONE_DAY

    def _working_between(self, first: datetime, last: datetime) -> timedelta:
        total = timedelta(0)
        day, last_day = self._local_date(first), self._local_date(last)
        while day <= last_day:
            span = self._span(day)
            if span is not None:
                total += max(timedelta(0), min(last, span[1]) - max(first, span[0]))
            day += ONE_DAY
        return total

    def _span(self, day: date) -> Span | None:
        try:
            return self._spans[day]
        except KeyError:
            hours = self.hours_on(day)
            span = None if hours is None else hours.on(day, self.zone)
            self._spans[day] = span
            return span

    def _utc(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC)

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()


# --- The Calendar tab ---------------------------------------------------------------------------------------

TAB_NAMES = ("Calendar", "工作日历")


@dataclass(frozen=True)
class CalendarProblem:
    """Something wrong on the Calendar tab: the cell (A1, e.g. ``B1``), a message in each language, a code."""

    cell: str
    message_en: str
    message_zh: str
    code: str = ""

    @property
    def where(self) -> str:
        """Return the tab and cell, e.g. ``Calendar!B1`` (the messages already start with it)."""
        return f"{TAB_NAMES[0]}!{self.cell}"

    def message(self, language: str) -> str:
        """Return the message in ``language`` ("en" or "zh"), starting with the tab and cell."""
        return self.message_zh if language == "zh" else self.message_en


_MESSAGES: dict[str, tuple[str, str]] = {
    "zone_suggestion": (
        '"{value}" is not a time zone — did you mean "{suggestion}"?',
        "“{value}”不是有效时区，您是不是要写“{suggestion}”？",
    ),
    "unknown_zone": (
        '"{value}" is not a time zone — write one like Asia/Shanghai or Europe/Berlin; {default} is used',
        "“{value}”不是有效时区，请写成 Asia/Shanghai 或 Europe/Berlin 这样的格式；暂按 {default} 计算",
    ),
    "unknown_weekday": (
        '"{value}" is not a weekday — write Monday … Sunday; the row is skipped',
        "“{value}”不是星期几，请写 星期一 … 星期日；此行已忽略",
    ),
    "repeated_weekday": (
        "{value} already has working hours on row {other_row} — one span a day; the row is skipped",
        "{value} 已在第 {other_row} 行设置工作时间，每天只能有一个时段；此行已忽略",
    ),
    "not_a_time": (
        '"{value}" is not a time — write it like 09:00; the row is skipped',
        "“{value}”不是时间，请写成 09:00 这样的格式；此行已忽略",
    ),
    "half_span": (
        "only one of start and end is given — give both, or leave both blank for a day off; the row is skipped",
        "上班和下班时间只填了一个，请都填写，休息日则都留空；此行已忽略",
    ),
    "end_before_start": (
        "{end} is not after {start} — the day must end after it starts; the row is skipped",
        "{end} 不晚于 {start}，下班时间必须晚于上班时间；此行已忽略",
    ),
    "no_working_day": (
        "no weekday has working hours — {default} is used until one does",
        "没有任何一天设置了工作时间，暂按 {default} 计算",
    ),
    "not_a_date": (
        '"{value}" is not a date — write it like 2026-10-01 or 2026-10-01..2026-10-07; the row is skipped',
        "“{value}”不是日期，请写成 2026-10-01 或 2026-10-01..2026-10-07；此行已忽略",
    ),
    "unknown_day_type": (
        '"{value}" is not a day type — write holiday or workday; the row is skipped',
        "“{value}”不是日期类型，请填写 节假日 或 调休上班；此行已忽略",
    ),
    "conflicting_date": (
        "{value} is already a {other_type} on row {other_row} — the row is skipped",
        "{value} 已在第 {other_row} 行设为{other_type}；此行已忽略",
    ),
}
_DAY_TYPE_LABELS = {"holiday": ("holiday", "节假日"), "workday": ("workday", "调休上班日")}


def _problem(row: int, column: int, code: str, **params: Any) -> CalendarProblem:
    cell = cell_name(column, row)
    english, chinese = _MESSAGES[code]
    english_params = {name: _speak(value, 0) for name, value in params.items()}
    chinese_params = {name: _speak(value, 1) for name, value in params.items()}
    return CalendarProblem(
        cell,
        f"{TAB_NAMES[0]}!{cell}: " + english.format(**english_params),
        f"{TAB_NAMES[1]}!{cell}：" + chinese.format(**chinese_params),
        code,
    )


def _speak(value: Any, language_index: int) -> Any:
    return value[language_index] if isinstance(value, tuple) else value


def _labels(*words: str) -> frozenset[str]:
    return frozenset(normalize_label(word) for word in words)


_ZONE_LABELS = _labels("Timezone", "Time zone", "Zone", "时区")
_WEEKDAY_LABELS = _labels("Weekday", "Day", "星期", "工作日")
_START_LABELS = _labels("Start", "From", "Opens", "上班", "上班时间", "开始")
_END_LABELS = _labels("End", "To", "Closes", "下班", "下班时间", "结束")
_DATE_LABELS = _labels("Date", "Dates", "日期")
_TYPE_LABELS = _labels("Type", "Kind", "类型")

_WEEKDAY_NAMES: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("Monday", "Mon", "星期一", "周一", "礼拜一"),
        ("Tuesday", "Tue", "Tues", "星期二", "周二", "礼拜二"),
        ("Wednesday", "Wed", "星期三", "周三", "礼拜三"),
        ("Thursday", "Thu", "Thur", "Thurs", "星期四", "周四", "礼拜四"),
        ("Friday", "Fri", "星期五", "周五", "礼拜五"),
        ("Saturday", "Sat", "星期六", "周六", "礼拜六"),
        ("Sunday", "Sun", "星期日", "星期天", "周日", "周天", "礼拜日", "礼拜天"),
    )
):
    for _name in _names:
        _WEEKDAY_NAMES[normalize_label(_name)] = _index
_WEEKDAY_DISPLAY = (
    ("Monday", "星期一"),
    ("Tuesday", "星期二"),
    ("Wednesday", "星期三"),
    ("Thursday", "星期四"),
    ("Friday", "星期五"),
    ("Saturday", "星期六"),
    ("Sunday", "星期日"),
)

_HOLIDAY_WORDS = ("holiday", "public holiday", "off", "closed", "节假日", "假日", "假期", "放假", "休息")
_WORKDAY_WORDS = (
    "workday",
    "working day",
    "make-up day",
    "extra",
    "work",
    "调休上班",
    "上班",
    "调休",
    "补班",
    "工作日",
)
_DAY_TYPES: dict[str, str] = {
    **dict.fromkeys(_labels(*_HOLIDAY_WORDS), "holiday"),
    **dict.fromkeys(_labels(*_WORKDAY_WORDS), "workday"),
}
_ZONE_ALIASES: dict[str, str] = {
    normalize_label(alias): name
    for alias, name in (
        ("北京时间", "Asia/Shanghai"),
        ("中国标准时间", "Asia/Shanghai"),
        ("Beijing", "Asia/Shanghai"),
        ("China", "Asia/Shanghai"),
        ("CST", "Asia/Shanghai"),
        ("UTC", "UTC"),
        ("GMT", "UTC"),
    )
}
_UTC_OFFSET = re.compile(r"^(?:UTC|GMT)\s*(?P<sign>[+-])\s*(?P<hours>\d{1,2})(?::?00)?$", re.I)
_DATE_RANGE = re.compile(r"\s*(?:\.\.|~|～|至|到)\s*")
_TIME_TEXT = re.compile(
    r"""^(?P<before>上午|下午)?\s*
    (?P<hour>\d{1,2})\s*
    (?: (?:[:：点时]|\.(?=\d{2}\b)) \s* (?P<minute>\d{1,2}|半)? )?\s*
    (?: [:：分] \s* (?P<second>\d{1,2}) )?\s*
    [分秒]?\s*
    (?P<after>am|pm|上午|下午)?$""",
    re.I | re.X,
)
MAX_RANGE_DAYS = 366


@dataclass
class _Reading:
    """What parse_calendar has gathered so far; a new block header switches ``block``."""

    zone: ZoneInfo = DEFAULT_ZONE
    week: list[WorkingHours | None] | None = None
    week_rows: dict[int, int] = field(default_factory=dict)  # weekday -> row it was given on
    week_header: tuple[int, int] | None = None  # where the weekday block starts, for "no working day"
    holidays: dict[date, int] = field(default_factory=dict)  # date -> row
    workdays: dict[date, tuple[WorkingHours | None, int]] = field(default_factory=dict)
    block: str | None = None
    columns: dict[str, int] = field(default_factory=dict)
    problems: list[CalendarProblem] = field(default_factory=list)


def parse_calendar(rows: Sequence[Sequence[object]]) -> tuple[BusinessCalendar, list[CalendarProblem]]:
    """Given the Calendar tab as rows of raw cell values, return the calendar and every problem found.

    The tab holds, in any order and with blank rows between: a ``Timezone | Asia/Shanghai`` row; a ``Weekday |
    Start | End`` header followed by one row per weekday (blank start and end: a day off; weekdays not listed are
    days off); a ``Date | Type | Note`` header followed by holidays and make-up working days (a date or a range
    ``2026-10-01..2026-10-07``; a blank type is a holiday; optional Start/End columns give a make-up day's hours,
    else it works the default make-up hours). Labels are matched case- and space-insensitively, in English or
    Chinese. Without a zone the calendar uses Asia/Shanghai, without weekday rows Monday–Friday 09:00–18:00. A bad
    cell becomes a problem naming it and its row is skipped; this never raises.
    """
    reading = _Reading()
    for row_index, row in enumerate(rows):
        _read_row(reading, row_index, list(row))
    return _build(reading), reading.problems


def _read_row(reading: _Reading, row_index: int, row: list[object]) -> None:
    filled = [(column, value) for column, value in enumerate(row) if not is_blank(value)]
    if not filled:
        return
    labels = {normalize_label(value): column for column, value in filled if isinstance(value, str)}
    if normalize_label(filled[0][1]) in _ZONE_LABELS:
        reading.block = None
        _read_zone(reading, row_index, filled[1:])
    elif _find(labels, _WEEKDAY_LABELS) is not None and _find(labels, _START_LABELS) is not None:
        _start_block(reading, "week", labels, row_index, filled[0][0])
    elif _find(labels, _DATE_LABELS) is not None and _find(labels, _TYPE_LABELS) is not None:
        _start_block(reading, "dates", labels, row_index, filled[0][0])
    elif reading.block == "week":
        _read_weekday(reading, row_index, row)
    elif reading.block == "dates":
        _read_date(reading, row_index, row)
    # Rows outside any block (titles, notes) are for people and ignored.


def _find(labels: Mapping[str, int], wanted: frozenset[str]) -> int | None:
    return next((column for label, column in labels.items() if label in wanted), None)


def _start_block(
    reading: _Reading, block: str, labels: Mapping[str, int], row_index: int, column: int
) -> None:
    reading.block = block
    reading.columns = {
        name: found
        for name, wanted in (
            ("weekday", _WEEKDAY_LABELS),
            ("date", _DATE_LABELS),
            ("type", _TYPE_LABELS),
            ("start", _START_LABELS),
            ("end", _END_LABELS),
        )
        if (found := _find(labels, wanted)) is not None
    }
    if block == "week" and reading.week is None:
        reading.week = [None] * 7
        reading.week_header = (row_index, column)


def _read_zone(reading: _Reading, row_index: int, rest: list[tuple[int, object]]) -> None:
    if not rest:
        return
    column, value = rest[0]
    name = read_text(value) or ""
    zone = _zone_named(name)
    if zone is not None:
        reading.zone = zone
        return
    suggestion = _suggest_zone(name)
    if suggestion:
        reading.problems.append(
            _problem(row_index, column, "zone_suggestion", value=name, suggestion=suggestion)
        )
    else:
        reading.problems.append(
            _problem(row_index, column, "unknown_zone", value=name, default=DEFAULT_ZONE.key)
        )


def _zone_named(name: str) -> ZoneInfo | None:
    """Return the zone ``name`` names (exactly, in any case, by a common alias, or as UTC+8), or None."""
    key = (
        _ZONE_ALIASES.get(normalize_label(name))
        or _zones_by_folded_name().get(name.strip().casefold())
        or _fixed_offset_zone(name)
    )
    return ZoneInfo(key) if key else None


def _fixed_offset_zone(name: str) -> str | None:
    # The IANA Etc zones count the other way round: UTC+8 is Etc/GMT-8.
    match = _UTC_OFFSET.match(name.strip())
    if not match or int(match["hours"]) > 12:
        return None
    hours = int(match["hours"])
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{'-' if match['sign'] == '+' else '+'}{hours}"


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _suggest_zone(name: str) -> str | None:
    folded = _zones_by_folded_name()
    matches = difflib.get_close_matches(name.strip().casefold(), folded, n=1, cutoff=0.75)
    return folded[matches[0]] if matches else None


def _cell(row: list[object], reading: _Reading, name: str) -> tuple[int, object]:
    column = reading.columns.get(name, -1)
    return column, row[column] if 0 <= column < len(row) else None


def _read_weekday(reading: _Reading, row_index: int, row: list[object]) -> None:
    assert reading.week is not None
    column, value = _cell(row, reading, "weekday")
    if is_blank(value):
        return
    weekday = _WEEKDAY_NAMES.get(normalize_label(value))
    if weekday is None:
        reading.problems.append(_problem(row_index, column, "unknown_weekday", value=read_text(value)))
        return
    if weekday in reading.week_rows:
        other_row = reading.week_rows[weekday] + 1
        display = _WEEKDAY_DISPLAY[weekday]
        reading.problems.append(
            _problem(row_index, column, "repeated_weekday", value=display, other_row=other_row)
        )
        return
    ok, hours = _read_hours(reading, row_index, row)
    if ok:
        reading.week_rows[weekday] = row_index
        reading.week[weekday] = hours


def _read_hours(reading: _Reading, row_index: int, row: list[object]) -> tuple[bool, WorkingHours | None]:
    """Return (True, hours or None for a day off) from the row's Start/End cells, or (False, None) on a problem."""
    (start_column, start_value), (end_column, end_value) = (
        _cell(row, reading, "start"),
        _cell(row, reading, "end"),
    )
    if is_blank(start_value) and is_blank(end_value):
        return True, None
    if is_blank(start_value) or is_blank(end_value):
        blank_column = start_column if is_blank(start_value) else end_column
        reading.problems.append(_problem(row_index, max(blank_column, 0), "half_span"))
        return False, None
    start, end = read_time(start_value), read_time(end_value)
    for column, value, parsed in ((start_column, start_value, start), (end_column, end_value, end)):
        if parsed is None:
            reading.problems.append(_problem(row_index, column, "not_a_time", value=read_text(value)))
            return False, None
    assert start is not None and end is not None
    try:
        return True, WorkingHours(start, end)
    except ValueError:
        text_end = "24:00" if end == MIDNIGHT else f"{end:%H:%M}"
        reading.problems.append(
            _problem(row_index, end_column, "end_before_start", start=f"{start:%H:%M}", end=text_end)
        )
        return False, None


def read_time(value: object) -> time | None:
    """Given a cell, return the time of day it holds, or None if it holds none.

    Accepts ``datetime.time``, a datetime (its time), Excel day fractions 0–1 (0.375 is 09:00, 1 is 24:00, given
    back as 00:00), whole hours above 1 up to 24, and text such as ``09:00``, ``9:30 pm``, ``24:00``, ``9点30``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.time().replace(tzinfo=None)
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if isinstance(value, int | float):
        return _time_from_number(float(value))
    text = (read_text(value) or "").strip()
    match = _TIME_TEXT.match(text)
    if match:
        parts = match.groupdict()
        return _time_from_parts(
            parts["hour"], parts["minute"], parts["second"], parts["before"] or parts["after"]
        )
    try:
        return _time_from_number(float(text))
    except ValueError:
        return None


def _time_from_number(number: float) -> time | None:
    if not math.isfinite(number) or number < 0 or number > 24:
        return None
    minutes = round(number * 24 * 60) if number <= 1 else round(number * 60)
    if minutes == 24 * 60:
        return MIDNIGHT
    return None if minutes > 24 * 60 else time(minutes // 60, minutes % 60)


def _time_from_parts(
    hour_text: str, minute_text: str | None, second_text: str | None, meridiem: str | None
) -> time | None:
    minute_text = "30" if minute_text == "半" else minute_text
    hour, minute, second = int(hour_text), int(minute_text or 0), int(second_text or 0)
    meridiem = (meridiem or "").casefold()
    if meridiem in ("pm", "下午") and hour < 12:
        hour += 12
    if meridiem in ("am", "上午") and hour == 12:
        hour = 0
    if (hour, minute, second) == (24, 0, 0):
        return MIDNIGHT
    try:
        return time(hour, minute, second)
    except ValueError:
        return None


def _read_date(reading: _Reading, row_index: int, row: list[object]) -> None:
    date_column, date_value = _cell(row, reading, "date")
    type_column, type_value = _cell(row, reading, "type")
    if is_blank(date_value):
        return
    days = read_dates(date_value)
    if days is None:
        reading.problems.append(_problem(row_index, date_column, "not_a_date", value=read_text(date_value)))
        return
    day_type = "holiday" if is_blank(type_value) else _DAY_TYPES.get(normalize_label(type_value))
    if day_type is None:
        reading.problems.append(
            _problem(row_index, type_column, "unknown_day_type", value=read_text(type_value))
        )
        return
    hours: WorkingHours | None = None
    if day_type == "workday":
        ok, hours = _read_hours(reading, row_index, row)
        if not ok:
            return
    for day in days:
        if not _note_date(reading, row_index, date_column, day, day_type, hours):
            return


def _note_date(
    reading: _Reading, row_index: int, column: int, day: date, day_type: str, hours: WorkingHours | None
) -> bool:
    """Record one holiday or make-up day; return False (with a problem) if the date already has the other type."""
    other_type = "workday" if day_type == "holiday" else "holiday"
    others: Mapping[date, Any] = reading.workdays if day_type == "holiday" else reading.holidays
    if day in others:
        other_row = reading.workdays[day][1] if day_type == "holiday" else reading.holidays[day]
        reading.problems.append(
            _problem(
                row_index,
                column,
                "conflicting_date",
                value=day.isoformat(),
                other_type=_DAY_TYPE_LABELS[other_type],
                other_row=other_row + 1,
            )
        )
        return False
    if day_type == "holiday":
        reading.holidays[day] = row_index
    else:
        reading.workdays[day] = (hours, row_index)
    return True


def read_dates(value: object) -> list[date] | None:
    """Given a cell, return the dates it names (one date, or every date of ``A..B``/``A~B``/``A至B``), or None.

    A range longer than a year, or one that ends before it starts, names no dates.
    """
    if isinstance(value, str) and _DATE_RANGE.search(value.strip()):
        parts = _DATE_RANGE.split(value.strip())
        if len(parts) != 2:
            return None
        first, last = _read_date_value(parts[0]), _read_date_value(parts[1])
        if first is None or last is None or not 0 <= (last - first).days < MAX_RANGE_DAYS:
            return None
        return [first + ONE_DAY * offset for offset in range((last - first).days + 1)]
    single = _read_date_value(value)
    return None if single is None else [single]


def _read_date_value(value: object) -> date | None:
    try:
        moment = read_datetime(value, UTC)
    except CellValueError:
        return None
    return None if moment is None else moment.date()


def _build(reading: _Reading) -> BusinessCalendar:
    week = tuple(reading.week) if reading.week is not None else DEFAULT_WEEK
    if all(hours is None for hours in week):
        row, column = reading.week_header or (0, 0)
        reading.problems.append(_problem(row, column, "no_working_day", default="Mon–Fri 09:00–18:00"))
        week = DEFAULT_WEEK
    make_up_hours = next(hours for hours in week if hours is not None)
    workdays = {day: hours or make_up_hours for day, (hours, _row) in reading.workdays.items()}
    return BusinessCalendar(
        zone=reading.zone, week=week, holidays=frozenset(reading.holidays), workdays=workdays
    )
