"""A ticket's audit trail in words, from its events in the event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .eventlog import parse_event_ts


@dataclass(frozen=True)
class AuditLine:
    when: datetime | None
    who: str
    what: str


def _what(kind: str, data: dict[str, Any]) -> str:
    if kind == "ticket_created":
        return f"created the ticket ({data.get('channel')}, {data.get('priority')})"
    if kind == "customer_contact":
        return "customer contact"
    if kind == "agent_reply":
        return "public reply" if data.get("public", True) else "private reply"
    if kind == "internal_note":
        return "logged a call" if data.get("call_log") else "internal note"
    if kind == "status_change":
        code = f" ({data['resolution_code']})" if data.get("resolution_code") else ""
        return f"status {data.get('from')} → {data.get('to')}{code}"
    if kind == "assign":
        return f"assigned {data.get('from_agent') or 'nobody'} → {data.get('to_agent') or 'nobody'}"
    if kind == "field_change":
        return f"{data.get('field')} → {data.get('value')}"
    if kind == "tags_change":
        parts = [f"+{t}" for t in data.get("added", [])] + [f"-{t}" for t in data.get("removed", [])]
        return "tags " + " ".join(parts)
    if kind == "subject_change":
        return f"subject → {data.get('value')}"
    if kind == "mark":
        flag = str(data.get("flag", "?")).replace("_", " ")
        return f"flagged {flag}" if data.get("value") else f"cleared the {flag} flag"
    if kind == "link_repeat":
        return f"linked as {str(data.get('kind', '?')).replace('_', ' ')} of {data.get('original')}"
    if kind == "merge":
        return f"merged into {data.get('into')}"
    if kind == "csat_response":
        return f"CSAT rating {data.get('score')}"
    return kind.replace("_", " ")


def describe(event: dict[str, Any]) -> AuditLine:
    try:
        when = parse_event_ts(event["ts"])
    except (KeyError, TypeError, ValueError):
        when = None
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    who = event.get("agent") or event.get("src") or "system"
    return AuditLine(when, str(who), _what(str(event.get("type", "?")), data))
