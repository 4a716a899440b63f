"""Presence: announced, seen by others, gone when the process dies."""

import os
import signal
import subprocess
import sys

from tui.core.presence import PresenceBoard, also_here, by_ticket


def test_another_board_sees_what_i_view_and_reply(tmp_path):
    ana, bob = PresenceBoard(tmp_path, "ana"), PresenceBoard(tmp_path, "bob")
    ana.announce("T-1")
    assert [(p.agent, p.ticket, p.state) for p in bob.others()] == [("ana", "T-1", "viewing")]
    ana.announce("T-1", "replying")
    assert also_here(by_ticket(bob.others())["T-1"], "bob") == "ana (replying)"
    ana.clear()
    assert bob.others() == []


def test_files_are_group_only(tmp_path):
    board = PresenceBoard(tmp_path, "ana")
    old = os.umask(0o022)
    try:
        board.announce("T-1")
    finally:
        os.umask(old)
    assert oct(board.path.stat().st_mode & 0o777) == oct(0o660)


CHILD = """
import sys, time
from tui.core.presence import PresenceBoard
board = PresenceBoard(sys.argv[1], "bob")
board.announce("T-9", "replying")
print("ready", flush=True)
time.sleep(60)
"""


def test_presence_of_a_killed_process_expires_at_once(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        me = PresenceBoard(tmp_path, "ana")
        assert [p.agent for p in me.others()] == ["bob"]
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert me.others() == []
        assert list((tmp_path / "presence").iterdir()) == []
    finally:
        child.kill()


def test_also_here_lists_each_agent_once_replying_first():
    from tui.core.presence import Presence

    entries = [Presence("bob", 1, "T-1", "viewing", 0), Presence("bob", 2, "T-1", "replying", 0),
               Presence("carol", 3, "T-1", "viewing", 0)]
    assert also_here(entries, "dan") == "bob (replying), carol"
