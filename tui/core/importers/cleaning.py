"""Cell values from messy files: missing markers, times in many formats (python-dateutil
past the ISO fast path), HTML bodies to readable text (the stdlib's html.parser), numbers."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from html.parser import HTMLParser
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

from .records import BadValue

MISSING = frozenset({"", "?", "??", "-", "--", "n/a", "na", "none", "null", "nil", "nan",
                     "not provided", "not available", "unknown", "(none)", "#n/a"})


def present(value: object) -> str | None:
    """The cell's text, or None for an empty cell or a missing-value marker (`?`, `Not Provided`)."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in MISSING else text


def zone(name: str | None) -> tzinfo:
    """The zone that times without one are in (`--timezone`); UTC by default."""
    if not name or name.upper() == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name like Europe/Oslo)") from None


_EPOCH = re.compile(r"^\d{9,13}(\.\d+)?$")
_DOTTED_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}\b")  # 03.11.2026: day first wherever used


def parse_time(value: object, column: str, tz: tzinfo, *, dayfirst: bool = False) -> datetime | None:
    """An aware UTC time from an ISO 8601, RFC 2822, spreadsheet or epoch value; a time
    without a zone is in `tz`. None when missing; BadValue when it is no time at all."""
    text = present(value)
    if text is None:
        return None
    try:
        return _parsed(text, tz, dayfirst)
    except _NotATime as exc:
        raise BadValue(column, str(exc)) from None


class _NotATime(ValueError):
    pass


@lru_cache(maxsize=8192)  # files repeat their times (a day's tickets, a purchase date): each is parsed once
def _parsed(text: str, tz: tzinfo, dayfirst: bool) -> datetime:
    if _EPOCH.match(text):
        seconds = float(text)
        parsed = datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, timezone.utc)
    else:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            try:
                parsed = dateutil_parser.parse(
                    text, dayfirst=dayfirst or bool(_DOTTED_DATE.match(text)))
            except (ValueError, OverflowError, TypeError):
                raise _NotATime(f"{text!r} is not a date or time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    if not 1970 <= parsed.year <= 2200:
        raise _NotATime(f"{text!r} is not a plausible date")
    return parsed.astimezone(timezone.utc)


def parse_int(value: object, column: str, low: int | None = None, high: int | None = None) -> int | None:
    text = present(value)
    if text is None:
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise BadValue(column, f"{text!r} is not a number") from None
    if number != int(number) or (low is not None and number < low) or (high is not None and number > high):
        span = f" from {low} to {high}" if low is not None and high is not None else ""
        raise BadValue(column, f"{text!r} is not a whole number{span}")
    return int(number)


# Tags that make a body HTML; a plain-text body with `<name>` placeholders is not HTML.
_HTML_TAGS = frozenset("""a abbr b blockquote br code div em font h1 h2 h3 h4 h5 h6 hr i img li ol
p pre s small span strong sub sup table tbody td th thead tr u ul html body head style script
meta title center""".split())
_BLOCK = frozenset("p div br li tr h1 h2 h3 h4 h5 h6 blockquote pre hr table ul ol".split())
_SKIP = frozenset({"script", "style", "head", "title"})
_VOID = frozenset({"br", "hr", "img", "meta"})
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^<>]*>")


def looks_like_html(text: str) -> bool:
    return any(m.group(1).lower() in _HTML_TAGS for m in _TAG.finditer(text))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._pre = 0  # inside <pre>, line ends in the source are line ends in the text

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "pre":
            self._pre += 1
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag not in _HTML_TAGS:  # a placeholder such as <name>: text, kept as written
            self.parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _VOID:  # `<br/>` ends itself: one line break, not two
            return
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag not in _HTML_TAGS:
            self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        # Outside <pre> a line end in HTML is a space, as a browser shows it: `<br>` then a
        # line end is one line break, not a blank line.
        if not self._skipping:
            self.parts.append(data if self._pre else re.sub(r"[\r\n]+", " ", data))


def body_text(value: object) -> str:
    """A message body as readable text: HTML to text, entities decoded, line ends as LF,
    runs of blank lines folded; plain text (placeholders like `<name>` included) kept."""
    text = present(value)
    if text is None:
        return ""
    return _short_body(text) if len(text) <= _CACHED_BODY else _body(text)


_CACHED_BODY = 8192  # characters: a thousand short bodies kept, never a thousand long ones


@lru_cache(maxsize=1024)  # macros, auto-replies and signatures repeat: each is read once
def _short_body(text: str) -> str:
    return _body(text)


def _body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if looks_like_html(text):
        parser = _Text()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
        text = "\n".join(re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.split("\n"))
    elif "&" in text:
        text = html.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def one_value(value: object) -> str | None:
    """A short field (subject, name): entities decoded, one line."""
    text = present(value)
    if text is None:
        return None
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split()) or None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email(value: object, column: str) -> str | None:
    text = present(value)
    if text is None:
        return None
    text = text.strip("<> ").lower()
    if not _EMAIL.match(text):
        raise BadValue(column, f"{text!r} is not an email address")
    return text
