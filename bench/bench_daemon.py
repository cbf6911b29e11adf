"""Benchmark: the daemon's steady state over an unchanged 10 000-ticket workbook (DESIGN §8).

The budget "a cycle with nothing to write ≤ 0.1× a plain openpyxl load + save" is about the cycles a running
daemon repeats every few minutes. This measures, in one run and against the same baseline:

- **run --once, full**: a fresh Desk over the unchanged workbook with nothing remembered (what a `run --once`
  process pays after a person saved the file);
- **run --once, quiet**: a fresh Desk that finds the last cycle's result in the state store, the workbook's bytes
  unchanged and nothing fallen due since: only the mail runs;
- **daemon, full**: the daemon's first cycle after a person saved the file (everything recomputed, in-memory
  caches warm from earlier cycles);
- **daemon, quiet**: the daemon's next cycle, nothing saved meanwhile and nothing fallen due: the workbook's
  fingerprint is compared and only the mail runs (an outbox mailroom is attached, as in the default config).

Every cycle runs at the same moment, so "nothing to write" holds by construction (time passing would make
tickets fall due, which is a cycle that writes).

Run: ``.venv/bin/python bench/bench_daemon.py [--rows 10000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_xlsx import NEW_ROWS, NOW, baseline, person_edits, template_spec  # noqa: E402
from bench.common import (  # noqa: E402
    calamine_read,
    interleaved,
    load_now,
    markdown_table,
    write_results,
    zip_copy,
)
from mailers import Ledger, Mailroom, MailSettings, ReminderSettings, build_transport  # noqa: E402
from sync.backends.xlsx.backend import XlsxBackend  # noqa: E402
from sync.backends.xlsx.writer import write_xlsx  # noqa: E402
from sync.engine import Desk, DeskSettings  # noqa: E402
from sync.state import StateStore  # noqa: E402

BUDGET = 0.1
WRITE_BUDGET = 1.3


def daemon_desk(directory: Path) -> Desk:
    """A desk as the daemon builds it: xlsx backend, state store, an outbox mailroom."""
    state = StateStore(directory / "state")
    mail = MailSettings(outbox_dir=str(directory / "outbox"))
    reminders = ReminderSettings(admin_email="admin@example.com")
    mailroom = Mailroom(reminders, mail, Ledger(state.path), build_transport(mail))
    return Desk(XlsxBackend(directory / "desk.xlsx"), state, DeskSettings(remember=False), mailroom=mailroom)


ROOT = Path(__file__).resolve().parents[1]
CONFIG = """[workbook]
backend = "xlsx"
path = "desk.xlsx"
backups = 0
[reminders]
admin_email = "admin@example.com"
[mail]
transport = "outbox"
outbox_dir = "outbox"
[state]
dir = "state"
"""
READ_PROCESS = "import sys; from bench.common import calamine_read; calamine_read(sys.argv[1])"


def run_once_process(directory: Path) -> None:
    """``sheetdesk run --once`` as its own process (interpreter start and imports included), at the bench's NOW."""
    subprocess.run(
        [sys.executable, "-m", "sync.service.cli", "run", "--once", "--config", str(directory / "config.toml"),
         "--now", NOW.replace(tzinfo=None).isoformat(timespec="minutes")],
        check=True, cwd=directory, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
    )


def read_process(path: Path) -> None:
    """The whole-process floor: a Python process that reads the workbook with python-calamine and exits."""
    subprocess.run([sys.executable, "-c", READ_PROCESS, str(path)], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


def measure(rows: int, repeats: int, directory: Path) -> dict:
    write_xlsx(template_spec(rows), directory / "desk.xlsx")
    (directory / "config.toml").write_text(CONFIG)
    desk = daemon_desk(directory)
    for _ in range(3):  # the first fills every computed column and sends the first-run mail; then it settles
        if not desk.cycle(NOW).wrote:
            break
    path = directory / "desk.xlsx"
    edited = directory / "edited"
    edited.mkdir()
    shutil.copy(path, edited / "desk.xlsx")
    editing_desk = daemon_desk(edited)
    editing_desk.cycle(NOW)
    quiet_seen: dict[str, list[bool]] = {}

    def forget() -> None:
        state = StateStore(directory / "state")
        state.put_blob("settled", None)
        state.close()

    def cold(name: str, quiet: bool | None = None):
        def run() -> None:
            state = StateStore(directory / "state")
            try:
                report = Desk(XlsxBackend(path), state).cycle(NOW)
            finally:
                state.close()
            assert report.cells_written == 0 and quiet in (None, report.quiet), report
            quiet_seen.setdefault(name, []).append(report.quiet)
        return run

    def touch() -> None:  # a person saves the file unchanged: the next cycle must look again
        path.touch()

    def daemon(name: str, quiet: bool | None = None):
        def run() -> None:
            report = desk.cycle(NOW)
            assert report.cells_written == 0 and quiet in (None, report.quiet), report
            quiet_seen.setdefault(name, []).append(report.quiet)
        return run

    def saved_then_settled() -> None:  # the quiet process cases start from a settled result of these bytes
        touch()
        run_once_process(directory)

    def edit() -> None:  # a person moves 1 % of the tickets on and types new rows, and saves
        person_edits(edited / "desk.xlsx", 0.01, NEW_ROWS)

    def daemon_after_edit() -> None:
        assert editing_desk.cycle(NOW).wrote

    spreads = interleaved({
        "baseline": (lambda: baseline(path, directory), None),
        "read_floor": (lambda: calamine_read(path), None),
        "write_floor": (lambda: (calamine_read(path), zip_copy(path, directory / "copy.xlsx")), None),
        "process_floor": (lambda: read_process(path), None),
        "once_forgotten": (cold("once_forgotten", quiet=False), forget),
        "once_after_save": (cold("once_after_save"), touch),
        "once_quiet": (cold("once_quiet", quiet=True), None),
        "daemon_after_save": (daemon("daemon_after_save"), touch),
        "daemon_quiet": (daemon("daemon_quiet", quiet=True), None),
        "daemon_after_edit": (daemon_after_edit, edit),
        "process_after_save": (lambda: run_once_process(directory), touch),
        "process_quiet": (lambda: run_once_process(directory), saved_then_settled),
    }, repeats)
    return {"rows": rows, "repeats": repeats, "load_average": load_now(), "_spreads": spreads, "quiet": quiet_seen,
            "spreads": {name: spread.as_dict() for name, spread in spreads.items()}}


NAMES = {  # case: (description, its floor)
    "once_forgotten": ("in-process `run --once`: nothing remembered (full cycle)", "read_floor"),
    "once_after_save": ("in-process `run --once`: after a person's save that changed nothing", "read_floor"),
    "once_quiet": ("in-process `run --once`: steady state (remembered, mail only)", "read_floor"),
    "daemon_after_save": ("daemon: cycle after a person's save that changed nothing", "read_floor"),
    "daemon_quiet": ("daemon: steady state (mail only)", "read_floor"),
    "daemon_after_edit": ("daemon: cycle after a person's edit (1 % moved on, 20 new rows; writes)", "write_floor"),
    "process_after_save": ("whole process `sheetdesk run --once`: after a person's save that changed nothing",
                           "process_floor"),
    "process_quiet": ("whole process `sheetdesk run --once`: steady state", "process_floor"),
}


def table(results: dict) -> str:
    spreads = results["_spreads"]
    base = spreads["baseline"]
    rows = [
        ["baseline: openpyxl load + save", base.text(), "1.00×", "", ""],
        ["floor: python-calamine read (in process)", spreads["read_floor"].text(), spreads["read_floor"].times(base),
         "1.00×", ""],
        ["floor: calamine read + zip copy (in process)", spreads["write_floor"].text(),
         spreads["write_floor"].times(base), "1.00×", ""],
        ["floor: a process that reads with python-calamine", spreads["process_floor"].text(),
         spreads["process_floor"].times(base), "1.00×", ""],
    ]
    for key, (name, floor) in NAMES.items():
        spread = spreads[key]
        budget = WRITE_BUDGET if key == "daemon_after_edit" else BUDGET
        rows.append([name, spread.text(), spread.times(base), spread.times(spreads[floor]),
                     f"≤ {budget}×: " + ("ok" if spread.median / base.median <= budget else "over")])
    return markdown_table(
        [f"case ({results['rows']:,} tickets)", "median (min–max)", "× baseline", "× floor", "budget"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sheetdesk-bench-") as directory:
        results = measure(arguments.rows, arguments.repeats, Path(directory))
    print(table(results))
    print(f"\nload average while measuring: {results['load_average']} on {os.cpu_count()} CPUs")
    print("quiet (mail only) per run: " + "; ".join(f"{name} {seen}" for name, seen in results["quiet"].items()))
    results.pop("_spreads")
    path = write_results("daemon", results)
    print(f"\n({time.perf_counter() - started:.0f} s in all; written {path})")


if __name__ == "__main__":
    main()
