"""How long each ticket has been in front of the agent this session."""

from __future__ import annotations

import time
from typing import Callable


class HandlingClock:
    """Accumulates focused time per ticket; one ticket is focused at a time."""

    def __init__(self, now: Callable[[], float] = time.monotonic):
        self._now = now
        self._spent: dict[str, float] = {}
        self._current: str | None = None
        self._since = 0.0

    @property
    def current(self) -> str | None:
        return self._current

    def focus(self, ticket_id: str | None) -> None:
        if ticket_id == self._current:
            return
        now = self._now()
        if self._current is not None:
            self._spent[self._current] = self.elapsed(self._current, now)
        self._current, self._since = ticket_id, now

    def elapsed(self, ticket_id: str, now: float | None = None) -> float:
        spent = self._spent.get(ticket_id, 0.0)
        if ticket_id == self._current:
            spent += (self._now() if now is None else now) - self._since
        return spent
