"""`desk sync-serve DIR`: the far side of `desk clone` and `desk sync`, started by ssh and
spoken to over stdin/stdout; not for people."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("sync-serve", help="the team side of clone/sync (run by ssh)")
    p.add_argument("directory", help="the team store")


def run(args: argparse.Namespace) -> int:
    from ..core.sync.serve import main

    return main(args.directory)
