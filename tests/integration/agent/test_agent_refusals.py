"""The agent refuses to start, in one line and before claiming anything, when it cannot serve its ``--listen``
address (audit F28), when its login is more than an agent (F30), and when its token's source is unclear (F23):
the real agent in its own process, the sandbox in another, the real team database."""

from __future__ import annotations

import os
import socket
import sys

import psycopg
import pytest
from psycopg import sql

from tests.integration.agent.conftest import Process, Rig, spawn
from tests.integration.agent.ops_helpers import all_output, events
from tests.integration.postgres.team_setup import confirm


def _finished(process: Process) -> tuple[int, str]:
    status = process.popen.wait(timeout=60)
    return status, all_output(process)


def _nothing_claimed(rig: Rig, local_id: int, text: str) -> None:
    assert "claimed" not in text
    assert "Traceback" not in text
    assert events(rig.team_db.admin, local_id) == [("confirmed", "pia")]
    assert rig.control.payments() == []


def test_a_busy_listen_port_stops_the_agent_before_it_claims(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, text = _finished(rig.agent("--listen", f"127.0.0.1:{port}", token=rig.token))
    assert status == 1, text
    assert f"payout-desk-agent: --listen 127.0.0.1:{port}: cannot listen there (Address already in use)" in text
    assert "running" not in text
    _nothing_claimed(rig, local_id, text)


def _agent_as(rig: Rig, conninfo: str, *args: str) -> tuple[int, str]:
    command = [sys.executable, "-m", "payout_desk.agent.cli", "--db", conninfo, "--provider-url", rig.base_url, *args]
    env = {**os.environ, "PAYOUT_DESK_PROVIDER_TOKEN": rig.token, "PYTHONUNBUFFERED": "1"}
    return _finished(spawn(rig.started, command, env))


@pytest.mark.parametrize("self_test", [False, True])
@pytest.mark.parametrize("extra", ["approver", "preparer", "admin", "viewer"])
def test_an_agent_login_with_another_app_role_is_refused(rig: Rig, extra: str, self_test: bool) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    conninfo = rig.team_db.as_person("agent2", "agent", extra)
    status, text = _agent_as(rig, conninfo, *(["--self-test"] if self_test else []))
    assert status == 1, text
    assert f"The login agent2 holds payout_desk_{extra} as well as payout_desk_agent" in text
    assert "PASSED" not in text
    _nothing_claimed(rig, local_id, text)


@pytest.mark.parametrize("attribute", ["SUPERUSER", "CREATEROLE", "BYPASSRLS"])
def test_an_agent_login_with_power_over_the_database_is_refused(rig: Rig, attribute: str) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    conninfo = rig.team_db.as_person("agent3", "agent")
    with psycopg.connect(rig.team_db.admin, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE agent3 " + attribute))  # type: ignore[arg-type]  # a fixed word
    status, text = _agent_as(rig, conninfo, "--self-test")
    assert status == 1, text
    if attribute == "SUPERUSER":  # refused by the journal's probe first (a superuser is no person of the team)
        assert "The login agent3 is a database superuser: a superuser is not a person of the team" in text
    else:
        assert f"The login agent3 is {attribute.lower()}" in text
    _nothing_claimed(rig, local_id, text)


def test_the_database_superuser_itself_is_refused(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    status, text = _agent_as(rig, rig.team_db.admin)
    assert status == 1, text
    assert "is a database superuser: a superuser is not a person of the team" in text
    _nothing_claimed(rig, local_id, text)
