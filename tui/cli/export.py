"""`desk export --format json|csv [--filter F] [--output FILE]`: the store's tickets (archived
ones too) with their threads, customers, products and purchases. JSON is desk's export format
(JSON Lines, tui/core/exporting.py), which `desk import desk FILE` reads back; CSV is one row
per ticket, for a spreadsheet. A file is written whole or not at all (temp file, fsync,
rename); without `--output` the export goes to standard output."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Iterator

from .common import EXIT_USAGE
from .output import error_text, printable

FORMATS = ("json", "csv")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("export", help="export tickets, threads, customers and purchases",
                            description="Export tickets (archived ones too) with their threads, "
                            "customers, products and purchases.")
    parser.add_argument("--format", choices=FORMATS, default="json",
                        help="json: desk's export format, read back by `desk import desk` "
                        "(default); csv: one row per ticket")
    parser.add_argument("--filter", default="", metavar="FILTER", help="the queue's filter, "
                        "e.g. 'status:open tag:vip' (quote it; one starting with - as "
                        "--filter=-status:closed)")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="the file to write, whole or not at all (default: standard output)")
    parser.add_argument("--data-dir", dest="sub_data_dir", metavar="DIR")
    parser.add_argument("--store", dest="sub_store", metavar="URL",
                        help="a PostgreSQL store (postgresql://…) to export")


def _usage(message: str) -> int:
    sys.stderr.write(f"desk export: {printable(message)}\n")
    return EXIT_USAGE


def _output_problem(output: Path) -> str | None:
    """Why `output` cannot be written, found before the store is read."""
    if output.is_dir():
        return f"{output}: is a folder; name a file to write"
    if not output.parent.is_dir():
        return f"{output}: the folder {output.parent} does not exist"
    return None


def run(args: argparse.Namespace) -> int:
    from ..core.filter import parse
    from .ticket_store import Refused, now, opened

    flt = parse(args.filter)
    if flt.notes:
        return _usage(f"bad filter {args.filter!r}: {'; '.join(flt.notes)}")
    output = Path(args.output) if args.output else None
    if output is not None and (problem := _output_problem(output)):
        return _usage(problem)
    try:
        with opened(args, writing=False) as store:
            from ..core.exporting import select

            selection = select(store, flt, store.agent)
    except Refused as exc:
        sys.stderr.write(f"desk export: {exc}\n")
        return exc.code
    chunks = _chunks(args.format, selection, args.filter, now())
    try:
        if output is None:
            _write_stdout(chunks)
        else:
            _write_file(output, chunks)
    except OSError as exc:  # a full disk, a folder this login may not write in
        reason = printable(exc.strerror or error_text(exc))
        if output is None:
            sys.stderr.write(f"desk export: standard output: {reason}\n")
        else:
            sys.stderr.write(f"desk export: cannot write {printable(output)}: {reason}; "
                             "nothing written\n")
        return 1
    if output is not None:
        sys.stderr.write(f"desk export: {len(selection.tickets)} tickets, "
                         f"{len(selection.customers)} customers, {len(selection.products)} "
                         f"products, {len(selection.purchases)} purchases to "
                         f"{printable(output)}\n")
    return 0


def _chunks(fmt: str, selection, filter_text: str, when) -> Iterator[bytes]:
    if fmt == "csv":
        from ..core.export_csv import csv_chunks

        return csv_chunks(selection)
    from ..core.exporting import json_lines

    return json_lines(selection, filter_text, when)


def _write_stdout(chunks: Iterator[bytes]) -> None:
    """To standard output; a reader that stops early (`| head`) ends the export quietly."""
    try:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # so that the exit's flush finds no pipe
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _write_file(output: Path, chunks: Iterator[bytes]) -> None:
    from ..core.fileio import AtomicStream

    with AtomicStream(output) as out:
        for chunk in chunks:
            out.write(chunk)
        out.commit()
