"""Role-by-role attacks on the approvals (issue 21): every way around approve() the database must refuse."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from psycopg import errors

from payout_desk.domain.approvals import ApprovalRefusedError, body_hash
from payout_desk.journal.postgres import approvals
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, person, row, rule, team


def test_the_preparer_cannot_approve_their_own_payout_even_as_an_approver(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "*", "0", 1)
    local_id, body = confirm(team_db, identity, "15000.00")
    with person(team_db, "pia", "approver") as conn:
        with pytest.raises(ApprovalRefusedError, match="You prepared payout"):
            approvals.approve(conn, local_id, body_hash(body))
        with pytest.raises(ApprovalRefusedError, match="withdraw it instead"):
            approvals.reject(conn, local_id, "no")
    assert row(team_db, local_id) == ("awaiting_approval", 1)


def test_one_person_counts_once_and_only_for_the_body_confirmed(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "*", "0", 2)
    local_id, body = confirm(team_db, identity, "15000.00")
    with person(team_db, "bob") as conn:
        with pytest.raises(ApprovalRefusedError, match="not the one its preparer confirmed"):
            approvals.approve(conn, local_id, body_hash(body.replace("15000.00", "150.00")))
        approvals.approve(conn, local_id, body_hash(body))
        with pytest.raises(ApprovalRefusedError, match="one person counts once"):
            approvals.approve(conn, local_id, body_hash(body))
        with pytest.raises(ApprovalRefusedError, match="one person counts once"):
            approvals.reject(conn, local_id, "changed my mind")
    assert row(team_db, local_id) == ("awaiting_approval", 2)


@pytest.mark.parametrize("role", ["preparer", "viewer", "agent", "admin"])
def test_nobody_outside_the_approvers_approves_or_rejects(team_db: TeamDb, role: str) -> None:
    identity = team(team_db)
    rule(team_db, "*", "0", 1)
    local_id, body = confirm(team_db, identity, "15000.00")
    with person(team_db, f"mallory_{role}", role) as conn:
        with pytest.raises(ApprovalRefusedError, match="Only approvers"):
            approvals.approve(conn, local_id, body_hash(body))
        with pytest.raises(ApprovalRefusedError, match="Only approvers"):
            approvals.reject(conn, local_id, "x")
        for table in ("approvals", "approval_rules"):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(f"DELETE FROM payout_desk.{table}")
    assert row(team_db, local_id) == ("awaiting_approval", 1)


def test_only_its_preparer_withdraws(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "*", "0", 1)
    local_id, _ = confirm(team_db, identity, "15000.00")
    with person(team_db, "other_prep", "preparer") as conn, pytest.raises(ApprovalRefusedError, match="Only pia"):
        approvals.withdraw(conn, local_id)
    with person(team_db, "bob") as conn, pytest.raises(ApprovalRefusedError, match="preparer"):
        approvals.withdraw(conn, local_id)
    assert row(team_db, local_id) == ("awaiting_approval", 1)


@pytest.mark.parametrize("role", ["preparer", "approver", "viewer", "agent"])
def test_rules_and_settings_change_only_by_admins(team_db: TeamDb, role: str) -> None:
    team(team_db)
    with person(team_db, f"mallory_{role}", role) as conn:
        with pytest.raises(ApprovalRefusedError, match="Only admins"):
            approvals.set_rule(conn, "*", Decimal(0), 0, None)
        with pytest.raises(ApprovalRefusedError, match="Only admins"):
            approvals.set_expiry(conn, 30)
        with pytest.raises(ApprovalRefusedError, match="Only admins"):
            approvals.set_retype_threshold(conn, "EUR", None)
    rule(team_db, "EUR", "100", 2)
    with psycopg.connect(team_db.admin) as conn:
        audit = conn.execute("SELECT actor, detail FROM payout_desk.admin_audit WHERE action = 'set-rule'").fetchall()
    assert [(a, d["old"], d["new"], d["currency"]) for a, d in audit] == [("ada_admin", 0, 2, "EUR")]


def test_even_the_owner_cannot_confirm_without_approvals_or_reopen_a_closed_payout(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "*", "0", 1)
    waiting, _ = confirm(team_db, identity, "15000.00")
    closed, _ = confirm(team_db, identity, "16000.00")
    with person(team_db, "pia") as conn:
        approvals.withdraw(conn, closed)
    with psycopg.connect(team_db.admin) as conn:
        for local_id, status in ((waiting, "confirmed"), (waiting, "pending"), (closed, "confirmed")):
            conn.execute("SET ROLE payout_desk_owner")
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute("UPDATE payout_desk.payouts SET status = %s WHERE local_id = %s", (status, local_id))
            conn.rollback()
            conn.execute("SET ROLE payout_desk_owner")
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute("UPDATE payout_desk.payouts SET approvals_required = 0 WHERE local_id = %s", (waiting,))
            conn.rollback()
    assert row(team_db, waiting) == ("awaiting_approval", 1)
    assert row(team_db, closed) == ("withdrawn", 1)
