"""`desk migrate --from DIR --to postgresql://…` and back (`--from postgresql://… --to DIR`):
copy a store from one backend to the other, again and again without copying anything twice."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from .common import EXIT_USAGE
from .output import error_text, printable

Progress = Callable[[str, int, int], None]


def add_parser(sub: Any) -> None:
    migrate = sub.add_parser("migrate", help="copy a store between a data directory and PostgreSQL")
    migrate.add_argument("--from", dest="source", required=True, metavar="DIR|URL",
                         help="the store to copy: a data directory or a postgresql:// URL")
    migrate.add_argument("--to", dest="target", required=True, metavar="URL|DIR",
                         help="where to copy it: the other kind")


def run(args: argparse.Namespace) -> int:
    from ..core.store import StoreError
    from ..core.store.postgres import is_postgres_url
    from ..core.store.postgres.migrate import migrate_to_postgres
    from ..core.store.postgres.migrate_back import migrate_from_postgres

    forward, back = is_postgres_url(args.target), is_postgres_url(args.source)
    if forward == back:
        sys.stderr.write("desk migrate: expected a postgresql:// URL on one side and a data "
                         "directory on the other (--from DIR --to URL, or --from URL --to DIR)\n")
        return EXIT_USAGE
    if forward and not (Path(args.source) / "store.json").exists():
        sys.stderr.write(f"desk migrate: there is no store in {printable(args.source)}\n")
        return EXIT_USAGE
    try:
        with progress_bar() as progress:
            if forward:
                done = migrate_to_postgres(Path(args.source), args.target, progress)
            else:
                done = migrate_from_postgres(args.source, Path(args.target), progress)
    except (StoreError, ValueError, OSError) as exc:
        sys.stderr.write(f"desk migrate: {printable(error_text(exc).splitlines()[0])}\n")
        return 1
    counts = ", ".join(f"{n} {table}" for table, n in done.records.items())
    print(f"Copied {counts} and {done.events_added} new events"
          + (f" ({done.events_damaged} damaged event lines skipped)" if done.events_damaged else ""))
    return 0


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A bar per table on stderr when it is a terminal (nothing in a pipe or a file): the
    `progress(what, done, total)` the migrations call."""
    if not sys.stderr.isatty():
        yield lambda what, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bars, TextColumn, TimeElapsedColumn

    tasks: dict[str, Any] = {}
    with Bars(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
              TimeElapsedColumn(), console=Console(stderr=True, highlight=False)) as bars:
        def progress(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bars.add_task(what, total=total)
            bars.update(tasks[what], completed=done, total=total)

        yield progress
