"""Addresses and header text: what may go into a mail header.

Everything here comes from the sheet, typed by people; a header value must never carry a line break (header
injection) or a control character, and an address must be one plain ``local@domain``.
"""

from __future__ import annotations

import re
import unicodedata
from email.errors import HeaderParseError
from email.headerregistry import Address
from functools import lru_cache

__all__ = ["is_valid_email", "clean_header_text", "make_address"]

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_MAX_HEADER_TEXT = 200


def is_valid_email(text: object) -> bool:
    """Return True if ``text`` is one plain address (``local@domain.tld``), nothing around it."""
    return isinstance(text, str) and _is_plain_address(text)


@lru_cache(maxsize=4096)  # a cycle asks about the same few liaisons' addresses for every ticket
def _is_plain_address(text: str) -> bool:
    candidate = text.strip()
    return bool(_EMAIL.fullmatch(candidate)) and len(candidate) <= 254


def clean_header_text(text: object, limit: int = _MAX_HEADER_TEXT) -> str:
    """Return ``text`` as one line fit for a header: control and line-separator characters become spaces,
    runs of spaces collapse, and it is cut to ``limit`` characters."""
    written = "" if text is None else str(text)  # 0 is a count, not a blank
    characters = (" " if _is_control(character) else character for character in written)
    line = " ".join("".join(characters).split())
    return line[:limit].rstrip()


def _is_control(character: str) -> bool:
    # Cc covers CR, LF, TAB, NUL, DEL; Zl/Zp are U+2028/U+2029, which some mail clients treat as newlines.
    return unicodedata.category(character) in {"Cc", "Cf", "Zl", "Zp"}


def make_address(email: str, display_name: str | None = None) -> Address:
    """Return a header Address for ``email`` (checked) with a cleaned display name.

    Raise ValueError if ``email`` is not a plain address.
    """
    if not is_valid_email(email):
        raise ValueError(f"not an email address: {email!r}")
    try:
        return Address(display_name=clean_header_text(display_name or ""), addr_spec=email.strip())
    except (HeaderParseError, IndexError) as error:
        raise ValueError(f"not an email address: {email!r}") from error
