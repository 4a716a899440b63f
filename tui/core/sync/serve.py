"""The far side of `desk clone` and `desk sync`: `desk sync-serve DIR`, run by ssh (or, for a
local path, as a child process) and spoken to in frames over stdin/stdout (wire.py). No
daemon: it lives for one exchange."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from ..eventlog import new_ulid
from ..models import SCHEMA_VERSION, Customer, RecordError, validate
from ..permissions import check_data_dir, check_store_files
from ..store import StoreError, TinyDBStore
from ..store.tinydb.names import doc_key
from ..store.tinydb.peek import StorePeek
from ..store.tinydb.unloaded_writes import NeedsLoad, UnloadedTeamStore
from .host import apply_push, log_size
from .ops import HOST
from .scope import keeper
from .wire import WIRE_VERSION, WireError, read_frame, write_frame

CHUNK = 2000  # tickets a frame, at clone
MARGIN = timedelta(seconds=5)  # a pull looks this far before the cursor: writes in flight


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Host:
    """One team store answering one replica's requests. The store is loaded only when a
    request needs it (a push, a clone): a sync that pushes nothing is answered from the
    journals (`StorePeek`) while no compaction happened since the replica's last sync."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        if not (self.directory / "store.json").is_file():
            raise StoreError(f"{self.directory} is not a desk store (it has no store.json)")
        check_data_dir(self.directory)
        check_store_files(self.directory)
        self.peek = StorePeek(self.directory)
        self._store: TinyDBStore | None = None

    @property
    def store(self) -> TinyDBStore:
        if self._store is None:
            self._store = TinyDBStore(self.directory)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        self.peek.close()

    def _peeked(self) -> dict[str, dict[str, Any] | None]:
        """The small tables a handshake reads, without loading the store (None: ask it)."""
        if self._store is not None:
            return {HOST: None, "_meta": None}
        seen = self.peek.read()
        try:
            return {name: seen.table(name) for name in (HOST, "_meta")}
        finally:
            seen.close()

    def store_id(self, peeked: dict[str, Any] | None = None) -> str:
        """The team store's id, made at its first sync: a store re-initialised gets another."""
        held = (peeked or self._peeked())[HOST]
        if held and held.get("1", {}).get("store_id"):
            return held["1"]["store_id"]
        found = self.store.sync_table(HOST).get("1")
        if found:
            return found["store_id"]
        made = {"store_id": new_ulid()}

        def plan(ids: Any, tables: dict[str, Any]) -> tuple[list, list]:
            held = tables.get(HOST, {}).get("1")
            if held:
                made.update(held)
                return [], []
            return [(HOST, "1", made)], []
        self.store.write_batch(plan)
        return made["store_id"]

    def hello(self, request: dict[str, Any]) -> dict[str, Any]:
        peeked = self._peeked()
        meta = peeked["_meta"]
        if meta is None:
            meta = self.store.sync_table("_meta")
        schema = meta.get("1", {}).get("schema", SCHEMA_VERSION)
        reply = {"wire": WIRE_VERSION, "schema": schema, "store_id": self.store_id(peeked)}
        if request.get("wire") != WIRE_VERSION:
            reply["error"] = (f"the remote desk speaks sync version {WIRE_VERSION}, this one "
                              f"{request.get('wire')}: install the same desk version on both")
        return reply

    def clone(self, only: str) -> Iterator[dict[str, Any]]:
        cursor = iso(datetime.now(timezone.utc))
        mark = self._mark()
        store = self.store
        customers = {c.id: c.model_dump(mode="json", by_alias=True, exclude_none=True)
                     for c in store.customers()}
        products = {p.id: p.model_dump(mode="json", by_alias=True, exclude_none=True)
                    for p in store.products()}
        keep = keeper(only, customers, products)
        active = [d for d in store.ticket_docs() if keep(d)]
        theirs = {d["customer"] for d in active}
        history = [d for d in store.ticket_docs(include_archive=True)
                   if d.get("status") == "closed" and d.get("customer") in theirs]
        yield {"tables": {
            "customers": [c for cid, c in customers.items() if cid in theirs],
            "products": list(products.values()),
            "purchases": [p.model_dump(mode="json", by_alias=True, exclude_none=True)
                          for p in store.purchases() if p.customer in theirs]}}
        for name, docs in (("tickets", active), ("archive", history)):
            for at in range(0, len(docs), CHUNK):
                yield {name: docs[at:at + CHUNK]}
        yield {"done": True, "cursor": cursor, "mark": mark, "store_id": self.store_id()}

    def sync(self, request: dict[str, Any]) -> dict[str, Any]:
        """Apply the replica's push, then answer with what the team wrote since its last
        sync. The store is loaded only for what the files alone cannot do (unloaded_writes,
        peek): a close, a new ticket, a compaction since the last sync."""
        since = request.get("cursor") or "0000"
        try:
            since = iso(datetime.fromisoformat(since.replace("Z", "+00:00")) - MARGIN)
        except ValueError:
            since = "0000"
        results, new_ids, merged = self._apply(request)
        scanned = datetime.now(timezone.utc)
        seen = self.peek.read(request.get("mark"))
        try:
            tickets = seen.changed_since(since)
            mark = seen.mark
        finally:
            seen.close()
        if tickets is None:
            tickets = self.store.changed_since(since)
        wanted = {d.get("customer") for d in tickets if d.get("customer")} | {
            team for local, team in new_ids.items() if local.startswith("C-")}
        customers = self._customers_of(wanted) if self._store is None and wanted else None
        if customers is None:
            customers = []
            for cid in sorted(wanted):  # one by one: validating all costs seconds at 100k
                try:
                    customers.append(self.store.get_customer(cid).model_dump(
                        mode="json", by_alias=True, exclude_none=True))
                except StoreError:
                    pass  # a ticket naming no known customer: it is pulled as it is
        return {"results": results, "new_ids": new_ids, "events": merged, "tickets": tickets,
                "customers": customers, "cursor": iso(scanned), "mark": mark,
                "log_at": log_size(self.peek)}

    def _mark(self) -> dict[str, Any]:
        """Where the journals end now: the next sync reads only what is written after."""
        seen = self.peek.read()
        seen.close()
        return seen.mark

    def _apply(self, request: dict[str, Any]) -> tuple[dict, dict, int]:
        push = (request.get("ops", []), request.get("events", []),
                int(request.get("log_from") or 0))
        if self._store is None:
            try:
                return apply_push(UnloadedTeamStore(self.peek), *push)
            except NeedsLoad:
                pass  # nothing was written: the loaded store does it all
        return apply_push(self.store, *push)

    def _customers_of(self, wanted: set[str]) -> list[dict[str, Any]] | None:
        """The customers `wanted`, from the files; None if they cannot tell."""
        seen = self.peek.read()
        try:
            held = seen.table("customers")
        finally:
            seen.close()
        if held is None:
            return None
        customers = []
        for cid in sorted(wanted):
            try:
                doc = held.get(doc_key(cid))
            except (IndexError, ValueError):
                doc = None
            if doc is not None:
                customers.append(validate(Customer, doc, file=str(self.directory / "store.json"),
                                          record=cid).model_dump(mode="json", by_alias=True,
                                                                 exclude_none=True))
        return customers

    def answer(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The frames answering one request."""
        kind = request.get("request")
        if kind == "hello":
            yield self.hello(request)
        elif kind == "clone":
            yield from self.clone(str(request.get("only", "")))
        elif kind == "sync":
            yield self.sync(request)
        else:
            yield {"error": f"unknown request {kind!r}"}


def serve(directory: Path, src: BinaryIO, out: BinaryIO) -> int:
    """Answer requests until the client hangs up; every answer is one or more frames."""
    try:
        host = Host(directory)
    except (StoreError, OSError) as exc:
        write_frame(out, {"error": str(exc).splitlines()[0]})
        return 1
    try:
        while True:
            try:
                request = read_frame(src)
            except WireError:
                return 0  # the client is done (or gone): every change is already durable
            try:
                for frame in host.answer(request if isinstance(request, dict) else {}):
                    write_frame(out, frame)
            except (StoreError, RecordError, OSError, KeyError, TypeError, ValueError) as exc:
                write_frame(out, {"error": f"{directory}: {str(exc).splitlines()[0] or type(exc).__name__}"})
    except BrokenPipeError:
        return 0
    finally:
        host.close()


def main(directory: str) -> int:
    return serve(Path(directory), sys.stdin.buffer, sys.stdout.buffer)


__all__ = ["Host", "iso", "main", "serve"]
