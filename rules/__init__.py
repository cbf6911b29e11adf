"""The rule-tab language: parse tabs -> RuleBook, check them, evaluate a ticket -> Verdict.

Pure: imports only the standard library, pydantic and ``tickets``. Other packages import only the names below.
"""

from rules.cell import CellSyntaxError, UnaryTest, normalize_value, parse_cell, parse_value
from rules.table import Aggregation, Decision, DecisionTable, HitPolicy, Output, Rule, TableError

__all__ = [
    "CellSyntaxError",
    "UnaryTest",
    "normalize_value",
    "parse_cell",
    "parse_value",
    "Aggregation",
    "Decision",
    "DecisionTable",
    "HitPolicy",
    "Output",
    "Rule",
    "TableError",
]
