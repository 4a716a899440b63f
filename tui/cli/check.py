"""`desk check`: validate every record of a store and change nothing; with `--repair`, set
damaged journal lines aside (after a backup), the one change it makes."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import chosen_dir
from .output import error_text, printable


def add_parser(sub: Any) -> None:
    check = sub.add_parser("check", help="validate every record; exit 1 on any problem")
    check.add_argument("--data-dir", dest="sub_data_dir")
    check.add_argument("--repair", action="store_true",
                       help="set damaged journal lines aside (the journal is backed up first)")


def run(args: argparse.Namespace) -> int:
    from ..core.check import check_store

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
