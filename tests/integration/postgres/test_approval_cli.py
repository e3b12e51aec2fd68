"""payout-desk-admin's approval commands on a real team database (issue 21's contract for tests from outside)."""

from __future__ import annotations

import contextlib
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


def test_a_preparers_own_rules_are_never_summed_up_as_no_approval(team_db: TeamDb) -> None:
    """F2: with only anna's own EUR tier, neither `rules` nor set-rule's warning says no currency needs approval."""
    team_db.as_person("anna", "preparer")
    assert (
        _admin(team_db, "set-rule", "--currency", "EUR", "--from", "100", "--approvers", "1", "--preparer", "anna")[0]
        == 0
    )
    code, text = _admin(team_db, "rules")
    assert code == 0
    first = text.splitlines()[0]
    assert (
        first
        == "No currency needs approval for everyone, but payouts prepared by anna (EUR) do: their own rules below."
    )
    assert "EUR, prepared by anna: from 100.00 on, 1 approver" in text
    code, text = _admin(team_db, "set-rule", "--currency", "*", "--from", "0", "--approvers", "0")
    assert (code, "No currency" in text) == (1, False)  # no * tier to remove (F3)
    code, text = _admin(team_db, "set-rule", "--currency", "USD", "--from", "10", "--approvers", "1")
    assert code == 0
    assert (
        "Warning: every currency except USD needs no approval now (no rule for *), but payouts prepared by anna" in text
    )
    code, text = _admin(team_db, "set-rule", "--currency", "USD", "--from", "10", "--approvers", "0")
    assert "Warning: no currency needs approval now for everyone; only payouts prepared by anna (EUR) do." in text
    _admin(team_db, "set-rule", "--currency", "EUR", "--from", "1000", "--approvers", "1")
    code, text = _admin(team_db, "rules")
    assert "EUR below 1000.00 needs no approval, except payouts prepared by anna (their own rules below)." in text


def test_removing_a_tier_says_what_applies_now_and_a_missing_one_is_refused(team_db: TeamDb) -> None:
    """F3: no silent success for a tier that is not there; a removal names the tier that takes over."""
    assert _admin(team_db, "set-rule", "--currency", "EUR", "--from", "0", "--approvers", "1")[0] == 0
    assert _admin(team_db, "set-rule", "--currency", "EUR", "--from", "500", "--approvers", "2")[0] == 0
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code, text = _admin(team_db, "set-rule", "--currency", "EUR", "--from", "600", "--approvers", "0")
    assert (code, text) == (1, "")
    assert err.getvalue() == "payout-desk-admin: there is no EUR tier from 600.00 to remove\n"
    code, text = _admin(team_db, "set-rule", "--currency", "EUR", "--from", "500", "--approvers", "0")
    assert code == 0
    assert text.startswith(
        "EUR from 500.00: tier removed (it asked 2 approvers); EUR from 500.00 on now follows the tier"
    )
    assert "EUR from 500.00 on now follows the tier from 0.00: 1 approver;" in text
    assert _admin(team_db, "set-rule", "--currency", "*", "--from", "1000", "--approvers", "1")[1].startswith(
        "* from 1000: 1 approver (was no approval)"
    )
    code, text = _admin(team_db, "set-rule", "--currency", "EUR", "--from", "0", "--approvers", "0")
    assert "EUR from 0.00 on now needs no approval below 1000 (from there the rule for *: 1 approver);" in text
    code, text = _admin(team_db, "set-rule", "--currency", "*", "--from", "1000", "--approvers", "0")
    assert "* from 1000 on now needs no approval;" in text
    with psycopg.connect(team_db.admin) as conn:
        audited = conn.execute(
            "SELECT detail->>'from' FROM payout_desk.admin_audit WHERE action = 'set-rule'"
        ).fetchall()
    assert sorted(a for (a,) in audited) == ["0.00", "0.00", "1000", "1000", "500.00", "500.00"]  # none refused


def test_a_personal_tier_needs_an_existing_preparer(team_db: TeamDb) -> None:
    """F4: a typo or an approver's login is refused in words, exit 1, and no rule is written."""
    team_db.as_person("anna", "preparer")
    team_db.as_person("ben", "approver")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        typo = _admin(
            team_db, "set-rule", "--currency", "EUR", "--from", "100", "--approvers", "2", "--preparer", "ana"
        )
        approver = _admin(
            team_db, "set-rule", "--currency", "EUR", "--from", "100", "--approvers", "2", "--preparer", "ben"
        )
    assert (typo, approver) == ((1, ""), (1, ""))
    assert err.getvalue().splitlines() == [
        "payout-desk-admin: --preparer ana: no preparer of that name (the team's preparers: anna)",
        "payout-desk-admin: --preparer ben: ben is not a preparer (approver); a preparer's own rule is for the payouts"
        " they prepare (the team's preparers: anna)",
    ]
    with psycopg.connect(team_db.admin) as conn:
        assert conn.execute("SELECT count(*) FROM payout_desk.approval_rules WHERE preparer <> ''").fetchone() == (0,)
    code, text = _admin(
        team_db, "set-rule", "--currency", "EUR", "--from", "100", "--approvers", "1", "--preparer", "anna"
    )
    assert code == 0
    assert text.startswith("EUR prepared by anna from 100.00: 1 approver (was no approval)")


def test_set_rule_warns_when_nobody_could_ever_give_the_approvals(team_db: TeamDb) -> None:
    """F14: one approver (the superuser administrator does not count) cannot satisfy a tier of 2; an approver who
    also prepares cannot approve their own payouts."""
    team_db.as_person("anna", "preparer")
    team_db.as_person("ben", "approver")
    code, text = _admin(team_db, "set-rule", "--currency", "EUR", "--from", "0", "--approvers", "2")
    assert code == 0
    assert (
        "Warning: only 1 person (ben) can approve the payouts this tier covers; it needs 2 approvers: they would"
        " wait, then expire unsent" in text
    )
    assert "Warning: only" not in _admin(team_db, "set-rule", "--currency", "EUR", "--from", "0", "--approvers", "1")[1]
    team_db.as_person("ben", "preparer")
    code, text = _admin(
        team_db, "set-rule", "--currency", "GBP", "--from", "0", "--approvers", "1", "--preparer", "ben"
    )
    assert code == 0
    assert "Warning: nobody can approve ben's payouts this tier covers (a preparer cannot approve their own)" in text
    code, text = _admin(team_db, "set-rule", "--currency", "USD", "--from", "0", "--approvers", "1")
    assert (  # a rule for everyone: not worded as if it were ben's (audit 2, nit)
        "Warning: this tier covers everyone's payouts, but nobody can approve those ben prepares (a preparer cannot"
        " approve their own); it needs 1 approver" in text
    )
