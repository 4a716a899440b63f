"""Lines of short parts ("status open", "priority urgent") that wrap between parts.

Word wrapping would split "channel" from "chat"; a Flow moves the whole part to
the next line instead, and only a part wider than the pane wraps inside itself.
"""

from __future__ import annotations

from typing import Sequence

from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

Line = Sequence[Content]


def flow(parts: Line, width: int, gap: str = "  ") -> Content:
    """Join `parts` with `gap`, starting a new line wherever the next part would not fit."""
    lines: list[Content] = []
    current: Content | None = None
    for part in parts:
        if current is None:
            current = part
        elif current.cell_length + len(gap) + part.cell_length > width:
            lines.append(current)
            current = part
        else:
            current = current + Content(gap) + part
    if current is not None:
        lines.append(current)
    return Content("\n").join(lines)


class Flow(Widget):
    DEFAULT_CSS = "Flow { height: auto; }"

    def __init__(self, lines: Sequence[Line] = (), *, gap: str = "  ", id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines = list(lines)
        self._gap = gap

    def set_lines(self, lines: Sequence[Line]) -> None:
        self._lines = list(lines)
        self.refresh(layout=True)

    def text(self, width: int) -> Content:
        return Content("\n").join(flow(line, width, self._gap) for line in self._lines)

    def render(self) -> Content:
        return self.text(self.content_size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.text(width).get_height(self.styles, width) if width else 0
