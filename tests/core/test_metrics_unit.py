"""Focused tests of the tricky rules of the metrics engine (metrics-spec Part B)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tui.cli.metrics import main
from tui.core.metrics import compute, parse_time, read_event_files

DAY = "2025-03-03"
LATER = "2025-03-20T00:00:00Z"


def at(clock: str) -> str:
    """`HH:MM:SS` on the test day, or a full timestamp as is."""
    return clock if "T" in clock else f"{DAY}T{clock}.000Z"


class LogBuilder:
    """Writes envelopes with consecutive seq per run / per source and mono = ms since run start."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.seq: dict[str, int] = defaultdict(int)
        self.run_start: dict[str, int] = {}

    def app(self, type_: str, clock: str, *, run="R1", agent="A1", session="S1", ticket=None,
            stream="work", **data) -> dict:
        ts = at(clock)
        self.run_start.setdefault(run, parse_time(ts))
        self.seq[run] += 1
        event = {
            "v": 1, "id": f"{run}-{self.seq[run]}", "stream": stream, "seq": self.seq[run], "ts": ts,
            "mono_ms": parse_time(ts) - self.run_start[run], "agent": agent, "session": session,
            "run": run, "type": type_, "src": "app", "data": data,
        }
        if ticket is not None:
            event["ticket"] = ticket
        self.events.append(event)
        return event

    def ticket_app(self, type_: str, clock: str, ticket: str, **kwargs) -> dict:
        return self.app(type_, clock, ticket=ticket, stream="ticket", **kwargs)

    def imported(self, type_: str, clock: str, ticket: str, *, src="import", **data) -> dict:
        self.seq[src] += 1
        event = {
            "v": 1, "id": f"{src}-{self.seq[src]}", "stream": "ticket", "seq": self.seq[src], "ts": at(clock),
            "ticket": ticket, "type": type_, "src": src, "data": data,
        }
        self.events.append(event)
        return event

    def email_ticket(self, ticket: str, clock: str, customer="C1", **attrs) -> None:
        self.imported("ticket_created", clock, ticket, channel=attrs.pop("channel", "email"),
                      source="customer", customer=customer, **attrs)
        self.imported("customer_contact", clock, ticket, contact=f"K-{ticket}", kind="inbound_message")

    def compute(self, as_of: str = LATER, config: dict | None = None) -> dict:
        return compute(self.events, config or {}, as_of)


def solved_by_reply(log: LogBuilder, ticket: str, start: str, reply: str, end: str, **run) -> None:
    """A run that opens `ticket`, replies publicly and solves it."""
    log.app("run_start", start, new_session=True, tz="UTC", **run)
    log.app("ticket_focus", start, ticket=ticket, **run)
    log.ticket_app("agent_reply", reply, ticket, public=True, **run)
    log.ticket_app("status_change", reply, ticket, to="solved", **run)
    log.app("ticket_blur", reply, ticket=ticket, **run)
    log.app("run_end", end, reason="quit", **run)


# --- undo (§B.3.5 item 4) -------------------------------------------------------------------


def undo_log(reopen_clock: str = "10:12:00", reopener: str = "A1", contact_between: bool = False) -> LogBuilder:
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    log.app("run_start", "10:00:00", new_session=True)
    log.app("ticket_focus", "10:00:00", ticket="T1")
    log.ticket_app("agent_reply", "10:11:00", "T1", public=True)
    log.ticket_app("status_change", "10:11:00", "T1", to="solved")
    if contact_between:
        log.imported("customer_contact", "10:11:30", "T1", contact="K2", kind="inbound_message")
    log.ticket_app("status_change", reopen_clock, "T1", to="open", agent=reopener)
    log.ticket_app("status_change", "10:15:00", "T1", to="solved")
    log.app("run_end", "10:20:00", reason="quit")
    return log


def test_undo_within_grace_is_a_correction_not_a_reopen():
    ticket = undo_log().compute()["tickets"]["T1"]
    assert ticket["first_resolution"] == at("10:15:00")
    assert (ticket["reopens"], ticket["raw_reopens"], ticket["resolutions"]) == (0, 0, 1)
    assert ticket["fcr_agent"] == "fcr"


@pytest.mark.parametrize(
    "variant",
    [{"reopen_clock": "10:13:01"}, {"reopener": "A2"}, {"contact_between": True}],
    ids=["after-grace", "other-agent", "customer-in-between"],
)
def test_undo_needs_same_agent_within_grace_and_no_contact(variant):
    ticket = undo_log(**variant).compute()["tickets"]["T1"]
    assert ticket["first_resolution"] == at("10:11:00")
    assert ticket["raw_reopens"] == 1
    assert ticket["resolutions"] == 2


def test_undone_solve_does_not_count_as_a_qualifying_solve():
    assert undo_log().compute()["sessions"]["S1"]["solved"] == 1


# --- reopen cycles (§B.3.5 item 5) ------------------------------------------------------------


def cycle_log(*, flags: tuple[bool, ...] = (False,), resolve_again: bool = True, agent_reply: bool = False):
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    solved_by_reply(log, "T1", "09:10:00", "09:12:00", "09:20:00")
    for index, ack in enumerate(flags):
        log.imported("customer_contact", f"1{index}:00:00", "T1", contact=f"K{index}", kind="inbound_message",
                     ack_only=ack)
    log.imported("status_change", "10:00:00", "T1", src="system", to="open")
    if agent_reply:
        log.imported("agent_reply", "11:30:00", "T1", public=True)
    if resolve_again:
        log.imported("status_change", "12:00:00", "T1", src="system", to="solved")
    return log


def test_single_thank_you_after_solve_is_ack_only_once_re_resolved():
    ticket = cycle_log().compute()["tickets"]["T1"]
    assert (ticket["reopens"], ticket["raw_reopens"]) == (0, 1)
    assert ticket["fcr_team"] == "fcr"


def test_single_unflagged_contact_in_an_open_cycle_is_undetermined():
    ticket = cycle_log(resolve_again=False).compute()["tickets"]["T1"]
    assert ticket["reopens"] == 0
    assert ticket["fcr_team"] == "open"


def test_flagged_ack_only_contact_is_ack_only_even_before_re_resolution():
    ticket = cycle_log(flags=(True,), resolve_again=False).compute()["tickets"]["T1"]
    assert ticket["reopens"] == 0
    assert ticket["fcr_team"] == "fcr"


def test_ack_only_mark_after_the_fact_applies_to_the_latest_contact():
    log = cycle_log(resolve_again=False)
    log.imported("mark", "10:30:00", "T1", flag="ack_only", value=True)
    assert log.compute()["tickets"]["T1"]["fcr_team"] == "fcr"


def test_two_unflagged_contacts_make_a_reopen():
    ticket = cycle_log(flags=(False, False)).compute()["tickets"]["T1"]
    assert ticket["reopens"] == 1
    assert ticket["reasons_team"] == ["reopened"]


def test_agent_response_in_the_cycle_makes_a_reopen():
    assert cycle_log(agent_reply=True).compute()["tickets"]["T1"]["reopens"] == 1


def test_reopen_without_any_contact_is_a_reopen():
    ticket = cycle_log(flags=()).compute()["tickets"]["T1"]
    assert ticket["reopens"] == 1
    assert ticket["fcr_agent"] == "not_fcr"


def test_reopen_after_the_window_counts_only_in_raw_reopens():
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    solved_by_reply(log, "T1", "09:10:00", "09:12:00", "09:20:00")
    log.imported("status_change", "2025-03-12T09:00:00.000Z", "T1", src="system", to="open")
    ticket = log.compute()["tickets"]["T1"]
    assert (ticket["reopens"], ticket["raw_reopens"]) == (0, 1)
    assert ticket["fcr_agent"] == "fcr"  # judged on the first resolution; the late reopen is outside W


# --- FCR violations (§B.5) --------------------------------------------------------------------


def handled_email(*middle: tuple) -> dict:
    """T1 handled by A1: a reply at 10:05, then `middle` events, then a solve by `solver` at 11:00."""
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    log.app("run_start", "10:00:00", new_session=True)
    log.ticket_app("agent_reply", "10:05:00", "T1", public=True)
    solver = "A1"
    for kind, clock, data in middle:
        if kind == "solver":
            solver = data
        elif kind == "contact":
            log.imported("customer_contact", clock, "T1", **data)
        else:
            log.ticket_app(kind, clock, "T1", **data)
    if solver == "system":
        log.imported("status_change", "11:00:00", "T1", src="system", to="solved")
    else:
        log.ticket_app("status_change", "11:00:00", "T1", to="solved", agent=solver)
    log.app("run_end", "11:30:00", reason="quit")
    return log.compute()["tickets"]["T1"]


@pytest.mark.parametrize(
    "middle, team, agent",
    [
        ((), [], []),
        ((("assign", "10:30:00", {"to_agent": "A2", "kind": "transfer"}),), [], ["transferred"]),
        ((("assign", "10:30:00", {"to_agent": "A1", "kind": "assign"}),), [], []),
        ((("assign", "10:30:00", {"to_group": "L2", "kind": "escalate"}),), [], ["transferred"]),
        ((("status_change", "10:30:00", {"to": "pending"}),), ["pending_before_resolution"], []),
        ((("agent_reply", "10:30:00", {"public": True}),), ["multiple_public_replies"], []),
        ((("agent_reply", "10:30:00", {"public": False}),), [], []),
        ((("contact", "10:30:00", {"contact": "K2", "kind": "inbound_message"}),), ["multiple_contacts"], []),
        ((("contact", "10:30:00", {"contact": "K2", "kind": "inbound_message", "ack_only": True}),), [], []),
        ((("solver", None, "system"),), [], ["resolved_by_other_agent"]),
    ],
    ids=["clean", "transfer", "self-assign", "to-group", "pending", "two-replies", "internal-note",
         "chaser-after-h1", "ack-chaser", "system-solve"],
)
def test_fcr_violations_team_and_agent(middle, team, agent):
    """`team` = reasons 1–7; `agent` = the agent-level reasons 8–9 on top of them."""
    ticket = handled_email(*middle)
    assert ticket["reasons_team"] == team
    assert ticket["reasons_agent"] == team + agent


def test_chaser_before_first_handling_collapses_into_contact_one():
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    log.imported("customer_contact", "09:30:00", "T1", contact="K2", kind="inbound_message")
    solved_by_reply(log, "T1", "10:00:00", "10:05:00", "10:10:00")
    ticket = log.compute()["tickets"]["T1"]
    assert ticket["contacts"] == 2
    assert ticket["fcr_agent"] == "fcr"


def call_ticket(solve_clock: str, direction: str = "inbound") -> dict:
    log = LogBuilder()
    log.imported("ticket_created", "10:00:00", "T1", channel="phone", source="customer", customer="C1")
    log.imported("customer_contact", "10:00:00", "T1", contact="K1", kind="inbound_call")
    log.app("run_start", "10:00:00", new_session=True)
    log.app("interaction_start", "10:00:00", ticket="T1", interaction="X1", kind="call", direction=direction, leg=1)
    log.app("interaction_end", "10:10:00", ticket="T1", interaction="X1")
    log.ticket_app("status_change", solve_clock, "T1", to="solved")
    log.app("run_end", solve_clock, reason="quit")
    return log.compute()["tickets"]["T1"]


@pytest.mark.parametrize(
    "solve_clock, direction, reasons",
    [("10:25:00", "inbound", []), ("10:25:01", "inbound", ["resolved_after_contact"]),
     ("10:05:00", "outbound", ["resolved_after_contact"])],
    ids=["within-grace", "after-grace", "callback"],
)
def test_sync_tickets_must_be_resolved_by_the_end_of_the_first_call_plus_grace(solve_clock, direction, reasons):
    assert call_ticket(solve_clock, direction)["reasons_team"] == reasons


# --- SLA, backlog, CSAT (§B.6) ----------------------------------------------------------------


SLA = {"sla_targets": {"normal": {"first_reply_s": 600, "resolution_s": 3600}}}


@pytest.mark.parametrize(
    "as_of, first_reply, resolution",
    [("09:07:00", "met", "ok"), ("09:50:00", "met", "at_risk"), ("10:00:01", "met", "breached")],
)
def test_sla_states_before_and_after_measurement(as_of, first_reply, resolution):
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00", priority="normal")
    log.imported("agent_reply", "09:05:00", "T1", public=True)
    ticket = log.compute(as_of=at(as_of), config=SLA)["tickets"]["T1"]
    assert (ticket["sla_first_reply"], ticket["sla_resolution"]) == (first_reply, resolution)


def test_backlog_holds_open_tickets_by_their_latest_assignee_and_age():
    log = LogBuilder()
    for ticket, clock, to_agent in (("T1", "09:00:00", "A1"), ("T2", "2025-03-16T09:00:00.000Z", "A1"),
                                    ("T3", "09:00:00", "A2")):
        log.email_ticket(ticket, clock)
        log.imported("assign", clock, ticket, to_agent=to_agent, kind="assign")
    log.imported("assign", "10:00:00", "T3", to_agent="A1", kind="assign")
    log.imported("status_change", "10:00:00", "T3", src="system", to="solved")
    backlog = log.compute()["agents"]["A1"]["backlog"]
    assert backlog["tickets"] == ["T1", "T2"]
    assert backlog["by_age"] == {"lt_1d": 0, "1d_3d": 0, "3d_7d": 1, "ge_7d": 1}


def test_csat_on_a_merged_ticket_moves_to_the_root_and_to_the_latest_resolver():
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    solved_by_reply(log, "T1", "09:10:00", "09:12:00", "09:20:00")
    log.email_ticket("T2", "09:30:00")
    log.imported("merge", "09:31:00", "T2", into="T1")
    log.imported("csat_sent", "10:00:00", "T1", src="system", survey="V1")
    log.imported("csat_response", "11:00:00", "T2", survey="V1", score=5)
    document = log.compute()
    assert (document["tickets"]["T1"]["csat_score"], document["tickets"]["T1"]["csat_agent"]) == (5, "A1")
    assert document["tickets"]["T2"]["csat_score"] is None
    csat = document["agents"]["A1"]["csat"]
    assert (csat["n"], csat["pct"], csat["response_rate"], csat["low_n"]) == (1, 100.0, 1.0, True)


# --- handle time (§B.4) -----------------------------------------------------------------------


def focus_with_activity(*activity: str) -> LogBuilder:
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    log.app("run_start", "10:00:00", new_session=True)
    log.app("ticket_focus", "10:00:00", ticket="T1")
    for clock in activity:
        log.app("activity", clock, kind="key", count=1)
    log.app("ticket_blur", "10:30:00", ticket="T1")
    log.app("run_end", "10:30:00", reason="quit")
    return log


def item(document: dict, ticket: str = "T1") -> dict:
    (found,) = [entry for entry in document["items"] if entry["ticket"] == ticket]
    return found


def test_idle_cut_off_credits_at_most_I_after_the_last_point():
    document = focus_with_activity("10:01:00", "10:10:00").compute()
    assert item(document)["work_s"] == 60 + 120 + 120
    assert document["sessions"]["S1"]["total_work_s"] == 300


def test_gap_equal_to_the_idle_cut_off_is_fully_credited():
    document = focus_with_activity("10:02:00", "10:04:00").compute()
    assert item(document)["handle_s"] == 120 + 120 + 120


def test_idle_cut_off_is_configurable():
    document = focus_with_activity("10:01:00").compute(config={"idle_cutoff_s": 30})
    assert item(document)["handle_s"] == 30 + 30


def test_break_and_app_blur_stop_accrual():
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    log.app("run_start", "10:00:00", new_session=True)
    log.app("ticket_focus", "10:00:00", ticket="T1")
    log.app("break_start", "10:00:30", reason="coffee")
    log.app("break_end", "10:10:00", reason="coffee")
    log.app("app_focus", "10:10:20", focused=False)
    log.app("app_focus", "10:20:00", focused=True)
    log.app("run_end", "10:20:40", reason="quit")
    document = log.compute()
    assert item(document)["work_s"] == 30 + 20 + 40
    assert document["sessions"]["S1"]["break_s"] == 570
    assert document["sessions"]["S1"]["staffed_s"] == 1240 - 570


def test_second_instance_credits_only_while_its_activity_is_most_recent():
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    log.email_ticket("T2", "09:00:00", customer="C2")
    log.app("run_start", "10:00:00", new_session=True)
    log.app("ticket_focus", "10:00:00", ticket="T1")
    log.app("activity", "10:01:00", kind="key", count=1)
    log.app("run_start", "10:01:30", run="R2", new_session=True, session="S2")
    log.app("ticket_focus", "10:01:30", run="R2", session="S2", ticket="T2")
    log.app("activity", "10:02:00", kind="key", count=1)
    log.app("run_end", "10:03:00", reason="quit")
    log.app("run_end", "10:03:00", run="R2", session="S2", reason="quit")
    document = log.compute()
    assert item(document, "T1")["work_s"] == 90 + 60  # R2 credits 10:01:30–10:02:00
    assert item(document, "T2")["work_s"] == 30  # R1's activity at 10:02 is more recent again
    assert item(document, "T2")["session"] == "S2"


def test_manual_time_counts_in_handle_time_but_not_in_total_work():
    log = focus_with_activity()
    log.app("manual_time", "10:30:00", ticket="T1", seconds=-500, reason="forgot to close")
    document = log.compute()
    assert item(document)["handle_s"] == 0  # 120 accrued − 500, clamped
    assert item(document)["aht_item"] is True  # any manual time makes an AHT item
    assert document["sessions"]["S1"]["total_work_s"] == 120


def test_chat_messages_inside_a_live_chat_are_activity_points_not_contacts():
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00", channel="chat")
    log.app("run_start", "10:00:00", new_session=True)
    log.app("ticket_focus", "10:00:00", ticket="T1")
    log.app("interaction_start", "10:00:00", ticket="T1", interaction="X1", kind="chat", direction="inbound", leg=1)
    log.imported("customer_contact", "10:03:00", "T1", contact="M1", kind="inbound_message")
    log.app("interaction_end", "10:06:00", ticket="T1", interaction="X1")
    log.app("run_end", "10:06:00", reason="quit")
    document = log.compute()
    assert item(document)["work_s"] == 120 + 120  # the message at 10:03 restarts the idle clock
    assert document["tickets"]["T1"]["contacts"] == 1


# --- repeats and merges (§B.3.5 items 1, 6) ---------------------------------------------------


def test_merged_secondary_contact_after_solve_is_a_repeat_contact_not_a_reopen():
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00")
    solved_by_reply(log, "T1", "09:10:00", "09:12:00", "09:20:00")
    log.email_ticket("T2", "11:00:00", customer="C9")
    log.imported("merge", "11:05:00", "T2", into="T1")
    document = log.compute()
    assert document["tickets"]["T1"]["repeat_contacts"] == 1
    assert document["tickets"]["T1"]["reopens"] == 0
    assert document["tickets"]["T1"]["reasons_team"] == ["repeat_contact"]
    assert document["tickets"]["T2"]["excluded"] == "merged"


def test_same_customer_same_issue_key_is_a_repeat_contact():
    log = LogBuilder()
    log.email_ticket("T1", "09:00:00", issue_key="P1/billing")
    solved_by_reply(log, "T1", "09:10:00", "09:12:00", "09:20:00")
    log.email_ticket("T2", "2025-03-05T09:00:00.000Z", issue_key="P1/billing")
    log.email_ticket("T3", "2025-03-05T09:00:00.000Z", issue_key="P1/other")
    assert log.compute()["tickets"]["T1"]["repeat_contacts"] == 1


# --- input integrity (§B.3.2, §B.3.4) ---------------------------------------------------------


def write_lines(path: Path, lines: list[str], final_newline: bool = True) -> Path:
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf-8")
    return path


def test_torn_final_line_is_dropped_and_bad_lines_are_counted(tmp_path):
    log = focus_with_activity("10:01:00")
    lines = [json.dumps(event) for event in log.events]
    path = write_lines(tmp_path / "events.jsonl", [*lines[:3], "{not json", "[1, 2]", *lines[3:], lines[-1][:20]],
                       final_newline=False)
    events, summary = read_event_files([path])
    document = compute(events, {}, LATER, summary)
    counts = document["input"]
    assert (counts["torn_lines"], counts["bad_lines"], counts["events"]) == (1, 2, len(lines))
    assert counts["lines"] == len(lines) + 3
    assert {w["code"] for w in document["warnings"]} == {"torn_line", "bad_line"}
    assert document == compute(log.events, {}, LATER) | {"input": counts, "warnings": document["warnings"]}


def test_unknown_types_are_ignored_and_counted():
    log = focus_with_activity("10:01:00")
    baseline = log.compute()
    log.app("hologram_opened", "10:20:00", ticket="T1", depth=3)
    document = log.compute()
    assert document["input"]["unknown_types"] == 1
    assert document["items"] == baseline["items"]
    assert document["tickets"] == baseline["tickets"]


def test_duplicate_ids_are_ignored_first_occurrence_counts():
    log = focus_with_activity("10:01:00")
    baseline = log.compute()
    copy = dict(log.events[3], ts=at("10:25:00"))  # same id, different content: the first one wins
    log.events.append(copy)
    document = log.compute()
    assert document["input"]["duplicates"] == 1
    assert [w["value"] for w in document["warnings"] if w["code"] == "duplicate_id"] == [1]
    assert document["items"] == baseline["items"]


def test_seq_gap_raises_a_warning_with_the_missing_count():
    log = focus_with_activity("10:01:00", "10:02:00", "10:03:00")
    events = [event for event in log.events if not (event.get("run") == "R1" and event["seq"] in (4, 5))]
    document = compute(events, {}, LATER)
    (gap,) = [w for w in document["warnings"] if w["code"] == "seq_gap"]
    assert (gap["run"], gap["value"]) == ("R1", 2)


def test_events_after_as_of_are_not_yet_visible_and_the_run_ends_at_its_last_visible_event():
    document = focus_with_activity("10:01:00").compute(as_of=at("10:05:00"))
    assert document["input"]["not_yet_visible"] == 2
    assert document["runs"]["R1"]["ended_by"] == "last_event"
    assert document["runs"]["R1"]["end"] == at("10:01:00")


def test_invalid_events_are_skipped_and_reported():
    log = focus_with_activity()
    log.events.append({"v": 1, "id": "x", "stream": "ticket", "seq": 9, "ts": at("10:00:00"), "type": "agent_reply",
                       "src": "import", "data": {}})  # no ticket
    log.imported("csat_response", "10:00:00", "T1", survey="V1", score=9)
    document = log.compute()
    assert document["input"]["invalid_events"] == 2
    assert [w["code"] for w in document["warnings"]].count("invalid_event") == 2


def test_clock_jump_is_reported_but_credit_follows_mono():
    log = focus_with_activity("10:01:00")
    log.events[4]["ts"] = at("10:11:00")  # the activity's wall clock jumps 10 min ahead
    document = log.compute()
    assert document["runs"]["R1"]["clock_jumps"] == [
        {"ts": at("10:11:00"), "delta_s": 600},
        {"ts": at("10:30:00"), "delta_s": -600},
    ]
    assert item(document)["work_s"] == 60 + 120


# --- the CLI (§B.10) --------------------------------------------------------------------------


def test_cli_prints_the_document(tmp_path, capsys):
    events = write_lines(tmp_path / "e.jsonl", [json.dumps(e) for e in focus_with_activity().events])
    assert main(["metrics", "--events", str(events), "--as-of", "2025-03-11T00:00Z", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == ["as_of", "period", "config", "input", "tickets", "items", "runs", "sessions",
                              "agents", "team", "warnings"]


def test_cli_reads_the_data_dir_log_by_default(tmp_path, capsys):
    write_lines(tmp_path / "events.jsonl", [json.dumps(e) for e in focus_with_activity().events])
    assert main(["--data-dir", str(tmp_path), "metrics", "--as-of", LATER]) == 0
    assert json.loads(capsys.readouterr().out)["input"]["events"] == 6


def test_cli_table_renders_user_strings_as_data(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")
    log = focus_with_activity()
    for event in log.events:
        event["agent"] = "[bold red]A1[/]" if "agent" in event else None
    events = write_lines(tmp_path / "e.jsonl", [json.dumps(e) for e in log.events])
    assert main(["metrics", "--events", str(events), "--as-of", LATER, "--format", "table"]) == 0
    assert "[bold red]A1[/]" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["metrics", "--events", "/nonexistent/e.jsonl", "--as-of", LATER], "/nonexistent/e.jsonl"),
        (["metrics", "--events", "{events}", "--as-of", "yesterday"], "--as-of"),
        (["metrics", "--events", "{events}", "--as-of", LATER, "--config", "{bad_config}"], "bad.json"),
        (["metrics", "--events", "{events}", "--as-of", LATER, "--config", "{bad_value}"], "idle_cutoff_s"),
        (["metrics", "--events", "{events}"], "--as-of"),
        (["metrics", "--events", "{events}", "--as-of", LATER, "--format", "xml"], "--format"),
    ],
    ids=["unreadable-events", "bad-as-of", "invalid-config-json", "invalid-config-value", "missing-as-of",
         "bad-format"],
)
def test_cli_errors_are_one_line_and_exit_2(tmp_path, argv, needle):
    files = {
        "events": write_lines(tmp_path / "e.jsonl", []),
        "bad_config": write_lines(tmp_path / "bad.json", ["{nope"]),
        "bad_value": write_lines(tmp_path / "value.json", ['{"idle_cutoff_s": "soon"}']),
    }
    argv = [arg.format(**files) for arg in argv]
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from tui.cli.metrics import main; sys.exit(main(sys.argv[1:]))", *argv],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert needle in done.stderr
