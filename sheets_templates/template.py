"""The workbook templates as data: one TOML file per language, shipped inside the package.

``en.toml`` and ``zh.toml`` hold every word, list value, rule row, liaison, calendar date, How-to line and
sample-data phrase a new workbook shows. Tab names, Tickets headers and statuses are not in them: those come
from ``tickets`` so the two never drift apart.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from tickets import Status, label

__all__ = ["LANGUAGES", "LIST_KEYS", "load_template", "list_values", "list_header", "rule_header"]

LANGUAGES: tuple[str, ...] = ("en", "zh")

# The columns of the Lists tab, left to right; each key is a `choices` key of tickets.columns (or "grade").
LIST_KEYS: tuple[str, ...] = ("grade", "tier", "category", "channel", "request", "status", "yes_no")


@cache
def load_template(language: str) -> dict[str, Any]:
    """Given "en" or "zh", return that template's data. Raise ValueError for any other language."""
    if language not in LANGUAGES:
        raise ValueError(f'unknown template language "{language}" — use one of: {", ".join(LANGUAGES)}')
    text = resources.files(__package__).joinpath(f"{language}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def list_values(language: str) -> dict[str, list[str]]:
    """Return the allowed values of each Lists column (by key in ``LIST_KEYS``) in ``language``.

    Statuses are every ``Status`` label in the language, in loop order.
    """
    lists = load_template(language)["lists"]
    values = {key: list(lists[key]) for key in LIST_KEYS if key != "status"}
    values["status"] = [status.label(language) for status in Status]
    return {key: values[key] for key in LIST_KEYS}


def list_header(key: str, language: str) -> str:
    """Return the Lists tab header of list ``key``: the Tickets column's label, or the Yes/No word."""
    if key == "yes_no":
        return load_template(language)["words"]["yes_no_header"]
    return label(key, language)


def rule_header(key: str, language: str) -> str:
    """Return how a rule tab names ``key``: a Tickets column's label, or a rule output word such as
    "Response hours" for keys that are not columns."""
    words = load_template(language)["words"]
    return words[key] if key in words else label(key, language)
