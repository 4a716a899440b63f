"""The far side of `desk clone` and `desk sync`: `desk sync-serve DIR`, run by ssh (or, for a
local path, as a child process) and spoken to in frames over stdin/stdout (wire.py). No
daemon: it lives for one exchange."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from ..eventlog import new_ulid
from ..models import SCHEMA_VERSION
from ..store import StoreError, TinyDBStore
from .host import apply_push, log_size
from .ops import HOST
from .scope import keeper
from .wire import WIRE_VERSION, WireError, read_frame, write_frame

CHUNK = 2000  # tickets a frame, at clone
MARGIN = timedelta(seconds=5)  # a pull looks this far before the cursor: writes in flight


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Host:
    """One team store answering one replica's requests."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        if not (self.directory / "store.json").is_file():
            raise StoreError(f"{self.directory} is not a desk store (it has no store.json)")
        self.store = TinyDBStore(self.directory)

    def close(self) -> None:
        self.store.close()

    def store_id(self) -> str:
        """The team store's id, made at its first sync: a store re-initialised gets another."""
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
        schema = self.store.sync_table("_meta").get("1", {}).get("schema", SCHEMA_VERSION)
        reply = {"wire": WIRE_VERSION, "schema": schema, "store_id": self.store_id()}
        if request.get("wire") != WIRE_VERSION:
            reply["error"] = (f"the remote desk speaks sync version {WIRE_VERSION}, this one "
                              f"{request.get('wire')}: install the same desk version on both")
        return reply

    def clone(self, only: str) -> Iterator[dict[str, Any]]:
        store = self.store
        cursor = iso(datetime.now(timezone.utc))
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
        yield {"done": True, "cursor": cursor, "store_id": self.store_id()}

    def sync(self, request: dict[str, Any]) -> dict[str, Any]:
        store = self.store
        results, new_ids, merged = apply_push(store, request.get("ops", []),
                                              request.get("events", []),
                                              int(request.get("log_from") or 0))
        scanned = datetime.now(timezone.utc)
        since = request.get("cursor") or "0000"
        try:
            since = iso(datetime.fromisoformat(since.replace("Z", "+00:00")) - MARGIN)
        except ValueError:
            since = "0000"
        tickets = store.changed_since(since)
        wanted = {d["customer"] for d in tickets} | {
            team for local, team in new_ids.items() if local.startswith("C-")}
        customers = []
        for cid in sorted(wanted):  # one by one: validating all of them costs seconds at 100k
            try:
                customers.append(store.get_customer(cid).model_dump(
                    mode="json", by_alias=True, exclude_none=True))
            except StoreError:
                pass  # a ticket naming no known customer: it is pulled as it is
        return {"results": results, "new_ids": new_ids, "events": merged, "tickets": tickets,
                "customers": customers, "cursor": iso(scanned), "log_at": log_size(store)}

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
            except (StoreError, OSError, KeyError, TypeError, ValueError) as exc:
                write_frame(out, {"error": f"{directory}: {str(exc).splitlines()[0] or type(exc).__name__}"})
    except BrokenPipeError:
        return 0
    finally:
        host.close()


def main(directory: str) -> int:
    return serve(Path(directory), sys.stdin.buffer, sys.stdout.buffer)


__all__ = ["Host", "iso", "main", "serve"]
