"""Property: any Unicode a customer can type survives model → store → model unchanged."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.cli import main
from tui.core.store import TinyDBStore

# Every code point but lone surrogates, which cannot be encoded as UTF-8.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=TEXT, body=TEXT, note=TEXT, tag=TEXT.filter(lambda t: t.strip()))
def test_unicode_round_trips_through_the_store(tmp_path_factory, subject, body, note, tag):
    data_dir = tmp_path_factory.mktemp("store")
    main(["init", "--data-dir", str(data_dir)])
    writer = TinyDBStore(data_dir, agent="ana")
    ticket = writer.insert_ticket(customer="C-1", subject=subject, body=body)
    writer.append_message(ticket.id, kind="internal_note", body=note)
    writer.change_tags(ticket.id, add=[tag])
    writer.close()
    reader = TinyDBStore(data_dir, agent="bob")  # a fresh process's view: from the files
    stored = reader.get_ticket(ticket.id)
    assert stored.subject == subject
    assert [m.body for m in stored.messages] == ([body] if body else []) + [note]
    assert stored.tags == [tag.strip()]
    assert reader.search(subject.strip()[:20] or "x") is not None
    reader.close()
