"""The generic decision table: hit policies, defaults, aggregations, and the fast path against a naive one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import Aggregation, DecisionTable, HitPolicy, Output, Rule, TableError, parse_cell


def rule(rule_id: str, cells: list[str], *outputs: object) -> Rule:
    return Rule(rule_id, tuple(parse_cell(cell) for cell in cells), outputs)


def grade_table(policy: HitPolicy) -> DecisionTable:
    rules = [
        rule("R1", ["yes", "-"], "A"),
        rule("R2", ["-", ">=5"], "B"),
        rule("R3", ["-", ">=3"], "A"),
        rule("R4", ["-", "-"], "C"),
    ]
    return DecisionTable(["safety", "similar"], [Output("grade", ("A", "B", "C"))], rules, policy)


def test_first_returns_the_top_matching_rule():
    decision = grade_table(HitPolicy.FIRST).decide({"safety": False, "similar": 6})
    assert [rule.id for rule in decision.hits] == ["R2"]
    assert decision.value == "B"


def test_priority_returns_the_most_urgent_output_whatever_the_order():
    decision = grade_table(HitPolicy.PRIORITY).decide({"safety": False, "similar": 6})
    assert decision.value == "A"
    assert [rule.id for rule in decision.hits] == ["R3"]
    assert [rule.id for rule in decision.matched] == ["R2", "R3", "R4"]


def test_priority_ties_go_to_the_earlier_rule():
    decision = grade_table(HitPolicy.PRIORITY).decide({"safety": True, "similar": 6})
    assert decision.hits[0].id == "R1"


def test_unique_with_two_matches_is_a_conflict_naming_both():
    decision = grade_table(HitPolicy.UNIQUE).decide({"safety": True, "similar": 0})
    assert decision.conflict
    assert decision.value is None
    assert [rule.id for rule in decision.matched] == ["R1", "R4"]


def test_any_accepts_several_matches_with_equal_outputs_only():
    table = DecisionTable(
        ["n"],
        [Output("x")],
        [rule("1", [">1"], "a"), rule("2", [">2"], "a"), rule("3", [">3"], "b")],
        HitPolicy.ANY,
    )
    assert table.decide({"n": 3}).value == "a"
    assert table.decide({"n": 4}).conflict


def test_output_order_sorts_hits_by_allowed_values():
    table = grade_table(HitPolicy.OUTPUT_ORDER)
    assert table.decide({"safety": True, "similar": 6}).value == ["A", "A", "B", "C"]


def test_rule_order_and_collect_keep_table_order():
    for policy in (HitPolicy.RULE_ORDER, HitPolicy.COLLECT):
        assert grade_table(policy).decide({"safety": True, "similar": 6}).value == ["A", "B", "A", "C"]


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [(Aggregation.SUM, 6), (Aggregation.MIN, 1), (Aggregation.MAX, 3), (Aggregation.COUNT, 3)],
)
def test_collect_aggregates_the_outputs(aggregation, expected):
    rules = [rule("1", [">0"], 1), rule("2", [">1"], 2), rule("3", [">2"], 3)]
    table = DecisionTable(["n"], [Output("x")], rules, HitPolicy.COLLECT, aggregation)
    assert table.decide({"n": 5}).value == expected


def test_collect_over_no_match_counts_zero_and_sums_nothing():
    rules = [rule("1", [">0"], 1)]
    assert (
        DecisionTable(["n"], [Output("x")], rules, HitPolicy.COLLECT, Aggregation.COUNT)
        .decide({"n": 0})
        .value
        == 0
    )
    assert (
        DecisionTable(["n"], [Output("x")], rules, HitPolicy.COLLECT, Aggregation.SUM).decide({"n": 0}).value
        is None
    )


def test_no_match_gives_the_defaults_when_there_are_any():
    table = DecisionTable(["n"], [Output("x", default="none")], [rule("1", [">0"], "some")], HitPolicy.UNIQUE)
    decision = table.decide({"n": 0})
    assert decision.value == "none"
    assert decision.hits == ()


def test_no_match_without_defaults_is_nothing():
    table = DecisionTable(["n"], [Output("x")], [rule("1", [">0"], "some")], HitPolicy.FIRST)
    assert table.decide({"n": 0}).value is None
    assert table.decide({}).value is None


def test_several_outputs_come_back_as_a_dict():
    table = DecisionTable(["n"], [Output("a"), Output("b")], [rule("1", ["-"], 1, 2)], HitPolicy.UNIQUE)
    assert table.decide({"n": 0}).value == {"a": 1, "b": 2}


def test_a_rule_with_the_wrong_number_of_cells_is_refused():
    with pytest.raises(TableError):
        DecisionTable(["a", "b"], [Output("x")], [rule("1", ["-"], 1)])


def test_an_aggregation_needs_a_collect_table():
    with pytest.raises(TableError):
        DecisionTable(["a"], [Output("x")], [rule("1", ["-"], 1)], HitPolicy.FIRST, Aggregation.SUM)


# --- the bit-mask fast path agrees with evaluating every cell of every rule ----------------------------------

CELLS = [
    "-",
    "a",
    "b",
    "a, b",
    "not a",
    "(empty)",
    "<3",
    ">=2",
    "1..4",
    "(1..4]",
    "not(2, 3)",
    "3",
    "yes",
    "no",
]
VALUES = [None, "a", "b", "c", 0, 1, 2, 3, 4, 5, True, False]


@settings(max_examples=200, deadline=None)  # a shared CI machine may pause any one example
@given(
    st.lists(st.lists(st.sampled_from(CELLS), min_size=3, max_size=3), min_size=1, max_size=12),
    st.lists(st.sampled_from(VALUES), min_size=3, max_size=3),
    st.sampled_from(list(HitPolicy)),
)
def test_the_fast_path_finds_exactly_the_rules_a_naive_scan_finds(rows, values, policy):
    rules = [rule(f"R{number}", cells, number % 3) for number, cells in enumerate(rows)]
    table = DecisionTable(["x", "y", "z"], [Output("out", (2, 0, 1))], rules, policy)
    facts = dict(zip(["x", "y", "z"], values, strict=True))
    naive = [
        r for r in rules if all(test.matches(facts[name]) for test, name in zip(r.tests, "xyz", strict=True))
    ]
    assert list(table.matching(facts)) == naive
