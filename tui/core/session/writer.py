"""The run's one event writer, which tells its listeners about every event it wrote, and
opening a run (the work stream and the store's ticket events share one `RunContext`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..eventlog import EVENTS_FILE, EventWriter, RunContext, new_ulid
from ..metrics import MetricsConfig
from ..worklog import WorkRecorder, start_context

Listener = Callable[[dict[str, Any]], None]


class ObservedWriter(EventWriter):
    """An EventWriter that calls its listeners with every event it has written."""

    def __init__(self, path: Path | None, context: RunContext, fsync_every_s: float = 30.0, *,
                 inner: EventWriter | None = None):
        super().__init__(path, context, fsync_every_s)  # type: ignore[arg-type]
        self.listeners: list[Listener] = []
        self._inner = inner  # the writer of a log that is not a file (a database table)

    def write(self, event: dict[str, Any], *, fsync: bool = False) -> None:
        if self._inner is not None:
            self._inner.write(event, fsync=fsync)
        else:
            super().write(event, fsync=fsync)
        self.written([event])

    def written(self, events: list[dict[str, Any]]) -> None:
        """Tell the listeners about events now in the log (a database store's ticket events
        are inserted with their change, not through `write`, and told here after its commit)."""
        for event in events:
            self._tell(event)

    def _tell(self, event: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - the event is written; a listener never undoes that
                continue

    @classmethod
    def adopt(cls, store: Any) -> "ObservedWriter | None":
        """The store's writer, observed; replaces `store.events` if it was a plain one
        (the writer of a database table is wrapped: it keeps writing its rows).

        A store opened without a run (tests, tools) gets a fresh session and run, so that its
        app events are valid (§B.3.2: app events name agent, session and run).
        """
        writer = getattr(store, "events", None)
        if writer is None or isinstance(writer, ObservedWriter):
            return writer
        context = writer.context
        with context._mutex:
            if context.src == "app" and context.run is None:
                context.session, context.run, context._seq = new_ulid(), new_ulid(), 0
        if writer.path is None:  # the log is a database table (the PostgreSQL store)
            observed = cls(None, context, inner=writer)
        else:
            observed = cls(writer.path, context, writer.fsync_every_s)
            writer.close()
        store.events = observed
        return observed


def open_run(data_dir: Path, agent: str, config: MetricsConfig) -> tuple[ObservedWriter, WorkRecorder]:
    """The run's writer and recorder: a new session, or the last one resumed within R (§B.3.6).
    Give the writer to the store (`events=`), so that both streams share one seq counter."""
    path = Path(data_dir) / EVENTS_FILE
    context, previous = start_context(path, agent, config.resume_window_s)
    writer = ObservedWriter(path, context, fsync_every_s=max(1, config.heartbeat_s))
    return writer, WorkRecorder(writer, previous)
