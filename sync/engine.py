"""The cycle: read → validate → stamp → decide → write → remind, as an idempotent reconcile (DESIGN §3–§5).

A cycle computes what every daemon-owned cell should hold and writes only the cells that differ, so a cycle
with nothing new writes nothing at all. Problems never stop a cycle: a bad row gets a message in its Check cell,
a bad rule tab goes to the Rule check tab and its last good version keeps serving.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from datetime import time as time_of_day
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from mailers import Mailroom, WorkbookRef
from rules import Verdict
from sync.backends.port import (
    Backend,
    Cell,
    CellWrite,
    ChangeSet,
    Fingerprinted,
    FormattingSpec,
    GeneratedTab,
    RowLinks,
    RowRef,
    Sheet,
    Snapshot,
    WorkbookLinks,
)
from sync.computed_cells import desired_cells, rows_differ, same_cell
from sync.customer_loop import CustomerLoop, contact_emails
from sync.cycle_report import CycleReport
from sync.errors import WriteDeferred
from sync.facts import customer_counts, similar_counts
from sync.queued import QueuedRows, take_queue
from sync.quiet import next_change
from sync.rule_loading import LoadedRules, load_rules
from sync.settled import Settled, SettledCache, snapshot_digest
from sync.state import BadAddress, StateStore, StatusSpan, format_ticket_id, parse_ticket_id
from sync.tabs.dashboard import build_dashboard, dashboard_changed, shown_figures
from sync.tabs.lessons import build_lessons, last_solved
from sync.tabs.messages import build_messages, latest_replies, replied_cells
from sync.tabs.report import review_lines
from sync.tabs.rule_check import rule_check_tab
from sync.workbook import WorkbookView
from tickets import (
    COMPUTED_KEYS,
    DONE_STATUSES,
    INPUT_KEYS,
    BusinessCalendar,
    Kpis,
    Outcome,
    Pause,
    PauseCount,
    Problem,
    RowContext,
    SlaState,
    Status,
    Thresholds,
    Ticket,
    cell_text,
    compute_kpis,
    decide,
    fit_cell_text,
    is_blank,
    is_blank_row,
    label,
    moments_of_change,
    parse_calendar,
    read_paused_hours,
    read_resolved_again,
    resolved_again,
    rule_facts,
)
from tickets.model import check_choices, check_loop, read_cells
from tickets.review import monthly_review

__all__ = ["Desk", "DeskSettings", "CycleReport", "TicketRow", "CYCLE_STAGES", "IntakeHook"]

BOUNCES_SHOWN_KEY = "bounced addresses shown"  # the state's bad_addresses_mark the last written cycle showed
NO_BOUNCES = "0|"

log = logging.getLogger(__name__)
CYCLE_STAGES = ("reading the workbook", "reading the rules", "checking rows", "deciding", "writing", "mailing")


@dataclass
class TicketRow:
    """A ticket row as read and worked on in this cycle."""

    index: int  # 0-based position in the Tickets tab (0 is the header)
    values: list[Cell]  # the row as read (the snapshot's own list: no copy, 100 000 rows add up)
    positions: dict[str, int]  # column key -> position, shared by every row
    original_id: str | None  # the Ticket ID as read (None when the row had none)
    ticket: Ticket
    problems: list[Problem]
    stamps: dict[str, Cell] = field(default_factory=dict)  # blank input cells the daemon fills
    merged: dict[str, tuple[str, str]] = field(default_factory=dict)  # column key -> (cell, merge) hidden by a merge
    replaces: dict[str, Cell] = field(default_factory=dict)  # stamps that replace a value: the value replaced
    decision_key: tuple | None = None  # what its decision depends on, when it may be reused (``_decide``)

    def cell(self, key: str) -> Cell:
        """The raw cell of column ``key`` as read (None when the column or the cell is absent)."""
        position = self.positions.get(key)
        return self.values[position] if position is not None and position < len(self.values) else None


@dataclass
class Decision:
    """A row's decision kept for the next cycles: reused while the row, its facts, its rules and the row's
    problems are the same and no moment at which time alone changes it (``tickets.moments_of_change``) has
    come, so a cycle decides only the rows that changed."""

    decided_at: datetime
    until: datetime | None  # the first moment time alone may change it; None: never
    problems: list[Problem]
    outcome: Outcome
    writes: tuple[CellWrite, ...] | None = None  # the cells the row needed, once worked out
    replied: Cell = None  # the Customer replied cell those writes were worked out for (from the state store)

    def holds(self, problems: list[Problem], now: datetime) -> bool:
        return self.decided_at <= now and (self.until is None or now < self.until) and problems == self.problems


@dataclass(frozen=True)
class DeskSettings:
    """How one desk works, built once from the config (``sync.service.desks``) and passed down.

    ``language`` is the workbook's ("auto": from its headers); ``aliases`` add header labels per column key;
    ``thresholds`` are the ``[reminders]`` time thresholds; ``dashboard`` writes the Dashboard tab;
    ``daily_digest_at`` is when the managers' daily digest goes out; ``remember`` keeps each cycle's settled
    result in the state store for the next process (``run --once``), where a daemon keeps it in memory only.
    """

    language: str = "auto"
    aliases: Mapping[str, Sequence[str]] = field(default_factory=dict)
    thresholds: Thresholds = Thresholds()
    dashboard: bool = True
    daily_digest_at: time_of_day | None = None
    remember: bool = True
    date_order: str | None = None  # "DMY" / "MDY": how slashed dates such as 11/03/2026 are read; None: ambiguous

    def identity(self) -> tuple:
        """What a remembered result depends on among these settings."""
        aliases = sorted((key, tuple(labels)) for key, labels in self.aliases.items())
        return (self.language, aliases, self.thresholds, self.date_order)


class IntakeHook(Protocol):
    """The desk's intake channels (``sync.intake.channels``), run around each cycle.

    ``before_cycle`` takes in what customers sent (queueing complaints for this cycle); ``from_workbook`` takes
    in what they put in the workbook itself (a Forms responses tab) and returns Rule check problems as
    ``(tab, cell, message)``; ``after_cycle`` answers them with what the cycle decided (acknowledgements).
    None raises for a channel's problem: each returns the problems to report (a mailbox that cannot be reached
    waits for the next cycle).
    """

    def before_cycle(self, now: datetime, dry_run: bool) -> list[str]: ...

    def from_workbook(
        self, sheets: Mapping[str, Sheet], zone: tzinfo, language: str, dry_run: bool
    ) -> list[tuple[str, str | None, str]]: ...

    def after_cycle(self, report: CycleReport, now: datetime, dry_run: bool) -> list[str]: ...


class Desk:
    """One workbook's complaint desk: its backend, state store, settings and (to send mail) its mailroom;
    ``intake`` runs the customers' channels around each cycle."""

    def __init__(
        self, backend: Backend, state: StateStore, settings: DeskSettings | None = None, *,
        mailroom: Mailroom | None = None,
        customers: CustomerLoop | None = None,
        intake: IntakeHook | None = None,
    ) -> None:
        self.intake = intake
        self.backend = backend
        self.state = state
        self.settings = settings or DeskSettings()
        self.mailroom = mailroom
        self.settled = SettledCache(state, self.settings.identity(), remember=self.settings.remember)
        self.customers = customers  # the portal's answers in, what customers may see out (None: no portal)
        # Between cycles of a long-running daemon most rows and rules are unchanged: remember what reading a
        # row's cells and deciding its rules gave, keyed by exactly what they depend on.
        self._row_cache: dict[tuple, tuple[Ticket, list[Problem]]] = {}
        self._verdict_cache: dict[tuple, Verdict] = {}
        self._verdict_cache_version: object = None
        self._decisions: dict[tuple, Decision] = {}
        self._reserved: tuple[str, int, int] | None = None  # ticket numbers this cycle took for new rows

    # -- the cycle -----------------------------------------------------------------------------------------

    def cycle(
        self, now: datetime, dry_run: bool = False, progress: Callable[[str], None] | None = None
    ) -> CycleReport:
        """Run one cycle as of ``now`` (naive: wall-clock time in the Calendar's zone).

        With ``dry_run`` nothing is written or sent. ``progress`` is told each of ``CYCLE_STAGES`` as it starts.
        """
        step = progress or _no_progress
        started = time.perf_counter()
        step(CYCLE_STAGES[0])
        with self._one_connection():
            intake_problems = self.intake.before_cycle(now, dry_run) if self.intake is not None else []
            report = self._cycle(now, dry_run, step, started)
            report.intake_problems = intake_problems
            if self.intake is not None:
                report.intake_problems += self.intake.after_cycle(report, now, dry_run)
        for problem in report.intake_problems:
            log.warning("intake: %s", problem)
        return report

    def _bounce_news(self) -> bool:
        """Whether an address bounced since the last cycle that wrote: its tickets' Check cells
        must say so, so this cycle is not quiet."""
        return self.state.bad_addresses_mark() != (self.state.get(BOUNCES_SHOWN_KEY) or NO_BOUNCES)

    def _one_connection(self) -> AbstractContextManager[None]:
        """The cycle's one mail connection: reminders, digests, customer mail and acknowledgements share it."""
        return self.mailroom.transport.held() if self.mailroom is not None else contextlib.nullcontext()

    def _cycle(self, now: datetime, dry_run: bool, step: Callable[[str], None], started: float) -> CycleReport:
        # A channel that queued a complaint needs a full cycle to append it.
        # So does a customer's answer waiting to be written back.
        full = self.state.has_queued() or bool(self.customers and self.customers.has_work()) or self._bounce_news()
        settled = None if full else self.settled.current(now, self._fingerprint())
        if settled is not None and not dry_run:
            return self._quiet_cycle(settled, now, started)
        snapshot = self.backend.read()
        settled = None if full or dry_run else self.settled.holding(now)
        if settled is not None and self._same_as_settled(settled, snapshot):
            return self._quiet_cycle(settled, now, started)  # saved by a person, but nothing in it changed
        view = WorkbookView.of(snapshot, self.settings.language, self.settings.aliases)
        report = CycleReport(self.backend.describe(), dry_run=dry_run, language=view.language,
                             tickets_tab=view.tabs["tickets"])
        calendar, calendar_problems = parse_calendar(view.rows("calendar"))
        # The desk lives in its Calendar's zone: a naive --now is wall-clock time there, and the daily digest
        # and due times in mail are read in that zone.
        now = now.astimezone(calendar.zone) if now.tzinfo is not None else now.replace(tzinfo=calendar.zone)
        channel_problems = (self.intake.from_workbook(view.snapshot.sheets, calendar.zone, view.language, dry_run)
                            if self.intake is not None else [])
        queue = self._take_queue(view, calendar, dry_run)
        view = WorkbookView.of(queue.snapshot, view.language, self.settings.aliases)
        step(CYCLE_STAGES[1])
        rules = load_rules(view, self.state, now, persist=not dry_run)
        rules.problems.extend(view.header_problems())
        if not dry_run:
            self.state.set_staff_addresses(_staff_addresses(rules))
        step(CYCLE_STAGES[2])
        rows = self._read_rows(view, calendar, rules, now)
        self._stamp(rows, view, calendar, now, dry_run)
        _flag_rows(rows)
        bounced = self.state.bad_addresses()
        _flag_bounced_contacts(rows, bounced, calendar.zone)
        _default_tiers(rows, queue, rules.allowed.get("tier", ()))
        if self.customers is not None and not dry_run:
            self.customers.apply_answers(rows, view.language, calendar.zone)
            for message in [*self.customers.answer_messages(rows, view.language),
                            *self.customers.take_replies(rows, view.language, calendar.zone, now)]:
                self.state.add_customer_message(message)
        step(CYCLE_STAGES[3])
        outcomes = self._decide(rows, rules, calendar, now, view.language)
        thresholds = self.settings.thresholds
        kpis = compute_kpis(
            outcomes, now, calendar.zone, grade_order=rules.grades,
            cluster_threshold=thresholds.cluster_threshold, cluster_days=thresholds.cluster_days,
        )
        changes = self._changes(view, rows, outcomes, calendar, rules, calendar_problems, kpis, now, queue,
                                channel_problems)
        report.rows, report.outcomes, report.kpis = len(rows), outcomes, kpis
        report.rule_findings, report.calendar_findings = tuple(rules.problems), tuple(calendar_problems)
        report.problem_rows = sum(1 for outcome in outcomes if outcome.problems)
        report.rule_problems = len(rules.problems) + len(calendar_problems) + len(channel_problems)
        if not dry_run:
            step(CYCLE_STAGES[4])
            self._write(changes, snapshot, report, queue, now)
            if not report.deferred:
                self._remember_pauses(outcomes)
            self.state.record_cycle(((row.ticket.ticket_id, row.ticket.effective_status.value) for row in rows
                                     if row.ticket.ticket_id), now)
            if self.customers is not None and not report.deferred:
                self._serve_customers(outcomes, rules, view.language, calendar, now, bounced, report)
            if not report.deferred:
                self.state.put(BOUNCES_SHOWN_KEY, self.state.bad_addresses_mark())
        if self.mailroom is not None:
            step(CYCLE_STAGES[5])
            self._remind(outcomes, calendar, kpis, now, dry_run, report)
        if not dry_run:
            self._settle(report, rules, calendar, view.rows("calendar"), now, snapshot, written=not report.deferred)
        report.duration_seconds = time.perf_counter() - started
        return report

    # -- quiet cycles --------------------------------------------------------------------------------------

    def _settle(
        self, report: CycleReport, rules: LoadedRules, calendar: BusinessCalendar, calendar_rows: list[list[Cell]],
        now: datetime, snapshot: Snapshot, written: bool,
    ) -> None:
        """Remember, after a cycle that left the workbook as it wants it, until when nothing can change; after a
        cycle that wrote nothing, also the digest of the values it read (a later save that changes nothing)."""
        fingerprint = self._fingerprint()
        settled = None
        if written and fingerprint is not None and "hours_open" not in rules.facts_used:
            until = next_change(report.outcomes, calendar, now, self.settings.thresholds)
            if report.wrote:  # the file as this cycle wrote it
                settled = Settled(fingerprint(), until, report, calendar)
            else:  # the file as this cycle read it: a save made meanwhile is not taken for what was read
                settled = Settled(self._fingerprint_of(snapshot), until, report, calendar, snapshot_digest(snapshot))
        self.settled.keep(settled, calendar_rows, wrote=report.wrote)

    def _fingerprint(self) -> Callable[[], object] | None:
        """The backend's cheap fingerprint of the workbook, when it has one (see ``Fingerprinted``), with the
        state store's mark of customer messages: a new message is news for the Messages tab."""
        if not isinstance(self.backend, Fingerprinted):
            return None
        backend = self.backend
        return lambda: (backend.fingerprint(), self.state.messages_mark())

    def _fingerprint_of(self, snapshot: Snapshot) -> object:
        """The fingerprint (as ``_fingerprint`` gives it) of the workbook as ``snapshot`` read it."""
        return (snapshot.version, self.state.messages_mark())

    def _same_as_settled(self, settled: Settled, snapshot: Snapshot) -> bool:
        """Whether ``snapshot`` holds the values ``settled`` was made from and no customer message came since
        (a person saved the file without changing it); if so, its fingerprint becomes the settled one."""
        if self._fingerprint() is None:
            return False
        fingerprint = self._fingerprint_of(snapshot)
        return settled.fingerprint[1] == fingerprint[1] and self.settled.same_values(settled, snapshot, fingerprint)

    def _quiet_cycle(self, settled: Settled, now: datetime, started: float) -> CycleReport:
        """A cycle over an unchanged workbook before anything falls due: only the mail runs."""
        now = now.astimezone(settled.calendar.zone) if now.tzinfo else now.replace(tzinfo=settled.calendar.zone)
        last = settled.report
        report = replace(last, cells_written=0, wrote=False, deferred=None, dry_run=False, mails_sent=0,
                         mails_waiting=0, mails_failed=0, mail_failures=[], mails_held=0, duration_seconds=0.0,
                         quiet=True)
        if self.mailroom is not None and last.kpis is not None:
            self._remind(last.outcomes, settled.calendar, last.kpis, now, False, report)
        report.duration_seconds = time.perf_counter() - started
        return report

    def _write(
        self, changes: ChangeSet, snapshot: Snapshot, report: CycleReport, queue: QueuedRows, now: datetime
    ) -> None:
        """Apply ``changes``; then acknowledge the queued complaints that reached the tab.

        Ticket numbers this cycle reserved for new rows are given back when the write was not made, so the
        next cycle gives those rows the same numbers (unless a channel took a later number meanwhile).
        """
        try:
            self._apply(changes, snapshot, report)
        finally:
            if not report.wrote and self._reserved is not None:
                self.state.release_ticket_numbers(*self._reserved)
            self._reserved = None
        appended = queue.already_written + (list(queue.rows) if report.wrote else [])
        if appended:
            self.state.mark_appended(appended, now)

    def _remember_pauses(self, outcomes: Sequence[Outcome]) -> None:
        """Once the sheet shows each ticket's Paused h, remember what it counts (tickets.waits). Only after a
        write that was made: a deferred one leaves the memory as the sheet still is, so the wait is counted again
        next cycle."""
        remembered = self.state.pause_counts()
        changed = [(outcome.ticket.ticket_id, outcome.paused) for outcome in outcomes
                   if outcome.paused is not None and outcome.ticket.ticket_id
                   and remembered.get(outcome.ticket.ticket_id) != outcome.paused]
        if changed:
            self.state.record_pause_counts(changed)  # type: ignore[arg-type]

    def _apply(self, changes: ChangeSet, snapshot: Snapshot, report: CycleReport) -> None:
        if not changes:
            return
        try:
            self.backend.apply(changes, snapshot)
        except WriteDeferred as deferred:
            log.warning("%s", deferred)
            report.deferred = str(deferred)
            return
        report.wrote = True
        report.cells_written = len(changes.cells) + sum(len(row) for row in changes.append)
        report.rows_appended = len(changes.append)
        for write in changes.cells:
            if write.column == "ticket_id" and (parsed := parse_ticket_id(write.value)):
                self.state.record_ticket_number(*parsed)

    def _serve_customers(
        self, outcomes: list[Outcome], rules: LoadedRules, language: str, calendar: BusinessCalendar, now: datetime,
        bounced: Mapping[str, BadAddress], report: CycleReport,
    ) -> None:
        """The write landed: mark the customers' answers done, publish for the portal, send customer mail —
        but for mail to an address that bounced, held (unsent, so composed again) until the Contact changes."""
        assert self.customers is not None
        self.customers.finish(wrote=True)
        sender = self.mailroom.sender if self.mailroom is not None else None
        composed = self.customers.publish(outcomes, rules.allowed, language, calendar.zone, now, sender,
                                          recorded_languages=self.state.recorded_languages(),
                                          workbook=self._workbook_ref())
        mails = [mail for mail in composed if not _to_bounced(mail.message, bounced)]
        held = len(composed) - len(mails)
        if held:
            report.mails_held += held
            log.info("customer mail: %s message(s) held: the address bounced — fix the Contact", held)
        if not mails or self.mailroom is None:
            return
        results = self.mailroom.transport.send([mail.message for mail in mails])
        delivered = {result.message_id for result in results if result.delivered}
        self.customers.mark_sent(mails, lambda mail: str(mail.message["Message-ID"]) in delivered, now)
        for result in results:
            if not result.delivered:
                log.warning("customer mail: %s", result.error)

    def _remind(
        self, outcomes: list[Outcome], calendar: BusinessCalendar, kpis: Kpis, now: datetime, dry_run: bool,
        report: CycleReport,
    ) -> None:
        assert self.mailroom is not None
        thresholds = self.settings.thresholds

        def department_kpis(language: str, departments: frozenset[str]) -> dict[str, object]:
            mine = [outcome for outcome in outcomes
                    if outcome.assignment is not None and outcome.assignment.department in departments]
            figures = compute_kpis(mine, now, calendar.zone, cluster_threshold=thresholds.cluster_threshold,
                                   cluster_days=thresholds.cluster_days)
            return shown_figures(figures, language)

        mail = self.mailroom.run_cycle(
            outcomes, now, calendar, dry_run=dry_run, row_link=self._row_link(),
            daily_kpis=lambda language: shown_figures(kpis, language),
            daily_digest_at=self.settings.daily_digest_at, language=report.language,
            monthly_review=lambda language, month: review_lines(
                monthly_review(outcomes, month, now, calendar.zone), language),
            department_kpis=department_kpis,
            workbook=self._workbook_ref(),
            customer_replies=latest_replies(self.state.customer_messages(), self.state.status_spans()),
        )
        report.mails_sent = len(mail.composed) if dry_run else len(mail.sent)
        report.mails_held += mail.held + mail.queued_quiet  # customer mail held for a bounce counts too
        report.mails_waiting, report.mails_failed = mail.waiting_retry, len(mail.dead)
        report.mail_failures = list(mail.failures)
        for failure in mail.failures:
            log.warning("%s", failure.describe())
        for problem in mail.problems:
            log.warning("mail: %s", problem)

    def _workbook_ref(self) -> WorkbookRef:
        """The workbook as mail names it: the file's name, or the sheet's title and its link."""
        path = getattr(self.backend, "path", None)
        name = Path(path).name if path is not None else self.backend.describe()
        link = self.backend.workbook_link() if isinstance(self.backend, WorkbookLinks) else None
        return WorkbookRef(name, link)

    def _row_link(self) -> Callable[[Ticket], str | None] | None:
        """Links to a ticket's row, for backends that have them (Google Sheets)."""
        if not isinstance(self.backend, RowLinks):
            return None
        link = self.backend.row_link
        return lambda ticket: link(ticket.ticket_id) if ticket.ticket_id else None

    # -- reading -------------------------------------------------------------------------------------------

    def _read_rows(
        self, view: WorkbookView, calendar: BusinessCalendar, rules: LoadedRules, now: datetime
    ) -> list[TicketRow]:
        context = RowContext(
            zone=calendar.zone, now=now, allowed=rules.allowed, date_order=self.settings.date_order,
            satisfaction_target=self.settings.thresholds.satisfaction_target,
        )
        positions = view.header.positions
        sheet_rows = view.rows("tickets")
        covered = view.covered_cells()
        rows: list[TicketRow] = []
        cache: dict[tuple, tuple[Ticket, list[Problem]]] = {}
        for index in range(1, len(sheet_rows)):
            values = sheet_rows[index]
            cells = {key: values[position] if position < len(values) else None for key, position in positions.items()}
            if is_blank_row(cells) and not _covered_in(covered, index, positions):
                continue
            ticket, problems = self._read_ticket(index + 1, cells, context, cache)
            # the ID cell as it reads, even when it is not a valid ID (#N/A): the backend finds the row again by it
            row = TicketRow(index, values, positions, cell_text(cells.get("ticket_id")) or None, ticket, problems)
            row.merged = _merged_keys(covered, index, positions)
            rows.append(row)
        self._row_cache = cache
        return rows

    def _read_ticket(
        self, row: int, cells: dict[str, Cell], context: RowContext, cache: dict
    ) -> tuple[Ticket, list[Problem]]:
        """Read one row into a ticket and its problems, reusing last cycle's reading of identical cells."""
        key = (row, context.zone, context.date_order, *(cells.get(column) for column in INPUT_KEYS))
        known = self._row_cache.get(key)
        if known is None:
            data, cell_problems = read_cells(cells, context.zone, context.date_order)
            known = (Ticket.model_validate({"row": row, **data}), cell_problems)
        cache[key] = known
        ticket, cell_problems = known
        return ticket, [*cell_problems, *check_choices(ticket, context), *check_loop(ticket, context)]

    # -- stamping ------------------------------------------------------------------------------------------

    def _stamp(
        self, rows: list[TicketRow], view: WorkbookView, calendar: BusinessCalendar, now: datetime, dry_run: bool
    ) -> None:
        """Fill blank input cells whose meaning is certain: a new Ticket ID, Received, First response, Resolved."""
        first_seen = self.state.first_seen()
        local_now = now.astimezone(calendar.zone).replace(second=0, microsecond=0)
        self._assign_ids(rows, local_now, reserve=not dry_run)
        positions = view.header.positions
        for row in rows:
            status = row.ticket.status
            if "received" in positions and is_blank(row.cell("received")):
                seen = first_seen.get(row.ticket.ticket_id or "")
                row.stamps["received"] = (seen.astimezone(calendar.zone) if seen else local_now).replace(
                    second=0, microsecond=0
                )
            # A cycle leaves what the next would leave: on a row whose Received is not valid (unreadable, an
            # error, in the future) a stamped time would be "before Received" next cycle, so nothing is stamped.
            received_ok = "received" not in positions or "received" in row.stamps or (
                row.ticket.received is not None and row.ticket.received <= now
            )
            if (
                received_ok
                and "first_response" in positions
                and is_blank(row.cell("first_response"))
                and status not in (None, Status.NEW, Status.DUPLICATE)
            ):
                row.stamps["first_response"] = local_now
            if received_ok and "resolved" in positions and is_blank(row.cell("resolved")) and status in DONE_STATUSES:
                row.stamps["resolved"] = local_now
            for key in row.merged:  # a cell hidden under a merge is never written: the row's Check says why
                row.stamps.pop(key, None)
            if row.stamps:
                self._apply_stamps(row, RowContext(zone=calendar.zone, now=now,
                                                   satisfaction_target=self.settings.thresholds.satisfaction_target))

    @staticmethod
    def _apply_stamps(row: TicketRow, context: RowContext) -> None:
        """Put the stamps into the row's ticket and check its closed loop again: a stamped Received can make a
        typed date "before Received" now, and saying so in this cycle is what the next cycle would say."""
        before = set(check_loop(row.ticket, context))
        row.ticket = row.ticket.model_copy(update=row.stamps)
        kept = [problem for problem in row.problems if problem not in before and not _fixed_by_stamps(problem, row.stamps)]
        row.problems = [*kept, *check_loop(row.ticket, context)]

    def _assign_ids(self, rows: list[TicketRow], local_now: datetime, reserve: bool) -> None:
        """Number new rows after the day's highest number in the sheet or ever reserved (never reused).

        With ``reserve`` the numbers are reserved in the state store (an intake channel in another process
        reserves from the same counter); ``_write`` gives them back when the write is not made, so a deferred
        write gives the same numbers again next cycle.
        """
        highest = _highest_numbers(rows)
        if reserve:  # numbers typed into the sheet are taken too: a channel must not reserve them again
            self.state.record_ticket_numbers(highest.items())
        unnamed = [row for row in rows if is_blank(row.cell("ticket_id")) and "ticket_id" not in row.merged]
        if not unnamed:
            return
        day = local_now.strftime("%Y%m%d")
        taken = highest.get(day, 0)
        if reserve:
            first = self.state.reserve_ticket_numbers(day, len(unnamed), at_least=taken)
            self._reserved = (day, first, first + len(unnamed) - 1)
        else:
            first = max(taken, self.state.last_ticket_number(day)) + 1
        for number, row in enumerate(unnamed, start=first):
            row.stamps["ticket_id"] = format_ticket_id(day, number)

    # -- deciding ------------------------------------------------------------------------------------------

    def _decide(
        self, rows: list[TicketRow], rules: LoadedRules, calendar: BusinessCalendar, now: datetime, language: str
    ) -> list[Outcome]:
        """Every row's Outcome. A row whose cells, facts and problems are as in an earlier cycle, under the same
        rules, calendar and settings, reuses that cycle's decision until time alone could change it."""
        tickets = [row.ticket for row in rows]
        similar = similar_counts(tickets, 7)
        customers = customer_counts(tickets, 30)
        spans = self.state.status_spans()
        # hours_open is the one rule fact that moves with every tick of the clock: no reuse while a rule tests it.
        context = None if "hours_open" in rules.facts_used else (
            rules.version, calendar, self.settings.thresholds, language, tuple(rows[0].positions.items()) if rows else ())
        solved = last_solved(tickets)
        remembered = self.state.pause_counts()
        earlier, self._decisions = self._decisions, {}
        outcomes = []
        for row, similar_7d, customer_30d, before in zip(rows, similar, customers, solved, strict=True):
            if context is not None and not row.stamps:
                memory = repr(remembered.get(row.ticket.ticket_id or ""))
                row.decision_key = (row.index, tuple(row.values), similar_7d, customer_30d, before,
                                    _waits(spans, row.ticket), memory, context)
            known = earlier.get(row.decision_key) if row.decision_key is not None else None
            if known is None or not known.holds(row.problems, now):
                outcome = self._outcome(row, rules, calendar, now, similar_7d, customer_30d, spans, remembered)
                outcome = replace(outcome, last_solved=before) if before else outcome
                known = Decision(now, _first_change(outcome, calendar, now, self.settings.thresholds),
                                 list(row.problems), outcome)
            if row.decision_key is not None:
                self._decisions[row.decision_key] = known
            outcomes.append(known.outcome)
        return outcomes

    def _outcome(
        self,
        row: TicketRow,
        rules: LoadedRules,
        calendar: BusinessCalendar,
        now: datetime,
        similar_7d: int,
        customer_30d: int,
        spans: dict[str, list[StatusSpan]],
        remembered: dict[str, PauseCount],
    ) -> Outcome:
        """The kernel's decision for one row; the engine only gathers what it needs."""
        ticket = row.ticket
        if ticket.status is Status.DUPLICATE:
            verdict = Verdict()
        else:
            verdict = self._verdict(rules, rule_facts(ticket, similar_7d, customer_30d, now, rules.facts_used))
        waits = [Pause(span.since, span.until) for span in spans.get(ticket.ticket_id or "", [])
                 if span.status == Status.WAITING.value]
        memory = remembered.get(ticket.ticket_id or "")
        sheet = read_paused_hours(row.cell("paused_hours"))
        history = [(span.status, span.since) for span in spans.get(ticket.ticket_id or "", [])]
        again = resolved_again(ticket, read_resolved_again(row.cell("resolved_again"), calendar.zone), history,
                               now.astimezone(calendar.zone).replace(second=0, microsecond=0))
        return decide(ticket, verdict, calendar=calendar, now=now, thresholds=self.settings.thresholds, waits=waits,
                      paused_hours=sheet if sheet is not None else (memory.hours if memory else None),
                      remembered=memory, resolved_again=again, similar_7d=similar_7d, customer_30d=customer_30d,
                      problems=row.problems)

    def _verdict(self, rules: LoadedRules, facts: dict[str, object]) -> Verdict:
        """Decide a ticket's rules, reusing the verdict for the same facts under the same rules."""
        if self._verdict_cache_version != rules.version:
            self._verdict_cache, self._verdict_cache_version = {}, rules.version
        key = tuple(facts.get(name) for name in rules.facts_used)
        verdict = self._verdict_cache.get(key)
        if verdict is None:
            verdict = self._verdict_cache[key] = rules.evaluate(facts)
        return verdict

    # -- writing -------------------------------------------------------------------------------------------

    def _changes(
        self,
        view: WorkbookView,
        rows: list[TicketRow],
        outcomes: Sequence[Outcome],
        calendar: BusinessCalendar,
        rules: LoadedRules,
        calendar_problems: list,
        kpis: Kpis,
        now: datetime,
        queue: QueuedRows,
        channel_problems: Sequence[tuple[str, str | None, str]] = (),
    ) -> ChangeSet:
        positions = view.header.positions
        changes = ChangeSet(view.tabs["tickets"], columns={key: position for key, position in positions.items()
                                                            if key not in queue.new_columns})
        changes.add_columns.update(queue.new_columns)
        for key in COMPUTED_KEYS:
            if key not in positions and key not in view.ambiguous:
                changes.add_columns[key] = label(key, view.language)
        zone = calendar.zone
        replied = self._messages(view, changes, rows, zone)
        for row, outcome in zip(rows, outcomes, strict=True):
            wanted = desired_cells(outcome, view.language, zone)
            wanted["customer_replied"] = replied.get(row.ticket.ticket_id or "")
            if queue.is_queued(row.index):
                changes.append.append(_new_row(row, wanted, zone))
                continue
            decision = self._decisions.get(row.decision_key) if row.decision_key is not None else None
            if decision is not None and decision.writes is not None and decision.replied == wanted["customer_replied"]:
                changes.cells.extend(decision.writes)  # the same row, decision and language: the same cells
                continue
            first = len(changes.cells)
            reference = RowRef(row.index, row.original_id)
            for key, value in row.stamps.items():
                if key in positions:
                    changes.cells.append(CellWrite(reference, key, _wall_clock(value, zone), row.replaces.get(key)))
            for key, value in wanted.items():
                value = fit_cell_text(value)
                if key in row.merged or key in positions and same_cell(row.cell(key), value, zone):
                    continue
                if key not in positions and value is None:
                    continue
                changes.cells.append(CellWrite(reference, key, value))
            if decision is not None:
                decision.writes, decision.replied = tuple(changes.cells[first:]), wanted["customer_replied"]
        rule_check = _fitted(rule_check_tab(rules, calendar_problems, view.language, channel_problems))
        if rule_check is not None and _tab_differs(view, "rule_check", rule_check):
            changes.tabs[view.tab_name("rule_check")] = rule_check
        lessons = _fitted(build_lessons(outcomes, view.language, zone))
        if _tab_differs(view, "lessons", lessons):
            changes.tabs[view.tab_name("lessons")] = lessons
        if self.settings.dashboard:
            dashboard = _dashboard(view, kpis, now)
            if dashboard is not None:
                changes.tabs[view.tab_name("dashboard")] = dashboard
        if not view.snapshot.formatting_ok or "sla" in changes.add_columns or "check" in changes.add_columns:
            changes.formatting = _formatting_spec(view, rules)
        return changes

    def _messages(self, view: WorkbookView, changes: ChangeSet, rows: list[TicketRow], zone) -> dict[str, str]:
        """Put the Messages tab in ``changes`` when it changed; return the Customer replied cells."""
        messages = self.state.customer_messages()
        if not messages:
            return {}
        tab = _fitted(build_messages(messages, view.language, zone))
        if _tab_differs(view, "messages", tab):
            changes.tabs[view.tab_name("messages")] = tab
        spans = self.state.status_spans()
        waiting = [row.ticket.ticket_id for row in rows if row.ticket.status is Status.WAITING and row.ticket.ticket_id]
        moved = {row.ticket.ticket_id for row in rows if row.ticket.ticket_id in spans  # its status changed now
                 and spans[row.ticket.ticket_id][-1].status != row.ticket.effective_status.value}
        replied = replied_cells(messages, spans, waiting, view.language, zone)
        return {ticket_id: text for ticket_id, text in replied.items() if ticket_id not in moved}

    # -- the intake queue ----------------------------------------------------------------------------------

    def _take_queue(self, view: WorkbookView, calendar: BusinessCalendar, dry_run: bool) -> QueuedRows:
        """The complaints channels queued, placed below the Tickets rows; publish the Calendar's zone for them."""
        if not dry_run:
            self.state.set_desk_zone(calendar.zone)
        return take_queue(view.snapshot, view.tabs["tickets"], view.header.positions, view.language, self.state,
                          calendar.zone, save_texts=not dry_run)


def _bounced_addresses_of(contact: str | None, bounced: Mapping[str, BadAddress]) -> list[BadAddress]:
    return [bounced[address] for address in contact_emails(contact) if address in bounced]


def _flag_bounced_contacts(rows: Sequence[TicketRow], bounced: Mapping[str, BadAddress], zone: tzinfo) -> None:
    """A row whose Contact holds an address mail to which bounced says so in its Check cell, with the date and
    what to do (its customer mail is held until the Contact changes)."""
    if not bounced:
        return
    for row in rows:
        for bad in _bounced_addresses_of(row.ticket.contact, bounced):
            when = f"{bad.flagged_at.astimezone(zone):%Y-%m-%d %H:%M}"
            row.problems.append(Problem("contact", "contact_bounced", {"value": bad.address, "date": when}))


def _to_bounced(message: EmailMessage, bounced: Mapping[str, BadAddress]) -> bool:
    """Whether ``message`` goes to an address that bounced."""
    return any(address.addr_spec.lower() in bounced for address in message["To"].addresses)


def _highest_numbers(rows: Sequence[TicketRow]) -> dict[str, int]:
    """The highest ticket number of each day among the rows' Ticket IDs."""
    highest: dict[str, int] = {}
    for row in rows:
        parsed = parse_ticket_id(row.ticket.ticket_id)
        if parsed is not None and parsed[1] > highest.get(parsed[0], 0):
            highest[parsed[0]] = parsed[1]
    return highest


def _default_tiers(rows: list[TicketRow], queue: QueuedRows, tiers: Sequence[str]) -> None:
    """Give a queued complaint without a tier its customer's tier: the one on the contact's latest ticket, else
    the last tier of the Lists tab (the template's Standard), so its deadlines hold from the first cycle."""
    known: dict[str, str] = {}
    for row in rows:
        contact = (row.ticket.contact or "").casefold()
        if contact and row.ticket.tier and not queue.is_queued(row.index):
            known[contact] = row.ticket.tier
    for row in rows:
        if not queue.is_queued(row.index) or row.ticket.tier or "tier" not in row.positions:
            continue
        tier = known.get((row.ticket.contact or "").casefold()) or (tiers[-1] if tiers else None)
        if tier:
            row.stamps["tier"] = tier
            row.ticket = row.ticket.model_copy(update={"tier": tier})


def _staff_addresses(rules: LoadedRules) -> list[str]:
    """Every address on the Liaisons tab: liaisons, managers, deputies (the mailbox never acknowledges them)."""
    entries = rules.book.liaisons.entries
    return [address for entry in entries for address in (entry.email, entry.manager_email, entry.deputy_email)
            if address]


def _new_row(row: TicketRow, computed: dict[str, Cell], zone) -> dict[str, Cell]:
    """A queued complaint's whole row, as ``ChangeSet.append`` takes it: its cells, stamps and computed cells."""
    cells: dict[str, Cell] = {key: row.cell(key) for key in row.positions if not is_blank(row.cell(key))}
    for key, value in row.stamps.items():
        cells.setdefault(key, _wall_clock(value, zone))
    for key, value in computed.items():
        if value is not None:
            cells[key] = value
    return cells


def _dashboard(view: WorkbookView, kpis: Kpis, now: datetime) -> GeneratedTab | None:
    """The Dashboard tab, or None when its numbers have not changed (the time it was made does not count)."""
    tab = build_dashboard(kpis, view.language, now)
    _fitted(tab)
    if "dashboard" not in view.tabs:
        return tab
    return tab if dashboard_changed(view.rows("dashboard"), tab) else None


def _fitted(tab: GeneratedTab | None) -> GeneratedTab | None:
    """The tab with every text as a sheet can hold it (no control characters, within the cell limit), so what
    is written reads back the same and the next cycle finds nothing to write."""
    if tab is not None:
        tab.rows = [[fit_cell_text(value) for value in row] for row in tab.rows]
    return tab


def _covered_in(covered: dict[tuple[int, int], tuple[str, str]], index: int, positions: dict[str, int]) -> bool:
    return bool(covered) and any((index, position) in covered for position in positions.values())


def _merged_keys(
    covered: dict[tuple[int, int], tuple[str, str]], index: int, positions: dict[str, int]
) -> dict[str, tuple[str, str]]:
    """The columns of row ``index`` whose cells a merge hides: {column key: (cell, merged range)}."""
    if not covered:
        return {}
    return {key: covered[(index, position)] for key, position in positions.items() if (index, position) in covered}


def _no_progress(stage: str) -> None:
    """No progress display."""


def _wall_clock(value: Cell, zone) -> Cell:
    """Datetimes cross the backend port as naive wall-clock time in the calendar's zone."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(zone).replace(tzinfo=None)
    return value


def _waits(spans: dict[str, list[StatusSpan]], ticket: Ticket) -> tuple[Pause, ...]:
    """The ticket's waits on the customer, from its status history."""
    return tuple(Pause(span.since, span.until) for span in spans.get(ticket.ticket_id or "", [])
                 if span.status == Status.WAITING.value)


def _first_change(outcome: Outcome, calendar: BusinessCalendar, now: datetime, thresholds: Thresholds) -> datetime | None:
    """The first moment after ``now`` at which time alone could change ``outcome`` (None: no such moment)."""
    return min((moment for moment in moments_of_change(outcome, calendar, now, thresholds) if moment > now),
               default=None)


def _flag_rows(rows: list[TicketRow]) -> None:
    """Add the problems a row has as a row, after those of its cells and its closed loop: cells hidden under a
    merge and an ID typed twice. They come last whether or not a stamp re-checked the loop this cycle, so the
    Check cell reads the same in the next cycle (a cycle leaves what the next would leave)."""
    for row in rows:
        row.problems += [Problem(key, "merged_cell", {"cell": cell, "range": merge})
                         for key, (cell, merge) in row.merged.items()]
    _flag_duplicate_ids(rows)


def _flag_duplicate_ids(rows: list[TicketRow]) -> None:
    first_row: dict[str, int] = {}
    for row in rows:
        ticket_id = row.ticket.ticket_id
        if not ticket_id:
            continue
        if ticket_id in first_row:
            row.problems.append(Problem("ticket_id", "duplicate_id", {"value": ticket_id, "other_row": first_row[ticket_id]}))
        else:
            first_row[ticket_id] = row.ticket.row


def _fixed_by_stamps(problem: Problem, stamps: dict[str, Cell]) -> bool:
    return problem.code == "required_for_status" and problem.column in stamps


def _tab_differs(view: WorkbookView, role: str, tab: GeneratedTab) -> bool:
    if role not in view.tabs:
        return True
    return rows_differ(view.rows(role), tab.rows)


def _formatting_spec(view: WorkbookView, rules: LoadedRules) -> FormattingSpec:
    labels = {state.value: state.label(view.language) for state in
              (SlaState.OVERDUE, SlaState.DUE_SOON, SlaState.PAUSED, SlaState.CLOSED)}
    return FormattingSpec(labels, rules.dropdowns(view))
