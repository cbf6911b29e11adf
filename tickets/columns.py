"""The workbook's vocabulary: tabs and ticket columns, in English and Chinese.

Headers are matched by label, case- and space-insensitive, in either language (DESIGN §3). Everything that
needs a column or tab name asks this module, so the two languages never drift apart.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "Column",
    "Kind",
    "TICKET_COLUMNS",
    "COLUMNS_BY_KEY",
    "INPUT_KEYS",
    "COMPUTED_KEYS",
    "STAMPED_KEYS",
    "DATE_INPUT_KEYS",
    "EVENT_DATE_KEYS",
    "Tab",
    "TABS",
    "HeaderMap",
    "normalize_label",
    "match_headers",
    "find_tab",
    "label",
    "column_letter",
    "cell_name",
    "column_index",
    "parse_cell_name",
]


class Kind(StrEnum):
    """What a column holds, which decides how its cells are read."""

    TEXT = "text"
    DATETIME = "datetime"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    STATUS = "status"
    CHOICE = "choice"  # one of a list on the Lists tab
    HOURS = "hours"  # a number of hours, with a fraction


@dataclass(frozen=True)
class Column:
    """One column of the Tickets tab."""

    key: str
    en: str
    zh: str
    kind: Kind = Kind.TEXT
    computed: bool = False
    width: int = 14
    choices: str | None = None  # the Lists column that feeds its drop-down
    aliases: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def _input(key: str, en: str, zh: str, kind: Kind = Kind.TEXT, **extra: Any) -> Column:
    return Column(key, en, zh, kind, computed=False, **extra)


def _computed(key: str, en: str, zh: str, kind: Kind = Kind.TEXT, **extra: Any) -> Column:
    return Column(key, en, zh, kind, computed=True, **extra)


TICKET_COLUMNS: tuple[Column, ...] = (
    _input("ticket_id", "Ticket ID", "工单编号", width=18, aliases=("ID", "Ticket", "编号", "工单号")),
    _input("received", "Received", "接收时间", Kind.DATETIME, width=19, aliases=("接收日期",)),
    _input("channel", "Channel", "渠道", Kind.CHOICE, choices="channel", aliases=("投诉渠道",)),
    _input("customer", "Customer", "客户", width=20, aliases=("客户名称",)),
    _input("tier", "Tier", "客户等级", Kind.CHOICE, choices="tier", aliases=("Customer tier",)),
    _input("contact", "Contact", "联系方式", width=18),
    _input("product", "Product", "产品", width=16, aliases=("产品名称",)),
    _input("category", "Category", "问题类型", Kind.CHOICE, choices="category", width=16),
    _input("description", "Description", "问题描述", width=40, aliases=("问题", "Issue")),
    _input("safety_risk", "Safety risk", "安全隐患", Kind.BOOLEAN, width=11, choices="yes_no"),
    _input("affected_customers", "Affected customers", "影响客户数", Kind.INTEGER, width=11),
    _input("request", "Request", "客户诉求", Kind.CHOICE, choices="request"),
    _input("status", "Status", "状态", Kind.STATUS, choices="status", aliases=("处理状态",)),
    _input("handler", "Handler", "处理人", aliases=("Assignee",)),
    _input("first_response", "First response", "首次响应时间", Kind.DATETIME, width=19),
    _input("root_cause", "Root cause", "根本原因", width=30),
    _input("corrective_action", "Corrective action", "纠正措施", width=30),
    _input("preventive_action", "Preventive action", "预防措施", width=30),
    _input("action_owner", "Action owner", "措施负责人", width=14, aliases=("Action by", "措施责任人")),
    _input("action_due", "Action due", "措施期限", Kind.DATETIME, width=19, aliases=("措施截止",)),
    _input("fix_verified", "Fix verified", "效果验证", Kind.BOOLEAN, width=11, choices="yes_no",
           aliases=("Verified", "已验证")),
    _input("resolved", "Resolved", "解决时间", Kind.DATETIME, width=19),
    _input("customer_confirmed", "Customer confirmed", "客户确认", Kind.BOOLEAN, width=11, choices="yes_no"),
    _input("follow_up", "Follow-up", "回访时间", Kind.DATETIME, width=19, aliases=("Follow up", "Followup")),
    _input("satisfaction", "Satisfaction", "满意度", Kind.INTEGER, width=11),
    _input("second_follow_up", "2nd follow-up", "二次回访时间", Kind.DATETIME, width=19,
           aliases=("Second follow-up", "二次回访")),
    _input("notes", "Notes", "备注", width=30),
    # What the customer may read: mailed to them when it changes and shown on their status page (docs/portal.md).
    # Notes and every other column stay internal.
    _input("reply", "Reply to customer", "回复客户", width=40, aliases=("Public reply", "Reply", "答复客户")),
    _input("order_no", "Order no.", "订单号", width=14, aliases=("Order number", "Order", "订单编号")),
    # Where an intake channel took the ticket from (a mail's Message-ID, a form response's id or content hash).
    _input("source_ref", "Source ref", "来源编号", width=18, aliases=("Source", "来源")),
    _computed("grade", "Grade", "等级", width=10),
    _computed("department", "Department", "责任部门", width=16),
    _computed("liaison", "Liaison", "联络官", width=14),
    _computed("response_due", "Response due", "响应截止", Kind.DATETIME, width=19),
    _computed("resolution_due", "Resolution due", "解决截止", Kind.DATETIME, width=19),
    # When a reopened ticket was resolved again: its follow-up due counts from here (tickets.rounds).
    _computed("resolved_again", "Resolved again", "再次解决时间", Kind.DATETIME, width=19,
              aliases=("Re-resolved", "再次解决")),
    _computed("follow_up_due", "Follow-up due", "回访截止", Kind.DATETIME, width=19),
    _computed("second_follow_up_due", "2nd follow-up due", "二次回访截止", Kind.DATETIME, width=19,
              aliases=("Second follow-up due",)),
    _computed("sla", "SLA", "SLA状态", width=12, aliases=("SLA state",)),
    _computed("escalation", "Escalation", "升级级别", Kind.INTEGER, width=11),
    _computed("similar_7d", "Similar 7d", "7日同类", Kind.INTEGER, width=10),
    _computed("rules", "Rules", "命中规则", width=16),
    _computed("last_solved", "Last solved", "上次解决", width=18, aliases=("Solved before", "同类案例")),
    _computed("check", "Check", "校验", width=50),
    # A customer's message (Messages tab) not yet followed by a status change; loud while Waiting on customer.
    _computed("customer_replied", "Customer replied", "客户回复", width=22),
    # The desk's memory of waits on the customer, kept in the sheet so no due time depends on the state dir
    # (tickets.waits): hours on the ticket's clock by which finished waits pushed its resolution due back.
    _computed("paused_hours", "Paused h", "暂停时长", Kind.HOURS, width=10, aliases=("Paused hours", "暂停小时")),
)

COLUMNS_BY_KEY: dict[str, Column] = {column.key: column for column in TICKET_COLUMNS}
INPUT_KEYS: tuple[str, ...] = tuple(c.key for c in TICKET_COLUMNS if not c.computed)
COMPUTED_KEYS: tuple[str, ...] = tuple(c.key for c in TICKET_COLUMNS if c.computed)
# Input columns holding a moment (Received, First response, Action due, Resolved, Follow-up, 2nd follow-up).
DATE_INPUT_KEYS: tuple[str, ...] = tuple(c.key for c in TICKET_COLUMNS if not c.computed and c.kind is Kind.DATETIME)
# Input columns holding a moment that has happened: never in the future, never before Received.
EVENT_DATE_KEYS: tuple[str, ...] = tuple(key for key in DATE_INPUT_KEYS if key != "action_due")
# Input cells the daemon may fill when blank, because their meaning is certain (DESIGN §3).
STAMPED_KEYS: tuple[str, ...] = ("ticket_id", "received", "first_response", "resolved")


@dataclass(frozen=True)
class Tab:
    """A tab of the workbook, by role."""

    key: str
    en: str
    zh: str
    generated: bool = False

    def label(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


TABS: dict[str, Tab] = {
    tab.key: tab
    for tab in (
        Tab("tickets", "Tickets", "工单"),
        Tab("grade_rules", "Grade rules", "定级规则"),
        Tab("owner_rules", "Owner rules", "分派规则"),
        Tab("deadline_rules", "Deadline rules", "时限规则"),
        Tab("liaisons", "Liaisons", "联络官"),
        Tab("calendar", "Calendar", "工作日历"),
        Tab("lists", "Lists", "选项"),
        Tab("how_to", "How to use", "使用说明"),
        Tab("dashboard", "Dashboard", "看板", generated=True),
        Tab("rule_check", "Rule check", "规则检查", generated=True),
        Tab("lessons", "Lessons", "经验库", generated=True),
        Tab("messages", "Messages", "往来记录", generated=True),
    )
}

_SPACES = re.compile(r"[\s_\u3000]+")


def normalize_label(text: object) -> str:
    """Given a header or tab label, return the form labels are compared in.

    Case, width (full-width letters), surrounding and inner spaces, underscores and a trailing colon do not
    matter: ``" Ticket  id："`` and ``"ticket_ID"`` compare equal.
    """
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).casefold().strip().rstrip(":")
    return _SPACES.sub("", folded)


def label(key: str, language: str) -> str:
    """Return the header of column ``key`` in ``language`` ("en" or "zh")."""
    return COLUMNS_BY_KEY[key].label(language)


def _column_lookup(extra_aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in TICKET_COLUMNS:
        for text in (column.key, column.en, column.zh, *column.aliases, *extra_aliases.get(column.key, ())):
            lookup.setdefault(normalize_label(text), column.key)
    return lookup


_DEFAULT_LOOKUP = _column_lookup({})


@dataclass
class HeaderMap:
    """Where each known column stands in a header row (0-based positions)."""

    positions: dict[str, int] = field(default_factory=dict)
    unknown: list[tuple[int, str]] = field(default_factory=list)  # headers that name no column: kept, ignored
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # a second header for a known column
    language: str = "en"

    def missing(self, keys: Iterable[str]) -> list[str]:
        return [key for key in keys if key not in self.positions]


def match_headers(header_row: Sequence[object], extra_aliases: Mapping[str, Iterable[str]] | None = None) -> HeaderMap:
    """Given the header row of a Tickets tab, return where each column is.

    The first header that names a column wins; a later one is reported in ``duplicates``. The language is the
    one most headers are written in (ties go to English).
    """
    lookup = _column_lookup(extra_aliases) if extra_aliases else _DEFAULT_LOOKUP
    found = HeaderMap()
    chinese = english = 0
    for position, text in enumerate(header_row):
        normalized = normalize_label(text)
        if not normalized:
            continue
        key = lookup.get(normalized)
        if key is None:
            found.unknown.append((position, str(text)))
            continue
        if key in found.positions:
            found.duplicates.append((position, str(text)))
            continue
        found.positions[key] = position
        if normalized == normalize_label(COLUMNS_BY_KEY[key].zh):
            chinese += 1
        else:
            english += 1
    found.language = "zh" if chinese > english else "en"
    return found


def find_tab(tab_names: Iterable[str], key: str) -> str | None:
    """Return the actual name of the tab playing role ``key`` (English or Chinese name), or None."""
    tab = TABS[key]
    wanted = {normalize_label(tab.en), normalize_label(tab.zh)}
    for name in tab_names:
        if normalize_label(name) in wanted:
            return name
    return None


def column_letter(index: int) -> str:
    """Return the letters of 0-based column ``index``: 0 is A, 25 is Z, 26 is AA."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def cell_name(column: int, row: int) -> str:
    """Return the A1 name of the cell at 0-based ``column`` and ``row``, letters first: (2, 0) is C1.

    The one A1 helper of the project, with ``column_letter``, ``column_index`` and ``parse_cell_name``: every
    one takes and gives the column before the row, as A1 names do.
    """
    return f"{column_letter(column)}{row + 1}"


@functools.cache
def column_index(letters: str) -> int:
    """Return the 0-based column of upper-case ``letters``: "A" is 0, "Z" is 25, "AA" is 26."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def parse_cell_name(text: str) -> tuple[int, int]:
    """Return the 0-based ``(column, row)`` of an A1 name such as "H2" (any case; a missing row is row 1)."""
    letters = "".join(character for character in text if character.isalpha()).upper()
    digits = "".join(character for character in text if character.isdigit())
    return column_index(letters), int(digits or 1) - 1
