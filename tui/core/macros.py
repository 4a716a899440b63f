"""Canned replies and macros: reply text with `{customer.first_name}`-style
variables, plus field changes, read from `macros.toml`.

Substitution is one pass over the template only: text that comes from a
customer (a name with braces, say) is inserted as it is and never expanded.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .models import Customer, Priority, Product, Ticket, TicketStatus

VARIABLES = ("customer.first_name", "customer.name", "customer.company", "customer.email",
             "ticket.id", "ticket.subject", "ticket.status", "ticket.priority", "product.name",
             "agent.name")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class MacroError(ValueError):
    """A template or macro file that cannot be used; the message says what to fix."""


class Macro(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    kind: Literal["public_reply", "internal_note"] = "public_reply"
    body: str = ""
    status: TicketStatus | None = None
    priority: Priority | None = None
    assignee: str | None = None  # "me", "none" or an agent
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)

    @field_validator("body")
    @classmethod
    def _template(cls, body: str) -> str:
        render(body, dict.fromkeys(VARIABLES, ""))
        return body

    def field_changes(self, agent: str) -> dict[str, Any]:
        """The `update_ticket` changes this macro makes."""
        changes: dict[str, Any] = {}
        if self.status:
            changes["status"] = self.status
        if self.priority:
            changes["priority"] = self.priority
        if self.assignee:
            changes["assignee"] = {"me": agent, "none": None}.get(self.assignee, self.assignee)
        return changes


def render(template: str, variables: Mapping[str, str]) -> str:
    """Replace `{name}` with its value; `{{` and `}}` give literal braces."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is None:
            raise MacroError(f"a lone {token!r} at character {match.start() + 1}: "
                             f"write {token * 2!r} for a literal brace")
        if name.strip() not in variables:
            raise MacroError(f"unknown variable {{{name}}}: use one of "
                             + ", ".join(f"{{{v}}}" for v in VARIABLES))
        return variables[name.strip()]

    return _TOKEN.sub(replace, template)


def variables(ticket: Ticket, customer: Customer | None, product: Product | None,
              agent: str) -> dict[str, str]:
    return {
        "customer.first_name": customer.first_name if customer else "",
        "customer.name": customer.name if customer else "",
        "customer.company": (customer.company or "") if customer else "",
        "customer.email": (customer.email or "") if customer else "",
        "ticket.id": ticket.id,
        "ticket.subject": ticket.subject,
        "ticket.status": str(ticket.status),
        "ticket.priority": str(ticket.priority),
        "product.name": product.name if product else "",
        "agent.name": agent,
    }


@dataclass(frozen=True)
class MacroSet:
    macros: tuple[Macro, ...]
    source: str  # the file they came from, or "built-in"
    problems: tuple[str, ...] = ()

    def get(self, macro_id: str) -> Macro | None:
        return next((m for m in self.macros if m.id == macro_id), None)


def parse_macros(text: str, source: str) -> tuple[Macro, ...]:
    """Every `[[macro]]` table of a TOML document; raises MacroError naming the culprit."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MacroError(f"{source}: not valid TOML: {exc}") from None
    entries = data.get("macro", [])
    if not isinstance(entries, list):
        raise MacroError(f"{source}: expected [[macro]] tables")
    macros = []
    for n, entry in enumerate(entries, 1):
        try:
            macros.append(Macro.model_validate(entry))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(macro)"
            name = entry.get("id", f"#{n}") if isinstance(entry, dict) else f"#{n}"
            raise MacroError(f"{source}: macro {name}: {where}: {err['msg']}") from None
    ids = [m.id for m in macros]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise MacroError(f"{source}: macro id {duplicates[0]!r} is used twice")
    return tuple(macros)


def builtin_macros() -> tuple[Macro, ...]:
    text = resources.files("tui").joinpath("macros_default.toml").read_text(encoding="utf-8")
    return parse_macros(text, "built-in macros")


def load_macros(path: Path | None) -> MacroSet:
    """The user's macros if `path` exists and is valid, else the built-in set (with the problem)."""
    if path is None or not path.is_file():
        return MacroSet(builtin_macros(), "built-in")
    try:
        return MacroSet(parse_macros(path.read_text(encoding="utf-8"), str(path)), str(path))
    except (OSError, UnicodeDecodeError, MacroError) as exc:
        return MacroSet(builtin_macros(), "built-in", (f"{exc}; using the built-in macros",))
