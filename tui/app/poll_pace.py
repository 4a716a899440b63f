"""How often desk looks at the shared files: other desks' writes and who is on which ticket.

While the agent works, every `busy_s` (the store poll's `poll_seconds`, presence's second);
once no key has come for `idle_after_s` (the idle cut-off of the handling time), every
`idle_s`: an idle desk on a shared host wakes four times less often. The first key after
that wakes every sleeping look at once, so the agent never sees the slower pace.
"""

from __future__ import annotations

import threading
import time

IDLE_S = 5.0


class PollPace:
    def __init__(self, idle_after_s: float, idle_s: float = IDLE_S) -> None:
        self.idle_after_s = idle_after_s
        self.idle_s = idle_s
        self._last_input = time.monotonic()
        self._sleepers: list[threading.Event] = []

    def sleeper(self) -> threading.Event:
        """An event for one poll loop to wait on: set when the agent comes back."""
        event = threading.Event()
        self._sleepers.append(event)
        return event

    def since_input(self) -> float:
        """Seconds since the agent's last key."""
        return time.monotonic() - self._last_input

    def idle(self) -> bool:
        return time.monotonic() - self._last_input >= self.idle_after_s

    def interval(self, busy_s: float) -> float:
        return max(busy_s, self.idle_s) if self.idle() else busy_s

    def input(self) -> None:
        """The agent pressed a key (UI thread)."""
        was_idle = self.idle()
        self._last_input = time.monotonic()
        if was_idle:
            for event in self._sleepers:
                event.set()

    def stop(self) -> None:
        """Wake every loop so that it sees it is to end."""
        for event in self._sleepers:
            event.set()
