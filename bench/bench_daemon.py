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

With ``--before PATH`` (a checkout of earlier code, e.g. ``git worktree add --detach /tmp/before <commit>``), the
same cases run on that code too, in the same rounds: its in-process cases in a child process that imports it (over
its own copy of the workbook and state), its whole-process cases as its own ``sheetdesk run --once``.

Run: ``.venv/bin/python bench/bench_daemon.py [--rows 10000] [--repeats 5] [--before PATH]``.
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
    Measured,
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


def run_once_process(directory: Path, root: Path = ROOT) -> None:
    """``sheetdesk run --once`` as its own process (interpreter start and imports included), at the bench's NOW,
    with the code at ``root``."""
    subprocess.run(
        [sys.executable, "-m", "sync.service.cli", "run", "--once", "--config", str(directory / "config.toml"),
         "--now", NOW.replace(tzinfo=None).isoformat(timespec="minutes")],
        check=True, cwd=directory, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True,
    )


# The in-process cases as earlier code runs them: a child process with that code on its path, told a case's name
# per line, answering with the seconds the case took (its own settling cycles run first).
EARLIER_RUNNER = """
import sys, time
from pathlib import Path
from bench.bench_daemon import daemon_desk
from bench.bench_xlsx import NOW
from sync.backends.xlsx.backend import XlsxBackend
from sync.engine import Desk
from sync.state import StateStore

directory = Path(sys.argv[1])
path = directory / "desk.xlsx"
desk = daemon_desk(directory)
for _ in range(3):
    if not desk.cycle(NOW).wrote:
        break


def cold():
    state = StateStore(directory / "state")
    try:
        assert Desk(XlsxBackend(path), state).cycle(NOW).cells_written == 0
    finally:
        state.close()


def forget():
    state = StateStore(directory / "state")
    state.put_blob("settled", None)
    state.close()


def daemon():
    assert desk.cycle(NOW).cells_written == 0


CASES = {"once_forgotten": (forget, cold), "once_after_save": (path.touch, cold), "once_quiet": (None, cold),
         "daemon_after_save": (path.touch, daemon), "daemon_quiet": (None, daemon)}
print("ready", flush=True)
for line in sys.stdin:
    prepare, run = CASES[line.strip()]
    if prepare is not None:
        prepare()
    started = time.perf_counter()
    run()
    print(time.perf_counter() - started, flush=True)
"""
EARLIER_CASES = ("once_forgotten", "once_after_save", "once_quiet", "daemon_after_save", "daemon_quiet")


class Earlier:
    """Earlier code (a checkout at ``root``) over its own copy of ``workbook`` in ``directory``: its in-process
    cases in a child process, its whole-process cases as its own ``run --once``."""

    def __init__(self, root: Path, directory: Path, workbook: Path) -> None:
        self.root, self.directory = root, directory
        directory.mkdir()
        shutil.copy(workbook, directory / "desk.xlsx")
        (directory / "config.toml").write_text(CONFIG)
        self.child = subprocess.Popen([sys.executable, "-c", EARLIER_RUNNER, str(directory)], cwd=root, text=True,
                                      env={**os.environ, "PYTHONPATH": str(root)}, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE)
        assert self.child.stdout.readline().strip() == "ready", "the earlier code could not settle its workbook"

    def case(self, name: str):
        def run() -> Measured:
            self.child.stdin.write(name + "\n")
            self.child.stdin.flush()
            return Measured(self.child.stdout.readline())
        return run

    def process(self) -> None:
        run_once_process(self.directory, self.root)

    def touch(self) -> None:
        (self.directory / "desk.xlsx").touch()

    def saved_then_settled(self) -> None:
        self.touch()
        self.process()

    def close(self) -> None:
        self.child.stdin.close()
        self.child.wait(timeout=60)


def read_process(path: Path) -> None:
    """The whole-process floor: a Python process that reads the workbook with python-calamine and exits."""
    subprocess.run([sys.executable, "-c", READ_PROCESS, str(path)], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


def measure(rows: int, repeats: int, directory: Path, before: Path | None = None) -> dict:
    write_xlsx(template_spec(rows), directory / "desk.xlsx")
    earlier = Earlier(before, directory / "before", directory / "desk.xlsx") if before is not None else None
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

    cases = {
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
    }
    if earlier is not None:
        cases.update({f"before_{name}": (earlier.case(name), None) for name in EARLIER_CASES})
        cases["before_process_after_save"] = (earlier.process, earlier.touch)
        cases["before_process_quiet"] = (earlier.process, earlier.saved_then_settled)
    try:
        spreads = interleaved(cases, repeats)
    finally:
        if earlier is not None:
            earlier.close()
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
        budget = WRITE_BUDGET if key == "daemon_after_edit" else BUDGET
        for label, case in ((name, key), (f"before: {name}", f"before_{key}")):
            spread = spreads.get(case)
            if spread is not None:
                rows.append([label, spread.text(), spread.times(base), spread.times(spreads[floor]),
                             f"≤ {budget}×: " + ("ok" if spread.median / base.median <= budget else "over")])
    return markdown_table(
        [f"case ({results['rows']:,} tickets)", "median (min–max)", "× baseline", "× floor", "budget"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", type=Path, help="a checkout of earlier code: its cases run in the same rounds")
    arguments = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sheetdesk-bench-") as directory:
        results = measure(arguments.rows, arguments.repeats, Path(directory), arguments.before)
    print(table(results))
    print(f"\nload average while measuring: {results['load_average']} on {os.cpu_count()} CPUs")
    print("quiet (mail only) per run: " + "; ".join(f"{name} {seen}" for name, seen in results["quiet"].items()))
    results.pop("_spreads")
    path = write_results("daemon", results)
    print(f"\n({time.perf_counter() - started:.0f} s in all; written {path})")


if __name__ == "__main__":
    main()
