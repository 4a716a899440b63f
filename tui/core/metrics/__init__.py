"""The desk metrics engine (metrics-spec Part B): a pure function of an event log, a config and T."""

from .config import MetricsConfig
from .engine import as_of_millis, compute
from .reading import ReadSummary, read_event_files
from .times import format_time, parse_time

__all__ = [
    "MetricsConfig",
    "ReadSummary",
    "as_of_millis",
    "compute",
    "format_time",
    "parse_time",
    "read_event_files",
]
