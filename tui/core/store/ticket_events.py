"""The ticket-stream events (metrics-spec §B.3.3) that each store change emits."""

from __future__ import annotations

from typing import Any, Iterator

Event = tuple[str, dict[str, Any]]
FIELD_EVENTS = ("product", "issue_key", "channel", "priority", "group", "customer")


def events_for_new_ticket(doc: dict[str, Any], source: str, contact_kind: dict[str, str],
                          region: str | None) -> Iterator[Event]:
    yield "ticket_created", {
        "channel": doc["channel"], "source": source, "customer": doc["customer"],
        "product": doc.get("product"), "issue_key": doc.get("issue_key"),
        "priority": doc["priority"], "group": doc.get("group"), "region": region,
        "subject": doc["subject"],
    }
    if source == "customer":
        first = doc["messages"][0]["id"] if doc.get("messages") else doc["id"]
        yield "customer_contact", {"contact": first,
                                   "kind": contact_kind.get(doc["channel"], "inbound_message"),
                                   "ack_only": None}


def events_for_message(message: dict[str, Any], doc: dict[str, Any],
                       contact_kind: dict[str, str]) -> Iterator[Event]:
    kind = message["kind"]
    if kind == "customer_message":
        yield "customer_contact", {"contact": message["id"],
                                   "kind": contact_kind.get(doc["channel"], "inbound_message"),
                                   "ack_only": None}
    elif kind == "public_reply":
        yield "agent_reply", {"public": True, "message": message["id"]}
    elif kind == "internal_note":
        yield "internal_note", {"message": message["id"]}
    elif kind == "call_log":
        yield "internal_note", {"message": message["id"], "call_log": True,
                                "call_start": message.get("call_start"),
                                "call_end": message.get("call_end")}


def events_for_change(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Event]:
    if new.get("merged_into") and old.get("merged_into") != new.get("merged_into"):
        yield "merge", {"into": new["merged_into"]}  # first: the rest is the merge's doing
    if old.get("status") != new.get("status"):
        data = {"from": old.get("status"), "to": new.get("status")}
        if new.get("resolution_code") and new.get("status") in ("solved", "closed"):
            data["resolution_code"] = new["resolution_code"]
        yield "status_change", data
    if old.get("assignee") != new.get("assignee") or old.get("group") != new.get("group"):
        yield "assign", {"to_agent": new.get("assignee"), "to_group": new.get("group"),
                         "kind": "assign", "from_agent": old.get("assignee")}
    for field in FIELD_EVENTS:
        if field != "group" and old.get(field) != new.get(field):
            yield "field_change", {"field": field, "value": new.get(field)}
    old_tags, new_tags = set(old.get("tags", [])), set(new.get("tags", []))
    if old_tags != new_tags:
        # Not in the metrics catalog: metrics ignore unknown types (§B.3.2).
        yield "tags_change", {"added": sorted(new_tags - old_tags),
                              "removed": sorted(old_tags - new_tags)}
    if old.get("subject") != new.get("subject"):
        yield "subject_change", {"value": new.get("subject")}
