"""The queue filter: free text plus `field:value` terms, `-` negates.

`parse()` never raises: unknown fields and stray quotes become free text or
notes. Matching is case- and accent-insensitive through `fold()`.

    urgent lang:fi -status:pending customer:"anna ol" tag:vip,refund
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .textfold import fold

FIELDS = ("status", "priority", "tag", "customer", "product", "channel", "lang", "region",
          "assignee")
ALIASES = {"prio": "priority", "pri": "priority", "tags": "tag", "cust": "customer",
           "language": "lang", "assigned": "assignee", "agent": "assignee"}
UNASSIGNED = frozenset({"none", "unassigned", "nobody"})


def norm(text: str) -> str:
    """Folded, with separators dropped: `On-Hold` and `on_hold` both give `onhold`."""
    return fold(text).replace("_", "").replace("-", "").replace(" ", "")


@dataclass(slots=True)
class Searchable:
    """A ticket's filterable fields, folded once when the row is built (not frozen: built for
    every row in view on the first filter keystroke, and a frozen __init__ costs twice as much).
    """

    text: str  # id, subject, customer, product and tags: the free-text haystack
    status: str = ""
    priority: str = ""
    tags: tuple[str, ...] = ()
    customer: str = ""  # id, name, company, email
    product: str = ""  # id, name, category
    channel: str = ""
    lang: str = ""
    region: str = ""
    assignee: str = ""


@dataclass(frozen=True, slots=True)
class Term:
    field: str | None  # None for free text
    values: tuple[str, ...]  # folded; any of them may match
    negate: bool = False

    def matches(self, item: Searchable, agent: str) -> bool:
        found = any(_match(self.field, value, item, agent) for value in self.values)
        return found != self.negate


def _match(name: str | None, value: str, item: Searchable, agent: str) -> bool:
    if name is None:
        return value in item.text
    if name in ("status", "priority", "channel"):
        return norm(getattr(item, name)).startswith(norm(value))
    if name == "tag":
        return value in item.tags
    if name == "lang":
        return item.lang == value or item.lang.startswith(value + "-")
    if name == "assignee":
        if value in UNASSIGNED:
            return not item.assignee
        if value == "me":
            return item.assignee == fold(agent)
        return bool(item.assignee) and item.assignee.startswith(value)
    return value in getattr(item, name)  # customer, product, region: substring


@dataclass(frozen=True, slots=True)
class Filter:
    terms: tuple[Term, ...] = ()
    notes: tuple[str, ...] = field(default=())  # what was not understood, for the user

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, item: Searchable, agent: str = "") -> bool:
        return all(term.matches(item, agent) for term in self.terms)

    def predicate(self, agent: str = "") -> Callable[[Searchable], bool]:
        """`matches` for one agent, as one function: free text (the usual filter) is tested
        without a call per term and value, which counts at 100k rows a keystroke."""
        if all(t.field is None and not t.negate and len(t.values) == 1 for t in self.terms):
            needles = tuple(t.values[0] for t in self.terms)
            if len(needles) == 1:
                needle = needles[0]
                return lambda item: needle in item.text
            return lambda item: all(n in item.text for n in needles)
        terms = self.terms
        return lambda item: all(term.matches(item, agent) for term in terms)


# How a longer value narrows a term: free text and substring fields by containment,
# the prefix fields by extension; tag and lang compare whole values.
_SUBSTRING = (None, "customer", "product", "region")
_PREFIX = ("status", "priority", "channel", "assignee")


def _narrower(new: Term, old: Term) -> bool:
    if new == old:
        return True
    if new.field != old.field or new.negate or old.negate or len(new.values) != 1 \
            or len(old.values) != 1:
        return False
    a, b = new.values[0], old.values[0]
    if new.field in _SUBSTRING:
        return b in a
    if new.field in _PREFIX:
        if new.field == "assignee" and (b in UNASSIGNED or b == "me" or a in UNASSIGNED
                                        or a == "me"):
            return False
        return norm(a).startswith(norm(b)) if new.field != "assignee" else a.startswith(b)
    return False


def narrows(new: Filter, old: Filter) -> bool:
    """True if whatever `new` matches, `old` matches too (so `new` can search `old`'s
    answer): each term of `old` has a narrower one at the same place in `new`, and `new`
    may add terms ("pr" -> "pri", "pri" -> "pri lang:fi")."""
    if len(new.terms) < len(old.terms):
        return False
    return all(_narrower(n, o) for n, o in zip(new.terms, old.terms))


def tokenize(text: str) -> list[str]:
    """Split on whitespace outside double quotes; a missing closing quote ends at the end."""
    tokens, current, quoted, started = [], [], False, False
    for char in text:
        if char == '"':
            quoted, started = not quoted, True
        elif char.isspace() and not quoted:
            if started:
                tokens.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        tokens.append("".join(current))
    return tokens


def _term(token: str, notes: list[str]) -> Term | None:
    negate = token.startswith("-") and len(token) > 1
    body = token[1:] if negate else token
    name, sep, raw = body.partition(":")
    key = ALIASES.get(fold(name), fold(name))
    if sep and key in FIELDS:
        values = tuple(v for v in (fold(part.strip()) for part in raw.split(",")) if v)
        if not values:
            notes.append(f"{name}: needs a value, e.g. {key}:{_example(key)}")
            return None
        return Term(key, values, negate)
    if sep and name and not name.isdigit():
        notes.append(f"unknown field {name!r}: searched as text "
                     f"(fields: {', '.join(FIELDS)})")
    value = fold(body).strip()
    return Term(None, (value,), negate) if value and token != "-" else None


def _example(name: str) -> str:
    return {"status": "open", "priority": "urgent", "lang": "fi", "assignee": "me"}.get(name, "…")


def parse(text: str) -> Filter:
    notes: list[str] = []
    terms = [t for t in (_term(token, notes) for token in tokenize(text or "")) if t]
    return Filter(tuple(terms), tuple(notes))
