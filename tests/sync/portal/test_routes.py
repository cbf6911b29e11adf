"""The portal's pages through Flask's test client, over a real state store."""

from __future__ import annotations

from sync.customers import CONFIRM, SURVEY
from tests.sync.portal.conftest import GOOD_COMPLAINT, hidden, resolve


def open_form(client) -> dict[str, str]:
    page = client.get("/").get_data(as_text=True)
    return {"csrf_token": hidden(page, "csrf_token"), "form_token": hidden(page, "form_token")}


def send_complaint(client, clock, **changes):
    tokens = open_form(client)
    clock.advance(seconds=20)
    return client.post("/", data={**tokens, **GOOD_COMPLAINT, **changes})


# -- the complaint form ------------------------------------------------------------------------------------


def test_the_form_offers_the_categories_the_last_cycle_published(client):
    page = client.get("/").get_data(as_text=True)
    assert '<option value="Delivery">Delivery</option>' in page
    assert 'name="website"' in page  # the honeypot is there, hidden from people


def test_it_answers_a_good_complaint_with_its_ticket_number(client, clock, intake):
    response = send_complaint(client, clock)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="ticket-number">CS-20261123-0001<' in page
    [queued] = intake.complaints
    assert queued.ticket_id == "CS-20261123-0001"
    assert queued.channel == "website"
    assert queued.cells["order_no"] == "PO-7731"
    assert queued.cells["contact"] == "buyer@harbour.example / +86 21 5555 0100"
    assert queued.cells["description"] == "Lid cracks on delivery"
    assert queued.details["language"] == "en"


def test_two_complaints_get_two_numbers(client, clock):
    first = send_complaint(client, clock).get_data(as_text=True)
    second = send_complaint(client, clock).get_data(as_text=True)
    assert "CS-20261123-0001" in first and "CS-20261123-0002" in second


def test_it_refuses_a_form_sent_within_three_seconds_of_showing_it(client, clock, intake):
    tokens = open_form(client)
    clock.advance(seconds=2)
    response = client.post("/", data={**tokens, **GOOD_COMPLAINT})
    assert response.status_code == 400
    assert "quicker than a person types" in response.get_data(as_text=True)
    assert intake.complaints == []


def test_it_refuses_a_form_older_than_a_day(client, clock, intake):
    tokens = open_form(client)
    clock.advance(days=1, seconds=1)
    response = client.post("/", data={**tokens, **GOOD_COMPLAINT})
    assert response.status_code == 400
    assert "open for over a day" in response.get_data(as_text=True)
    assert intake.complaints == []


def test_a_form_token_is_good_for_one_complaint_only(client, clock, intake):
    tokens = open_form(client)
    clock.advance(seconds=20)
    assert client.post("/", data={**tokens, **GOOD_COMPLAINT}).status_code == 200
    replay = client.post("/", data={**tokens, **GOOD_COMPLAINT})
    assert replay.status_code == 400
    assert len(intake.complaints) == 1


def test_a_forged_form_token_is_refused(client, clock, intake):
    tokens = open_form(client)
    clock.advance(seconds=20)
    response = client.post("/", data={**tokens, "form_token": tokens["form_token"][:-2] + "xx", **GOOD_COMPLAINT})
    assert response.status_code == 400
    assert intake.complaints == []


def test_a_filled_honeypot_is_refused(client, clock, intake):
    response = send_complaint(client, clock, website="http://spam.example")
    assert response.status_code == 400
    assert intake.complaints == []


def test_errors_are_shown_beside_their_fields_and_the_values_kept(client, clock, intake):
    response = send_complaint(client, clock, email="not an address", category="Weather", customer="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error">This is not an email address' in page
    assert 'id="customer-error">Please fill this in.' in page
    assert 'id="category-error">' not in page  # checked as a row once the fields themselves are right
    assert 'value="PO-7731"' in page
    assert intake.complaints == []


def test_a_category_not_on_the_lists_tab_is_refused_as_the_sheet_would(client, clock, intake):
    page = send_complaint(client, clock, category="Weather").get_data(as_text=True)
    assert 'id="category-error">Please choose one of the listed kinds.' in page
    assert intake.complaints == []


def test_phone_and_order_number_are_optional(client, clock, intake):
    assert send_complaint(client, clock, phone="", order_no="").status_code == 200
    assert intake.complaints[0].cells["contact"] == "buyer@harbour.example"
    assert "order_no" not in intake.complaints[0].cells


def test_one_address_may_send_only_so_many_complaints_a_day(client, clock, intake):
    statuses = [send_complaint(client, clock).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    clock.advance(days=1)
    assert send_complaint(client, clock).status_code == 200


def test_one_address_is_counted_whatever_its_case(client, clock, intake):
    emails = ["buyer@harbour.example", "BUYER@Harbour.Example"] * 3
    statuses = [send_complaint(client, clock, email=email).status_code for email in emails]
    assert statuses == [200] * 5 + [429]


def test_one_address_from_many_places_and_many_addresses_from_one_place_are_both_limited(client, clock, intake):
    statuses = [send_complaint(client, clock, email=f"person{n}@example.com").status_code for n in range(11)]
    assert statuses == [200] * 10 + [429]  # ten an hour from one IP


# -- CSRF ---------------------------------------------------------------------------------------------------


def test_every_post_without_the_session_s_csrf_token_is_refused(client, clock, store, tokens, intake):
    round_ = resolve(store, "CS-20261123-0001")
    confirm = tokens.link("confirm", "CS-20261123-0001", round_)
    survey = tokens.link("survey", "CS-20261123-0001", round_)
    form_tokens = open_form(client)
    clock.advance(seconds=20)
    posts = {
        "/": {"form_token": form_tokens["form_token"], **GOOD_COMPLAINT},
        "/status": {"ticket_id": "CS-20261123-0001", "email": "buyer@harbour.example"},
        f"/fixed/{confirm}": {"answer": "no", "comment": "Still cracks"},
        f"/survey/{survey}": {"score": "8", "comment": "Fine"},
    }
    for path, data in posts.items():
        for csrf in ({}, {"csrf_token": "guessed"}):
            response = client.post(path, data={**data, **csrf})
            assert response.status_code == 400, path
            assert "Please try again" in response.get_data(as_text=True)
    assert intake.complaints == []
    assert store.take_status_requests() == []
    assert store.answer("CS-20261123-0001", round_, CONFIRM) is None
    assert store.answer("CS-20261123-0001", round_, SURVEY) is None


def test_a_csrf_token_from_another_session_is_refused(app, clock, intake):
    first, second = app.test_client(), app.test_client()
    stolen = open_form(first)
    open_form(second)
    clock.advance(seconds=20)
    assert second.post("/", data={**stolen, **GOOD_COMPLAINT}).status_code == 400


# -- status ------------------------------------------------------------------------------------------------


def test_the_status_lookup_answers_the_same_whether_or_not_the_ticket_exists(client, store):
    page = client.get("/status").get_data(as_text=True)
    csrf = hidden(page, "csrf_token")
    answers = [
        client.post("/status", data={"csrf_token": csrf, "ticket_id": ticket, "email": email})
        for ticket, email in [("CS-20261123-0001", "buyer@harbour.example"), ("CS-20261123-0001", "other@x.example"),
                              ("CS-20991231-9999", "buyer@harbour.example"), ("nonsense", "")]
    ]
    bodies = {(answer.status_code, answer.get_data(as_text=True).replace(csrf, "")) for answer in answers}
    assert len(bodies) == 1
    assert "If the number and the address match a ticket" in bodies.pop()[1]
    requests = store.take_status_requests()  # the cycle decides whether they match, and mails only then
    assert [(request.ticket_id, request.email) for request in requests] == [
        ("CS-20261123-0001", "buyer@harbour.example"), ("CS-20261123-0001", "other@x.example"),
        ("CS-20991231-9999", "buyer@harbour.example"),
    ]


def test_a_status_link_shows_status_grade_department_due_time_and_public_replies(client, tokens):
    page = client.get(f"/s/{tokens.link('status', 'CS-20261123-0001')}").get_data(as_text=True)
    assert 'id="status">Investigating<' in page
    assert 'id="grade">Important<' in page
    assert 'id="department">Quality<' in page
    assert 'id="due">2026-11-23 18:00<' in page
    assert "We are checking the batch." in page
    assert "CS-20261123-0002" not in page


def test_a_status_link_expires_after_seven_days(client, tokens, clock):
    link = f"/s/{tokens.link('status', 'CS-20261123-0001')}"
    clock.advance(days=6, hours=23)
    assert client.get(link).status_code == 200
    clock.advance(hours=2)
    response = client.get(link)
    assert response.status_code == 404
    assert "This link does not work" in response.get_data(as_text=True)


def test_forged_and_wrong_purpose_links_get_the_same_page_as_unknown_tickets(client, tokens, store):
    round_ = resolve(store, "CS-20261123-0001")
    good = tokens.link("status", "CS-20261123-0001")
    refused = [
        "/s/" + good[:-3] + ("abc" if not good.endswith("abc") else "abd"),
        "/s/" + tokens.link("confirm", "CS-20261123-0001", round_),
        "/s/" + tokens.link("status", "CS-20991231-9999"),
        "/s/nonsense",
        "/fixed/" + tokens.link("status", "CS-20261123-0001"),
        "/survey/" + tokens.link("confirm", "CS-20261123-0001", round_),
    ]
    bodies = set()
    for path in refused:
        response = client.get(path)
        bodies.add((response.status_code, response.get_data(as_text=True).replace(path, "PATH")))
    assert len(bodies) == 1 and bodies.pop()[0] == 404


# -- is it fixed? ------------------------------------------------------------------------------------------


def test_a_confirm_link_shows_the_choice_and_records_nothing_on_get(client, tokens, store):
    round_ = resolve(store, "CS-20261123-0001")
    link = f"/fixed/{tokens.link('confirm', 'CS-20261123-0001', round_)}"
    page = client.get(link + "?answer=no").get_data(as_text=True)
    assert 'value="no" checked' in page and 'value="yes" checked' not in page
    client.get(link + "?answer=yes")
    assert store.answer("CS-20261123-0001", round_, CONFIRM) is None


def test_only_the_confirm_page_s_post_records_the_answer(client, tokens, store):
    round_ = resolve(store, "CS-20261123-0001")
    link = f"/fixed/{tokens.link('confirm', 'CS-20261123-0001', round_)}"
    page = client.get(link + "?answer=yes").get_data(as_text=True)
    response = client.post(link, data={"csrf_token": hidden(page, "csrf_token"), "answer": "yes"})
    assert "We have your answer." in response.get_data(as_text=True)
    answer = store.answer("CS-20261123-0001", round_, CONFIRM)
    assert answer is not None and answer.value == "yes"


def test_a_second_answer_within_twelve_hours_replaces_the_first_and_later_one_is_refused(client, tokens, store, clock):
    round_ = resolve(store, "CS-20261123-0001")
    link = f"/fixed/{tokens.link('confirm', 'CS-20261123-0001', round_)}"
    csrf = hidden(client.get(link).get_data(as_text=True), "csrf_token")
    client.post(link, data={"csrf_token": csrf, "answer": "yes"})
    clock.advance(hours=11)
    replaced = client.post(link, data={"csrf_token": csrf, "answer": "no"}).get_data(as_text=True)
    assert "replaced your earlier answer" in replaced
    assert store.answer("CS-20261123-0001", round_, CONFIRM).value == "no"
    clock.advance(hours=2)
    refused = client.post(link, data={"csrf_token": csrf, "answer": "yes"}).get_data(as_text=True)
    assert "We already have your answer" in refused
    assert store.answer("CS-20261123-0001", round_, CONFIRM).value == "no"


def test_a_reopened_ticket_s_old_links_stop_working(client, tokens, store):
    first_round = resolve(store, "CS-20261123-0001")
    old = f"/fixed/{tokens.link('confirm', 'CS-20261123-0001', first_round)}"
    store.publish([store.published("CS-20261123-0001").__class__("CS-20261123-0001", "Investigating")], {}, "en")
    assert client.get(old).status_code == 404  # reopened: no longer resolved
    second_round = resolve(store, "CS-20261123-0001")
    assert client.get(old).status_code == 404  # resolved again: a new round, new links
    assert client.get(f"/fixed/{tokens.link('confirm', 'CS-20261123-0001', second_round)}").status_code == 200


def test_a_link_to_one_ticket_cannot_answer_for_another(client, tokens, store):
    round_ = resolve(store, "CS-20261123-0001")
    mine = tokens.link("confirm", "CS-20261123-0001", round_)
    payload, rest = mine.split(".", 1)
    other = tokens.link("confirm", "CS-20261123-0002", round_).split(".", 1)[0]
    assert client.get(f"/fixed/{other}.{rest}").status_code == 404


def test_an_answer_link_expires_after_fourteen_days(client, tokens, store, clock):
    round_ = resolve(store, "CS-20261123-0001")
    link = f"/survey/{tokens.link('survey', 'CS-20261123-0001', round_)}"
    clock.advance(days=13, hours=23)
    assert client.get(link).status_code == 200
    clock.advance(hours=2)
    assert client.get(link).status_code == 404


# -- the survey --------------------------------------------------------------------------------------------


def test_the_survey_shows_ten_scores_with_the_clicked_one_chosen(client, tokens, store):
    round_ = resolve(store, "CS-20261123-0001")
    page = client.get(f"/survey/{tokens.link('survey', 'CS-20261123-0001', round_)}?score=8").get_data(as_text=True)
    assert all(f'name="score" value="{score}"' in page for score in range(1, 11))
    assert 'value="8" checked' in page and page.count("checked") == 1
    assert store.answer("CS-20261123-0001", round_, SURVEY) is None


def test_the_survey_records_the_score_and_comment(client, tokens, store):
    round_ = resolve(store, "CS-20261123-0001")
    link = f"/survey/{tokens.link('survey', 'CS-20261123-0001', round_)}"
    csrf = hidden(client.get(link).get_data(as_text=True), "csrf_token")
    assert client.post(link, data={"csrf_token": csrf, "comment": "ok"}).status_code == 422
    client.post(link, data={"csrf_token": csrf, "score": "8", "comment": "  Quick and polite.  "})
    answer = store.answer("CS-20261123-0001", round_, SURVEY)
    assert (answer.value, answer.comment) == ("8", "Quick and polite.")


def test_the_confirm_page_takes_an_optional_comment(client, tokens, store):
    round_ = resolve(store, "CS-20261123-0001")
    link = f"/fixed/{tokens.link('confirm', 'CS-20261123-0001', round_)}"
    page = client.get(link + "?answer=no").get_data(as_text=True)
    assert '<textarea id="comment" name="comment"' in page
    csrf = hidden(page, "csrf_token")
    refused = client.post(link, data={"csrf_token": csrf, "comment": "  The lid still cracks.  "})
    assert refused.status_code == 422 and "The lid still cracks." in refused.get_data(as_text=True)  # kept
    assert store.answer("CS-20261123-0001", round_, CONFIRM) is None
    client.post(link, data={"csrf_token": csrf, "answer": "no", "comment": "  The lid still cracks.  "})
    answer = store.answer("CS-20261123-0001", round_, CONFIRM)
    assert (answer.value, answer.comment) == ("no", "The lid still cracks.")
    client.post(link, data={"csrf_token": csrf, "answer": "yes"})  # no comment at all is fine
    assert store.answer("CS-20261123-0001", round_, CONFIRM).comment == ""


# -- language ----------------------------------------------------------------------------------------------


def test_pages_speak_the_desk_s_language_and_switch_on_request(client, store):
    store.publish([], {"category": ["产品质量"]}, "zh")
    assert "提交投诉" in client.get("/").get_data(as_text=True)
    switched = client.get("/?lang=en").get_data(as_text=True)
    assert "Tell us about a problem" in switched
    assert "Tell us about a problem" in client.get("/").get_data(as_text=True)  # remembered


def test_no_page_needs_javascript(client, tokens, store):
    round_ = resolve(store, "CS-20261123-0001")
    for path in ("/", "/status", f"/fixed/{tokens.link('confirm', 'CS-20261123-0001', round_)}",
                 f"/survey/{tokens.link('survey', 'CS-20261123-0001', round_)}"):
        response = client.get(path)
        assert "<script" not in response.get_data(as_text=True)
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_session_cookie_is_secure_http_only_and_same_site_behind_https(client):
    cookie = client.get("/").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
