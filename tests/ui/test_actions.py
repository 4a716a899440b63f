"""Each ticket action, from the keyboard, at 80×24 and 120×40: the effect is checked in the
store (read by another store instance) and in events.jsonl, not only on screen."""

from textual.widgets import Input, TextArea

from tui.screens import ComposeScreen, PickerScreen, TagsScreen

from .conftest import AGENT, choose, events, fresh, ready, screen_text, until


async def compose_and_send(pilot, key: str, text: str) -> None:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ComposeScreen))
    pilot.app.screen.query_one(TextArea).insert(text)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: not isinstance(pilot.app.screen, ComposeScreen))


async def test_public_reply(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-1")
        await compose_and_send(pilot, "r", "Hei Aino, lähetämme uuden keittimen.")
        await until(pilot, lambda: fresh(data_dir, "T-1").first_replied is not None)
    last = fresh(data_dir, "T-1").messages[-1]
    assert (last.kind, last.author, last.body) == ("public_reply", AGENT,
                                                   "Hei Aino, lähetämme uuden keittimen.")
    assert [e["data"]["message"] for e in events(data_dir, "T-1", "agent_reply")] == [last.id]
    assert not app.drafts.path("T-1").exists()


async def test_internal_note(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-2")
        await compose_and_send(pilot, "i", "Asked finance about the report.")
        await until(pilot, lambda: fresh(data_dir, "T-2").messages[-1].kind == "internal_note")
    assert fresh(data_dir, "T-2").messages[-1].body == "Asked finance about the report."
    assert events(data_dir, "T-2", "internal_note")
    assert fresh(data_dir, "T-2").first_replied is None  # a note is not a reply


async def test_log_a_call(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-8")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        assert "on the call" in screen_text(app)
        await pilot.pause(0.3)
        await pilot.press("ctrl+r")  # hang up
        assert app.screen.draft.call_end is not None
        app.screen.query_one(TextArea).insert("Called back; printer fixed.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: fresh(data_dir, "T-8").messages[-1].kind == "call_log")
    call = fresh(data_dir, "T-8").messages[-1]
    assert call.call_start and call.call_end and call.call_start <= call.call_end
    (event,) = events(data_dir, "T-8", "internal_note")
    assert event["data"]["call_log"] is True and event["data"]["call_end"]


async def test_set_status(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-1")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await choose(pilot, "solved")
        await until(pilot, lambda: fresh(data_dir, "T-1").status == "solved")
    (event,) = events(data_dir, "T-1", "status_change")
    assert (event["data"]["from"], event["data"]["to"], event["agent"]) == ("new", "solved", AGENT)


async def test_set_priority(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-2")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await choose(pilot, "high")
        await until(pilot, lambda: fresh(data_dir, "T-2").priority == "high")
    assert {"field": "priority", "value": "high"} in [
        e["data"] for e in events(data_dir, "T-2", "field_change")]


async def test_assign_to_me_and_to_another_agent(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-4")
        await pilot.press("a")
        await until(pilot, lambda: fresh(data_dir, "T-4").assignee == AGENT)
        await until(pilot, lambda: app.screen.ticket.assignee == AGENT)
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await choose(pilot, "ola")
        await until(pilot, lambda: fresh(data_dir, "T-4").assignee == "ola")
    moves = [(e["data"]["from_agent"], e["data"]["to_agent"]) for e in events(data_dir, "T-4", "assign")]
    assert moves == [(None, AGENT), (AGENT, "ola")]


async def test_tags(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-1")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TagsScreen))
        tags = app.screen.query_one(Input)
        tags.value = "warranty vip"
        await pilot.press("enter")
        await until(pilot, lambda: fresh(data_dir, "T-1").tags == ["vip", "warranty"])
    (event,) = events(data_dir, "T-1", "tags_change")
    assert event["data"] == {"added": ["vip", "warranty"], "removed": ["leak"]}


async def test_macro_fills_the_reply_and_changes_fields(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-1")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await choose(pilot, "thanks-solved")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        body = app.screen.query_one(TextArea).text
        assert body.startswith("Hi Aino,") and "Kahvinkeitin Aroma" in body and "T-1" in body
        assert "status → solved" in screen_text(app)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: fresh(data_dir, "T-1").status == "solved")
    ticket = fresh(data_dir, "T-1")
    assert ticket.messages[-1].body == body and ticket.messages[-1].kind == "public_reply"
    assert events(data_dir, "T-1", "agent_reply") and events(data_dir, "T-1", "status_change")


async def test_macro_with_braces_in_customer_text_is_safe(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-6")
        app.screen.run_macro("thanks-solved")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await pilot.pause()
        body = app.screen.query_one(TextArea).text
    assert body.startswith("Hi {ticket.id},")  # the name, as written, not expanded


async def test_take_next(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        await pilot.press("2")  # Unassigned
        await until(pilot, lambda: screen.queue_panel.view == "unassigned"
                    and screen.queue_panel.queue.rows[0].assignee is None)
        top = screen.queue_panel.queue.rows[0].id
        await pilot.press("n")
        await until(pilot, lambda: fresh(data_dir, top).assignee == AGENT)
        await until(pilot, lambda: screen.ticket.id == top)
    assert events(data_dir, top, "assign")[-1]["data"]["to_agent"] == AGENT
