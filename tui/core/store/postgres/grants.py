"""The agents' rights on a PostgreSQL store (`desk init --store URL --agents-role ROLE`),
given by the administrator, the role that owns desk's tables.

The agents' role is a group (NOLOGIN); each agent is a login role made a member of it
(`GRANT support TO alice`). The group gets what an agent's desk needs and no more: it reads
and writes tickets and records, reads the event log and adds to it (never UPDATE, DELETE or
TRUNCATE: nobody rewrites history), writes presence, and draws numbers from the sequences.
Row-level security (schema.py) holds each member to its own name in events and presence.
Every right is revoked and given again, so a second run leaves exactly the same rights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .schema import SEQUENCES

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # needs no quoting in SQL or a shell
TABLE_RIGHTS = {
    "desk_meta": "SELECT",
    "tickets": "SELECT, INSERT, UPDATE",
    "queue": "SELECT, INSERT, UPDATE",
    "customers": "SELECT, INSERT, UPDATE",
    "products": "SELECT, INSERT, UPDATE",
    "purchases": "SELECT, INSERT, UPDATE",
    "events": "SELECT, INSERT",
    "presence": "SELECT, INSERT, UPDATE, DELETE",
}
EVENTS_SEQUENCE = "events_pos_seq"


class GrantsRefused(ValueError):
    """The grants cannot be given by this role, or the name is not a group role's."""


@dataclass
class Granted:
    schema: str
    database: str
    role: str
    created: bool  # the group role was made now (else it was there)
    done: list[str] = field(default_factory=list)  # one line per step, for `desk init`


def check_role_name(role: str) -> str:
    if not ROLE_NAME.fullmatch(role):
        raise GrantsRefused(f"--agents-role {role!r}: a role name of lower-case letters, digits "
                            "and _ (starting with a letter or _), at most 63")
    return role


def grant_agents(conn: Any, role: str) -> Granted:
    """Make the group role if it is missing and give it the agents' rights on the schema's
    tables, in the caller's transaction."""
    from psycopg import sql

    check_role_name(role)
    me, schema, database, may_create = conn.execute(
        "SELECT session_user, current_schema(), current_database(), "
        "rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = session_user").fetchone()
    owner = conn.execute("SELECT pg_get_userbyid(relowner), pg_has_role(session_user, relowner, "
                         "'USAGE') FROM pg_class WHERE oid = 'desk_meta'::regclass").fetchone()
    if not owner[1]:
        raise GrantsRefused(f"the role {me} does not own desk's tables in schema {schema} "
                            f"({owner[0]} does): give the agents' rights as {owner[0]}")
    found = conn.execute("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s",
                         (role,)).fetchone()
    if found and (found[0] or found[1]):
        raise GrantsRefused(f"the role {role} can log in{' and is a superuser' if found[1] else ''}: "
                            "the agents' role must be a group role (NOLOGIN) that agents are members of")
    if found is None and not may_create:
        raise GrantsRefused(f"there is no role {role}, and {me} may not create roles: an "
                            f"administrator runs CREATE ROLE {role} NOLOGIN first")
    result = Granted(schema=schema, database=database, role=role, created=found is None)
    if found is None:
        conn.execute(f"CREATE ROLE {role} NOLOGIN")
        result.done.append(f"created the group role {role} (NOLOGIN)")
    if conn.execute("SELECT pg_has_role(session_user, datdba, 'USAGE') FROM pg_database "
                    "WHERE datname = current_database()").fetchone()[0]:
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(role)))
    else:
        result.done.append(f"CONNECT on database {database} is as its owner left it")
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
        sql.Identifier(schema), sql.Identifier(role)))
    for table, rights in TABLE_RIGHTS.items():
        conn.execute(f"REVOKE ALL ON {table} FROM PUBLIC, {role}")
        conn.execute(f"GRANT {rights} ON {table} TO {role}")
    sequences = [*SEQUENCES.values(), EVENTS_SEQUENCE]
    listed = ", ".join(sequences)
    conn.execute(f"REVOKE ALL ON SEQUENCE {listed} FROM PUBLIC, {role}")
    conn.execute(f"GRANT USAGE, SELECT ON SEQUENCE {listed} TO {role}")
    result.done += [
        f"{role} may use schema {schema} of database {database}",
        f"{role} reads and writes tickets, customers, products and purchases (no DELETE)",
        f"{role} reads the event log and adds to it; UPDATE, DELETE and TRUNCATE are refused",
        f"{role}'s members write events and presence only under their own role "
        "(row-level security)",
        f"{role} draws numbers from the sequences; no other role (PUBLIC) has any right on "
        "these tables",
    ]
    return result


def add_agent_commands(granted: Granted, agent: str = "alice") -> list[str]:
    """The SQL an administrator runs (psql, on the store's database) to add an agent."""
    lines = [f"CREATE ROLE {agent} LOGIN;  -- peer authentication: the OS login {agent}; "
             f"else also \\password {agent}",
             f"GRANT {granted.role} TO {agent};"]
    if granted.schema != "public":
        lines.append(f'ALTER ROLE {agent} IN DATABASE "{granted.database}" '
                     f'SET search_path = "{granted.schema}";')
    return lines


def agent_url(url: str) -> str:
    """`url` without the administrator's user and password: an agent logs in as itself."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k not in ("user", "password")], safe="/")
    return f"{parts.scheme}://{host}{parts.path}" + (f"?{query}" if query else "")
