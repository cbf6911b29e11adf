"""Customer input is hostile: every field escaped on every page and in every mail, and no page tells whether a
ticket number exists. (Forged, expired, replayed and other-ticket tokens and CSRF: tests/sync/portal/test_routes.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from mailers import (
    CustomerTicket,
    compose_desk_reply,
    compose_fixed_question,
    compose_low_score_notice,
    compose_not_fixed_notice,
    compose_status_link,
    compose_survey,
)
from sync.customers import DeskReply, PublishedTicket, ReplyMail
from sync.portal.complaint_form import FIELDS
from tests.sync.portal.conftest import CATEGORIES, GOOD_COMPLAINT, hidden, resolve

ATTACK = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
SENDER = Address("Complaint desk", addr_spec="desk@example.com")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_hostile_text_in_every_form_field_comes_back_escaped(client, clock):
    page = client.get("/").get_data(as_text=True)
    clock.advance(seconds=20)
    fields = {name: ATTACK for name in FIELDS}
    response = client.post("/", data={"csrf_token": hidden(page, "csrf_token"),
                                      "form_token": hidden(page, "form_token"), **fields})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script" not in body and "<img" not in body
    assert body.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # kept, as text, in the fields


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from('<>"\'&/=;:() abc脚本\n'), min_size=1, max_size=40))
def test_any_text_in_any_field_never_becomes_markup(client, clock, text):
    page = client.get("/").get_data(as_text=True)
    clock.advance(seconds=20)
    data = {**GOOD_COMPLAINT, "customer": text, "product": text, "description": "<b>" + text, "email": text}
    body = client.post("/", data={"csrf_token": hidden(page, "csrf_token"),
                                  "form_token": hidden(page, "form_token"), **data}).get_data(as_text=True)
    assert "<b>" not in body
    assert f'name="customer" value="{escape(text.strip())}"' in body  # the very text, as an attribute value
    assert f'maxlength="5000">{escape(("<b>" + text).strip())}</textarea>' in body


def test_the_status_page_escapes_what_the_workbook_holds(client, store, tokens):
    store.publish([PublishedTicket("CS-20261123-0001", "Investigating", ATTACK, ATTACK, "2026-11-23 18:00")],
                  {"category": [ATTACK]}, "en")
    store.record_reply(DeskReply("CS-20261123-0001", "b2", "2026-11-23 12:00", ATTACK, ReplyMail.DUE))
    body = client.get(f"/s/{tokens.link('status', 'CS-20261123-0001')}").get_data(as_text=True)
    assert "<script" not in body and "<img" not in body
    assert body.count("&lt;script&gt;") == 3  # grade, department, the reply
    form = client.get("/").get_data(as_text=True)
    assert "<script" not in form and "&lt;script&gt;" in form  # a category from the Lists tab too


def test_answer_pages_escape_a_hostile_comment_shown_again(client, store, tokens):
    round_ = resolve(store, "CS-20261123-0001")
    link = f"/survey/{tokens.link('survey', 'CS-20261123-0001', round_)}"
    csrf = hidden(client.get(link + "?score=" + ATTACK).get_data(as_text=True), "csrf_token")
    body = client.post(link, data={"csrf_token": csrf, "score": "11", "comment": ATTACK}).get_data(as_text=True)
    assert "<script" not in body and "&lt;script&gt;" in body
    confirm = f"/fixed/{tokens.link('confirm', 'CS-20261123-0001', round_)}"
    body = client.post(confirm, data={"csrf_token": csrf, "answer": "maybe", "comment": ATTACK}).get_data(as_text=True)
    assert "<script" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # kept in its box, as text


def test_every_customer_and_liaison_mail_escapes_customer_text_and_keeps_headers_single(tmp_path):
    ticket = CustomerTicket("CS-20261123-0001", ATTACK + "\r\nBcc: victim@example.com", ATTACK, "en")
    mails = [
        compose_status_link(ticket, to="buyer@example.com", link="https://x.example/s/t", sender=SENDER, now=NOW, key="1"),
        compose_fixed_question(ticket, to="buyer@example.com", link="https://x.example/fixed/t", sender=SENDER,
                               now=NOW, key="2"),
        compose_survey(ticket, to="buyer@example.com", link="https://x.example/survey/t", sender=SENDER, now=NOW, key="3"),
        compose_not_fixed_notice(ticket, to="liaison@example.com", status="Investigating", sender=SENDER, now=NOW,
                                 key="4", comment=ATTACK),
        compose_low_score_notice(ticket, to="liaison@example.com", score=3, target=7, comment=ATTACK, sender=SENDER,
                                 now=NOW, key="5"),
        compose_desk_reply(ticket, to="buyer@example.com", text=ATTACK + "\n" + ATTACK, link="https://x.example/s/t",
                           sender=SENDER, now=NOW, key="6", thread=["<a@x>\r\nBcc: victim@example.com"]),
    ]
    for mail in mails:
        html = mail.get_body(("html",)).get_content()
        assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
        assert mail["Bcc"] is None
        assert "\n" not in str(mail["To"]) and "\n" not in str(mail["Subject"])


def test_the_chinese_pages_escape_too(client, store):
    store.publish([], {"category": CATEGORIES}, "zh")
    body = client.get("/?lang=zh").get_data(as_text=True)
    assert "提交投诉" in body and "<script" not in body
