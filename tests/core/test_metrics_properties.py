"""Property tests of the metrics engine on random event logs (hypothesis, bounded)."""

from __future__ import annotations

import json
import random
from typing import Any, Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.core.metrics import compute, format_time, parse_time

BASE = parse_time("2025-03-03T09:00:00Z")
AS_OF = "2025-03-12T00:00:00Z"
TICKETS = ("T1", "T2", "T3")
STATUSES = ("open", "pending", "on_hold", "solved", "closed")
RUN_ACTIONS = (
    "focus", "blur", "activity", "app_focus", "app_blur", "break_start", "break_end", "pause", "resume",
    "call_start", "call_end", "hold_start", "hold_end", "chat_start", "chat_end", "wrap_end", "reply",
    "note", "status", "assign",
)
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Envelope:
    """Unique ids, consecutive seq per run or per source, mono consistent with ts."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.seq: dict[str, int] = {}

    def add(self, counter: str, ms: int, type_: str, data: dict, *, run: dict | None = None,
            ticket: str | None = None, stream: str = "ticket", src: str = "import") -> None:
        self.seq[counter] = self.seq.get(counter, 0) + 1
        event = {"v": 1, "id": f"e{len(self.events)}", "stream": stream, "seq": self.seq[counter],
                 "ts": format_time(ms), "type": type_, "src": src, "data": data}
        if run is not None:
            event.update(mono_ms=ms - run["start"], agent=run["agent"], session=run["session"], run=run["id"])
        if ticket is not None:
            event["ticket"] = ticket
        self.events.append(event)


ticket_setup = st.fixed_dictionaries({
    "created": st.integers(0, 3600),
    "channel": st.sampled_from(["email", "phone", "chat", "web"]),
    "customer": st.sampled_from(["C1", "C2", None]),
    "issue_key": st.sampled_from(["billing", None]),
    "contacts": st.lists(st.integers(0, 4 * 3600), max_size=3),
    "system_changes": st.lists(st.tuples(st.integers(0, 6 * 3600), st.sampled_from(STATUSES)), max_size=2),
    "survey": st.one_of(st.none(), st.tuples(st.integers(0, 8 * 3600), st.integers(1, 5))),
})
run_setup = st.fixed_dictionaries({
    "agent": st.sampled_from(["A1", "A2"]),
    "session": st.sampled_from(["S1", "S2", "S3"]),
    "start": st.integers(0, 3 * 3600),
    "ended": st.booleans(),
    "steps": st.lists(
        st.tuples(st.integers(0, 400), st.sampled_from(RUN_ACTIONS), st.sampled_from(TICKETS),
                  st.sampled_from(STATUSES)),
        max_size=30,
    ),
})


@st.composite
def event_logs(draw) -> list[dict[str, Any]]:
    log = Envelope()
    for ticket in TICKETS:
        _emit_ticket(log, ticket, draw(ticket_setup))
    for index, setup in enumerate(draw(st.lists(run_setup, min_size=1, max_size=3))):
        _emit_run(log, f"R{index}", setup)
    return log.events


def _emit_ticket(log: Envelope, ticket: str, setup: dict) -> None:
    created = BASE + setup["created"] * 1000
    log.add("import", created, "ticket_created", {
        "channel": setup["channel"], "source": "customer", "customer": setup["customer"],
        "issue_key": setup["issue_key"], "priority": "normal",
    }, ticket=ticket)
    for number, offset in enumerate(sorted(setup["contacts"])):
        log.add("import", created + offset * 1000, "customer_contact",
                {"contact": f"{ticket}-K{number}", "kind": "inbound_message"}, ticket=ticket)
    for offset, status in setup["system_changes"]:
        log.add("system", created + offset * 1000, "status_change", {"to": status}, ticket=ticket, src="system")
    if setup["survey"]:
        offset, score = setup["survey"]
        log.add("system", created + offset * 1000, "csat_sent", {"survey": f"V{ticket}"}, ticket=ticket, src="system")
        log.add("import", created + offset * 1000 + 1, "csat_response", {"survey": f"V{ticket}", "score": score},
                ticket=ticket)


def _emit_run(log: Envelope, run_id: str, setup: dict) -> None:
    now = BASE + setup["start"] * 1000
    run = {"id": run_id, "agent": setup["agent"], "session": setup["session"], "start": now}
    log.add(run_id, now, "run_start", {"new_session": True, "tz": "UTC"}, run=run, stream="work", src="app")
    calls: list[str] = []
    for gap, action, ticket, status in setup["steps"]:
        now += gap * 1000
        for type_, data, stream, on_ticket in _run_events(action, ticket, status, calls, f"{run_id}-{len(log.events)}"):
            log.add(run_id, now, type_, data, run=run, ticket=on_ticket, stream=stream, src="app")
    if setup["ended"]:
        log.add(run_id, now + 1000, "run_end", {"reason": "quit"}, run=run, stream="work", src="app")


def _run_events(action: str, ticket: str, status: str, live: list[str], new_id: str) -> Iterator[tuple]:
    """(type, data, stream, ticket) for one random agent action."""
    work_without_ticket = {
        "activity": ("activity", {"kind": "key", "count": 1}),
        "app_focus": ("app_focus", {"focused": True}),
        "app_blur": ("app_focus", {"focused": False}),
        "break_start": ("break_start", {"reason": "x"}),
        "break_end": ("break_end", {"reason": "x"}),
        "pause": ("timer_pause", {"reason": "x"}),
        "resume": ("timer_resume", {"reason": "x"}),
        "wrap_end": ("wrap_end", {}),
    }
    if action in work_without_ticket:
        yield (*work_without_ticket[action], "work", None)
    elif action in ("focus", "blur"):
        yield ("ticket_focus" if action == "focus" else "ticket_blur", {}, "work", ticket)
    elif action in ("call_start", "chat_start"):
        live.append(new_id)
        kind = "call" if action == "call_start" else "chat"
        yield ("interaction_start", {"interaction": new_id, "kind": kind, "direction": "inbound", "leg": 1},
               "work", ticket)
    elif action in ("call_end", "chat_end") and live:
        yield ("interaction_end", {"interaction": live.pop()}, "work", None)
    elif action in ("hold_start", "hold_end") and live:
        yield (action, {"interaction": live[-1]}, "work", None)
    elif action == "reply":
        yield ("agent_reply", {"public": True}, "ticket", ticket)
    elif action == "note":
        yield ("internal_note", {}, "ticket", ticket)
    elif action == "status":
        yield ("status_change", {"to": status}, "ticket", ticket)
    elif action == "assign":
        yield ("assign", {"to_agent": "A2", "to_group": "L1", "kind": "transfer"}, "ticket", ticket)


def rates_in(document: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every rate-like number of the document: FcrRate/Rate/Csat ratios and utilization."""
    if isinstance(document, dict):
        for key, value in document.items():
            here = f"{path}.{key}"
            if key in ("provisional", "final", "rate", "response_rate", "utilization") and value is not None:
                yield here, value
            elif key == "pct" and value is not None:
                yield here, value / 100
            else:
                yield from rates_in(value, here)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from rates_in(value, f"{path}.{index}")


@SETTINGS
@given(event_logs())
def test_handle_time_never_exceeds_staffed_time(events):
    document = compute(events, {}, AS_OF)
    for session_id, session in document["sessions"].items():
        handled = sum(item["handle_s"] for item in document["items"] if item["session"] == session_id)
        assert handled <= session["total_work_s"] <= session["staffed_s"], session_id


@SETTINGS
@given(event_logs())
def test_rates_stay_within_zero_and_one(events):
    document = compute(events, {}, AS_OF)
    for path, value in rates_in(document):
        assert 0 <= value <= 1, path


@SETTINGS
@given(event_logs(), st.randoms(use_true_random=False))
def test_same_input_gives_the_same_output_whatever_the_line_order(events, rng: random.Random):
    first = compute(events, {}, AS_OF)
    shuffled = list(events)
    rng.shuffle(shuffled)
    assert compute(events, {}, AS_OF) == first
    assert compute(shuffled, {}, AS_OF) == first
    json.dumps(first)  # the document is plain JSON


@SETTINGS
@given(event_logs())
def test_items_are_the_sum_of_their_components(events):
    for item in compute(events, {}, AS_OF)["items"]:
        parts = item["talk_s"] + item["hold_s"] + item["acw_s"] + item["work_s"] + item["manual_s"]
        assert item["handle_s"] == max(0, parts)
        assert item["aht_item"] == (item["exclusion"] is None)
