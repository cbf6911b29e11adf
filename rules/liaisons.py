"""The Liaisons tab: who answers for each department, and whom to escalate to."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rules.problems import WARNING, RuleProblem, cell_name
from tickets.columns import normalize_label
from tickets.outcome import Assignment
from tickets.values import read_text

__all__ = ["Liaisons", "Liaison", "LIAISON_HEADERS", "parse_liaisons", "is_email"]

# field -> (English header, Chinese header, other accepted headers)
LIAISON_HEADERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "department": ("Department", "责任部门", ("部门",)),
    "liaison": ("Liaison", "联络官", ("Liaison officer", "联络人")),
    "email": ("Email", "邮箱", ("E-mail", "Liaison email", "联络官邮箱", "电子邮箱")),
    "manager": ("Manager", "经理", ("部门经理",)),
    "manager_email": ("Manager email", "经理邮箱", ("Manager e-mail",)),
    "deputy_email": ("Deputy email", "副联络人邮箱", ("Deputy e-mail", "Deputy")),
    "language": ("Language", "语言", ()),
}
_HEADER_LOOKUP = {
    normalize_label(text): key
    for key, (english, chinese, others) in LIAISON_HEADERS.items()
    for text in (english, chinese, *others)
}
_EMAIL_KEYS = ("email", "manager_email", "deputy_email")
_EMAIL = re.compile(r"[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]{2,}")
_LANGUAGES = {
    normalize_label(word): language
    for language, words in (
        ("en", ("en", "english", "英文", "英语")),
        ("zh", ("zh", "中文", "chinese", "汉语", "cn")),
    )
    for word in words
}


def is_email(text: str) -> bool:
    """Whether ``text`` looks like one plain email address (name@domain.tld)."""
    return _EMAIL.fullmatch(text.strip()) is not None


@dataclass(frozen=True)
class Liaison:
    """One row of the Liaisons tab."""

    department: str
    liaison: str | None = None
    email: str | None = None
    manager: str | None = None
    manager_email: str | None = None
    deputy_email: str | None = None
    language: str = "en"
    row: int = 0  # 0-based index in the tab's rows

    def assignment(self, liaison: str | None = None) -> Assignment:
        return Assignment(
            department=self.department,
            liaison=liaison or self.liaison,
            liaison_email=self.email,
            deputy_email=self.deputy_email,
            manager=self.manager,
            manager_email=self.manager_email,
            language=self.language,
        )


class Liaisons:
    """The Liaisons tab, looked up by department (case- and space-insensitive)."""

    def __init__(self, entries: Sequence[Liaison] = (), tab_name: str = "Liaisons") -> None:
        self.entries = tuple(entries)
        self.tab_name = tab_name
        self._by_department: dict[str, list[Liaison]] = {}
        for entry in self.entries:
            self._by_department.setdefault(normalize_label(entry.department), []).append(entry)

    def __repr__(self) -> str:
        return f"Liaisons({len(self.entries)} rows)"

    @property
    def departments(self) -> tuple[str, ...]:
        """Each department once, as first spelled on the tab."""
        return tuple(entries[0].department for entries in self._by_department.values())

    def has_department(self, department: str) -> bool:
        return normalize_label(department) in self._by_department

    def find(self, department: str, liaison: str | None = None) -> Liaison | None:
        """Return the row for ``department`` (and ``liaison``, when given), or None."""
        entries = self._by_department.get(normalize_label(department), [])
        if liaison is None:
            return entries[0] if entries else None
        wanted = normalize_label(liaison)
        return next((entry for entry in entries if normalize_label(entry.liaison) == wanted), None)

    def assignment(self, department: str, liaison: str | None = None) -> Assignment:
        """Return who owns a ticket of ``department``. A rule's own liaison is looked up within the department;
        a department or liaison missing from the tab still gives an Assignment, with no emails."""
        entry = self.find(department, liaison) or (None if liaison else self.find(department))
        if entry is None:
            return Assignment(department=department, liaison=liaison)
        return entry.assignment(liaison)


def parse_liaisons(tab_name: str, rows: Sequence[Sequence[object]]) -> tuple[Liaisons, list[RuleProblem]]:
    """Given the rows of the Liaisons tab (row 0 the headers), return the liaisons and every problem.

    A bad email is an error (with its cell); a missing email, an unknown language and a repeated department
    are warnings. Rows without a department are errors and are left out.
    """
    header = rows[0] if rows else ()
    positions = _match_headers(header)
    problems = [
        RuleProblem.make(tab_name, None, "missing_column", header=LIAISON_HEADERS[key][0])
        for key in ("department", "email")
        if key not in positions
    ]
    if "department" not in positions:
        return Liaisons((), tab_name), problems
    entries: list[Liaison] = []
    for row_index in range(1, len(rows)):
        entry = _read_row(tab_name, rows[row_index], row_index, positions, problems)
        if entry is not None:
            entries.append(entry)
    _check_repeats(tab_name, entries, positions["department"], problems)
    return Liaisons(entries, tab_name), problems


def _match_headers(header: Sequence[object]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for column, text in enumerate(header):
        key = _HEADER_LOOKUP.get(normalize_label(text))
        if key is not None:
            positions.setdefault(key, column)
    return positions


def _read_row(
    tab_name: str,
    row: Sequence[object],
    row_index: int,
    positions: dict[str, int],
    problems: list[RuleProblem],
) -> Liaison | None:
    cells = {key: read_text(row[column]) if column < len(row) else None for key, column in positions.items()}
    if all(value is None for value in cells.values()):
        return None
    if cells["department"] is None:
        problems.append(
            RuleProblem.make(tab_name, cell_name(positions["department"], row_index), "missing_department")
        )
        return None
    for key in _EMAIL_KEYS:
        value = cells.get(key)
        if value is not None and not is_email(value):
            problems.append(
                RuleProblem.make(tab_name, cell_name(positions[key], row_index), "bad_email", value=value)
            )
            cells[key] = None
    if cells.get("email") is None and "email" in positions and cells.get("deputy_email") is None:
        problems.append(
            RuleProblem.make(
                tab_name, cell_name(positions["email"], row_index), "missing_email", WARNING,
                department=cells["department"],
            )
        )  # fmt: skip
    return Liaison(
        department=cells["department"],
        liaison=cells.get("liaison"),
        email=cells.get("email"),
        manager=cells.get("manager"),
        manager_email=cells.get("manager_email"),
        deputy_email=cells.get("deputy_email"),
        language=_read_language(tab_name, cells.get("language"), positions, row_index, problems),
        row=row_index,
    )


def _read_language(
    tab_name: str, value: str | None, positions: dict[str, int], row_index: int, problems: list[RuleProblem]
) -> str:
    if value is None:
        return "en"
    language = _LANGUAGES.get(normalize_label(value))
    if language is None:
        cell = cell_name(positions["language"], row_index)
        problems.append(RuleProblem.make(tab_name, cell, "bad_language", WARNING, value=value))
        return "en"
    return language


def _check_repeats(tab_name: str, entries: list[Liaison], column: int, problems: list[RuleProblem]) -> None:
    """Two rows for one department and the same liaison: the first is used."""
    seen: dict[tuple[str, str], int] = {}
    for entry in entries:
        key = (normalize_label(entry.department), normalize_label(entry.liaison))
        if key in seen:
            problems.append(
                RuleProblem.make(
                    tab_name, cell_name(column, entry.row), "duplicate_department", WARNING,
                    department=entry.department, other_row=seen[key] + 1,
                )
            )  # fmt: skip
        else:
            seen[key] = entry.row
