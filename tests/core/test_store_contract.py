"""The store contract: what every backend promises through `Repository`, whatever it keeps
its tickets in. Each test takes `backend`, a fixture parameter, so a new backend (PostgreSQL,
issue 17) runs the same suite by adding its name to BACKENDS and a `Backend` for it.

Tests here use only the Repository interface and the backend's event log reader; file-level
behaviour of the TinyDB store (journal, snapshots, crashes) is in test_store*.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import orjson
import pytest

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401
from tui.core.eventlog import read_events
from tui.core.models import SCHEMA_VERSION
from tui.core.store import (
    ConflictError,
    NotFound,
    PostgresStore,
    Repository,
    StoreError,
    TinyDBStore,
)
from tui.core.store.postgres.events import read_events as read_table

BACKENDS = ["tinydb", "postgres"]
TS = "2025-06-01T09:00:00.000Z"
CUSTOMERS = {"1": {"id": "C-1", "name": "Håkon Bråten", "language": "nb-NO", "region": "Nordics",
                   "customer_since": "2020-01-01T00:00:00.000Z"},
             "2": {"id": "C-2", "name": "Jiří Dvořák", "language": "cs",
                   "customer_since": "2021-01-01T00:00:00.000Z"}}


@dataclass
class Backend:
    open: Callable[[str], Repository]  # one agent's handle; two handles are two desks
    events: Callable[[], list[dict]]   # the ticket-stream events, in log order


def tinydb_backend(tmp_path: Path) -> Backend:
    data = tmp_path / "data"
    data.mkdir(mode=0o770)
    (data / "store.json").write_bytes(orjson.dumps({
        "_meta": {"1": {"schema": SCHEMA_VERSION}}, "customers": CUSTOMERS,
        "products": {"1": {"id": "P-1", "name": "Router X", "category": "networking"}},
        "purchases": {}, "tickets": {}}))
    events = data / "events.jsonl"
    return Backend(open=lambda agent: TinyDBStore(data, agent=agent),
                   events=lambda: read_events([events]) if events.exists() else [])


def postgres_backend(url: str) -> Backend:
    seed = PostgresStore(url)
    seed.load_records("customers", CUSTOMERS.values())
    seed.load_records("products", [{"id": "P-1", "name": "Router X", "category": "networking"}])
    seed.close()

    def events() -> list[dict]:
        with connect(url) as conn:
            return read_table(conn, stream="ticket")

    return Backend(open=lambda agent: PostgresStore(url, agent=agent), events=events)


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    handles: list[Repository] = []
    if request.param == "postgres":
        made = postgres_backend(request.getfixturevalue("postgres_schema"))
    else:
        made = tinydb_backend(tmp_path)
    opener = made.open

    def open_handle(agent: str) -> Repository:
        handles.append(opener(agent))
        return handles[-1]

    made.open = open_handle
    yield made
    for handle in handles:
        handle.close()


def new(store: Repository, **kw):
    kw.setdefault("customer", "C-1")
    kw.setdefault("subject", "Router drops Wi-Fi")
    kw.setdefault("body", "Since the update the router reboots every hour.")
    return store.insert_ticket(**kw)


def test_a_new_ticket_reads_back_with_its_first_message(backend):
    store = backend.open("alice")
    first, second = new(store), new(store, subject="Second")
    assert first.id != second.id and first.rev == 1
    got = store.get_ticket(first.id)
    assert got.subject == "Router drops Wi-Fi" and got.customer == "C-1"
    assert [m.kind for m in got.messages] == ["customer_message"]
    with pytest.raises(NotFound):
        store.get_ticket("T-99999")


def test_another_desk_sees_a_write_on_its_next_read(backend):
    alice, bob = backend.open("alice"), backend.open("bob")
    ticket = new(alice)
    assert bob.get_ticket(ticket.id).subject == ticket.subject
    alice.update_ticket(ticket.id, {"priority": "high"}, ticket.rev)
    assert bob.get_ticket(ticket.id).priority == "high"


def test_a_stale_update_is_refused_with_the_current_ticket_and_changes_nothing(backend):
    alice, bob = backend.open("alice"), backend.open("bob")
    seen = new(alice)
    bob.update_ticket(seen.id, {"assignee": "bob"}, seen.rev)
    with pytest.raises(ConflictError) as refused:
        alice.update_ticket(seen.id, {"assignee": "alice"}, seen.rev)
    assert refused.value.current.assignee == "bob"
    assert alice.get_ticket(seen.id).assignee == "bob"


def test_messages_and_tags_merge_instead_of_conflicting(backend):
    alice, bob = backend.open("alice"), backend.open("bob")
    seen = new(alice)
    alice.change_tags(seen.id, add=["wifi", "vip"])
    bob.change_tags(seen.id, add=["firmware"], remove=["vip"])
    alice.append_message(seen.id, kind="public_reply", body="from alice")
    bob.append_message(seen.id, kind="internal_note", body="from bob")
    got = alice.get_ticket(seen.id)
    assert set(got.tags) == {"wifi", "firmware"}
    assert [m.body for m in got.messages][-2:] == ["from alice", "from bob"]
    assert got.rev == seen.rev + 4


def test_a_closed_ticket_is_archived_stays_findable_and_cannot_reopen(backend):
    store = backend.open("alice")
    ticket = new(store)
    solved = store.update_ticket(ticket.id, {"status": "solved"}, ticket.rev)
    closed = store.update_ticket(ticket.id, {"status": "closed"}, solved.rev)
    assert ticket.id not in {d["id"] for d in store.ticket_docs()}
    assert ticket.id in {d["id"] for d in store.ticket_docs(include_archive=True)}
    assert store.get_ticket(ticket.id).status == "closed"
    history = store.customer_history("C-1")
    assert [(t.id, t.archived) for t in history.tickets] == [(ticket.id, True)]
    with pytest.raises(StoreError):
        store.update_ticket(ticket.id, {"status": "open"}, closed.rev)


def test_search_is_case_and_accent_insensitive_over_subject_and_thread(backend):
    store = backend.open("alice")
    one = new(store, subject="Vânzări report broken")
    two = new(store, subject="Other")
    store.append_message(two.id, kind="customer_message", body="Le RÉSEAU tombe", author="C-1",
                         author_kind="customer")
    assert store.search("vanzari") == [one.id]
    assert store.search("reseau") == [two.id]


def test_every_change_is_in_the_event_log_in_the_order_it_happened(backend):
    store = backend.open("alice")
    ticket = new(store)
    store.append_message(ticket.id, kind="public_reply", body="try this")
    current = store.update_ticket(ticket.id, {"status": "pending"}, store.get_ticket(ticket.id).rev)
    store.change_tags(ticket.id, add=["wifi"])
    store.rate(ticket.id, 5)
    with pytest.raises(ConflictError):
        store.update_ticket(ticket.id, {"status": "solved"}, current.rev - 1)
    got = [(e["type"], e["ticket"]) for e in backend.events()]
    assert got[:4] == [("ticket_created", ticket.id), ("customer_contact", ticket.id),
                       ("agent_reply", ticket.id), ("status_change", ticket.id)]
    assert ("csat_response", ticket.id) in got
    assert ("status_change", ticket.id) not in got[4:]  # the refused change logged nothing
    assert all(e["agent"] == "alice" for e in backend.events())


def test_a_new_customer_gets_the_next_id_and_every_desk_sees_it(backend):
    ana, ola = backend.open("ana"), backend.open("ola")
    customer = ana.insert_customer(name="Zoë Quinn", email="zoe@example.org", phone="+44 20 7946 0958",
                                   language="en-GB")
    assert customer.id == "C-3" and customer.customer_since is not None
    ola.refresh()
    assert ola.get_customer("C-3").name == "Zoë Quinn"
    ticket = new(ola, customer="C-3")
    assert ola.customer_history("C-3").tickets[0].id == ticket.id
    assert ana.insert_customer(name="Second Caller").id == "C-4"


def test_a_new_customer_with_a_bad_field_is_refused_and_nothing_is_written(backend):
    ana = backend.open("ana")
    with pytest.raises(ValueError, match="field language"):
        ana.insert_customer(name="Bad Tag", language="not a tag")
    with pytest.raises(ValueError, match="field name"):
        ana.insert_customer(name="")
    assert [c.id for c in ana.customers()] == ["C-1", "C-2"]


def test_a_spam_mark_sets_the_flag_with_its_event_and_clearing_it_is_the_undo(backend):
    ana, ola = backend.open("ana"), backend.open("ola")
    ticket = new(ana)
    ana.mark(ticket.id, "spam", True)
    ola.change_tags(ticket.id, add=["x"])  # commutes: no revision needed
    assert ola.get_ticket(ticket.id).flags == ["spam"]
    ana.mark(ticket.id, "spam", True)  # again: no second event
    assert ana.mark(ticket.id, "spam", False).flags == []
    marks = [e["data"] for e in backend.events() if e["type"] == "mark"]
    assert marks == [{"flag": "spam", "value": True}, {"flag": "spam", "value": False}]
    with pytest.raises(ValueError, match="field flags"):
        ana.mark(ticket.id, "rude", True)


def test_a_link_points_the_newer_ticket_to_the_older_one_once(backend):
    ana = backend.open("ana")
    older, newer = new(ana), new(ana, subject="Router drops Wi-Fi again")
    linked = ana.link(newer.id, older.id, "repeat")
    assert (linked.link.original, linked.link.kind) == (older.id, "repeat")
    (event,) = [e for e in backend.events() if e["type"] == "link_repeat"]
    assert event["ticket"] == newer.id and event["data"] == {"original": older.id, "kind": "repeat"}
    with pytest.raises(StoreError, match="itself"):
        ana.link(older.id, older.id, "repeat")
    with pytest.raises(StoreError, match="newer ticket to the older"):
        ana.link(older.id, newer.id, "follow_up")
    with pytest.raises(NotFound):
        ana.link(newer.id, "T-999", "repeat")
    third = new(ana)
    with pytest.raises(StoreError, match="already linked"):
        ana.link(newer.id, third.id, "repeat")


def test_a_merge_moves_the_thread_once_and_marks_the_secondary_with_its_event(backend):
    from tui.core.merge import merge_tickets

    ana, ola = backend.open("ana"), backend.open("ola")
    target, source = new(ana), new(ana, subject="Same router, again", body="still dropping")
    ola.append_message(source.id, kind="internal_note", body="same as the other one")
    merged = merge_tickets(ana, source.id, target.id)
    assert (merged.source.merged_into, merged.source.status) == (target.id, "solved")
    assert [m.body for m in ola.get_ticket(target.id).messages] == [
        "Since the update the router reboots every hour.", "still dropping",
        "same as the other one"]
    again = merge_tickets(ola, source.id, target.id)  # finishing a cut merge adds nothing
    assert len(again.target.messages) == 3
    (event,) = [e for e in backend.events() if e["type"] == "merge"]
    assert (event["ticket"], event["data"]) == (source.id, {"into": target.id})
    with pytest.raises(ConflictError):  # the absorb moved the target past what ana saw
        ana.mark_merged(target.id, source.id, target.rev)


def test_a_query_sees_the_active_set_as_it_is_now(backend):
    from tinydb import Query

    ana, ola = backend.open("ana"), backend.open("ola")
    urgent = new(ana, priority="urgent")
    new(ana)
    ticket = Query()
    assert [d["id"] for d in ola.query("tickets", ticket.priority == "urgent")] == [urgent.id]
    ana.update_ticket(urgent.id, {"status": "solved"}, urgent.rev)
    solved = ana.get_ticket(urgent.id)
    ana.update_ticket(urgent.id, {"status": "closed"}, solved.rev)
    ola.refresh()
    assert ola.query("tickets", ticket.priority == "urgent") == []  # closed: archived
    assert [d["id"] for d in ola.query("customers", Query().region == "Nordics")] == ["C-1"]


def test_a_customers_tickets_of_the_same_millisecond_are_newest_number_first(backend):
    store = backend.open("ana")
    first, second = new(store, created=TS), new(store, created=TS)
    assert [t.id for t in store.customer_history("C-1").tickets] == [second.id, first.id]
