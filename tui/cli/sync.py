"""`desk sync`: push the replica's changes and pull the team's; `--status` only says where
the replica stands."""

from __future__ import annotations

import argparse
from typing import Any

from .output import printable
from .replica_common import EXIT_CONFLICTS, add_data_dir, refusing, replica


def add_parser(sub: Any) -> None:
    p = sub.add_parser("sync", help="push this replica's changes and pull the team's")
    p.add_argument("--status", action="store_true",
                   help="show the remote, changes not synced, conflicts and the last sync")
    p.add_argument("--remote-desk", metavar="COMMAND",
                   help="the desk command on the remote host (default: $DESK_REMOTE_COMMAND, else desk)")
    add_data_dir(p)


def _status(args: argparse.Namespace) -> int:
    from ..core.sync import status

    with replica(args, writing=False) as store:
        found = status(store)
    last = found.last_sync.astimezone().strftime("%Y-%m-%d %H:%M") if found.last_sync else "never"
    print(f"remote: {printable(found.remote)}")
    print(f"changes not synced: {found.pending}")
    print(f"conflicts: {found.conflicts}")
    print(f"last sync: {last}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    from ..core.sync import sync

    with replica(args, writing=True) as store:
        result = sync(store, remote_desk=args.remote_desk)
    print(f"pushed {result.pushed}, pulled {result.pulled}, conflicts {result.conflicts}, "
          f"events merged {result.events}, sent {result.bytes_sent} bytes")
    for local, team in sorted(result.new_ids.items()):
        print(f"{local} is now {team}")
    if result.conflicts:
        print("see them with `desk conflicts`; settle each with `desk resolve TICKET FIELD mine|theirs`")
        return EXIT_CONFLICTS
    return 0


def run(args: argparse.Namespace) -> int:
    return refusing("sync", lambda: _status(args) if args.status else _sync(args))
