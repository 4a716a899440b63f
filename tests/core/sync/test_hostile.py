"""Neither side trusts the other's records: a replica pushing a change to a field a sync never
sets is refused on the team's store; a team answer holding a record this desk could not open
is refused before anything is written into the replica."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.sync import InProcess, SyncError, status, sync
from tui.core.sync.host import apply_push

from .helpers import make_host, make_replica, opened


def test_a_pushed_operation_on_a_field_sync_never_sets_is_refused(tmp_path):
    host_dir = make_host(tmp_path)
    host = opened(host_dir, "hostagent")
    before = host.get_ticket("T-1").to_doc()
    hostile = [{"id": "01HOSTILE", "seq": 1, "ticket": "T-1", "kind": "set_field", "field": "_rev",
                "base": before["_rev"], "value": 999, "events": []},
               {"id": "01HOSTILE2", "seq": 2, "ticket": "T-1", "kind": "add_remove",
                "field": "messages", "add": ["x"], "remove": [], "events": []}]
    results, _, _ = apply_push(host, hostile, [])
    assert {r["outcome"] for r in results.values()} == {"refused"}
    host.refresh()
    assert host.get_ticket("T-1").to_doc() == before
    host.close()


class Tampering(InProcess):
    """A far side whose sync answer carries a ticket with a status no desk knows."""

    def stream(self, obj):
        for answer in super().stream(obj):
            if obj.get("request") == "sync":
                answer["tickets"] = [{**answer["tickets"][0], "status": "\x1b[2Jgone"}]
            yield answer


def test_a_team_answer_with_a_broken_record_is_refused_and_nothing_written(tmp_path):
    host_dir = make_host(tmp_path)
    laptop_dir = make_replica(tmp_path, host_dir, "laptop")
    laptop = opened(laptop_dir)
    laptop.append_message("T-1", kind="internal_note", body="mine")
    files = {p.name: p.read_bytes() for p in Path(laptop_dir).iterdir() if p.is_file()}
    with pytest.raises(SyncError, match=r"record T-\d+: field status"):
        sync(laptop, Tampering(host_dir))
    assert {p.name: p.read_bytes() for p in Path(laptop_dir).iterdir() if p.is_file()} == files
    assert status(laptop).pending == 1
    laptop.close()
