"""The `desk` command: one module per subcommand, imported only when the command line names it."""

from __future__ import annotations

import importlib
import sys
from typing import Sequence

from .common import EXIT_IO, EXIT_USAGE, Parser, refuse_postgres

# Each module has `add_parser(subparsers)` and `run(args) -> exit status`.
COMMANDS = {"demo": "demo", "check": "check", "init": "init", "metrics": "metrics",
            "report": "report", "ticket": "ticket", "import": "import_tickets",
            "serve": "serve", "export": "export", "migrate": "migrate", "clone": "clone",
            "sync": "sync", "sync-serve": "sync_serve", "conflicts": "conflicts",
            "resolve": "resolve"}


def _named_command(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names; "*" for help or an unknown word (list them all)."""
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("-h", "--help"):
            return "*"
        if token in ("--data-dir", "--store"):
            i += 2
            continue
        if not token.startswith("-"):
            return token if token in COMMANDS else "*"
        i += 1
    return None


def _module(command: str):
    return importlib.import_module(f"{__name__}.{COMMANDS[command]}")


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The whole parser, or, given the command line, one with only the subcommand it names
    (so opening the app imports no subcommand's module)."""
    parser = Parser(prog="desk", description="A terminal service desk for support agents.")
    parser.add_argument("--data-dir", help="the store to open (default: $DESK_DATA_DIR, "
                        "else the user data directory)")
    parser.add_argument("--store", help="a postgresql:// URL or a data directory (default: "
                        "$DESK_STORE, else store = in config.toml, else the data directory)")
    parser.add_argument("--demo", action="store_true",
                        help="open a private copy of the shipped demo store")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    named = "*" if argv is None else _named_command(argv)
    for command in (COMMANDS if named == "*" else [named] if named else []):
        _module(command).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return _run(args)
    except OSError as exc:  # one a user can cause (a read-only disk, a full one): one line
        from ..core.oserror import describe

        sys.stderr.write(f"desk: {describe(exc)}\n")
        return EXIT_IO
    except KeyboardInterrupt:
        return 130


def _run(args) -> int:
    refused = None if args.demo else refuse_postgres(args, args.command or "app")
    if refused:
        sys.stderr.write(f"desk: {refused}\n")
        return EXIT_USAGE
    if args.command:
        return _module(args.command).run(args)
    from .common import chosen_store
    from .open_app import open_app, open_database_app, open_demo

    if args.demo:
        return open_demo()
    location = chosen_store(args)  # refuse_postgres has said what is wrong with it, if anything
    return open_database_app(location) if isinstance(location, str) else open_app(location)


if __name__ == "__main__":
    sys.exit(main())
