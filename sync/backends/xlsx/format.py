"""What the daemon keeps on the Tickets tab of an .xlsx: colours, drop-downs, the filter and the frozen panes.

Colour rules cover the whole table (row 2 to the sheet's end), keyed on the SLA and Check columns by formula, so
sorting or filtering by any column keeps each row's colour. Each formula carries a marker naming the columns it
was written for (``N("sheetdesk SLA=AD Check=AH")=0``, always true): if a person removes the rules or moves
those columns, the marker no longer matches and the rules are written again. The Check rule stops the others
("stop if true"), so a row with a problem shows the problem colour whatever its SLA state.

``tickets_layout_problems`` reads the sheet's XML and names what is missing or broken — the marker, "stop if
true", a drop-down shorter than the table (LibreOffice saves them down to row 1041), frozen panes (B2 unless a
person chose another place),
a missing filter or one that leaves out columns — and ``apply_ticket_formatting`` puts all of it back. The
filter's rows need no re-application: every write (patched or rewritten) stretches it down to the last ticket
row, and a new row always brings a write (its computed cells).
"""

from __future__ import annotations

import re
from typing import Any

from sheets_templates import DROPDOWN_LAST_ROW
from sync.backends.port import FormattingSpec, formatting_marker
from sync.backends.xlsx.formulas import cells_span
from tickets import TABS, TICKET_COLUMNS, column_index

__all__ = ["apply_ticket_formatting", "add_list_dropdown", "tickets_layout_problems", "choice_keys", "FROZEN_AT"]

LAST_ROW = DROPDOWN_LAST_ROW  # Excel's last row: rules and drop-downs cover whole columns
DROPDOWN_MIN_LAST_ROW = 5000  # a Lists-fed drop-down ending above this row was cut short (LibreOffice does that)
FROZEN_AT = "B2"  # the header row and the Ticket ID column stay in view
_AUTOFILTER = re.compile(r"<(?:\w+:)?autoFilter\b[^>]*\bref=\"([A-Z]+)1:([A-Z]+)(\d+)\"")
_PANE = re.compile(r"<(?:\w+:)?pane\b[^>]*>")
_VALIDATION = re.compile(r"<(?:\w+:)?dataValidation\b([^>]*)>(.*?)</(?:\w+:)?dataValidation>", re.DOTALL)
_SQREF = re.compile(r"\bsqref=\"([^\"]*)\"")
_RANGE = re.compile(r"([A-Z]+)\d+(?::([A-Z]+)(\d+))?")


def _fill(colour: str) -> Any:
    from openpyxl.styles import PatternFill

    return PatternFill(start_color=colour, end_color=colour, fill_type="solid")


def choice_keys() -> set[str]:
    """The Tickets columns that take their values from a list on the Lists tab (the ones with drop-downs)."""
    return {column.key for column in TICKET_COLUMNS if column.choices}


def tickets_layout_problems(xml: str, columns: dict[str, int], dropdown_keys: set[str]) -> list[str]:
    """Given the Tickets sheet's XML, its header ``columns`` (key -> 0-based position, as read) and the keys of
    the columns that carry drop-downs, return what is missing or broken, in words for the log (empty when all
    is in place)."""
    span = cells_span(xml)
    if span is not None:  # what is checked is all before or after the cells: not scanned through them
        xml = xml[: span[0]] + xml[span[1]:]
    problems = []
    if formatting_marker(columns) not in xml:
        problems.append("the colour rules are missing or name moved columns")
    elif "check" in columns and 'stopIfTrue="1"' not in xml and "stopIfTrue=\"true\"" not in xml:
        problems.append('the Check colour lost its "stop if true"')
    problems += _dropdown_problems(xml, columns, dropdown_keys)
    if not _panes_frozen(xml):
        problems.append("the panes are no longer frozen")
    if not _filter_spans_columns(xml, columns):
        problems.append("the filter is missing or leaves out columns")
    return problems


def _dropdown_problems(xml: str, columns: dict[str, int], dropdown_keys: set[str]) -> list[str]:
    reach: dict[int, int] = {}
    for attributes, content in _VALIDATION.findall(xml):
        sqref = _SQREF.search(attributes)
        if sqref is None or not feeds_from_lists(content):
            continue  # a person's own list (say, of handlers) may be as short as they like
        for start, end, end_row in _RANGE.findall(sqref.group(1)):
            for column in range(column_index(start) + 1, column_index(end or start) + 2):
                reach[column] = max(reach.get(column, 0), int(end_row or 0))
    # Only a drop-down that is there but cut short counts: one a workbook never had (no list for it) is no loss.
    short = [key for key in sorted(dropdown_keys) if key in columns
             and 0 < reach.get(columns[key] + 1, 0) < DROPDOWN_MIN_LAST_ROW]
    return [f"the drop-downs of {', '.join(short)} are cut short"] if short else []


def feeds_from_lists(formula: str) -> bool:
    """Whether a drop-down's list formula is a range on the Lists tab (the template's drop-downs are)."""
    return any(f"{name}!" in formula or f"{name}'!" in formula for name in (TABS["lists"].en, TABS["lists"].zh))


def _panes_frozen(xml: str) -> bool:
    """Whether some panes are frozen: where is the person's choice (B2 from the template); none means lost."""
    pane = _PANE.search(xml)
    return pane is not None and 'state="frozen"' in pane.group(0)


def _filter_spans_columns(xml: str, columns: dict[str, int]) -> bool:
    """Whether there is a filter from column A over every header column (its rows are kept right by every
    write instead: see the module docstring)."""
    found = _AUTOFILTER.search(xml)
    if found is None:
        return False
    first, last, _ = found.groups()
    return first == "A" and column_index(last) >= max(columns.values(), default=0)


def apply_ticket_formatting(
    worksheet: Any, columns: dict[str, int], spec: FormattingSpec, last_row: int | None = None
) -> None:
    """Put back everything ``tickets_layout_problems`` checks on the Tickets ``worksheet``: our colour rules
    (replaced), the drop-downs (added where missing or short), the panes frozen at B2 when none are, and the filter over
    rows 1 to ``last_row`` (the last ticket row; default the sheet's last row) and every header column."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.utils import get_column_letter

    _remove_our_rules(worksheet)
    width = max(worksheet.max_column, max(columns.values(), default=0) + 1)
    table = f"A2:{get_column_letter(width)}{LAST_ROW}"
    marker = f'N("{formatting_marker(columns)}")=0'
    if "check" in columns:
        check = get_column_letter(columns["check"] + 1)
        worksheet.conditional_formatting.add(
            table, FormulaRule(formula=[f'AND(LEN(${check}2)>0,{marker})'], fill=_fill(spec.CHECK), stopIfTrue=True)
        )
    if "sla" in columns:
        sla = get_column_letter(columns["sla"] + 1)
        colours = {"overdue": spec.OVERDUE, "due_soon": spec.DUE_SOON, "paused": spec.PAUSED, "closed": spec.CLOSED}
        for state, colour in colours.items():
            text = spec.sla_labels.get(state)
            if text:
                formula = f'AND(${sla}2="{text}",{marker})'
                worksheet.conditional_formatting.add(table, FormulaRule(formula=[formula], fill=_fill(colour)))
    _add_dropdowns(worksheet, columns, spec.dropdowns)
    if not worksheet.freeze_panes:  # a person's own frozen panes stay as they are
        worksheet.freeze_panes = FROZEN_AT
    bottom = max(last_row if last_row is not None else worksheet.max_row, 2)
    worksheet.auto_filter.ref = f"A1:{get_column_letter(width)}{bottom}"


def _remove_our_rules(worksheet: Any) -> None:
    formatting = worksheet.conditional_formatting
    kept = []
    for conditional in formatting:
        rules = [rule for rule in conditional.rules if not any("sheetdesk" in text for text in rule.formula or [])]
        if rules:
            kept.append((conditional.sqref, rules))
    formatting._cf_rules.clear()
    for sqref, rules in kept:
        for rule in rules:
            formatting.add(str(sqref), rule)


def _add_dropdowns(worksheet: Any, columns: dict[str, int], dropdowns: dict[str, str]) -> None:
    """Stretch every drop-down of a choice column that was cut short back down the whole column (keeping its
    list), then add each drop-down whose column has none."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import MultiCellRange

    choice_columns = {columns[key] + 1 for key in choice_keys() if key in columns}
    covered = set()
    for validation in worksheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            short = 2 <= cell_range.min_row and cell_range.max_row < DROPDOWN_MIN_LAST_ROW
            if cell_range.min_col in choice_columns and short and feeds_from_lists(validation.formula1 or ""):
                validation.sqref = MultiCellRange(
                    [f"{get_column_letter(cell_range.min_col)}{cell_range.min_row}:"
                     f"{get_column_letter(cell_range.max_col)}{LAST_ROW}" if other is cell_range else other.coord
                     for other in validation.sqref.ranges])
                break
        for cell_range in validation.sqref.ranges:
            covered.update(range(cell_range.min_col, cell_range.max_col + 1))
    for key, source in dropdowns.items():
        if key not in columns or columns[key] + 1 in covered:
            continue
        add_list_dropdown(worksheet, columns[key], source)


def add_list_dropdown(worksheet: Any, column: int, source: str) -> None:
    """Add a list drop-down fed by ``source`` to rows 2 to ``LAST_ROW`` of 0-based ``column``: the one place
    the xlsx backend writes drop-downs, for the template and for the daemon. A value off the list is allowed
    (the Check cell explains it), so people can type aliases and the other language."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(column + 1)
    validation = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=False)
    validation.add(f"{letter}2:{letter}{LAST_ROW}")
    worksheet.add_data_validation(validation)
