"""`desk serve`: the same app in a browser, through textual-serve. Each browser tab runs its own
`desk` process on the server, as the user who started `desk serve` (that login is the agent).

Bound to 127.0.0.1 unless told otherwise. Every request needs the access token printed at start
(in the URL once; the page then keeps it in a cookie): on a shared host, loopback is open to
every local user, and the app acts as the login that serves it (on a PostgreSQL store, the
database role that login connects as). Bound to another address, desk
warns that anyone who can reach it and has the URL works as that agent, over plain HTTP.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import shlex
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_IO, EXIT_USAGE, chosen_store
from .output import printable, report_errors_in_one_line

def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "serve", help="the app in a browser (textual-serve), on 127.0.0.1 by default",
        description="Serve desk to a browser. Open the URL it prints (it carries the access token).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default 127.0.0.1; another one is warned about)")
    parser.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    parser.add_argument("--data-dir", dest="sub_data_dir", metavar="DIR", help="the store")
    report_errors_in_one_line(parser)
    return parser


def unreachable(url: str) -> str | None:
    """Why the PostgreSQL store cannot be opened now (each tab would say the same), or None."""
    from ..core.store import PostgresStore, StoreError

    try:
        PostgresStore(url).close()
    except StoreError as exc:
        return str(exc)
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_command(data_dir: Path | None) -> str:
    """The shell command textual-serve runs for each browser: this desk, on the same store
    (a PostgreSQL store's URL goes in $DESK_STORE, never on a command line others can read:
    it may hold a password)."""
    store = ["--data-dir", str(data_dir)] if data_dir is not None else []
    return shlex.join([sys.executable, "-m", "tui", *store])


def run(args: argparse.Namespace) -> int:
    location = chosen_store(args)
    if isinstance(location, str):
        problem = unreachable(location)
        if problem is not None:
            sys.stderr.write(f"desk serve: {problem}\n")
            return EXIT_IO
        os.environ["DESK_STORE"] = location  # each tab's desk inherits it (app_command)
        data_dir = None
    else:
        data_dir = location
        if not (data_dir / "store.json").exists():
            sys.stderr.write(f"desk serve: there is no store in {printable(data_dir)} "
                             "(create one with `desk init` or `desk demo --out DIR`)\n")
            return EXIT_USAGE
    if not 0 < args.port < 65536:
        sys.stderr.write(f"desk serve: --port {args.port} is not a port (1-65535)\n")
        return EXIT_USAGE
    token = secrets.token_urlsafe(24)
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{url_host}:{args.port}/?token={token}"
    if not is_loopback(args.host):
        sys.stderr.write(
            f"desk serve: WARNING: listening on {printable(args.host)}, not only this machine. "
            "Anyone who can reach it and has the URL below works as your agent, and plain HTTP "
            "is readable on the way: use a trusted network or an SSH tunnel "
            "(ssh -L 8000:127.0.0.1:8000 host, with desk serve on its default address).\n")
    from .serve_server import DeskServer

    server = DeskServer(app_command(data_dir), token=token, url=url, host=args.host,
                        port=args.port, title="desk")
    server.serve()
    return 0
