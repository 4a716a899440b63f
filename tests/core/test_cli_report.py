"""`desk report` on a copy of the demo store: CSV, JSON and table output, options and errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from tui.cli import main
from tui.core.demo import copy_demo
from tui.core.metrics.settings import MetricsConfigError, load_metrics_config
from tui.core.paths import demo_store
from tui.core.store import TinyDBStore

HOSTILE = "[/]x [bold]y[/bold] \x1b[31mred"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("demo")
    copy_demo(demo_store(), target, datetime.now(timezone.utc))
    return target


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "160")


def report(capsys, data_dir: Path, *options: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), "report", *options])
    out, err = capsys.readouterr()
    return code, out, err


def csv_rows(capsys, data_dir: Path, *options: str) -> list[dict[str, str]]:
    code, out, err = report(capsys, data_dir, "--format", "csv", *options)
    assert (code, err) == (0, "")
    return list(csv.DictReader(io.StringIO(out)))


def store_values(data_dir: Path) -> dict[str, set[str]]:
    store = TinyDBStore(data_dir)
    try:
        customers = store.customers()
        return {
            "product": {product.id for product in store.products()},
            "region": {customer.region for customer in customers if customer.region},
            "language": {customer.language for customer in customers},
        }
    finally:
        store.close()


@pytest.mark.parametrize("by", ["product", "region", "language"])
def test_csv_lists_every_product_region_and_language_of_the_store(capsys, demo, by):
    rows = csv_rows(capsys, demo, "--by", by)
    assert rows[0]["group"] == "overall" and rows[0]["label"] == "all"
    segments = rows[1:]
    assert {row["group"] for row in segments} == {by}
    assert {row["key"] for row in segments} >= store_values(demo)[by]
    assert sum(int(row["handled"]) for row in segments) == int(rows[0]["handled"])


@pytest.mark.parametrize("by, some", [("channel", {"email", "phone", "chat"}), ("priority", {"urgent", "low"})])
def test_by_channel_and_priority(capsys, demo, by, some):
    assert some <= {row["key"] for row in csv_rows(capsys, demo, "--by", by)[1:]}


def test_without_by_there_is_a_row_per_agent_and_agent_restricts_to_one(capsys, demo):
    everyone = csv_rows(capsys, demo)
    agents = [row["key"] for row in everyone[1:]]
    assert agents and {row["group"] for row in everyone[1:]} == {"agent"}
    one = csv_rows(capsys, demo, "--agent", agents[0], "--by", "language")
    assert one[0]["label"] == agents[0] and {row["agent"] for row in one} == {agents[0]}
    assert one[0]["handled"] == everyone[1]["handled"]


def test_json_holds_the_period_and_the_rates_with_their_counts(capsys, demo):
    code, out, _ = report(capsys, demo, "--format", "json", "--since", "2000-01-01", "--until", "2000-01-31")
    document = json.loads(out)
    assert code == 0
    assert document["period"] == {"start": "2000-01-01T00:00:00.000Z", "end": "2000-02-01T00:00:00.000Z"}
    assert document["config"]["rolling_window_s"] == 31 * 86400
    assert document["overall"]["fcr_team"]["final"] == {"num": 0, "den": 0, "rate": None}


def test_table_prints_store_strings_literally(capsys, demo, tmp_path):
    hostile = tmp_path / "hostile"
    copy_demo(demo_store(), hostile, datetime.now(timezone.utc))
    tables = orjson.loads((hostile / "store.json").read_bytes())
    tables["products"]["1"]["name"] = HOSTILE
    (hostile / "store.json").write_bytes(orjson.dumps(tables))
    code, out, _ = report(capsys, hostile, "--by", "product")
    assert code == 0
    assert "[/]x [bold]y[/bold] ␛[31mred" in out
    assert "\x1b" not in out


@pytest.mark.parametrize("options, message", [
    (["--since", "last tuesday"], "desk report: --since: 'last tuesday' is not a date"),
    (["--until", "2025-13-01"], "desk report: --until: '2025-13-01' is not a date"),
    (["--since", "2025-03-02", "--until", "2025-03-01"], "desk report: --since 2025-03-02T00:00:00.000Z is not before"),
    (["--agent", "nobody"], "desk report: --agent: no agent 'nobody'"),
])
def test_bad_options_give_one_line_and_exit_2(capsys, demo, options, message):
    code, out, err = report(capsys, demo, *options)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_unknown_by_is_a_usage_error(capsys, demo):
    with pytest.raises(SystemExit) as raised:
        main(["--data-dir", str(demo), "report", "--by", "colour"])
    out, err = capsys.readouterr()
    assert raised.value.code == 2 and out == ""
    assert "argument --by: invalid choice: 'colour'" in err and err.count("\n") == 1


def test_missing_store_is_one_line_and_exit_2(capsys, tmp_path):
    code, out, err = report(capsys, tmp_path / "nowhere")
    assert (code, out) == (2, "")
    assert err.startswith("desk report: there is no store in") and err.count("\n") == 1


def test_a_store_without_an_event_log_still_lists_its_products(capsys, demo, tmp_path):
    empty = tmp_path / "store"
    empty.mkdir()
    (empty / "store.json").write_bytes((demo / "store.json").read_bytes())
    assert main(["report", "--data-dir", str(empty), "--by", "product", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {row["key"] for row in rows[1:]} == store_values(demo)["product"]
    assert {row["handled"] for row in rows} == {"0"}


# --- the [metrics] table of config.toml -------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_report_uses_the_metrics_table_of_config_toml(capsys, demo, tmp_path):
    write_config(tmp_path, 'theme = "ansi-dark"\n[metrics]\ncsat_min_n = 1\nrolling_window_s = 604800\n')
    code, out, _ = report(capsys, demo, "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["config"]["csat_min_n"] == 1
    start, end = (datetime.fromisoformat(document["period"][key]) for key in ("start", "end"))
    assert (end - start).days == 7


def test_a_bad_config_value_names_the_file_and_key(capsys, demo, tmp_path):
    path = write_config(tmp_path, "[metrics]\nidle_cutoff_s = -5\n")
    code, out, err = report(capsys, demo)
    assert (code, out) == (2, "")
    assert err == f"desk report: {path}: [metrics] idle_cutoff_s: Input should be greater than or equal to 0 (got -5)\n"


@pytest.mark.parametrize("text, problem", [
    ('[metrics]\nidle_cutoff_s = "90"\n', "[metrics] idle_cutoff_s: Input should be a valid integer (got '90')"),
    ("[metrics.sla_targets.high]\nfirst_reply_s = -1\n", "[metrics] sla_targets.high.first_reply_s:"),
    ('[metrics]\nrepeat_match = ["link", "psychic"]\n', "[metrics] repeat_match.1:"),
    ("metrics = 3\n", "`metrics` must be a table"),
    ("[metrics\n", "not valid TOML"),
])
def test_load_metrics_config_errors(tmp_path, text, problem):
    path = write_config(tmp_path, text)
    with pytest.raises(MetricsConfigError) as raised:
        load_metrics_config(path)
    assert str(raised.value).startswith(f"{path}: {problem}")


def test_load_metrics_config_defaults_and_overrides(tmp_path):
    assert load_metrics_config(tmp_path / "absent.toml").idle_cutoff_s == 120
    path = write_config(tmp_path, "[metrics]\nreopen_window_by_channel_s = { chat = 86400 }\n"
                                  "unknown_key = 1\n[metrics.sla_targets.high]\nfirst_reply_s = 3600\n")
    config = load_metrics_config(path)
    assert config.reopen_window_by_channel_s == {"chat": 86400}
    assert config.sla_targets["high"].first_reply_s == 3600
    assert load_metrics_config() == config  # the default path: DESK_CONFIG_DIR/config.toml
