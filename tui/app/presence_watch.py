"""The app side of presence: say what this desk shows, and watch who else is here.

One daemon thread per app does all the file work, so the UI thread never waits on
the shared file system. It wakes when the agent opens another ticket or the
composer (announce at once), else every `interval` seconds: re-announce (a no-op
when nothing changed), a heartbeat every `heartbeat` seconds, and read the other
processes' entries. Only a change in who is where is posted to the screen, as a
`PresenceChanged` message. Idle, that is one directory listing and one small
read per other desk each second (each few seconds once the agent is idle: PollPace).
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from textual.message_pump import MessagePump

from ..core.store.errors import StoreError
from ..core.presence import REPLYING, VIEWING, Presence, PresenceBoard
from ..ui.messages import PresenceChanged
from .poll_pace import PollPace


def _key(entries: list[Presence]) -> tuple:
    return tuple(sorted((e.agent, e.pid, e.ticket or "", e.state) for e in entries))


class PresenceWatch:
    def __init__(self, board: PresenceBoard, *, interval: float = 1.0, heartbeat: float = 5.0,
                 pace: PollPace | None = None, on_error: Callable[[str], None] | None = None):
        self.board = board
        self.pace = pace
        self.agent = board.agent
        self.interval = interval
        self.heartbeat = heartbeat
        self.entries: list[Presence] = []
        self._on_error = on_error
        self._viewing: str | None = None
        self._composing: str | None = None
        self._wake = pace.sleeper() if pace is not None else threading.Event()
        # A board that hears changes (PostgreSQL) wakes the watch; it re-reads only slowly.
        wakes = getattr(board, "wake_on_change", None)
        if wakes is not None and wakes(self._wake.set):
            self.interval = max(interval, board.reread_s)
        self._lock = threading.RLock()  # held around every board write; `stop` takes it last
        self._stopped = False
        self._thread: threading.Thread | None = None

    # -- what this desk shows (UI thread; never touches the disk) ----------------
    def show(self, ticket: str | None) -> None:
        """The detail pane shows `ticket` (None: no ticket)."""
        if ticket != self._viewing:
            self._viewing = ticket
            self._wake.set()

    def composing(self, ticket: str | None) -> None:
        """The composer is open on `ticket` (None: it closed)."""
        if ticket != self._composing:
            self._composing = ticket
            self._wake.set()

    def wanted(self) -> tuple[str | None, str]:
        composing = self._composing
        return (composing, REPLYING) if composing else (self._viewing, VIEWING)

    # -- the thread ---------------------------------------------------------------
    def start(self, target: MessagePump) -> None:
        """Watch in the background; changes are posted to `target` (the workspace)."""
        if self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._run, args=(target,), daemon=True,
                                            name=f"presence-{self.agent}")
            self._thread.start()

    def _run(self, target: MessagePump) -> None:
        seen: tuple | None = None
        beat = time.monotonic()
        failing = ""
        while True:
            try:
                with self._lock:
                    if self._stopped:
                        return
                    self.board.announce(*self.wanted())
                    if time.monotonic() - beat >= self.heartbeat:
                        self.board.refresh()
                        beat = time.monotonic()
                entries = self.board.others()
                failing = ""
            except (OSError, StoreError) as exc:  # the shared directory or the database went away
                if str(exc) != failing and self._on_error is not None:
                    failing = str(exc)
                    self._on_error(f"Cannot share who is on which ticket: {exc}")
                entries = self.entries
            key = _key(entries)
            if key != seen:
                seen = key
                self.entries = sorted(entries, key=lambda e: (e.agent, e.pid))
                target.post_message(PresenceChanged(self.entries))
            self._wake.wait(self.pace.interval(self.interval) if self.pace else self.interval)
            self._wake.clear()

    def stop(self) -> None:
        """Leave: stop watching and remove our entry. Idempotent; from any thread."""
        with self._lock:
            self._stopped = True
            self._wake.set()
            try:
                self.board.clear()
            except (OSError, StoreError):
                pass  # a dead process's entry expires by itself
