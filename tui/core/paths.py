"""Where desk keeps things: the data directory and the config directory."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP = "desk"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """`--data-dir`, else `DESK_DATA_DIR`, else platformdirs' user data dir."""
    chosen = override or os.environ.get("DESK_DATA_DIR")
    return Path(chosen).expanduser() if chosen else user_data_path(APP)


def local_drafts_home(store_url: str) -> Path:
    """Where this user's drafts of a database store go (the drafts folder is made inside)."""
    import hashlib

    return data_dir() / "postgresql" / hashlib.sha256(store_url.encode()).hexdigest()[:16]


def config_dir() -> Path:
    """`DESK_CONFIG_DIR`, else platformdirs' user config dir."""
    chosen = os.environ.get("DESK_CONFIG_DIR")
    return Path(chosen).expanduser() if chosen else user_config_path(APP)


def config_file() -> Path:
    return config_dir() / "config.toml"


def demo_store() -> Path:
    """The shipped demo store: in the repo when editable, in the package when installed."""
    packaged = Path(__file__).parent.parent / "demo_store"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data" / "demo"
