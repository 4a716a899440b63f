"""What changed on a ticket between the revision an agent saw and the current one."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from .models import Ticket

KIND_NAMES = {"customer_message": "customer message", "public_reply": "public reply",
              "internal_note": "internal note", "call_log": "call log"}


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _status(status: str) -> str:
    return str(status).replace("_", " ")  # "on hold", as the ticket header shows it


def changes_since(seen: Ticket, current: Ticket) -> list[str]:
    """Plain sentences, most important first; empty if nothing an agent cares about changed."""
    lines = []
    seen_ids = {m.id for m in seen.messages}
    new = [m for m in current.messages if m.id not in seen_ids]
    for (kind, author), n in Counter((m.kind, m.author) for m in new).items():
        lines.append(f"{_plural(n, 'new ' + KIND_NAMES.get(kind, kind))} from {author}")
    if seen.status != current.status:
        lines.append(f"status: {_status(seen.status)} → {_status(current.status)}")
    if seen.assignee != current.assignee:
        lines.append(f"assignee: {seen.assignee or 'nobody'} → {current.assignee or 'nobody'}")
    if seen.priority != current.priority:
        lines.append(f"priority: {seen.priority} → {current.priority}")
    added, removed = set(current.tags) - set(seen.tags), set(seen.tags) - set(current.tags)
    if added or removed:
        parts = [f"+{t}" for t in sorted(added)] + [f"-{t}" for t in sorted(removed)]
        lines.append("tags: " + " ".join(parts))
    if seen.subject != current.subject:
        lines.append(f"subject: {current.subject}")
    return lines


def must_see(seen: Ticket, current: Ticket) -> list[str]:
    """What others changed that an agent must see before their write goes on top: new
    messages, status, assignee, priority, subject. Not tags: both agents' tags are kept."""
    return changes_since(seen.model_copy(update={"tags": current.tags}), current)


def untouched(seen: Ticket, current: Ticket, fields: Iterable[str]) -> bool:
    """None of `fields` moved since `seen`."""
    before, now = seen.to_doc(), current.to_doc()
    return all(before.get(field) == now.get(field) for field in fields)
