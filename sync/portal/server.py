"""Serving the portal with waitress: in the foreground (``sheetdesk serve``) or in a thread of the daemon
(``sheetdesk run``), where it never waits for a cycle nor makes one wait (it touches only the state store)."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from waitress.server import create_server

__all__ = ["PortalServer", "parse_listen"]

log = logging.getLogger(__name__)


def parse_listen(listen: str) -> tuple[str, int]:
    """Split ``"host:port"`` (``"[::1]:8080"`` for IPv6). Raise ValueError saying what is wrong."""
    host, separator, port = listen.rpartition(":")
    if not separator or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f'"{listen}" is not host:port — write it like "127.0.0.1:8080"')
    return host.strip("[]"), int(port)


class PortalServer:
    """The portal app bound to ``listen`` (port 0 picks a free port; ``port`` tells which)."""

    def __init__(self, app: Flask, listen: str, threads: int = 8) -> None:
        host, port = parse_listen(listen)
        self.app = app
        self._server = create_server(app, host=host, port=port, threads=threads, ident="sheetdesk")
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        host = self._server.effective_host  # type: ignore[union-attr]
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve until ``stop``, in this thread (the loop wakes every 0.2 s to see whether to stop)."""
        log.info("portal listening on %s", self.url)
        server = self._server
        while not self._stopping.is_set():
            server.asyncore.loop(timeout=0.2, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)
        server.close()  # in the serving thread: the loop is no longer polling these sockets

    def start(self) -> None:
        """Serve in a daemon thread and return at once."""
        self._thread = threading.Thread(target=self.serve_forever, name="portal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the serving thread (requests being answered are finished first)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        else:
            self._server.close()
