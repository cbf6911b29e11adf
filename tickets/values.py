"""Reading what spreadsheets really hold: serial dates, dates typed as text, floats for integers, yes/no words.

Each reader takes a raw cell value and returns a clean Python value, ``None`` for a blank cell, or raises
``CellValueError`` with a message code from ``tickets.messages``.

A cell is of one of four kinds: a value, an error (``ErrorValue``, e.g. ``#N/A``), a formula with no value
(``FormulaCell``: saved by a program that does not calculate, or giving nothing) or text holding an invisible
character (``invisible_characters`` finds them). Only a value can be blank: an error or a formula cell is never
blank, so the daemon never stamps over one, and every reader raises ``CellValueError`` for it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from tickets.errors import SheetdeskError

__all__ = [
    "CellValueError",
    "cell_text",
    "ErrorValue",
    "FormulaCell",
    "CELL_TEXT_LIMIT",
    "DATE_ORDERS",
    "fit_cell_text",
    "error_value",
    "invisible_characters",
    "without_invisible",
    "name_invisible",
    "shorten",
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
CELL_TEXT_LIMIT = 32_767  # Excel's limit on a cell's text; Google Sheets allows 50 000
DATE_ORDERS = ("DMY", "MDY")
# Characters a person cannot see in a cell: C0/C1 controls (tab and line breaks aside), soft hyphen,
# zero-width and direction marks, word joiners, the byte-order mark and non-characters.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff]"
)
# What an .xlsx cannot carry at all (XML 1.0): written cells never hold these.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
SHORT_QUOTE = 60  # characters of a value a message quotes
_YES = frozenset({"yes", "y", "true", "1", "是", "有", "对", "√", "✓", "x"})
_NO = frozenset({"no", "n", "false", "0", "否", "无", "没有", "不是", "×"})


class CellValueError(SheetdeskError, ValueError):
    """A cell holds something its column cannot take; ``code`` names the message."""

    def __init__(self, code: str, value: Any, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.value = value
        self.details = details


class ErrorValue(str):
    """A cell holding a spreadsheet error such as ``#N/A`` or ``#REF!``: not blank, and not a value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ErrorValue({str(self)!r})"


class FormulaCell:
    """A cell holding a formula whose value is unknown: never saved (the file was written by a program that does
    not calculate) or nothing (the formula gives an empty text). Not blank, and not a value."""

    __slots__ = ("formula",)

    def __init__(self, formula: str) -> None:
        self.formula = formula

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FormulaCell) and other.formula == self.formula

    def __hash__(self) -> int:
        return hash(("formula", self.formula))

    def __repr__(self) -> str:
        return f"FormulaCell({self.formula!r})"

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else "a formula"

    def __reduce__(self) -> tuple:
        return FormulaCell, (self.formula,)


def is_blank(value: Any) -> bool:
    """Whether a cell is empty: None or whitespace-only text. Errors and formula cells are never blank."""
    return value is None or (type(value) is str and not value.strip())


def error_value(value: Any) -> ErrorValue | None:
    """Return ``value`` as an ErrorValue when it is one, or text that spells one (``#N/A``); else None."""
    if isinstance(value, ErrorValue):
        return value
    if isinstance(value, str) and value.strip().upper() in FORMULA_ERRORS:
        return ErrorValue(value.strip().upper())
    return None


def _check_formula_error(value: Any) -> None:
    error = error_value(value)
    if error is not None:
        raise CellValueError("formula_error", str(error))
    if isinstance(value, FormulaCell):
        raise CellValueError("formula_without_value", str(value))


def invisible_characters(text: str) -> list[str]:
    """Return the invisible characters in ``text`` (controls, zero-width and direction marks…), in order."""
    return INVISIBLE.findall(text)


def name_invisible(text: str) -> str:
    """Return the first invisible character of ``text`` as a message names it, e.g. ``U+200B ZERO WIDTH SPACE``
    ("" when there is none)."""
    found = INVISIBLE.search(text)
    if found is None:
        return ""
    character = found.group(0)
    return f"U+{ord(character):04X} {unicodedata.name(character, 'CONTROL CHARACTER')}"


def without_invisible(text: str) -> str:
    """Return ``text`` with its invisible characters removed."""
    return INVISIBLE.sub("", text)


def shorten(value: Any, limit: int = SHORT_QUOTE) -> str:
    """Return a value as a message quotes it: on one line, invisible characters shown as ``<U+200B>``, and cut
    to about ``limit`` characters with "…" (a 30 000-character cell is quoted as its beginning)."""
    text = " ".join(str(value).split())
    text = INVISIBLE.sub(lambda match: f"<U+{ord(match.group(0)):04X}>", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fit_cell_text(value: Any, limit: int = CELL_TEXT_LIMIT) -> Any:
    """Return ``value`` as a sheet can hold it: text without characters a workbook cannot carry, cut to
    ``limit`` characters (ending in "…"). Other values are returned as they are."""
    if not isinstance(value, str) or isinstance(value, ErrorValue):
        return value
    text = UNWRITABLE.sub("", value) if UNWRITABLE.search(value) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_text(value: Any) -> str | None:
    """Return the cell as trimmed text (numbers without a needless ``.0``), or None when blank."""
    if is_blank(value):
        return None
    _check_formula_error(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return " ".join(without_invisible(str(value)).split()) or None


def cell_text(value: Any) -> str:
    """Return a cell as comparable text, "" when blank; never raises (an error or a formula reads as its own
    text), so rows can be found and IDs compared whatever a cell holds."""
    try:
        return read_text(value) or ""
    except CellValueError:
        return str(value)


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
        (r"^(\d{1,2})\.(\d{1,2})\.(\d{4})", "dmy"),  # dotted dates are day-first wherever they are written
        (r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})", "slashed"),  # 11/03/2026: day-first or month-first
    )
)


_TIME_PATTERN = re.compile(
    r"^(?:T|\s)*(\d{1,2})\s*(?:[:：时点]\s*(\d{1,2})?)?\s*(?:[:：分]\s*(\d{1,2}))?\s*[分秒]?\s*(am|pm|上午|下午)?$", re.I
)


def _parse_text_datetime(text: str, order: str | None = None) -> datetime | None:
    """Return the moment ``text`` spells, or None. Raise CellValueError("ambiguous_date") for a slashed date
    both of whose readings are dates while ``order`` (``DMY`` or ``MDY``) is not set."""
    cleaned = text.strip()
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        pass
    for pattern, form in _DATE_PATTERNS:
        match = pattern.match(cleaned)
        if not match:
            continue
        first, second, third = (int(group) for group in match.groups())
        if form == "ymd":
            moment = _date_or_none(first, second, third)
        elif form == "dmy":
            moment = _date_or_none(third, second, first)
        else:
            moment = _slashed_date(cleaned, first, second, third, order)
        if moment is None:
            return None
        rest = cleaned[match.end() :].strip()
        if not rest:
            return moment
        parsed_time = _parse_time(rest)
        return None if parsed_time is None else datetime.combine(moment.date(), parsed_time)
    return None


def _date_or_none(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def _slashed_date(text: str, first: int, second: int, year: int, order: str | None) -> datetime | None:
    """Read ``first/second/year`` in the workbook's date order; without one, the only reading that is a date."""
    day_first, month_first = _date_or_none(year, second, first), _date_or_none(year, first, second)
    if order == "DMY":
        return day_first
    if order == "MDY":
        return month_first
    if day_first is not None and month_first is not None and day_first != month_first:
        raise CellValueError(
            "ambiguous_date", text, day_first=f"{day_first:%Y-%m-%d}", month_first=f"{month_first:%Y-%m-%d}"
        )
    return day_first or month_first


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


def read_datetime(value: Any, zone: tzinfo, order: str | None = None) -> datetime | None:
    """Return the moment a cell holds, aware, in ``zone`` when the cell carries no zone of its own.

    Accepts datetimes, dates, Excel serial numbers, and text such as ``2026-11-23 14:00``,
    ``2026/11/23 14:00``, ``23.11.2026`` and ``2026年11月23日 14:00`` (year-first forms always). A slashed date
    such as ``11/03/2026`` is read in ``order`` (``DMY`` or ``MDY``); without one, a date both of whose readings
    exist raises CellValueError("ambiguous_date") naming both.
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
        moment = _parse_text_datetime(without_invisible(text), order)
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
