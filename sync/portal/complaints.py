"""The open pages: the complaint form (``/``) and the status lookup (``/status``). Views stay thin: read the
form, ask the store or the intake function, render."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, request

from sync.customers import Admission, Limit
from sync.portal.complaint_form import LIMITS, read_complaint_form
from sync.portal.context import page, portal

__all__ = ["complaints"]

complaints = Blueprint("complaints", __name__)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@complaints.get("/")
def complaint_form():
    return _form_page({}, {}, None)


@complaints.post("/")
def submit_complaint():
    here = portal()
    now = here.now()
    nonce, reason = here.tokens.read_form(request.form.get("form_token", ""))
    if request.form.get("website"):  # the honeypot: people never see it, form-filling robots fill it
        return _form_page(request.form, {}, "refused", status=400)
    if nonce is None:
        return _form_page(request.form, {}, reason if reason in ("too_fast", "too_old") else "refused", status=400)
    form = read_complaint_form(request.form, here.store.choices("category"))
    if not form.valid:
        return _form_page(form.values, form.errors, "fix_below", status=422)
    admission = here.store.admit(nonce, _limits(form.values["email"]), now)  # one transaction
    if admission == Admission.LIMITED:
        return _form_page(form.values, {}, "limited", status=429)
    if admission == Admission.REPLAYED:
        return _form_page(form.values, {}, "refused", status=400)
    number = here.config.submit(form, now, g.language, nonce)
    here.queued()
    return page("submitted.html", number=number)


def _limits(email: str) -> list[Limit]:
    """The form's limits: per IP address an hour, per email address (any case) a day."""
    config = portal().config
    return [Limit(f"form-ip:{request.remote_addr}", HOUR, config.form_per_ip_per_hour),
            Limit(f"form-address:{email.casefold()}", DAY, config.form_per_address_per_day)]


def _form_page(values, errors: dict[str, str], notice: str | None, status: int = 200):
    here = portal()
    body = page(
        "form.html", values=values, errors=errors, notice=notice, form_token=here.tokens.form(),
        categories=here.store.choices("category"), limits=LIMITS,
    )
    return body, status


@complaints.get("/status")
def status_lookup():
    return page("status_lookup.html", sent=False)


@complaints.post("/status")
def ask_for_status_link():
    """Queue the request and answer the same whatever was given: no page tells whether a ticket exists."""
    here = portal()
    now = here.now()
    ticket_id = request.form.get("ticket_id", "").strip().upper()[:40]
    email = request.form.get("email", "").strip()[:254]
    if ticket_id and email and here.store.count_hit(
        f"lookup-ip:{request.remote_addr}", now, HOUR, here.config.lookups_per_ip_per_hour
    ):
        here.store.request_status_link(ticket_id, email, now)
        here.queued()
    return page("status_lookup.html", sent=True)
