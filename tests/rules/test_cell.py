"""The cell language, as people write it in IF cells."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import CellSyntaxError, parse_cell, parse_value
from tickets.status import Status


def matches(cell: str, value: object) -> bool:
    return parse_cell(cell).matches(value)


def error_of(cell: str) -> CellSyntaxError:
    with pytest.raises(CellSyntaxError) as caught:
        parse_cell(cell)
    return caught.value


# --- any, equality, lists ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["", "   ", "-", " - ", None])
def test_a_blank_or_dash_cell_matches_anything(cell):
    test = parse_cell(cell)
    assert test.is_any
    assert all(test.matches(value) for value in ("gold", 3, None, True, date(2026, 1, 1)))


def test_a_word_matches_it_in_any_case_and_spacing():
    assert matches("gold", "Gold")
    assert matches("  Gold  ", " gold ")
    assert matches("Model  X", "model x")
    assert not matches("gold", "golden")


def test_quotes_are_optional_and_keep_a_comma():
    assert matches('"gold"', "gold")
    assert matches('"a, b"', "A, B")
    assert not matches('"a, b"', "a")


def test_a_list_matches_any_of_its_values():
    assert matches("gold, platinum", "Platinum")
    assert not matches("gold, platinum", "silver")


def test_not_matches_none_of_the_values_in_either_spelling():
    for cell in ("not gold, platinum", "not(gold, platinum)", "NOT (gold, platinum)"):
        assert not matches(cell, "gold")
        assert not matches(cell, "platinum")
        assert matches(cell, "silver")


def test_a_word_that_begins_with_not_is_just_a_word():
    assert matches("nothing", "Nothing")
    assert matches("notebook", "notebook")


def test_chinese_punctuation_works_like_english():
    assert matches("金卡，银卡", "银卡")
    assert matches("金卡、银卡", "金卡")
    assert matches("［1..5］", 3)
    assert matches("＞＝１０", 10)


def test_empty_matches_only_a_blank_value():
    assert matches("(empty)", None)
    assert matches("(empty)", "   ")
    assert not matches("(empty)", "gold")
    assert matches("not (empty)", "gold")
    assert not matches("not (empty)", None)
    assert matches("(empty), gold", "gold")


# --- numbers, comparisons, ranges --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("<10", 9, True), ("<10", 10, False), ("<=10", 10, True), (">10", 10, False), (">10", 11, True),
        (">=10", 10, True), ("=10", 10, True), ("=10", 10.0, True), ("!=10", 10, False), ("!=10", 11, True),
        ("<10", None, False), ("!=10", None, True), ("< 2.5", 2, True), ("≥10", 10, True), ("<>10", 10, False),
    ],
)  # fmt: skip
def test_comparisons_compare_numbers_as_numbers(cell, value, expected):
    assert matches(cell, value) is expected


def test_a_number_is_not_compared_with_text():
    assert not matches("<10", "9")
    assert not matches("<10", "abc")


def test_a_number_cell_also_matches_the_same_number_typed_as_text():
    assert matches("10", "10")
    assert matches("10", 10)


def test_a_bare_range_includes_both_ends():
    assert [matches("10..99", value) for value in (9, 10, 50, 99, 100)] == [False, True, True, True, False]


def test_a_range_with_an_open_end_excludes_it():
    assert matches("[10..100)", 10)
    assert not matches("[10..100)", 100)
    assert not matches("(1..5]", 1)
    assert matches("(1..5]", 5)


def test_outward_brackets_mean_open_ends_too():
    assert [matches("]1..5[", value) for value in (1, 2, 4, 5)] == [False, True, True, False]


def test_negative_numbers_and_decimals_work_in_ranges():
    assert matches("-5..5", -5)
    assert matches("0.5..1.5", 1)
    assert not matches("0.5..1.5", 2)


def test_a_list_can_mix_values_comparisons_and_ranges():
    cell = "1, <5, >=10"
    assert [matches(cell, value) for value in (1, 4, 7, 10)] == [True, True, False, True]


# --- yes/no, dates, statuses, text order -------------------------------------------------------------------


@pytest.mark.parametrize("word", ["yes", "YES", "true", "是"])
def test_yes_words_match_true(word):
    assert matches(word, True)
    assert not matches(word, False)


@pytest.mark.parametrize("word", ["no", "false", "否"])
def test_no_words_match_false(word):
    assert matches(word, False)
    assert not matches(word, True)


def test_yes_never_equals_the_number_one():
    assert not matches("yes", 1)
    assert not matches("1", True)


def test_dates_compare_as_dates_in_both_spellings():
    for cell in ("2026-11-01", 'date("2026-11-01")', "=2026-11-01"):
        assert matches(cell, date(2026, 11, 1))
    assert matches("<2026-11-01", date(2026, 10, 31))
    assert matches("2026-11-01..2026-11-30", date(2026, 11, 15))


def test_a_datetime_is_compared_by_its_date():
    moment = datetime(2026, 11, 1, 18, 30, tzinfo=UTC)
    assert matches("2026-11-01", moment)
    assert not matches("<2026-11-01", moment)
    assert matches("<=2026-11-01", moment)


def test_statuses_compare_by_their_label():
    assert matches("Resolved, Closed", Status.CLOSED)
    assert not matches("Resolved", Status.NEW)


def test_text_compares_alphabetically_and_case_insensitively():
    assert matches('<"b"', "A")
    assert not matches('<"b"', "B")
    assert matches('["b".."d")', "c")


def test_a_cell_typed_as_a_number_or_date_by_the_spreadsheet_reads_as_its_text():
    assert matches(10.0, 10)
    assert matches(datetime(2026, 11, 1), date(2026, 11, 1))
    assert matches(True, True)


def test_an_output_cell_keeps_its_spelling():
    assert parse_value('"Approved"') == "Approved"
    assert parse_value("Gold") == "Gold"
    assert parse_value("98.83") == 98.83
    assert parse_value("100") == 100
    assert parse_value("true") is True
    assert parse_value(" ") is None


# --- errors point at the character and say what to write ---------------------------------------------------


def test_a_range_without_an_end_says_how_to_finish_it():
    error = error_of("10..")
    assert str(error) == '"10..": a range needs an end — write 10..99'
    assert error.position == 4
    assert "10..99" in error.message_zh


def test_a_range_without_a_start_points_at_the_dots():
    error = error_of("..99")
    assert error.position == 0
    assert "write 0..99, or <=99" in str(error)


def test_an_unclosed_bracket_points_at_it_and_shows_the_fix():
    error = error_of("  [10..99")
    assert error.position == 2
    assert "write [10..99]" in str(error)


def test_a_closing_bracket_without_an_opening_one_points_at_it():
    error = error_of("10..99]")
    assert error.position == 6
    assert "write [10..99]" in str(error)


def test_an_unclosed_quote_points_at_the_quote():
    error = error_of('gold, "plat')
    assert error.position == 6
    assert "never closed" in str(error)


def test_a_doubled_comma_points_at_the_second_comma():
    error = error_of("gold,,platinum")
    assert error.position == 5
    assert "remove the extra comma" in str(error)


def test_a_trailing_comma_is_reported():
    assert "ends with a comma" in str(error_of("gold, "))


def test_a_comparison_without_a_value_shows_an_example():
    assert "write >=10" in str(error_of(">="))


def test_a_backwards_range_suggests_the_right_order():
    assert "write 10..99" in str(error_of("99..10"))


def test_a_range_of_different_kinds_is_refused():
    assert "not the same kind" in str(error_of("1..gold"))


def test_an_impossible_date_is_refused():
    error = error_of("<2026-13-01")
    assert error.position == 1
    assert "not a date" in str(error)


def test_not_must_come_first():
    error = error_of("gold, not silver")
    assert error.position == 6
    assert "write not silver" in str(error)


def test_yes_and_no_cannot_be_ordered():
    assert "cannot be compared" in str(error_of("> yes"))


def test_brackets_around_a_single_value_are_refused():
    assert "only for ranges" in str(error_of("[gold]"))


def test_empty_quotes_suggest_empty():
    assert "write (empty)" in str(error_of('""'))


def test_the_pointer_puts_a_caret_under_the_fault():
    assert error_of("1..").pointer == "1..\n   ^"


# --- properties --------------------------------------------------------------------------------------------

integers = st.integers(min_value=-1000, max_value=1000)
words = st.text(alphabet="abcdefgh", min_size=1, max_size=6)


@given(integers, integers, st.booleans(), st.booleans(), integers)
def test_a_range_and_its_not_partition_the_numbers(low, high, start_included, end_included, value):
    low, high = min(low, high), max(low, high)
    cell = f"{'[' if start_included else '('}{low}..{high}{']' if end_included else ')'}"
    assert matches(cell, value) != matches(f"not({cell})", value)


@given(st.lists(words, min_size=1, max_size=5), words)
def test_a_list_and_its_not_partition_the_words(values, value):
    cell = ", ".join(values)
    assert matches(cell, value) == (value in values)
    assert matches(f"not {cell}", value) != matches(cell, value)


@given(integers, integers)
def test_a_comparison_agrees_with_python(bound, value):
    assert matches(f"<{bound}", value) == (value < bound)
    assert matches(f">={bound}", value) == (value >= bound)
    assert matches(f"!={bound}", value) == (value != bound)


@given(st.text(max_size=12))
def test_any_text_either_parses_or_raises_a_positioned_error(text):
    try:
        parse_cell(text)
    except CellSyntaxError as error:
        assert 0 <= error.position <= len(text)
        assert error.message_en.startswith(f'"{text}"')


@pytest.mark.parametrize("cell", ["非 核心客户, 重点客户", "非(核心客户, 重点客户)", "非（核心客户，重点客户）", "not 核心客户, 重点客户"])
def test_chinese_cells_may_say_not_with_fei(cell):
    test = parse_cell(cell)
    assert [test.matches(value) for value in ("核心客户", "重点客户", "普通客户")] == [False, False, True]


def test_a_value_that_merely_starts_with_fei_is_a_plain_value():
    assert parse_cell("非洲").matches("非洲") and not parse_cell("非洲").matches("亚洲")
