"""`desk metrics`: the service metrics of an event log as of T (metrics-spec §B.10)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..core.eventlog import EVENTS_FILE
from ..core.metrics import (
    MetricsConfig,
    ReadSummary,
    compute,
    parse_time,
    read_event_files,
)
from .output import USAGE_ERROR, json_bytes, printable, report_errors_in_one_line
from .store_log import postgres_log, store_location


class UsageError(Exception):
    """A bad argument or an unreadable file: one line on stderr, exit status 2."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `metrics` on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "metrics",
        help="compute FCR, handle time and related metrics from the event log",
        description="Compute the metrics of one or more event logs as of a time T.",
    )
    parser.add_argument(
        "--events", action="append", metavar="FILE",
        help="an event log (JSON Lines); repeat for more. Default: the store's log "
             "(<data dir>/events.jsonl, or a PostgreSQL store's events table)",
    )
    parser.add_argument("--store", dest="sub_store", metavar="URL",
                        help="a PostgreSQL store (postgresql://…) whose event log to read")
    parser.add_argument("--as-of", required=True, metavar="T", help="evaluation time, RFC 3339 / ISO 8601 (UTC)")
    parser.add_argument("--config", metavar="FILE", help="a JSON object of overrides of the defaults")
    parser.add_argument("--format", choices=("json", "table"), default="json", help="output format")
    parser.set_defaults(func=run)
    report_errors_in_one_line(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        as_of = _as_of(args.as_of)
        config = _config(args.config)
        document = _document(args, config, as_of)
    except UsageError as exc:
        print(f"desk metrics: {printable(exc)}", file=sys.stderr)
        return USAGE_ERROR
    if args.format == "json":
        sys.stdout.buffer.write(json_bytes(document))
        sys.stdout.flush()
    else:
        print_tables(document)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry: `main(["metrics", "--events", ...])` behaves like `desk metrics ...`."""
    parser = argparse.ArgumentParser(prog="desk")
    parser.add_argument("--data-dir", help="the data directory (default: DESK_DATA_DIR or the user data dir)")
    report_errors_in_one_line(parser)
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def _as_of(text: str) -> int:
    try:
        return parse_time(text)
    except ValueError:
        raise UsageError(f"--as-of: {text!r} is not an RFC 3339 / ISO 8601 time") from None


def _config(path: str | None) -> MetricsConfig:
    if path is None:
        return MetricsConfig()
    try:
        overrides = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"config file {path} is not valid JSON: {exc}") from None
    if not isinstance(overrides, dict):
        raise UsageError(f"config file {path} must hold a JSON object")
    try:
        return MetricsConfig.model_validate(overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"config file {path}: {problems}") from None


def _document(args: argparse.Namespace, config: MetricsConfig, as_of: int) -> dict[str, Any]:
    """The document of the files named, else of the chosen store's log: a data directory's
    events.jsonl, or a PostgreSQL store's events table (streamed, never one list)."""
    location = None if args.events else store_location(args, UsageError)
    if not isinstance(location, str):
        paths = [Path(p) for p in args.events] if args.events else [location / EVENTS_FILE]
        events, summary = _read(paths)
        return compute(events, config, as_of, summary)
    with postgres_log(location, UsageError) as (_store, events):
        return compute(events, config, as_of)



def _read(paths: list[Path]) -> tuple[list[dict[str, Any]], ReadSummary]:
    try:
        return read_event_files(paths)
    except OSError as exc:
        name = exc.filename if exc.filename is not None else paths[0]
        raise UsageError(f"cannot read events file {name}: {exc.strerror or exc}") from None


def print_tables(document: dict[str, Any]) -> None:
    """The human view: sessions, agents, team, tickets and warnings. Data is never markup."""
    console = Console(highlight=False)
    counts = document["input"]
    console.print(Text(printable(
        f"desk metrics as of {document['as_of']} · period {document['period']['start']} – "
        f"{document['period']['end']} · {counts['events']} events, {len(document['warnings'])} warnings"
    )))
    for table in (_sessions_table(document), _agents_table(document), _team_table(document),
                  _tickets_table(document), _warnings_table(document)):
        if table.row_count:
            console.print(table)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=Text(title), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in columns:
        table.add_column(Text(column), overflow="fold")
    return table


def _row(table: Table, *values: Any) -> None:
    table.add_row(*(Text(_cell(value)) for value in values))


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(map(printable, value)) or "–"
    return printable(value)


def _seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:g} s"


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.1f}%"


def _fcr(rate: dict[str, Any]) -> str:
    decided = rate["fcr"] + rate["not_fcr"]
    text = f"{rate['fcr']}/{decided}" + (f" ({_percent(rate['final'])})" if decided else "")
    waiting = rate["pending"] + rate["open"]
    return text + (f", {waiting} provisional" if waiting else "")


def _share(rate: dict[str, Any]) -> str:
    return f"{rate['num']}/{rate['den']}" + (f" ({_percent(rate['rate'])})" if rate["den"] else "")


def _sessions_table(document: dict[str, Any]) -> Table:
    table = _table("Sessions", "session", "agent", "staffed", "work", "items", "AHT", "FCR", "solved",
                   "per h", "util")
    for session_id, s in document["sessions"].items():
        _row(table, session_id, s["agent"], _seconds(s["staffed_s"]),
             _seconds(s["total_work_s"]), s["items"], _seconds(s["aht_s"]), _fcr(s["fcr"]), s["solved"],
             s["solved_per_hour"], _percent(s["utilization"]))
    return table


def _agents_table(document: dict[str, Any]) -> Table:
    table = _table("Agents (period)", "agent", "items", "AHT", "AHT/ticket", "FCR", "FCR matured",
                   "reopens", "CSAT", "backlog")
    for agent_id, a in document["agents"].items():
        _row(table, agent_id, a["items"], _seconds(a["aht_touch_s"]), _seconds(a["aht_ticket_s"]),
             _fcr(a["rolling_fcr"]), _fcr(a["rolling_fcr_matured"]), _share(a["reopen_rate"]),
             _csat(a["csat"]), a["backlog"]["n"])
    return table


def _team_table(document: dict[str, Any]) -> Table:
    team = document["team"]
    table = _table("Team (period)", "FCR", "FCR matured", "AHT/ticket", "resolved", "reopens",
                   "repeats", "CSAT")
    _row(table, _fcr(team["fcr"]), _fcr(team["fcr_matured"]), _seconds(team["aht_ticket_s"]),
         team["tickets_resolved"], _share(team["reopen_rate"]), _share(team["repeat_rate"]), _csat(team["csat"]))
    return table


def _csat(csat: dict[str, Any]) -> str:
    if not csat["n"]:
        return "–"
    text = f"{csat['pct']:g}% of {csat['n']}"
    return text + (" (low n)" if csat["low_n"] else "")


def _tickets_table(document: dict[str, Any]) -> Table:
    table = _table("Tickets", "ticket", "channel", "status", "handler", "FCR agent", "FCR team",
                   "reasons", "handle", "1st reply")
    for ticket_id, t in document["tickets"].items():
        _row(table, ticket_id, t["channel"], t["status"], t["first_handler"], t["fcr_agent"] or t["excluded"],
             t["fcr_team"] or t["excluded"], t["reasons_agent"], _seconds(t["handle_s"]),
             _seconds(t["first_reply_s"]))
    return table


def _warnings_table(document: dict[str, Any]) -> Table:
    table = _table("Warnings", "code", "detail")
    for warning in document["warnings"]:
        _row(table, warning["code"], warning["detail"])
    return table
