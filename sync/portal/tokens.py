"""Signed, expiring links and form tokens (itsdangerous), read against an injected clock.

Every token is signed with the portal's secret and a *salt* naming what it is for, so a status link can never
be used as a survey link. Link tokens carry the ticket ID (and for answers the round); the form token carries a
one-time nonce and, through its signed timestamp, when the form was rendered.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

__all__ = ["Tokens", "LinkToken", "STATUS_LINK_AGE", "ANSWER_LINK_AGE", "FORM_MIN_AGE", "FORM_MAX_AGE"]

STATUS_LINK_AGE = timedelta(days=7)
ANSWER_LINK_AGE = timedelta(days=14)
FORM_MIN_AGE = timedelta(seconds=3)  # a person needs longer than this to fill the form
FORM_MAX_AGE = timedelta(days=1)

_AGES = {"status": STATUS_LINK_AGE, "confirm": ANSWER_LINK_AGE, "survey": ANSWER_LINK_AGE}


@dataclass(frozen=True)
class LinkToken:
    """What a valid link names: the ticket, and for answers the round it was sent for."""

    ticket_id: str
    round: int = 0


class Tokens:
    """Make and read the portal's tokens with ``secret``; ``clock`` gives the current (aware) time.

    ``desk`` names the desk the tokens are for ("" for the main desk, a ``[[teams]]`` name for a team's): it is
    part of every salt, so a link made for one desk's ticket never opens another desk's ticket of the same number.
    """

    def __init__(self, secret: str, clock: Callable[[], datetime], desk: str = "") -> None:
        self.clock = clock
        signer_clock = clock

        class _ClockSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(signer_clock().timestamp())

        def serializer(salt: str) -> URLSafeTimedSerializer:
            scope = f"sheetdesk.team.{desk}" if desk else "sheetdesk"  # the main desk's links predate teams
            return URLSafeTimedSerializer(secret, salt=f"{scope}.{salt}", signer=_ClockSigner)

        self._serializers = {purpose: serializer(purpose) for purpose in ("status", "confirm", "survey", "form")}

    # -- links in mail -------------------------------------------------------------------------------------

    def link(self, purpose: str, ticket_id: str, round_: int = 0) -> str:
        """Return a token for a ``purpose`` link ("status", "confirm", "survey") to ``ticket_id``."""
        return self._serializers[purpose].dumps({"t": ticket_id, "r": round_})

    def read_link(self, purpose: str, token: str) -> LinkToken | None:
        """Return what a ``purpose`` token names, or None if it is forged, for another purpose, or expired."""
        try:
            data = self._serializers[purpose].loads(token, max_age=int(_AGES[purpose].total_seconds()))
        except (BadSignature, SignatureExpired, UnicodeError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("t"), str) or not isinstance(data.get("r"), int):
            return None
        return LinkToken(data["t"], data["r"])

    # -- the complaint form ----------------------------------------------------------------------------------

    def form(self) -> str:
        """Return a fresh form token: a one-time nonce, signed with the time the form is rendered."""
        return self._serializers["form"].dumps(secrets.token_urlsafe(12))

    def read_form(self, token: str) -> tuple[str | None, str]:
        """Return ``(nonce, "")`` for a form token of the right age, else ``(None, reason)`` with reason one of
        "forged", "too_fast", "too_old"."""
        try:
            nonce, signed_at = self._serializers["form"].loads(token, return_timestamp=True)
        except SignatureExpired:
            return None, "too_old"
        except (BadSignature, UnicodeError, ValueError):
            return None, "forged"
        age = self.clock() - signed_at
        if age > FORM_MAX_AGE:
            return None, "too_old"
        if age < FORM_MIN_AGE:
            return None, "too_fast"
        return (nonce, "") if isinstance(nonce, str) else (None, "forged")
