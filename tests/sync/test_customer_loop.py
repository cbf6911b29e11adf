"""The customers' end of the loop through real cycles: a real .xlsx, the real portal app over the same state
store (Flask's test client), and the mail the cycle sends (the memory transport, the outermost edge)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import openpyxl
import pytest

from sync.service.config import load_settings
from sync.service.desks import desk_configs, open_desk
from sync.service.web import open_portal
from tests.sync.conftest import NEW_COMPLAINT, SHANGHAI, make_workbook, tickets_by_id

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
SECRET = "a-long-enough-test-secret-0123456789"
COMPLAINT = {**NEW_COMPLAINT, "Ticket ID": "CS-20261123-0001", "Contact": "Buyer@Harbour.example / +86 21 5555"}
OTHER = {**NEW_COMPLAINT, "Ticket ID": "CS-20261123-0002", "Customer": "Lotus Tea", "Contact": "tea@lotus.example"}
RESOLVED = {"Status": "Resolved", "First response": MONDAY.replace(tzinfo=None, hour=10, minute=30),
            "Root cause": "Brittle lid plastic", "Corrective action": "New lid supplier"}


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    make_workbook(tmp_path / "desk.xlsx", rows=[COMPLAINT, OTHER])
    (tmp_path / "config.toml").write_text(
        """
[workbook]
path = "desk.xlsx"
[reminders]
quiet_hours = false
[mail]
transport = "memory"
sender = "desk@example.com"
[state]
dir = "state"
[portal]
public_url = "https://complaints.example.com"
secret_env = "PORTAL_SECRET"
""", encoding="utf-8")
    return load_settings(tmp_path / "config.toml")


@pytest.fixture
def desk(settings):
    desk = open_desk(desk_configs(settings)[0])
    yield desk
    desk.state.close()


@pytest.fixture
def browser(settings):
    server = open_portal(settings, submit=lambda *arguments: "unused", listen="127.0.0.1:0")
    client = server.app.test_client()
    yield client
    server.stop()


def edit(path, ticket_id: str, values: dict) -> None:
    """A person types ``values`` ({header: value}) into the row of ``ticket_id``."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == ticket_id:
            for label, value in values.items():
                row[header.index(label)].value = value
    workbook.save(path)


def customer_mail(desk, to: str, about: str = "") -> list:
    return [message for message in desk.mailroom.transport.sent
            if to in str(message["To"]).lower() and about in str(message["Subject"])]


def link_in(message, prefix: str) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"https://complaints\.example\.com(/" + prefix + r"/[^\s?]+)", text)
    assert match, text
    return match.group(1)


def answer(browser, path: str, **fields) -> str:
    page = browser.get(path).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return browser.post(path, data={"csrf_token": csrf, **fields}).get_data(as_text=True)


def resolve(settings, desk, ticket_id: str, when: datetime) -> None:
    edit(settings.resolve("desk.xlsx"), ticket_id, RESOLVED)
    desk.cycle(when)


def test_a_ticket_that_turns_resolved_sends_is_it_fixed_once(settings, desk):
    desk.cycle(MONDAY)
    assert customer_mail(desk, "buyer@harbour.example") == []
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    [mail] = customer_mail(desk, "buyer@harbour.example")
    assert "Is your problem fixed?" in str(mail["Subject"]) and "[CS-20261123-0001]" in str(mail["Subject"])
    assert "?answer=yes" in mail.get_body(("plain",)).get_content()
    desk.cycle(MONDAY + timedelta(hours=3))
    assert len(customer_mail(desk, "buyer@harbour.example")) == 1


def test_a_sheet_seen_first_with_resolved_tickets_mails_no_customer(settings, desk):
    edit(settings.resolve("desk.xlsx"), "CS-20261123-0001", RESOLVED)
    desk.cycle(MONDAY + timedelta(hours=2))
    desk.cycle(MONDAY + timedelta(days=5))
    assert customer_mail(desk, "buyer@harbour.example") == []


def test_yes_fills_customer_confirmed(settings, desk, browser):
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    link = link_in(customer_mail(desk, "buyer@harbour.example")[0], "fixed")
    browser.get(link + "?answer=yes")
    desk.cycle(MONDAY + timedelta(hours=3))
    assert tickets_by_id(settings.resolve("desk.xlsx"))["CS-20261123-0001"]["Customer confirmed"] is None  # GET only
    assert "We have your answer." in answer(browser, link, answer="yes")
    desk.cycle(MONDAY + timedelta(hours=4))
    row = tickets_by_id(settings.resolve("desk.xlsx"))["CS-20261123-0001"]
    assert row["Customer confirmed"] == "yes" and row["Status"] == "Resolved"


def test_no_reopens_the_ticket_for_its_liaison_and_old_links_stop_working(settings, desk, browser):
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    old = link_in(customer_mail(desk, "buyer@harbour.example")[0], "fixed")
    answer(browser, old, answer="no")
    desk.cycle(MONDAY + timedelta(hours=3))
    row = tickets_by_id(settings.resolve("desk.xlsx"))["CS-20261123-0001"]
    assert (row["Status"], row["Customer confirmed"]) == ("Investigating", "no")
    [notice] = customer_mail(desk, "grace.li@example.com", "not fixed")  # the Quality liaison
    assert "not fixed" in str(notice["Subject"]) and "Harbour Foods" in notice.get_body(("plain",)).get_content()
    assert "Workbook: desk.xlsx" in notice.get_body(("plain",)).get_content()  # staff mail names the workbook
    assert "desk.xlsx" in notice.get_body(("html",)).get_content()
    assert browser.get(old).status_code == 404  # reopened

    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=5))
    fixed_again = [mail for mail in customer_mail(desk, "buyer@harbour.example") if "fixed" in str(mail["Subject"])]
    assert len(fixed_again) == 2
    assert browser.get(old).status_code == 404  # resolved again: a new round, the old link stays dead
    new = link_in(fixed_again[1], "fixed")
    answer(browser, new, answer="yes")
    desk.cycle(MONDAY + timedelta(hours=6))
    row = tickets_by_id(settings.resolve("desk.xlsx"))["CS-20261123-0001"]
    assert (row["Status"], row["Customer confirmed"]) == ("Resolved", "yes")  # our own "no" may be replaced


def test_a_person_s_value_wins_over_the_customer_s(settings, desk, browser):
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    link = link_in(customer_mail(desk, "buyer@harbour.example")[0], "fixed")
    edit(settings.resolve("desk.xlsx"), "CS-20261123-0001", {"Customer confirmed": "yes"})
    answer(browser, link, answer="no")
    desk.cycle(MONDAY + timedelta(hours=3))
    row = tickets_by_id(settings.resolve("desk.xlsx"))["CS-20261123-0001"]
    assert (row["Status"], row["Customer confirmed"]) == ("Resolved", "yes")


def test_the_survey_comes_when_follow_up_is_due_and_its_score_fills_satisfaction(settings, desk, browser):
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    desk.cycle(MONDAY + timedelta(hours=40))
    assert not [mail for mail in customer_mail(desk, "buyer@harbour.example") if "satisfied" in str(mail["Subject"])]
    desk.cycle(MONDAY + timedelta(hours=51))  # 48 h after Resolved
    [survey] = [mail for mail in customer_mail(desk, "buyer@harbour.example") if "satisfied" in str(mail["Subject"])]
    text = survey.get_body(("plain",)).get_content()
    assert all(f"?score={score}" in text for score in range(1, 11))
    link = link_in(survey, "survey")
    answer(browser, link, score="8", comment="Quick <b>and</b> polite")
    desk.cycle(MONDAY + timedelta(hours=52))
    row = tickets_by_id(settings.resolve("desk.xlsx"))["CS-20261123-0001"]
    assert row["Satisfaction"] == 8
    assert row["Follow-up"] is not None
    assert customer_mail(desk, "grace.li@example.com", "second follow-up") == []  # 8 meets the target: no second follow-up


def test_a_score_below_the_target_asks_the_liaison_for_a_second_follow_up(settings, desk, browser):
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    desk.cycle(MONDAY + timedelta(hours=51))
    survey = [mail for mail in customer_mail(desk, "buyer@harbour.example") if "satisfied" in str(mail["Subject"])][0]
    answer(browser, link_in(survey, "survey"), score="4", comment="Took too long")
    desk.cycle(MONDAY + timedelta(hours=52))
    [notice] = customer_mail(desk, "grace.li@example.com", "second follow-up")
    assert "Took too long" in notice.get_body(("plain",)).get_content()
    assert "Workbook: desk.xlsx" in notice.get_body(("plain",)).get_content()
    assert tickets_by_id(settings.resolve("desk.xlsx"))["CS-20261123-0001"]["Satisfaction"] == 4


def test_mail_to_customers_never_names_the_workbook(settings, desk, browser):
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    mails = customer_mail(desk, "buyer@harbour.example")
    assert mails  # "is it fixed?" at least
    for mail in mails:
        assert "desk.xlsx" not in mail.get_body(("plain",)).get_content() + mail.get_body(("html",)).get_content()


def test_a_status_link_goes_only_to_the_ticket_s_own_address(settings, desk, browser):
    desk.cycle(MONDAY)
    page = browser.get("/status").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for email in ("buyer@harbour.example", "tea@lotus.example", "someone@else.example"):
        browser.post("/status", data={"csrf_token": csrf, "ticket_id": "cs-20261123-0001", "email": email})
    desk.cycle(MONDAY + timedelta(minutes=5))
    [mail] = customer_mail(desk, "buyer@harbour.example")
    assert customer_mail(desk, "tea@lotus.example") == [] and customer_mail(desk, "someone@else.example") == []
    status = browser.get(link_in(mail, "s")).get_data(as_text=True)
    assert "CS-20261123-0001" in status and "CS-20261123-0002" not in status
    assert 'id="status">New<' in status and 'id="department">Quality<' in status


def test_the_form_offers_the_categories_of_the_lists_tab(settings, desk, browser):
    desk.cycle(MONDAY)
    page = browser.get("/").get_data(as_text=True)
    workbook = openpyxl.load_workbook(settings.resolve("desk.xlsx"))
    lists = workbook["Lists"]
    column = [cell.value for cell in lists[1]].index("Category")
    categories = [row[column] for row in lists.iter_rows(min_row=2, values_only=True) if row[column]]
    assert categories and all(f'<option value="{category}">' in page.replace("&amp;", "&") for category in categories)


def messages_tab(path) -> list[tuple]:
    """The Messages tab's rows (header first), read with openpyxl around the backend."""
    workbook = openpyxl.load_workbook(path)
    return [tuple(row) for row in workbook["Messages"].iter_rows(values_only=True)]


def test_the_survey_comment_is_written_to_the_messages_tab_once(settings, desk, browser):
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    desk.cycle(MONDAY + timedelta(hours=51))
    survey = [mail for mail in customer_mail(desk, "buyer@harbour.example") if "satisfied" in str(mail["Subject"])][0]
    answer(browser, link_in(survey, "survey"), score="4", comment='=HYPERLINK("http://evil.example","Took too long")')
    desk.cycle(MONDAY + timedelta(hours=52))
    desk.cycle(MONDAY + timedelta(hours=53))
    path = settings.resolve("desk.xlsx")
    header, *rows = messages_tab(path)
    assert header == ("Ticket ID", "Time", "Channel", "From", "Text")
    [(ticket_id, at, channel, sender, text)] = rows  # once, though two cycles ran
    assert (ticket_id, channel, sender) == ("CS-20261123-0001", "Website", "Harbour Foods")
    assert text == 'Survey score 4/10 — =HYPERLINK("http://evil.example","Took too long")'  # a text, never a formula
    assert isinstance(at, datetime)  # when the customer answered (this portal runs on the real clock)
    cell = openpyxl.load_workbook(path)["Messages"]["E2"]
    assert cell.data_type == "s"
    # A survey answer never marks the done ticket "Customer replied": no status change would ever clear it.
    assert not tickets_by_id(path)["CS-20261123-0001"].get("Customer replied")



def test_the_confirm_comment_reaches_the_messages_tab_once_and_the_liaison_s_notice(settings, desk, browser):
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    link = link_in(customer_mail(desk, "buyer@harbour.example")[0], "fixed")
    answer(browser, link, answer="no", comment="=1+1 <b>Still</b> cracks")
    desk.cycle(MONDAY + timedelta(hours=3))
    desk.cycle(MONDAY + timedelta(hours=4))
    path = settings.resolve("desk.xlsx")
    [(ticket_id, _, channel, sender, text)] = messages_tab(path)[1:]
    assert (ticket_id, channel, sender) == ("CS-20261123-0001", "Website", "Harbour Foods")
    assert text == "Fixed? no — =1+1 <b>Still</b> cracks"
    assert openpyxl.load_workbook(path)["Messages"]["E2"].data_type == "s"  # text, never a formula
    [notice] = customer_mail(desk, "grace.li@example.com", "not fixed")
    assert "=1+1 <b>Still</b> cracks" in notice.get_body(("plain",)).get_content()
    assert "&lt;b&gt;Still" in notice.get_body(("html",)).get_content()


def _complain(desk, language, description: str, contact: str, received: datetime = MONDAY) -> str:
    """A complaint taken in by a channel that recorded ``language`` (None: a channel that records none)."""
    from sync.intake import CHANNEL_WEBSITE, Complaint, take_in

    complaint = Complaint(channel=CHANNEL_WEBSITE, received=received, description=description, customer="Ming",
                          contact=contact, product="Kettle", language=language, source_ref=f"test:{contact}")
    return take_in(desk.state, complaint).ticket_id


@pytest.mark.parametrize("desk_language", ["en", "zh"])
def test_customer_mail_speaks_the_language_recorded_at_intake_else_the_desk_s(tmp_path, monkeypatch, desk_language):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    make_workbook(tmp_path / "desk.xlsx", language=desk_language)
    (tmp_path / "config.toml").write_text(
        '[workbook]\npath = "desk.xlsx"\n[mail]\ntransport = "memory"\nsender = "desk@example.com"\n'
        '[reminders]\nquiet_hours = false\n[state]\ndir = "state"\n'
        '[portal]\npublic_url = "https://complaints.example.com"\nsecret_env = "PORTAL_SECRET"\n', encoding="utf-8")
    settings = load_settings(tmp_path / "config.toml")
    desk = open_desk(desk_configs(settings)[0])
    other = "en" if desk_language == "zh" else "zh"
    # Text in the other language than recorded: the recorded language wins, nothing is guessed from the text.
    recorded = _complain(desk, other, "水壶漏水" if other == "en" else "The kettle leaks", "kept@example.com")
    unrecorded = _complain(desk, None, "水壶漏水" if desk_language == "en" else "The kettle leaks",
                           "guess@example.com")
    desk.cycle(MONDAY + timedelta(minutes=5))
    store = desk.customers.store
    assert store.published(recorded).language == other
    assert store.published(unrecorded).language == desk_language
    for ticket_id, address in ((recorded, "kept@example.com"), (unrecorded, "guess@example.com")):
        store.request_status_link(ticket_id, address, MONDAY)
    desk.cycle(MONDAY + timedelta(minutes=10))
    subjects = {language: "The status of your complaint" if language == "en" else "您的投诉处理进度"
                for language in ("en", "zh")}
    [to_recorded] = customer_mail(desk, "kept@example.com", "[")
    [to_unrecorded] = customer_mail(desk, "guess@example.com", "[")
    assert subjects[other] in str(to_recorded["Subject"])
    assert subjects[desk_language] in str(to_unrecorded["Subject"])
    desk.state.close()


def test_a_ticket_reopened_by_not_fixed_starts_a_new_round_when_resolved_again(settings, desk, browser):
    path = settings.resolve("desk.xlsx")
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    first_resolved = tickets_by_id(path)["CS-20261123-0001"]["Resolved"]
    assert first_resolved == (MONDAY + timedelta(hours=2)).replace(tzinfo=None)  # stamped: the person left it blank
    answer(browser, link_in(customer_mail(desk, "buyer@harbour.example", "fixed")[0], "fixed"), answer="no")
    desk.cycle(MONDAY + timedelta(hours=3))
    assert tickets_by_id(path)["CS-20261123-0001"]["Status"] == "Investigating"

    again = MONDAY + timedelta(days=1)  # the liaison fixes it again a day later
    edit(path, "CS-20261123-0001", {"Status": "Resolved"})
    desk.cycle(again)
    row = tickets_by_id(path)["CS-20261123-0001"]
    assert row["Resolved"] == first_resolved  # the first round's time stays as it was
    assert row["Resolved again"] == again.replace(tzinfo=None)
    assert row["Follow-up due"] == (again + timedelta(hours=48)).replace(tzinfo=None)
    fixed = customer_mail(desk, "buyer@harbour.example", "fixed")
    assert len(fixed) == 2 and link_in(fixed[1], "fixed") != link_in(fixed[0], "fixed")  # round 2's own link
    assert browser.get(link_in(fixed[0], "fixed")).status_code == 404  # round 1's link stays dead
    assert browser.get(link_in(fixed[1], "fixed")).status_code == 200

    desk.cycle(again + timedelta(hours=47))  # round 1's follow-up was due long ago: nothing is due yet
    assert customer_mail(desk, "buyer@harbour.example", "satisfied") == []
    desk.cycle(again + timedelta(hours=49))
    [survey] = customer_mail(desk, "buyer@harbour.example", "satisfied")  # round 2's, though round 1 said no
    assert browser.get(link_in(survey, "survey") + "?score=9").status_code == 200
    assert tickets_by_id(path)["CS-20261123-0001"]["Resolved again"] == again.replace(tzinfo=None)  # kept


def test_a_new_resolved_time_typed_by_a_person_starts_the_round_and_is_never_overwritten(settings, desk, browser):
    path = settings.resolve("desk.xlsx")
    desk.cycle(MONDAY)
    resolve(settings, desk, "CS-20261123-0001", MONDAY + timedelta(hours=2))
    answer(browser, link_in(customer_mail(desk, "buyer@harbour.example", "fixed")[0], "fixed"), answer="no")
    desk.cycle(MONDAY + timedelta(hours=3))
    typed = (MONDAY + timedelta(hours=20)).replace(tzinfo=None)
    edit(path, "CS-20261123-0001", {"Status": "Resolved", "Resolved": typed})
    desk.cycle(MONDAY + timedelta(days=1))
    row = tickets_by_id(path)["CS-20261123-0001"]
    assert row["Resolved"] == typed and row["Resolved again"] is None
    assert row["Follow-up due"] == typed + timedelta(hours=48)


# -- the desk's public replies (Reply to customer) ------------------------------------------------------------


def replies_on_status_page(browser, mail) -> list[str]:
    page = browser.get(link_in(mail, "s")).get_data(as_text=True)
    return re.findall(r'<div class="reply"><time>[^<]*</time>(.*?)</div>', page, re.S)


def test_a_reply_to_customer_is_mailed_once_and_shown_on_the_status_page_never_the_notes(settings, desk, browser):
    path = settings.resolve("desk.xlsx")
    desk.cycle(MONDAY)
    first = "We are checking the batch.\nWe will call you <b>today</b>."
    edit(path, "CS-20261123-0001", {"Reply to customer": first, "Notes": "INTERNAL: blame the supplier",
                                    "Root cause": "SECRET cause"})
    desk.cycle(MONDAY + timedelta(hours=1))
    desk.cycle(MONDAY + timedelta(hours=2))
    [mail] = customer_mail(desk, "buyer@harbour.example", "A reply about your complaint")
    assert "[CS-20261123-0001]" in str(mail["Subject"]) and mail["Auto-Submitted"] == "auto-generated"
    assert mail["In-Reply-To"] is None  # a ticket staff typed: no earlier mail to answer
    text = mail.get_body(("plain",)).get_content()
    assert "We are checking the batch.\n\nWe will call you <b>today</b>." in text and "INTERNAL" not in text
    assert "&lt;b&gt;today" in mail.get_body(("html",)).get_content()
    assert replies_on_status_page(browser, mail) == ["We are checking the batch.\nWe will call you &lt;b&gt;today&lt;/b&gt;."]
    page = browser.get(link_in(mail, "s")).get_data(as_text=True)
    assert "INTERNAL" not in page and "SECRET" not in page

    [(ticket_id, _, channel, sender, message)] = messages_tab(path)[1:]
    assert (ticket_id, channel, sender, message) == ("CS-20261123-0001", "Desk reply", "Complaint desk", first)
    assert not tickets_by_id(path)["CS-20261123-0001"].get("Customer replied")  # the desk's words, not the customer's

    edit(path, "CS-20261123-0001", {"Reply to customer": "Update: a new lid ships on Tuesday.", "Handler": "Lucy Wang"})
    desk.cycle(MONDAY + timedelta(hours=3))
    replies = customer_mail(desk, "buyer@harbour.example", "A reply about your complaint")
    assert len(replies) == 2
    assert replies[1]["In-Reply-To"] == replies[0]["Message-ID"]  # the second answers the first: one thread
    assert replies[1]["Message-ID"].startswith("<sheetdesk-ack.CS-20261123-0001.")  # an answer leads to the ticket
    assert [re.sub(r"\s+", " ", reply) for reply in replies_on_status_page(browser, replies[1])] == [
        "We are checking the batch. We will call you &lt;b&gt;today&lt;/b&gt;.", "Update: a new lid ships on Tuesday."]
    assert messages_tab(path)[2][3] == "Lucy Wang"

    edit(path, "CS-20261123-0001", {"Reply to customer": None})  # emptied: nothing to send
    desk.cycle(MONDAY + timedelta(hours=4))
    edit(path, "CS-20261123-0001", {"Reply to customer": "  Update: a new lid ships on Tuesday.  "})  # typed back
    desk.cycle(MONDAY + timedelta(hours=5))
    assert len(customer_mail(desk, "buyer@harbour.example", "A reply about your complaint")) == 2
    assert len(messages_tab(path)) == 3


def test_a_reply_answers_the_acknowledgement_of_a_complaint_taken_in_by_a_channel(settings, desk, browser):
    from sync.intake.acknowledge import acknowledgement_id

    tuesday = MONDAY + timedelta(days=1)  # the sheet's own rows (typed by the test) hold Monday's numbers
    desk.cycle(tuesday)
    ticket_id = _complain(desk, "zh", "The kettle leaks", "kettle@example.com", received=tuesday)
    desk.cycle(tuesday + timedelta(minutes=5))
    edit(settings.resolve("desk.xlsx"), ticket_id, {"Reply to customer": "我们已安排更换。"})
    desk.cycle(tuesday + timedelta(minutes=10))
    [mail] = customer_mail(desk, "kettle@example.com", "关于您的投诉的回复")  # the language recorded at intake
    assert mail["In-Reply-To"] == acknowledgement_id(ticket_id, "desk@example.com")
    assert "我们已安排更换。" in mail.get_body(("plain",)).get_content()


def test_a_reply_is_not_mailed_without_an_address_nor_to_a_bounced_one_and_the_messages_tab_says_so(
        settings, desk, browser):
    path = settings.resolve("desk.xlsx")
    desk.cycle(MONDAY)
    desk.state.flag_bad_addresses(["tea@lotus.example"], "bounce", MONDAY)
    edit(path, "CS-20261123-0001", {"Contact": "+86 21 5555 0100", "Reply to customer": "We called you."})
    edit(path, "CS-20261123-0002", {"Reply to customer": "We wrote to you."})
    desk.cycle(MONDAY + timedelta(hours=1))
    assert customer_mail(desk, "buyer@harbour.example") == customer_mail(desk, "tea@lotus.example") == []
    texts = {row[0]: row[4] for row in messages_tab(path)[1:]}
    assert texts == {"CS-20261123-0001": "We called you.\n(not mailed: Contact holds no email address)",
                     "CS-20261123-0002": "We wrote to you.\n(held: mail to this address bounced; it goes out once "
                                         "Contact is corrected)"}
    assert [reply.text for reply in desk.customers.store.published("CS-20261123-0002").replies] == ["We wrote to you."]
    edit(path, "CS-20261123-0002", {"Contact": "tea.new@lotus.example"})  # corrected: the held reply goes out
    desk.cycle(MONDAY + timedelta(hours=2))
    [mail] = customer_mail(desk, "tea.new@lotus.example", "A reply about your complaint")
    assert "We wrote to you." in mail.get_body(("plain",)).get_content()
    assert customer_mail(desk, "buyer@harbour.example") == []  # still no address: never mailed


def test_replies_already_in_the_sheet_when_the_portal_starts_are_shown_but_never_mailed(settings, desk):
    edit(settings.resolve("desk.xlsx"), "CS-20261123-0001", {"Reply to customer": "Old reply from before."})
    desk.cycle(MONDAY)
    desk.cycle(MONDAY + timedelta(hours=1))
    assert customer_mail(desk, "buyer@harbour.example") == []
    assert [reply.text for reply in desk.customers.store.published("CS-20261123-0001").replies] == [
        "Old reply from before."]
