"""What the subcommands print: terminal-safe strings, terminal-safe JSON, one-line errors."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core.safetext import one_line

USAGE_ERROR = 2
# JSON already escapes C0; these it would write as they are. Escaped, the data is the same.
_JSON_ESCAPE = {code: f"\\u{code:04x}" for code in (0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F),
                                                     *range(0x2066, 0x206A))}


def printable(value: object) -> str:
    """A user string (agent, ticket, label, detail) as it may go to a terminal: one line,
    every control character shown, never obeyed (the one safe-text path, `core.safetext`)."""
    return one_line(value)


def error_text(exc: BaseException) -> str:
    """An error as one line: an OS error with its file and what to do (`core.oserror`), any
    other (a store's own message already names its file) as it is, shown safely."""
    from ..core.oserror import describe
    from ..core.store.errors import StoreError

    if isinstance(exc, OSError) and not isinstance(exc, StoreError):
        return describe(exc)
    return one_line(exc)


def json_bytes(document: Any) -> bytes:
    """`document` as indented UTF-8 JSON, with no character a terminal would obey: C0 is
    escaped by json itself, DEL, C1 and the bidi overrides here (the same JSON data)."""
    return json.dumps(document, ensure_ascii=False, indent=2).translate(_JSON_ESCAPE).encode() + b"\n"


def report_errors_in_one_line(parser: argparse.ArgumentParser) -> None:
    """argparse prints usage plus an error; desk prints one line and exits with status 2."""

    def error(message: str) -> None:
        parser.exit(USAGE_ERROR, f"{parser.prog}: error: {message}\n")

    parser.error = error  # type: ignore[method-assign]
