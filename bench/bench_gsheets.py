"""Benchmark: Google Sheets API requests per cycle, sheetdesk's gsheets backend vs a naive gspread loop (DESIGN §8).

Budget: ≤ 4 API requests per cycle after start-up (the fourth reads a write back), independent of the number of rows; 0 writes when nothing
changed.

Both sides talk HTTP to the local fake Sheets API (tests/sync/backends/gsheets/fake_sheets.py) through gspread's real client, and
requests are counted by the fake server. Three cycles are measured at 100, 1 000 and 10 000 tickets:

- first: every ticket gets its computed cells (grade, department, liaison, response due, SLA: 5 cells a ticket);
- steady: 10 tickets change one computed cell each;
- idle: nothing changed.

The naive approach reads the tab with ``worksheet.get_all_values()`` and writes each changed cell with
``worksheet.update_cell`` (one request per cell), as many gspread scripts do. Its requests are measured against
the fake up to ``--naive-cap`` cells per cycle; past the cap the count is extrapolated from the measured cost of
one request per cell (shown with a ``~`` and ``"extrapolated": true`` in the JSON). The real API's default quota
(60 write requests per minute per user) is noted: the naive first cycle at 10 000 tickets would take hours.

Run: .venv/bin/python bench/bench_gsheets.py [--sizes 100 1000 10000] [--naive-cap 1000]
Writes bench/results/gsheets.json and prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "gsheets.json"
sys.path.insert(0, str(Path(__file__).parents[1]))

import gspread  # noqa: E402
from google.auth.credentials import AnonymousCredentials  # noqa: E402

from bench.common import interleaved, load_now, markdown_table  # noqa: E402
from sync.backends.gsheets.backend import GSheetsBackend  # noqa: E402
from sync.backends.gsheets.http import EMULATOR_VARIABLE, SheetsHTTPClient  # noqa: E402
from sync.backends.port import CellWrite, ChangeSet, RowRef  # noqa: E402
from sync.state import StateStore  # noqa: E402
from tests.sync.backends.gsheets.fake_sheets import FakeSheets  # noqa: E402
from tickets import TICKET_COLUMNS, match_headers  # noqa: E402

KEY = "bench-spreadsheet"
HEADER = [column.en for column in TICKET_COLUMNS]
COMPUTED = ("grade", "department", "liaison", "response_due", "sla")
STEADY_CHANGES = 10
WRITE_QUOTA_PER_MINUTE = 60


def tickets(count: int) -> list[list]:
    rows = [list(HEADER)]
    start = datetime(2026, 11, 1, 9, 0)
    for number in range(1, count + 1):
        row = [None] * len(HEADER)
        row[0] = f"CS-{number:06d}"
        row[1] = start + timedelta(minutes=3 * number)
        row[3] = f"Customer {number % 97}"
        row[12] = "New"
        rows.append(row)
    return rows


def computed_value(key: str, number: int, cycle: str) -> object:
    if key == "response_due":
        return datetime(2026, 12, 1, 9, 0) + timedelta(hours=number % 48)
    return f"{key} {number % 7} {cycle}"


def first_cycle_cells(rows: list[list]) -> list[tuple[int, str, object]]:
    return [(index, key, computed_value(key, index, "first")) for index in range(1, len(rows)) for key in COMPUTED]


def steady_cells(rows: list[list]) -> list[tuple[int, str, object]]:
    step = max(1, (len(rows) - 1) // STEADY_CHANGES)
    return [(index, "sla", f"overdue {index}") for index in range(1, len(rows), step)][:STEADY_CHANGES]


# -- sheetdesk's backend ------------------------------------------------------------------------------------------


def backend_cycle(backend: GSheetsBackend, fake: FakeSheets, cells: list[tuple[int, str, object]]) -> dict:
    reads, writes = fake.reads, fake.writes
    before = backend.counts.snapshot()
    started = time.perf_counter()
    snapshot = backend.read()
    rows = snapshot.sheets["Tickets"].rows
    positions = match_headers(rows[0]).positions
    changes = ChangeSet("Tickets", columns=positions)
    for index, key, value in cells:
        changes.cells.append(CellWrite(RowRef(index, rows[index][0]), key, value))
    backend.apply(changes, snapshot)
    spent = backend.counts.since(before)
    return {"reads": fake.reads - reads, "writes": fake.writes - writes, "seconds": time.perf_counter() - started,
            "bytes_sent": spent.bytes_sent, "bytes_received": spent.bytes_received}


def measure_backend(fake: FakeSheets, count: int) -> dict:
    rows = tickets(count)
    fake.create(KEY, tabs={"Tickets": rows})
    backend = GSheetsBackend(KEY)
    reads, writes = fake.reads, fake.writes
    backend.read()
    startup = {"reads": fake.reads - reads, "writes": fake.writes - writes}
    return {
        "startup": startup,
        "first": backend_cycle(backend, fake, first_cycle_cells(rows)),
        "steady": backend_cycle(backend, fake, steady_cells(rows)),
        "idle": backend_cycle(backend, fake, []),
    }


def measure_startup(fake: FakeSheets, count: int, repeats: int, directory: Path) -> dict:
    """A timer's ``run --once``: a new process's first read, with and without the metadata kept in the state
    store, against the running daemon's read (the values batchGet) — interleaved, ``repeats`` rounds."""
    fake.create(KEY, tabs={"Tickets": tickets(count)})
    daemon = GSheetsBackend(KEY)
    daemon.read()
    primed = StateStore(directory / "state")
    GSheetsBackend(KEY, memory=primed).read()
    primed.close()
    requests: dict[str, list[int]] = {"cold": [], "remembered": [], "daemon": []}

    def first_read(name: str, memory: bool):
        def run() -> None:
            state = StateStore(directory / "state") if memory else None
            before = fake.reads
            (GSheetsBackend(KEY, memory=state) if memory else GSheetsBackend(KEY)).read()
            requests[name].append(fake.reads - before)
            if state is not None:
                state.close()
        return run

    def daemon_read() -> None:
        before = fake.reads
        daemon.read()
        requests["daemon"].append(fake.reads - before)

    spreads = interleaved({"cold": (first_read("cold", memory=False), None),
                           "remembered": (first_read("remembered", memory=True), None),
                           "daemon": (daemon_read, None)}, repeats)
    return {name: {**spread.as_dict(), "requests": max(requests[name]), "_spread": spread}
            for name, spread in spreads.items()}


def startup_markdown(count: int, startup: dict) -> str:
    daemon = startup["daemon"]["_spread"]
    names = {"cold": "new process, nothing remembered (open + full read with grid data)",
             "remembered": "new process, metadata kept in the state store (values read)",
             "daemon": "running daemon's read (values read)"}
    rows = [[name, f"{count:,}", startup[key]["requests"], startup[key]["_spread"].text(),
             startup[key]["_spread"].times(daemon)] for key, name in names.items()]
    return markdown_table(["first read of a `run --once` process", "tickets", "requests", "median (min–max)",
                           "× the daemon's read"], rows)


# -- the naive gspread loop ---------------------------------------------------------------------------------------


def naive_cycle(worksheet: gspread.Worksheet, fake: FakeSheets, cells: list[tuple[int, str, object]], cap: int) -> dict:
    reads, writes = fake.reads, fake.writes
    started = time.perf_counter()
    header = worksheet.get_all_values()[0]
    positions = match_headers(header).positions
    measured = cells[:cap]
    for index, key, value in measured:
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%d %H:%M")
        worksheet.update_cell(index + 1, positions[key] + 1, value)
    result = {"reads": fake.reads - reads, "writes": fake.writes - writes, "seconds": time.perf_counter() - started,
              "extrapolated": len(cells) > len(measured)}
    if result["extrapolated"]:
        per_cell = result["writes"] / max(len(measured), 1)  # measured: exactly one request per cell
        result["writes"] = round(per_cell * len(cells))
        result["seconds"] = None
    return result


def measure_naive(fake: FakeSheets, count: int, cap: int) -> dict:
    rows = tickets(count)
    fake.create(KEY, tabs={"Tickets": rows})
    client = gspread.Client(AnonymousCredentials(), http_client=SheetsHTTPClient.factory(emulator=fake.url))
    reads, writes = fake.reads, fake.writes
    worksheet = client.open_by_key(KEY).worksheet("Tickets")
    startup = {"reads": fake.reads - reads, "writes": fake.writes - writes}
    return {
        "startup": startup,
        "first": naive_cycle(worksheet, fake, first_cycle_cells(rows), cap),
        "steady": naive_cycle(worksheet, fake, steady_cells(rows), cap),
        "idle": naive_cycle(worksheet, fake, [], cap),
    }


# -- report -------------------------------------------------------------------------------------------------------


def requests_text(cycle: dict) -> str:
    total = cycle["reads"] + cycle["writes"]
    prefix = "~" if cycle.get("extrapolated") else ""
    return f"{prefix}{total:,} ({cycle['writes']:,} w)"


def markdown(results: dict) -> str:
    lines = [
        "| tickets | cycle | sheetdesk requests | naive gspread requests | sheetdesk time (fake) | sheetdesk bytes sent |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size, entry in results["sizes"].items():
        for cycle in ("first", "steady", "idle"):
            ours, naive = entry["backend"][cycle], entry["naive"][cycle]
            lines.append(
                f"| {int(size):,} | {cycle} | {requests_text(ours)} | {requests_text(naive)} | "
                f"{ours['seconds']:.2f} s | {ours['bytes_sent']:,} |"
            )
    lines.append("")
    lines.append("Start-up (once per process): sheetdesk " + ", ".join(
        f"{int(size):,}: {entry['backend']['startup']['reads']} reads" for size, entry in results["sizes"].items()
    ) + ". `~` = naive count extrapolated from one request per cell past the measured cap; at Google's default "
        f"{WRITE_QUOTA_PER_MINUTE} write requests per minute a naive first cycle over 10 000 tickets needs "
        f"{10_000 * len(COMPUTED) / WRITE_QUOTA_PER_MINUTE / 60:.0f} hours.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--naive-cap", type=int, default=1000, help="update_cell calls measured per cycle, at most")
    parser.add_argument("--startup-rows", type=int, default=10_000, help="tickets for the process start-up case")
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    os.environ.pop(EMULATOR_VARIABLE, None)
    results: dict = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "budget": "<= 4 requests per cycle after start-up (one reads a write back), 0 writes when nothing changed",
        "naive_cap": arguments.naive_cap,
        "sizes": {},
    }
    with FakeSheets() as fake:
        os.environ[EMULATOR_VARIABLE] = fake.url
        try:
            for size in arguments.sizes:
                results["sizes"][str(size)] = {
                    "backend": measure_backend(fake, size),
                    "naive": measure_naive(fake, size, arguments.naive_cap),
                }
                print(f"measured {size} tickets", file=sys.stderr)
            with tempfile.TemporaryDirectory(prefix="bench-gsheets-") as directory:
                startup = measure_startup(fake, arguments.startup_rows, arguments.repeats, Path(directory))
        finally:
            os.environ.pop(EMULATOR_VARIABLE, None)
    within = all(
        entry["backend"][cycle]["reads"] + entry["backend"][cycle]["writes"] <= 4
        for entry in results["sizes"].values() for cycle in ("first", "steady", "idle")
    ) and all(entry["backend"]["idle"]["writes"] == 0 for entry in results["sizes"].values())
    results["within_budget"] = within
    results["startup"] = {"rows": arguments.startup_rows, "load_average": load_now(),
                          **{name: {key: value for key, value in entry.items() if key != "_spread"}
                             for name, entry in startup.items()}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    print()
    print(startup_markdown(arguments.startup_rows, startup))
    print(f"\nwithin budget: {within}; written {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
