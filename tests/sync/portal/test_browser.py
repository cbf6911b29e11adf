"""The whole customer loop in a real headless browser: Debian's chromium driven by Selenium through
/usr/bin/chromedriver (named explicitly, so nothing is downloaded), against the portal served by waitress on
127.0.0.1, with real cycles (`sheetdesk run --once`) on a real .xlsx and the .eml outbox in between.

Set SHEETDESK_SCREENSHOTS=<folder> to keep a screenshot of every page at 375 px (a phone) and 900 px.
"""

from __future__ import annotations

import email
import os
import re
import time
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sync.service.cli import cli
from sync.service.config import load_settings
from sync.service.web import open_portal
from tests.sync.conftest import SHANGHAI, make_workbook, tickets_by_id
from tests.sync.portal.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SECRET = "a-long-enough-test-secret-0123456789"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                       reason="needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver): "
                              "apt-get install chromium chromium-driver (.ci/run does)"),
]


@pytest.fixture
def desk(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    make_workbook(tmp_path / "desk.xlsx")
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f"""
[workbook]
path = "desk.xlsx"
[reminders]
quiet_hours = false
[mail]
transport = "outbox"
outbox_dir = "outbox"
sender = "desk@example.com"
[state]
dir = "state"
[portal]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
secret_env = "PORTAL_SECRET"
""", encoding="utf-8")
    server = open_portal(load_settings(config))
    server.start()
    yield config, server.url
    server.stop()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=900,1200")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def cycle(config: Path, now: datetime) -> None:
    """One real cycle, as `sheetdesk run --once --now …` runs it."""
    result = CliRunner().invoke(cli, ["run", "--once", "--config", str(config), "--now",
                                      now.replace(tzinfo=None).isoformat(timespec="minutes")])
    assert result.exit_code == 0, result.output


def outbox_link(config: Path, to: str, subject: str, path: str) -> str:
    """The link to ``path`` in the newest .eml in the outbox sent to ``to`` with ``subject`` in its subject."""
    for file in sorted((config.parent / "outbox").glob("*.eml"), reverse=True):
        message = email.message_from_bytes(file.read_bytes(), policy=policy.default)
        if to in str(message["To"]) and subject in str(message["Subject"]):
            text = message.get_body(("plain",)).get_content()
            return re.search(rf"http://127\.0\.0\.1:\d+/{path}/[^\s?]+", text).group(0)
    raise AssertionError(f"no mail to {to} about {subject!r} in the outbox")


def resolve(path: Path, ticket_id: str, when: datetime) -> None:
    """A person resolves the ticket in the workbook."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Ticket ID")].value == ticket_id:
            row[header.index("Status")].value = "Resolved"
            row[header.index("First response")].value = when.replace(tzinfo=None)
            row[header.index("Root cause")].value = "Brittle lid plastic"
            row[header.index("Corrective action")].value = "New lid supplier"
    workbook.save(path)


def look(browser, name: str) -> None:
    """At 375 px the page fits the phone's width (no sideways scrolling); keep screenshots when asked."""
    folder = os.environ.get("SHEETDESK_SCREENSHOTS")
    for width in (375, 900):
        browser.set_window_size(width, 1400)
        scroll_width = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} is {scroll_width} px wide at {width} px"
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(Path(folder) / f"{name}-{width}.png"))
    browser.set_window_size(900, 1200)


def test_a_customer_complains_confirms_the_fix_and_gives_8_all_in_a_browser(desk, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    config, url = desk
    workbook = config.parent / "desk.xlsx"
    start = datetime.now(SHANGHAI).replace(second=0, microsecond=0) + timedelta(minutes=1)
    cycle(config, start)  # publishes the Lists tab's categories for the form

    browser.get(url + "/")
    look(browser, "form")
    browser.find_element(By.ID, "customer").send_keys("Harbour Foods <b>Ltd</b>")
    browser.find_element(By.ID, "email").send_keys("buyer@harbour.example")
    browser.find_element(By.ID, "phone").send_keys("+86 21 5555 0100")
    browser.find_element(By.ID, "product").send_keys("Cold-chain box")
    Select(browser.find_element(By.ID, "category")).select_by_visible_text("Product quality")
    browser.find_element(By.ID, "order_no").send_keys("PO-7731")
    browser.find_element(By.ID, "description").send_keys("=HYPERLINK(\"http://x\") The lid cracks <script>")
    time.sleep(3.2)  # a person needs more than 3 s: a faster post is refused
    browser.find_element(By.ID, "send").click()
    number = browser.find_element(By.ID, "ticket-number").text
    assert re.fullmatch(r"CS-\d{8}-\d{4}", number)
    look(browser, "submitted")

    browser.get(url + "/status")  # the customer asks for a status link, and follows it from the mail
    browser.find_element(By.ID, "ticket_id").send_keys(number)
    browser.find_element(By.ID, "email").send_keys("buyer@harbour.example")
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    assert "If the number and the address match" in browser.find_element(By.ID, "lookup-answer").text
    cycle(config, start + timedelta(minutes=5))
    browser.get(outbox_link(config, "buyer@harbour.example", "The status of your complaint", "s"))
    assert browser.find_element(By.ID, "status").text == "New"
    look(browser, "status")

    row = tickets_by_id(workbook)[number]
    assert row["Customer"] == "Harbour Foods <b>Ltd</b>"
    assert row["Description"] == "=HYPERLINK(\"http://x\") The lid cracks <script>"  # data, never a formula
    assert row["Order no."] == "PO-7731"

    resolved_at = start + timedelta(hours=2)
    resolve(workbook, number, start + timedelta(minutes=30))
    cycle(config, resolved_at)
    browser.get(outbox_link(config, "buyer@harbour.example", "Is your problem fixed?", "fixed") + "?answer=yes")
    assert browser.find_element(By.CSS_SELECTOR, 'input[value="yes"]').is_selected()
    look(browser, "confirm")
    browser.find_element(By.ID, "send").click()
    assert "We have your answer." in browser.find_element(By.ID, "answer-outcome").text
    cycle(config, resolved_at + timedelta(hours=1))
    assert tickets_by_id(workbook)[number]["Customer confirmed"] == "yes"

    cycle(config, resolved_at + timedelta(hours=49))  # Follow-up is due 48 h after Resolved
    survey = outbox_link(config, "buyer@harbour.example", "How satisfied are you?", "survey")
    browser.get(survey + "?score=8")
    assert browser.find_element(By.CSS_SELECTOR, 'input[name="score"][value="8"]').is_selected()
    browser.find_element(By.ID, "comment").send_keys("Quick and polite, thank you")
    look(browser, "survey")
    browser.find_element(By.ID, "send").click()
    assert "We have your answer." in browser.find_element(By.ID, "answer-outcome").text
    cycle(config, resolved_at + timedelta(hours=50))

    row = tickets_by_id(workbook)[number]
    assert row["Satisfaction"] == 8
    assert row["Follow-up"] is not None
