"""The PostgreSQL backend (issue 17): the repository on a database server, with psycopg 3."""

from .connection import is_postgres_url
from .store import PostgresStore

__all__ = ["PostgresStore", "is_postgres_url"]
