"""Rule tabs, Lists and Liaisons as a hostile but realistic team leaves them in a real .xlsx: merged cells, error
values, formulas without a saved value and invisible characters each become a line on the Rule check tab naming
the tab and the cell, never a crash and never a silently misread rule (a merge over a rule cell keeps the tab
from being applied, and its last good version serves). One case runs on the memory backend too: the reading
does not depend on the backend."""

from __future__ import annotations

import openpyxl
import pytest

from sync.backends.memory import MemoryBackend
from sync.engine import Desk
from sync.intake.people import liaison_addresses
from sync.state import StateStore
from tests.sync.conftest import NEW_COMPLAINT, NOW, make_workbook, tickets_by_id
from tests.sync.hostile_workbooks import template_tabs
from tests.sync.test_hostile_cells import put_results, set_cells
from tickets import ErrorValue, FormulaCell

STANDARD = {**NEW_COMPLAINT, "Tier": "Standard", "Customer": "Lotus"}  # a quality complaint: Routine unless Core


def grades(path) -> dict[str, str]:
    return {ticket["Customer"]: ticket["Grade"] for ticket in tickets_by_id(path).values()}


def assert_served(path, before: dict[str, str]) -> None:
    """Every ticket keeps its grade, or — when the cell took away what a rule tab needs (the Grade list, a
    category its rules name) — says in its Check cell why its grade is blank; never a wrong grade."""
    for ticket in tickets_by_id(path).values():
        if ticket["Grade"] != before[ticket["Customer"]]:
            assert ticket["Grade"] is None and "cannot be applied" in (ticket["Check"] or ""), ticket


def rule_check(path) -> list[tuple]:
    """The Rule check tab's lines after the header: (tab, cell, severity, message)."""
    rows = list(openpyxl.load_workbook(path)["Rule check"].iter_rows(values_only=True))
    return [row[:4] for row in rows[1:]]


def line_at(path, tab: str, cell: str) -> tuple:
    found = [line for line in rule_check(path) if line[0] == tab and line[1] == cell]
    assert found, f"no Rule check line for {tab}!{cell}: {rule_check(path)}"
    return found[0]


def edit(path, tab: str, change) -> None:
    workbook = openpyxl.load_workbook(path)
    change(workbook[tab])
    workbook.save(path)


@pytest.fixture
def served(tmp_path, desk_factory):
    """A workbook with a Core and a Standard quality complaint after one good cycle: (path, desk, grades)."""
    path = make_workbook(tmp_path / "desk.xlsx", rows=[NEW_COMPLAINT, STANDARD])
    desk = desk_factory(path)
    desk.cycle(NOW)
    assert grades(path) == {"Harbour Foods": "Urgent", "Lotus": "Routine"}
    return path, desk, grades(path)


def test_a_merge_over_rule_cells_is_named_and_the_last_good_rules_serve(served):
    path, desk, before = served
    edit(path, "Grade rules", lambda sheet: sheet.merge_cells("E3:E4"))  # E4 ("Core" of G3) now reads empty
    desk.cycle(NOW)
    assert grades(path) == before  # not "Urgent for every tier", as an empty Tier cell would say
    tab, cell, severity, message = line_at(path, "Grade rules", "E3")
    assert severity.lower() == "error" and "E3:E4" in message and "unmerge it" in message
    assert "not applied" in message


def test_a_merge_over_notes_only_is_a_warning_and_the_tab_still_serves(served):
    path, desk, _ = served
    edit(path, "Grade rules", lambda sheet: (sheet.merge_cells("J2:J3"), sheet.__setitem__("E4", "-")))
    desk.cycle(NOW)
    assert grades(path) == {"Harbour Foods": "Urgent", "Lotus": "Urgent"}  # the edit to G3 is applied
    _, _, severity, message = line_at(path, "Grade rules", "J2")
    assert severity.lower() == "warning" and "J2:J3" in message and "unmerge it" in message


@pytest.mark.parametrize(("tab", "span", "first"), [("Lists", "B2:B3", "B2"), ("Liaisons", "A2:A3", "A2"),
                                                     ("Owner rules", "E1:F1", "E1")])
def test_a_merge_on_lists_liaisons_or_a_header_is_named_and_nothing_crashes(served, tab, span, first):
    path, desk, _ = served
    edit(path, tab, lambda sheet: sheet.merge_cells(span))
    report = desk.cycle(NOW)
    assert report.rows == 2
    _, _, severity, message = line_at(path, tab, first)
    assert severity.lower() == "error" and span in message and "unmerge it" in message


@pytest.mark.parametrize(("tab", "cell", "value"), [
    ("Grade rules", "E4", "Core\u200b"), ("Lists", "B2", "\ufeffCore"), ("Liaisons", "C2", "grace.li@example.com\u2060"),
    ("Grade rules", "E1", "IF Tier\u200b"),
])
def test_an_invisible_character_in_a_rule_tab_is_named_and_the_value_read_without_it(served, tab, cell, value):
    path, desk, before = served
    set_cells(path, tab, {cell: value})
    desk.cycle(NOW)
    assert grades(path) == before  # read as if typed without it: "Core" still makes Harbour Foods Urgent
    character = next(character for character in value if not character.isprintable() or ord(character) > 0x2000)
    _, _, severity, message = line_at(path, tab, cell)
    assert severity.lower() == "warning" and f"U+{ord(character):04X}" in message and "invisible" in message


@pytest.mark.parametrize(("tab", "cell", "formula", "shown"), [
    ("Lists", "B3", "=NA()", "#N/A"), ("Liaisons", "C2", "=1/0", "#DIV/0!"), ("Liaisons", "A3", "=NA()", "#N/A"),
    ("Grade rules", "B4", "=NA()", "#N/A"), ("Grade rules", "E1", "=NA()", "#N/A"), ("Lists", "A1", "=NA()", "#N/A"),
])
def test_an_error_value_on_a_rule_tab_is_named_and_the_rest_is_served(served, tab, cell, formula, shown):
    path, desk, before = served
    set_cells(path, tab, {cell: formula})
    put_results(path, tab, {cell: ("e", shown)})
    report = desk.cycle(NOW)
    assert report.rows == 2
    assert_served(path, before)
    _, _, severity, message = line_at(path, tab, cell)
    assert severity.lower() == "error" and shown in message


@pytest.mark.parametrize(("tab", "cell"), [("Liaisons", "C2"), ("Lists", "C3"), ("Grade rules", "E4"),
                                           ("Deadline rules", "C1")])
def test_a_formula_without_a_saved_value_on_a_rule_tab_is_named(served, tab, cell):
    path, desk, before = served
    set_cells(path, tab, {cell: '=LOWER("x")'})  # openpyxl saves no result: the file holds the formula alone
    report = desk.cycle(NOW)
    assert report.rows == 2
    assert_served(path, before)
    _, _, severity, message = line_at(path, tab, cell)
    assert severity.lower() == "error" and 'LOWER("x")' in message


def test_a_formula_with_its_saved_value_on_a_rule_tab_is_read_as_that_value(served):
    path, desk, _ = served
    set_cells(path, "Grade rules", {"E4": '=IF(TRUE,"-","Core")'})
    put_results(path, "Grade rules", {"E4": ("str", "-")})  # G3 now matches every tier
    desk.cycle(NOW)
    assert grades(path) == {"Harbour Foods": "Urgent", "Lotus": "Urgent"}
    assert not [line for line in rule_check(path) if line[0] == "Grade rules" and line[1] == "E4"]


def test_a_merge_on_a_rule_tab_reads_the_same_on_the_memory_backend(tmp_path):
    tabs = template_tabs()
    header = tabs["Tickets"][0]
    tabs["Tickets"] += [[row.get(text) for text in header] for row in (NEW_COMPLAINT, STANDARD)]
    tabs["Grade rules"][3][4] = None  # what a merge of E3:E4 leaves in E4
    state = StateStore(tmp_path / "state")
    try:
        report = Desk(MemoryBackend(tabs=tabs, merged={"Grade rules": [(2, 4, 3, 4)]}), state).cycle(NOW)
    finally:
        state.close()
    lines = [str(problem) for problem in report.rule_findings]
    assert any(line.startswith("Grade rules!E3: the cells E3:E4 are merged — unmerge it") for line in lines), lines
    assert {outcome.ticket.customer: outcome.grade for outcome in report.outcomes} == {
        "Harbour Foods": None, "Lotus": None}  # no good version yet: blank with a reason, never a wrong grade


def test_the_mailbox_reads_the_desks_people_past_an_error_on_the_liaisons_tab():
    rows = [list(row) for row in template_tabs()["Liaisons"]]
    rows[1][2] = ErrorValue("#N/A")  # Grace Li's email
    rows[2][4] = FormulaCell('LOWER("X@EXAMPLE.COM")')  # a manager email with no saved value
    addresses = liaison_addresses("Liaisons", rows)
    assert "grace.li@example.com" not in addresses and "helen.sun@example.com" in addresses
    assert "peter.zhang@example.com" in addresses
