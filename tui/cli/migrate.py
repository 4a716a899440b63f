"""`desk migrate --from DIR --to postgresql://…`: copy a data directory's store into a
PostgreSQL store, again and again without copying anything twice."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_USAGE
from .output import error_text, printable


def add_parser(sub: Any) -> None:
    migrate = sub.add_parser("migrate", help="copy a data directory's store into PostgreSQL")
    migrate.add_argument("--from", dest="source", required=True, metavar="DIR",
                         help="the data directory to copy")
    migrate.add_argument("--to", dest="target", required=True, metavar="URL",
                         help="the PostgreSQL store (postgresql://…)")


def run(args: argparse.Namespace) -> int:
    from ..core.store import StoreError
    from ..core.store.postgres import is_postgres_url
    from ..core.store.postgres.migrate import migrate_to_postgres

    if not is_postgres_url(args.target):
        sys.stderr.write(f"desk migrate: --to: expected a postgresql:// URL, not {args.target!r}"
                         " (migrating back to a data directory is not built yet)\n")
        return EXIT_USAGE
    source = Path(args.source)
    if not (source / "store.json").exists():
        sys.stderr.write(f"desk migrate: there is no store in {printable(source)}\n")
        return EXIT_USAGE

    def progress(what: str, done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{what}: {done}/{total}  ")
            sys.stderr.flush()

    try:
        done = migrate_to_postgres(source, args.target, progress)
    except (StoreError, ValueError, OSError) as exc:
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        sys.stderr.write(f"desk migrate: {printable(error_text(exc).splitlines()[0])}\n")
        return 1
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    counts = ", ".join(f"{n} {table}" for table, n in done.records.items())
    print(f"Copied {counts} and {done.events_added} new events"
          + (f" ({done.events_damaged} damaged event lines skipped)" if done.events_damaged else ""))
    return 0
