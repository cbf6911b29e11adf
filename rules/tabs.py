"""Reading a rule tab (Grade, Owner or Deadline rules) from its rows into a checked ``RuleTab``.

Layout: row 0 holds the headers, which alone give the meaning (never formatting):
``Rule`` | ``On`` | ``IF <fact>`` … | ``THEN <output>`` … | ``Note`` — or 规则 | 启用 | 如果 … | 则 … | 备注.
Every problem is collected with its cell; a tab with any error gets no table (the last good one serves).
Parsing takes rows of plain cell values only, so the engine can store a tab's last good rows and re-parse them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules.analysis import covers, domain_of, example_of_overlap, witnesses
from rules.cell import ANY, CellSyntaxError, Flag, Literal, UnaryTest, parse_cell
from rules.lists import Lists
from rules.problems import ERROR, WARNING, RuleProblem, cell_name, column_letter
from rules.table import DecisionTable, HitPolicy, Output, Rule
from rules.vocabulary import (
    FACTS,
    KIND_NAMES,
    TAB_SPECS,
    Fact,
    OutputSpec,
    TabSpec,
    find_fact,
    find_output,
    read_clock,
    suggest,
)
from tickets.columns import TABS, normalize_label
from tickets.status import Status, parse_status
from tickets.values import (
    CellValueError,
    FormulaCell,
    error_value,
    is_blank,
    read_boolean,
    read_text,
    shorten,
)

__all__ = ["Condition", "OutputColumn", "RuleRow", "RuleTab", "ParsedTab", "parse_rule_tab", "did_you_mean"]

_RULE_HEADERS = frozenset(
    normalize_label(text) for text in ("Rule", "规则", "Rule ID", "ID", "规则编号", "编号")
)
_ON_HEADERS = frozenset(normalize_label(text) for text in ("On", "启用", "Enabled", "Active", "是否启用"))
_NOTE_HEADERS = frozenset(normalize_label(text) for text in ("Note", "Notes", "备注", "Comment", "说明"))
_IF_WORDS = ("if", "如果")
_THEN_WORDS = ("then", "则", "那么")
_ID_PREFIX = {"grade_rules": "G", "owner_rules": "O", "deadline_rules": "D"}


@dataclass(frozen=True)
class Condition:
    """An IF column: the fact it tests, its header as written, and its 0-based position."""

    fact: Fact
    header: str
    column: int

    @property
    def key(self) -> str:
        return self.fact.key


@dataclass(frozen=True)
class OutputColumn:
    """A THEN column: the output it sets, its header as written, and its 0-based position."""

    spec: OutputSpec
    header: str
    column: int


@dataclass(frozen=True)
class RuleRow:
    """One enabled, readable rule: its ID, its row (0-based index in the tab's rows), a test per condition
    and its outputs by key (absent optional outputs hold their defaults)."""

    rule_id: str
    row: int
    tests: tuple[UnaryTest, ...]
    outputs: dict[str, Any] = field(hash=False)

    @property
    def is_catch_all(self) -> bool:
        return all(test.is_any for test in self.tests)


@dataclass(frozen=True, eq=False)
class RuleTab:
    """A parsed rule tab: where everything is, its readable enabled rules, and the table compiled from them."""

    role: str
    tab_name: str
    conditions: tuple[Condition, ...]
    outputs: tuple[OutputColumn, ...]
    rules: tuple[RuleRow, ...]
    table: DecisionTable
    rule_column: int | None
    row_count: int

    def cell(self, key: str, row: int) -> str:
        """Return the A1 name of the cell of output or condition ``key`` in 0-based row ``row``."""
        for output in self.outputs:
            if output.spec.key == key:
                return cell_name(output.column, row)
        column = next(condition.column for condition in self.conditions if condition.key == key)
        return cell_name(column, row)

    def id_cell(self, row: int) -> str:
        return cell_name(self.rule_column if self.rule_column is not None else 0, row)


@dataclass
class ParsedTab:
    """The result of reading a rule tab: its table (None when any problem is an error) and its problems."""

    role: str
    tab_name: str
    table: RuleTab | None
    problems: list[RuleProblem]

    @property
    def ok(self) -> bool:
        return self.table is not None


@dataclass
class _Layout:
    rule_column: int | None = None
    on_column: int | None = None
    conditions: list[Condition] = field(default_factory=list)
    outputs: list[OutputColumn] = field(default_factory=list)


class _Reader:
    """Reads one tab; collects problems as it goes."""

    def __init__(self, role: str, tab_name: str, rows: Sequence[Sequence[object]], lists: Lists) -> None:
        self.role, self.tab_name, self.rows, self.lists = role, tab_name, rows, lists
        self.spec: TabSpec = TAB_SPECS[role]
        self.problems: list[RuleProblem] = []

    def problem(self, cell: str | None, code: str, severity: str = ERROR, **params: Any) -> None:
        self.problems.append(RuleProblem.make(self.tab_name, cell, code, severity, **params))

    # --- headers -----------------------------------------------------------------------------------------

    def read_layout(self) -> _Layout:
        layout = _Layout()
        for column, text in enumerate(self.rows[0]):
            if not is_blank(text):
                self.read_header(layout, column, str(text).strip())
        for output in self.spec.outputs:
            if output.required and output.key not in {column.spec.key for column in layout.outputs}:
                self.problem(None, "missing_output", header=_then_header(output, self.language))
        if layout.rule_column is None:
            self.problem(None, "missing_rule_column", WARNING)
        return layout

    @property
    def language(self) -> str:
        return "zh" if normalize_label(self.tab_name) == normalize_label(TABS[self.role].zh) else "en"

    def read_header(self, layout: _Layout, column: int, text: str) -> None:
        normalized = normalize_label(text)
        if normalized in _RULE_HEADERS and layout.rule_column is None:
            layout.rule_column = column
        elif normalized in _ON_HEADERS and layout.on_column is None:
            layout.on_column = column
        elif normalized in _NOTE_HEADERS:
            return
        elif (rest := _after_word(normalized, _IF_WORDS)) is not None:
            self.read_condition_header(layout, column, text, rest)
        elif (rest := _after_word(normalized, _THEN_WORDS)) is not None:
            self.read_output_header(layout, column, text, rest)
        else:
            self.problem(cell_name(column, 0), "unknown_header", WARNING, header=text)

    def read_condition_header(self, layout: _Layout, column: int, text: str, rest: str) -> None:
        cell = cell_name(column, 0)
        fact = find_fact(rest)
        if fact is None:
            self.problem(cell, "unknown_column", header=text, **self.fact_hint(rest))
        elif fact.key == "grade" and not self.spec.tests_grade:
            self.problem(cell, "grade_in_grade_rules", header=text)
        elif fact.computed and fact.key not in ("similar_7d", "grade"):
            self.problem(cell, "computed_column", header=text)
        else:
            layout.conditions.append(Condition(fact, text, column))

    def fact_hint(self, rest: str) -> dict[str, str]:
        labels = [
            label
            for fact in FACTS.values()
            if not fact.computed or fact.key in ("similar_7d", "grade")
            for label in (fact.en, fact.zh)
        ]
        close = suggest(rest, labels)
        if close:
            return did_you_mean(close)
        return {
            "hint": " — name a Tickets column, Similar 7d, Customer 30d or Hours open",
            "hint_zh": "，请写工单页的列名，或 7日同类、30日同客户、已开时长",
        }

    def read_output_header(self, layout: _Layout, column: int, text: str, rest: str) -> None:
        cell = cell_name(column, 0)
        output = find_output(self.spec, rest)
        if output is None:
            labels = [label for spec in self.spec.outputs for label in (spec.en, spec.zh)]
            close = suggest(rest, labels)
            allowed = ", ".join(_then_header(spec, self.language) for spec in self.spec.outputs)
            hints = (
                did_you_mean(close)
                if close
                else {"hint": f" — use {allowed}", "hint_zh": f"，请使用 {allowed}"}
            )
            self.problem(cell, "unknown_output", header=text, **hints)
            return
        earlier = next((known for known in layout.outputs if known.spec.key == output.key), None)
        if earlier is not None:
            self.problem(cell, "duplicate_output", header=text, other=column_letter(earlier.column))
            return
        layout.outputs.append(OutputColumn(output, text, column))

    # --- rows --------------------------------------------------------------------------------------------

    def read_rows(self, layout: _Layout) -> list[RuleRow]:
        rules: list[RuleRow] = []
        seen_ids: dict[str, int] = {}
        for row in range(1, len(self.rows)):
            cells = self.rows[row]
            if self.is_skipped(layout, cells):
                continue
            before = len(self.problems)
            self.check_kinds(layout, cells, row)
            enabled = self.read_on(layout, cells, row)
            rule_id = self.read_id(layout, cells, row, seen_ids)
            tests = tuple(
                self.read_condition(condition, _cell(cells, condition.column), row)
                for condition in layout.conditions
            )
            outputs = self.read_outputs(layout, cells, row)
            failed = any(problem.is_error for problem in self.problems[before:])
            if not enabled:
                self.soften(before)
            elif not failed:
                rules.append(RuleRow(rule_id, row, tests, outputs))  # type: ignore[arg-type]
        return rules

    def check_kinds(self, layout: _Layout, cells: Sequence[object], row: int) -> None:
        """An error (``#N/A``) or a formula without a value in a rule's cell is a problem, never "any"."""
        used = [column for column in (layout.rule_column, layout.on_column) if column is not None]
        used += [condition.column for condition in layout.conditions]
        used += [output.column for output in layout.outputs]
        for column in used:
            value = _cell(cells, column)
            if isinstance(value, FormulaCell):
                self.problem(cell_name(column, row), "formula_without_value", value=shorten(value))
            elif error_value(value) is not None:
                self.problem(cell_name(column, row), "error_value", value=str(error_value(value)))

    def is_skipped(self, layout: _Layout, cells: Sequence[object]) -> bool:
        """Rows with a blank Rule cell and blank IF and THEN cells are not rules (notes, spacing)."""
        used = [layout.rule_column] if layout.rule_column is not None else []
        used += [condition.column for condition in layout.conditions]
        used += [output.column for output in layout.outputs]
        return all(is_blank(_cell(cells, column)) for column in used)

    def soften(self, before: int) -> None:
        """A switched-off row never blocks its tab: its problems become warnings."""
        for index in range(before, len(self.problems)):
            problem = self.problems[index]
            if problem.code != "duplicate_rule_id":
                self.problems[index] = RuleProblem(
                    problem.tab, problem.cell, problem.code, problem.message_en, problem.message_zh, WARNING
                )

    def read_on(self, layout: _Layout, cells: Sequence[object], row: int) -> bool:
        if layout.on_column is None:
            return True
        value = _cell(cells, layout.on_column)
        if isinstance(value, FormulaCell) or error_value(value) is not None:
            return True  # check_kinds reported it, and the tab is not applied
        try:
            switched = read_boolean(value)
        except CellValueError:
            self.problem(cell_name(layout.on_column, row), "bad_on", value=read_text(value))
            return True
        return switched is not False

    def read_id(self, layout: _Layout, cells: Sequence[object], row: int, seen_ids: dict[str, int]) -> str:
        fallback = f"row {row + 1}"
        if layout.rule_column is None:
            return fallback
        cell = cell_name(layout.rule_column, row)
        value = _cell(cells, layout.rule_column)
        if isinstance(value, FormulaCell) or error_value(value) is not None:
            return fallback  # check_kinds reported it, and the tab is not applied
        rule_id = read_text(value)
        if rule_id is None:
            example = f"{_ID_PREFIX[self.role]}{row}"
            self.problem(cell, "missing_rule_id", WARNING, example=example, rule=fallback)
            return fallback
        normalized = normalize_label(rule_id)
        if normalized in seen_ids:
            self.problem(cell, "duplicate_rule_id", rule=rule_id, other_row=seen_ids[normalized] + 1)
        else:
            seen_ids[normalized] = row
        return rule_id

    def read_condition(self, condition: Condition, value: object, row: int) -> UnaryTest:
        cell = cell_name(condition.column, row)
        if isinstance(value, FormulaCell) or error_value(value) is not None:
            return ANY  # check_kinds reported it, and the rule is not applied
        try:
            test = parse_cell(value)
        except CellSyntaxError as error:
            self.problems.append(
                RuleProblem(
                    self.tab_name,
                    cell,
                    "unreadable_cell",
                    _with_position(error, "en"),
                    _with_position(error, "zh"),
                )
            )
            return ANY
        return self.check_literals(condition, test, cell)

    def check_literals(self, condition: Condition, test: UnaryTest, cell: str) -> UnaryTest:
        """Report values that can never match the condition's column; return the test, with statuses written
        in Chinese (or by alias) read as their English names."""
        fact = condition.fact
        for literal in test.literals():
            self.check_literal(condition, fact, literal, cell)
        if fact.kind == "status":
            return test.map_text(_status_name)
        return test

    def check_literal(self, condition: Condition, fact: Fact, literal: Literal, cell: str) -> None:
        if fact.kind in KIND_NAMES and literal.kind != _LITERAL_KIND[fact.kind]:
            english, chinese, example = KIND_NAMES[fact.kind]
            self.problem(
                cell, "wrong_kind", value=literal.text, header=condition.header, kind=english, kind_zh=chinese,
                example=example,
            )  # fmt: skip
        elif fact.kind == "status" and parse_status(literal.text) is None:
            self.problem(
                cell, "not_a_status", value=literal.text, allowed=", ".join(status.value for status in Status)
            )
        elif (
            fact.choices
            and self.lists.allowed(fact.choices)
            and self.lists.spelling(fact.choices, literal.text) is None
        ):
            self.not_in_list(cell, fact.choices, literal.text)

    def not_in_list(self, cell: str, list_key: str, value: str) -> None:
        fact = FACTS.get(list_key)
        list_name = fact.en if fact else list_key
        self.problem(
            cell, "not_in_list", value=value, list=list_name, allowed=", ".join(self.lists.allowed(list_key))
        )

    def read_outputs(self, layout: _Layout, cells: Sequence[object], row: int) -> dict[str, Any]:
        outputs: dict[str, Any] = {spec.key: spec.default for spec in self.spec.outputs}
        for column in layout.outputs:
            value = self.read_output(column, _cell(cells, column.column), row)
            if value is not None:
                outputs[column.spec.key] = value
        self.check_hours(layout, outputs, row)
        return outputs

    def read_output(self, column: OutputColumn, value: object, row: int) -> Any:
        spec, cell = column.spec, cell_name(column.column, row)
        if isinstance(value, FormulaCell) or error_value(value) is not None:
            return None  # check_kinds reported it, and the tab is not applied
        text = _output_text(value)
        if text is None:
            if spec.required:
                self.problem(cell, "empty_output", header=column.header, example=self.output_example(spec))
            return None
        if spec.kind == "hours":
            return self.read_hours(value, text, cell)
        if spec.kind == "clock":
            clock = read_clock(text)
            if clock is None:
                self.problem(cell, "bad_clock", value=text)
            return clock
        if spec.kind == "grade" and self.lists.grades:
            spelling = self.lists.spelling("grade", text)
            if spelling is None:
                self.not_in_list(cell, "grade", text)
            return spelling or text
        return text

    def output_example(self, spec: OutputSpec) -> str:
        examples = {
            "grade": (self.lists.grades or ("A",))[0],
            "hours": "24",
            "clock": "business",
            "text": "Quality",
        }
        return examples[spec.kind]

    def read_hours(self, value: object, text: str, cell: str) -> float | int | None:
        try:
            hours = (
                float(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else float(text)
            )
        except ValueError:
            hours = -1.0
        if hours < 0 or hours != hours:  # negative, unreadable or NaN
            self.problem(cell, "bad_hours", value=text)
            return None
        return int(hours) if hours.is_integer() else hours

    def check_hours(self, layout: _Layout, outputs: dict[str, Any], row: int) -> None:
        response, resolution = outputs.get("response_hours"), outputs.get("resolution_hours")
        if response is None or resolution is None or resolution >= response:
            return
        column = next(column.column for column in layout.outputs if column.spec.key == "resolution_hours")
        self.problem(
            cell_name(column, row), "resolution_before_response", resolution=resolution, response=response
        )


_LITERAL_KIND = {
    "boolean": "boolean", "integer": "number", "number": "number", "count": "number", "hours": "number", "date": "date"
}  # fmt: skip


def did_you_mean(close: str) -> dict[str, str]:
    """Return the hint parameters of a message that suggests ``close``, in both languages."""
    return {"hint": f' — did you mean "{close}"?', "hint_zh": f"，是否要写“{close}”？"}


def _status_name(text: str) -> str | None:
    status = parse_status(text)
    return status.value if status else None


def _after_word(normalized: str, words: Sequence[str]) -> str | None:
    """Return what follows a leading IF/THEN word (``ifproduct`` -> ``product``), or None."""
    for word in words:
        if normalized.startswith(word):
            return normalized[len(word) :].lstrip(":：")
    return None


def _then_header(spec: OutputSpec, language: str) -> str:
    return f"则 {spec.zh}" if language == "zh" else f"THEN {spec.en}"


def _cell(cells: Sequence[object], column: int) -> object:
    return cells[column] if column < len(cells) else None


def _output_text(value: object) -> str | None:
    text = read_text(value) if not isinstance(value, str) or not value.startswith("#") else value.strip()
    if text and len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text or None


def _with_position(error: CellSyntaxError, language: str) -> str:
    if language == "zh":
        return f"{error.message_zh}（第 {error.position + 1} 个字符）"
    return f"{error.message_en} (character {error.position + 1})"


# --- whole-tab checks -------------------------------------------------------------------------------------


def parse_rule_tab(role: str, tab_name: str, rows: Sequence[Sequence[object]], lists: Lists) -> ParsedTab:
    """Given a rule tab's role (grade_rules, owner_rules or deadline_rules), its actual name, its rows of cell
    values (row 0 the headers) and the Lists, return its table and every problem, each with its cell.

    The table is None when any problem is an error. Checks: headers (unknown columns with a suggestion),
    cells (syntax with position, kinds, Lists values, statuses), outputs (Lists grades, hours, clock,
    resolution ≥ response), rule IDs (duplicate: error, missing: warning), and by policy: overlapping
    Deadline rules (error), grade × tier gaps (warning), Owner rules hidden by an earlier rule or without a
    catch-all last row (warnings).
    """
    reader = _Reader(role, tab_name, rows, lists)
    if not rows or all(is_blank(value) for value in rows[0]):
        reader.problem(None, "empty_tab", headers=_expected_headers(reader.spec, reader.language))
        return ParsedTab(role, tab_name, None, reader.problems)
    layout = reader.read_layout()
    rules = reader.read_rows(layout)
    tab = _build(reader, layout, rules)
    _check_policy(reader, tab)
    blocked = any(problem.is_error for problem in reader.problems)
    return ParsedTab(role, tab_name, None if blocked else tab, reader.problems)


def _expected_headers(spec: TabSpec, language: str) -> str:
    if language == "zh":
        return " | ".join(
            ["规则", "启用", "如果 …", *(_then_header(output, "zh") for output in spec.outputs), "备注"]
        )
    return " | ".join(
        ["Rule", "On", "IF …", *(_then_header(output, "en") for output in spec.outputs), "Note"]
    )


def _build(reader: _Reader, layout: _Layout, rules: list[RuleRow]) -> RuleTab:
    spec = reader.spec
    outputs = [
        Output(output.key, reader.lists.grades if output.kind == "grade" and reader.lists.grades else None)
        for output in spec.outputs
    ]
    table_rules = [
        Rule(rule.rule_id, rule.tests, tuple(rule.outputs[output.key] for output in spec.outputs))
        for rule in rules
    ]
    inputs = [condition.key for condition in layout.conditions]
    table = DecisionTable(inputs, outputs, table_rules, spec.hit_policy, name=reader.tab_name)
    return RuleTab(
        reader.role, reader.tab_name, tuple(layout.conditions), tuple(layout.outputs), tuple(rules), table,
        layout.rule_column, len(reader.rows),
    )  # fmt: skip


def _check_policy(reader: _Reader, tab: RuleTab) -> None:
    if not tab.rules:
        reader.problem(None, "no_rules", WARNING)
    if tab.role == "grade_rules" and not reader.lists.grades:
        reader.problem(None, "no_grades")
    if tab.table.hit_policy is HitPolicy.UNIQUE:
        _check_overlaps(reader, tab)
    if tab.role == "deadline_rules":
        _check_gaps(reader, tab)
    if tab.table.hit_policy is HitPolicy.FIRST:
        _check_hidden(reader, tab)
        _check_catch_all(reader, tab)


def _domains(tab: RuleTab) -> list[str]:
    return [domain_of(condition.fact.kind) for condition in tab.conditions]


def _check_overlaps(reader: _Reader, tab: RuleTab) -> None:
    """Two rules that one ticket can match break UNIQUE: report each pair, at the later rule's ID cell."""
    domains = _domains(tab)
    for index, later in enumerate(tab.rules):
        for earlier in tab.rules[:index]:
            example = example_of_overlap(earlier.tests, later.tests, domains)
            if example is not None:
                spellings = _spellings((*earlier.tests, *later.tests))
                reader.problem(
                    tab.id_cell(later.row), "overlap", first=earlier.rule_id, second=later.rule_id,
                    example=_describe(tab, example, spellings, reader.language),
                )  # fmt: skip


def _spellings(tests: Sequence[UnaryTest]) -> dict[object, str]:
    """Map each normalized value the tests name to the text as written, to show examples as people wrote them."""
    return {key: literal.text for test in tests for literal in test.literals() for key in literal.keys}


def _describe(tab: RuleTab, example: list[object], spellings: dict[object, str], language: str) -> str:
    """Describe an example ticket by the columns the rules constrain: `Grade B, Tier Gold`."""
    parts = [
        f"{condition.fact.label(language)} {spellings.get(value) or _show(value)}"
        for position, (condition, value) in enumerate(zip(tab.conditions, example, strict=True))
        if any(not rule.tests[position].is_any for rule in tab.rules)
    ]
    return ", ".join(parts) if parts else ("任意工单" if language == "zh" else "any ticket")


def _show(value: object) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, str):
        return "…" if value in ("\x01", "\U0010ffff") or value.endswith("\x01") else value
    if isinstance(value, date):
        return value.isoformat()
    return repr(value) if isinstance(value, Flag) else str(value)


def _check_gaps(reader: _Reader, tab: RuleTab) -> None:
    """Each grade × tier pair must be covered: for every combination of the other columns' values (one witness
    per region, see rules.analysis) some rule matches. Report the first uncovered combination as an example.
    Beyond GAP_SEARCH_LIMIT combinations, only rules that test nothing but grade and tier count."""
    grades, tiers = reader.lists.grades, reader.lists.allowed("tier")
    if not grades or not tiers:
        return
    others = [
        index for index, condition in enumerate(tab.conditions) if condition.key not in ("grade", "tier")
    ]
    choices = [witnesses([rule.tests[index] for rule in tab.rules], _domains(tab)[index]) for index in others]
    if math.prod(len(values) for values in choices) > GAP_SEARCH_LIMIT:
        choices = [[_ANY_VALUE] for _ in others]
    cell = cell_name(0, _next_free_row(tab))
    for grade in grades:
        for tier in tiers:
            missing = _uncovered(tab, {"grade": grade, "tier": tier}, others, choices)
            if missing is not None:
                example = _describe_others(tab, others, missing, reader.language)
                reader.problem(cell, "gap", WARNING, grade=grade, tier=tier, example=example)


GAP_SEARCH_LIMIT = 20_000
_ANY_VALUE = object()  # stands for "some value": matched only by a cell that accepts any value


def _uncovered(
    tab: RuleTab, pair: dict[str, object], others: list[int], choices: list[list[object]]
) -> tuple[object, ...] | None:
    """Return values of the other columns that no rule matching ``pair`` covers, or None if all are covered."""
    candidates = [rule for rule in tab.rules if _matches_pair(tab, rule, pair)]
    for combination in itertools.product(*choices):
        if not any(_matches_others(rule, others, combination) for rule in candidates):
            return combination
    return None


def _matches_pair(tab: RuleTab, rule: RuleRow, pair: dict[str, object]) -> bool:
    return all(
        test.matches(pair[condition.key])
        for test, condition in zip(rule.tests, tab.conditions, strict=True)
        if condition.key in pair
    )


def _matches_others(rule: RuleRow, others: list[int], combination: tuple[object, ...]) -> bool:
    for index, value in zip(others, combination, strict=True):
        test = rule.tests[index]
        if not (test.is_any if value is _ANY_VALUE else test.matches_normalized(value)):
            return False
    return True


def _describe_others(tab: RuleTab, others: list[int], combination: tuple[object, ...], language: str) -> str:
    spellings = _spellings([rule.tests[index] for rule in tab.rules for index in others])
    parts = [
        f"{tab.conditions[index].fact.label(language)} {spellings.get(value) or _show(value)}"
        for index, value in zip(others, combination, strict=True)
        if value is not _ANY_VALUE and any(not rule.tests[index].is_any for rule in tab.rules)
    ]
    if not parts:
        return ""
    return f" ({', '.join(parts)})" if language == "en" else f"（{', '.join(parts)}）"


def _next_free_row(tab: RuleTab) -> int:
    return max((rule.row for rule in tab.rules), default=0) + 1


def _check_hidden(reader: _Reader, tab: RuleTab) -> None:
    """Under FIRST, a rule whose every cell is covered by one earlier rule's cell can never fire."""
    domains = _domains(tab)
    for index, later in enumerate(tab.rules):
        earlier = next((rule for rule in tab.rules[:index] if covers(rule.tests, later.tests, domains)), None)
        if earlier is not None:
            reader.problem(
                tab.id_cell(later.row), "hidden_rule", WARNING, rule=later.rule_id, earlier=earlier.rule_id
            )


def _check_catch_all(reader: _Reader, tab: RuleTab) -> None:
    if tab.rules and not tab.rules[-1].is_catch_all:
        reader.problem(tab.id_cell(tab.rules[-1].row), "no_catch_all", WARNING)
