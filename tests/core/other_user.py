"""Other Unix users for the tests where root would hide a problem (root reads and writes
everything): `deskintruder`, outside the team's group, and `deskmember`, in it (a
supplementary member of `deskteam`). Made with groupadd/useradd when missing (CI runs as
root on a bare machine); the tests that need them skip only when not root.

`run_as(user, fn, *args)` runs `fn` in a forked child that has switched to the user's uid,
primary group and groups (initgroups, setresgid, setresuid: what `setpriv --reuid --regid
--init-groups` does). A fork rather than `setpriv python -c`: the child needs no access to
the interpreter or the checkout, which may sit under a home directory others cannot enter
(here /root/.pyenv), so only the permissions of the store decide what the user can do.
"""

from __future__ import annotations

import grp
import os
import pickle
import pwd
import signal
import subprocess
from dataclasses import dataclass
from typing import Any, Callable

import pytest

INTRUDER, MEMBER, TEAM = "deskintruder", "deskmember", "deskteam"

needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="making users and switching to them needs root")


def ensure_group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        subprocess.run(["groupadd", name], check=True, capture_output=True)
        return grp.getgrnam(name).gr_gid


def ensure_user(name: str, groups: tuple[str, ...] = ()) -> pwd.struct_passwd:
    """The user `name` (with its own group), in `groups` besides."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", "--user-group", name],
                       check=True, capture_output=True)
    for group in groups:
        if name not in grp.getgrnam(group).gr_mem:
            subprocess.run(["usermod", "--append", "--groups", group, name], check=True,
                           capture_output=True)
    return pwd.getpwnam(name)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    value: Any  # what fn returned, or "ExceptionType: message"


def run_as(user: str, fn: Callable[..., Any], *args: Any, timeout: int = 60) -> Outcome:
    """fn(*args) as `user`; its return value must pickle."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            signal.alarm(timeout)
            entry = pwd.getpwnam(user)
            os.initgroups(user, entry.pw_gid)
            os.setresgid(entry.pw_gid, entry.pw_gid, entry.pw_gid)
            os.setresuid(entry.pw_uid, entry.pw_uid, entry.pw_uid)
            try:
                result: tuple = (True, fn(*args))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                result = (False, f"{type(exc).__name__}: {exc}")
            data = pickle.dumps(result)
        except BaseException as exc:  # noqa: BLE001
            data = pickle.dumps(("setup", repr(exc)))
        try:
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as incoming:
        data = incoming.read()
    os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"the child running as {user} died without a word")
    ok, value = pickle.loads(data)
    if ok == "setup":
        raise RuntimeError(f"could not become {user}: {value}")
    return Outcome(ok, value)


@pytest.fixture
def team():
    """(team gid, intruder, member): the group and both users exist."""
    gid = ensure_group(TEAM)
    intruder = ensure_user(INTRUDER)
    member = ensure_user(MEMBER, (TEAM,))
    return gid, intruder, member
