"""How `desk ticket` prints tickets: a table, JSON or CSV. Ticket text is data: a terminal
gets it through core.safetext, a spreadsheet through the formula-injection guard."""

from __future__ import annotations

import csv
import sys
from typing import Any, Iterable

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..core.models import Ticket
from ..core.safetext import clean, spreadsheet_cell
from .output import json_bytes, printable

LIST_COLUMNS = ("id", "rev", "status", "priority", "assignee", "customer", "channel", "product",
                "tags", "created", "subject")
MESSAGE_COLUMNS = ("ticket", "message", "created", "kind", "author_kind", "author", "body")


def list_row(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored ticket document as one row of `desk ticket list`."""
    return {"id": doc.get("id"), "rev": doc.get("_rev", 0), "status": doc.get("status"),
            "priority": doc.get("priority"), "assignee": doc.get("assignee"),
            "customer": doc.get("customer"), "channel": doc.get("channel"),
            "product": doc.get("product"), "tags": list(doc.get("tags") or []),
            "created": doc.get("created"), "subject": doc.get("subject")}


def write_json(document: Any) -> None:
    sys.stdout.buffer.write(json_bytes(document))
    sys.stdout.flush()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(map(str, value))
    return spreadsheet_cell(value)


def write_csv(columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows({name: _cell(value) for name, value in row.items()} for row in rows)


def _text(value: Any) -> Text:
    if isinstance(value, list):
        value = " ".join(map(str, value))
    return Text("" if value is None else printable(value))


TABLE_COLUMNS = ("id", "rev", "status", "priority", "assignee", "customer", "tags", "subject")


def print_list(rows: list[dict[str, Any]]) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in TABLE_COLUMNS:
        table.add_column(Text(name), overflow="fold", no_wrap=name != "subject",
                         ratio=1 if name == "subject" else None)
    for row in rows:
        table.add_row(*(_text(row[name]) for name in TABLE_COLUMNS))
    # Into a pipe or a file, a row is one line (for grep and awk), never folded to 80 columns.
    Console(highlight=False, width=None if sys.stdout.isatty() else 1000).print(table)


def message_rows(ticket: Ticket) -> list[dict[str, Any]]:
    doc = ticket.to_doc()
    return [{"ticket": ticket.id, "message": m.get("id"), "created": m.get("created"),
             "kind": m.get("kind"), "author_kind": m.get("author_kind"), "author": m.get("author"),
             "body": m.get("body")} for m in doc.get("messages", [])]


def print_ticket(ticket: Ticket) -> None:
    """The ticket's fields, then its thread; every value shown, never obeyed or read as markup."""
    console = Console(highlight=False)
    doc = ticket.to_doc()
    console.print(Text(f"{printable(ticket.id)} · {printable(ticket.subject)}", style="bold"))
    for name in ("status", "priority", "assignee", "customer", "channel", "product", "tags",
                 "merged_into", "created", "updated", "_rev"):
        if doc.get(name) not in (None, []):
            console.print(Text(f"  {name}: ") + _text(doc[name]))
    for message in doc.get("messages", []):
        console.print()
        head = f"— {message.get('kind')} · {message.get('author')} · {message.get('created')}"
        console.print(Text(printable(head), style="dim"))
        console.print(Text(clean(message.get("body", ""))))
