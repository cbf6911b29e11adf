"""Computed cells: what the daemon wants in each column, and whether the sheet already shows it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from sync.backends.port import Cell
from tickets import Outcome, Problem, label, read_datetime, read_text
from tickets.outcome import SlaState

__all__ = ["desired_cells", "same_cell", "check_text", "problem_texts", "rows_differ"]


def _local(moment: datetime | None, zone: tzinfo) -> datetime | None:
    """A due time as the sheet shows it: naive wall-clock time in the calendar's zone, to the minute."""
    if moment is None:
        return None
    local = moment.astimezone(zone).replace(tzinfo=None)
    return local.replace(second=0, microsecond=0)


def problem_texts(problems: Sequence[Problem], language: str) -> list[str]:
    """Return a row's problems as a person reads them, each naming its column in the workbook's language
    (what the Check cell joins, and what ``sheetdesk check`` prints a line each)."""
    return [problem.render(language, label(problem.column, language) if problem.column else "") for problem in problems]


def check_text(problems: Sequence[Problem], language: str) -> str | None:
    """Return the Check cell for a row's problems (``problem_texts`` joined with "; ", or "；" in Chinese), or
    None for none."""
    return ("；" if language == "zh" else "; ").join(problem_texts(problems, language)) or None


def desired_cells(outcome: Outcome, language: str, zone: tzinfo) -> dict[str, Cell]:
    """Return ``{computed column key: value}`` for one ticket's outcome."""
    assignment = outcome.assignment
    deadlines = outcome.deadlines
    sla: SlaState | None = outcome.sla
    return {
        "grade": outcome.grade,
        "department": assignment.department if assignment else None,
        "liaison": assignment.liaison if assignment else None,
        "response_due": _local(deadlines.response_due, zone) if deadlines else None,
        "resolution_due": _local(deadlines.resolution_due, zone) if deadlines else None,
        "resolved_again": _local(outcome.resolved_again, zone),
        "follow_up_due": _local(deadlines.follow_up_due, zone) if deadlines else None,
        "second_follow_up_due": _local(deadlines.second_follow_up_due, zone) if deadlines else None,
        "sla": sla.label(language) if sla else None,
        "escalation": outcome.escalation or None,
        "similar_7d": outcome.similar_7d or None,
        "rules": " · ".join(outcome.rules) or None,
        "last_solved": outcome.last_solved,
        "check": check_text(outcome.problems, language),
        **_paused_cell(outcome),
    }


def _paused_cell(outcome: Outcome) -> dict[str, Cell]:
    """The ``Paused h`` cell: hours counted (blank for none); nothing at all when the outcome leaves it alone."""
    if outcome.paused is None:
        return {}
    return {"paused_hours": outcome.paused.hours or None}


def same_cell(current: Cell, desired: Cell, zone: tzinfo) -> bool:
    """Whether a cell already shows the desired value (blank equals None; numbers and times by value)."""
    if current == desired and type(current) is type(desired):
        return True
    if desired is None:
        return current is None or (isinstance(current, str) and not current.strip())
    if isinstance(desired, datetime):
        try:
            moment = read_datetime(current, zone)
        except ValueError:
            return False
        return moment is not None and moment.replace(tzinfo=None, second=0, microsecond=0) == desired
    if isinstance(desired, int | float) and not isinstance(desired, bool):
        number = isinstance(current, int | float) and not isinstance(current, bool)
        return number and abs(current - desired) < 1e-6  # type: ignore[operator]
    try:
        return read_text(current) == desired
    except ValueError:
        return False


def rows_differ(
    current: Sequence[Sequence[Cell]], wanted: Sequence[Sequence[Cell]], ignore_row: int | None = None
) -> bool:
    """Whether a generated tab as read shows anything other than ``wanted`` (row ``ignore_row`` left out).

    Blank cells at the end of a row, blank rows at the end, blank text and the difference between ``3`` and
    ``3.0`` (spreadsheets read numbers back as floats) do not count.
    """
    return _comparable(current, ignore_row) != _comparable(wanted, ignore_row)


def _comparable(rows: Sequence[Sequence[Cell]], ignore_row: int | None) -> list[list[Cell]]:
    kept = [_trimmed(row) for index, row in enumerate(rows) if index != ignore_row]
    while kept and not kept[-1]:
        kept.pop()
    return kept


def _trimmed(row: Sequence[Cell]) -> list[Cell]:
    cells = [_plain(cell) for cell in row]
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def _plain(cell: Cell) -> Cell:
    if isinstance(cell, str) and not cell.strip():
        return None
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return cell
