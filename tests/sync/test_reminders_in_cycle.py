"""The whole loop: a workbook, the cycle engine and a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sync.service.config import load_settings
from sync.service.desks import desk_configs, open_desk
from tests.sync.conftest import NEW_COMPLAINT, SHANGHAI, make_workbook

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
QUALITY = {**NEW_COMPLAINT, "Customer": "Harbour Foods"}  # Core + Product quality: Urgent, 2 hours
DELIVERY = {**NEW_COMPLAINT, "Customer": "Lotus Tea", "Tier": "Standard", "Category": "Delivery"}


@pytest.fixture
def desk(tmp_path, smtp_server):
    make_workbook(tmp_path / "desk.xlsx", rows=[QUALITY, DELIVERY])
    (tmp_path / "config.toml").write_text(
        f"""
[workbook]
path = "desk.xlsx"
[reminders]
admin_email = "admin@example.com"
escalate_after_hours = 4
[mail]
transport = "smtp"
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
sender = "desk@example.com"
timeout_seconds = 5
[state]
dir = "state"
""",
        encoding="utf-8",
    )
    desk = open_desk(desk_configs(load_settings(tmp_path / "config.toml"))[0])
    yield desk
    desk.state.close()


def mail_by_recipient(server) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in server.received:
        for recipient in item.rcpt_tos:
            found.setdefault(recipient, []).append(str(item.message["Subject"]))
    return found


def test_liaisons_get_due_soon_then_overdue_then_their_manager_is_told(desk, smtp_server):
    desk.cycle(MONDAY)  # each liaison hears of the new ticket at once: the dispatch notice
    dispatched = sorted((item.rcpt_tos[0], str(item.message["Subject"])) for item in smtp_server.received
                        if "daily" not in str(item.message["Subject"]).lower())
    assert dispatched == [("grace.li@example.com", "1 new — Quality"), ("tom.chen@example.com", "1 new — Logistics")]

    desk.cycle(MONDAY + timedelta(hours=1, minutes=40))  # 11:40, 20 minutes before the 12:00 response due
    desk.cycle(MONDAY + timedelta(hours=1, minutes=40))  # the same --now again sends nothing more
    desk.cycle(MONDAY + timedelta(hours=2, minutes=30))  # 12:30: overdue
    desk.cycle(MONDAY + timedelta(hours=7))  # 17:00: 5 working hours late, past escalate_after_hours = 4
    mail = mail_by_recipient(smtp_server)
    quality = [subject for subject in mail["grace.li@example.com"] if "daily" not in subject.lower()]
    assert quality == ["1 new — Quality", "1 due soon — Quality", "1 overdue — Quality"]
    manager = [subject for subject in mail["peter.zhang@example.com"] if "daily" not in subject.lower()]
    assert len(manager) == 1 and "escalat" in manager[0].lower()
    # The routine delivery ticket's first reply is due Tuesday 10:00 (24 h): at 17:00 17 h of 24 are left.
    assert mail["tom.chen@example.com"] == ["1 new — Logistics"]
    assert all("daily" in subject.lower() for subject in mail["admin@example.com"])


def test_a_cycle_run_again_with_the_same_time_sends_nothing_new(desk, smtp_server):
    desk.cycle(MONDAY + timedelta(hours=2, minutes=30))
    count = len(smtp_server.received)
    report = desk.cycle(MONDAY + timedelta(hours=2, minutes=30))
    assert len(smtp_server.received) == count and report.mails_sent == 0


def test_on_the_first_working_day_managers_get_last_months_review(desk, smtp_server):
    desk.cycle(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))  # Tuesday 1 December: the month's first working day
    reviews = {recipient: subjects for recipient, subjects in mail_by_recipient(smtp_server).items()
               if any("review" in subject.lower() for subject in subjects)}
    assert sorted(reviews) == ["admin@example.com", "frank.he@example.com", "peter.zhang@example.com"]
    message = next(item.message for item in smtp_server.received if "peter.zhang@example.com" in item.rcpt_tos
                   and "review" in str(item.message["Subject"]).lower())
    text = message.get_body(("plain",)).get_content()
    assert str(message["Subject"]) == "Monthly complaint review — 2026-11"
    assert "Open actions and their owners" in text and "Tickets by category" in text
