"""`desk check`: validate every record of a store and change nothing; with `--repair`, set
damaged journal lines aside (after a backup), the one change it makes."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import chosen_dir, chosen_store
from .output import error_text, printable


def add_parser(sub: Any) -> None:
    check = sub.add_parser("check", help="validate every record; exit 1 on any problem")
    check.add_argument("--data-dir", dest="sub_data_dir")
    check.add_argument("--repair", action="store_true",
                       help="set damaged journal lines aside (the journal is backed up first)")


def run(args: argparse.Namespace) -> int:
    from ..core.check import check_store

    location = chosen_store(args)
    if isinstance(location, str):
        return _check_postgres(args, location)
    data_dir = chosen_dir(args)
    if args.repair:
        from ..core.repair import repair_journals

        try:
            for repaired in repair_journals(data_dir):
                print(f"repaired: {printable(repaired)}")
        except OSError as exc:
            print(f"desk check: could not repair {printable(data_dir)}: {error_text(exc)}", file=sys.stderr)
            return 2
    problems = check_store(data_dir)
    for problem in problems:
        print(("" if problem.fatal else "warning: ") + str(problem))
    fatal = [p for p in problems if p.fatal]
    if fatal:
        changed = "" if args.repair else " Nothing was changed."
        print(f"{len(fatal)} problem(s) in {printable(data_dir)}.{changed}", file=sys.stderr)
        return 1
    print(f"{printable(data_dir)}: OK")
    return 0


def _check_postgres(args: argparse.Namespace, url: str) -> int:
    from ..core.store.postgres.check import check_postgres
    from ..core.store.postgres.connection import describe

    if args.repair:
        print("desk check: --repair is for a data directory's journals; a PostgreSQL store has "
              "none", file=sys.stderr)
        return 2
    problems = check_postgres(url)
    for problem in problems:
        print(("" if problem.fatal else "warning: ") + str(problem))
    if any(p.fatal for p in problems):
        print(f"{sum(p.fatal for p in problems)} problem(s) in {describe(url)}. Nothing was "
              "changed.", file=sys.stderr)
        return 1
    print(f"{describe(url)}: OK")
    return 0
