"""Bad remotes get one clear line and change nothing: an unreachable host, a wrong path, a
folder that is not a desk store, a store of another schema, a remote re-initialised since the
clone, a clone target that is not empty."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import orjson
import pytest

from tui.core.permissions import init_store
from tui.core.sync import SyncError, clone, status, sync
from tui.core.sync import client
from tui.core.sync.client import parse_remote, remote_command

from .helpers import make_host, make_replica, opened


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _refused(call, *, says: str) -> str:
    with pytest.raises(SyncError) as caught:
        call()
    message = str(caught.value)
    assert says in message and "\n" not in message and "Traceback" not in message
    return message


def test_remotes_are_read_as_ssh_targets_or_paths(tmp_path):
    scp = parse_remote("ann@support.example:/srv/desk")
    assert (scp.user, scp.host, scp.port, scp.path) == ("ann", "support.example", None, "/srv/desk")
    url = parse_remote("ssh://ann@support.example:2222/srv/desk")
    assert (url.user, url.host, url.port, url.path) == ("ann", "support.example", 2222, "/srv/desk")
    local = parse_remote(str(tmp_path / "team"))
    assert local.host is None and local.path == str(tmp_path / "team")
    with pytest.raises(SyncError):
        parse_remote("ssh://")
    for hostile in ("ssh://-oProxyCommand=touch%20x/srv", "-oProxyCommand=x:/srv"):
        with pytest.raises(SyncError, match="never starts with '-'"):
            parse_remote(hostile)


def test_ssh_runs_desk_sync_serve_with_the_path_quoted(monkeypatch):
    monkeypatch.setenv("DESK_SSH_OPTIONS", "-F /tmp/x/ssh_config")
    monkeypatch.delenv("DESK_REMOTE_COMMAND", raising=False)
    argv = remote_command(parse_remote("ssh://ann@support:2222/srv/my desk"))
    assert argv == ["ssh", "-F", "/tmp/x/ssh_config", "-p", "2222", "--", "ann@support",
                    "desk sync-serve '/srv/my desk'"]
    monkeypatch.setenv("DESK_REMOTE_COMMAND", "/opt/desk/bin/desk")
    assert remote_command(parse_remote("support:/srv/desk"))[-1] == "/opt/desk/bin/desk sync-serve /srv/desk"
    assert remote_command(parse_remote("support:/srv/desk"), "~/bin/desk")[-1] == "~/bin/desk sync-serve /srv/desk"


def test_an_unreachable_host_is_one_line_and_no_replica(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_SSH_OPTIONS", "-o BatchMode=yes -o ConnectTimeout=3 "
                       "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null")
    _refused(lambda: clone("ssh://nobody@127.0.0.1:1/srv/desk", tmp_path / "laptop"),
             says="could not reach 127.0.0.1")
    assert not (tmp_path / "laptop").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no half-made folder either


@pytest.mark.parametrize("make", ["missing", "not_a_store"])
def test_a_path_that_is_no_desk_store_is_refused(tmp_path, make):
    remote = tmp_path / "team"
    if make == "not_a_store":
        remote.mkdir()
        (remote / "notes.txt").write_text("hello")
    _refused(lambda: clone(str(remote), tmp_path / "laptop"), says="is not a desk store")
    assert not (tmp_path / "laptop").exists()


def test_a_store_of_another_schema_is_refused(tmp_path):
    remote = tmp_path / "team"
    init_store(remote)
    tables = orjson.loads((remote / "store.json").read_bytes())
    tables["_meta"]["1"]["schema"] = 99
    (remote / "store.json").write_bytes(orjson.dumps(tables))
    _refused(lambda: clone(str(remote), tmp_path / "laptop"), says="99")
    assert not (tmp_path / "laptop").exists()


def test_a_remote_re_initialised_since_the_clone_is_refused_and_nothing_moves(tmp_path):
    host = make_host(tmp_path)
    laptop = make_replica(tmp_path, host, "laptop")
    store = opened(laptop)
    store.append_message("T-1", kind="public_reply", body="kept here")
    before_pending = status(store).pending
    shutil.rmtree(host)
    make_host(tmp_path)  # the same path, a new store
    team = opened(host)
    before = _files(laptop), team.ticket_docs(), (host / "events.jsonl").read_bytes()
    _refused(lambda: sync(store), says="not the store the replica was cloned from")
    # The new store got its id at this first exchange; nothing else moved on either side.
    team.refresh()
    assert (_files(laptop), team.ticket_docs(), (host / "events.jsonl").read_bytes()) == before
    team.close()
    assert status(store).pending == before_pending
    store.close()


def test_a_clone_never_writes_into_a_folder_in_use(tmp_path):
    host = make_host(tmp_path)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("x")
    _refused(lambda: clone(str(host), tmp_path / "busy"), says="not an empty folder")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["mine.txt"]


def test_a_store_that_is_not_a_replica_cannot_sync(tmp_path):
    host = make_host(tmp_path)
    store = opened(host)
    assert status(store) is None and not store.is_replica
    _refused(lambda: sync(store), says="is not a replica")
    store.close()


def test_a_far_side_that_talks_a_lot_on_stderr_still_syncs(tmp_path, monkeypatch):
    """ssh banners and warnings: 200 kB on stderr before the far side answers. Unread, the
    pipe fills and the far side stops midway; the sync would wait for it for ever."""
    host_dir = make_host(tmp_path)
    laptop = opened(make_replica(tmp_path, host_dir, "laptop"))
    laptop.append_message("T-1", kind="public_reply", body="from the train")
    serve = client.remote_command(client.parse_remote(str(host_dir)))
    noisy = ["sh", "-c", 'head -c 200000 /dev/zero | tr "\\0" x >&2; exec "$@"', "sh", *serve]
    monkeypatch.setattr(client, "remote_command", lambda remote, desk=None: noisy)
    done: list = []
    worker = threading.Thread(target=lambda: done.append(sync(laptop)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert done and done[0].pushed == 1
    laptop.close()
