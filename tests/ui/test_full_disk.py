"""A disk that fills up during a session never ends desk with a traceback: the work stream
waits for room, the agent is told, and a quit says in one line what could not be saved.

The disk is "full" for real: the desk process may not grow any file past a limit
(RLIMIT_FSIZE), so its writes fail with EFBIG from the kernel, as they would with ENOSPC."""

from __future__ import annotations

import sys
import time

import pytest

from tui.core.eventlog import EVENTS_FILE

from .ptydesk import PtyDesk
from .test_signals import dirs  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX rlimits and ptys")


def test_a_full_disk_during_a_session_and_at_quit_is_said_in_one_line(dirs):  # noqa: F811
    data_dir, config_dir = dirs
    files = [p for p in data_dir.iterdir() if p.is_file()]
    limit = max(p.stat().st_size for p in files) + 2048  # room for the start, then full
    log_size = (data_dir / EVENTS_FILE).stat().st_size
    desk = PtyDesk(data_dir, config_dir, file_size_limit=limit)
    try:
        deadline = time.monotonic() + 20
        while b"Kahvinkeitin" not in desk.output and time.monotonic() < deadline:
            assert desk.poll() is None, desk.tail()
            time.sleep(0.1)
        for _ in range(40):  # keys and heartbeats (every second) until the log is at the limit
            desk.type("j")
            time.sleep(0.1)
        deadline = time.monotonic() + 10
        while b"timing is not being saved" not in desk.output and time.monotonic() < deadline:
            assert desk.poll() is None, desk.tail()
            desk.type("k")
            time.sleep(0.2)
        assert b"timing is not being saved" in desk.output, desk.tail()
        desk.type("\x11")  # ctrl+q
        status = desk.wait(15)
    finally:
        desk.close()
    printed = desk.output.decode(errors="replace")
    assert "Traceback" not in printed
    assert status == 1
    assert "could not be written to the event log" in printed and "File too large" in printed
    assert (data_dir / EVENTS_FILE).stat().st_size > log_size  # what fitted was written
    assert (data_dir / EVENTS_FILE).read_bytes().endswith(b"\n")  # and no torn line
