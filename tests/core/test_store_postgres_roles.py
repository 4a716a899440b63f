"""Identity and rights from the database (issue 17, part 3): `desk init --store URL
--agents-role support` gives the group role `support` what an agent needs; alice and bob
are LOGIN roles in it, carol is not. Each logs in as itself (.ci/postgres.sh maps the test
user to these roles), so the database, not desk, decides who is who.
"""

from __future__ import annotations

import subprocess
import sys
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import psycopg
import pytest

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401
from tui.cli import main
from tui.core.store import PostgresStore, StoreError
from tui.core.store.postgres.schema import DDL, SCHEMA_VERSION

GROUP = "support"
CUSTOMER = {"id": "C-1", "name": "Håkon Bråten", "customer_since": "2020-01-01T00:00:00.000Z"}


def as_role(url: str, role: str) -> str:
    """The test URL, logging in as `role` instead of the administrator."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "user"] + [("user", role)]
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query, safe='/')}"


def make_login(admin, role: str, *, member: bool) -> None:
    if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
        admin.execute(f"CREATE ROLE {role} LOGIN")
    admin.execute(f"{'GRANT' if member else 'REVOKE'} {GROUP} {'TO' if member else 'FROM'} {role}")


@pytest.fixture
def url(postgres_schema, capsys):
    assert main(["init", "--store", postgres_schema, "--agents-role", GROUP]) == 0
    capsys.readouterr()
    with psycopg.connect(postgres_schema, autocommit=True) as admin:
        make_login(admin, "alice", member=True)
        make_login(admin, "bob", member=True)
        make_login(admin, "carol", member=False)
    seed = PostgresStore(postgres_schema)
    seed.load_records("customers", [CUSTOMER])
    seed.close()
    return postgres_schema


@pytest.fixture
def alice(url):
    store = PostgresStore(as_role(url, "alice"), agent="bob")  # a claimed name counts for nothing
    yield store
    store.close()


def grant_schema_usage(admin, role: str) -> None:
    schema = admin.execute("SELECT current_schema()").fetchone()[0]
    admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')


def events_of(url: str) -> list[dict]:
    with connect(url) as admin:
        return [row[0] for row in admin.execute("SELECT event FROM events ORDER BY pos")]


def test_init_twice_gives_the_same_rights_and_says_how_to_add_an_agent(postgres_schema, capsys):
    def rights() -> list[tuple]:
        with connect(postgres_schema) as admin:
            return admin.execute(
                "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = %s AND table_schema = current_schema() ORDER BY 1, 2",
                (GROUP,)).fetchall()

    assert main(["init", "--store", postgres_schema, "--agents-role", GROUP]) == 0
    first = rights()
    assert main(["init", "--store", postgres_schema, "--agents-role", GROUP]) == 0
    out = capsys.readouterr().out
    assert rights() == first
    assert ("events", "INSERT") in first and ("events", "SELECT") in first
    assert not {("events", p) for p in ("UPDATE", "DELETE", "TRUNCATE")} & set(first)
    assert ("tickets", "UPDATE") in first and ("tickets", "DELETE") not in first
    assert f"GRANT {GROUP} TO alice;" in out and "CREATE ROLE alice LOGIN;" in out
    assert "user=desk_test" not in out.splitlines()[-1]  # the agent's URL is not the admin's


def test_an_agent_does_its_work_and_every_event_names_its_role(url, alice):
    assert alice.agent == "alice"
    ticket = alice.insert_ticket(customer="C-1", subject="No dial tone", body="Since today.")
    alice.append_message(ticket.id, kind="public_reply", body="Try the other socket.")
    changed = alice.update_ticket(ticket.id, {"status": "pending"}, expected_rev=ticket.rev + 1)
    assert changed.status == "pending" and changed.messages[-1].author == "alice"
    logged = events_of(url)
    assert {e["type"] for e in logged} >= {"ticket_created", "agent_reply", "status_change"}
    assert {e["agent"] for e in logged} == {"alice"}


def test_the_cli_acts_as_the_role_that_logged_in(url, alice, capsys):
    ticket = alice.insert_ticket(customer="C-1", subject="Slow line", body="Since today.")
    assert main(["ticket", "update", ticket.id, "--assignee", "me",
                 "--store", as_role(url, "bob")]) == 0
    assert alice.get_ticket(ticket.id).assignee == "bob"
    assert events_of(url)[-1]["agent"] == "bob"


def test_the_cli_on_postgresql_is_the_role_not_the_unix_login(url, alice):
    """Even for the tables' owner, who may name an agent, `desk ticket` names none."""
    ticket = alice.insert_ticket(customer="C-1", subject="Slow line", body="Since today.")
    assert main(["ticket", "update", ticket.id, "--assignee", "me", "--store", url]) == 0
    assert alice.get_ticket(ticket.id).assignee == "desk_test"


def test_an_agent_cannot_update_delete_or_truncate_the_event_log(url, alice):
    alice.insert_ticket(customer="C-1", subject="No dial tone", body="Since today.")
    before = events_of(url)
    with psycopg.connect(as_role(url, "alice"), autocommit=True) as conn:
        for statement in ("UPDATE events SET type = 'x'", "DELETE FROM events",
                          "TRUNCATE events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege,
                               match="permission denied for table events"):
                conn.execute(statement)
    assert events_of(url) == before


def test_an_agent_cannot_write_an_event_or_presence_as_another_role(url, alice):
    ticket = alice.insert_ticket(customer="C-1", subject="No dial tone", body="Since today.")
    event = events_of(url)[-1]
    insert = "INSERT INTO events (ticket, type, event) VALUES (%s, %s, %s::jsonb)"
    with psycopg.connect(as_role(url, "alice"), autocommit=True) as conn:
        forged = {**event, "id": "01J00000000000000000000000", "agent": "bob"}
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(insert, (ticket.id, forged["type"], psycopg.types.json.Jsonb(forged)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO presence (backend, agent, ticket, state) "
                         "VALUES (pg_backend_pid(), 'bob', %s, 'replying')", (ticket.id,))
        own = {**event, "id": "01J00000000000000000000001", "agent": "alice"}
        conn.execute(insert, (ticket.id, own["type"], psycopg.types.json.Jsonb(own)))
    assert [e["agent"] for e in events_of(url)].count("bob") == 0


def _presence_rows(url: str, agent: str) -> int:
    with connect(url) as conn:
        return conn.execute("SELECT count(*) FROM presence WHERE agent = %s", (agent,)).fetchone()[0]


def test_presence_shows_each_agent_by_its_role_until_its_connection_ends(url, alice):
    bob = PostgresStore(as_role(url, "bob"))
    mine, theirs = alice.presence_board(), bob.presence_board()
    try:
        mine.announce("T-1", "replying")
        theirs.announce("T-1")
        seen = theirs.others()
        assert [(p.agent, p.ticket, p.state) for p in seen] == [("alice", "T-1", "replying")]
        with psycopg.connect(as_role(url, "bob"), autocommit=True) as conn:
            # bob can neither take over nor remove alice's row while her desk is there
            assert conn.execute("UPDATE presence SET ticket = 'T-9' WHERE agent = 'alice'").rowcount == 0
            assert conn.execute("DELETE FROM presence WHERE agent = 'alice'").rowcount == 0
        with psycopg.connect(as_role(url, "alice"), autocommit=True) as conn:
            # her desk's connection ends (a crash, a lost network), with no goodbye
            assert conn.execute("SELECT pg_terminate_backend(%s, 5000)", (seen[0].pid,)).fetchone()[0]
        assert theirs.others() == []
        # bob's desk, next to hers in the ring, removes her row: an agent's role may
        deadline = time.monotonic() + 5
        while _presence_rows(url, "alice") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _presence_rows(url, "alice") == 0
        mine.announce("T-2")  # her desk comes back on a new connection
        assert [(p.agent, p.ticket) for p in theirs.others()] == [("alice", "T-2")]
        mine.clear()
        assert theirs.others() == []
    finally:
        mine.clear()
        theirs.clear()
        bob.close()


def test_a_role_outside_the_agents_role_gets_one_line_saying_what_to_ask_for(url):
    with pytest.raises(StoreError) as refused:
        PostgresStore(as_role(url, "carol"))
    text = str(refused.value)
    assert "permission denied for schema" in text and "GRANT <agents' role> TO carol" in text
    assert "\n" not in text
    with connect(url) as admin:  # with the schema usable (as `public` is), the table refuses
        grant_schema_usage(admin, "carol")
        admin.commit()
    with pytest.raises(StoreError, match=r"permission denied for table \w+: ask the "
                                         r"administrator to run GRANT <agents' role> TO carol"):
        PostgresStore(as_role(url, "carol"))


def test_the_cli_refuses_a_role_without_rights_in_one_line(url):
    done = subprocess.run([sys.executable, "-m", "tui", "ticket", "list", "--store",
                           as_role(url, "carol")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "TO carol" in done.stderr


def test_the_owner_brings_schema_1_tables_up_to_date_and_an_agent_is_told_to_ask(postgres_schema):
    with connect(postgres_schema) as admin:  # tables as a desk of schema 1 made them
        admin.execute(DDL)
        admin.execute("INSERT INTO desk_meta VALUES ('schema', '1'::jsonb)")
        if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (GROUP,)).fetchone() is None:
            admin.execute(f"CREATE ROLE {GROUP} NOLOGIN")
        grant_schema_usage(admin, GROUP)
        admin.execute("GRANT SELECT ON desk_meta TO support")
        make_login(admin, "alice", member=True)
        admin.commit()
    with pytest.raises(StoreError, match="tables are of schema 1.*desk init --store"):
        PostgresStore(as_role(postgres_schema, "alice"))
    PostgresStore(postgres_schema).close()  # the owner opens it: the current schema
    with connect(postgres_schema) as admin:
        assert admin.execute("SELECT value FROM desk_meta WHERE key = 'schema'").fetchone()[0] \
            == SCHEMA_VERSION
        assert admin.execute("SELECT to_regclass('presence') IS NOT NULL").fetchone()[0]
        assert admin.execute("SELECT to_regclass('queue') IS NOT NULL").fetchone()[0]


def test_init_refuses_a_login_role_as_the_agents_role_and_changes_nothing(url, capsys):
    with connect(url) as admin:
        before = admin.execute("SELECT count(*) FROM information_schema.role_table_grants "
                               "WHERE grantee = 'alice'").fetchone()[0]
    assert main(["init", "--store", url, "--agents-role", "alice"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "alice can log in" in err and "NOLOGIN" in err
    with connect(url) as admin:
        assert admin.execute("SELECT count(*) FROM information_schema.role_table_grants "
                             "WHERE grantee = 'alice'").fetchone()[0] == before


def test_agents_role_needs_a_postgresql_store(tmp_path, capsys):
    assert main(["init", "--data-dir", str(tmp_path / "d"), "--agents-role", GROUP]) == 2
    assert "--agents-role is for a PostgreSQL store" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
