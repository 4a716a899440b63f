"""Bulk work on the marked tickets: one confirmation, one progress line, then each ticket's
result. The work itself is `core.batch.run_batch`, in a worker."""

from __future__ import annotations

from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from ..core.batch import CONFLICT, DONE, FAILED, BatchAction, Outcome, run_batch, summary
from ..core.models import Ticket
from ..ui.bindings import bindings
from ..ui.messages import STORE_ERRORS
from ..ui.text import line, one_line

SHOWN_IDS = 12
RESULT_STYLE = {DONE: ("✓", "$text-success"), CONFLICT: ("!", "$text-warning"),
                FAILED: ("✗", "$text-error")}


class BulkScreen(ModalScreen[list[Outcome] | None]):
    """Confirm `action` on `ticket_ids`, run it, show each result; dismisses with the
    outcomes (None if cancelled before it ran)."""

    BINDINGS = [*bindings("Dialogs", exclude=("dialog.down", "dialog.up")), *bindings("Bulk")]

    def __init__(self, ticket_ids: list[str], action: BatchAction,
                 read: Callable[[str], Ticket]) -> None:
        super().__init__()
        self.ticket_ids, self.action, self.read = ticket_ids, action, read
        self.outcomes: list[Outcome] | None = None
        self.running = False

    def compose(self) -> ComposeResult:
        shown = ", ".join(one_line(t) for t in self.ticket_ids[:SHOWN_IDS])
        more = f" and {len(self.ticket_ids) - SHOWN_IDS} more" if len(self.ticket_ids) > SHOWN_IDS else ""
        key = self.app.key_for
        with Vertical(classes="dialog -bulk"):
            yield Static(Content.assemble(line(self.action.what, "bold"), " on ",
                                          (f"{len(self.ticket_ids)} marked tickets", "bold")),
                         classes="dialog-title")
            yield Static(Content(shown + more), id="bulk-ids")
            yield Static(Content.assemble((key("bulk.go"), "bold"), " go ahead   ",
                                          (key("dialog.close"), "bold"), " cancel"), id="bulk-line")
            yield VerticalScroll(id="bulk-results")
        yield Footer(compact=True)

    def action_go(self) -> None:
        if self.outcomes is not None:
            self.dismiss(self.outcomes)
        elif not self.running:
            self.running = True
            self._say(f"Working: 0/{len(self.ticket_ids)}")
            self._run()

    def action_close(self) -> None:
        if not self.running or self.outcomes is not None:
            self.dismiss(self.outcomes)

    def _say(self, text: str) -> None:
        self.query_one("#bulk-line", Static).update(Content(text))

    @work(thread=True, exclusive=True, group="bulk")
    def _run(self) -> None:
        seen: list[Ticket] = []
        unread: list[Outcome] = []
        for ticket_id in self.ticket_ids:  # as they are now: what the agent confirmed
            try:
                seen.append(self.read(ticket_id))
            except STORE_ERRORS as exc:
                unread.append(Outcome(ticket_id, FAILED, one_line(exc)))
        total = len(self.ticket_ids)

        def progress(done: int, _: int) -> None:
            self.app.call_from_thread(self._say, f"Working: {done + len(unread)}/{total}")
        outcomes = unread + run_batch(self.app.store, seen, self.action, progress)
        self.app.call_from_thread(self._finished, outcomes)

    def _finished(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes
        key = self.app.key_for
        self._say(Content.assemble((summary(outcomes), "bold"), "   ",
                                   (key("bulk.go"), "bold"), " or ",
                                   (key("dialog.close"), "bold"), " closes").plain)
        results = self.query_one("#bulk-results", VerticalScroll)
        order = {FAILED: 0, CONFLICT: 1, DONE: 2}  # what needs the agent first
        for outcome in sorted(outcomes, key=lambda o: order[o.result]):
            mark, style = RESULT_STYLE[outcome.result]
            results.mount(Static(Content.assemble((mark, style), " ", (one_line(outcome.ticket_id), "bold"),
                                                  " ", line(outcome.detail or outcome.result))))


class BulkTagsScreen(ModalScreen[tuple[list[str], list[str]] | None]):
    """Tags to add and remove on the marked tickets: `+vip -spam outage` (no sign: add)."""

    BINDINGS = bindings("Dialogs", exclude=("dialog.down", "dialog.up"))

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content.styled(f"Tags on {self.count} marked tickets", "bold"),
                         classes="dialog-title")
            yield Input(placeholder="+add -remove, separated by spaces", id="tags")
            yield Static(Content.styled(f"Enter goes on · {self.app.key_for('dialog.close')} closes",
                                        "$text-muted"))

    @on(Input.Submitted)
    def _chosen(self, event: Input.Submitted) -> None:
        words = event.value.split()
        remove = [w[1:] for w in words if w.startswith("-") and len(w) > 1]
        add = [w.lstrip("+") for w in words if not w.startswith("-") and w.lstrip("+")]
        self.dismiss((add, remove) if add or remove else None)

    def action_close(self) -> None:
        self.dismiss(None)
