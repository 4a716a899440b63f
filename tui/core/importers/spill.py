"""The checked tickets of one file, between an import's two passes: the first pass reads the
source and validates each ticket once, and writes it here (one orjson line a ticket, or a
whole record of desk's export, tagged with its type; of a ticket not from desk's export,
only what the landing needs beside its checked document: records.InTicketFacts); the second
reads them back to land them. Memory stays flat whatever the file's size, and the
source is neither parsed nor validated twice.

The file is an unnamed temporary file in the data directory (O_TMPFILE where the system has
it): nothing to clean up after a crash, nothing another process can open or remove."""

from __future__ import annotations

import tempfile
from dataclasses import fields
from functools import lru_cache
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import orjson

from .records import (InCustomer, InCustomerRecord, InDeskTicket, InMessage, InProduct,
                      InPurchase, InStatus, InTicket, InTicketFacts, Record)

# The type of what a line holds: its tag, and what rebuilds it from orjson's output.
_TAGS = {InTicket: "ticket", InDeskTicket: "desk-ticket", InTicketFacts: "facts",
         InCustomerRecord: "customer", InProduct: "product", InPurchase: "purchase"}


class Spill:
    def __init__(self, directory: Path):
        self._fh = tempfile.TemporaryFile(dir=directory, prefix=".import-spill-")
        self.count = 0
        self.size = 0  # bytes written
        self.done = 0  # bytes read back, for progress

    def __enter__(self) -> "Spill":
        return self

    def __exit__(self, *_: object) -> None:
        self._fh.close()

    def add(self, item: InTicket | InTicketFacts | Record, checked: dict[str, Any] | None) -> None:
        """A ticket (or the facts of one: derived.spilled) with its `checked_doc`, or a whole
        record with None."""
        line = orjson.dumps([_TAGS[type(item)], item, checked]) + b"\n"
        self._fh.write(line)
        self.count += 1
        self.size += len(line)

    def read(self) -> Iterator[tuple[InTicket | InTicketFacts | Record, dict[str, Any] | None]]:
        """Every (ticket, checked doc) and (record, None) added, in order."""
        self._fh.flush()
        self._fh.seek(0)
        self.done = 0
        for line in self._fh:
            self.done += len(line)
            tag, item, checked = orjson.loads(line)
            yield _REBUILD[tag](item), checked


def _ts(value: str | None) -> datetime | None:
    return None if value is None else _parsed_ts(value)


@lru_cache(maxsize=8192)  # a ticket's times repeat (its messages', its events')
def _parsed_ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _times(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.type == "datetime | None")


_TIMES = {cls: _times(cls) for cls in (InTicket, InDeskTicket, InMessage)}


def _with_times(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    """`d` with the fields `cls` declares as `datetime | None` parsed back."""
    return dict(d, **{name: _ts(d[name]) for name in _TIMES[cls]})


def in_ticket(d: dict[str, Any], cls: type[InTicket] = InTicket) -> InTicket:
    """The InTicket (or InDeskTicket) that orjson wrote as `d` (dataclasses as objects,
    datetimes as RFC 3339, tuples as lists): equal to the one written, so its `facts()` are
    the same bytes."""
    csat = d["csat"]
    extra: dict[str, Any] = {}
    if cls is InDeskTicket and d["link"] is not None:
        extra["link"] = tuple(d["link"])
    return cls(**dict(
        _with_times(cls, d), where=tuple(d["where"]), customer=InCustomer(**d["customer"]),
        messages=[InMessage(**_with_times(InMessage, m)) for m in d["messages"]],
        statuses=[InStatus(at=_parsed_ts(s["at"]), to=s["to"]) for s in d["statuses"]],
        csat=(csat[0], csat[1], _ts(csat[2])) if csat is not None else None, **extra))


_REBUILD = {"ticket": in_ticket, "desk-ticket": lambda d: in_ticket(d, InDeskTicket),
            "facts": lambda d: InTicketFacts(**dict(d, customer=InCustomer(**d["customer"]),
                                                    statuses=[tuple(s) for s in d["statuses"]])),
            "customer": lambda d: InCustomerRecord(**d), "product": lambda d: InProduct(**d),
            "purchase": lambda d: InPurchase(**d)}
