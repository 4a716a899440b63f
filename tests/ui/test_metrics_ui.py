"""Metrics in the app: the work stream it records, the status bar, the report and the why view.

The must-show: open a ticket, type, wait past the idle cut-off, solve: the status bar, the
event log and compute() over the same events agree. A small `[metrics]` table (I = 1 s,
H = 1 s) keeps it quick.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import orjson
import pytest
from textual import events as tevents
from textual.widgets import Static

from tui.app import DeskApp
from tui.core.eventlog import EVENTS_FILE
from tui.core.metrics import MetricsConfig, compute, read_event_files
from tui.core.session import session_summary
from tui.core.store import TinyDBStore
from tui.screens import ComposeScreen, PickerScreen
from tui.screens.report import ReportScreen
from tui.screens.why import WhyScreen
from tui.widgets import StatusBar

from .conftest import AGENT, _snapshot, choose, ready, screen_text, until
from .test_keyboard import palette

IDLE_S, HEARTBEAT_S = 1, 1
HOSTILE = "[b]bold[/b] {x} \x1b[31mred"


@pytest.fixture
def metrics_dir(tmp_path: Path) -> Path:
    """A store whose ticket events are valid for compute(): written as `system` events."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "store.json").write_bytes(orjson.dumps(_snapshot()))
    store = TinyDBStore(data_dir)  # no agent: src system, no run needed
    try:
        store.insert_ticket(customer="C-1", subject="Kahvinkeitin vuotaa", body="Apua!", product="P-1")
        store.insert_ticket(customer="C-3", subject="Soitto: lasku", body="Ring meg.", channel="phone")
        store.insert_ticket(customer="C-6", subject=HOSTILE, body="{error}", product="P-4")
    finally:
        store.close()
    return data_dir


@pytest.fixture
def metrics_config(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir()
    path.write_text('theme = "textual-dark"\n[metrics]\n'
                    f"idle_cutoff_s = {IDLE_S}\nheartbeat_s = {HEARTBEAT_S}\nglance_threshold_s = 1\n")
    return path


@pytest.fixture
def metrics_app(metrics_dir, metrics_config):
    stores = []

    def make() -> DeskApp:
        store = TinyDBStore(metrics_dir, agent=AGENT)
        stores.append(store)
        return DeskApp(store, agent=AGENT, config_path=metrics_config)
    yield make
    for store in stores:
        store.close()


def log(data_dir: Path) -> list[dict]:
    return read_event_files([data_dir / EVENTS_FILE])[0]


def run_events(data_dir: Path, run: str) -> list[dict]:
    return sorted((e for e in log(data_dir) if e.get("run") == run), key=lambda e: e["seq"])


def bar_text(app) -> str:
    bar = app.screen.query_one("#status", StatusBar)
    bar.tick()
    return str(bar.render())


def bar_seconds(text: str, ticket: str) -> int:
    found = re.search(rf"{ticket} (?:handling )?(\d+):(\d\d)\b", text)
    assert found, text
    return int(found.group(1)) * 60 + int(found.group(2))


def config_of(app) -> MetricsConfig:
    return app.work.config


async def test_open_type_idle_solve_status_bar_log_and_compute_agree(metrics_app, metrics_dir):
    app = metrics_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot, "T-1")
        work = app.work
        await until(pilot, lambda: work.focused == "T-1")
        focused_at = time.monotonic()
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await pilot.press(*"Kiitos, korjataan.")
        # Idle past the cut-off: the ticket's timer stops.
        await pilot.pause(IDLE_S + 0.6)
        stopped = work.handle_s("T-1")
        await pilot.pause(0.5)
        assert work.handle_s("T-1") == stopped
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ComposeScreen))
        await until(pilot, lambda: any(e["type"] == "agent_reply" for e in log(metrics_dir)))
        screen.set_status("solved")
        await until(pilot, lambda: any(e["type"] == "status_change" for e in log(metrics_dir)))
        # Past the cut-off again, and a heartbeat after it: the run in the log reaches as far.
        await pilot.pause(IDLE_S + HEARTBEAT_S + 0.5)
        focused_s = time.monotonic() - focused_at
        app.refresh_figures()
        solved_at = time.time()
        await until(pilot, lambda: work.figures and work.figures.as_of / 1000 > solved_at
                    and work.figures.session and work.figures.session["fcr"]["n"] == 1)
        text = bar_text(app)
        shown = bar_seconds(text, "T-1")

        document = compute(log(metrics_dir), config_of(app), time.time_ns() // 1_000_000)
        item = next(i for i in document["items"] if i["ticket"] == "T-1" and i["session"] == work.session)
        session = document["sessions"][work.session]
        # The status bar, the event log (through compute) and the session figures agree.
        assert shown == item["handle_s"] == work.handle_s("T-1")
        assert 1 <= item["handle_s"] <= focused_s - IDLE_S  # the idle stretch was cut
        assert session["items"] == 1 and session["aht_s"] == item["handle_s"]
        fcr = session["fcr"]
        assert (fcr["n"], fcr["pending"], fcr["not_fcr"], fcr["open"]) == (1, 1, 0, 0)
        assert document["tickets"]["T-1"]["fcr_agent"] == "pending_window"
        assert "items 1" in text and f"AHT {item['handle_s'] // 60}:{item['handle_s'] % 60:02d}" in text
        assert "FCR 1/1 100% provisional · 1 pending · 0 open" in text

        # The run's own events: one seq counter for both streams, in the order of the actions.
        mine = run_events(metrics_dir, work.run)
        assert [e["seq"] for e in mine] == list(range(1, len(mine) + 1))
        assert {e["stream"] for e in mine} == {"work", "ticket"}
        types = [e["type"] for e in mine]
        assert types[0] == "run_start" and types.count("run_start") == 1
        order = [types.index(t) for t in ("ticket_focus", "activity", "agent_reply", "status_change")]
        assert order == sorted(order) and "heartbeat" in types
        assert all(e["data"]["kind"] == "key" for e in mine if e["type"] == "activity")
        assert not [w for w in document["warnings"] if w.get("run") == work.run]

        # Why: its FCR status and reasons, its time by component and session.
        await pilot.press("escape", "w")
        await until(pilot, lambda: isinstance(app.screen, WhyScreen))
        body = app.screen.query_one("#why-body", Static)
        await until(pilot, lambda: "Handle time" in str(body.render()))
        why = str(body.render())
        assert "pending_window" in why and "this session" in why
        assert re.search(r"by component +talk 0:00 · hold 0:00 · acw 0:00 · work 0:0\d · manual 0:00", why)
        await pilot.press("escape")

        # The report: the session's leading figures paired with the lagging ones.
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        report = app.screen.query_one("#report-body", Static)
        await until(pilot, lambda: "session FCR" in str(report.render()))
        assert work.focused is None  # the report hides the ticket
        text = str(report.render())
        assert "1/1 100% provisional · 1 pending · 0 open (provisional until +7 d)" in text
        assert "reopen rate 30 d" in text and "0/0" in text
        await pilot.press("escape")
        await until(pilot, lambda: work.focused == "T-1")
        run = work.run
    # On quit: the run ends with the ticket blurred, and the live clock (stopped at the end)
    # still agrees with compute() (the keys since then were activity on T-1).
    mine = run_events(metrics_dir, run)
    assert [e["type"] for e in mine[-2:]] == ["ticket_blur", "run_end"]
    assert mine[-1]["data"] == {"reason": "quit"}
    document = compute(log(metrics_dir), config_of(app), time.time_ns() // 1_000_000)
    after = next(i for i in document["items"] if i["ticket"] == "T-1" and i["session"] == work.session)
    assert after["handle_s"] == work.handle_s("T-1") >= item["handle_s"]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_status_bar_keeps_the_timer_with_fcr_at_every_width(metrics_app, size):
    app = metrics_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-2")
        await until(pilot, lambda: app.work.figures is not None and app.work.focused == "T-2")
        text = bar_text(app)
        assert len(text) <= size[0] - 2
        assert "T-2" in text and "FCR 0/0" in text and "0 open" in text  # §B.9: never alone
        if size[0] >= 110:
            assert f"agent {AGENT}" in text and "T-2 handling 0:0" in text and "AHT –" in text
        await pilot.press("d")  # the report and the why view lay out at this size too
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        segments = app.screen.query_one("#report-segments", Static)
        await until(pilot, lambda: "By channel" in str(segments.render()))
        rows = str(segments.render())
        for channel in ("email", "phone", "chat", "web", "social", "in_person"):
            assert channel in rows  # n = 0 segments stay, greyed
        await pilot.press("s")
        await until(pilot, lambda: "By product" in str(segments.render()))
        for product in ("Kahvinkeitin Aroma", "Vânzări Suite", "Norrsken Monitor 27"):
            assert product[:13] in str(segments.render())
        await pilot.press("escape", "w")
        await until(pilot, lambda: isinstance(app.screen, WhyScreen))
        await until(pilot, lambda: "Handle time" in screen_text(app))
        assert "open: nobody has handled it yet" in screen_text(app)


async def test_breaks_pauses_calls_focus_and_activity_kinds_are_recorded(metrics_app, metrics_dir):
    app = metrics_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "T-2")  # a phone ticket
        work = app.work
        await until(pilot, lambda: work.focused == "T-2")
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await choose(pilot, "lunch")
        await until(pilot, lambda: work.on_break == "lunch")
        assert "on break (lunch)" in bar_text(app)
        await pilot.press("b", "P")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await choose(pilot, "system problem")
        await until(pilot, lambda: work.paused == "system problem")
        await pilot.press("P")
        await pilot.press("l")  # log a call: it starts now
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await pilot.press("ctrl+l", "ctrl+l", "ctrl+r")  # hold, resume, call ended
        await pilot.press("escape")  # the call log stays a draft
        await until(pilot, lambda: not isinstance(app.screen, ComposeScreen))
        assert work.acw == "T-2" and "wrap-up" in bar_text(app)
        await pilot.press("e")
        app.post_message(tevents.AppBlur())
        app.post_message(tevents.AppFocus())
        app.post_message(tevents.MouseScrollDown(None, 5, 5, 0, 1, 0, False, False, False))
        await pilot.pause(0.1)
        await palette(pilot, "Session report")  # a palette command (activity kind command)
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        await pilot.press("escape")
        run = work.run
    mine = run_events(metrics_dir, run)
    by_type: dict[str, list[dict]] = {}
    for event in mine:
        by_type.setdefault(event["type"], []).append(event)
    assert [e["data"]["reason"] for e in by_type["break_start"] + by_type["break_end"]] == ["lunch"] * 2
    assert [e["data"]["reason"] for e in by_type["timer_pause"] + by_type["timer_resume"]] == \
        ["system problem"] * 2
    start, end = by_type["interaction_start"][0], by_type["interaction_end"][0]
    assert start["ticket"] == end["ticket"] == "T-2"
    assert start["data"]["interaction"] == end["data"]["interaction"]
    assert start["data"]["direction"] == "inbound" and start["data"]["kind"] == "call"
    assert len(by_type["hold_start"]) == len(by_type["hold_end"]) == 1
    assert len(by_type["wrap_end"]) == 1
    assert [e["data"]["focused"] for e in by_type["app_focus"]] == [False, True]
    assert {e["data"]["kind"] for e in by_type["activity"]} == {"key", "scroll", "command"}
    assert mine[-1]["type"] == "run_end"
    document = compute(log(metrics_dir), MetricsConfig(idle_cutoff_s=IDLE_S), time.time_ns() // 1_000_000)
    assert not [w for w in document["warnings"] if w.get("run") == run]
    assert document["runs"][run]["end_reason"] == "quit"
    assert document["sessions"][work.session]["call_legs"] == 1


async def test_hostile_subjects_stay_data_in_the_why_view_and_the_summary(metrics_app, metrics_dir):
    app = metrics_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "T-3")
        await until(pilot, lambda: app.work.focused == "T-3")
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, WhyScreen))
        await until(pilot, lambda: "Handle time" in screen_text(app))
        assert "[b]bold[/b] {x} ␛[31mred" in screen_text(app)
        work = app.work
    figures = work.log.figures(work.config)
    lines = session_summary(figures, {"T-3": HOSTILE})
    assert any("␛[31mred" in line for line in lines) and not any("\x1b" in line for line in lines)
