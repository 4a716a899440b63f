"""`clone` and `sync`: one exchange each with the team's store, opened by a version handshake
that names the store schema and, for a sync, the team store's id recorded at clone (a remote
re-initialised since is refused before anything moves)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..fileio import atomic_write, fsync_dir
from ..models import SCHEMA_VERSION
from ..store.tinydb import snapshot
from ..store.tinydb.names import doc_key
from .client import Connection, SyncError, connect, parse_remote
from .ops import LOCAL_IDS_FROM, SYNC
from .replica import SyncResult, absorb, check_pulled, outgoing, replica_state
from .wire import WIRE_VERSION


def handshake(conn: Connection, remote: str, store_id: str | None = None) -> dict[str, Any]:
    reply = conn.request({"request": "hello", "wire": WIRE_VERSION, "schema": SCHEMA_VERSION})
    if "store_id" not in reply:
        raise SyncError(f"{remote}: the far side is not desk sync-serve")
    if reply.get("schema") != SCHEMA_VERSION:
        raise SyncError(f"{remote}: the team store has schema {reply.get('schema')}, this desk "
                        f"{SCHEMA_VERSION}: upgrade the older desk first; nothing was changed")
    if store_id is not None and reply["store_id"] != store_id:
        raise SyncError(f"{remote}: this is not the store the replica was cloned from (it was "
                        "re-initialised or replaced); nothing was changed. Clone it again "
                        "into a new directory; this replica's changes stay here")
    return reply


def _by_key(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {doc_key(d["id"]): d for d in docs}


def clone(remote: str, directory: Path | str, only: str = "", *,
          connection: Connection | None = None, remote_desk: str | None = None) -> int:
    """Make a replica of the team store at `remote` in `directory` (new, or an empty folder);
    how many tickets it holds. Built in a temporary folder beside it and renamed at the end."""
    directory = Path(directory).expanduser()
    if directory.exists() and (not directory.is_dir() or directory.is_symlink()
                               or any(directory.iterdir())):
        raise SyncError(f"{directory}: already exists and is not an empty folder; nothing was changed")
    remote_text = remote if connection is not None else parse_remote(remote).text
    conn = connection or connect(remote, remote_desk)
    staging = directory.with_name(f".{directory.name}.clone-{os.getpid()}")
    try:
        handshake(conn, remote_text)
        tables: dict[str, Any] = {"customers": {}, "products": {}, "purchases": {}, "tickets": {}}
        archive: dict[str, Any] = {}
        done: dict[str, Any] = {}
        for frame in conn.stream({"request": "clone", "only": only}):
            check_pulled(remote_text, {"tickets": frame.get("tickets", []) + frame.get("archive", []),
                                       "customers": frame.get("tables", {}).get("customers", [])})
            for name, docs in frame.get("tables", {}).items():
                tables[name] = _by_key(docs)
            tables["tickets"].update(_by_key(frame.get("tickets", [])))
            archive.update(_by_key(frame.get("archive", [])))
            if frame.get("done"):
                done = frame
        if not done:
            raise SyncError(f"{remote_text}: the clone was cut short; nothing was changed")
        tables["_meta"] = {"1": {"schema": SCHEMA_VERSION,
                                 "next": {"tickets": LOCAL_IDS_FROM, "customers": LOCAL_IDS_FROM}}}
        cloned_at = datetime.now(timezone.utc).isoformat()  # a clone is the first agreement
        tables[SYNC] = {"1": {"remote": remote_text, "store_id": done["store_id"],
                              "cursor": done["cursor"], "mark": done.get("mark"),
                              "last_sync": cloned_at, "events_offset": 0,
                              "only": only}}
        staging.mkdir(mode=0o700)
        atomic_write(staging / "store.json", snapshot.encode(tables))
        if archive:
            atomic_write(staging / "archive.json", snapshot.encode({"tickets": archive}))
        if directory.exists():
            directory.rmdir()
        os.rename(staging, directory)
        fsync_dir(directory.parent)
        return len(tables["tickets"])
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        conn.close()


def sync(store: Any, connection: Connection | None = None, *,
         remote_desk: str | None = None) -> SyncResult:
    """Push the replica's operations and pull the team's changes in one exchange."""
    state = replica_state(store)
    conn = connection or connect(state["remote"], remote_desk)
    try:
        handshake(conn, state["remote"], state["store_id"])
        sent = outgoing(store)
        reply = conn.request({"request": "sync", "ops": sent.ops, "events": sent.events,
                              "cursor": sent.cursor, "mark": sent.mark,
                              "log_from": state.get("host_log_at", 0)})
        result = absorb(store, sent, reply)
        result.bytes_sent = conn.bytes_sent
        return result
    finally:
        conn.close()
