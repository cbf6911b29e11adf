"""The mailbox polled between cycles, and the desk's own people known from the first poll on: a real IMAP + SMTP
server (mail-devel) on 127.0.0.1, a real .xlsx, the desk as the daemon opens it and the daemon's real loop (a
fixed clock, a one-second poll, a cycle scheduled only every hour)."""

from __future__ import annotations

import threading
import time

import pytest

from sync.errors import ConfigError
from sync.intake.people import DeskPeople
from sync.service.config import load_settings
from sync.service.daemon import Daemon, DeskRunner
from sync.service.desks import desk_configs, open_desk
from sync.state import StateStore
from tests.sync.conftest import NOW, make_workbook, tickets_by_id
from tests.sync.intake.mail_server import PASSWORD, PASSWORD_VARIABLE
from tests.sync.intake.test_intake_config import write
from tests.sync.intake.test_mailbox import a_mail

ONE_SECOND = 1 / 60
LIAISON = "lucy.wang@example.com"  # on the template's Liaisons tab
DEADLINE_SECONDS = 60


def desk_config(tmp_path, mail_server, monkeypatch, poll_minutes=ONE_SECOND):
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    address = mail_server.new_address()
    make_workbook(tmp_path / "desk.xlsx")
    path = write(tmp_path, f"""
[schedule]
every_minutes = 60
[reminders]
quiet_hours = false
[mail]
transport = "smtp"
host = "127.0.0.1"
port = {mail_server.smtp_port}
security = "none"
sender = "{address}"
[intake.mail]
host = "127.0.0.1"
port = {mail_server.imap_port}
security = "none"
username = "{address}"
password_env = "{PASSWORD_VARIABLE}"
poll_minutes = {poll_minutes}
""")
    (config,) = desk_configs(load_settings(path))
    return config, address


def serve_until(daemon: Daemon, runner: DeskRunner, done) -> None:
    """Run the daemon's real loop in this thread until ``done()`` (asked from a watcher thread) or a deadline."""
    def watch() -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not daemon.stopping and time.monotonic() < deadline:
            if runner.cycles and done():
                break
            time.sleep(0.2)
        daemon.stop()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        daemon.run()
    finally:
        daemon.stop()
        watcher.join()


def test_the_daemon_polls_between_cycles_and_a_new_complaint_wakes_a_cycle_that_acknowledges_it(
    tmp_path, mail_server, monkeypatch
):
    config, address = desk_config(tmp_path, mail_server, monkeypatch)
    customer = f"buyer+{address.split('@')[0]}@customer.example"
    desk = open_desk(config, remember=False)
    runner = DeskRunner(config, desk)
    daemon = Daemon([runner], every_minutes=60, clock=lambda: NOW)
    delivered = []

    def done() -> bool:
        if not delivered:  # after the first cycle: the mail arrives between cycles
            mail_server.deliver(address, bytes(a_mail(sender=customer)))
            delivered.append(runner.cycles)
            return False
        return bool(tickets_by_id(tmp_path / "desk.xlsx")) and bool(mail_server.messages(customer))

    try:
        serve_until(daemon, runner, done)
    finally:
        desk.state.close()
    (ticket_id, row), = tickets_by_id(tmp_path / "desk.xlsx").items()
    assert row["Contact"] == customer and row["Channel"] == "Email"
    (ack,) = mail_server.messages(customer)
    assert f"[{ticket_id}]" in ack.subject and ticket_id in ack.text
    assert delivered == [1] and runner.cycles == 2  # one cycle at start, one woken by the poll: not the hour's
    assert runner.polls >= 1 and runner.poll_failures == 0


def test_a_poll_that_finds_nothing_wakes_no_cycle(tmp_path, mail_server, monkeypatch):
    config, _ = desk_config(tmp_path, mail_server, monkeypatch)
    desk = open_desk(config, remember=False)
    runner = DeskRunner(config, desk)
    try:
        runner.run_cycle(NOW, dry_run=False)
        assert runner.poll(NOW) is False and runner.polls == 1
    finally:
        desk.state.close()


def test_a_mailbox_that_cannot_be_reached_between_cycles_is_logged_and_the_loop_goes_on(
    tmp_path, mail_server, monkeypatch, caplog
):
    config, _ = desk_config(tmp_path, mail_server, monkeypatch)
    desk = open_desk(config, remember=False)
    runner = DeskRunner(config, desk)
    monkeypatch.setenv(PASSWORD_VARIABLE, "wrong")
    try:
        assert runner.poll(NOW) is False
    finally:
        desk.state.close()
    assert runner.poll_failures == 1 and "login refused" in caplog.text


def test_poll_minutes_defaults_to_two_and_a_bad_value_names_the_key(tmp_path):
    path = write(tmp_path, '[intake.mail]\nhost = "h"\nusername = "u"\n')
    assert load_settings(path).intake.mail.poll_minutes == 2
    with pytest.raises(ConfigError, match=r"\[intake\] mail\.poll_minutes"):
        load_settings(write(tmp_path, '[intake.mail]\nhost = "h"\nusername = "u"\npoll_minutes = 0\n'))


# -- the desk's own people, before any cycle ----------------------------------------------------------------


def test_the_first_poll_of_a_new_state_dir_never_acknowledges_a_liaison(tmp_path, mail_server, monkeypatch):
    config, address = desk_config(tmp_path, mail_server, monkeypatch)
    desk = open_desk(config, remember=False)
    mail_server.deliver(address, bytes(a_mail(sender=LIAISON, name="Lucy Wang", subject="Forwarded complaint")))
    try:
        assert not desk.state.staff_addresses_known()  # no cycle ever ran with this state dir
        desk.cycle(NOW)  # its first poll comes before it reads the workbook
    finally:
        desk.state.close()
    assert len(tickets_by_id(tmp_path / "desk.xlsx")) == 1  # the ticket is made
    acknowledgements = [message.subject for message in mail_server.messages(LIAISON)
                        if "We received your complaint: Forwarded complaint" in message.subject]
    assert acknowledgements == []  # but a liaison is never acknowledged (the digests liaisons get are other mail)


def test_the_last_good_liaisons_tab_in_the_state_store_serves_without_reading_the_workbook(tmp_path):
    state = StateStore(tmp_path / "state")
    rows = [["Department", "Liaison", "Email", "Manager", "Manager email"],
            ["Quality", "Lucy", "Lucy.Wang@example.com", "Max", "max@example.com"]]
    state.save_good_rules("liaisons", rows, NOW)

    def no_reading():
        raise AssertionError("the workbook was read")

    try:
        assert DeskPeople(state, no_reading).addresses() == {"lucy.wang@example.com", "max@example.com"}
        assert state.staff_addresses_known()  # published: the next poll asks nothing
    finally:
        state.close()


def test_without_a_cycle_or_a_remembered_tab_the_workbooks_liaisons_tab_is_read_once(tmp_path):
    from sync.backends.xlsx.backend import XlsxBackend

    state = StateStore(tmp_path / "state")
    backend = XlsxBackend(make_workbook(tmp_path / "desk.xlsx"))
    reads = []

    def read():
        reads.append(1)
        return backend.read()

    people = DeskPeople(state, read)
    try:
        assert LIAISON in people.addresses() and LIAISON in people.addresses()
    finally:
        state.close()
    assert len(reads) == 1
