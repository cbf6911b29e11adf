"""Workbook templates (en, zh) as data, a backend-neutral builder, an .xlsx writer and sample tickets.

``sync.backends.xlsx.writer.write_xlsx(build_spec("zh", sample=20, now=now), path)`` makes a new Chinese workbook with 20 sample tickets.
"""

from sheets_templates.builder import (
    COMPUTED_HEADER_FILL,
    DROPDOWN_LAST_ROW,
    LEGEND_FILLS,
    LIST_LAST_ROW,
    TabSpec,
    Value,
    WorkbookSpec,
    build_spec,
    display_width,
    list_column_range,
    lists_range,
)
from sheets_templates.samples import sample_tickets
from sheets_templates.template import LANGUAGES, LIST_KEYS, list_values, load_template

__all__ = [
    "COMPUTED_HEADER_FILL",
    "DROPDOWN_LAST_ROW",
    "LEGEND_FILLS",
    "LIST_LAST_ROW",
    "LANGUAGES",
    "LIST_KEYS",
    "TabSpec",
    "Value",
    "WorkbookSpec",
    "build_spec",
    "display_width",
    "lists_range",
    "list_column_range",
    "list_values",
    "load_template",
    "sample_tickets",
]
