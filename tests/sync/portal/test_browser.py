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
PAGE_WAIT = 90  # seconds: a page of this portal loads in milliseconds, but the machine may be shared and loaded
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
def browser(request, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=900,1200")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_WAIT)
    page = Page(driver, tmp_path / "browser-failure")
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:  # whatever failed, keep what the browser showed last
        print(f"the browser's last page: {page.keep('at-failure')}")
    driver.quit()


class Page:
    """The browser, with explicit waits: every lookup waits (up to ``PAGE_WAIT`` s on a loaded machine) for its
    element, and a wait that runs out fails saying what it waited for, on which page, and where the page's
    source and a screenshot were kept."""

    def __init__(self, driver, keep_dir: Path) -> None:
        self.driver = driver
        self.keep_dir = keep_dir

    def open(self, url: str) -> None:
        self.driver.get(url)

    def find(self, by: str, value: str):
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, PAGE_WAIT).until(
                expected_conditions.presence_of_element_located((by, value)))
        except TimeoutException:
            raise AssertionError(f"waited {PAGE_WAIT} s for {by}={value!r} on {self.driver.current_url} "
                                 f"({self.driver.title!r}): {self.keep('timeout')}") from None

    def by_id(self, element_id: str):
        from selenium.webdriver.common.by import By

        return self.find(By.ID, element_id)

    def submit(self, button, then: str):
        """Click ``button`` and return element ``then`` (an ID) of the page the click leads to, once the old
        page is gone: a lookup never finds the element on the page that was just left."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.driver.find_element("tag name", "html")
        button.click()
        try:
            WebDriverWait(self.driver, PAGE_WAIT).until(expected_conditions.staleness_of(old))
        except TimeoutException:
            raise AssertionError(f"the click on {button.get_attribute('id') or button.text!r} did not leave "
                                 f"{self.driver.current_url} in {PAGE_WAIT} s: {self.keep('stuck')}") from None
        return self.by_id(then)

    def keep(self, name: str) -> str:
        """Save the page's source and a screenshot under ``keep_dir``; return where."""
        self.keep_dir.mkdir(parents=True, exist_ok=True)
        source, picture = self.keep_dir / f"{name}.html", self.keep_dir / f"{name}.png"
        try:
            source.write_text(self.driver.page_source, encoding="utf-8")
            self.driver.save_screenshot(str(picture))
        except Exception as error:  # a dead browser: say so rather than hide the first failure
            return f"could not keep the page ({error})"
        return f"page source {source}, screenshot {picture}"

    def __getattr__(self, name: str):
        return getattr(self.driver, name)


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


def write(path: Path, ticket_id: str, values: dict[str, object]) -> None:
    """A person types ``values`` ({header: value}) into the ticket's row."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Ticket ID")].value == ticket_id:
            for label, value in values.items():
                row[header.index(label)].value = value
    workbook.save(path)


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

    browser.open(url + "/")
    look(browser, "form")
    browser.by_id("customer").send_keys("Harbour Foods <b>Ltd</b>")
    browser.by_id("email").send_keys("buyer@harbour.example")
    browser.by_id("phone").send_keys("+86 21 5555 0100")
    browser.by_id("product").send_keys("Cold-chain box")
    Select(browser.by_id("category")).select_by_visible_text("Product quality")
    browser.by_id("order_no").send_keys("PO-7731")
    browser.by_id("description").send_keys("=HYPERLINK(\"http://x\") The lid cracks <script>")
    time.sleep(3.2)  # a person needs more than 3 s: a faster post is refused
    number = browser.submit(browser.by_id("send"), then="ticket-number").text
    assert re.fullmatch(r"CS-\d{8}-\d{4}", number)
    look(browser, "submitted")

    browser.open(url + "/status")  # the customer asks for a status link, and follows it from the mail
    browser.by_id("ticket_id").send_keys(number)
    browser.by_id("email").send_keys("buyer@harbour.example")
    answer = browser.submit(browser.find(By.CSS_SELECTOR, "form button"), then="lookup-answer")
    assert "If the number and the address match" in answer.text
    cycle(config, start + timedelta(minutes=5))
    browser.open(outbox_link(config, "buyer@harbour.example", "The status of your complaint", "s"))
    assert browser.by_id("status").text == "New"

    row = tickets_by_id(workbook)[number]
    assert row["Customer"] == "Harbour Foods <b>Ltd</b>"
    assert row["Description"] == "=HYPERLINK(\"http://x\") The lid cracks <script>"  # data, never a formula
    assert row["Order no."] == "PO-7731"

    reply = "We found the cause: a batch of brittle lids <b>&</b> we are replacing them.\nA new box ships today."
    write(workbook, number, {"Reply to customer": reply, "Notes": "INTERNAL: supplier penalty"})
    cycle(config, start + timedelta(minutes=20))
    browser.open(outbox_link(config, "buyer@harbour.example", "A reply about your complaint", "s"))
    shown = browser.find(By.CSS_SELECTOR, ".reply").text
    assert "brittle lids <b>&</b> we are replacing them" in shown and "A new box ships today." in shown
    assert "INTERNAL" not in browser.page_source
    look(browser, "status")

    resolved_at = start + timedelta(hours=2)
    resolve(workbook, number, start + timedelta(minutes=30))
    cycle(config, resolved_at)
    browser.open(outbox_link(config, "buyer@harbour.example", "Is your problem fixed?", "fixed") + "?answer=yes")
    assert browser.find(By.CSS_SELECTOR, 'input[value="yes"]').is_selected()
    browser.by_id("comment").send_keys("Works now <b>thanks</b>")
    look(browser, "confirm")
    assert "We have your answer." in browser.submit(browser.by_id("send"), then="answer-outcome").text
    cycle(config, resolved_at + timedelta(hours=1))
    assert tickets_by_id(workbook)[number]["Customer confirmed"] == "yes"

    cycle(config, resolved_at + timedelta(hours=49))  # Follow-up is due 48 h after Resolved
    survey = outbox_link(config, "buyer@harbour.example", "How satisfied are you?", "survey")
    browser.open(survey + "?score=8")
    assert browser.find(By.CSS_SELECTOR, 'input[name="score"][value="8"]').is_selected()
    browser.by_id("comment").send_keys("Quick and polite, thank you")
    look(browser, "survey")
    assert "We have your answer." in browser.submit(browser.by_id("send"), then="answer-outcome").text
    cycle(config, resolved_at + timedelta(hours=50))

    row = tickets_by_id(workbook)[number]
    assert row["Satisfaction"] == 8
    assert row["Follow-up"] is not None
