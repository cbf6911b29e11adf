"""What ``sheetdesk report [--json]`` prints: the KPIs as terminal tables, or as JSON.

The tables are the Dashboard's sections (``sync.tabs.dashboard.kpi_sections``), so the terminal and the tab always
show the same figures under the same labels.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sync.backends.port import Cell
from sync.tabs.dashboard import Section, kpi_sections, text
from tickets.kpi import Kpis

__all__ = ["render_report", "report_json"]


def render_report(kpis: Kpis, language: str) -> RenderableType:
    """Return the KPIs as a rich renderable: a heading, then one table per dashboard section."""
    heading = Text(f"{text('title', language)} — {kpis.as_of:%Y-%m-%d %H:%M}", style="bold")
    tables = [section_table(section, language) for section in kpi_sections(kpis, language)]
    return Group(heading, *tables)


def section_table(section: Section, language: str) -> Table:
    """Return one section as a table: text left, numbers right, "(none)" when it has no rows."""
    table = Table(title=section.title, title_justify="left", title_style="bold")
    sample = section.rows[0] if section.rows else ()
    for position, header in enumerate(section.headers):
        numeric = position < len(sample) and isinstance(sample[position], int | float)
        table.add_column(header, justify="right" if numeric else "left")
    for row in section.rows:
        table.add_row(*(_shown(cell) for cell in row))
    if not section.rows:
        table.add_row(text("none", language))
    return table


def _shown(cell: Cell) -> str:
    return "" if cell is None else str(cell)


def report_json(kpis: Kpis | Mapping[str, Kpis]) -> str:
    """Return what ``report --json`` prints: one desk's KPIs (``Kpis.to_dict``), or ``{desk: KPIs}`` for several,
    as indented JSON with Chinese text kept readable rather than escaped."""
    document = kpis.to_dict() if isinstance(kpis, Kpis) else {name: each.to_dict() for name, each in kpis.items()}
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)
