"""`desk clone REMOTE [DIR]`: make an offline replica of a team store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import chosen_dir
from .output import printable
from .replica_common import refusing


def add_parser(sub: Any) -> None:
    p = sub.add_parser("clone", help="make an offline replica of a team store (user@host:/path, "
                       "ssh://user@host[:port]/path or a local path)")
    p.add_argument("remote", help="the team store: user@host:/srv/desk, ssh://user@host:22/srv/desk or a path")
    p.add_argument("directory", nargs="?", help="the new replica (default: --data-dir, else "
                   "$DESK_DATA_DIR, else the user data directory)")
    p.add_argument("--only", default="", metavar="FILTER",
                   help="keep only the active tickets this queue filter matches")
    p.add_argument("--remote-desk", metavar="COMMAND",
                   help="the desk command on the remote host (default: $DESK_REMOTE_COMMAND, else desk)")
    p.add_argument("--data-dir", dest="sub_data_dir", metavar="DIR", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from ..core.sync import clone

    target = Path(args.directory) if args.directory else chosen_dir(args)

    def work() -> int:
        count = clone(args.remote, target, args.only, remote_desk=args.remote_desk)
        print(f"Cloned {count} active tickets from {printable(args.remote)} into "
              f"{printable(target)}.")
        print(f"Work offline with `desk --data-dir {printable(target)}`, then run "
              f"`desk sync --data-dir {printable(target)}`.")
        return 0
    return refusing("clone", work)
