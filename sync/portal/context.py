"""What the portal's views share: its config, the state store and tokens of the app serving the request, and
rendering a page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, render_template

from sync.customers import CustomerStore
from sync.portal.complaint_form import ComplaintForm
from sync.portal.tokens import Tokens

__all__ = ["PortalConfig", "Submit", "Portal", "portal", "page"]

EXTENSION = "sheetdesk.portal"


# Take in a valid complaint: (the form, when it came, the page's language, a reference naming this form's one
# submission) -> its ticket number. The service wires it to ``sync.intake.take_in``.
Submit = Callable[[ComplaintForm, datetime, str, str], str]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PortalConfig:
    """What the portal needs: the signing ``secret``, the state store file, how to take in a complaint."""

    secret: str
    state_path: Path
    submit: Submit
    public_url: str = "http://127.0.0.1:8080"
    language: str | None = None  # None: the desk's language as the last cycle saw it
    clock: Callable[[], datetime] = _utc_now
    form_per_ip_per_hour: int = 10
    form_per_address_per_day: int = 5
    lookups_per_ip_per_hour: int = 20
    behind_proxy: bool = False  # trust one X-Forwarded-For/-Proto hop (the reverse proxy's)
    on_queued: Callable[[], None] | None = None  # told when something waits for a cycle (the daemon wakes)
    desk: str = ""  # "" for the main desk, else the [[teams]] name its tokens are bound to


@dataclass(frozen=True)
class Portal:
    """What the views share: the config, the store and the tokens."""

    config: PortalConfig
    store: CustomerStore
    tokens: Tokens

    def now(self) -> datetime:
        return self.config.clock()

    def queued(self) -> None:
        """Something waits for the next cycle: tell whoever runs cycles (the daemon starts one at once)."""
        if self.config.on_queued is not None:
            self.config.on_queued()


def portal() -> Portal:
    """The portal of the app serving this request."""
    return current_app.extensions[EXTENSION]


def page(template: str, **context: object) -> str:
    """Render ``template`` with the language helpers and a CSRF token in scope."""
    return render_template(template, **context)
