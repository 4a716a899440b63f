"""desk's settings: `config.toml` in the config directory, read into a Pydantic model.

    theme = "ansi-dark"
    poll_seconds = 1.0
    bell_on_new_ticket = true   # also ring the terminal bell when a ticket arrives in the view
    store = "postgresql:///desk?host=/run/postgresql"   # else the data directory

    [keymap]
    "ticket.reply" = "R"
    "queue.down" = "j,down,ctrl+n"

Only `theme` is ever written back, in place, so comments and the rest stay.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .core.fileio import atomic_write

_THEME_LINE = re.compile(r"(?m)^theme\s*=.*$")
_TABLE = re.compile(r"(?m)^\s*\[")


class Config(BaseModel):
    model_config = ConfigDict(extra="ignore")

    theme: str | None = None  # None: pick one that suits the terminal
    poll_seconds: float = Field(default=1.0, ge=0.1, le=60)
    keymap: dict[str, str] = Field(default_factory=dict)
    editor: str | None = None  # else $VISUAL, then $EDITOR
    bell_on_new_ticket: bool = False  # the toast for a new ticket in the view also rings
    store: str | None = None  # a `postgresql://` URL or a data directory (see `desk --store`)


def load_config(path: Path) -> tuple[Config, list[str]]:
    """The settings, and what was wrong with the file (then defaults are used)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(), []
    except OSError as exc:
        return Config(), [f"{path}: cannot read it ({exc.strerror}); using defaults"]
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return Config.model_validate(data), []
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Config(), [f"{path}: not valid TOML ({exc}); using defaults"]
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return Config(), [f"{path}: {where}: {err['msg']}; using defaults"]


def save_theme(path: Path, theme: str) -> None:
    """Set `theme = "…"` in the file, keeping everything else as it is."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    line = f"theme = {json.dumps(theme)}"
    table = _TABLE.search(text)
    split = table.start() if table else len(text)
    top, rest = text[:split], text[split:]
    if _THEME_LINE.search(top):
        top = _THEME_LINE.sub(lambda _: line, top, count=1)
    else:
        top = f"{line}\n{top}"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (top + rest).encode("utf-8"))


def default_theme(environ: Mapping[str, str] = os.environ) -> str:
    """ANSI colours on 16-colour terminals (TERM=xterm, screen, linux), else textual-dark."""
    term = environ.get("TERM", "")
    rich_colour = "256" in term or environ.get("COLORTERM") in ("truecolor", "24bit")
    return "textual-dark" if rich_colour or not term else "ansi-dark"
