"""Retype thresholds in the team database (issue 21: "in team mode the retype threshold lives in the database
too"): set per currency by the real ``payout-desk-admin set-retype-threshold`` and its SQL function, by the
app's admins only, audited as the rules are (old, new, who, when), and read back by the desk's approvals
service; anyone else is refused by the database itself, whichever way they try."""

from __future__ import annotations

import asyncio
import io
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors

from payout_desk.admin import main
from payout_desk.domain.thresholds import DEFAULT_RETYPE_THRESHOLDS
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.services.approvals import ApprovalsService
from tests.fixtures.postgres import TeamDb


def _cli(conninfo: str, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--db", conninfo, *argv], out=out), out.getvalue()


def _stored(team_db: TeamDb) -> dict[str, Any]:
    with psycopg.connect(team_db.admin) as conn:
        row = conn.execute("SELECT retype_thresholds FROM payout_desk.team_settings").fetchone()
    assert row is not None
    return dict(row[0])


def _audit(team_db: TeamDb, action: str) -> list[tuple[datetime, str, dict[str, Any]]]:
    with psycopg.connect(team_db.admin) as conn:
        rows = conn.execute(
            "SELECT at, actor, detail FROM payout_desk.admin_audit WHERE action = %s ORDER BY audit_id", (action,)
        ).fetchall()
    return [(at, str(actor), dict(detail)) for at, actor, detail in rows]


async def _desk_thresholds(conninfo: str) -> dict[str, Decimal]:
    """What a desk connected as this person reads (its approvals service, on the journal's worker thread)."""
    journal = await AsyncPgJournal.open(conninfo)
    try:
        return await ApprovalsService(journal).retype_thresholds()
    finally:
        await journal.close()


async def test_an_admin_sets_them_per_currency_audited_and_desks_read_them_back(team_db: TeamDb) -> None:
    ada = team_db.as_person("ada_admin", "admin")
    before = datetime.now(UTC)
    script = Path(sys.executable).with_name("payout-desk-admin")
    cli = await asyncio.create_subprocess_exec(
        str(script), "--db", ada, "set-retype-threshold", "--currency", "EUR", "20000",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await cli.communicate()
    assert (cli.returncode, stderr) == (0, b"")
    assert stdout == b"EUR: the amount is typed twice from 20000.00 on\n"  # in the currency's digits
    assert _cli(ada, "set-retype-threshold", "--currency", "jpy", "2000000") == (
        0,
        "JPY: the amount is typed twice from 2000000 on\n",
    )
    assert _cli(ada, "set-retype-threshold", "--currency", "EUR", "25000.50")[0] == 0
    assert {code: Decimal(v) for code, v in _stored(team_db).items()} == {
        "EUR": Decimal("25000.50"),
        "JPY": Decimal(2000000),
    }
    audit = _audit(team_db, "set-retype-threshold")
    assert [(actor, detail["currency"], detail["old"], detail["new"]) for _, actor, detail in audit] == [
        ("ada_admin", "EUR", None, "20000.00"),
        ("ada_admin", "JPY", None, "2000000"),
        ("ada_admin", "EUR", "20000.00", "25000.50"),
    ]
    assert all(before - timedelta(seconds=5) <= at <= datetime.now(UTC) for at, _, _ in audit)
    for reader in (team_db.as_person("bob", "approver"), team_db.as_person("pia", "preparer")):
        seen = await _desk_thresholds(reader)
        assert seen["EUR"] == Decimal("25000.50")
        assert seen["JPY"] == Decimal(2000000)
        assert seen["USD"] == DEFAULT_RETYPE_THRESHOLDS["USD"]  # a currency not set keeps the app's default
    assert _cli(ada, "set-retype-threshold", "--currency", "EUR", "default") == (
        0,
        f"EUR: the amount is typed twice from {DEFAULT_RETYPE_THRESHOLDS['EUR']} on\n",
    )
    assert _stored(team_db) == {"JPY": "2000000"}
    assert _audit(team_db, "set-retype-threshold")[-1][2] == {"currency": "EUR", "old": "25000.50", "new": None}
    seen = await _desk_thresholds(team_db.as_person("bob", "approver"))
    assert (seen["EUR"], seen["JPY"]) == (DEFAULT_RETYPE_THRESHOLDS["EUR"], Decimal(2000000))


@pytest.mark.parametrize("role", ["preparer", "approver", "viewer", "agent"])
def test_nobody_else_sets_them_neither_by_the_cli_nor_the_function_nor_the_table(
    team_db: TeamDb, role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    nosy = team_db.as_person(f"nosy_{role}", role)
    assert _cli(nosy, "set-retype-threshold", "--currency", "EUR", "1")[0] == 1
    err = capsys.readouterr().err
    assert err.startswith("payout-desk-admin: Only admins may do this")
    assert "Traceback" not in err
    with psycopg.connect(nosy) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("SELECT payout_desk.set_retype_threshold('EUR', '1')")
    with psycopg.connect(nosy) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("""UPDATE payout_desk.team_settings SET retype_thresholds = '{"EUR": "1"}'""")
    with psycopg.connect(nosy) as conn, pytest.raises(approvals.ApprovalRefusedError, match="Only admins"):
        approvals.set_retype_threshold(conn, "EUR", Decimal(1))
    assert _stored(team_db) == {}
    assert _audit(team_db, "set-retype-threshold") == []


@pytest.mark.parametrize(
    ("code", "amount"),
    [("*", "1"), ("eur", "1"), ("EURO", "1"), ("EUR", "1e3"), ("EUR", "-5"), ("EUR", "1.00001"), ("EUR", "")],
)
def test_the_function_refuses_what_is_not_a_currency_and_a_plain_amount(
    team_db: TeamDb, code: str, amount: str
) -> None:
    with psycopg.connect(team_db.as_person("ada_admin", "admin")) as conn, pytest.raises(errors.InvalidParameterValue):
        conn.execute("SELECT payout_desk.set_retype_threshold(%s, %s)", (code, amount))
    assert _stored(team_db) == {}


def test_the_cli_refuses_a_catch_all_and_a_bad_amount_in_words(
    team_db: TeamDb, capsys: pytest.CaptureFixture[str]
) -> None:
    ada = team_db.as_person("ada_admin", "admin")
    assert _cli(ada, "set-retype-threshold", "--currency", "*", "100")[0] == 1
    assert "a retype threshold is per currency" in capsys.readouterr().err
    assert _cli(ada, "set-retype-threshold", "--currency", "EUR", "12,5.0")[0] == 1
    assert "payout-desk-admin: " in capsys.readouterr().err
    assert _stored(team_db) == {}
