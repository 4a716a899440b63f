"""User text is data: every ticket and customer string reaches the screen through here.

Strings become `Content` (or plain `str` for APIs that take no markup), never
markup. Control characters are shown as visible symbols (ESC as ␛, BEL as ␇,
NUL as ␀, a lone CR as ␍), bidi overrides as �, and tabs are expanded.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style

from ..core.safetext import clean, one_line

__all__ = ["clean", "content", "highlight", "line", "one_line"]


def content(text: object, style: str | Style = "") -> Content:
    """Multi-line user text as Content."""
    return Content.styled(clean(text), style) if style else Content(clean(text))


def line(text: object, style: str | Style = "") -> Content:
    """Single-line user text as Content."""
    return Content.styled(one_line(text), style) if style else Content(one_line(text))


def highlight(text: object, query: str, style: str = "bold reverse") -> Content:
    """`text` with the first case-insensitive occurrence of `query` styled (palette hits)."""
    plain = one_line(text)
    result = Content(plain)
    start = plain.casefold().find(query.casefold()) if query else -1
    if start >= 0 and len(plain.casefold()) == len(plain):
        result = result.stylize(style, start, start + len(query))
    return result
