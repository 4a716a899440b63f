"""The §B.2 settings from the `[metrics]` table of desk's TOML config file.

    [metrics]
    idle_cutoff_s = 90
    reopen_window_by_channel_s = { chat = 86400 }

    [metrics.sla_targets.high]
    first_reply_s = 3600

Keys and meanings are those of §B.2; the table holds only overrides and unknown keys are
ignored. TOML has no null, so `async_fcr_max_s` is switched off by leaving it out.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .config import MetricsConfig

TABLE = "metrics"


class MetricsConfigError(ValueError):
    """The config file cannot be read, or a `[metrics]` value is wrong: the message names both."""


def load_metrics_config(path: Path | str | None = None) -> MetricsConfig:
    """Defaults plus the `[metrics]` overrides of `path` (default: desk's config.toml).

    A missing file or table means the defaults. Values are checked strictly: `"120"` or `true`
    is not an integer.
    """
    if path is None:
        from ..paths import config_file

        path = config_file()
    path = Path(path)
    overrides = _metrics_table(path, _read_toml(path))
    try:
        return MetricsConfig.model_validate(overrides, strict=True)
    except ValidationError as exc:
        raise MetricsConfigError(f"{path}: {_first_problem(exc)}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise MetricsConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise MetricsConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise MetricsConfigError(f"{path}: not valid TOML ({exc})") from None


def _metrics_table(path: Path, document: dict[str, Any]) -> dict[str, Any]:
    table = document.get(TABLE, {})
    if not isinstance(table, dict):
        raise MetricsConfigError(f"{path}: `{TABLE}` must be a table ([{TABLE}])")
    return table


def _first_problem(exc: ValidationError) -> str:
    """`[metrics] idle_cutoff_s: Input should be … (got -5)`."""
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"])
    return f"[{TABLE}] {key}: {error['msg']} (got {error['input']!r})"
