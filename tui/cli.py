"""The `desk` command: open the app, or run one of its subcommands."""

from __future__ import annotations

import argparse
import getpass
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from . import paths

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"desk: {message} (see `desk --help`)\n")
        raise SystemExit(EXIT_USAGE)


# Subcommands whose modules import the metrics engine: registered only when the command line
# could name them (or asks for help), so that opening the app does not pay for their imports.
LAZY_COMMANDS = ("metrics", "report")
OWN_COMMANDS = ("demo", "check", "init")


def _names_a_lazy_command(argv: Sequence[str]) -> bool:
    """True unless `argv` is options only or starts one of the light subcommands."""
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("-h", "--help"):
            return True
        if token == "--data-dir":
            i += 2
            continue
        if not token.startswith("-"):
            return token not in OWN_COMMANDS  # a lazy command, or a typo to list them all for
        i += 1
    return False


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser, or, given the command line, one without the subcommands it cannot name."""
    parser = _Parser(prog="desk", description="A terminal service desk for support agents.")
    parser.add_argument("--data-dir", help="the store to open (default: $DESK_DATA_DIR, "
                        "else the user data directory)")
    parser.add_argument("--demo", action="store_true",
                        help="open a private copy of the shipped demo store")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    demo = sub.add_parser("demo", help="generate a demo store")
    demo.add_argument("--out", required=True, help="an empty directory to write the store into")
    demo.add_argument("--tickets", type=int, default=300)
    demo.add_argument("--seed", type=int, default=7)

    check = sub.add_parser("check", help="validate every record; exit 1 on any problem")
    check.add_argument("--data-dir", dest="sub_data_dir")

    init = sub.add_parser("init", help="create an empty store (with --shared: for a team)")
    init.add_argument("--shared", metavar="DIR", help="the team's data directory")
    init.add_argument("--group", help="the Unix group of the team (with --shared)")
    init.add_argument("--demo", action="store_true", help="fill it with the demo tickets")
    init.add_argument("--data-dir", dest="sub_data_dir")

    if argv is None or _names_a_lazy_command(argv):
        from .cli_metrics import add_metrics_parser
        from .cli_report import add_report_parser

        add_metrics_parser(sub)
        add_report_parser(sub)
    return parser


def _chosen_dir(args: argparse.Namespace) -> Path:
    return paths.data_dir(getattr(args, "sub_data_dir", None) or args.data_dir)


def cmd_demo(args: argparse.Namespace) -> int:
    from .core.demo import generate

    if args.tickets < 1:
        sys.stderr.write("desk demo: --tickets must be at least 1\n")
        return EXIT_USAGE
    try:
        summary = generate(Path(args.out), tickets=args.tickets, seed=args.seed)
    except (FileExistsError, OSError) as exc:
        sys.stderr.write(f"desk demo: {exc}\n")
        return EXIT_USAGE
    print(f"Wrote {summary.tickets} tickets, {summary.customers} customers, {summary.products} "
          f"products, {summary.purchases} purchases and {summary.events} events to {args.out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .core.check import check_store

    data_dir = _chosen_dir(args)
    problems = check_store(data_dir)
    for problem in problems:
        print(("" if problem.fatal else "warning: ") + str(problem))
    fatal = [p for p in problems if p.fatal]
    if fatal:
        print(f"{len(fatal)} problem(s) in {data_dir}. Nothing was changed.", file=sys.stderr)
        return 1
    print(f"{data_dir}: OK")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from .core.permissions import init_store, share_files
    from .core.store import StoreError

    if args.shared and not args.group:
        sys.stderr.write("desk init: --shared needs --group GROUP (the team's Unix group)\n")
        return EXIT_USAGE
    data_dir = Path(args.shared) if args.shared else _chosen_dir(args)
    try:
        init_store(data_dir, group=args.group)
        if args.demo:
            from datetime import datetime, timezone

            from .core.demo import copy_demo

            copy_demo(paths.demo_store(), data_dir, datetime.now(timezone.utc))
            share_files(data_dir, data_dir.stat().st_gid if args.group else None)
    except (StoreError, OSError) as exc:
        sys.stderr.write(f"desk init: {exc}\n")
        return EXIT_USAGE
    who = f"the group {args.group}" if args.group else "you only"
    print(f"Created a store in {data_dir}, readable and writable by {who}.")
    if args.shared:
        print(f"Each agent opens it with: desk --data-dir {data_dir}")
    return 0


def open_app(data_dir: Path) -> int:
    from .core.store import StoreError, open_store

    if not (data_dir / "store.json").exists():
        sys.stderr.write(
            f"desk: there is no store in {data_dir}.\n"
            "  Try the demo:        desk --demo\n"
            f"  Or create a store:   desk demo --out {data_dir}\n")
        return EXIT_USAGE
    from .core.permissions import world_readable_warning

    agent = getpass.getuser()
    warning = world_readable_warning(data_dir)
    if warning:
        sys.stderr.write(f"desk: warning: {warning}\n")
    from .app import DeskApp
    from .session import open_run, summary_after
    from .session_app import metrics_settings

    # One run context for the work stream and the store's ticket events (one seq counter).
    writer, recorder = open_run(data_dir, agent, metrics_settings(paths.config_file())[0])
    try:
        store = open_store(data_dir, agent=agent, events=writer, defer_load=True)
    except StoreError as exc:
        sys.stderr.write(f"desk: {exc}\n")
        return EXIT_USAGE
    app = DeskApp(store, agent=agent, recorder=recorder)
    summary: list[str] = []
    try:
        app.run()
        if not app.refused:
            summary = summary_after(app.work, store)
    finally:
        recorder.run_end("error")  # a no-op unless the app died before recording its end
        store.close()
    if app.refused:
        sys.stderr.write(f"desk: {app.refused}\n")
        return EXIT_USAGE
    if summary:
        try:
            print("\n".join(summary), flush=True)
        except OSError:
            pass  # the terminal is gone
    return app.return_code or 0


def open_demo() -> int:
    from datetime import datetime, timezone

    from .core.demo import copy_demo

    workdir = Path(tempfile.mkdtemp(prefix="desk-demo-"))
    try:
        copy_demo(paths.demo_store(), workdir, datetime.now(timezone.utc))
        return open_app(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    if args.command == "demo":
        return cmd_demo(args)
    if args.command == "check":
        return cmd_check(args)
    if args.command == "init":
        return cmd_init(args)
    if args.command == "metrics":
        from .cli_metrics import run_metrics

        return run_metrics(args)
    if args.command == "report":
        from .cli_report import run_report

        return run_report(args)
    if args.demo:
        return open_demo()
    return open_app(_chosen_dir(args))


if __name__ == "__main__":
    sys.exit(main())
