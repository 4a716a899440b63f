"""The status bar: who is working, for how long, and on which ticket."""

from __future__ import annotations

import time

from textual.content import Content
from textual.widgets import Static

from ..core import humanize
from ..core.handling import HandlingClock
from ..text import line


class StatusBar(Static):
    def __init__(self, agent: str, clock: HandlingClock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.agent = agent
        self.clock = clock
        self.started = time.monotonic()

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        parts = [Content.assemble(("agent ", "$text-muted"), line(self.agent, "bold")),
                 Content.assemble(("session ", "$text-muted"),
                                  humanize.clock(time.monotonic() - self.started))]
        current = self.clock.current
        if current:
            parts.append(Content.assemble((f"{current} handling ", "$text-muted"),
                                          (humanize.clock(self.clock.elapsed(current)), "bold")))
        self.update(Content("  ·  ").join(parts))
