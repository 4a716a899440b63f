"""Unsent replies, notes and call logs, one file per agent and ticket.

`<data dir>/drafts/<agent>/<ticket>.json`, written atomically, so a draft
survives a crash and comes back when the ticket is reopened.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from .fileio import atomic_write
from .identity import safe_agent_name
from .models import TICKET_ID


@dataclass
class Draft:
    ticket: str
    kind: str  # public_reply, internal_note or call_log
    body: str = ""
    seen: dict[str, Any] = field(default_factory=dict)  # the ticket document it was based on
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
        self.root = Path(data_dir) / "drafts" / safe_agent_name(agent)  # refused, never rewritten
        self._write = threading.Lock()  # one temp file name per process: one writer at a time
        self._queue: ThreadPoolExecutor | None = None

    def path(self, ticket_id: str) -> Path:
        if not TICKET_ID.match(ticket_id):
            raise ValueError(f"not a ticket id: {ticket_id!r}")
        return self.root / f"{ticket_id}.json"

    def save(self, draft: Draft) -> None:
        path = self.path(draft.ticket)
        with self._write:
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
            path = self.path(ticket_id)
        except ValueError:
            return
        with self._write:
            path.unlink(missing_ok=True)

    def tickets(self) -> list[str]:
        """Tickets that have a draft."""
        if not self.root.is_dir():
            return []
        return sorted(p.stem for p in self.root.glob("T-*.json"))

    # -- in the background, in the order asked (a save never lands after a delete) --
    def _submit(self, fn: Any, *args: Any) -> Future[None]:
        if self._queue is None:
            self._queue = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drafts")
        return self._queue.submit(fn, *args)

    def save_later(self, draft: Draft) -> Future[None]:
        return self._submit(self.save, replace(draft))

    def delete_later(self, ticket_id: str) -> Future[None]:
        return self._submit(self.delete, ticket_id)

    def flush(self) -> None:
        """Wait until every write asked for so far is on disk."""
        if self._queue is not None:
            self._submit(lambda: None).result()
