"""The Dashboard tab built from known KPIs, its change test, and its native charts in a real .xlsx."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from sync.backends.port import Chart, GeneratedTab
from sync.backends.xlsx.charts import add_charts
from sync.tabs.dashboard import GENERATED_AT_ROW, build_dashboard, dashboard_changed
from tickets.kpi import Cluster, Kpis, Ratio, WeekCount

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 12, 0, 30, tzinfo=SHANGHAI)


def sample_kpis(**changes) -> Kpis:
    """KPIs with known values: three categories and eight weeks of trend."""
    mondays = [date(2026, 10, 5) + timedelta(weeks=number) for number in range(8)]
    fields = dict(
        as_of=NOW,
        total=6,
        open=3,
        overdue=1,
        open_by_grade=(("A", 1), ("B", 1), ("C", 0), ("", 1)),
        open_by_department=(("", 1), ("Quality", 1), ("Service", 1)),
        by_status=(
            ("New", 1),
            ("Acknowledged", 0),
            ("Investigating", 0),
            ("Action", 1),
            ("Waiting on customer", 1),
            ("Resolved", 1),
            ("Followed up", 0),
            ("Closed", 2),
        ),
        by_category=(("Quality", 3), ("", 1), ("Delivery", 1)),
        by_channel=(("Phone", 4), ("Social media", 2)),
        by_product=(("Kettle", 5), ("Parcel", 1)),
        first_response_on_time=Ratio(2, 3),
        resolution_on_time=Ratio(1, 2),
        resolution_rate=Ratio(3, 6),
        repeat_complaints=Ratio(2, 6),
        median_first_response_hours=2.0,
        median_resolution_hours=48.0,
        average_satisfaction=23 / 3,
        cluster_threshold=3,
        clusters=(Cluster("Kettle", "Quality", 3),),
        trend=tuple(
            WeekCount(f"2026-W{41 + number}", monday, received=number, resolved=number // 2)
            for number, monday in enumerate(mondays)
        ),
    )
    fields.update(changes)
    return Kpis(**fields)


def row_starting(rows, first_cell) -> int:
    return next(index for index, row in enumerate(rows) if row and row[0] == first_cell)


def value_of(rows, label):
    return rows[row_starting(rows, label)][1:]


def test_the_dashboard_opens_with_a_title_and_the_minute_it_was_generated():
    rows = build_dashboard(sample_kpis(), "en", NOW).rows
    assert rows[0] == ["Complaint desk dashboard"]
    assert rows[GENERATED_AT_ROW] == ["Generated at", datetime(2026, 11, 25, 12, 0)]


def test_the_key_figures_show_a_share_with_what_it_counts_and_out_of_how_many_in_their_own_columns():
    tab = build_dashboard(sample_kpis(), "en", NOW)
    rows = tab.rows
    figures = row_starting(rows, "Key figures")
    assert rows[figures + 1] == ["Figure", "Value", "Counted", "Out of", "Target", "Target met?"]
    assert value_of(rows, "Open tickets") == [3, None, None]
    assert value_of(rows, "Overdue") == [1, None, None]
    assert value_of(rows, "First response on time") == [0.6667, 2, 3, "> 95", "✗ missed"]
    assert value_of(rows, "Resolved on time") == [0.5, 1, 2]
    assert value_of(rows, "Median resolution time (hours)") == [48.0, None, None]
    assert value_of(rows, "Average satisfaction (1–10)") == [7.7, None, None, "≥ 7", "✓ met"]
    assert value_of(rows, "Repeat complaints: same customer, product or category, 30 days") == [0.3333, 2, 6]
    assert value_of(rows, "Resolution rate") == [0.5, 3, 6, "≥ 80", "✗ missed"]
    shares = {label: (row_starting(rows, label), 1) for label in (
        "First response on time", "Resolved on time", "Resolution rate",
        "Repeat complaints: same customer, product or category, 30 days")}
    assert tab.number_formats == {cell: "0.0%" for cell in shares.values()}


def test_every_heading_is_bold_the_title_each_section_title_and_its_column_headers():
    tab = build_dashboard(sample_kpis(), "en", NOW)
    titles = ["Key figures", "Open tickets by grade", "Tickets by category", "Eight-week trend",
              "Clusters (Similar 7d ≥ 3)"]
    for title in titles:
        assert {row_starting(tab.rows, title), row_starting(tab.rows, title) + 1} <= set(tab.bold_rows)
    assert row_starting(tab.rows, "Open tickets") not in tab.bold_rows


def test_the_week_in_progress_is_labelled_so_far_and_earlier_weeks_are_not():
    rows = build_dashboard(sample_kpis(), "en", NOW).rows
    trend = row_starting(rows, "Eight-week trend")
    assert rows[trend + 2][0] == "2026-W41"
    assert rows[trend + 9] == ["2026-W48 (so far)", 7, 3]
    assert value_of(build_dashboard(sample_kpis(), "zh", NOW).rows, "2026-W48（本周至今）") == [7, 3]


def test_a_figure_with_nothing_to_measure_shows_a_dash():
    rows = build_dashboard(
        sample_kpis(resolution_on_time=Ratio(0, 0), average_satisfaction=None), "en", NOW
    ).rows
    assert value_of(rows, "Resolved on time") == ["—", 0, 0]
    assert value_of(rows, "Average satisfaction (1–10)") == ["—", None, None, "≥ 7", "—"]


def test_each_table_has_a_title_then_headers_then_rows_with_blanks_named():
    rows = build_dashboard(sample_kpis(), "en", NOW).rows
    grades = row_starting(rows, "Open tickets by grade")
    assert rows[grades + 1 : grades + 6] == [
        ["Grade", "Open tickets"],
        ["A", 1],
        ["B", 1],
        ["C", 0],
        ["(no grade)", 1],
    ]
    departments = row_starting(rows, "Open tickets by department")
    assert rows[departments + 2] == ["(unassigned)", 1]
    clusters = row_starting(rows, "Clusters (Similar 7d ≥ 3)")
    assert rows[clusters + 1 : clusters + 3] == [
        ["Product", "Category", "Similar 7d"],
        ["Kettle", "Quality", 3],
    ]


def test_an_empty_table_says_none():
    rows = build_dashboard(sample_kpis(clusters=()), "en", NOW).rows
    clusters = row_starting(rows, "Clusters (Similar 7d ≥ 3)")
    assert rows[clusters + 2] == ["(none)"]


def test_the_dashboard_speaks_chinese():
    rows = build_dashboard(sample_kpis(), "zh", NOW).rows
    assert rows[0] == ["投诉处理看板"]
    assert rows[GENERATED_AT_ROW][0] == "生成时间"
    assert value_of(rows, "未结工单") == [3, None, None]
    assert value_of(rows, "已超时") == [1, None, None]
    assert value_of(rows, "首次响应及时率") == [0.6667, 2, 3, "> 95", "✗ 未达标"]
    assert value_of(rows, "解决及时率") == [0.5, 1, 2]
    assert value_of(rows, "平均满意度（1–10分）") == [7.7, None, None, "≥ 7", "✓ 达标"]
    statuses = row_starting(rows, "工单（按状态）")
    assert rows[statuses + 1 : statuses + 3] == [["状态", "工单数"], ["新建", 1]]
    assert row_starting(rows, "近八周趋势") > statuses


def test_the_bar_chart_points_at_the_category_table():
    tab = build_dashboard(sample_kpis(), "en", NOW)
    bar = next(chart for chart in tab.charts if chart.kind == "bar")
    header = row_starting(tab.rows, "Tickets by category") + 1
    assert (bar.header_row, bar.first_row, bar.last_row) == (header, header + 1, header + 3)
    assert tab.rows[bar.header_row] == ["Category", "Tickets"]
    assert [tab.rows[row][0] for row in range(bar.first_row, bar.last_row + 1)] == [
        "Quality",
        "(blank)",
        "Delivery",
    ]
    assert (bar.label_column, bar.value_columns) == (0, (1,))


def test_the_line_chart_points_at_the_eight_weeks_received_and_resolved():
    tab = build_dashboard(sample_kpis(), "en", NOW)
    line = next(chart for chart in tab.charts if chart.kind == "line")
    assert tab.rows[line.header_row] == ["Week", "Received", "Resolved"]
    assert tab.rows[line.first_row] == ["2026-W41", 0, 0]
    assert tab.rows[line.last_row] == ["2026-W48 (so far)", 7, 3]
    assert line.value_columns == (1, 2)


def test_no_categories_means_no_bar_chart():
    tab = build_dashboard(sample_kpis(by_category=()), "en", NOW)
    assert [chart.kind for chart in tab.charts] == ["line"]


def test_the_dashboard_sets_column_widths():
    assert build_dashboard(sample_kpis(), "en", NOW).widths[:4] == [40, 18, 10, 10]


def test_a_new_generated_at_time_alone_is_no_change():
    earlier = build_dashboard(sample_kpis(), "en", NOW)
    later = build_dashboard(sample_kpis(), "en", NOW + timedelta(hours=1))
    assert not dashboard_changed(earlier.rows, later)


def test_rows_read_back_with_floats_and_trailing_blanks_are_no_change():
    tab = build_dashboard(sample_kpis(), "en", NOW)
    read_back = [
        [float(cell) if type(cell) is int else cell for cell in row] + [None, ""] for row in tab.rows
    ]
    assert not dashboard_changed(read_back + [[], [None]], tab)


def test_a_changed_number_is_a_change():
    current = build_dashboard(sample_kpis(), "en", NOW).rows
    assert dashboard_changed(current, build_dashboard(sample_kpis(overdue=2), "en", NOW))


def test_a_missing_dashboard_is_a_change():
    assert dashboard_changed(None, build_dashboard(sample_kpis(), "en", NOW))


def save_dashboard_workbook(path: Path, tab_name: str, tab: GeneratedTab) -> Path:
    """Write ``tab`` as the only sheet of a new workbook at ``path``, with its charts; return the path."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = tab_name
    for row in tab.rows:
        worksheet.append(row)
    add_charts(worksheet, tab.charts)
    workbook.save(path)
    return path


CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"


def chart_parts(path: Path) -> dict[str, ElementTree.Element]:
    """Return the chart parts of a saved workbook, parsed, by their name in the zip."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: ElementTree.fromstring(archive.read(name))
            for name in archive.namelist()
            if re.fullmatch(r"xl/charts/chart\d+\.xml", name)
        }


def plotted_kinds(chart: ElementTree.Element) -> list[str]:
    plot_area = chart.find(f"{CHART}chart/{CHART}plotArea")
    return [element.tag.removeprefix(CHART) for element in plot_area if element.tag.endswith("Chart")]


def series_references(chart: ElementTree.Element) -> list[tuple[str, str, str]]:
    """Return (name, categories, values) references of each series."""
    return [
        (
            series.findtext(f"{CHART}tx/{CHART}strRef/{CHART}f"),
            series.findtext(f"{CHART}cat/{CHART}strRef/{CHART}f"),
            series.findtext(f"{CHART}val/{CHART}numRef/{CHART}f"),
        )
        for series in chart.iter(f"{CHART}ser")
    ]


def chart_title(chart: ElementTree.Element) -> str:
    return "".join(
        text.text for text in chart.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}t")
    )


@pytest.fixture
def saved_dashboard(tmp_path):
    tab = build_dashboard(sample_kpis(), "en", NOW)
    return tab, save_dashboard_workbook(tmp_path / "dashboard.xlsx", "Dashboard", tab)


def test_the_saved_workbook_holds_a_bar_chart_over_the_category_cells(saved_dashboard):
    tab, path = saved_dashboard
    bar = next(chart for chart in tab.charts if chart.kind == "bar")
    header, first, last = bar.header_row + 1, bar.first_row + 1, bar.last_row + 1
    chart = chart_parts(path)["xl/charts/chart1.xml"]
    assert plotted_kinds(chart) == ["barChart"]
    assert chart_title(chart) == "Tickets by category"
    assert series_references(chart) == [
        (f"'Dashboard'!$B${header}", f"'Dashboard'!$A${first}:$A${last}", f"'Dashboard'!$B${first}:$B${last}")
    ]


def test_the_saved_workbook_holds_a_line_chart_with_two_series_over_the_trend(saved_dashboard):
    tab, path = saved_dashboard
    line = next(chart for chart in tab.charts if chart.kind == "line")
    header, first, last = line.header_row + 1, line.first_row + 1, line.last_row + 1
    chart = chart_parts(path)["xl/charts/chart2.xml"]
    assert plotted_kinds(chart) == ["lineChart"]
    assert chart_title(chart) == "Eight-week trend"
    weeks = f"'Dashboard'!$A${first}:$A${last}"
    assert series_references(chart) == [
        (f"'Dashboard'!$B${header}", weeks, f"'Dashboard'!$B${first}:$B${last}"),
        (f"'Dashboard'!$C${header}", weeks, f"'Dashboard'!$C${first}:$C${last}"),
    ]


def test_the_charts_are_anchored_where_the_specs_say(saved_dashboard):
    _, path = saved_dashboard
    with zipfile.ZipFile(path) as archive:
        drawing = ElementTree.fromstring(archive.read("xl/drawings/drawing1.xml"))
    anchors = [
        (start.findtext(f"{DRAWING}col"), start.findtext(f"{DRAWING}row"))
        for start in drawing.iter(f"{DRAWING}from")
    ]
    assert anchors == [("7", "3"), ("7", "20")]  # H4 and H21, 0-based in the file: right of the tables


def test_a_reloaded_workbook_keeps_the_dashboard_cells(saved_dashboard):
    tab, path = saved_dashboard
    worksheet = load_workbook(path)["Dashboard"]
    assert worksheet["A1"].value == "Complaint desk dashboard"
    assert worksheet.cell(row=tab.charts[0].first_row + 1, column=1).value == "Quality"


def test_a_chinese_tab_name_is_quoted_in_the_series_references(tmp_path):
    tab = build_dashboard(sample_kpis(), "zh", NOW)
    path = save_dashboard_workbook(tmp_path / "看板.xlsx", "看板", tab)
    references = [
        reference
        for chart in chart_parts(path).values()
        for series in series_references(chart)
        for reference in series
    ]
    assert len(references) == 9
    assert all(reference.startswith("'看板'!") for reference in references)


def test_a_chart_without_data_rows_is_not_added(tmp_path):
    workbook = Workbook()
    add_charts(workbook.active, [Chart("bar", "Empty", "E2", header_row=0, first_row=1, last_row=0)])
    assert workbook.active._charts == []


def test_an_unknown_chart_kind_is_refused():
    workbook = Workbook()
    with pytest.raises(ValueError, match="pie"):
        add_charts(workbook.active, [Chart("pie", "Pie", "E2", header_row=0, first_row=1, last_row=2)])


def test_the_generated_at_time_is_shown_in_the_calendar_zone_whatever_zone_now_is_in():
    now_in_utc = datetime(2026, 11, 25, 4, 0, tzinfo=ZoneInfo("UTC"))
    rows = build_dashboard(sample_kpis(), "en", now_in_utc).rows
    assert rows[GENERATED_AT_ROW][1] == datetime(2026, 11, 25, 12, 0)


def test_tickets_are_broken_down_by_channel_and_product_in_both_languages():
    english = build_dashboard(sample_kpis(), "en", NOW).rows
    start = row_starting(english, "Tickets by channel")
    assert english[start + 1: start + 4] == [["Channel", "Tickets"], ["Phone", 4], ["Social media", 2]]
    start = row_starting(english, "Tickets by product")
    assert english[start + 1: start + 4] == [["Product", "Tickets"], ["Kettle", 5], ["Parcel", 1]]
    chinese = build_dashboard(sample_kpis(), "zh", NOW).rows
    assert chinese[row_starting(chinese, "工单（按渠道）") + 1] == ["渠道", "工单数"]
    assert chinese[row_starting(chinese, "工单（按产品）") + 1] == ["产品", "工单数"]


def test_the_xlsx_backend_writes_shares_as_percent_headings_bold_and_in_place_updates_keep_both(tmp_path):
    from sync.backends.port import ChangeSet
    from sync.backends.xlsx.backend import XlsxBackend
    from tests.sync.backends.xlsx.xlsx_files import write_workbook

    path = write_workbook(tmp_path / "desk.xlsx", {"Tickets": [["Ticket ID"], ["CS-1"]]})
    backend = XlsxBackend(path)
    tab = build_dashboard(sample_kpis(), "en", NOW)
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": tab}), backend.read())
    update = build_dashboard(sample_kpis(first_response_on_time=Ratio(3, 4)), "en", NOW)
    backend.apply(ChangeSet("Tickets", tabs={"Dashboard": update}), backend.read())  # same layout: patched in

    sheet = load_workbook(path)["Dashboard"]
    figure = row_starting(update.rows, "First response on time") + 1
    assert [sheet.cell(row=figure, column=column).value for column in range(1, 5)] == [
        "First response on time", 0.75, 3, 4]
    assert sheet.cell(row=figure, column=2).number_format == "0.0%"
    assert sheet.cell(row=row_starting(update.rows, "Open tickets") + 1, column=2).number_format == "General"
    assert sheet.cell(row=row_starting(update.rows, "Open tickets") + 1, column=2).value == 3
    for title in ("Key figures", "Eight-week trend"):
        heading = row_starting(update.rows, title) + 1
        assert sheet.cell(row=heading, column=1).font.b and sheet.cell(row=heading + 1, column=2).font.b
    assert not sheet.cell(row=figure, column=1).font.b
    trend = row_starting(update.rows, "Eight-week trend") + 1
    assert sheet.cell(row=trend + 9, column=1).value == "2026-W48 (so far)"
    assert len(sheet._charts) == 2
