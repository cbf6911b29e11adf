"""The customers' end of the loop, inside a cycle (DESIGN §8).

Before deciding, ``apply_answers`` turns the answers customers gave on the portal into cells:

- "is it fixed?" fills ``Customer confirmed`` (yes/no) when it is blank — a person's value wins. "No" also
  reopens the ticket (Status back to Investigating) when it is still Resolved; its liaison is told at once.
- the survey fills ``Satisfaction`` when blank, and ``Follow-up`` (the follow-up is certainly done: the
  customer answered it) when blank. A score below the target asks the liaison for a second follow-up.
- an answer replaced within 12 hours (``sync.customers.REPLACE_WITHIN``) rewrites the cell only while it still
  holds what the first answer wrote.

Before deciding too, ``take_replies`` keeps each new text of the ``Reply to customer`` column (the desk's public
reply) for the status page and the Messages tab (channel "Desk reply"); ``publish`` mails it to the customer.

After the write, ``publish`` hands the portal what it may show (statuses, the Lists tab's categories), starts a
new round for every ticket that turned Resolved, and composes the customer mails: "is it fixed?" on turning
Resolved (unless Customer confirmed already says yes), the survey when Follow-up is due, a status link for each lookup whose email matches the ticket's
contact (others get nothing: the portal answered the same to everyone). Each mail goes out once (keyed in the
state store).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any, Protocol

from mailers import (
    CustomerTicket,
    WorkbookRef,
    compose_desk_reply,
    compose_fixed_question,
    compose_low_score_notice,
    compose_not_fixed_notice,
    compose_status_link,
    compose_survey,
    ticket_message_id,
)
from sync.customers import (
    CONFIRM,
    SURVEY,
    Answer,
    CustomerStore,
    DeskReply,
    PublishedTicket,
    ReplyMail,
    reply_mail_key,
)
from sync.state import CustomerMessage
from tickets import DONE_STATUSES, Outcome, Status, Ticket
from tickets.values import without_invisible

__all__ = ["CustomerLoop", "CustomerLinks", "AppliedAnswer", "OutgoingMail", "ticket_language", "contact_emails"]

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_YES_NO = {"en": ("yes", "no"), "zh": ("是", "否")}


class CustomerLinks(Protocol):
    """Signed links to the portal's pages (``sync.portal.Tokens`` behind the public address)."""

    def url(self, purpose: str, ticket_id: str, round_: int = 0) -> str:
        """Return the absolute link for ``purpose`` ("status", "confirm", "survey")."""
        ...


class AnswerableRow(Protocol):
    """A Tickets row as the cycle holds it (``sync.engine.TicketRow``)."""

    ticket: Ticket
    stamps: dict[str, Any]
    replaces: dict[str, Any]

    def cell(self, key: str) -> Any: ...


PORTAL_CHANNEL = "Website"  # the Messages tab's Channel of what customers wrote on the portal
DESK_REPLY_CHANNEL = "Desk reply"  # ... and of the desk's public replies (never "Customer replied")
DESK_WORDS = {"en": "Complaint desk", "zh": "客服"}
NOT_MAILED = {
    ReplyMail.NO_ADDRESS: {"en": "not mailed: Contact holds no email address",
                           "zh": "未发送邮件：联系方式中没有邮箱地址"},
}
HELD_BOUNCED = {  # a due reply to an address that bounced: the cycle holds it until the Contact is corrected
    "en": "held: mail to this address bounced; it goes out once Contact is corrected",
    "zh": "暂缓发送：发往该地址的邮件曾被退回；联系方式更正后即发出",
    ReplyMail.BEFORE_START: {"en": "not mailed: written before the portal's first cycle",
                             "zh": "未发送邮件：写于客户门户首次运行之前"},
}
ANSWER_WORDS = {
    "en": {CONFIRM: "Fixed? {value}", SURVEY: "Survey score {value}/10", "yes": "yes", "no": "no"},
    "zh": {CONFIRM: "是否已解决：{value}", SURVEY: "满意度评分 {value}/10", "yes": "是", "no": "否"},
}


@dataclass(frozen=True)
class AppliedAnswer:
    """An answer this cycle handled: what it wrote (None: a person's value stood), and what follows."""

    answer: Answer
    written: str | None
    reopened: bool = False
    low_score: bool = False


@dataclass(frozen=True)
class OutgoingMail:
    """A composed customer or liaison mail and the key that marks it sent."""

    key: str
    message: EmailMessage


@dataclass
class CustomerLoop:
    """The customer side of one desk: its store, the portal's links, and the satisfaction target."""

    store: CustomerStore
    links: CustomerLinks
    satisfaction_target: int = 7
    applied: list[AppliedAnswer] = field(default_factory=list)
    thread_of: Callable[[str], list[str]] = field(default=lambda ticket_id: [])  # the ticket's earlier mail IDs
    bounced: Callable[[str], bool] = field(default=lambda address: False)  # mail to the address bounced before
    _language_of: Callable[[Ticket], str] = field(default=lambda ticket: "en", repr=False)  # set by ``publish``

    def has_work(self) -> bool:
        """Whether customers left something for a cycle (a quiet cycle must not skip it)."""
        connection = self.store.connection
        return bool(connection.execute("SELECT 1 FROM customer_answer WHERE applied = 0 LIMIT 1").fetchone()
                    or connection.execute("SELECT 1 FROM status_request LIMIT 1").fetchone())

    # -- answers into cells ----------------------------------------------------------------------------------

    def apply_answers(self, rows: Sequence[AnswerableRow], language: str, zone: tzinfo) -> list[AppliedAnswer]:
        """Stamp the rows with the answers waiting in the store; return what was done (``finish`` records it)."""
        by_id = {row.ticket.ticket_id: row for row in rows if row.ticket.ticket_id}
        self.applied = []
        for answer in self.store.pending_answers():
            row = by_id.get(answer.ticket_id)
            if row is None:
                self.applied.append(AppliedAnswer(answer, None))
            elif answer.kind == CONFIRM:
                previous = self.store.last_written(answer.ticket_id, CONFIRM)
                self.applied.append(_apply_confirmation(row, answer, previous, language))
            elif answer.kind == SURVEY:
                previous = self.store.last_written(answer.ticket_id, SURVEY)
                self.applied.append(_apply_score(row, answer, previous, zone, self.satisfaction_target))
        return self.applied

    def answer_messages(self, rows: Sequence[AnswerableRow], language: str) -> list[CustomerMessage]:
        """The texts customers wrote with the answers this cycle applied, as messages for the Messages tab.

        One per answer with a comment (a replaced answer is a second message), channel ``PORTAL_CHANNEL``, the
        sender the ticket's Customer (or Contact). Each names its answer in ``source_ref``: recorded once.
        """
        by_id = {row.ticket.ticket_id: row.ticket for row in rows if row.ticket.ticket_id}
        messages = []
        for applied in self.applied:
            answer = applied.answer
            comment = answer.comment.strip()
            if not comment:
                continue
            ticket = by_id.get(answer.ticket_id)
            sender = (ticket.customer or ticket.contact or "") if ticket is not None else ""
            words = ANSWER_WORDS.get(language, ANSWER_WORDS["en"])
            label = words[answer.kind].format(value=words.get(answer.value, answer.value))
            messages.append(CustomerMessage(
                answer.ticket_id, answer.answered_at, PORTAL_CHANNEL, sender, f"{label} — {comment}",
                source_ref=f"portal-answer:{answer.ticket_id}:{answer.round}:{answer.kind}:"
                           f"{answer.answered_at.isoformat()}",
            ))
        return messages

    def take_replies(self, rows: Sequence[AnswerableRow], language: str, zone: tzinfo, now: datetime
                     ) -> list[CustomerMessage]:
        """Keep every new text of the rows' ``Reply to customer`` cells; return them as Messages-tab messages.

        A text is new when this ticket never had the same text (spaces at the ends aside): an edited reply is a
        new reply, a cell emptied or typed back to an earlier text sends nothing. Its mail is due unless the
        Contact holds no email address or this is the first cycle that publishes for the portal (replies already
        in the sheet then are shown, never mailed); the message says why it was not. To an address that bounced
        it is due but held by the cycle until the Contact is corrected (as all customer mail); the message says so.
        """
        first_cycle = not self.store.has_published()
        known = self.store.reply_digests()
        at = now.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        messages = []
        for row in rows:
            # The cell as typed, line breaks kept (the Ticket's text is read onto one line); a cell the row could
            # not read (an error value) is no reply.
            ticket = row.ticket
            text = _reply_text(row.cell("reply")) if ticket.reply else ""
            if not ticket.ticket_id or not text:
                continue
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
            if (ticket.ticket_id, digest) in known:
                continue
            known.add((ticket.ticket_id, digest))
            mail = self._reply_mail(ticket, first_cycle)
            self.store.record_reply(DeskReply(ticket.ticket_id, digest, at, text, mail))
            note = _reply_note(mail, ticket, self.bounced, language)
            messages.append(CustomerMessage(
                ticket.ticket_id, now, DESK_REPLY_CHANNEL, ticket.handler or DESK_WORDS.get(language, DESK_WORDS["en"]),
                f"{text}\n({note})" if note else text, source_ref=f"desk-reply:{ticket.ticket_id}:{digest}",
            ))
        return messages

    def _reply_mail(self, ticket: Ticket, first_cycle: bool) -> str:
        emails = contact_emails(ticket.contact)
        if first_cycle:
            return ReplyMail.BEFORE_START
        if not emails:
            return ReplyMail.NO_ADDRESS
        return ReplyMail.DUE

    def finish(self, wrote: bool) -> None:
        """After the write: the answers it carried are done. A deferred write leaves them for the next cycle."""
        if not wrote:
            return
        for applied in self.applied:
            self.store.mark_applied(applied.answer, applied.written)

    # -- what the portal shows, and the mail ----------------------------------------------------------------

    def publish(
        self, outcomes: Sequence[Outcome], lists: Mapping[str, Sequence[str]], language: str, zone: tzinfo,
        now: datetime, sender: Address | None, recorded_languages: Mapping[str, str] | None = None,
        workbook: WorkbookRef | None = None,
    ) -> list[OutgoingMail]:
        """Publish what customers may see; return the mails to send now (none without a ``sender``); the mails
        to liaisons name ``workbook``.

        ``recorded_languages`` is the language each channel recorded at intake, by ticket ID
        (``StateStore.recorded_languages``); other tickets speak the desk's ``language``.
        """
        self.store.forget_old(now)  # used form tokens and limit counts older than any window
        recorded = recorded_languages or {}
        self._language_of = lambda ticket: ticket_language(ticket, recorded, language)
        before = self.store.published_statuses()
        published = [_published(outcome, self._language_of(outcome.ticket), zone)
                     for outcome in outcomes if outcome.ticket.ticket_id]
        self.store.publish(published, {"category": list(lists.get("category", ()))}, language)
        rounds = {ticket_id: round_ for ticket_id, (_, round_) in before.items()}
        for outcome in outcomes:
            ticket_id = outcome.ticket.ticket_id
            if ticket_id and _turned_resolved(outcome.ticket, before.get(ticket_id)):
                rounds[ticket_id] = self.store.advance_round(ticket_id)
        if sender is None:
            return []
        mails = Mailbag(self.store, sender, now, workbook=workbook)
        by_id = {outcome.ticket.ticket_id: outcome for outcome in outcomes if outcome.ticket.ticket_id}
        for outcome in by_id.values():
            self._customer_mail(outcome, rounds.get(outcome.ticket.ticket_id or "", 0), before, now, mails)
        for request in self.store.take_status_requests():
            outcome = by_id.get(request.ticket_id)
            if outcome is not None and request.email.strip().casefold() in contact_emails(outcome.ticket.contact):
                mails.add(f"status:{request.ticket_id}:{request.request_id}:{request.asked_at.isoformat()}",
                          lambda key, o=outcome, r=request: compose_status_link(
                              self._about(o), to=r.email.strip(), link=self.links.url("status", r.ticket_id),
                              sender=sender, now=now, key=key))
        for reply in self.store.replies_to_mail():
            self._reply_mail_to(reply, by_id.get(reply.ticket_id), mails)
        for applied in self.applied:
            self._liaison_mail(applied, by_id.get(applied.answer.ticket_id), language, mails)
        return mails.outgoing

    def _reply_mail_to(self, reply: DeskReply, outcome: Outcome | None, mails: Mailbag) -> None:
        """Mail a desk reply to the ticket's first address, in the customer's thread with the ticket's earlier
        mail and replies; a ticket no longer in the sheet gets nothing."""
        emails = contact_emails(outcome.ticket.contact) if outcome is not None else []
        if outcome is None or not emails:
            return
        sender = mails.sender.addr_spec
        earlier = [ticket_message_id(reply.ticket_id, reply_mail_key(before), sender)
                   for before in self.store.desk_replies(reply.ticket_id)
                   if before.mail == ReplyMail.DUE and before.digest != reply.digest
                   and self.store.mail_sent(reply_mail_key(before))]
        thread = [*self.thread_of(reply.ticket_id), *earlier]
        mails.add(reply_mail_key(reply), lambda key: compose_desk_reply(
            self._about(outcome), to=emails[0], text=reply.text, link=self.links.url("status", reply.ticket_id),
            sender=mails.sender, now=mails.now, key=key, thread=thread))

    def mark_sent(self, mails: Iterable[OutgoingMail], delivered: Callable[[OutgoingMail], bool], now: datetime) -> None:
        """Remember each delivered mail, so it is never sent twice."""
        for mail in mails:
            if delivered(mail):
                self.store.mark_mail_sent(mail.key, now)

    def _about(self, outcome: Outcome) -> CustomerTicket:
        ticket = outcome.ticket
        return CustomerTicket(ticket.ticket_id or "", ticket.customer, ticket.product, self._language_of(ticket))

    def _customer_mail(
        self, outcome: Outcome, round_: int, before: Mapping[str, tuple[str, int]], now: datetime, mails: Mailbag
    ) -> None:
        ticket = outcome.ticket
        emails = contact_emails(ticket.contact)
        if not emails or round_ < 1 or ticket.effective_status not in DONE_STATUSES:
            return
        to, about, ticket_id = emails[0], self._about(outcome), ticket.ticket_id or ""
        if ticket.effective_status is Status.RESOLVED and ticket.customer_confirmed is not True:
            mails.add(f"fixed:{ticket_id}:{round_}", lambda key: compose_fixed_question(
                about, to=to, link=self.links.url("confirm", ticket_id, round_), sender=mails.sender, now=now,
                key=key))
        due = outcome.deadlines.follow_up_due if outcome.deadlines else None
        if ticket.satisfaction is None and ticket.effective_status is not Status.CLOSED and due is not None \
                and due <= now and not self._says_not_fixed(ticket, round_):
            mails.add(f"survey:{ticket_id}:{round_}", lambda key: compose_survey(
                about, to=to, link=self.links.url("survey", ticket_id, round_), sender=mails.sender, now=now,
                key=key))

    def _says_not_fixed(self, ticket: Ticket, round_: int) -> bool:
        """Whether ``Customer confirmed`` says no for this round: a person's no, or this round's answer. A no an
        earlier round's answer wrote is over: the ticket was reopened and resolved again since."""
        if ticket.customer_confirmed is not False:
            return False
        ticket_id = ticket.ticket_id or ""
        this_round = self.store.answer(ticket_id, round_, CONFIRM)
        if this_round is not None and this_round.value == "no":
            return True
        return self.store.last_written(ticket_id, CONFIRM) != "no"

    def _liaison_mail(self, applied: AppliedAnswer, outcome: Outcome | None, language: str, mails: Mailbag) -> None:
        assignment = outcome.assignment if outcome else None
        to = assignment.liaison_email if assignment else None
        if outcome is None or not to or not (applied.reopened or applied.low_score):
            return
        answer = applied.answer
        about = CustomerTicket(answer.ticket_id, outcome.ticket.customer, outcome.ticket.product,
                               assignment.language if assignment else language)
        if applied.reopened:
            status = Status.INVESTIGATING.label(about.language)
            mails.add(f"reopened:{answer.ticket_id}:{answer.round}", lambda key: compose_not_fixed_notice(
                about, to=to, status=status, comment=answer.comment, sender=mails.sender, now=mails.now, key=key,
                workbook=mails.workbook))
        if applied.low_score:
            mails.add(f"low-score:{answer.ticket_id}:{answer.round}:{answer.value}", lambda key: compose_low_score_notice(
                about, to=to, score=int(answer.value), target=self.satisfaction_target, comment=answer.comment,
                sender=mails.sender, now=mails.now, key=key, workbook=mails.workbook))


@dataclass
class Mailbag:
    """The cycle's customer mails: each key composed once, and never again once sent."""

    store: CustomerStore
    sender: Address
    now: datetime
    outgoing: list[OutgoingMail] = field(default_factory=list)
    workbook: WorkbookRef | None = None  # named in the mails to liaisons (never in the customers')

    def add(self, key: str, compose: Callable[[str], EmailMessage]) -> None:
        if self.store.mail_sent(key) or any(mail.key == key for mail in self.outgoing):
            return
        try:
            self.outgoing.append(OutgoingMail(key, compose(key)))
        except ValueError:  # an address that cannot be written in a header: nothing to send
            return


# -- answers -----------------------------------------------------------------------------------------------


def _apply_confirmation(row: AnswerableRow, answer: Answer, previous: str | None, language: str) -> AppliedAnswer:
    """``previous`` is what an earlier answer wrote: a cell still holding it is ours to change."""
    wanted = answer.value == "yes"
    current = row.ticket.customer_confirmed
    ours = previous is not None and current == (previous == "yes")
    if current is not None and not ours:
        return AppliedAnswer(answer, None)  # a person's value wins
    updates: dict[str, Any] = {}
    if current != wanted:
        _stamp(row, "customer_confirmed", _YES_NO.get(language, _YES_NO["en"])[0 if wanted else 1], wanted, updates)
    reopened = not wanted and row.ticket.effective_status is Status.RESOLVED
    if reopened:
        _stamp(row, "status", Status.INVESTIGATING.label(language), Status.INVESTIGATING, updates)
    row.ticket = row.ticket.model_copy(update=updates)
    return AppliedAnswer(answer, answer.value, reopened=reopened)


def _apply_score(
    row: AnswerableRow, answer: Answer, previous: str | None, zone: tzinfo, target: int
) -> AppliedAnswer:
    score = int(answer.value)
    current = row.ticket.satisfaction
    ours = previous is not None and current == int(previous)
    if current is not None and not ours:
        return AppliedAnswer(answer, None)
    updates: dict[str, Any] = {}
    if current != score:
        _stamp(row, "satisfaction", score, score, updates)
    if row.ticket.follow_up is None:
        moment = answer.answered_at.astimezone(zone).replace(second=0, microsecond=0)
        _stamp(row, "follow_up", moment, moment, updates)
    row.ticket = row.ticket.model_copy(update=updates)
    return AppliedAnswer(answer, answer.value, low_score=score < target)


def _stamp(row: AnswerableRow, key: str, cell: object, value: object, updates: dict[str, Any]) -> None:
    """Write ``cell`` into the row's ``key`` column, replacing what it holds now (if anything): the backend
    writes it only if the cell still holds that when it writes."""
    row.stamps[key] = cell
    current = row.cell(key)
    if current is not None and current != "":
        row.replaces[key] = current
    updates[key] = value


# -- publishing ------------------------------------------------------------------------------------------


def _published(outcome: Outcome, ticket_language: str, zone: tzinfo) -> PublishedTicket:
    ticket = outcome.ticket
    due = _due_now(outcome)
    return PublishedTicket(
        ticket.ticket_id or "",
        ticket.effective_status.value,
        grade=outcome.grade,
        department=outcome.assignment.department if outcome.assignment else None,
        due=due.astimezone(zone).strftime("%Y-%m-%d %H:%M") if due else None,
        language=ticket_language,
    )


def _due_now(outcome: Outcome) -> datetime | None:
    """The due time the customer cares about now: the reply, the fix, or the follow-up."""
    deadlines, ticket = outcome.deadlines, outcome.ticket
    if deadlines is None or ticket.effective_status in (Status.CLOSED, Status.DUPLICATE):
        return None
    if ticket.effective_status in DONE_STATUSES:
        return deadlines.follow_up_due if ticket.follow_up is None else None
    if ticket.first_response is None:
        return deadlines.response_due
    return deadlines.resolution_due


def _turned_resolved(ticket: Ticket, before: tuple[str, int] | None) -> bool:
    """The ticket is resolved now and was open when last published (a first sight does not count: a sheet
    full of old resolved tickets must not mail every customer at once)."""
    if before is None or ticket.effective_status not in DONE_STATUSES:
        return False
    try:
        return Status(before[0]) not in DONE_STATUSES
    except ValueError:
        return False


def ticket_language(ticket: Ticket, recorded: Mapping[str, str], desk_language: str) -> str:
    """The ticket's language: the one its channel recorded at intake (the mail's, the portal page's), else the
    desk's. Never guessed from what staff typed in the row: a Chinese product name does not make an English
    customer Chinese."""
    language = recorded.get(ticket.ticket_id or "")
    return language if language in ("en", "zh") else desk_language


def _reply_note(mail: str, ticket: Ticket, bounced: Callable[[str], bool], language: str) -> str | None:
    """What the Messages tab adds to a desk reply about its mail: why it is not mailed, or held."""
    if mail in NOT_MAILED:
        return NOT_MAILED[mail].get(language, NOT_MAILED[mail]["en"])
    emails = contact_emails(ticket.contact)
    if emails and bounced(emails[0]):
        return HELD_BOUNCED.get(language, HELD_BOUNCED["en"])
    return None


def _reply_text(cell: object) -> str:
    """A reply cell's text as it is kept and mailed: invisible characters dropped, line ends made ``\\n``,
    spaces at the ends of lines and of the text dropped, at most one empty line in a row."""
    text = without_invisible(str(cell or "")).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def contact_emails(contact: str | None) -> list[str]:
    """The email addresses in a Contact cell (``a@b.com / +86 …``), lower-cased, in order."""
    return [match.group(0).casefold() for match in _EMAIL.finditer(contact or "")]
