"""The errors of the mailers package.

    MailError                   anything the mail side reports to a person instead of a traceback
    ├── TransportError          a message could not be handed to the mail system; ``permanent`` says if a
    │                           retry can help (after healthchecks' ``TransportError(message, permanent)``)
    ├── AddressError            an address given to sheetdesk is not one plain local@domain
    └── LedgerError             the send ledger (SQLite in the state dir) cannot be opened or written

``MailError`` derives from the one error root, ``tickets.errors.SheetdeskError``, so the command line reports
it like any other (exit 1; a bad ``--to`` address is a usage error, exit 2). Settings problems are pydantic
``ValidationError``s, raised when the config loads.
"""

from __future__ import annotations

from tickets.errors import SheetdeskError

__all__ = ["MailError", "TransportError", "AddressError", "LedgerError"]


class MailError(SheetdeskError):
    """Something on the mail side went wrong that a person can act on; the message says what to do."""


class TransportError(MailError):
    """A message was not delivered; ``permanent`` is True when retrying the same message cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __repr__(self) -> str:
        return f"TransportError({self.message!r}, permanent={self.permanent})"


class AddressError(MailError):
    """An address given to sheetdesk (e.g. ``mail-test --to``) is not one plain local@domain address."""

    exit_code = 2


class LedgerError(MailError):
    """The send ledger could not be read or written; nothing was sent on its behalf."""
