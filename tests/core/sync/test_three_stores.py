"""A team store and two laptops working the same tickets offline, then syncing in both
orders: everyone ends with the same tickets, no message lost or doubled, no field silently
overwritten, every field changed on two sides surfaced as a conflict."""

from __future__ import annotations

import pytest

from tui.core.eventlog import ReadStats, read_events
from tui.core.sync import InProcess, conflicts, resolve, status, sync

from .helpers import make_host, make_replica, opened, view


def _work(host_dir, r1_dir, r2_dir):
    """The same morning on three machines: returns the message bodies everyone wrote."""
    r1, r2, host = opened(r1_dir, "ann"), opened(r2_dir, "bob"), opened(host_dir, "hostagent")
    r1.append_message("T-1", kind="public_reply", body="ann on T-1")
    r1.update_ticket("T-1", {"priority": "high"}, r1.get_ticket("T-1").rev)
    r1.change_tags("T-2", add=["vip"])
    r1.update_ticket("T-3", {"status": "pending"}, r1.get_ticket("T-3").rev)
    made = r1.insert_ticket(customer="C-1", subject="called in", body="ann's call", source="agent")
    r2.append_message("T-1", kind="internal_note", body="bob on T-1")
    r2.update_ticket("T-1", {"priority": "urgent"}, r2.get_ticket("T-1").rev)  # ann: high
    r2.change_tags("T-2", add=["refund"])
    r2.update_ticket("T-4", {"assignee": "bob"}, r2.get_ticket("T-4").rev)
    host.append_message("T-3", kind="customer_message", body="customer on T-3")
    host.update_ticket("T-3", {"status": "on_hold"}, host.get_ticket("T-3").rev)  # ann: pending
    host.change_tags("T-2", remove=["nothing-there"], add=["hot"])
    return (r1, r2, host, made,
            {"ann on T-1", "bob on T-1", "customer on T-3", "ann's call"})


def _bodies(store):
    return [m.body for d in store.ticket_docs() for m in store.get_ticket(d["id"]).messages]


@pytest.mark.parametrize("order", [("r1", "r2"), ("r2", "r1")])
def test_two_laptops_and_the_host_converge_with_every_conflict_surfaced(tmp_path, order):
    host_dir = make_host(tmp_path)
    r1_dir, r2_dir = make_replica(tmp_path, host_dir, "r1"), make_replica(tmp_path, host_dir, "r2")
    r1, r2, host, made, written = _work(host_dir, r1_dir, r2_dir)
    replicas = {"r1": r1, "r2": r2}
    first, second = (replicas[name] for name in order)
    for store in (first, second, first):
        sync(store, InProcess(host_dir))

    found = {(store.data_dir.name, c.ticket_id, c.field): (c.mine, c.theirs)
             for store in (r1, r2) for c in conflicts(store)}
    # T-1 priority: whoever synced second conflicts with the first; T-3 status: ann vs the host.
    loser = "r2" if order[0] == "r1" else "r1"
    expected_t1 = {"r1": ("high", "urgent"), "r2": ("urgent", "high")}[loser]
    assert found == {(loser, "T-1", "priority"): expected_t1,
                     ("r1", "T-3", "status"): ("pending", "on_hold")}
    host.refresh()
    assert host.get_ticket("T-3").status == "on_hold"  # nothing overwritten on the host
    # Until settled, each laptop keeps its own value.
    assert replicas[loser].get_ticket("T-1").priority == expected_t1[0]
    assert r1.get_ticket("T-3").status == "pending"

    resolve(replicas[loser], "T-1", "priority", "theirs")
    resolve(r1, "T-3", "status", "mine")
    for store in (r1, r2, r1):
        sync(store, InProcess(host_dir))
    host.refresh()
    assert view(r1) == view(r2) == view(host)
    assert host.get_ticket("T-3").status == "pending"
    assert host.get_ticket("T-2").tags == ["hot", "refund", "vip"]
    assert host.get_ticket("T-4").assignee == "bob"
    team_id = r1.get_ticket(made.id).id  # the old local id still finds it
    assert team_id != made.id and host.get_ticket(team_id).subject == "called in"
    every = _bodies(host)
    assert written <= set(every) and len(every) == len(set(every))  # none lost, none doubled
    assert status(r1).pending == status(r2).pending == 0
    for store in (r1, r2, host):
        store.close()


def test_the_laptops_events_reach_the_team_log_once_each(tmp_path):
    host_dir = make_host(tmp_path)
    r1_dir = make_replica(tmp_path, host_dir, "r1")
    r1 = opened(r1_dir, "ann")
    r1.append_message("T-1", kind="public_reply", body="offline")
    r1.update_ticket("T-1", {"status": "solved"}, r1.get_ticket("T-1").rev)
    made = r1.insert_ticket(customer="C-2", subject="new offline", body="hi", source="agent")
    local_events = {e["id"] for e in read_events([r1.events.path], ReadStats())}
    sync(r1, InProcess(host_dir))
    sync(r1, InProcess(host_dir))  # again: nothing doubles
    team = list(read_events([host_dir / "events.jsonl"], ReadStats()))
    ids = [e["id"] for e in team]
    assert local_events <= set(ids) and len(ids) == len(set(ids))
    team_id = r1.get_ticket(made.id).id
    created = [e for e in team if e["type"] == "ticket_created" and e["id"] in local_events]
    assert [e["ticket"] for e in created] == [team_id]  # under its team id
    r1.close()
