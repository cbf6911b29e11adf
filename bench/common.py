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


def median_seconds(run: Callable[[], Any], repeats: int, prepare: Callable[[], Any] | None = None) -> float:
    """Return the median wall time of ``run()`` over ``repeats`` runs; ``prepare()`` runs untimed before each."""
    times = []
    for _ in range(repeats):
        if prepare is not None:
            prepare()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


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
