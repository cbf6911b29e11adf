"""The Rule check tab: a line per rule tab not applied or missing, then every problem with its tab and cell."""

from __future__ import annotations

from rules import Lists, RuleBook, RuleProblem
from sync.rule_loading import LoadedRules
from sync.tabs.rule_check import rule_check_tab


def loaded(**fields) -> LoadedRules:
    return LoadedRules(RuleBook(None, None, None), Lists(), **fields)


def test_a_clean_workbook_says_so_in_its_language():
    assert rule_check_tab(loaded(), [], "en").rows[1][3].startswith("No problems found")
    assert rule_check_tab(loaded(), [], "zh").rows[0] == ["页", "单元格", "级别", "问题"]


def test_tabs_not_applied_or_missing_come_first_then_each_problem_with_its_cell():
    problem = RuleProblem.make("Owner rules", "C1", "unknown_header", header="Prodcut")
    tab = rule_check_tab(loaded(problems=[problem], not_applied={"Grade rules": True}, missing=["Lists"]), [], "en")
    assert [row[:3] for row in tab.rows[1:]] == [
        ["Grade rules", None, "error"], ["Lists", None, "error"], ["Owner rules", "C1", problem.severity]]
    assert "last good version" in tab.rows[1][3] and "Prodcut" in tab.rows[3][3]
