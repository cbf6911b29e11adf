"""An IMAP front door on 127.0.0.1 that speaks XOAUTH2 the way Microsoft 365 does, in front of mail-devel.

Before login it answers CAPABILITY (``AUTH=XOAUTH2``), refuses LOGIN (basic authentication is off), and takes
``AUTHENTICATE XOAUTH2`` with the SASL string ``user=<user>^Aauth=Bearer <token>^A^A``: a wrong token gets
``NO [AUTHENTICATIONFAILED]``. With the right one it logs in to mail-devel as that user and from then on relays
the session byte for byte, so everything after the login is a real IMAP server's work.
"""

from __future__ import annotations

import base64
import re
import socket
import socketserver
import threading
from dataclasses import dataclass, field

SASL = re.compile(rb"^user=(?P<user>[^\x01]*)\x01auth=Bearer (?P<token>[^\x01]*)\x01\x01$")
GREETING = b"* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] XOAUTH2 gate ready\r\n"


@dataclass
class GateRecord:
    """What the gate saw: the users it let in, the tokens it refused, the commands before login."""

    let_in: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


class XOAuth2Gate:
    """Serve on 127.0.0.1 (``port``) until ``close``; ``token`` is the one access token it accepts."""

    def __init__(self, upstream_port: int, token: str, upstream_password: str) -> None:
        self.upstream_port = upstream_port
        self.token = token.encode()
        self.upstream_password = upstream_password
        self.record = GateRecord()
        gate = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                gate._serve(self.connection, self.rfile)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- one client -------------------------------------------------------------------------------------------

    def _serve(self, client: socket.socket, lines) -> None:
        client.sendall(GREETING)
        while line := lines.readline():
            tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
            command = rest.split(b" ", 1)[0].upper()
            self.record.commands.append(command.decode())
            if command == b"CAPABILITY":
                client.sendall(b"* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\n" + tag + b" OK CAPABILITY completed\r\n")
            elif command == b"LOGIN":
                client.sendall(tag + b" NO [PRIVACYREQUIRED] LOGIN is disabled: use AUTHENTICATE XOAUTH2\r\n")
            elif command == b"LOGOUT":
                client.sendall(b"* BYE\r\n" + tag + b" OK LOGOUT completed\r\n")
                return
            elif rest.upper().startswith(b"AUTHENTICATE XOAUTH2"):
                user = self._authenticate(client, lines, tag, rest)
                if user is not None:
                    self._relay(client, lines, tag, user)
                    return
            else:
                client.sendall(tag + b" BAD log in first\r\n")

    def _authenticate(self, client: socket.socket, lines, tag: bytes, rest: bytes) -> str | None:
        parts = rest.split(b" ")
        if len(parts) > 2:  # SASL-IR: the initial response on the command line
            answer = parts[2]
        else:
            client.sendall(b"+ \r\n")
            answer = lines.readline().strip()
        match = SASL.match(base64.b64decode(answer))
        if match is None or match["token"] != self.token:
            self.record.refused.append(match["user"].decode() if match else "?")
            client.sendall(tag + b" NO [AUTHENTICATIONFAILED] AUTHENTICATE failed.\r\n")
            return None
        return match["user"].decode()

    def _relay(self, client: socket.socket, lines, tag: bytes, user: str) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        upstream_lines = upstream.makefile("rb")
        upstream_lines.readline()  # mail-devel's greeting
        upstream.sendall(b'G1 LOGIN "' + user.encode() + b'" "' + self.upstream_password.encode() + b'"\r\n')
        while not (answer := upstream_lines.readline()).startswith(b"G1 "):
            if not answer:
                return
        if not answer.startswith(b"G1 OK"):
            client.sendall(tag + b" NO [UNAVAILABLE] the mailbox behind the gate refused\r\n")
            return
        self.record.let_in.append(user)
        client.sendall(tag + b" OK AUTHENTICATE completed.\r\n")
        back = threading.Thread(target=_pipe, args=(upstream_lines, client), daemon=True)
        back.start()
        _pipe(lines, upstream)
        back.join(timeout=5)
        upstream.close()


def _pipe(source, target: socket.socket) -> None:
    """Copy what ``source`` (a buffered reader) gives to ``target`` until either side closes."""
    try:
        while chunk := source.read1(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass
