"""The work stream: run lifecycle, resume within R, coalesced activity."""

from tui.core.eventlog import EventWriter, read_events
from tui.core.worklog import WorkRecorder, last_run_of, start_context


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def recorder(path, agent="ana", resume_s=600, clock=None):
    context, previous = start_context(path, agent, resume_s)
    rec = WorkRecorder(EventWriter(path, context), previous, clock=clock or FakeClock())
    rec.run_start()
    return rec


def types(path):
    return [e["type"] for e in read_events([path])]


def test_a_quit_run_starts_a_new_session_next_time(tmp_path):
    log = tmp_path / "events.jsonl"
    first = recorder(log)
    first.run_end("quit")
    second = recorder(log)
    assert second.context.session != first.context.session
    assert read_events([log])[-1]["data"]["new_session"] is True


def test_a_crash_within_the_resume_window_continues_the_session(tmp_path):
    log = tmp_path / "events.jsonl"
    first = recorder(log)
    first.heartbeat()  # then the process dies: no run_end
    second = recorder(log)
    assert second.context.session == first.context.session
    start = read_events([log])[-1]
    assert start["data"] == {**start["data"], "new_session": False, "previous_run": first.context.run}


def test_a_hangup_resumes_but_not_after_the_window(tmp_path):
    log = tmp_path / "events.jsonl"
    first = recorder(log)
    first.run_end("hangup")
    assert last_run_of(log, "ana").end_reason == "hangup"
    late = recorder(log, resume_s=-1)
    assert late.context.session != first.context.session


def test_another_agents_runs_are_ignored(tmp_path):
    log = tmp_path / "events.jsonl"
    recorder(log, agent="bob").heartbeat()
    assert recorder(log, agent="ana").previous_run is None


def test_activity_is_coalesced_to_one_event_per_second(tmp_path):
    log = tmp_path / "events.jsonl"
    clock = FakeClock()
    rec = recorder(log, clock=clock)
    for _ in range(10):
        rec.activity("key")
        clock.now += 0.1
    rec.flush_activity()
    activity = [e for e in read_events([log]) if e["type"] == "activity"]
    assert sum(e["data"]["count"] for e in activity) == 10
    assert len(activity) == 2


def test_focus_changes_emit_focus_and_blur_and_share_the_run_seq(tmp_path):
    log = tmp_path / "events.jsonl"
    rec = recorder(log)
    rec.focus_ticket("T-1")
    rec.focus_ticket("T-2")
    rec.focus_ticket(None)
    rec.run_end("quit")
    rec.run_end("sigterm")
    assert types(log) == ["run_start", "ticket_focus", "ticket_focus", "ticket_blur", "run_end"]
    assert [e["seq"] for e in read_events([log])] == [1, 2, 3, 4, 5]


def test_an_agent_new_to_a_long_log_does_not_read_all_of_it(tmp_path, monkeypatch):
    import tui.core.worklog as worklog

    log = tmp_path / "events.jsonl"
    old = recorder(log, agent="bob")
    for _ in range(3000):
        old.heartbeat()
    old.run_end("quit")
    monkeypatch.setattr(worklog, "TAIL_CHUNK", 4096)
    reads = []
    real = worklog._latest_run
    monkeypatch.setattr(worklog, "_latest_run", lambda chunk, agent: reads.append(len(chunk)) or real(chunk, agent))
    # Everything in the log is recent, so the scan goes back until the start: then make it old.
    assert last_run_of(log, "ana", not_before="2999-01-01T00:00:00.000Z") is None
    assert max(reads) < log.stat().st_size
