"""The PostgreSQL test server for the store tests: DESK_TEST_POSTGRES, a libpq URL that
.ci/postgres.sh writes to /tmp/desk-ci-pg/env. Without it the PostgreSQL tests skip, except
in CI (DESK_CI=1), where they fail: CI must never pass without having run them.

`postgres_schema` gives each test a fresh, empty schema (the store makes its tables there
at its first open), dropped after the test.
"""

from __future__ import annotations

import os
import secrets

import pytest


def postgres_url() -> str:
    url = os.environ.get("DESK_TEST_POSTGRES")
    if not url:
        if os.environ.get("DESK_CI") == "1":
            pytest.fail("DESK_CI=1 but DESK_TEST_POSTGRES is not set: .ci/run starts PostgreSQL "
                        "with .ci/postgres.sh and sources /tmp/desk-ci-pg/env")
        pytest.skip("no PostgreSQL: bash .ci/postgres.sh start && . /tmp/desk-ci-pg/env")
    return url


def in_schema(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema` (libpq's `options`)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_schema():
    import psycopg

    url = postgres_url()
    schema = f"desk_test_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield in_schema(url, schema)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def connect(url: str):
    """A plain connection to the test schema, beside the store's own."""
    import psycopg

    return psycopg.connect(url)
