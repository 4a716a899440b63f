"""Bulk work: one action on each marked ticket through the store's rules; a ticket others
changed in a way the agent must see is left alone and listed, and never stops the rest."""

from __future__ import annotations

import pytest

from tests.ui.conftest import build_store
from tui.core.batch import CONFLICT, DONE, FAILED, BatchAction, run_batch, summary
from tui.core.eventlog import EVENTS_FILE
from tui.core.metrics import read_event_files
from tui.core.store import TinyDBStore


@pytest.fixture
def stores(tmp_path):
    data = build_store(tmp_path / "data")
    mine, theirs = TinyDBStore(data, agent="kari"), TinyDBStore(data, agent="ola")
    yield mine, theirs
    mine.close()
    theirs.close()


def test_a_bulk_solve_changes_each_ticket_with_its_events_and_says_how_it_went(stores):
    store, _ = stores
    seen = [store.get_ticket(t) for t in ("T-1", "T-2", "T-4")]
    progress = []
    outcomes = run_batch(store, seen, BatchAction("status → solved", {"status": "solved"}),
                         lambda done, total: progress.append((done, total)))
    assert [(o.ticket_id, o.result) for o in outcomes] == [("T-1", DONE), ("T-2", DONE), ("T-4", DONE)]
    assert progress == [(1, 3), (2, 3), (3, 3)]
    assert {store.get_ticket(t).status for t in ("T-1", "T-2", "T-4")} == {"solved"}
    events = read_event_files([store.data_dir / EVENTS_FILE])[0]
    solved = [e["ticket"] for e in events if e["type"] == "status_change" and e["data"]["to"] == "solved"]
    assert {"T-1", "T-2", "T-4"} <= set(solved)
    assert summary(outcomes) == "3 done"


def test_one_ticket_changed_meanwhile_is_left_alone_and_the_rest_go_on(stores):
    store, other = stores
    seen = [store.get_ticket(t) for t in ("T-1", "T-2", "T-4")]
    other.update_ticket("T-2", {"status": "pending"}, expected_rev=seen[1].rev)  # ola, meanwhile
    other.append_message("T-4", kind="customer_message", body="One more thing", author="C-4",
                         author_kind="customer")
    other.change_tags("T-1", add=["vip"])  # tags commute: not a conflict
    outcomes = run_batch(store, seen, BatchAction("status → solved", {"status": "solved"}))
    assert [o.result for o in outcomes] == [DONE, CONFLICT, CONFLICT]
    assert "status: pending" in outcomes[1].detail or "pending" in outcomes[1].detail
    assert "new customer message" in outcomes[2].detail
    assert store.get_ticket("T-2").status == "pending" and store.get_ticket("T-4").status == "new"
    assert store.get_ticket("T-1").status == "solved" and "vip" in store.get_ticket("T-1").tags
    assert summary(outcomes) == "1 done · 2 changed meanwhile, left alone"


def test_a_macro_replies_to_each_with_its_own_text_then_sets_fields_and_tags(stores):
    store, _ = stores
    seen = [store.get_ticket(t) for t in ("T-1", "T-4")]
    action = BatchAction("macro outage", {"status": "pending"}, add_tags=("outage",),
                         message=lambda t: ("public_reply", f"Dear customer of {t.id}: known outage."))
    outcomes = run_batch(store, seen, action)
    assert [o.result for o in outcomes] == [DONE, DONE]
    for ticket_id in ("T-1", "T-4"):
        ticket = store.get_ticket(ticket_id)
        assert ticket.messages[-1].body == f"Dear customer of {ticket_id}: known outage."
        assert ticket.status == "pending" and "outage" in ticket.tags


def test_a_ticket_that_cannot_be_changed_fails_alone(stores):
    store, _ = stores
    seen = [store.get_ticket(t) for t in ("T-1", "T-4")]
    gone = seen[0].model_copy(update={"id": "T-999"})
    outcomes = run_batch(store, [gone, seen[1]], BatchAction("priority → high", {"priority": "high"}))
    assert [o.result for o in outcomes] == [FAILED, DONE]
    assert "T-999" in outcomes[0].detail
