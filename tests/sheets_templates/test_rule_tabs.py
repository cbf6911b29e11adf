"""The template's rule tabs: their headers, and rows that hang together with the Lists and Liaisons tabs."""

from __future__ import annotations

import itertools

import pytest

from sheets_templates import build_spec, list_values, load_template

LANGUAGES = ("en", "zh")
HEADERS = {
    "en": {
        "grade_rules": [
            "Rule", "On", "IF Safety risk", "IF Category", "IF Tier", "IF Affected customers", "IF Similar 7d",
            "IF Channel", "THEN Grade", "Note",
        ],
        "owner_rules": ["Rule", "On", "IF Safety risk", "IF Category", "THEN Department", "THEN Liaison", "Note"],
        "deadline_rules": [
            "Rule", "On", "IF Grade", "IF Tier", "THEN Response hours", "THEN Resolution hours",
            "THEN Follow-up hours", "THEN Clock", "Note",
        ],
    },
    "zh": {
        "grade_rules": [
            "规则", "启用", "如果 安全隐患", "如果 问题类型", "如果 客户等级", "如果 影响客户数", "如果 7日同类",
            "如果 渠道", "则 等级", "备注",
        ],
        "owner_rules": ["规则", "启用", "如果 安全隐患", "如果 问题类型", "则 责任部门", "则 联络官", "备注"],
        "deadline_rules": [
            "规则", "启用", "如果 等级", "如果 客户等级", "则 响应时限", "则 解决时限", "则 回访时限", "则 计时方式",
            "备注",
        ],
    },
}  # fmt: skip


def _table(language: str, key: str) -> list[dict[str, object]]:
    """Return a rule tab's rows as {header: value}."""
    header, *rows = build_spec(language).tab(key).rows
    return [dict(zip(header, row, strict=False)) for row in rows]


def _matches(cell: object, value: str) -> bool:
    """The template's grade and tier cells use only: blank or - (any), one value, or a comma list."""
    if cell is None or str(cell).strip() == "-":
        return True
    return value in [part.strip() for part in str(cell).split(",")]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", ["grade_rules", "owner_rules", "deadline_rules"])
def test_rule_tab_headers_name_columns_in_the_language(language, key):
    assert build_spec(language).tab(key).rows[0] == HEADERS[language][key]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_grade_and_tier_pair_has_exactly_one_deadline_rule(language):
    words = load_template(language)["words"]
    rows = [row for row in _table(language, "deadline_rules") if row[words["on"]] == words["yes"]]
    grade, tier = HEADERS[language]["deadline_rules"][2:4]
    lists = list_values(language)
    for grade_value, tier_value in itertools.product(lists["grade"], lists["tier"]):
        hits = [row for row in rows if _matches(row[grade], grade_value) and _matches(row[tier], tier_value)]
        assert len(hits) == 1, (grade_value, tier_value, hits)


@pytest.mark.parametrize("language", LANGUAGES)
def test_deadline_rules_give_whole_hours_and_a_known_clock(language):
    table = load_template(language)["deadline_rules"]
    for row in table["rows"]:
        response, resolution, follow_up, clock = row[4:8]
        assert 0 < response <= resolution and follow_up == 48 and clock in table["clock_values"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_safety_is_most_urgent_on_a_round_the_clock_one_hour_response(language):
    grades = list_values(language)["grade"]
    grade_rows = load_template(language)["grade_rules"]["rows"]
    assert grade_rows[0][2] == load_template(language)["words"]["yes"] and grade_rows[0][-2] == grades[0]
    table = load_template(language)["deadline_rules"]
    most_urgent = [row for row in table["rows"] if row[2] == grades[0]]
    assert all(row[4] == 1 and row[7] == table["clock_values"][1] for row in most_urgent)


@pytest.mark.parametrize("language", LANGUAGES)
def test_grade_rules_give_listed_grades_and_end_with_a_catch_all(language):
    grades = list_values(language)["grade"]
    rows = load_template(language)["grade_rules"]["rows"]
    assert {row[-2] for row in rows} == set(grades)
    assert all(cell == "-" for cell in rows[-1][2:-2])


@pytest.mark.parametrize("language", LANGUAGES)
def test_owner_rules_name_departments_and_liaisons_of_the_liaisons_tab(language):
    liaisons = {(row[0], row[1]) for row in load_template(language)["liaisons"]["rows"]}
    rows = load_template(language)["owner_rules"]["rows"]
    assert {(row[4], row[5]) for row in rows} <= liaisons
    assert all(cell == "-" for cell in rows[-1][2:4])


@pytest.mark.parametrize("language", LANGUAGES)
def test_rule_conditions_use_only_listed_values(language):
    lists = list_values(language)
    template = load_template(language)
    for key in ("grade_rules", "owner_rules", "deadline_rules"):
        table = template[key]
        for row in table["rows"]:
            assert row[1] in lists["yes_no"]
            for condition, cell in zip(table["conditions"], row[2:], strict=False):
                if condition in lists and cell != "-":
                    assert {part.strip() for part in cell.split(",")} <= set(lists[condition]), (key, row)


@pytest.mark.parametrize("language", LANGUAGES)
def test_liaisons_have_addresses_and_a_language(language):
    liaisons = load_template(language)["liaisons"]
    assert len(liaisons["headers"]) == 7
    for row in liaisons["rows"]:
        assert all("@example." in address for address in (row[2], row[4], row[5]))
        assert row[6] in ("en", "zh")
