"""Presence on PostgreSQL ends when a desk's connection ends, and every other desk hears it
at once, even when the desk was killed outright (kill -9): the desk before it in the ring
(presence_ring.py) gets its lock and removes its row. A desk does not wake for its own
changes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401
from tui.core.store import PostgresStore, open_store
from tui.core.store.postgres.presence_ring import next_in_ring

# A desk in its own process: it says where it is, then watches the board as the app's
# PresenceWatch does (each presence notification: one read), until it is killed.
DESK = textwrap.dedent("""
    import sys, threading
    from tui.core.store import open_store
    url, agent, ticket = sys.argv[1:4]
    store = open_store(url, agent=agent)
    board, heard = store.presence_board(), threading.Event()
    board.wake_on_change(heard.set)
    board.announce(ticket)
    board.others()
    print("here", flush=True)
    while True:
        store.wait_for_change(1.0)
        if heard.is_set():
            heard.clear()
            board.others()
""")


@pytest.fixture
def url(postgres_schema):
    PostgresStore(postgres_schema).close()
    return postgres_schema


@pytest.fixture
def desk_process(url):
    started: list[subprocess.Popen] = []

    def start(agent: str, ticket: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", DESK, url, agent, ticket],
                                stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert proc.stdout.readline().strip() == "here"
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


class Watcher:
    """A desk in this process that reads the board only when it hears a change."""

    def __init__(self, url: str, agent: str):
        self.store = open_store(url, agent=agent)
        self.board = self.store.presence_board()
        self.heard = threading.Event()
        assert self.board.wake_on_change(self.heard.set)
        self.board.announce(None)

    def board_now(self) -> list[str]:
        """The agents on the board as read now; what is heard from here on is new (all
        that was sent before is taken first: until the listener is quiet for 0.3 s)."""
        while self.store.wait_for_change(0.3):
            pass
        self.heard.clear()
        return sorted(p.agent for p in self.board.others())

    def board_once_heard(self, want: list[str], within: float = 5.0) -> list[str] | None:
        """The agents on the board, read only after a notification, until they are `want`
        (None: nothing was heard)."""
        deadline = time.monotonic() + within
        seen = None
        while seen != want and time.monotonic() < deadline:
            self.store.wait_for_change(0.2)
            if self.heard.is_set():
                self.heard.clear()
                seen = sorted(p.agent for p in self.board.others())
        return seen

    def close(self) -> None:
        self.board.clear()
        self.store.close()


def test_the_ring_is_by_pid_and_wraps_around():
    assert next_in_ring(5, [5]) is None
    assert next_in_ring(5, []) is None
    assert next_in_ring(5, [9, 3, 5, 7]) == 7
    assert next_in_ring(9, [9, 3, 5, 7]) == 3
    assert next_in_ring(3, [5, 3]) == 5 and next_in_ring(5, [5, 3]) == 3


def test_a_desk_killed_outright_leaves_every_board_at_once(url, desk_process):
    ola = Watcher(url, "ola")
    try:
        ana = desk_process("ana", "T-1")
        assert ola.board_now() == ["ana"]
        started = time.monotonic()
        os.kill(ana.pid, signal.SIGKILL)
        ana.wait()
        assert ola.board_once_heard([]) == []  # heard, not re-read: REREAD_S is 60 s
        assert time.monotonic() - started < 5
        with connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM presence").fetchone()[0] == 1  # ola's own
    finally:
        ola.close()


def test_the_ring_closes_over_each_gone_desk_in_turn(url, desk_process):
    """Four desks; kill them one after another, in an order that is not the ring's: each
    time, the desk that watched the dead one moves on to the next, and the next kill is
    heard as quickly."""
    ola = Watcher(url, "ola")
    try:
        procs = {agent: desk_process(agent, "T-1") for agent in ("ana", "bo", "cy", "di")}
        left = sorted(procs)
        assert ola.board_now() == left
        for agent in ("bo", "di", "ana", "cy"):
            os.kill(procs[agent].pid, signal.SIGKILL)
            procs[agent].wait()
            left.remove(agent)
            assert ola.board_once_heard(left) == left, f"after {agent} was killed"
            assert ola.board_now() == left
    finally:
        ola.close()


def test_a_desk_whose_connection_the_server_ended_is_removed_by_its_watcher(url):
    """A failover or an administrator's pg_terminate_backend: the same as a death."""
    ana, ola = Watcher(url, "ana"), Watcher(url, "ola")
    try:
        assert ola.board_now() == ["ana"] and ana.board_now() == ["ola"]
        pid = ana.board.others()[0].pid  # ola's presence connection
        with connect(url) as conn:
            assert conn.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]
        assert ana.board_once_heard([]) == []
        with connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM presence WHERE backend = %s",
                                (pid,)).fetchone()[0] == 0
    finally:
        ana.close()
        ola.close()


def test_a_desk_does_not_wake_for_its_own_presence(url):
    ana, ola = Watcher(url, "ana"), Watcher(url, "ola")
    try:
        assert ola.board_now() == ["ana"] and ana.board_now() == ["ola"]
        ana.board.announce("T-7", "replying")
        deadline = time.monotonic() + 5
        while not ola.heard.is_set() and time.monotonic() < deadline:
            ola.store.wait_for_change(0.2)
            ana.store.wait_for_change(0.2)
        ana.store.wait_for_change(0.5)
        assert ola.heard.is_set() and not ana.heard.is_set()
    finally:
        ana.close()
        ola.close()


def test_a_desk_joining_sends_one_presence_notification(url):
    """Its arrival, and not also a DELETE of its (absent) stale row: every desk on the
    store wakes and reads the board for each."""
    from psycopg import sql

    from tui.core.store.postgres.changes import presence_channel_of

    schema = url.rsplit("search_path%3D", 1)[1]
    with connect(url) as listening:
        listening.autocommit = True
        listening.execute(sql.SQL("LISTEN {}").format(
            sql.Identifier(presence_channel_of(schema))))
        ana = Watcher(url, "ana")
        try:
            notes = list(listening.notifies(timeout=1.0))
        finally:
            ana.close()
    assert len(notes) == 1


def test_a_desk_that_joins_is_watched_at_once(url, desk_process):
    """Two desks watch each other; a third joins between them in the ring, so one of the
    two must give up its wait and watch the newcomer, whose death is then heard at once."""
    ola = Watcher(url, "ola")
    try:
        desk_process("ana", "T-1")
        assert ola.board_now() == ["ana"]
        bo = desk_process("bo", "T-2")
        assert ola.board_once_heard(["ana", "bo"]) == ["ana", "bo"]
        time.sleep(1)  # ana's desk, too, has read the board by now
        os.kill(bo.pid, signal.SIGKILL)
        bo.wait()
        assert ola.board_once_heard(["ana"]) == ["ana"]
    finally:
        ola.close()


def test_the_ring_waits_between_tries_while_the_server_is_away(tmp_path):
    """No server on the socket: the ring tries again every RETRY_S, not in a tight loop."""
    from tui.core.store.postgres import presence_ring

    ring = presence_ring.PresenceRing(f"postgresql:///desk?host={tmp_path}", lambda: 12345)
    tries = []
    real_connect = ring._connect

    def counted():
        tries.append(time.monotonic())
        return real_connect()

    ring._connect = counted
    ring.start()
    time.sleep(1.0)
    ring.stop()
    assert 1 <= len(tries) <= 2
