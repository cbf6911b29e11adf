"""Render what people see, as pictures: the demo workbook through LibreOffice (PDF, then PNG with pdftoppm) — the
Tickets tab, also as people with deuteranopia and protanopia see it, the Dashboard's first printed page and the
How-to legend — and a liaison's digest mail (en, zh) in headless Chromium at 900 px and 375 px, and a manager's
daily digest on a phone. The pictures in docs/looks/ were made with this script; ``tests/docs/test_looks.py``
runs it on every test run and checks what it made (so it never rots).

    .venv/bin/python docs/render_looks.py [--out docs/looks]

Needs soffice (LibreOffice), pdftoppm and pdfinfo (poppler-utils) and chromium on the PATH. Prints what it
measured: the pages a full print of the workbook takes, the Tickets tab's and the Dashboard's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import openpyxl  # noqa: E402

from tests.colour_vision import simulate_pixels  # noqa: E402

NOW = "2026-11-23T15:00"
SHOWN_COLUMNS = ("Ticket ID", "Received", "Customer", "Tier", "Category", "Status", "Grade", "Department", "SLA",
                 "Check")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
MAIL_WIDTHS = (900, 375)
TOOLS = ("soffice", "pdftoppm", "pdfinfo", "chromium")


@dataclass
class Looks:
    """What one rendering made: the pictures, the Dashboard's PDF, and the printed page counts."""

    pictures: list[Path] = field(default_factory=list)
    dashboard_pdf: Path | None = None
    workbook_pages: int = 0
    tickets_pages: int = 0
    dashboard_pages: int = 0


def missing_tools() -> list[str]:
    """The programs this script needs that are not on the PATH."""
    return [tool for tool in TOOLS if shutil.which(tool) is None and not (tool == "chromium"
                                                                          and shutil.which("chromium-browser"))]


def run(command: list[str], cwd: Path) -> str:
    """Run ``command`` in ``cwd``; a Python child imports this checkout's sheetdesk. Raise RuntimeError if it
    fails."""
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, env=environment)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr[-2000:]}")
    return done.stdout


def make_demo(folder: Path) -> Path:
    """The demo desk at a fixed time, plus one badly typed row (a Check problem)."""
    cli = [sys.executable, "-m", "sync.service.cli"]
    run([*cli, "demo", "--now", NOW], folder)
    workbook = openpyxl.load_workbook(folder / "desk.xlsx")
    tickets = workbook.worksheets[0]
    header = [cell.value for cell in tickets[1]]
    row = tickets.max_row + 1
    for label, value in {"Channel": "Phone", "Customer": "Harbour Foods", "Tier": "Gold", "Product": "Kettle K2",
                         "Category": "Product quality", "Description": "Lid cracks", "Status": "New"}.items():
        tickets.cell(row, header.index(label) + 1, value)
    workbook.save(folder / "desk.xlsx")
    run([*cli, "run", "--once", "--now", "2026-11-23T15:05"], folder)
    return folder / "desk.xlsx"


def only_tab(source: Path, target: Path, tab: str, columns: tuple[str, ...] = ()) -> None:
    """A copy showing one tab (others hidden, so LibreOffice prints only it), optionally only some columns."""
    workbook = openpyxl.load_workbook(source)
    for sheet in workbook.worksheets:
        sheet.sheet_state = "visible" if sheet.title == tab else "hidden"
    workbook.active = workbook.sheetnames.index(tab)
    sheet = workbook[tab]
    if columns:
        for cell in sheet[1]:
            sheet.column_dimensions[cell.column_letter].hidden = cell.value not in columns
        show_each_colour(sheet)
    workbook.save(target)


def show_each_colour(sheet, per_state: int = 3) -> None:
    """Hide rows so a one-page picture shows a few rows of every SLA state and every row with a Check problem."""
    header = [cell.value for cell in sheet[1]]
    sla, check = header.index("SLA"), header.index("Check")
    shown: dict[object, int] = {}
    for row in sheet.iter_rows(min_row=2):
        state = row[sla].value
        keep = bool(row[check].value) or shown.get(state, 0) < per_state
        shown[state] = shown.get(state, 0) + (1 if keep else 0)
        sheet.row_dimensions[row[0].row].hidden = not keep


def to_pdf(workbook: Path, folder: Path) -> Path:
    profile = folder / "lo-profile"
    run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--convert-to", "pdf",
         "--outdir", str(folder), str(workbook)], folder)
    pdf = folder / f"{workbook.stem}.pdf"
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice made no PDF of {workbook.name} (it could not load it)")
    return pdf


def page_png(pdf: Path, target: Path, resolution: int = 100, page: int = 1) -> tuple[int, int, bytes]:
    """Write one page of the PDF as ``target`` (PNG), its white margins cut; return width, height and RGB bytes."""
    stem = target.with_suffix("")
    run(["pdftoppm", "-r", str(resolution), "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(stem)],
        target.parent)
    width, height, pixels = read_ppm(stem.with_suffix(".ppm"))
    stem.with_suffix(".ppm").unlink()
    width, height, pixels = trim(width, height, pixels)
    write_png(target, width, height, pixels)
    return width, height, pixels


def read_ppm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    fields, position = [], 0
    while len(fields) < 4:  # P6, width, height, maximum
        while data[position:position + 1].isspace():
            position += 1
        start = position
        while not data[position:position + 1].isspace():
            position += 1
        fields.append(data[start:position])
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[position + 1: position + 1 + width * height * 3]


def trim(width: int, height: int, pixels: bytes, margin: int = 8) -> tuple[int, int, bytes]:
    """Cut the white page margins away (keep ``margin`` px)."""
    stride = width * 3
    rows = [pixels[index * stride:(index + 1) * stride] for index in range(height)]
    used = [index for index, row in enumerate(rows) if row.count(255) != stride]
    if not used:
        return width, height, pixels
    left = min(len(rows[index]) - len(rows[index].lstrip(b"\xff")) for index in used) // 3
    right = max(len(rows[index].rstrip(b"\xff")) for index in used) // 3
    top, bottom = max(used[0] - margin, 0), min(used[-1] + margin, height - 1)
    left, right = max(left - margin, 0), min(right + margin, width - 1)
    kept = b"".join(row[left * 3:(right + 1) * 3] for row in rows[top:bottom + 1])
    return right - left + 1, bottom - top + 1, kept


def write_png(path: Path, width: int, height: int, pixels: bytes) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    stride = width * 3
    raw = b"".join(b"\x00" + pixels[row * stride:(row + 1) * stride] for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
                     + chunk(b"IEND", b""))


def simulated(pixels: bytes, kind: str) -> bytes:
    """The RGB bytes as a person with colour-vision deficiency ``kind`` sees them."""
    triples = [tuple(pixels[index:index + 3]) for index in range(0, len(pixels), 3)]
    return bytes(value for pixel in simulate_pixels(triples, kind) for value in pixel)


def page_count(pdf: Path) -> int:
    info = run(["pdfinfo", str(pdf)], pdf.parent)
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def digest_html(outbox: Path, language: str) -> str:
    """The HTML of the first reminder digest in ``language`` in the outbox."""
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        subject = str(message["Subject"])
        chinese = any("\u4e00" <= character <= "\u9fff" for character in subject)
        if ("overdue" in subject or "已超时" in subject) and chinese == (language == "zh"):
            return message.get_body(("html",)).get_content()
    raise RuntimeError(f"no {language} digest in {outbox}")


MEASURE_HEIGHT = """<script>
window.addEventListener('load', () => {
  const report = document.createElement('pre');
  report.id = 'height';
  report.textContent = String(document.documentElement.scrollHeight);
  document.body.appendChild(report);
});
</script>"""


def manager_digest_html(outbox: Path) -> str:
    """The HTML of a department manager's daily digest in the outbox (one that leads with overdue tickets)."""
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        text = message.get_body(("plain",)).get_content()
        if "Daily complaint digest" in str(message["Subject"]) and "Overdue in" in text:
            return message.get_body(("html",)).get_content()
    raise RuntimeError(f"no manager's daily digest in {outbox}")


def screenshot(html: str, width: int, target: Path, folder: Path) -> None:
    """Shoot the mail at ``width`` px, as tall as the mail is (measured by laying it out first)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    flags = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={folder / f'chromium-{width}'}"]
    measured = folder / f"measure-{width}.html"
    measured.write_text(html.replace("</body>", MEASURE_HEIGHT + "</body>"), encoding="utf-8")
    dom = run([*flags, f"--window-size={width},800", "--dump-dom", measured.as_uri()], folder)
    found = re.search(r'<pre id="height">(\d+)</pre>', dom)
    # The headless window's viewport is not exactly the window: leave room so the footer is never cut off.
    height = min(int(int(found.group(1)) * 1.15) + 60, 4000) if found else 1100
    page = folder / f"mail-{width}.html"
    page.write_text(html, encoding="utf-8")
    run([*flags, f"--window-size={width},{height}", f"--screenshot={target}", page.as_uri()], folder)


def render(out: Path, scratch: Path) -> Looks:
    """Make every picture in ``out``, working in the folder ``scratch`` (the Dashboard's PDF stays there)."""
    out.mkdir(parents=True, exist_ok=True)
    looks = Looks()
    desk = make_demo(scratch)
    only_tab(desk, scratch / "tickets-view.xlsx", "Tickets", SHOWN_COLUMNS)
    width, height, pixels = page_png(to_pdf(scratch / "tickets-view.xlsx", scratch), out / "tickets.png",
                                     resolution=130)
    looks.pictures.append(out / "tickets.png")
    for kind in ("deuteranopia", "protanopia"):
        write_png(out / f"tickets-{kind}.png", width, height, simulated(pixels, kind))
        looks.pictures.append(out / f"tickets-{kind}.png")
    only_tab(desk, scratch / "dashboard.xlsx", "Dashboard")
    looks.dashboard_pdf = to_pdf(scratch / "dashboard.xlsx", scratch)
    looks.dashboard_pages = page_count(looks.dashboard_pdf)
    page_png(looks.dashboard_pdf, out / "dashboard.png", resolution=90)
    looks.pictures.append(out / "dashboard.png")
    only_tab(desk, scratch / "how-to-view.xlsx", "How to use")
    page_png(to_pdf(scratch / "how-to-view.xlsx", scratch), out / "how-to-use.png", resolution=90)
    looks.pictures.append(out / "how-to-use.png")
    looks.workbook_pages = page_count(to_pdf(desk, scratch))
    only_tab(desk, scratch / "tickets-only.xlsx", "Tickets")
    looks.tickets_pages = page_count(to_pdf(scratch / "tickets-only.xlsx", scratch))
    for language in ("en", "zh"):
        html = digest_html(scratch / "outbox", language)
        for screen in MAIL_WIDTHS:
            screenshot(html, screen, out / f"mail-{language}-{screen}.png", scratch)
            looks.pictures.append(out / f"mail-{language}-{screen}.png")
    screenshot(manager_digest_html(scratch / "outbox"), 375, out / "mail-daily-375.png", scratch)
    looks.pictures.append(out / "mail-daily-375.png")
    return looks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "looks")
    out = parser.parse_args().out.resolve()
    if missing_tools():
        raise SystemExit(f"missing {', '.join(missing_tools())}: apt-get install libreoffice-calc-nogui "
                         "poppler-utils chromium")
    with tempfile.TemporaryDirectory(prefix="sheetdesk-looks-") as scratch:
        looks = render(out, Path(scratch))
    print(f"a full print of the demo workbook: {looks.workbook_pages} pages")
    print(f"the Tickets tab alone (40 tickets): {looks.tickets_pages} pages")
    print(f"the Dashboard: {looks.dashboard_pages} pages")
    print(f"pictures in {out}")


if __name__ == "__main__":
    main()
