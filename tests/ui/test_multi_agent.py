"""Many desks, one store: presence, live updates, stale writes refused, drafts that survive.

Two real DeskApps share one store in-process (each with its own TinyDBStore and
PresenceBoard); real `python -m tui` processes on a pty are killed (-9) and hung up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path

import orjson
import pytest
from textual.widgets import TextArea

from tui.app import DeskApp
from tui.core.eventlog import EVENTS_FILE, read_events
from tui.core.identity import current_agent
from tui.core.presence import Presence, PresenceBoard, also_here
from tui.core.store import TinyDBStore
from tui.screens import ComposeScreen, ConflictScreen, PickerScreen

from .conftest import choose, events, fresh, notices, ready, screen_text, until
from .ptydesk import PtyDesk

ROOT = Path(__file__).resolve().parents[2]
ME = current_agent()  # the agent of a real desk process: the uid's login


# -- two desks in one test ---------------------------------------------------------------
class Desk:
    """One agent's app on the shared store, driven through its own pilot."""

    def __init__(self, app: DeskApp, pilot) -> None:
        self.app, self.pilot = app, pilot

    @property
    def screen(self):
        return self.app.screen_stack[0]

    def header(self) -> str:
        return self.screen.detail.header_text()

    async def ready(self, ticket_id: str) -> None:
        with self.app._context():  # two apps in one task: say which one is acting
            await ready(self.pilot, ticket_id)

    async def press(self, *keys: str) -> None:
        with self.app._context():
            await self.pilot.press(*keys)

    async def until(self, condition, timeout: float = 5.0) -> None:
        with self.app._context():
            await until(self.pilot, condition, timeout)

    async def compose(self, key: str = "r") -> TextArea:
        await self.press(key)
        await self.until(lambda: isinstance(self.app.screen, ComposeScreen))
        return self.app.screen.query_one(TextArea)


async def open_desks(stack: AsyncExitStack, data_dir: Path, config_path: Path,
                     *agents: tuple[str, tuple[int, int]]) -> list[Desk]:
    desks = []
    for agent, size in agents:
        store = TinyDBStore(data_dir, agent=agent)
        stack.callback(store.close)
        app = DeskApp(store, agent=agent, config_path=config_path)
        desks.append(Desk(app, await stack.enter_async_context(app.run_test(size=size))))
    return desks


async def test_two_desks_presence_live_reply_and_stale_status_change(data_dir, config_path):
    async with AsyncExitStack() as stack:
        # ana on a wide terminal, bob on a small one: both layouts in one run
        ana, bob = await open_desks(stack, data_dir, config_path,
                                    ("ana", (120, 40)), ("bob", (80, 24)))
        await bob.ready("T-1")
        await ana.ready("T-2")
        await bob.until(lambda: bob.screen.queue_panel.queue.here.get("T-2") == "viewing")

        # B sees A's presence within 2 s: in the header of the ticket, and in the queue
        started = time.monotonic()
        with ana.app._context():
            ana.screen.open_ticket("T-1")
        await bob.until(lambda: "also here: ana" in bob.header(), timeout=2.0)
        assert time.monotonic() - started < 2.0
        queue = bob.screen.queue_panel.queue
        assert queue.here == {"T-1": "viewing"}
        t1_row = next(row for row in screen_text(bob.app).splitlines() if "T-1 " in row)
        assert "●" in t1_row
        # and A, on the wide layout, sees B the same way
        await ana.until(lambda: "also here: bob" in ana.header(), timeout=2.0)
        assert "●" in next(row for row in screen_text(ana.app).splitlines() if "T-1 " in row)

        # A writes: B sees "ana (replying)", then A's reply in B's open ticket, within 2 s
        body = await ana.compose()
        await bob.until(lambda: "also here: ana (replying)" in bob.header(), timeout=2.0)
        assert queue.here == {"T-1": "replying"}
        assert "✎" in next(row for row in screen_text(bob.app).splitlines() if "T-1 " in row)
        body.insert("Vaihdamme keittimen, kuriiri tulee huomenna.")
        await ana.press("ctrl+s")
        await ana.until(lambda: len(fresh(data_dir, "T-1").messages) == 2)
        started = time.monotonic()
        await bob.until(lambda: len(bob.screen.detail.shown_messages()) == 2, timeout=2.0)
        assert time.monotonic() - started < 2.0
        assert "Vaihdamme keittimen" in screen_text(bob.app)
        await bob.until(lambda: bob.header().rstrip().endswith("also here: ana"))
        assert bob.screen.queue_panel.queue.highlighted_id == "T-1"  # the cursor stayed

        # B's history follows too
        await bob.press("h")
        await bob.until(lambda: bob.screen.detail.showing_audit)
        with ana.app._context():
            ana.screen.set_status("open")
        await bob.until(lambda: "status new → open" in bob.screen.detail.audit_text(),
                        timeout=2.0)
        await ana.until(lambda: ana.screen.ticket.status == "open")
        await bob.press("h")

        # B starts a reply and keeps it as a draft
        (await bob.compose()).insert("Hei Aino, katson tätä.")
        await bob.press("escape")
        draft = bob.app.drafts.path("T-1")
        await bob.until(draft.exists)

        # B picks a status on what it saw; A changes the status meanwhile: B is refused
        await bob.press("s")
        await bob.until(lambda: isinstance(bob.app.screen, PickerScreen))
        with ana.app._context():
            ana.screen.set_status("pending")
        await ana.until(lambda: fresh(data_dir, "T-1").status == "pending")
        with bob.app._context():
            await choose(bob.pilot, "solved")
        await bob.until(lambda: isinstance(bob.app.screen, ConflictScreen))
        text = screen_text(bob.app)
        assert "T-1 changed while you were working on it" in text
        assert "status: open → pending" in text
        assert fresh(data_dir, "T-1").status == "pending"  # nothing overwritten
        await bob.press("d")  # keep A's status
        await bob.until(lambda: bob.screen.ticket.status == "pending")
        assert fresh(data_dir, "T-1").status == "pending"
        assert orjson.loads(draft.read_bytes())["body"] == "Hei Aino, katson tätä."  # kept
        body = await bob.compose()
        assert body.text == "Hei Aino, katson tätä."
        await bob.press("escape")

    # both desks left: no presence remains, without anyone having to read it
    assert list((data_dir / "presence").iterdir()) == []
    assert [e["agent"] for e in events(data_dir, "T-1", "status_change")] == ["ana", "ana"]


async def test_reply_conflict_names_the_change_and_tags_merge(data_dir, config_path):
    config_path.write_text('theme = "textual-dark"\npoll_seconds = 60\n')  # B reads no news
    async with AsyncExitStack() as stack:
        ana, bob = await open_desks(stack, data_dir, config_path,
                                    ("ana", (120, 40)), ("bob", (120, 40)))
        await ana.ready("T-2")
        await bob.ready("T-2")
        # A adds a tag; B's priority change was based on the older revision: merged, not refused
        with ana.app._context():
            ana.screen._retag("T-2", ["vip"], [])
        await ana.until(lambda: "vip" in fresh(data_dir, "T-2").tags)
        await bob.press("p")
        await bob.until(lambda: isinstance(bob.app.screen, PickerScreen))
        with bob.app._context():
            await choose(bob.pilot, "high")
        await bob.until(lambda: fresh(data_dir, "T-2").priority == "high")
        assert "vip" in fresh(data_dir, "T-2").tags
        assert not isinstance(bob.app.screen, ConflictScreen)

        # B writes; A reassigns the ticket: B's send stops and says so, the draft intact
        (await bob.compose()).insert("Raportul este gata.")
        with ana.app._context():
            ana.screen.load_ticket("T-2")
        await ana.until(lambda: ana.screen.ticket.priority == "high")
        with ana.app._context():
            ana.screen.action_assign_me()
        await ana.until(lambda: fresh(data_dir, "T-2").assignee == "ana")
        await bob.press("ctrl+s")
        await bob.until(lambda: isinstance(bob.app.screen, ConflictScreen))
        assert "assignee: ola → ana" in screen_text(bob.app)
        draft = orjson.loads(bob.app.drafts.path("T-2").read_bytes())
        assert draft["body"] == "Raportul este gata."
        await bob.press("r")  # send anyway: appended, A's assignment stays
        await bob.until(lambda: fresh(data_dir, "T-2").messages[-1].body == "Raportul este gata.")
        await bob.until(lambda: not bob.app.drafts.path("T-2").exists())
    ticket = fresh(data_dir, "T-2")
    assert ticket.assignee == "ana" and ticket.priority == "high" and ticket.tags == ["vip"]


async def test_a_new_ticket_in_the_view_is_announced_as_text(make_app, data_dir, config_path,
                                                              monkeypatch, size):
    config_path.write_text('theme = "textual-dark"\nbell_on_new_ticket = true\n')
    app = make_app()
    rings = []
    monkeypatch.setattr(app, "bell", lambda: rings.append(1))
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = await ready(pilot)
        other = TinyDBStore(data_dir, agent="ola")
        try:
            new = other.insert_ticket(customer="C-2", subject="[/]oops [b]not bold[/b]", body="?")
        finally:
            other.close()
        await until(pilot, lambda: any("New ticket" in n for n in notices(app)), timeout=2.0)
        assert f"New ticket in this view: {new.id} [/]oops [b]not bold[/b]" in notices(app)
        await until(pilot, lambda: "[/]oops" in screen_text(app))  # shown literally, as data
        assert rings == [1]
        assert screen.queue_panel.queue.highlighted_id != new.id  # the cursor did not jump
        await pilot.press("5")  # another view: its rows are not news
        await until(pilot, lambda: screen.queue_panel.shown[0] == "waiting")
        await pilot.pause(0.2)
        assert sum("New ticket" in n for n in notices(app)) == 1 and rings == [1]


def test_also_here_names_each_agent_once_and_the_same_login_as_another_window():
    entries = [Presence("bob", 1, "T-1", "viewing", 0), Presence("bob", 2, "T-1", "replying", 0),
               Presence("kari", 3, "T-1", "viewing", 0), Presence("carol", 4, "T-1", "viewing", 0)]
    assert also_here(entries, "kari") == "bob (replying), carol, you in another window"


# -- real processes on a pty ---------------------------------------------------------------
def wait_for(condition, timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s: {what or condition}")
        time.sleep(0.02)


def presence_of(observer: PresenceBoard, pid: int) -> tuple[str | None, str] | None:
    entry = next((e for e in observer.others() if e.pid == pid), None)
    return (entry.ticket, entry.state) if entry else None


def draft_body(data_dir: Path, agent: str, ticket_id: str) -> str | None:
    try:
        raw = (data_dir / "drafts" / agent / f"{ticket_id}.json").read_bytes()
    except FileNotFoundError:
        return None
    return orjson.loads(raw)["body"]


def desk_check(data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", "check", "--data-dir", str(data_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture
def pty_desks(tmp_path):
    started: list[PtyDesk] = []

    def start(data_dir: Path) -> PtyDesk:
        desk = PtyDesk(data_dir, tmp_path / "config")
        started.append(desk)
        return desk
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text('theme = "textual-dark"\n')
    yield start
    for desk in started:
        desk.close()


def test_kill_9_while_composing_keeps_draft_and_store_and_presence_expires(data_dir, pty_desks):
    observer = PresenceBoard(data_dir, "observer")
    desk = pty_desks(data_dir)
    wait_for(lambda: presence_of(observer, desk.pid) == ("T-1", "viewing"), 20, "the desk views T-1")
    desk.type("r")
    wait_for(lambda: presence_of(observer, desk.pid) == ("T-1", "replying"), 5, "the desk replies")
    desk.type("Hei Aino, vaihdamme keittimen.")
    wait_for(lambda: draft_body(data_dir, ME, "T-1") == "Hei Aino, vaihdamme keittimen.", 5,
             "the draft is saved while typing")

    os.kill(desk.pid, signal.SIGKILL)
    assert desk.wait() == -signal.SIGKILL
    assert observer.others() == []  # expired at once: nobody holds its lock any more
    assert not list((data_dir / "presence").glob(f"{ME}.*"))
    assert draft_body(data_dir, ME, "T-1") == "Hei Aino, vaihdamme keittimen."
    check = desk_check(data_dir)
    assert check.returncode == 0, check.stdout + check.stderr
    assert len(fresh(data_dir, "T-1").messages) == 1  # nothing half-sent

    again = pty_desks(data_dir)  # reconnect: the draft is offered again
    wait_for(lambda: presence_of(observer, again.pid) == ("T-1", "viewing"), 20, "the desk is back")
    wait_for(lambda: b"unsent draft" in again.output, 5, "the header offers the draft")
    again.type("r")
    wait_for(lambda: b"vaihdamme keittimen." in again.output, 5, "the composer shows it")


@pytest.mark.parametrize("how", ["hangup", "sigterm"])
def test_hangup_or_sigterm_saves_the_last_keys_clears_presence_and_exits(data_dir, pty_desks, how):
    observer = PresenceBoard(data_dir, "observer")
    desk = pty_desks(data_dir)
    wait_for(lambda: presence_of(observer, desk.pid) == ("T-1", "viewing"), 20, "the desk views T-1")
    desk.type("r")
    wait_for(lambda: presence_of(observer, desk.pid) == ("T-1", "replying"), 5, "the desk replies")
    desk.type("Typed just before the line dropped")
    wait_for(lambda: b"line dropped" in desk.output, 5, "the keys reached the composer")
    # now, within the composer's pause before it saves:
    if how == "hangup":
        os.close(desk.fd)  # the terminal hangs up: the kernel sends SIGHUP
    else:
        os.kill(desk.pid, signal.SIGTERM)
    assert desk.wait(10) == 128 + (signal.SIGHUP if how == "hangup" else signal.SIGTERM)
    # cleared by the process itself on the way out, not by a reader finding it dead
    assert not list((data_dir / "presence").iterdir())
    assert draft_body(data_dir, ME, "T-1") == "Typed just before the line dropped"
    ends = [e for e in read_events([data_dir / EVENTS_FILE]) if e["type"] == "run_end"]
    assert ends[-1]["agent"] == ME and ends[-1]["data"]["reason"] == how
    assert desk_check(data_dir).returncode == 0
