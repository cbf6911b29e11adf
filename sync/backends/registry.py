"""The backends sheetdesk knows, one line each: ``[workbook] backend`` and ``sheetdesk init --backend`` name one.

Adding a backend is one folder under ``sync/backends/`` and one line here (docs/backends.md). The adapter class
is imported only when a desk uses it, so the Google libraries load only for Google Sheets.
"""

from __future__ import annotations

import importlib

from sync.backends.port import Backend, BackendPlace

__all__ = ["BACKENDS", "BackendPlace", "open_backend"]

BACKENDS: dict[str, str] = {
    "xlsx": "sync.backends.xlsx.backend:XlsxBackend",
    "gsheets": "sync.backends.gsheets.backend:GSheetsBackend",
}


def open_backend(name: str, place: BackendPlace) -> Backend:
    """Return the backend called ``name`` for ``place``: its class's ``open(place)``. Raise KeyError for a name
    not in ``BACKENDS`` (the config only lets those through)."""
    module_name, _, class_name = BACKENDS[name].partition(":")
    adapter = getattr(importlib.import_module(module_name), class_name)
    return adapter.open(place)
