"""``payout-desk --team CONNINFO --self-test`` checks the team path on a real PostgreSQL (audit F18): the sslmode
rule, the login and its desk role, the schema version, the team's provider and the change feed; it sends nothing.
Before, it ran the embedded sandbox's self-test and never touched the team database."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from payout_desk.app.cli import main
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.team_setup import set_provider


def _self_test(conninfo: str, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--team", conninfo, "--self-test", "--data-dir", str(data_dir)])
    return code, capsys.readouterr().out


def _payouts(team_db: TeamDb) -> tuple[int, int]:
    with psycopg.connect(team_db.admin) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM payout_desk.payouts), (SELECT count(*) FROM payout_desk.events)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_the_team_self_test_checks_the_team_database_and_sends_nothing(
    team_db: TeamDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_provider(team_db, "http://127.0.0.1:9")
    anna = team_db.as_person("anna", "preparer")
    before = _payouts(team_db)
    code, out = _self_test(anna, tmp_path, capsys)
    assert code == 0, out
    assert f"ok: {team_db.name} on " in out
    assert " as anna (preparer)" in out
    assert "ok: http://127.0.0.1:9 (sandbox)" in out
    assert "ok: a notification came back in" in out
    assert out.strip().splitlines()[-1].startswith(f"self-test PASSED: anna can open a desk on {team_db.name}")
    assert "10.00 EUR" not in out  # not the embedded sandbox's payout
    assert _payouts(team_db) == before


def test_the_team_self_test_fails_in_words(team_db: TeamDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    anna = team_db.as_person("anna", "preparer")
    code, out = _self_test(anna, tmp_path, capsys)
    assert code == 1
    assert "self-test FAILED: the team database names no provider yet" in out
    set_provider(team_db, "http://127.0.0.1:9")
    agent = team_db.as_person("agent_one", "agent")
    code, out = _self_test(agent, tmp_path, capsys)
    assert code == 1
    assert "The login agent_one holds no preparer, approver or viewer role, and a desk opens with one of" in out
    assert "agent_one is an agent's login" in out
    code, out = _self_test("host=203.0.113.7 dbname=team user=anna sslmode=require", tmp_path, capsys)
    assert code == 1
    assert "sslmode: must be verify-full" in out
    assert "Traceback" not in out


def test_an_admins_login_is_told_the_real_reason_its_desk_does_not_open(
    team_db: TeamDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Audit 2, N3: not "it holds admin" (an admin who also approved used to open a desk), but that it holds no
    preparer, approver or viewer role, and why an administrator does not."""
    set_provider(team_db, "http://127.0.0.1:9")
    code, out = _self_test(team_db.as_person("ada", "admin"), tmp_path, capsys)
    assert code == 1
    assert "The login ada holds no preparer, approver or viewer role, and a desk opens with one of those only" in out
    assert "ada is an app administrator's login: it changes the team's rules with payout-desk-admin" in out
    assert "--role viewer" in out
    assert "Traceback" not in out
