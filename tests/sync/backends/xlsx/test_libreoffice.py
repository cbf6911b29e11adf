"""The saved workbook with its Dashboards and charts opens in LibreOffice: converted headless, it comes out whole.

A file LibreOffice would offer to repair fails to load headless: soffice then prints "Error: source file could
not be loaded", writes nothing and still exits 0, so the checks are the output file and the absence of "Error". Skipped only when ``soffice`` is not installed (CI installs ``libreoffice-calc-nogui``).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from sync.backends.xlsx.charts import add_charts
from sync.tabs.dashboard import build_dashboard
from tests.sync.tabs.test_dashboard import NOW, sample_kpis

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CONVERSION_TIMEOUT_SECONDS = 180

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        SOFFICE is None,
        reason="LibreOffice (soffice) is not installed; apt-get install libreoffice-calc-nogui",
    ),
]

SHEET_NAMES = ["工单", "Dashboard", "看板"]


def save_workbook_with_dashboards(path: Path) -> Path:
    """Save a Tickets tab and the Dashboard in English and Chinese, each with its charts."""
    workbook = Workbook()
    tickets = workbook.active
    tickets.title = SHEET_NAMES[0]
    tickets.append(["工单编号", "接收时间", "状态"])
    tickets.append(["CS-20261125-0001", NOW.replace(tzinfo=None), "新建"])
    for name, language in (("Dashboard", "en"), ("看板", "zh")):
        tab = build_dashboard(sample_kpis(), language, NOW)
        worksheet = workbook.create_sheet(name)
        for row in tab.rows:
            worksheet.append(row)
        add_charts(worksheet, tab.charts)
    workbook.save(path)
    return path


def convert(source: Path, target_format: str, output_dir: Path, profile: Path) -> subprocess.CompletedProcess:
    """Run a headless LibreOffice conversion with a private profile, so no other instance interferes."""
    command = [
        SOFFICE,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        target_format,
        "--outdir",
        str(output_dir),
        str(source),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=CONVERSION_TIMEOUT_SECONDS)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Convert the workbook to PDF and back to .xlsx once; return the source and both results."""
    base = tmp_path_factory.mktemp("libreoffice")
    source = save_workbook_with_dashboards(base / "desk.xlsx")
    profile = base / "profile"
    results = {}
    for target_format in ("pdf", "xlsx"):
        output_dir = base / target_format
        output_dir.mkdir()
        completed = convert(source, target_format, output_dir, profile)
        results[target_format] = (completed, output_dir / f"desk.{target_format}")
    return results


def test_libreoffice_converts_the_workbook_to_pdf(converted):
    completed, pdf = converted["pdf"]
    assert completed.returncode == 0, completed.stderr
    assert "Error" not in completed.stderr
    assert pdf.exists(), f"no PDF written; soffice said: {completed.stdout} {completed.stderr}"
    assert pdf.read_bytes().startswith(b"%PDF")


def test_libreoffice_saves_it_back_as_xlsx_with_every_sheet_name(converted):
    completed, xlsx = converted["xlsx"]
    assert completed.returncode == 0, completed.stderr
    assert xlsx.exists(), f"no .xlsx written; soffice said: {completed.stdout} {completed.stderr}"
    assert load_workbook(xlsx).sheetnames == SHEET_NAMES


def test_the_dashboard_numbers_survive_the_round_trip(converted):
    _, xlsx = converted["xlsx"]
    worksheet = load_workbook(xlsx)["看板"]
    values = {row[0]: row[1] for row in worksheet.iter_rows(values_only=True) if row and row[0]}
    assert values["未结工单"] == 3
    assert values["首次响应及时率"] == 0.6667


def test_libreoffice_read_the_charts_and_wrote_them_back(converted):
    _, xlsx = converted["xlsx"]
    with zipfile.ZipFile(xlsx) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        kinds = "".join(archive.read(name).decode() for name in charts)
    assert len(charts) == 4  # a bar and a line chart on each dashboard
    assert kinds.count("barChart>") >= 2 and kinds.count("lineChart>") >= 2
