"""`desk report`: FCR, AHT, CSAT, reopens and solved per hour of a period, as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..core.eventlog import EVENTS_FILE
from ..core.humanize import clock
from ..core.metrics import ReadSummary, read_event_files
from ..core.metrics.settings import MetricsConfigError, load_metrics_config
from ..core.reporting import (
    DIMENSIONS,
    ReportError,
    StoreDimensions,
    build_report,
    report_period,
)
from ..core.safetext import spreadsheet_cell
from .output import USAGE_ERROR, error_text, json_bytes, printable, report_errors_in_one_line
from .store_log import postgres_log, store_location

LEGEND_WIDTH = 100


class UsageError(Exception):
    """No store, an unreadable event log: one line on stderr, exit status 2."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `report` on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "report",
        help="FCR, AHT, CSAT, reopens and solved/hour for a period, per agent or segment",
        description="Service metrics of one period (default: the last rolling_window_s, 30 days), "
                    "for the team and each agent, or grouped by a ticket segment.",
    )
    parser.add_argument("--agent", metavar="A", help="only this agent's work")
    parser.add_argument("--since", metavar="D", help="start: a UTC date (YYYY-MM-DD, from 00:00) or RFC 3339 time")
    parser.add_argument("--until", metavar="D", help="end: a UTC date (until 24:00) or RFC 3339 time; default now")
    parser.add_argument("--by", choices=DIMENSIONS, help="one row per segment instead of per agent")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    parser.add_argument("--data-dir", dest="report_data_dir", metavar="DIR", help="the store (as `desk --data-dir`)")
    parser.add_argument("--store", dest="sub_store", metavar="URL", help="a PostgreSQL store (postgresql://…)")
    parser.set_defaults(func=run)
    report_errors_in_one_line(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        report = _build(args)
    except (UsageError, ReportError, MetricsConfigError) as exc:
        print(f"desk report: {printable(exc)}", file=sys.stderr)  # it may name agents
        return USAGE_ERROR
    if args.format == "json":
        sys.stdout.buffer.write(json_bytes(report))
        sys.stdout.flush()
    elif args.format == "csv":
        write_csv(report, sys.stdout)
    else:
        print_table(report, Console(highlight=False))
    return 0


def _build(args: argparse.Namespace) -> dict[str, Any]:
    config = load_metrics_config()
    since, until = report_period(args.since, args.until, time.time_ns() // 1_000_000, config.rolling_window_s)
    location = store_location(args, UsageError)
    if isinstance(location, str):
        return _build_postgres(location, args, config, since, until)
    dimensions = _store_dimensions(location)
    events, read = _read_events(location / EVENTS_FILE)
    return build_report(events, config, since, until, dimensions, agent=args.agent, by=args.by, read=read)



def _build_postgres(url: str, args: argparse.Namespace, config: Any, since: int, until: int) -> dict[str, Any]:
    """The same report from a PostgreSQL store: its records, and its events table streamed
    (twice, from one snapshot) instead of events.jsonl."""
    with postgres_log(url, UsageError) as (store, events):
        dimensions = StoreDimensions.from_store(store.products(), store.customers(), store.ticket_fields())
        return build_report(events, config, since, until, dimensions, agent=args.agent, by=args.by)


def _store_dimensions(directory: Path) -> StoreDimensions:
    from ..core.store import StoreError, TinyDBStore

    if not (directory / "store.json").exists():
        raise UsageError(f"there is no store in {directory} (create one with `desk init` or `desk demo --out DIR`)")
    try:
        store = TinyDBStore(directory)
    except (StoreError, OSError) as exc:
        raise UsageError(error_text(exc)) from None
    try:
        return StoreDimensions.from_store(store.products(), store.customers(), store.ticket_docs(include_archive=True))
    except (StoreError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    finally:
        store.close()


def _read_events(path: Path) -> tuple[list[dict[str, Any]], ReadSummary]:
    """A store without an event log yet has no events; any other read failure is an error."""
    try:
        return read_event_files([path])
    except FileNotFoundError:
        return [], ReadSummary()
    except OSError as exc:
        raise UsageError(f"cannot read events file {path}: {exc.strerror or exc}") from None


# -- CSV -------------------------------------------------------------------------------------


def write_csv(report: dict[str, Any], out: Any) -> None:
    """A header row, the overall row, then one row per agent or segment. Nested figures become
    columns joined by `_` (fcr_team_final_num); null is an empty cell. Each string cell is
    `spreadsheet_cell`'s, to a terminal, a file or a pipe alike: control characters shown, not
    obeyed, and a leading `'` before what a spreadsheet would run as a formula (`=1+1`)."""
    rows = [_csv_row(report, row) for row in [report["overall"], *report["rows"]]]
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)


def _csv_row(report: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    head = {"period_start": report["period"]["start"], "period_end": report["period"]["end"],
            "agent": report["agent"]}
    return {name: _csv_cell(value) for name, value in [*head.items(), *_flatten(row)]}


def _flatten(values: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in values.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}_")
        else:
            yield f"{prefix}{name}", value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_cell(value)


# -- the tables ------------------------------------------------------------------------------


def print_table(report: dict[str, Any], console: Console) -> None:
    """Three narrow tables with the same rows: resolution, effort, satisfaction. The overall row
    comes first. A figure over fewer than min_n cases is grey and marked `*`. Data is never markup."""
    console.print(_heading(report))
    for title, columns, cells in _TABLES:
        console.print()
        console.print(Text(title, style="bold"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column(Text(report["by"] or "agent"), overflow="fold", max_width=28)
        for name in columns:
            table.add_column(Text(name), justify="right", no_wrap=True)
        table.add_row(*_row(report["overall"], cells), style="bold")
        if report["rows"]:
            table.add_section()
        for row in report["rows"]:
            table.add_row(*_row(row, cells))
        console.print(table)
    console.print(_legend(report), style="dim", width=min(console.width, LEGEND_WIDTH))


def _heading(report: dict[str, Any]) -> Text:
    start, end = report["period"]["start"], report["period"]["end"]
    scope = f"agent {report['agent']}" if report["agent"] else "team"
    by = f" · by {report['by']}" if report["by"] else ""
    return Text(f"desk report · {printable(scope)}{by} · {_minute(start)} → {_minute(end)} UTC")


def _minute(timestamp: str) -> str:
    return timestamp[:16].replace("T", " ")


Cell = tuple[str, bool]  # the text, and whether it rests on fewer than min_n cases


def _row(row: dict[str, Any], cells: Callable[[dict[str, Any]], list[Cell]]) -> list[Text]:
    return [_cell(printable(row["label"]), row["low_n"]), *(_cell(text, low) for text, low in cells(row))]


def _cell(text: str, low_n: bool) -> Text:
    return Text(f"{text} *", style="dim") if low_n else Text(text)


def _resolution(row: dict[str, Any]) -> list[Cell]:
    team, agent = row["fcr_team"], row["fcr_agent"]
    return [
        (str(row["handled"]), row["low_n"]),
        (_rate(team["final"]), team["low_n"]),
        (_rate(team["provisional"]), team["low_n"]),
        (_rate(agent["final"]), agent["low_n"]),
        (_rate(agent["provisional"]), agent["low_n"]),
    ]


def _effort(row: dict[str, Any]) -> list[Cell]:
    aht, solved = row["aht"], row["solved"]
    return [
        (str(aht["items"]), aht["low_n"]),
        (_duration(aht["mean_s"]), aht["low_n"]),
        (_duration(aht["median_s"]), aht["low_n"]),
        (_duration(aht["p90_s"]), aht["low_n"]),
        (str(solved["n"]), False),
        (_number(solved["per_hour"]), False),
        (_rate(row["reopens"]), row["reopens"]["low_n"]),
    ]


def _satisfaction(row: dict[str, Any]) -> list[Cell]:
    csat = row["csat"]
    pct = None if csat["pct"] is None else csat["pct"] / 100
    return [
        (_share(pct, csat["satisfied"], csat["n"]), csat["low_n"]),
        (_number(csat["mean"]), csat["low_n"]),
        (_share(csat["response_rate"], csat["responded"], csat["surveyed"]), False),
    ]


_TABLES = (
    ("First-contact resolution · tickets first handled in the period",
     ("tickets", "FCR team", "prov.", "FCR agent", "prov."), _resolution),
    ("Effort · handle time per touch (m:ss), solves and reopens",
     ("touches", "AHT", "median", "p90", "solved", "per hour", "reopened"), _effort),
    ("Satisfaction · each ticket's latest rating in the period",
     ("CSAT", "mean", "answered"), _satisfaction),
)


def _rate(rate: dict[str, Any]) -> str:
    return _share(rate["rate"], rate["num"], rate["den"])


def _share(fraction: float | None, num: int, den: int) -> str:
    """`62% 5/8`; `– 0/0` when nothing is counted."""
    percent = "–" if fraction is None else f"{fraction * 100:.0f}%"
    return f"{percent} {num}/{den}"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _duration(seconds: float | None) -> str:
    return "–" if seconds is None else clock(round(seconds))


def _legend(report: dict[str, Any]) -> Text:
    config, counts = report["config"], report["input"]
    return Text(
        "FCR = fcr ÷ (fcr + not fcr); prov. also counts as fcr the tickets still inside the "
        f"{config['reopen_window_s'] / 86400:g} d reopen window; tickets not yet decided count in neither. "
        "FCR agent also fails transfers and solves by someone else. Reopened: of the tickets first "
        "resolved in the period. Per hour: solves ÷ staffed hours of the runs started in the period. "
        f"CSAT: ratings ≥ {config['csat_satisfied_min']} of {config['csat_scale_max']} ÷ ratings; "
        f"answered: surveys with a rating. * and grey: fewer than {config['csat_min_n']} cases. "
        f"{counts['events']} events read, {counts['warnings']} warnings (see desk metrics --format table)."
    )
