"""Build a new workbook as plain data: a ``WorkbookSpec`` any backend can lay out.

``build_spec`` turns a language's template (``en.toml``/``zh.toml``) and optional sample tickets into tabs of
plain values — text, whole numbers and naive datetimes (wall-clock time in the Calendar's timezone) — with the
layout hints a person needs: widths, a frozen header, an auto-filter, drop-downs fed from the Lists tab and
fill colours. ``sync.backends.xlsx.writer.write_xlsx`` writes it with openpyxl; the gsheets backend lays the same
spec into a Google Sheet.

Tab order: Tickets, Grade rules, Owner rules, Deadline rules, Liaisons, Calendar, Lists, How to use.
``sheetdesk init`` puts a Dashboard right after Tickets (its words are the Dashboard's own, in ``sync.tabs``);
the daemon fills it and adds Rule check and the other generated tabs itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sheets_templates.samples import sample_tickets
from sheets_templates.template import LIST_KEYS, list_header, list_values, load_template, rule_header
from tickets import TABS, TICKET_COLUMNS, column_letter

__all__ = [
    "Value",
    "TabSpec",
    "WorkbookSpec",
    "build_spec",
    "lists_range",
    "list_column_range",
    "LIST_LAST_ROW",
    "DROPDOWN_LAST_ROW",
    "LEGEND_FILLS",
    "COMPUTED_HEADER_FILL",
    "HEADER_FONT",
    "FILTER_ARROW_WIDTH",
    "header_width",
    "wrap_to_width",
    "HOW_TO_TEXT_WIDTH",
]

Value = str | int | float | datetime | date | None

# The Lists tab's drop-down sources reach down to this row, so people can add values below the template's.
# The template and the daemon (when it restores a drop-down a person removed) use the same ranges.
LIST_LAST_ROW = 200
# Drop-downs on the Tickets tab cover rows 2 to this row of their column: the whole column (Excel's last row),
# as Google Sheets applies them, so rows added anywhere get them.
DROPDOWN_LAST_ROW = 1_048_576
# The fill colours of the How-to legend; the same RGB hex as sync.backends.port.FormattingSpec paints rows with.
LEGEND_FILLS: dict[str, str] = {
    "overdue": "F4CCCC",
    "due_soon": "FFEB9C",
    "paused": "CFE2F3",
    "closed": "E6E6E6",
    "check": "B4A7D6",
}
# Headers of the columns the daemon fills, so people see at a glance where not to type.
COMPUTED_HEADER_FILL = "D9EAD3"
# Bold rows use the workbook's own body font, named, so no program falls back to a serif for them.
HEADER_FONT = ("Calibri", 11)
# The How-to tab's two columns (characters): a label, and its explanation wrapped into lines this wide.
HOW_TO_LABEL_WIDTH = 28
HOW_TO_TEXT_WIDTH = 100
CLOSING_PUNCTUATION = frozenset("。，、；：！？）」』》”’")
# Room (in characters) the filter's drop-down arrow takes at the right of a header cell.
FILTER_ARROW_WIDTH = 4

_MIN_WIDTH = 8
_MAX_WIDTH = 60
_RULE_TABS = ("grade_rules", "owner_rules", "deadline_rules")


@dataclass
class TabSpec:
    """One tab of a new workbook, as plain data.

    ``rows`` are the cell values from row 1 down (``None`` is an empty cell). ``widths`` are column widths in
    characters, left to right. ``frozen_rows`` rows stay in view when scrolling. ``autofilter`` puts a filter
    over the table (row 1 to the last row). ``frozen_columns`` columns stay in view when scrolling sideways.
    ``wrap_columns`` lists 0-based columns whose text wraps inside the cell. ``print_wide`` prints the tab
    landscape, fitted to the page width, repeating the frozen header rows on every page. ``dropdowns`` maps a 0-based column to the A1 range on the Lists tab
    that feeds its drop-down, for rows 2 to ``DROPDOWN_LAST_ROW``. ``fills`` maps a 0-based (row, column) to an
    RGB hex background. ``bold_header`` makes row 1 bold; ``bold_rows`` lists further 0-based rows to make
    bold. ``key`` is the tab's role in ``tickets.TABS`` (e.g. "tickets").
    """

    name: str
    rows: list[list[Value]]
    widths: list[int] = field(default_factory=list)
    frozen_rows: int = 0
    autofilter: bool = False
    dropdowns: dict[int, str] = field(default_factory=dict)
    fills: dict[tuple[int, int], str] = field(default_factory=dict)
    bold_header: bool = True
    bold_rows: list[int] = field(default_factory=list)
    key: str = ""
    frozen_columns: int = 0
    wrap_columns: list[int] = field(default_factory=list)
    print_wide: bool = False


@dataclass
class WorkbookSpec:
    """A new workbook: its language ("en" or "zh") and its tabs, in order."""

    language: str
    tabs: list[TabSpec]

    def tab(self, key: str) -> TabSpec:
        """Return the tab playing role ``key`` (a key of ``tickets.TABS``). Raise KeyError if there is none."""
        for tab in self.tabs:
            if tab.key == key:
                return tab
        raise KeyError(key)


def build_spec(language: str, sample: int = 0, now: datetime | None = None, seed: int = 0) -> WorkbookSpec:
    """Given "en" or "zh", return the new workbook in that language, with ``sample`` sample tickets.

    Sample tickets are received in the three weeks up to ``now`` (default: the current time in the Calendar's
    timezone) and are the same for the same ``now`` and ``seed``. Raise ValueError for an unknown language.
    """
    template = load_template(language)
    tickets: list[dict[str, Any]] = []
    if sample > 0:
        moment = now or datetime.now(ZoneInfo(template["calendar"]["timezone"]))
        tickets = sample_tickets(language, sample, moment, seed)
    tabs = [
        tickets_tab(language, tickets),
        *(rule_tab(language, key) for key in _RULE_TABS),
        liaisons_tab(language),
        calendar_tab(language),
        lists_tab(language),
        how_to_tab(language),
    ]
    return WorkbookSpec(language, tabs)


def tickets_tab(language: str, tickets: Sequence[dict[str, Any]]) -> TabSpec:
    """Return the Tickets tab: every column of ``TICKET_COLUMNS`` in order, then one row per ticket."""
    header: list[Value] = [column.label(language) for column in TICKET_COLUMNS]
    rows = [header] + [[ticket.get(column.key) for column in TICKET_COLUMNS] for ticket in tickets]
    dropdowns = {
        index: lists_range(language, column.choices)
        for index, column in enumerate(TICKET_COLUMNS)
        if column.choices
    }
    fills = {
        (0, index): COMPUTED_HEADER_FILL for index, column in enumerate(TICKET_COLUMNS) if column.computed
    }
    return TabSpec(
        name=TABS["tickets"].label(language),
        rows=rows,
        widths=[max(column.width, header_width(column.label(language)), choice_width(language, column.choices))
                for column in TICKET_COLUMNS],
        frozen_rows=1,
        frozen_columns=1,  # the Ticket ID stays in view on a sheet of 30-odd columns
        autofilter=True,
        dropdowns=dropdowns,
        fills=fills,
        key="tickets",
        wrap_columns=[index for index, column in enumerate(TICKET_COLUMNS) if column.key == "check"],
        print_wide=True,
    )


def header_width(label: str) -> int:
    """Return the column width that shows ``label`` whole in a bold header with a filter arrow beside it."""
    return display_width(label) + 2 + FILTER_ARROW_WIDTH


def choice_width(language: str, choices: str | None) -> int:
    """Return the column width that shows every value of list ``choices`` whole ("Waiting on customer"), or 0
    for a column without a list."""
    if not choices:
        return 0
    return max((display_width(value) for value in list_values(language).get(choices, [])), default=0) + 2


def rule_tab(language: str, key: str) -> TabSpec:
    """Return rule tab ``key`` ("grade_rules", "owner_rules" or "deadline_rules") with the template's rows.

    Header: Rule | On | IF <condition>… | THEN <output>… | Note, in the language.
    """
    words = load_template(language)["words"]
    table = load_template(language)[key]
    header: list[Value] = [
        words["rule"],
        words["on"],
        *(f"{words['if']} {rule_header(condition, language)}" for condition in table["conditions"]),
        *(f"{words['then']} {rule_header(output, language)}" for output in table["outputs"]),
        words["note"],
    ]
    rows = [header] + [_cells(row) for row in table["rows"]]
    return TabSpec(TABS[key].label(language), rows, fitted_widths(rows), frozen_rows=1, key=key)


def liaisons_tab(language: str) -> TabSpec:
    """Return the Liaisons tab: Department · Liaison · Email · Manager · Manager email · Deputy email · Language."""
    liaisons = load_template(language)["liaisons"]
    rows = [list(liaisons["headers"])] + [_cells(row) for row in liaisons["rows"]]
    return TabSpec(
        TABS["liaisons"].label(language),
        rows,
        fitted_widths(rows),
        frozen_rows=1,
        autofilter=True,
        key="liaisons",
    )


def calendar_tab(language: str) -> TabSpec:
    """Return the Calendar tab: the timezone row, a blank row, working hours per weekday (Monday first),
    a blank row, then special dates (holidays and make-up working days) as Date | Type | Note."""
    calendar = load_template(language)["calendar"]
    hours_at = 2
    dates_at = hours_at + 1 + len(calendar["hours"]) + 1
    rows: list[list[Value]] = [
        [calendar["timezone_label"], calendar["timezone"]],
        [],
        list(calendar["hours_header"]),
        *(_cells(row) for row in calendar["hours"]),
        [],
        list(calendar["dates_header"]),
        *(_cells(row) for row in calendar["dates"]),
    ]
    return TabSpec(
        TABS["calendar"].label(language),
        rows,
        fitted_widths(rows),
        bold_rows=[hours_at, dates_at],
        key="calendar",
    )


def lists_tab(language: str) -> TabSpec:
    """Return the Lists tab: one column per list of ``LIST_KEYS``, its header in row 1, its values below."""
    values = list_values(language)
    depth = max(len(column) for column in values.values())
    rows: list[list[Value]] = [[list_header(key, language) for key in LIST_KEYS]]
    for index in range(depth):
        rows.append([values[key][index] if index < len(values[key]) else None for key in LIST_KEYS])
    return TabSpec(TABS["lists"].label(language), rows, fitted_widths(rows), frozen_rows=1, key="lists")


def how_to_tab(language: str) -> TabSpec:
    """Return the How-to tab: short sections for staff, and a colour legend painted with the row colours."""
    how_to = load_template(language)["how_to"]
    rows: list[list[Value]] = [[how_to["title"]]]
    bold_rows = [0]
    fills: dict[tuple[int, int], str] = {}
    for section in how_to["sections"]:
        rows.append([])
        bold_rows.append(len(rows))
        rows.append([section["title"]])
        for entry in section.get("legend", []):
            fills[(len(rows), 0)] = LEGEND_FILLS[entry["colour"]]
            rows += _wrapped_rows(entry["label"], entry["text"])
        for label, explanation in section.get("rows", []):  # after a legend: the notes explain it
            rows += _wrapped_rows(label, explanation)
    return TabSpec(
        TABS["how_to"].label(language),
        rows,
        [HOW_TO_LABEL_WIDTH, HOW_TO_TEXT_WIDTH],
        fills=fills,
        bold_header=True,
        bold_rows=bold_rows,
        key="how_to",
        print_wide=True,
    )


def _wrapped_rows(label: str, explanation: str) -> list[list[Value]]:
    """A How-to entry as rows: the label beside the first line of its explanation, the other lines below it, each
    line fitting the text column (so the tab reads on screen and prints one page wide at a legible size)."""
    lines = wrap_to_width(explanation, HOW_TO_TEXT_WIDTH - 2)
    return [[label or None, lines[0] if lines else None], *([None, line] for line in lines[1:])]


def wrap_to_width(text: str, width: int) -> list[str]:
    """Break ``text`` into lines of at most ``width`` character cells (``display_width``): between words, and
    anywhere inside a run of Chinese text; a single word wider than ``width`` stands alone on its line. Closing
    punctuation (``。`` ``，`` ``）``…) never starts a line: it stays at the end of the line before, one cell over."""
    lines: list[str] = []
    line = ""
    for token in re.findall(r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]+\s*|\s+", text):
        if line and display_width((line + token).rstrip()) > width and token not in CLOSING_PUNCTUATION:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def lists_range(language: str, list_key: str) -> str:
    """Return the absolute A1 range of list ``list_key`` on the template's Lists tab, e.g. ``Lists!$B$2:$B$200``."""
    return list_column_range(TABS["lists"].label(language), LIST_KEYS.index(list_key))


def list_column_range(tab_name: str, column: int) -> str:
    """Return the drop-down source for 0-based ``column`` of the Lists tab called ``tab_name``: its rows 2 to
    ``LIST_LAST_ROW``, e.g. ``'选项'!$C$2:$C$200``."""
    letter = column_letter(column)
    return f"{quote_tab(tab_name)}!${letter}$2:${letter}${LIST_LAST_ROW}"


def quote_tab(name: str) -> str:
    """Return a tab name as a formula may use it: bare when plain ASCII letters and digits, else quoted."""
    if name.isascii() and name.isalnum():
        return name
    return "'" + name.replace("'", "''") + "'"


def fitted_widths(rows: Sequence[Sequence[Value]]) -> list[int]:
    """Return a readable width per column: the widest cell plus a margin, between 8 and 60 characters."""
    count = max((len(row) for row in rows), default=0)
    widths = [_MIN_WIDTH] * count
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], min(_MAX_WIDTH, display_width(value) + 2))
    return widths


def display_width(value: Value) -> int:
    """Return how many character cells ``value`` takes on screen: wide (CJK) characters count twice."""
    if value is None:
        return 0
    text = f"{value:%Y-%m-%d %H:%M}" if isinstance(value, datetime) else str(value)
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _cells(row: Sequence[Any]) -> list[Value]:
    """Return a template row as cell values: an empty string is an empty cell."""
    return [None if value == "" else value for value in row]
