"""Real stores for the sync tests: a team store with a few customers and tickets, replicas
cloned from it, and what "equal" means between a replica and the team's store."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from tui.core.permissions import init_store
from tui.core.store import TinyDBStore
from tui.core.sync import InProcess, clone

CUSTOMERS = [("Anna Ohlsson", "anna@example.com"), ("Ben Ek", "ben@example.com"),
             ("Chen Li", "chen@example.com")]


def make_host(root: Path, tickets: int = 4) -> Path:
    host = root / "host"
    init_store(host)
    store = TinyDBStore(host, agent="hostagent")
    try:
        ids = [store.insert_customer(name=n, email=e).id for n, e in CUSTOMERS]
        for i in range(tickets):
            store.insert_ticket(customer=ids[i % len(ids)], subject=f"Problem {i}",
                                body=f"Help with {i}")
    finally:
        store.close()
    age_snapshots(host)
    return host


def age_snapshots(store_dir: Path, seconds: float = 3600) -> None:
    """Date the snapshots an hour back, as on a team store compacted before the replicas'
    syncs: the team's side then answers a sync that pushes nothing from its journals
    (tui/core/store/tinydb/peek.py), the path a real no-change sync takes."""
    for name in ("store.json", "archive.json"):
        path = store_dir / name
        if path.exists():
            then = time.time() - seconds
            os.utime(path, (then, then))


def make_replica(root: Path, host: Path, name: str, only: str = "") -> Path:
    target = root / name
    clone(str(host), target, only, connection=InProcess(host))
    return target


def opened(path: Path, agent: str = "agent") -> TinyDBStore:
    return TinyDBStore(path, agent=agent)


SHARED = ("status", "priority", "tags", "assignee", "subject", "flags", "customer", "group")


def view(store: TinyDBStore, skip: set[str] = frozenset()) -> dict[str, Any]:
    """Each active ticket as the agent sees it: fields and message ids, by team id."""
    out = {}
    for doc in store.ticket_docs():
        if doc["id"] in skip:
            continue
        out[doc["id"]] = ({f: doc.get(f) for f in SHARED},
                          sorted(m["id"] for m in doc.get("messages", [])))
    return out
