"""The one place that turns an error into a line for a person and an exit code (DESIGN §7).

An error raised on purpose (anything under ``tickets.errors.SheetdeskError``) says what to do, and carries its
exit code; anything else is a bug, named as one, with exit code 1.
"""

from __future__ import annotations

from mailers import MailError
from tickets import SheetdeskError

__all__ = ["describe_error", "exit_code_of"]

REPORT_HINT = " — please report this (SHEETDESK_DEBUG=1 shows details)"


def describe_error(error: BaseException, *, hint: bool = True) -> str:
    """Return a one-line message for ``error``: what to do for a SheetdeskError, "unexpected …" otherwise.

    ``hint`` adds how to report an unexpected error (the command line shows it; the daemon's log does not).
    """
    if isinstance(error, MailError):
        return f"mail: {error}"
    if isinstance(error, SheetdeskError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}" + (REPORT_HINT if hint else "")


def exit_code_of(error: BaseException) -> int:
    """Return the exit code a command ends with because of ``error``: its own, or 1 for a bug."""
    return error.exit_code if isinstance(error, SheetdeskError) else 1
