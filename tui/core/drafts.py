"""Unsent replies, notes and call logs, one file per agent and ticket.

`<data dir>/drafts/<agent>/<ticket>.json`, written atomically, so a draft
survives a crash and comes back when the ticket is reopened.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .fileio import atomic_write
from .models import TICKET_ID

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class Draft:
    ticket: str
    kind: str  # public_reply, internal_note or call_log
    body: str = ""
    base_rev: int = 0  # the ticket revision the agent was looking at
    call_start: str | None = None  # RFC 3339, call logs only
    call_end: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)  # field changes from a macro
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    macro: str | None = None  # the title of the macro it came from

    @classmethod
    def from_dict(cls, data: Any) -> "Draft | None":
        if not isinstance(data, dict):
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        try:
            draft = cls(**known)
        except TypeError:
            return None
        ok = isinstance(draft.ticket, str) and isinstance(draft.body, str) and isinstance(draft.kind, str)
        return draft if ok else None


class Drafts:
    def __init__(self, data_dir: Path, agent: str):
        safe_agent = _UNSAFE.sub("_", agent) or "_"
        self.root = Path(data_dir) / "drafts" / safe_agent

    def path(self, ticket_id: str) -> Path:
        if not TICKET_ID.match(ticket_id):
            raise ValueError(f"not a ticket id: {ticket_id!r}")
        return self.root / f"{ticket_id}.json"

    def save(self, draft: Draft) -> None:
        path = self.path(draft.ticket)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o770)
        atomic_write(path, orjson.dumps(asdict(draft)))

    def load(self, ticket_id: str) -> Draft | None:
        """The saved draft, or None if there is none or it cannot be read."""
        try:
            raw = self.path(ticket_id).read_bytes()
            return Draft.from_dict(orjson.loads(raw))
        except (OSError, ValueError):
            return None

    def delete(self, ticket_id: str) -> None:
        try:
            self.path(ticket_id).unlink(missing_ok=True)
        except ValueError:
            pass

    def tickets(self) -> list[str]:
        """Tickets that have a draft."""
        if not self.root.is_dir():
            return []
        return sorted(p.stem for p in self.root.glob("T-*.json"))
