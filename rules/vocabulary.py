"""What rule headers may name: the facts an IF column tests and the outputs a THEN column sets, en and zh."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from rules.table import HitPolicy
from tickets.columns import TICKET_COLUMNS, Column, Kind, normalize_label
from tickets.outcome import Clock

__all__ = [
    "Fact",
    "FACTS",
    "DERIVED_KEYS",
    "OutputSpec",
    "TabSpec",
    "TAB_SPECS",
    "RULE_ROLES",
    "find_fact",
    "find_output",
    "suggest",
    "read_clock",
    "KIND_NAMES",
]


@dataclass(frozen=True)
class Fact:
    """Something a condition may test: a Tickets column or a fact the daemon derives."""

    key: str
    en: str
    zh: str
    kind: str  # text, choice, status, boolean, integer, date; count and hours (derived: never blank, ≥ 0)
    choices: str | None = None  # the Lists list its values come from
    aliases: tuple[str, ...] = ()
    computed: bool = False  # filled by the daemon: rules cannot test it

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


_KIND_OF_COLUMN = {
    Kind.TEXT: "text",
    Kind.CHOICE: "choice",
    Kind.STATUS: "status",
    Kind.BOOLEAN: "boolean",
    Kind.INTEGER: "integer",
    Kind.DATETIME: "date",
    Kind.HOURS: "hours",
}

# What a kind of fact holds, for "can never match" messages: (English, Chinese, example)
KIND_NAMES: dict[str, tuple[str, str, str]] = {
    "boolean": ("yes/no", "是/否", "yes or no"),
    "integer": ("whole numbers", "整数", "a number such as 10"),
    "count": ("whole numbers", "整数", "a number such as 5"),
    "hours": ("hours", "小时数", "a number such as 24"),
    "date": ("dates", "日期", "a date such as 2026-11-01"),
}

_DERIVED = (
    Fact("similar_7d", "Similar 7d", "7日同类", "count", aliases=("Similar 7 days", "7天同类")),
    Fact("customer_30d", "Customer 30d", "30日同客户", "count", aliases=("Customer 30 days", "30天同客户")),
    Fact("hours_open", "Hours open", "已开时长", "hours", aliases=("Open hours", "已开小时")),
    Fact("grade", "Grade", "等级", "choice", choices="grade"),
)
DERIVED_KEYS = frozenset(fact.key for fact in _DERIVED)


def _column_fact(column: Column) -> Fact:
    return Fact(
        column.key,
        column.en,
        column.zh,
        _KIND_OF_COLUMN[column.kind],
        column.choices if column.kind is Kind.CHOICE else None,
        column.aliases,
        column.computed,
    )


FACTS: dict[str, Fact] = {
    **{column.key: _column_fact(column) for column in TICKET_COLUMNS},
    **{fact.key: fact for fact in _DERIVED},
}
_FACT_LOOKUP: dict[str, str] = {}
for _fact in FACTS.values():
    for _text in (_fact.key, _fact.en, _fact.zh, *_fact.aliases):
        _FACT_LOOKUP.setdefault(normalize_label(_text), _fact.key)


def find_fact(text: str) -> Fact | None:
    """Return the fact a condition header (without its IF) names, in English or Chinese, or None."""
    key = _FACT_LOOKUP.get(normalize_label(text))
    return FACTS[key] if key else None


def suggest(text: str, labels: Iterable[str]) -> str | None:
    """Return the label closest to ``text`` (difflib, case- and space-insensitive), or None if none is close."""
    by_normal = {normalize_label(label): label for label in labels}
    close = difflib.get_close_matches(normalize_label(text), list(by_normal), n=1, cutoff=0.6)
    return by_normal[close[0]] if close else None


@dataclass(frozen=True)
class OutputSpec:
    """A THEN column of a rule tab."""

    key: str
    en: str
    zh: str
    kind: str  # grade, text, hours, clock
    required: bool = True
    default: object = None
    aliases: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class TabSpec:
    """How a rule tab is read: its hit policy, its outputs, and whether its conditions may test the grade."""

    role: str
    hit_policy: HitPolicy
    outputs: tuple[OutputSpec, ...]
    tests_grade: bool


DEFAULT_FOLLOW_UP_HOURS = 48

TAB_SPECS: dict[str, TabSpec] = {
    "grade_rules": TabSpec(
        "grade_rules", HitPolicy.PRIORITY, (OutputSpec("grade", "Grade", "等级", "grade"),), tests_grade=False
    ),
    "owner_rules": TabSpec(
        "owner_rules",
        HitPolicy.FIRST,
        (
            OutputSpec("department", "Department", "责任部门", "text", aliases=("部门",)),
            OutputSpec("liaison", "Liaison", "联络官", "text", required=False, aliases=("联络人",)),
        ),
        tests_grade=True,
    ),
    "deadline_rules": TabSpec(
        "deadline_rules",
        HitPolicy.UNIQUE,
        (
            OutputSpec("response_hours", "Response hours", "响应时限", "hours", aliases=("响应小时",)),
            OutputSpec("resolution_hours", "Resolution hours", "解决时限", "hours", aliases=("解决小时",)),
            OutputSpec(
                "follow_up_hours", "Follow-up hours", "回访时限", "hours", required=False,
                default=DEFAULT_FOLLOW_UP_HOURS, aliases=("Follow up hours", "回访小时"),
            ),
            OutputSpec("clock", "Clock", "计时方式", "clock", required=False, default=Clock.BUSINESS),
        ),
        tests_grade=True,
    ),
}  # fmt: skip
RULE_ROLES = tuple(TAB_SPECS)


def find_output(spec: TabSpec, text: str) -> OutputSpec | None:
    """Return the output of ``spec`` a THEN header (without its THEN) names, or None."""
    wanted = normalize_label(text)
    for output in spec.outputs:
        if wanted in {
            normalize_label(label) for label in (output.key, output.en, output.zh, *output.aliases)
        }:
            return output
    return None


_CLOCKS = {
    **{
        normalize_label(word): Clock.BUSINESS for word in ("business", "business hours", "工作时间", "工作日")
    },
    **{normalize_label(word): Clock.ALWAYS for word in ("24x7", "24/7", "24×7", "全天候", "全天", "always")},
}


def read_clock(text: str) -> Clock | None:
    """Return the clock a THEN Clock cell names (business/工作时间, 24x7/全天候), or None."""
    return _CLOCKS.get(normalize_label(text))
