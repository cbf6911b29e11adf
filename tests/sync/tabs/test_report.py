"""`sheetdesk report`: the KPIs printed as tables in either language, or as JSON."""

from __future__ import annotations

import json
from datetime import datetime

from rich.console import Console

from sync.tabs.report import render_report, report_json
from tests.sync.tabs.test_dashboard import sample_kpis


def printed(renderable) -> str:
    console = Console(record=True, width=100, color_system=None)
    console.print(renderable)
    return console.export_text()


def line_with(output: str, words: str) -> str:
    return next(line for line in output.splitlines() if words in line)


def test_the_report_opens_with_the_time_the_figures_are_for():
    assert (
        printed(render_report(sample_kpis(), "en")).splitlines()[0]
        == "Complaint desk dashboard — 2026-11-25 12:00"
    )


def test_the_report_shows_the_key_figures_with_their_parts():
    output = printed(render_report(sample_kpis(), "en"))
    cells = line_with(output, "First response on time").split("│")[2:5]
    assert [cell.strip() for cell in cells] == ["66.7%", "2", "3"]
    assert "Counted" in output and "Out of" in output
    assert "48.0" in line_with(output, "Median resolution time (hours)")


def test_the_report_shows_every_table_of_the_dashboard():
    output = printed(render_report(sample_kpis(), "en"))
    for title in (
        "Open tickets by grade",
        "Tickets by status",
        "Clusters (Similar 7d ≥ 3)",
        "Eight-week trend",
    ):
        assert title in output
    assert line_with(output, "2026-W48").split() == ["│", "2026-W48", "(so", "far)", "│", "7", "│", "3", "│"]


def test_an_empty_table_says_none():
    output = printed(render_report(sample_kpis(clusters=()), "en"))
    after_clusters = output.split("Clusters (Similar 7d ≥ 3)")[1]
    assert "(none)" in after_clusters.split("Tickets by category")[0]


def test_the_report_speaks_chinese():
    output = printed(render_report(sample_kpis(), "zh"))
    assert output.startswith("投诉处理看板")
    assert "66.7%" in line_with(output, "首次响应及时率")
    assert "已超时" in output and "满意度" in output


def test_the_json_report_is_the_kpis_as_data_with_chinese_unescaped():
    kpis = sample_kpis(open_by_department=(("质量部", 2),))
    data = json.loads(report_json(kpis))
    assert data == json.loads(json.dumps(kpis.to_dict()))
    assert data["open_by_department"] == {"质量部": 2}
    assert "质量部" in report_json(kpis)


def test_report_json_prints_the_desks_kpis_as_report_json_renders_them(tmp_path):
    from click.testing import CliRunner

    from sync.backends.xlsx.backend import XlsxBackend
    from sync.engine import Desk
    from sync.service.cli import cli
    from sync.state import StateStore
    from tests.sync.conftest import make_workbook
    from tests.sync.service.test_config import write_config

    make_workbook(tmp_path / "desk.xlsx", language="zh", sample=12)
    config = write_config(tmp_path)
    result = CliRunner().invoke(cli, ["report", "--json", "--config", str(config), "--now", "2026-11-23T10:00"])
    assert result.exit_code == 0, result.output

    state = StateStore(tmp_path / "elsewhere")
    try:
        kpis = Desk(XlsxBackend(tmp_path / "desk.xlsx"), state).cycle(datetime(2026, 11, 23, 10), dry_run=True).kpis
    finally:
        state.close()
    assert result.stdout == report_json(kpis) + "\n"
    printed_kpis = json.loads(result.stdout)
    assert printed_kpis["total"] == 12 and sum(printed_kpis["by_status"].values()) == 12
    departments = printed_kpis["open_by_department"]
    assert departments and all(f'"{name}"' in result.stdout for name in departments)  # 质量部 as it reads
    assert "\\u" not in result.stdout
