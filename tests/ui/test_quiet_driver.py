"""The input thread sleeps while no key comes, and still reads every key (issue 6: idle CPU).

A real `python -m tui` on a pty: keys, a lone Escape (only a timeout tells it from the start
of a sequence), and a quit that does not wait for a key."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from .ptydesk import PtyDesk
from .test_signals import Desk, dirs  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux driver")


def input_wake_ups(pid: int) -> int:
    """Voluntary context switches of the input thread so far (one per sleep and wake)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        if (task / "comm").read_text().strip() == "desk-input":
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches"):
                    return int(line.split()[1])
    raise AssertionError("no desk-input thread: is desk running on Textual's own driver?")


def wait_for(desk: PtyDesk, text: str, since: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in desk.output[since:].decode(errors="replace"):
        assert time.monotonic() < deadline, f"{text!r} not shown:\n{desk.tail()}"
        time.sleep(0.05)


def test_keys_and_a_lone_escape_arrive_and_the_idle_thread_sleeps(dirs):  # noqa: F811
    data_dir, config_dir = dirs
    desk = Desk(data_dir, config_dir)
    try:
        desk.wait_until_up()
        mark = len(desk.output)
        desk.type("/")
        wait_for(desk, "filter:", mark)
        mark = len(desk.output)
        desk.type("kahvi")
        wait_for(desk, "match", mark)
        mark = len(desk.output)
        desk.type("\x1b")  # Escape alone: clears the filter
        wait_for(desk, "tickets", mark)
        time.sleep(0.5)
        before = input_wake_ups(desk.pid)
        time.sleep(2.0)
        # Textual's own input thread wakes 10 times a second; this one waits for a key.
        assert input_wake_ups(desk.pid) - before <= 1
        desk.type("\x11")  # ctrl+q
        assert desk.wait(timeout=10) == 0
    finally:
        desk.close()
