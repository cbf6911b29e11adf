"""One portal for every desk: the main desk at /, each [[teams]] desk at /<team>/, each with its own state
store, workbook and links — through real cycles on real .xlsx files and the portal's app over both stores."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from sync.errors import ConfigError
from sync.service.config import load_settings
from sync.service.desks import desk_configs, open_desk
from sync.service.web import open_portal
from sync.state import StateStore
from tests.sync.conftest import SHANGHAI, make_workbook, tickets_by_id
from tests.sync.portal.conftest import GOOD_COMPLAINT, hidden

SECRET = "a-long-enough-test-secret-0123456789"
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def write_config(folder, team_name: str = "north"):
    make_workbook(folder / "desk.xlsx")
    make_workbook(folder / "north.xlsx", language="zh")
    (folder / "config.toml").write_text(f"""
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

[[teams]]
name = "{team_name}"
[teams.workbook]
path = "north.xlsx"
[teams.state]
dir = "north-state"
""", encoding="utf-8")
    return load_settings(folder / "config.toml")


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    return write_config(tmp_path)


class RunningClock:
    """The real time, moved ahead by hand (the cycle signs links on the real clock; a form needs 3 s)."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, **delta: float) -> None:
        self.ahead += timedelta(**delta)


@pytest.fixture
def clock():
    return RunningClock()


@pytest.fixture
def client(settings, clock):
    server = open_portal(settings, listen="127.0.0.1:0", clock=clock)
    yield server.app.test_client()
    server.stop()


@pytest.fixture
def desks(settings):
    main, north = (open_desk(config) for config in desk_configs(settings))
    yield main, north
    main.state.close()
    north.state.close()


def complain(client, clock, prefix: str, email: str) -> str:
    page = client.get(prefix + "/").get_data(as_text=True)
    clock.advance(seconds=20)
    category = re.findall(r'<option value="([^"]+)"', page)[0]  # the desk's own Lists tab
    data = {"csrf_token": hidden(page, "csrf_token"), "form_token": hidden(page, "form_token"),
            **GOOD_COMPLAINT, "category": category, "email": email}
    body = client.post(prefix + "/", data=data).get_data(as_text=True)
    return re.search(r'id="ticket-number">([^<]+)<', body).group(1)


def status_link(desk, client, prefix: str, ticket_id: str, email: str, when: datetime) -> str:
    page = client.get(prefix + "/status").get_data(as_text=True)
    client.post(prefix + "/status", data={"csrf_token": hidden(page, "csrf_token"), "ticket_id": ticket_id,
                                          "email": email})
    desk.cycle(when)
    [mail] = [mail for mail in desk.mailroom.transport.sent if email in str(mail["To"])
              and any(word in str(mail["Subject"]) for word in ("status", "进度"))]
    text = mail.get_body(("plain",)).get_content()
    return re.search(r"https://complaints\.example\.com(/\S+/[^\s/?]+)", text).group(1)


def test_each_desk_has_its_own_pages_queue_workbook_and_links(settings, client, clock, desks):
    main, north = desks
    main.cycle(MONDAY)
    north.cycle(MONDAY)
    north_form = client.get("/north/").get_data(as_text=True)
    assert 'action="/north/"' in north_form and 'href="/north/status"' in north_form
    assert "提交投诉" in north_form  # the team's workbook is Chinese: its pages are too
    assert 'action="/"' in client.get("/").get_data(as_text=True)

    at_north = complain(client, clock, "/north", "north@example.com")
    at_main = complain(client, clock, "", "main@example.com")
    assert at_north == at_main  # each desk numbers its own tickets: the same number, two tickets
    assert [row.ticket_id for row in StateStore(settings.resolve("north-state")).queued()] == [at_north]

    north.cycle(MONDAY + timedelta(minutes=5))
    main.cycle(MONDAY + timedelta(minutes=5))
    assert tickets_by_id(settings.resolve("north.xlsx"))[at_north]["联系方式"].startswith("north@example.com")
    assert tickets_by_id(settings.resolve("desk.xlsx"))[at_main]["Contact"].startswith("main@example.com")

    north_link = status_link(north, client, "/north", at_north, "north@example.com", MONDAY + timedelta(minutes=10))
    main_link = status_link(main, client, "", at_main, "main@example.com", MONDAY + timedelta(minutes=10))
    assert north_link.startswith("/north/s/") and main_link.startswith("/s/")
    assert client.get(north_link).status_code == 200 and client.get(main_link).status_code == 200
    # A link is bound to its desk: the same ticket number at the other desk is another ticket.
    assert client.get(north_link.removeprefix("/north")).status_code == 404
    assert client.get("/north" + main_link).status_code == 404


@pytest.mark.parametrize("name", ["status", "s", "north star", "北区"])
def test_a_team_name_that_cannot_be_a_path_is_a_config_error_naming_the_team(tmp_path, monkeypatch, name):
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    settings = write_config(tmp_path, team_name=name)
    with pytest.raises(ConfigError, match=rf'\[teams.name\] \(team "{name}"\).*rename the team'):
        open_portal(settings, listen="127.0.0.1:0")
