"""What ``sheetdesk report [--json] [--month YYYY-MM]`` prints: the KPIs, or a month's review, as terminal
tables or JSON.

The tables are the Dashboard's sections (``sync.tabs.dashboard.kpi_sections``), so the terminal and the tab always
show the same figures under the same labels.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sync.backends.port import Cell
from sync.tabs.dashboard import Section, format_number, format_share, kpi_sections, target_cells, text
from tickets.kpi import Kpis
from tickets.review import MonthlyReview

__all__ = ["render_report", "report_json", "render_review", "review_sections", "review_lines"]


def render_report(kpis: Kpis, language: str) -> RenderableType:
    """Return the KPIs as a rich renderable: a heading, then one table per dashboard section."""
    heading = Text(f"{text('title', language)} — {kpis.as_of:%Y-%m-%d %H:%M}", style="bold")
    tables = [section_table(section, language) for section in kpi_sections(kpis, language)]
    return Group(heading, *tables)


def section_table(section: Section, language: str) -> Table:
    """Return one section as a table: text left, numbers right, "(none)" when it has no rows."""
    table = Table(title=section.title, title_justify="left", title_style="bold")
    for position, header in enumerate(section.headers):
        numeric = any(position < len(row) and isinstance(row[position], int | float) for row in section.rows)
        table.add_column(header, justify="right" if numeric else "left", overflow="fold")  # never cut with "…"
    for index, row in enumerate(section.rows):
        table.add_row(*(section.shown(index, column) for column in range(len(row))))
    if not section.rows:
        table.add_row(text("none", language))
    return table


def report_json(kpis: Kpis | MonthlyReview | Mapping[str, Kpis | MonthlyReview]) -> str:
    """Return what ``report --json`` prints: one desk's KPIs (``Kpis.to_dict``) or monthly review
    (``MonthlyReview.to_dict``), or ``{desk: …}`` for several, as indented JSON with Chinese text kept readable
    rather than escaped."""
    single = isinstance(kpis, Kpis | MonthlyReview)
    document = kpis.to_dict() if single else {name: each.to_dict() for name, each in kpis.items()}
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)


# -- the monthly review (``sheetdesk report --month YYYY-MM``) ---------------------------------------------

_REVIEW_TEXT: dict[str, tuple[str, str]] = {
    "review_title": ("Monthly complaint review {month}", "{month} 月度投诉复盘"),
    "kpis": ("KPIs against the targets and earlier months", "关键指标：对照目标与往期"),
    "this_month": ("This month", "本月"),
    "previous_month": ("Month before", "上月"),
    "last_year": ("Same month last year", "去年同月"),
    "received": ("Tickets received", "新增工单"),
    "root_causes": ("Top root causes", "主要根本原因"),
    "root_cause": ("Root cause", "根本原因"),
    "open_actions": ("Open actions and their owners", "未完成措施及负责人"),
    "ticket": ("Ticket", "工单"),
    "owner": ("Owner", "负责人"),
    "due": ("Due", "期限"),
    "action": ("Action", "措施"),
}


def review_sections(review: MonthlyReview, language: str) -> list[Section]:
    """Return the review's tables: KPIs of the three months with targets, counts by category, product and
    channel this month, the top root causes, and the open actions with their owners."""
    def say(key: str, **values: object) -> str:
        english, chinese = _REVIEW_TEXT[key]
        return (chinese if language == "zh" else english).format(**values)

    months = (review.this, review.previous, review.last_year)
    targets = review.this.targets()
    kpi_rows = [(say("received"), *(kpis.total for kpis in months), None, None)]
    shares: set[tuple[int, int]] = set()
    for key in ("first_response_on_time", "resolution_rate", "repeat_complaints", "average_satisfaction"):
        values = [_figure(kpis, key) for kpis in months]
        target = target_cells(key, targets[key], language) if key in targets else (None, None)
        if key != "average_satisfaction":  # a share: shown as a percent
            shares |= {(len(kpi_rows), column) for column in (1, 2, 3)}
        kpi_rows.append((text(key, language), *values, *target))
    headers = (text("figure", language), say("this_month"), say("previous_month"), say("last_year"),
               text("target", language), text("verdict", language))
    sections = [Section("review_kpis", say("kpis"), headers, tuple(kpi_rows), percent_cells=frozenset(shares))]
    for key, name in (("by_category", "category"), ("by_product", "product"), ("by_channel", "channel")):
        tally = getattr(review.this, key)
        rows = tuple((value or text("blank_category", language), count) for value, count in tally)
        sections.append(Section(key, text(key, language), (text(name, language), text("tickets", language)), rows))
    sections.append(Section("root_causes", say("root_causes"), (say("root_cause"), text("tickets", language)),
                            tuple(review.top_root_causes)))
    actions = tuple((action.ticket_id, action.owner, f"{action.due:%Y-%m-%d %H:%M}" if action.due else None,
                     action.action) for action in review.open_actions)
    sections.append(Section("open_actions", say("open_actions"),
                            (say("ticket"), say("owner"), say("due"), say("action")), actions))
    return sections


def _figure(kpis: Kpis, key: str) -> Cell:
    """A figure of the review: a share as a fraction (``Section.shown`` makes it ``66.7%``), satisfaction as
    points."""
    value = getattr(kpis, key)
    return format_number(value) if key == "average_satisfaction" else format_share(value)


def render_review(review: MonthlyReview, language: str) -> RenderableType:
    """Return the monthly review as a rich renderable: a heading, then its tables."""
    english, chinese = _REVIEW_TEXT["review_title"]
    heading = Text((chinese if language == "zh" else english).format(month=review.month), style="bold")
    return Group(heading, *(section_table(section, language) for section in review_sections(review, language)))


def review_lines(review: MonthlyReview, language: str) -> list[tuple[str, list[str]]]:
    """Return the review as (title, lines) for a mail: each table's headers, then its rows, cells joined by
    " · " (a table without rows says so)."""
    found = []
    for section in review_sections(review, language):
        lines = [" · ".join(section.headers)]
        lines += [" · ".join(section.shown(index, column) for column in range(len(row)))
                  for index, row in enumerate(section.rows)] or [text("none", language)]
        found.append((section.title, lines))
    return found
