"""Loading a workbook's rules for a cycle: every rule tab parsed, checked, and — where a tab has errors — its
last good version from the state store serving instead (DESIGN §3). The Rule check tab that shows what was
found is ``sync.tabs.rule_check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property

from rules import (
    RULE_ROLES,
    Lists,
    ParsedTab,
    RuleBook,
    RuleProblem,
    ScreenedTab,
    Verdict,
    check_book,
    parse_liaisons,
    parse_lists,
    parse_rule_tab,
    screen_tab,
)
from rules.lists import LIST_HEADERS
from sheets_templates import list_column_range
from sync.state import StateStore
from sync.workbook import WorkbookView
from tickets import Problem, normalize_label

__all__ = ["LoadedRules", "load_rules"]

_CHOICE_LISTS = ("tier", "category", "channel", "request")
_DROPDOWN_LISTS = {"tier": "tier", "category": "category", "channel": "channel", "request": "request",
                   "status": "status", "safety_risk": "yes_no", "customer_confirmed": "yes_no"}

@dataclass
class LoadedRules:
    """The rules serving this cycle, every problem found, and which tabs fell back to their last good version."""

    book: RuleBook
    lists: Lists
    problems: list[RuleProblem] = field(default_factory=list)
    not_applied: dict[str, bool] = field(default_factory=dict)  # tab name -> an earlier good version serves
    missing: list[str] = field(default_factory=list)  # tab names the workbook lacks
    names: dict[str, str] = field(default_factory=dict)  # role -> tab name
    version: object = None  # equal for equal rule tabs, Lists and Liaisons: the same decisions

    @property
    def allowed(self) -> dict[str, tuple[str, ...]]:
        """Allowed values of the ticket columns fed by Lists (empty lists allow anything)."""
        return {key: self.lists.allowed(key) for key in _CHOICE_LISTS if self.lists.allowed(key)}

    @property
    def grades(self) -> tuple[str, ...]:
        return self.lists.grades

    def evaluate(self, facts: Mapping[str, object]) -> Verdict:
        """Decide one ticket; a rule tab that serves no version at all says so on the ticket, never guesses."""
        verdict = self.book.evaluate(facts)
        if not self.unavailable:
            return verdict
        return replace(verdict, problems=verdict.problems + self.unavailable)

    @cached_property
    def facts_used(self) -> tuple[str, ...]:
        """The facts any serving rule tab tests: a ticket's verdict depends on these alone."""
        tables = (self.book.grade, self.book.owner, self.book.deadline)
        used = {condition.key for table in tables if table is not None for condition in table.conditions}
        if self.book.grade is not None:
            used.discard("grade")  # decided by the Grade rules themselves
        return tuple(sorted(used))

    @cached_property
    def unavailable(self) -> tuple[Problem, ...]:
        tabs = {"grade_rules": (self.book.grade, "grade"), "owner_rules": (self.book.owner, "department"),
                "deadline_rules": (self.book.deadline, "response_due")}
        problems = []
        for role, (table, column) in tabs.items():
            name = self.names.get(role)
            if table is None and name in self.not_applied:
                problems.append(Problem(column, "rules_unavailable", {"tab": name}))
        return tuple(problems)

    def dropdowns(self, view: WorkbookView) -> dict[str, str]:
        """Return ``{ticket column key: Lists range}`` for the drop-downs fed from the Lists tab."""
        rows = view.rows("lists")
        if not rows:
            return {}
        lookup = {normalize_label(text): key for key, (english, chinese, others) in LIST_HEADERS.items()
                  for text in (english, chinese, *others)}
        columns = {lookup[normalize_label(text)]: index for index, text in enumerate(rows[0])
                   if normalize_label(text) in lookup}
        tab = view.tab_name("lists")
        return {column_key: list_column_range(tab, columns[list_key])
                for column_key, list_key in _DROPDOWN_LISTS.items() if list_key in columns}


def load_rules(view: WorkbookView, state: StateStore, now: datetime, persist: bool = True) -> LoadedRules:
    """Parse the workbook's Lists, Liaisons and rule tabs, each screened first (``rules.screen``: merges, errors,
    formulas and invisible characters named). A rule tab with errors is replaced by its last good version from
    ``state`` (saved whenever a tab parses clean, unless ``persist`` is False)."""
    screened = {role: _screen(view, role) for role in ("lists", "liaisons", *RULE_ROLES)}
    lists, problems = parse_lists(screened["lists"].rows, view.tab_name("lists"))
    liaisons, liaison_problems = parse_liaisons(view.tab_name("liaisons"), screened["liaisons"].rows)
    problems = [*screened["lists"].problems, *problems, *screened["liaisons"].problems, *liaison_problems]
    loaded = LoadedRules(RuleBook(None, None, None, liaisons, lists), lists, problems)
    loaded.names = {role: view.tab_name(role) for role in RULE_ROLES}
    for role in ("lists", "liaisons", *RULE_ROLES):
        if role not in view.tabs:
            loaded.missing.append(view.tab_name(role))
    tables = {}
    for role in RULE_ROLES:
        parsed = _parse(role, view, screened[role], lists) if role in view.tabs else None
        tables[role] = _serving(parsed, screened[role].rows, state, lists, now, persist, loaded)
    book = RuleBook(tables["grade_rules"], tables["owner_rules"], tables["deadline_rules"], liaisons, lists)
    cross = check_book(book)
    loaded.problems += cross
    if any(problem.is_error for problem in cross) and book.owner is not None:
        owner = _last_good("owner_rules", view.tab_name("owner_rules"), state, lists)
        loaded.not_applied[view.tab_name("owner_rules")] = owner is not None
        book = RuleBook(book.grade, owner, book.deadline, liaisons, lists)
    loaded.book = book
    loaded.version = repr([(role, view.rows(role)) for role in ("lists", "liaisons", *RULE_ROLES)]) + repr(
        sorted(loaded.not_applied)
    )
    return loaded


def _screen(view: WorkbookView, role: str) -> ScreenedTab:
    sheet = view.sheet(role)
    return screen_tab(view.tab_name(role), view.rows(role), sheet.merged if sheet else (),
                      rule_tab=role in RULE_ROLES)


def _parse(role: str, view: WorkbookView, screened: ScreenedTab, lists: Lists) -> ParsedTab:
    """Parse a screened rule tab; what screening found comes first, and an error there keeps it from serving."""
    parsed = parse_rule_tab(role, view.tab_name(role), screened.rows, lists)
    table = None if screened.blocks else parsed.table
    return ParsedTab(role, parsed.tab_name, table, [*screened.problems, *parsed.problems])


def _serving(
    parsed: ParsedTab | None, rows: list[list], state: StateStore, lists: Lists, now: datetime, persist: bool,
    loaded: LoadedRules,
):
    """The table serving for a parsed rule tab: its own when it parsed clean (saved as the last good ``rows``),
    else the last good version, if any."""
    if parsed is None:
        return None
    role = parsed.role
    loaded.problems += parsed.problems
    if parsed.table is not None:
        if persist:
            state.save_good_rules(role, rows, now)
        return parsed.table
    table = _last_good(role, parsed.tab_name, state, lists)
    loaded.not_applied[parsed.tab_name] = table is not None
    return table


def _last_good(role: str, tab_name: str, state: StateStore, lists: Lists):
    rows = state.good_rules(role)
    if rows is None:
        return None
    return parse_rule_tab(role, tab_name, rows, lists).table
