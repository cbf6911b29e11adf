"""Benchmark: the xlsx backend's cycles against a plain openpyxl load + save of the same file (DESIGN §8).

Budgets, at 10 000 tickets: a cycle that writes ≤ 1.3× a plain ``openpyxl.load_workbook`` + ``save``; a cycle
with nothing to write ≤ 0.1× of it (and no save at all). At 100 000 tickets: a cycle's peak memory < 1 GB.
Case (a') is the common writing cycle, whose change set holds only cells (the Dashboard unchanged, formatting in
place): the backend patches those cells into the file instead of loading and saving it with openpyxl.

The workbook is the English template with sample tickets whose computed columns a first cycle has filled.
The writing cycle follows a person's edit — 1 % of the tickets change status and new rows are typed — and runs
on a fresh Desk each time, as ``sheetdesk run --once`` does. The unchanged cycle runs right after it, at the
same moment, again cold. Each case is the median, min and max of ``--repeats`` runs, interleaved with the baseline and the floors
(a calamine read; a calamine read plus a zip copy of the file for a writing case). Peak memory is measured in a child
process (its own ``ru_maxrss``) running one writing cycle over a workbook whose computed columns are empty:
as it comes (formatting and Dashboard to write, so openpyxl) and cut to its cells (the patch).

Run: .venv/bin/python bench/bench_xlsx.py [--rows 10000] [--big 100000] [--repeats 5] [--memory-modes first,cells,openpyxl]
     [--profile]
Writes bench/results/xlsx.json and prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parents[1]))

import openpyxl  # noqa: E402

from bench.common import (  # noqa: E402
    Spread,
    Step,
    calamine_read,
    interleaved,
    load_now,
    markdown_table,
    write_results,
    zip_copy,
)
from sheets_templates import build_spec  # noqa: E402
from sync.backends.xlsx.backend import XlsxBackend  # noqa: E402
from sync.backends.xlsx.writer import write_xlsx  # noqa: E402
from sync.engine import Desk, DeskSettings  # noqa: E402
from sync.state import StateStore  # noqa: E402
from tickets import label  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
EDITED_AT = NOW + timedelta(minutes=10)
WRITE_BUDGET = 1.3
UNCHANGED_BUDGET = 0.1
MEMORY_BUDGET_MB = 1024
SAMPLE_LIMIT = 10_000  # larger workbooks repeat these tickets under new IDs
NEW_ROWS = 20
NEW_COMPLAINT = {
    "channel": "Phone", "customer": "Harbour Foods", "tier": "Core", "product": "Cold-chain box",
    "category": "Product quality", "description": "Lid cracks on delivery", "safety_risk": "no",
    "request": "Replacement", "status": "New",
}


# -- workbooks -----------------------------------------------------------------------------------------------

def template_spec(rows: int):
    """The English template with ``rows`` sample tickets (beyond SAMPLE_LIMIT, repeats under new IDs)."""
    spec = build_spec("en", sample=min(rows, SAMPLE_LIMIT), now=NOW.replace(tzinfo=None), seed=7)
    tickets = spec.tab("tickets").rows
    samples = tickets[1:]
    for number in range(len(samples), rows):
        row = list(samples[number % len(samples)])
        row[0] = f"{row[0]}{number:06d}" if row[0] else None
        tickets.append(row)
    return spec


def write_fast(spec, path: Path) -> None:
    """Write ``spec`` with openpyxl's write-only mode (values, widths and frozen header only): quick at 100k."""
    workbook = openpyxl.Workbook(write_only=True)
    for tab in spec.tabs:
        worksheet = workbook.create_sheet(tab.name)
        for index, width in enumerate(tab.widths):
            worksheet.column_dimensions[openpyxl.utils.get_column_letter(index + 1)].width = width
        worksheet.freeze_panes = "A2"
        for row in tab.rows:
            worksheet.append(row)
    workbook.save(path)


def person_edits(path: Path, share: float, new_rows: int) -> int:
    """A person moves ``share`` of the open tickets to the next status and types ``new_rows`` new rows."""
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook.worksheets[0]
    columns = {cell.value: cell.column for cell in worksheet[1] if cell.value}
    status = columns[label("status", "en")]
    moves = {"New": "Acknowledged", "Acknowledged": "Investigating", "Investigating": "Action"}
    open_rows = [row for row in range(2, worksheet.max_row + 1) if worksheet.cell(row, status).value in moves]
    wanted = max(1, round((worksheet.max_row - 1) * share))
    changed = open_rows[:: max(1, len(open_rows) // wanted)][:wanted]  # spread over the sheet
    for row in changed:
        cell = worksheet.cell(row, status)
        cell.value = moves[cell.value]
    first = worksheet.max_row + 1
    for offset in range(new_rows):
        for key, value in NEW_COMPLAINT.items():
            worksheet.cell(first + offset, columns[label(key, "en")], value=value)
    workbook.save(path)
    return len(changed)


# -- cycles --------------------------------------------------------------------------------------------------

class Case:
    """A workbook file and its state store, copied afresh from a saved pair before every run."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory / name
        self.path = self.directory / "desk.xlsx"
        self.state = self.directory / "state"

    def save_from(self, path: Path, state: Path) -> Case:
        self.directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, self.directory / "saved.xlsx")
        (self.directory / "saved-state").mkdir(exist_ok=True)
        if state.exists():
            shutil.copytree(state, self.directory / "saved-state", dirs_exist_ok=True)
        return self

    def reset(self, work: Path) -> None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copy(self.directory / "saved.xlsx", work / "desk.xlsx")
        shutil.copytree(self.directory / "saved-state", work / "state")


def cold_cycle(work: Path, now: datetime, timings: dict[str, float] | None = None, cells_only: bool = False):
    """One cycle on a fresh Desk over ``work``/desk.xlsx, like ``sheetdesk run --once``.

    ``cells_only`` runs it without the Dashboard and asserts that what it writes is cells only (the patch path).
    """
    state = StateStore(work / "state")
    try:
        backend = XlsxBackend(work / "desk.xlsx", backup_dir=work / "state" / "backups")
        if cells_only:
            _require_cells_only(backend)
        if timings is not None:
            _time_backend(backend, timings)
        return Desk(backend, state, DeskSettings(dashboard=not cells_only)).cycle(now)
    finally:
        state.close()


def _require_cells_only(backend: XlsxBackend) -> None:
    apply = backend.apply

    def checked(changes, snapshot):
        assert not changes.tabs and changes.formatting is None, "the cells-only cycle wrote more than cells"
        return apply(changes, snapshot)

    backend.apply = checked


def _cut_to_cells(backend: XlsxBackend) -> None:
    """Make ``backend`` write only the cells of each change set (no generated tabs, no formatting)."""
    apply = backend.apply

    def cells_only(changes, snapshot):
        changes.tabs, changes.formatting = {}, None
        return apply(changes, snapshot)

    backend.apply = cells_only


def _refuse_streaming() -> None:
    """Make the package writer refuse every write, so the backend falls back to openpyxl."""
    from sync.backends.xlsx import backend as xlsx_backend
    from sync.backends.xlsx.patch import PatchRefused

    def refuse(*arguments):
        raise PatchRefused("refused for the benchmark")

    xlsx_backend.write_package = refuse


def _time_backend(backend: XlsxBackend, timings: dict[str, float]) -> None:
    for name in ("read", "apply"):
        method = getattr(backend, name)

        def timed(*args, _method=method, _name=name):
            started = time.perf_counter()
            try:
                return _method(*args)
            finally:
                timings[_name] = timings.get(_name, 0.0) + time.perf_counter() - started

        setattr(backend, name, timed)


def baseline(path: Path, work: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    workbook.save(work / "plain.xlsx")


def prepare_cases(rows: int, directory: Path) -> tuple[Case, Case, Case, dict]:
    """Build the workbook as ``sheetdesk init`` leaves it (fresh), the filled one with a person's edit on it
    (writing), and the one after the writing cycle (unchanged)."""
    facts = {}
    started = time.perf_counter()
    first = directory / "first"
    first.mkdir()
    write_xlsx(template_spec(rows), first / "desk.xlsx")
    facts["build_seconds"] = time.perf_counter() - started
    fresh = Case(directory, "fresh").save_from(first / "desk.xlsx", first / "state")
    report = cold_cycle(first, NOW)
    facts["first_cycle"] = {"seconds": report.duration_seconds, "cells": report.cells_written,
                            "problem_rows": report.problem_rows}
    facts["changed_status"] = person_edits(first / "desk.xlsx", 0.01, NEW_ROWS)
    facts["new_rows"] = NEW_ROWS
    writing = Case(directory, "writing").save_from(first / "desk.xlsx", first / "state")
    after = directory / "after"
    writing.reset(after)
    cold_cycle(after, EDITED_AT)
    unchanged = Case(directory, "unchanged").save_from(after / "desk.xlsx", after / "state")
    facts["file_mb"] = round((writing.directory / "saved.xlsx").stat().st_size / 1e6, 2)
    return writing, unchanged, fresh, facts


def measure_speed(rows: int, repeats: int, directory: Path, profile: bool) -> dict:
    """Every case, its baseline and its floors, interleaved: one run of each per round, ``repeats`` rounds."""
    writing, unchanged, fresh, facts = prepare_cases(rows, directory)
    work = directory / "work"
    saved = writing.directory / "saved.xlsx"
    reports: dict[str, list] = {"write": [], "cells": [], "unchanged": [], "first": []}
    splits: dict[str, list] = {"write": [], "cells": []}

    def cycle(name: str, reset: Case, cells_only: bool = False) -> Step:
        def run():
            timings: dict[str, float] = {}
            reports[name].append(cold_cycle(work, EDITED_AT, timings, cells_only=cells_only))
            splits.setdefault(name, []).append(timings)
        return run, lambda: reset.reset(work)

    def unchanged_run():
        before = (work / "desk.xlsx").stat().st_mtime_ns
        reports["unchanged"].append(cold_cycle(work, EDITED_AT))
        assert (work / "desk.xlsx").stat().st_mtime_ns == before, "the unchanged cycle saved the workbook"

    def first_run():
        reports["first"].append(cold_cycle(work, NOW))

    spreads = interleaved({
        "baseline": (lambda: baseline(saved, directory), None),
        "read_floor": (lambda: calamine_read(saved), None),
        "write_floor": (lambda: (calamine_read(saved), zip_copy(saved, directory / "copy.xlsx")), None),
        "write": cycle("write", writing),
        "cells": cycle("cells", writing, cells_only=True),
        "unchanged": (unchanged_run, lambda: unchanged.reset(work)),
        "first": (first_run, lambda: fresh.reset(work)),
    }, repeats)
    assert all(report.wrote for report in reports["write"] + reports["cells"] + reports["first"]), "a cycle did not write"
    assert not any(report.wrote or report.cells_written for report in reports["unchanged"]), "nothing should be written"
    result = {
        "rows": rows, **facts, "repeats": repeats, "load_average": load_now(),
        "spreads": {name: spread.as_dict() for name, spread in spreads.items()},
        "write_cells": reports["write"][0].cells_written, "cells_written": reports["cells"][0].cells_written,
        "first_cells": reports["first"][0].cells_written,
        "write_split_seconds": _median_split(splits["write"], spreads["write"].median),
        "cells_split_seconds": _median_split(splits["cells"], spreads["cells"].median),
    }
    result["_spreads"] = spreads
    if profile:
        result["profiles"] = {
            "write": _profile(lambda: cold_cycle(work, EDITED_AT), lambda: writing.reset(work)),
            "unchanged": _profile(lambda: cold_cycle(work, EDITED_AT), lambda: unchanged.reset(work)),
            "cells only": _profile(lambda: cold_cycle(work, EDITED_AT, cells_only=True), lambda: writing.reset(work)),
            "first fill": _profile(lambda: cold_cycle(work, NOW), lambda: fresh.reset(work)),
        }
    return result


def _median_split(splits: list[dict[str, float]], total: float) -> dict[str, float]:
    """The median of each backend step over the runs, and the rest of ``total`` as ``engine``."""
    split = {key: sorted(timings[key] for timings in splits)[len(splits) // 2] for key in splits[0]}
    split["engine"] = total - sum(split.values())
    return split


def _profile(run, prepare, lines: int = 30) -> str:
    prepare()
    profiler = cProfile.Profile()
    profiler.runcall(run)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(lines)
    return text.getvalue()


# -- memory --------------------------------------------------------------------------------------------------

MEMORY_MODES = ("first", "cells")
MEMORY_CASES = {
    "first": "peak memory, first fill (every cell, new tabs, colours)",
    "cells": "peak memory, the same cycle cut to its cells",
    "openpyxl": "peak memory, first fill through the openpyxl fallback",
}


def measure_memory(rows: int, directory: Path, modes: tuple[str, ...] = MEMORY_MODES) -> dict:
    """Peak RSS of one writing cycle over ``rows`` tickets (computed columns empty), each mode in a child process:
    ``first``, the cycle as it comes (every computed cell, the Dashboard and Rule check tabs, colours and
    drop-downs to write); ``cells``, the same cycle cut to its cell writes; ``openpyxl``, the first as the
    fallback writes it (the package writer made to refuse), for comparison.
    """
    work = directory / "big"
    work.mkdir()
    started = time.perf_counter()
    write_fast(template_spec(rows), work / "saved.xlsx")
    built = time.perf_counter() - started
    size = (work / "saved.xlsx").stat().st_size
    result = {"rows": rows, "file_mb": round(size / 1e6, 2), "build_seconds": built}
    for mode in modes:
        shutil.rmtree(work / "state", ignore_errors=True)
        shutil.copy(work / "saved.xlsx", work / "desk.xlsx")
        child = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(work), "--memory-mode", mode],
            capture_output=True, text=True, check=True,
        )
        peak_kb, seconds, cells = child.stdout.split()
        result[mode] = {"cycle_seconds": float(seconds), "cells_written": int(cells), "peak_rss_mb": int(peak_kb) / 1024}
    return result


def memory_child(work: Path, mode: str) -> None:
    state = StateStore(work / "state")
    try:
        backend = XlsxBackend(work / "desk.xlsx", backup_dir=work / "state" / "backups")
        if mode == "cells":
            _cut_to_cells(backend)
        if mode == "openpyxl":
            _refuse_streaming()
        report = Desk(backend, state, DeskSettings(dashboard=mode != "cells")).cycle(NOW)
    finally:
        state.close()
    assert report.wrote
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(peak, report.duration_seconds, report.cells_written)


# -- report --------------------------------------------------------------------------------------------------

CASES = (  # name, description, floor, budget
    ("write", "(a) cycle that writes", "write_floor", WRITE_BUDGET),
    ("cells", "(a') cycle that writes cells only", "write_floor", WRITE_BUDGET),
    ("unchanged", "(b) cycle with nothing to write, after a person's save", "read_floor", UNCHANGED_BUDGET),
    ("first", "(c) first fill of an existing sheet", "write_floor", WRITE_BUDGET),
)


def table(speed: dict, memory: dict | None) -> str:
    spreads: dict[str, Spread] = speed["_spreads"]
    base = spreads["baseline"]
    rows = [
        ["baseline: openpyxl load + save", f"{speed['rows']:,}", base.text(), "1.00×", base.times(spreads["write_floor"]), "—", ""],
        ["read floor: python-calamine read", f"{speed['rows']:,}", spreads["read_floor"].text(),
         spreads["read_floor"].times(base), "1.00×", "—", ""],
        ["write floor: calamine read + zip copy", f"{speed['rows']:,}", spreads["write_floor"].text(),
         spreads["write_floor"].times(base), "1.00×", "—", ""],
    ]
    for name, case, floor, budget in CASES:
        spread = spreads[name]
        rows.append([case, f"{speed['rows']:,}", spread.text(), spread.times(base), spread.times(spreads[floor]),
                     f"≤ {budget}×", _verdict(spread.median / base.median <= budget)])
    for mode, case in MEMORY_CASES.items():
        if memory and mode in memory:
            peak = memory[mode]["peak_rss_mb"]
            rows.append([case, f"{memory['rows']:,}", f"{peak:.0f} MB RSS, {memory[mode]['cycle_seconds']:.1f} s", "", "",
                         f"< {MEMORY_BUDGET_MB} MB", _verdict(peak < MEMORY_BUDGET_MB)])
    return markdown_table(["case", "tickets", "median (min–max)", "× baseline", "× floor", "budget", ""], rows)


def _verdict(ok: bool) -> str:
    return "ok" if ok else "**over budget**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000, help="tickets for the memory case; 0 skips it")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="add cProfile listings of both cycles")
    parser.add_argument("--memory-modes", default=",".join(MEMORY_MODES),
                        help="which writing cycles to measure memory for: first, cells, openpyxl (comma-separated)")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-mode", default="first", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.memory_child:
        memory_child(arguments.memory_child, arguments.memory_mode)
        return
    modes = tuple(mode for mode in arguments.memory_modes.split(",") if mode)
    with tempfile.TemporaryDirectory(prefix="bench-xlsx-") as directory:
        speed = measure_speed(arguments.rows, arguments.repeats, Path(directory), arguments.profile)
        memory = measure_memory(arguments.big, Path(directory), modes) if arguments.big else None
    profiles = speed.pop("profiles", None)
    printable = dict(speed)
    speed.pop("_spreads")
    path = write_results("xlsx", {"speed": speed, "memory": memory, "profiles": profiles})
    print(table(printable, memory))
    print(f"\nload average while measuring: {printable['load_average']} on {os.cpu_count()} CPUs")
    split = speed["write_split_seconds"]
    print(f"\n(a) split: read {split['read']:.2f} s · engine {split['engine']:.2f} s · apply {split['apply']:.2f} s; "
          f"{speed['write_cells']:,} cells written, {speed['changed_status']} status changes, "
          f"{speed['new_rows']} new rows; file {speed['file_mb']} MB")
    split = speed["cells_split_seconds"]
    print(f"(a') split: read {split['read']:.2f} s · engine {split['engine']:.2f} s · apply {split['apply']:.2f} s; "
          f"{speed['cells_written']:,} cells written")
    if profiles:
        for name, listing in profiles.items():
            print(f"\n## profile: {name} cycle\n```\n{listing}```")
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
