"""`desk init`: create an empty store, for one agent or (with `--shared`) for a team; with
`--store postgresql://…`, the tables on a database server and (`--agents-role`) the rights
of the agents' group role (core/store/postgres/grants.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..core import paths
from .common import EXIT_USAGE, chosen_dir, chosen_store
from .output import error_text, printable


def add_parser(sub: Any) -> None:
    init = sub.add_parser("init", help="create an empty store (with --shared: for a team)")
    init.add_argument("--shared", metavar="DIR", help="the team's data directory")
    init.add_argument("--group", help="the Unix group of the team (with --shared)")
    init.add_argument("--demo", action="store_true", help="fill it with the demo tickets")
    init.add_argument("--data-dir", dest="sub_data_dir")
    init.add_argument("--store", dest="sub_store", metavar="URL",
                      help="a PostgreSQL store (postgresql://…) to make, as its administrator")
    init.add_argument("--agents-role", metavar="ROLE",
                      help="with a PostgreSQL store: the group role (NOLOGIN) whose members are "
                      "the agents, made if missing, given exactly the rights agents need")


def run(args: argparse.Namespace) -> int:
    from ..core.permissions import init_store, share_files
    from ..core.store import StoreError

    named_store = args.sub_store or getattr(args, "store", None)
    location = chosen_store(args) if named_store or not args.shared else None
    if isinstance(location, str):
        return init_postgres(args, location)
    if args.agents_role:
        sys.stderr.write("desk init: --agents-role is for a PostgreSQL store (--store "
                         "postgresql://…); a data directory's team is a Unix group (--group)\n")
        return EXIT_USAGE
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


def init_postgres(args: argparse.Namespace, url: str) -> int:
    """The tables (if the schema has none), then the agents' rights; what was done, and how
    the administrator adds an agent."""
    from ..core.store import PostgresStore, StoreError
    from ..core.store.postgres.grants import (GrantsRefused, add_agent_commands, agent_url,
                                              check_role_name)
    from ..core.store.postgres.schema import SCHEMA_VERSION

    if args.shared or args.group or args.demo:
        sys.stderr.write("desk init: --shared, --group and --demo are for a data directory; "
                         "a PostgreSQL store's team is its agents' role (--agents-role)\n")
        return EXIT_USAGE
    try:
        if args.agents_role:
            check_role_name(args.agents_role)
        store = PostgresStore(url)
    except (StoreError, GrantsRefused) as exc:
        sys.stderr.write(f"desk init: {printable(error_text(exc).splitlines()[0])}\n")
        return EXIT_USAGE if isinstance(exc, GrantsRefused) else 1
    try:
        print(f"{store.where}: desk's tables are ready (schema {SCHEMA_VERSION}).")
        if not args.agents_role:
            print("No agents' rights given: run again with --agents-role ROLE to give them.")
            return 0
        granted = store.grant_agents(args.agents_role)
    except (StoreError, GrantsRefused) as exc:
        sys.stderr.write(f"desk init: {printable(error_text(exc).splitlines()[0])}\n")
        return 1
    finally:
        store.close()
    if not granted.created:
        print(f"The group role {granted.role} was already there; its rights are given again.")
    for line in granted.done:
        print(f"  {line}")
    print(f"To add an agent (here alice), as an administrator in psql on database {granted.database}:")
    for line in add_agent_commands(granted):
        print(f"  {line}")
    print(f"Each agent then opens desk with --store '{printable(agent_url(url))}' (libpq's "
          "user is the OS login unless the URL names one; the server checks it: peer or "
          "password authentication, as pg_hba.conf says)")
    return 0
