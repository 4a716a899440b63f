"""`desk clone`, `desk sync`, `desk conflicts` and `desk resolve` as a new user runs them,
through a local-path remote (so `desk sync-serve` runs as a real child process): clone, work
three tickets offline, one of them changed on the host meanwhile, sync, settle the conflict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli import main

from .helpers import make_host, opened


@pytest.fixture(autouse=True)
def _config(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))


def desk(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_clone_work_offline_sync_and_resolve(tmp_path, capsys):
    host = make_host(tmp_path)
    laptop = str(tmp_path / "laptop")
    code, out, _ = desk(capsys, "clone", str(host), laptop)
    assert code == 0 and "Cloned 4 active tickets" in out

    assert desk(capsys, "ticket", "--data-dir", laptop, "reply", "T-1", "--body", "on the train")[0] == 0
    assert desk(capsys, "ticket", "--data-dir", laptop, "update", "T-2", "--status", "pending")[0] == 0
    assert desk(capsys, "ticket", "--data-dir", laptop, "update", "T-3", "--add-tag", "vip")[0] == 0
    team = opened(host, "hostagent")
    team.update_ticket("T-2", {"status": "on_hold"}, team.get_ticket("T-2").rev)

    code, out, _ = desk(capsys, "sync", "--status", "--data-dir", laptop)
    assert code == 0 and "changes not synced: 3" in out and "last sync: never" in out
    code, out, _ = desk(capsys, "sync", "--data-dir", laptop)
    assert code == 3 and "pushed 2" in out and "conflicts 1" in out
    code, out, _ = desk(capsys, "conflicts", "--format", "json", "--data-dir", laptop)
    assert json.loads(out) == [{"ticket": "T-2", "field": "status", "mine": "pending",
                                "theirs": "on_hold", "base": "new"}]
    code, out, _ = desk(capsys, "resolve", "T-2", "status", "mine", "--data-dir", laptop)
    assert code == 0 and "kept mine" in out
    code, out, _ = desk(capsys, "sync", "--data-dir", laptop)
    assert code == 0 and "pushed 1" in out and "conflicts 0" in out

    team.refresh()
    assert team.get_ticket("T-2").status == "pending"
    assert [m.body for m in team.get_ticket("T-1").messages][-1] == "on the train"
    assert team.get_ticket("T-3").tags == ["vip"]
    team.close()
    code, out, _ = desk(capsys, "conflicts", "--data-dir", laptop)
    assert code == 0 and out.strip() == "no conflicts"


def test_commands_for_replicas_refuse_another_store_in_one_line(tmp_path, capsys):
    host = make_host(tmp_path)
    for args in (["sync"], ["sync", "--status"], ["conflicts"], ["resolve", "T-1", "status", "mine"]):
        code, out, err = desk(capsys, *args, "--data-dir", str(host))
        assert code == 1 and "is not a replica" in err and len(err.splitlines()) == 1


def test_resolving_what_is_not_in_conflict_says_so(tmp_path, capsys):
    host = make_host(tmp_path)
    laptop = str(tmp_path / "laptop")
    desk(capsys, "clone", str(host), laptop)
    code, _, err = desk(capsys, "resolve", "T-1", "status", "theirs", "--data-dir", laptop)
    assert code == 1 and "T-1 has no conflict on status" in err


def test_clone_of_a_missing_store_is_one_line(tmp_path, capsys):
    code, out, err = desk(capsys, "clone", str(tmp_path / "nothing"), str(tmp_path / "laptop"))
    assert code == 1 and "is not a desk store" in err and len(err.splitlines()) == 1
    assert not Path(tmp_path / "laptop").exists()
