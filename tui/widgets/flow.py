"""Lines of short parts ("status open", "priority urgent") that wrap between parts.

Word wrapping would split "channel" from "chat"; a flow moves the whole part to
the next line instead, and only a part wider than the pane wraps inside itself
(where the flowed lines are shown: `document.lines_block`).
"""

from __future__ import annotations

from typing import Sequence

from textual.content import Content

Line = Sequence[Content]


def flow_lines(parts: Line, width: int, gap: str = "  ") -> list[Content]:
    """`parts` joined with `gap`, a new line wherever the next part would not fit."""
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
    return lines


def flow(parts: Line, width: int, gap: str = "  ") -> Content:
    """`flow_lines` as one Content, one line per row."""
    return Content("\n").join(flow_lines(parts, width, gap))
