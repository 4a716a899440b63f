"""Per-ticket records as of T: attributes, flags, assignee and merge roots (§B.3.3, §B.3.5)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .events import ATTRIBUTES, TICKET_FLAGS, Event


@dataclass
class TicketRecord:
    id: str
    events: list[Event] = field(default_factory=list)  # events naming this ticket, global order
    created: Event | None = None
    attrs: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(ATTRIBUTES))
    flags: set[str] = field(default_factory=set)
    merged_into: str | None = None
    assignee: str | None = None
    root: str = ""
    members: list[str] = field(default_factory=list)  # itself and every ticket merged into it

    def of_type(self, *types: str) -> list[Event]:
        return [event for event in self.events if event.type in types]

    def public_replies(self) -> list[Event]:
        return [event for event in self.of_type("agent_reply") if event.is_public_reply]

    @property
    def first_seen(self) -> int:
        return self.events[0].ts if self.events else 0

    @property
    def is_root(self) -> bool:
        return self.merged_into is None


def build_records(events: list[Event]) -> dict[str, TicketRecord]:
    records: dict[str, TicketRecord] = {}

    def record(ticket_id: str) -> TicketRecord:
        if ticket_id not in records:
            records[ticket_id] = TicketRecord(ticket_id)
        return records[ticket_id]

    for event in events:
        for other in _other_ticket_ids(event):
            record(other)
        if event.ticket is not None:
            _apply(record(event.ticket), event)
    _resolve_roots(records)
    return dict(sorted(records.items()))


def _other_ticket_ids(event: Event) -> list[str]:
    if event.type == "merge":
        return [event.data["into"]]
    if event.type == "link_repeat":
        return [event.data["original"]]
    return []


def _apply(record: TicketRecord, event: Event) -> None:
    record.events.append(event)
    data = event.data
    if event.type == "ticket_created" and record.created is None:
        record.created = event
        record.attrs.update({name: _text(data.get(name)) for name in ATTRIBUTES})
    elif event.type == "field_change":
        record.attrs[data["field"]] = _text(data.get("value"))
    elif event.type == "mark" and data["flag"] in TICKET_FLAGS:
        (record.flags.add if data["value"] else record.flags.discard)(data["flag"])
    elif event.type == "merge":
        record.merged_into = data["into"]
    elif event.type == "assign":
        record.assignee = _text(data.get("to_agent"))


def _resolve_roots(records: dict[str, TicketRecord]) -> None:
    """root(k) follows merges transitively; a merge cycle leaves each ticket its own root."""
    for record in records.values():
        seen = [record.id]
        current = record
        while current.merged_into is not None and current.merged_into not in seen:
            seen.append(current.merged_into)
            current = records[current.merged_into]
        record.root = current.id if current.merged_into is None else record.id
    children: dict[str, list[str]] = defaultdict(list)
    for record in records.values():
        if record.merged_into is not None and records[record.merged_into].root == record.root:
            children[record.merged_into].append(record.id)
    for record in records.values():
        record.members = _subtree(record.id, children)


def _subtree(ticket_id: str, children: dict[str, list[str]]) -> list[str]:
    members, stack = [], [ticket_id]
    while stack:
        current = stack.pop()
        if current in members:
            continue
        members.append(current)
        stack.extend(children.get(current, []))
    return members


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
