"""`desk import freshdesk`: Freshdesk's API v2 JSON (tickets, contacts, agents, companies,
conversations, satisfaction ratings; arrays, JSON Lines or wrapped pages, in any mix of
files), and its ticket-list CSV export through the `freshdesk` mapping preset.

Mapping: status 2 open, 3 pending, 4 resolved (solved), 5 closed; 6 and 7, the "waiting on
customer" and "waiting on third party" statuses most accounts add, are pending and on-hold.
Priority 1-4 is low, normal (Freshdesk's medium), high, urgent. Source 1 email, 2 portal
(web), 3 phone, 7 chat, 9 feedback widget (web), 10 outbound email (email, and the
description is the agent's); other sources are web, or social for 5/6 (Twitter, Facebook).
A conversation is an internal note when private, a customer message when incoming or by the
requester, else a public reply. Ratings use Freshdesk's scale: 103 (extremely happy) is 5,
102/101 are 4, 100 (neutral) 3, -101/-102 are 2, -103 is 1."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from .cleaning import body_text, email, one_value, parse_time
from .freshdesk_catalog import WRAPPERS, Found, FreshdeskCatalog, kind
from .json_records import BAD, records
from .mapping import CHANNEL as CHANNEL_WORDS
from .mapping import PRIORITY as PRIORITY_WORDS
from .mapping import STATUS as STATUS_WORDS
from .records import BadValue, InCustomer, InMessage, InTicket, Problem

STATUS = {2: "open", 3: "pending", 4: "solved", 5: "closed", 6: "pending", 7: "on_hold"}
PRIORITY = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
CHANNEL = {1: "email", 2: "web", 3: "phone", 4: "web", 5: "social", 6: "social", 7: "chat",
           8: "web", 9: "web", 10: "email"}
OUTBOUND = 10
RATING = {103: 5, 102: 4, 101: 4, 100: 3, -101: 2, -102: 2, -103: 1}


class RecordProblem(Exception):
    """A problem in another record than the ticket's (its contact, a conversation)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def _code(table: dict[int, str], words: dict[str, str], value: object, field: str,
          default: str) -> str:
    """A Freshdesk code (2, "2") or its label ("Open", "Waiting on Customer")."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise BadValue(field, f"{value!r} is not a Freshdesk {field}")
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        number = int(value) if float(value) == int(float(value)) else None
        if number in table:
            return table[number]
        codes = ", ".join(str(c) for c in sorted(table))
        raise BadValue(field, f"{value!r} is not a Freshdesk {field} (one of {codes})")
    found = words.get(str(value).strip().lower())
    if found is None:
        raise BadValue(field, f"{value!r} is not a Freshdesk {field}")
    return found


class FreshdeskSource:
    """One JSON file of a Freshdesk import; `catalog` holds what every file of it holds."""

    def __init__(self, path: Path, tz: Any, catalog: FreshdeskCatalog):
        self.path, self.tz, self.catalog = path, tz, catalog
        self.size = path.stat().st_size
        self._counted = None

    def progress(self) -> tuple[int, int]:
        return (self._counted.done if self._counted else 0, self.size)

    def items(self) -> Iterator[InTicket | Problem]:
        self.catalog.build()
        file = str(self.path)
        for where, page, obj in records(self.path, WRAPPERS, lambda c: setattr(self, "_counted", c)):
            if BAD in obj:
                yield Problem(file, where, "(record)", obj[BAD])
                continue
            what = kind(obj, page)
            if what in ("conversation", "rating") and obj.get("ticket_id") is None:
                yield Problem(file, where, "ticket_id", f"a {what} without the ticket it belongs to")
                continue
            if what != "ticket":
                continue
            if obj.get("spam") is True or obj.get("deleted") is True:
                reason = "spam" if obj.get("spam") is True else "deleted"
                yield Problem(file, where, reason, f"a {reason} ticket in Freshdesk; not imported", warning=True)
                continue
            try:
                yield self._ticket(where, obj)
            except BadValue as exc:
                yield Problem(file, where, exc.column, exc.reason)
            except RecordProblem as exc:
                yield exc.problem

    def _time(self, obj: dict, field: str) -> datetime | None:
        return parse_time(obj.get(field), field, self.tz)

    def _ticket(self, where: str | int, obj: dict) -> InTicket:
        if obj.get("id") is None:
            raise BadValue("id", "no ticket id")
        t = InTicket(source_id=f"freshdesk:{obj['id']}", where=(str(self.path), where))
        t.subject = one_value(obj.get("subject")) or "(no subject)"
        t.status = _code(STATUS, STATUS_WORDS, obj.get("status"), "status", "open")
        t.priority = _code(PRIORITY, PRIORITY_WORDS, obj.get("priority"), "priority", "normal")
        source = obj.get("source")
        if isinstance(source, str) and source.strip().isdigit():
            source = int(source)
        if isinstance(source, str):
            t.channel = CHANNEL_WORDS.get(source.strip().lower(), "web")
        else:
            t.channel = CHANNEL.get(source, "web") if isinstance(source, int) else "email"
        t.created = self._time(obj, "created_at")
        t.updated = self._time(obj, "updated_at")
        tags = obj.get("tags") or []
        tags = tags.split(",") if isinstance(tags, str) else tags if isinstance(tags, list) else [tags]
        t.tags = [str(tag).strip().lower().replace(" ", "_") for tag in tags if str(tag).strip()]
        t.category = one_value(obj.get("type"))
        group = obj.get("group_id")
        t.group = one_value(self.catalog.groups.get(group) or group) if group is not None else None
        product = obj.get("product_id")
        t.product = one_value(self.catalog.products.get(product)) if product is not None else None
        t.assignee = self.catalog.agents.get(obj.get("responder_id")) if obj.get("responder_id") else None
        t.customer = self._customer(obj)
        stats = obj.get("stats") if isinstance(obj.get("stats"), dict) else {}
        requester = t.customer.name or t.customer.email or "customer"
        description = body_text(obj.get("description")) or body_text(obj.get("description_text"))
        if description:
            outbound = source == OUTBOUND
            t.messages.append(InMessage(
                "description", "public_reply" if outbound else "customer_message",
                "agent" if outbound else "customer", (t.assignee or "agent") if outbound else requester,
                description, t.created, time_known=t.created is not None))
        for found in self._conversations(where, obj):
            t.messages.append(self._message(found, obj, requester))
        t.messages.sort(key=lambda m: m.created or t.created or datetime.min.replace(tzinfo=timezone.utc))
        replies = [m.created for m in t.messages
                   if m.kind == "public_reply" and m.created and m.time_known and m.key != "description"]
        t.first_replied = parse_time(stats.get("first_responded_at"), "stats.first_responded_at", self.tz) \
            or (min(replies) if replies else None)
        if t.status in ("solved", "closed"):
            t.solved = (parse_time(stats.get("resolved_at"), "stats.resolved_at", self.tz)
                        or parse_time(stats.get("closed_at"), "stats.closed_at", self.tz))
        rating = self.catalog.rating(obj["id"])
        if rating is not None:
            t.csat = self._rating(rating)
        return t

    def _customer(self, obj: dict) -> InCustomer:
        rid = obj.get("requester_id")
        embedded = obj.get("requester") if isinstance(obj.get("requester"), dict) else None
        found = self.catalog.contact(rid)
        contact = embedded or (found.obj if found else {})
        try:
            address = email(contact.get("email"), "email")
        except BadValue as exc:
            if embedded or found is None:
                raise BadValue("requester.email", exc.reason) from None
            raise RecordProblem(Problem(found.file, found.where, exc.column, exc.reason)) from None
        company = contact.get("company_id") or obj.get("company_id")
        return InCustomer(name=one_value(contact.get("name")), email=address,
                          key=f"freshdesk:contact:{rid}" if rid is not None else None,
                          phone=one_value(contact.get("phone") or contact.get("mobile")),
                          company=one_value(self.catalog.companies.get(company)) if company else None)

    def _conversations(self, where: str | int, obj: dict) -> list[Found]:
        """Embedded (`include=conversations`) and from files of their own, each once."""
        out: list[Found] = []
        seen: set = set()
        embedded = obj.get("conversations") or []
        if not isinstance(embedded, list):
            raise BadValue("conversations", "not a list of conversations")
        for i, c in enumerate(embedded):
            if not isinstance(c, dict):
                raise BadValue(f"conversations[{i}]", "not a conversation object")
            out.append(Found(str(self.path), f"{where}.conversations[{i}]", c))
        for found in self.catalog.conversations(obj["id"]):
            out.append(found)
        unique = []
        for found in out:
            key = found.obj.get("id")
            if key is not None and key in seen:
                continue
            seen.add(key)
            unique.append(found)
        return unique

    def _message(self, found: Found, ticket: dict, requester: str) -> InMessage:
        c = found.obj
        try:
            when = parse_time(c.get("created_at"), "created_at", self.tz)
        except BadValue as exc:
            raise RecordProblem(Problem(found.file, found.where, exc.column, exc.reason)) from None
        private = c.get("private") is True
        by_customer = not private and (c.get("incoming") is True
                                       or (c.get("user_id") is not None and c.get("user_id") == ticket.get("requester_id")))
        kind_ = "internal_note" if private else "customer_message" if by_customer else "public_reply"
        if by_customer:
            author = requester
        else:
            author = self.catalog.agents.get(c.get("user_id")) or one_value(c.get("from_email")) or "agent"
        body = body_text(c.get("body")) or body_text(c.get("body_text"))
        key = str(c["id"]) if c.get("id") is not None else f"{found.file}:{found.where}"
        return InMessage(key, kind_, "customer" if by_customer else "agent", author, body,
                         when or self._time(ticket, "created_at"), time_known=when is not None)

    def _rating(self, found: Found) -> tuple[int, str, datetime | None]:
        obj = found.obj
        ratings = obj.get("ratings") if isinstance(obj.get("ratings"), dict) else {}
        value = ratings.get("default_question", next(iter(ratings.values()), None))
        field = "ratings.default_question"
        score = RATING.get(value) if isinstance(value, int) and not isinstance(value, bool) else None
        if score is None:
            raise RecordProblem(Problem(found.file, found.where, field,
                                        f"{value!r} is not a Freshdesk rating (103 to -103)"))
        try:
            when = parse_time(obj.get("created_at") or obj.get("updated_at"), "created_at", self.tz)
        except BadValue as exc:
            raise RecordProblem(Problem(found.file, found.where, exc.column, exc.reason)) from None
        return score, one_value(obj.get("feedback")) or "", when


def freshdesk_sources(paths: list[Path], tz: Any, mapping: str | None = None) -> list[Callable[[], object]]:
    """A source maker per file: `.csv` files (the ticket-list export) through the mapping
    (the `freshdesk` preset unless named), the others as API JSON sharing one catalog."""
    from .csv_format import CsvSource
    from .mapping import load_mapping

    csv_mapping = load_mapping(mapping or "freshdesk") if any(p.suffix.lower() == ".csv" for p in paths) else None
    catalog = FreshdeskCatalog([p for p in paths if p.suffix.lower() != ".csv"])
    return [(lambda p=p: CsvSource(p, csv_mapping, tz)) if p.suffix.lower() == ".csv"
            else (lambda p=p: FreshdeskSource(p, tz, catalog)) for p in paths]
