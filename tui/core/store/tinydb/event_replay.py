"""A change and its ticket events are one fact: the journal line of a change carries its
events (and `log_at`, the size of `events.jsonl` just before), and the events are appended
to `events.jsonl` after the line is durable, under the same store lock.

If the process dies between the two, or the disk fills while the events are written, the
journal still holds them: before its next change, and at every open, a desk checks that the
events of the last journal line that has any are in `events.jsonl` and writes those that are
not. A change is refused while that fails, so at most one line's events are ever behind.
Events are de-duplicated by id (metrics-spec §B.3.2), so writing one twice is harmless.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...fileio import BadLine, open_nofollow, parse_crc_line

TAIL_BYTES = 1 << 16
LOOK_BACK_LINES = 64  # eventless lines (archive moves) that may follow the last change


def last_events(journal: Path) -> tuple[list[dict[str, Any]], int] | None:
    """The events and `log_at` of the last complete journal line that carries events, or None."""
    try:
        fd = open_nofollow(journal, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        end = os.fstat(fd).st_size
        want = TAIL_BYTES
        while True:
            start = max(0, end - want)
            chunk = os.pread(fd, end - start, start)
            lines = chunk[: chunk.rfind(b"\n") + 1].split(b"\n")[:-1]
            if start > 0:
                lines = lines[1:]  # the first may be cut
            for seen, line in enumerate(reversed(lines)):
                if seen >= LOOK_BACK_LINES:
                    return None
                try:
                    entry = parse_crc_line(line, require_crc=True)
                except BadLine:
                    continue  # damage is the loader's to report
                if isinstance(entry, dict) and entry.get("events"):
                    return entry["events"], int(entry.get("log_at") or 0)
            if start == 0 or len(lines) >= LOOK_BACK_LINES:
                return None
            want *= 4
    finally:
        os.close(fd)


def missing_from_log(events_path: Path, events: list[dict[str, Any]], log_at: int
                     ) -> list[dict[str, Any]]:
    """The `events` that `events.jsonl` does not hold. They were appended at or after `log_at`,
    so the search reads from there: a few kilobytes, unless they really are missing."""
    try:
        fd = open_nofollow(events_path, os.O_RDONLY)
    except FileNotFoundError:
        return list(events)
    try:
        size = os.fstat(fd).st_size
        start = log_at if 0 <= log_at <= size else 0  # a replaced log: look at all of it
        # A change's events are written in order, each after the one before (or all in one
        # write): if the last is in the log, so are the others, and one needle is enough.
        if events and _holds(fd, start, size, _needle(events[-1])):
            return []
        needles = {_needle(e): e for e in events}
        pos, carry = start, b""
        while needles and pos < size:
            block = carry + os.pread(fd, min(1 << 20, size - pos), pos)
            pos += len(block) - len(carry)
            needles = {n: e for n, e in needles.items() if n not in block}
            carry = block[-128:]
        return [e for e in events if _needle(e) in needles]
    finally:
        os.close(fd)


def _holds(fd: int, start: int, size: int, needle: bytes) -> bool:
    pos, carry = start, b""
    while pos < size:
        block = carry + os.pread(fd, min(1 << 20, size - pos), pos)
        if needle in block:
            return True
        pos += len(block) - len(carry)
        carry = block[-128:]
    return False


def _needle(event: dict[str, Any]) -> bytes:
    return b'"id":"' + str(event.get("id", "")).encode() + b'"'


def log_size(events_path: Path) -> int:
    try:
        return os.stat(events_path).st_size
    except FileNotFoundError:
        return 0


def log_is_writable(events_path: Path) -> None:
    """Raise UnsafeFile (a StoreError naming the path) if the log is a link or not a regular
    file, before a change is made: a change must not land without its way into the log."""
    try:
        os.close(open_nofollow(events_path, os.O_RDONLY))
    except FileNotFoundError:
        pass
