"""Noticing slow calls: the first load of the archive, a compaction, a reload after another
process compacted. A call that runs longer than `after` seconds is reported once while it
runs, and again when it ends, so that the UI can say what it is waiting for.

One watchdog thread serves every call. It sleeps without a timeout while no call runs, so an
idle desk pays nothing for it.
"""

from __future__ import annotations

import itertools
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

SHOW_AFTER_S = 0.4


@dataclass
class SlowCall:
    what: str  # "reading the archive of closed tickets (210 MB)"
    started: float  # time.monotonic()
    key: int = field(default=0, compare=False)


class SlowCalls:
    """`with slow.watch(describe): ...` around a call; `describe()` is only called for a slow one.

    `on_slow` and `on_done` run under this object's lock, in order, from the watchdog and the
    calling thread: they must not block (post a message to the UI, do not wait for it).
    """

    def __init__(self, on_slow: Callable[[SlowCall], None],
                 on_done: Callable[[SlowCall, float], None], *, after: float = SHOW_AFTER_S):
        self.after = after
        self._on_slow = on_slow
        self._on_done = on_done
        self._running: dict[int, tuple[float, Callable[[], str]]] = {}
        self._reported: dict[int, SlowCall] = {}
        self._keys = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False

    @contextmanager
    def watch(self, describe: Callable[[], str]) -> Iterator[None]:
        key = self._begin(describe)
        try:
            yield
        finally:
            self._end(key)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _begin(self, describe: Callable[[], str]) -> int:
        key = next(self._keys)
        with self._cond:
            self._running[key] = (time.monotonic(), describe)
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._watch, name="desk-slow-calls",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()
        return key

    def _end(self, key: int) -> None:
        with self._cond:
            self._running.pop(key, None)
            call = self._reported.pop(key, None)
            if call is not None:
                self._on_done(call, time.monotonic() - call.started)
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                waiting = [(started + self.after, key) for key, (started, _) in
                           self._running.items() if key not in self._reported]
                for deadline, key in waiting:
                    if deadline <= now:
                        started, describe = self._running[key]
                        self._reported[key] = call = SlowCall(_describe(describe), started, key)
                        self._on_slow(call)
                waiting = [deadline for deadline, _ in waiting if deadline > now]
                # no timeout while nothing runs: an idle desk costs nothing here
                self._cond.wait(min(waiting) - now if waiting else None)


def _describe(describe: Callable[[], str]) -> str:
    try:
        return describe()
    except Exception:  # noqa: BLE001 - a description must never break the call
        return "working"
