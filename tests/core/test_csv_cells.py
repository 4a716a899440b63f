"""`desk report --format csv` (issue 13): a cell a spreadsheet would run as a formula gets a
leading `'` (OWASP's rule), and no cell carries a control character, in a pipe as on a terminal.
Numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from tests.hostile_corpus import control_characters
from tui.cli import main
from tui.core.demo import copy_demo
from tui.core.eventlog import EVENTS_FILE
from tui.core.fileio import crc_line
from tui.core.models import format_ts
from tui.core.paths import demo_store
from tui.core import safetext

# raw name → the cell it must become
NAMES = {
    '=HYPERLINK("http://x","y")': '\'=HYPERLINK("http://x","y")',
    "=1+1": "'=1+1",
    "+1+1": "'+1+1",
    "-2+3": "'-2+3",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "\t=1+1": "' =1+1",
    "\r=1+1": "'␍=1+1",
    "ring\x07 \x1b[2Jclear": "ring␇ ␛[2Jclear",
    "c1\x9b31m": "c1\ufffd31m",
    "two\nlines": "two lines",
    "plain": "plain",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The demo store with products, regions and agents named NAMES."""
    data = tmp_path_factory.mktemp("formulas")
    now = datetime.now(timezone.utc)
    copy_demo(demo_store(), data, now)
    tables = orjson.loads((data / "store.json").read_bytes())
    for key, name in zip(tables["products"], NAMES):
        tables["products"][key]["name"] = name
    for key, name in zip(tables["customers"], NAMES):
        tables["customers"][key]["region"] = name
    (data / "store.json").write_bytes(orjson.dumps(tables))
    ticket = next(iter(tables["tickets"].values()))["id"]
    with open(data / EVENTS_FILE, "ab") as log:
        for n, name in enumerate(NAMES):
            run, began = f"formula-run-{n}", now - timedelta(days=2, minutes=-10 * n)
            for seq, (type_, minute, data_) in enumerate((
                    ("run_start", 0, {"new_session": True, "tz": "UTC"}),
                    ("ticket_focus", 1, {}), ("run_end", 6, {"reason": "quit"})), 1):
                event = {"v": 1, "id": f"{run}-{seq}", "stream": "work", "seq": seq,
                         "ts": format_ts(began + timedelta(minutes=minute)), "mono_ms": minute * 60_000,
                         "agent": name, "session": run, "run": run, "type": type_, "src": "app",
                         "data": data_}
                if type_ == "ticket_focus":
                    event["ticket"] = ticket
                log.write(crc_line(event))
    return data


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))


def csv_text(capsys, store: Path, *options: str) -> str:
    assert main(["--data-dir", str(store), "report", "--format", "csv", *options]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


@pytest.mark.parametrize("by, column", [(None, "key"), (None, "label"), ("product", "label"),
                                        ("region", "label")])
def test_names_a_spreadsheet_would_run_are_text_and_carry_no_control_character(capsys, store, by, column):
    out = csv_text(capsys, store, *(["--by", by] if by else []))
    assert control_characters(out.replace("\r\n", "")) == set()  # CSV ends its rows with CRLF
    cells = {row[column] for row in csv.DictReader(io.StringIO(out, newline=""))}
    assert set(NAMES.values()) <= cells


def test_one_agent_named_like_a_formula(capsys, store):
    out = csv_text(capsys, store, "--agent", "=1+1")
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert {row["agent"] for row in rows} == {"'=1+1"} and rows[0]["label"] == "'=1+1"


def test_numbers_stay_numbers_even_negative_ones_and_every_string_is_neutralised():
    assert [safetext.spreadsheet_cell(v) for v in (-3, -0.5, 0, 2.25)] == [-3, -0.5, 0, 2.25]
    assert [safetext.spreadsheet_cell(v) for v in ("-3", "=A1", "@x", "+", "", "a=b")] \
        == ["'-3", "'=A1", "'@x", "'+", "", "a=b"]
