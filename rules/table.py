"""A generic DMN decision table: rules of compiled cells, evaluated under a hit policy.

Evaluation is column by column over bit masks, one bit per rule. For each input column the table keeps, built
once: the rules that accept any value, a dict from each equality value to the rules that list it, and the
remaining tests (ranges, comparisons, negations), shared between rules that wrote the same cell. A fact is
normalized once, looked up once, and the masks are and-ed; a rule matches when its bit survives every column.
Bits are numbered in priority order for PRIORITY and OUTPUT ORDER tables, so the lowest surviving bit is the
winner for PRIORITY and FIRST alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from rules.cell import ANY, UnaryTest, normalize_text, normalize_value
from tickets.errors import SheetdeskError

__all__ = ["HitPolicy", "Aggregation", "Output", "Rule", "Decision", "DecisionTable", "TableError"]


class HitPolicy(StrEnum):
    """How the matching rules make the result (DMN 1.3 §8.2.11)."""

    UNIQUE = "UNIQUE"
    ANY = "ANY"
    PRIORITY = "PRIORITY"
    FIRST = "FIRST"
    RULE_ORDER = "RULE ORDER"
    OUTPUT_ORDER = "OUTPUT ORDER"
    COLLECT = "COLLECT"

    @property
    def single_hit(self) -> bool:
        return self in (HitPolicy.UNIQUE, HitPolicy.ANY, HitPolicy.PRIORITY, HitPolicy.FIRST)


class Aggregation(StrEnum):
    """How a COLLECT table folds its outputs into one number."""

    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    COUNT = "COUNT"


class TableError(SheetdeskError, ValueError):
    """A table that cannot be built: a rule with the wrong number of cells, or an aggregation of several outputs."""


@dataclass(frozen=True)
class Output:
    """An output column: its name, its allowed values in priority order (for P and O), and a default."""

    name: str
    allowed_values: tuple[object, ...] | None = None
    default: object = None


@dataclass(frozen=True)
class Rule:
    """One row: an ID, one compiled test per input, one value per output."""

    id: str
    tests: tuple[UnaryTest, ...]
    outputs: tuple[object, ...]


class Decision(NamedTuple):
    """What a table decided for one set of facts.

    ``hits``: the rules that make the result, in result order. ``rows``: their outputs by name (for single-hit
    with no match, the defaults if any output has one). ``conflict``: UNIQUE matched several rules, or ANY
    matched rules with different outputs; then ``rows`` is empty. ``value``: the result shaped as DMN shapes
    it (a scalar for one output, a dict for several, a list for multi-hit, a number for an aggregation, None
    for nothing). ``matched``: every rule whose tests all matched, in table order (worked out on demand).
    """

    hits: tuple[Rule, ...]
    rows: tuple[Mapping[str, object], ...]
    conflict: bool
    value: object
    table: DecisionTable
    mask: int

    @property
    def matched(self) -> tuple[Rule, ...]:
        return self.table.matching_from_mask(self.mask)

    @property
    def row(self) -> Mapping[str, object] | None:
        """The single row of a single-hit decision, or None."""
        return self.rows[0] if self.rows else None


class _Column(NamedTuple):
    name: str
    always: int  # rules that accept any value here
    lookup: Mapping[object, int]  # normalized value -> rules whose one-of list contains it
    others: tuple[
        tuple[Callable[[object], bool], int], ...
    ]  # (matches_normalized, rules that wrote this test)


class DecisionTable:
    """A decision table over named inputs. Build it once; ``decide(facts)`` many times."""

    def __init__(
        self,
        inputs: Sequence[str],
        outputs: Sequence[Output],
        rules: Sequence[Rule],
        hit_policy: HitPolicy = HitPolicy.UNIQUE,
        aggregation: Aggregation | None = None,
        name: str = "",
    ) -> None:
        self.name = name
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.rules = tuple(rules)
        self.hit_policy = HitPolicy(hit_policy)
        self.aggregation = Aggregation(aggregation) if aggregation else None
        self._check_shape()
        self._by_bit = self._bit_order()
        self._rows = {id(rule): self._row_of(rule) for rule in self.rules}
        self._single_values = len(self.outputs) == 1
        self._table_position = {id(rule): position for position, rule in enumerate(self.rules)}
        self._columns = tuple(self._index_column(position, name) for position, name in enumerate(self.inputs))
        self._everything = (1 << len(self.rules)) - 1

    def _check_shape(self) -> None:
        for rule in self.rules:
            if len(rule.tests) != len(self.inputs) or len(rule.outputs) != len(self.outputs):
                raise TableError(
                    f"rule {rule.id} has {len(rule.tests)} tests and {len(rule.outputs)} outputs; "
                    f"the table has {len(self.inputs)} inputs and {len(self.outputs)} outputs"
                )
        if self.aggregation and (self.hit_policy is not HitPolicy.COLLECT or len(self.outputs) != 1):
            raise TableError("an aggregation needs a COLLECT table with exactly one output")

    def _bit_order(self) -> tuple[Rule, ...]:
        if self.hit_policy in (HitPolicy.PRIORITY, HitPolicy.OUTPUT_ORDER):
            return tuple(sorted(self.rules, key=self.priority))  # stable: ties keep table order
        return self.rules

    def priority(self, rule: Rule) -> tuple[int, ...]:
        """Return the rule's rank, lower first: the position of each output value in its allowed values,
        output by output; a value outside the list ranks last."""
        ranks = []
        for output, value in zip(self.outputs, rule.outputs, strict=True):
            if output.allowed_values is None:
                continue
            allowed = [normalize_value(choice) for choice in output.allowed_values]
            normalized = normalize_value(value)
            ranks.append(allowed.index(normalized) if normalized in allowed else len(allowed))
        return tuple(ranks)

    def _row_of(self, rule: Rule) -> Mapping[str, object]:
        return MappingProxyType(
            {output.name: value for output, value in zip(self.outputs, rule.outputs, strict=True)}
        )

    def _index_column(self, position: int, name: str) -> _Column:
        always, lookup, others = 0, {}, {}
        for bit, rule in enumerate(self._by_bit):
            test = rule.tests[position] or ANY
            mask = 1 << bit
            keys = test.equality_keys
            if test.is_any:
                always |= mask
            elif keys is not None:
                for key in keys:
                    lookup[key] = lookup.get(key, 0) | mask
            else:
                matcher, shared = others.get(test.text, (test.matches_normalized, 0))
                others[test.text] = (matcher, shared | mask)
        return _Column(name, always, lookup, tuple(others.values()))

    # --- evaluation ------------------------------------------------------------------------------------

    def matching_mask(self, facts: Mapping[str, object]) -> int:
        """Return the bit mask (in this table's bit order) of the rules whose every test matches ``facts``."""
        mask = self._everything
        get = facts.get
        for name, always, lookup, others in self._columns:
            value = get(name)
            kind = type(value)
            if kind is str:
                value = normalize_text(value)  # type: ignore[arg-type]
            elif kind is not int and value is not None:
                value = normalize_value(value)
            column_mask = always | lookup.get(value, 0)
            for matches, rules in others:
                if rules & mask and matches(value):
                    column_mask |= rules
            mask &= column_mask
            if not mask:
                return 0
        return mask

    def matching(self, facts: Mapping[str, object]) -> tuple[Rule, ...]:
        """Return every rule whose tests all match ``facts``, in table order."""
        return self.matching_from_mask(self.matching_mask(facts))

    def first(self, facts: Mapping[str, object]) -> Rule | None:
        """Return the winner in bit order (the FIRST rule, or the PRIORITY winner), or None: the fast path."""
        mask = self.matching_mask(facts)
        return self._by_bit[(mask & -mask).bit_length() - 1] if mask else None

    def decide(self, facts: Mapping[str, object]) -> Decision:
        """Return the decision of the table for ``facts`` (a mapping from input name to value)."""
        mask = self.matching_mask(facts)
        if self.hit_policy.single_hit:
            return self._decide_single(mask)
        return self._decide_multiple(mask)

    def _rules_of(self, mask: int) -> tuple[Rule, ...]:
        return tuple(self._by_bit[bit] for bit in _bits(mask))

    def _decide_single(self, mask: int) -> Decision:
        if not mask:
            return self._no_match()
        winner = self._by_bit[(mask & -mask).bit_length() - 1]
        several = bool(mask & (mask - 1))
        if several and self.hit_policy in (HitPolicy.UNIQUE, HitPolicy.ANY):
            matched = self._rules_of(mask)
            if self.hit_policy is HitPolicy.UNIQUE or len({rule.outputs for rule in matched}) > 1:
                return Decision(matched, (), True, None, self, mask)
        return self._single(winner, mask)

    def matching_from_mask(self, mask: int) -> tuple[Rule, ...]:
        """Return the rules of a mask from ``matching_mask``, in table order."""
        found = self._rules_of(mask)
        if self._by_bit is self.rules:
            return found
        return tuple(sorted(found, key=lambda rule: self._table_position[id(rule)]))

    def _single(self, winner: Rule, mask: int) -> Decision:
        row = self._rows[id(winner)]
        value = winner.outputs[0] if self._single_values else dict(row)
        return Decision((winner,), (row,), False, value, self, mask)

    def _no_match(self) -> Decision:
        if all(output.default is None for output in self.outputs) or not self.hit_policy.single_hit:
            return Decision((), (), False, None, self, 0)
        row = MappingProxyType({output.name: output.default for output in self.outputs})
        return Decision((), (row,), False, self._shape(row), self, 0)

    def _decide_multiple(self, mask: int) -> Decision:
        hits = self._rules_of(mask)  # bit order: table order, or priority order for OUTPUT ORDER
        rows = tuple(self._rows[id(rule)] for rule in hits)
        if self.aggregation:
            return Decision(
                hits, rows, False, self._aggregate([rule.outputs[0] for rule in hits]), self, mask
            )
        return Decision(hits, rows, False, [self._shape(row) for row in rows], self, mask)

    def _aggregate(self, values: list[object]) -> object:
        if self.aggregation is Aggregation.COUNT:
            return len(values)
        if not values:
            return None
        if self.aggregation is Aggregation.SUM:
            return sum(values)  # type: ignore[arg-type]
        if self.aggregation is Aggregation.MIN:
            return min(values)  # type: ignore[type-var]
        return max(values)  # type: ignore[type-var]

    def _shape(self, row: Mapping[str, object]) -> object:
        if len(self.outputs) == 1:
            return next(iter(row.values()))
        return dict(row)


def _bits(mask: int) -> Iterator[int]:
    """Yield the positions of the set bits of ``mask``, lowest first."""
    while mask:
        lowest = mask & -mask
        yield lowest.bit_length() - 1
        mask ^= lowest
