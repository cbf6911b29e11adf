"""The default backend: a local .xlsx file.

Reading uses python-calamine (fast, values only). Writing happens only when a cycle has changes, and streams them
into a temporary file in one pass over the package (``sync.backends.xlsx.package``): the cells of the Tickets
worksheet and of generated tabs whose layout held, generated tabs written whole when they are new or their charted
tables changed size, the Tickets tab's colours and drop-downs; every other part of the file stays as it was
(shapes and pictures included). Only a workbook the package writer refuses goes through openpyxl, which loads the
file, sets the cells, replaces generated tabs and saves to a temporary file. Either temporary file is fsynced and moved
over the original, so a crash at any moment leaves either the old or the new workbook. A write is refused
(``WriteDeferred``) while the file is open in Excel or LibreOffice or differs from what was read; the next cycle
tries again. Before each write the previous file is kept in a rotating backup folder.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync.backends.port import (
    DATETIME_FORMAT,
    ROW_HEIGHT_POINTS,
    BackendPlace,
    Cell,
    ChangeSet,
    GeneratedTab,
    Sheet,
    Snapshot,
    tab_order,
)
from sync.backends.relocate import appended_rows, may_write
from sync.backends.xlsx.format import apply_ticket_formatting, choice_keys, tickets_layout_problems
from sync.backends.xlsx.formulas import (
    has_formulas_or_errors,
    keep_formula_results,
    may_hold_formulas_or_errors,
    outside_cells,
    special_cells,
)
from sync.backends.xlsx.locks import DEFAULT_STALE_LOCK_HOURS, lock_files, read_lock, real_file
from sync.backends.xlsx.package import PRINT_SIDE_MARGIN, PRINT_TOP_MARGIN, PackageEdits, write_package
from sync.backends.xlsx.patch import PatchRefused, worksheet_member
from sync.errors import WorkbookError, WriteDeferred
from tickets import COMPUTED_KEYS, fit_cell_text

if TYPE_CHECKING:
    from sheets_templates import WorkbookSpec

__all__ = ["XlsxBackend", "lock_files"]

log = logging.getLogger(__name__)

DEFAULT_BACKUPS = 5
TEMPORARY_SUFFIX = ".tmp.xlsx"
PLAIN_TYPES = (str, int, float, bool, datetime)  # cell values that need no cleaning


@dataclass(frozen=True)
class FileVersion:
    """What a file was when read: enough to tell whether anybody saved it since."""

    mtime_ns: int
    size: int
    digest: str


def _version(path: Path) -> FileVersion:
    stat = path.stat()
    return FileVersion(stat.st_mtime_ns, stat.st_size, hashlib.sha256(path.read_bytes()).hexdigest())


class XlsxBackend:
    """A workbook in a local .xlsx file."""

    def __init__(
        self, path: Path, backup_dir: Path | None = None, backups: int = DEFAULT_BACKUPS,
        stale_lock_hours: float = DEFAULT_STALE_LOCK_HOURS,
    ) -> None:
        self.path = Path(path)
        self.backup_dir = backup_dir
        self.backups = backups
        self.stale_lock_hours = stale_lock_hours
        self._layout_repairs: list[str] = []  # what the last read found beyond the colours

    @classmethod
    def open(cls, place: BackendPlace) -> XlsxBackend:
        """The backend for a desk's ``[workbook]`` (see ``sync.backends.registry``)."""
        return cls(place.path or Path("desk.xlsx"), backup_dir=place.backup_dir, backups=place.backups,
                   stale_lock_hours=place.stale_lock_hours)

    def describe(self) -> str:
        return str(self.path)

    def lay_out(self, spec: WorkbookSpec, replace: bool = False) -> None:
        """Write the template ``spec`` as a new .xlsx file at ``path`` (``replace``: over an existing one).

        Raise WorkbookError if ``path`` is a folder, exists (without ``replace``) or cannot be written.
        """
        from sync.backends.xlsx.writer import write_xlsx

        if self.path.is_dir():
            raise WorkbookError(f"{self.path} is a folder — give the workbook's file name, e.g. {self.path / 'desk.xlsx'}")
        if self.path.exists() and not replace:
            raise WorkbookError(f"{self.path} already exists — choose another name, or add --force to replace it")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_xlsx(spec, self.path)
        except OSError as error:
            raise WorkbookError(f"{self.path}: cannot write the workbook there ({error.strerror or error})") from None

    def fingerprint(self) -> object:
        """Return what the workbook is now, cheaply (no parsing): equal to ``read().version`` while unchanged."""
        try:
            return _version(self.path)
        except OSError:
            return None

    # -- reading -------------------------------------------------------------------------------------------

    def read(self) -> Snapshot:
        """Return every tab's values in one pass. Raise WorkbookError if the file cannot be read."""
        from python_calamine import CalamineWorkbook

        if not self.path.exists():
            raise WorkbookError(f"{self.path}: no such workbook — create one with `sheetdesk init {self.path}`")
        try:
            version = _version(self.path)
            workbook = CalamineWorkbook.from_path(str(self.path))
            sheets = {}
            for name in workbook.sheet_names:
                sheet = workbook.get_sheet_by_name(name)
                rows = sheet.to_python(skip_empty_area=False)
                merged = [(first[0], first[1], last[0], last[1]) for first, last in sheet.merged_cell_ranges or ()]
                sheets[name] = Sheet(name, [_clean_row(row) for row in rows], merged)
            workbook.close()
            xml = self._read_kinds(sheets)
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise WorkbookError(f"{self.path}: cannot be read as an .xlsx workbook ({error})") from error
        except Exception as error:  # calamine raises its own error types for damaged files
            raise WorkbookError(f"{self.path}: cannot be read as an .xlsx workbook ({error})") from error
        return Snapshot(sheets, version=version, formatting_ok=self._formatting_present(sheets, xml))

    def _read_kinds(self, sheets: dict[str, Sheet]) -> str | None:
        """Put the error cells and formulas without a value that calamine read as blank into ``sheets``; return
        the Tickets worksheet's XML without its cells (for the formatting check). A worksheet is decoded only
        when its stored bytes may hold such a cell."""
        from tickets import find_tab

        tickets_tab = find_tab(sheets, "tickets")
        tickets_xml = None
        with zipfile.ZipFile(self.path) as archive:
            for name, sheet in sheets.items():
                member = worksheet_member(archive, name)
                if member is None:
                    continue
                data = archive.read(member)
                if name == tickets_tab:
                    tickets_xml = outside_cells(data)
                if may_hold_formulas_or_errors(data):
                    xml = data.decode("utf-8")
                    if has_formulas_or_errors(xml):
                        _put_cells(sheet.rows, special_cells(xml))
        return tickets_xml

    def _formatting_present(self, sheets: dict[str, Sheet], xml: str | None) -> bool:
        """Whether everything the daemon keeps on the Tickets tab (its worksheet ``xml``) is in place; what is
        not is logged. Problems beyond the colours (frozen panes, the filter, drop-downs cut short) are
        remembered for ``apply``."""
        from tickets import find_tab, match_headers

        self._layout_repairs = []
        tickets_tab = find_tab(sheets, "tickets")
        if tickets_tab is None:
            return True
        rows = sheets[tickets_tab].rows
        if xml is None:
            return False
        problems = tickets_layout_problems(xml, match_headers(rows[0] if rows else []).positions, choice_keys())
        if problems:
            log.info("%s: %s; putting them back", self.path.name, "; ".join(problems))
        self._layout_repairs = [problem for problem in problems if "colour" not in problem]
        return not problems

    # -- writing -------------------------------------------------------------------------------------------

    def apply(self, changes: ChangeSet, snapshot: Snapshot) -> None:
        """Write ``changes`` into the file, atomically. Raise WriteDeferred if it is open or changed since read.

        The changes are streamed into the package (``sync.backends.xlsx.package``); only a workbook the package
        writer refuses is loaded and saved with openpyxl instead.
        """
        if not changes:
            return
        self._ensure_writable(snapshot)
        # The package writer puts colours back; frozen panes, a lost filter and stretched drop-downs need openpyxl.
        repairs = changes.formatting is not None and bool(self._layout_repairs)
        if changes.tickets_tab in snapshot.sheets and not repairs:
            try:
                self._save(lambda temporary: self._stream(changes, snapshot, temporary), snapshot)
                return
            except PatchRefused as refusal:
                log.info("%s: writing with openpyxl instead of streaming the changes (%s)", self.path.name, refusal)
        self._save(lambda temporary: self._rewrite(changes, snapshot, temporary), snapshot)

    def _stream(self, changes: ChangeSet, snapshot: Snapshot, temporary: Path) -> None:
        """Stream every change into ``temporary`` in one pass over the package. Raise PatchRefused if they cannot
        be streamed in."""
        rows, unless_formula, columns = _cell_writes(changes, snapshot.sheets[changes.tickets_tab])
        edits = PackageEdits(cells={changes.tickets_tab: rows}, unless_formula={changes.tickets_tab: unless_formula},
                             tickets_tab=changes.tickets_tab)
        for name, tab in changes.tabs.items():
            sheet = snapshot.sheets.get(name)
            in_place = tab_order(snapshot.tab_names, name, changes.tickets_tab, tab.after_tickets) == snapshot.tab_names
            laid_out = not tab.print_wide or self._prints_wide(name)  # a tab from before print settings: rewrite
            if sheet is not None and in_place and laid_out and _same_layout(sheet.rows, tab):
                edits.cells[name] = _differences(sheet.rows, tab.rows)  # its charts keep pointing at the same cells
            else:
                edits.tabs[name] = tab
        if changes.formatting is not None:
            edits.formatting = (changes.tickets_tab, columns, changes.formatting)
        tickets = snapshot.sheets[changes.tickets_tab].rows
        edits.filter_to_row[changes.tickets_tab] = max([last_ticket_row(tickets), *(index + 1 for index in rows)])
        write_package(self.path, temporary, edits)

    def _prints_wide(self, name: str) -> bool:
        """Whether sheet ``name`` of the file is set to print fitted to the page (``fitToPage`` comes first in a
        worksheet's XML, so only its start is read)."""
        with zipfile.ZipFile(self.path) as archive:
            member = worksheet_member(archive, name)
            if member is None:
                return False
            with archive.open(member) as stream:
                start = stream.read(4096)
                return b'fitToPage="1"' in start or b'fitToPage="true"' in start  # openpyxl's, LibreOffice's

    def _rewrite(self, changes: ChangeSet, snapshot: Snapshot, temporary: Path) -> None:
        """Load the whole workbook with openpyxl, apply ``changes`` and save it to ``temporary``."""
        import openpyxl

        workbook = openpyxl.load_workbook(self.path, rich_text=True)  # keeps a person's bold word in a cell
        tickets = workbook[changes.tickets_tab]
        columns = _add_columns(tickets, changes)
        _write_cells(tickets, changes, columns)
        read = snapshot.sheets.get(changes.tickets_tab)  # the file is as read: its version was checked
        for index, cells in appended_rows(changes.append, read.rows if read else [], columns).items():
            for position, value in cells.items():
                _set_value(tickets.cell(row=index + 1, column=position + 1), value)
        for name, tab in changes.tabs.items():
            _replace_tab(workbook, name, tab, changes.tickets_tab)
        appended = appended_rows(changes.append, read.rows if read else [], columns)
        last_row = max([last_ticket_row(read.rows if read else []), *(index + 1 for index in appended)])
        if changes.formatting is not None:
            apply_ticket_formatting(tickets, columns, changes.formatting, last_row)
        elif tickets.auto_filter.ref:  # rows appended since: the filter reaches down to the last ticket
            tickets.auto_filter.ref = re.sub(r"\d+$", str(max(last_row, 2)), tickets.auto_filter.ref)
        # openpyxl keeps formulas but not their last results: have Excel and LibreOffice recalculate on opening,
        # and put back the results the file held, so the next read (and any reader that does not calculate)
        # still finds the values of people's formulas.
        workbook.calculation.fullCalcOnLoad = True
        workbook.save(temporary)
        keep_formula_results(self.path, temporary)

    def _ensure_writable(self, snapshot: Snapshot) -> None:
        """Raise WriteDeferred if a live lock file says the workbook is open, naming its owner and age, or if the
        file changed since ``snapshot``. A stale lock (see ``sync.backends.xlsx.locks``) is logged loudly and
        ignored."""
        now = datetime.now()
        for lock in map(read_lock, lock_files(self.path)):
            if lock.is_stale(now, self.stale_lock_hours):
                log.warning(
                    "STALE LOCK ignored: %s — older than [workbook] stale_lock_hours = %g and %s is not running on "
                    "this host; writing anyway (delete the lock file to silence this)",
                    lock.describe(now), self.stale_lock_hours, lock.program)
                continue
            raise WriteDeferred(
                f"{self.path.name} is open in Excel or LibreOffice: {lock.describe(now)}; the write waits for the "
                f"next cycle (if nobody has it open any more, delete {lock.path})"
            )
        if _version(self.path) != snapshot.version:
            raise WriteDeferred(f"{self.path.name} was saved by someone during this cycle; the write waits for the next cycle")

    def _save(self, write: Callable[[Path], None], snapshot: Snapshot) -> None:
        """Have ``write`` produce the new workbook in a temporary file, then put it in place atomically.

        A workbook path that is a symlink is written through: the temporary file is made in the folder of the
        file the link points at and replaces that file, so the link stays a link and everybody who opens either
        name sees the same workbook.
        """
        target = real_file(self.path)
        self._remove_stale_temporaries(target)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=TEMPORARY_SUFFIX, dir=target.parent)
        os.close(handle)
        temporary_path = Path(temporary)
        try:
            write(temporary_path)
            # mkstemp makes the file private (0600); the workbook keeps the permissions people gave it.
            os.chmod(temporary_path, stat.S_IMODE(target.stat().st_mode))
            with open(temporary_path, "rb") as saved:
                os.fsync(saved.fileno())
            self._ensure_writable(snapshot)  # somebody may have saved while we wrote
            self._back_up()
            os.replace(temporary_path, target)
            _fsync_directory(target.parent)
        finally:
            temporary_path.unlink(missing_ok=True)

    @staticmethod
    def _remove_stale_temporaries(target: Path) -> None:
        """Delete temporary files left by a writer that was killed mid-save (one writer per workbook runs)."""
        for stale in target.parent.glob(f".{glob.escape(target.stem)}.*{TEMPORARY_SUFFIX}"):
            stale.unlink(missing_ok=True)

    def _back_up(self) -> None:
        if self.backup_dir is None or self.backups <= 0:
            return
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        backup = self.backup_dir / f"{self.path.stem}.{stamp}{self.path.suffix}"
        partial = backup.with_name(f".{backup.name}.partial")  # a killed copy never counts as a backup
        shutil.copy2(self.path, partial)
        os.replace(partial, backup)
        kept = sorted(self.backup_dir.glob(f"{glob.escape(self.path.stem)}.*{self.path.suffix}"))
        for old in kept[: -self.backups]:
            old.unlink(missing_ok=True)


def last_ticket_row(rows: list[list[Cell]]) -> int:
    """Return the 1-based number of the last row holding anything (1 when only the header is there)."""
    for index in range(len(rows) - 1, 0, -1):
        if any(value is not None for value in rows[index]):
            return index + 1
    return 1


def _clean_value(value: Any) -> Cell:
    if value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def _clean_row(row: list[Any]) -> list[Cell]:
    # Most cells are already plain: skip the call for them (a 100 000-row tab has millions of cells).
    cleaned = [value if value != "" and type(value) in PLAIN_TYPES else _clean_value(value) for value in row]
    while cleaned and cleaned[-1] is None:
        cleaned.pop()
    return cleaned


def _put_cells(rows: list[list[Cell]], cells: dict[tuple[int, int], Cell]) -> None:
    """Set each (row, column) of ``rows`` to its value, growing the ragged rows as needed."""
    for (row, column), value in cells.items():
        while len(rows) <= row:
            rows.append([])
        values = rows[row]
        if len(values) <= column:
            values.extend([None] * (column + 1 - len(values)))
        values[column] = value


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _add_columns(worksheet: Any, changes: ChangeSet) -> dict[str, int]:
    """Append the headers of missing computed columns; return every column's 0-based position."""
    columns = dict(changes.columns)
    next_column = _first_free_column(worksheet)
    for key, text in changes.add_columns.items():
        worksheet.cell(row=1, column=next_column, value=text)
        columns[key] = next_column - 1
        next_column += 1
    return columns


def _same_layout(current: list[list[Cell]], wanted: GeneratedTab) -> bool:
    """Whether the rows the tab's charts point at, and every row above them, keep their shape. A tab without
    charts may change in any way; rows below its last chart's data may come and go."""
    if not wanted.charts:
        return True
    charted = max(chart.last_row for chart in wanted.charts) + 1
    old, new = _trimmed(current), _trimmed(wanted.rows)
    if len(old) < charted or len(new) < charted:
        return False
    return all(_filled(before) == _filled(after) for before, after in zip(old[:charted], new[:charted], strict=True))


def _filled(row: list[Cell]) -> int:
    return sum(1 for value in row if value not in (None, ""))


def _trimmed(rows: list[list[Cell]]) -> list[list[Cell]]:
    rows = list(rows)
    while rows and all(value in (None, "") for value in rows[-1]):
        rows.pop()
    return rows


def _differences(current: list[list[Cell]], wanted: list[list[Cell]]) -> dict[int, dict[int, Cell]]:
    differences: dict[int, dict[int, Cell]] = {}
    for index in range(max(len(current), len(wanted))):
        old = current[index] if index < len(current) else []
        new = wanted[index] if index < len(wanted) else []
        for column in range(max(len(old), len(new))):
            before = old[column] if column < len(old) else None
            after = new[column] if column < len(new) else None
            if not _same_value(before, after):
                differences.setdefault(index, {})[column] = fit_cell_text(after)
    return differences


def _same_value(before: Cell, after: Cell) -> bool:
    if before in (None, "") and after in (None, ""):
        return True
    if isinstance(before, int | float) and isinstance(after, int | float) and not isinstance(after, bool):
        return float(before) == float(after)
    return before == after


def _cell_writes(
    changes: ChangeSet, tickets: Sheet
) -> tuple[dict[int, dict[int, Cell]], set[tuple[int, int]], dict[str, int]]:
    """Return the cells to patch ({row: {column: value}}, headers of added columns included), the input cells
    among them, which a formula keeps as a typed value does, and every column's position (added ones included) (the snapshot is the file as it is: its version was
    checked). The same choices as the openpyxl path: what a person typed in an input cell wins.
    """
    header = tickets.rows[0] if tickets.rows else []
    columns = dict(changes.columns)
    next_column = len(header)
    while next_column and header[next_column - 1] in (None, ""):
        next_column -= 1
    rows: dict[int, dict[int, Cell]] = {}
    for key, text in changes.add_columns.items():
        rows.setdefault(0, {})[next_column] = text
        columns[key] = next_column
        next_column += 1
    input_cells: set[tuple[int, int]] = set()
    covered = _covered(tickets.merged)
    for write in changes.cells:
        column = columns.get(write.column)
        if column is None or (write.row.index, column) in covered:
            continue
        row = rows.get(write.row.index, {})
        current = row[column] if column in row else tickets.cell(write.row.index, column)
        if may_write(write.column, current, write.replaces):
            rows.setdefault(write.row.index, row)[column] = fit_cell_text(write.value)
            if write.column not in COMPUTED_KEYS:
                input_cells.add((write.row.index, column))
    for index, cells in appended_rows(changes.append, tickets.rows, columns).items():
        rows.setdefault(index, {}).update({position: fit_cell_text(value) for position, value in cells.items()})
    return rows, input_cells, columns


def _covered(merged: list[tuple[int, int, int, int]]) -> set[tuple[int, int]]:
    """The cells merges hide: every cell of a merged range but its first (the one that shows)."""
    return {(row, column) for first_row, first_column, last_row, last_column in merged
            for row in range(first_row, last_row + 1) for column in range(first_column, last_column + 1)
            if (row, column) != (first_row, first_column)}


def _write_cells(worksheet: Any, changes: ChangeSet, columns: dict[str, int]) -> None:
    from openpyxl.cell.cell import MergedCell

    for write in changes.cells:
        position = columns.get(write.column)
        if position is None:
            continue
        cell = worksheet.cell(row=write.row.index + 1, column=position + 1)
        if isinstance(cell, MergedCell):  # hidden under a merge: the engine says so in the row's Check cell
            continue
        if may_write(write.column, cell.value, write.replaces):
            _set_value(cell, write.value)


def _first_free_column(worksheet: Any) -> int:
    header = [cell.value for cell in worksheet[1]]
    while header and header[-1] in (None, ""):
        header.pop()
    return len(header) + 1


def _replace_tab(workbook: Any, name: str, tab: GeneratedTab, tickets_tab: str) -> None:
    """Write generated ``tab`` whole as sheet ``name``, in its place (``sync.backends.port.tab_order``). The sheet
    shown on opening and the first tab in view stay the same sheets; openpyxl numbers the print titles and filters
    of every sheet by its new place when it saves."""
    from openpyxl.utils import get_column_letter

    from sync.backends.xlsx.writer import header_font

    order = tab_order(workbook.sheetnames, name, tickets_tab, tab.after_tickets)
    active = workbook.active.title if workbook.active is not None else None
    first_in_view = _first_sheet_in_view(workbook)
    if name in workbook.sheetnames:
        workbook.remove(workbook[name])
    worksheet = workbook.create_sheet(name, order.index(name))
    if active is not None:
        workbook.active = workbook.sheetnames.index(active)
    if first_in_view is not None and workbook.views:
        workbook.views[0].firstSheet = workbook.sheetnames.index(first_in_view)
    for row_number, row in enumerate(tab.rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if value is not None:
                _set_value(worksheet.cell(row=row_number, column=column_number), value)
    bold = header_font()  # named and sized like the body text: no program falls back to a serif for it
    for row_index in sorted({0, *tab.bold_rows}) if tab.rows else ():
        for cell in worksheet[row_index + 1]:
            cell.font = bold
    for (row_index, column_index), code in tab.number_formats.items():
        worksheet.cell(row=row_index + 1, column=column_index + 1).number_format = code
    for position, width in enumerate(tab.widths, start=1):
        worksheet.column_dimensions[get_column_letter(position)].width = width
    if tab.charts:
        from sync.backends.xlsx.charts import add_charts

        add_charts(worksheet, tab.charts)
    _lay_out_for_print(worksheet, tab)


def _first_sheet_in_view(workbook: Any) -> str | None:
    """The title of the first tab shown in the tab bar (the workbook view's ``firstSheet``), if known."""
    if not workbook.views:
        return None
    first = workbook.views[0].firstSheet or 0
    return workbook.sheetnames[first] if first < len(workbook.sheetnames) else None


def _lay_out_for_print(worksheet: Any, tab: GeneratedTab) -> None:
    """Wrap ``tab.wrap_columns``, centre ``tab.centred_columns``; with ``tab.print_wide`` print landscape, one page wide, breaking pages before
    ``tab.page_breaks``."""
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.pagebreak import Break, RowBreak

    from sync.backends.xlsx.writer import print_wide

    for column in {*tab.wrap_columns, *tab.centred_columns}:
        alignment = Alignment(wrap_text=column in tab.wrap_columns,
                              horizontal="center" if column in tab.centred_columns else None)
        for row in range(1, len(tab.rows) + 1):
            worksheet.cell(row=row, column=column + 1).alignment = alignment
    for row, lines in tab.row_lines.items():
        worksheet.row_dimensions[row + 1].height = ROW_HEIGHT_POINTS * lines
    if tab.print_wide:
        print_wide(worksheet, header_rows=0)
        worksheet.page_margins.left = worksheet.page_margins.right = PRINT_SIDE_MARGIN
        worksheet.page_margins.top = worksheet.page_margins.bottom = PRINT_TOP_MARGIN
        worksheet.row_breaks = RowBreak()
        for row in tab.page_breaks:
            worksheet.row_breaks.append(Break(id=row))  # a break after 1-based row ``row``: 0-based ``row`` starts


def _set_value(cell: Any, value: Cell) -> None:
    """Put a value in a cell as data: text that starts with ``=`` stays text, datetimes get a readable format,
    text loses characters a workbook cannot carry and is cut to Excel's cell limit."""
    value = fit_cell_text(value)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
