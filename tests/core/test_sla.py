from tui.core import sla

H = 3600


def doc(**kw):
    base = {"status": "open", "created": "2026-01-01T00:00:00.000Z",
            "first_reply_due": "2026-01-01T10:00:00.000Z",
            "resolution_due": "2026-01-02T00:00:00.000Z"}
    base.update(kw)
    return base


T0 = sla.epoch("2026-01-01T00:00:00.000Z")


def test_epoch_tolerates_junk():
    assert sla.epoch(None) is None
    assert sla.epoch("not a date") is None
    assert sla.epoch("2026-01-01T00:00:00") is None  # naive: refused
    assert sla.epoch(7) is None


def test_target_states():
    target = sla.first_reply_target(doc())
    assert target.state(T0 + 1 * H) == sla.SlaState.OK
    assert target.state(T0 + 8 * H) == sla.SlaState.AT_RISK
    assert target.state(T0 + 11 * H) == sla.SlaState.BREACHED
    assert target.remaining(T0 + 11 * H) == -1 * H


def test_measured_targets():
    met = sla.first_reply_target(doc(first_replied="2026-01-01T09:00:00.000Z"))
    late = sla.first_reply_target(doc(first_replied="2026-01-01T11:00:00.000Z"))
    assert met.state(T0 + 50 * H) == sla.SlaState.MET and met.remaining(T0) is None
    assert late.state(T0) == sla.SlaState.BREACHED


def test_clock_takes_the_earliest_running_target():
    clock = sla.clock(doc())
    assert clock.next_due == T0 + 10 * H
    replied = sla.clock(doc(first_replied="2026-01-01T01:00:00.000Z"))
    assert replied.next_due == T0 + 24 * H
    assert replied.state(T0 + 20 * H) == sla.SlaState.AT_RISK
    assert replied.remaining(T0 + 25 * H) == -1 * H


def test_no_clock_without_targets_or_once_resolved():
    assert sla.clock({"status": "open", "created": "2026-01-01T00:00:00Z"}).next_due is None
    assert sla.clock(doc(status="solved")).state(T0) is None
