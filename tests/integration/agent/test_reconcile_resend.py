"""After ``payout-desk-admin reconcile --not-found`` the real agent sends the payout again with its same
idempotency key (once at the provider); a payout the agent held back for a body disagreeing with its columns is
held back again, never sent."""

from __future__ import annotations

import io

import psycopg

from payout_desk import admin
from tests.integration.agent.conftest import AGENT_LOGIN, Rig, status_of, wait_for_journal
from tests.integration.agent.test_body_check import _alter_behind_the_desks_back
from tests.integration.postgres.team_setup import confirm


def _not_found(rig: Rig, local_id: int) -> str:
    out = io.StringIO()
    db = rig.team_db.as_person("ada_admin", "admin")
    assert admin.main(["--db", db, "reconcile", str(local_id), "--not-found", "--reason", "not there"], out=out) == 0
    return out.getvalue()


def _holds(local_id: int, count: int) -> object:
    def check(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
        found = conn.execute(
            "SELECT count(*) FROM payout_desk.events WHERE local_id = %s AND kind = 'needs_reconciliation'",
            (local_id,),
        ).fetchone()
        return found is not None and found[0] == count

    return check


def test_the_agent_resends_with_the_same_key_after_an_admins_decision(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    agent_db = rig.team_db.as_person(AGENT_LOGIN, "agent")
    rig.team_db.grant_unfenced_writes(AGENT_LOGIN)
    with psycopg.connect(agent_db, autocommit=True) as conn:
        conn.execute("SELECT payout_desk.record_needs_reconciliation(%s, 'past the key''s retention')", (local_id,))
    agent = rig.agent(token=rig.token)
    assert rig.control.payments() == []  # needs_reconciliation: the agent leaves it alone
    assert "sends it again with its same idempotency key" in _not_found(rig, local_id)
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
    assert agent.stop() == 0
    payments = rig.control.payments()
    assert [(p["amount"], p["idempotencyKey"]) for p in payments] == [("1.00", "00000000-0000-4000-8000-000000000001")]


def test_a_held_back_payout_is_held_back_again(rig: Rig) -> None:
    tampered, fine = confirm(rig.team_db, rig.identity, 2)
    _alter_behind_the_desks_back(rig.team_db.admin, tampered, "amount")
    agent = rig.agent(token=rig.token)
    wait_for_journal(rig.team_db.admin, _holds(tampered, 1))  # type: ignore[arg-type]
    said = _not_found(rig, tampered)
    assert "warning: the agent held it back before: Not sent:" in said
    wait_for_journal(rig.team_db.admin, _holds(tampered, 2))  # type: ignore[arg-type]
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(fine)(conn) == "pending")
    assert agent.stop() == 0
    assert [p["amount"] for p in rig.control.payments()] == ["2.00"]  # the tampered one never reached the provider
    with psycopg.connect(rig.team_db.admin) as conn:
        assert status_of(tampered)(conn) == "needs_reconciliation"
