"""The PostgreSQL backend (issue 17): the repository on a database server, with psycopg 3.

`PostgresStore` is imported on first use: a desk on a data directory never loads this
backend's modules (about 50 ms of every start)."""

from typing import Any

from .connection import is_postgres_url

__all__ = ["PostgresStore", "is_postgres_url"]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":
        from .store import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
