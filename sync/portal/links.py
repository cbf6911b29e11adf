"""The pages reached only by signed links in mail: status (``/s/…``), "is it fixed?" (``/fixed/…``) and the
survey (``/survey/…``).

A GET only shows a page — mail scanners follow every link — with the choice the link named pre-selected; only
that page's POST records. A link is refused (one page, whatever the reason) when it is forged, expired, made for
another purpose, or bound to an earlier round of its ticket.
"""

from __future__ import annotations

from flask import Blueprint, g, request, session

from sync.customers import CONFIRM, SURVEY, AnswerOutcome, PublishedTicket
from sync.portal.context import page, portal
from tickets import DONE_STATUSES, Status

__all__ = ["links"]

links = Blueprint("links", __name__)

CONFIRM_CHOICES = ("yes", "no")
SCORES = tuple(str(score) for score in range(1, 11))
COMMENT_LIMIT = 2000


@links.get("/s/<token>")
def status_page(token: str):
    ticket = _linked_ticket("status", token, need_round=False)
    if ticket is None:
        return _invalid()
    return page("status.html", ticket=ticket, status_label=_status_label(ticket.status))


@links.route("/fixed/<token>", methods=["GET", "POST"])
def confirm_page(token: str):
    ticket = _linked_ticket("confirm", token)
    if ticket is None:
        return _invalid()
    if request.method == "GET":
        return page("confirm.html", ticket=ticket, chosen=request.args.get("answer"), comment="", error=None)
    answer, comment = request.form.get("answer", ""), _comment()
    if answer not in CONFIRM_CHOICES:
        return page("confirm.html", ticket=ticket, chosen=None, comment=comment, error="choose_answer"), 422
    outcome = portal().store.record_answer(ticket.ticket_id, ticket.round, CONFIRM, answer, comment, portal().now())
    _queued(outcome)
    reopened = answer == "no" and outcome != AnswerOutcome.REFUSED
    return page("thanks.html", outcome=outcome, reopened=reopened)


@links.route("/survey/<token>", methods=["GET", "POST"])
def survey_page(token: str):
    ticket = _linked_ticket("survey", token)
    if ticket is None:
        return _invalid()
    if request.method == "GET":
        return page("survey.html", ticket=ticket, scores=SCORES, chosen=request.args.get("score"), comment="",
                    error=None)
    score, comment = request.form.get("score", ""), _comment()
    if score not in SCORES:
        return page("survey.html", ticket=ticket, scores=SCORES, chosen=None, comment=comment,
                    error="choose_answer"), 422
    outcome = portal().store.record_answer(ticket.ticket_id, ticket.round, SURVEY, score, comment, portal().now())
    _queued(outcome)
    return page("thanks.html", outcome=outcome, reopened=False)


def _comment() -> str:
    """The optional comment box of an answer page, cut to ``COMMENT_LIMIT`` characters."""
    return request.form.get("comment", "").strip()[:COMMENT_LIMIT]


def _linked_ticket(purpose: str, token: str, need_round: bool = True) -> PublishedTicket | None:
    """The published ticket a valid ``purpose`` link names, or None. Answer links hold only for the round
    they were sent for, and only while the ticket is resolved."""
    link = portal().tokens.read_link(purpose, token)
    if link is None:
        return None
    ticket = portal().store.published(link.ticket_id)
    if ticket is None:
        return None
    if need_round and (ticket.round != link.round or Status(ticket.status) not in DONE_STATUSES):
        return None
    if "lang" not in session:  # no switch chosen: the ticket's own language
        g.language = ticket.language
    return ticket


def _queued(outcome: str) -> None:
    if outcome != AnswerOutcome.REFUSED:
        portal().queued()


def _invalid():
    return page("invalid.html"), 404


def _status_label(status: str) -> str:
    try:
        return Status(status).label(g.language)
    except ValueError:
        return status
