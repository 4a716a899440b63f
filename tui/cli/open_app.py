"""`desk` with no subcommand: open the app on a store, or on a private copy of the demo."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..core import paths
from ..core.oserror import describe
from .common import EXIT_IO, EXIT_USAGE
from .output import printable


def open_app(data_dir: Path) -> int:
    from ..core.store import StoreError, open_store

    if not (data_dir / "store.json").exists():
        sys.stderr.write(
            f"desk: there is no store in {data_dir}.\n"
            "  Try the demo:        desk --demo\n"
            f"  Or create a store:   desk demo --out {data_dir}\n")
        return EXIT_USAGE
    from ..core.identity import AgentNameError, current_agent
    from ..core.permissions import world_readable_warning

    try:
        agent = current_agent()  # the uid's login: LOGNAME and USER are the caller's to set
    except AgentNameError as exc:
        sys.stderr.write(f"desk: {printable(exc)}\n")
        return EXIT_USAGE
    if os.statvfs(data_dir).f_flag & os.ST_RDONLY:
        sys.stderr.write(f"desk: {printable(data_dir)} is on a read-only file system, and desk "
                         "writes every change the moment you make it. `desk report` and "
                         "`desk check` work here; open the store from a writable disk to work "
                         "tickets.\n")
        return EXIT_IO
    warning = world_readable_warning(data_dir)
    if warning:
        sys.stderr.write(f"desk: warning: {warning}\n")
    from ..app.work_stream import metrics_settings
    from ..core.session import open_run

    # One run context for the work stream and the store's ticket events (one seq counter).
    try:
        writer, recorder = open_run(data_dir, agent, metrics_settings(paths.config_file())[0])
        store = open_store(data_dir, agent=agent, events=writer, defer_load=True)
    except StoreError as exc:
        sys.stderr.write(f"desk: {printable(exc)}\n")
        return EXIT_USAGE
    except OSError as exc:
        sys.stderr.write(f"desk: could not open the store: {describe(exc)}\n")
        return EXIT_IO
    return _run_app(store, agent, recorder)


def open_database_app(url: str) -> int:
    """The app on a PostgreSQL store: the agent is the role that logged in (the store says
    which); the session's events go to the store's events table."""
    from ..core.identity import AgentNameError, current_agent
    from ..core.session import ObservedWriter
    from ..core.store import PostgresStore, StoreError
    from ..core.worklog import WorkRecorder

    try:
        claimed = current_agent()  # heeded only for the tables' owner (see PostgresStore)
    except AgentNameError:
        claimed = None
    try:
        store = PostgresStore(url, agent=claimed)
    except StoreError as exc:
        sys.stderr.write(f"desk: {printable(exc)}\n")
        return EXIT_USAGE
    previous_run = _resume(store)
    writer = ObservedWriter.adopt(store)
    return _run_app(store, store.agent, WorkRecorder(writer, previous_run))


def _resume(store) -> str | None:
    """Give the store's run the session of the agent's last run if that run ended
    involuntarily within R (§B.3.6), as open_run does from events.jsonl; the run resumed."""
    import time

    from ..app.work_stream import metrics_settings
    from ..core.store import StoreError
    from ..core.worklog import context_after, latest_run, resume_horizon

    window = metrics_settings(paths.config_file())[0].resume_window_s
    now = time.time()
    try:
        recent = store.recent_events_of(store.agent, resume_horizon(window, now))
    except StoreError:
        return None  # a new session; the app says what is wrong with the store soon enough
    context, previous_run = context_after(latest_run(recent, store.agent), store.agent, window, now)
    store.events.context.session, store.events.context.run = context.session, context.run
    return previous_run


def _run_app(store, agent: str, recorder) -> int:
    from ..app import DeskApp
    from ..core.session import summary_after

    app = DeskApp(store, agent=agent, recorder=recorder)
    summary: list[str] = []
    try:
        app.run()
        if not app.refused:
            summary = summary_after(app.work, store)
    finally:
        recorder.run_end("error")  # a no-op unless the app died before recording its end
        lost = _close(store, recorder)
    if lost:
        sys.stderr.write(f"desk: {lost}\n")
    if app.refused:
        sys.stderr.write(f"desk: {app.refused}\n")
        return EXIT_USAGE
    if summary:
        try:
            print("\n".join(summary), flush=True)
        except OSError:
            pass  # the terminal is gone
    return app.return_code or (EXIT_IO if lost else 0)


def _close(store, recorder) -> str:
    """Close the store; what could not be saved on the way out, if anything ("" if all was)."""
    problem = ""
    try:
        store.close()
    except OSError as exc:
        problem = f"could not close the store: {describe(exc)}"
    if recorder.unwritten:
        problem = (f"{len(recorder.unwritten)} events of this session's timing could not be "
                   f"written to the event log ({recorder.write_error}); your tickets are saved")
    return problem


def open_demo() -> int:
    from datetime import datetime, timezone

    from ..core.demo import copy_demo

    workdir = Path(tempfile.mkdtemp(prefix="desk-demo-"))
    try:
        copy_demo(paths.demo_store(), workdir, datetime.now(timezone.utc))
        return open_app(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
