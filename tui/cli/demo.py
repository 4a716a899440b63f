"""`desk demo`: write a deterministic demo store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_USAGE
from .output import error_text


def add_parser(sub: Any) -> None:
    demo = sub.add_parser("demo", help="generate a demo store")
    demo.add_argument("--out", required=True, help="an empty directory to write the store into")
    demo.add_argument("--tickets", type=int, default=300)
    demo.add_argument("--seed", type=int, default=7)


def run(args: argparse.Namespace) -> int:
    from ..core.demo import generate

    if args.tickets < 1:
        sys.stderr.write("desk demo: --tickets must be at least 1\n")
        return EXIT_USAGE
    try:
        summary = generate(Path(args.out), tickets=args.tickets, seed=args.seed)
    except (FileExistsError, OSError) as exc:
        sys.stderr.write(f"desk demo: {error_text(exc)}\n")
        return EXIT_USAGE
    print(f"Wrote {summary.tickets} tickets, {summary.customers} customers, {summary.products} "
          f"products, {summary.purchases} purchases and {summary.events} events to {args.out}")
    return 0
