"""The Lists tab: the allowed Grade (most urgent first), Tier, Category, Channel and Request values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from rules.problems import WARNING, RuleProblem, cell_name
from tickets.columns import normalize_label
from tickets.values import read_text

__all__ = ["Lists", "LIST_HEADERS", "parse_lists"]

# list key -> (English header, Chinese header, other accepted headers)
LIST_HEADERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "grade": ("Grade", "等级", ("Grades",)),
    "tier": ("Tier", "客户等级", ("Customer tier", "Tiers")),
    "category": ("Category", "问题类型", ("Categories",)),
    "channel": ("Channel", "渠道", ("Channels", "投诉渠道")),
    "request": ("Request", "客户诉求", ("Requests",)),
    "status": ("Status", "状态", ("Statuses",)),
    "yes_no": ("Yes/No", "是否", ("Yes no",)),
}
_HEADER_LOOKUP = {
    normalize_label(text): key
    for key, (english, chinese, others) in LIST_HEADERS.items()
    for text in (english, chinese, *others)
}


class Lists(Mapping[str, tuple[str, ...]]):
    """The allowed values by list key (grade, tier, category, channel, request, …), in the tab's order.

    A Mapping, so it can serve as ``tickets.model.RowContext.allowed``. A list that is absent is empty.
    """

    def __init__(self, values: Mapping[str, Sequence[str]] | None = None) -> None:
        self._values = {key: tuple(items) for key, items in (values or {}).items()}

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Lists({self._values!r})"

    def allowed(self, key: str) -> tuple[str, ...]:
        """Return the values of list ``key``, or () when the tab has no such list."""
        return self._values.get(key, ())

    def spelling(self, key: str, value: str) -> str | None:
        """Return how list ``key`` spells ``value`` (compared case- and space-insensitively), or None."""
        wanted = normalize_label(value)
        return next((item for item in self.allowed(key) if normalize_label(item) == wanted), None)

    @property
    def grades(self) -> tuple[str, ...]:
        """The grades, most urgent first."""
        return self.allowed("grade")


def parse_lists(rows: Sequence[Sequence[object]], tab_name: str = "Lists") -> tuple[Lists, list[RuleProblem]]:
    """Given the rows of the Lists tab (row 0 the headers), return the lists and any problems.

    Each known header starts a list of the non-blank cells below it. Unknown headers and repeated values are
    warnings; nothing here blocks the rule tabs.
    """
    problems: list[RuleProblem] = []
    values: dict[str, list[str]] = {}
    header = rows[0] if rows else ()
    for column, text in enumerate(header):
        if read_text(text) is None:
            continue
        key = _HEADER_LOOKUP.get(normalize_label(text))
        if key is None or key in values:
            problems.append(_unknown_header(tab_name, column, text))
            continue
        values[key] = _read_column(rows, column, tab_name, problems)
    return Lists(values), problems


def _unknown_header(tab_name: str, column: int, text: object) -> RuleProblem:
    allowed = ", ".join(english for english, _, _ in LIST_HEADERS.values())
    return RuleProblem.make(
        tab_name, cell_name(column, 0), "unknown_list", WARNING, header=text, allowed=allowed
    )


def _read_column(
    rows: Sequence[Sequence[object]], column: int, tab_name: str, problems: list[RuleProblem]
) -> list[str]:
    items: list[str] = []
    seen: dict[str, int] = {}
    for row_index in range(1, len(rows)):
        row = rows[row_index]
        value = read_text(row[column]) if column < len(row) else None
        if value is None:
            continue
        normalized = normalize_label(value)
        if normalized in seen:
            problems.append(
                RuleProblem.make(
                    tab_name, cell_name(column, row_index), "duplicate_list_value", WARNING,
                    value=value, other_row=seen[normalized] + 1,
                )
            )  # fmt: skip
            continue
        seen[normalized] = row_index
        items.append(value)
    return items
