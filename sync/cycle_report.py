"""What one cycle did: the CycleReport, for the log line, the heartbeat, the commands and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from rules import RuleProblem
from tickets import CalendarProblem, Kpis, Outcome

__all__ = ["CycleReport"]


@dataclass
class CycleReport:
    """What one cycle did, for the log line, the heartbeat and the tests."""

    workbook: str
    rows: int = 0
    problem_rows: int = 0
    rule_problems: int = 0
    cells_written: int = 0
    wrote: bool = False
    deferred: str | None = None
    dry_run: bool = False
    mails_sent: int = 0
    mails_held: int = 0
    duration_seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list, repr=False)
    language: str = "en"
    quiet: bool = False  # nothing could have changed since the last cycle: nothing was recomputed
    rows_appended: int = 0  # queued complaints that became rows
    intake_problems: list[str] = field(default_factory=list)  # a channel that could not be read, mail not sent
    tickets_tab: str = ""  # the Tickets tab's name as found in the workbook
    rule_findings: tuple[RuleProblem, ...] = field(default=(), repr=False)  # each names its tab and cell
    calendar_findings: tuple[CalendarProblem, ...] = field(default=(), repr=False)  # each starts with its cell
    kpis: Kpis | None = field(default=None, repr=False)

    def summary(self) -> str:
        written = "dry run, nothing written" if self.dry_run else (
            f"deferred: {self.deferred}" if self.deferred else f"{self.cells_written} cells written"
        )
        return (
            f"{self.workbook}: {self.rows} tickets, {self.problem_rows} with problems, "
            f"{self.rule_problems} rule problems, {written}, {self.mails_sent} mails sent, "
            f"{self.mails_held} held, {self.duration_seconds:.2f}s"
        )
