"""The database's guards after the audit (migration 0018), role by role on a real team database: a claim for a
provider that is no longer the team's (F20), reconciliation decisions and the known statuses (F22), withdrawing
an expired payout (F27)."""

from __future__ import annotations

import io
import re
from typing import Any

import psycopg
import pytest
from psycopg import errors

from payout_desk import admin
from payout_desk.domain.approvals import ApprovalRefusedError
from payout_desk.domain.status import KNOWN_STATUSES
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.fenced import FencedPgJournal
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import URL, confirm, overdue, person, row, rule, team
from tests.integration.postgres.team_setup import set_provider


async def test_a_claim_for_the_teams_former_provider_takes_nothing(team_db: TeamDb) -> None:
    identity = team(team_db)
    first, _ = confirm(team_db, identity, "10.00")
    second, _ = confirm(team_db, identity, "11.00")
    agent = await FencedPgJournal.open(team_db.as_person("agent_a", "agent"))
    try:
        lease = await agent.claim(identity.key, "a", 30)
        assert lease is not None
        assert lease.local_id == first
        new = set_provider(team_db, "https://new-provider.example")
        assert await agent.claim(identity.key, "a", 30) is None  # the old provider's payout stays unclaimed
        assert await agent.claim(new.key, "a", 30) is None  # and nothing of the old one goes to the new one
        assert row(team_db, second, "status, lease_holder") == ("confirmed", None)
        set_provider(team_db, URL.upper().replace("HTTPS", "https") + "/")  # the same provider, written otherwise
        again = await agent.claim(identity.key, "a", 30)
        assert again is not None
        assert again.local_id == second
    finally:
        await agent.close()


def _needs_reconciliation(team_db: TeamDb) -> int:
    identity = team(team_db)
    local_id, _ = confirm(team_db, identity, "12.00")
    team_db.grant_unfenced_writes("agent_a")
    with person(team_db, "agent_a") as conn:
        conn.execute("SELECT payout_desk.record_needs_reconciliation(%s, 'check it')", (local_id,))
    return local_id


def _reconcile(conn: psycopg.Connection[Any], local_id: int, decision: str, back_to: str, reason: str = "r") -> None:
    conn.execute("SELECT payout_desk.record_reconciled(%s, %s, %s, %s)", (local_id, decision, reason, back_to))


@pytest.mark.parametrize(("login", "role"), [("pia", "preparer"), ("bob", "approver"), ("vic", "viewer"),
                                             ("agent_a", "agent")])  # fmt: skip
def test_only_an_admin_decides_a_resend(team_db: TeamDb, login: str, role: str) -> None:
    local_id = _needs_reconciliation(team_db)
    with person(team_db, login, role) as conn, pytest.raises(errors.InsufficientPrivilege):
        _reconcile(conn, local_id, "not_found", "outcome_unknown")
    assert row(team_db, local_id, "status") == ("needs_reconciliation",)


def test_an_admins_resend_decision_is_audited(team_db: TeamDb) -> None:
    local_id = _needs_reconciliation(team_db)
    with person(team_db, "ada_admin", "admin") as conn:
        with pytest.raises(errors.InvalidParameterValue, match="needs a reason"):
            _reconcile(conn, local_id, "not_found", "outcome_unknown", reason=" ")
        _reconcile(conn, local_id, "not_found", "outcome_unknown", reason="support: not there")
        audit = conn.execute(
            "SELECT actor, action, detail FROM payout_desk.admin_audit WHERE action = 'reconcile-send-again'"
        ).fetchall()
    assert row(team_db, local_id, "status") == ("outcome_unknown",)
    assert len(audit) == 1
    actor, _, detail = audit[0]
    assert (actor, detail["local_id"], detail["reason"], detail["new"]) == (
        "ada_admin", local_id, "support: not there", "outcome_unknown"
    )  # fmt: skip


BAD_DECISIONS = [
    ("not_found", "succeeded"),
    ("not_found", "confirmed"),
    ("found:pay_1", "outcome_unknown"),
    ("found:pay_1", "paid"),
    ("whatever", "needs_reconciliation"),
    ("found:", "needs_reconciliation"),
]


@pytest.mark.parametrize(("decision", "back_to"), BAD_DECISIONS)
def test_only_the_two_documented_decisions(team_db: TeamDb, decision: str, back_to: str) -> None:
    local_id = _needs_reconciliation(team_db)
    for login, role in (("pia", "preparer"), ("ada_admin", "admin")):
        with person(team_db, login, role) as conn, pytest.raises(errors.InvalidParameterValue):
            _reconcile(conn, local_id, decision, back_to)
    assert row(team_db, local_id, "status") == ("needs_reconciliation",)


def test_a_preparer_still_records_a_payment_found(team_db: TeamDb) -> None:
    local_id = _needs_reconciliation(team_db)
    with person(team_db, "pia") as conn:
        _reconcile(conn, local_id, "found:pay_1", "needs_reconciliation")
    assert row(team_db, local_id, "status") == ("needs_reconciliation",)


def test_the_status_column_holds_the_known_statuses_only(team_db: TeamDb) -> None:
    local_id, _ = confirm(team_db, team(team_db), "13.00")
    with psycopg.connect(team_db.admin) as conn:
        definition = conn.execute(
            "SELECT pg_get_constraintdef(oid), convalidated FROM pg_constraint WHERE conname = 'payouts_status_known'"
        ).fetchone()
        assert definition is not None
        assert set(re.findall(r"'([a-z_]+)'::text", definition[0])) == KNOWN_STATUSES
        assert definition[1] is True  # every row there already fitted: checked
        conn.execute("SET LOCAL session_replication_role = replica")  # even past the triggers
        with pytest.raises(errors.CheckViolation):
            conn.execute("UPDATE payout_desk.payouts SET status = 'paid' WHERE local_id = %s", (local_id,))


def test_an_expired_payout_cannot_be_withdrawn(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "*", "0", 1)
    local_id, _ = confirm(team_db, identity, "14.00")
    overdue(team_db, local_id)
    with person(team_db, "pia") as conn, pytest.raises(ApprovalRefusedError, match=r"expired on .* never be sent"):
        approvals.withdraw(conn, local_id)
    assert row(team_db, local_id, "status")[0] == "awaiting_approval"  # the next claim marks it expired
    with person(team_db, "agent_a") as conn:
        conn.execute("SELECT payout_desk.expire_overdue()")
    assert row(team_db, local_id, "status")[0] == "expired"


def _admin(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return admin.main(list(argv), out=out), out.getvalue()


def test_add_person_keeps_an_agents_login_an_agent_alone(team_db: TeamDb, capsys: pytest.CaptureFixture[str]) -> None:
    db = team_db.admin
    assert _admin("--db", db, "add-person", "bot", "--role", "agent") == (0, "bot: created, now agent\n")
    assert _admin("--db", db, "add-person", "anna", "--role", "preparer") == (0, "anna: created, now preparer\n")
    capsys.readouterr()
    assert _admin("--db", db, "add-person", "bot", "--role", "approver")[0] == 1
    assert "bot is an agent's login and holds the agent role alone" in capsys.readouterr().err
    assert _admin("--db", db, "add-person", "anna", "--role", "agent")[0] == 1
    assert "anna already holds the role preparer: an agent's login holds" in capsys.readouterr().err
    assert _admin("--db", db, "add-person", "bot", "--role", "agent") == (0, "bot: now agent\n")  # again: fine
    assert _admin("--db", db, "people") == (0, "anna\tpreparer\tlogin\nbot\tagent\tlogin\n")
