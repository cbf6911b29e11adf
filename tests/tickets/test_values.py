"""Reading what spreadsheets really hold."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets import (
    CellValueError,
    from_excel_serial,
    read_boolean,
    read_datetime,
    read_integer,
    read_text,
    to_excel_serial,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "typed",
    ["2026-11-23 14:00", "2026/11/23 14:00", "2026年11月23日 14:00", "2026年11月23日 14时", "2026-11-23T14:00",
     " 2026-11-23 2:00 pm ", "2026.11.23 14:00", 46349.583333333336, "46349.583333333336",
     datetime(2026, 11, 23, 14, 0)],
)
def test_a_moment_typed_any_common_way_reads_as_that_moment_in_the_calendar_zone(typed):
    assert read_datetime(typed, SHANGHAI) == datetime(2026, 11, 23, 14, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("typed", ["23.11.2026", "23/11/2026", "2026-11-23", date(2026, 11, 23), "2026年11月23日"])
def test_a_date_without_a_time_reads_as_midnight(typed):
    assert read_datetime(typed, SHANGHAI) == datetime(2026, 11, 23, tzinfo=SHANGHAI)


def test_a_moment_with_its_own_zone_keeps_its_instant():
    moment = read_datetime("2026-11-23T14:00:00+01:00", SHANGHAI)
    assert moment == datetime(2026, 11, 23, 21, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("typed", ["yesterday", "2026-13-01", "31.02.2026", True, -5, "31/31/2026 9:00"])
def test_something_that_is_not_a_date_is_refused_with_its_code(typed):
    with pytest.raises(CellValueError) as error:
        read_datetime(typed, SHANGHAI)
    assert error.value.code == "not_a_date"


def test_a_formula_error_is_named_as_such():
    with pytest.raises(CellValueError) as error:
        read_integer("#REF!")
    assert (error.value.code, error.value.value) == ("formula_error", "#REF!")


@pytest.mark.parametrize("typed, expected", [(3, 3), (3.0, 3), (" 3 ", 3), ("1,200", 1200), ("4.0", 4)])
def test_whole_numbers_arrive_as_ints_floats_or_text(typed, expected):
    assert read_integer(typed) == expected


@pytest.mark.parametrize("typed", [2.5, "2.5", "many", True])
def test_a_number_that_is_not_whole_is_refused(typed):
    with pytest.raises(CellValueError):
        read_integer(typed)


@pytest.mark.parametrize("typed", ["yes", "Y", "TRUE", "是", "有", 1, True])
def test_yes_words_in_either_language_read_as_true(typed):
    assert read_boolean(typed) is True


@pytest.mark.parametrize("typed", ["no", "n", "False", "否", "无", 0, False])
def test_no_words_in_either_language_read_as_false(typed):
    assert read_boolean(typed) is False


def test_a_word_that_is_neither_yes_nor_no_is_refused():
    with pytest.raises(CellValueError) as error:
        read_boolean("maybe")
    assert error.value.code == "not_yes_no"


@pytest.mark.parametrize("typed, expected", [("  Acme   Foods ", "Acme Foods"), (12.0, "12"), ("", None), ("   ", None),
                                             (None, None), (2.5, "2.5")])
def test_text_is_trimmed_and_whole_floats_lose_their_point(typed, expected):
    assert read_text(typed) == expected


@given(st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(9000, 1, 1)))
def test_excel_serials_round_trip_to_the_second(moment):
    moment = moment.replace(microsecond=0)
    assert from_excel_serial(to_excel_serial(moment)) == moment
