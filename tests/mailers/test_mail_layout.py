"""What liaisons and managers read: every mail names the workbook, the reminder footer only on reminders, the
cluster alert lists every ticket it counts, the manager's digest puts their own department first, Chinese uses
full-width colons — and the HTML reads at 900 px and on a 375 px phone, measured in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import time, timedelta
from pathlib import Path

import pytest

from mailers import AlwaysWorking, Mailroom, MailSettings, MemoryTransport, ReminderSettings, WorkbookRef
from tests.mailers.builders import ADMIN, QUALITY, SERVICE, at, make_outcome
from tickets.outcome import SlaState

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
SHEET = WorkbookRef("Complaints 2026", "https://docs.google.com/spreadsheets/d/abc/edit")
REMINDER_FOOTER = "reminders stop once its status moves on"


def texts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def kpis(language):
    return {"未结工单": 3, "超时率": "33%"} if language == "zh" else {"Open tickets": 3, "Overdue": "33%"}


def department_kpis(language, departments):
    return {"Open tickets": len(departments) * 10} if language == "en" else {"未结工单": len(departments) * 10}


@pytest.fixture
def mailroom(ledger):
    settings = ReminderSettings(admin_email=ADMIN, quality_email="qa@desk.example", cluster_threshold=3)
    return Mailroom(settings, MailSettings(transport="memory"), ledger, MemoryTransport())


def a_busy_day():
    """An overdue Quality ticket, a due-soon one, an overdue Service ticket, and a cluster of four kettles."""
    return [
        make_outcome("CS-Q1", QUALITY, resolution_due=at(23, 9, 30), sla=SlaState.OVERDUE),
        make_outcome("CS-Q2", QUALITY, resolution_due=at(23, 17), sla=SlaState.DUE_SOON),
        make_outcome("CS-S1", SERVICE, resolution_due=at(23, 8), sla=SlaState.OVERDUE),
        *[make_outcome(f"CS-K{number}", QUALITY, received=at(18 + number, 9), resolution_due=at(30, 9),
                       similar_7d=number + 1, product="Kettle K9", category="Leak") for number in range(4)],
    ]


def cycle(mailroom, now=None):
    return mailroom.run_cycle(a_busy_day(), now or at(23, 10), AlwaysWorking(), daily_kpis=kpis,
                              daily_digest_at=time(8), department_kpis=department_kpis, workbook=SHEET)


def by_recipient(report, address):
    return [message for message in report.composed if address in str(message["To"])]


def test_every_mail_names_the_workbook_with_its_link(mailroom):
    report = cycle(mailroom)
    assert len(report.composed) >= 5  # digests, a cluster alert, daily digests
    for message in report.composed:
        text, html = texts(message)
        assert "Complaints 2026 https://docs.google.com/spreadsheets/d/abc/edit" in text, message["Subject"]
        assert '<a href="https://docs.google.com/spreadsheets/d/abc/edit"' in html and "Complaints 2026</a>" in html


def test_only_reminders_carry_the_reminders_stop_footer(mailroom):
    report = cycle(mailroom)
    for message in report.composed:
        kind = str(message["Subject"])
        is_reminder = "overdue —" in kind or "due soon" in kind or "已超时 —" in kind
        text, _ = texts(message)
        assert (REMINDER_FOOTER in text or "状态推进后提醒将自动停止" in text) == is_reminder, kind


def test_the_cluster_alert_lists_every_ticket_it_counts(mailroom):
    (alert,) = by_recipient(cycle(mailroom), "qa@desk.example")
    text, _ = texts(alert)
    assert "Kettle K9 · Leak: 4 tickets (CS-K0, CS-K1, CS-K2, CS-K3)" in text  # two reached the threshold


def test_a_managers_daily_digest_leads_with_their_departments_overdue_tickets_and_figures(mailroom):
    report = cycle(mailroom)
    (quality,) = [message for message in by_recipient(report, "wang@quality.example")
                  if "Daily" in str(message["Subject"])]
    text, html = texts(quality)
    overdue_at, department_at, desk_at = (text.index(heading) for heading in
                                          ("Overdue in Quality (1)", "Quality:", "The whole desk:"))
    assert overdue_at < department_at < desk_at
    assert "CS-Q1" in text[overdue_at:department_at] and "30 min late" in text[overdue_at:department_at]
    assert "CS-S1" not in text  # another department's ticket
    assert "- Open tickets: 10" in text[department_at:desk_at] and "- Open tickets: 3" in text[desk_at:]
    (admin,) = [message for message in by_recipient(report, ADMIN) if "Daily" in str(message["Subject"])]
    assert "Overdue in" not in texts(admin)[0] and "The whole desk:" in texts(admin)[0]


def test_chinese_mail_says_touzhu_ribao_and_uses_full_width_colons(mailroom):
    report = cycle(mailroom)
    (daily,) = [message for message in by_recipient(report, "liu@service.example") if "日报" in str(message["Subject"])]
    assert str(daily["Subject"]) == "投诉日报 — 2026-11-23"
    text, html = texts(daily)
    assert "售后服务部的超时工单（1 张）" in text and "- 未结工单：10" in text and "工作簿：" in text
    for body in (text, re.sub(r"<[^>]+>", "", html)):
        assert not re.search(r"[\u4e00-\u9fff]: ", body), body  # no half-width colon after Chinese


def test_the_html_is_self_contained_with_inline_styles_only(mailroom):
    for message in cycle(mailroom).composed:
        _, html = texts(message)
        assert "<style" not in html and "<link" not in html and "<script" not in html
        assert not re.search(r"\bsrc=", html) and "url(" not in html  # no external asset, no image


# -- in a real browser ---------------------------------------------------------------------------------------

MEASURE = """<script>
window.addEventListener('load', () => {
  const kept = [...document.querySelectorAll('span')].filter(span => span.style.whiteSpace === 'nowrap');
  const broken = kept.filter(span => span.getClientRects().length > 1).map(span => span.textContent);
  const wide = document.documentElement.scrollWidth > window.innerWidth;
  const report = document.createElement('pre');
  report.id = 'measured';
  report.textContent = JSON.stringify({spans: kept.length, broken: broken, overflow: wide});
  document.body.appendChild(report);
});
</script>"""


def measure(html: str, width: int, folder: Path) -> dict:
    """Lay ``html`` out in headless Chromium at ``width`` px; return what the page measured of itself."""
    import json

    page = folder / f"mail-{width}.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    profile = folder / f"profile-{width}"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--window-size={width},900", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, done.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed; .ci/run installs it")
@pytest.mark.parametrize("width", [375, 900])
def test_a_digest_reads_on_a_phone_and_a_desktop_without_breaking_ids_dates_or_durations(ledger, tmp_path, width):
    mailroom = Mailroom(ReminderSettings(admin_email=ADMIN), MailSettings(transport="memory"), ledger,
                        MemoryTransport())
    outcomes = [make_outcome(f"CS-20261123-{number:04d}", SERVICE, resolution_due=at(23, 9) - timedelta(hours=number),
                             sla=SlaState.OVERDUE, customer="华东电器有限公司", category="质量",
                             description="水壶底座漏水，客户要求更换并赔偿运费" * 2)
                for number in range(1, 4)]
    report = mailroom.run_cycle(outcomes, at(23, 10), AlwaysWorking(), workbook=SHEET)
    (digest,) = report.composed
    measured = measure(texts(digest)[1], width, tmp_path)
    assert measured["spans"] >= 3 * 4  # ID, due date, lateness and stage of each ticket are kept whole
    assert measured["broken"] == []
    assert not measured["overflow"]  # nothing wider than the screen: no sideways scrolling
