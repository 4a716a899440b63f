"""What the TinyDB store keeps of every active document beside where it is in the snapshot
(on_demand.py's projections), and how the snapshot's index holds them (snapshot_index.py)."""

from __future__ import annotations

from typing import Any

from ...interning import shared
from ...quickcheck import TicketHead, ticket_head
from .snapshot_index import (
    Codec,
    Unstorable,
    pack_ints,
    pack_texts,
    pack_words,
    unpack_ints,
    unpack_texts,
    unpack_words,
)


def _dump_heads(heads: list[TicketHead]) -> dict[str, Any]:
    for head in heads:
        if head.problem is not None:
            raise Unstorable(str(head.problem))
    return {"id": pack_texts([h.id for h in heads]),  # type: ignore[misc]
            "rev": pack_ints(h.rev for h in heads),
            "customer": pack_words([h.customer for h in heads]),
            "assignee": pack_words([h.assignee for h in heads])}


def _load_heads(stored: dict[str, Any], n: int) -> list[TicketHead]:
    ids, revs = unpack_texts(stored["id"], n), unpack_ints(stored["rev"])
    customers, assignees = unpack_words(stored["customer"], n), unpack_words(stored["assignee"], n)
    if len(revs) != n:
        raise ValueError("a column of another length")
    return [TicketHead(i, r, c, a, None) for i, r, c, a in zip(ids, revs, customers, assignees)]


def _dump_names(names: list[tuple[str | None, str | None]]) -> dict[str, Any]:
    if not all(type(cid) is str and type(name) is str for cid, name in names):
        raise Unstorable("a customer without an id or a name")
    return {"id": pack_texts([cid for cid, _ in names]),  # type: ignore[misc]
            "name": pack_texts([name for _, name in names])}  # type: ignore[misc]


def _load_names(stored: dict[str, Any], n: int) -> list[tuple[str, str]]:
    return list(zip(map(shared, unpack_texts(stored["id"], n)), unpack_texts(stored["name"], n)))


def _customer_name(doc_id: str, doc: Any) -> tuple[str | None, str | None]:
    if not isinstance(doc, dict) or type(doc.get("id")) is not str:
        return (None, None)
    name = doc.get("name")
    return (shared(doc["id"]), name if type(name) is str else None)


# How the snapshot's index (snapshot_index.py) holds the projections below.
ACTIVE_CODECS = {"tickets": Codec(_dump_heads, _load_heads),
                 "purchases": Codec(pack_words, unpack_words),
                 "customers": Codec(_dump_names, _load_names)}


def active_projectors(file: str) -> dict[str, Any]:
    """What the store keeps of every active document, beside where it is in the snapshot:
    each ticket's head (queue, customer histories, the open's check), each purchase's
    customer (customer histories), each customer's id and name (the queue's names)."""
    return {"tickets": lambda doc_id, doc: ticket_head(file, doc_id, doc),
            "customers": _customer_name,
            "purchases": lambda doc_id, doc: (
                shared(doc["customer"]) if isinstance(doc, dict)
                and type(doc.get("customer")) is str else None)}
