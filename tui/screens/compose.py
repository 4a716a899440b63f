"""Writing a public reply, an internal note or a call log, saved as a draft while typing."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import time
from concurrent.futures import Future
from datetime import datetime, timezone
from pathlib import Path

from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Footer, Static, TextArea

from ..core import humanize
from ..core.drafts import Draft, Drafts
from ..core.models import Ticket, format_ts
from ..core.sla import epoch
from ..ui.bindings import bindings
from ..ui.text import content, line

SAVE_AFTER_S = 0.4  # a pause in typing this long saves the draft
SAVE_WITHIN_S = 1.0  # and steady typing saves it this long after the first unsaved key
LABELS = {"public_reply": ("Public reply", "-reply"), "internal_note": ("Internal note", "-note"),
          "call_log": ("Call log", "-call")}


def now_ts() -> str:
    return format_ts(datetime.now(timezone.utc))


def editor_command(configured: str | None) -> list[str] | None:
    chosen = configured or os.environ.get("VISUAL") or os.environ.get("EDITOR")
    return shlex.split(chosen) if chosen else None


class ComposeScreen(ModalScreen[Draft | None]):
    """Dismisses with the draft to send, or None (the draft stays on disk)."""

    BINDINGS = bindings("Composer")

    def __init__(self, ticket: Ticket, draft: Draft, drafts: Drafts, editor: str | None) -> None:
        super().__init__()
        self.ticket = ticket
        self.draft = draft
        self.drafts = drafts
        self.editor = editor
        self._save_timer: Timer | None = None
        self._unsaved_since: float | None = None  # monotonic time of the first unsaved key
        self._save_error: str | None = None  # the last one shown (each is shown once)

    def compose(self) -> ComposeResult:
        with Vertical(id="composer"):
            yield Static(id="compose-title")
            yield Static(self._last_customer_message(), id="compose-context")
            yield Static(id="call-timer")
            yield TextArea(self.draft.body, id="body", soft_wrap=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_kind()
        body = self.query_one(TextArea)
        body.move_cursor(body.document.end)
        body.focus()
        if self.draft.kind == "call_log":
            self._call_changed()
            self._tick()
            self.set_interval(1.0, self._tick)
        self.app.presence.composing(self.ticket.id)

    def on_unmount(self) -> None:
        self.save_now()
        self.app.presence.composing(None)

    def _last_customer_message(self) -> Content:
        last = next((m for m in reversed(self.ticket.messages) if m.kind == "customer_message"), None)
        if last is None:
            return Content.styled("No customer message yet.", "$text-muted")
        body = last.body.strip().splitlines()
        excerpt = "\n".join(body[:4]) + (" …" if len(body) > 4 else "")
        return Content("\n").join([
            Content.assemble(("Last from the customer · ", "$text-muted"), line(last.author),
                             (" · " + humanize.local_datetime(last.created), "$text-muted")),
            content(excerpt, "italic")])

    def _show_kind(self) -> None:
        label, kind_class = LABELS[self.draft.kind]
        title = Content.assemble((label, "bold"), " on ", (self.ticket.id, "bold"), " ",
                                 line(self.ticket.subject))
        if self.draft.macro:
            title += Content.assemble(("  macro: ", "$text-muted"), line(self.draft.macro))
        if self.draft.changes or self.draft.add_tags or self.draft.remove_tags:
            sets = [f"{k} → {v or 'nobody'}" for k, v in self.draft.changes.items()]
            sets += [f"+{t}" for t in self.draft.add_tags] + [f"-{t}" for t in self.draft.remove_tags]
            title += Content.assemble(("  on send: ", "$text-muted"), line(", ".join(sets)))
        widget = self.query_one("#compose-title", Static)
        widget.update(title)
        composer = self.query_one("#composer")
        composer.set_class(kind_class == "-note", "-note")
        composer.set_class(kind_class == "-call", "-call")

    def _tick(self) -> None:
        start = epoch(self.draft.call_start)
        if start is None:
            return
        end = epoch(self.draft.call_end) or datetime.now(timezone.utc).timestamp()
        call = self.app.work.live_call(self.ticket.id)
        state = "call ended" if self.draft.call_end else "‖ on hold" if call and call.on_hold \
            else "● on the call"
        self.query_one("#call-timer", Static).update(Content.assemble(
            (state, "bold $text-error" if not self.draft.call_end else "bold"),
            f"  {humanize.clock(end - start)}   ",
            (f"{self.app.key_for('compose.call')} stops/resumes", "$text-muted")))

    # -- drafts --------------------------------------------------------------
    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        self.draft.body = event.text_area.text
        now = time.monotonic()
        if self._unsaved_since is None:
            self._unsaved_since = now
        if self._save_timer:
            self._save_timer.stop()
        # After a pause, or at the latest SAVE_WITHIN_S after the first key not on disk: a
        # kill -9 in the middle of steady typing loses about a second of it, not all of it.
        due = min(SAVE_AFTER_S, self._unsaved_since + SAVE_WITHIN_S - now)
        self._save_timer = self.set_timer(max(0.01, due), self._save)  # 0 is not a timer

    def _save(self) -> None:
        self._save_timer = None
        self._unsaved_since = None
        self.drafts.save_later(self.draft).add_done_callback(self._saved)

    def _saved(self, future: Future[None]) -> None:
        error = future.exception()
        message = None if error is None else f"Could not save the draft: {error}"
        if message is not None and message != self._save_error:
            self.app.notify(message, severity="error", markup=False)
        self._save_error = message

    def save_now(self) -> None:
        """Queue what was typed since the last save without waiting for the pause in typing
        (desk is ending: `Drafts.flush` then waits for it, after any earlier save). The text
        is the text area's own: a signal is handled between messages, and the last keys'
        Changed message may still be waiting."""
        areas = self.query(TextArea)
        typed = areas.first().text if areas else None
        if typed is not None and typed != self.draft.body:
            self.draft.body = typed
        elif self._save_timer is None:
            return  # nothing typed since the last save
        self._stop_typing_timer()
        self.drafts.save_later(self.draft)

    def _stop_typing_timer(self) -> None:
        if self._save_timer:
            self._save_timer.stop()
            self._save_timer = None
        self._unsaved_since = None

    # -- actions ---------------------------------------------------------------
    def action_send(self) -> None:
        if not self.draft.body.strip():
            self.notify("Nothing to send yet.", severity="warning")
            return
        self._stop_typing_timer()
        if self.draft.kind == "call_log" and not self.draft.call_end:
            self.draft.call_end = now_ts()
            self._call_changed()
        self._save()
        self.dismiss(self.draft)

    def action_close(self) -> None:
        self._stop_typing_timer()
        self._save()
        self.app.say(f"Draft kept for {self.ticket.id}.")
        self.dismiss(None)

    def action_discard(self) -> None:
        self._stop_typing_timer()
        self.drafts.delete_later(self.ticket.id)
        self.app.say(f"Draft for {self.ticket.id} discarded.")
        if self.draft.kind == "call_log":
            self.app.work.call(self.ticket, live=False)
        self.dismiss(None)

    def action_toggle_kind(self) -> None:
        if self.draft.kind == "call_log":
            self.notify("A call log stays a call log.", severity="warning")
            return
        self.draft.kind = "internal_note" if self.draft.kind == "public_reply" else "public_reply"
        self._show_kind()
        self._save()

    def action_toggle_call(self) -> None:
        if self.draft.kind != "call_log":
            self.app.say("Only a call log has a call to stop; "
                         f"press {self.app.key_for('ticket.call')} to log a call.")
            return
        self.draft.call_end = None if self.draft.call_end else now_ts()
        self._call_changed()
        self._tick()
        self._save()

    def action_toggle_hold(self) -> None:
        if self.app.work.toggle_hold(self.ticket.id) is None:
            self.notify("No call in progress to put on hold.", severity="warning")
        self._tick()

    def _call_changed(self) -> None:
        """The work stream's interaction follows this call log's call (metrics-spec §B.3.3)."""
        if self.draft.call_start:
            self.app.work.call(self.ticket, live=not self.draft.call_end)

    def _edited_text(self, saved: bytes) -> str:
        """What the editor saved, as text: UTF-8, or (an editor set to another encoding)
        with each byte desk cannot read shown as �, and the agent told, never a crash."""
        try:
            return saved.decode("utf-8")
        except UnicodeDecodeError:
            self.notify("Your editor saved text that is not UTF-8: what desk could not read "
                        "shows as �. Check the text before you send it.", severity="warning",
                        markup=False)
            return saved.decode("utf-8", errors="replace")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No $EDITOR in a browser (`desk serve`): it would run on the server, out of sight."""
        return not (action == "editor" and self.app.is_web)

    def action_editor(self) -> None:
        if self.app.is_web:
            return
        command = editor_command(self.editor)
        if command is None:
            self.notify("Set $EDITOR (or editor in config.toml) to write in your editor.",
                        severity="warning")
            return
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
            f.write(self.draft.body)
            path = Path(f.name)
        try:
            with self.app.suspend():
                subprocess.run([*command, str(path)], check=False)
            self.query_one(TextArea).text = self._edited_text(path.read_bytes())
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to an editor; keep writing here.",
                        severity="warning")
        except OSError as exc:
            self.notify(f"Could not run {command[0]}: {exc.strerror}", severity="error",
                        markup=False)
        finally:
            path.unlink(missing_ok=True)
