"""A replica's operations: what one change to a ticket did, as records that can be replayed on
the team's store. They are kept in the replica store's own tables and written in the same
journal line as the change they describe (the store calls `ops_for_change`/`ops_for_insert`),
so a kill never separates a change from its operation.

An operation: `id` (ULID), `seq` (its order in the replica), `ticket`, `kind`, `base_rev` (the
ticket's `_rev` before the change), the change's ticket events, and by kind:
- `set_field`: `field`, `base` (the value before the first unsynced change), `value`;
  later changes of the same field before a sync fold into the same operation;
- `append_message`: `message` (with its id: applied once);
- `add_remove`: `field` (tags or flags), `add`, `remove` (commute);
- `new_ticket`: `doc`, the ticket as created (its id is from the replica's reserved range);
- `new_customer`: `doc`, a customer added offline (a caller not in the store), `ticket` its id.
A `set_field` the team's store refused carries `conflict`: `{"theirs": value, "rev": n}`.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..eventlog import new_ulid

SYNC = "_sync"  # "1": the replica's remote, the team store's id, last sync, cursor
OPS = "_sync_ops"  # op id -> operation not yet taken by the team's store
ALIAS = "_sync_alias"  # local doc key -> {"id": team ticket id}
APPLIED = "_sync_applied"  # on the team's store: op id -> what applying it gave
HOST = "_sync_host"  # on the team's store: "1": {"store_id": ...}
LOCAL_IDS_FROM = 9_000_000_001  # tickets made offline: T-9000000001 and up, until synced

FIELDS = ("status", "priority", "channel", "assignee", "group", "product", "customer", "subject",
          "issue_key", "resolution_code", "first_reply_due", "resolution_due", "link",
          "merged_into", "satisfaction")
SETS = ("tags", "flags")

Op = tuple[str, str, dict[str, Any] | None]


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What turned `before` into `after`, as operation bodies (no id, seq or ticket yet)."""
    found: list[dict[str, Any]] = []
    for field in FIELDS:
        if before.get(field) != after.get(field):
            change = {"kind": "set_field", "field": field, "base": before.get(field),
                      "value": after.get(field)}
            if field == "status":
                change["solved"] = after.get("solved")
            found.append(change)
    for field in SETS:
        old, new = set(before.get(field, [])), set(after.get(field, []))
        if old != new:
            found.append({"kind": "add_remove", "field": field, "add": sorted(new - old),
                          "remove": sorted(old - new)})
    known = {m.get("id") for m in before.get("messages", [])}
    for message in after.get("messages", []):
        if message.get("id") not in known:
            found.append({"kind": "append_message", "message": message})
    return found


def _next_seq(pending: dict[str, dict[str, Any]]) -> int:
    return max((op.get("seq", 0) for op in pending.values()), default=0) + 1


def ops_for_change(tables: dict[str, Any], ticket_id: str, before: dict[str, Any],
                   after: dict[str, Any], events: Iterable[dict[str, Any]]) -> list[Op]:
    """The journal ops recording one change of a replica's ticket; the change's events ride
    on its first operation."""
    pending = tables.get(OPS, {})
    seq = _next_seq(pending)
    events = list(events)
    out: list[Op] = []
    for change in changes(before, after):
        if change["kind"] == "set_field":
            earlier = next((op for op in pending.values() if op["ticket"] == ticket_id
                            and op["kind"] == "set_field" and op["field"] == change["field"]),
                           None)
            if earlier is not None:  # fold: keep the first base, take the last value
                folded = {**earlier, "value": change["value"],
                          "events": earlier.get("events", []) + events}
                if "solved" in change:
                    folded["solved"] = change["solved"]
                out.append((OPS, folded["id"], folded))
                events = []
                continue
        op_id = new_ulid()
        out.append((OPS, op_id, {"id": op_id, "seq": seq, "ticket": ticket_id,
                                 "base_rev": before.get("_rev", 0), **change, "events": events}))
        seq += 1
        events = []
    return out


def ops_for_insert(tables: dict[str, Any], doc: dict[str, Any],
                   events: Iterable[dict[str, Any]], kind: str = "new_ticket") -> list[Op]:
    """A record made offline: a ticket, or (`kind` new_customer) a customer."""
    op_id = new_ulid()
    return [(OPS, op_id, {"id": op_id, "seq": _next_seq(tables.get(OPS, {})), "ticket": doc["id"],
                          "kind": kind, "base_rev": 0, "doc": doc, "events": list(events)})]


def with_customers(op: dict[str, Any], team: dict[str, str]) -> dict[str, Any]:
    """`op` with the customers made offline under their team ids."""
    if not team:
        return op
    if op["kind"] == "new_ticket" and op["doc"].get("customer") in team:
        op = {**op, "doc": {**op["doc"], "customer": team[op["doc"]["customer"]]}}
    if op["kind"] == "set_field" and op["field"] == "customer":
        op = {**op, "base": team.get(op["base"], op["base"]), "value": team.get(op["value"], op["value"])}
    events = op.get("events", [])
    if any(e.get("data", {}).get("customer") in team for e in events):
        op = {**op, "events": [{**e, "data": {**e["data"], "customer": team[e["data"]["customer"]]}}
                               if e.get("data", {}).get("customer") in team else e
                               for e in events]}
    return op


def replay(doc: dict[str, Any], op: dict[str, Any]) -> None:
    """Apply `op` to a document as the replica sees it (a pulled document, with the replica's
    own pending work put back on top). No checks: the team's store checks (host.py)."""
    kind = op["kind"]
    if kind == "set_field":
        if op["value"] is None:
            doc.pop(op["field"], None)
        else:
            doc[op["field"]] = op["value"]
        if op["field"] == "status" and op.get("solved"):
            doc["solved"] = op["solved"]
    elif kind == "add_remove":
        doc[op["field"]] = sorted((set(doc.get(op["field"], [])) | set(op["add"]))
                                  - set(op["remove"]))
    elif kind == "append_message":
        if op["message"].get("id") not in {m.get("id") for m in doc.get("messages", [])}:
            doc["messages"] = sorted([*doc.get("messages", []), op["message"]],
                                     key=lambda m: str(m.get("created", "")))
