"""The Dashboard tab (看板): the KPIs laid out as readable tables, with a bar chart and a line chart.

``build_dashboard`` turns ``tickets.kpi.Kpis`` into a ``GeneratedTab``; ``kpi_sections`` is the same content as
titled tables, which ``sync.tabs.report`` prints for ``sheetdesk report``. The tab is rewritten only when its numbers
change: ``dashboard_changed`` compares the rows on the sheet with the new ones, ignoring the generated-at row.

Layout (0-based rows): the title, the generated-at row (``GENERATED_AT_ROW``), a blank row, then one block per
section: its title, its column headers, its rows, a blank row. The title, each section's title and its column
headers are bold. Tables fill columns A–F: the key figures show a share as a percent (a number formatted
``0.0%``) with the tickets it counts and out of how many in their own columns, then the target and whether it is
met; the charts sit to their right, from column H. The trend's last week is the week in progress, labelled as
"so far" so its smaller numbers do not read as a drop.

The tab stands right after Tickets. It prints landscape, one page wide: the first page holds the key figures
and both charts whole (a page break below the lower chart), the other tables follow. Column A wraps, so a long
label shows whole on two lines; the target and its verdict (columns E and F) are centred, so "Out of 38" and
"Target > 95" never run together into "38 > 95".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sheets_templates import display_width
from sync.backends.port import Cell, Chart, GeneratedTab
from sync.computed_cells import rows_differ
from tickets.kpi import Kpis, Ratio, Tally
from tickets.status import Status

__all__ = [
    "Section",
    "build_dashboard",
    "placeholder_rows",
    "dashboard_changed",
    "kpi_sections",
    "key_figures",
    "shown_figures",
    "text",
    "format_number",
    "format_share",
    "PERCENT_FORMAT",
    "target_cells",
    "GENERATED_AT_ROW",
    "DASHBOARD_WIDTHS",
    "CHART_ROWS",
    "SECOND_PAGE_ROW",
    "BAR_CHART_ANCHOR",
    "LINE_CHART_ANCHOR",
]

GENERATED_AT_ROW = 1
DASHBOARD_WIDTHS = [40, 18, 10, 10, 10, 12, 4]  # B fits a yyyy-mm-dd hh:mm time; A wraps a longer label
BAR_CHART_ANCHOR = "H4"
LINE_CHART_ANCHOR = "H21"
# Rows of the default height (15 pt) one chart spans: it is 8 cm high (sync.backends.xlsx.charts), about 15.1 rows.
CHART_ROWS = 16
# The first printed page ends below the lower chart, so both charts print whole on it; the tables below follow.
SECOND_PAGE_ROW = 20 + CHART_ROWS + 1  # 0-based: the line chart's row, its height, one spare row
PERCENT_FORMAT = "0.0%"
NOTHING = "—"

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Complaint desk dashboard", "投诉处理看板"),
    "first_cycle": ("sheetdesk fills this tab at its next cycle (sheetdesk run).",
                    "sheetdesk 会在下一次运行（sheetdesk run）时填好本页。"),
    "generated_at": ("Generated at", "生成时间"),
    "key_figures": ("Key figures", "关键指标"),
    "figure": ("Figure", "指标"),
    "value": ("Value", "数值"),
    "counted": ("Counted", "计入"),
    "out_of": ("Out of", "总数"),
    "so_far": ("{week} (so far)", "{week}（本周至今）"),
    "target": ("Target", "目标"),
    "verdict": ("Target met?", "是否达标"),
    "met": ("✓ met", "✓ 达标"),
    "missed": ("✗ missed", "✗ 未达标"),
    "by_channel": ("Tickets by channel", "工单（按渠道）"),
    "by_product": ("Tickets by product", "工单（按产品）"),
    "channel": ("Channel", "渠道"),
    "open": ("Open tickets", "未结工单"),
    "overdue": ("Overdue", "已超时"),
    "total": ("Tickets (duplicates not counted)", "工单总数（不含重复）"),
    "first_response_on_time": ("First response on time", "首次响应及时率"),
    "resolution_on_time": ("Resolved on time", "解决及时率"),
    "resolution_rate": ("Resolution rate", "解决率"),
    "median_first_response_hours": ("Median first response (hours)", "首次响应时长中位数（小时）"),
    "median_resolution_hours": ("Median resolution time (hours)", "解决时长中位数（小时）"),
    "average_satisfaction": ("Average satisfaction (1–10)", "平均满意度（1–10分）"),
    "repeat_complaints": (
        "Repeat complaints: same customer, product or category, 30 days",
        "二次投诉率（同一客户同一产品或问题类型30天内）",
    ),
    "open_by_grade": ("Open tickets by grade", "未结工单（按等级）"),
    "open_by_department": ("Open tickets by department", "未结工单（按责任部门）"),
    "by_status": ("Tickets by status", "工单（按状态）"),
    "by_category": ("Tickets by category", "工单（按问题类型）"),
    "clusters": ("Clusters (Similar 7d ≥ {threshold})", "同类问题聚集（7日同类 ≥ {threshold}）"),
    "trend": ("Eight-week trend", "近八周趋势"),
    "grade": ("Grade", "等级"),
    "department": ("Department", "责任部门"),
    "status": ("Status", "状态"),
    "category": ("Category", "问题类型"),
    "product": ("Product", "产品"),
    "similar_7d": ("Similar 7d", "7日同类"),
    "week": ("Week", "周"),
    "tickets": ("Tickets", "工单数"),
    "received": ("Received", "新增"),
    "resolved": ("Resolved", "已解决"),
    "none": ("(none)", "（无）"),
    "blank_grade": ("(no grade)", "（未定级）"),
    "blank_department": ("(unassigned)", "（未分派）"),
    "blank_category": ("(blank)", "（未填写）"),
}


def text(key: str, language: str, **values: object) -> str:
    """Return the dashboard text ``key`` in ``language`` ("zh" for Chinese, anything else English)."""
    english, chinese = TEXT[key]
    return (chinese if language == "zh" else english).format(**values)


def format_share(ratio: Ratio) -> float | str:
    """Return a share as a fraction rounded to four places (``0.6667``, shown ``66.7%`` under ``PERCENT_FORMAT``),
    or ``—`` when there is none."""
    return NOTHING if ratio.value is None else round(ratio.value, 4)


def format_number(value: float | None) -> float | str:
    """Return a number rounded to one decimal, or ``—`` when there is none."""
    return NOTHING if value is None else round(value, 1)


@dataclass(frozen=True)
class Section:
    """A titled table of the dashboard; ``key`` names it (``"by_category"``, ``"trend"``, …)."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    percent_cells: frozenset[tuple[int, int]] = frozenset()  # (row in ``rows``, column) holding a share

    def shown(self, row: int, column: int) -> str:
        """Return a cell as a person reads it: a share as ``66.7%``, nothing as an empty string."""
        value = self.rows[row][column]
        if (row, column) in self.percent_cells and isinstance(value, int | float):
            return f"{value:.1%}"
        return "" if value is None else str(value)


def kpi_sections(kpis: Kpis, language: str) -> list[Section]:
    """Return the dashboard's tables in display order: key figures, tallies, category, trend, channel,
    product, clusters."""
    return [
        key_figures(kpis, language),
        tally_section("open_by_grade", "grade", kpis.open_by_grade, language, blank="blank_grade"),
        tally_section(
            "open_by_department", "department", kpis.open_by_department, language, blank="blank_department"
        ),
        status_section(kpis, language),
        tally_section("by_category", "category", kpis.by_category, language, blank="blank_category"),
        trend_section(kpis, language),
        # Below the charted tables: a new channel or product adds a row without moving what the charts show.
        tally_section("by_channel", "channel", kpis.by_channel, language, blank="blank_category"),
        tally_section("by_product", "product", kpis.by_product, language, blank="blank_category"),
        cluster_section(kpis, language),  # last: it grows and shrinks most, and no chart points below it
    ]


def key_figures(kpis: Kpis, language: str) -> Section:
    """Return the block of single figures: counts, on-time rates, medians, satisfaction, repeats."""

    targets = kpis.targets()

    def row(key: str, value: Cell, counted: Cell = None, out_of: Cell = None) -> tuple[Cell, ...]:
        if key not in targets:
            return (text(key, language), value, counted, out_of)
        return (text(key, language), value, counted, out_of, *target_cells(key, targets[key], language))

    def ratio_row(key: str, ratio: Ratio) -> tuple[Cell, ...]:
        return row(key, format_share(ratio), ratio.part, ratio.whole)

    rows = (
        row("open", kpis.open),
        row("overdue", kpis.overdue),
        row("total", kpis.total),
        ratio_row("first_response_on_time", kpis.first_response_on_time),
        ratio_row("resolution_on_time", kpis.resolution_on_time),
        ratio_row("resolution_rate", kpis.resolution_rate),
        row("median_first_response_hours", format_number(kpis.median_first_response_hours)),
        row("median_resolution_hours", format_number(kpis.median_resolution_hours)),
        row("average_satisfaction", format_number(kpis.average_satisfaction)),
        ratio_row("repeat_complaints", kpis.repeat_complaints),
    )
    headers = (text("figure", language), text("value", language), text("counted", language),
               text("out_of", language), text("target", language), text("verdict", language))
    shares = frozenset((index, 1) for index in (3, 4, 5, 9))
    return Section("key_figures", text("key_figures", language), headers, rows, percent_cells=shares)


def shown_figures(kpis: Kpis, language: str) -> dict[str, Cell]:
    """Return the key figures as a mail lists them, label to value: a share as text such as ``68.4%``, the
    other figures as numbers (``—`` when there is none)."""
    section = key_figures(kpis, language)
    return {str(row[0]): section.shown(index, 1) if (index, 1) in section.percent_cells else row[1]
            for index, row in enumerate(section.rows)}


def target_cells(key: str, target: dict, language: str) -> tuple[Cell, Cell]:
    """The target as the figure is shown (``> 95`` percent, ``≥ 7`` points) and met / missed (— if unknown)."""
    bound = target["at_least"] * (100 if key != "average_satisfaction" else 1)
    shown = f"{'>' if target['strictly'] else '≥'} {bound:g}"
    met = target["met"]
    return shown, NOTHING if met is None else text("met" if met else "missed", language)


def tally_section(key: str, name_header: str, tally: Tally, language: str, blank: str) -> Section:
    """Return a two-column table of a tally; a blank name is shown as the text ``blank``."""
    count_header = "open" if key.startswith("open_") else "tickets"
    rows = tuple((name or text(blank, language), count) for name, count in tally)
    headers = (text(name_header, language), text(count_header, language))
    return Section(key, text(key, language), headers, rows)


def status_section(kpis: Kpis, language: str) -> Section:
    """Return tickets by status, the statuses named in ``language``."""
    rows = tuple((Status(name).label(language), count) for name, count in kpis.by_status)
    headers = (text("status", language), text("tickets", language))
    return Section("by_status", text("by_status", language), headers, rows)


def cluster_section(kpis: Kpis, language: str) -> Section:
    """Return the clusters: product, category and their largest Similar 7d."""
    rows = tuple((cluster.product, cluster.category, cluster.size) for cluster in kpis.clusters)
    headers = (text("product", language), text("category", language), text("similar_7d", language))
    title = text("clusters", language, threshold=kpis.cluster_threshold)
    return Section("clusters", title, headers, rows)


def trend_section(kpis: Kpis, language: str) -> Section:
    """Return the eight-week trend: ISO week, tickets received, tickets resolved; the last week is the one in
    progress, labelled "so far"."""
    rows = tuple(
        (text("so_far", language, week=week.week) if position == len(kpis.trend) - 1 else week.week,
         week.received, week.resolved)
        for position, week in enumerate(kpis.trend)
    )
    headers = (text("week", language), text("received", language), text("resolved", language))
    return Section("trend", text("trend", language), headers, rows)


def build_dashboard(kpis: Kpis, language: str, now: datetime) -> GeneratedTab:
    """Given the KPIs, the workbook's language and the time, return the Dashboard tab.

    ``now`` (aware) is written as wall time, naive and to the minute, in the zone of ``kpis.as_of`` — the
    Calendar's zone. The bar chart shows tickets by category (left out when there are none); the line
    chart shows the weekly trend, received and resolved.
    """
    stamp = now.astimezone(kpis.as_of.tzinfo).replace(tzinfo=None, second=0, microsecond=0)
    rows: list[list[Cell]] = [
        [text("title", language)],
        [text("generated_at", language), stamp],
        [],
    ]
    charts: list[Chart] = []
    bold_rows: list[int] = []
    number_formats: dict[tuple[int, int], str] = {}
    for section in kpi_sections(kpis, language):
        header_row = _append_section(rows, section, language)
        bold_rows += [header_row - 1, header_row]
        number_formats.update({(header_row + 1 + row, column): PERCENT_FORMAT for row, column in section.percent_cells})
        chart = _chart_for(section, header_row, language)
        if chart is not None:
            charts.append(chart)
    return GeneratedTab(rows=rows, charts=charts, widths=list(DASHBOARD_WIDTHS), bold_rows=bold_rows,
                        number_formats=number_formats, after_tickets=True, wrap_columns=[0], centred_columns=[4, 5],
                        row_lines=_wrapped_lines(rows), print_wide=True,
                        page_breaks=[SECOND_PAGE_ROW] if len(rows) > SECOND_PAGE_ROW else [])


def _wrapped_lines(rows: list[list[Cell]]) -> dict[int, int]:
    """The rows whose label in column A wraps, and on how many lines it shows."""
    room = DASHBOARD_WIDTHS[0] - 2
    lines = {index: -(-display_width(row[0]) // room) for index, row in enumerate(rows)
             if row and isinstance(row[0], str)}
    return {index: count for index, count in lines.items() if count > 1}


def placeholder_rows(language: str) -> list[list[Cell]]:
    """The rows of the Dashboard in a new workbook, before the first cycle: the title, and when it fills in."""
    return [[text("title", language)], [text("first_cycle", language)]]


def _append_section(rows: list[list[Cell]], section: Section, language: str) -> int:
    """Append a section's block to ``rows``; return the 0-based row of its column headers."""
    rows.append([section.title])
    header_row = len(rows)
    rows.append(list(section.headers))
    rows.extend(list(row) for row in section.rows)
    if not section.rows:
        rows.append([text("none", language)])
    rows.append([])
    return header_row


def _chart_for(section: Section, header_row: int, language: str) -> Chart | None:
    if not section.rows:
        return None
    last_row = header_row + len(section.rows)
    if section.key == "by_category":
        return Chart("bar", section.title, BAR_CHART_ANCHOR, header_row, header_row + 1, last_row)
    if section.key == "trend":
        return Chart(
            "line",
            section.title,
            LINE_CHART_ANCHOR,
            header_row,
            header_row + 1,
            last_row,
            value_columns=(1, 2),
        )
    return None


def dashboard_changed(current_rows: Sequence[Sequence[Cell]] | None, new_tab: GeneratedTab) -> bool:
    """Return whether ``new_tab`` shows anything the tab's ``current_rows`` (as read; None if absent) do not.

    The generated-at row is ignored, as are blank cells at the end of a row, blank rows at the end and the
    difference between ``3`` and ``3.0`` (spreadsheets read numbers back as floats).
    """
    return current_rows is None or rows_differ(current_rows, new_tab.rows, ignore_row=GENERATED_AT_ROW)
