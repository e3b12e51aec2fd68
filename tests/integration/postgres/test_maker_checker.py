"""Maker-checker (audit 2, N3): one person must not both change the approval rules and prepare or approve
payouts. ``add-person`` refuses admin together with preparer or approver (either order), in words, changing
nothing; and the database (migration 21) refuses set-rule, set-expiry and set-retype-threshold to a caller who
also holds preparer or approver (a role granted by hand, or before this version). Before: ada, admin and
preparer, dropped the EUR rule, prepared 20,000.00 EUR that needed 0 approvals, and put the rule back."""

from __future__ import annotations

import io

import psycopg
import pytest
from psycopg import sql

from payout_desk.admin import main
from payout_desk.journal.postgres.people import list_people
from tests.fixtures.postgres import TeamDb

WORDS = {"preparer": "a preparer", "approver": "an approver"}


def _admin(db: str, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--db", db, *argv], out=out), out.getvalue()


def _state(team_db: TeamDb) -> tuple[object, ...]:
    """The people, the rules, the settings and the audit's length: what a refusal must leave as it was."""
    with psycopg.connect(team_db.admin) as conn:
        people = sorted((p.login, p.role) for p in list_people(conn))
        rules = conn.execute("SELECT * FROM payout_desk.approval_rules ORDER BY 1, 2, 3").fetchall()
        settings = conn.execute("SELECT * FROM payout_desk.team_settings").fetchall()
        audit = conn.execute("SELECT count(*) FROM payout_desk.admin_audit").fetchone()
    return tuple(people), tuple(rules), tuple(settings), audit


@pytest.mark.parametrize(
    ("first", "then", "words"),
    [
        ("admin", "preparer", "ada is an app admin (changes the approval rules): one person may not also prepare"),
        ("admin", "approver", "ada is an app admin (changes the approval rules): one person may not also approve"),
        ("preparer", "admin", "ada is a preparer: one person may not both change the approval rules (admin) and"),
        ("approver", "admin", "ada is an approver: one person may not both change the approval rules (admin) and"),
    ],
)
def test_add_person_refuses_an_admin_who_prepares_or_approves(
    team_db: TeamDb, capsys: pytest.CaptureFixture[str], first: str, then: str, words: str
) -> None:
    assert _admin(team_db.admin, "add-person", "ada", "--role", first)[0] == 0
    before = _state(team_db)
    assert _admin(team_db.admin, "add-person", "ada", "--role", then)[0] == 1
    err = capsys.readouterr().err
    assert err.startswith(f"payout-desk-admin: {words}"), err
    assert "nothing was changed" in err
    assert _state(team_db) == before


def test_an_admin_may_still_be_a_viewer_and_admins_still_set_the_rules(team_db: TeamDb) -> None:
    assert _admin(team_db.admin, "add-person", "ada", "--role", "admin")[0] == 0
    assert _admin(team_db.admin, "add-person", "ada", "--role", "viewer") == (0, "ada: now viewer\n")
    ada = team_db.server.conninfo(team_db.name, user="ada")
    code, said = _admin(ada, "set-rule", "--currency", "EUR", "--from", "1000", "--approvers", "1")
    assert (code, said.split(";")[0]) == (0, "EUR from 1000.00: 1 approver (was no approval)")
    assert _admin(ada, "set-expiry", "3")[0] == 0
    assert _admin(ada, "set-retype-threshold", "--currency", "EUR", "500")[0] == 0


@pytest.mark.parametrize("maker", ["preparer", "approver"])
def test_the_database_refuses_rule_changes_by_an_admin_who_prepares_or_approves(
    team_db: TeamDb, capsys: pytest.CaptureFixture[str], maker: str
) -> None:
    assert _admin(team_db.admin, "set-rule", "--currency", "EUR", "--from", "1000", "--approvers", "1")[0] == 0
    ada = team_db.as_person("ada", "admin")
    with psycopg.connect(team_db.admin, autocommit=True) as conn:  # by hand, past add-person (or before it refused)
        conn.execute(sql.SQL("GRANT {} TO ada").format(sql.Identifier(f"payout_desk_{maker}")))
    before = _state(team_db)
    for argv in (
        ("set-rule", "--currency", "EUR", "--from", "1000", "--approvers", "0"),
        ("set-rule", "--currency", "GBP", "--from", "0", "--approvers", "2"),
        ("set-expiry", "365"),
        ("set-retype-threshold", "--currency", "EUR", "1000000"),
        ("set-retype-threshold", "--currency", "EUR", "default"),
    ):
        assert _admin(ada, *argv)[0] == 1, argv
        err = capsys.readouterr().err
        assert err.startswith(f"payout-desk-admin: ada is also {WORDS[maker]}: one person may not both change the "
                              "approval rules"), err  # fmt: skip
        assert "Nothing was changed" in err
        assert f"REVOKE payout_desk_{maker} FROM ada" in err
    assert _state(team_db) == before
    with psycopg.connect(ada) as conn, pytest.raises(psycopg.Error, match="ada is also a"):
        conn.execute("SELECT payout_desk.set_approval_rule('EUR', '1000', 0, NULL)")
    with psycopg.connect(team_db.admin, autocommit=True) as conn:  # the other role revoked: the admin's again
        conn.execute(sql.SQL("REVOKE {} FROM ada").format(sql.Identifier(f"payout_desk_{maker}")))
    assert _admin(ada, "set-expiry", "5")[0] == 0


def test_the_database_administrator_still_sets_the_rules(team_db: TeamDb) -> None:
    """A superuser is no preparer or approver for the check (is_person_in, version 19), though in every group."""
    assert _admin(team_db.admin, "set-rule", "--currency", "EUR", "--from", "1000", "--approvers", "1")[0] == 0
    assert _admin(team_db.admin, "set-expiry", "9")[0] == 0
    assert _admin(team_db.admin, "set-retype-threshold", "--currency", "EUR", "default")[0] == 0
