"""Colours and drop-downs on the Tickets tab of an .xlsx, as conditional formatting that follows the rows.

Rules cover the whole table (row 2 to the sheet's end), keyed on the SLA and Check columns by formula, so
sorting or filtering by any column keeps each row's colour. Each formula carries a marker naming the columns it
was written for (``N("sheetdesk SLA=AD Check=AH")=0``, always true): if a person removes the rules or moves
those columns, the marker no longer matches and the rules are written again.
"""

from __future__ import annotations

from typing import Any

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from sheets_templates import DROPDOWN_LAST_ROW
from sync.backends.port import FormattingSpec, formatting_marker

__all__ = ["apply_ticket_formatting", "add_list_dropdown"]

LAST_ROW = DROPDOWN_LAST_ROW  # Excel's last row: rules and drop-downs cover whole columns


def _fill(colour: str) -> PatternFill:
    return PatternFill(start_color=colour, end_color=colour, fill_type="solid")


def apply_ticket_formatting(worksheet: Any, columns: dict[str, int], spec: FormattingSpec) -> None:
    """Replace our conditional formatting on the Tickets ``worksheet`` and add missing drop-downs."""
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
    covered = set()
    for validation in worksheet.data_validations.dataValidation:
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
    letter = get_column_letter(column + 1)
    validation = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=False)
    validation.add(f"{letter}2:{letter}{LAST_ROW}")
    worksheet.add_data_validation(validation)
