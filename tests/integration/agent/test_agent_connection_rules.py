"""The agent (the token holder) keeps the desk's rules (audit F6, F7), in its own process against the sandbox and
the real team database:

* ``--db`` to another computer without sslmode=verify-full is refused before anything is dialled — at start and in
  ``--self-test`` (exit 1, words naming sslmode and the host); the unix socket the rig uses keeps working.
* its messages never send the operator to "Settings": a bad token says PAYOUT_DESK_PROVIDER_TOKEN or --token-file,
  in the self-test and in the ``last_error`` a payout rejected for it carries to the team's desks.
"""

from __future__ import annotations

import os
import sys

import psycopg
import pytest

from tests.integration.agent.conftest import Process, Rig, spawn, wait_for_journal
from tests.integration.agent.ops_helpers import all_output
from tests.integration.postgres.team_setup import confirm

BAD_TOKEN = "tk_test_not_a_real_token_0000"


def _finished(process: Process) -> tuple[int, str]:
    status = process.popen.wait(timeout=60)
    return status, all_output(process)


def _agent_on(rig: Rig, conninfo: str, *args: str) -> Process:
    command = [sys.executable, "-m", "payout_desk.agent.cli", "--db", conninfo, "--provider-url", rig.base_url, *args]
    return spawn(rig.started, command, {**os.environ, "PAYOUT_DESK_PROVIDER_TOKEN": rig.token, "PYTHONUNBUFFERED": "1"})


@pytest.mark.parametrize(
    ("conninfo", "host"),
    [
        ("host=192.0.2.1 dbname=payout_desk user=agent connect_timeout=3", "192.0.2.1"),  # libpq's default: prefer
        ("host=10.1.2.3 dbname=payout_desk user=agent sslmode=require connect_timeout=3", "10.1.2.3"),
        ("postgresql://agent@127.0.0.1:1/payout_desk?hostaddr=192.0.2.5&connect_timeout=3", "192.0.2.5"),
    ],
)
@pytest.mark.parametrize("self_test", [True, False])
def test_a_remote_database_without_verify_full_is_refused_before_dialling(
    rig: Rig, conninfo: str, host: str, self_test: bool
) -> None:
    status, text = _finished(_agent_on(rig, conninfo, *(["--self-test"] if self_test else [])))
    assert status == 1
    assert "--db: sslmode: must be verify-full, because the host " + host in text
    assert "Nothing was dialled" in text
    assert "timeout expired" not in text  # refused before libpq was asked
    assert "connection failed" not in text
    assert "running" not in text  # nothing was started, nothing claimed
    assert rig.token not in text


def test_the_rigs_unix_socket_database_passes_the_rule(rig: Rig) -> None:
    status, text = _finished(rig.agent("--self-test", token=rig.token))
    assert status == 0, text
    assert "sslmode" not in text


def test_a_bad_token_points_to_the_agents_token_sources_not_settings(rig: Rig) -> None:
    status, text = _finished(rig.agent("--self-test", token=BAD_TOKEN))
    assert status == 1
    assert "self-test FAILED: The provider did not recognise the agent's API token. Check " in text
    assert "PAYOUT_DESK_PROVIDER_TOKEN or --token-file" in text
    assert "Settings" not in text
    assert BAD_TOKEN not in text


def test_a_payout_refused_for_the_agents_token_says_so_to_the_desks(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    agent = rig.agent(token=BAD_TOKEN)

    def rejected(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
        row = conn.execute("SELECT status FROM payout_desk.payouts WHERE local_id = %s", (local_id,)).fetchone()
        return row is not None and row[0] == "rejected"

    try:
        wait_for_journal(rig.team_db.admin, rejected)
    finally:
        agent.stop()
    with psycopg.connect(rig.team_db.admin) as conn:
        row = conn.execute("SELECT last_error FROM payout_desk.payouts WHERE local_id = %s", (local_id,)).fetchone()
    assert row is not None
    assert "PAYOUT_DESK_PROVIDER_TOKEN or --token-file" in str(row[0])
    assert "Settings" not in str(row[0])
    assert rig.control.payments() == []
