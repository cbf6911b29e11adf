"""The customer portal in the shell (docs/portal.md): its secret, the signed links the cycle puts in mail, and
the portal's server for ``sheetdesk serve`` and ``sheetdesk run``.

The portal serves every desk: the main desk (the ``[workbook]`` of config.toml) at ``/``, each ``[[teams]]``
desk at ``/<team name>/``, each with its own state store, intake and links (signed for that desk only).
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from sync.customer_loop import CustomerLoop
from sync.customers import CustomerStore
from sync.errors import ConfigError
from sync.intake import CHANNEL_WEBSITE, Complaint, take_in
from sync.intake.acknowledge import acknowledgement_id
from sync.portal import ComplaintForm, PortalConfig, PortalServer, Submit, Tokens, create_app
from sync.service.config import PortalSettings, Settings
from sync.state import STATE_FILE, StateStore

__all__ = [
    "portal_secret",
    "PortalLinks",
    "customer_loop",
    "intake_submit",
    "open_portal",
    "serve_portal",
    "MIN_SECRET_LENGTH",
    "desk_path",
    "check_team_paths",
]

log = logging.getLogger(__name__)
MIN_SECRET_LENGTH = 16
TEAM_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  # a team's name is the first segment of its pages' paths
RESERVED_PATHS = frozenset({"s", "fixed", "survey", "status", "static"})  # the main desk's pages
_PATHS = {"status": "/s/", "confirm": "/fixed/", "survey": "/survey/"}


def portal_secret(portal: PortalSettings, environ: Mapping[str, str] | None = None) -> str:
    """Return the signing secret from the variable ``[portal] secret_env`` names. Raise ConfigError if unset
    or too short to resist guessing."""
    environ = os.environ if environ is None else environ
    secret = environ.get(portal.secret_env, "")
    if len(secret) < MIN_SECRET_LENGTH:
        problem = "is not set" if not secret else f"is shorter than {MIN_SECRET_LENGTH} characters"
        raise ConfigError(
            f"[portal] secret_env: the environment variable {portal.secret_env} {problem} — set it to a long "
            "random string, e.g. the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return secret


class PortalLinks:
    """Signed links to the portal's pages under ``[portal] public_url`` (``sync.customer_loop.CustomerLinks``)."""

    def __init__(self, tokens: Tokens, public_url: str) -> None:
        self.tokens = tokens
        self.public_url = public_url.rstrip("/")

    def url(self, purpose: str, ticket_id: str, round_: int = 0) -> str:
        return f"{self.public_url}{_PATHS[purpose]}{self.tokens.link(purpose, ticket_id, round_)}"


def desk_path(desk_name: str) -> str:
    """Where the portal serves a desk's pages: "" (the root) for the main desk, ``/<name>`` for a team's."""
    return "" if desk_name == "main" else f"/{desk_name}"


def _token_scope(desk_name: str) -> str:
    return "" if desk_name == "main" else desk_name


def check_team_paths(settings: Settings) -> None:
    """With ``[portal]`` set, every team's name must work as the first segment of a path, and not be one of the
    main desk's pages. Raise ConfigError naming the team otherwise."""
    if settings.portal is None:
        return
    for team in settings.teams:
        if not TEAM_PATH.fullmatch(team.name) or team.name.lower() in RESERVED_PATHS:
            raise ConfigError(
                f'[teams.name] (team "{team.name}"): the portal serves this desk at {settings.portal.public_url}'
                f"/<name>/, so the name must be letters, digits, - and _ (at most 40), and not one of "
                f"{', '.join(sorted(RESERVED_PATHS))} — rename the team, e.g. \"north\""
            )


def customer_loop(
    settings: Settings, desk_name: str, state: StateStore, clock: Callable[[], datetime], customer_sender: str = "",
) -> CustomerLoop | None:
    """The customer step of the desk's cycle when ``[portal]`` is configured, else None; its links lead to the
    desk's own pages (``desk_path``).

    Desk replies answer the ticket's thread (``ticket_thread``) and skip addresses a bounce flagged.
    """
    if settings.portal is None:
        return None
    check_team_paths(settings)
    tokens = Tokens(portal_secret(settings.portal), clock, _token_scope(desk_name))
    public_url = settings.portal.public_url.rstrip("/") + desk_path(desk_name)
    return CustomerLoop(CustomerStore(state.path), PortalLinks(tokens, public_url),
                        satisfaction_target=settings.loop.satisfaction_target,
                        thread_of=lambda ticket_id: ticket_thread(state, ticket_id, customer_sender),
                        bounced=lambda address: address.strip().lower() in state.bad_addresses())


def ticket_thread(state: StateStore, ticket_id: str, customer_sender: str) -> list[str]:
    """The Message-IDs of a ticket's first mail, oldest first: the customer's complaint mail (and what it
    answered) and the acknowledgement, for a ticket a channel took in; none for one staff typed."""
    queued = state.queued_by_id(ticket_id)
    if queued is None:
        return []
    details = queued.details
    mailed = [str(reference) for reference in details.get("references") or []]  # type: ignore[union-attr]
    if details.get("message_id"):
        mailed.append(str(details["message_id"]))
    return [*mailed, acknowledgement_id(ticket_id, customer_sender)] if customer_sender else mailed


def intake_submit(state_dir: Path) -> Submit:
    """The portal's form into the one intake function: channel Website, the page's language, and the form's
    one-time token as the source reference (the same form sent twice is one ticket).

    Each request thread opens its own state store (a SQLite connection belongs to the thread that made it).
    """
    local = threading.local()

    def submit(form: ComplaintForm, received: datetime, language: str, reference: str) -> str:
        state = getattr(local, "state", None)
        if state is None:
            state = local.state = StateStore(state_dir)
        values = form.values
        complaint = Complaint(
            channel=CHANNEL_WEBSITE, received=received, description=values["description"],
            customer=values["customer"] or None, contact=form.ticket.contact if form.ticket else values["email"],
            product=values["product"] or None, category=values["category"] or None,
            order_no=values["order_no"] or None, language=language, source_ref=f"portal:{reference}",
            # acknowledged after the cycle, to the form's address, within [customers] and its per-sender limit
            details={"acknowledge": True, "address": values["email"]},
        )
        return take_in(state, complaint).ticket_id

    return submit


def open_portal(
    settings: Settings, submit: Submit | None = None, *, listen: str | None = None,
    clock: Callable[[], datetime] | None = None, on_queued: Callable[[], None] | None = None,
) -> PortalServer:
    """Return the portal's server for every desk, bound to ``listen`` (default ``[portal] listen``): the main
    desk's app (``server.app``) answers at the root and hands ``/<team>/…`` to that team's app.

    Complaints go to each desk's one intake function (``intake_submit``) unless ``submit`` says otherwise for the
    main desk.
    """
    portal = settings.portal or PortalSettings()
    check_team_paths(settings)
    desks = [("main", settings.state.dir), *((team.name, team.state.dir) for team in settings.teams)]
    apps = {desk_path(name): create_app(_portal_config(settings, portal, name, settings.resolve(state),
                                                        submit if name == "main" else None, clock, on_queued))
            for name, state in desks}
    main = apps.pop("")
    if apps:
        main.wsgi_app = DispatcherMiddleware(main.wsgi_app, apps)  # type: ignore[method-assign]
    where = listen or portal.listen
    try:
        return PortalServer(main, where)
    except ValueError as error:
        raise ConfigError(f"[portal] listen: {error}") from None
    except OSError as error:
        raise ConfigError(
            f"[portal] listen: cannot listen on {where} ({error.strerror or error}) — is another program using it?"
        ) from None


def _portal_config(
    settings: Settings, portal: PortalSettings, desk_name: str, state_dir: Path, submit: Submit | None,
    clock: Callable[[], datetime] | None, on_queued: Callable[[], None] | None,
) -> PortalConfig:
    """One desk's portal: its state store, intake and tokens; its links under its own path."""
    StateStore(state_dir).close()  # the state dir and its tables exist before the first request
    return PortalConfig(
        secret=portal_secret(portal),
        state_path=state_dir / STATE_FILE,
        submit=submit or intake_submit(state_dir),
        desk=_token_scope(desk_name),
        public_url=portal.public_url.rstrip("/") + desk_path(desk_name),
        language=None if portal.language == "auto" else portal.language,
        form_per_ip_per_hour=portal.form_per_ip_per_hour,
        form_per_address_per_day=portal.form_per_address_per_day,
        lookups_per_ip_per_hour=portal.lookups_per_ip_per_hour,
        behind_proxy=portal.behind_proxy,
        on_queued=on_queued,
        **({"clock": clock} if clock is not None else {}),
    )


def serve_portal(settings: Settings, listen: str | None = None) -> int:
    """``sheetdesk serve``: the portal alone, in the foreground, until SIGTERM or Ctrl-C; return 0.

    Cycles run elsewhere (``sheetdesk run`` or ``run --once`` from a timer): the portal only queues into and reads
    from the state store.
    """
    server = open_portal(settings, listen=listen)
    stopped = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopped.set())
    server.start()
    log.info("customer portal on %s (public address %s)", server.url, (settings.portal or PortalSettings()).public_url)
    stopped.wait()
    server.stop()
    log.info("stopped")
    return 0
