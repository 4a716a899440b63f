"""The app on a PostgreSQL store (issue 17), at 80×24 and 120×40: the UI tests' store is
migrated into a fresh schema, the app opens it, and another store handle (another agent)
changes tickets and shows its presence, which the app hears through LISTEN/NOTIFY. Without
a server these skip, except under DESK_CI=1, where they fail (postgres_server.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Static, TextArea

from tests.core.postgres_server import postgres_schema  # noqa: F401
from tui.app import DeskApp
from tui.core.store import PostgresStore
from tui.screens import ComposeScreen, ConflictScreen, PickerScreen
from tui.screens.report import ReportScreen
from tui.screens.search import SearchScreen
from tui.screens.why import WhyScreen

from .conftest import AGENT, TICKETS, _snapshot, choose, ready, screen_text, ts, until


def build_database(url: str) -> None:
    """The UI tests' store (conftest.build_store), made through the PostgreSQL store's API
    (which stores a NUL as ␀: PostgreSQL's text and jsonb cannot hold one)."""
    snapshot = _snapshot()
    store = PostgresStore(url, agent=AGENT)
    try:
        for table in ("customers", "products", "purchases"):
            store.load_records(table, snapshot[table].values())
        for customer, subject, body, fields in TICKETS:
            fields = {k: ts(v) if isinstance(v, timedelta) else v for k, v in fields.items()}
            ticket = store.insert_ticket(customer=customer, subject=subject,
                                         body=body,
                                         channel=fields.pop("channel", "email"), **fields)
            if ticket.status == "solved":
                store.append_message(ticket.id, kind="public_reply", body="Toimitettu.")
        closed = store.insert_ticket(customer="C-1", subject="Vanha kysymys", body="Kysymys.",
                                     created=ts(timedelta(days=-60)))
        store.rate(closed.id, 4, "ok")
        store.update_ticket(closed.id, {"status": "closed", "resolution_code": "answered"},
                            expected_rev=store.get_ticket(closed.id).rev)
    finally:
        store.close()


@pytest.fixture
def pg_url(postgres_schema: str, tmp_path: Path, monkeypatch) -> str:  # noqa: F811
    build_database(postgres_schema)
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "local"))  # where drafts go
    return postgres_schema


@pytest.fixture
def other(pg_url: str):
    """Another agent's store handle on the same database."""
    store = PostgresStore(pg_url, agent="ola")
    yield store
    store.close()


@pytest.fixture
def pg_app(pg_url: str, config_path: Path):
    stores: list[PostgresStore] = []

    def make() -> DeskApp:
        store = PostgresStore(pg_url, agent=AGENT)
        stores.append(store)
        return DeskApp(store, agent=AGENT, config_path=config_path)
    yield make
    for store in stores:
        store.close()


def logged(store: PostgresStore, ticket_id: str, type_: str) -> list[dict]:
    return [e for e in store.ticket_events(ticket_id) if e["type"] == type_]


async def test_queue_reply_status_and_session_figures(pg_app, other, tmp_path, size):
    app = pg_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        assert "Kahvinkeitin vuotaa" in screen_text(app)
        # moving in the queue shows the next ticket, and back
        first = screen.queue_panel.queue.highlighted_id
        await pilot.press("j")
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.id != first)
        await pilot.press("k")
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.id == first)
        screen.open_ticket("T-1")
        await until(pilot, lambda: screen.ticket.id == "T-1")

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        app.screen.query_one(TextArea).insert("Hei Aino, lähetämme uuden keittimen.")
        draft = app.drafts.path("T-1")
        await until(pilot, draft.exists)  # saved as typed, on this machine
        assert draft.is_relative_to(tmp_path / "local" / "postgresql")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: other.get_ticket("T-1").first_replied is not None)
        assert not draft.exists()

        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await choose(pilot, "pending")
        await until(pilot, lambda: other.get_ticket("T-1").status == "pending")

        # the status bar's figures are computed from the events table
        app.refresh_figures()
        await until(pilot, lambda: app.work.figures is not None and "T-1" in app.work.figures.items)
    last = other.get_ticket("T-1").messages[-1]
    assert (last.kind, last.author, last.body) == ("public_reply", AGENT,
                                                   "Hei Aino, lähetämme uuden keittimen.")
    (change,) = logged(other, "T-1", "status_change")
    assert (change["data"]["from"], change["data"]["to"], change["agent"]) == ("new", "pending", AGENT)
    runs = [e for e in other.events_mentioning([("session", app.work.session)]) if e["type"] == "run_start"]
    assert len(runs) == 1  # the work stream went to the table too


async def test_another_agent_live_and_present(pg_app, other, size):
    app = pg_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-1")
        # ola opens T-1 at another desk: the header and the queue say so
        board = other.presence_board()
        try:
            board.announce("T-1")
            await until(pilot, lambda: "also here: ola" in screen.detail.header_text())
            assert screen.queue_panel.queue.here == {"T-1": "viewing"}
            board.announce("T-1", "replying")
            await until(pilot, lambda: "also here: ola (replying)" in screen.detail.header_text())
            # ola replies and changes the priority: the open ticket shows both, live
            other.append_message("T-1", kind="public_reply", body="Kuriiri tulee huomenna.")
            await until(pilot, lambda: len(screen.detail.shown_messages()) == 2)
            assert "Kuriiri tulee huomenna" in screen_text(app)
            other.update_ticket("T-1", {"priority": "low"}, expected_rev=other.get_ticket("T-1").rev)
            await until(pilot, lambda: screen.ticket.priority == "low")
            # a new ticket lands in the queue
            new = other.insert_ticket(customer="C-5", subject="Uusi näyttö ei käynnisty",
                                      body="Ei kuvaa.")
            await until(pilot, lambda: any(r.id == new.id for r in screen.queue_panel.queue.rows))
        finally:
            board.clear()
        await until(pilot, lambda: "also here" not in screen.detail.header_text())
        assert screen.queue_panel.queue.here == {}


async def test_history_why_and_search_read_the_database(pg_app, other, size):
    app = pg_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-2")
        other.update_ticket("T-2", {"status": "open"}, expected_rev=other.get_ticket("T-2").rev)
        await until(pilot, lambda: screen.ticket.status == "open")
        await pilot.press("h")
        await until(pilot, lambda: screen.detail.showing_audit
                    and "status new → open" in screen.detail.audit_text())
        await pilot.press("h", "w")
        await until(pilot, lambda: isinstance(app.screen, WhyScreen))
        await until(pilot, lambda: "Handle time" in screen_text(app))
        await pilot.press("escape", "d")  # the session report: this session and 30 days
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        segments = app.screen.query_one("#report-segments", Static)
        await until(pilot, lambda: "By channel" in str(segments.render()))
        assert "email" in str(segments.render()) and "chat" in str(segments.render())
        await pilot.press("escape")
        # F finds the closed ticket by a word without its accents, and opens it
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        await pilot.press(*"kysym")
        await until(pilot, lambda: "Vanha kysymys" in screen_text(app))
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.status == "closed")


async def test_lost_server_refuses_changes_visibly_and_desk_reconnects(pg_url, other, config_path,
                                                                       tmp_path, size):
    from .conftest import notices
    from .pg_proxy import CutOffServer

    proxy = CutOffServer(pg_url, tmp_path / "relay")
    store = PostgresStore(proxy.url, agent=AGENT)
    try:
        app = DeskApp(store, agent=AGENT, config_path=config_path)
        async with app.run_test(size=size) as pilot:
            screen = await ready(pilot, "T-1")
            proxy.cut()  # the server is gone, as far as this desk can tell
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
            app.screen.query_one(TextArea).insert("Sent while the server was away.")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: any("cannot connect" in n and "Nothing was changed" in n
                                           for n in notices(app)))
            assert len(other.get_ticket("T-1").messages) == 1  # nothing was written
            await until(pilot, app.drafts.path("T-1").exists)  # the text is kept
            if isinstance(app.screen, ComposeScreen):
                await pilot.press("escape")

            proxy.restore()  # back: another agent's change is heard again, and writes work
            other.update_ticket("T-1", {"priority": "low"}, expected_rev=other.get_ticket("T-1").rev)
            await until(pilot, lambda: screen.ticket.priority == "low", timeout=10)
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
            assert app.screen.query_one(TextArea).text == "Sent while the server was away."
            await pilot.press("ctrl+s")
            # the draft was begun before ola's change: desk names it, and r sends anyway
            await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
            assert "priority: urgent → low" in screen_text(app)
            await pilot.press("r")
            await until(pilot, lambda: len(other.get_ticket("T-1").messages) == 2)
    finally:
        store.close()
        proxy.close()
    assert other.get_ticket("T-1").messages[-1].body == "Sent while the server was away."


def test_desk_store_url_runs_the_app_and_records_its_run(pg_url, other, tmp_path):
    """A real `desk --store URL` on a pseudo-terminal: it opens, records its run in the
    events table, and quits cleanly (run_end, no presence row left)."""
    import time

    from tui.core.identity import current_agent

    from .ptydesk import PtyDesk

    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text('theme = "textual-dark"\n')
    desk = PtyDesk(tmp_path / "unused", config, store=pg_url,
                   env={"DESK_DATA_DIR": str(tmp_path / "local")})
    me = current_agent()  # the tables' owner acts as the login it names (README)

    def started() -> list[dict]:
        return [e for e in other.all_events() if e["type"] == "run_start" and e["agent"] == me]
    try:
        deadline = time.monotonic() + 15
        while not (started() and other.presence_board().others()):
            assert desk.poll() is None and time.monotonic() < deadline, desk.tail()
            time.sleep(0.1)
        desk.type("\x11")  # ctrl+q
        assert desk.wait() == 0, desk.tail()
    finally:
        desk.close()
    (run_start,) = started()
    ends = [e for e in other.all_events() if e["type"] == "run_end" and e["run"] == run_start["run"]]
    assert [e["data"]["reason"] for e in ends] == ["quit"]
    assert other.presence_board().others() == []


def test_the_runs_listeners_hear_the_ticket_events_after_commit(pg_url):
    """The app's live handling clock listens to the run's writer; on PostgreSQL the ticket
    events are inserted with their change, and told to the listeners once it commits."""
    from tui.core.session import ObservedWriter

    store = PostgresStore(pg_url, agent=AGENT)
    try:
        writer = ObservedWriter.adopt(store)
        heard: list[dict] = []
        writer.listeners.append(heard.append)
        store.append_message("T-1", kind="public_reply", body="Hei!")
        store.update_ticket("T-1", {"status": "pending"}, expected_rev=store.get_ticket("T-1").rev)
        new = store.insert_ticket(customer="C-2", subject="Uusi", body="?")
    finally:
        store.close()
    assert [(e["type"], e["ticket"]) for e in heard] == [
        ("agent_reply", "T-1"), ("status_change", "T-1"),
        ("ticket_created", new.id), ("customer_contact", new.id)]


def test_a_desk_killed_and_started_again_resumes_its_session(pg_url, other, tmp_path):
    """§B.3.6 on PostgreSQL: a run that ended involuntarily (kill -9) is resumed by the next
    start within R: same session, a new run naming the one it follows."""
    import os
    import signal
    import time

    from tui.core.identity import current_agent

    from .ptydesk import PtyDesk

    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.toml").write_text('theme = "textual-dark"\n')
    me = current_agent()

    def starts() -> list[dict]:
        return [e for e in other.all_events() if e["type"] == "run_start" and e["agent"] == me]

    def start(count: int) -> PtyDesk:
        desk = PtyDesk(tmp_path / "unused", config, store=pg_url,
                       env={"DESK_DATA_DIR": str(tmp_path / "local")})
        deadline = time.monotonic() + 15
        while len(starts()) < count:
            assert desk.poll() is None and time.monotonic() < deadline, desk.tail()
            time.sleep(0.1)
        return desk

    first = start(1)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    first.close()
    second = start(2)
    try:
        second.type("\x11")
        assert second.wait() == 0, second.tail()
    finally:
        second.close()
    was, now = starts()
    assert now["session"] == was["session"] and now["run"] != was["run"]
    assert now["data"]["new_session"] is False and now["data"]["previous_run"] == was["run"]


async def test_assign_tags_macro_and_new_ticket(pg_app, other, size):
    from textual.widgets import Input, Select

    from tui.screens import TagsScreen
    from tui.screens.new_ticket import NewTicketScreen

    from .test_new_ticket import open_form, type_text

    app = pg_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-4")
        await pilot.press("a")
        await until(pilot, lambda: other.get_ticket("T-4").assignee == AGENT)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TagsScreen))
        app.screen.query_one(Input).value = "printer vip"
        await pilot.press("enter")
        await until(pilot, lambda: other.get_ticket("T-4").tags == ["printer", "vip"])

        screen.open_ticket("T-1")
        await until(pilot, lambda: screen.ticket.id == "T-1")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await choose(pilot, "thanks-solved")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        assert app.screen.query_one(TextArea).text.startswith("Hi Aino,")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: other.get_ticket("T-1").status == "solved")

        form = await open_form(pilot, app)
        await type_text(pilot, "nov")
        await until(pilot, lambda: "Jana Nováková" in screen_text(app))
        await pilot.press("enter")
        form.query_one("#channel", Select).value = "email"
        form.query_one("#subject", Input).value = "Printer jams on page 2"
        form.query_one("#body", TextArea).text = "It jams every time."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NewTicketScreen))
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.subject == "Printer jams on page 2")
    new = other.get_ticket(screen.ticket.id)
    assert (new.customer, new.messages[0].body) == ("C-4", "It jams every time.")
    assert [e["data"]["to_agent"] for e in logged(other, "T-4", "assign")] == [AGENT]


async def test_the_queue_reads_a_page_at_a_time_and_never_every_ticket(pg_app, other, size,
                                                                       monkeypatch):
    from tui.core.filter import parse
    from tui.core.queue import QueueIndex, by_id
    from tui.core.queue_views import VIEWS_BY_KEY, ViewContext, select
    from tui.core.store.postgres import queue_sql
    from tui.core.models import now_utc

    def listed(text: str = "") -> list[str]:
        rows = QueueIndex().update(other.ticket_docs(), by_id(other._documents("customers")),
                                   by_id(other._documents("products")))
        return [r.id for r in select(rows, VIEWS_BY_KEY["open"], parse(text),
                                     ViewContext.at(AGENT, now_utc())).rows]

    expected = listed()
    monkeypatch.setattr(queue_sql, "PAGE", 1)  # a page a row: End reads from the end
    monkeypatch.setattr(queue_sql, "MATCH_CAP", 2)

    def every_ticket(*args, **kwargs):
        raise AssertionError("the app read every ticket's document")
    monkeypatch.setattr(PostgresStore, "ticket_docs", every_ticket)
    app = pg_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        queue = screen.queue_panel.queue
        assert [r.id for r in queue.rows] == expected and len(expected) > 4
        assert queue._id_width == max(map(len, expected))  # the columns as on a data directory
        await pilot.press("end")
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.id == expected[-1])
        await pilot.press("up", "up")
        await until(pilot, lambda: screen.ticket.id == expected[-3])
        # another desk moves the cursor's ticket to the top: the cursor goes with it
        moved = expected[-3]
        overdue = ts(timedelta(days=-30))
        other.update_ticket(moved, {"priority": "urgent", "first_reply_due": overdue,
                                    "resolution_due": overdue},
                            expected_rev=other.get_ticket(moved).rev)
        await until(pilot, lambda: queue.rows[0].id == moved)
        assert queue.highlighted_id == moved and queue.cursor == 0
        # a filter that matches more than the count's cap says so
        await pilot.press("slash", "t", "minus")
        await until(pilot, lambda: screen.queue_panel.shown == ("open", "t-"))
        assert queue.rows.capped and len(queue.rows) == 2
        assert f"2+ of {len(expected)} match" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: screen.queue_panel.shown == ("open", ""))
        await pilot.press("asterisk")  # mark all shown: every ticket of the view, not a page
        await until(pilot, lambda: len(queue.marked) == len(expected))
        assert queue.marked == set(expected)
        assert queue.marked_in_order() == [r.id for r in queue.rows]
