"""The workspace's side of an offline replica: the sync key and palette command, the
conflicts screen, and what the status bar says about the replica (issue 14)."""

from __future__ import annotations

from typing import Any

from textual import work

from ..widgets import StatusBar
from .sync_conflicts import SYNC_ERRORS, SYNC_NOW, SyncConflictsScreen

NOT_A_REPLICA = ("This store is not an offline replica: there is nothing to sync "
                 "(make one with `desk clone REMOTE DIR`)")


class SyncActions:
    """Mixed into the main screen (a textual Screen)."""

    app: Any
    query_one: Any
    syncing = False

    def _replica(self) -> bool:
        if not self.app.store.loaded:
            self.app.say("The store is still being read; try again in a moment")
            return False
        if not self.app.store.is_replica:
            self.app.say(NOT_A_REPLICA, "warning")
            return False
        return True

    def action_sync(self) -> None:
        if not self._replica():
            return
        if self.syncing:
            self.app.say("A sync is already running")
            return
        self.syncing = True
        self.app.say("Syncing with the team store…")
        self._sync_worker()

    @work(thread=True, group="sync", exclusive=True)
    def _sync_worker(self) -> None:
        """The exchange runs on a store of its own, as `desk sync` in another process would:
        the agent's store stays free for the panes, and its poll sees the result."""
        from ..core.session.writer import ObservedWriter
        from ..core.store import open_store
        from ..core.sync import sync

        try:
            store = open_store(self.app.store.data_dir, agent=self.app.agent)
            try:
                ObservedWriter.adopt(store)
                result = sync(store)
            finally:
                store.close()
        except SYNC_ERRORS as exc:
            self.app.call_from_thread(self._synced, None, str(exc))
        except OSError as exc:
            self.app.call_from_thread(self._synced, None, f"the sync could not run ({exc})")
        else:
            self.app.call_from_thread(self._synced, result, "")

    def _synced(self, result: Any, error: str) -> None:
        self.syncing = False
        self.refresh_sync_status()
        if result is None:
            self.app.say(f"Sync failed: {error}", "error")
            return
        renamed = "".join(f"; {local} is now {team}" for local, team in sorted(result.new_ids.items()))
        self.app.say(f"Synced: {result.pushed} sent, {result.pulled} received, "
                     f"{result.conflicts} conflict{'s' if result.conflicts != 1 else ''}{renamed}",
                     "warning" if result.conflicts else "information")
        if result.conflicts:
            self.action_sync_conflicts()

    def action_sync_conflicts(self) -> None:
        if not self._replica():
            return
        self.app.push_screen(SyncConflictsScreen(), self._conflicts_closed)

    def _conflicts_closed(self, choice: str | None) -> None:
        self.refresh_sync_status()
        if choice == SYNC_NOW:
            self.action_sync()

    @work(thread=True, group="sync-status", exclusive=True)
    def refresh_sync_status(self) -> None:
        """What the status bar says of the replica, read beside the UI (never on its thread)."""
        store = self.app.store
        try:
            found = store.sync_status() if store.loaded and store.is_replica else None
        except SYNC_ERRORS:
            found = None
        self.app.call_from_thread(self._show_sync, found)

    def _show_sync(self, found: Any) -> None:
        for bar in self.query(StatusBar):  # none once the screen is going (a quick quit)
            bar.show_sync(found)
