"""Full garbage collections while the agent is idle, never in the middle of a keystroke.

CPython's cyclic GC runs a full (generation 2) pass over every live object now and then: with
a large store in memory that took 70 ms at 10k tickets and 200 ms at 100k, every few seconds
of use, inside whatever frame was being drawn (the slowest Downs of the benchmark). desk
freezes what lives as long as the app (the store, the queue's rows) once the first screen is
up (`QueuePanel._warm_search`), leaves the young generations to CPython, and runs the full
pass itself when CPython would have (DUE), but only once no key has come for IDLE_S, or after
MAX_WAIT_S of uninterrupted typing at the latest.
"""

from __future__ import annotations

import gc
import time

IDLE_S = 2.0
MAX_WAIT_S = 300.0
DUE = 10  # generation-1 passes since the last full one: CPython's own threshold
NEVER = 1_000_000  # a generation-2 threshold CPython never reaches


class IdleCollector:
    def __init__(self) -> None:
        self.last_input = time.monotonic()
        self.last_full = time.monotonic()
        self._thresholds = gc.get_threshold()

    def start(self) -> None:
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, NEVER)

    def stop(self) -> None:
        """Back to CPython's own collections (the app is ending; tests run many apps)."""
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()

    def input(self) -> None:
        self.last_input = time.monotonic()

    def tick(self) -> bool:
        """Call about once a second: a full pass if the agent is idle and one is due."""
        now = time.monotonic()
        idle = now - self.last_input >= IDLE_S
        due = gc.get_count()[2] >= DUE
        if due and (idle or now - self.last_full >= MAX_WAIT_S):
            gc.collect()
            self.last_full = time.monotonic()
            return True
        return False
