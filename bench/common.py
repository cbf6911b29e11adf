"""Small helpers the benchmarks share: timing, the machine they ran on, a Markdown table, the results file."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    """What the numbers were measured on: they only compare with numbers from the same machine."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Write ``results`` (with the machine) to bench/results/<name>.json and return the path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **results}, indent=2, default=str) + "\n")
    return path


# -- spreads, interleaved runs and floors ----------------------------------------------------------------------


class Spread:
    """The wall times of one case over several runs: median, min and max."""

    def __init__(self, seconds: Sequence[float]) -> None:
        self.seconds = sorted(seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def low(self) -> float:
        return self.seconds[0]

    @property
    def high(self) -> float:
        return self.seconds[-1]

    def text(self) -> str:
        """``"2.84 s (2.71–3.02)"``: the median, then min–max."""
        return f"{self.median:.2f} s ({self.low:.2f}–{self.high:.2f})"

    def times(self, reference: Spread) -> str:
        """This case's median as a multiple of ``reference``'s median: ``"0.35×"``."""
        ratio = self.median / reference.median
        return f"{ratio:.3f}×" if ratio < 0.1 else f"{ratio:.2f}×"

    def as_dict(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.low, "max": self.high, "runs": self.seconds}


Step = tuple[Callable[[], Any], Callable[[], Any] | None]  # (run, prepare-or-None)


class Measured(float):
    """Seconds a case measured itself (in another process, say): ``interleaved`` takes them as the case's time."""


def interleaved(cases: dict[str, Step], repeats: int) -> dict[str, Spread]:
    """Time every case ``repeats`` times, one run of each case per round, so a noisy minute on a shared machine
    falls on every case alike rather than on one. ``prepare`` runs untimed before its case's run; a run that
    returns ``Measured`` seconds is taken at its word."""
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, (run, prepare) in cases.items():
            if prepare is not None:
                prepare()
            started = time.perf_counter()
            result = run()
            elapsed = time.perf_counter() - started
            seconds[name].append(float(result) if isinstance(result, Measured) else elapsed)
    return {name: Spread(values) for name, values in seconds.items()}


def calamine_read(path: Path) -> int:
    """The read floor: every sheet's values read with python-calamine, as fast as a reader of .xlsx gets here.

    Return the number of cells read (so the work cannot be skipped)."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    return sum(len(row) for name in workbook.sheet_names for row in workbook.get_sheet_by_name(name).to_python())


def zip_copy(source: Path, target: Path) -> None:
    """The write floor: every member of the package inflated and deflated again into a new file, fsynced —
    what any writer of the whole file pays, whatever it changes."""
    import zipfile

    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in archive.infolist():
            copy.writestr(info, archive.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    with open(target, "rb+") as written:
        os.fsync(written.fileno())


def load_now() -> str:
    """The machine's load average (1, 5, 15 min) right now, for the report: others' work slows every case."""
    return ", ".join(f"{value:.1f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
