"""The import's fast paths keep what the slow ones gave: a ticket read back from the spill
file is the ticket that was read (same facts, so re-imports stay idempotent), ids derived
from the source are the ones earlier desks wrote, several batches of closed tickets all land
in the archive, and nothing is left behind in the data directory."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from tui.core.eventlog import EVENTS_FILE, ReadStats, iter_lines
from tui.core.fileio import read_file
from tui.core.importers.derived import customer_doc, spilled
from tui.core.importers.landing import Landing, checked_doc, stable_ulid
from tui.core.importers.records import (InCustomer, InCustomerRecord, InDeskTicket, InMessage,
                                        InProduct, InPurchase, InStatus, InTicket)
from tui.core.importers.run import import_file
from tui.core.importers.spill import Spill
from tui.core.models import Customer, format_ts
from tui.core.store import TinyDBStore


def _ticket(i: int, status: str = "open") -> InTicket:
    berlin = timezone(timedelta(hours=1))
    return InTicket(
        source_id=f"test:{i}", where=("t.json", i), subject=f"Ticket {i}", status=status,
        created=datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=berlin),
        solved=datetime(2024, 3, 2, tzinfo=timezone.utc) if status == "closed" else None,
        customer=InCustomer(name=f"Zoë {i % 3}", email=f"z{i % 3}@example.com", key=f"test:user:{i % 3}"),
        product="Dell XPS", category="Refund", purchased=datetime(2023, 1, 1, tzinfo=timezone.utc),
        tags=["b", "a"],
        messages=[InMessage("m1", "customer_message", "customer", "Zoë", "Hallo <name> & co", None,
                            time_known=False),
                  InMessage("m2", "public_reply", "agent", "agent", "ok",
                            datetime(2024, 3, 1, 12, tzinfo=timezone.utc))],
        statuses=[InStatus(datetime(2024, 3, 1, 12, tzinfo=timezone.utc), "open")],
        csat=(4, "fine", None))


def test_a_spilled_ticket_lands_as_the_whole_ticket_does(tmp_path: Path):
    # The spill keeps only a ticket's facts (landing.spilled); landed from them, or from the
    # ticket itself, the store gets the same records and events.
    got = []
    for keep in (lambda t: t, spilled):
        data = tmp_path / f"store{len(got)}"
        data.mkdir()
        tickets = [_ticket(i, "closed" if i % 3 == 0 else "open") for i in range(1, 8)]
        with Spill(tmp_path) as spill:
            for t in tickets:
                spill.add(keep(t), checked_doc(t, datetime(2024, 5, 1, tzinfo=timezone.utc)))
            store = TinyDBStore(data)
            try:
                landing = Landing(store, batch_size=3)
                landing.land(spill.read())
                landing.finish()
                got.append((sorted(store.ticket_docs(include_archive=True), key=lambda d: d["id"]),
                            sorted((c.model_dump(mode="json") for c in store.customers()), key=lambda c: c["id"]),
                            sorted((p.model_dump(mode="json") for p in store.purchases()), key=lambda p: p["id"])))
            finally:
                store.close()
        got[-1] += (sorted(iter_lines(read_file(data / EVENTS_FILE), ReadStats()), key=lambda e: e["id"]),)
    assert got[0] == got[1]
    docs, customers, purchases, events = got[0]
    assert [c["customer_since"] for c in customers] == ["2023-01-01T00:00:00.000Z"] * 3  # the purchase
    assert {p["date"] for p in purchases} == {"2023-01-01T00:00:00.000Z"} and len(purchases) == 3
    first = [e for e in events if e["ticket"] == docs[0]["id"]]
    # m1's time is unknown: no contact event; the history's change to open is logged
    assert sorted(e["type"] for e in first) == ["agent_reply", "csat_response", "status_change", "ticket_created"]
    assert [e["data"] for e in first if e["type"] == "status_change"] == [{"from": "new", "to": "open"}]


def test_a_spilled_ticket_reads_back_with_the_same_facts(tmp_path: Path):
    ticket = _ticket(7)
    checked = checked_doc(ticket, datetime.now(timezone.utc))
    with Spill(tmp_path) as spill:
        spill.add(ticket, checked)
        [(back, doc)] = list(spill.read())
    assert back == ticket
    assert back.facts() == ticket.facts()
    assert doc == checked
    assert list(tmp_path.iterdir()) == []  # an unnamed file: nothing to clean up


def test_desk_export_tickets_and_whole_records_read_back_as_their_own_types(tmp_path: Path):
    base = _ticket(8)
    desk = InDeskTicket(**{f: getattr(base, f) for f in base.__dataclass_fields__},
                        kept={"messages": [{"id": "01HQWQ9N80A1G6NQRG29D9ZBFW"}], "flags": ["vip"]},
                        link=("repeat", "desk:T-3"), merged_into="desk:T-4")
    records = [InCustomerRecord("desk:C-1", {"name": "Zoë", "customer_since": "2024-01-01T00:00:00.000Z"}),
               InProduct("Dell XPS", "Laptops"),
               InPurchase("desk:C-1", "Dell XPS", {"date": "2024-01-02T00:00:00.000Z", "amount": 9.5})]
    checked = {"id": "T-0", "flags": ["vip"], "source_hash": "ab"}  # the spill carries it as it is
    with Spill(tmp_path) as spill:
        spill.add(desk, checked)
        for record in records:
            spill.add(record, None)
        back = list(spill.read())
    assert back == [(desk, checked)] + [(r, None) for r in records]
    assert [type(item) for item, _ in back] == [InDeskTicket, InCustomerRecord, InProduct, InPurchase]
    assert back[0][0].facts() == desk.facts()


def test_ids_derived_from_the_source_are_those_earlier_desks_wrote():
    # Values from the implementation before the import was made faster: a re-import must
    # give its messages and events the same ids.
    assert stable_ulid(datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc),
                       "zendesk:35436/m/354360") == "01HQWQ9N80A1G6NQRG29D9ZBFW"
    assert stable_ulid(datetime(1970, 1, 1, tzinfo=timezone.utc), "csv:7/e/created") == "0000000000HDGHBQ0ZNZQJSTV2"
    assert stable_ulid(datetime(2031, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc),
                       "x") == "01RY52G2ZZGBNNYDPM9R0X9G58"
    assert format_ts(datetime(2024, 3, 1, 11, 0, 0, 123999, tzinfo=timezone(timedelta(hours=1)))) \
        == "2024-03-01T10:00:00.123Z"


def test_a_new_customer_is_stored_as_the_model_would_store_it():
    oslo = timezone(timedelta(hours=2))
    for email, phone, company, since in (
            (None, None, None, datetime(2024, 3, 1, 10, 0, 0, 999999, tzinfo=timezone.utc)),
            ("z@example.com", "+47 1234", "Zoë & co", datetime(2024, 3, 1, 1, 30, tzinfo=oslo))):
        made = customer_doc("C-7", "Zoë", email, phone, company, format_ts(since), "csv:name:zoë")
        model = Customer.model_validate({"id": "C-7", "name": "Zoë", "email": email, "phone": phone,
                                         "company": company, "customer_since": since,
                                         "source_id": "csv:name:zoë"})
        assert made == model.model_dump(mode="json", exclude_none=True)


class _Source:
    def __init__(self, path: Path, tickets: list[InTicket]):
        self.path, self._tickets = path, tickets

    def items(self):
        yield from self._tickets

    def progress(self):
        return (0, 1)


def test_closed_tickets_of_many_batches_all_reach_the_archive_and_reimport_changes_nothing(tmp_path: Path):
    data = tmp_path / "store"
    data.mkdir()
    tickets = [_ticket(i, "closed" if i % 2 else "open") for i in range(1, 26)]
    store = TinyDBStore(data)
    try:
        result, counts = import_file(store, lambda: _Source(tmp_path / "t.json", tickets),
                                     skip_bad=False, landing=Landing(store, batch_size=4))
        assert result.written and counts.created == 25
    finally:
        store.close()
    store = TinyDBStore(data)
    try:
        assert not store._active.tables.get("_archive_outbox")
        assert len(store._archive.tables.get("tickets", {})) == 0  # not loaded yet
        docs = store.ticket_docs(include_archive=True)
        assert sorted(d["source_id"] for d in docs if d["status"] == "closed") == sorted(
            t.source_id for t in tickets if t.status == "closed")
        assert len(store._archive.tables["tickets"]) == 13
        _, again = import_file(store, lambda: _Source(tmp_path / "t.json", tickets),
                               skip_bad=False, landing=Landing(store, batch_size=4))
        assert (again.created, again.updated, again.unchanged) == (0, 0, 25)
    finally:
        store.close()
    logged = list(iter_lines(read_file(data / EVENTS_FILE), ReadStats()))
    assert {e["src"] for e in logged} == {"import"}
    assert len({e["id"] for e in logged}) == len(logged) == counts.events
    assert sorted(p.name for p in data.iterdir() if "spill" in p.name) == []


def test_a_zendesk_page_or_lines_file_over_a_megabyte_on_one_line_is_told_apart(tmp_path: Path):
    from tui.core.importers.zendesk import _is_lines

    page, lines = tmp_path / "page.json", tmp_path / "lines.jsonl"
    page.write_text('{"next_page": null, "tickets": [{"id": 1, "subject": "' + "x" * (2 << 20) + '"}]}')
    lines.write_text('{"id": 1, "subject": "' + "x" * (2 << 20) + '"}\n{"id": 2, "subject": "y"}\n')
    assert _is_lines(page) is False
    assert _is_lines(lines) is True
