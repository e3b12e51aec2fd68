"""Test connection of a Team profile against real PostgreSQL servers: every verdict in plain words, and the
conninfo the launch gets (the password from the keychain, the sslmode rule applied)."""

from __future__ import annotations

import socket

import psycopg
import pytest
from psycopg import sql

from payout_desk.services.profiles import Profile
from payout_desk.services.secrets import TokenStore
from payout_desk.services.team_connection import TeamConnection
from payout_desk.services.team_profile import (
    TeamCheckStatus,
    check_team_database,
    forget_team_password,
    resolve_team_conninfo,
    store_team_password,
    team_password,
)
from tests.fixtures.keyring_memory import MemoryKeyring
from tests.fixtures.postgres import PgServer, TeamDb
from tests.integration.postgres.password_server import DBNAME, PASSWORD, PasswordServer, pw_server

__all__ = ["pw_server"]  # the module-scoped fixture, used here


def socket_tc(server: PgServer, dbname: str, user: str) -> TeamConnection:
    return TeamConnection(host=str(server.socket_dir), port=server.port, dbname=dbname, user=user, sslmode="disable")


def test_a_person_of_the_team_connects(team_db: TeamDb) -> None:
    team_db.as_person("pia", "preparer", "viewer")
    check = check_team_database(socket_tc(team_db.server, team_db.name, "pia"), None)
    assert check.status is TeamCheckStatus.OK, check.message
    assert check.roles == ("preparer", "viewer")
    assert check.message.startswith(f"Connected to “{team_db.name}” as pia (preparer, viewer)")


def test_a_login_without_a_role_is_not_a_person_of_the_team(team_db: TeamDb) -> None:
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute("CREATE ROLE stranger LOGIN")
    try:
        check = check_team_database(socket_tc(team_db.server, team_db.name, "stranger"), None)
    finally:
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            conn.execute("DROP ROLE stranger")
    assert check.status is TeamCheckStatus.NOT_A_PERSON
    assert "stranger is not a person of this team" in check.message
    assert "add-person stranger" in check.message


def test_a_database_without_the_team_journal_is_not_a_payout_desk_database(
    pg_server: PgServer, pg_empty_db: str
) -> None:
    dbname = psycopg.conninfo.conninfo_to_dict(pg_empty_db)["dbname"]
    check = check_team_database(socket_tc(pg_server, str(dbname), "postgres"), None)
    assert check.status is TeamCheckStatus.NOT_PAYOUT_DESK
    assert "is not a Payout Desk database" in check.message


def test_a_missing_database_is_said(team_db: TeamDb) -> None:
    check = check_team_database(socket_tc(team_db.server, "no_such_db", "postgres"), None)
    assert check.status is TeamCheckStatus.NO_DATABASE
    assert "no database named “no_such_db”" in check.message


@pytest.mark.parametrize(("version", "words"), [(-1, "needs version"), (999, "Update Payout Desk")])
def test_a_schema_of_another_version_is_said(team_db: TeamDb, version: int, words: str) -> None:
    team_db.as_person("pia", "preparer")
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        if version < 0:
            conn.execute("DELETE FROM payout_desk.schema_migrations WHERE version = (SELECT max(version)"
                         " FROM payout_desk.schema_migrations)")  # fmt: skip
        else:
            conn.execute("INSERT INTO payout_desk.schema_migrations (version, description) VALUES (%s, 'later')",
                         (version,))  # fmt: skip
    check = check_team_database(socket_tc(team_db.server, team_db.name, "pia"), None)
    assert check.status is TeamCheckStatus.WRONG_SCHEMA
    assert words in check.message


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tc = TeamConnection(host="127.0.0.1", port=port, dbname="payouts", user="pia", sslmode="disable")
    check = check_team_database(tc, None)
    assert check.status is TeamCheckStatus.UNREACHABLE
    assert check.message.startswith(f"Could not reach the team database at pia@127.0.0.1:{port}/payouts")


def test_settings_breaking_the_rule_are_not_tried() -> None:
    tc = TeamConnection(host="db.example.com", dbname="payouts", user="pia", sslmode="require")
    check = check_team_database(tc, None)
    assert check.status is TeamCheckStatus.SETTINGS
    assert check.message.startswith("Not tried: sslmode: must be verify-full")


def tcp_tc(pw: PasswordServer, sslmode: str = "disable") -> TeamConnection:
    return TeamConnection(host="127.0.0.1", port=pw.tcp_port, dbname=DBNAME, user="pia", sslmode=sslmode)


def test_passwords_right_wrong_and_missing(pw_server: PasswordServer) -> None:
    ok = check_team_database(tcp_tc(pw_server), PASSWORD)
    assert ok.status is TeamCheckStatus.OK, ok.message
    wrong = check_team_database(tcp_tc(pw_server), "not-it")
    assert wrong.status is TeamCheckStatus.AUTH_FAILED
    assert wrong.message.startswith("The database refused the login pia: check the login and its password.")
    missing = check_team_database(tcp_tc(pw_server), None)
    assert missing.status is TeamCheckStatus.AUTH_FAILED
    assert "No password is stored for this login" in missing.message
    for check in (ok, wrong, missing):
        assert PASSWORD not in check.message


def test_tls_required_of_a_server_without_it(pw_server: PasswordServer) -> None:
    check = check_team_database(tcp_tc(pw_server, "verify-full"), PASSWORD)
    assert check.status is TeamCheckStatus.TLS_ERROR
    assert "could not be verified" in check.message


def test_the_launch_gets_the_password_from_the_keychain(
    pw_server: PasswordServer, memory_keyring: MemoryKeyring
) -> None:
    tokens = TokenStore()
    profile = Profile("Team", "team", "", team=tcp_tc(pw_server))
    assert team_password(profile, tokens) is None
    store_team_password(tcp_tc(pw_server), PASSWORD, tokens)
    # in the keychain under its own service, one entry per login/host/port/database; the provider tokens' untouched
    assert memory_keyring.get_password("payout-desk-team", f"pia@127.0.0.1:{pw_server.tcp_port}/{DBNAME}") == PASSWORD
    assert memory_keyring.get_password("payout-desk", "Team") is None
    conninfo = resolve_team_conninfo(profile, TokenStore())  # a fresh store: what the keychain holds
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT session_user").fetchone() == ("pia",)
    forget_team_password(tcp_tc(pw_server), tokens)
    assert "password" not in psycopg.conninfo.conninfo_to_dict(resolve_team_conninfo(profile, TokenStore()))
    bad = Profile("Remote", "team", "", team=tcp_tc(pw_server).with_changes(host="db.example.com"))
    with pytest.raises(ValueError, match=r"^sslmode: must be verify-full"):
        resolve_team_conninfo(bad, tokens)
    with pytest.raises(ValueError, match="is not a Team profile"):
        resolve_team_conninfo(Profile("Sandbox", "sandbox", "http://127.0.0.1:8765"), tokens)


def test_a_login_whose_role_was_revoked_is_not_a_person(team_db: TeamDb) -> None:
    team_db.as_person("gus", "viewer")
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute(sql.SQL("REVOKE payout_desk_viewer FROM {}").format(sql.Identifier("gus")))
    check = check_team_database(socket_tc(team_db.server, team_db.name, "gus"), None)
    assert check.status is TeamCheckStatus.NOT_A_PERSON
