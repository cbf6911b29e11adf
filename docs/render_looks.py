"""Render what people see, as pictures: the demo workbook through LibreOffice (PDF, then PNG with pdftoppm), the
Tickets tab as people with deuteranopia and protanopia see it, and a liaison's digest mail in headless Chromium
at 900 px and 375 px. The pictures in docs/looks/ were made with this script.

    .venv/bin/python docs/render_looks.py [--out docs/looks]

Needs soffice (LibreOffice), pdftoppm (poppler-utils) and chromium on the PATH. Prints what it measured: the
pages a full print of the workbook takes, and which tabs they belong to.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from email import message_from_bytes, policy
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import openpyxl  # noqa: E402

from tests.colour_vision import simulate_pixels  # noqa: E402

NOW = "2026-11-23T15:00"
SHOWN_COLUMNS = ("Ticket ID", "Received", "Customer", "Tier", "Category", "Status", "Grade", "Department", "SLA",
                 "Check")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr[-2000:]}")
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


def only_tab(source: Path, target: Path, tab_index: int, columns: tuple[str, ...] = ()) -> None:
    """A copy showing one tab (others hidden, so LibreOffice prints only it), optionally only some columns."""
    workbook = openpyxl.load_workbook(source)
    for index, sheet in enumerate(workbook.worksheets):
        sheet.sheet_state = "visible" if index == tab_index else "hidden"
    workbook.active = tab_index
    sheet = workbook.worksheets[tab_index]
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
    run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf", "--outdir",
         str(folder), str(workbook)], folder)
    return folder / f"{workbook.stem}.pdf"


def first_page_png(pdf: Path, target: Path, resolution: int = 80) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Write the PDF's first page as ``target`` (PNG); return its width, height and pixels (for simulations)."""
    stem = target.with_suffix("")
    run(["pdftoppm", "-r", str(resolution), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        target.parent)
    width, height, pixels = read_ppm(stem.with_suffix(".ppm"))
    stem.with_suffix(".ppm").unlink()
    width, height, pixels = trim(width, height, pixels)
    write_png(target, width, height, pixels)
    return width, height, pixels


def read_ppm(path: Path) -> tuple[int, int, list[tuple[int, int, int]]]:
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
    raw = data[position + 1:]
    return width, height, [tuple(raw[index:index + 3]) for index in range(0, width * height * 3, 3)]


def trim(width: int, height: int, pixels: list) -> tuple[int, int, list]:
    """Cut the white page margins away (keep 8 px)."""
    rows = [pixels[row * width:(row + 1) * width] for row in range(height)]
    used_rows = [index for index, row in enumerate(rows) if any(pixel != (255, 255, 255) for pixel in row)]
    used_columns = [column for column in range(width) if any(rows[row][column] != (255, 255, 255) for row in used_rows)]
    if not used_rows:
        return width, height, pixels
    top, bottom = max(used_rows[0] - 8, 0), min(used_rows[-1] + 8, height - 1)
    left, right = max(used_columns[0] - 8, 0), min(used_columns[-1] + 8, width - 1)
    kept = [pixel for row in rows[top:bottom + 1] for pixel in row[left:right + 1]]
    return right - left + 1, bottom - top + 1, kept


def write_png(path: Path, width: int, height: int, pixels: list[tuple[int, int, int]]) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(value for pixel in pixels[row * width:(row + 1) * width] for value in pixel)
                   for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                     + chunk(b"IEND", b""))


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
    raise SystemExit(f"no {language} digest in {outbox}")


def screenshot(html: str, width: int, target: Path, folder: Path) -> None:
    page = folder / f"mail-{width}.html"
    page.write_text(html, encoding="utf-8")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={folder / f'chromium-{width}'}",
         f"--window-size={width},1100", f"--screenshot={target}", page.as_uri()], folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "looks")
    out = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sheetdesk-looks-") as scratch:
        folder = Path(scratch)
        desk = make_demo(folder)
        only_tab(desk, folder / "tickets-view.xlsx", 0, SHOWN_COLUMNS)
        width, height, pixels = first_page_png(to_pdf(folder / "tickets-view.xlsx", folder), out / "tickets.png")
        for kind in ("deuteranopia", "protanopia"):
            write_png(out / f"tickets-{kind}.png", width, height, simulate_pixels(pixels, kind))
        how_to = openpyxl.load_workbook(desk, read_only=True).sheetnames.index("How to use")
        only_tab(desk, folder / "how-to-view.xlsx", how_to)
        first_page_png(to_pdf(folder / "how-to-view.xlsx", folder), out / "how-to-use.png", resolution=70)
        full = to_pdf(desk, folder)
        print(f"a full print of the demo workbook: {page_count(full)} pages")
        only_tab(desk, folder / "tickets-only.xlsx", 0)
        print(f"the Tickets tab alone (40 tickets): {page_count(to_pdf(folder / 'tickets-only.xlsx', folder))} pages")
        for language in ("en", "zh"):
            html = digest_html(folder / "outbox", language)
            for screen in (900, 375):
                screenshot(html, screen, out / f"mail-{language}-{screen}.png", folder)
    print(f"pictures in {out}")


if __name__ == "__main__":
    main()
