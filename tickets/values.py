"""Reading what spreadsheets really hold: serial dates, dates typed as text, floats for integers, yes/no words.

Each reader takes a raw cell value and returns a clean Python value, ``None`` for a blank cell, or raises
``CellValueError`` with a message code from ``tickets.messages``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from tickets.errors import SheetdeskError

__all__ = [
    "CellValueError",
    "is_blank",
    "read_text",
    "read_datetime",
    "read_integer",
    "read_boolean",
    "from_excel_serial",
    "to_excel_serial",
    "FORMULA_ERRORS",
]

EXCEL_EPOCH = datetime(1899, 12, 30)
FORMULA_ERRORS = frozenset({"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!"})
_YES = frozenset({"yes", "y", "true", "1", "是", "有", "对", "√", "✓", "x"})
_NO = frozenset({"no", "n", "false", "0", "否", "无", "没有", "不是", "×"})


class CellValueError(SheetdeskError, ValueError):
    """A cell holds something its column cannot take; ``code`` names the message."""

    def __init__(self, code: str, value: Any) -> None:
        super().__init__(code)
        self.code = code
        self.value = value


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_formula_error(value: Any) -> None:
    if isinstance(value, str) and value.strip().upper() in FORMULA_ERRORS:
        raise CellValueError("formula_error", value.strip())


def read_text(value: Any) -> str | None:
    """Return the cell as trimmed text (numbers without a needless ``.0``), or None when blank."""
    if is_blank(value):
        return None
    _check_formula_error(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return " ".join(str(value).split())


def from_excel_serial(serial: float) -> datetime:
    """Return the naive datetime an Excel serial number stands for (1900 date system), to the second."""
    return EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))


def to_excel_serial(moment: datetime) -> float:
    """Return the Excel serial number of a naive datetime."""
    return (moment - EXCEL_EPOCH) / timedelta(days=1)


_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), order)
    for pattern, order in (
        (r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", "ymd"),
        (r"^(\d{4})年(\d{1,2})月(\d{1,2})日?", "ymd"),
        (r"^(\d{1,2})\.(\d{1,2})\.(\d{4})", "dmy"),
        (r"^(\d{1,2})/(\d{1,2})/(\d{4})", "dmy"),
    )
)
_TIME_PATTERN = re.compile(
    r"^(?:T|\s)*(\d{1,2})\s*(?:[:：时点]\s*(\d{1,2})?)?\s*(?:[:：分]\s*(\d{1,2}))?\s*[分秒]?\s*(am|pm|上午|下午)?$", re.I
)


def _parse_text_datetime(text: str) -> datetime | None:
    cleaned = text.strip()
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        pass
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(cleaned)
        if not match:
            continue
        first, second, third = (int(group) for group in match.groups())
        year, month, day = (first, second, third) if order == "ymd" else (third, second, first)
        rest = cleaned[match.end() :].strip()
        try:
            moment = datetime(year, month, day)
        except ValueError:
            return None
        if not rest:
            return moment
        parsed_time = _parse_time(rest)
        return None if parsed_time is None else datetime.combine(moment.date(), parsed_time)
    return None


def _parse_time(text: str) -> time | None:
    match = _TIME_PATTERN.match(text)
    if not match:
        return None
    hour, minute, second = (int(group) if group else 0 for group in match.groups()[:3])
    meridiem = (match.group(4) or "").lower()
    if meridiem in ("pm", "下午") and hour < 12:
        hour += 12
    if meridiem in ("am", "上午") and hour == 12:
        hour = 0
    try:
        return time(hour, minute, second)
    except ValueError:
        return None


def read_datetime(value: Any, zone: tzinfo) -> datetime | None:
    """Return the moment a cell holds, aware, in ``zone`` when the cell carries no zone of its own.

    Accepts datetimes, dates, Excel serial numbers, and text such as ``2026-11-23 14:00``,
    ``2026/11/23 14:00``, ``23.11.2026`` and ``2026年11月23日 14:00``.
    """
    if is_blank(value):
        return None
    _check_formula_error(value)
    if isinstance(value, bool):
        raise CellValueError("not_a_date", value)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, int | float):
        if not 1 <= value < 2958466:
            raise CellValueError("not_a_date", value)
        moment = from_excel_serial(float(value))
    else:
        text = str(value).strip()
        moment = _parse_text_datetime(text)
        if moment is None:
            try:
                moment = from_excel_serial(float(text))
            except ValueError:
                raise CellValueError("not_a_date", text) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone) if zone is not UTC else moment


def read_integer(value: Any) -> int | None:
    """Return the whole number a cell holds (``3.0`` and ``" 3 "`` are 3), or None when blank."""
    if is_blank(value):
        return None
    _check_formula_error(value)
    if isinstance(value, bool):
        raise CellValueError("not_a_whole_number", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellValueError("not_a_whole_number", value)
    text = str(value).strip().replace(",", "")
    try:
        number = float(text)
    except ValueError:
        raise CellValueError("not_a_whole_number", str(value).strip()) from None
    if not number.is_integer():
        raise CellValueError("not_a_whole_number", str(value).strip())
    return int(number)


def read_boolean(value: Any) -> bool | None:
    """Return True/False for yes/no words in English or Chinese (and 1/0, true/false), None when blank."""
    if is_blank(value):
        return None
    _check_formula_error(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = str(value).strip().casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise CellValueError("not_yes_no", str(value).strip())
