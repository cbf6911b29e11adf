"""What one cycle did: the CycleReport, for the log line, the heartbeat, the commands and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailers import MailFailure
from rules import RuleProblem
from tickets import CalendarProblem, Kpis, Outcome

__all__ = ["CycleReport", "counted"]


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
    mails_sent: int = 0  # delivered this cycle (in a dry run: would be sent)
    mails_waiting: int = 0  # not delivered yet, to be tried again (after a failure, with backoff)
    mails_failed: int = 0  # given up on this cycle (the admin is told)
    mails_held: int = 0
    mail_failures: list[MailFailure] = field(default_factory=list, repr=False)  # every failed delivery
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

    @property
    def mail_failed(self) -> bool:
        """True when a mail could not be delivered this cycle (whether or not it will be tried again)."""
        return bool(self.mail_failures)

    def summary(self) -> str:
        """The cycle line: tickets, problems, what was written, and mail as sent / waiting to retry / failed."""
        written = "dry run, nothing written" if self.dry_run else (
            f"deferred: {self.deferred}" if self.deferred else f"{self.cells_written} cells written"
        )
        mail = f"would send {counted(self.mails_sent, 'mail')}" if self.dry_run else (
            f"{counted(self.mails_sent, 'mail')} sent, {self.mails_waiting} waiting to retry, "
            f"{self.mails_failed} failed"
        )
        return (
            f"{self.workbook}: {counted(self.rows, 'ticket')}, {self.problem_rows} with problems, "
            f"{counted(self.rule_problems, 'rule problem')}, {written}, {mail}, "
            f"{self.mails_held} held, {self.duration_seconds:.2f}s"
        )


def counted(number: int, noun: str) -> str:
    """``1 mail``, ``2 mails``, ``0 mails``: a count with its noun in the right number."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
