"""`?`: every binding in force, by scope, with the user's remaps marked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..ui.bindings import SCOPES, Key, bindings, keys_in_force

KEY_WIDTH = 18


class HelpScreen(ModalScreen[None]):
    BINDINGS = [*bindings("Dialogs"), *bindings("Help")]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def _keys(self, key: Key) -> str:
        keys = keys_in_force(key, self.keymap).split(",")
        return " ".join(self.app.get_key_display(Binding(k.strip(), "")) for k in keys)

    def _scope(self, name: str, keys: tuple[Key, ...]) -> Content:
        rows = [Content.styled(name, "bold underline $accent")]
        for key in keys:
            remapped = key.id in self.keymap
            rows.append(Content.assemble(
                (self._keys(key).ljust(KEY_WIDTH), "bold $text-warning" if remapped else "bold"),
                key.description.ljust(34), (key.id, "$text-muted"),
                (" (remapped)" if remapped else "", "$text-warning")))
        return Content("\n").join(rows)

    def compose(self) -> ComposeResult:
        intro = Content.assemble(
            ("Keys in force", "bold"), " · remap any id in the ", ("[keymap]", "bold"),
            " table of config.toml, e.g. ", ('"ticket.reply" = "R"', "$text-muted"))
        with VerticalScroll(classes="dialog -help", id="help"):
            yield Static(intro, classes="dialog-title")
            for name, keys in SCOPES.items():
                yield Static(self._scope(name, keys), classes="help-scope")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cursor_down(self) -> None:
        self.query_one("#help", VerticalScroll).scroll_down()

    def action_cursor_up(self) -> None:
        self.query_one("#help", VerticalScroll).scroll_up()
