"""Fixtures for intake tests: the real IMAP + SMTP server (see mail_server.py)."""

from tests.sync.intake.mail_server import mail_server  # noqa: F401
