"""Search everywhere: active and closed tickets, subjects and threads, as you type.

The words are looked up in the store's shared index (`core.search_index`); each result shows
the ticket id, its status (closed ones marked), the subject and the words around the match.
Enter opens the ticket, closed ones too. Ticket text goes through `ui.text`, never markup.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..core.search_index import SearchHit
from ..ui.bindings import bindings
from ..ui.messages import STORE_ERRORS
from ..ui.text import line

LIMIT = 50


def hit_prompt(hit: SearchHit) -> Content:
    """`T-3  closed  Subject` over the snippet (closed and archived tickets marked)."""
    status = hit.status.replace("_", " ") + (" (archived)" if hit.archived else "")
    marked = "$warning" if hit.archived or hit.status == "closed" else "$text-muted"
    return Content.assemble(line(hit.ticket_id, "bold"), "  ", line(status, marked), "  ",
                            line(hit.subject), "\n  ", line(hit.snippet, "$text-muted"))


class SearchScreen(ModalScreen[str | None]):
    """Type words; dismisses with the chosen ticket id, or None."""

    BINDINGS = bindings("Dialogs", exclude=("dialog.down", "dialog.up"))

    class Found(Message):
        def __init__(self, query: str, hits: list[SearchHit] | None, error: str = "") -> None:
            super().__init__()
            self.query, self.hits, self.error = query, hits, error

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial = query

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -search"):
            yield Static(Content.styled("Search every ticket, closed ones too", "bold"),
                         classes="dialog-title")
            yield Input(self.initial, placeholder="words from the subject or the thread",
                        id="search-words")
            yield OptionList(id="search-results")
            yield Static(Content.styled(
                f"words match by their beginning, any case or accent · ↓ to the results, "
                f"Enter opens · {self.app.key_for('dialog.close')} closes", "$text-muted"),
                id="search-status")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.initial.strip():
            self._look_up(self.initial)

    @on(Input.Changed, "#search-words")
    def _typed(self, event: Input.Changed) -> None:
        self._look_up(event.value)

    @on(Input.Submitted, "#search-words")
    def _submitted(self) -> None:
        results = self.query_one(OptionList)
        if results.option_count:
            results.highlighted = 0
            results.focus()

    def key_down(self) -> None:
        if self.query_one(Input).has_focus:
            self._submitted()

    @work(thread=True, exclusive=True, group="search")
    def _look_up(self, query: str) -> None:
        if not query.strip():
            self.post_message(self.Found(query, []))
            return
        try:
            hits = self.app.store.search_everywhere(query, LIMIT)  # type: ignore[attr-defined]
        except STORE_ERRORS as exc:
            self.post_message(self.Found(query, None, str(exc)))
            return
        self.post_message(self.Found(query, hits))

    @on(Found)
    def _found(self, event: Found) -> None:
        if event.query != self.query_one(Input).value:
            return  # a later keystroke's answer is on its way
        results, status = self.query_one(OptionList), self.query_one("#search-status", Static)
        results.clear_options()
        if event.hits is None:
            status.update(line(f"Search failed: {event.error}", "$error"))
            return
        results.add_options([Option(hit_prompt(h), id=h.ticket_id) for h in event.hits])
        count = len(event.hits)
        said = ("" if not event.query.strip() else "no ticket has these words" if not count
                else f"{count}{'+' if count >= LIMIT else ''} tickets, newest first")
        status.update(Content.styled(said + " · Enter opens", "$text-muted"))

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
