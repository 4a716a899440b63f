"""The agent keeps working while a sync is in flight: a change made between the push and the
answer is neither lost nor taken for synced."""

from __future__ import annotations

from tui.core.sync import InProcess, status, sync
from tui.core.sync.exchange import handshake
from tui.core.sync.replica import absorb, outgoing

from .helpers import make_host, make_replica, opened


def test_a_change_made_while_the_sync_is_in_flight_is_pushed_by_the_next_one(tmp_path):
    host_dir = make_host(tmp_path)
    laptop = opened(make_replica(tmp_path, host_dir, "laptop"))
    laptop.update_ticket("T-1", {"priority": "high"}, laptop.get_ticket("T-1").rev)
    conn = InProcess(host_dir)
    state = laptop.sync_table("_sync")["1"]
    handshake(conn, state["remote"], state["store_id"])
    sent = outgoing(laptop)
    reply = conn.request({"request": "sync", "ops": sent.ops, "events": sent.events,
                          "cursor": sent.cursor})
    conn.close()
    # Meanwhile, on the laptop: the same field again (folds into the operation pushed), a note.
    laptop.update_ticket("T-1", {"priority": "urgent"}, laptop.get_ticket("T-1").rev)
    laptop.append_message("T-1", kind="internal_note", body="while syncing")
    absorb(laptop, sent, reply)
    assert laptop.get_ticket("T-1").priority == "urgent"
    assert status(laptop).pending == 2
    sync(laptop, InProcess(host_dir))
    host = opened(host_dir, "hostagent")
    assert host.get_ticket("T-1").priority == "urgent"
    assert [m.body for m in host.get_ticket("T-1").messages][-1] == "while syncing"
    assert status(laptop).pending == 0 and status(laptop).conflicts == 0
    laptop.close()
    host.close()


def test_a_field_changed_again_after_a_sync_whose_answer_was_lost_still_reaches_the_team(tmp_path):
    host_dir = make_host(tmp_path)
    laptop = opened(make_replica(tmp_path, host_dir, "laptop"))
    laptop.update_ticket("T-1", {"priority": "high"}, laptop.get_ticket("T-1").rev)
    conn = InProcess(host_dir)
    sent = outgoing(laptop)
    conn.request({"request": "sync", "ops": sent.ops, "events": sent.events, "cursor": sent.cursor})
    conn.close()  # the answer never arrives: the laptop still holds the operation
    laptop.update_ticket("T-1", {"priority": "low"}, laptop.get_ticket("T-1").rev)
    sync(laptop, InProcess(host_dir))
    host = opened(host_dir, "hostagent")
    assert host.get_ticket("T-1").priority == laptop.get_ticket("T-1").priority == "low"
    assert status(laptop).pending == 0 and status(laptop).conflicts == 0
    laptop.close()
    host.close()
