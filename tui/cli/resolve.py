"""`desk resolve TICKET FIELD mine|theirs`: settle one conflict."""

from __future__ import annotations

import argparse
from typing import Any

from .output import printable
from .replica_common import add_data_dir, refusing, replica


def add_parser(sub: Any) -> None:
    p = sub.add_parser("resolve", help="settle a conflict: keep mine (pushed at the next sync) "
                       "or theirs (the team's value)")
    p.add_argument("ticket")
    p.add_argument("field")
    p.add_argument("keep", choices=("mine", "theirs"))
    add_data_dir(p)


def _resolve(args: argparse.Namespace) -> int:
    from ..core.sync import resolve

    with replica(args, writing=True) as store:
        resolve(store, args.ticket, args.field, args.keep)
    then = " (pushed at the next `desk sync`)" if args.keep == "mine" else ""
    print(f"{printable(args.ticket)} {printable(args.field)}: kept {args.keep}{then}")
    return 0


def run(args: argparse.Namespace) -> int:
    return refusing("resolve", lambda: _resolve(args))
