"""The root of sheetdesk's one error tree.

Every error sheetdesk raises on purpose derives from ``SheetdeskError``, whichever package raises it::

    SheetdeskError                  tickets.errors — anything reported to a person instead of a traceback
    ├── CellValueError              tickets.values — a cell its column cannot take (also a ValueError)
    ├── CellSyntaxError, TableError rules — a rule cell or table that cannot be read (also ValueErrors)
    ├── MailError                   mailers.errors — transports, addresses, the send ledger
    └── ConfigError, WorkbookError, WriteDeferred, BackendError, AlreadyRunning
                                    sync.errors — the desk, its backends and its shell

``exit_code`` is what the command line exits with when the error ends a command (DESIGN §7): 1 problems
found, 2 usage or config error, 3 already running. ``sync.service.failures`` is the one place that turns an
error into a line and an exit code.
"""

from __future__ import annotations

__all__ = ["SheetdeskError"]


class SheetdeskError(Exception):
    """Something went wrong that a person can act on; the message says what to do."""

    exit_code = 1
