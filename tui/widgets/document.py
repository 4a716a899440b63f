"""A pane of text drawn through the line API: blocks laid out lazily, lines painted lazily.

A `Document` is a list of `Block`s (a header line, a message's title, one paragraph of
its body...). A block is laid out into lines only when one of its lines comes into view
(or while the document is small), and a line becomes a `Strip` only when it is painted;
both are kept until the width or the content changes. Until it is laid out, a block's
height is an estimate (its length over the width), so a 1 MB message or a
2,000-message thread opens as fast as a short one, and only about two screenfuls of any document are laid
out when it is shown.

Showing another document never lays out the screen: the pane keeps its size (the
scrollbar is always there), its scrollable length is set directly, and only its own
region is repainted.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Callable, Sequence

from rich.segment import Segment
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from ..ui.textual_private import divide_line

EAGER_SCREENS = 2  # when shown, about this many screenfuls are laid out; the rest on demand
CHUNK = 4_096  # a longer paragraph is laid out in pieces of about this many characters


@dataclass(eq=False)
class Block:
    """Some lines of the document, laid out for a width by `lay_out(width)`.

    `bar` (a styled Content such as "▎ ") starts every line; `style` (a component class of the
    view, "" for none) is the background of the whole width; `size` is a length in cells
    for the height estimate (0: exactly one line, laid out right away).
    """

    lay_out: Callable[[int], list[Content]]
    bar: Content = field(default_factory=Content)
    style: str = ""
    size: int = 0
    key: object = None  # the same key shown again: its lines are reused, not laid out again
    height: int = 0  # known in advance (lines cut to the width, not wrapped): laid out when painted

    def estimate(self, width: int) -> int:
        return max(1, -(-self.size // max(1, width))) if self.size else 1


def text_blocks(text: Content, *, bar: Content = Content(), style: str = "",
                key: object = None) -> list[Block]:
    """A paragraph-per-block view of multi-line `text`, word-wrapped; very long lines in pieces.
    With a `key`, the blocks are keyed (key, n, length) so that showing them again is free."""
    blocks = []
    for paragraph in text.split("\n", allow_blank=True):
        for piece in _pieces(paragraph):
            block_key = None if key is None else (key, len(blocks), len(piece.plain))
            blocks.append(Block(_wrapper(piece), bar, style, max(1, piece.cell_length), block_key))
    return blocks


def lines_block(lines: Callable[[int], Sequence[Content]], *, bar: Content = Content(),
                style: str = "", size: int = 0) -> Block:
    """A block of a few short lines, laid out by `lines(width)` (e.g. `flow`); `size`: about
    how many cells they hold (0: lay it out when shown)."""
    return Block(lambda width: [cut for line in lines(width) for cut in _wrap(line, width)],
                 bar, style, size)


def cut_block(lines: Callable[[], Sequence[Content]], height: int, *, style: str = "") -> Block:
    """A block of `height` lines made by `lines()` when first painted, each cut to the width."""
    return Block(lambda width: [line.truncate(width, ellipsis=True) for line in lines()],
                 style=style, height=height)


def blank(style: str = "", bar: Content = Content()) -> Block:
    return Block(lambda width: [Content()], bar, style, height=1)


def _pieces(paragraph: Content) -> list[Content]:
    text = paragraph.plain
    if len(text) <= CHUNK:
        return [paragraph]
    cuts, start = [], 0
    while len(text) - start > CHUNK:
        space = text.rfind(" ", start + CHUNK - 256, start + CHUNK)
        start = space + 1 if space > 0 else start + CHUNK
        cuts.append(start)
    return paragraph.divide(cuts)


def _wrapper(paragraph: Content) -> Callable[[int], list[Content]]:
    return lambda width: _wrap(paragraph, width)


def _wrap(line: Content, width: int) -> list[Content]:
    """Word-wrapped to `width` (what Content.wrap does for one line, without its formatting)."""
    if line.cell_length <= width:
        return [line]
    pieces = line.divide(divide_line(line.plain, max(1, width), fold=True))
    return [piece.rstrip() for piece in pieces[:-1]] + pieces[-1:]


class Document(ScrollView, can_focus=True):
    """A scrollable, read-only view of blocks; see the module's docstring."""

    DEFAULT_CSS = """
    Document {
        overflow-x: hidden;
        overflow-y: scroll;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._blocks: list[Block] = []
        self._heights: list[int] = []
        self._exact: list[bool] = []
        self._starts: list[int] = [0]
        self._laid: dict[int, list[Content]] = {}  # block → its lines at self._width
        self._kept: dict[object, list[Content]] = {}  # block key → lines (shown before)
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(512)
        self._width = 0

    # -- content -------------------------------------------------------------------
    def set_blocks(self, blocks: list[Block], *, top: bool = False) -> None:
        """Show `blocks`; from the top, or (`top=False`) where the reader was."""
        self._kept = {self._blocks[i].key: lines for i, lines in self._laid.items()
                      if self._blocks[i].key is not None}
        self._blocks = blocks
        self._measure()
        self._kept = {}
        if top:
            self.set_reactive(Widget.scroll_y, 0.0)
            self.set_reactive(Widget.scroll_target_y, 0.0)
        self._settle()
        self.refresh()

    @property
    def line_count(self) -> int:
        return self._starts[-1]

    def block_start(self, index: int) -> int:
        """The first line of block `index` (exact once the blocks above are laid out)."""
        return self._starts[min(index, len(self._blocks))]

    def lines(self) -> list[str]:
        """Every line as plain text at the current width (lays the whole document out): for tests."""
        if self._width <= 0:
            return []  # hidden: nothing laid out
        for index in range(len(self._blocks)):
            self._lay_out(index)
        self._update_starts()
        out = []
        for index, block in enumerate(self._blocks):
            out.extend((block.bar + line).plain for line in self._laid[index])
        return out

    # -- laying out ------------------------------------------------------------------
    def _text_width(self, block: Block) -> int:
        return max(1, self._width - block.bar.cell_length)

    def _measure(self) -> None:
        """Heights for the current width: exact for the first screenfuls, estimated after."""
        if self._width != self.scrollable_content_region.width:
            self._kept = {}
        self._width = self.scrollable_content_region.width
        self._laid.clear()
        self._strips.clear()
        budget = EAGER_SCREENS * self._width * max(1, self.scrollable_content_region.height)
        self._heights, self._exact = [], []
        if self._width <= 0:  # not laid out yet, or hidden: measured when shown
            self._heights = [block.height or 1 for block in self._blocks]
            self._exact = [False] * len(self._blocks)
            self._update_starts()
            return
        for block in self._blocks:
            if block.height:
                self._heights.append(block.height)
                self._exact.append(True)
            elif budget > 0 or not block.size or block.key in self._kept:
                budget -= block.size
                self._heights.append(0)
                self._exact.append(False)
                self._lay_out(len(self._heights) - 1)
            else:
                self._heights.append(block.estimate(self._text_width(block)))
                self._exact.append(False)
        self._update_starts()

    def _lay_out(self, index: int) -> bool:
        """Lay block `index` out; True if its height changed."""
        if index in self._laid:
            return False
        block = self._blocks[index]
        lines = self._kept.get(block.key) if block.key is not None else None
        if lines is None:
            lines = block.lay_out(self._text_width(block)) or [Content()]
        if block.height:
            lines = (lines + [Content()] * block.height)[:block.height]
        self._laid[index] = lines
        self._exact[index] = True
        changed = self._heights[index] != len(lines)
        self._heights[index] = len(lines)
        return changed

    def _update_starts(self) -> None:
        self._starts = [0, *accumulate(self._heights)]
        size = Size(self._width, self._starts[-1])
        if size != self.virtual_size:
            self.set_reactive(Widget.virtual_size, size)  # no layout of the screen
            self._scroll_update(size)

    def _block_at(self, y: int) -> int:
        return bisect_right(self._starts, y) - 1

    def _settle(self) -> None:
        """Lay out the blocks in view. When that changes heights above what the reader saw,
        keep it in place; at the end of the document, stay at the end."""
        view = self.scrollable_content_region.height
        if not self._blocks or view <= 0:
            return
        for _ in range(100):
            top = int(self.scroll_y)
            at_end = top > 0 and top >= self.max_scroll_y
            first = self._block_at(top)
            last = min(len(self._blocks) - 1, self._block_at(top + view - 1))
            todo = [i for i in range(max(0, first), last + 1) if not self._exact[i]]
            if not todo:
                return
            anchor = next((i for i in range(max(0, first), last + 1)
                           if self._exact[i] and self._starts[i] >= top), None)
            offset = self._starts[anchor] - top if anchor is not None else 0
            changed = [self._lay_out(i) for i in todo]
            if not any(changed):
                continue
            self._update_starts()
            if at_end:
                target = max(0, self._starts[-1] - view)
            elif anchor is not None and todo[0] < anchor:
                target = self._starts[anchor] - offset
            else:
                continue
            self.set_reactive(Widget.scroll_y, float(target))
            self.set_reactive(Widget.scroll_target_y, float(target))
            self._scroll_update(self.virtual_size)

    def action_scroll_end(self) -> None:
        """To the last line: the blocks of the last screenful laid out first, so that the end
        is where it will stay."""
        view, filled = self.scrollable_content_region.height, 0
        for index in range(len(self._blocks) - 1, -1, -1):
            self._lay_out(index)
            filled += self._heights[index]
            if filled >= view:
                break
        self._update_starts()
        self.scroll_to(y=self.max_scroll_y, animate=False)

    def watch_scroll_y(self, old: float, new: float) -> None:
        self._settle()
        super().watch_scroll_y(old, self.scroll_y)

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._width:
            self._measure()
        self._settle()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def _on_focus(self, event) -> None:
        super()._on_focus(event)
        self._strips.clear()  # the focused pane has another background
        self.refresh()

    def _on_blur(self, event) -> None:
        super()._on_blur(event)
        self._strips.clear()
        self.refresh()

    # -- painting ---------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        if self.scrollable_content_region.width != self._width:  # painted before on_resize
            self._measure()
            self._settle()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._width  # render_lines has made it the content width
        line_y = int(self.scroll_y) + y
        index = self._block_at(line_y)
        if index < 0 or index >= len(self._blocks):
            return Strip.blank(width, self.rich_style)
        row = line_y - self._starts[index]
        key = (index, row)
        strip = self._strips.get(key)
        if strip is None:
            self._lay_out(index)  # not in view when settled (e.g. during a resize)
            strip = self._render(self._blocks[index], self._laid[index], row, width)
            self._strips[key] = strip
        return strip

    def _render(self, block: Block, lines: list[Content], row: int, width: int) -> Strip:
        base = self.get_visual_style(block.style) if block.style else self.visual_style
        text = block.bar + lines[row] if row < len(lines) else block.bar
        segments = [Segment(part, style.rich_style)
                    for part, style in text.render(base, end="", parse_style=self._get_style)]
        length = text.cell_length
        if length < width:  # padded here: one Strip a line rather than three
            segments.append(Segment(" " * (width - length), base.rich_style))
            return Strip(segments, width)
        return Strip(segments, length).crop(0, width)
