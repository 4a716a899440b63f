"""`desk report` and `desk metrics` on the hostile corpus (tests/hostile_corpus.py): every item is
an agent name, a product name and a region. What goes to a terminal, and CSV wherever it goes,
shows each one literally and carries no control character a terminal would obey; JSON keeps
the data exact."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.hostile_corpus import ITEMS, build_corpus_store, control_characters
from tui.cli import main


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return build_corpus_store(tmp_path_factory.mktemp("corpus") / "data")


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "160")


def run(capsys, corpus: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(corpus), *args])
    out, err = capsys.readouterr()
    return code, out, err


def obeyed(text: str) -> list[str]:
    return sorted(f"U+{ord(c):04X}" for c in control_characters(text))


@pytest.mark.parametrize("by", [None, "product", "region"])
def test_report_table_shows_every_item_literally_and_no_control_character(capsys, corpus, by):
    code, out, err = run(capsys, corpus, "report", *(["--by", by] if by else []))
    assert (code, err) == (0, "")
    assert obeyed(out) == []
    labels = first_column(out)
    assert [item.id for item in ITEMS if "".join(item.line.split()) not in labels] == []


def first_column(table: str) -> set[str]:
    """The labels in the first column of Rich's tables, without whitespace (a label longer than
    its column, 28 cells, folds onto the lines below its row, maybe inside a word)."""
    labels: list[str] = []
    for line in table.splitlines():
        fields = re.split(r"\s{2,}", line.strip())
        if not line.startswith(" ") or not line.strip() or "─" in line:
            continue  # a title, a blank line or a rule
        if len(fields) > 1:
            labels.append(fields[0])
        elif labels:  # the rest of the label above
            labels[-1] += fields[0]
    return {"".join(label.removesuffix("*").split()) for label in labels}


def test_report_json_keeps_every_name_exact_and_escapes_what_a_terminal_would_obey(capsys, corpus):
    code, out, err = run(capsys, corpus, "report", "--format", "json")
    assert (code, err) == (0, "")
    assert obeyed(out) == []  # C1 and bidi overrides used to go out raw
    labels = {row["label"] for row in json.loads(out)["rows"]}
    assert labels == {item.raw for item in ITEMS}


def test_report_csv_shows_every_item_literally_in_a_pipe_as_on_a_terminal(capsys, corpus, monkeypatch):
    # A CSV file goes on to a spreadsheet or a `cat`: it is shown, not obeyed, wherever it is
    # written (issue 13). The JSON report is the exact one.
    code, out, err = run(capsys, corpus, "report", "--by", "region", "--format", "csv")
    assert (code, err) == (0, "")
    assert obeyed(out.replace("\r\n", "\n")) == []
    piped = {row["label"] for row in csv.DictReader(io.StringIO(out, newline=""))}
    assert {item.line for item in ITEMS} <= piped

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["--data-dir", str(corpus), "report", "--by", "region", "--format", "csv"]) == 0
    shown = terminal.getvalue()
    assert obeyed(shown.replace("\r\n", "\n")) == []  # CSV ends its lines with CRLF
    labels = {row["label"] for row in csv.DictReader(io.StringIO(shown, newline=""))}
    assert {item.line for item in ITEMS} <= labels


def test_report_error_naming_the_agents_shows_them_literally(capsys, corpus):
    code, out, err = run(capsys, corpus, "report", "--agent", "nobody")
    assert (code, out) == (2, "")
    assert err.startswith("desk report: --agent: no agent 'nobody'") and err.count("\n") == 1
    assert obeyed(err.rstrip("\n")) == []
    assert [item.id for item in ITEMS if item.line not in err] == []


def test_report_for_one_hostile_agent(capsys, corpus):
    item = next(item for item in ITEMS if item.id == "osc52-clipboard")
    code, out, err = run(capsys, corpus, "report", "--agent", item.raw)
    assert (code, err) == (0, "")
    assert obeyed(out) == []
    assert f"agent {item.line}" in out


def test_metrics_table_and_json_show_agents_literally(capsys, corpus):
    as_of = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out, err = run(capsys, corpus, "metrics", "--as-of", as_of, "--format", "table")
    assert (code, err) == (0, "")
    assert obeyed(out) == []  # agent names used to go out raw
    assert [item.id for item in ITEMS if item.line[:10] not in out] == []
    code, out, err = run(capsys, corpus, "metrics", "--as-of", as_of)
    assert (code, err) == (0, "")
    assert obeyed(out) == []
    assert set(json.loads(out)["agents"]) == {item.raw for item in ITEMS}
