"""Audit F9 for the agent: started with the database superuser's login (in every group by PostgreSQL's rules) it
refuses to run, in words, and claims nothing."""

from __future__ import annotations

import os
import sys

import psycopg

from tests.integration.agent.conftest import Rig, spawn
from tests.integration.postgres.team_setup import confirm


def test_the_agent_refuses_a_superuser_login(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PAYOUT_DESK_PROVIDER_TOKEN": rig.token}
    command = [sys.executable, "-m", "payout_desk.agent.cli", "--db", rig.team_db.admin, "--provider-url", rig.base_url]
    agent = spawn(rig.started, command, env)
    assert agent.popen.wait(timeout=60) != 0
    said = agent.output.text()
    assert "a superuser is not a person of the team: log in as yourself" in said, said
    assert rig.token not in said
    with psycopg.connect(rig.team_db.admin) as conn:
        found = conn.execute(
            "SELECT status, lease_holder FROM payout_desk.payouts WHERE local_id = %s", (local_id,)
        ).fetchone()
    assert found == ("confirmed", None)
    assert rig.control.payments() == []
