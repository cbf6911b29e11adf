"""Compose the mails: one digest per recipient per cycle, the admin's alerts, the daily digest.

Every message is an ``email.message.EmailMessage`` with a plain-text and an HTML part, in the recipient's
language. Every value that comes from the sheet is escaped with ``html.escape`` in HTML and flattened to one
line in text; every header value passes ``clean_header_text`` (no CR, LF or control characters) and addresses
go through ``email.headerregistry.Address``, so non-ASCII names are RFC 2047 encoded and nothing can add a
header. The Message-ID is derived from what the message carries (``message_id_for``), so composing the same
content for the same person twice gives the same Message-ID.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from mailers.addresses import clean_header_text, make_address
from mailers.plan import Reminder, Role, Stage
from mailers.templates import HTML_PAGE, words
from tickets import DueKind
from tickets.model import Ticket

__all__ = [
    "DigestRow",
    "RowLink",
    "WorkbookRef",
    "OverdueLine",
    "Cluster",
    "MAX_TABLE_ROWS",
    "message_id_for",
    "build_message",
    "digest_rows",
    "digest_subject",
    "compose_digest",
    "compose_breaker_alert",
    "compose_failure_alert",
    "compose_cluster_alert",
    "compose_daily_digest",
    "compose_monthly_review",
    "compose_test_message",
    "format_duration",
    "staff_footer_text",
    "staff_page",
]

RowLink = Callable[[Ticket], "str | None"]
MAX_TABLE_ROWS = 200  # a digest lists at most this many tickets; the rest are counted, and in the sheet
_MESSAGE_ID_DOMAIN = "sheetdesk"


@dataclass(frozen=True)
class DigestRow:
    """One line of a digest: a ticket's clock at its most advanced stage for this recipient."""

    ticket: Ticket
    grade: str | None
    department: str
    deadline: DueKind
    stage: Stage
    repeat: int
    due: datetime
    late_by: timedelta
    link: str | None = None
    first_notice: bool = False  # the first overdue notice this person gets, whatever the repeat count
    new: bool = False  # this mail also dispatches the ticket: the first its liaison hears of it


@dataclass(frozen=True)
class WorkbookRef:
    """The workbook a mail is about, named in every mail: a file name or a sheet's title, and a link when the
    backend has one (a Google Sheet)."""

    name: str
    link: str | None = None


@dataclass(frozen=True)
class OverdueLine:
    """An overdue ticket in a manager's daily digest."""

    ticket: Ticket
    deadline: DueKind
    due: datetime
    late_by: timedelta
    link: str | None = None


@dataclass(frozen=True)
class Cluster:
    """Many complaints about one product and category in a few days."""

    product: str
    category: str
    count: int
    ticket_ids: tuple[str, ...]


def message_id_for(parts: Iterable[str], recipient: str) -> str:
    """Return a stable Message-ID for a message carrying ``parts`` (reminder or event keys) to ``recipient``."""
    text = "\n".join(sorted(set(parts))) + "\n" + recipient.strip().lower()
    return f"<{hashlib.sha256(text.encode('utf-8')).hexdigest()[:40]}@{_MESSAGE_ID_DOMAIN}>"


def build_message(
    *,
    sender: Address,
    recipient: Address,
    subject: str,
    text: str,
    html_body: str,
    message_id: str,
    now: datetime,
) -> EmailMessage:
    """Return a multipart/alternative message with safe headers (see the module docstring)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = clean_header_text(subject, limit=250)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(text, cte=_transfer_encoding(text))
    message.add_alternative(html_body, subtype="html", cte=_transfer_encoding(html_body))
    return message


def _transfer_encoding(body: str) -> str:
    # 7bit keeps English readable in the raw source; base64 keeps Chinese intact through any relay.
    return "7bit" if body.isascii() and all(len(line) < 990 for line in body.splitlines()) else "base64"


# -- digests ----------------------------------------------------------------------------------------------


def digest_rows(
    reminders: Sequence[Reminder], now: datetime, row_link: RowLink | None = None
) -> list[DigestRow]:
    """Return one row per ticket clock, at its most advanced stage, most urgent (earliest due) first.

    A ticket dispatched by this mail says so on its row, whatever stage its clock has reached.
    """
    best: dict[tuple[str, DueKind], Reminder] = {}
    dispatched = {reminder.ticket_id for reminder in reminders if reminder.stage is Stage.DISPATCH}
    for reminder in reminders:
        slot = (reminder.ticket_id, Stage.CUSTOMER_REPLIED if reminder.stage is Stage.CUSTOMER_REPLIED
                else reminder.deadline)  # a reply is a line of its own, never hidden behind an overdue clock
        if slot not in best or reminder.stage.rank > best[slot].stage.rank:
            best[slot] = reminder
    rows = [
        replace(_row(reminder, now, row_link), new=reminder.ticket_id in dispatched
                and slot[1] not in (DueKind.ACTION, Stage.CUSTOMER_REPLIED))
        for slot, reminder in best.items()
    ]
    return sorted(rows, key=lambda row: (row.due, -row.stage.rank, row.ticket.ticket_id or ""))


def _row(reminder: Reminder, now: datetime, row_link: RowLink | None) -> DigestRow:
    ticket = reminder.outcome.ticket
    return DigestRow(
        ticket=ticket,
        grade=reminder.outcome.grade,
        department=reminder.department,
        deadline=reminder.deadline,
        stage=reminder.stage,
        repeat=reminder.repeat,
        due=reminder.due,
        late_by=reminder.late_by(now),
        first_notice=reminder.first_notice,
        link=_safe_link(row_link(ticket)) if row_link else None,
    )


def _safe_link(link: str | None) -> str | None:
    # Only web links: a javascript: or data: URL from a misbehaving callable must not reach the HTML.
    if link and link.lower().startswith(("https://", "http://")) and link.isprintable():
        return link
    return None


def _bucket(row: DigestRow) -> str:
    if row.stage is Stage.CUSTOMER_REPLIED:
        return "count_replied"
    if row.stage in (Stage.ESCALATION, Stage.ADMIN_ESCALATION):
        return "count_escalated"
    if row.stage is Stage.DISPATCH:
        return "count_dispatch"
    if row.deadline is DueKind.ACTION:
        return "count_action"
    if row.deadline in (DueKind.FOLLOW_UP, DueKind.SECOND_FOLLOW_UP):
        return "count_follow_up"
    return "count_due_soon" if row.stage is Stage.DUE_SOON else "count_overdue"


def digest_subject(rows: Sequence[DigestRow], language: str, summary: bool = False) -> str:
    """Return a subject that says what is inside, e.g. ``3 overdue, 2 due soon — Quality``."""
    order = ("count_escalated", "count_overdue", "count_action", "count_due_soon", "count_follow_up", "count_replied",
             "count_dispatch")
    buckets = [_bucket(row) for row in rows]
    counts = words("list_separator", language).join(
        words(key, language, count=buckets.count(key)) for key in order if key in buckets
    )
    departments = sorted({row.department for row in rows if row.department})
    if len(departments) > 2:
        where = words("departments", language, count=len(departments))
    else:
        where = words("list_separator", language).join(departments) or "sheetdesk"
    return words("subject_summary" if summary else "subject", language, counts=counts, department=where)


def compose_digest(
    reminders: Sequence[Reminder],
    *,
    now: datetime,
    sender: Address,
    summary: bool = False,
    row_link: RowLink | None = None,
    escalate_after_hours: float = 24,
    workbook: WorkbookRef | None = None,
) -> EmailMessage:
    """Given the due reminders of ONE recipient, return their digest mail (naming ``workbook``).

    The language and name are those of the first reminder (a person has one Language in the Liaisons tab).
    Raise ValueError if ``reminders`` is empty or is for more than one recipient.
    """
    recipients = {reminder.recipient.lower() for reminder in reminders}
    if len(recipients) != 1:
        raise ValueError(f"a digest is for one recipient, got {sorted(recipients) or 'none'}")
    first = reminders[0]
    language = first.language
    rows = digest_rows(reminders, now, row_link)
    roles = {reminder.role for reminder in reminders}
    notes = _role_notes(roles, rows, language, escalate_after_hours)
    intro = words("intro_summary" if summary else "intro", language)
    greeting = _greeting(first.recipient_name, language)
    text = _digest_text(greeting, intro, notes, rows, language) + _footer_text(language, workbook, reminder=True)
    html_body = _page(language, intro, _digest_html(greeting, intro, notes, rows, language), workbook, reminder=True)
    return build_message(
        sender=sender,
        recipient=make_address(first.recipient, first.recipient_name),
        subject=digest_subject(rows, language, summary),
        text=text,
        html_body=html_body,
        message_id=message_id_for((reminder.key for reminder in reminders), first.recipient),
        now=now,
    )


def _greeting(name: str | None, language: str) -> str:
    name = clean_header_text(name or "")
    return words("greeting", language, name=name) if name else words("greeting_anonymous", language)


def _role_notes(roles: set[Role], rows: Sequence[DigestRow], language: str, hours: float) -> list[str]:
    notes = []
    if Role.DEPUTY in roles:
        departments = words("list_separator", language).join(sorted({row.department for row in rows}))
        notes.append(words("role_deputy", language, department=departments))
    if Role.MANAGER in roles:
        notes.append(words("role_manager", language, hours=f"{hours:g}"))
    if Role.ADMIN in roles:
        notes.append(words("role_admin", language))
    return notes


def _cells(row: DigestRow, language: str) -> list[str]:
    """The row's cells as plain one-line text (not yet escaped)."""
    ticket = row.ticket
    replied = row.stage is Stage.CUSTOMER_REPLIED
    return [
        _one_line(ticket.ticket_id),
        _one_line(row.grade),
        _one_line(ticket.customer),
        _one_line(ticket.category),
        _excerpt(ticket.description),
        words("deadline_customer_replied", language) if replied else
        words(f"deadline_{row.deadline}", language, owner=_one_line(ticket.action_owner) or words("no_owner", language)),
        f"{row.due:%Y-%m-%d %H:%M}",
        words("replied_at", language) if replied else _lateness(row.late_by, language),
        _stage_text(row, language),
    ]


def _stage_text(row: DigestRow, language: str) -> str:
    shown = Stage.OVERDUE if row.stage is Stage.REPEAT and row.first_notice else row.stage
    stage = words(f"stage_{shown}", language, number=row.repeat + 1)
    if row.new and row.stage is not Stage.DISPATCH:
        return words("stage_dispatch", language) + " · " + stage
    return stage


def _excerpt(value: str | None) -> str:
    text = _one_line(value)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


_EXCERPT = 60


def _one_line(value: object) -> str:
    return clean_header_text(value, limit=120) if value is not None else ""


def _lateness(late_by: timedelta, language: str) -> str:
    if late_by >= timedelta(0):
        return words("late", language, duration=format_duration(late_by, language))
    return words("left", language, duration=format_duration(-late_by, language))


def format_duration(span: timedelta, language: str) -> str:
    """Return ``span`` rounded to minutes, two largest units: ``2 d 3 h``, ``45 min`` / ``2天3小时``."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "days"), (hours, "hours"), (minutes, "minutes")]
    shown = [words(unit, language, count=count) for count, unit in parts if count][:2]
    return words("duration_separator", language).join(shown) or words("minutes", language, count=0)


def _digest_text(
    greeting: str, intro: str, notes: list[str], rows: Sequence[DigestRow], language: str
) -> str:
    lines = [greeting, "", intro, *notes, ""]
    for number, row in enumerate(rows[:MAX_TABLE_ROWS], start=1):
        ticket_id, grade, customer, category, description, deadline, due, late, stage = _cells(row, language)
        heading = " · ".join(cell for cell in (ticket_id, grade, customer, category) if cell)
        lines.append(f"{number}. {heading}")
        if description:
            lines.append(f"   {description}")
        lines.append(f"   {words('due_line', language, deadline=deadline, due=due)} — {late} — {stage}")
        if row.link:
            lines.append(f"   {row.link}")
    lines += _more_rows(rows, language)
    return "\n".join(lines) + "\n"


def staff_footer_text(language: str, workbook: WorkbookRef | None) -> str:
    """The plain-text footer of a mail to the desk's staff: who sent it and which workbook (with its link)."""
    return _footer_text(language, workbook)


def staff_page(language: str, title: str, body: str, workbook: WorkbookRef | None) -> str:
    """The HTML document of a mail to the desk's staff around ``body``, its footer naming the workbook."""
    return _page(language, title, body, workbook)


def _footer_text(language: str, workbook: WorkbookRef | None, reminder: bool = False) -> str:
    """The plain-text footer: who sent it, which workbook (and its link), and for reminders how they stop."""
    lines = ["", words("footer_reminder" if reminder else "footer", language)]
    if workbook is not None:
        shown = f"{_one_line(workbook.name)} {workbook.link}" if _safe_link(workbook.link) else _one_line(workbook.name)
        lines.append(words("workbook_line", language, workbook=shown))
    return "\n".join(lines) + "\n"


def _more_rows(rows: Sequence[DigestRow], language: str) -> list[str]:
    hidden = len(rows) - MAX_TABLE_ROWS
    return [words("more_rows", language, count=hidden)] if hidden > 0 else []


_LATE_STYLE = "color: #b00020; font-weight: bold;"
_SOON_STYLE = "color: #8a5300; font-weight: bold;"
_CELL_STYLE = "border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top;"
_BLOCK_STYLE = "border: 1px solid #ddd; border-left: 4px solid {accent}; border-radius: 4px; padding: 8px 10px; margin: 0 0 10px 0;"
_KEEP = "white-space: nowrap;"  # IDs, dates and durations never break inside


def _digest_html(
    greeting: str, intro: str, notes: list[str], rows: Sequence[DigestRow], language: str
) -> str:
    """The digest's body: a paragraph each for greeting, intro and notes, then one block per ticket."""
    parts = [f"<p>{html.escape(paragraph)}</p>" for paragraph in (greeting, intro, *notes)]
    parts += [_html_block(row, language) for row in rows[:MAX_TABLE_ROWS]]
    parts += [f"<p>{html.escape(line)}</p>" for line in _more_rows(rows, language)]
    return "\n".join(parts)


def _html_block(row: DigestRow, language: str) -> str:
    """One ticket as a block that reads at any width: the ID and grade, who and what, then the clock."""
    ticket_id, grade, customer, category, description, deadline, due, late, stage = (
        html.escape(cell) for cell in _cells(row, language)
    )
    if row.link:
        ticket_id = f'<a href="{html.escape(row.link, quote=True)}" style="color: #1a56a8;">{ticket_id}</a>'
    late_style = _LATE_STYLE if row.late_by >= timedelta(0) else _SOON_STYLE
    accent = "#b00020" if row.late_by >= timedelta(0) else "#d69e00"
    heading = f'<span style="{_KEEP} font-weight: bold;">{ticket_id}</span>'
    if grade:
        heading += f' <span style="{_KEEP} color: #555;">· {grade}</span>'
    who = " · ".join(cell for cell in (customer, category) if cell)
    due_line = html.escape(words("due_line", language, deadline=html.unescape(deadline), due=html.unescape(due)))
    clock = (f'<span style="{_KEEP}">{due_line}</span> · <span style="{_KEEP} {late_style}">{late}</span>'
             f' · <span style="{_KEEP}">{stage}</span>')
    lines = [f'<div style="font-size: 16px;">{heading}</div>']
    if who:
        lines.append(f'<div style="color: #333;">{who}</div>')
    if description:
        lines.append(f'<div style="color: #555;">{description}</div>')
    lines.append(f'<div style="margin-top: 4px;">{clock}</div>')
    return f'<div style="{_BLOCK_STYLE.format(accent=accent)}">' + "".join(lines) + "</div>"


def _page(language: str, title: str, body: str, workbook: WorkbookRef | None = None, reminder: bool = False) -> str:
    """The whole HTML document around ``body``, with the footer (and, for reminders, how they stop)."""
    footer = html.escape(words("footer_reminder" if reminder else "footer", language))
    if workbook is not None:
        name = html.escape(_one_line(workbook.name))
        link = _safe_link(workbook.link)
        if link:
            name = f'<a href="{html.escape(link, quote=True)}" style="color: #1a56a8;">{name}</a>'
        footer += "<br>" + html.escape(words("workbook_line", language, workbook="\x00")).replace("\x00", name)
    return HTML_PAGE.substitute(language=language, title=html.escape(title), body=body, footer=footer)


def _simple_message(
    *,
    to: str,
    language: str,
    subject: str,
    paragraphs: Sequence[str],
    items: Sequence[str],
    sender: Address,
    now: datetime,
    message_id: str,
    name: str | None = None,
    workbook: WorkbookRef | None = None,
) -> EmailMessage:
    """A message of a few paragraphs and a bulleted list; every text is escaped for HTML here."""
    text = "\n\n".join(paragraphs) + "\n\n" + "\n".join(f"- {item}" for item in items) + "\n"
    text += _footer_text(language, workbook)
    listing = "".join(f'<li style="margin-bottom: 4px;">{html.escape(item)}</li>' for item in items)
    body = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    body += f"<ul>{listing}</ul>" if items else ""
    return build_message(
        sender=sender,
        recipient=make_address(to, name),
        subject=subject,
        text=text,
        html_body=_page(language, subject, body, workbook),
        message_id=message_id,
        now=now,
    )


# -- alerts, daily digest, test --------------------------------------------------------------------------


def compose_breaker_alert(
    *,
    to: str,
    language: str,
    suspects: Sequence[str],
    open_tickets: int,
    share_limit: float,
    hold_hours: float,
    sender: Address,
    now: datetime,
    workbook: WorkbookRef | None = None,
) -> EmailMessage:
    """Tell the admin that reminders are held because ``suspects`` (ticket IDs) turned overdue at once."""
    count = len(suspects)
    shown = sorted(suspects)[:50]
    body = words(
        "breaker_body",
        language,
        now=f"{now:%Y-%m-%d %H:%M}",
        count=count,
        open=open_tickets,
        share=f"{count / max(open_tickets, 1):.0%}",
        limit=f"{share_limit:.0%}",
        hours=f"{hold_hours:g}",
        shown=len(shown),
    )
    return _simple_message(
        to=to,
        language=language,
        subject=words("breaker_subject", language, count=count),
        paragraphs=[words("greeting_anonymous", language), body],
        items=[_one_line(ticket_id) for ticket_id in shown],
        sender=sender,
        now=now,
        message_id=message_id_for([f"breaker|{now.isoformat()}"], to),
        workbook=workbook,
    )


def compose_failure_alert(
    *,
    to: str,
    language: str,
    failed: Sequence[tuple[str, str, str, int, str]],
    sender: Address,
    now: datetime,
    workbook: WorkbookRef | None = None,
) -> EmailMessage:
    """Tell the admin about dead messages: (message_id, recipient, subject, failures, last error) each."""
    items = [
        words(
            "failure_line",
            language,
            recipient=recipient,
            subject=_one_line(subject),
            failures=failures,
            error=_one_line(error),
        )
        for _, recipient, subject, failures, error in failed
    ]
    return _simple_message(
        to=to,
        language=language,
        subject=words("failure_subject", language, count=len(failed)),
        paragraphs=[words("greeting_anonymous", language), words("failure_body", language)],
        items=items,
        sender=sender,
        now=now,
        message_id=message_id_for([f"dead|{entry[0]}" for entry in failed], to),
        workbook=workbook,
    )


def compose_cluster_alert(
    *,
    to: str,
    language: str,
    clusters: Sequence[Cluster],
    threshold: int,
    days: int,
    sender: Address,
    now: datetime,
    identity: Sequence[str],
    workbook: WorkbookRef | None = None,
) -> EmailMessage:
    """Tell the quality lead about complaint clusters (same product and category, ``threshold`` or more).

    ``identity`` names this alert for its Message-ID (the clusters' event keys and the window).
    """
    separator = words("list_separator", language)
    names = separator.join(
        f"{_one_line(cluster.product)} · {_one_line(cluster.category)}" for cluster in clusters[:3]
    )
    items = [
        words(
            "cluster_line",
            language,
            product=_one_line(cluster.product),
            category=_one_line(cluster.category),
            count=cluster.count,
            tickets=separator.join(_one_line(ticket_id) for ticket_id in cluster.ticket_ids),
        )
        for cluster in clusters
    ]
    return _simple_message(
        to=to,
        language=language,
        subject=words("cluster_subject", language, clusters=names),
        paragraphs=[
            words("greeting_anonymous", language),
            words("cluster_body", language, threshold=threshold, days=days),
        ],
        items=items,
        sender=sender,
        now=now,
        message_id=message_id_for(identity, to),
        workbook=workbook,
    )


def compose_daily_digest(
    kpis: Mapping[str, object],
    language: str,
    *,
    to: str,
    sender: Address,
    now: datetime,
    name: str | None = None,
    departments: Sequence[str] = (),
    department_kpis: Mapping[str, object] | None = None,
    overdue: Sequence[OverdueLine] = (),
    workbook: WorkbookRef | None = None,
) -> EmailMessage:
    """Given desk-wide KPI label → value (labels already in ``language``, supplied by the engine), return the
    daily digest for ``now``'s day. A manager's digest names their ``departments``: their ``overdue`` tickets
    come first (most overdue first), then their ``department_kpis``, then the desk's. Its Message-ID is stable
    per day and recipient."""
    day = f"{now:%Y-%m-%d}"
    greeting = _greeting(name, language)
    intro = words("daily_intro", language, day=day)
    sections: list[tuple[str, list[str], list[str]]] = []  # heading, text lines, HTML parts
    if departments:
        sections.append(_overdue_section(departments, overdue, language))
        if department_kpis is not None:
            where = words("list_separator", language).join(_one_line(department) for department in departments)
            sections.append(_kpi_section(words("daily_department", language, departments=where), department_kpis,
                                         language))
    sections.append(_kpi_section(words("daily_desk", language), kpis, language))
    text_lines = [greeting, "", intro]
    body = f"<p>{html.escape(greeting)}</p><p>{html.escape(intro)}</p>"
    for heading, lines, parts in sections:
        text_lines += ["", heading, *lines]
        body += f'<h3 style="font-size: 16px; margin: 18px 0 6px 0;">{html.escape(heading)}</h3>' + "".join(parts)
    return build_message(
        sender=sender,
        recipient=make_address(to, name),
        subject=words("daily_subject", language, day=day),
        text="\n".join(text_lines) + "\n" + _footer_text(language, workbook),
        html_body=_page(language, intro, body, workbook),
        message_id=message_id_for([f"daily|{day}"], to),
        now=now,
    )


def compose_monthly_review(
    month: str,
    sections: Sequence[tuple[str, Sequence[str]]],
    language: str,
    *,
    to: str,
    sender: Address,
    now: datetime,
    name: str | None = None,
    workbook: WorkbookRef | None = None,
) -> EmailMessage:
    """Given a month (YYYY-MM) and its review as (title, lines) sections in ``language`` (supplied by the
    engine), return the managers' monthly review mail. Its Message-ID is stable per month and recipient."""
    paragraphs = [_greeting(name, language), words("monthly_intro", language, month=month)]
    text_lines = [*paragraphs, ""]
    body = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    for title, lines in sections:
        text_lines += [_one_line(title), *(f"- {_one_line(line)}" for line in lines), ""]
        items = "".join(f"<li>{html.escape(_one_line(line))}</li>" for line in lines)
        body += f"<h3>{html.escape(_one_line(title))}</h3><ul>{items}</ul>"
    subject = words("monthly_subject", language, month=month)
    return build_message(
        sender=sender, recipient=make_address(to, name), subject=subject,
        text="\n".join(text_lines) + _footer_text(language, workbook),
        html_body=_page(language, subject, body, workbook), message_id=message_id_for([f"monthly|{month}"], to),
        now=now,
    )


def _overdue_section(
    departments: Sequence[str], overdue: Sequence[OverdueLine], language: str
) -> tuple[str, list[str], list[str]]:
    where = words("list_separator", language).join(_one_line(department) for department in departments)
    if not overdue:
        return words("daily_no_overdue", language, departments=where), [], []
    ordered = sorted(overdue, key=lambda line: (-line.late_by, line.ticket.ticket_id or ""))[:MAX_TABLE_ROWS]
    lines, parts = [], []
    for line in ordered:
        ticket = line.ticket
        ticket_id = _one_line(ticket.ticket_id) or f"row {ticket.row}"
        who = " · ".join(cell for cell in (_one_line(ticket.customer), _one_line(ticket.category)) if cell)
        due = words("due_line", language, deadline=words(f"deadline_{line.deadline}", language),
                    due=f"{line.due:%Y-%m-%d %H:%M}")
        late = words("late", language, duration=format_duration(line.late_by, language))
        lines.append(f"- {ticket_id} · {who} — {due} — {late}" + (f" {line.link}" if line.link else ""))
        shown = html.escape(ticket_id)
        link = _safe_link(line.link)
        if link:
            shown = f'<a href="{html.escape(link, quote=True)}" style="color: #1a56a8;">{shown}</a>'
        parts.append(
            f'<div style="{_BLOCK_STYLE.format(accent="#b00020")}"><span style="{_KEEP} font-weight: bold;">'
            f'{shown}</span> <span style="color: #333;">{html.escape(who)}</span><br>'
            f'<span style="{_KEEP}">{html.escape(due)}</span> · <span style="{_KEEP} {_LATE_STYLE}">'
            f"{html.escape(late)}</span></div>"
        )
    heading = words("daily_overdue", language, departments=where, count=len(overdue))
    return heading, lines, parts


def _kpi_section(heading: str, kpis: Mapping[str, object], language: str) -> tuple[str, list[str], list[str]]:
    lines = [f"- {words('label_value', language, label=_one_line(label_), value=_kpi_text(value))}"
             for label_, value in kpis.items()]
    rows = "".join(
        f'<tr><th style="{_CELL_STYLE} background: #f4f4f4; font-weight: normal;">{html.escape(_one_line(label_))}'
        f'</th><td style="{_CELL_STYLE} {_KEEP} text-align: right;">{html.escape(_kpi_text(value))}</td></tr>'
        for label_, value in kpis.items()
    )
    return heading, lines, [f'<table style="border-collapse: collapse; width: 100%;">{rows}</table>']


def _kpi_text(value: object) -> str:
    # The engine formats percentages and units itself; a bare float only loses its noise digits here.
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return _one_line(value)


def compose_test_message(
    *, to: str, language: str, sender: Address, now: datetime, workbook: WorkbookRef | None = None
) -> EmailMessage:
    """Return the ``sheetdesk mail-test`` message (a fresh Message-ID per call: each test is its own mail)."""
    return _simple_message(
        to=to,
        language=language,
        subject=words("test_subject", language),
        paragraphs=[words("greeting_anonymous", language), words("test_body", language)],
        items=[],
        sender=sender,
        now=now,
        message_id=message_id_for([f"test|{now.isoformat()}"], to),
        workbook=workbook,
    )
