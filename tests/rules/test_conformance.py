"""Every DMN TCK case in tests/rules/dmn-tck/ (with its attribution and licence) runs through the cell language and the table engine.

Nothing is skipped silently: cases out of scope are listed in docs/rules.md and in OUT_OF_SCOPE below, and the
test asserts that exactly those fail.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from rules import Aggregation, DecisionTable, HitPolicy, Output, Rule, parse_cell, parse_value

TCK = Path(__file__).parent / "dmn-tck"
UNARY_TESTS = json.loads((TCK / "unary_tests.json").read_text(encoding="utf-8"))
TABLES = json.loads((TCK / "decision_tables.json").read_text(encoding="utf-8"))
TABLE_CASES = [(table, case) for table in TABLES for case in table["cases"]]

# Case ids that are out of scope, with the reason in docs/rules.md ("Conformance"). Keep the two in step.
OUT_OF_SCOPE: frozenset[str] = frozenset()


def typed(value: object, value_type: str) -> object:
    """Return a TCK JSON value as the Python value a ticket fact would hold."""
    return date.fromisoformat(value) if value_type == "date" and isinstance(value, str) else value


def unary_test_passes(case: dict) -> bool:
    return parse_cell(case["test"]).matches(typed(case["value"], case["value_type"])) is case["expected"]


def build_table(table: dict) -> DecisionTable:
    outputs = [
        Output(
            output["name"] or table["decision"],
            tuple(output["allowed_values"]) if output["allowed_values"] else None,
            output["default"],
        )
        for output in table["outputs"]
    ]
    rules = [
        Rule(
            str(number),
            tuple(parse_cell(entry) for entry in rule["input_entries"]),
            tuple(parse_value(entry) for entry in rule["output_entries"]),
        )
        for number, rule in enumerate(table["rules"], start=1)
    ]
    inputs = [column["expression"] for column in table["inputs"]]
    aggregation = Aggregation(table["aggregation"]) if table["aggregation"] else None
    return DecisionTable(
        inputs, outputs, rules, HitPolicy(table["hit_policy"]), aggregation, table["decision"]
    )


def table_case_passes(table: dict, case: dict) -> bool:
    types = {column["expression"]: column["type"] for column in table["inputs"]}
    facts = {name: typed(value, types.get(name, "")) for name, value in case["inputs"].items()}
    result = build_table(table).decide(facts).value
    return result == case["expected"]


def case_id(table: dict, case: dict) -> str:
    return f"{table['model']}:{case['id']}"


def test_the_extract_holds_the_counts_its_readme_promises():
    assert len(UNARY_TESTS) == 126
    assert len(TABLE_CASES) == 51


@pytest.mark.parametrize("case", UNARY_TESTS, ids=[case["id"] for case in UNARY_TESTS])
def test_a_unary_test_gives_the_tck_result(case):
    if case["id"] in OUT_OF_SCOPE:
        assert not unary_test_passes(case), f"{case['id']} now passes: take it off the out-of-scope list"
    else:
        assert unary_test_passes(case)


@pytest.mark.parametrize(
    ("table", "case"), TABLE_CASES, ids=[case_id(table, case) for table, case in TABLE_CASES]
)
def test_a_decision_table_gives_the_tck_result(table, case):
    if case_id(table, case) in OUT_OF_SCOPE:
        assert not table_case_passes(table, case), "now passes: take it off the out-of-scope list"
    else:
        assert table_case_passes(table, case)


def test_exactly_the_documented_cases_fail():
    failing = {case["id"] for case in UNARY_TESTS if not unary_test_passes(case)}
    failing |= {case_id(table, case) for table, case in TABLE_CASES if not table_case_passes(table, case)}
    assert failing == OUT_OF_SCOPE
    documented = (Path(__file__).parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    assert all(case in documented for case in OUT_OF_SCOPE)


def test_a_mutated_expectation_fails():
    """The harness can fail: flipping each unary expectation flips every verdict."""
    flipped = [dict(case, expected=not case["expected"]) for case in UNARY_TESTS]
    assert not any(unary_test_passes(case) for case in flipped)
