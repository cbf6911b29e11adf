"""The transports: outbox files, SMTP through yagmail (security modes, login, errors), the memory double,
and the mail-test helper."""

from __future__ import annotations

import sqlite3
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.smtp import AuthResult

from mailers import (
    AddressError,
    Ledger,
    MailSettings,
    MemoryTransport,
    OutboxTransport,
    SmtpTransport,
    TransportError,
    build_transport,
    mail_test,
    sender_address,
)
from mailers.compose import compose_test_message
from mailers.ledger import retry_delay
from tests.mailers.builders import at
from tests.mailers.conftest import SmtpServer, free_port


def a_message(to="li@quality.example", now=None):
    return compose_test_message(
        to=to, language="en", sender=sender_address(MailSettings()), now=now or at(23, 9)
    )


# -- outbox --------------------------------------------------------------------------------------------------


def test_the_outbox_writes_one_eml_file_per_message_named_by_date_and_message_id(tmp_path):
    outbox = OutboxTransport(tmp_path / "outbox")
    message = a_message()

    (result,) = outbox.send([message])

    (written,) = (tmp_path / "outbox").iterdir()
    assert result.delivered
    assert written.name.startswith("20261123-010000-") and written.name.endswith("_sheetdesk.eml")
    parsed = BytesParser(policy=policy.default).parsebytes(written.read_bytes())
    assert parsed["Message-ID"] == message["Message-ID"]


def test_writing_the_same_message_again_replaces_its_file(tmp_path):
    outbox = OutboxTransport(tmp_path)
    message = a_message()

    outbox.send([message])
    outbox.send([message])

    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert not list(tmp_path.glob(".writing-*"))


def test_an_unwritable_outbox_fails_the_message_for_a_retry(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")

    (result,) = OutboxTransport(blocker).send([a_message()])

    assert not result.delivered and not result.error.permanent
    assert "cannot write to the outbox" in str(result.error)


# -- SMTP through yagmail ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "ssl", "starttls"), [("none", False, False), ("starttls", False, True), ("ssl", True, False)]
)
def test_each_security_mode_sets_yagmail_explicitly(security, ssl, starttls):
    settings = MailSettings(transport="smtp", host="mail.example", port=2525, security=security)

    client = SmtpTransport(settings).yagmail_client()

    assert (client.ssl, client.starttls, client.port) == (ssl, starttls, "2525")
    assert client.smtp_skip_login


def test_a_username_without_at_is_used_verbatim_and_the_password_comes_from_the_environment():
    settings = MailSettings(
        transport="smtp", host="mail.example", username="apikey", password_env="MY_SMTP_PASSWORD"
    )

    client = SmtpTransport(settings, environ={"MY_SMTP_PASSWORD": "s3cret"}).yagmail_client()

    assert client.user == "apikey" and client.credentials == "s3cret" and not client.smtp_skip_login


def test_a_missing_password_fails_every_message_without_asking_the_keyring():
    settings = MailSettings(transport="smtp", host="127.0.0.1", username="desk")

    results = SmtpTransport(settings, environ={}).send([a_message(), a_message("b@quality.example")])

    assert all(not result.delivered for result in results)
    assert "SHEETDESK_SMTP_PASSWORD" in str(results[0].error)


def test_a_server_that_is_down_fails_every_message_for_a_retry():
    settings = MailSettings(
        transport="smtp", host="127.0.0.1", port=free_port(), security="none", timeout_seconds=2
    )

    results = SmtpTransport(settings).send([a_message(), a_message("b@quality.example")])

    assert [result.error.permanent for result in results] == [False, False]
    assert "cannot connect to the SMTP server 127.0.0.1" in str(results[0].error)


def test_a_5xx_answer_is_permanent_and_a_4xx_answer_is_not(smtp_server, smtp_settings):
    transport = SmtpTransport(smtp_settings)

    smtp_server.handler.fail_with = "554 5.7.1 rejected"
    (rejected,) = transport.send([a_message()])
    smtp_server.handler.fail_with = "451 4.3.0 later"
    (deferred,) = transport.send([a_message()])

    assert rejected.error.permanent and "554" in str(rejected.error)
    assert not deferred.error.permanent


def test_sending_nothing_opens_no_connection(smtp_server, smtp_settings):
    assert SmtpTransport(smtp_settings).send([]) == []


def test_it_logs_in_with_the_password_from_the_environment():
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

    server = SmtpServer(free_port(), authenticator=authenticator, auth_require_tls=False)
    server.start()
    try:
        settings = MailSettings(
            transport="smtp",
            host="127.0.0.1",
            port=server.port,
            security="none",
            username="desk",
            timeout_seconds=5,
        )
        (result,) = SmtpTransport(settings, environ={"SHEETDESK_SMTP_PASSWORD": "s3cret"}).send([a_message()])
    finally:
        server.stop()

    assert result.delivered and len(server.received) == 1
    assert logins == [(b"desk", b"s3cret")]


# -- the memory double, the factory and mail-test --------------------------------------------------------------


def test_the_memory_transport_keeps_what_it_sends_and_can_fail():
    transport = MemoryTransport()
    (sent,) = transport.send([a_message()])
    transport.fail_with = TransportError("down")
    (failed,) = transport.send([a_message()])

    assert sent.delivered and len(transport.sent) == 1
    assert str(failed.error) == "down"


def test_the_transport_is_built_from_the_mail_settings(tmp_path):
    assert isinstance(build_transport(MailSettings(outbox_dir=str(tmp_path))), OutboxTransport)
    assert isinstance(build_transport(MailSettings(transport="memory")), MemoryTransport)
    assert isinstance(build_transport(MailSettings(transport="smtp", host="mail.example")), SmtpTransport)


def test_mail_test_sends_one_message_and_reports_failure_as_an_error(smtp_server, smtp_settings):
    result = mail_test(SmtpTransport(smtp_settings), "ops@desk.example", smtp_settings, now=at(23, 9))

    assert result.delivered and smtp_server.received[0].rcpt_tos == ["ops@desk.example"]
    assert str(smtp_server.received[0].message["Subject"]) == "sheetdesk test message"
    smtp_server.stop()
    with pytest.raises(TransportError, match="cannot connect"):
        mail_test(SmtpTransport(smtp_settings), "ops@desk.example", smtp_settings, now=at(23, 9))
    with pytest.raises(AddressError):
        mail_test(MemoryTransport(), "ops@desk.example\r\nBcc: x@evil.example", smtp_settings)


# -- settings and ledger ---------------------------------------------------------------------------------------------


def test_smtp_settings_need_a_host_and_unknown_keys_are_errors():
    with pytest.raises(ValueError, match="needs host"):
        MailSettings(transport="smtp")
    with pytest.raises(ValueError, match="hostname"):
        MailSettings(hostname="mail.example")


def test_the_ledger_uses_wal_and_only_tables_named_mail(tmp_path):
    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE cells (id INTEGER)")  # another package's table in the shared file
    with Ledger(path):
        pass

    with sqlite3.connect(path) as connection:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert mode == "wal"
    assert tables - {"cells"} == {"mail_message", "mail_reminder", "mail_event", "mail_overdue"}


def test_retries_back_off_exponentially_up_to_six_hours():
    assert [retry_delay(failures).total_seconds() / 60 for failures in (1, 2, 3, 4, 10)] == [
        5,
        10,
        20,
        40,
        360,
    ]


def test_a_message_recorded_twice_is_kept_once(ledger):
    message = a_message()

    assert ledger.record_intent(message, "digest", at(23, 9), ["key-1"])
    assert not ledger.record_intent(message, "digest", at(23, 9), ["key-1"])
    assert [item.message_id for item in ledger.due_messages(at(23, 9))] == [str(message["Message-ID"])]
