"""The desk's errors: the sync branch of the one error tree rooted in ``tickets.errors``.

    SheetdeskError              (tickets.errors) anything sheetdesk reports to a person instead of a traceback
    ├── ConfigError             config.toml is missing, unreadable, or names an unknown key (exit 2)
    ├── WorkbookError           the workbook cannot be read: missing file, missing Tickets tab (exit 2)
    ├── WriteDeferred           the write must wait: the file changed since the read, or is open (next cycle)
    ├── BackendError            the spreadsheet service failed past its retry budget (next cycle)
    └── AlreadyRunning          another sheetdesk serves this workbook (exit 3)
"""

from __future__ import annotations

from tickets.errors import SheetdeskError

__all__ = ["SheetdeskError", "ConfigError", "WorkbookError", "WriteDeferred", "BackendError", "AlreadyRunning"]


class ConfigError(SheetdeskError):
    """config.toml is missing, unreadable or wrong; the message names the key."""

    exit_code = 2


class WorkbookError(SheetdeskError):
    """The workbook cannot be read or lacks a tab it needs."""

    exit_code = 2


class WriteDeferred(SheetdeskError):
    """The write was not made now (file changed or open elsewhere); it is retried next cycle."""


class BackendError(SheetdeskError):
    """The spreadsheet service kept failing within this cycle's budget; the next cycle tries again."""


class AlreadyRunning(SheetdeskError):
    """Another sheetdesk process already serves this workbook."""

    exit_code = 3
