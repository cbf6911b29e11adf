"""Reasoning about cells without tickets: can two cells match one value, does one cell cover another.

A cell's literals cut a column's values into regions — each literal itself, the stretches between them, the
values beyond them, a blank — and every test of the cell language is constant on each region. So testing
one witness value per region decides "some value matches both" and "every value that matches A matches B"
exactly, for the column's kind of value:

* text columns: blank, each literal, just above each literal, and a value below and above all of them;
* whole-number columns (Affected customers, Similar 7d, …): blank and the integers around each bound,
  so `<2` and `>1` do not overlap there;
* number columns: blank, each bound, a step either side, and midpoints between bounds;
* derived counts (Similar 7d, Customer 30d) and Hours open are never blank nor negative, so only values ≥ 0;
* date columns: blank and each date a day either side; yes/no columns: yes, no, blank.

Text ordering (`<"b"`) is approximated with just-above strings; equality, lists, ranges and negations of
numbers, dates, yes/no and text are exact. Rules, not cells, overlap when every column overlaps, because
the columns of a ticket vary independently.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from rules.cell import NO, YES, UnaryTest

__all__ = ["witnesses", "example_of_overlap", "covers", "domain_of"]

_DOMAINS = {
    "text": "text",
    "choice": "text",
    "status": "text",
    "boolean": "boolean",
    "integer": "integer",
    "number": "number",
    "count": "count",
    "hours": "hours",
    "date": "date",
}


def domain_of(kind: str) -> str:
    """Return the value domain analysed for a fact kind; unknown kinds analyse every domain."""
    return _DOMAINS.get(kind, "all")


def witnesses(tests: Iterable[UnaryTest], domain: str) -> list[object]:
    """Return normalized values, one in each region the tests' literals cut ``domain`` into (blank included)."""
    bounds = [key for test in tests for literal in test.literals() for key in literal.keys]
    builders = {
        "text": _text_witnesses,
        "integer": _integer_witnesses,
        "number": _number_witnesses,
        "date": _date_witnesses,
        "boolean": lambda _bounds: [YES, NO],
    }
    if domain in _NEVER_BLANK:
        build = builders[_NEVER_BLANK[domain]]
        return [value for value in build(bounds) if value >= 0]  # type: ignore[operator]
    chosen = builders if domain == "all" else {domain: builders[domain]}
    found: list[object] = [None]
    for build in chosen.values():
        found.extend(build(bounds))
    return list(dict.fromkeys(found))


# Derived facts the daemon always computes: counts and hours are never blank and never below zero.
_NEVER_BLANK = {"count": "integer", "hours": "number"}


def _text_witnesses(bounds: list[object]) -> list[object]:
    texts = sorted({bound for bound in bounds if isinstance(bound, str)})
    return ["\x01", *texts, *(text + "\x01" for text in texts), "\U0010ffff"]


def _numbers(bounds: list[object]) -> list[float]:
    return sorted({bound for bound in bounds if type(bound) in (int, float)})  # type: ignore[misc]


def _integer_witnesses(bounds: list[object]) -> list[object]:
    numbers = _numbers(bounds) or [0]
    found: set[int] = set()
    for number in numbers:
        low, high = math.floor(number), math.ceil(number)
        found.update((low - 1, low, high, high + 1))
    return sorted(found)


def _number_witnesses(bounds: list[object]) -> list[object]:
    numbers = _numbers(bounds) or [0]
    found = {numbers[0] - 1, numbers[-1] + 1, *numbers}
    found.update((first + second) / 2 for first, second in zip(numbers, numbers[1:], strict=False))
    return sorted(found)


def _date_witnesses(bounds: list[object]) -> list[object]:
    dates = sorted({bound for bound in bounds if type(bound) is date}) or [date(2000, 1, 1)]
    day = timedelta(days=1)
    return sorted({moment + shift for moment in dates for shift in (-day, timedelta(0), day)})


def example_of_overlap(
    first: Sequence[UnaryTest], second: Sequence[UnaryTest], domains: Sequence[str]
) -> list[object] | None:
    """Given two rules' tests column by column, return one value per column that both rules match, or None
    when no ticket can match both."""
    example = []
    for test_a, test_b, domain in zip(first, second, domains, strict=True):
        shared = next(
            (
                value
                for value in witnesses((test_a, test_b), domain)
                if test_a.matches_normalized(value) and test_b.matches_normalized(value)
            ),
            _NOTHING,
        )
        if shared is _NOTHING:
            return None
        example.append(shared)
    return example


_NOTHING = object()


def covers(wider: Sequence[UnaryTest], narrower: Sequence[UnaryTest], domains: Sequence[str]) -> bool:
    """Whether every ticket the ``narrower`` rule matches is also matched by the ``wider`` rule."""
    for test_wide, test_narrow, domain in zip(wider, narrower, domains, strict=True):
        if test_wide.is_any:
            continue
        for value in witnesses((test_wide, test_narrow), domain):
            if test_narrow.matches_normalized(value) and not test_wide.matches_normalized(value):
                return False
    return True
