"""User text is data: every ticket and customer string reaches the screen through here.

Strings become `Content` (or plain `str` for APIs that take no markup), never
markup. Control characters are shown as visible symbols (ESC as ␛, BEL as ␇,
NUL as ␀, a lone CR as ␍), bidi overrides as �, and tabs are expanded.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style

TAB_SIZE = 4
_CONTROL = {code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)}
_CONTROL[0x7F] = "\u2421"  # ␡
_CONTROL.update({code: "\ufffd" for code in range(0x80, 0xA0)})
_CONTROL.update({code: "\ufffd" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
_ONE_LINE = {**_CONTROL, 0x0A: " ", 0x09: " "}


def clean(text: object) -> str:
    """Multi-line text, safe to show: controls visible, CRLF to LF, tabs expanded."""
    value = "" if text is None else str(text)
    value = value.replace("\r\n", "\n")
    if "\t" in value:
        value = "\n".join(line.expandtabs(TAB_SIZE) for line in value.split("\n"))
    return value.translate(_CONTROL)


def one_line(text: object) -> str:
    """Like `clean`, for a single row: newlines and tabs become spaces."""
    value = "" if text is None else str(text)
    return value.replace("\r\n", "\n").translate(_ONE_LINE)


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
