"""Mail to customers about their ticket, and to liaisons about what customers answered (DESIGN §8).

To the customer, in the ticket's language: the link to the status page, "is it fixed?" with Yes/No links, and
the 1–10 survey with one link per score. Links open a page that asks again; only that page records (mail
scanners follow every link). To the liaison: the customer says it is not fixed (the ticket is reopened), or the
score is below the target (a second follow-up is needed).

Everything from the sheet or the customer is escaped in HTML and flattened to one line in headers, as in
``mailers.compose``; the Message-ID is derived from what the message is about, so a retry is the same message.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage

from mailers.addresses import make_address
from mailers.compose import WorkbookRef, build_message, message_id_for, staff_footer_text, staff_page
from mailers.templates import HTML_PAGE

__all__ = [
    "CustomerTicket",
    "compose_status_link",
    "compose_fixed_question",
    "compose_survey",
    "compose_not_fixed_notice",
    "compose_low_score_notice",
    "compose_desk_reply",
    "ticket_message_id",
    "TICKET_MESSAGE_PREFIX",
]

# Message-IDs of mail about one ticket name it, so a customer's answer to any of them leads back to the ticket
# (the mailbox reads ``<sheetdesk-ack.CS-….<hash>@domain>``; the prefix is the acknowledgement's, the first).
TICKET_MESSAGE_PREFIX = "sheetdesk-ack."
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")

_WORDS: dict[str, tuple[str, str]] = {
    "hello": ("Dear {name},", "{name}，您好："),
    "hello_anonymous": ("Hello,", "您好："),
    "status_subject": ("[{ticket}] The status of your complaint", "[{ticket}] 您的投诉处理进度"),
    "status_body": ("Here is the link to the status of your complaint {ticket}. It works for 7 days.",
                    "这是您的投诉 {ticket} 的进度链接，7 天内有效。"),
    "status_link": ("See the status", "查看进度"),
    "not_asked": ("If you did not ask for this link, you can ignore this mail.", "如果您没有申请此链接，请忽略本邮件。"),
    "fixed_subject": ("[{ticket}] Is your problem fixed?", "[{ticket}] 您的问题解决了吗？"),
    "fixed_body": ("We have resolved your complaint {ticket} ({product}). Is the problem fixed for you?",
                   "您的投诉 {ticket}（{product}）已处理完毕。问题是否已经解决？"),
    "yes": ("Yes, it is fixed", "是，已解决"),
    "no": ("No, it is not fixed", "否，没有解决"),
    "links_note": ("Each link opens a page where you send your answer. The links work for 14 days.",
                   "点击链接后，请在打开的页面上提交您的回答。链接 14 天内有效。"),
    "survey_subject": ("[{ticket}] How satisfied are you?", "[{ticket}] 请为我们的处理打分"),
    "survey_body": ("How satisfied are you with how we handled your complaint {ticket}? "
                    "Choose a score from 1 (not at all) to 10 (completely); you can add a comment on the page.",
                    "您对投诉 {ticket} 的处理是否满意？请选择 1（非常不满意）到 10（非常满意）的分数，并可在页面上留言。"),
    "not_fixed_subject": ("[{ticket}] Customer says it is not fixed — reopened",
                          "[{ticket}] 客户反馈问题未解决 —— 已重新打开"),
    "not_fixed_body": ("{customer} answered that the problem of {ticket} ({product}) is not fixed. "
                       "The ticket is back to {status}: please contact the customer.",
                       "{customer} 反馈工单 {ticket}（{product}）的问题没有解决。工单已退回“{status}”，请联系客户。"),
    "low_score_subject": ("[{ticket}] Satisfaction {score} — a second follow-up is needed",
                          "[{ticket}] 满意度 {score} —— 需要二次回访"),
    "low_score_body": ("{customer} gave {ticket} a satisfaction score of {score}, below the target of {target}. "
                       "Please make a second follow-up before the ticket is closed.",
                       "{customer} 对工单 {ticket} 的满意度评分为 {score}，低于目标 {target}。关闭工单前请进行二次回访。"),
    "comment": ("Their comment: {comment}", "客户留言：{comment}"),
    "footer": ("This mail was sent by the complaint desk.", "本邮件由客户投诉处理系统发送。"),
    "reply_subject": ("[{ticket}] A reply about your complaint", "[{ticket}] 关于您的投诉的回复"),
    "reply_intro": ("About your complaint {ticket}:", "关于您的投诉 {ticket}："),
    "reply_status": ("You can see the status of your complaint and all our replies here (the link works for 7 days).",
                     "您可以在此查看投诉的处理进度和我们的全部回复（链接 7 天内有效）。"),
}


def _say(key: str, language: str, **params: object) -> str:
    english, chinese = _WORDS[key]
    return (chinese if language == "zh" else english).format(**params)


@dataclass(frozen=True)
class CustomerTicket:
    """What a mail about one ticket needs: its ID, the customer, the product, and the language to write in."""

    ticket_id: str
    customer: str | None
    product: str | None
    language: str = "en"


def compose_status_link(
    ticket: CustomerTicket, *, to: str, link: str, sender: Address, now: datetime, key: str
) -> EmailMessage:
    """The link to the status page, for a customer who asked for it."""
    language = ticket.language
    paragraphs = [_greeting(ticket, language), _say("status_body", language, ticket=ticket.ticket_id)]
    after = [_say("not_asked", language)]
    return _customer_message(ticket, to, "status_subject", paragraphs, [("status_link", link)], after,
                             sender, now, key)


def compose_fixed_question(
    ticket: CustomerTicket, *, to: str, link: str, sender: Address, now: datetime, key: str
) -> EmailMessage:
    """"Is it fixed?" with a Yes and a No link (``link?answer=yes|no``)."""
    language = ticket.language
    paragraphs = [_greeting(ticket, language),
                  _say("fixed_body", language, ticket=ticket.ticket_id, product=ticket.product or "—")]
    choices = [("yes", f"{link}?answer=yes"), ("no", f"{link}?answer=no")]
    return _customer_message(ticket, to, "fixed_subject", paragraphs, choices, [_say("links_note", language)],
                             sender, now, key)


def compose_survey(
    ticket: CustomerTicket, *, to: str, link: str, sender: Address, now: datetime, key: str
) -> EmailMessage:
    """The 1–10 survey: ten score links (``link?score=N``); the page takes a comment too."""
    language = ticket.language
    paragraphs = [_greeting(ticket, language), _say("survey_body", language, ticket=ticket.ticket_id)]
    scores = [(str(score), f"{link}?score={score}") for score in range(1, 11)]
    return _customer_message(ticket, to, "survey_subject", paragraphs, scores, [_say("links_note", language)],
                             sender, now, key)


def compose_desk_reply(
    ticket: CustomerTicket, *, to: str, text: str, link: str, sender: Address, now: datetime, key: str,
    thread: Sequence[str] = (),
) -> EmailMessage:
    """The desk's reply (the ``Reply to customer`` cell), with a link to the status page.

    ``thread`` lists the Message-IDs of the ticket's earlier mail, oldest first: the reply answers the last
    (In-Reply-To) and names them all (References), so it lands in the customer's conversation. Its own
    Message-ID names the ticket (``ticket_message_id``).
    """
    language = ticket.language
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    paragraphs = [_greeting(ticket, language), _say("reply_intro", language, ticket=ticket.ticket_id),
                  *[line for line in lines if line], _say("reply_status", language)]
    message = _customer_message(ticket, to, "reply_subject", paragraphs, [("status_link", link)], [], sender, now,
                                key)
    del message["Message-ID"]
    message["Message-ID"] = ticket_message_id(ticket.ticket_id, key, sender.addr_spec)
    thread = [message_id for message_id in thread if _MESSAGE_ID.fullmatch(message_id)]  # never a header break
    if thread:
        message["In-Reply-To"] = thread[-1]
        message["References"] = " ".join(thread[-10:])
    return message


def ticket_message_id(ticket_id: str, key: str, sender: str) -> str:
    """A stable Message-ID for mail ``key`` about ``ticket_id`` from ``sender``, naming the ticket."""
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "sheetdesk.invalid"
    token = hashlib.sha256(f"{key}|{sender}".encode()).hexdigest()[:12]
    return f"<{TICKET_MESSAGE_PREFIX}{ticket_id}.{token}@{domain}>"


def compose_not_fixed_notice(
    ticket: CustomerTicket, *, to: str, status: str, sender: Address, now: datetime, key: str, comment: str = "",
    workbook: WorkbookRef | None = None,
) -> EmailMessage:
    """Tell the liaison that the customer says it is not fixed and the ticket is reopened (with the comment the
    customer wrote on the page, if any; naming ``workbook``)."""
    language = ticket.language
    subject = _say("not_fixed_subject", language, ticket=ticket.ticket_id)
    paragraphs = [_say("not_fixed_body", language, customer=ticket.customer or "—", ticket=ticket.ticket_id,
                       product=ticket.product or "—", status=status)]
    if comment:
        paragraphs.append(_say("comment", language, comment=comment))
    return _staff_message(to, language, subject, paragraphs, sender, now, key, workbook)


def compose_low_score_notice(
    ticket: CustomerTicket, *, to: str, score: int, target: int, comment: str, sender: Address, now: datetime,
    key: str, workbook: WorkbookRef | None = None,
) -> EmailMessage:
    """Tell the liaison that a score below the target asks for a second follow-up (naming ``workbook``)."""
    language = ticket.language
    subject = _say("low_score_subject", language, ticket=ticket.ticket_id, score=score)
    paragraphs = [_say("low_score_body", language, customer=ticket.customer or "—", ticket=ticket.ticket_id,
                       score=score, target=target)]
    if comment:
        paragraphs.append(_say("comment", language, comment=comment))
    return _staff_message(to, language, subject, paragraphs, sender, now, key, workbook)


def _greeting(ticket: CustomerTicket, language: str) -> str:
    return _say("hello", language, name=ticket.customer) if ticket.customer else _say("hello_anonymous", language)


def _customer_message(
    ticket: CustomerTicket, to: str, subject_key: str, paragraphs: Sequence[str],
    links: Sequence[tuple[str, str]], after: Sequence[str], sender: Address, now: datetime, key: str,
) -> EmailMessage:
    """A customer mail: paragraphs, a row of links (label key or score, URL), closing paragraphs."""
    language = ticket.language
    subject = _say(subject_key, language, ticket=ticket.ticket_id)
    names = [_say(name, language) if name in _WORDS else name for name, _ in links]
    text = "\n\n".join(paragraphs) + "\n\n"
    text += "\n".join(f"{name}: {url}" for name, (_, url) in zip(names, links, strict=True)) + "\n\n"
    text += "\n\n".join([*after, _say("footer", language)]) + "\n"
    buttons = " ".join(
        f'<a href="{html.escape(url)}" style="display:inline-block;margin:4px;padding:8px 14px;border:1px solid '
        f'#1d5fa8;border-radius:6px;color:#1d5fa8;text-decoration:none">{html.escape(name)}</a>'
        for name, (_, url) in zip(names, links, strict=True)
    )
    body = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    body += f"<p>{buttons}</p>" + "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in after)
    return build_message(
        sender=sender, recipient=make_address(to, ticket.customer), subject=subject, text=text,
        html_body=_page(language, subject, body), message_id=message_id_for([key], to), now=now,
    )


def _staff_message(
    to: str, language: str, subject: str, paragraphs: Sequence[str], sender: Address, now: datetime, key: str,
    workbook: WorkbookRef | None,
) -> EmailMessage:
    """A mail to a liaison: the paragraphs, and the staff footer that names the workbook."""
    text = "\n\n".join(paragraphs) + "\n" + staff_footer_text(language, workbook)
    body = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs)
    return build_message(
        sender=sender, recipient=make_address(to), subject=subject, text=text,
        html_body=staff_page(language, subject, body, workbook), message_id=message_id_for([key], to), now=now,
    )


def _page(language: str, title: str, body: str) -> str:
    return HTML_PAGE.substitute(language=language, title=html.escape(title), body=body,
                                footer=html.escape(_say("footer", language)))
