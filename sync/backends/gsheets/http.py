"""The HTTP edge of the gsheets backend: bounded retries, timeouts, request counts, and the emulator switch.

``SheetsHTTPClient`` is a ``gspread.http_client.HTTPClient`` that gspread (and the backend) send every request
through. It

- retries 429, 408, 5xx, a Drive-style 403 rate limit, timeouts and dropped connections, with exponential
  backoff and full jitter, never waiting less than the server's ``Retry-After``;
- stops retrying when the operation's time budget (``RetryPolicy.budget_seconds``) would be exceeded and raises
  ``sync.errors.BackendError``: the cycle ends cleanly and the next one tries again;
- counts requests, split into reads and writes (``RequestCounts``), for the budget tests and the bench;
- sends Sheets and Drive requests to ``SHEETDESK_SHEETS_EMULATOR`` when that variable holds a base URL.

A budget covers one *operation*: everything inside ``with client.operation():`` shares one deadline (the backend
opens one per ``read``, ``apply`` and ``lay_out``); a request outside any operation gets a budget of its own.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from sync.errors import BackendError, SheetdeskError

__all__ = [
    "EMULATOR_VARIABLE",
    "RetryPolicy",
    "RequestCounts",
    "SheetsHTTPClient",
    "emulator_base_url",
]

EMULATOR_VARIABLE = "SHEETDESK_SHEETS_EMULATOR"
DEFAULT_BUDGET_SECONDS = 60.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0
GOOGLE_HOSTS = frozenset({"sheets.googleapis.com", "www.googleapis.com"})
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
READ_SUFFIXES = (":batchGet", ":batchGetByDataFilter")


def emulator_base_url(environment: Mapping[str, str] | None = None) -> str | None:
    """Return the emulator base URL from ``SHEETDESK_SHEETS_EMULATOR``, or None when it is unset or blank."""
    value = (environment if environment is not None else os.environ).get(EMULATOR_VARIABLE, "").strip()
    return value.rstrip("/") or None


@dataclass
class RetryPolicy:
    """How hard to try: a time budget per operation, backoff bounds, and socket timeouts.

    ``sleep``, ``clock`` and ``jitter`` are parameters so tests run without real waiting.
    """

    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    first_delay: float = 0.5
    max_delay: float = 16.0
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Return the wait before retry number ``attempt`` (1-based): full jitter over a doubling ceiling."""
        ceiling = min(self.max_delay, self.first_delay * 2 ** (attempt - 1))
        return self.jitter.uniform(0, ceiling)


@dataclass
class RequestCounts:
    """Requests sent, as the API counts them (retries excluded), and retries made."""

    reads: int = 0
    writes: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0

    @property
    def total(self) -> int:
        return self.reads + self.writes

    def snapshot(self) -> RequestCounts:
        return RequestCounts(self.reads, self.writes, self.retries, self.bytes_sent, self.bytes_received)

    def since(self, earlier: RequestCounts) -> RequestCounts:
        """Return the requests made after ``earlier`` was taken."""
        return RequestCounts(self.reads - earlier.reads, self.writes - earlier.writes, self.retries - earlier.retries,
                             self.bytes_sent - earlier.bytes_sent, self.bytes_received - earlier.bytes_received)


class _Retry(SheetdeskError):
    """One attempt failed in a way worth retrying; carries the server's minimum wait, if any."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client with bounded retries, timeouts, request counts and the emulator switch.

    Build it through gspread so every gspread call uses it::

        gspread.Client(credentials, http_client=SheetsHTTPClient.factory(policy, emulator))

    With an emulator URL the credentials are replaced by anonymous ones: nothing is sent to Google.
    """

    def __init__(
        self,
        auth: Credentials | None,
        session: requests.Session | None = None,
        *,
        policy: RetryPolicy | None = None,
        emulator: str | None = None,
    ) -> None:
        if emulator is not None:
            auth = AnonymousCredentials()
        super().__init__(auth, session if session is not None else AuthorizedSession(auth))
        self.auth = auth
        self.policy = policy or RetryPolicy()
        self.emulator = emulator
        self.counts = RequestCounts()
        self.timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        self._deadline: float | None = None

    @classmethod
    def factory(cls, policy: RetryPolicy | None = None, emulator: str | None = None) -> Callable[..., SheetsHTTPClient]:
        """Return what ``gspread.Client(http_client=...)`` calls with ``(auth, session)``."""

        def build(auth: Credentials | None, session: requests.Session | None = None) -> SheetsHTTPClient:
            return cls(auth, session, policy=policy, emulator=emulator)

        return build

    @contextmanager
    def operation(self) -> Iterator[None]:
        """Let every request inside share one deadline, ``policy.budget_seconds`` from now."""
        outer = self._deadline
        if outer is None:
            self._deadline = self.policy.clock() + self.policy.budget_seconds
        try:
            yield
        finally:
            self._deadline = outer

    def request(
        self,
        method: str,
        endpoint: str,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        files: Any = None,
        headers: Any = None,
    ) -> requests.Response:
        """Send one API request, retrying within the budget. Raise BackendError past it, APIError on a 4xx."""
        url = self.route(endpoint)
        self._count(method, url)
        deadline = self._deadline if self._deadline is not None else self.policy.clock() + self.policy.budget_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(method, url, params=params, data=data, json=json, files=files, headers=headers)
            except _Retry as failure:
                self._wait_or_give_up(failure, attempt, deadline, method, url)

    def route(self, url: str) -> str:
        """Return ``url``, moved to the emulator when one is set and the URL is a Sheets or Drive one."""
        if self.emulator is None:
            return url
        parts = urlsplit(url)
        if parts.hostname not in GOOGLE_HOSTS:
            return url
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.emulator}{parts.path}{query}"

    def _count(self, method: str, url: str) -> None:
        path = urlsplit(url).path
        if method.lower() == "get" or path.endswith(READ_SUFFIXES):
            self.counts.reads += 1
        else:
            self.counts.writes += 1

    def _attempt(self, method: str, url: str, **arguments: Any) -> requests.Response:
        try:
            response = self.session.request(method=method, url=url, timeout=self.timeout, **arguments)
        except requests.Timeout as error:
            raise _Retry(f"timed out ({error.__class__.__name__})") from error
        except requests.ConnectionError as error:
            raise _Retry(f"connection failed ({error.__class__.__name__})") from error
        self.counts.bytes_sent += len(response.request.body or b"") if response.request is not None else 0
        self.counts.bytes_received += len(response.content)
        if response.ok:
            return response
        if _is_retried(response):
            raise _Retry(f"HTTP {response.status_code}", _retry_after(response))
        raise APIError(response)

    def _wait_or_give_up(self, failure: _Retry, attempt: int, deadline: float, method: str, url: str) -> None:
        wait = max(self.policy.backoff(attempt), failure.retry_after or 0.0)
        if self.policy.clock() + wait > deadline:
            raise BackendError(
                f"Google Sheets kept failing ({failure.reason}) on {method.upper()} {urlsplit(url).path} "
                f"after {attempt} attempt(s) within the {self.policy.budget_seconds:g} s budget; "
                "the next cycle will try again."
            )
        self.counts.retries += 1
        self.policy.sleep(wait)


def _is_retried(response: requests.Response) -> bool:
    if response.status_code in RETRIED_STATUSES or response.status_code >= 500:
        return True
    return response.status_code == 403 and _error_reason(response) in RATE_LIMIT_REASONS


def _error_reason(response: requests.Response) -> str | None:
    try:
        errors = response.json().get("error", {}).get("errors") or [{}]
    except ValueError:
        return None
    return errors[0].get("reason")


def _retry_after(response: requests.Response) -> float | None:
    """Return the server's ``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
