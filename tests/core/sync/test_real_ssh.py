"""`desk clone` and `desk sync` through a real sshd, as an agent's laptop meets the team's host.

The sshd is .ci/sshd.sh's (127.0.0.1:2222, user `deskhost`, this checkout's desk installed in
deskhost's venv); `source /tmp/desk-ci-ssh/env` sets DESK_TEST_SSH_HOST, DESK_TEST_SSH_OPTIONS
and DESK_TEST_REMOTE_DESK. Without them the tests skip, except under CI (DESK_CI=1), where
they fail: there the sshd must be running.

The team's store is made by deskhost over ssh (so deskhost owns it), the laptop's replica by
the local `desk clone`; every check reads the stores back through the `desk` command."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

TIMEOUT = 120


@dataclass(frozen=True)
class Host:
    """The team's host, reached with the system ssh as deskhost."""

    name: str
    ssh_options: str
    remote_desk: str

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        """A command on the host; ssh hands it to the remote shell, so it is quoted here."""
        done = subprocess.run(["ssh", *shlex.split(self.ssh_options), self.name, shlex.join(argv)],
                              capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            pytest.fail(f"on {self.name}: {shlex.join(argv)} exited {done.returncode}: {done.stderr}")
        return done

    def desk(self, store: str, *argv: str) -> subprocess.CompletedProcess:
        return self.run(self.remote_desk, "--data-dir", store, *argv)

    def ticket(self, store: str, ticket_id: str) -> dict:
        return json.loads(self.desk(store, "ticket", "show", ticket_id, "--format", "json").stdout)


@pytest.fixture(scope="module")
def host() -> Host:
    name = os.environ.get("DESK_TEST_SSH_HOST")
    if not name:
        message = ("no sshd to test against: run `bash .ci/sshd.sh start` as root and "
                   "`source /tmp/desk-ci-ssh/env`")
        if os.environ.get("DESK_CI") == "1":
            pytest.fail(f"DESK_CI=1 but DESK_TEST_SSH_HOST is not set ({message})")
        pytest.skip(message)
    return Host(name, os.environ.get("DESK_TEST_SSH_OPTIONS", ""),
                os.environ.get("DESK_TEST_REMOTE_DESK", "desk"))


@pytest.fixture
def team(host: Host):
    """A fresh team store on the host, owned by deskhost, with the demo tickets."""
    store = f"/home/deskhost/test-team-{uuid.uuid4().hex[:12]}"
    host.run(host.remote_desk, "init", "--data-dir", store, "--demo")
    yield store
    host.run("rm", "-rf", "--", store)


@pytest.fixture
def laptop_desk(tmp_path: Path, host: Host):
    """The local `desk`, set up as an agent's laptop would be to reach the host."""
    env = {**os.environ, "DESK_CONFIG_DIR": str(tmp_path / "config"),
           "DESK_SSH_OPTIONS": host.ssh_options, "DESK_REMOTE_COMMAND": host.remote_desk}
    env.pop("DESK_DATA_DIR", None)

    def desk(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tui", *argv], capture_output=True, text=True,
                              env=env, timeout=TIMEOUT, stdin=subprocess.DEVNULL)

    return desk


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
    assert "Traceback" not in done.stderr
    return done


def local_ticket(laptop_desk, replica: Path, ticket_id: str) -> dict:
    return json.loads(ok(laptop_desk("--data-dir", str(replica), "ticket", "show", ticket_id,
                                     "--format", "json")).stdout)


def active_tickets(host: Host, team: str) -> list[dict]:
    rows = json.loads(host.desk(team, "ticket", "list", "--format", "json").stdout)
    return [row for row in rows if row["status"] in ("new", "open")]


def bodies(ticket: dict) -> list[str]:
    return [message["body"] for message in ticket["messages"]]


def one_clear_error(done: subprocess.CompletedProcess, command: str) -> str:
    """The refusal: non-zero, no traceback, one line from desk saying what went wrong."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"desk {command}: "), done.stderr
    return lines[0]


def test_clone_work_offline_sync_a_conflict_resolve_and_sync_again(host, team, laptop_desk, tmp_path):
    replica = tmp_path / "laptop"
    first, second = active_tickets(host, team)[:2]
    ok(laptop_desk("clone", "--remote-desk", host.remote_desk, f"{host.name}:{team}", str(replica)))
    base = local_ticket(laptop_desk, replica, first["id"])
    assert base["status"] == host.ticket(team, first["id"])["status"]

    # On the laptop, offline: a reply and a status change on one ticket, a priority on another.
    reply = f"Offline reply {uuid.uuid4().hex}: the replacement ships tomorrow."
    ours = "pending" if base["status"] != "pending" else "open"
    laptop = ("--data-dir", str(replica), "ticket")
    ok(laptop_desk(*laptop, "reply", first["id"], "--body", reply))
    ok(laptop_desk(*laptop, "update", first["id"], "--status", ours))
    priority = "low" if second["priority"] != "low" else "high"
    ok(laptop_desk(*laptop, "update", second["id"], "--priority", priority))

    # Meanwhile on the host: another agent sets the same field to another value, and notes.
    theirs = "on_hold"
    host.desk(team, "ticket", "update", first["id"], "--status", theirs)
    note = f"Host note {uuid.uuid4().hex}"
    host.desk(team, "ticket", "note", first["id"], "--body", note)

    synced = laptop_desk("--data-dir", str(replica), "sync")
    assert (synced.returncode, synced.stderr) == (3, "")  # done, with a conflict waiting
    assert "conflicts 1" in synced.stdout  # reported, and how to settle it
    assert "desk resolve" in synced.stdout

    on_host = host.ticket(team, first["id"])
    assert bodies(on_host).count(reply) == 1 and bodies(on_host).count(note) == 1
    assert on_host["status"] == theirs  # nothing overwritten while the conflict is open
    assert host.ticket(team, second["id"])["priority"] == priority
    on_laptop = local_ticket(laptop_desk, replica, first["id"])
    assert bodies(on_laptop).count(reply) == 1 and bodies(on_laptop).count(note) == 1
    assert on_laptop["status"] == ours  # the local change is kept until the agent picks

    listed = json.loads(ok(laptop_desk("--data-dir", str(replica), "conflicts",
                                       "--format", "json")).stdout)
    assert [(c["ticket"], c["field"], c["mine"], c["theirs"]) for c in listed] == [
        (first["id"], "status", ours, theirs)]

    ok(laptop_desk("--data-dir", str(replica), "resolve", first["id"], "status", "mine"))
    ok(laptop_desk("--data-dir", str(replica), "sync"))
    on_host, on_laptop = host.ticket(team, first["id"]), local_ticket(laptop_desk, replica, first["id"])
    assert on_host["status"] == on_laptop["status"] == ours
    assert bodies(on_host) == bodies(on_laptop)
    assert bodies(on_host).count(reply) == 1
    assert json.loads(ok(laptop_desk("--data-dir", str(replica), "conflicts",
                                     "--format", "json")).stdout) == []


def closed_port() -> int:
    with socket.socket() as probe:  # bound then released: nothing listens there now
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_host_is_one_clear_message_and_no_replica(host, laptop_desk, tmp_path):
    replica = tmp_path / "laptop"
    remote = f"ssh://deskhost@127.0.0.1:{closed_port()}/home/deskhost/team"
    line = one_clear_error(laptop_desk("clone", "--remote-desk", host.remote_desk, remote,
                                       str(replica)), "clone")
    assert "127.0.0.1" in line
    assert not replica.exists() or not any(replica.iterdir())


@pytest.mark.parametrize("kind", ["missing", "plain-directory"])
def test_a_wrong_path_is_one_clear_message_and_no_replica(host, laptop_desk, tmp_path, kind):
    replica = tmp_path / "laptop"
    path = f"/home/deskhost/test-wrong-{uuid.uuid4().hex[:12]}"
    if kind == "plain-directory":  # a directory, with a file, but no desk store
        host.run("sh", "-c", 'mkdir "$1" && echo notes >"$1/notes.txt"', "sh", path)
    try:
        line = one_clear_error(laptop_desk("clone", "--remote-desk", host.remote_desk,
                                           f"{host.name}:{path}", str(replica)), "clone")
    finally:
        host.run("rm", "-rf", "--", path)
    assert path in line
    assert not replica.exists() or not any(replica.iterdir())


def test_a_sync_whose_remote_store_is_gone_refuses_and_keeps_the_local_work(host, team, laptop_desk, tmp_path):
    replica = tmp_path / "laptop"
    ticket = active_tickets(host, team)[0]
    ok(laptop_desk("clone", "--remote-desk", host.remote_desk, f"{host.name}:{team}", str(replica)))
    reply = f"Written on the train {uuid.uuid4().hex}"
    ok(laptop_desk("--data-dir", str(replica), "ticket", "reply", ticket["id"], "--body", reply))
    host.run("mv", "--", team, f"{team}.moved")
    try:
        one_clear_error(laptop_desk("--data-dir", str(replica), "sync"), "sync")
    finally:
        host.run("mv", "--", f"{team}.moved", team)
    assert bodies(local_ticket(laptop_desk, replica, ticket["id"])).count(reply) == 1
    ok(laptop_desk("--data-dir", str(replica), "sync"))
    assert bodies(host.ticket(team, ticket["id"])).count(reply) == 1
