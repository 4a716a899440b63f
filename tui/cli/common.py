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
