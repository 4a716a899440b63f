"""Who the agent is: the login of the real uid, never an environment variable.

`LOGNAME`, `USER` and friends are set by whoever starts the process, so on a shared host
`LOGNAME=alice desk` must not reply, log events, keep drafts or announce presence as alice.
The agent's name also becomes part of file names (presence/<agent>.<pid>.json,
drafts/<agent>/), so a name that is not a plain login name is refused, never used.
"""

from __future__ import annotations

import os
import pwd
import re

# A portable login name (POSIX's portable filename characters, as useradd's default rule,
# either case): no "/", no leading "." or "-", no control or other character, 1–32 long.
LOGIN_NAME = re.compile(r"[a-z_][a-z0-9_.-]{0,31}", re.IGNORECASE)


class AgentNameError(ValueError):
    """The agent's name is not a safe login name, or the uid has no login at all."""


def safe_agent_name(name: object) -> str:
    """`name` if it is a plain login name, safe as a path component; else AgentNameError."""
    if not isinstance(name, str) or not LOGIN_NAME.fullmatch(name):
        raise AgentNameError(f"{name!r} is not a login name desk can use as an agent "
                             "(letters, digits, _ . -, starting with a letter or _, at most 32)")
    return name


def current_agent() -> str:
    """The login name of the real uid (from the user database, not the environment)."""
    uid = os.getuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        raise AgentNameError(f"uid {uid} has no entry in the user database (see `getent passwd "
                             f"{uid}`); desk names the agent by the login") from None
    try:
        return safe_agent_name(name)
    except AgentNameError as exc:
        raise AgentNameError(f"the login of uid {uid}: {exc}") from None
