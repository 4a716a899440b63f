"""`desk check`: validate every record of a store; change nothing."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import chosen_dir


def add_parser(sub: Any) -> None:
    check = sub.add_parser("check", help="validate every record; exit 1 on any problem")
    check.add_argument("--data-dir", dest="sub_data_dir")


def run(args: argparse.Namespace) -> int:
    from ..core.check import check_store

    data_dir = chosen_dir(args)
    problems = check_store(data_dir)
    for problem in problems:
        print(("" if problem.fatal else "warning: ") + str(problem))
    fatal = [p for p in problems if p.fatal]
    if fatal:
        print(f"{len(fatal)} problem(s) in {data_dir}. Nothing was changed.", file=sys.stderr)
        return 1
    print(f"{data_dir}: OK")
    return 0
