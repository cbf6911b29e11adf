"""A desk's intake channels, run around each cycle (``sync.engine.IntakeHook``), and between cycles.

Before the cycle: the mailbox is polled (new mail queued, replies recorded, bounces flagged) and the form
responses tab is read. After it: the complaints the cycle appended are acknowledged by mail. A dry run takes
nothing in and sends nothing. A channel's failure is reported, never raised: the cycle and the other channels
go on, and the next cycle tries again.

Between cycles the daemon calls ``poll`` every ``[intake.mail] poll_minutes``: what it queued wakes a cycle at
once (as the portal does), which appends the rows and acknowledges them — so a mailed complaint is registered
and its customer told the number within minutes, however seldom the cycle is scheduled.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from mailers import Transport
from sync.backends.port import Sheet
from sync.engine import CycleReport
from sync.intake.acknowledge import send_acknowledgements
from sync.intake.forms import FormResponses
from sync.intake.mailbox import CustomerSettings, MailboxError, MailIntake, PollReport
from sync.state import StateStore

__all__ = ["IntakeChannels"]

log = logging.getLogger(__name__)


@dataclass
class IntakeChannels:
    """The channels of one desk: a mailbox (optional) and the transport acknowledgements go out by."""

    state: StateStore
    mailbox: MailIntake | None = None
    customers: CustomerSettings = field(default_factory=CustomerSettings)
    transport: Transport | None = None
    forms: FormResponses | None = None

    def before_cycle(self, now: datetime, dry_run: bool) -> list[str]:
        """Take in what customers sent since the last cycle. Return the problems met."""
        if dry_run or self.mailbox is None:
            return []
        try:
            self.mailbox.poll(self._aware(now))
        except MailboxError as error:
            return [str(error)]
        return []

    def poll(self, now: datetime) -> PollReport | None:
        """Poll the mailbox between cycles; return what it did (None: this desk has no mailbox). Raise
        MailboxError when the mailbox cannot be read. ``PollReport.needs_cycle`` says whether a cycle should run
        now to write what came in."""
        if self.mailbox is None:
            return None
        return self.mailbox.poll(self._aware(now))

    def after_cycle(self, report: CycleReport, now: datetime, dry_run: bool) -> list[str]:
        """Acknowledge the complaints the cycle appended (mailed, and from the portal). Return the problems met."""
        if self.transport is None or not self.customers.acknowledge or not self.customers.sender:
            return []
        acknowledged = send_acknowledgements(self.state, self.transport, self.customers, report.outcomes,
                                             self._aware(now), dry_run=dry_run)
        report.mails_sent += acknowledged.sent
        if acknowledged.failed:
            return [f"{acknowledged.failed} acknowledgement(s) not delivered; retried next cycle"]
        return []

    def from_workbook(
        self, sheets: Mapping[str, Sheet], zone: tzinfo, language: str, dry_run: bool
    ) -> list[tuple[str, str | None, str]]:
        """Take in new responses of the Forms tab. Return its problems for the Rule check tab."""
        if self.forms is None:
            return []
        _, problems = self.forms.take(sheets, zone, dry_run=dry_run)
        return [(problem.tab, problem.cell, problem.message(language)) for problem in problems]

    def _aware(self, now: datetime) -> datetime:
        return now if now.tzinfo is not None else now.replace(tzinfo=self.state.desk_zone() or UTC)
