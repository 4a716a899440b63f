"""Every use of Textual's and Rich's private API, in one place.

desk pins Textual 8.2.8 and Rich 15.0.0. What it borrows from their insides is below, each
with why; `missing()` lists what an upgrade took away, and tests/ui/test_textual_private.py
fails on any of it, naming the installed versions. Nothing else in desk touches a
private name of either library.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any, Iterable

from rich._wrap import (
    divide_line,  # the document panes wrap a line exactly as Rich does
)
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import (
    XTermParser,  # the quiet driver parses keys as Textual does
)

__all__ = ["ParseError", "XTermParser", "divide_line", "get_time", "missing", "paint_now",
           "parser_deadline", "vertical_scrollbar", "versions"]


def versions() -> str:
    return f"Textual {version('textual')}, Rich {version('rich')}"


def parser_deadline(parser: XTermParser) -> float | None:
    """When the key parser gives up waiting for the rest of a sequence (a lone Escape), on
    Textual's clock (`get_time`); None when it holds nothing."""
    return parser._timeout_time


def vertical_scrollbar(widget: Any) -> Any | None:
    """The widget's vertical scrollbar if it has made one (it is a widget of its own)."""
    return widget._vertical_scrollbar


def paint_now(screen: Any, widgets: Iterable[Any]) -> bool:
    """Paint `widgets` now, in one frame, instead of at Textual's next 60 Hz tick.

    Each widget asks for its repaint only once its own message queue is idle, so a tick
    between the first and the last ask splits one frame in two, and after a pause the next
    tick comes up to 33 ms late. A widget that needs a layout is left to Textual's own tick.
    False if nothing was painted."""
    widgets = list(widgets)
    if screen.app._batch_count or any(w._layout_required for w in widgets):
        return False
    for widget in widgets:
        if widget._repaint_required and widget.display:
            widget._repaint_required = False
            screen._dirty_widgets.add(widget)
    if not (screen._dirty_widgets or screen._repaint_required):
        return False
    screen._on_timer_update()
    return True


# (owner, attribute, what of desk depends on it); instance attributes are checked on an
# instance by the test, class attributes here.
INSTANCE_ATTRIBUTES = {
    "App": ("_batch_count",),
    "Screen": ("_dirty_widgets", "_repaint_required", "_layout_required"),
    "Widget": ("_repaint_required", "_layout_required", "_vertical_scrollbar"),
    "XTermParser": ("_timeout_time",),
    "LinuxDriver": ("exit_event", "fileno"),
}


def missing(instances: dict[str, Any] | None = None) -> list[str]:
    """What of the private API above is gone: `owner.attribute` names, empty when all is there."""
    from textual.drivers.linux_driver import LinuxDriver
    from textual.screen import Screen

    gone = []
    for owner, name in ((Screen, "_on_timer_update"), (LinuxDriver, "process_message"),
                        (LinuxDriver, "run_input_thread"), (XTermParser, "feed"),
                        (XTermParser, "tick")):
        if not callable(getattr(owner, name, None)):
            gone.append(f"{owner.__name__}.{name}")
    for owner, names in INSTANCE_ATTRIBUTES.items():
        instance = (instances or {}).get(owner)
        if instance is None:
            continue
        gone += [f"{owner}.{name}" for name in names if not hasattr(instance, name)]
    return gone
