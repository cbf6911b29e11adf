"""Reading the complaint form: every field checked, each problem kept beside its field.

The values go through the same pydantic model as a row of the Tickets tab (``tickets.Ticket``) and the same
choice check as the sheet's (``check_choices`` against the Lists tab as the last cycle published it), so the
portal accepts exactly what a valid row may hold. Text stays text: nothing here interprets it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC

from mailers.addresses import is_valid_email
from tickets import Ticket
from tickets.model import RowContext, check_choices, read_cells

__all__ = ["ComplaintForm", "read_complaint_form", "FIELDS", "LIMITS"]

FIELDS = ("customer", "email", "phone", "product", "category", "order_no", "description")
REQUIRED = ("customer", "email", "product", "description")
LIMITS = {"customer": 100, "email": 254, "phone": 40, "product": 100, "category": 100, "order_no": 60,
          "description": 5000}


@dataclass
class ComplaintForm:
    """The form as sent: ``values`` by field (stripped), ``errors`` by field as text keys (``text.TEXT``)."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    ticket: Ticket | None = None

    @property
    def valid(self) -> bool:
        return not self.errors


def read_complaint_form(form: Mapping[str, str], categories: Sequence[str]) -> ComplaintForm:
    """Given the posted fields and the allowed categories, return the form with its values and errors."""
    values = {name: str(form.get(name, "") or "").strip() for name in FIELDS}
    result = ComplaintForm(values)
    for name in FIELDS:
        if len(values[name]) > LIMITS[name]:
            result.errors[name] = "too_long"
        elif name in REQUIRED and not values[name]:
            result.errors[name] = "required"
    if values["email"] and "email" not in result.errors and not is_valid_email(values["email"]):
        result.errors["email"] = "bad_email"
    if categories and not values["category"]:
        result.errors.setdefault("category", "required")
    if not result.errors:
        _check_as_a_row(result, categories)
    return result


def _check_as_a_row(result: ComplaintForm, categories: Sequence[str]) -> None:
    """Read the values as the cycle reads a row; a cell problem becomes an error beside its field."""
    values = result.values
    contact = values["email"] + (f" / {values['phone']}" if values["phone"] else "")
    cells = {"customer": values["customer"], "contact": contact, "product": values["product"],
             "category": values["category"] or None, "description": values["description"]}
    data, problems = read_cells(cells, UTC)
    ticket = Ticket.model_validate({"row": 0, **data})
    problems += check_choices(ticket, RowContext(allowed={"category": list(categories)}))
    for problem in problems:
        result.errors[problem.column if problem.column in FIELDS else "description"] = (
            "bad_choice" if problem.code == "unknown_value" else "required"
        )
    result.ticket = ticket
