"""SIGTERM and SIGHUP end a real `python -m tui` process on a pseudo-terminal with
run_end{sigterm|hangup} in the event log, flushed; a restart within R resumes the session,
and a quit prints the session summary (metrics-spec §B.3.6, §B.7.6)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import orjson
import pytest

from tui.core.eventlog import EVENTS_FILE
from tui.core.identity import current_agent
from tui.core.metrics import read_event_files
from tui.core.store import TinyDBStore

from .conftest import _snapshot
from .ptydesk import PtyDesk

AGENT = current_agent()  # desk runs as the uid's login, whatever LOGNAME says
RESTORE_SCREEN = b"\x1b[?1049l"  # leave the alternate screen
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and ptys")


class Desk(PtyDesk):
    """A desk run as AGENT, which knows the runs in the log from before it started."""

    def __init__(self, data_dir: Path, config_dir: Path):
        self.data_dir = data_dir
        self.known_runs = {e.get("run") for e in self.events()}
        super().__init__(data_dir, config_dir)

    def events(self) -> list[dict]:
        path = self.data_dir / EVENTS_FILE
        return read_event_files([path])[0] if path.exists() else []

    def run_events(self, run: str) -> list[dict]:
        return sorted((e for e in self.events() if e.get("run") == run), key=lambda e: e["seq"])

    def wait_until_up(self, timeout: float = 20.0) -> dict:
        """The run_start of this process, once the app shows a ticket (its handlers are in)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mine = [e for e in self.events() if e.get("agent") == AGENT and e.get("run") not in self.known_runs]
            starts = [e for e in mine if e["type"] == "run_start"]
            if starts and any(e["type"] == "ticket_focus" and e["run"] == starts[-1]["run"] for e in mine):
                time.sleep(0.3)
                return starts[-1]
            assert self.poll() is None, self.tail()
            time.sleep(0.1)
        raise AssertionError("desk did not come up:\n" + self.tail())


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "store.json").write_bytes(orjson.dumps(_snapshot()))
    store = TinyDBStore(data_dir)
    try:
        store.insert_ticket(customer="C-1", subject="Kahvinkeitin vuotaa", body="Apua!", product="P-1")
    finally:
        store.close()
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('theme = "textual-dark"\n[metrics]\nheartbeat_s = 1\n')
    return data_dir, config_dir


def test_sigterm_records_run_end_restores_the_terminal_and_a_restart_resumes(dirs):
    data_dir, config_dir = dirs
    first = Desk(data_dir, config_dir)
    try:
        start = first.wait_until_up()
        assert start["data"]["new_session"] is True
        sent = len(first.output)
        os.kill(first.pid, signal.SIGTERM)
        assert first.wait() == 128 + signal.SIGTERM
    finally:
        first.close()
    ended = first.run_events(start["run"])
    assert [e["type"] for e in ended[-2:]] == ["ticket_blur", "run_end"]
    assert ended[-1]["data"] == {"reason": "sigterm"}
    assert RESTORE_SCREEN in first.output[sent:]  # the terminal is given back as it was

    second = Desk(data_dir, config_dir)  # within R (600 s): the same session goes on
    try:
        again = second.wait_until_up()
        second.output.clear()
        os.write(second.fd, b"\x11")  # ctrl+q
        assert second.wait() == 0
    finally:
        second.close()
    assert again["session"] == start["session"] and again["run"] != start["run"]
    assert again["data"]["new_session"] is False and again["data"]["previous_run"] == start["run"]
    assert second.run_events(again["run"])[-1]["data"] == {"reason": "quit"}
    printed = second.output.decode(errors="replace")
    assert "session summary (resumed session)" in printed and "Tickets handled" in printed
    assert "FCR" in printed and "Time per ticket" in printed and "T-1" in printed


def test_hangup_records_run_end_and_exits(dirs):
    data_dir, config_dir = dirs
    desk = Desk(data_dir, config_dir)
    try:
        start = desk.wait_until_up()
        os.close(desk.fd)  # the terminal goes away: the kernel sends SIGHUP
        status = desk.wait()
    finally:
        desk.close()
    assert status != 0  # 129, or 120 when Python cannot flush stdout to the dead terminal
    ended = desk.run_events(start["run"])
    assert [e["type"] for e in ended[-2:]] == ["ticket_blur", "run_end"]
    assert ended[-1]["data"] == {"reason": "hangup"}


def test_an_explicit_sighup_is_a_hangup_too(dirs):
    data_dir, config_dir = dirs
    desk = Desk(data_dir, config_dir)
    try:
        start = desk.wait_until_up()
        os.kill(desk.pid, signal.SIGHUP)
        desk.wait()
    finally:
        desk.close()
    assert desk.run_events(start["run"])[-1]["data"] == {"reason": "hangup"}
