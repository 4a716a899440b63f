"""Loyalty at a glance: tenure, purchases, repeat buying, spend and CSAT trend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import fmean
from typing import Sequence

from .models import OPEN_STATUSES, Customer, Purchase, TicketFields

TREND_STEP = 0.5  # a change in mean CSAT smaller than this is "steady"


@dataclass(frozen=True)
class Loyalty:
    tenure_days: int
    purchases: int
    repeat_buyer: bool
    spend: dict[str, float]  # lifetime spend per currency, largest first
    csat_avg: float | None
    csat_n: int
    csat_trend: str | None  # "up", "down", "steady"; None with fewer than two ratings


def csat_trend(scores: Sequence[int]) -> str | None:
    """Compare the later half of the ratings (oldest first) with the earlier half."""
    if len(scores) < 2:
        return None
    half = len(scores) // 2
    change = fmean(scores[half:]) - fmean(scores[:half])
    if change >= TREND_STEP:
        return "up"
    if change <= -TREND_STEP:
        return "down"
    return "steady"


def loyalty(customer: Customer, purchases: Sequence[Purchase], tickets: Sequence[TicketFields],
            now: datetime) -> Loyalty:
    spend: dict[str, float] = {}
    for purchase in purchases:
        if purchase.amount is None or purchase.currency is None:
            continue  # an imported purchase of unknown amount
        spend[purchase.currency] = spend.get(purchase.currency, 0.0) + purchase.amount
    rated = sorted((t.satisfaction for t in tickets if t.satisfaction), key=lambda s: s.date)
    scores = [s.score for s in rated]
    return Loyalty(
        tenure_days=max(0, (now - customer.customer_since).days),
        purchases=len(purchases),
        repeat_buyer=len(purchases) >= 2,
        spend=dict(sorted(spend.items(), key=lambda kv: -kv[1])),
        csat_avg=round(fmean(scores), 2) if scores else None,
        csat_n=len(scores),
        csat_trend=csat_trend(scores),
    )


def outcome(ticket: TicketFields) -> str:
    """How a past ticket ended: its resolution code, else `open` or its status."""
    if ticket.resolution_code:
        return ticket.resolution_code
    return "open" if ticket.status in OPEN_STATUSES else str(ticket.status)
