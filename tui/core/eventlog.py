"""The append-only event log of metrics-spec §B.3: envelope, CRC lines, torn-line rule."""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from .fileio import BadLine, crc_line, open_append, parse_crc_line, read_file

EVENT_VERSION = 1
EVENTS_FILE = "events.jsonl"
# Written with fsync right away (§B.3.4); others are fsynced at least every H s.
FSYNC_NOW = frozenset({"status_change", "run_end", "manual_time"})
TICKET_FIRST = {"ticket": 0, "work": 1}

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(ms: int | None = None) -> str:
    """A ULID: 48 bits of milliseconds and 80 random bits, Crockford base32."""
    ms = time.time_ns() // 1_000_000 if ms is None else ms
    value = (ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def format_event_ts(ns: int) -> str:
    dt = datetime.fromtimestamp(ns // 1_000_000_000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{(ns // 1_000_000) % 1000:03d}Z"


def parse_event_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


@dataclass
class RunContext:
    """Who emits: shared by the work and ticket streams of one run (one seq counter)."""

    agent: str | None
    session: str | None = None
    run: str | None = None
    src: str = "app"
    _seq: int = 0
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def next_seq(self) -> int:
        with self._mutex:
            self._seq += 1
            return self._seq


class EventWriter:
    """Appends events with one write() on an O_APPEND fd, one line each."""

    def __init__(self, path: Path, context: RunContext, fsync_every_s: float = 30.0):
        self.path = path
        self.context = context
        self.fsync_every_s = fsync_every_s
        self._fd: int | None = None
        self._last_fsync = time.monotonic()
        self._mutex = threading.Lock()

    def emit(
        self,
        type_: str,
        stream: str,
        data: dict[str, Any] | None = None,
        *,
        ticket: str | None = None,
        ts_ns: int | None = None,
        fsync: bool | None = None,
    ) -> dict[str, Any]:
        event = self.make(type_, stream, data, ticket=ticket, ts_ns=ts_ns)
        self.write(event, fsync=type_ in FSYNC_NOW if fsync is None else fsync)
        return event

    def make(self, type_: str, stream: str, data: dict[str, Any] | None = None, *,
             ticket: str | None = None, ts_ns: int | None = None) -> dict[str, Any]:
        """The next event of this run, not written yet (the store carries its ticket events
        in the journal line of the change, then writes them: see tinydb/event_replay.py)."""
        ctx = self.context
        ts_ns = time.time_ns() if ts_ns is None else ts_ns
        event: dict[str, Any] = {
            "v": EVENT_VERSION,
            "id": new_ulid(ts_ns // 1_000_000),
            "stream": stream,
            "seq": ctx.next_seq(),
            "ts": format_event_ts(ts_ns),
            "mono_ms": time.monotonic_ns() // 1_000_000,
            "agent": ctx.agent,
            "session": ctx.session,
            "run": ctx.run,
            "type": type_,
            "src": ctx.src,
            "data": data or {},
        }
        if ticket is not None:
            event["ticket"] = ticket
        if ctx.src != "app":
            del event["mono_ms"]
        return event

    def write(self, event: dict[str, Any], *, fsync: bool = False) -> None:
        with self._mutex:
            self._append(crc_line(event))
            now = time.monotonic()
            if fsync or now - self._last_fsync >= self.fsync_every_s:
                os.fsync(self._fd)
                self._last_fsync = now

    def write_many(self, events: list[dict[str, Any]]) -> None:
        """Append `events` with one write and one fsync (an import's batch), as `write` does
        one: under the flock, a torn fragment ended first, cut back if the disk fills."""
        if not events:
            return
        with self._mutex:
            self._append(b"".join(crc_line(e) for e in events))
            os.fsync(self._fd)
            self._last_fsync = time.monotonic()

    def _append(self, data: bytes) -> None:
        """Write `data` at the end under the flock (the caller holds the mutex)."""
        if self._fd is None:
            self._fd = open_append(self.path, readable=True)
        # The flock makes "the file does not end in a newline" mean that a writer died
        # mid-line (or wrote short), never that another one is still writing its line.
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(self._fd).st_size
            if size and os.pread(self._fd, 1, size - 1) != b"\n":
                # End the fragment, so that it is one bad line (§B.3.4) and these
                # events are not glued onto it.
                data = b"\n" + data
            _write_whole(self._fd, data, size)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


    def flush(self) -> None:
        with self._mutex:
            if self._fd is not None:
                os.fsync(self._fd)
                self._last_fsync = time.monotonic()

    def close(self) -> None:
        with self._mutex:
            if self._fd is not None:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None


def _write_whole(fd: int, line: bytes, size: int) -> None:
    """Write all of `line` (a short write is continued); if the disk fills midway, cut the
    file back to `size` and raise, so the log never ends in half a line of ours."""
    view = memoryview(line)
    try:
        while view:
            written = os.write(fd, view)
            if written == 0:
                raise OSError(28, "No space left on device")
            view = view[written:]
    except OSError:
        try:
            os.ftruncate(fd, size)
        except OSError:
            pass
        raise


@dataclass
class ReadStats:
    torn_lines: int = 0
    bad_lines: int = 0


def iter_lines(raw: bytes, stats: ReadStats) -> Iterator[dict[str, Any]]:
    """Apply §B.3.4: drop a final line without newline; skip and count bad lines."""
    if raw and not raw.endswith(b"\n"):
        stats.torn_lines += 1
        raw = raw[: raw.rfind(b"\n") + 1]
    for line in raw.split(b"\n")[:-1] if raw else []:
        try:
            obj = parse_crc_line(line)
        except BadLine:
            stats.bad_lines += 1
            continue
        if not isinstance(obj, dict):
            stats.bad_lines += 1
            continue
        yield obj


def read_events(paths: Iterable[Path], stats: ReadStats | None = None) -> list[dict[str, Any]]:
    stats = stats if stats is not None else ReadStats()
    events: list[dict[str, Any]] = []
    for path in paths:
        events.extend(iter_lines(read_file(path), stats))
    return events


def global_order(event: dict[str, Any]) -> tuple:
    """§B.3.4: (ts, ticket stream before work, src, seq, id)."""
    return (event.get("ts", ""), TICKET_FIRST.get(event.get("stream"), 2), event.get("src", ""),
            event.get("seq", 0), event.get("id", ""))


def ticket_events(path: Path, ticket: str) -> list[dict[str, Any]]:
    """One ticket's history (audit trail) in log order."""
    if not path.exists():
        return []
    needle = f'"ticket":"{ticket}"'.encode()
    stats = ReadStats()
    raw = read_file(path)
    found = [e for e in iter_lines(raw, stats) if e.get("ticket") == ticket] if needle in raw else []
    found.sort(key=global_order)
    return found
