"""The quick check at open: what the queue relies on, about a microsecond a record.

`desk check` (check.py) validates every field with the models; this only makes
sure a store is safe to show, so that a broken one is refused with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from .interning import shared
from .models import SCHEMA_VERSION, TICKET_ID, record_errors
from .safetext import one_line


@dataclass(frozen=True)
class Problem:
    file: str
    record: str
    field: str
    reason: str
    fatal: bool = True  # False: a warning that does not stop desk from opening

    def __str__(self) -> str:
        # Every part may come from the damaged file itself: shown, never obeyed, by a terminal.
        return one_line(f"{self.file}: record {self.record}: field {self.field}: {self.reason}")


def document_problems(file: str, table: str, key: object, doc: Any,
                      model: type[BaseModel]) -> tuple[str, list[Problem]]:
    """For `desk check`: the record's id (else table/key), and every field `model` refuses."""
    record = str(doc.get("id", f"{table}/{key}")) if isinstance(doc, dict) else f"{table}/{key}"
    if not isinstance(doc, dict):
        return record, [Problem(file, record, "(record)", "is not an object")]
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        return record, [Problem(file, record, err.field, err.reason)
                        for err in record_errors(exc, file, record)]
    return record, []


def check_schema(file: str, tables: dict[str, Any]) -> list[Problem]:
    version = tables.get("_meta", {}).get("1", {}).get("schema", SCHEMA_VERSION)
    if isinstance(version, int) and version <= SCHEMA_VERSION:
        return []
    return [Problem(file, "_meta/1", "schema", f"version {version!r} is newer than this desk "
                    f"understands ({SCHEMA_VERSION}); upgrade desk")]


_TICKET_ENUMS = {
    "status": {"new", "open", "pending", "on_hold", "solved", "closed"},
    "priority": {"low", "normal", "high", "urgent"},
    "channel": {"email", "phone", "chat", "web", "social", "in_person"},
}
_TICKET_STRINGS = ("id", "customer", "subject", "created", "updated")


def _ticket_problem(file: str, doc_id: str, doc: Any) -> Problem | None:
    if not isinstance(doc, dict):
        return Problem(file, f"tickets/{doc_id}", "(record)", "is not an object")
    record = str(doc.get("id", f"tickets/{doc_id}"))
    for name in _TICKET_STRINGS:
        if not isinstance(doc.get(name), str):
            reason = "Field required" if name not in doc else "Input should be a valid string"
            return Problem(file, record, name, reason)
    if not TICKET_ID.match(doc["id"]):
        return Problem(file, record, "id", f"{doc['id']!r} is not a ticket id like T-123")
    for name, allowed in _TICKET_ENUMS.items():
        if name in doc and doc[name] not in allowed:
            return Problem(file, record, name, f"{doc[name]!r} is not one of {sorted(allowed)}")
    if not isinstance(doc.get("_rev", 0), int):
        return Problem(file, record, "_rev", "Input should be a valid integer")
    for name in ("tags", "messages"):
        if not isinstance(doc.get(name, []), list):
            return Problem(file, record, name, "Input should be a valid list")
    return None


class TicketHead(NamedTuple):
    """What the store keeps of every active ticket without its document (see
    store/tinydb/on_demand.py): made as the document is read, and checked then."""

    id: str | None  # None if `problem`
    rev: int
    customer: str | None
    assignee: str | None
    problem: Problem | None


def ticket_head(file: str, doc_id: str, doc: Any) -> TicketHead:
    problem = _ticket_problem(file, doc_id, doc)
    if problem is not None:
        return TicketHead(None, 0, None, None, problem)
    assignee = doc.get("assignee")
    return TicketHead(doc["id"], doc.get("_rev", 0), shared(doc.get("customer")),
                      shared(assignee) if isinstance(assignee, str) else None, None)


def quick_check(file: str, tables: dict[str, Any], limit: int = 20) -> list[Problem]:
    """Problems that stop desk from opening a store's tables."""
    problems = check_schema(file, tables)
    seen: set[str] = set()
    tickets = tables.get("tickets", {})
    heads = getattr(tickets, "projections", None)  # an on-demand table's: checked as read
    for doc_id, head in (heads.items() if heads is not None else
                         ((k, ticket_head(file, k, doc)) for k, doc in tickets.items())):
        problem = head.problem
        if problem is None and head.id in seen:
            problem = Problem(file, head.id, "id", "duplicate id")
        if problem:
            problems.append(problem)
            if len(problems) >= limit:
                break
        else:
            seen.add(head.id)
    return problems
