"""The backend port: read the whole workbook in one pass, apply only what changed in one write.

Adapters: ``sync.backends.xlsx.backend.XlsxBackend`` (default), ``sync.backends.gsheets.backend.GSheetsBackend`` (one
line each in ``sync.backends.registry``) and, beside the port for tests, ``sync.backends.memory.MemoryBackend``.
Every adapter passes ``tests/sync/backends/backend_contract.py``. Optional features are Protocols at the end of
this module (``Fingerprinted``, ``RowLinks``, ``LaysOut``); docs/backends.md shows how to add a backend.

Cell values crossing the port are plain Python: ``str``, ``int``, ``float``, ``bool``, naive ``datetime`` (wall
time in the Calendar's zone) or ``None`` for blank, and two kinds that are neither blank nor a value:
``ErrorValue`` (a cell showing ``#N/A``, ``#REF!``…) and ``FormulaCell`` (a formula whose value is not known).
A backend reads every cell as its kind, so an error or a formula is never taken for a blank cell. A datetime
written to a sheet is shown as ``YYYY-MM-DD HH:MM``; text is written within the backend's cell limit and without
characters a workbook cannot carry (``tickets.fit_cell_text``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from tickets import ErrorValue, FormulaCell, column_letter

__all__ = [
    "Cell",
    "Sheet",
    "Merge",
    "Snapshot",
    "RowRef",
    "CellWrite",
    "Chart",
    "GeneratedTab",
    "ChangeSet",
    "Backend",
    "Fingerprinted",
    "RowLinks",
    "WorkbookLinks",
    "LaysOut",
    "BackendPlace",
    "DATETIME_FORMAT",
    "ROW_HEIGHT_POINTS",
    "formatting_marker",
    "tab_order",
]

Cell = str | int | float | bool | datetime | ErrorValue | FormulaCell | None
Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based, inclusive)
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
ROW_HEIGHT_POINTS = 15  # the default row height of a spreadsheet: one line of 11 pt text


@dataclass
class Sheet:
    """One tab as read: ``rows[0]`` is the header row; rows are lists of cell values (ragged allowed).

    ``merged`` lists the tab's merged ranges, as far as the backend knows them.
    """

    name: str
    rows: list[list[Cell]]
    merged: list[Merge] = field(default_factory=list)

    def cell(self, row: int, column: int) -> Cell:
        values = self.rows[row] if row < len(self.rows) else []
        return values[column] if column < len(values) else None


@dataclass
class Snapshot:
    """The whole workbook as read in one pass.

    ``version`` is opaque to callers: the backend uses it to tell whether the workbook changed before it
    writes. ``formatting_ok`` says whether the daemon's conditional formatting and drop-downs on the Tickets
    tab are present and intact (False asks the engine to re-apply them).
    """

    sheets: dict[str, Sheet]
    version: Any = None
    formatting_ok: bool = True

    @property
    def tab_names(self) -> list[str]:
        return list(self.sheets)


@dataclass(frozen=True)
class RowRef:
    """A row of the Tickets tab: where it stood in the snapshot (0 is the header) and its Ticket ID then.

    ``ticket_id`` is None for a row that had no ID when read (the write may be stamping one). Backends that
    can see people move rows between read and write (gsheets) re-locate the row by ID before writing.
    """

    index: int
    ticket_id: str | None


@dataclass(frozen=True)
class CellWrite:
    """Put ``value`` in column ``column`` (a key of ``tickets.columns``) of the Tickets row ``row``.

    An input cell is written only while blank — or, when ``replaces`` is given, while it still holds that value
    (a customer's answer replacing the daemon's own earlier one, a "not fixed" reopening a Resolved ticket):
    a value a person typed meanwhile always wins.
    """

    row: RowRef
    column: str
    value: Cell
    replaces: Cell = None


@dataclass(frozen=True)
class Chart:
    """A native chart on a generated tab: a bar or line chart over a block of the tab's rows."""

    kind: str  # "bar" | "line"
    title: str
    anchor: str  # top-left cell, e.g. "H2"
    header_row: int  # 0-based row of the block's header (series names)
    first_row: int  # 0-based first data row
    last_row: int  # 0-based last data row (inclusive)
    label_column: int = 0  # 0-based column of the category labels
    value_columns: tuple[int, ...] = (1,)


@dataclass
class GeneratedTab:
    """A tab the daemon owns whole (Dashboard, Rule check): its rows, charts, column widths, the 0-based rows
    shown bold besides the first (``bold_rows``) and cells' number formats (``number_formats``: 0-based
    (row, column) to an Excel format code such as ``"0.0%"``; backends without number formats show the value).

    ``after_tickets``: whenever the tab is created or written whole it stands right after the Tickets tab (the
    other tabs keep their order and everything in them). ``wrap_columns``: 0-based columns whose text wraps;
    ``centred_columns``: 0-based columns whose cells are centred (short text beside numbers, kept apart).
    ``row_lines``: 0-based rows shown that many lines high, for a wrapped text (``ROW_HEIGHT_POINTS`` a line;
    Google Sheets grows rows with wrapped text by itself, so it skips this).
    ``print_wide``: printed landscape, one page wide, on as many pages down as needed; ``page_breaks`` are the
    0-based rows that start a new printed page. Backends without print settings (Google Sheets) skip those two.
    """

    rows: list[list[Cell]]
    charts: list[Chart] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)
    bold_rows: list[int] = field(default_factory=list)
    number_formats: dict[tuple[int, int], str] = field(default_factory=dict)
    after_tickets: bool = False
    wrap_columns: list[int] = field(default_factory=list)
    centred_columns: list[int] = field(default_factory=list)
    row_lines: dict[int, int] = field(default_factory=dict)
    print_wide: bool = False
    page_breaks: list[int] = field(default_factory=list)


@dataclass
class ChangeSet:
    """Everything one cycle writes. Empty means: write nothing, touch nothing.

    ``cells`` writes to the Tickets tab; ``columns`` is where each column key stood in the header as read;
    ``add_columns`` appends headers for columns that are missing (``{column key: header text}``; the backend
    decides where they land and writes their cells there); ``append`` adds new Tickets rows, each
    ``{column key: value}`` with a ``ticket_id``, below the last row that holds anything (as the tab is at
    write time), skipping a row whose Ticket ID already stands in the tab (so an append repeated after a crash
    never makes a second row); text is written as data, never a formula, whatever it starts with
    (``=``, ``+``, ``-``, ``@``); ``tabs`` replaces generated tabs whole (created when absent); ``formatting``
    asks for the Tickets tab's conditional formatting and drop-downs to be (re-)applied.
    """

    tickets_tab: str
    columns: dict[str, int] = field(default_factory=dict)
    cells: list[CellWrite] = field(default_factory=list)
    add_columns: dict[str, str] = field(default_factory=dict)
    append: list[dict[str, Cell]] = field(default_factory=list)
    tabs: dict[str, GeneratedTab] = field(default_factory=dict)
    formatting: FormattingSpec | None = None

    def __bool__(self) -> bool:
        return bool(self.cells or self.add_columns or self.append or self.tabs or self.formatting)


@dataclass(frozen=True)
class FormattingSpec:
    """What the daemon keeps on the Tickets tab: colours by SLA and Check, and drop-downs fed from Lists.

    ``sla_labels`` maps an SLA state ("overdue", "due_soon", "paused", "closed") to the text the SLA column
    shows for it in this workbook's language. ``dropdowns`` maps a column key to a range on the Lists tab,
    e.g. ``{"tier": "Lists!$B$2:$B$200"}`` (``sheets_templates.list_column_range``).
    """

    sla_labels: dict[str, str]
    dropdowns: dict[str, str] = field(default_factory=dict)

    # Fill colours (RGB hex), shared by every backend and the legend on the How-to tab. Due soon (yellow) and a
    # Check problem (purple) stay far apart for deuteranopia, protanopia and tritanopia too (CIE76 > 25 after a
    # Machado 2009 simulation; tests/sheets_templates/test_colours.py, docs/looks.md).
    OVERDUE = "F4CCCC"
    DUE_SOON = "FFEB9C"
    PAUSED = "CFE2F3"
    CLOSED = "E6E6E6"
    CHECK = "B4A7D6"


def formatting_marker(columns: dict[str, int]) -> str:
    """Return the marker the daemon's colour rules carry, naming the SLA and Check columns (0-based positions
    in ``columns``) they were written for: a person removing the rules or moving those columns makes it
    disappear or go stale, and every backend then reports ``formatting_ok = False``.
    """
    sla = column_letter(columns["sla"]) if "sla" in columns else "-"
    check = column_letter(columns["check"]) if "check" in columns else "-"
    return f"sheetdesk SLA={sla} Check={check}"


def tab_order(names: list[str], name: str, tickets_tab: str, after_tickets: bool) -> list[str]:
    """Given the workbook's tab names in order, return them in order once generated tab ``name`` is written whole.

    With ``after_tickets`` the tab stands right after ``tickets_tab``; otherwise it keeps its place, and a new
    one goes last (so does a tab meant after a Tickets tab the workbook does not have). The other tabs keep their
    order.
    """
    if not after_tickets or tickets_tab not in names or tickets_tab == name:
        return list(names) if name in names else [*names, name]
    others = [other for other in names if other != name]
    position = others.index(tickets_tab) + 1
    return [*others[:position], name, *others[position:]]


@dataclass(frozen=True)
class BackendPlace:
    """Where a desk's workbook lives and how to reach it, from its ``[workbook]`` settings (paths resolved).

    Each backend reads what it needs: xlsx the ``path``, its ``backup_dir`` and ``backups``; gsheets the
    ``spreadsheet`` key, ``credentials``, ``retry_budget_seconds`` and ``memory`` (the desk's state store, where
    it keeps what it learnt about the spreadsheet for the next process: ``get(key)`` and ``put(key, text)``).
    """

    path: Path | None = None
    spreadsheet: str | None = None
    credentials: Path | None = None
    backup_dir: Path | None = None
    backups: int = 5
    retry_budget_seconds: float = 60.0
    memory: Any = None
    stale_lock_hours: float = 12.0


class Backend(Protocol):
    """A spreadsheet the daemon reads and writes."""

    def read(self) -> Snapshot:
        """Return the whole workbook in one pass. Raise WorkbookError if it cannot be read."""
        ...

    def apply(self, changes: ChangeSet, snapshot: Snapshot) -> None:
        """Write ``changes`` to the workbook ``snapshot`` was read from, in one write.

        Write only what ``changes`` names; leave every other cell, format, tab and object as it is. Raise
        WriteDeferred if the write cannot happen now (the workbook changed since ``snapshot`` or is open
        elsewhere): nothing is written and the caller tries again next cycle.
        """
        ...

    def describe(self) -> str:
        """Return a short human name for logs, e.g. the file path or spreadsheet title."""
        ...


# -- optional features: a backend declares one by having its method; the engine asks with isinstance ----------


@runtime_checkable
class Fingerprinted(Protocol):
    """A backend that can tell cheaply, without reading it, whether the workbook changed (quiet cycles)."""

    def fingerprint(self) -> object:
        """Return a value equal to the last one while the workbook is unchanged (None if it cannot be told), and
        equal to the ``version`` of a ``read`` of the same workbook."""
        ...


@runtime_checkable
class RowLinks(Protocol):
    """A backend whose rows have links a person can open (mail digests link each ticket to its row)."""

    def row_link(self, ticket_id: str) -> str | None:
        """Return a link to the ticket's row as last read, or None if it was not in that read."""
        ...


@runtime_checkable
class WorkbookLinks(Protocol):
    """A backend whose workbook has a link a person can open (every mail names the workbook with it)."""

    def workbook_link(self) -> str:
        """Return the link that opens the workbook."""
        ...


@runtime_checkable
class LaysOut(Protocol):
    """A backend ``sheetdesk init`` can build a workbook in: the one writer of its colours and drop-downs."""

    def lay_out(self, spec: Any, replace: bool = False) -> None:
        """Create the template ``spec`` (``sheets_templates.WorkbookSpec``: tabs with rows, widths, frozen rows,
        filter, bold rows, fills and drop-downs). Raise WorkbookError if the workbook or one of its tabs is
        already there — unless ``replace`` and the backend can replace a whole workbook (a file) — or if it
        cannot be made."""
        ...
