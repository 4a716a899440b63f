"""`desk conflicts`: the fields changed both here and on the team's store since the last sync."""

from __future__ import annotations

import argparse
from typing import Any

from .output import printable
from .ticket_output import write_json
from .replica_common import add_data_dir, refusing, replica


def add_parser(sub: Any) -> None:
    p = sub.add_parser("conflicts", help="list this replica's conflicts (settle with `desk resolve`)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    add_data_dir(p)


def _list(args: argparse.Namespace) -> int:
    from ..core.sync import conflicts

    with replica(args, writing=False) as store:
        found = conflicts(store)
    if args.format == "json":
        write_json([{"ticket": c.ticket_id, "field": c.field, "mine": c.mine,
                          "theirs": c.theirs, "base": c.base} for c in found])
        return 0
    if not found:
        print("no conflicts")
    for c in found:
        print(f"{printable(c.ticket_id)}  {printable(c.field)}: mine {printable(c.mine)}, "
              f"theirs {printable(c.theirs)}, was {printable(c.base)}")
    return 0


def run(args: argparse.Namespace) -> int:
    return refusing("conflicts", lambda: _list(args))
