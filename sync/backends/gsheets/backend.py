"""The Google Sheets backend: one batched read per cycle, one re-read and one batched write when something changed.

Requests per cycle after start-up, whatever the row count (DESIGN §8):

- ``read``: one light ``spreadsheets.get`` of every tab, its field mask asking only for each cell's value
  (``effectiveValue``, dates as serial numbers) and formula (``userEnteredValue.formulaValue``), each tab's grid
  size and merges. The values API gives a cell's value or its formula, never both, and a formula whose value is
  empty text (``=IF(A2="","",…)``) must not read as a blank cell to stamp over: it reads as a ``FormulaCell``.
  Every ``metadata_every``-th read is instead the full read carrying the metadata too (tab list, conditional
  formats, charts, the drop-downs of the first ticket row), so people's changes to tabs and formatting are seen
  without an extra request. A light read that fails because a person renamed or deleted a tab falls back to that
  full read (the one case of two read requests).
- ``apply``: nothing when the ChangeSet is empty. Otherwise one light read of the Tickets tab, to find rows people
  moved (``sync.backends.relocate``), formulas and merges made meanwhile (never written over, nor under), and one
  ``spreadsheets:batchUpdate`` carrying every write; its response carries the metadata as it is after the write.
  When the write touched ticket rows, one more light read of the Tickets tab proves every row it wrote is still the
  row it meant (``sync.backends.gsheets.landing``); only if a person moved rows in between is a repairing
  batchUpdate sent.

So a cycle costs 1 request when nothing changed (0 writes) and 4 when it writes (5 in the rare cycle that repairs). Start-up adds gspread's
``open_by_key`` (one metadata request) — unless the backend was given a ``memory`` (the desk's state store): then
the metadata, and how many reads ago it was fetched, are kept there after every read and write, and a new process
(``sheetdesk run --once`` from a timer) starts with the light values read as a running daemon does. A layout the
memory does not know is found and falls back to the full read: a tab renamed or deleted (the light read fails),
or a tab whose grid grew or shrank (a person inserted or deleted rows or columns; the light read carries each tab's
grid size). Values are written as data (``updateCells`` with ``stringValue``): text a
person wrote that starts with ``=`` stays text. Datetimes are written as serial numbers formatted
``yyyy-mm-dd hh:mm``; read back they stay serial numbers, which ``tickets.values.read_datetime`` accepts.

Between the re-read and the write there remain a few milliseconds in which a person's sort could still move rows;
the Sheets API offers no conditional write to close that window, so the read-back closes it after the fact: a
cell that landed on another row is put back, and the intended cells are written where their rows are now. The
one thing it cannot undo is a value typed into the very cell being stamped, in those milliseconds.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import gspread
from google.auth.credentials import AnonymousCredentials, Credentials
from gspread.exceptions import APIError, SpreadsheetNotFound
from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL, SPREADSHEET_DRIVE_URL

from sync.backends.gsheets.http import RequestCounts, RetryPolicy, SheetsHTTPClient, emulator_base_url
from sync.backends.gsheets.landing import Landing, misplaced_rows, repairs
from sync.backends.port import (
    DATETIME_FORMAT,
    BackendPlace,
    Cell,
    ChangeSet,
    Chart,
    FormattingSpec,
    GeneratedTab,
    Sheet,
    Snapshot,
    formatting_marker,
    tab_order,
)
from sync.backends.relocate import appended_rows, locate_columns, locate_rows, may_write
from sync.errors import BackendError, ConfigError, SheetdeskError, WorkbookError, WriteDeferred
from tickets import (
    ErrorValue,
    FormulaCell,
    cell_text,
    column_letter,
    find_tab,
    fit_cell_text,
    is_blank,
    match_headers,
    parse_cell_name,
    to_excel_serial,
)

__all__ = ["GSheetsBackend", "MetadataMemory", "SCOPES", "CREDENTIALS_VARIABLE", "DEFAULT_METADATA_EVERY"]

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
CREDENTIALS_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS"
DEFAULT_METADATA_EVERY = 6  # every 6th read also fetches metadata: every 30 minutes at a 5-minute cycle
VALUE_PARAMS = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
                "majorDimension": "ROWS"}
SHEET_FIELDS = "properties(sheetId,title,index,gridProperties),conditionalFormats,charts.chartId,merges,basicFilter.range"
METADATA_FIELDS = f"properties.title,sheets({SHEET_FIELDS})"
CELL_FIELDS = "effectiveValue,userEnteredValue.formulaValue"  # a cell's value, and its formula if it has one
VALUES_READ_FIELDS = f"sheets(properties(title,gridProperties),merges,data(startRow,rowData.values({CELL_FIELDS})))"
FULL_READ_FIELDS = f"properties.title,sheets({SHEET_FIELDS},data(startRow,rowData.values({CELL_FIELDS},dataValidation)))"
WRITE_RESPONSE_FIELDS = f"updatedSpreadsheet({METADATA_FIELDS})"
DATE_TIME_NUMBER_FORMAT = {"type": "DATE_TIME", "pattern": DATETIME_FORMAT}
VALUE_FIELDS = "userEnteredValue"
DATETIME_FIELDS = "userEnteredValue,userEnteredFormat.numberFormat"
GENERATED_TAB_FIELDS = "userEnteredValue,userEnteredFormat"
SLA_COLOURS = {"overdue": FormattingSpec.OVERDUE, "due_soon": FormattingSpec.DUE_SOON,
               "paused": FormattingSpec.PAUSED, "closed": FormattingSpec.CLOSED}
ERROR_TEXTS = {"NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!", "REF": "#REF!",
               "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A", "ERROR": "#ERROR!", "LOADING": "#LOADING"}
PIXELS_PER_CHARACTER = 7
MAX_WRITE_BYTES = 6_000_000  # Google rejects request bodies around 10 MB; a bigger write goes in several parts
SHEETS_CELL_LIMIT = 50_000  # characters Google Sheets takes in one cell
DEFAULT_GRID_ROWS = 1000
DEFAULT_GRID_COLUMNS = 26
MEMORY_FORMAT = 1  # the layout of the remembered metadata; another number is ignored


class MetadataMemory(Protocol):
    """Where the backend keeps its metadata between processes (the desk's state store)."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...


@dataclass
class SheetMeta:
    """What the backend knows about one tab between metadata fetches."""

    sheet_id: int
    title: str
    row_count: int
    column_count: int
    conditional_formats: list[dict] = field(default_factory=list)
    chart_ids: list[int] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    frozen_rows: int = 0
    frozen_columns: int = 0
    filter_range: dict | None = None


class GSheetsBackend:
    """A Google spreadsheet, reached with gspread and a service account (or the emulator, without credentials).

    Nothing is sent over the network until the first ``read``, ``apply`` or ``lay_out``. Raise ConfigError from
    the constructor if no service-account key can be loaded.
    """

    def __init__(
        self,
        spreadsheet: str,
        credentials: Path | None = None,
        retry_budget_seconds: float = 60.0,
        *,
        policy: RetryPolicy | None = None,
        emulator: str | None = None,
        metadata_every: int = DEFAULT_METADATA_EVERY,
        memory: MetadataMemory | None = None,
    ) -> None:
        self.key = spreadsheet
        self.memory = memory
        self.emulator = emulator if emulator is not None else emulator_base_url()
        self.policy = policy or RetryPolicy(budget_seconds=retry_budget_seconds)
        self.metadata_every = max(1, metadata_every)
        self._credentials = load_credentials(credentials, self.emulator)
        self._client = gspread.Client(self._credentials, http_client=SheetsHTTPClient.factory(self.policy, self.emulator))
        self.http: SheetsHTTPClient = self._client.http_client  # type: ignore[assignment]
        self._opened: gspread.Spreadsheet | None = None
        self._title: str | None = None
        self._sheets: dict[str, SheetMeta] = {}
        self._reads_since_metadata: int | None = None
        self._reads = 0
        self._first_row_validations: dict[int, dict] | None = None
        self._applied_dropdowns: set[str] | None = None
        self._last_tickets: tuple[str, list[list[Cell]]] | None = None
        self._landing: Landing | None = None  # the ticket rows the write in progress touches
        self._check_grids = False  # the metadata came from memory: the first values read checks it

    # -- the port ---------------------------------------------------------------------------------------------

    def describe(self) -> str:
        """Return the spreadsheet's title (when known) and key, for logs."""
        return f"Google Sheet '{self._title}' ({self.key})" if self._title else f"Google Sheet {self.key}"

    @property
    def counts(self) -> RequestCounts:
        """Requests sent so far (reads, writes, retries), start-up included."""
        return self.http.counts

    def read(self) -> Snapshot:
        """Return every tab's values in one request. Raise WorkbookError if the spreadsheet cannot be opened or
        BackendError if Google keeps failing past the retry budget."""
        with self.http.operation(), _api_errors_explained(self.key, self._service_account()):
            self._recall()
            self._open()
            if self._metadata_due():
                sheets = self._read_everything()
            else:
                sheets = self._read_values()
        self._reads += 1
        self._keep()
        for title, sheet in sheets.items():  # merges as of this read
            meta = self._sheets.get(title)
            sheet.merged = list(meta.merges) if meta is not None else []
        self._remember_tickets(sheets)
        return Snapshot(sheets, version=self._reads, formatting_ok=self._formatting_ok(sheets))

    def apply(self, changes: ChangeSet, snapshot: Snapshot) -> None:
        """Write ``changes`` in one batchUpdate after re-reading the Tickets tab to re-locate moved rows.

        Nothing is sent when ``changes`` is empty. Raise WriteDeferred if the Tickets tab is gone or Google rejects
        the write as invalid (a person changed the structure meanwhile): nothing was written.
        """
        if not changes:
            return
        with self.http.operation(), _api_errors_explained(self.key, self._service_account(), deferred=True):
            self._recall()
            self._open()
            try:
                self._landing = None
                requests = self._plan(changes, snapshot)
                if requests:
                    self._write(requests)
                if self._landing is not None and self._landing.written:
                    self._prove_landing(changes.tickets_tab, self._landing)
            except APIError:
                self._reads_since_metadata = None  # the structure may have changed: the next read looks again
                raise
            finally:
                self._keep()
            if changes.formatting is not None:
                self._applied_dropdowns = set(changes.formatting.dropdowns)
                self._first_row_validations = None

    def workbook_link(self) -> str:
        """Return the spreadsheet's link, for mail."""
        return f"{SPREADSHEET_DRIVE_URL % self.key}/edit"

    def row_link(self, ticket_id: str) -> str | None:
        """Return a link to the ticket's row as last read, for mail digests; None if it was not in that read."""
        if self._last_tickets is None:
            return None
        title, rows = self._last_tickets
        meta = self._sheets.get(title)
        position = match_headers(rows[0]).positions.get("ticket_id") if rows else None
        if meta is None or position is None:
            return None
        for index, row in enumerate(rows[1:], start=1):
            if position < len(row) and _text(row[position]) == ticket_id:
                return f"{SPREADSHEET_DRIVE_URL % self.key}/edit#gid={meta.sheet_id}&range=A{index + 1}"
        return None

    @classmethod
    def open(cls, place: BackendPlace) -> GSheetsBackend:
        """The backend for a desk's ``[workbook]`` (see ``sync.backends.registry``)."""
        return cls(place.spreadsheet or "", place.credentials, retry_budget_seconds=place.retry_budget_seconds,
                   memory=place.memory)

    def lay_out(self, spec: Any, replace: bool = False) -> None:
        """Lay the template ``spec`` (``.tabs``: objects with name, rows, widths, frozen_rows, autofilter,
        dropdowns, fills, bold_header and optionally bold_rows) into this spreadsheet in one write.
        ``replace`` changes nothing: a spreadsheet's tabs are never replaced.

        Raise WorkbookError if a tab of the template already exists: a person's tabs are never overwritten.
        A spreadsheet's untouched default tab (an empty "Sheet1") is removed.
        """
        with self.http.operation(), _api_errors_explained(self.key, self._service_account()):
            self._open()
            self._read_everything()
            taken = [tab.name for tab in spec.tabs if tab.name in self._sheets]
            if taken:
                raise WorkbookError(
                    f"spreadsheet {self.key} already has the tab(s) {', '.join(taken)}; "
                    "lay the template into a new spreadsheet, or rename those tabs first"
                )
            requests: list[dict] = []
            for position, tab in enumerate(spec.tabs):
                requests += self._template_tab_requests(tab, position)
            requests += self._drop_default_tab()
            self._write(requests)

    # -- opening and reading ----------------------------------------------------------------------------------

    def _service_account(self) -> str | None:
        return getattr(self._credentials, "service_account_email", None)

    def _open(self) -> None:
        if self._opened is not None or (self._sheets and self._title is not None):
            return  # opened, or the metadata is known from memory: every request goes by key
        try:
            self._opened = self._client.open_by_key(self.key)
        except SpreadsheetNotFound as error:
            raise WorkbookError(_not_found(self.key)) from error
        except PermissionError as error:
            raise WorkbookError(_no_access(self.key, self._service_account())) from error
        self._title = self._opened.title

    def _metadata_due(self) -> bool:
        return self._reads_since_metadata is None or self._reads_since_metadata >= self.metadata_every - 1

    def _read_values(self) -> dict[str, Sheet]:
        """One light read of every known tab's values and formulas; a tab renamed or deleted meanwhile falls back
        to a full read."""
        titles = list(self._sheets)
        try:
            entries = self._values_and_formulas(titles)
        except APIError as error:
            if error.code != 400:
                raise
            return self._read_everything()
        if set(entries) != set(titles) or not self._grids_as_known(entries):
            return self._read_everything()
        for title, entry in entries.items():
            self._sheets[title].merges = [_merge(grid_range) for grid_range in entry.get("merges", [])]
        self._reads_since_metadata = (self._reads_since_metadata or 0) + 1
        return {title: Sheet(title, _grid_rows(entries[title].get("data", []))) for title in titles}

    def _values_and_formulas(self, titles: list[str]) -> dict[str, dict]:
        """One spreadsheets.get of the tabs ``titles``: each cell's value and, where it has one, its formula (the
        values API gives one or the other), each tab's grid size and its merges. Return ``{title: sheet entry}``."""
        params = {"ranges": [quote_title(title) for title in titles], "fields": VALUES_READ_FIELDS}
        body = self.http.fetch_sheet_metadata(self.key, params=params)
        return {entry["properties"]["title"]: entry for entry in body.get("sheets", [])}

    def _grids_as_known(self, entries: dict[str, dict]) -> bool:
        """Whether every tab's grid is the size the metadata says. Checked on the first read with metadata from
        memory (another process may have seen a different layout); later reads only take the new sizes."""
        check, self._check_grids = self._check_grids, False
        for title, entry in entries.items():
            grid = entry["properties"].get("gridProperties", {})
            size = (grid.get("rowCount", 0), grid.get("columnCount", 0))
            meta = self._sheets[title]
            if size == (meta.row_count, meta.column_count):
                continue
            if check:
                return False
            meta.row_count, meta.column_count = size
        return True

    # -- memory between processes -----------------------------------------------------------------------------

    def _memory_key(self) -> str:
        return f"gsheets metadata {self.key}"

    def _recall(self) -> None:
        """Take the metadata a previous process kept, once, before this process's first request."""
        if self.memory is None or self._sheets or self._opened is not None:
            return
        text = self.memory.get(self._memory_key())
        kept = json.loads(text) if text else None
        if not kept or kept.get("format") != MEMORY_FORMAT or not kept.get("sheets"):
            return
        self._title = kept["title"]
        self._sheets = {entry["title"]: SheetMeta(**entry) for entry in kept["sheets"]}
        self._reads_since_metadata = kept["reads_since_metadata"]
        self._check_grids = True

    def _keep(self) -> None:
        """Keep the metadata as it is now for the next process; forget it when the next read must look again."""
        if self.memory is None:
            return
        kept = None if self._reads_since_metadata is None or not self._sheets else {
            "format": MEMORY_FORMAT, "title": self._title, "reads_since_metadata": self._reads_since_metadata,
            "sheets": [dataclasses.asdict(meta) for meta in self._sheets.values()],
        }
        self.memory.put(self._memory_key(), json.dumps(kept))

    def _read_everything(self) -> dict[str, Sheet]:
        """One spreadsheets.get returning metadata and every tab's values (and the drop-downs)."""
        body = self.http.fetch_sheet_metadata(self.key, params={"fields": FULL_READ_FIELDS})
        self._load_metadata(body)
        self._reads_since_metadata = 0
        self._check_grids = False
        sheets = {}
        for entry in body.get("sheets", []):
            title = entry["properties"]["title"]
            sheets[title] = Sheet(title, _grid_rows(entry.get("data", [])))
        self._first_row_validations = self._validations_of_first_ticket(body, sheets)
        return sheets

    def _load_metadata(self, body: dict) -> None:
        self._title = body.get("properties", {}).get("title", self._title)
        self._sheets = {}
        for entry in sorted(body.get("sheets", []), key=lambda entry: entry["properties"].get("index", 0)):
            properties = entry["properties"]
            grid = properties.get("gridProperties", {})
            self._sheets[properties["title"]] = SheetMeta(
                sheet_id=properties.get("sheetId", 0),
                title=properties["title"],
                row_count=grid.get("rowCount", 0),
                column_count=grid.get("columnCount", 0),
                conditional_formats=entry.get("conditionalFormats", []),
                chart_ids=[chart["chartId"] for chart in entry.get("charts", []) if "chartId" in chart],
                merges=[_merge(grid_range) for grid_range in entry.get("merges", [])],
                frozen_rows=grid.get("frozenRowCount", 0),
                frozen_columns=grid.get("frozenColumnCount", 0),
                filter_range=(entry.get("basicFilter") or {}).get("range"),
            )

    def _validations_of_first_ticket(self, body: dict, sheets: dict[str, Sheet]) -> dict[int, dict] | None:
        title = find_tab(sheets, "tickets")
        if title is None:
            return None
        for entry in body.get("sheets", []):
            if entry["properties"]["title"] != title:
                continue
            rows = (entry.get("data") or [{}])[0].get("rowData", [])
            cells = rows[1].get("values", []) if len(rows) > 1 else []
            return {position: cell["dataValidation"] for position, cell in enumerate(cells) if "dataValidation" in cell}
        return None

    def _remember_tickets(self, sheets: dict[str, Sheet]) -> None:
        title = find_tab(sheets, "tickets")
        self._last_tickets = (title, sheets[title].rows) if title is not None else None

    def _formatting_ok(self, sheets: dict[str, Sheet]) -> bool:
        """Our colour rules carry a marker naming the SLA and Check columns: gone or stale means not ok."""
        title = find_tab(sheets, "tickets")
        meta = self._sheets.get(title) if title is not None else None
        if meta is None:
            return True
        rows = sheets[title].rows
        positions = match_headers(rows[0] if rows else []).positions
        marker = formatting_marker(positions)
        rules_ok = any(marker in _rule_formula(rule) for rule in meta.conditional_formats)
        layout_ok = (meta.frozen_rows, meta.frozen_columns) == (1, 1) and _filter_covers(meta.filter_range, positions)
        return rules_ok and layout_ok and self._dropdowns_ok(positions, has_tickets=len(rows) > 1)

    def _dropdowns_ok(self, positions: dict[str, int], has_tickets: bool) -> bool:
        if not has_tickets or self._first_row_validations is None or self._applied_dropdowns is None:
            return True  # unknown: only what this process applied, seen on a full read, can be checked
        for key in self._applied_dropdowns:
            position = positions.get(key)
            rule = self._first_row_validations.get(position) if position is not None else None
            if position is not None and (rule is None or rule.get("condition", {}).get("type") != "ONE_OF_RANGE"):
                return False
        return True

    # -- planning the write -----------------------------------------------------------------------------------

    def _plan(self, changes: ChangeSet, snapshot: Snapshot) -> list[dict]:
        requests: list[dict] = []
        if changes.cells or changes.add_columns or changes.append or changes.formatting is not None:
            requests += self._ticket_requests(changes, snapshot)
        for name, tab in changes.tabs.items():
            requests += self._generated_tab_requests(name, tab, changes.tickets_tab)
        return requests

    def _ticket_requests(self, changes: ChangeSet, snapshot: Snapshot) -> list[dict]:
        meta = self._sheets.get(changes.tickets_tab)
        if meta is None:
            raise WriteDeferred(f"the tab {changes.tickets_tab!r} is gone from spreadsheet {self.key}; "
                                "the write waits for the next cycle")
        current = self._reread(changes.tickets_tab)
        if not current:
            raise WriteDeferred(f"the tab {changes.tickets_tab!r} is empty now; the write waits for the next cycle")
        header = list(current[0])
        columns = dict(changes.columns)
        requests: list[dict] = []
        added = self._add_columns(changes.add_columns, header, columns)
        requests += _grow(meta, columns=len(header))
        writes = [(0, position, value) for position, value in added]
        read_rows = snapshot.sheets[changes.tickets_tab].rows if changes.tickets_tab in snapshot.sheets else [[]]
        located = locate_columns(columns, read_rows[0] if read_rows else [], header)
        targets = locate_rows(changes.cells, read_rows, [header, *current[1:]], located)
        landing = Landing(current, changes.cells, read_rows, located, appends=changes.append)
        for write in changes.cells:
            row, position = targets.get(write.row), located.get(write.column)
            if row is None or position is None:
                continue
            now = current[row][position] if position < len(current[row]) else None
            if may_write(write.column, now, write.replaces) and not _under_merge(meta.merges, row, position):
                writes.append((row, position, write.value))
                landing.add(write, row, position)
        self._landing = landing
        appended = appended_rows(changes.append, [header, *current[1:]], located)
        if appended:
            requests += _grow(meta, rows=max(appended) + 1)
            landing.add_appended(appended)
        writes += [(row, position, value) for row, cells in appended.items() for position, value in cells.items()
                   if not _under_merge(meta.merges, row, position)]
        requests += _cell_runs(meta.sheet_id, writes)
        if changes.formatting is not None:
            requests += self._formatting_requests(meta, match_headers(header).positions, changes.formatting)
        return requests

    def _prove_landing(self, title: str, landing: Landing) -> None:
        """Read the Tickets tab back; if rows moved under the write, put back what it covered and write again."""
        after = self._reread(title)
        misplaced = misplaced_rows(landing, after)
        if not misplaced:
            return
        meta = self._sheets.get(title)
        fixes = repairs(landing, after, misplaced)
        log.warning("%s: %d rows moved while they were written; %d cells put right", title, len(misplaced), len(fixes))
        if meta is not None and fixes:
            self._write(_grow(meta, rows=max(row for row, _, _ in fixes) + 1) + _cell_runs(meta.sheet_id, fixes))

    def _reread(self, title: str) -> list[list[Cell]]:
        """One read of the whole Tickets tab, values and formulas: header, IDs, the input cells unnamed rows are
        found by, and which blank-looking cells hold a formula (never written over)."""
        try:
            entries = self._values_and_formulas([title])
        except APIError as error:
            if error.code == 400:
                self._reads_since_metadata = None
                raise WriteDeferred(f"the tab {title!r} changed name or vanished; the write waits") from error
            raise
        if title not in entries:
            return []
        if title in self._sheets:
            self._sheets[title].merges = [_merge(grid_range) for grid_range in entries[title].get("merges", [])]
        return _grid_rows(entries[title].get("data", []))

    @staticmethod
    def _add_columns(add_columns: dict[str, str], header: list[Cell], columns: dict[str, int]) -> list[tuple[int, Cell]]:
        """Append the headers of missing computed columns to ``header``; return ``(position, text)`` to write."""
        present = match_headers(header).positions
        added = []
        for key, text in add_columns.items():
            if key in present:  # a person added it meanwhile
                columns[key] = present[key]
                continue
            header.append(text)
            columns[key] = len(header) - 1
            added.append((len(header) - 1, text))
        return added

    def _formatting_requests(self, meta: SheetMeta, positions: dict[str, int], spec: FormattingSpec) -> list[dict]:
        requests = [
            {"deleteConditionalFormatRule": {"sheetId": meta.sheet_id, "index": index}}
            for index in reversed(range(len(meta.conditional_formats)))
            if "sheetdesk" in _rule_formula(meta.conditional_formats[index])
        ]
        table = {"sheetId": meta.sheet_id, "startRowIndex": 1, "startColumnIndex": 0}
        marker = f'N("{formatting_marker(positions)}")=0'
        rules = []
        if "check" in positions:
            rules.append((f"=AND(LEN(${column_letter(positions['check'])}2)>0,{marker})", FormattingSpec.CHECK))
        if "sla" in positions:
            sla = column_letter(positions["sla"])
            for state, colour in SLA_COLOURS.items():
                text = spec.sla_labels.get(state)
                if text:
                    rules.append((f'=AND(TRIM(${sla}2)="{_formula_text(text)}",{marker})', colour))
        for index, (formula, colour) in enumerate(rules):
            rule = {"ranges": [table], "booleanRule": {
                "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]},
                "format": {"backgroundColor": rgb(colour)}}}
            requests.append({"addConditionalFormatRule": {"rule": rule, "index": index}})
        for key, source in spec.dropdowns.items():
            if key in positions:
                requests.append(_dropdown(meta.sheet_id, positions[key], 1, source))
        width = max(positions.values(), default=0) + 1
        requests += [_freeze(meta.sheet_id, rows=1, columns=1), _open_filter(meta.sheet_id, width)]
        return requests

    def _generated_tab_requests(self, name: str, tab: GeneratedTab, tickets_tab: str) -> list[dict]:
        """Replace a generated tab whole: clear it (or create it), write its rows, widths and charts; put it in
        its place (``sync.backends.port.tab_order``)."""
        width = max([len(row) for row in tab.rows] + [len(tab.widths), 1])
        height = max(len(tab.rows), 1)
        meta = self._sheets.get(name)
        titles = list(self._sheets)  # in tab order, as the metadata was read
        position = tab_order(titles, name, tickets_tab, tab.after_tickets).index(name)
        requests: list[dict] = []
        if meta is None:
            sheet_id = self._new_sheet_id(name)
            grid = {"rowCount": max(height, DEFAULT_GRID_ROWS), "columnCount": max(width, DEFAULT_GRID_COLUMNS)}
            properties = {"sheetId": sheet_id, "title": name, "gridProperties": grid}
            if position < len(titles):
                properties["index"] = position
            requests.append({"addSheet": {"properties": properties}})
        else:
            sheet_id = meta.sheet_id
            current = titles.index(name)
            if position != current:  # Google counts the new index as before the move
                index = position + 1 if position > current else position
                requests.append({"updateSheetProperties": {"properties": {"sheetId": sheet_id, "index": index},
                                                           "fields": "index"}})
            requests += [{"deleteEmbeddedObject": {"objectId": chart_id}} for chart_id in meta.chart_ids]
            requests += _grow(meta, rows=height, columns=width)
            # Owned whole: the old values go, and the old bold rows and number formats with them.
            requests.append({"updateCells": {"range": {"sheetId": sheet_id}, "fields": GENERATED_TAB_FIELDS}})
        if tab.rows:
            requests.append({"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                                             "rows": [_row_data(row) for row in tab.rows], "fields": DATETIME_FIELDS}})
            requests += [_bold_row(sheet_id, row, width) for row in sorted({0, *tab.bold_rows})]
            requests += [_number_format(sheet_id, row, column, code)
                         for (row, column), code in sorted(tab.number_formats.items())]
            requests += [_align_column(sheet_id, column, len(tab.rows), wrap=column in tab.wrap_columns,
                                       centred=column in tab.centred_columns)
                         for column in sorted({*tab.wrap_columns, *tab.centred_columns})]
        requests += _width_requests(sheet_id, tab.widths)
        requests += [{"addChart": {"chart": chart_request(sheet_id, chart)}} for chart in tab.charts]
        return requests

    def _new_sheet_id(self, name: str) -> int:
        """A stable id for a tab we create (so one batch can create and fill it), unused in this spreadsheet."""
        taken = {meta.sheet_id for meta in self._sheets.values()}
        candidate = zlib.crc32(name.encode()) & 0x3FFFFFFF
        while candidate in taken or candidate == 0:
            candidate = (candidate + 1) & 0x3FFFFFFF
        return candidate

    def _template_tab_requests(self, tab: Any, position: int) -> list[dict]:
        rows = list(tab.rows)
        width = max([len(row) for row in rows] + [len(tab.widths), 1])
        sheet_id = self._new_sheet_id(tab.name)
        self._sheets[tab.name] = SheetMeta(sheet_id, tab.name, max(len(rows) + 1, DEFAULT_GRID_ROWS),
                                           max(width, DEFAULT_GRID_COLUMNS))
        grid = {"rowCount": self._sheets[tab.name].row_count, "columnCount": self._sheets[tab.name].column_count,
                "frozenRowCount": tab.frozen_rows, "frozenColumnCount": getattr(tab, "frozen_columns", 0)}
        requests: list[dict] = [{"addSheet": {"properties": {"sheetId": sheet_id, "title": tab.name,
                                                             "index": position, "gridProperties": grid}}}]
        if rows:
            requests.append({"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                                             "rows": [_row_data(row) for row in rows], "fields": DATETIME_FIELDS}})
        bold_rows = ([0] if tab.bold_header and rows else []) + list(getattr(tab, "bold_rows", []))
        requests += [_bold_row(sheet_id, row, width) for row in bold_rows]
        requests += _width_requests(sheet_id, tab.widths)
        if tab.autofilter and rows:
            requests.append(_open_filter(sheet_id, width))
        requests += [_dropdown(sheet_id, column, 1, source) for column, source in tab.dropdowns.items()]
        requests += [_fill(sheet_id, row, column, colour) for (row, column), colour in tab.fills.items()]
        return requests

    def _drop_default_tab(self) -> list[dict]:
        """Remove Google's default empty first tab ("Sheet1"/"工作表1") when the template brought its own."""
        defaults = [meta for title, meta in self._sheets.items()
                    if title in {"Sheet1", "工作表1", "Hoja 1", "Feuille 1", "Tabellenblatt1"} and not meta.chart_ids]
        if len(defaults) != 1:
            return []
        body = self.http.values_batch_get(self.key, [quote_title(defaults[0].title)], params=dict(VALUE_PARAMS))
        if any((value_range.get("values") or []) for value_range in body.get("valueRanges", [])):
            return []
        return [{"deleteSheet": {"sheetId": defaults[0].sheet_id}}]

    # -- writing ----------------------------------------------------------------------------------------------

    def _write(self, requests: list[dict]) -> None:
        """One spreadsheets:batchUpdate; its response refreshes the metadata at no extra request.

        Only a write bigger than MAX_WRITE_BYTES (a first cycle over many thousand tickets) is sent in several
        consecutive parts, in order, so it is not rejected for its size.
        """
        for part in _parts(requests, MAX_WRITE_BYTES):
            body = {"requests": part, "includeSpreadsheetInResponse": True, "responseIncludeGridData": False}
            response = self.http.request("post", SPREADSHEET_BATCH_UPDATE_URL % self.key,
                                         params={"fields": WRITE_RESPONSE_FIELDS}, json=body)
            updated = response.json().get("updatedSpreadsheet")
            if updated:
                self._load_metadata(updated)


def _parts(requests: list[dict], limit: int) -> list[list[dict]]:
    """Split ``requests`` into consecutive parts whose JSON stays under ``limit`` bytes (one part if it fits)."""
    parts: list[list[dict]] = [[]]
    size = 0
    for request in requests:
        request_size = len(json.dumps(request, separators=(",", ":")))
        if parts[-1] and size + request_size > limit:
            parts.append([])
            size = 0
        parts[-1].append(request)
        size += request_size
    return parts


# -- credentials and errors -------------------------------------------------------------------------------------


def load_credentials(path: Path | None, emulator: str | None) -> Credentials:
    """Return service-account credentials limited to the spreadsheets scope (anonymous ones for the emulator).

    Raise ConfigError naming the file or the settings to fill when no key can be loaded.
    """
    if emulator is not None:
        return AnonymousCredentials()
    chosen = path or (Path(os.environ[CREDENTIALS_VARIABLE]) if os.environ.get(CREDENTIALS_VARIABLE) else None)
    if chosen is None:
        raise ConfigError(
            "the gsheets backend needs a service-account key: set [workbook] credentials in config.toml "
            f"or the {CREDENTIALS_VARIABLE} environment variable to the key's JSON file"
        )
    from google.oauth2.service_account import Credentials as ServiceAccountCredentials

    try:
        return ServiceAccountCredentials.from_service_account_file(str(chosen), scopes=list(SCOPES))
    except (OSError, ValueError, KeyError) as error:
        raise ConfigError(f"{chosen}: cannot be read as a service-account key file ({error})") from error


def _not_found(key: str) -> str:
    return f"spreadsheet {key} was not found: check [workbook] spreadsheet in config.toml (the key in the sheet's URL)"


def _no_access(key: str, account: str | None) -> str:
    who = account or "the service account"
    return f"no access to spreadsheet {key}: share it with {who} as an Editor"


class _api_errors_explained:
    """Turn gspread's APIError into the sheetdesk error a person can act on."""

    def __init__(self, key: str, account: str | None, deferred: bool = False) -> None:
        self.key, self.account, self.deferred = key, account, deferred

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, traceback: Any) -> bool:
        if not isinstance(error, APIError) or isinstance(error, SheetdeskError):
            return False
        code, message = error.code, _api_message(error)
        if code == 404:
            raise WorkbookError(_not_found(self.key)) from error
        if code in {401, 403}:
            raise WorkbookError(_no_access(self.key, self.account)) from error
        if code == 400 and self.deferred:
            raise WriteDeferred(f"Google Sheets rejected the write ({message}); it is retried next cycle") from error
        raise BackendError(f"Google Sheets refused a request (HTTP {code}: {message}); the next cycle tries again") from error


def _api_message(error: APIError) -> str:
    try:
        return str(error.error.get("message", error))
    except AttributeError:
        return str(error)


# -- values -----------------------------------------------------------------------------------------------------


def _merge(grid_range: dict) -> tuple[int, int, int, int]:
    """A merged GridRange (end indexes exclusive) as (first row, first column, last row, last column)."""
    return (grid_range.get("startRowIndex", 0), grid_range.get("startColumnIndex", 0),
            grid_range.get("endRowIndex", 1) - 1, grid_range.get("endColumnIndex", 1) - 1)


def _under_merge(merges: Sequence[tuple[int, int, int, int]], row: int, column: int) -> bool:
    """Whether a merge hides the cell (it is inside a merged range but not its top-left cell): never written."""
    return any(first_row <= row <= last_row and first_column <= column <= last_column
               and (row, column) != (first_row, first_column)
               for first_row, first_column, last_row, last_column in merges)


def _grid_rows(data: list[dict]) -> list[list[Cell]]:
    """Rows from a spreadsheets.get ``data`` block, trailing blank cells and rows dropped."""
    rows: list[list[Cell]] = []
    for row_data in (data[0].get("rowData", []) if data else []):
        row = [_cell_value(cell) for cell in row_data.get("values", [])]
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _cell_value(cell: dict) -> Cell:
    """A cell's value as the desk reads it. A formula whose value is empty (``=IF(A2="","",…)``) is a FormulaCell,
    never blank: the desk stamps no value over it."""
    value = _effective(cell.get("effectiveValue"))
    formula = (cell.get("userEnteredValue") or {}).get("formulaValue")
    if formula and is_blank(value):
        return FormulaCell(formula[1:].strip() if formula.startswith("=") else formula)
    return value


def _effective(value: dict | None) -> Cell:
    if not value:
        return None
    if "errorValue" in value:
        return ErrorValue(ERROR_TEXTS.get(value["errorValue"].get("type", ""), "#ERROR!"))
    for kind in ("stringValue", "numberValue", "boolValue"):
        if kind in value:
            return None if value[kind] == "" else value[kind]
    return None


def _text(value: Cell) -> str:
    return cell_text(value)


def cell_data(value: Cell | date) -> tuple[dict, str]:
    """Return the CellData writing ``value`` as data, and the update mask it needs."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if isinstance(value, datetime):
        wall_time = value.replace(tzinfo=None)  # the sheet shows wall time in the Calendar's zone
        data = {"userEnteredValue": {"numberValue": to_excel_serial(wall_time)},
                "userEnteredFormat": {"numberFormat": dict(DATE_TIME_NUMBER_FORMAT)}}
        return data, DATETIME_FIELDS
    if is_blank(value) and not isinstance(value, str | bool | int | float):
        return {}, VALUE_FIELDS
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}, VALUE_FIELDS
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}, VALUE_FIELDS
    if value == "":
        return {}, VALUE_FIELDS
    return {"userEnteredValue": {"stringValue": fit_cell_text(str(value), SHEETS_CELL_LIMIT)}}, VALUE_FIELDS


def _row_data(row: Iterable[Cell]) -> dict:
    values = []
    for value in row:
        data, _ = cell_data(value)
        values.append(data)
    return {"values": values}


def _cell_runs(sheet_id: int, writes: list[tuple[int, int, Cell]]) -> list[dict]:
    """Group single-cell writes into updateCells requests: one per run of consecutive rows of a column that share
    an update mask. A first cycle over N tickets becomes a handful of requests, not N per column."""
    requests: list[dict] = []
    run: list[dict] = []
    run_start = (-1, -1)
    run_fields = ""
    previous = (-1, -1)
    for row, column, value in sorted(writes, key=lambda write: (write[1], write[0])):
        data, fields = cell_data(value)
        if run and (row - 1, column) == previous and fields == run_fields:
            run.append(data)
        else:
            if run:
                requests.append(_update_run(sheet_id, run_start, run, run_fields))
            run, run_start, run_fields = [data], (row, column), fields
        previous = (row, column)
    if run:
        requests.append(_update_run(sheet_id, run_start, run, run_fields))
    return requests


def _update_run(sheet_id: int, start: tuple[int, int], run: list[dict], fields: str) -> dict:
    return {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": start[0], "columnIndex": start[1]},
                            "rows": [{"values": [data]} for data in run], "fields": fields}}


# -- formats, charts, ranges ------------------------------------------------------------------------------------


def _rule_formula(rule: dict) -> str:
    values = rule.get("booleanRule", {}).get("condition", {}).get("values") or [{}]
    return str(values[0].get("userEnteredValue", ""))


def _formula_text(text: str) -> str:
    return text.replace('"', '""')


def rgb(colour: str) -> dict[str, float]:
    """Return a Sheets Color for ``"RRGGBB"``."""
    red, green, blue = (int(colour[index:index + 2], 16) / 255 for index in (0, 2, 4))
    return {"red": red, "green": green, "blue": blue}


def _dropdown(sheet_id: int, column: int, first_row: int, source: str) -> dict:
    formula = source if source.startswith("=") else f"={source}"
    rule = {"condition": {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": formula}]},
            "showCustomUi": True, "strict": False}
    grid_range = {"sheetId": sheet_id, "startRowIndex": first_row, "startColumnIndex": column,
                  "endColumnIndex": column + 1}
    return {"setDataValidation": {"range": grid_range, "rule": rule}}


def _fill(sheet_id: int, row: int, column: int, colour: str) -> dict:
    grid_range = {"sheetId": sheet_id, "startRowIndex": row, "endRowIndex": row + 1,
                  "startColumnIndex": column, "endColumnIndex": column + 1}
    return {"repeatCell": {"range": grid_range, "cell": {"userEnteredFormat": {"backgroundColor": rgb(colour)}},
                           "fields": "userEnteredFormat.backgroundColor"}}


def _number_format(sheet_id: int, row: int, column: int, code: str) -> dict:
    """A request showing one cell's number in the format ``code`` (``"0.0%"`` is a percent)."""
    kind = "PERCENT" if code.endswith("%") else "NUMBER"
    grid_range = {"sheetId": sheet_id, "startRowIndex": row, "endRowIndex": row + 1,
                  "startColumnIndex": column, "endColumnIndex": column + 1}
    return {"repeatCell": {"range": grid_range,
                           "cell": {"userEnteredFormat": {"numberFormat": {"type": kind, "pattern": code}}},
                           "fields": "userEnteredFormat.numberFormat"}}


def _align_column(sheet_id: int, column: int, rows: int, wrap: bool, centred: bool) -> dict:
    """A request wrapping the text of the first ``rows`` cells of 0-based ``column`` (``wrap``) and centring it
    (``centred``); cells stay aligned to the bottom, like the numbers beside them."""
    grid_range = {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": rows,
                  "startColumnIndex": column, "endColumnIndex": column + 1}
    cell_format: dict[str, str] = {}
    if wrap:
        cell_format["wrapStrategy"] = "WRAP"
    if centred:
        cell_format["horizontalAlignment"] = "CENTER"
    fields = ",".join(f"userEnteredFormat.{name}" for name in cell_format)
    return {"repeatCell": {"range": grid_range, "cell": {"userEnteredFormat": cell_format}, "fields": fields}}


def _bold_row(sheet_id: int, row: int, width: int) -> dict:
    grid_range = {"sheetId": sheet_id, "startRowIndex": row, "endRowIndex": row + 1,
                  "startColumnIndex": 0, "endColumnIndex": width}
    return {"repeatCell": {"range": grid_range, "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                           "fields": "userEnteredFormat.textFormat.bold"}}


def _open_filter(sheet_id: int, width: int) -> dict:
    """A filter over every row of the tab (no end row: rows added later are inside it) and ``width`` columns."""
    return {"setBasicFilter": {"filter": {"range": {
        "sheetId": sheet_id, "startRowIndex": 0, "startColumnIndex": 0, "endColumnIndex": width}}}}


def _filter_covers(grid_range: dict | None, positions: dict[str, int]) -> bool:
    """Whether a basic filter's range starts at A1, spans every header column and has no end row."""
    if grid_range is None:
        return False
    width = max(positions.values(), default=0) + 1
    return (grid_range.get("startRowIndex", 0) == 0 and grid_range.get("startColumnIndex", 0) == 0
            and "endRowIndex" not in grid_range and grid_range.get("endColumnIndex", width) >= width)


def _freeze(sheet_id: int, rows: int, columns: int) -> dict:
    grid = {"frozenRowCount": rows, "frozenColumnCount": columns}
    return {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "gridProperties": grid},
                                      "fields": "gridProperties.frozenRowCount,gridProperties.frozenColumnCount"}}


def _width_requests(sheet_id: int, widths: Sequence[int]) -> list[dict]:
    return [
        {"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": column, "endIndex": column + 1},
            "properties": {"pixelSize": int(width * PIXELS_PER_CHARACTER + 5)}, "fields": "pixelSize"}}
        for column, width in enumerate(widths) if width
    ]


def _grow(meta: SheetMeta, rows: int = 0, columns: int = 0) -> list[dict]:
    """Append grid rows/columns so ``rows`` x ``columns`` fit (writes past the grid fail)."""
    requests = []
    if rows > meta.row_count:
        requests.append({"appendDimension": {"sheetId": meta.sheet_id, "dimension": "ROWS",
                                             "length": rows - meta.row_count}})
    if columns > meta.column_count:
        requests.append({"appendDimension": {"sheetId": meta.sheet_id, "dimension": "COLUMNS",
                                             "length": columns - meta.column_count}})
    return requests


def chart_request(sheet_id: int, chart: Chart) -> dict:
    """Return the EmbeddedChart for a Chart spec: a column ("bar") or line chart over rows of the tab."""

    def source(column: int) -> dict:
        return {"sourceRange": {"sources": [{
            "sheetId": sheet_id, "startRowIndex": chart.header_row, "endRowIndex": chart.last_row + 1,
            "startColumnIndex": column, "endColumnIndex": column + 1}]}}

    anchor_column, anchor_row = parse_cell_name(chart.anchor)
    spec = {"title": chart.title, "basicChart": {
        "chartType": "LINE" if chart.kind == "line" else "COLUMN",
        "legendPosition": "BOTTOM_LEGEND",
        "headerCount": 1,
        "domains": [{"domain": source(chart.label_column)}],
        "series": [{"series": source(column), "targetAxis": "LEFT_AXIS"} for column in chart.value_columns],
    }}
    position = {"overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": anchor_row,
                                                   "columnIndex": anchor_column}}}
    return {"spec": spec, "position": position}


def quote_title(title: str) -> str:
    """Return a tab title as an A1 range meaning the whole tab: ``'It''s'``."""
    return "'" + title.replace("'", "''") + "'"
