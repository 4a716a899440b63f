"""`desk import FORMAT PATH…`: tickets from another help desk or a spreadsheet into the store.
Each file is read whole first; its problems are printed as `file:line: column: reason`, and
a file with any is not written (unless `--skip-bad`). `--dry-run` writes nothing at all.
Into a data directory, or a PostgreSQL store (`--store URL`: its tables' owner only)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from .common import EXIT_USAGE, chosen_store
from .output import error_text, printable

FORMATS = ("csv", "freshdesk", "zendesk", "desk")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("import", help="import tickets from Zendesk, Freshdesk or a CSV file",
                            description="Import tickets, threads and customers into the store.")
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--mapping", help="csv: a mapping file, or a preset name "
                        "(support-dataset, generic, conversation, freshdesk); freshdesk: for its "
                        ".csv files (default: the freshdesk preset)")
    parser.add_argument("--dry-run", action="store_true", help="read everything, print counts and "
                        "problems, write nothing")
    parser.add_argument("--skip-bad", action="store_true", help="skip rows desk cannot use "
                        "(each is reported) instead of stopping before writing")
    parser.add_argument("--timezone", help="the zone of times that carry none (default UTC)")
    parser.add_argument("--data-dir", dest="sub_data_dir")
    parser.add_argument("--store", dest="sub_store", metavar="URL",
                        help="a PostgreSQL store (postgresql://…) to import into, as its tables' owner")


def _sources(args) -> list:
    from ..core.importers.cleaning import zone
    from ..core.importers.csv_format import CsvSource
    from ..core.importers.mapping import load_mapping

    tz = zone(args.timezone)
    if args.format == "csv":
        if not args.mapping:
            raise ValueError("csv needs --mapping FILE or a preset (support-dataset, generic, conversation)")
        mapping = load_mapping(args.mapping)
        return [lambda p=Path(p): CsvSource(p, mapping, tz) for p in args.paths]
    if args.format == "freshdesk":
        from ..core.importers.freshdesk import freshdesk_sources

        return freshdesk_sources([Path(p) for p in args.paths], tz, args.mapping)
    if args.format == "zendesk":
        from ..core.importers.zendesk import ZendeskSource, zendesk_people

        every = [Path(p) for p in args.paths]
        people = zendesk_people(every)  # read once for every file, at the first ticket
        return [lambda p=p: ZendeskSource(p, tz, every, people) for p in every]
    if args.format == "desk":
        from ..core.importers.desk_format import DeskSource

        return [lambda p=Path(p): DeskSource(p) for p in args.paths]
    raise ValueError(f"unknown format {args.format}")


class _Shown:
    """Progress: a rich bar on a terminal, a plain line every few seconds in a pipe."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._bar = None
        self._last = time.monotonic()  # a plain line after 2 s of work, not at once
        self._task = None

    def __call__(self, path: str, done: int, total: int, tickets: int) -> None:
        if self.tty:
            if self._bar is None:
                from rich.console import Console
                from rich.progress import (BarColumn, Progress, TextColumn, TimeRemainingColumn,
                                           TransferSpeedColumn)

                self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                     TextColumn("{task.fields[tickets]} tickets"),
                                     TransferSpeedColumn(), TimeRemainingColumn(),
                                     console=Console(stderr=True), transient=True)
                self._bar.start()
                self._task = self._bar.add_task(printable(Path(path).name), total=total, tickets=0)
            self._bar.update(self._task, completed=done, total=total, tickets=tickets)
        elif time.monotonic() - self._last >= 2:
            self._last = time.monotonic()
            pct = 100 * done // total if total else 100
            print(f"{printable(path)}: {pct}% read, {tickets} tickets", file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def run(args: argparse.Namespace) -> int:
    from ..core.importers.mapping import MappingError
    from ..core.importers.landing import import_writer
    from ..core.importers.run import check_file, import_file

    try:
        sources = _sources(args)
    except (ValueError, MappingError) as exc:
        print(f"desk import: {printable(exc)}", file=sys.stderr)
        return EXIT_USAGE
    for path in args.paths:
        if not Path(path).is_file():
            print(f"desk import: {printable(path)}: no such file", file=sys.stderr)
            return EXIT_USAGE
    shown = _Shown()
    failed = False
    store = writer = None
    try:
        if not args.dry_run:
            store = _open_store(chosen_store(args))
            writer = import_writer(store)  # on PostgreSQL, refused to an agent's role
        for make in sources:
            if args.dry_run:
                result = check_file(make(), shown)
                counts = None
            else:
                result, counts = import_file(store, make, skip_bad=args.skip_bad, progress=shown,
                                             writer=writer)
            shown.stop()
            for problem in result.problems:
                print(problem)
            name = printable(result.path)
            if args.dry_run:
                print(f"{name}: {result.tickets} tickets readable, {len(result.bad)} problem(s); "
                      "nothing written (dry run)")
                failed = failed or bool(result.bad)
            elif not result.written:
                print(f"{name}: {len(result.bad)} problem(s); nothing written from this file "
                      "(fix them, or use --skip-bad to import the rest)", file=sys.stderr)
                failed = True
            else:
                print(f"{name}: {counts.created} new, {counts.updated} updated, {counts.unchanged} "
                      f"unchanged tickets; {counts.customers} new customers, {counts.products} "
                      f"products, {counts.purchases} purchases; {counts.events} events"
                      + (f"; {len(result.bad)} row(s) skipped" if result.bad else ""))
        if writer is not None:
            writer.finish()  # once for every file: the journals folded into snapshots
    except Exception as exc:  # noqa: BLE001 - a store or disk error: one line, never a traceback
        shown.stop()
        from ..core.store import StoreError

        if not isinstance(exc, (StoreError, OSError)):
            raise
        print(f"desk import: {error_text(exc)}", file=sys.stderr)
        return 1
    finally:
        shown.stop()
        if writer is not None:
            writer.close()
        if store is not None:
            store.close()
    return 1 if failed else 0


def _open_store(location: Path | str):
    from ..core.permissions import init_store
    from ..core.store import PostgresStore, TinyDBStore

    if isinstance(location, str):  # a PostgreSQL URL: its tables are made if missing
        return PostgresStore(location)
    directory = location
    if not (directory / "store.json").exists():
        init_store(directory)
    return TinyDBStore(directory, load=False)  # the import never holds the store's tables
