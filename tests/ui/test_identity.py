"""A real `python -m tui` started with LOGNAME=alice USER=alice acts as the login of its uid
(issue 13): its events, its presence file and its drafts carry that login, not alice."""

from __future__ import annotations

import os
import pwd
import sys
import time

import pytest

from tui.core.eventlog import EVENTS_FILE, read_events
from tui.core.presence import PresenceBoard

from .ptydesk import PtyDesk

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="ptys")
LOGIN = pwd.getpwuid(os.getuid()).pw_name


def test_the_environment_does_not_choose_the_agent(data_dir, tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text('theme = "textual-dark"\n')
    observer = PresenceBoard(data_dir, "observer")
    desk = PtyDesk(data_dir, tmp_path / "config", env={"LOGNAME": "alice", "USER": "alice",
                                                         "LNAME": "alice", "USERNAME": "alice"})
    try:
        deadline = time.monotonic() + 20
        while not any(e.pid == desk.pid for e in observer.others()):
            assert time.monotonic() < deadline and desk.poll() is None, desk.tail()
            time.sleep(0.05)
        [here] = [e for e in observer.others() if e.pid == desk.pid]
        assert here.agent == LOGIN
        assert [p.name for p in (data_dir / "presence").iterdir() if str(desk.pid) in p.name] \
            == [f"{LOGIN}.{desk.pid}.json"]
        desk.type("\x11")  # ctrl+q
        assert desk.wait(15) == 0
    finally:
        desk.close()
    mine = [e for e in read_events([data_dir / EVENTS_FILE]) if e.get("src") == "app"
            and e["type"] in ("run_start", "run_end")]
    assert [(e["type"], e["agent"]) for e in mine] == [("run_start", LOGIN), ("run_end", LOGIN)]
