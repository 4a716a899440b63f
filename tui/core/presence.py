"""Who else is here: each desk process announces the ticket it shows and whether it is replying.

Each process owns `presence/<agent>.<pid>.json` and holds an exclusive flock on
it for as long as it lives. A reader that can take the lock knows the owner is
dead (kill -9, a dropped SSH link) and removes the file: presence expires by
itself, with no timeout to tune and no stale "viewing" after a crash.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from .fileio import FILE_MODE, open_nofollow
from .identity import safe_agent_name

PRESENCE_DIR = "presence"


@dataclass(frozen=True)
class Presence:
    agent: str
    pid: int
    ticket: str | None
    state: str  # "viewing" | "replying"
    since: float


class PresenceBoard:
    def __init__(self, data_dir: Path, agent: str):
        self.directory = Path(data_dir) / PRESENCE_DIR
        self.agent = safe_agent_name(agent)  # it names our file: never a path of its own
        self.path = self.directory / f"{agent}.{os.getpid()}.json"
        self._fd: int | None = None
        self._state: tuple[str | None, str] = (None, "viewing")
        self._mutex = threading.Lock()

    def _open(self) -> int:
        if self._fd is None:
            old = os.umask(0o007)
            try:
                self.directory.mkdir(mode=0o2770, exist_ok=True)
                self._fd = open_nofollow(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            finally:
                os.umask(old)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self._fd

    def announce(self, ticket: str | None, state: str = "viewing") -> None:
        """Say what this process shows now; cheap to call again with the same values."""
        with self._mutex:
            if (ticket, state) == self._state and self._fd is not None:
                return
            self._state = (ticket, state)
            self._write()

    def _write(self) -> None:
        ticket, state = self._state
        fd = self._open()
        if not self._still_ours(fd):  # a reader removed it between our open and our lock
            os.close(fd)
            self._fd = None
            fd = self._open()
        payload = orjson.dumps({"agent": self.agent, "pid": os.getpid(), "ticket": ticket,
                                "state": state, "since": time.time()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, payload, 0)

    def _still_ours(self, fd: int) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def refresh(self) -> None:
        """Re-announce the current state (a heartbeat; repairs a removed file)."""
        with self._mutex:
            if self._fd is not None:
                self._write()

    def clear(self) -> None:
        """Leave: remove our file (also done for us if we die)."""
        with self._mutex:
            if self._fd is not None:
                self.path.unlink(missing_ok=True)
                os.close(self._fd)
                self._fd = None

    def others(self) -> list[Presence]:
        """Every live desk process but this one; dead ones' files are removed."""
        found = []
        try:
            entries = [] if self.directory.is_symlink() else list(self.directory.iterdir())
        except FileNotFoundError:
            return []
        for path in entries:
            if path == self.path or path.suffix != ".json":
                continue
            entry = _read_if_alive(path)
            if entry is not None:
                found.append(entry)
        return found


def _read_if_alive(path: Path) -> Presence | None:
    try:
        fd = open_nofollow(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # the owner holds its lock: alive
        else:
            path.unlink(missing_ok=True)  # nobody holds it: the owner is gone
            return None
        for _ in range(3):
            raw = os.pread(fd, 4096, 0)
            try:
                data = orjson.loads(raw)
                return Presence(agent=str(data["agent"]), pid=int(data["pid"]),
                                ticket=data.get("ticket"), state=str(data.get("state", "viewing")),
                                since=float(data.get("since", 0)))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                time.sleep(0.005)  # caught mid-write; read again
        return None
    finally:
        os.close(fd)


def by_ticket(entries: list[Presence]) -> dict[str, list[Presence]]:
    tickets: dict[str, list[Presence]] = {}
    for entry in entries:
        if entry.ticket:
            tickets.setdefault(entry.ticket, []).append(entry)
    return tickets


REPLYING, VIEWING = "replying", "viewing"


def also_here(entries: list[Presence], me: str) -> str:
    """`bob (replying), you in another window`: each name once, replying wins over viewing.

    The agent is the Unix login, so a second desk of the same login (another tmux
    window, another SSH session) is named as such rather than by our own name.
    """
    states: dict[str, str] = {}
    for entry in entries:
        name = "you in another window" if entry.agent == me else entry.agent
        if states.get(name) != REPLYING:
            states[name] = entry.state
    mine = sorted(states.items(), key=lambda item: (item[0].startswith("you "), item[0]))
    return ", ".join(f"{name} ({REPLYING})" if state == REPLYING else name for name, state in mine)


def marks(entries: list[Presence]) -> dict[str, str]:
    """ticket → "replying" or "viewing", for the queue's marker column."""
    return {ticket: REPLYING if any(e.state == REPLYING for e in here) else VIEWING
            for ticket, here in by_ticket(entries).items()}
