"""Time values of the metrics engine: epoch milliseconds in, §B.10 strings out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MS = timedelta(milliseconds=1)
DAY_MS = 86_400_000


def parse_time(value: str) -> int:
    """RFC 3339 / ISO 8601 (`Z`, an offset, or none = UTC) to epoch milliseconds.

    Raises ValueError when the text is not a time.
    """
    if not isinstance(value, str):
        raise ValueError(f"not a time string: {value!r}")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // ONE_MS


def format_time(ms: int | None) -> str | None:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`, or None."""
    if ms is None:
        return None
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def to_seconds(ms: int) -> int:
    """Milliseconds to whole seconds, truncated toward zero (§B.10)."""
    return ms // 1000 if ms >= 0 else -(-ms // 1000)


def to_seconds_or_none(ms: int | None) -> int | None:
    return None if ms is None else to_seconds(ms)


class Period:
    """A half-open period (start, end] in epoch milliseconds."""

    def __init__(self, start: int, end: int):
        self.start = start
        self.end = end

    def __contains__(self, ms: int | None) -> bool:
        return ms is not None and self.start < ms <= self.end

    def as_dict(self) -> dict[str, str | None]:
        return {"start": format_time(self.start), "end": format_time(self.end)}
