"""Screening a tab people edit (a rule tab, Lists, Liaisons) before it is read: what a cell shows is not always
what it holds.

- A merged range shows one value over many cells; every cell but its first reads as empty, and an empty rule
  cell means "any". So a merge over a cell the tab reads is an error naming the tab and the range ("unmerge
  it"); on a rule tab it keeps the tab from being applied (the last good version serves). A merge lying wholly
  in Note columns or columns without a header is a warning: nothing is mis-read.
- An invisible character (a zero-width space, a direction mark, a control character) is named with its code
  point, as on the Tickets tab, and the value is read without it meanwhile (a warning).
- On a rule tab, a header showing an error (``#N/A``) or a formula without a value is an error: the column's
  meaning is unknown, so the tab is not applied. (Its rule cells are checked by ``rules.tabs``.)
- On Lists and Liaisons, such a cell is an error naming it, and is read as empty — never a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rules.problems import ERROR, WARNING, RuleProblem, cell_name
from tickets.columns import normalize_label
from tickets.values import FormulaCell, error_value, is_blank, name_invisible, shorten, without_invisible

__all__ = ["ScreenedTab", "screen_tab"]

Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based, inclusive)
_NOTE_HEADERS = frozenset(normalize_label(text) for text in ("Note", "Notes", "备注", "Comment", "说明"))

@dataclass
class ScreenedTab:
    """A tab's rows as they are to be read (invisible characters and unreadable cells taken out), and what
    screening found. ``blocks`` is True when an error keeps a rule tab from being applied."""

    rows: list[list[object]]
    problems: list[RuleProblem]

    @property
    def blocks(self) -> bool:
        return any(problem.is_error for problem in self.problems)


def screen_tab(
    tab_name: str, rows: Sequence[Sequence[object]], merged: Sequence[Merge] = (), rule_tab: bool = True
) -> ScreenedTab:
    """Given a tab's name, rows (row 0 the headers), merged ranges and whether it is a rule tab (Grade, Owner,
    Deadline rules) rather than Lists or Liaisons, return the rows to read and every problem found. Never
    raises."""
    header = list(rows[0]) if rows else []
    ignored = _ignored_columns(header, rule_tab)
    problems = [_merge_problem(tab_name, merge, ignored, rule_tab) for merge in merged]
    screened = [[_screen_cell(tab_name, value, row, column, ignored, rule_tab, problems)
                 for column, value in enumerate(cells)] for row, cells in enumerate(rows)]
    return ScreenedTab(screened, problems)


def _ignored_columns(header: Sequence[object], rule_tab: bool) -> set[int]:
    """Columns nothing reads: no header, or (on a rule tab) a Note header."""
    return {column for column, text in enumerate(header)
            if is_blank(text) or rule_tab and isinstance(text, str) and normalize_label(text) in _NOTE_HEADERS}


def _merge_problem(tab_name: str, merge: Merge, ignored: set[int], rule_tab: bool) -> RuleProblem:
    first_row, first_column, last_row, last_column = merge
    first = cell_name(first_column, first_row)
    span = f"{first}:{cell_name(last_column, last_row)}"
    harmless = first_row > 0 and all(column in ignored for column in range(first_column, last_column + 1))
    if harmless:
        return _problem(tab_name, first, "merged_note_cells", WARNING, range=span)
    return _problem(tab_name, first, "merged_rule_cells" if rule_tab else "merged_cells", ERROR, range=span,
                    first=first)


def _screen_cell(
    tab_name: str, value: object, row: int, column: int, ignored: set[int], rule_tab: bool,
    problems: list[RuleProblem],
) -> object:
    """The cell as it is to be read; a problem added for what it really holds."""
    if column in ignored and row > 0:
        return value
    cell = cell_name(column, row)
    unreadable = isinstance(value, FormulaCell) or error_value(value) is not None
    if unreadable and (row == 0 or not rule_tab):  # a rule tab's rule cells: rules.tabs names them
        code = ("header_" if row == 0 and rule_tab else "cell_") + (
            "formula" if isinstance(value, FormulaCell) else "error_value")
        shown = shorten(value) if isinstance(value, FormulaCell) else str(error_value(value))
        problems.append(_problem(tab_name, cell, code, ERROR, value=shown))
        return None
    if isinstance(value, str) and name_invisible(value):
        problems.append(_problem(tab_name, cell, "invisible_in_rule_cell", WARNING, value=shorten(value),
                                 character=name_invisible(value)))
        return without_invisible(value)
    return value


def _problem(tab_name: str, cell: str, code: str, severity: str, **params: object) -> RuleProblem:
    return RuleProblem.make(tab_name, cell, code, severity, **params)
