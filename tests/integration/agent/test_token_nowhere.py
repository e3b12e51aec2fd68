"""The provider token is found nowhere but in the agent's memory: after a full send with a distinctive token,
not in any column of any table (read as the owner), not in a ``pg_dump`` of the database, not in the agent's
log, not in the server's log (every statement logged). Each scan must see the payout (its payment id), so none
passes vacuously."""

from __future__ import annotations

import subprocess

import psycopg
from psycopg import sql

from tests.fixtures.postgres import postgres_bin
from tests.integration.agent.conftest import Rig, status_of, wait_for_journal
from tests.integration.agent.ops_helpers import all_output, payout_state
from tests.integration.postgres.team_setup import confirm


def _rows_with(conninfo: str, needle: str) -> dict[str, int]:
    """For every user table: how many of its rows contain ``needle`` in any column (row as text)."""
    found: dict[str, int] = {}
    with psycopg.connect(conninfo) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        assert tables
        for schema, table in tables:
            query = sql.SQL("SELECT count(*) FROM {}.{} AS t WHERE strpos(t::text, %s) > 0").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            row = conn.execute(query, (needle,)).fetchone()
            found[f"{schema}.{table}"] = int(row[0]) if row else 0
    return found


def test_the_token_is_in_no_table_dump_or_log(rig: Rig) -> None:
    token = rig.control.mint_token()  # a fresh, distinctive token of the sandbox
    server_log = rig.team_db.server.socket_dir.parent / "log"
    log_start = server_log.stat().st_size
    with psycopg.connect(rig.team_db.admin, autocommit=True) as conn:  # the server logs every statement sent
        conn.execute(sql.SQL("ALTER DATABASE {} SET log_statement = 'all'").format(sql.Identifier(rig.team_db.name)))
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    agent = rig.agent("--log-level", "debug", token=token)
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
    payment_id = payout_state(rig.team_db.admin, local_id).payment_id
    assert payment_id is not None
    agent.output.expect(rf"payout {local_id} created as {payment_id}")
    assert agent.stop() == 0
    # The server's log first: the scans below send the token themselves, as query parameters.
    with server_log.open("rb") as log:
        log.seek(log_start)
        server_text = log.read().decode(errors="replace")
    assert payment_id in server_text  # the agent's statements were logged, record_created's among them
    assert token not in server_text

    assert not any(_rows_with(rig.team_db.admin, token).values())
    assert sum(_rows_with(rig.team_db.admin, payment_id).values()) >= 2  # the payout row and its created event

    bindir = postgres_bin()
    assert bindir is not None
    server = rig.team_db.server
    command = [str(bindir / "pg_dump"), "-h", str(server.socket_dir), "-p", str(server.port), "-U", "postgres"]
    dump = subprocess.run([*command, rig.team_db.name], capture_output=True, text=True, check=True, timeout=60).stdout
    assert payment_id in dump
    assert token not in dump

    agent_log = all_output(agent)
    assert f"payout {local_id} created as {payment_id}" in agent_log
    assert "stopped" in agent_log  # the whole log, to its last line
    assert token not in agent_log
