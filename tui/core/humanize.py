"""Short, human-readable times, durations and amounts for narrow columns."""

from __future__ import annotations

from datetime import datetime

MINUTE, HOUR, DAY = 60, 3600, 86400


def duration(seconds: float) -> str:
    """Two units at most, sign kept: `45m`, `3h12m`, `-2d4h`, `130d`."""
    sign = "-" if seconds < 0 else ""
    total = int(abs(seconds)) // MINUTE
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days >= 100:
        return f"{sign}{days}d"
    if days:
        return f"{sign}{days}d{hours}h" if hours else f"{sign}{days}d"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m" if minutes else f"{sign}{hours}h"
    return f"{sign}{minutes}m"


def age(seconds: float) -> str:
    """One unit: `12m`, `5h`, `3d`, `9w`."""
    seconds = max(0.0, seconds)
    if seconds < HOUR:
        return f"{int(seconds // MINUTE)}m"
    if seconds < DAY:
        return f"{int(seconds // HOUR)}h"
    if seconds < 14 * DAY:
        return f"{int(seconds // DAY)}d"
    return f"{int(seconds // (7 * DAY))}w"


def clock(seconds: float) -> str:
    """A stopwatch: `4:05`, `1:02:03`."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, HOUR)
    minutes, secs = divmod(rest, MINUTE)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def tenure(days: int) -> str:
    """`3 y 2 mo`, `5 mo`, `12 d`."""
    days = max(0, days)
    years, rest = divmod(days, 365)
    months = rest // 30
    if years:
        return f"{years} y {months} mo" if months else f"{years} y"
    return f"{months} mo" if months else f"{days} d"


def money(amount: float, currency: str) -> str:
    """`1,234.50 NOK`."""
    return f"{amount:,.2f} {currency}"


def local_datetime(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def local_date(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d")
