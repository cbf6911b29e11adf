"""Native Excel charts for generated tabs: a ``sync.backends.port.Chart`` spec becomes an openpyxl chart.

Each series reads its values from the tab's own cells and takes its name from the block's header row, so the
chart follows the numbers when the tab is regenerated, in Excel, LibreOffice and any other reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl.chart import BarChart, LineChart, Series
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import absolute_coordinate, get_column_letter, quote_sheetname

from sync.backends.port import Chart

__all__ = ["add_charts", "build_chart", "CHART_WIDTH_CM", "CHART_HEIGHT_CM"]

CHART_WIDTH_CM = 16
CHART_HEIGHT_CM = 8
_KINDS = {"bar": BarChart, "line": LineChart}


def add_charts(worksheet: Any, charts: Sequence[Chart]) -> None:
    """Add a native chart to ``worksheet`` for each spec, anchored at its ``anchor`` cell.

    Chart rows and columns are 0-based (as in ``GeneratedTab.rows``); openpyxl's are 1-based. Charts already
    on the worksheet stay: a caller replacing a tab starts from a new worksheet. A spec with no data rows is
    skipped, since an empty range makes a file some readers refuse. Raise ValueError for an unknown kind.
    """
    for chart in charts:
        if chart.last_row >= chart.first_row:
            worksheet.add_chart(build_chart(worksheet, chart), chart.anchor)


def build_chart(worksheet: Any, chart: Chart) -> Any:
    """Return the openpyxl chart for ``chart``, its series reading cells of ``worksheet``."""
    try:
        native = _KINDS[chart.kind]()
    except KeyError:
        raise ValueError(f"unknown chart kind {chart.kind!r}; expected one of {sorted(_KINDS)}") from None
    native.title = chart.title
    native.width, native.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    for column in chart.value_columns:
        native.series.append(_series(worksheet, chart, column))
    labels = _range(worksheet, chart.label_column, chart.first_row, chart.last_row)
    for series in native.series:
        series.cat = AxDataSource(strRef=StrRef(labels))  # text labels: a string reference, not a number one
    # openpyxl 3.1 leaves the axes' "delete" flag unset, which recent Excel reads as hidden axes.
    native.x_axis.delete = False
    native.y_axis.delete = False
    native.y_axis.scaling.min = 0  # counts: the axis starts at zero
    if chart.kind == "line":
        for series in native.series:
            series.smooth = False  # weekly counts are points joined by straight lines, not a curve
    if chart.kind == "bar" and len(chart.value_columns) == 1:
        native.legend = None  # one series: its name is the title already
    return native


def _series(worksheet: Any, chart: Chart, column: int) -> Series:
    """Return the series of one value column, named by the header cell above it."""
    series = Series(_range(worksheet, column, chart.first_row, chart.last_row))
    series.tx = SeriesLabel(strRef=StrRef(_range(worksheet, column, chart.header_row, chart.header_row)))
    return series


def _range(worksheet: Any, column: int, first_row: int, last_row: int) -> str:
    """Return the absolute reference of 0-based ``column``, rows ``first_row``..``last_row``, e.g. 'T'!$B$5:$B$9."""
    letter = get_column_letter(column + 1)
    cells = (
        f"{letter}{first_row + 1}"
        if first_row == last_row
        else f"{letter}{first_row + 1}:{letter}{last_row + 1}"
    )
    return f"{quote_sheetname(worksheet.title)}!{absolute_coordinate(cells)}"
