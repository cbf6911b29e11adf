"""The RuleBook: the three rule tabs, the Liaisons and the Lists together, deciding one ticket at a time.

``RuleBook.evaluate(facts)`` runs Grade rules (PRIORITY: the most urgent grade wins), then Owner rules
(FIRST) and Deadline rules (UNIQUE), which may also test the grade just decided, and returns a ``Verdict``.
A ticket that no rule matches, or that two Deadline rules match, gets a problem — never a guess.
``check_book`` adds the checks that need more than one tab.

A blank rule input is not a dead end. A choice column a tab tests (Tier, Category, Channel, Request) that is
blank gets an "X is empty — choose one of …" problem naming the Lists tab's values, and when the Deadline rules
match nothing because of it, the catch-all decides: the blank is read as each allowed value in turn and the
strictest deadline wins (the shortest response, then resolution), so the ticket has due times and reminders
until someone chooses — erring toward too early, never too late.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rules.liaisons import Liaisons
from rules.lists import Lists
from rules.problems import RuleProblem
from rules.tabs import RuleTab, did_you_mean
from rules.vocabulary import DEFAULT_FOLLOW_UP_HOURS, suggest
from tickets.columns import COLUMNS_BY_KEY, Kind, normalize_label
from tickets.messages import Choices, Problem
from tickets.outcome import Assignment, Clock
from tickets.status import parse_status

__all__ = ["RuleBook", "Verdict", "check_book"]


@dataclass(frozen=True)
class Verdict:
    """What the rules decided for one ticket. Fields a tab could not decide are None; ``fired`` holds the IDs
    of the rules that decided, in the order grade, owner, deadline; ``problems`` use the codes "no_rule" and
    "rule_conflict" of tickets.messages, with the column each problem leaves blank."""

    grade: str | None = None
    assignment: Assignment | None = None
    response_hours: float | None = None
    resolution_hours: float | None = None
    follow_up_hours: float | None = None
    clock: Clock | None = None
    fired: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


class RuleBook:
    """The parsed rule tabs of a workbook. A tab given as None is skipped (the engine reports it missing)."""

    def __init__(
        self,
        grade: RuleTab | None,
        owner: RuleTab | None,
        deadline: RuleTab | None,
        liaisons: Liaisons | None = None,
        lists: Lists | None = None,
    ) -> None:
        self.grade = grade
        self.owner = owner
        self.deadline = deadline
        self.liaisons = liaisons or Liaisons()
        self.lists = lists or Lists()
        self._assignments: dict[tuple[str, str | None], Assignment] = {}  # the tabs are fixed: look up once
        self._choice_inputs = _choice_inputs((grade, owner, deadline), self.lists)

    def evaluate(self, facts: Mapping[str, object]) -> Verdict:
        """Given a ticket's facts by column key (str, int, bool, aware datetime, Status or None) plus
        similar_7d, customer_30d and hours_open, return the Verdict of the three rule tabs."""
        fired: list[str] = []
        problems: list[Problem] = []
        status = facts.get("status")
        if type(status) is str:  # a status given as text: read it, in either language, as the Status it names
            facts = {**facts, "status": parse_status(status) or status}
        blanks = [(key, values) for key, values in self._choice_inputs if facts.get(key) in (None, "")]
        problems += [Problem(key, "empty_choice", {"allowed": Choices(values)}) for key, values in blanks]
        grade = self._grade(facts, fired, problems)
        if self.grade is not None:
            facts = {**facts, "grade": grade}
        assignment = self._owner(facts, fired, problems)
        deadline = self._deadline(facts, fired, problems, dict(blanks))
        return Verdict(
            grade=grade,
            assignment=assignment,
            response_hours=deadline.get("response_hours"),
            resolution_hours=deadline.get("resolution_hours"),
            follow_up_hours=deadline.get("follow_up_hours", DEFAULT_FOLLOW_UP_HOURS) if deadline else None,
            clock=deadline.get("clock"),
            fired=tuple(fired),
            problems=tuple(problems),
        )

    def _grade(self, facts: Mapping[str, object], fired: list[str], problems: list[Problem]) -> str | None:
        if self.grade is None:
            return None
        rule = self.grade.table.first(facts)  # bits are in urgency order: the first match is the most urgent
        if rule is None:
            problems.append(Problem("grade", "no_rule", {"tab": self.grade.tab_name}))
            return None
        fired.append(rule.id)
        return rule.outputs[0]  # type: ignore[return-value]

    def _owner(
        self, facts: Mapping[str, object], fired: list[str], problems: list[Problem]
    ) -> Assignment | None:
        if self.owner is None:
            return None
        rule = self.owner.table.first(facts)
        if rule is None:
            problems.append(Problem("department", "no_rule", {"tab": self.owner.tab_name}))
            return None
        fired.append(rule.id)
        key: tuple[str, str | None] = rule.outputs  # type: ignore[assignment]
        assignment = self._assignments.get(key)
        if assignment is None:
            assignment = self._assignments[key] = self.liaisons.assignment(*key)
        return assignment

    def _deadline(
        self,
        facts: Mapping[str, object],
        fired: list[str],
        problems: list[Problem],
        blanks: Mapping[str, tuple[str, ...]] | None = None,
    ) -> Mapping[str, object]:
        if self.deadline is None:
            return {}
        decision = self.deadline.table.decide(facts)
        if decision.row is None and not decision.conflict and blanks:
            decision = self._catch_all(facts, blanks) or decision
        if decision.conflict:
            rules = ", ".join(rule.id for rule in decision.matched)
            problems.append(
                Problem("response_due", "rule_conflict", {"tab": self.deadline.tab_name, "rules": rules})
            )
            return {}
        if decision.row is None:
            problems.append(Problem("response_due", "no_rule", {"tab": self.deadline.tab_name}))
            return {}
        fired.append(decision.hits[0].id)
        return decision.row


    def _catch_all(self, facts: Mapping[str, object], blanks: Mapping[str, tuple[str, ...]]):
        """The strictest Deadline rules decision over every allowed value of the blank inputs it tests."""
        assert self.deadline is not None
        tested = [key for key in blanks if key in {condition.key for condition in self.deadline.conditions}]
        best = None
        for values in itertools.islice(itertools.product(*(blanks[key] for key in tested)), _MOST_COMBINATIONS):
            decision = self.deadline.table.decide({**facts, **dict(zip(tested, values, strict=True))})
            if decision.row is not None and (best is None or _strictness(decision.row) < _strictness(best.row)):
                best = decision
        return best


_MOST_COMBINATIONS = 1000  # blank inputs tried together; the template's tabs test one choice column at most


def _strictness(row: Mapping[str, object]) -> tuple[float, float]:
    def hours(key: str) -> float:
        value = row.get(key)
        return float(value) if isinstance(value, int | float) else float("inf")

    return hours("response_hours"), hours("resolution_hours")


def _choice_inputs(tabs: Sequence[RuleTab | None], lists: Lists) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The choice columns the tabs test, with their allowed values, in column order, each once."""
    keys = {condition.key for tab in tabs if tab is not None for condition in tab.conditions}
    found = []
    for key, column in COLUMNS_BY_KEY.items():
        values = lists.allowed(column.choices) if column.kind is Kind.CHOICE and column.choices else ()
        if key in keys and values:
            found.append((key, values))
    return tuple(found)


def check_book(book: RuleBook) -> list[RuleProblem]:
    """Return the problems that need more than one tab: an Owner rule's department missing from the Liaisons
    tab (error, at the department cell, with a suggestion) and an Owner rule's liaison not listed for its
    department (error). Errors here block the Owner rules tab like its own errors do."""
    if book.owner is None:
        return []
    problems: list[RuleProblem] = []
    for rule in book.owner.rules:
        department, liaison = rule.outputs.get("department"), rule.outputs.get("liaison")
        if not department:
            continue
        if not book.liaisons.has_department(department):
            problems.append(_unknown_department(book, rule.row, department))
        elif liaison and book.liaisons.find(department, liaison) is None:
            cell = book.owner.cell("liaison", rule.row)
            problems.append(
                RuleProblem.make(
                    book.owner.tab_name, cell, "unknown_liaison", liaison=liaison, department=department,
                    liaisons=book.liaisons.tab_name,
                )
            )  # fmt: skip
    return problems


def _unknown_department(book: RuleBook, row: int, department: str) -> RuleProblem:
    assert book.owner is not None
    close = suggest(department, book.liaisons.departments)
    if close and normalize_label(close) != normalize_label(department):
        hints = did_you_mean(close)
    else:
        hints = {"hint": " — add it there or fix the spelling", "hint_zh": "，请在该页添加或修正拼写"}
    return RuleProblem.make(
        book.owner.tab_name, book.owner.cell("department", row), "unknown_department",
        department=department, liaisons=book.liaisons.tab_name, **hints,
    )  # fmt: skip
