"""Random interleavings of offline work on two laptops and the host, with syncs at random
points: after every conflict is settled (mine or theirs, at random) and everyone has synced,
the three stores agree, every message is there once, and every tag nobody removed is there."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core.sync import InProcess, conflicts, resolve, status, sync

from .helpers import make_host, make_replica, opened, view

TICKETS = ["T-1", "T-2", "T-3"]
WHO = ["host", "r1", "r2"]
step = st.tuples(st.sampled_from(WHO),
                 st.sampled_from(["reply", "tag", "untag", "priority", "status", "sync"]),
                 st.sampled_from(TICKETS), st.integers(0, 3))


def _act(stores, who, action, ticket, n, counter, written, removed):
    store = stores[who]
    if action == "sync":
        if who != "host":
            sync(store, InProcess(stores["host"].data_dir))
        return
    if action == "reply":
        body = f"{who} wrote {counter}"
        store.append_message(ticket, kind="internal_note", body=body)
        written.add(body)
    elif action == "tag":
        store.change_tags(ticket, add=[f"tag{n}"])
    elif action == "untag":
        store.change_tags(ticket, remove=[f"tag{n}"])
        removed.add(f"tag{n}")
    else:
        value = (["low", "normal", "high", "urgent"] if action == "priority"
                 else ["open", "pending", "on_hold", "new"])[n]
        store.update_ticket(ticket, {action: value}, store.get_ticket(ticket).rev)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step, min_size=3, max_size=14), picks=st.lists(st.booleans(), min_size=8,
                                                                      max_size=8))
def test_any_interleaving_converges_with_nothing_lost(steps, picks):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        host_dir = make_host(root, len(TICKETS))
        stores = {"host": opened(host_dir, "hostagent"),
                  "r1": opened(make_replica(root, host_dir, "r1"), "ann"),
                  "r2": opened(make_replica(root, host_dir, "r2"), "bob")}
        written: set[str] = set()
        added: set[str] = set()
        removed: set[str] = set()
        try:
            for counter, (who, action, ticket, n) in enumerate(steps):
                if action == "tag":
                    added.add(f"tag{n}")
                _act(stores, who, action, ticket, n, counter, written, removed)
            surfaced = 0
            for round_ in range(6):
                for name in ("r1", "r2"):
                    replica = stores[name]
                    for i, c in enumerate(conflicts(replica)):
                        surfaced += 1
                        resolve(replica, c.ticket_id, c.field,
                                "mine" if picks[(round_ + i) % len(picks)] else "theirs")
                    sync(replica, InProcess(host_dir))
                if not any(status(stores[r]).pending or conflicts(stores[r]) for r in ("r1", "r2")):
                    break
            for name in ("r1", "r2"):
                sync(stores[name], InProcess(host_dir))
            host = stores["host"]
            host.refresh()
            assert not any(status(stores[r]).pending for r in ("r1", "r2"))
            assert view(stores["r1"]) == view(stores["r2"]) == view(host)
            bodies = [m.body for t in TICKETS for m in host.get_ticket(t).messages]
            assert written <= set(bodies) and len(bodies) == len(set(bodies))
            tags = {tag for t in TICKETS for tag in host.get_ticket(t).tags}
            assert added - removed <= tags
        finally:
            for store in stores.values():
                store.close()
