"""Model validation: bad records are rejected with an error naming file, record and field."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tui.core.models import (
    Customer,
    Message,
    Product,
    Purchase,
    RecordError,
    Satisfaction,
    Ticket,
    format_ts,
    validate,
)

FILE = "/data/store.json"
TS = "2026-03-01T10:00:00.000Z"


def ticket_doc(**overrides):
    doc = {
        "id": "T-1042", "customer": "C-7", "subject": "Printer on fire", "status": "open",
        "priority": "high", "channel": "phone", "tags": ["hw"], "created": TS, "updated": TS,
        "messages": [{"id": "m1", "author_kind": "customer", "author": "C-7",
                      "kind": "customer_message", "body": "Help", "created": TS}],
        "_rev": 3,
    }
    doc.update(overrides)
    return doc


def customer_doc(**overrides):
    doc = {"id": "C-7", "name": "Håkon Bråten", "email": "h@example.no", "country": "NO",
           "region": "Nordics", "language": "nb-NO", "tier": "gold",
           "customer_since": "2020-05-01T00:00:00Z"}
    doc.update(overrides)
    return doc


def purchase_doc(**overrides):
    doc = {"id": "O-1", "customer": "C-7", "product": "P-1", "date": TS, "amount": 99.5,
           "currency": "NOK", "channel": "trade_fair"}
    doc.update(overrides)
    return doc


def check_error(model, doc, record, field):
    with pytest.raises(RecordError) as info:
        validate(model, doc, file=FILE, record=record)
    err = info.value
    assert (err.file, err.record, err.field) == (FILE, record, field)
    assert FILE in str(err) and record in str(err) and field in str(err)
    return err


def test_valid_records_pass():
    assert validate(Ticket, ticket_doc(), file=FILE, record="T-1042").rev == 3
    assert validate(Customer, customer_doc(), file=FILE, record="C-7").tier == "gold"
    assert validate(Purchase, purchase_doc(), file=FILE, record="O-1").channel == "trade_fair"
    assert validate(Product, {"id": "P-1", "name": "Kettle", "category": "kitchen"},
                    file=FILE, record="P-1").name == "Kettle"


@pytest.mark.parametrize("field,value", [
    ("status", "deleted"), ("priority", "critical"), ("channel", "fax"),
])
def test_unknown_ticket_enum_values_rejected(field, value):
    err = check_error(Ticket, ticket_doc(**{field: value}), "T-1042", field)
    assert "Input should be" in err.reason


def test_unknown_enum_in_nested_message_names_the_path():
    doc = ticket_doc()
    doc["messages"][0]["kind"] = "tweet"
    check_error(Ticket, doc, "T-1042", "messages.0.kind")
    doc = ticket_doc()
    doc["messages"][0]["author_kind"] = "robot"
    check_error(Ticket, doc, "T-1042", "messages.0.author_kind")


def test_unknown_enum_values_on_other_records():
    check_error(Purchase, purchase_doc(channel="carrier_pigeon"), "O-1", "channel")
    check_error(Customer, customer_doc(tier="diamond"), "C-7", "tier")


@pytest.mark.parametrize("model,doc,record,field", [
    (Ticket, ticket_doc(_rev="three"), "T-1042", "_rev"),
    (Ticket, ticket_doc(tags="hw"), "T-1042", "tags"),
    (Ticket, ticket_doc(subject=["a"]), "T-1042", "subject"),
    (Ticket, ticket_doc(created=12.5j), "T-1042", "created"),
    (Ticket, ticket_doc(id="1042"), "T-1042", "id"),
    (Ticket, ticket_doc(satisfaction={"score": 9, "date": TS}), "T-1042", "satisfaction.score"),
    (Ticket, ticket_doc(unknown_field=1), "T-1042", "unknown_field"),
    (Purchase, purchase_doc(amount="lots"), "O-1", "amount"),
    (Purchase, purchase_doc(amount=-1), "O-1", "amount"),
    (Customer, customer_doc(customer_since="yesterday"), "C-7", "customer_since"),
])
def test_wrong_types_rejected(model, doc, record, field):
    check_error(model, doc, record, field)


def test_missing_required_field_named():
    doc = ticket_doc()
    del doc["customer"]
    check_error(Ticket, doc, "T-1042", "customer")


@pytest.mark.parametrize("field", ["created", "updated"])
def test_naive_timestamps_rejected(field):
    err = check_error(Ticket, ticket_doc(**{field: "2026-03-01T10:00:00"}), "T-1042", field)
    assert "timezone" in err.reason


def test_naive_datetime_objects_rejected_everywhere():
    naive = datetime(2026, 3, 1, 10, 0)
    check_error(Customer, customer_doc(customer_since=naive), "C-7", "customer_since")
    check_error(Satisfaction, {"score": 4, "date": naive}, "S-1", "date")
    msg = {"id": "m", "author_kind": "agent", "author": "a", "kind": "call_log", "body": "",
           "created": TS, "call_start": naive}
    check_error(Message, msg, "m", "call_start")


def test_timestamps_normalised_to_utc():
    t = validate(Ticket, ticket_doc(created="2026-03-01T12:30:00+02:00",
                                    updated=datetime(2026, 3, 1, 5, 30,
                                                     tzinfo=timezone(timedelta(hours=-5)))),
                 file=FILE, record="T-1042")
    assert t.created == datetime(2026, 3, 1, 10, 30, tzinfo=timezone.utc)
    assert t.created.utcoffset() == timedelta(0) and t.created.tzinfo is timezone.utc
    assert t.updated == datetime(2026, 3, 1, 10, 30, tzinfo=timezone.utc)
    assert t.updated.tzinfo is timezone.utc
    doc = t.to_doc()
    assert doc["created"] == "2026-03-01T10:30:00.000Z"
    assert doc["updated"] == "2026-03-01T10:30:00.000Z"
    # The stored form round-trips to the same instant.
    again = validate(Ticket, doc, file=FILE, record="T-1042")
    assert again.created == t.created and again.created.tzinfo is timezone.utc


def test_format_ts_is_utc_with_millis():
    value = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=1)))
    assert format_ts(value) == "2026-01-02T02:04:05.678Z"


@pytest.mark.parametrize("tag", ["en", "nb", "nb-NO", "fi-FI", "cs", "da-DK", "ro-RO",
                                 "zh-Hant-TW", "sr-Latn"])
def test_bcp47_language_accepted(tag):
    assert validate(Customer, customer_doc(language=tag), file=FILE, record="C-7").language == tag


@pytest.mark.parametrize("tag", ["", "e", "english!", "en_GB", "nb-", "123", "en GB",
                                 "toolonglanguage"])
def test_bcp47_language_rejected(tag):
    err = check_error(Customer, customer_doc(language=tag), "C-7", "language")
    assert "BCP 47" in err.reason or "string" in err.reason.lower()


def test_call_log_times_checked():
    base = {"id": "m", "author_kind": "agent", "author": "a", "body": "", "created": TS}
    check_error(Message, {**base, "kind": "public_reply", "call_start": TS}, "m", "(record)")
    check_error(Message, {**base, "kind": "call_log", "call_start": "2026-03-01T10:05:00Z",
                          "call_end": "2026-03-01T10:00:00Z"}, "m", "(record)")
    ok = validate(Message, {**base, "kind": "call_log", "call_start": "2026-03-01T10:00:00Z",
                            "call_end": "2026-03-01T10:05:00+00:00"}, file=FILE, record="m")
    assert ok.call_end - ok.call_start == timedelta(minutes=5)
