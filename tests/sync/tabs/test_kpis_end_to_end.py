"""A workbook with known tickets: the Dashboard tab and `report --json` show the KPIs a person works out by hand."""

from __future__ import annotations

import json
from datetime import datetime

import openpyxl
from click.testing import CliRunner

from sync.service.cli import cli
from tests.sync.conftest import NEW_COMPLAINT, make_workbook
from tests.sync.service.test_config import write_config

CLOSED_LOOP = {"Root cause": "Seal too thin", "Corrective action": "Replaced", "Preventive action": "Thicker seal",
               "Fix verified": "yes", "Customer confirmed": "yes"}
KNOWN = [
    # Friday: a core customer's quality complaint (Urgent: first response due 2 working hours later, 11:00)
    {**NEW_COMPLAINT, "Ticket ID": "CS-20261120-0001", "Received": datetime(2026, 11, 20, 9), "Status": "Closed",
     "First response": datetime(2026, 11, 20, 10), "Resolved": datetime(2026, 11, 21, 9),
     "Follow-up": datetime(2026, 11, 22, 10), "Satisfaction": 8, **CLOSED_LOOP},
    {**NEW_COMPLAINT, "Ticket ID": "CS-20261120-0002", "Received": datetime(2026, 11, 20, 9), "Status": "Resolved",
     "Customer": "Lotus Tea", "First response": datetime(2026, 11, 20, 14), "Resolved": datetime(2026, 11, 22, 9),
     "Root cause": "Lid warped in transit", "Corrective action": "Sent a new lid"},
    {**NEW_COMPLAINT, "Ticket ID": "CS-20261123-0001", "Received": datetime(2026, 11, 23, 9), "Customer": "Marina"},
    {**NEW_COMPLAINT, "Ticket ID": "CS-20261123-0002", "Received": datetime(2026, 11, 23, 9, 30), "Status": "Duplicate"},
]


def test_the_dashboard_and_the_json_report_show_the_kpis_worked_out_by_hand(tmp_path):
    make_workbook(tmp_path / "desk.xlsx", rows=KNOWN)
    config = write_config(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["run", "--once", "--config", str(config), "--now", "2026-11-23T10:00"]).exit_code == 0
    result = runner.invoke(cli, ["report", "--json", "--config", str(config), "--now", "2026-11-23T10:00"])
    assert result.exit_code == 0, result.output
    kpis = json.loads(result.stdout)

    # By hand: three tickets (the duplicate never counts), one still open (New), two resolved or later.
    assert (kpis["total"], kpis["open"], kpis["overdue"]) == (3, 1, 0)
    assert kpis["by_status"]["Closed"] == 1 and kpis["by_status"]["Resolved"] == 1 and kpis["by_status"]["New"] == 1
    assert kpis["resolution_rate"] == {"value": 2 / 3, "part": 2, "whole": 3}
    # First responses: 10:00 (due 11:00, on time) and 14:00 (late): 1 of 2; 1 h and 5 h: median 3 h.
    assert kpis["first_response_on_time"] == {"value": 0.5, "part": 1, "whole": 2}
    assert kpis["median_first_response_hours"] == 3.0
    # Resolved after 24 h and 48 h of real time: median 36 h. Satisfaction: the one score, 8.
    assert kpis["median_resolution_hours"] == 36.0
    assert kpis["average_satisfaction"] == 8.0

    dashboard = {row[0]: row[1] for row in openpyxl.load_workbook(tmp_path / "desk.xlsx")["Dashboard"].iter_rows(
        values_only=True) if row and row[0]}
    assert dashboard["Open tickets"] == 1 and dashboard["Overdue"] == 0
    assert dashboard["Tickets (duplicates not counted)"] == 3
    assert dashboard["First response on time"] == 0.5  # shown 50.0% by the cell's percent format
    assert dashboard["Resolution rate"] == 0.6667
    assert dashboard["Median first response (hours)"] == 3
    assert dashboard["Median resolution time (hours)"] == 36
    assert dashboard["Average satisfaction (1–10)"] == 8


def test_the_daily_digest_shows_shares_as_percentages_like_the_dashboard(tmp_path):
    from email import message_from_bytes, policy

    make_workbook(tmp_path / "desk.xlsx", rows=KNOWN)
    config = write_config(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--once", "--config", str(config), "--now", "2026-11-23T10:00"])
    assert result.exit_code == 0, result.output
    digests = [message for message in (message_from_bytes(path.read_bytes(), policy=policy.default)
                                       for path in sorted((tmp_path / "outbox").glob("*.eml")))
               if "Daily complaint digest" in str(message["Subject"])]
    assert digests, "no daily digest in the outbox"
    for digest in digests:
        text = digest.get_body(("plain",)).get_content()
        assert "First response on time: 50.0%" in text and "Resolution rate: 66.7%" in text, text
        assert "66.7%" in digest.get_body(("html",)).get_content()
