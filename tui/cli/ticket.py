"""`desk ticket list|show|new|update|reply|note|merge`: the queue's work for scripts, through
the same store calls and rules as the keys (revision checks, events, the agent from the login).
The verbs are in ticket_verbs.py, what they share in ticket_store.py."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .output import printable, report_errors_in_one_line
from .ticket_store import Refused


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("ticket", help="list, show, create and change tickets from scripts",
                                   description="Tickets for scripts, with the app's rules.")
    parser.add_argument("--data-dir", dest="sub_data_dir", metavar="DIR", help="the store")
    parser.add_argument("--store", dest="sub_store", metavar="URL",
                        help="a PostgreSQL store (as `desk --store`)")
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=type(parser))
    report_errors_in_one_line(parser)
    from . import ticket_verbs

    for verb in ticket_verbs.VERBS.values():
        verb_parser = verb.add(verbs)
        # After the verb too (`desk ticket list --data-dir D`); SUPPRESS keeps one given
        # before the verb.
        verb_parser.add_argument("--data-dir", dest="sub_data_dir", metavar="DIR",
                                 default=argparse.SUPPRESS, help="the store")
        verb_parser.add_argument("--store", dest="sub_store", metavar="URL",
                                 default=argparse.SUPPRESS, help="a PostgreSQL store")
        report_errors_in_one_line(verb_parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from . import ticket_verbs

    try:
        return ticket_verbs.VERBS[args.verb].run(args)
    except Refused as exc:
        sys.stderr.write(f"desk ticket {args.verb}: {printable(exc)}\n")
        return exc.code


