"""The shared output objects of §B.10 (FcrRate, Rate) and the rounding of means and rates."""

from __future__ import annotations

from typing import Iterable

FINAL_STATUSES = ("fcr", "not_fcr")


def round4(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def ratio(num: float, den: float) -> float | None:
    return round4(num / den) if den else None


def rate(num: int, den: int) -> dict:
    """`Rate` = {num, den, rate}."""
    return {"num": num, "den": den, "rate": ratio(num, den)}


def fcr_rate(statuses: Iterable[str]) -> dict:
    """`FcrRate` over the FCR statuses of a set of eligible tickets."""
    statuses = list(statuses)
    fcr = statuses.count("fcr")
    pending = statuses.count("pending_window")
    not_fcr = statuses.count("not_fcr")
    still_open = statuses.count("open")
    return {
        "n": len(statuses),
        "fcr": fcr,
        "pending": pending,
        "not_fcr": not_fcr,
        "open": still_open,
        "provisional": ratio(fcr + pending, fcr + pending + not_fcr),
        "final": ratio(fcr, fcr + not_fcr),
        "complete": pending + still_open == 0,
    }


def mean(values: list[int]) -> float | None:
    return ratio(sum(values), len(values))


def median(values: list[int]) -> float | None:
    """The mean of the two middle values for even n."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return round4(float(ordered[middle]))
    return round4((ordered[middle - 1] + ordered[middle]) / 2)


def p90(values: list[int]) -> float | None:
    """Nearest rank: the ⌈0.9·n⌉-th smallest."""
    if not values:
        return None
    rank = (9 * len(values) + 9) // 10
    return round4(float(sorted(values)[rank - 1]))
