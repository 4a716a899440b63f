"""Command palette providers: open a ticket, switch view, set status, run a macro,
jump to a customer. Hits show user text through tui.ui.text, never as markup."""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import Any, Iterable, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from tinydb import Query

from ..core.models import TicketStatus
from ..core.queue_views import VIEWS
from ..core.textfold import fold
from ..ui.messages import STORE_ERRORS
from ..ui.text import highlight, line


class Workspace(Protocol):
    """What the providers drive: the main screen, named by what it does (no import of it)."""

    queue_panel: Any

    def open_ticket(self, ticket_id: str) -> None: ...

    def set_view(self, key: str) -> None: ...

    def set_status(self, status: str) -> None: ...

    def run_macro(self, macro_id: str) -> None: ...

    def show_customer(self, customer_id: str) -> None: ...

    def action_search_everywhere(self, words: str = "") -> None: ...

MAX_HITS = 30
TICKET_NUMBER = re.compile(r"^(?:t-?)?(\d+)$", re.IGNORECASE)


class _WorkspaceProvider(Provider):
    @property
    def main(self) -> Workspace:
        return self.screen  # type: ignore[return-value]

    def _score(self, query: str, text: str) -> float:
        """1 for a prefix, 0.5 for a substring, 0 otherwise; folded, so accents do not matter."""
        folded_query, folded = fold(query), fold(text)
        if not folded_query or folded_query not in folded:
            return 0.0
        return 1.0 if folded.startswith(folded_query) else 0.5

    def _hits(self, query: str, items: Iterable[tuple[str, Any, str]]) -> Iterable[Hit]:
        for text, command, help_text in items:
            score = self._score(query, text)
            if score:
                yield Hit(score, highlight(text, query), command, text=text, help=help_text)


class TicketCommands(_WorkspaceProvider):
    """Open a ticket by id or by a word of its subject."""

    async def search(self, query: str) -> Hits:
        query = query.strip()
        number = TICKET_NUMBER.match(query)
        if number:
            ticket_id = f"T-{number.group(1)}"
            yield Hit(1.0, line(f"Open {ticket_id}"), partial(self.main.open_ticket, ticket_id),
                      text=f"Open {ticket_id}")
        if len(query) < 2:
            return
        needle, found = fold(query), 0
        for row in self.main.queue_panel.rows_for_search(query):
            if needle in fold(row.subject) or needle in row.id.lower():
                text = f"{row.id} {line(row.subject).plain}"
                yield Hit(0.6, highlight(text, query), partial(self.main.open_ticket, row.id),
                          text=text, help="open ticket")
                found += 1
                if found >= MAX_HITS:
                    return


class ViewCommands(_WorkspaceProvider):
    def _items(self) -> list[tuple[str, Any, str]]:
        return [(f"View: {view.label}", partial(self.main.set_view, view.key), "switch the queue view")
                for view in VIEWS]

    async def discover(self) -> Hits:
        for text, command, help_text in self._items():
            yield DiscoveryHit(line(text), command, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        for hit in self._hits(query, self._items()):
            yield hit


class StatusCommands(_WorkspaceProvider):
    async def search(self, query: str) -> Hits:
        items = [(f"Set status: {s.value.replace('_', ' ')}", partial(self.main.set_status, s.value),
                  "on the current ticket") for s in TicketStatus]
        for hit in self._hits(query, items):
            yield hit


class MacroCommands(_WorkspaceProvider):
    async def search(self, query: str) -> Hits:
        items = [(f"Macro: {m.title}", partial(self.main.run_macro, m.id), "apply to the current ticket")
                 for m in self.app.macros.macros]  # type: ignore[attr-defined]
        for hit in self._hits(query, items):
            yield hit


class CustomerCommands(_WorkspaceProvider):
    """Jump to a customer by name, company or id."""

    async def startup(self) -> None:
        docs = self.app.store.query("customers", Query().noop())  # type: ignore[attr-defined]
        self.customers = [(d.get("id", ""), d.get("name", ""), d.get("company") or "") for d in docs]

    async def search(self, query: str) -> Hits:
        if len(query.strip()) < 2:
            return
        needle, found = fold(query.strip()), 0
        for customer_id, name, company in self.customers:
            if needle in fold(f"{customer_id} {name} {company}"):
                text = f"Customer: {line(name).plain}" + (f" ({line(company).plain})" if company else "")
                text += f" {line(customer_id).plain}"
                # help is read as markup by the palette: only our own words go there
                yield Hit(0.7, highlight(text, query.strip()),
                          partial(self.main.show_customer, customer_id), text=text,
                          help="show the customer")
                found += 1
                if found >= MAX_HITS:
                    return


ACTIONS = [("New ticket (a call, an email)", "new_ticket", "pick or add the customer, then the ticket"),
           ("Merge this ticket into another", "merge", "the customer's open tickets"),
           ("Link this ticket to an earlier one", "link", "as a repeat or a follow-up"),
           ("Flag this ticket: spam, test, not L1 resolvable", "flag", "again to clear a flag"),
           ("Take the next ticket", "take_next", "the most urgent unassigned or yours"),
           ("Sync with the team store", "sync", "an offline replica: send yours, get the team's"),
           ("Sync conflicts: keep mine or theirs", "sync_conflicts", "what changed on both sides")]


class ActionCommands(_WorkspaceProvider):
    """The ticket actions by name, for an agent who has not learnt their keys yet."""

    def _items(self) -> list[tuple[str, Any, str]]:
        return [(text, getattr(self.main, f"action_{action}"), help_text)
                for text, action, help_text in ACTIONS if hasattr(self.main, f"action_{action}")]

    async def discover(self) -> Hits:
        for text, command, help_text in self._items():
            yield DiscoveryHit(line(text), command, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        for hit in self._hits(query, self._items()):
            yield hit



class EverywhereCommands(_WorkspaceProvider):
    """Tickets anywhere, closed ones too, by words of their subject or thread (the shared
    search index), and the search screen for more."""

    def _more(self, query: str = "") -> DiscoveryHit | Hit:
        text = "Search every ticket, closed ones too" + (f": {line(query).plain}" if query else "")
        command = partial(self.main.action_search_everywhere, query)
        if not query:
            return DiscoveryHit(line(text), command, text=text, help="subjects and threads")
        return Hit(0.4, line(text), command, text=text, help="subjects and threads")

    async def discover(self) -> Hits:
        yield self._more()

    async def search(self, query: str) -> Hits:
        query = query.strip()
        if len(query) < 3 or TICKET_NUMBER.match(query):
            return
        store = self.app.store  # type: ignore[attr-defined]
        try:
            hits = await asyncio.to_thread(store.search_everywhere, query, 10)
        except STORE_ERRORS:
            hits = []
        for hit in hits:
            status = hit.status.replace("_", " ") + (" (archived)" if hit.archived else "")
            text = f"{hit.ticket_id} {status} · {line(hit.subject).plain} · {line(hit.snippet).plain}"
            yield Hit(0.55, line(text), partial(self.main.open_ticket, hit.ticket_id), text=text,
                      help="open ticket (search everywhere)")
        yield self._more(query)


PROVIDERS = {EverywhereCommands, TicketCommands, ViewCommands, StatusCommands, MacroCommands,
             CustomerCommands, ActionCommands}
