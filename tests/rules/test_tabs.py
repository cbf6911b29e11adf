"""Reading rule tabs, Lists and Liaisons from rows, in English and Chinese, and every check with its cell."""

from __future__ import annotations

import copy

import pytest

from rules import Lists, parse_liaisons, parse_lists, parse_rule_tab
from tests.rules.conftest import (
    DEADLINE_EN,
    DEADLINE_ZH,
    GRADE_EN,
    GRADE_ZH,
    LIAISONS_EN,
    LIAISONS_ZH,
    LISTS_EN,
    OWNER_EN,
    OWNER_ZH,
)
from tickets.outcome import Clock


def with_cell(rows: list[list[object]], row: int, column: int, value: object) -> list[list[object]]:
    changed = copy.deepcopy(rows)
    changed[row][column] = value
    return changed


def only(problems, code: str):
    found = [problem for problem in problems if problem.code == code]
    assert len(found) == 1, [str(problem) for problem in problems]
    return found[0]


# --- Lists and Liaisons ------------------------------------------------------------------------------------


def test_lists_keep_their_order_and_skip_blanks():
    lists, problems = parse_lists(LISTS_EN)
    assert problems == []
    assert lists.grades == ("A", "B", "C")
    assert lists["category"] == ("Safety", "Quality", "Delivery", "Billing")
    assert lists.allowed("request") == ("Refund", "Repair")


def test_chinese_lists_read_the_same_way(lists_zh):
    assert lists_zh.grades == ("一级", "二级", "三级")
    assert lists_zh["tier"] == ("钻石", "金卡", "普通")


def test_lists_warn_about_an_unknown_header_and_a_repeated_value():
    _, problems = parse_lists([["Grade", "Colour"], ["A", "red"], ["a", None]])
    assert {(problem.code, problem.cell, problem.severity) for problem in problems} == {
        ("unknown_list", "B1", "warning"),
        ("duplicate_list_value", "A3", "warning"),
    }


def test_liaisons_resolve_a_department_to_its_people():
    liaisons, problems = parse_liaisons("Liaisons", LIAISONS_EN)
    assert problems == []
    quality = liaisons.assignment("quality")
    assert (quality.department, quality.liaison, quality.liaison_email, quality.language) == (
        "Quality", "Li Lei", "li.lei@example.com", "zh",
    )  # fmt: skip
    assert liaisons.assignment("Logistics").deputy_email == "cy@example.com"
    assert liaisons.assignment("Logistics").language == "en"


def test_chinese_liaisons_read_the_same_way():
    liaisons, problems = parse_liaisons("联络官", LIAISONS_ZH)
    assert problems == []
    assert liaisons.assignment("客服部").liaison == "韩梅梅"
    assert liaisons.assignment("客服部").language == "zh"


def test_a_bad_email_is_an_error_at_its_cell():
    liaisons, problems = parse_liaisons("Liaisons", with_cell(LIAISONS_EN, 2, 4, "bob@example"))
    problem = only(problems, "bad_email")
    assert problem.is_error
    assert (
        str(problem) == 'Liaisons!E3: "bob@example" is not an email address — write it like name@example.com'
    )


def test_an_unknown_language_is_a_warning_and_english_is_used():
    liaisons, problems = parse_liaisons("Liaisons", with_cell(LIAISONS_EN, 3, 6, "Klingon"))
    assert only(problems, "bad_language").cell == "G4"
    assert liaisons.assignment("Service").language == "en"


def test_liaisons_without_a_department_column_say_so():
    _, problems = parse_liaisons("Liaisons", [["Name", "Email"], ["x", "x@example.com"]])
    assert only(problems, "missing_column").message_en == 'the tab needs a "Department" column'


# --- rule tabs in both languages ---------------------------------------------------------------------------


def test_an_english_grade_tab_reads_cleanly(lists_en):
    parsed = parse_rule_tab("grade_rules", "Grade rules", GRADE_EN, lists_en)
    assert parsed.problems == []
    assert [rule.rule_id for rule in parsed.table.rules] == ["G1", "G2", "G3", "G5"]  # G4 is switched off
    assert [condition.key for condition in parsed.table.conditions] == ["safety_risk", "similar_7d", "tier"]


def test_a_chinese_grade_tab_reads_cleanly(lists_zh):
    parsed = parse_rule_tab("grade_rules", "定级规则", GRADE_ZH, lists_zh)
    assert parsed.problems == []
    assert [condition.key for condition in parsed.table.conditions] == ["safety_risk", "similar_7d", "tier"]


@pytest.mark.parametrize(
    "header", ["IF Product", "If product", "if  PRODUCT:", "如果 产品", "如果产品", "IF 产品名称"]
)
def test_a_condition_header_may_be_written_many_ways(header, lists_en):
    rows = [["Rule", header, "THEN Department"], ["O1", "-", "Service"]]
    parsed = parse_rule_tab("owner_rules", "Owner rules", rows, lists_en)
    assert parsed.ok, [str(problem) for problem in parsed.problems]
    assert parsed.table.conditions[0].key == "product"


def test_chinese_owner_and_deadline_tabs_read_cleanly(lists_zh):
    owner = parse_rule_tab("owner_rules", "分派规则", OWNER_ZH, lists_zh)
    deadline = parse_rule_tab("deadline_rules", "时限规则", DEADLINE_ZH, lists_zh)
    assert owner.problems == [] and deadline.problems == []
    assert deadline.table.rules[0].outputs["clock"] is Clock.ALWAYS
    assert deadline.table.rules[1].outputs["follow_up_hours"] == 24


def test_deadline_defaults_fill_blank_optional_outputs(lists_en):
    parsed = parse_rule_tab("deadline_rules", "Deadline rules", DEADLINE_EN, lists_en)
    assert parsed.problems == []
    d3 = parsed.table.rules[2]
    assert d3.outputs == {
        "response_hours": 8,
        "resolution_hours": 72,
        "follow_up_hours": 48,
        "clock": Clock.BUSINESS,
    }


def test_note_only_rows_are_skipped(lists_en):
    parsed = parse_rule_tab("grade_rules", "Grade rules", GRADE_EN, lists_en)
    assert "row 6" not in [rule.rule_id for rule in parsed.table.rules]


# --- each check, with its message and cell -----------------------------------------------------------------


def test_an_unknown_condition_column_suggests_the_closest(lists_en):
    rows = with_cell(OWNER_EN, 0, 2, "IF Prodcut")
    parsed = parse_rule_tab("owner_rules", "Owner rules", rows, lists_en)
    problem = only(parsed.problems, "unknown_column")
    assert str(problem) == 'Owner rules!C1: "IF Prodcut" is not a column — did you mean "Product"?'
    assert "是否要写“Product”" in problem.message_zh
    assert parsed.table is None


def test_an_unknown_chinese_condition_column_suggests_a_chinese_one(lists_zh):
    rows = with_cell(OWNER_ZH, 0, 2, "如果 问题类")
    problem = only(parse_rule_tab("owner_rules", "分派规则", rows, lists_zh).problems, "unknown_column")
    assert problem.cell == "C1"
    assert "问题类型" in problem.message_zh


def test_an_unknown_output_column_suggests_the_closest(lists_en):
    rows = with_cell(DEADLINE_EN, 0, 3, "THEN Respons hours")
    parsed = parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en)
    assert str(only(parsed.problems, "unknown_output")) == (
        'Deadline rules!D1: "THEN Respons hours" is not an output of this tab — did you mean "Response hours"?'
    )
    assert only(parsed.problems, "missing_output").cell is None


def test_a_computed_column_cannot_be_tested(lists_en):
    rows = with_cell(OWNER_EN, 0, 2, "IF Department")
    problem = only(parse_rule_tab("owner_rules", "Owner rules", rows, lists_en).problems, "computed_column")
    assert problem.cell == "C1"


def test_grade_rules_cannot_test_the_grade(lists_en):
    rows = with_cell(GRADE_EN, 0, 2, "IF Grade")
    problem = only(
        parse_rule_tab("grade_rules", "Grade rules", rows, lists_en).problems, "grade_in_grade_rules"
    )
    assert problem.cell == "C1"


def test_an_unreadable_cell_is_an_error_with_its_position(lists_en):
    rows = with_cell(GRADE_EN, 2, 3, "5..")
    parsed = parse_rule_tab("grade_rules", "Grade rules", rows, lists_en)
    problem = only(parsed.problems, "unreadable_cell")
    assert str(problem) == 'Grade rules!D3: "5..": a range needs an end — write 5..49 (character 4)'
    assert parsed.table is None


def test_a_tier_outside_lists_is_an_error_that_names_the_allowed_values(lists_en):
    rows = with_cell(GRADE_EN, 3, 4, "Platinum, Gld")
    problem = only(parse_rule_tab("grade_rules", "Grade rules", rows, lists_en).problems, "not_in_list")
    assert str(problem) == (
        'Grade rules!E4: "Gld" is not on the Tier list of the Lists tab — use one of: Platinum, Gold, Standard'
    )


def test_a_grade_output_outside_lists_is_an_error(lists_en):
    rows = with_cell(GRADE_EN, 1, 5, "AA")
    problem = only(parse_rule_tab("grade_rules", "Grade rules", rows, lists_en).problems, "not_in_list")
    assert problem.cell == "F2"


def test_a_grade_output_takes_the_spelling_of_lists(lists_en):
    rows = with_cell(GRADE_EN, 1, 5, " a ")
    parsed = parse_rule_tab("grade_rules", "Grade rules", rows, lists_en)
    assert parsed.table.rules[0].outputs["grade"] == "A"


def test_a_word_in_a_yes_no_column_can_never_match(lists_en):
    rows = with_cell(GRADE_EN, 1, 2, "maybe")
    problem = only(parse_rule_tab("grade_rules", "Grade rules", rows, lists_en).problems, "wrong_kind")
    assert (
        str(problem)
        == 'Grade rules!C2: "maybe" can never match: IF Safety risk holds yes/no — write yes or no'
    )


def test_a_word_in_a_number_column_can_never_match(lists_en):
    rows = with_cell(GRADE_EN, 2, 3, ">= many")
    problem = only(parse_rule_tab("grade_rules", "Grade rules", rows, lists_en).problems, "wrong_kind")
    assert problem.cell == "D3"


def test_an_unknown_status_is_an_error(lists_zh):
    rows = with_cell(OWNER_ZH, 2, 3, "已解决, 完结了")
    problem = only(parse_rule_tab("owner_rules", "分派规则", rows, lists_zh).problems, "not_a_status")
    assert problem.cell == "D3"


def test_resolution_hours_below_response_hours_is_an_error_at_the_resolution_cell(lists_en):
    rows = with_cell(DEADLINE_EN, 3, 4, 4)
    problem = only(
        parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en).problems,
        "resolution_before_response",
    )
    assert str(problem) == (
        "Deadline rules!E4: resolution hours (4) are below response hours (8) — a ticket is answered before it is resolved"
    )


def test_hours_that_are_not_a_number_are_an_error(lists_en):
    rows = with_cell(DEADLINE_EN, 1, 3, "one")
    assert (
        only(parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en).problems, "bad_hours").cell
        == "D2"
    )


def test_an_unknown_clock_is_an_error(lists_en):
    rows = with_cell(DEADLINE_EN, 1, 6, "nights")
    assert (
        only(parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en).problems, "bad_clock").cell
        == "G2"
    )


def test_an_empty_required_output_is_an_error(lists_en):
    rows = with_cell(OWNER_EN, 2, 4, None)
    problem = only(parse_rule_tab("owner_rules", "Owner rules", rows, lists_en).problems, "empty_output")
    assert problem.cell == "E3"


def test_a_duplicate_rule_id_is_an_error_at_the_second(lists_en):
    rows = with_cell(OWNER_EN, 3, 0, "o1")
    problem = only(parse_rule_tab("owner_rules", "Owner rules", rows, lists_en).problems, "duplicate_rule_id")
    assert str(problem) == "Owner rules!A4: rule o1 is also on row 2 — give each rule its own ID"


def test_a_missing_rule_id_is_a_warning_and_the_rule_is_named_by_its_row(lists_en):
    rows = with_cell(OWNER_EN, 2, 0, None)
    parsed = parse_rule_tab("owner_rules", "Owner rules", rows, lists_en)
    assert only(parsed.problems, "missing_rule_id").cell == "A3"
    assert parsed.ok
    assert parsed.table.rules[1].rule_id == "row 3"


def test_a_switched_off_row_never_blocks_the_tab(lists_en):
    rows = with_cell(GRADE_EN, 4, 3, "[1..")
    parsed = parse_rule_tab("grade_rules", "Grade rules", rows, lists_en)
    assert only(parsed.problems, "unreadable_cell").severity == "warning"
    assert parsed.ok


def test_an_unreadable_on_cell_is_an_error(lists_en):
    rows = with_cell(GRADE_EN, 1, 1, "perhaps")
    assert only(parse_rule_tab("grade_rules", "Grade rules", rows, lists_en).problems, "bad_on").cell == "B2"


def test_an_unknown_header_is_a_warning_and_ignored(lists_en):
    rows = with_cell(OWNER_EN, 0, 6, "Owner's comment")
    parsed = parse_rule_tab("owner_rules", "Owner rules", rows, lists_en)
    assert only(parsed.problems, "unknown_header").cell == "G1"
    assert parsed.ok


def test_an_empty_tab_names_the_headers_to_write(lists_en):
    problem = only(parse_rule_tab("deadline_rules", "Deadline rules", [], lists_en).problems, "empty_tab")
    assert "THEN Response hours" in problem.message_en


def test_grade_rules_need_a_grade_list():
    problem = only(parse_rule_tab("grade_rules", "Grade rules", GRADE_EN, Lists()).problems, "no_grades")
    assert problem.is_error


def test_overlapping_deadline_rules_are_an_error_with_an_example_ticket(lists_en):
    rows = with_cell(DEADLINE_EN, 4, 1, "C, B")
    parsed = parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en)
    overlaps = [str(problem) for problem in parsed.problems if problem.code == "overlap"]
    assert overlaps == [
        "Deadline rules!A5: rules D2 and D4 can both match one ticket (Grade B, Tier Gold) — "
        "make them exclusive, this tab allows exactly one match",
        "Deadline rules!A5: rules D3 and D4 can both match one ticket (Grade B, Tier Standard) — "
        "make them exclusive, this tab allows exactly one match",
    ]
    assert parsed.table is None


def test_ranges_that_only_touch_at_an_open_end_do_not_overlap(lists_en):
    rows = [
        ["Rule", "IF Similar 7d", "THEN Response hours", "THEN Resolution hours"],
        ["D1", "[0..5)", 8, 72],
        ["D2", "[5..10]", 4, 48],
        ["D3", ">10", 1, 24],
    ]
    assert [p.code for p in parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en).problems] == []


def test_whole_number_columns_have_no_values_between_neighbours(lists_en):
    rows = [
        ["Rule", "IF Affected customers", "THEN Response hours", "THEN Resolution hours"],
        ["D1", "<2", 8, 72],
        ["D2", ">1", 4, 48],
    ]
    assert "overlap" not in [
        p.code for p in parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en).problems
    ]


def test_an_uncovered_grade_and_tier_pair_is_a_warning_on_the_next_free_row(lists_en):
    rows = with_cell(DEADLINE_EN, 2, 2, "Platinum")
    parsed = parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en)
    problem = only(parsed.problems, "gap")
    assert (
        str(problem) == "Deadline rules!A6: no rule covers grade B with tier Gold — add a row for them here"
    )
    assert problem.severity == "warning"
    assert parsed.ok


def test_a_pair_covered_only_under_further_conditions_is_a_gap_with_an_example(lists_en):
    rows = [
        row[:3] + [("IF Safety risk" if index == 0 else "-")] + row[3:]
        for index, row in enumerate(DEADLINE_EN)
    ]
    rows = with_cell(rows, 4, 3, "yes")
    gaps = [
        str(p)
        for p in parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en).problems
        if p.code == "gap"
    ]
    assert gaps[0] == (
        "Deadline rules!A6: no rule covers grade C with tier Platinum (Safety risk (empty)) — add a row for them here"
    )
    assert len(gaps) == 3  # grade C with each tier


def test_a_pair_split_over_rules_on_another_column_is_covered(lists_en):
    rows = [
        ["Rule", "IF Similar 7d", "THEN Response hours", "THEN Resolution hours"],
        ["D1", "<5", 8, 72],
        ["D2", ">=5", 4, 48],
    ]
    assert parse_rule_tab("deadline_rules", "Deadline rules", rows, lists_en).problems == []


def test_a_rule_hidden_by_an_earlier_one_is_a_warning(lists_en):
    rows = copy.deepcopy(OWNER_EN)
    rows.insert(2, ["O1b", "", "Safety, Quality", "A", "Service", "", ""])
    rows.insert(3, ["O1c", "", "Safety", "A, B", "Service", "", ""])
    parsed = parse_rule_tab("owner_rules", "Owner rules", rows, lists_en)
    problem = only(parsed.problems, "hidden_rule")
    assert str(problem) == (
        "Owner rules!A4: rule O1c can never fire: rule O1 above it takes all its tickets — move it up or narrow O1"
    )
    assert parsed.ok


def test_owner_rules_without_a_catch_all_get_a_warning_on_the_last_rule(lists_en):
    rows = OWNER_EN[:-1]
    problem = only(parse_rule_tab("owner_rules", "Owner rules", rows, lists_en).problems, "no_catch_all")
    assert problem.cell == "A4"
    assert problem.severity == "warning"


def test_every_problem_renders_in_chinese_too(lists_zh):
    rows = with_cell(OWNER_ZH, 0, 2, "如果 产吕")
    problem = parse_rule_tab("owner_rules", "分派规则", rows, lists_zh).problems[0]
    assert problem.render("zh").startswith("分派规则!C1：“如果 产吕”不是有效的列")
