"""Screening a tab people edit before it is read (rules.screen): merges, invisible characters, errors and
formulas without a value, named with their tab and cell; the rows handed on hold what is to be read."""

from __future__ import annotations

from rules import screen_tab
from tickets import ErrorValue, FormulaCell

GRADE_RULES = [
    ["Rule", "On", "IF Tier", "THEN Grade", "Note"],
    ["G1", "yes", "Core", "Urgent", "core customers first"],
    ["G2", "yes", "-", "Routine", None],
]


def test_a_merge_over_rule_cells_blocks_the_tab_and_names_the_range():
    screened = screen_tab("Grade rules", GRADE_RULES, [(1, 2, 2, 2)])
    assert screened.blocks
    assert [str(problem) for problem in screened.problems] == [
        "Grade rules!C2: the cells C2:C3 are merged — unmerge it: only C2 holds a value, the other cells read as "
        "empty (on a rule tab, an empty cell means any); until then this tab is not applied"]


def test_a_merge_over_notes_only_is_a_warning():
    screened = screen_tab("Grade rules", GRADE_RULES, [(1, 4, 2, 4)])
    assert not screened.blocks and screened.problems[0].cell == "E2" and "C2" not in str(screened.problems[0])


def test_a_merge_on_the_header_row_is_an_error_even_over_a_note():
    assert screen_tab("Grade rules", GRADE_RULES, [(0, 3, 0, 4)]).blocks


def test_an_invisible_character_is_named_and_taken_out_of_the_rows_read():
    rows = [list(row) for row in GRADE_RULES]
    rows[1][2] = "Core\u200b"
    screened = screen_tab("Grade rules", rows)
    assert screened.rows[1][2] == "Core" and not screened.blocks
    assert "U+200B ZERO WIDTH SPACE" in str(screened.problems[0]) and screened.problems[0].cell == "C2"


def test_a_header_showing_an_error_blocks_a_rule_tab():
    rows = [list(row) for row in GRADE_RULES]
    rows[0][2] = ErrorValue("#N/A")
    screened = screen_tab("Grade rules", rows)
    assert screened.blocks and "the header shows the error #N/A" in str(screened.problems[0])


def test_lists_and_liaisons_cells_showing_errors_or_formulas_are_named_and_read_as_empty():
    rows = [["Department", "Email"], ["Quality", ErrorValue("#REF!")], [FormulaCell('"R"&"D"'), "rd@example.com"]]
    screened = screen_tab("Liaisons", rows, rule_tab=False)
    assert screened.rows[1][1] is None and screened.rows[2][0] is None
    assert [problem.cell for problem in screened.problems] == ["B2", "A3"]
    assert "#REF!" in str(screened.problems[0]) and '"R"&"D"' in str(screened.problems[1])


def test_a_rule_cell_showing_an_error_is_left_for_the_rule_reader_to_name():
    rows = [list(row) for row in GRADE_RULES]
    rows[1][2] = ErrorValue("#N/A")
    screened = screen_tab("Grade rules", rows)
    assert screened.rows[1][2] == ErrorValue("#N/A") and not screened.problems


def test_notes_are_not_screened():
    rows = [list(row) for row in GRADE_RULES]
    rows[1][4] = ErrorValue("#N/A")
    assert not screen_tab("Grade rules", rows).problems
