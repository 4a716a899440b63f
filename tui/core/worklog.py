"""The work stream of one run (metrics-spec §B.3.3, §B.3.6): what the agent's desk did.

`WorkRecorder` emits run start/end, heartbeats, ticket focus/blur, app focus,
coalesced activity, interactions, breaks and timer pauses. It shares the run's
`RunContext` (and so its `seq` counter) with the store's ticket events.
"""

from __future__ import annotations

import os
import platform
import hashlib
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from .eventlog import (FSYNC_NOW, EventWriter, ReadStats, RunContext, format_event_ts, iter_lines,
                       new_ulid, parse_event_ts)
from .fileio import open_read
from .oserror import describe
from .store.errors import StoreError

INVOLUNTARY = frozenset({"hangup", "sigterm", "error"})
TAIL_CHUNK = 1 << 20
APP_VERSION = "0.1.0"
HELD_EVENTS_MAX = 10_000  # about a day of activity; older ones go first


@dataclass(frozen=True)
class LastRun:
    run: str
    session: str
    last_ts: str
    end_reason: str | None  # None: the run has no run_end (it crashed)


def last_run_of(path: Path, agent: str, not_before: str = "") -> LastRun | None:
    """The agent's most recent run, reading the log backwards from its end.

    The scan stops once it reaches events older than `not_before` (an RFC 3339
    string), so an agent new to a large log does not cost a read of all of it.
    """
    if path.is_symlink() or not path.is_file():  # the store refuses such a file when it opens
        return None
    size = path.stat().st_size
    with open_read(path) as fh:
        span = TAIL_CHUNK
        while True:
            start = max(0, size - span)
            fh.seek(start)
            chunk = fh.read(size - start)
            if start:
                chunk = chunk[chunk.find(b"\n") + 1:]
            found = _latest_run(chunk, agent)
            if found or start == 0 or _oldest_ts(chunk) < not_before:
                return found
            span *= 4


def _oldest_ts(chunk: bytes) -> str:
    first = next(iter_lines(chunk[: chunk.find(b"\n") + 1], ReadStats()), {})
    return str(first.get("ts", ""))


def _latest_run(chunk: bytes, agent: str) -> LastRun | None:
    return latest_run(iter_lines(chunk, ReadStats()), agent)


def latest_run(events: Iterable[dict[str, Any]], agent: str) -> LastRun | None:
    """The agent's most recent run among `events` (a stretch of the log's end)."""
    mine = [e for e in events if e.get("agent") == agent and e.get("run")]
    if not mine:
        return None
    latest = max(mine, key=lambda e: (e.get("ts", ""), e.get("seq", 0)))
    run = [e for e in mine if e["run"] == latest["run"]]
    end = next((e for e in run if e.get("type") == "run_end"), None)
    return LastRun(run=latest["run"], session=latest.get("session") or latest["run"],
                   last_ts=max(e.get("ts", "") for e in run),
                   end_reason=(end.get("data") or {}).get("reason", "quit") if end else None)


def start_context(path: Path, agent: str, resume_window_s: float, now_ts: float | None = None
                  ) -> tuple[RunContext, str | None]:
    """A new run's context: it resumes the session if the last run ended involuntarily within R."""
    now_ts = time.time() if now_ts is None else now_ts
    previous = last_run_of(path, agent, not_before=resume_horizon(resume_window_s, now_ts))
    return context_after(previous, agent, resume_window_s, now_ts)


def resume_horizon(resume_window_s: float, now_ts: float) -> str:
    """How far back the agent's last run is looked for (RFC 3339)."""
    return format_event_ts(int((now_ts - resume_window_s - 3600) * 1e9))


def context_after(previous: LastRun | None, agent: str, resume_window_s: float,
                  now_ts: float | None = None) -> tuple[RunContext, str | None]:
    """A new run's context after `previous`: its session if that run ended involuntarily
    within R (§B.3.6), else a new session; and the run it resumes, if any."""
    now_ts = time.time() if now_ts is None else now_ts
    run = new_ulid()
    if previous and (previous.end_reason is None or previous.end_reason in INVOLUNTARY):
        if now_ts - parse_event_ts(previous.last_ts).timestamp() <= resume_window_s:
            return RunContext(agent=agent, session=previous.session, run=run), previous.run
    return RunContext(agent=agent, session=new_ulid(), run=run), None


class WorkRecorder:
    def __init__(self, writer: EventWriter, previous_run: str | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.writer = writer
        self.previous_run = previous_run
        self.focused_ticket: str | None = None
        self.ended = False
        self._clock = clock
        self._last_activity: dict[str, float] = {}
        self._pending: dict[str, int] = {}
        self._mutex = threading.RLock()
        # Events the log could not take yet (a full or read-only disk), oldest first; each
        # later event retries them, so the order of the run is kept.
        self.unwritten: deque[tuple[dict[str, Any], bool]] = deque(maxlen=HELD_EVENTS_MAX)
        self.write_error: str | None = None

    @property
    def context(self) -> RunContext:
        return self.writer.context

    def _emit(self, type_: str, data: dict[str, Any] | None = None, *, ticket: str | None = None,
              fsync: bool | None = None) -> None:
        event = self.writer.make(type_, "work", data, ticket=ticket)
        with self._mutex:
            self.unwritten.append((event, type_ in FSYNC_NOW if fsync is None else fsync))
            self._write_unwritten()

    def _write_unwritten(self) -> None:
        """Write what is held, in order; on an OS error keep it for the next event and say so
        in `write_error` (the work stream must never end desk)."""
        while self.unwritten:
            event, fsync = self.unwritten[0]
            try:
                self.writer.write(event, fsync=fsync)
            except OSError as exc:
                self.write_error = describe(exc)
                return
            except StoreError as exc:  # the log is a database table its server refused or lost
                self.write_error = str(exc)
                return
            self.unwritten.popleft()
        self.write_error = None

    # -- run lifecycle ---------------------------------------------------------
    def run_start(self) -> None:
        host = hashlib.sha256(platform.node().encode()).hexdigest()[:12]
        self._emit("run_start", {"new_session": self.previous_run is None,
                                 "previous_run": self.previous_run, "app_version": APP_VERSION,
                                 "tz": os.environ.get("TZ") or time.tzname[0], "host_hash": host},
                   fsync=True)

    def heartbeat(self) -> None:
        with self._mutex:
            if not self.ended:
                self.flush_activity()
                self._emit("heartbeat")

    def run_end(self, reason: str) -> None:
        """Best effort and idempotent: the first call wins."""
        with self._mutex:
            if self.ended:
                return
            self.flush_activity()
            if self.focused_ticket:
                self._emit("ticket_blur", ticket=self.focused_ticket)
                self.focused_ticket = None
            self._emit("run_end", {"reason": reason}, fsync=True)
            self.ended = True
            try:
                self.writer.flush()
            except OSError as exc:
                self.write_error = describe(exc)

    # -- focus and activity ------------------------------------------------------
    def focus_ticket(self, ticket: str | None) -> None:
        """The ticket in the detail pane changed (None: no ticket shown)."""
        with self._mutex:
            if ticket == self.focused_ticket or self.ended:
                return
            self.flush_activity()
            if self.focused_ticket and ticket is None:
                self._emit("ticket_blur", ticket=self.focused_ticket)
            if ticket:
                self._emit("ticket_focus", ticket=ticket)
            self.focused_ticket = ticket

    def app_focus(self, focused: bool) -> None:
        with self._mutex:
            if not self.ended:
                self._emit("app_focus", {"focused": focused})

    def activity(self, kind: str = "key") -> None:
        """Agent input; coalesced to at most one event per second per kind."""
        with self._mutex:
            if self.ended:
                return
            now = self._clock()
            self._pending[kind] = self._pending.get(kind, 0) + 1
            if now - self._last_activity.get(kind, float("-inf")) >= 1.0:
                self._flush_kind(kind, now)

    def flush_activity(self) -> None:
        """Emit held-back activity (call once a second and before other events)."""
        with self._mutex:
            for kind in list(self._pending):
                self._flush_kind(kind, self._clock())

    def _flush_kind(self, kind: str, now: float) -> None:
        count = self._pending.pop(kind, 0)
        if count:
            self._emit("activity", {"kind": kind, "count": count})
            self._last_activity[kind] = now

    # -- calls, breaks, pauses -------------------------------------------------------
    def interaction(self, started: bool, ticket: str, interaction: str, *,
                    kind: str = "call", direction: str = "outbound", leg: int = 1) -> None:
        with self._mutex:
            self.flush_activity()
            self._emit("interaction_start" if started else "interaction_end",
                       {"interaction": interaction, "kind": kind, "direction": direction,
                        "leg": leg}, ticket=ticket)

    def hold(self, on: bool, interaction: str) -> None:
        self._emit("hold_start" if on else "hold_end", {"interaction": interaction})

    def wrap_end(self) -> None:
        self._emit("wrap_end")

    def break_(self, on: bool, reason: str = "break") -> None:
        self._emit("break_start" if on else "break_end", {"reason": reason})

    def pause(self, on: bool, reason: str) -> None:
        self._emit("timer_pause" if on else "timer_resume", {"reason": reason})
