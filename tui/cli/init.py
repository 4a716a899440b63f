"""`desk init`: create an empty store, for one agent or (with `--shared`) for a team."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..core import paths
from .common import EXIT_USAGE, chosen_dir
from .output import error_text


def add_parser(sub: Any) -> None:
    init = sub.add_parser("init", help="create an empty store (with --shared: for a team)")
    init.add_argument("--shared", metavar="DIR", help="the team's data directory")
    init.add_argument("--group", help="the Unix group of the team (with --shared)")
    init.add_argument("--demo", action="store_true", help="fill it with the demo tickets")
    init.add_argument("--data-dir", dest="sub_data_dir")


def run(args: argparse.Namespace) -> int:
    from ..core.permissions import init_store, share_files
    from ..core.store import StoreError

    if args.shared and not args.group:
        sys.stderr.write("desk init: --shared needs --group GROUP (the team's Unix group)\n")
        return EXIT_USAGE
    data_dir = Path(args.shared) if args.shared else chosen_dir(args)
    try:
        init_store(data_dir, group=args.group)
        if args.demo:
            from datetime import datetime, timezone

            from ..core.demo import copy_demo

            copy_demo(paths.demo_store(), data_dir, datetime.now(timezone.utc))
            share_files(data_dir, data_dir.stat().st_gid if args.group else None)
    except (StoreError, OSError) as exc:
        sys.stderr.write(f"desk init: {error_text(exc)}\n")
        return EXIT_USAGE
    who = f"the group {args.group}" if args.group else "you only"
    print(f"Created a store in {data_dir}, readable and writable by {who}.")
    if args.shared:
        print(f"Each agent opens it with: desk --data-dir {data_dir}")
    return 0
