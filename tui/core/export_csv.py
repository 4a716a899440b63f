"""`desk export --format csv`: one row per ticket, for a spreadsheet. Every text cell is one
line with its control characters shown and, if a spreadsheet would run it as a formula,
a leading `'` (`safetext.spreadsheet_cell`, OWASP's rule). The JSON export is the one that
round-trips; this one is for reading."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterator

from .exporting import Selection
from .safetext import spreadsheet_cell

COLUMNS = ("id", "source_id", "subject", "status", "priority", "channel", "product",
           "customer", "customer_name", "customer_email", "assignee", "tags", "created",
           "updated", "solved", "messages", "first_message")


def rows(selection: Selection) -> Iterator[dict[str, Any]]:
    customers = {c.id: c for c in selection.customers}
    products = {p.id: p.name for p in selection.products}
    for doc in selection.tickets:
        customer = customers.get(doc.get("customer", ""))
        messages = doc.get("messages") or []
        yield {"id": doc.get("id"), "source_id": doc.get("source_id") or f"desk:{doc.get('id')}",
               "subject": doc.get("subject"),
               "status": doc.get("status"), "priority": doc.get("priority"),
               "channel": doc.get("channel"), "product": products.get(doc.get("product") or ""),
               "customer": doc.get("customer"), "customer_name": customer.name if customer else None,
               "customer_email": customer.email if customer else None,
               "assignee": doc.get("assignee"), "tags": " ".join(doc.get("tags") or []),
               "created": doc.get("created"), "updated": doc.get("updated"),
               "solved": doc.get("solved"), "messages": len(messages),
               "first_message": messages[0].get("body") if messages else None}


def cell(value: Any) -> Any:
    return "" if value is None else spreadsheet_cell(value)


def csv_chunks(selection: Selection, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The CSV file (header row first, CRLF row ends as the csv module writes them) as UTF-8
    chunks of a few hundred rows, so a big export is never one string in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for n, row in enumerate(rows(selection), 1):
        writer.writerow([cell(row[name]) for name in COLUMNS])
        if n % rows_per_chunk == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
