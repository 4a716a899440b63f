"""Drafts survive closing the composer and the app; conflicts show what changed and keep work."""

import time

import orjson
from textual.widgets import TextArea

from tui.core.store import TinyDBStore
from tui.screens import ComposeScreen, ConflictScreen, PickerScreen

from .conftest import AGENT, choose, events, fresh, notices, ready, screen_text, until


async def open_composer(pilot, key: str = "r") -> TextArea:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ComposeScreen))
    await pilot.pause()
    return pilot.app.screen.query_one(TextArea)


async def test_draft_is_saved_while_typing_and_restored_in_a_new_run(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-2")
        await open_composer(pilot)
        await pilot.press(*"Buna ziua")
        path = app.drafts.path("T-2")
        await until(pilot, path.exists, timeout=1.0)  # debounced, well within a second
        assert orjson.loads(path.read_bytes())["body"] == "Buna ziua"
    # the app is gone without sending (as after a crash); the next run brings the draft back
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-2")
        assert "unsent draft" in screen_text(app)
        body = await open_composer(pilot)
        assert body.text == "Buna ziua"
        body.insert(", revin imediat.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: fresh(data_dir, "T-2").messages[-1].body == "Buna ziua, revin imediat.")
        await until(pilot, lambda: not path.exists())


async def test_a_hangup_saves_the_keys_whose_change_is_not_handled_yet(make_app, size):
    """SIGHUP is handled between two messages: the last keys may be in the text area, on
    screen even, while its Changed message still waits. `leave` saves the text area's text,
    not the copy the screen keeps from those messages (a CI run lost "pped" of "dropped")."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-2")
        body = await open_composer(pilot)
        body.insert("Typed just before the line dropped")  # its Changed is only queued
        app.leave("hangup")
        path = app.drafts.path("T-2")
        assert orjson.loads(path.read_bytes())["body"] == "Typed just before the line dropped"


async def test_steady_typing_is_saved_within_about_a_second(make_app):
    """A key every 0.1 s never leaves a 0.4 s pause: the draft is still saved while typing
    goes on (at most 1 s after the first unsaved key), so a kill -9 loses about a second."""
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot, "T-2")
        await open_composer(pilot)
        path = app.drafts.path("T-2")
        start = time.monotonic()
        saved_at, keys = None, 0
        while (now := time.monotonic()) - start < 2.5:
            await pilot.press("a")
            keys += 1
            if saved_at is None and path.exists() and orjson.loads(path.read_bytes())["body"]:
                saved_at = now - start
            await pilot.pause(max(0.0, start + keys * 0.1 - time.monotonic()))
        assert saved_at is not None, "nothing was saved while typing went on"
        assert saved_at < 1.8  # 1 s, and slack for the save thread on a busy machine
        assert keys >= 15  # the typing was steady


async def test_a_drafts_folder_that_is_a_link_is_said_once_and_not_followed(make_app, data_dir,
                                                                             tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (data_dir / "drafts").mkdir(exist_ok=True)
    (data_dir / "drafts" / AGENT).symlink_to(elsewhere)
    app = make_app()
    async with app.run_test(notifications=True) as pilot:
        await ready(pilot, "T-2")
        await open_composer(pilot)
        for word in ("Buna ", "ziua"):
            await pilot.press(*word)
            await pilot.pause(0.6)
        await until(pilot, lambda: any("Could not save the draft" in n for n in notices(app)))
        said = [n for n in notices(app) if "Could not save the draft" in n]
        assert said == [f"Could not save the draft: {data_dir / 'drafts' / AGENT}: is a symbolic "
                        "link; desk never follows links in the store. Drafts are not saved until "
                        "it is removed (desk then makes a private folder)."]
    assert list(elsewhere.iterdir()) == []


async def test_escape_keeps_and_ctrl_g_discards_the_draft(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-1")
        (await open_composer(pilot, "i")).insert("half a thought")
        await pilot.press("escape")
        path = app.drafts.path("T-1")
        await until(pilot, path.exists)
        body = await open_composer(pilot, "r")  # the note draft opens, as a note
        assert body.text == "half a thought" and app.screen.draft.kind == "internal_note"
        await pilot.press("ctrl+g")
        await until(pilot, lambda: not path.exists())
    assert len(fresh(data_dir, "T-1").messages) == 1


async def test_editor_falls_back_to_the_text_area(make_app, monkeypatch, size):
    monkeypatch.setenv("EDITOR", "vi")
    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot, "T-1")
        (await open_composer(pilot)).insert("still here")
        await pilot.press("ctrl+o")  # headless: suspend is not supported
        await until(pilot, lambda: any("cannot hand over to an editor" in n for n in notices(app)))
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one(TextArea).text == "still here"


def another_agent_changes(data_dir, ticket_id: str, **changes) -> None:
    other = TinyDBStore(data_dir, agent="ola")
    try:
        if "message" in changes:
            other.append_message(ticket_id, kind="customer_message", author="C-1",
                                 author_kind="customer", body=changes.pop("message"))
        if changes:
            current = other.get_ticket(ticket_id)
            other.update_ticket(ticket_id, changes, expected_rev=current.rev)
    finally:
        other.close()


async def test_status_conflict_shows_changes_and_can_reapply(make_app, data_dir, config_path, size):
    config_path.write_text('theme = "textual-dark"\npoll_seconds = 60\n')  # no refresh in between
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-1")
        another_agent_changes(data_dir, "T-1", status="pending", assignee="ola")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await choose(pilot, "solved")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        text = screen_text(app)
        assert "status: new → pending" in text and "assignee: nobody → ola" in text
        assert fresh(data_dir, "T-1").status == "pending"  # nothing was overwritten
        await pilot.press("r")
        await until(pilot, lambda: fresh(data_dir, "T-1").status == "solved")
    assert [e["data"]["to"] for e in events(data_dir, "T-1", "status_change")] == ["pending", "solved"]
    assert events(data_dir, "T-1", "status_change")[-1]["agent"] == AGENT


async def test_status_conflict_can_be_discarded(make_app, data_dir, config_path, size):
    config_path.write_text('theme = "textual-dark"\npoll_seconds = 60\n')
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-2")
        another_agent_changes(data_dir, "T-2", priority="urgent")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await pilot.press("d")
        await until(pilot, lambda: screen.ticket.priority == "urgent")  # reloaded
    assert fresh(data_dir, "T-2").assignee == "ola"
    assert not events(data_dir, "T-2", "assign")


async def test_reply_conflict_keeps_the_draft_until_sent(make_app, data_dir, config_path, size):
    config_path.write_text('theme = "textual-dark"\npoll_seconds = 60\n')
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-1")
        (await open_composer(pilot)).insert("Vaihdamme keittimen.")
        another_agent_changes(data_dir, "T-1", message="Nyt se savuaa!")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        assert "1 new customer message from C-1" in screen_text(app)
        await pilot.press("escape")  # back to the draft
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await pilot.pause()
        assert app.screen.query_one(TextArea).text == "Vaihdamme keittimen."
        assert app.drafts.path("T-1").exists()
        await pilot.press("ctrl+s")  # now based on what the agent has seen: no conflict
        await until(pilot, lambda: fresh(data_dir, "T-1").messages[-1].body == "Vaihdamme keittimen.")
    bodies = [m.body for m in fresh(data_dir, "T-1").messages]
    assert bodies[-2:] == ["Nyt se savuaa!", "Vaihdamme keittimen."]
    assert len(events(data_dir, "T-1", "agent_reply")) == 1


async def test_a_damaged_draft_is_reported_not_fatal(make_app, data_dir):
    app = make_app()
    app.drafts.root.mkdir(parents=True)
    app.drafts.path("T-1").write_bytes(b'{"ticket": "T-1", "kind": "public_reply", '
                                       b'"body": "hei", "seen": {"id": "garbage"}}')
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot, "T-1")
        await open_composer(pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("Not sent, your draft is kept" in n for n in notices(app)))
        assert app.is_running and app.drafts.path("T-1").exists()
    assert len(fresh(data_dir, "T-1").messages) == 1
