"""The Mailroom: one call per cycle turns the cycle's outcomes into delivered mail (DESIGN §5).

``Mailroom.run_cycle`` does, in order::

    plan      which reminders are due now (mailers.plan)
    guard     circuit breaker → hold every new reminder; ledger → drop reminders already carried by a message;
              quiet hours → non-urgent reminders wait for working time; first run → one summary per person
    compose   one digest per recipient, plus admin alerts, cluster alerts and the daily digest when due
    intent    record every new message as pending in the ledger (skipped in a dry run)
    send      every pending message that is due (new ones and retries) over ONE transport call, and
    record    each result the moment the transport knows it: sent, or failed with backoff; dead after
              max_failures (the admin hears next cycle). So a crash repeats at most the message in flight.

Urgency and quiet hours: only a 24x7-clock ticket's overdue notice and escalations are urgent and go out at
any hour; everything else (due soon, repeats, business-clock tickets — whose deadlines fall in working time
anyway —, cluster alerts) waits until ``working_time.is_working_time(now)``. System alerts to the admin and the
daily digest, which the admin schedules, are never held.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Protocol

from mailers.addresses import clean_header_text, is_valid_email
from mailers.compose import (
    Cluster,
    OverdueLine,
    RowLink,
    WorkbookRef,
    compose_breaker_alert,
    compose_cluster_alert,
    compose_daily_digest,
    compose_digest,
    compose_failure_alert,
    compose_monthly_review,
    compose_test_message,
)
from mailers.errors import AddressError, TransportError
from mailers.ledger import BreakerState, Ledger, StoredMessage, retry_delay
from mailers.outbox import OutboxTransport
from mailers.plan import Plan, Reminder, Stage, plan_reminders
from mailers.settings import MailSettings, ReminderSettings
from mailers.smtp import SmtpTransport
from mailers.transport import MemoryTransport, SendResult, Transport
from tickets import DueKind
from tickets.outcome import Outcome, SlaState
from tickets.status import Status

__all__ = [
    "Mailroom",
    "MailReport",
    "MailFailure",
    "WorkingTime",
    "AlwaysWorking",
    "KpiSource",
    "DepartmentKpiSource",
    "build_transport",
    "sender_address",
    "mail_test",
]

KpiSource = Callable[[str], Mapping[str, object]]  # language -> KPI label -> value
# (language, first day of the month reviewed) -> the month's review as (title, lines) sections
ReviewSource = Callable[[str, date], Sequence[tuple[str, Sequence[str]]]]
DepartmentKpiSource = Callable[[str, frozenset[str]], Mapping[str, object]]  # the same for some departments


class WorkingTime(Protocol):
    """The Calendar as the mailroom needs it (tickets.calendar.BusinessCalendar fits)."""

    def is_working_time(self, moment: datetime) -> bool: ...

    def next_working_time(self, moment: datetime) -> datetime: ...


class AlwaysWorking:
    """A calendar with no quiet hours: every moment is working time."""

    def is_working_time(self, moment: datetime) -> bool:
        return True

    def next_working_time(self, moment: datetime) -> datetime:
        return moment


@dataclass(frozen=True)
class MailFailure:
    """A message the transport did not deliver this cycle: to whom, why, and whether it will be tried again."""

    message_id: str
    recipient: str
    reason: str
    given_up: bool
    retry_at: datetime | None = None

    def describe(self) -> str:
        """One sentence for the log, naming the recipient and the reason."""
        if self.given_up:
            return f"mail to {self.recipient} not delivered, gave up on it (the admin is told): {self.reason}"
        retry = f" after {self.retry_at:%Y-%m-%d %H:%M %Z}".rstrip() if self.retry_at else ""
        return f"mail to {self.recipient} not delivered, will try again{retry}: {self.reason}"


@dataclass
class MailReport:
    """What one cycle of the mailroom did."""

    dry_run: bool = False
    sent: list[str] = field(default_factory=list)  # Message-IDs the transport accepted this cycle
    failed: list[str] = field(default_factory=list)  # Message-IDs that failed this cycle (retried later)
    dead: list[str] = field(default_factory=list)  # Message-IDs given up on this cycle (the admin is told)
    failures: list[MailFailure] = field(default_factory=list)  # every failed delivery of this cycle
    held: int = 0  # reminders held by the circuit breaker
    queued_quiet: int = 0  # reminders waiting for working time
    quiet_until: datetime | None = None
    waiting_retry: int = 0  # messages backing off after a failure
    unaddressed: list[str] = field(default_factory=list)  # ticket IDs with a due reminder and no address
    composed: list[EmailMessage] = field(default_factory=list)  # new messages (in a dry run: would be sent)
    breaker_tripped: bool = False  # the breaker is holding reminders this cycle
    summary: bool = False  # this cycle sent the first-run summary
    problems: list[str] = field(default_factory=list)  # sentences for the log: tickets without an address

    def describe(self) -> str:
        """One line for the log."""
        parts = [f"{len(self.sent)} sent", f"{len(self.failed)} failed", f"{self.queued_quiet} quiet"]
        parts += [f"{self.held} held by the breaker"] if self.breaker_tripped else []
        parts += [f"{self.waiting_retry} waiting to retry"] if self.waiting_retry else []
        parts += [f"{len(self.unaddressed)} tickets without any address"] if self.unaddressed else []
        return ("dry run: " if self.dry_run else "") + ", ".join(parts)


@dataclass
class _Outgoing:
    message: EmailMessage
    kind: str
    reminder_keys: tuple[str, ...] = ()
    event_keys: tuple[str, ...] = ()


class Mailroom:
    """Plans, guards, composes, records and sends one cycle's mail. Built once, called every cycle."""

    def __init__(
        self, settings: ReminderSettings, mail_settings: MailSettings, ledger: Ledger, transport: Transport
    ) -> None:
        self.configured = settings  # as configured; ``settings`` speaks the language of the cycle's workbook
        self.settings = settings.speaking("en")
        self.mail_settings = mail_settings
        self.ledger = ledger
        self.transport = transport
        self.sender = sender_address(mail_settings)
        self.workbook: WorkbookRef | None = None  # named in every mail of the cycle run now

    def run_cycle(
        self,
        outcomes: Sequence[Outcome],
        now: datetime,
        working_time: WorkingTime | None = None,
        *,
        dry_run: bool = False,
        row_link: RowLink | None = None,
        daily_kpis: KpiSource | None = None,
        daily_digest_at: time | None = None,
        language: str = "en",
        monthly_review: ReviewSource | None = None,
        department_kpis: DepartmentKpiSource | None = None,
        workbook: WorkbookRef | None = None,
        customer_replies: Mapping[str, datetime] | None = None,
    ) -> MailReport:
        """Given the cycle's outcomes and an aware ``now``, send every mail that is due and return a report.

        ``dry_run`` composes and reports but records and sends nothing. ``daily_kpis(language)`` returns KPI
        label → value for the daily manager digest, sent once a day from ``daily_digest_at``. ``language`` is
        the workbook's: mail to the admin and the quality lead speaks it unless the config names theirs.
        ``monthly_review(language, month)`` gives last month's review, mailed to the same people as the daily
        digest once, on the month's first working day, from ``daily_digest_at``.
        ``department_kpis(language, departments)`` gives the figures of a manager's own departments. Every mail
        names ``workbook``. ``customer_replies`` (Ticket ID -> latest mailed reply) puts a "customer replied"
        line in the liaison's next digest, once per reply. Raise
        ValueError for a naive ``now``, LedgerError if the ledger fails (nothing is then lost: unsent intents
        stay pending).
        """
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be an aware datetime")
        working_time = working_time or AlwaysWorking()
        self.settings = self.configured.speaking(language)
        self.workbook = workbook
        report = MailReport(dry_run=dry_run)
        plan = plan_reminders(outcomes, self.settings, now, customer_replies)
        report.unaddressed = list(plan.unaddressed)
        report.problems += [
            f"{ticket_id}: a reminder is due but its department has no valid email (liaison, deputy) and no "
            "[reminders] admin_email is set"
            for ticket_id in plan.unaddressed
        ]
        first_run = self.ledger.is_first_run()
        breaker = self._guard_breaker(plan, now, dry_run)
        report.breaker_tripped = breaker is not None
        known = self.ledger.known_keys(reminder.key for reminder in plan.reminders)
        new = self._first_notices([reminder for reminder in plan.reminders if reminder.key not in known])
        quiet = self.settings.quiet_hours and not working_time.is_working_time(now)
        outgoing: list[_Outgoing] = []
        if breaker is not None:
            report.held, new = len(new), []
            outgoing += self._breaker_alert(breaker, plan, now)
        summary = first_run and self._wants_summary(plan)
        if quiet:
            urgent = [reminder for reminder in new if reminder.urgent and not summary]
            report.queued_quiet = len(new) - len(urgent)
            report.quiet_until = working_time.next_working_time(now) if report.queued_quiet else None
            new = urgent
        report.summary = summary and bool(new)
        outgoing += self._digests(new, now, summary, row_link)
        outgoing += self._failure_alert(now)
        if breaker is None and not quiet:
            outgoing += self._cluster_alert(outcomes, now)
        if daily_kpis is not None and daily_digest_at is not None:
            outgoing += self._daily_digests(outcomes, daily_kpis, daily_digest_at, now, department_kpis, row_link)
        if monthly_review is not None and daily_digest_at is not None:
            outgoing += self._monthly_reviews(outcomes, monthly_review, daily_digest_at, now, working_time)
        report.composed = [item.message for item in outgoing]
        if dry_run:
            return report
        self._record_intents(outgoing, now)
        self._send_due(now, report)
        if not (first_run and summary and quiet):  # a deferred summary keeps the first run first
            self.ledger.mark_started(now)
        report.waiting_retry = self.ledger.waiting_count(now)
        return report

    def release_breaker(self) -> bool:
        """Let held reminders flow again (the admin checked the dates). Return True if it was tripped."""
        return self.ledger.release_breaker()

    # -- guards -------------------------------------------------------------------------------------------

    def _guard_breaker(self, plan: Plan, now: datetime, dry_run: bool) -> BreakerState | None:
        """Return the breaker if it holds reminders this cycle, tripping or releasing it as needed."""
        state = self.ledger.breaker()
        if state is not None and self._may_release(state, plan, now):
            state = None if dry_run or self.ledger.release_breaker() else state
        previous = self.ledger.previous_overdue()
        if state is None and previous is not None:
            newly = plan.overdue_clocks - previous
            if self._looks_like_an_accident(newly, plan.open_tickets):
                state = BreakerState(now, frozenset(newly))
                if not dry_run:
                    self.ledger.trip_breaker(newly, now)
        if not dry_run and previous != plan.overdue_clocks:  # the same clocks as last cycle: nothing to rewrite
            self.ledger.remember_overdue(plan.overdue_clocks, now)
        return state

    def _looks_like_an_accident(self, newly_overdue: frozenset[str] | set[str], open_tickets: int) -> bool:
        tickets = {clock.split("|", 1)[0] for clock in newly_overdue}
        return len(tickets) >= self.settings.breaker_min_open and len(
            tickets
        ) >= self.settings.breaker_share * max(open_tickets, 1)

    def _may_release(self, state: BreakerState, plan: Plan, now: datetime) -> bool:
        # Fixed dates move the due times, so the suspect clocks stop being overdue under the same key.
        if now - state.tripped_at >= timedelta(hours=self.settings.breaker_hold_hours):
            return True
        still_overdue = {clock.split("|", 1)[0] for clock in state.suspects & plan.overdue_clocks}
        return len(still_overdue) < self.settings.breaker_min_open

    def _first_notices(self, reminders: list[Reminder]) -> list[Reminder]:
        """Mark the repeats whose recipient never got an earlier notice of that clock: a first mail says
        "overdue", not "reminder 7"."""
        earlier = {reminder.key: _earlier_keys(reminder) for reminder in reminders if reminder.stage is Stage.REPEAT}
        if not earlier:
            return reminders
        known = self.ledger.known_keys(key for keys in earlier.values() for key in keys)
        return [
            replace(reminder, first_notice=True)
            if reminder.key in earlier and not known.intersection(earlier[reminder.key]) else reminder
            for reminder in reminders
        ]

    def _wants_summary(self, plan: Plan) -> bool:
        overdue_tickets = {clock.split("|", 1)[0] for clock in plan.overdue_clocks}
        return self.settings.first_run_summary and len(overdue_tickets) >= self.settings.first_run_min_overdue

    # -- composing ----------------------------------------------------------------------------------------

    def _digests(
        self,
        reminders: Sequence[Reminder],
        now: datetime,
        summary: bool,
        row_link: RowLink | None,
    ) -> list[_Outgoing]:
        by_recipient: dict[str, list[Reminder]] = {}
        for reminder in reminders:
            by_recipient.setdefault(reminder.recipient.lower(), []).append(reminder)
        outgoing = []
        for recipient in sorted(by_recipient):
            batch = by_recipient[recipient]
            message = compose_digest(
                batch,
                now=now,
                sender=self.sender,
                summary=summary,
                row_link=row_link,
                escalate_after_hours=self.settings.escalate_after_hours,
                workbook=self.workbook,
            )
            kind = "summary" if summary else "digest"
            outgoing.append(_Outgoing(message, kind, tuple(reminder.key for reminder in batch)))
        return outgoing

    def _breaker_alert(self, breaker: BreakerState, plan: Plan, now: datetime) -> list[_Outgoing]:
        admin = self.settings.admin_email
        event = f"breaker-alert|{breaker.tripped_at.astimezone(UTC).isoformat()}"
        if not admin or self.ledger.event_time(event) is not None:
            return []
        message = compose_breaker_alert(
            to=admin,
            language=self.settings.admin_language,
            suspects=sorted({clock.split("|", 1)[0] for clock in breaker.suspects}),
            open_tickets=plan.open_tickets,
            share_limit=self.settings.breaker_share,
            hold_hours=self.settings.breaker_hold_hours,
            sender=self.sender,
            now=breaker.tripped_at,
            workbook=self.workbook,
        )
        return [_Outgoing(message, "alert", event_keys=(event,))]

    def _failure_alert(self, now: datetime) -> list[_Outgoing]:
        admin = self.settings.admin_email
        dead = self.ledger.dead_without_alert()
        if not admin or not dead:
            return []
        failed = [
            (item.message_id, item.recipient, item.subject, item.failures, item.last_error or "")
            for item in dead
        ]
        message = compose_failure_alert(
            to=admin, language=self.settings.admin_language, failed=failed, sender=self.sender, now=now,
            workbook=self.workbook,
        )
        return [_Outgoing(message, "alert", event_keys=tuple(f"dead|{item.message_id}" for item in dead))]

    def _cluster_alert(self, outcomes: Sequence[Outcome], now: datetime) -> list[_Outgoing]:
        recipient = self.settings.quality_email or self.settings.admin_email
        if not recipient:
            return []
        window = timedelta(days=self.settings.cluster_days)
        fresh = []
        for key, cluster in _clusters(outcomes, self.settings.cluster_threshold).items():
            last = self.ledger.event_time(key)
            if last is None or now - last >= window:
                fresh.append((key, cluster))
        if not fresh:
            return []
        keys = tuple(key for key, _ in fresh)
        message = compose_cluster_alert(
            to=recipient,
            language=self.settings.quality_language,
            clusters=[cluster for _, cluster in fresh],
            threshold=self.settings.cluster_threshold,
            days=self.settings.cluster_days,
            sender=self.sender,
            now=now,
            identity=(*keys, f"{now:%Y-%m-%d}"),
            workbook=self.workbook,
        )
        return [_Outgoing(message, "alert", event_keys=keys)]

    def _daily_digests(
        self, outcomes: Sequence[Outcome], kpis: KpiSource, at: time, now: datetime,
        department_kpis: DepartmentKpiSource | None, row_link: RowLink | None,
    ) -> list[_Outgoing]:
        """One digest per manager (their departments' overdue tickets and figures first) and one for the admin."""
        if not self.ledger.daily_digest_due(now, at):
            return []
        event = self.ledger.daily_digest_key(now)
        outgoing = []
        tables: dict[str, Mapping[str, object]] = {}
        for email, name, language, departments in _managers(outcomes, self.settings):
            table = tables.setdefault(language, kpis(language))
            mine = department_kpis(language, frozenset(departments)) if department_kpis and departments else None
            message = compose_daily_digest(
                table, language, to=email, name=name, sender=self.sender, now=now, departments=departments,
                department_kpis=mine, overdue=_overdue_lines(outcomes, departments, now, row_link),
                workbook=self.workbook,
            )
            outgoing.append(_Outgoing(message, "daily", event_keys=(event,)))
        return outgoing

    def _monthly_reviews(
        self, outcomes: Sequence[Outcome], review: ReviewSource, at: time, now: datetime, working_time: WorkingTime
    ) -> list[_Outgoing]:
        """Last month's review to every manager and the admin, once, on this month's first working day."""
        today = now.date()
        first_working = working_time.next_working_time(now.replace(day=1, hour=0, minute=0, second=0,
                                                                    microsecond=0)).date()
        reviewed = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        event = f"monthly|{reviewed:%Y-%m}"
        if today != first_working or now.timetz().replace(tzinfo=None) < at or self.ledger.event_time(event):
            return []
        outgoing = []
        for email, name, language, _ in _managers(outcomes, self.settings):
            message = compose_monthly_review(f"{reviewed:%Y-%m}", review(language, reviewed), language, to=email,
                                             name=name, sender=self.sender, now=now, workbook=self.workbook)
            outgoing.append(_Outgoing(message, "monthly", event_keys=(event,)))
        return outgoing

    # -- recording and sending ------------------------------------------------------------------------------

    def _record_intents(self, outgoing: Sequence[_Outgoing], now: datetime) -> None:
        for item in outgoing:
            self.ledger.record_intent(item.message, item.kind, now, item.reminder_keys, item.event_keys)

    def _send_due(self, now: datetime, report: MailReport) -> None:
        """Send the due messages over one transport call, recording each result as soon as it is known."""
        due = {item.message_id: item for item in self.ledger.due_messages(now)}
        if not due:
            return
        self.ledger.begin_attempts(due, now)
        recorded: set[str] = set()

        def record(result: SendResult) -> None:
            if result.message_id in due and result.message_id not in recorded:
                recorded.add(result.message_id)
                self._record_result(result, due[result.message_id], now, report)

        for result in self.transport.send([item.message() for item in due.values()], on_result=record):
            record(result)  # a transport that reports only at the end is recorded here

    def _record_result(self, result: SendResult, stored: StoredMessage, now: datetime, report: MailReport) -> None:
        if result.error is None:
            self.ledger.mark_sent(result.message_id, now)
            report.sent.append(result.message_id)
            return
        report.failed.append(result.message_id)
        error = result.error
        dead = self.ledger.mark_failed(result.message_id, error.message, error.permanent, now, self.settings.max_failures)
        if dead:
            report.dead.append(result.message_id)
        retry_at = None if dead else now + retry_delay(stored.failures + 1)
        report.failures.append(MailFailure(result.message_id, stored.recipient, error.message, dead, retry_at))


def _earlier_keys(reminder: Reminder) -> list[str]:
    """The ledger keys of the notices that come before a repeat on the same clock, due time and recipient."""
    first = replace(reminder, stage=Stage.OVERDUE, repeat=0)
    return [first.key, *(replace(reminder, repeat=number).key for number in range(1, reminder.repeat))]


def _clusters(outcomes: Sequence[Outcome], threshold: int, days: int = 7) -> dict[str, Cluster]:
    """Return the complaint clusters of this cycle by event key ``cluster|product|category`` (casefolded).

    A cluster lists every ticket of its product and category received in the ``days`` (Similar 7d's window)
    up to the newest ticket that reached ``threshold``, so the IDs listed are the tickets counted.
    """
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        ticket = outcome.ticket
        if not ticket.product or not ticket.category or ticket.effective_status is Status.DUPLICATE:
            continue
        key = f"cluster|{ticket.product.strip().casefold()}|{ticket.category.strip().casefold()}"
        groups.setdefault(key, []).append(outcome)
    clusters = {}
    for key, members in sorted(groups.items()):
        triggers = [member for member in members if member.similar_7d >= threshold]
        if not triggers:
            continue
        listed = _in_window(members, triggers, timedelta(days=days))
        clusters[key] = Cluster(
            product=triggers[0].ticket.product or "",
            category=triggers[0].ticket.category or "",
            count=max(len(listed), max(member.similar_7d for member in triggers)),
            ticket_ids=tuple(sorted(member.ticket.ticket_id or f"row {member.ticket.row}" for member in listed)),
        )
    return clusters


def _in_window(members: list[Outcome], triggers: list[Outcome], window: timedelta) -> list[Outcome]:
    """The members received in ``window`` up to the newest trigger (all triggers when dates are missing)."""
    dated = [trigger.ticket.received for trigger in triggers if trigger.ticket.received is not None]
    if not dated:
        return triggers
    newest = max(dated)
    chosen = [member for member in members
              if member.ticket.received is not None and newest - window < member.ticket.received <= newest]
    taken = {id(member) for member in chosen}  # triggers are members: the same objects (no deep comparisons)
    return chosen + [trigger for trigger in triggers if id(trigger) not in taken]


def _managers(
    outcomes: Sequence[Outcome], settings: ReminderSettings
) -> list[tuple[str, str | None, str, tuple[str, ...]]]:
    """Return (email, name, language, departments) of every department manager with a valid address, and the
    admin (no departments: the desk as a whole)."""
    found: dict[str, tuple[str, str | None, str]] = {}
    departments: dict[str, set[str]] = {}
    for outcome in outcomes:
        assignment = outcome.assignment
        if assignment and is_valid_email(assignment.manager_email):
            email = assignment.manager_email.strip()
            found.setdefault(email.lower(), (email, assignment.manager, assignment.language))
            departments.setdefault(email.lower(), set()).add(assignment.department)
    if settings.admin_email:
        found.setdefault(settings.admin_email.lower(), (settings.admin_email, None, settings.admin_language))
    return [(*found[key], tuple(sorted(departments.get(key, ())))) for key in sorted(found)]


def _overdue_lines(
    outcomes: Sequence[Outcome], departments: Sequence[str], now: datetime, row_link: RowLink | None
) -> list[OverdueLine]:
    """The overdue tickets of ``departments``, each at its earliest missed deadline."""
    wanted = set(departments)
    lines = []
    for outcome in outcomes:
        if outcome.sla is not SlaState.OVERDUE or outcome.assignment is None or outcome.deadlines is None:
            continue
        if outcome.assignment.department not in wanted:
            continue
        missed = _missed_deadline(outcome, now)
        if missed is not None:
            kind, due = missed
            link = row_link(outcome.ticket) if row_link else None
            lines.append(OverdueLine(outcome.ticket, kind, due, now - due, link))
    return lines


def _missed_deadline(outcome: Outcome, now: datetime) -> tuple[DueKind, datetime] | None:
    ticket, deadlines = outcome.ticket, outcome.deadlines
    assert deadlines is not None
    candidates = [
        (DueKind.RESPONSE, deadlines.response_due, ticket.first_response),
        (DueKind.RESOLUTION, deadlines.resolution_due, ticket.resolved),
        (DueKind.FOLLOW_UP, deadlines.follow_up_due, getattr(ticket, "follow_up", None)),
    ]
    missed = [(kind, due) for kind, due, done in candidates if due is not None and done is None and due <= now]
    return min(missed, key=lambda item: item[1]) if missed else None


# -- building blocks for the CLI ------------------------------------------------------------------------------


def sender_address(mail_settings: MailSettings) -> Address:
    """Return the From address of ``[mail]`` (display name cleaned of control characters)."""
    return Address(display_name=clean_header_text(mail_settings.sender_name), addr_spec=mail_settings.sender)


def build_transport(mail_settings: MailSettings, environ: Mapping[str, str] | None = None) -> Transport:
    """Return the transport ``[mail] transport`` names: OutboxTransport, SmtpTransport or MemoryTransport."""
    if mail_settings.transport == "smtp":
        return SmtpTransport(mail_settings, os.environ if environ is None else environ)
    if mail_settings.transport == "memory":
        return MemoryTransport()
    return OutboxTransport(mail_settings.outbox_dir)


def mail_test(
    transport: Transport, to: str, settings: MailSettings, now: datetime | None = None, language: str = "en",
    workbook: WorkbookRef | None = None,
) -> SendResult:
    """Send one test message to ``to`` (for ``sheetdesk mail-test --to ADDR``) and return its result.

    Raise AddressError if ``to`` is not a plain address, TransportError if the message was not delivered.
    """
    if not is_valid_email(to):
        raise AddressError(f'"{to}" is not an email address — write it like you@example.com')
    moment = now or datetime.now(UTC)
    message = compose_test_message(to=to, language=language, sender=sender_address(settings), now=moment,
                                   workbook=workbook)
    results = transport.send([message])
    if not results or results[0].error is not None:
        raise results[0].error if results else TransportError("the transport returned no result")
    return results[0]
