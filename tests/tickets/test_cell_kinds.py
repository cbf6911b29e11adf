"""A cell is a value, an error, a formula without a value, or text with invisible characters: each is told apart,
and every message quoting a cell fits a cell."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tickets import (
    CELL_TEXT_LIMIT,
    CellValueError,
    ErrorValue,
    FormulaCell,
    Problem,
    RowContext,
    fit_cell_text,
    is_blank,
    read_datetime,
    read_row,
    read_text,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("cell", [ErrorValue("#N/A"), FormulaCell('"CS-"&ROW()'), FormulaCell("")])
def test_an_error_or_a_formula_without_value_is_never_blank(cell):
    assert not is_blank(cell)


def test_an_error_cell_is_a_problem_naming_the_error():
    with pytest.raises(CellValueError) as error:
        read_text(ErrorValue("#DIV/0!"))
    assert (error.value.code, error.value.value) == ("formula_error", "#DIV/0!")


def test_a_formula_without_value_is_a_problem_quoting_the_formula():
    with pytest.raises(CellValueError) as error:
        read_datetime(FormulaCell("NOW()"), SHANGHAI)
    assert (error.value.code, error.value.value) == ("formula_without_value", "=NOW()")


def test_a_row_with_an_error_in_received_says_so_in_plain_words():
    result = read_row(2, {"ticket_id": "CS-1", "received": ErrorValue("#N/A")}, RowContext(zone=SHANGHAI))
    assert [problem.render("en", "Received") for problem in result.problems] == [
        "Received: the formula gives #N/A — fix the formula or type the value"
    ]


@pytest.mark.parametrize("typed", ["Core\u200b", "Co\u0007re", "\ufeffCore", "Core\u202e"])
def test_text_with_an_invisible_character_is_read_without_it_and_flagged(typed):
    result = read_row(2, {"ticket_id": "CS-1", "tier": typed}, RowContext(zone=SHANGHAI, allowed={"tier": ["Core"]}))
    assert result.ticket.tier == "Core"
    (problem,) = result.problems
    assert problem.code == "invisible_character"
    message = problem.render("en", "Tier")
    assert "invisible character (U+" in message and "retype" in message
    assert not any(character in message for character in "\u200b\u0007\ufeff\u202e")


@pytest.mark.parametrize("typed, day", [("2026-03-11", 11), ("2026/03/11 09:00", 11), ("2026年3月11日", 11)])
def test_year_first_dates_read_the_same_whatever_the_date_order(typed, day):
    for order in (None, "DMY", "MDY"):
        assert read_datetime(typed, SHANGHAI, order).day == day


def test_a_slashed_date_with_both_readings_is_ambiguous_without_a_date_order_and_names_both():
    with pytest.raises(CellValueError) as error:
        read_datetime("11/03/2026", SHANGHAI)
    assert error.value.code == "ambiguous_date"
    message = Problem("received", error.value.code, {"value": error.value.value, **error.value.details}).render(
        "en", "Received")
    assert "2026-03-11" in message and "2026-11-03" in message and "date_order" in message


@pytest.mark.parametrize("order, expected", [("DMY", datetime(2026, 3, 11, tzinfo=SHANGHAI)),
                                             ("MDY", datetime(2026, 11, 3, tzinfo=SHANGHAI))])
def test_the_date_order_decides_a_slashed_date(order, expected):
    assert read_datetime("11/03/2026", SHANGHAI, order) == expected


def test_a_slashed_date_with_one_possible_reading_is_read_that_way():
    assert read_datetime("11/29/2026 9:00", SHANGHAI) == datetime(2026, 11, 29, 9, tzinfo=SHANGHAI)
    assert read_datetime("29/11/2026", SHANGHAI) == datetime(2026, 11, 29, tzinfo=SHANGHAI)


def test_a_date_impossible_in_the_set_order_is_not_a_date():
    with pytest.raises(CellValueError) as error:
        read_datetime("11/29/2026", SHANGHAI, "DMY")
    assert error.value.code == "not_a_date"


def test_a_huge_value_is_quoted_short():
    huge = "x" * 30_000
    result = read_row(2, {"ticket_id": "CS-1", "satisfaction": huge}, RowContext(zone=SHANGHAI))
    message = result.problems[0].render("en", "Satisfaction")
    assert len(message) < 200 and "…" in message


def test_text_is_fitted_to_the_cell_limit_without_characters_a_workbook_cannot_carry():
    assert fit_cell_text("a\x07b\x00c") == "abc"
    fitted = fit_cell_text("y" * 40_000)
    assert len(fitted) == CELL_TEXT_LIMIT and fitted.endswith("…")
    assert fit_cell_text(fitted) == fitted
    assert fit_cell_text(3) == 3
