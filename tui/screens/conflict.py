"""Someone changed the ticket while the agent worked on it: show what, and let them choose."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..ui.bindings import bindings
from ..ui.text import line

REAPPLY, DISCARD = "reapply", "discard"


class ConflictScreen(ModalScreen[str | None]):
    """Dismisses with REAPPLY, DISCARD, or None (go back, keep what you had)."""

    BINDINGS = [*bindings("Dialogs", exclude=("dialog.down", "dialog.up")), *bindings("Conflict")]

    def __init__(self, ticket_id: str, changes: list[str], mine: str, *,
                 reapply: str = "Re-apply my change", discard: str = "Discard my change") -> None:
        super().__init__()
        self.ticket_id, self.changes, self.mine = ticket_id, changes, mine
        self.labels = (reapply, discard)

    def compose(self) -> ComposeResult:
        changed = [Content.assemble("  • ", line(c)) for c in self.changes] or \
            [Content("  • its revision moved on (no visible change)")]
        with Vertical(classes="dialog -conflict"):
            yield Static(Content.styled(f"{self.ticket_id} changed while you were working on it",
                                        "bold $text-warning"), classes="dialog-title")
            yield Static(Content("\n").join(changed))
            yield Static(Content.assemble(("Yours: ", "$text-muted"), line(self.mine)))
            key = self.app.key_for
            yield Static(Content.assemble(
                (key("conflict.reapply"), "bold"), f" {self.labels[0]}   ",
                (key("conflict.discard"), "bold"), f" {self.labels[1]}   ",
                (key("dialog.close"), "bold"), " back (your draft is kept)"))
        yield Footer(compact=True)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_close(self) -> None:
        self.dismiss(None)
