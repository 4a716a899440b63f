"""DeskApp: wires the store, the config and the screens together."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from ..config import default_theme, load_config, save_theme
from ..core.drafts import Drafts
from ..core.macros import load_macros
from ..core.paths import config_file
from ..core.presence import PresenceBoard
from ..core.serialized import SerializedRepository
from ..core.slow import SlowCalls
from ..core.store.base import Repository
from ..screens import ComposeScreen, HelpScreen, MainScreen
from ..ui.bindings import ALL_KEYS, bindings, keys_in_force, unknown_ids
from ..ui.text import one_line
from ..widgets.status_bar import SlowCallChanged, StatusBar
from .work_stream import WorkStreamApp
from .poll_pace import PollPace
from .presence_watch import PresenceWatch

if TYPE_CHECKING:
    from ..core.metrics import MetricsConfig
    from ..core.worklog import WorkRecorder


def quiet_driver() -> type | None:
    """The input driver that sleeps while no key comes, where Textual would use its Linux
    driver; else (another system, a driver named in TEXTUAL_DRIVER) Textual's choice.
    Tests run headless, which never uses this."""
    if os.environ.get("TEXTUAL_DRIVER") or not sys.platform.startswith("linux"):
        return None
    from .driver import QuietLinuxDriver

    return QuietLinuxDriver


EXIT_GRACE_S = 2.0  # after SIGHUP/SIGTERM: the most a clean exit may take


class DeskApp(WorkStreamApp, App):
    CSS_PATH = "app.tcss"
    TITLE = "desk"
    BINDINGS = bindings("Everywhere")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self, store: Repository, *, agent: str, config_path: Path | None = None,
                 recorder: "WorkRecorder | None" = None, metrics_config: "MetricsConfig | None" = None):
        super().__init__(driver_class=quiet_driver())
        self.slow_calls = SlowCalls(lambda call: self.post_message(SlowCallChanged(call, None)),
                                    lambda call, seconds: self.post_message(SlowCallChanged(call, seconds)))
        self.store = SerializedRepository(store, slow=self.slow_calls)
        self.agent = agent
        self.config_path = config_path or config_file()
        self.config, problems = load_config(self.config_path)
        self.macros = load_macros(self.config_path.parent / "macros.toml")
        # A PostgreSQL store has no data directory: drafts stay on this machine.
        self.drafts = (Drafts(store.data_dir, agent) if store.data_dir is not None
                       else Drafts.local(store.url, agent))
        self._left = False
        self.refused: str | None = None  # why the store could not be opened after all
        self.problems = [*problems, *self.macros.problems,
                         *self.init_work(store, recorder, metrics_config)]
        self.problems += [f"{self.config_path}: [keymap] has no binding {name!r}; see ? for the ids"
                          for name in unknown_ids(self.config.keymap)]
        # an agent idle past the handling time's cut-off: shared files looked at less often
        self.pace = PollPace(idle_after_s=max(1, self.work.config.idle_cutoff_s))
        board = (store.presence_board() if hasattr(store, "presence_board")
                 else PresenceBoard(store.data_dir, agent))
        self.presence = PresenceWatch(board, pace=self.pace,
                                      on_error=lambda text: self.say(text, "warning"))

    def get_default_screen(self) -> Screen:
        return MainScreen()

    def on_mount(self) -> None:
        wanted = self.config.theme or default_theme()
        if wanted not in self.available_themes:
            self.problems.append(f"{self.config_path}: no theme {wanted!r}; using the default")
            wanted = default_theme()
        self.theme = wanted
        self.watch(self, "theme", self._save_theme, init=False)
        self.set_keymap(self.config.keymap)
        for problem in self.problems:
            self.say(problem, "warning")
        self._catch_signals()
        self.start_work()

    def on_slow_call_changed(self, event: SlowCallChanged) -> None:
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.show_slow(event)

    @work(thread=True, exclusive=True, group="config")
    def _save_theme(self, theme: str) -> None:
        try:
            save_theme(self.config_path, theme)
        except OSError as exc:
            self.say(f"Could not save the theme to {self.config_path}: {exc.strerror}", "error")

    def refuse_store(self, reason: str) -> None:
        """The store turned out broken when it was read (after the first screen, which came
        from its queue summary): end as desk does when it refuses a store at start."""
        self.refused = reason
        self.exit(return_code=2)

    def say(self, message: str, severity: str = "information") -> None:
        """A notification whose text is shown as it is, never as markup (thread-safe)."""
        self.notify(one_line(message), severity=severity, markup=False)  # type: ignore[arg-type]

    def key_for(self, binding_id: str) -> str:
        """How the first key in force for `binding_id` is shown, e.g. `r` or `^s`."""
        first = keys_in_force(ALL_KEYS[binding_id], self.config.keymap).split(",")[0].strip()
        return self.get_key_display(Binding(first, ""))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(dict(self.config.keymap)))

    # -- ending -----------------------------------------------------------------------
    def _catch_signals(self) -> None:
        """SIGHUP (the SSH link dropped) and SIGTERM end desk through `leave`, then exit."""
        if self.is_headless:
            return  # under run_test: the test runner's signals are not ours
        loop = asyncio.get_running_loop()
        for signum, reason in ((signal.SIGHUP, "hangup"), (signal.SIGTERM, "terminated")):
            loop.add_signal_handler(signum, self._on_signal, signum, reason)

    def _on_signal(self, signum: int, reason: str) -> None:
        try:
            self.leave(reason)
        finally:
            # After a hangup Textual's output thread can die on EIO and its shutdown then
            # waits for it forever: whatever had to be saved is saved, so end regardless.
            watchdog = threading.Timer(EXIT_GRACE_S, os._exit, (128 + signum,))
            watchdog.daemon = True
            watchdog.start()
            self.exit(return_code=128 + signum)

    def leave(self, reason: str = "quit") -> None:
        """Whatever ends desk (quit, SIGHUP, SIGTERM) runs this first, once: the draft being
        typed goes to disk and this desk's presence is cleared. `reason` is the run_end reason
        ("quit", "hangup", "terminated") for whatever else must be recorded on the way out."""
        if self._left:
            return
        self._left = True
        try:
            for screen in self.screen_stack:
                if isinstance(screen, ComposeScreen):
                    screen.save_now()
            self.drafts.flush()
        finally:
            try:
                self.stop_work(reason)
            finally:
                self.pace.stop()
                self.presence.stop()

    def on_unmount(self) -> None:
        self.leave()
        self.slow_calls.stop()
