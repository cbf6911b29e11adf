"""Soak: the hostile-workbook properties and the interleaving person, run far longer than the test suite does.

The test suite runs a few seeded examples of each (tests/sync/test_hostile_properties.py,
tests/sync/test_interleaving.py) so CI stays fast; this runs many more, with fresh seeds, and reports how many
workbooks and cycles held every property, how many did not, and the time per example and per cycle:

- properties: hostile workbooks generated from the column table on the memory, xlsx and gsheets backends; each
  held if the first cycle raised nothing, changed no typed cell except by stamping a blank one, explained every
  hostile row in its Check cell, and a second cycle at the same moment wrote nothing;
- interleaving: a simulated person sorting, inserting, deleting and typing between every read and write (on
  gsheets after the re-read, just before the write) for many cycles; it held if every ticket kept its first ID
  and every typed value survived.

Each interleaving run is one seed (``--runs`` seeds from ``--seed`` on, each for its share of ``--cycles``); a run
that breaks stops there, and its failure is classed: an ID given twice, a typed value lost, a ticket whose ID
changed, a complaint that vanished, or a desk that fell behind. A failing run is reproduced with its seed alone.

Run: .venv/bin/python bench/bench_hostile_soak.py [--examples 200] [--cycles 1000] [--runs 1] [--seed N]
Writes bench/results/hostile_soak.json and prints a Markdown table for BENCHMARKS.md. Never part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402

from tests.sync import test_hostile_properties as properties  # noqa: E402
from tests.sync import test_interleaving as interleaving  # noqa: E402
from tests.sync.backends.gsheets.fake_sheets import FakeSheets  # noqa: E402
from tests.sync.hostile_workbooks import hostile_workbooks, template_tabs  # noqa: E402


def soak_properties(backend: str, examples: int, seed: int) -> dict:
    """Run ``examples`` hostile workbooks through the properties on one backend; count what held."""
    outcome = {"backend": backend, "examples": 0, "failed": 0, "first_failure": None}
    test = {"memory": properties.test_any_workbook_on_the_memory_backend,
            "xlsx": properties.test_any_workbook_in_a_real_xlsx_file,
            "gsheets": properties.test_any_workbook_in_a_google_sheet}[backend].hypothesis.inner_test
    strategy = hostile_workbooks()
    server = FakeSheets().start() if backend == "gsheets" else None

    class Patch:  # the monkeypatch fixture the gsheets test takes, outside pytest
        def setenv(self, name: str, value: str) -> None:
            os.environ[name] = value

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=("generate",))
    @given(workbook=strategy)
    def one(workbook):
        outcome["examples"] += 1
        try:
            if server is not None:
                test(workbook, server, Patch())
            else:
                test(workbook)
        except Exception as error:  # counted and reported, never hidden
            outcome["failed"] += 1
            outcome["first_failure"] = outcome["first_failure"] or f"{type(error).__name__}: {str(error)[:300]}"

    started = time.perf_counter()
    try:
        one()
    finally:
        if server is not None:
            server.stop()
    outcome["seconds"] = round(time.perf_counter() - started, 2)
    outcome["seconds_per_example"] = round(outcome["seconds"] / max(outcome["examples"], 1), 3)
    return outcome


def soak_interleaving(backend: str, cycles: int, seed: int) -> dict:
    """Let the simulated person and the desk share one workbook for ``cycles`` cycles."""
    from sync.backends.gsheets.backend import GSheetsBackend
    from sync.backends.gsheets.http import EMULATOR_VARIABLE
    from sync.backends.memory import MemoryBackend
    from sync.engine import Desk, DeskSettings
    from sync.state import StateStore

    header = template_tabs()["Tickets"][0]
    person = interleaving.Person(seed, header)
    outcome = {"backend": backend, "cycles": cycles, "held": True, "failure": None}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        state = StateStore(Path(folder) / "state")
        server = None
        try:
            if backend == "memory":
                memory = MemoryBackend(tabs=interleaving.first_workbook(person))
                sheet, desk_backend = interleaving.MemorySheet(memory), memory

                def worst_moment(action):
                    memory.before_write = lambda _: action()
            else:
                server = FakeSheets().start()
                os.environ[EMULATOR_VARIABLE] = server.url
                spreadsheet = server.create("soak", tabs=interleaving.first_workbook(person))
                sheet, desk_backend = interleaving.FakeSheet(spreadsheet), GSheetsBackend("soak", retry_budget_seconds=2)
                pending: list = []

                def worst_moment(action):
                    pending[:] = [action]
                    server.before_next("write", lambda _server: pending.pop()() if pending else None)
            desk = Desk(desk_backend, state, DeskSettings(dashboard=False))
            interleaving.run(person, sheet, desk, cycles, worst_moment)
        except AssertionError as error:
            outcome["held"], outcome["failure"] = False, str(error)[:300]
        finally:
            state.close()
            if server is not None:
                server.stop()
    outcome["seconds"] = round(time.perf_counter() - started, 2)
    outcome["milliseconds_per_cycle"] = round(1000 * outcome["seconds"] / cycles, 1)
    outcome["tickets_at_the_end"] = len(person.typed)
    return outcome


FAILURE_KINDS = (("given twice", "duplicate_ids"), ("lost", "lost_values"), ("changed its ID", "changed_ids"),
                 ("vanished", "vanished"), ("keep up", "fell_behind"))


def soak_interleaving_runs(backend: str, runs: int, cycles: int, seed: int) -> dict:
    """``runs`` interleaving runs with seeds ``seed``, ``seed + 1``…; count the runs that broke, by kind."""
    outcome: dict = {"backend": backend, "runs": runs, "cycles": 0, "failed": 0, "seconds": 0.0, "failures": [],
                     **{kind: 0 for _, kind in FAILURE_KINDS}}
    for number in range(runs):
        run = soak_interleaving(backend, cycles, seed + number)
        outcome["cycles"] += cycles
        outcome["seconds"] += run["seconds"]
        if not run["held"]:
            outcome["failed"] += 1
            outcome["failures"].append({"seed": seed + number, "failure": run["failure"]})
            kind = next((kind for text, kind in FAILURE_KINDS if text in (run["failure"] or "")), "other")
            outcome[kind] = outcome.get(kind, 0) + 1
    outcome["seconds"] = round(outcome["seconds"], 2)
    outcome["milliseconds_per_cycle"] = round(1000 * outcome["seconds"] / max(outcome["cycles"], 1), 1)
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="hostile workbooks per backend")
    parser.add_argument("--cycles", type=int, default=1000, help="interleaved cycles per backend")
    parser.add_argument("--runs", type=int, default=1, help="interleaving runs (one seed each) per backend")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--only", choices=("properties", "interleaving"), help="run one of the two soaks")
    parser.add_argument("--backends", nargs="+", default=["memory", "xlsx", "gsheets"],
                        help="backends to soak (interleaving runs on memory and gsheets)")
    arguments = parser.parse_args()
    results = {
        "seed": arguments.seed,
        "properties": [] if arguments.only == "interleaving" else [
            soak_properties(backend, max(1, arguments.examples // (1 if backend == "memory" else 4)), arguments.seed)
            for backend in ("memory", "xlsx", "gsheets") if backend in arguments.backends],
        "interleaving": [] if arguments.only == "properties" else [
            soak_interleaving_runs(backend, arguments.runs, arguments.cycles // (1 if backend == "memory" else 2),
                                   arguments.seed) for backend in ("memory", "gsheets") if backend in arguments.backends],
    }
    output = ROOT / "bench" / "results" / "hostile_soak.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2))
    print(f"seed {arguments.seed}\n")
    print("| soak | backend | runs | failed | time per run |\n|---|---|---:|---:|---:|")
    for entry in results["properties"]:
        print(f"| hostile workbooks | {entry['backend']} | {entry['examples']} | {entry['failed']} | "
              f"{entry['seconds_per_example']:.3f} s |")
    if results["interleaving"]:
        print("\n| interleaving | backend | runs (seeds) | cycles | failed runs | IDs given twice | typed values lost | "
              "IDs changed | time per cycle |\n|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for entry in results["interleaving"]:
        print(f"| interleaved cycles | {entry['backend']} | {entry['runs']} | {entry['cycles']} | {entry['failed']} | "
              f"{entry['duplicate_ids']} | {entry['lost_values']} | {entry['changed_ids']} | "
              f"{entry['milliseconds_per_cycle']:.1f} ms |")
    for entry in results["properties"]:
        if entry["first_failure"]:
            print(f"\n{entry['backend']}: {entry['first_failure']}")
    for entry in results["interleaving"]:
        for failure in entry["failures"]:
            print(f"\n{entry['backend']} interleaving, seed {failure['seed']}: {failure['failure']}")


if __name__ == "__main__":
    main()
