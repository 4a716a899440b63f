"""`$EDITOR` saving text that is not UTF-8 (an editor set to Latin-1) never ends desk: the
text comes back with the unreadable bytes as �, the agent is told, and it can be sent."""

from __future__ import annotations

import sys
import time

import pytest

from tui.core.store import TinyDBStore

from .ptydesk import PtyDesk
from .test_signals import dirs  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="ptys")


def wait_for(desk: PtyDesk, text: bytes, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while text not in desk.output:
        assert desk.poll() is None, desk.tail()
        assert time.monotonic() < deadline, f"no {text!r} on screen:\n{desk.tail()}"
        time.sleep(0.1)


def test_an_editor_saving_latin1_bytes_comes_back_as_text(dirs, tmp_path):  # noqa: F811
    data_dir, config_dir = dirs
    editor = tmp_path / "latin1-editor"
    editor.write_text("#!/bin/sh\nprintf 'Caf\\351 cr\\350me\\n' > \"$1\"\n")
    editor.chmod(0o755)
    desk = PtyDesk(data_dir, config_dir, env={"EDITOR": str(editor), "VISUAL": ""})
    try:
        wait_for(desk, b"Kahvinkeitin")
        time.sleep(0.5)
        desk.type("r")
        wait_for(desk, b" Send")
        desk.output.clear()
        desk.type("\x0f")  # ctrl+o: the editor runs and saves at once
        wait_for(desk, "Caf\ufffd".encode())
        wait_for(desk, b"not UTF-8")
        desk.type("\x13")  # ctrl+s sends it
        deadline = time.monotonic() + 10
        while True:
            store = TinyDBStore(data_dir, agent="checker")
            try:
                bodies = [m.body for m in store.get_ticket("T-1").messages]
            finally:
                store.close()
            if any("Caf\ufffd cr\ufffdme" in b for b in bodies) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert any("Caf\ufffd cr\ufffdme" in b for b in bodies), desk.tail()
        assert desk.poll() is None
        desk.type("\x11")
        assert desk.wait(15) == 0
    finally:
        desk.close()
    assert b"Traceback" not in desk.output
