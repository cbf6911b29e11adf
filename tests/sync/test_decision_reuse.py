"""A desk decides only the rows that changed: a row whose cells, facts, rules and problems are as before reuses its
decision until time alone could change it — and what it writes is always exactly what deciding afresh writes."""

from __future__ import annotations

import copy
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheets_templates import build_spec
from sync.backends.memory import MemoryBackend
from sync.engine import Desk
from sync.state import StateStore
from tests.sync.conftest import NOW

STATUSES = ["New", "Acknowledged", "Investigating", "Action", "Waiting on customer", "Resolved", "Closed",
            "Duplicate", "unknown status"]
TIERS = ["Core", "Key", "Standard", "Gold"]
MINUTES = [-90, 0, 5, 30, 60, 240, 1440, 4320]


def template_tabs(sample: int = 25) -> dict[str, list[list]]:
    spec = build_spec("en", sample=sample, now=NOW.replace(tzinfo=None), seed=7)
    return {tab.name: [list(row) for row in tab.rows] for tab in spec.tabs}


def set_cell(tabs: dict, tab: str, header: str, row: int, value) -> None:
    rows = tabs[tab]
    column = rows[0].index(header)
    target = rows[1 + row % (len(rows) - 1)]
    target.extend([None] * (column + 1 - len(target)))
    target[column] = value


def person_edits(tabs: dict, edit: tuple) -> None:
    """One edit a person makes between cycles."""
    kind, row, choice = edit
    if kind == "status":
        set_cell(tabs, "Tickets", "Status", row, STATUSES[choice % len(STATUSES)])
    elif kind == "tier":
        set_cell(tabs, "Tickets", "Tier", row, TIERS[choice % len(TIERS)])
    elif kind == "received":
        set_cell(tabs, "Tickets", "Received", row, NOW.replace(tzinfo=None) + timedelta(hours=choice - 30))
    elif kind == "deadline rule":
        rows = tabs["Deadline rules"]
        column = next(index for index, value in enumerate(rows[0]) if "Response" in str(value))
        rows[1 + row % (len(rows) - 1)][column] = 1 + choice % 30


def sheet(backend: MemoryBackend) -> dict[str, list[list]]:
    tabs = copy.deepcopy(backend.tabs)
    if "Dashboard" in tabs:
        tabs["Dashboard"] = tabs["Dashboard"][1:]  # the generated-at line changes with every regeneration
    return tabs


edits = st.tuples(st.sampled_from(["status", "tier", "received", "deadline rule", "none"]),
                  st.integers(0, 200), st.integers(0, 60))
steps = st.lists(st.tuples(st.sampled_from(MINUTES), st.lists(edits, max_size=3)), min_size=2, max_size=7)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_reused_decisions_write_exactly_what_deciding_afresh_writes(plan):
    """Two copies of one workbook, the same edits and clock: a daemon's desk that reuses decisions across
    cycles, and a fresh desk every cycle (nothing reused). Their sheets and outcomes never differ."""
    with tempfile.TemporaryDirectory() as directory:
        tabs = template_tabs()
        daemon_backend, fresh_backend = MemoryBackend(copy.deepcopy(tabs)), MemoryBackend(copy.deepcopy(tabs))
        daemon_state, fresh_state = StateStore(Path(directory) / "daemon"), StateStore(Path(directory) / "fresh")
        daemon = Desk(daemon_backend, daemon_state)
        moment = NOW
        try:
            for minutes, changes in plan:
                moment += timedelta(minutes=minutes)
                for edit in changes:
                    person_edits(daemon_backend.tabs, edit)
                    person_edits(fresh_backend.tabs, edit)
                reused = daemon.cycle(moment)
                afresh = Desk(fresh_backend, fresh_state).cycle(moment)
                assert reused.outcomes == afresh.outcomes
                assert sheet(daemon_backend) == sheet(fresh_backend)
        finally:
            daemon_state.close()
            fresh_state.close()


def test_a_cycle_after_one_edit_decides_only_the_rows_it_changed(tmp_path, monkeypatch):
    backend = MemoryBackend(template_tabs(40))
    state = StateStore(tmp_path / "state")
    desk = Desk(backend, state)
    desk.cycle(NOW)
    desk.cycle(NOW + timedelta(minutes=1))  # the cells the first cycle wrote are read back: decided again
    decided = []
    outcome = Desk._outcome
    monkeypatch.setattr(Desk, "_outcome", lambda self, row, *args: decided.append(row.index) or outcome(self, row, *args))
    desk.cycle(NOW + timedelta(minutes=2))
    assert decided == []  # nothing changed, nothing fell due: every decision reused
    set_cell(backend.tabs, "Tickets", "Tier", 4, "Key" if backend.tabs["Tickets"][5][4] != "Key" else "Core")
    desk.cycle(NOW + timedelta(minutes=3))
    assert decided == [5]
    state.close()


def test_a_rule_test_on_hours_open_turns_reuse_off(tmp_path, monkeypatch):
    """``Hours open`` changes with every tick of the clock: a rule that tests it makes every row decided again."""
    tabs = template_tabs(10)
    grade_rules = tabs["Grade rules"]
    grade_rules[0].append("IF Hours open")
    for row in grade_rules[1:]:
        row.extend([None] * (len(grade_rules[0]) - 1 - len(row)))
        row.append(">=0" if row is grade_rules[1] else None)
    backend = MemoryBackend(tabs)
    state = StateStore(tmp_path / "state")
    desk = Desk(backend, state)
    desk.cycle(NOW)
    desk.cycle(NOW + timedelta(minutes=1))
    decided = []
    outcome = Desk._outcome
    monkeypatch.setattr(Desk, "_outcome", lambda self, row, *args: decided.append(row.index) or outcome(self, row, *args))
    report = desk.cycle(NOW + timedelta(minutes=2))
    assert report.rule_problems == 0
    assert len(decided) == report.rows
    state.close()
