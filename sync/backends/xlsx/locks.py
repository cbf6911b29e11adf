"""The lock files Excel and LibreOffice leave beside an open workbook: who holds them, since when, and whether
one is stale (left behind by a program that crashed or a machine that went away).

LibreOffice writes ``.~lock.NAME#``: one CSV line ``name,system user,host,dd.mm.yyyy hh:mm,profile;``. Excel
writes ``~$NAME`` (a short binary record starting with the user's name; no host, no time). The age is the
lock file's own modification time.

A lock is stale when it is older than ``stale_lock_hours`` and its owner process cannot be running: it was
made on this host (LibreOffice names the host; Excel never runs on the hosts sheetdesk's daemon runs on, Linux
and other Unixes) and no process of that program runs here now. A lock from another machine is never called
stale: only a person can tell whether it is still open there, and the log says how to free it.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = ["LockFile", "lock_files", "read_lock", "real_file", "DEFAULT_STALE_LOCK_HOURS"]

DEFAULT_STALE_LOCK_HOURS = 12.0
PROGRAM_PROCESSES = {"LibreOffice": ("soffice.bin", "soffice", "oosplash"), "Excel": ("EXCEL.EXE", "Microsoft Excel")}


@dataclass(frozen=True)
class LockFile:
    """One lock file beside the workbook, as far as it can be read."""

    path: Path
    program: str  # "LibreOffice" | "Excel"
    owner: str  # the person's name, or "someone" when the file does not say
    host: str | None  # the machine it was made on, when the program records it
    modified: datetime  # local time the lock file was last written

    def age_hours(self, now: datetime) -> float:
        return max(0.0, (now - self.modified).total_seconds() / 3600)

    def made_here(self) -> bool:
        """Whether the lock was made on this host (for Excel, which records no host: whether Excel can run here)."""
        if self.host is None:
            return self.program != "Excel" or sys.platform in ("win32", "darwin")
        return self.host.split(".")[0].lower() == socket.gethostname().split(".")[0].lower()

    def is_stale(self, now: datetime, stale_hours: float) -> bool:
        """Older than ``stale_hours``, made on this host, and no process of its program running here."""
        return self.age_hours(now) > stale_hours and self.made_here() and not _program_running(self.program)

    def describe(self, now: datetime) -> str:
        """E.g. ``LibreOffice lock .~lock.desk.xlsx# held by Sandra Liu on pc-07 since 2026-11-30 09:12 (3.5 h)``."""
        where = f" on {self.host}" if self.host else ""
        return (f"{self.program} lock {self.path.name} held by {self.owner}{where} since "
                f"{self.modified:%Y-%m-%d %H:%M} ({self.age_hours(now):.1f} h)")


def lock_files(path: Path) -> list[Path]:
    """Return the lock files of Excel or LibreOffice that say ``path`` is open right now — beside the name given
    and, when it is a symlink, beside the file it points at (people may open it by either name)."""
    candidates = [lock for name in dict.fromkeys((path, real_file(path))) for lock in _lock_names(name)]
    return [candidate for candidate in dict.fromkeys(candidates) if candidate.exists()]


def _lock_names(path: Path) -> list[Path]:
    return [
        path.with_name(f".~lock.{path.name}#"),  # LibreOffice
        path.with_name(f"~${path.name}"),  # Excel, short names
        path.with_name(f"~${path.name[2:]}"),  # Excel drops the first two characters of longer names
    ]


def real_file(path: Path) -> Path:
    """The file ``path`` names once every symlink is followed: where a save must land to reach it."""
    return Path(os.path.realpath(path))


def read_lock(path: Path) -> LockFile:
    """Read what ``path`` (a lock file) says about its owner. Never raises for a file that is odd or gone."""
    try:
        modified = datetime.fromtimestamp(path.stat().st_mtime)
        data = path.read_bytes()[:4096]
    except OSError:
        modified, data = datetime.now(), b""
    if path.name.startswith(".~lock."):
        owner, host = _libreoffice_owner(data)
        return LockFile(path, "LibreOffice", owner, host, modified)
    return LockFile(path, "Excel", _excel_owner(data), None, modified)


def _libreoffice_owner(data: bytes) -> tuple[str, str | None]:
    fields = data.decode("utf-8", errors="replace").strip().rstrip(";").split(",")
    name = fields[0].strip() if fields else ""
    user = fields[1].strip() if len(fields) > 1 else ""
    host = fields[2].strip() if len(fields) > 2 and fields[2].strip() else None
    return name or user or "someone", host


def _excel_owner(data: bytes) -> str:
    """The name in an Excel owner file: a length byte, then the name in the machine's code page."""
    if not data:
        return "someone"
    length = data[0]
    name = data[1:1 + length].decode("cp1252", errors="replace").strip("\x00 ").strip()
    return name or "someone"


def _program_running(program: str) -> bool:
    """Whether a process of ``program`` runs on this host; True when that cannot be told (no /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    names = PROGRAM_PROCESSES.get(program, ())
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "comm").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue  # the process ended while we looked
        if command in names or any(command.startswith(name[:15]) for name in names):
            return True
    return False
