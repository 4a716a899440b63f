"""`desk import zendesk`: the Zendesk Support API's JSON, streamed with ijson: pages
(`{"tickets": [...], "users": [...], "organizations": [...], "satisfaction_ratings": [...]}`,
as the list endpoints return them) and JSON Lines (the incremental export: one ticket a line,
comments nested where the export has them). Users and organizations are read first, from
every file named; they are small beside the tickets.

Mapping: status `hold` is on_hold; `via.channel` voice is phone, api/web/mobile are web,
twitter/facebook are social; a comment by the requester (or any end-user) is a customer
message, another public one a public reply, a private one an internal note; Zendesk's binary
rating is `good` = 5, `bad` = 1 (offered/unoffered: no rating). Zendesk has no solve time on a
ticket, so a solved ticket gets no status-change event (unknown, not invented)."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import ijson
import orjson

from .cleaning import body_text, email, one_value, parse_time
from .records import BadValue, InCustomer, InMessage, InTicket, Problem
from .zendesk_people import ZendeskPeople
from .textfile import Counted

STATUS = {"new": "new", "open": "open", "pending": "pending", "hold": "on_hold",
          "solved": "solved", "closed": "closed"}
CHANNEL = {"email": "email", "web": "web", "api": "web", "mobile": "web", "web_widget": "web",
           "voice": "phone", "phone": "phone", "chat": "chat", "native_messaging": "chat",
           "twitter": "social", "facebook": "social", "instagram": "social", "whatsapp": "social"}
RATING = {"good": 5, "bad": 1}


_PAGE_KEYS = ("tickets", "users", "organizations", "satisfaction_ratings", "ticket", "count", "next_page")
_HEAD = 1 << 20


def _is_lines(path: Path) -> bool:
    """JSON Lines (each line an object that is no page) or a page. A page on one line (37 MB
    at 100k tickets) is told by its first keys, never read whole."""
    with open(path, "rb") as fh:
        head = fh.read(_HEAD)
        if b"\n" not in head and len(head) == _HEAD:
            fh.seek(0)
            return _first_object_is_no_page(fh)
    try:
        obj = orjson.loads(head.split(b"\n", 1)[0].strip())
    except orjson.JSONDecodeError:
        return False
    return isinstance(obj, dict) and not any(k in obj for k in _PAGE_KEYS)


def _first_object_is_no_page(fh) -> bool:
    """The first line is over a megabyte: stream its top-level keys until one says page or
    the object ends."""
    try:
        for number, (prefix, event, value) in enumerate(ijson.parse(fh, multiple_values=True)):
            if number == 0 and event != "start_map":
                return False
            if prefix == "" and event == "map_key" and value in _PAGE_KEYS:
                return False
            if prefix == "" and event == "end_map":
                return True
    except ijson.JSONError:
        return False
    return False


def _objects(path: Path, prefix: str, on_open: Callable[[Counted], None] | None = None
             ) -> Iterator[tuple[int | str, dict]]:
    """(position, object): JSON Lines give the line number, pages the item's place."""
    raw = open(path, "rb")  # an export the user names: read as given
    fh = Counted(raw)
    if on_open:
        on_open(fh)
    with raw:
        if _is_lines(path):
            for number, line in enumerate(fh_lines(fh), 1):
                if line.strip():
                    try:
                        obj = orjson.loads(line)
                    except orjson.JSONDecodeError as exc:
                        yield number, {"__bad__": str(exc)}
                        continue
                    yield number, obj
        else:
            try:
                for number, obj in enumerate(ijson.items(fh, f"{prefix}.item", use_float=True), 1):
                    yield f"{prefix}[{number - 1}]", obj
            except ijson.JSONError as exc:
                yield "(file)", {"__bad__": f"not valid JSON ({exc})"}


def fh_lines(fh) -> Iterator[bytes]:
    import io

    yield from io.BufferedReader(fh, 1 << 16)


def _kind(obj: dict) -> str:
    if "subject" in obj or "requester_id" in obj:
        return "ticket"
    if "role" in obj or ("email" in obj and "name" in obj):
        return "user"
    if "domain_names" in obj:
        return "organization"
    if "score" in obj and "ticket_id" in obj:
        return "rating"
    return "other"


class ZendeskSource:
    def __init__(self, path: Path, tz: Any = timezone.utc, every_path: list[Path] | None = None,
                 people: ZendeskPeople | None = None):
        """`people`: the users, organizations and ratings of every file named (one for all of
        them); without it, this source reads them from `every_path`."""
        self.path, self.tz = path, tz
        self.size = path.stat().st_size
        self.people = people or zendesk_people(every_path or [path])
        self._counted: Counted | None = None

    def progress(self) -> tuple[int, int]:
        return (self._counted.done if self._counted else 0, self.size)

    def items(self) -> Iterator[InTicket | Problem]:
        lines = _is_lines(self.path)
        for where, obj in _objects(self.path, "tickets", lambda c: setattr(self, "_counted", c)):
            if "__bad__" in obj:
                yield Problem(str(self.path), where, "(record)", obj["__bad__"])
                continue
            if lines and _kind(obj) != "ticket":
                continue
            try:
                yield self._ticket(where, obj)
            except BadValue as exc:
                yield Problem(str(self.path), where, exc.column, exc.reason)

    def _ticket(self, where, obj: dict) -> InTicket:
        people = self.people
        if obj.get("id") is None:
            raise BadValue("id", "no ticket id")
        t = InTicket(source_id=f"zendesk:{obj['id']}", where=(str(self.path), where))
        t.subject = one_value(obj.get("subject") or obj.get("raw_subject")) or "(no subject)"
        status = str(obj.get("status") or "new").lower()
        if status not in STATUS:
            raise BadValue("status", f"{status!r} is not a Zendesk status")
        t.status = STATUS[status]
        priority = str(obj.get("priority") or "normal").lower()
        if priority not in ("low", "normal", "high", "urgent"):
            raise BadValue("priority", f"{priority!r} is not a Zendesk priority")
        t.priority = priority
        channel = ((obj.get("via") or {}).get("channel") or "email")
        t.channel = CHANNEL.get(str(channel).lower(), "web")
        t.created = parse_time(obj.get("created_at"), "created_at", self.tz)
        t.updated = parse_time(obj.get("updated_at"), "updated_at", self.tz)
        t.tags = [str(tag).lower() for tag in obj.get("tags") or []]
        requester = people.user(obj.get("requester_id"))
        t.customer = InCustomer(name=one_value(requester.get("name")),
                                email=email(requester.get("email"), "requester.email"),
                                key=f"zendesk:user:{obj['requester_id']}" if obj.get("requester_id") else None,
                                phone=one_value(requester.get("phone")),
                                company=people.orgs.get(obj.get("organization_id") or requester.get("organization_id")))
        assignee = people.user(obj.get("assignee_id"))
        t.assignee = one_value(assignee.get("name")) if assignee else None
        t.group = str(obj["group_id"]) if obj.get("group_id") else None
        t.category = one_value(obj.get("type"))
        comments = obj.get("comments") or []
        for c in comments:
            author = people.user(c.get("author_id")) if c.get("author_id") != obj.get("requester_id") \
                else requester
            by_customer = c.get("author_id") == obj.get("requester_id") or author.get("role") == "end-user"
            kind = ("customer_message" if by_customer else
                    "public_reply" if c.get("public", True) else "internal_note")
            when = parse_time(c.get("created_at"), "comments.created_at", self.tz) or t.created
            body = body_text(c.get("html_body")) or body_text(c.get("plain_body") or c.get("body"))
            name = one_value(author.get("name")) or ("customer" if by_customer else "agent")
            t.messages.append(InMessage(str(c.get("id")), kind, "customer" if by_customer else "agent",
                                        name, body, when))
            if kind == "public_reply" and t.first_replied is None:
                t.first_replied = when
        if not comments and obj.get("description"):
            t.messages.append(InMessage("description", "customer_message", "customer",
                                        t.customer.name or "customer", body_text(obj["description"]), t.created))
        t.messages.sort(key=lambda m: m.created or t.created)
        rating = people.rating(obj["id"]) or obj.get("satisfaction_rating") or {}
        score = RATING.get(str(rating.get("score", "")).lower())
        if score:
            when = parse_time(rating.get("updated_at") or rating.get("created_at"), "satisfaction_rating",
                              self.tz) or t.updated
            t.csat = (score, one_value(rating.get("comment")) or "", when)
        return t


def zendesk_people(paths: list[Path]) -> ZendeskPeople:
    """The users, organizations and ratings of the files `paths` (read at first use)."""
    return ZendeskPeople(paths, _objects, _is_lines, _kind)
