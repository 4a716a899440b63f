"""The team's side of a sync: a replica's pushed operations applied through the store's own
write path (under its lock, each ticket's operations checked against the current document in
one revision), each once by operation id (`_sync_applied`, written in the same journal line as
the change), and the replica's events merged into `events.jsonl` by event id (metrics spec
§B.3.2: duplicates are ignored, the first occurrence counts)."""

from __future__ import annotations

import os
import re
from typing import Any, Callable

from ..fileio import open_read
from ..models import Customer, RecordError, Ticket, now_utc, validate
from ..store import NotFound, StoreError
from ..store.ticket_writes import status_mutation
from .ops import APPLIED, FIELDS, SETS, Op, with_customers

EVENT_ID = re.compile(rb'\{"v":\d+,"id":"([^"]+)"')
APPLIED_OK = {"outcome": "applied"}


class _NothingToWrite(Exception):
    """Every operation of a ticket was already in effect or conflicted: no new revision."""


def _conflict(doc: dict[str, Any], theirs: Any) -> dict[str, Any]:
    return {"outcome": "conflict", "theirs": theirs, "rev": doc.get("_rev", 0)}


def apply_op(doc: dict[str, Any], op: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Apply one operation to the team's current document: (outcome, changed)."""
    kind = op["kind"]
    if op.get("field") is not None and op["field"] not in (FIELDS if kind == "set_field" else SETS):
        return {"outcome": "refused", "reason": f"{op['field']!r} is not a field a sync sets"}, False
    if kind == "set_field":
        field, current = op["field"], doc.get(op["field"])
        if current == op["value"]:
            return APPLIED_OK, False
        if current != op["base"]:
            return _conflict(doc, current), False  # changed on both sides: nothing overwritten
        if field == "status":
            try:
                status_mutation(doc["id"], {"status": op["value"]})(doc)
            except StoreError as exc:
                return {**_conflict(doc, current), "reason": str(exc)}, False
            if op.get("solved") and op["value"] in ("solved", "closed"):
                doc["solved"] = op["solved"]
        elif op["value"] is None:
            doc.pop(field, None)
        else:
            doc[field] = op["value"]
        return APPLIED_OK, True
    if kind == "add_remove":
        before = set(doc.get(op["field"], []))
        after = (before | set(op["add"])) - set(op["remove"])
        doc[op["field"]] = sorted(after)
        return APPLIED_OK, after != before
    if kind == "append_message":
        message = op["message"]
        if message.get("id") in {m.get("id") for m in doc.get("messages", [])}:
            return APPLIED_OK, False
        doc["messages"] = sorted([*doc.get("messages", []), message],
                                 key=lambda m: str(m.get("created", "")))
        if message.get("kind") == "public_reply" and not doc.get("first_replied"):
            doc["first_replied"] = message.get("created")
        return APPLIED_OK, True
    return {"outcome": "refused", "reason": f"unknown operation {kind!r}"}, False


def _renamed(events: list[dict[str, Any]], new_ids: dict[str, str]) -> list[dict[str, Any]]:
    return [{**e, "ticket": new_ids[e["ticket"]]} if e.get("ticket") in new_ids else e
            for e in events]


def _insert_customer(store: Any, op: dict[str, Any]) -> dict[str, Any]:
    """A customer added offline, with the next team id, through the store's batch write."""
    made: dict[str, Any] = {}

    def plan(ids: Any, tables: dict[str, Any]) -> tuple[list[Op], list[dict[str, Any]]]:
        number = ids.take("customers")
        made["id"] = f"C-{number}"
        doc = validate(Customer, {**op["doc"], "id": made["id"]}, file="the pushed operations",
                       record=op["id"]).model_dump(mode="json", by_alias=True, exclude_none=True)
        return ([("customers", str(number), doc),
                 (APPLIED, op["id"], {"outcome": "applied", "id": made["id"]})], [])

    store.write_batch(plan)
    return {"outcome": "applied", "id": made["id"]}


def _insert(store: Any, op: dict[str, Any]) -> dict[str, Any]:
    """A ticket made offline, with the next team id, through the store's batch write."""
    made: dict[str, Any] = {}

    def plan(ids: Any, tables: dict[str, Any]) -> tuple[list[Op], list[dict[str, Any]]]:
        number = ids.take("tickets")
        team_id = f"T-{number}"
        # Updated now, as it lands: a replica that synced since it was made offline pulls it.
        doc = validate(Ticket, {**op["doc"], "id": team_id, "_rev": 1, "updated": now_utc()},
                       file="the pushed operations", record=op["id"]).to_doc()  # type: ignore[attr-defined]
        made["id"] = team_id
        table = "_archive_outbox" if doc["status"] == "closed" else "tickets"
        return ([(table, str(number), doc),
                 (APPLIED, op["id"], {"outcome": "applied", "id": team_id})],
                _renamed(op.get("events", []), {op["ticket"]: team_id}))

    store.write_batch(plan)
    return {"outcome": "applied", "id": made["id"]}


def _apply_tickets(store: Any, by_ticket: dict[str, list[dict[str, Any]]]
                   ) -> dict[str, dict[str, Any]]:
    """Each ticket's operations checked against its current document and applied, all the
    tickets in one store write (`write_tickets`): one journal line for those that stay active."""
    outcomes: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in by_ticket}
    values = {op["id"]: op.get("value") for todo in by_ticket.values() for op in todo
              if op["kind"] == "set_field"}

    def mutation(ticket_id: str, todo: list[dict[str, Any]]) -> Callable[[dict], None]:
        def mutate(doc: dict[str, Any]) -> None:
            found = outcomes[ticket_id]
            found.clear()
            changed = False
            for op in todo:
                found[op["id"]], moved = apply_op(doc, op)
                changed = changed or moved
            if not changed:
                raise _NothingToWrite
        return mutate

    def marks(ticket_id: str, _before: dict, _after: dict) -> list[Op]:
        # A field's mark keeps the value applied: see `_still_to_apply`.
        return [(APPLIED, op_id, {**APPLIED_OK, **({"value": values[op_id]} if op_id in values else {})})
                for op_id, outcome in outcomes[ticket_id].items() if outcome["outcome"] == "applied"]

    closes = any(op["kind"] == "set_field" and op["field"] == "status" and op["value"] == "closed"
                 for todo in by_ticket.values() for op in todo)
    store.sync_marks = marks
    try:
        written = store.write_tickets({t: mutation(t, todo) for t, todo in by_ticket.items()},
                                      lambda old, new: (), closes=closes)
    finally:
        store.sync_marks = None
    results: dict[str, dict[str, Any]] = {}
    for ticket_id, todo in by_ticket.items():
        got = written[ticket_id]
        if isinstance(got, (dict, _NothingToWrite)):
            results.update(outcomes[ticket_id])
        elif isinstance(got, (NotFound, RecordError, StoreError)):
            reason = str(got).splitlines()[0]
            results.update({op["id"]: {"outcome": "refused", "reason": reason} for op in todo})
        else:
            raise got
    return results


def _logged_ids(store: Any, since: int) -> set[str]:
    """The ids of the events in the log from byte `since` on (all of it if it is shorter)."""
    try:
        with open_read(store.events.path) as fh:  # never through a link
            size = os.fstat(fh.fileno()).st_size
            fh.seek(since if 0 <= since <= size else 0)
            return {m.decode() for m in EVENT_ID.findall(fh.read())}
    except FileNotFoundError:
        return set()


def log_size(store: Any) -> int:
    try:
        return os.stat(store.events.path).st_size
    except FileNotFoundError:
        return 0


def merge_events(store: Any, events: list[dict[str, Any]], since: int = 0) -> int:
    """Append the events the log does not hold yet (by id); how many were appended. Only the
    log from `since` is searched: the replica's size of it at its last whole sync (events it
    pushed before are never pushed again; one pushed by a sync cut short was appended after)."""
    if not events:
        return 0
    seen = _logged_ids(store, since)
    fresh = []
    for event in events:
        if isinstance(event, dict) and isinstance(event.get("id"), str) and event["id"] not in seen:
            seen.add(event["id"])
            fresh.append(event)
    store.events.write_many(fresh)
    return len(fresh)


def _still_to_apply(op: dict[str, Any], mark: dict[str, Any]) -> dict[str, Any] | None:
    """An operation pushed again though applied already: None, unless it is a field set whose
    value moved since (the replica heard nothing, and the agent changed the field again):
    then the new value is applied on top of the one applied before."""
    if op["kind"] != "set_field" or "value" not in mark or mark["value"] == op["value"]:
        return None
    return {**op, "base": mark["value"]}


def apply_push(store: Any, ops: list[dict[str, Any]], work_events: list[dict[str, Any]],
               log_from: int = 0) -> tuple[dict[str, dict[str, Any]], dict[str, str], int]:
    """Apply a replica's operations in their order: (outcome by op id, team id by local id of
    the tickets and customers made offline, events merged)."""
    ops = sorted(ops, key=lambda op: op.get("seq", 0))
    applied = store.sync_table(APPLIED)
    results: dict[str, dict[str, Any]] = {}
    new_ids: dict[str, str] = {}
    for op in ops:
        if op["kind"] != "new_customer":
            continue
        try:
            results[op["id"]] = applied.get(op["id"]) or _insert_customer(store, op)
        except (RecordError, StoreError) as exc:
            results[op["id"]] = {"outcome": "refused", "reason": str(exc).splitlines()[0]}
            continue
        new_ids[op["ticket"]] = results[op["id"]]["id"]
    ops = [with_customers(op, new_ids) for op in ops]
    for op in ops:
        if op["kind"] != "new_ticket":
            continue
        try:
            results[op["id"]] = applied.get(op["id"]) or _insert(store, op)
        except (RecordError, StoreError) as exc:
            results[op["id"]] = {"outcome": "refused", "reason": str(exc).splitlines()[0]}
            continue
        new_ids[op["ticket"]] = results[op["id"]]["id"]
    by_ticket: dict[str, list[dict[str, Any]]] = {}
    for op in ops:
        op_id = op["id"]
        if op["kind"] in ("new_ticket", "new_customer"):
            continue
        if op["id"] in applied:
            op = _still_to_apply(op, applied[op["id"]])
            if op is None:
                results[op_id] = applied[op_id]
                continue
        by_ticket.setdefault(new_ids.get(op["ticket"], op["ticket"]), []).append(op)
    results.update(_apply_tickets(store, by_ticket))
    events = [e for op in ops if results.get(op["id"], {}).get("outcome") == "applied"
              for e in op.get("events", [])]
    merged = merge_events(store, _renamed(events + list(work_events), new_ids), log_from)
    return results, new_ids, merged
