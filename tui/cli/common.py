"""What every subcommand shares: the one-line usage errors and the data directory chosen."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core import paths

EXIT_USAGE = 2
EXIT_IO = 1  # an OS error: a read-only or full disk, no permission


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"desk: {message} (see `desk --help`)\n")
        raise SystemExit(EXIT_USAGE)


def chosen_dir(args: argparse.Namespace) -> Path:
    """`desk SUB --data-dir D`, else `desk --data-dir D`, else the default data directory."""
    return paths.data_dir(getattr(args, "sub_data_dir", None) or args.data_dir)


POSTGRES_COMMANDS = ("app", "ticket", "check", "migrate", "init", "metrics", "report", "export",
                     "serve", "import")  # the commands that work on a PostgreSQL store so far
DATA_DIR_OPTIONS = ("sub_data_dir", "report_data_dir", "data_dir")


class StoreChoiceError(ValueError):
    """--store, $DESK_STORE or `store` in config.toml is not a PostgreSQL URL."""


def chosen_store(args: argparse.Namespace) -> Path | str:
    """The store to open: `--store URL`, else `--data-dir`, else $DESK_STORE, else
    $DESK_DATA_DIR, else `store = "…"` in config.toml, else the default data directory.
    A PostgreSQL URL comes back as a str, a data directory as a Path."""
    import os

    from ..core.store.postgres import is_postgres_url

    directory = next((getattr(args, name) for name in DATA_DIR_OPTIONS if getattr(args, name, None)), None)
    store = getattr(args, "sub_store", None) or getattr(args, "store", None)
    for where, value, is_dir in (("--store", store, False),
                                 ("--data-dir", directory, True),
                                 ("$DESK_STORE", os.environ.get("DESK_STORE"), False),
                                 ("$DESK_DATA_DIR", os.environ.get("DESK_DATA_DIR"), True),
                                 (f"{paths.config_file()}: store", _configured_store(), False)):
        if not value:
            continue
        if is_dir:
            return paths.data_dir(value)
        if not is_postgres_url(value):
            raise StoreChoiceError(f"{where}: expected a postgresql:// URL, not {value!r} "
                                   "(a data directory is given with --data-dir)")
        return value
    return paths.data_dir()


def _configured_store() -> str | None:
    from ..config import load_config

    config, _problems = load_config(paths.config_file())  # the app reports the problems
    return config.store


def refuse_postgres(args: argparse.Namespace, command: str) -> str | None:
    """Why `command` cannot run on the chosen store: a bad store setting, or a PostgreSQL
    store it does not support yet (rather than quietly reading a data directory instead)."""
    try:
        location = chosen_store(args)
    except StoreChoiceError as exc:
        return str(exc)
    if command in POSTGRES_COMMANDS or isinstance(location, Path):
        return None
    from ..core.store.postgres.connection import describe

    name = f"desk {command}" if command != "app" else "the app"
    *others, last = [f"`desk {c}`" for c in POSTGRES_COMMANDS if c != "app"]
    return (f"{name} does not work on a PostgreSQL store yet ({describe(location)}); "
            f"the app, {', '.join(others)} and {last} do. Give --data-dir to use a data "
            "directory.")
