"""docs/render_looks.py on every test run: the demo workbook through LibreOffice to PDF and PNG, the digest mail in
headless Chromium at 375 and 900 px. What it makes is checked, and the Dashboard's print is read back from the PDF:
one page wide (every column of a table on the page of its first column), both charts whole on the first page, the
long label whole. Skipped only where a tool is missing (CI installs them all).
"""

from __future__ import annotations

import html
import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _renderer():
    spec = importlib.util.spec_from_file_location("render_looks", REPO / "docs" / "render_looks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


render_looks = _renderer()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(render_looks.missing_tools()),
                       reason=f"needs {', '.join(render_looks.missing_tools())} "
                              "(apt-get install libreoffice-calc-nogui poppler-utils chromium)"),
]


@pytest.fixture(scope="module")
def looks(tmp_path_factory):
    out = tmp_path_factory.mktemp("looks")
    return render_looks.render(out, tmp_path_factory.mktemp("scratch"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def pdf_pages(pdf: Path) -> list[dict]:
    """Each page of the PDF: its width and its words with their left edge (pdftotext -bbox)."""
    xhtml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.findall(r"<page\b(.*?)</page>", xhtml, re.DOTALL):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        words = [(float(left), html.unescape(word))
                 for left, word in re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', page)]
        pages.append({"width": width, "words": words})
    return pages


def test_it_makes_every_picture_the_docs_show(looks):
    shown = set(re.findall(r"\(looks/([\w-]+\.png)\)", (REPO / "docs" / "looks.md").read_text(encoding="utf-8")))
    made = {path.name for path in looks.pictures}
    assert shown <= made, f"docs/looks.md shows pictures the script no longer makes: {shown - made}"
    for path in looks.pictures:
        width, height = png_size(path)
        assert width > 300 and height > 100, path.name


def test_the_mail_is_shot_at_phone_and_desktop_width(looks):
    for language in ("en", "zh"):
        for screen in (375, 900):
            width, _ = png_size(next(path for path in looks.pictures if path.name == f"mail-{language}-{screen}.png"))
            assert width == screen
    width, height = png_size(next(path for path in looks.pictures if path.name == "mail-daily-375.png"))
    assert width == 375 and height > 600  # the whole mail, as tall as it is


def test_the_dashboard_prints_one_page_wide_on_two_pages(looks):
    pages = pdf_pages(looks.dashboard_pdf)
    assert looks.dashboard_pages == len(pages) == 2
    first = [word for _, word in pages[0]["words"]]
    for heading in ("Figure", "Value", "Counted", "Out", "Target", "met?"):
        assert heading in first, f"{heading} of the key figures is not on the first page"
    text = " ".join(first)
    assert "Repeat complaints: same customer, product or category, 30 days" in text  # whole, on two lines
    second = [word for _, word in pages[1]["words"]]
    assert {"Week", "Received", "Resolved", "2026-W47"} <= set(second)  # the trend table's columns together


def test_both_charts_print_whole_on_the_first_page(looks):
    first, second = pdf_pages(looks.dashboard_pdf)
    right_half = [word for left, word in first["words"] if left > first["width"] / 2]
    for chart_word in ("Tickets", "category", "Eight-week", "trend", "Received", "Resolved", "W41", "far)"):
        assert chart_word in right_half, f"{chart_word} of a chart is not on the first page"
    assert not [word for left, word in second["words"] if left > second["width"] / 2], "a chart spills to page 2"


def test_the_tickets_tab_prints_one_page_wide(looks):
    assert looks.tickets_pages <= 3  # 41 tickets, landscape, one page wide
    assert looks.workbook_pages < 36
