"""Audit F16 through ``payout-desk-admin rebind``: after the team's provider changed, an app admin moves the
payouts no provider can hold yet onto the team's provider (audited), and is told which payouts stay for
reconciliation; nobody else may."""

from __future__ import annotations

import io

import psycopg
import pytest

from payout_desk.admin import main
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, row, team
from tests.integration.postgres.team_setup import set_provider


def _admin(conninfo: str, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--db", conninfo, *argv], out=out), out.getvalue()


def test_an_admin_rebinds_what_no_provider_holds_and_hears_what_is_left(team_db: TeamDb) -> None:
    old = team(team_db)
    unsent, _ = confirm(team_db, old, "1.00")
    tried, _ = confirm(team_db, old, "2.00")
    team_db.grant_unfenced_writes("agent_a")
    with psycopg.connect(team_db.as_person("agent_a"), autocommit=True) as conn:
        conn.execute("SELECT payout_desk.record_attempt_started(%s, 1, false)", (tried,))
        conn.execute("SELECT payout_desk.record_outcome_unknown(%s, 'timed out')", (tried,))
    new = set_provider(team_db, "http://127.0.0.1:9", force=True)  # #tried may be at the old one (audit 2, N2)
    code, said = _admin(team_db.as_person("ada_admin", "admin"), "rebind", "--reason", "provider moved")
    assert code == 0
    assert f"moved to the team's provider: #{unsent}\n" in said
    assert f"left: #{tried} — they may exist at the old provider" in said
    assert row(team_db, unsent, "connection_id") == (new.key,)
    assert row(team_db, tried, "connection_id, status") == (old.key, "needs_reconciliation")
    with psycopg.connect(team_db.admin) as conn:
        audit = conn.execute("SELECT actor, action FROM payout_desk.admin_audit WHERE action = 'rebind'").fetchall()
    assert audit == [("ada_admin", "rebind")]
    code, said = _admin(team_db.as_person("ada_admin", "admin"), "rebind", "--reason", "again")
    assert code == 0
    assert "moved to the team's provider: none" in said  # what is left is never moved without reconciliation


@pytest.mark.parametrize("role", ["preparer", "approver", "viewer", "agent"])
def test_nobody_else_rebinds(team_db: TeamDb, role: str, capsys: pytest.CaptureFixture[str]) -> None:
    old = team(team_db)
    unsent, _ = confirm(team_db, old, "1.00")
    set_provider(team_db, "http://127.0.0.1:9")
    code, _ = _admin(team_db.as_person(f"mallory_{role}", role), "rebind", "--reason", "mine now")
    assert code == 1
    assert "permission denied for function rebind" in capsys.readouterr().err
    assert row(team_db, unsent, "connection_id") == (old.key,)
