"""The session report (metrics-spec §B.9): each leading figure of this session next to the
lagging figure it is paired with, every rate with its numerator and denominator, and the
agent's last 30 days sliced by channel, product, region, priority or language, where small
segments are greyed, never dropped. All of it from `compute()`, in a worker thread."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..core.metrics import MetricsConfig, compute, parse_time
from ..core.store.errors import StoreError
from ..core.reporting import DIMENSIONS, ReportError, StoreDimensions, build_report
from ..core.session import fcr_words, hms, now_ms, pct, window_words
from ..ui.bindings import bindings
from ..ui.text import line

MUTED = "$text-muted"
LOW = "$text-muted italic"


def rate_words(rate: dict[str, Any] | None) -> str:
    """`1/10 (10%)`; `0/0 (–)` when nothing is counted yet."""
    if not rate:
        return "–"
    return f"{rate['num']}/{rate['den']} ({pct(rate['rate'])})"


def final_words(fcr: dict[str, Any] | None) -> str:
    """Final FCR: fcr ÷ (fcr + not_fcr), with the pending and open tickets it still waits for."""
    if not fcr:
        return "–"
    return (f"{fcr['fcr']}/{fcr['fcr'] + fcr['not_fcr']} ({pct(fcr['final'])}) final"
            + ("" if fcr["complete"] else f", {fcr['pending'] + fcr['open']} not final yet"))


def _label(text: str) -> Content:
    return Content.styled(text.ljust(18), MUTED)


def _row(label: str, value: Content | str, low: bool = False) -> Content:
    value = Content(value) if isinstance(value, str) else value
    return Content.assemble("  ", _label(label), value.stylize(LOW) if low else value,
                            (" (few cases)" if low else "", LOW))


def _heading(text: str) -> Content:
    return Content.styled(text, "bold $accent")


def leading_and_lagging(document: dict[str, Any], agent: str, session: str | None,
                        current: tuple[str, int] | None, config: MetricsConfig,
                        today_start_ms: int) -> list[Content]:
    """§B.9, pair by pair: the session's leading figure first, the lagging one it goes with next."""
    s = document["sessions"].get(session or "") or {}
    a = document["agents"].get(agent) or {}
    tickets = document["tickets"]
    min_n = config.csat_min_n
    out: list[Content] = []

    out.append(_heading("Handling time, with first-contact resolution"))
    aht = (f"{s.get('items', 0)} items · AHT {hms(s.get('aht_s'))} · median {hms(s.get('aht_median_s'))}"
           f" · p90 {hms(s.get('aht_p90_s'))}")
    out.append(_row("this session", aht, low=s.get("items", 0) < min_n))
    if current:
        out.append(_row("current ticket", Content.assemble(line(current[0]), f" {hms(current[1])}")))
    out.append(_row("session FCR", f"{fcr_words(s.get('fcr'))} "
                    f"(provisional until {window_words(config.reopen_window_s)})"))

    out.append(_heading("Throughput, with reopens"))
    staffed = s.get("staffed_s") or 0
    out.append(_row("solved", f"{s.get('solved', 0)} this session · "
                    f"{_num(s.get('solved_per_hour'))}/hour ({s.get('solved', 0)} in {hms(staffed)} staffed)"))
    out.append(_row("utilization", f"{pct(s.get('utilization'))} "
                    f"({hms(s.get('total_work_s'))} worked / {hms(staffed)} staffed)"))
    reopen = a.get("reopen_rate")
    out.append(_row("reopen rate 30 d", rate_words(reopen), low=bool(reopen) and reopen["den"] < min_n))

    out.append(_heading("Backlog and SLA"))
    backlog = a.get("backlog") or {"n": 0, "tickets": [], "by_age": {}}
    ages = backlog["by_age"]
    out.append(_row("my backlog", f"{backlog['n']} open · <1 d {ages.get('lt_1d', 0)} · 1–3 d "
                    f"{ages.get('1d_3d', 0)} · 3–7 d {ages.get('3d_7d', 0)} · ≥7 d {ages.get('ge_7d', 0)}"))
    if config.sla_targets:
        states = [tickets[t].get(k) for t in backlog["tickets"] if t in tickets
                  for k in ("sla_first_reply", "sla_resolution")]
        out.append(_row("SLA", f"{states.count('at_risk')} at risk · {states.count('breached')} breached "
                        f"(first reply and resolution, of {backlog['n']} tickets)"))
    else:
        out.append(_row("SLA", Content.styled("no targets in [metrics.sla_targets]", MUTED)))
    replies = sorted(t["first_reply_s"] for t in tickets.values()
                     if t.get("first_handler") == agent and t.get("first_reply_s") is not None
                     and t.get("h1") and parse_time(t["h1"]) >= today_start_ms)
    median = replies[len(replies) // 2] if len(replies) % 2 else (
        (replies[len(replies) // 2 - 1] + replies[len(replies) // 2]) / 2 if replies else None)
    out.append(_row("first reply today", f"median {hms(median)} over {len(replies)} tickets",
                    low=len(replies) < min_n))

    out.append(_heading(f"Last {config.rolling_window_s // 86400} days (lagging)"))
    matured = a.get("rolling_fcr_matured")
    days = config.rolling_window_s // 86400, config.reopen_window_s // 86400
    out.append(_row("FCR matured", f"{final_words(matured)} · first handled "
                    f"{days[0] + days[1]}–{days[1]} d ago",
                    low=bool(matured) and matured["n"] < min_n))
    for key, label in (("rolling_fcr", "FCR gross"), ("rolling_fcr_net", "FCR net")):
        rate = a.get(key)
        out.append(_row(label, f"{fcr_words(rate)}", low=bool(rate) and rate["n"] < min_n))
    for key, label in (("reopen_rate_matured", "reopen matured"), ("repeat_rate_matured", "repeat matured"),
                       ("repeat_rate", "repeat rate")):
        rate = a.get(key)
        out.append(_row(label, rate_words(rate), low=bool(rate) and rate["den"] < min_n))
    csat = a.get("csat")
    if csat:
        out.append(_row("CSAT", f"{csat['satisfied']}/{csat['n']} satisfied ({_pct100(csat['pct'])}) · "
                        f"mean {_num(csat['mean'])} · responses {csat['responded']}/{csat['surveyed']} "
                        f"({pct(csat['response_rate'])})", low=csat["low_n"]))
    for key, label in (("customer_fcr", "customer FCR"), ("claimed_fcr", "claimed FCR"),
                       ("claim_accuracy", "claim accuracy")):
        rate = a.get(key)
        out.append(_row(label, rate_words(rate), low=bool(rate) and rate["den"] < min_n))
    return out


SEGMENT_COLUMNS = (("n", 5), ("FCR prov.", 11), ("FCR final", 11), ("AHT", 7), ("reopened", 9),
                   ("CSAT", 8))
LABEL_WIDTH = 14


def segment_table(report: dict[str, Any], min_n: int) -> list[Content]:
    """One row per segment value of the store, none dropped; rows under min_n greyed. Fits 78
    cells: n = tickets first handled in the period (FCR's denominator before exclusions)."""
    by = report["by"]
    header = "  " + by[:LABEL_WIDTH].ljust(LABEL_WIDTH) + "".join(
        f"  {name:>{width}}" if index else f"{name:>{width}}"
        for index, (name, width) in enumerate(SEGMENT_COLUMNS))
    rows = [Content.styled(f"By {by}, last 30 days (greyed: fewer than {min_n} cases) · "
                           f"{report_key()} next slice", "bold $accent"),
            Content.styled(header, "bold")]
    for row in [report["overall"], *report["rows"]]:
        csat = row["csat"]
        values = (str(row["handled"]), _fraction(row["fcr_agent"]["provisional"]),
                  _fraction(row["fcr_agent"]["final"]), hms(row["aht"]["mean_s"]), _fraction(row["reopens"]),
                  f"{_pct100(csat['pct'])} n{csat['n']}" if csat["n"] else "–")
        label = Content("all") if row is report["overall"] else line(row["label"])
        label = label.truncate(LABEL_WIDTH, ellipsis=True, pad=True)
        cells = Content.assemble("  ", label, "".join(
            f"  {value:>{width}}" if index else f"{value:>{width}}"
            for index, (value, (_, width)) in enumerate(zip(values, SEGMENT_COLUMNS))))
        rows.append(cells.stylize(LOW) if row["low_n"] else cells)
    return rows


def report_key() -> str:
    return "s"


def _fraction(rate: dict[str, Any]) -> str:
    return f"{rate['num']}/{rate['den']} {pct(rate['rate'])}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _pct100(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


class ReportScreen(Screen[None]):
    BINDINGS = bindings("Report")

    def __init__(self) -> None:
        super().__init__()
        self.by = DIMENSIONS[0]
        self.current: tuple[str, int] | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="report"):
            yield Static(Content.styled("Computing the session report…", MUTED), id="report-body")
            yield Static(id="report-segments")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        work_session = self.app.work
        focused = work_session.focused
        if focused:
            self.current = (focused, work_session.handle_s(focused))
        # The report hides the ticket: its time stops accruing until the report closes (§B.4).
        work_session.cover(True)
        self.query_one("#report").focus()
        self._load(self.by)

    def on_unmount(self) -> None:
        self.app.work.cover(False)

    @work(thread=True, exclusive=True, group="report")
    def _load(self, by: str) -> None:
        try:
            self._compute(by)
        except Exception as exc:  # noqa: BLE001 - a report is not worth ending desk for
            self.app.call_from_thread(self._show_error, f"The report could not be computed: {exc}")

    def _compute(self, by: str) -> None:
        app = self.app
        config: MetricsConfig = app.work.config
        try:
            events, read = app.store.logged_events()
        except StoreError as exc:
            app.call_from_thread(self._show_error, f"Cannot read the event log: {exc}")
            return
        except OSError as exc:
            where = exc.filename or "the event log"
            app.call_from_thread(self._show_error, f"Cannot read {where}: {exc.strerror or exc}")
            return
        now = now_ms()
        document = compute(events, config, now, read)
        today = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        body = leading_and_lagging(document, app.agent, app.work.session, self.current, config,
                                   int(today.timestamp() * 1000))
        dims = StoreDimensions.from_store(app.store.products(), app.store.customers(),
                                          app.store.ticket_docs(include_archive=True))
        until = now - now % 1000 + 1000  # whole seconds, and this run's first events inside
        since = until - config.rolling_window_s * 1000
        try:
            report = build_report(events, config, since, until, dims, agent=app.agent, by=by, read=read)
            segments = segment_table(report, config.csat_min_n)
        except ReportError as exc:
            segments = [Content(str(exc))]
        title = Content.assemble(
            ("Session report", "bold"), ("  agent ", MUTED), line(app.agent, "bold"),
            ("  as of ", MUTED), datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
            ("  ·  leading figures (this session) with the lagging ones they go with; "
             "FCR and AHT are not targets", MUTED))
        app.call_from_thread(self._show, Content("\n").join([title, Content(), *body]),
                             Content("\n").join(segments))

    def _show(self, body: Content, segments: Content) -> None:
        self.query_one("#report-body", Static).update(body)
        self.query_one("#report-segments", Static).update(segments)

    def _show_error(self, message: str) -> None:
        self.query_one("#report-body", Static).update(line(message))

    def action_slice(self) -> None:
        self.by = DIMENSIONS[(DIMENSIONS.index(self.by) + 1) % len(DIMENSIONS)]
        self.query_one("#report-segments", Static).update(
            Content.styled(f"Computing by {self.by}…", MUTED))
        self._load(self.by)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one("#report", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#report", VerticalScroll).scroll_up()
