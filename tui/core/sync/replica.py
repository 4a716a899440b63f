"""The replica's side: what it has not synced (its operations), its conflicts and their
resolution, what a sync pushes, and taking the team's answer in one journal line (so a kill
at any instant leaves the replica either before the sync or after it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from ..eventlog import new_ulid
from ..fileio import BadLine, open_read, parse_crc_line
from ..models import Customer, RecordError, Ticket, validate
from ..store.tinydb.names import OUTBOX, doc_key
from .client import SyncError
from .ops import ALIAS, OPS, SYNC, Op, replay, with_customers
from .scope import keeper


@dataclass(frozen=True)
class SyncStatus:
    remote: str
    pending: int  # operations the team's store has not taken yet (conflicts among them)
    last_sync: datetime | None
    conflicts: int


@dataclass(frozen=True)
class Conflict:
    ticket_id: str
    field: str
    mine: Any
    theirs: Any
    base: Any


@dataclass
class Outgoing:
    """What one sync pushes: every pending operation, and the work-stream events after
    `events_from` in the replica's log (up to `events_to`, the end of its last whole line)."""

    ops: list[dict[str, Any]]
    events: list[dict[str, Any]]
    events_to: int
    cursor: str | None
    mark: dict[str, Any] | None = None  # where the team's journals ended at the last sync


@dataclass
class SyncResult:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    events: int = 0
    new_ids: dict[str, str] = field(default_factory=dict)
    bytes_sent: int = 0


def replica_state(store: Any) -> dict[str, Any]:
    state = store.sync_table(SYNC).get("1") if hasattr(store, "sync_table") else None
    if not state:
        raise SyncError(f"{store.data_dir} is not a replica (make one with `desk clone REMOTE DIR`)")
    return state


def pending_ops(store: Any) -> list[dict[str, Any]]:
    return sorted(store.sync_table(OPS).values(), key=lambda op: op.get("seq", 0))


def status(store: Any) -> SyncStatus | None:
    """None for a store that is not a replica."""
    if not getattr(store, "is_replica", False):
        return None
    state = store.sync_table(SYNC)["1"]
    ops = pending_ops(store)
    last = state.get("last_sync")
    return SyncStatus(state["remote"], len(ops),
                      datetime.fromisoformat(last.replace("Z", "+00:00")) if last else None,
                      sum(1 for op in ops if op.get("conflict")))


def conflicts(store: Any) -> list[Conflict]:
    if not getattr(store, "is_replica", False):
        return []
    return [Conflict(op["ticket"], _field(op), _mine(op), op["conflict"]["theirs"], op.get("base"))
            for op in pending_ops(store) if op.get("conflict")]


def _field(op: dict[str, Any]) -> str:
    """What a conflict is about: the field, or for a change the team's store refused outright
    (a message to a ticket it no longer takes them on), the kind of change."""
    return op.get("field") or op["kind"]


def _mine(op: dict[str, Any]) -> Any:
    if op["kind"] == "set_field":
        return op["value"]
    if op["kind"] == "append_message":
        return op["message"].get("body")
    return op.get("conflict", {}).get("reason")


def resolve(store: Any, ticket_id: str, field_name: str, keep: Literal["mine", "theirs"]) -> None:
    """Settle a conflict: "mine" pushes the local value at the next sync, based on the team's
    value; "theirs" takes the team's value here and drops the local change."""
    if keep not in ("mine", "theirs"):
        raise SyncError(f"keep must be mine or theirs, not {keep!r}")
    replica_state(store)
    found: dict[str, Any] = {}

    def plan(ids: Any, tables: dict[str, Any]) -> tuple[list[Op], list]:
        op = next((o for o in tables.get(OPS, {}).values() if o.get("conflict")
                   and o["ticket"] == ticket_id and _field(o) == field_name), None)
        if op is None:
            return [], []
        found["op"] = op
        theirs = op["conflict"]["theirs"]
        if keep == "mine":
            settled = {k: v for k, v in op.items() if k != "conflict"}
            return [(OPS, op["id"], {**settled, "base": theirs})], []
        out: list[Op] = [(OPS, op["id"], None)]
        doc = tables.get("tickets", {}).get(doc_key(ticket_id))
        if doc is not None and op["kind"] == "set_field":
            doc = dict(doc)
            replay(doc, {"kind": "set_field", "field": field_name, "value": theirs})
            out += _placed(doc_key(ticket_id), doc)
        return out, []

    store.write_batch(plan)
    if "op" not in found:
        raise SyncError(f"{ticket_id} has no conflict on {field_name}")


def _placed(key: str, doc: dict[str, Any]) -> list[Op]:
    """Where a ticket document goes: the active set, or, closed, the archive (by the outbox,
    as a close does)."""
    if doc.get("status") == "closed":
        return [("tickets", key, None), (OUTBOX, key, doc)]
    return [("tickets", key, doc)]


def _work_events(store: Any, offset: int, aliases: dict[str, str]) -> tuple[list[dict], int]:
    """The work-stream events after `offset` in the replica's log (whole lines only; a bad
    line is skipped, as the metrics skip it), with tickets made offline under their team ids."""
    try:
        with open_read(store.events.path) as fh:
            fh.seek(offset)
            raw = fh.read()
    except FileNotFoundError:
        return [], offset
    end = raw.rfind(b"\n") + 1
    found = []
    for line in raw[:end].splitlines():
        try:
            event = parse_crc_line(line)
        except BadLine:
            continue
        if isinstance(event, dict) and event.get("stream") == "work":
            if event.get("ticket") in aliases:
                event = {**event, "ticket": aliases[event["ticket"]]}
            found.append(event)
    return found, offset + end


def outgoing(store: Any) -> Outgoing:
    state = replica_state(store)
    aliases = {f"T-{key}": a["id"] for key, a in store.sync_table(ALIAS).items()}
    events, end = _work_events(store, int(state.get("events_offset", 0)), aliases)
    return Outgoing(pending_ops(store), events, end, state.get("cursor"), state.get("mark"))


def _taken(sent: dict[str, Any], now: dict[str, Any]) -> dict[str, Any] | None:
    """What is left of a pushed operation the team took: nothing, unless a local change folded
    into it since; that change is then an operation of its own (a new id: the team's store has
    marked the old one applied), based on the value the team now has."""
    if now == sent:
        return None
    seen = {e.get("id") for e in sent.get("events", [])}
    return {**now, "id": new_ulid(), "base": sent.get("value"),
            "events": [e for e in now.get("events", []) if e.get("id") not in seen]}


RECORD_ID = re.compile(r"^[TC]-\d+$")


def check_pulled(remote: str, reply: dict[str, Any]) -> None:
    """Refuse (SyncError, nothing changed) a team answer holding a record this desk could
    not open: it is never written into the replica."""
    try:
        for model, name in ((Ticket, "tickets"), (Customer, "customers")):
            for doc in reply.get(name, []):
                record = doc.get("id", "?") if isinstance(doc, dict) else "?"
                validate(model, doc, file=f"{remote} ({name} pulled)", record=str(record))
    except RecordError as exc:
        raise SyncError(f"{exc}; nothing was changed") from None
    for local, team in reply.get("new_ids", {}).items():
        if not (RECORD_ID.match(str(local)) and RECORD_ID.match(str(team))
                and str(local)[0] == str(team)[0]):
            raise SyncError(f"{remote}: answered with a new id {team!r} for {local!r}, which is "
                            "not a record id; nothing was changed")


def absorb(store: Any, sent: Outgoing, reply: dict[str, Any]) -> SyncResult:
    """Take the team's answer: operations taken or in conflict, tickets made offline renamed,
    the team's changed tickets (with this replica's pending work put back on top), the new
    cursor; all in one journal line."""
    result = SyncResult(events=int(reply.get("events", 0)), new_ids=dict(reply.get("new_ids", {})))
    state = replica_state(store)
    check_pulled(state["remote"], reply)
    sent_by_id = {op["id"]: op for op in sent.ops}
    outcomes: dict[str, dict[str, Any]] = reply.get("results", {})

    def plan(ids: Any, tables: dict[str, Any]) -> tuple[list[Op], list]:
        ops = {k: dict(v) for k, v in tables.get(OPS, {}).items()}
        tickets = tables.get("tickets", {})
        out: list[Op] = []
        for op_id, outcome in outcomes.items():
            now = ops.get(op_id)
            if now is None or op_id not in sent_by_id:
                continue
            if outcome.get("outcome") == "applied":
                result.pushed += 1
                left = _taken(sent_by_id[op_id], now)
                del ops[op_id]
                out.append((OPS, op_id, None))
                if left is not None:
                    ops[left["id"]] = left
                    out.append((OPS, left["id"], left))
            else:
                theirs = outcome.get("theirs")
                ops[op_id] = {**now, "conflict": {"theirs": theirs, "rev": outcome.get("rev"),
                                                  **({"reason": outcome["reason"]}
                                                     if "reason" in outcome else {})}}
                if now["kind"] != "set_field":  # refused outright: nothing to pick between
                    ops[op_id]["conflict"].update(theirs=None)
                out.append((OPS, op_id, ops[op_id]))
        made_customers = {k: v for k, v in result.new_ids.items() if k.startswith("C-")}
        for local, team in made_customers.items():
            out.append(("customers", doc_key(local), None))
            for key, doc in tickets.items():
                if doc.get("customer") == local:
                    out.append(("tickets", key, {**doc, "customer": team}))
        for op_id, op in list(ops.items()):
            renamed = with_customers(op, made_customers)
            if renamed is not op:
                ops[op_id] = renamed
                out.append((OPS, op_id, renamed))
        for local, team in result.new_ids.items():
            if local in made_customers:
                continue
            out.append((ALIAS, doc_key(local), {"id": team}))
            out.append(("tickets", doc_key(local), None))
            for op in ops.values():
                if op["ticket"] == local:
                    op["ticket"] = team
                    out.append((OPS, op["id"], op))
        customers = {c["id"]: c for c in reply.get("customers", [])}
        for cid, customer in customers.items():
            out.append(("customers", doc_key(cid), customer))
        known = {c.get("id"): c for c in tables.get("customers", {}).values()}
        keep = keeper(state.get("only", ""), {**known, **customers}, {})
        mine = sorted(ops.values(), key=lambda op: op.get("seq", 0))
        held_customers = {c.get("id") for c in tables.get("customers", {}).values()} | set(customers)
        for doc in reply.get("tickets", []):
            key = doc_key(doc["id"])
            held = tickets.get(key)
            history = doc.get("status") == "closed" and doc.get("customer") in held_customers
            if held is None and doc["id"] not in result.new_ids.values() and not keep(doc) \
                    and not history:  # a closed ticket of a customer held: their history
                continue
            doc = dict(doc)
            for op in mine:
                if op["ticket"] == doc["id"] and op["kind"] != "new_ticket":
                    replay(doc, op)
            if held == doc:
                continue
            result.pulled += 1
            out += _placed(key, doc)
        result.conflicts = sum(1 for op in ops.values() if op.get("conflict"))
        out.append((SYNC, "1", {**state, "cursor": reply.get("cursor", state.get("cursor")),
                                "mark": reply.get("mark"),
                                "events_offset": sent.events_to,
                                "host_log_at": int(reply.get("log_at", 0)),
                                "last_sync": datetime.now(timezone.utc).isoformat()}))
        return out, []

    store.write_batch(plan)
    # Closed offline: the copy under the team id is the one now.
    store.drop_archived([t for t in result.new_ids if t.startswith("T-")])
    return result
