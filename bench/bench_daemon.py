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
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_xlsx import NOW, baseline, template_spec  # noqa: E402
from bench.common import markdown_table, median_seconds, write_results  # noqa: E402
from mailers import Ledger, Mailroom, MailSettings, ReminderSettings, build_transport  # noqa: E402
from sync.backends.xlsx.backend import XlsxBackend  # noqa: E402
from sync.backends.xlsx.writer import write_xlsx  # noqa: E402
from sync.engine import Desk, DeskSettings  # noqa: E402
from sync.state import StateStore  # noqa: E402

BUDGET = 0.1


def daemon_desk(directory: Path) -> Desk:
    """A desk as the daemon builds it: xlsx backend, state store, an outbox mailroom."""
    state = StateStore(directory / "state")
    mail = MailSettings(outbox_dir=str(directory / "outbox"))
    reminders = ReminderSettings(admin_email="admin@example.com")
    mailroom = Mailroom(reminders, mail, Ledger(state.path), build_transport(mail))
    return Desk(XlsxBackend(directory / "desk.xlsx"), state, DeskSettings(remember=False), mailroom=mailroom)


def measure(rows: int, repeats: int, directory: Path) -> dict:
    write_xlsx(template_spec(rows), directory / "desk.xlsx")
    desk = daemon_desk(directory)
    desk.cycle(NOW)  # fills every computed column and sends the first-run mail
    desk.cycle(NOW)
    plain = median_seconds(lambda: baseline(directory / "desk.xlsx", directory), repeats)

    def forget() -> None:
        state = StateStore(directory / "state")
        state.put_blob("settled", None)
        state.close()

    def cold_full() -> None:
        report = Desk(XlsxBackend(directory / "desk.xlsx"), StateStore(directory / "state")).cycle(NOW)
        assert report.cells_written == 0 and not report.quiet

    def cold_quiet() -> None:
        report = Desk(XlsxBackend(directory / "desk.xlsx"), StateStore(directory / "state")).cycle(NOW)
        assert report.cells_written == 0 and report.quiet

    def touch() -> None:  # a person saves the file unchanged: the next cycle must look again
        (directory / "desk.xlsx").touch()

    def full() -> None:
        report = desk.cycle(NOW)
        assert report.cells_written == 0 and not report.quiet, report

    def quiet() -> None:
        report = desk.cycle(NOW)
        assert report.quiet and report.cells_written == 0, report

    cases = {
        "once_full": median_seconds(cold_full, repeats, prepare=forget),
        "once_quiet": median_seconds(cold_quiet, repeats),
        "daemon_full": median_seconds(full, repeats, prepare=touch),
        "daemon_quiet": median_seconds(quiet, repeats),
    }
    results = {"rows": rows, "repeats": repeats, "baseline_seconds": plain}
    for name, seconds in cases.items():
        results[f"{name}_seconds"] = seconds
        results[f"{name}_ratio"] = seconds / plain
    return results


def table(results: dict) -> str:
    def row(name: str, seconds: float, ratio: float | None, verdict: str) -> list:
        return [name, f"{seconds:.2f} s", "1.00×" if ratio is None else f"{ratio:.3f}×", verdict]

    budget = f"≤ {BUDGET}×"
    names = {
        "once_full": "`run --once`: full cycle (nothing remembered)",
        "once_quiet": "`run --once`: quiet cycle (remembered, mail only)",
        "daemon_full": "daemon: full cycle after a save",
        "daemon_quiet": "daemon: quiet cycle (mail only)",
    }
    rows = [row("baseline: openpyxl load + save", results["baseline_seconds"], None, "")]
    for key, name in names.items():
        ratio = results[f"{key}_ratio"]
        rows.append(row(name, results[f"{key}_seconds"], ratio, "ok" if ratio <= BUDGET else "over"))
    return markdown_table(
        [f"case ({results['rows']:,} tickets, nothing to write)", "median", "vs baseline", f"budget {budget}"], rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sheetdesk-bench-") as directory:
        results = measure(arguments.rows, arguments.repeats, Path(directory))
    print(table(results))
    path = write_results("daemon", results)
    print(f"\n({time.perf_counter() - started:.0f} s in all; written {path})")


if __name__ == "__main__":
    main()
