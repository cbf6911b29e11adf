"""The rule-tab language: parse tabs -> RuleBook, check them, evaluate a ticket -> Verdict.

Pure: imports only the standard library, pydantic and ``tickets``. Other packages import only the names below.
Typical use by the engine::

    lists, problems = parse_lists(rows_of["lists"])
    liaisons, more = parse_liaisons(name_of["liaisons"], rows_of["liaisons"])
    grade = parse_rule_tab("grade_rules", name_of["grade_rules"], rows_of["grade_rules"], lists)
    ...  # owner, deadline alike; a ParsedTab whose .table is None keeps the last good one
    book = RuleBook(grade.table, owner.table, deadline.table, liaisons, lists)
    problems += check_book(book)
    verdict = book.evaluate(facts)
"""

from rules.book import RuleBook, Verdict, check_book
from rules.cell import CellSyntaxError, UnaryTest, normalize_value, parse_cell, parse_value
from rules.liaisons import Liaison, Liaisons, parse_liaisons
from rules.lists import Lists, parse_lists
from rules.problems import ERROR, WARNING, RuleProblem
from rules.screen import ScreenedTab, screen_tab
from rules.table import Aggregation, Decision, DecisionTable, HitPolicy, Output, Rule, TableError
from rules.tabs import ParsedTab, RuleTab, parse_rule_tab
from rules.vocabulary import DEFAULT_FOLLOW_UP_HOURS, RULE_ROLES

__all__ = [
    # the cell language
    "CellSyntaxError",
    "UnaryTest",
    "normalize_value",
    "parse_cell",
    "parse_value",
    # the generic DMN decision table
    "Aggregation",
    "Decision",
    "DecisionTable",
    "HitPolicy",
    "Output",
    "Rule",
    "TableError",
    # the workbook's tabs
    "Lists",
    "parse_lists",
    "Liaison",
    "Liaisons",
    "parse_liaisons",
    "ParsedTab",
    "RuleTab",
    "parse_rule_tab",
    "ScreenedTab",
    "screen_tab",
    "RULE_ROLES",
    "DEFAULT_FOLLOW_UP_HOURS",
    # the book and its problems
    "RuleBook",
    "Verdict",
    "check_book",
    "RuleProblem",
    "ERROR",
    "WARNING",
]
