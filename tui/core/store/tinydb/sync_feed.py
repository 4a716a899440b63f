"""What changed on a team's store since a time: the tickets a replica pulls at `desk sync`."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from ...fileio import open_read
from .journal import journal_entries
from .names import OUTBOX


def _mtime_iso(path: Any) -> str | None:
    try:
        ns = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def changed_since(store: Any, since: str) -> list[dict[str, Any]]:
    """Tickets (active, moving to the archive, or archived) whose `updated` is at or after
    `since` (an ISO time as the store writes it). The archive's recent closes are in its
    journal; the whole archive is read only if its snapshot was rewritten since `since`."""
    store.refresh()
    found: dict[str, dict[str, Any]] = {}
    written = _mtime_iso(store._archive.snapshot)
    if store._archive_loaded or (written is not None and written >= since):
        store._load_archive()
        archived = list(store._tickets(True).values())
    else:
        try:
            with open_read(store._archive.journal) as fh:  # never through a link
                chunk = fh.read()
        except FileNotFoundError:
            chunk = b""
        archived = [doc for ops in journal_entries(chunk) if ops
                    for table, _, doc in ops if table == "tickets" and doc]
    for doc in archived:  # in journal order: a later line is the newer document
        if doc.get("updated", "") >= since:
            found[doc["id"]] = doc
    for doc in store._active.tables.get(OUTBOX, {}).values():
        if doc.get("updated", "") >= since:
            found[doc["id"]] = doc
    for doc in store._tickets(False).values():
        if doc.get("updated", "") >= since:
            found[doc["id"]] = doc
    return list(found.values())
