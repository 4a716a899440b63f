"""Connecting to PostgreSQL: a small pool of psycopg connections, JSON through orjson, and
database errors turned into the store's one-line errors (naming the server, never its
password)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator

import orjson

from ..errors import StoreError, StoreWriteError

URL_PREFIXES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_S = 5
APPLICATION = "desk"  # pg_stat_activity.application_name of the store's connections


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(URL_PREFIXES)


def describe(url: str) -> str:
    """`database desk on /run/postgresql` for messages: the URL without user or password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a malformed URL is named as such by the caller
        return "PostgreSQL"
    where = parts.get("host") or "the default socket"
    if parts.get("port"):
        where = f"{where}:{parts['port']}"
    return f"PostgreSQL database {parts.get('dbname') or '(default)'} on {where}"


def _configure(conn: Any) -> None:
    from psycopg.types.json import set_json_loads

    set_json_loads(orjson.loads, conn)


def open_pool(url: str, *, max_size: int = 4) -> Any:
    """An open pool with one connection made, or StoreError saying why there is none."""
    try:
        from psycopg_pool import ConnectionPool, PoolTimeout
        import psycopg
    except ImportError as exc:  # e.g. a wheel without its libpq
        raise StoreError(f"the PostgreSQL store needs psycopg, which does not load here ({exc})") from None
    try:
        psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise StoreError(f"the store URL is not one desk can read ({exc})") from None
    # The pool's retries are logged as warnings: kept off the terminal (the app draws there),
    # since each call that meets them says what is wrong in its own error.
    logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())
    logging.getLogger("psycopg.pool").propagate = False
    try:  # one direct connection first: a refusal says why at once (the pool only retries)
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.Error as exc:
        raise StoreError(f"{describe(url)}: cannot connect ({_first_line(exc)}). Is the server "
                         "running, and may this user log in?") from None
    # `check`: a connection the server dropped (a restart, a failover, an idle timeout) is
    # replaced before it is lent instead of failing a call.
    pool = ConnectionPool(url, min_size=1, max_size=max_size, configure=_configure, open=False,
                          kwargs={"connect_timeout": CONNECT_TIMEOUT_S, "autocommit": True,
                                  "application_name": APPLICATION},
                          check=check_connection, timeout=CONNECT_TIMEOUT_S * 2,
                          name="desk")
    try:
        pool.open(wait=True, timeout=CONNECT_TIMEOUT_S * 2)
    except PoolTimeout:
        pool.close()
        raise StoreError(f"{describe(url)}: cannot connect (no connection in "
                         f"{CONNECT_TIMEOUT_S * 2} s)") from None
    return pool


def check_connection(conn: Any) -> None:
    """Raise if the server has ended `conn`. A session the server ends (a restart, a
    failover, pg_terminate_backend) leaves its last words or its end on the socket: only
    then is it tried with an empty query, so a healthy connection is lent with no round
    trip (one fewer per call: a tenth of an update's time)."""
    from psycopg_pool import ConnectionPool

    if conn.closed or server_spoke(conn):
        ConnectionPool.check_connection(conn)


def server_spoke(conn: Any) -> bool:
    """Something waits on the idle connection's socket: its end, or the server's last words."""
    import select

    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def rights_hint(role: str | None) -> str:
    """What a role refused by the database's rights should ask for (grants.py)."""
    who = role or "<your role>"
    return (f"ask the administrator to run GRANT <agents' role> TO {who} (the role given to "
            "`desk init --agents-role`; `desk init` and `desk migrate` are for the tables' "
            "owner alone)")


def _refused_text(exc: BaseException, role: str | None) -> str:
    """The error's first line; for a refused right, what to ask the administrator for."""
    text = _first_line(exc)
    if getattr(exc, "sqlstate", None) == "42501" and text.startswith("permission denied"):
        return f"{text}: {rights_hint(role)}"
    return text


@contextmanager
def database_errors(url: str, *, writing: bool, role: str | None = None) -> Iterator[None]:
    """psycopg's errors as the store's: a write that failed left the database as it was (its
    transaction rolled back), which StoreWriteError says. `role`, the role logged in, is
    named in the advice for a right it lacks."""
    import psycopg
    from psycopg_pool import PoolTimeout

    try:
        yield
    except PoolTimeout:
        raise (StoreWriteError if writing else StoreError)(
            f"{describe(url)}: no connection (the server did not answer in time)"
            + ("; nothing was changed" if writing else "")) from None
    except psycopg.Error as exc:
        if not writing:
            raise StoreError(f"{describe(url)}: {_refused_text(exc, role)}") from None
        if connection_lost(exc):
            raise StoreWriteError(
                f"{describe(url)}: {_first_line(exc)}; the connection was lost during the "
                "change, which may or may not have been saved: look at the ticket before you "
                "do it again") from None
        # Refused by the server (a full disk, no right, a deadlock): rolled back.
        raise StoreWriteError(f"{describe(url)}: {_refused_text(exc, role)}; nothing was changed") from None


def connection_lost(exc: BaseException) -> bool:
    """The error ended the connection (no SQLSTATE on an operational or interface error: the
    client lost it; class 08, or the server shutting down, 57P0x), so a commit may have
    happened unseen. A value psycopg refused before sending it (a NUL in a text, which
    PostgreSQL cannot hold) has no SQLSTATE either, and lost nothing."""
    import psycopg

    state = getattr(exc, "sqlstate", None)
    if state is None:
        return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))
    return state.startswith("08") or state.startswith("57P0")


def reached_no_server(exc: BaseException) -> bool:
    """The pool had no connection to lend, or the one it lent had lost the server."""
    import psycopg
    from psycopg_pool import PoolTimeout

    return isinstance(exc, PoolTimeout) or (isinstance(exc, psycopg.OperationalError)
                                            and connection_lost(exc))


NUL_SHOWN_AS = "\u2400"  # ␀: PostgreSQL's text and jsonb cannot hold U+0000


def jsonb(doc: Any) -> str:
    """A document as JSON text, for a `%s::jsonb` parameter (orjson: datetimes included).
    A NUL in any string or key is stored as ␀, which jsonb can hold and a person can see."""
    return storable(doc)[1]


def storable(doc: Any) -> tuple[Any, str]:
    """(`doc` with each NUL as ␀, its JSON text): what the database will hold."""
    text = orjson.dumps(doc).decode()
    if "\\u0000" in text:  # seldom: the escape is only looked for in the text first
        doc = without_nul(doc)
        text = orjson.dumps(doc).decode()
    return doc, text


def without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", NUL_SHOWN_AS)
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nul(v) for v in value]
    return value
