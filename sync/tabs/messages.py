"""The Messages tab (往来记录): every message customers sent about a ticket, and the desk's public replies to
them, oldest first; and the "Customer replied" column that points staff at the tickets with an unanswered
customer message.

Both come from the state store's customer messages: mail replies (channel Email), the texts customers wrote
with their portal answers, "is it fixed?" and the survey (channel Website), and the desk's ``Reply to customer``
texts (channel Desk reply, never a customer's message). Only mail replies set "Customer replied": a portal answer already acts by itself (a "no" reopens the ticket, a low score mails the liaison), and
a survey comes after the ticket is done, when no status change would ever clear the column. The tab is
generated: rewritten whole when a message was added, never edited by the daemon otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo

from sync.backends.port import Cell, GeneratedTab
from sync.state import CustomerMessage, StatusSpan

__all__ = ["build_messages", "replied_cells", "latest_replies", "MESSAGE_TEXT_LIMIT"]

MESSAGE_TEXT_LIMIT = 32_000
HEADERS = {
    "en": ["Ticket ID", "Time", "Channel", "From", "Text"],
    "zh": ["工单编号", "时间", "渠道", "发件人", "内容"],
}
WIDTHS = [18, 17, 10, 30, 80]
AUTOMATIC = {"en": "(automatic reply) ", "zh": "（自动回复）"}
REPLIED = {"en": "yes, {at}", "zh": "是，{at}"}
REPLIED_WHILE_WAITING = {
    "en": "‼ REPLIED while Waiting on customer, {at} — resume the ticket",
    "zh": "‼ 待客户反馈期间客户已回复，{at} —— 请继续处理",
}
CHANNEL_WORDS = {"Email": {"en": "Email", "zh": "邮件"}, "Website": {"en": "Website", "zh": "官网"},
                 "Desk reply": {"en": "Desk reply", "zh": "客服回复"}}
REPLY_CHANNELS = ("Email",)  # the messages that set Customer replied


def build_messages(messages: Sequence[CustomerMessage], language: str, zone: tzinfo) -> GeneratedTab:
    """Return the Messages tab: a header and one row per message, oldest first."""
    rows: list[list[Cell]] = [list(HEADERS.get(language, HEADERS["en"]))]
    for message in messages:
        text = (AUTOMATIC[language] if message.automatic else "") + message.text
        rows.append([message.ticket_id, _wall_clock(message.at, zone),
                     CHANNEL_WORDS.get(message.channel, {}).get(language, message.channel), message.sender,
                     text[:MESSAGE_TEXT_LIMIT]])
    return GeneratedTab(rows, widths=list(WIDTHS))


def replied_cells(
    messages: Iterable[CustomerMessage], spans: Mapping[str, list[StatusSpan]], waiting: Iterable[str],
    language: str, zone: tzinfo,
) -> dict[str, str]:
    """Return ``{Ticket ID: Customer replied text}`` for tickets whose customer mailed (not an auto-reply) after
    the ticket's last status change. ``waiting`` names the tickets now Waiting on customer: theirs say so loudly.
    A person moving the ticket on (any status change) clears it.
    """
    waiting_now = set(waiting)
    cells = {}
    for ticket_id, at in latest_replies(messages, spans).items():
        template = REPLIED_WHILE_WAITING if ticket_id in waiting_now else REPLIED
        cells[ticket_id] = template.get(language, template["en"]).format(at=f"{_wall_clock(at, zone):%Y-%m-%d %H:%M}")
    return cells


def latest_replies(messages: Iterable[CustomerMessage], spans: Mapping[str, list[StatusSpan]]) -> dict[str, datetime]:
    """Return ``{Ticket ID: time of the customer's latest mailed message}`` for tickets whose customer mailed
    (not an auto-reply) after the ticket's last status change: the tickets "Customer replied" speaks of."""
    latest: dict[str, datetime] = {}
    for message in messages:
        if message.channel not in REPLY_CHANNELS or message.automatic:
            continue
        if message.ticket_id not in latest or message.at > latest[message.ticket_id]:
            latest[message.ticket_id] = message.at
    return {ticket_id: at for ticket_id, at in latest.items()
            if not ((history := spans.get(ticket_id)) and history[-1].since >= at)}


def _wall_clock(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
