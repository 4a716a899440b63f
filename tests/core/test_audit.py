from tui.core.audit import describe


def event(type_, data, **kw):
    return {"type": type_, "data": data, "ts": "2026-01-01T10:00:00.000Z", "agent": "kari", **kw}


def test_describe_events():
    assert describe(event("status_change", {"from": "open", "to": "solved"})).what == \
        "status open → solved"
    line = describe(event("assign", {"from_agent": None, "to_agent": "kari"}))
    assert line.what == "assigned nobody → kari" and line.who == "kari"
    assert describe(event("internal_note", {"call_log": True})).what == "logged a call"
    assert describe(event("tags_change", {"added": ["a"], "removed": ["b"]})).what == "tags +a -b"
    assert describe(event("csat_response", {"score": 4})).what == "CSAT rating 4"


def test_damaged_events_still_describe():
    line = describe({"type": "mystery_thing", "data": "oops", "ts": "garbage"})
    assert line.when is None and line.what == "mystery thing" and line.who == "system"


def test_flags_links_and_merges_read_as_words():
    assert describe(event("mark", {"flag": "not_l1_resolvable", "value": True})).what == \
        "flagged not l1 resolvable"
    assert describe(event("mark", {"flag": "spam", "value": False})).what == "cleared the spam flag"
    assert describe(event("link_repeat", {"original": "T-4", "kind": "follow_up"})).what == \
        "linked as follow up of T-4"
    assert describe(event("merge", {"into": "T-9"})).what == "merged into T-9"
