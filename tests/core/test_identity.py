"""The agent is the login of the real uid (issue 13): the environment cannot choose it, and a
name that is not a plain login name never becomes part of a path."""

from __future__ import annotations

import os
import pwd
from types import SimpleNamespace

import pytest

from tui.core import identity
from tui.core.drafts import Draft, Drafts
from tui.core.identity import AgentNameError, current_agent, safe_agent_name
from tui.core.presence import PresenceBoard

BAD_NAMES = ["", "../../x", "..", ".", "a/b", "/etc", "kari\x1b[2J", "kari\x07", "kari\n",
             "ka ri", "-rf", ".hidden", "x" * 33, "kari\x9b", "kä", None, 5]


def test_the_agent_is_the_login_of_the_real_uid_whatever_the_environment_says(monkeypatch):
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "alice")
    assert current_agent() == pwd.getpwuid(os.getuid()).pw_name


@pytest.mark.parametrize("name", ["kari", "ana.b", "_svc", "bob-1", "Kari", "x" * 32])
def test_plain_login_names_are_agents(name):
    assert safe_agent_name(name) == name


@pytest.mark.parametrize("name", BAD_NAMES)
def test_anything_else_is_refused(name):
    with pytest.raises(AgentNameError):
        safe_agent_name(name)


def test_a_login_that_is_not_a_safe_name_is_refused_clearly(monkeypatch):
    monkeypatch.setattr(identity.pwd, "getpwuid", lambda uid: SimpleNamespace(pw_name="../../x"))
    with pytest.raises(AgentNameError, match=r"login of uid \d+: '../../x' is not a login name"):
        current_agent()


def test_a_uid_without_a_login_is_refused_clearly(monkeypatch):
    def missing(uid):
        raise KeyError(uid)

    monkeypatch.setattr(identity.pwd, "getpwuid", missing)
    with pytest.raises(AgentNameError, match=r"uid \d+ has no entry in the user database"):
        current_agent()


@pytest.mark.parametrize("name", ["../../x", "..", "a/b", "", "kari\x1b"])
def test_presence_refuses_a_name_that_is_not_a_login(tmp_path, name):
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(AgentNameError):
        PresenceBoard(data, name).announce("T-1")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["data"]  # nothing written anywhere


@pytest.mark.parametrize("name", ["../../x", "..", "a/b", "", "kari\x1b"])
def test_drafts_refuse_a_name_that_is_not_a_login(tmp_path, name):
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(AgentNameError):
        Drafts(data, name).save(Draft("T-1", "public_reply", "hei"))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["data"]


def test_desk_refuses_to_open_as_a_login_it_cannot_use(tmp_path, monkeypatch, capsys):
    from tui.cli.open_app import open_app

    (tmp_path / "store.json").write_text("{}")
    monkeypatch.setattr(identity.pwd, "getpwuid", lambda uid: SimpleNamespace(pw_name="a/\x1b[2Jb"))
    assert open_app(tmp_path) == 2
    err = capsys.readouterr().err
    assert err.startswith("desk: the login of uid") and err.count("\n") == 1 and "\x1b" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.json"]
