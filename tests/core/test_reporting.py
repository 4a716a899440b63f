"""`desk report`'s figures (tui.core.reporting) on small hand-built event logs."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

import pytest

from tui.core.metrics import MetricsConfig, compute, parse_time
from tui.core.models import Customer, Product
from tui.core.reporting import ReportError, StoreDimensions, build_report, report_period

SINCE, UNTIL = parse_time("2025-03-01T00:00:00Z"), parse_time("2025-03-21T00:00:00Z")
SINCE_DAY = datetime(2020, 1, 1, tzinfo=timezone.utc)


def at(clock: str) -> str:
    """`HH:MM` on 3 March 2025, or `D HH:MM` on day D of March."""
    day, _, time = clock.rpartition(" ")
    return f"2025-03-{int(day or 3):02d}T{time}:00.000Z"


class Log:
    """Envelopes with consecutive seq per run (or source) and mono = ms since the run started.
    A run is named `agent@start`; it is also its session."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.seq: dict[str, int] = defaultdict(int)
        self.started: dict[str, int] = {}

    def app(self, type_: str, clock: str, run: str, *, ticket=None, stream="work", **data) -> None:
        ts = at(clock)
        self.started.setdefault(run, parse_time(ts))
        self.seq[run] += 1
        event = {"v": 1, "id": f"{run}-{self.seq[run]}", "stream": stream, "seq": self.seq[run], "ts": ts,
                 "mono_ms": parse_time(ts) - self.started[run], "agent": run.split("@")[0], "session": run,
                 "run": run, "type": type_, "src": "app", "data": data}
        if ticket:
            event["ticket"] = ticket
        self.events.append(event)

    def act(self, type_: str, clock: str, run: str, ticket: str, **data) -> None:
        self.app(type_, clock, run, ticket=ticket, stream="ticket", **data)

    def imported(self, type_: str, clock: str, ticket: str, **data) -> None:
        self.seq["import"] += 1
        self.events.append({"v": 1, "id": f"import-{self.seq['import']}", "stream": "ticket",
                            "seq": self.seq["import"], "ts": at(clock), "ticket": ticket, "type": type_,
                            "src": "import", "data": data})

    def ticket(self, ticket: str, clock: str, customer: str, **attrs) -> None:
        self.imported("ticket_created", clock, ticket, source="customer", customer=customer,
                      **{"channel": "email", "priority": "normal", **attrs})
        self.imported("customer_contact", clock, ticket, contact=f"K-{ticket}-{clock}", kind="inbound_message")

    def run(self, agent: str, start: str, ticket: str, *actions: tuple) -> None:
        """A 30-minute run of `agent` on `ticket` (focused at the start): `actions` are (type, minute, data)."""
        run = f"{agent}@{start}"
        day = start[:-5]
        self.app("run_start", start, run, new_session=True, tz="UTC")
        self.app("ticket_focus", start, run, ticket=ticket)
        for type_, minute, data in actions:
            self.act(type_, f"{day}{start[-5:-2]}{minute:02d}", run, ticket, **data)
        self.app("run_end", f"{day}{start[-5:-2]}30", run, reason="quit")

    def solve_by_reply(self, agent: str, ticket: str, start: str, replies: int = 1) -> None:
        """Public replies from minute 5 on, one a minute, and the solve at minute 10."""
        self.run(agent, start, ticket, *[("agent_reply", 5 + n, {"public": True}) for n in range(replies)],
                 ("status_change", 10, {"to": "solved"}))

    def rate(self, ticket: str, clock: str, score: int) -> None:
        self.imported("csat_sent", clock, ticket, survey=f"S-{ticket}")
        self.imported("csat_response", clock, ticket, survey=f"S-{ticket}", score=score)


def store(products=("P-1", "P-2", "P-3")) -> StoreDimensions:
    customers = [("C-1", "Nordics", "nb"), ("C-2", "UK & Ireland", "en"), ("C-3", "North America", "fr")]
    return StoreDimensions.from_store(
        [Product(id=p, name=f"Product {p[-1]}", category="c") for p in products],
        [Customer(id=c, name=c, region=region, language=lang, customer_since=SINCE_DAY)
         for c, region, lang in customers],
        [{"id": "T4", "customer": "C-3", "product": "P-3", "channel": "web", "priority": "low"}],
    )


def team_log() -> Log:
    """T1 (ana, one reply: fcr), T2 (ana, two replies, reopened: not fcr), T3 (bo, on 19 March:
    still inside the reopen window, so provisional)."""
    log = Log()
    log.ticket("T1", "09:00", "C-1", product="P-1")
    log.solve_by_reply("ana", "T1", "10:00")
    log.rate("T1", "12:00", 5)
    log.ticket("T2", "09:30", "C-2", product="P-2", priority="high")
    log.solve_by_reply("ana", "T2", "11:00", replies=2)
    log.rate("T2", "12:00", 2)
    log.imported("customer_contact", "5 09:00", "T2", contact="K-again", kind="inbound_message")
    log.run("ana", "5 10:00", "T2", ("status_change", 1, {"to": "open"}), ("agent_reply", 5, {"public": True}),
            ("status_change", 6, {"to": "solved"}))
    log.ticket("T3", "19 09:00", "C-1", product="P-1")
    log.solve_by_reply("bo", "T3", "19 10:00")
    return log


def report(log: Log, **options) -> dict:
    config = options.pop("config", MetricsConfig())
    return build_report(log.events, config, SINCE, UNTIL, options.pop("dims", store()), **options)


def rows(result: dict) -> dict:
    return {row["key"]: row for row in result["rows"]}


# --- segments -------------------------------------------------------------------------------


@pytest.mark.parametrize("by, expected", [
    ("product", ["P-1", "P-2", "P-3"]),
    ("region", ["Nordics", "North America", "UK & Ireland"]),
    ("language", ["en", "fr", "nb"]),
    ("priority", ["urgent", "high", "normal", "low"]),
    ("channel", ["email", "phone", "chat", "web", "social", "in_person"]),
])
def test_every_value_the_store_knows_is_a_row_even_without_tickets(by, expected):
    assert [row["key"] for row in report(team_log(), by=by)["rows"]] == expected


def test_small_segments_stay_and_are_flagged_low_n():
    by_product = rows(report(team_log(), by="product"))
    assert by_product["P-3"]["handled"] == 0 and by_product["P-3"]["low_n"]
    assert by_product["P-3"]["fcr_team"]["final"] == {"num": 0, "den": 0, "rate": None}
    assert by_product["P-2"]["handled"] == 1 and by_product["P-2"]["csat"]["low_n"]
    assert by_product["P-1"]["label"] == "Product 1"


def test_min_n_comes_from_csat_min_n():
    by_product = rows(report(team_log(), by="product", config=MetricsConfig(csat_min_n=1)))
    assert not by_product["P-2"]["low_n"] and not by_product["P-2"]["csat"]["low_n"]
    assert by_product["P-3"]["low_n"]


def test_a_value_no_store_record_knows_gets_its_own_row_and_a_missing_one_is_none():
    log = team_log()
    log.ticket("T5", "13:00", "C-9", product="P-77")
    log.solve_by_reply("bo", "T5", "14:00")
    by_product = rows(report(log, by="product"))
    assert by_product["P-77"]["handled"] == 1 and by_product["P-77"]["label"] == "P-77"
    by_language = report(log, by="language")["rows"]
    assert by_language[-1]["key"] is None and by_language[-1]["label"] == "(none)"
    assert by_language[-1]["handled"] == 1


def test_region_comes_from_the_ticket_else_from_its_customer():
    log = team_log()
    log.ticket("T5", "13:00", "C-1", product="P-1", region="Baltics")
    log.solve_by_reply("bo", "T5", "14:00")
    by_region = rows(report(log, by="region"))
    assert by_region["Baltics"]["handled"] == 1
    assert by_region["Nordics"]["handled"] == 2  # T1 and T3 have no region of their own: C-1's


def test_attributes_missing_from_the_log_come_from_the_store_record():
    log = Log()
    log.imported("ticket_created", "09:00", "T4", source="customer")
    log.imported("customer_contact", "09:00", "T4", contact="K4", kind="inbound_message")
    log.solve_by_reply("bo", "T4", "10:00")
    result = report(log, by="language")
    assert rows(result)["fr"]["handled"] == 1
    assert rows(report(log, by="product"))["P-3"]["handled"] == 1


def test_segments_add_up_to_the_overall_row():
    result = report(team_log(), by="priority")
    overall, segments = result["overall"], result["rows"]
    assert sum(row["handled"] for row in segments) == overall["handled"]
    assert sum(row["fcr_team"]["final"]["num"] for row in segments) == overall["fcr_team"]["final"]["num"]
    assert sum(row["aht"]["items"] for row in segments) == overall["aht"]["items"]
    assert sum(row["csat"]["n"] for row in segments) == overall["csat"]["n"]
    assert sum(row["reopens"]["den"] for row in segments) == overall["reopens"]["den"]
    assert sum(row["solved"]["n"] for row in segments) == overall["solved"]["n"]
    assert sum(row["solved"]["per_hour"] for row in segments) == pytest.approx(overall["solved"]["per_hour"], abs=1e-3)


# --- agreement with compute() ----------------------------------------------------------------


def test_overall_and_agent_rows_are_the_documents_team_and_agent_figures():
    log = team_log()
    config = MetricsConfig(rolling_window_s=(UNTIL - SINCE) // 1000)
    document = compute(log.events, config, UNTIL)
    result = report(log)
    team, overall = document["team"], result["overall"]
    assert (overall["fcr_team"]["fcr"], overall["fcr_team"]["pending"], overall["fcr_team"]["not_fcr"]) == (
        team["fcr"]["fcr"], team["fcr"]["pending"], team["fcr"]["not_fcr"])
    assert overall["fcr_team"]["final"]["rate"] == team["fcr"]["final"]
    assert overall["fcr_team"]["provisional"]["rate"] == team["fcr"]["provisional"]
    assert overall["csat"] == team["csat"]
    assert {key: overall["reopens"][key] for key in ("num", "den", "rate")} == team["reopen_rate"]
    assert [row["key"] for row in result["rows"]] == ["ana", "bo"]
    for row in result["rows"]:
        agent = document["agents"][row["key"]]
        assert row["fcr_agent"]["final"]["rate"] == agent["rolling_fcr"]["final"]
        assert row["fcr_agent"]["n"] == agent["rolling_fcr"]["n"]
        assert (row["aht"]["mean_s"], row["aht"]["median_s"], row["aht"]["p90_s"]) == (
            agent["aht_touch_s"], agent["aht_median_s"], agent["aht_p90_s"])
        assert row["csat"] == agent["csat"]
        assert row["solved"]["n"] == agent["solved"]


def test_fcr_final_and_provisional_spell_out_numerator_and_denominator():
    fcr = report(team_log())["overall"]["fcr_team"]
    assert (fcr["fcr"], fcr["pending"], fcr["not_fcr"]) == (1, 1, 1)
    assert fcr["final"] == {"num": 1, "den": 2, "rate": 0.5}
    assert fcr["provisional"] == {"num": 2, "den": 3, "rate": 0.6667}


def test_reopens_aht_csat_and_solved_per_hour():
    ana = rows(report(team_log()))["ana"]
    assert {key: ana["reopens"][key] for key in ("num", "den")} == {"num": 1, "den": 2}
    # Idle cut-off 120 s: T1 360 s; T2 420 s (replies at minutes 5 and 6), then 360 s on 5 March.
    assert (ana["aht"]["items"], ana["aht"]["mean_s"], ana["aht"]["median_s"], ana["aht"]["p90_s"]) == (
        3, 380.0, 360.0, 420.0)
    assert (ana["csat"]["n"], ana["csat"]["satisfied"], ana["csat"]["pct"]) == (2, 1, 50.0)
    assert ana["solved"] == {"n": 3, "staffed_s": 5400, "per_hour": 2.0}


# --- --agent and the period -----------------------------------------------------------------


def test_agent_option_keeps_only_that_agents_work():
    result = report(team_log(), agent="bo", by="product")
    assert result["overall"]["label"] == "bo" and result["overall"]["handled"] == 1
    by_product = rows(result)
    assert by_product["P-1"]["handled"] == 1 and by_product["P-2"]["handled"] == 0
    assert by_product["P-2"]["csat"]["n"] == 0
    assert report(team_log(), agent="bo")["rows"] == []


def test_unknown_agent_and_dimension_are_errors_naming_the_option():
    with pytest.raises(ReportError, match="--agent: no agent 'zed'.*ana, bo"):
        report(team_log(), agent="zed")
    with pytest.raises(ReportError, match="--by"):
        report(team_log(), by="colour")


def test_the_period_limits_every_figure():
    result = build_report(team_log().events, MetricsConfig(), parse_time("2025-03-04T00:00:00Z"), UNTIL, store())
    overall = result["overall"]
    assert overall["handled"] == 1  # only T3 was first handled after 4 March
    assert overall["csat"]["n"] == 0 and overall["solved"]["n"] == 2  # T2 again on 5 March, T3
    assert result["config"]["rolling_window_s"] == 17 * 86400


NOW = parse_time("2025-03-10T12:34:56.789Z")


@pytest.mark.parametrize("since, until, expected", [
    (None, None, ("2025-02-08T12:34:56Z", "2025-03-10T12:34:56Z")),
    ("2025-03-01", "2025-03-05", ("2025-03-01T00:00:00Z", "2025-03-06T00:00:00Z")),
    ("2025-03-01T08:00:00+01:00", None, ("2025-03-01T07:00:00Z", "2025-03-10T12:34:56Z")),
    (None, "2025-03-05T00:00Z", ("2025-02-03T00:00:00Z", "2025-03-05T00:00:00Z")),
])
def test_report_period(since, until, expected):
    assert report_period(since, until, NOW, 30 * 86400) == tuple(parse_time(text) for text in expected)


def test_period_length_is_cut_to_whole_seconds():
    assert report_period("2025-03-01T00:00:00.250Z", "2025-03-02", NOW, 1) == (
        parse_time("2025-03-01T00:00:01Z"), parse_time("2025-03-03T00:00:00Z"))


@pytest.mark.parametrize("since, until, message", [
    ("yesterday", None, "--since: 'yesterday' is not a date"),
    (None, "2025-02-30", "--until: '2025-02-30' is not a date"),
    ("2025-03-06", "2025-03-05", "--since 2025-03-06T00:00:00.000Z is not before --until"),
])
def test_bad_periods_name_the_option(since, until, message):
    with pytest.raises(ReportError, match=message):
        report_period(since, until, NOW, 86400)
