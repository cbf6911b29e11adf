"""``[intake.mail] auth = "xoauth2"`` (Microsoft 365): the mailbox logs in with AUTHENTICATE XOAUTH2, the access
token from the environment variable ``password_env`` names, never written to a log or a message. The server is a
real IMAP front door on 127.0.0.1 that takes only XOAUTH2 (tests/sync/intake/xoauth2_gate.py) in front of
mail-devel; the desk is opened from config.toml as the daemon opens it, over a real .xlsx."""

from __future__ import annotations

import logging

import pytest

from sync.service.config import load_settings
from sync.service.desks import desk_configs, open_desk
from tests.sync.conftest import NOW, make_workbook, tickets_by_id
from tests.sync.intake.mail_server import PASSWORD
from tests.sync.intake.test_intake_config import write
from tests.sync.intake.test_mailbox import a_mail
from tests.sync.intake.xoauth2_gate import XOAuth2Gate

TOKEN = "EwBwA8l6BAAU-a-microsoft-access-token-0123456789"  # the shape of one, made up
TOKEN_VARIABLE = "SHEETDESK_TEST_M365_TOKEN"


@pytest.fixture
def gate(mail_server):
    front = XOAuth2Gate(mail_server.imap_port, TOKEN, PASSWORD)
    yield front
    front.close()


@pytest.fixture
def desk(tmp_path, mail_server, gate):
    address = mail_server.new_address()
    make_workbook(tmp_path / "desk.xlsx")
    (config,) = desk_configs(load_settings(write(tmp_path, f"""
[mail]
transport = "memory"
sender = "{address}"
[intake.mail]
host = "127.0.0.1"
port = {gate.port}
security = "none"
auth = "xoauth2"
username = "{address}"
password_env = "{TOKEN_VARIABLE}"
""")))
    opened = open_desk(config)
    yield opened, address
    opened.state.close()


def test_the_mailbox_logs_in_with_xoauth2_and_takes_the_mail_in(desk, gate, mail_server, tmp_path, monkeypatch,
                                                                 caplog):
    opened, address = desk
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    mail_server.deliver(address, bytes(a_mail(sender="lin.wei@customer.example")))
    with caplog.at_level(logging.DEBUG):
        report = opened.cycle(NOW)
    assert not report.intake_problems
    (row,) = tickets_by_id(tmp_path / "desk.xlsx").values()
    assert row["Contact"] == "lin.wei@customer.example" and row["Channel"] == "Email"
    assert gate.record.let_in == [address] and "LOGIN" not in gate.record.commands
    assert mail_server.uids(address, "INBOX") == [] and len(mail_server.uids(address, "Processed")) == 1
    assert TOKEN not in caplog.text


def test_an_expired_token_is_login_refused_and_never_shown(desk, gate, monkeypatch, caplog):
    opened, address = desk
    monkeypatch.setenv(TOKEN_VARIABLE, "an-expired-token-9876543210")
    with caplog.at_level(logging.DEBUG):
        report = opened.cycle(NOW)
    (problem,) = report.intake_problems
    assert "login refused" in problem and TOKEN_VARIABLE in problem
    assert "an-expired-token" not in problem and "an-expired-token" not in caplog.text
    assert gate.record.refused == [address] and gate.record.let_in == []


def test_an_empty_token_variable_says_which_variable_to_fill(desk, monkeypatch):
    opened, _ = desk
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    (problem,) = opened.cycle(NOW).intake_problems
    assert f"${TOKEN_VARIABLE} is empty" in problem and "OAuth2 token" in problem
