"""A writer killed at any moment leaves the workbook whole: the old version or the new one (issue #2, DESIGN §6).

Each trial starts a real process that keeps rewriting a 2 000-row workbook through XlsxBackend, every write
changing two computed columns on every row to the next generation number, and kills it with SIGKILL at a random
point (seeded) spread over the read, load, save, fsync, backup and replace of its first write and into the next.
The point is measured in the writer's own CPU time, so a busy machine does not shift it. The workbook must then
open in both openpyxl and python-calamine, hold every row, and carry one generation throughout: the last one the
writer reported, or the one it was writing. Also: rotating backups, stale temporary files, permissions.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sync.backends.port import CellWrite, ChangeSet, RowRef
from sync.backends.xlsx.backend import XlsxBackend
from tickets import label

ROWS = 2000
TRIALS = 20
PARALLEL = 2
SEED = 20261123
PROJECT = Path(__file__).resolve().parents[4]
HEADER = [label(key, "en") for key in ("ticket_id", "received", "customer", "product", "status", "description",
                                        "grade", "similar_7d", "check")]
GENERATION_COLUMN = HEADER.index("Similar 7d")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Imports once, then forks one writer per path read from stdin and prints its pid: a trial costs a fork,
# not a Python start-up. Each writer logs the generations it has written to progress.log beside the workbook.
WRITERS = """
import os, signal, sys
from pathlib import Path
import openpyxl, python_calamine, tickets  # what the backend imports on first use
from sync.backends.xlsx.backend import XlsxBackend
from tests.sync.backends.xlsx.test_xlsx_crash import next_generation

def write_forever(path):
    backend = XlsxBackend(path, backup_dir=path.parent / "backups", backups=2)
    with open(path.parent / "progress.log", "a", buffering=1) as progress:
        generation = 0
        while True:
            generation += 1
            snapshot = backend.read()
            backend.apply(next_generation(snapshot, generation), snapshot)
            progress.write(f"wrote {generation}\\n")

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed writers are reaped at once
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            write_forever(Path(line.strip()))
        finally:
            os._exit(1)
    print(pid, flush=True)
"""


def next_generation(snapshot, generation: int) -> ChangeSet:
    """Every row's computed columns set to ``generation`` (shared with the writer process)."""
    rows = snapshot.sheets["Tickets"].rows
    changes = ChangeSet("Tickets", columns={"ticket_id": 0, "similar_7d": GENERATION_COLUMN, "check": 8})
    for index in range(1, len(rows)):
        reference = RowRef(index, rows[index][0])
        changes.cells.append(CellWrite(reference, "similar_7d", generation))
        changes.cells.append(CellWrite(reference, "check", f"generation {generation}"))
    return changes


def write_desk(path: Path, rows: int = ROWS) -> Path:
    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet("Tickets")
    worksheet.append(HEADER)
    start = datetime(2026, 11, 1, 9, 0)
    for number in range(1, rows + 1):
        worksheet.append([f"CS-20261101-{number:04d}", start + timedelta(minutes=number), f"Customer {number % 97}",
                          "Cold-chain box", "Investigating", f"Complaint number {number}", "Minor", 0, None])
    workbook.save(path)
    return path


@dataclass
class Trial:
    directory: Path
    cpu: float  # the writer is killed once it has used this many CPU seconds
    reported: int = 0  # the last generation the writer said it had written

    @property
    def path(self) -> Path:
        return self.directory / "desk.xlsx"


@pytest.fixture
def writers():
    """The process that forks writers: ``start(path)`` returns a new writer's pid."""
    process = subprocess.Popen(
        [sys.executable, "-c", WRITERS], cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )

    def start(path: Path) -> int:
        process.stdin.write(f"{path}\n")
        process.stdin.flush()
        return int(process.stdout.readline())

    yield start
    process.stdin.close()
    process.wait(timeout=30)


def wait_until_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"writer {pid} outlived SIGKILL")


def cpu_seconds(pid: int) -> float:
    """The CPU time ``pid`` has used: a measure of its progress that other work on the machine does not skew."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def kill_at(pid: int, cpu: float, path: Path) -> bool:
    """Kill ``pid`` with SIGKILL once it has used ``cpu`` seconds; return False while it has not yet."""
    try:
        if cpu_seconds(pid) < cpu:
            return False
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, FileNotFoundError):
        raise AssertionError(f"the writer for {path} died on its own (see its traceback)") from None
    return True


def run_batch(trials: list[Trial], start) -> None:
    """Start a writer per trial at once, and kill each with SIGKILL when it has used its share of CPU time."""
    running = {start(trial.path): trial for trial in trials}
    pids = list(running)
    while running:
        for pid, trial in list(running.items()):
            if kill_at(pid, trial.cpu, trial.path):
                del running[pid]
        time.sleep(0.005)
    for pid in pids:
        wait_until_gone(pid)
    for trial in trials:
        log = trial.directory / "progress.log"
        written = [int(line.split()[1]) for line in log.read_text().splitlines()] if log.exists() else []
        trial.reported = max(written, default=0)


def generation_in(path: Path, count: int = ROWS) -> int:
    """The one generation the whole workbook carries; fail if it is torn, short or unreadable."""
    rows = list(openpyxl.load_workbook(path, read_only=True)["Tickets"].iter_rows(values_only=True))
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Tickets").to_python()
    assert len(rows) == len(calamine) == count + 1
    assert [row[0] for row in rows[1:]] == [f"CS-20261101-{number:04d}" for number in range(1, count + 1)]
    generations = {row[GENERATION_COLUMN] for row in rows[1:]}
    assert len(generations) == 1, f"a torn workbook: generations {sorted(generations)[:5]}"
    (generation,) = generations
    assert {int(row[GENERATION_COLUMN]) for row in calamine[1:]} == {generation}
    return generation


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    """A fresh 2 000-row workbook at generation 0, to copy."""
    return write_desk(tmp_path_factory.mktemp("original") / "desk.xlsx")


def first_write_cpu(directory: Path, start) -> float:
    """The CPU seconds a forked writer needs for its first write."""
    began = time.perf_counter()
    pid = start(directory / "desk.xlsx")
    log = directory / "progress.log"
    used = 0.0
    while not (log.exists() and log.read_text()):
        used = cpu_seconds(pid)
        time.sleep(0.002)
        assert time.perf_counter() - began < 60, "the calibration writer never wrote"
    os.kill(pid, signal.SIGKILL)
    wait_until_gone(pid)
    return used


def test_a_writer_killed_at_random_moments_leaves_the_old_or_the_new_workbook(tmp_path, original, writers):
    calibration = tmp_path / "calibration"
    calibration.mkdir()
    shutil.copy(original, calibration / "desk.xlsx")
    cpu = first_write_cpu(calibration, writers)
    spread = random.Random(SEED)
    trials = []
    for number in range(TRIALS):
        directory = tmp_path / f"trial{number:02d}"
        directory.mkdir()
        shutil.copy(original, directory / "desk.xlsx")
        trials.append(Trial(directory, spread.uniform(0.05, 1.6) * cpu))  # across the first write, into the next
    for first in range(0, TRIALS, PARALLEL):
        run_batch(trials[first:first + PARALLEL], writers)

    checked: dict[bytes, int] = {}  # a file identical to one already checked is not parsed again
    for trial in trials:
        digest = hashlib.sha256(trial.path.read_bytes()).digest()
        generation = checked.setdefault(digest, generation_in(trial.path)) if digest not in checked else checked[digest]
        assert generation in (trial.reported, trial.reported + 1), (trial.cpu, trial.reported, generation)
        for backup in (trial.directory / "backups").glob("*.xlsx"):
            assert len(CalamineWorkbook.from_path(str(backup)).get_sheet_by_name("Tickets").to_python()) == ROWS + 1
    outcomes = [(trial.reported, checked[hashlib.sha256(trial.path.read_bytes()).digest()]) for trial in trials]
    seen = sorted((round(trial.cpu / cpu, 2), outcome) for trial, outcome in zip(trials, outcomes, strict=True))
    assert any(generation == 0 for _, generation in outcomes), f"no kill came before the first replace: {seen}"
    assert any(generation > 0 for _, generation in outcomes), f"no kill came after a completed write: {seen}"


def test_the_next_write_clears_temporary_files_a_killed_writer_left(tmp_path, original):
    path = tmp_path / "desk.xlsx"
    shutil.copy(original, path)
    stale = [tmp_path / ".desk.k1ll3d.tmp.xlsx", tmp_path / ".desk.h4lf.tmp.xlsx"]
    stale[0].write_bytes(b"PK\x03\x04 half a zip")
    stale[1].write_bytes(b"")
    unrelated = tmp_path / ".other.k1ll3d.tmp.xlsx"
    unrelated.write_bytes(b"")
    backend = XlsxBackend(path)
    snapshot = backend.read()
    assert generation_in(path) == 0  # the temporaries are never read as the workbook
    backend.apply(next_generation(snapshot, 1), snapshot)
    assert generation_in(path) == 1
    assert not any(file.exists() for file in stale)
    assert unrelated.exists()
    assert not list(tmp_path.glob(".desk.*.tmp.xlsx"))


def test_a_write_keeps_the_workbooks_permissions(tmp_path, original):
    path = tmp_path / "desk.xlsx"
    shutil.copy(original, path)
    path.chmod(0o664)  # shared with the team
    backend = XlsxBackend(path)
    snapshot = backend.read()
    backend.apply(next_generation(snapshot, 1), snapshot)
    assert path.stat().st_mode & 0o777 == 0o664


def test_backups_rotate_and_the_newest_is_the_version_before_the_last_write(tmp_path):
    path = write_desk(tmp_path / "desk.xlsx", rows=40)
    backup_dir = tmp_path / "backups"
    backend = XlsxBackend(path, backup_dir=backup_dir, backups=3)
    versions = []
    for generation in range(1, 3 + 2 + 1):  # N + 2 writes
        versions.append(path.read_bytes())
        snapshot = backend.read()
        backend.apply(next_generation(snapshot, generation), snapshot)
    kept = sorted(backup_dir.iterdir())
    assert len(kept) == 3 and all(backup.suffix == ".xlsx" for backup in kept)
    assert [backup.read_bytes() for backup in kept] == versions[-3:]
    assert generation_in(kept[-1], 40) == 4 and generation_in(path, 40) == 5
