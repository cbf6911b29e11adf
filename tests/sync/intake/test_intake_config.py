"""[intake.mail], [intake.forms] and [customers] in config.toml: read, checked, and built into the desk's channels."""

from __future__ import annotations

import pytest

from sync.errors import ConfigError
from sync.service.config import load_settings
from sync.service.desks import desk_configs, open_desk


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text('[workbook]\npath = "desk.xlsx"\n[state]\ndir = "state"\n' + text, encoding="utf-8")
    return path


def test_the_intake_sections_become_the_desks_channels(tmp_path):
    path = write(tmp_path, """
[mail]
sender = "desk@example.com"
[intake.mail]
host = "imap.example.com"
username = "complaints@example.com"
[intake.forms]
tab = "Form Responses 1"
aliases = { description = ["What went wrong?"] }
[customers]
ack_per_sender_per_hour = 5
""")
    settings = load_settings(path)
    (config,) = desk_configs(settings)
    desk = open_desk(config)
    try:
        channels = desk.intake
        assert channels.mailbox.settings.effective_port == 993 and channels.mailbox.settings.security == "ssl"
        assert channels.mailbox.settings.processed_folder == "Processed"
        assert channels.customers.sender == "desk@example.com" and channels.customers.ack_per_sender_per_hour == 5
        assert channels.forms.tab == "Form Responses 1"
        assert channels.forms.aliases == {"description": ["What went wrong?"]}
    finally:
        desk.state.close()


def test_a_desk_without_intake_sections_has_no_channels(tmp_path):
    (config,) = desk_configs(load_settings(write(tmp_path, "")))
    desk = open_desk(config)
    assert desk.intake is None
    desk.state.close()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[intake.mail]\nhost = "h"\nusername = "u"\nsecurity = "tls"\n', "[intake] mail.security"),
        ('[intake.mail]\nhost = "h"\nusername = "u"\nhots = "x"\n', "[intake] mail.hots: unknown"),
        ('[intake.mail]\nhost = "h"\n', "[intake] mail.username: missing"),
        ("[customers]\nack_per_sender_per_hour = -1\n", "[customers] ack_per_sender_per_hour"),
    ],
)
def test_a_wrong_key_is_named(tmp_path, text, where):
    with pytest.raises(ConfigError, match=__import__("re").escape(where)):
        load_settings(write(tmp_path, text))
