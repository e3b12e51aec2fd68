"""payout-desk-admin's approval commands on a real team database (issue 21's contract for tests from outside)."""

from __future__ import annotations

import io

import psycopg

from payout_desk.admin import main
from tests.fixtures.postgres import TeamDb


def _admin(team_db: TeamDb, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--db", team_db.admin, *argv], out=out), out.getvalue()


def test_rules_set_rule_and_expiry_from_the_command_line(team_db: TeamDb) -> None:
    assert _admin(team_db, "add-person", "bob", "--role", "approver") == (0, "bob: created, now approver\n")
    code, text = _admin(team_db, "rules")
    assert code == 0
    assert text.startswith("No currency needs approval")
    code, text = _admin(team_db, "set-rule", "--currency", "EUR", "--from", "10000", "--approvers", "2")
    assert code == 0
    assert "EUR from 10000.00: 2 approvers (was no approval)" in text
    assert "Warning: every currency except EUR needs no approval" in text
    code, text = _admin(team_db, "set-rule", "--currency", "*", "--from", "0", "--approvers", "1")
    assert code == 0
    assert "Warning" not in text
    code, text = _admin(team_db, "rules")
    assert "EUR: from 10000.00 on, 2 approvers" in text
    assert "EUR below 10000.00 needs no approval." in text
    assert "Payouts wait 7 days" in text
    assert _admin(team_db, "set-expiry", "3")[0] == 0
    assert _admin(team_db, "set-rule", "--currency", "EUR", "--from", "1.001", "--approvers", "1")[0] == 1
    assert _admin(team_db, "set-rule", "--currency", "EUR", "--from", "1e3", "--approvers", "1")[0] == 1
    assert _admin(team_db, "set-rule", "--currency", "EUR", "--from", "10000", "--approvers", "0")[0] == 0
    with psycopg.connect(team_db.admin) as conn:
        assert conn.execute("SELECT approval_expiry_days FROM payout_desk.team_settings").fetchone() == (3,)
        rules = conn.execute("SELECT currency, approvers FROM payout_desk.approval_rules").fetchall()
    assert rules == [("*", 1)]
