"""The portal's application factory: ``create_app(config)`` returns the Flask app (DESIGN §8).

The app reads what the last cycle published (``sync.customers.CustomerStore``) and queues what customers send;
it never opens the workbook. Every POST carries a CSRF token bound to the visitor's session cookie; every page
speaks the desk's language unless the visitor switched (``?lang=en`` / ``?lang=zh``, remembered in the
session). No page needs JavaScript.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, g, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from sync.customers import CustomerStore
from sync.portal.complaints import complaints
from sync.portal.context import EXTENSION, Portal, PortalConfig, page, portal
from sync.portal.links import links
from sync.portal.text import LANGUAGES, translate
from sync.portal.tokens import Tokens

__all__ = ["create_app"]


def create_app(config: PortalConfig) -> Flask:
    """Return the portal app for ``config``."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.public_url.startswith("https://"),
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions[EXTENSION] = Portal(config, CustomerStore(config.state_path),
                                                Tokens(config.secret, config.clock, config.desk))
    if config.behind_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.register_blueprint(complaints)
    app.register_blueprint(links)
    app.before_request(_choose_language)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.register_error_handler(404, lambda error: (page("message.html", title="not_found", text="not_found"), 404))
    app.register_error_handler(413, lambda error: (page("message.html", title="refused", text="refused"), 413))
    app.context_processor(_template_helpers)
    return app


# -- language ----------------------------------------------------------------------------------------------


def _choose_language() -> None:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    g.language = session.get("lang") or portal().config.language or portal().store.desk_language() or "en"
    if g.language not in LANGUAGES:
        g.language = "en"


def _template_helpers() -> dict[str, object]:
    language = g.get("language", "en")
    other = "en" if language == "zh" else "zh"
    return {
        "t": lambda key, **params: translate(key, language).format(**params),
        "language": language,
        "switch_url": request.script_root + request.path + f"?lang={other}",
        # the desk's own pages: "/" and "/status" for the main desk, "/north/" and "/north/status" for a team's
        "home_url": request.script_root + "/",
        "status_url": request.script_root + "/status",
        "csrf_token": _csrf_token,
    }


# -- CSRF: a per-session secret, echoed by every form -------------------------------------------------------


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _check_csrf():
    if request.method != "POST":
        return None
    expected = session.get("csrf")
    given = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(str(expected), str(given)):
        return page("message.html", title="csrf_title", text="csrf_text"), 400
    return None


def _security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")  # links carry tokens: never leak them onward
    response.headers.setdefault("Cache-Control", "no-store")
    return response
