"""SLA clocks of a ticket: which target breaches next, and whether it is at risk.

Works on raw ticket documents (the fast path for 100k tickets). A target is
measured once its event happened (first public reply, solve); until then it is
`breached` past its due time and `at_risk` from AT_RISK_FRACTION of it onward,
as in metrics-spec §B.6 "SLA breach".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from .models import RESOLVED_STATUSES

AT_RISK_FRACTION = 0.8


class SlaState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


def epoch(value: Any) -> float | None:
    """Seconds since the epoch for a stored timestamp; None if missing or unreadable."""
    if isinstance(value, datetime):
        return value.timestamp() if value.tzinfo else None
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)  # 3.11 reads the "Z" suffix
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo else None


@dataclass(frozen=True, slots=True)
class SlaTarget:
    start: float
    due: float
    done: float | None  # when the target was measured, None while it runs

    @property
    def risk_from(self) -> float:
        return self.start + AT_RISK_FRACTION * max(0.0, self.due - self.start)

    def state(self, now: float) -> SlaState:
        if self.done is not None:
            return SlaState.MET if self.done <= self.due else SlaState.BREACHED
        if now > self.due:
            return SlaState.BREACHED
        if now >= self.risk_from:
            return SlaState.AT_RISK
        return SlaState.OK

    def remaining(self, now: float) -> float | None:
        """Seconds until breach (negative once breached); None once measured."""
        return None if self.done is not None else self.due - now


def _target(doc: dict[str, Any], due_field: str, done: float | None) -> SlaTarget | None:
    due, start = epoch(doc.get(due_field)), epoch(doc.get("created"))
    if due is None or start is None:
        return None
    return SlaTarget(start, due, done)


def first_reply_target(doc: dict[str, Any]) -> SlaTarget | None:
    return _target(doc, "first_reply_due", epoch(doc.get("first_replied")))


def resolution_target(doc: dict[str, Any]) -> SlaTarget | None:
    done = epoch(doc.get("solved"))
    if done is None and doc.get("status") in RESOLVED_STATUSES:
        done = epoch(doc.get("updated"))
    return _target(doc, "resolution_due", done)


@dataclass(frozen=True, slots=True)
class SlaClock:
    """The running targets of one ticket, reduced to what the queue needs."""

    next_due: float | None  # the earliest due time among running targets
    risk_from: float | None  # the earliest at-risk time among running targets

    def remaining(self, now: float) -> float | None:
        return None if self.next_due is None else self.next_due - now

    def state(self, now: float) -> SlaState | None:
        if self.next_due is None or self.risk_from is None:
            return None
        if now > self.next_due:
            return SlaState.BREACHED
        return SlaState.AT_RISK if now >= self.risk_from else SlaState.OK


def clock(doc: dict[str, Any]) -> SlaClock:
    if doc.get("status") in RESOLVED_STATUSES:
        return SlaClock(None, None)
    running = [t for t in (first_reply_target(doc), resolution_target(doc))
               if t is not None and t.done is None]
    if not running:
        return SlaClock(None, None)
    return SlaClock(min(t.due for t in running), min(t.risk_from for t in running))
