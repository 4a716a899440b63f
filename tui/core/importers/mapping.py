"""A CSV mapping file (TOML): which column holds what, and how its values map to desk's.
Presets ship in `presets/` and are named by file stem (`desk import csv --mapping support-dataset`).

    rows = "tickets"            # one row per ticket; "messages": one per message or status change
    source = "sheet"            # source ids become "sheet:<id>"
    dayfirst = false            # 03/04/2024 is 4 March when true
    [columns]
    id = "Ticket ID"            # also: subject body status priority channel customer_name
    subject = "Ticket Subject"  # customer_email customer_phone company product category purchased
                                # created updated first_response solved csat csat_comment
                                # resolution tags assignee group; for message rows also time
                                # author author_kind kind message_id reply_to new_status
    [status]                    # a value (any case) -> new|open|pending|on_hold|solved|closed
    "Pending Customer Response" = "pending"
    [priority]                  # -> low|normal|high|urgent;  [channel] -> email|phone|chat|web|social|in_person
    [kind]                      # message rows: -> customer_message|public_reply|internal_note|call_log|status
    [csat]                      # a rating's words -> 1-5 ("Extremely happy" = 5); numbers are read as they are

A column may be a list of header names, the first the file has is used (`created = ["Created
time", "Created at"]`); headers match in any case. Every column named must be in the file,
unless `required = ["id", ...]` says which must (the id always must): then the others are
used where present.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

TICKET_COLUMNS = frozenset("""id subject body status priority channel customer_name customer_email
customer_phone company product category purchased created updated first_response solved csat
csat_comment resolution tags assignee group""".split())
MESSAGE_COLUMNS = frozenset("time author author_kind kind message_id reply_to new_status".split())

STATUS = {s: s for s in ("new", "open", "pending", "on_hold", "solved", "closed")} | {
    "on hold": "on_hold", "on-hold": "on_hold", "hold": "on_hold", "waiting": "pending",
    "waiting on customer": "pending", "waiting on third party": "on_hold",
    "pending customer response": "pending", "in progress": "open", "assigned": "open",
    "reopened": "open", "resolved": "solved", "done": "solved", "fixed": "solved",
    "completed": "solved", "cancelled": "closed", "canceled": "closed"}
PRIORITY = {p: p for p in ("low", "normal", "high", "urgent")} | {
    "medium": "normal", "critical": "urgent", "highest": "urgent", "lowest": "low", "p1": "urgent",
    "p2": "high", "p3": "normal", "p4": "low"}
CHANNEL = {c: c for c in ("email", "phone", "chat", "web", "social", "in_person")} | {
    "e-mail": "email", "mail": "email", "call": "phone", "voice": "phone", "telephone": "phone",
    "live chat": "chat", "messaging": "chat", "web form": "web", "web_form": "web", "portal": "web",
    "api": "web", "social media": "social", "twitter": "social", "facebook": "social",
    "in person": "in_person", "walk-in": "in_person"}
KIND = {k: k for k in ("customer_message", "public_reply", "internal_note", "call_log")} | {
    "customer": "customer_message", "inbound": "customer_message", "question": "customer_message",
    "reply": "public_reply", "answer": "public_reply", "agent": "public_reply",
    "outbound": "public_reply", "note": "internal_note", "private": "internal_note",
    "internal": "internal_note", "call": "call_log", "status": "status",
    "status_change": "status", "event": "status"}


class MappingError(ValueError):
    """A mapping file desk cannot use: names the file and key."""


@dataclass
class Mapping:
    name: str
    rows: str = "tickets"
    source: str = "csv"
    dayfirst: bool = False
    columns: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=lambda: dict(STATUS))
    priority: dict[str, str] = field(default_factory=lambda: dict(PRIORITY))
    channel: dict[str, str] = field(default_factory=lambda: dict(CHANNEL))
    kind: dict[str, str] = field(default_factory=lambda: dict(KIND))
    csat: dict[str, int] = field(default_factory=dict)
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # what -> header names
    required: frozenset[str] | None = None  # None: every column named

    def find_columns(self, header: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
        """Where each column is in a file's header (any case): (what -> index, what -> the
        header found, the required ones missing, by their first name)."""
        place = {" ".join(h.split()).casefold(): i for i, h in reversed(list(enumerate(header)))}
        index: dict[str, int] = {}
        names: dict[str, str] = {}
        missing: list[str] = []
        for what, first in self.columns.items():
            for name in self.alternatives.get(what, [first]):
                i = place.get(" ".join(name.split()).casefold())
                if i is not None:
                    index[what], names[what] = i, header[i]
                    break
            else:
                if self.required is None or what in self.required or what == "id":
                    missing.append(first)
        return index, names, missing


def presets() -> list[str]:
    folder = resources.files(__package__) / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_mapping(name_or_path: str) -> Mapping:
    """A mapping file, or a shipped preset by name."""
    path = Path(name_or_path)
    if name_or_path in presets():
        text = (resources.files(__package__) / "presets" / f"{name_or_path}.toml").read_text("utf-8")
        shown = f"preset {name_or_path}"
    else:
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            raise MappingError(f"{name_or_path}: no such mapping file, and no preset of that name "
                               f"(presets: {', '.join(presets())})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"{name_or_path}: cannot read it ({exc})") from None
        shown = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{shown}: not valid TOML ({exc})") from None
    return parse_mapping(data, shown)


def parse_mapping(data: dict, shown: str) -> Mapping:
    mapping = Mapping(name=shown)
    for key, value in data.items():
        if key in ("rows", "source") and isinstance(value, str):
            setattr(mapping, key, value)
        elif key == "dayfirst" and isinstance(value, bool):
            mapping.dayfirst = value
        elif key == "required" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            mapping.required = frozenset(value)
        elif key in ("columns", "status", "priority", "channel", "kind", "csat") and isinstance(value, dict):
            continue
        elif key != "name":
            raise MappingError(f"{shown}: key {key}: not a mapping setting, or of the wrong type")
    if mapping.rows not in ("tickets", "messages"):
        raise MappingError(f"{shown}: key rows: {mapping.rows!r} is not 'tickets' or 'messages'")
    allowed = TICKET_COLUMNS | (MESSAGE_COLUMNS if mapping.rows == "messages" else frozenset())
    for what, column in data.get("columns", {}).items():
        if what not in allowed:
            raise MappingError(f"{shown}: key columns.{what}: not a column desk knows "
                               f"(one of {', '.join(sorted(allowed))})")
        names = [column] if isinstance(column, str) else column
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
            raise MappingError(f"{shown}: key columns.{what}: must be a column name or a list of them")
        mapping.columns[what] = names[0]
        mapping.alternatives[what] = names
    if "id" not in mapping.columns:
        raise MappingError(f"{shown}: key columns.id: a mapping needs the ticket id column")
    if mapping.rows == "messages" and "time" not in mapping.columns:
        raise MappingError(f"{shown}: key columns.time: message rows need a time column")
    for what in sorted(mapping.required or ()):
        if what not in mapping.columns:
            raise MappingError(f"{shown}: key required: {what!r} is not one of the mapping's columns")
    for value, score in data.get("csat", {}).items():
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            raise MappingError(f"{shown}: key csat.{value}: {score!r} is not a score from 1 to 5")
        mapping.csat[value.strip().lower()] = score
    targets = {"status": STATUS, "priority": PRIORITY, "channel": CHANNEL, "kind": KIND}
    for table, known in targets.items():
        allowed_values = set(known.values())
        for value, target in data.get(table, {}).items():
            if target not in allowed_values:
                raise MappingError(f"{shown}: key {table}.{value}: {target!r} is not one of "
                                   f"{', '.join(sorted(allowed_values))}")
            getattr(mapping, table)[value.strip().lower()] = target
    return mapping
