"""What `desk clone`, `desk sync`, `desk conflicts` and `desk resolve` share: the replica
opened as the app opens a store, and their one-line refusals."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .output import printable
from .ticket_store import Refused, opened

EXIT_CONFLICTS = 3  # `desk sync`: done, but conflicts wait for `desk resolve`


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", dest="sub_data_dir", metavar="DIR",
                        help="the replica (default: $DESK_DATA_DIR, else the user data directory)")


@contextmanager
def replica(args: argparse.Namespace, *, writing: bool) -> Iterator[Any]:
    with opened(args, writing=writing) as store:
        if not store.is_replica:
            raise Refused(f"{printable(store.data_dir)} is not a replica (make one with "
                          "`desk clone REMOTE DIR`)")
        yield store


def refusing(command: str, work: Callable[[], int]) -> int:
    """Run `work`; a refusal or a failed sync is one line on stderr."""
    from ..core.sync import SyncError

    try:
        return work()
    except Refused as exc:
        sys.stderr.write(f"desk {command}: {printable(exc)}\n")
        return exc.code
    except SyncError as exc:
        sys.stderr.write(f"desk {command}: {printable(exc)}\n")
        return 1
