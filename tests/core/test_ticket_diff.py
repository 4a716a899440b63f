from datetime import datetime, timezone

from tui.core.models import Message, Ticket
from tui.core.ticket_diff import changes_since

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def msg(n, kind="customer_message", author="C-1"):
    return Message(id=f"m{n}", author_kind="customer" if kind == "customer_message" else "agent",
                   author=author, kind=kind, body="x", created=NOW)


def ticket(**kw):
    return Ticket(id="T-1", customer="C-1", subject="s", created=NOW, updated=NOW, **kw)


def test_nothing_changed():
    assert changes_since(ticket(messages=[msg(1)]), ticket(messages=[msg(1)])) == []


def test_changes_are_described():
    seen = ticket(messages=[msg(1)], tags=["a"])
    current = ticket(messages=[msg(1), msg(2), msg(3), msg(4, "internal_note", "ola")],
                     status="solved", assignee="ola", priority="high", tags=["b"])
    lines = changes_since(seen, current)
    assert lines[0] == "2 new customer messages from C-1"
    assert "1 new internal note from ola" in lines
    assert "status: new → solved" in lines
    assert "assignee: nobody → ola" in lines
    assert "priority: normal → high" in lines
    assert "tags: +b -a" in lines
    assert changes_since(seen, ticket(messages=[msg(1)], tags=["a"], status="on_hold")) == \
        ["status: new → on hold"]
