"""payout-desk-admin says what went wrong in words (audit F19): add-person needs the database administrator's
login, each command names its own options, one amount format per currency, `rules` shows the retype thresholds
and the expiry, usage errors exit 2, and ``--db`` follows the desk's sslmode rule."""

from __future__ import annotations

import io

import pytest

from payout_desk.admin import main
from tests.fixtures.postgres import TeamDb


def _admin(db: str, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--db", db, *argv], out=out), out.getvalue()


def test_an_app_admin_adding_people_is_told_it_needs_the_database_administrator(
    team_db: TeamDb, capsys: pytest.CaptureFixture[str]
) -> None:
    ada = team_db.as_person("ada", "admin")
    team_db.as_person("vera", "viewer")
    for login, role in (("newcomer", "viewer"), ("vera", "approver")):  # a new login; an existing one
        assert _admin(ada, "add-person", login, "--role", role)[0] == 1
        err = capsys.readouterr().err
        assert err.startswith("payout-desk-admin: add-person needs the database administrator's login"), err
        assert "CREATEROLE" in err
        assert "not an app admin" in err
    assert _admin(ada, "remove-person", "vera")[0] == 1
    assert "remove-person needs the database administrator's login" in capsys.readouterr().err


def test_set_retype_threshold_names_its_own_argument(team_db: TeamDb, capsys: pytest.CaptureFixture[str]) -> None:
    assert _admin(team_db.admin, "set-retype-threshold", "--currency", "EUR", "100.001")[0] == 1
    err = capsys.readouterr().err
    assert "AMOUNT '100.001'" in err
    assert "--from" not in err


def test_amounts_have_one_format_per_currency_and_rules_shows_thresholds_and_expiry(team_db: TeamDb) -> None:
    code, text = _admin(team_db.admin, "set-rule", "--currency", "*", "--from", "1000000000", "--approvers", "1")
    assert code == 0
    assert text.startswith("* from 1000000000: 1 approver (was no approval)")
    code, text = _admin(team_db.admin, "set-rule", "--currency", "EUR", "--from", "0", "--approvers", "1")
    assert text.startswith("EUR from 0.00: 1 approver")
    code, text = _admin(team_db.admin, "set-rule", "--currency", "JPY", "--from", "500", "--approvers", "2")
    assert text.startswith("JPY from 500: 2 approvers")
    assert _admin(team_db.admin, "set-retype-threshold", "--currency", "EUR", "500") == (
        0,
        "EUR: the amount is typed twice from 500.00 on\n",
    )
    code, text = _admin(team_db.admin, "rules")
    assert code == 0
    assert "any currency without its own rule: from 1000000000 on, 1 approver" in text
    assert "EUR: from 0.00 on, 1 approver" in text
    assert "JPY: from 500 on, 2 approvers" in text
    assert "Other currencies below 1000000000 need no approval." in text
    assert "1000000000.0000" not in text
    assert "Payouts wait 7 days for their approvals, then expire unsent." in text
    retype = next(line for line in text.splitlines() if line.startswith("The amount is typed twice"))
    assert "set by the team: EUR 500.00;" in retype
    assert "JPY 1500000" in retype
    assert "USD 10000.00" in retype


@pytest.mark.parametrize(
    "argv",
    [
        ("set-rule", "--currency", "EUR", "--from", "10", "--approvers", "-1"),
        ("set-rule", "--currency", "EUR", "--from", "10", "--approvers", "two"),
        ("set-expiry", "0"),
        ("set-expiry", "400"),
    ],
)
def test_usage_errors_of_the_approval_commands_exit_2(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--db", "dbname=never_dialled", *argv])
    assert caught.value.code == 2
    assert "usage: payout-desk-admin" in capsys.readouterr().err


def test_db_follows_the_desks_sslmode_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """A remote host without verify-full is refused before anything is dialled (TEST-NET-3: nothing answers)."""
    assert _admin("host=203.0.113.7 dbname=team user=root sslmode=require", "people")[0] == 1
    err = capsys.readouterr().err
    assert "sslmode: must be verify-full" in err
    assert "not contacted" in err
    assert _admin("host=203.0.113.7 dbname=team user=root sslmode=require", "migrate")[0] == 1
    assert "sslmode: must be verify-full" in capsys.readouterr().err
