"""TeamConnection: libpq settings in and out, the sslmode rule (verify-full unless loopback or a unix socket),
and no password in a saved connection."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from payout_desk.services.team_connection import (
    TeamConnection,
    check_team_connection,
    effective_hosts,
    is_local_host,
)

NO_ENV: dict[str, str] = {}


def team(**changes: object) -> TeamConnection:
    return TeamConnection(host="db.example.com", port=5432, dbname="payouts", user="ada").with_changes(**changes)


def refusal(tc: TeamConnection, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ValueError) as caught:
        check_team_connection(tc, NO_ENV if environ is None else environ)
    return str(caught.value)


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "::1", "[::1]", "/run/postgresql", "", "@abstract"]
)
def test_loopback_and_unix_sockets_are_local(host: str) -> None:
    assert is_local_host(host)
    for mode in ("disable", "prefer", "require", "verify-ca", "verify-full"):
        check_team_connection(team(host=host, sslmode=mode), NO_ENV)


@pytest.mark.parametrize(
    "host", ["db.example.com", "10.0.0.5", "128.0.0.1", "::2", "foo.localhost", "localhost.example.com", "0.0.0.0"]
)
def test_any_other_host_needs_verify_full(host: str) -> None:
    assert not is_local_host(host)
    for mode in ("disable", "allow", "prefer", "require", "verify-ca"):
        message = refusal(team(host=host, sslmode=mode))
        assert message.startswith("sslmode: must be verify-full")
        for words in (host, mode, "127.0.0.0/8", "unix socket"):
            assert words in message
    check_team_connection(team(host=host, sslmode="verify-full"), NO_ENV)


def test_every_host_of_a_list_is_checked() -> None:
    message = refusal(team(host="localhost,db.example.com", sslmode="require"))
    assert "db.example.com" in message
    check_team_connection(team(host="localhost,127.0.0.2", sslmode="disable"), NO_ENV)


def test_an_empty_host_is_checked_where_the_environment_points_it() -> None:
    tc = team(host="", sslmode="disable")
    assert effective_hosts(tc, NO_ENV) == [""]
    check_team_connection(tc, NO_ENV)  # libpq's own unix socket
    check_team_connection(tc, {"PGHOST": "/var/run/postgresql"})
    assert "db.example.com (from the environment)" in refusal(tc, {"PGHOST": "db.example.com"})
    # PGHOSTADDR and PGSERVICE apply even beside a saved host: never counted as local
    assert "10.1.2.3 (from the environment)" in refusal(team(host="localhost", sslmode="disable"),
                                                         {"PGHOSTADDR": "10.1.2.3"})  # fmt: skip
    assert "PGSERVICE" in refusal(team(host="localhost", sslmode="disable"), {"PGSERVICE": "payouts"})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dbname": ""}, "dbname"),
        ({"user": "  "}, "user"),
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"sslmode": "verify_full"}, "sslmode"),
        ({"sslmode": ""}, "sslmode"),
        ({"connect_timeout": 1}, "connect_timeout"),
        ({"sslcert": "/home/ada/.postgresql/ada.crt"}, "sslkey"),
        ({"sslkey": "/home/ada/.postgresql/ada.key"}, "sslcert"),
    ],
)
def test_each_other_rule_names_its_field(changes: dict[str, object], field: str) -> None:
    assert refusal(team(**changes)).startswith(f"{field}: ")


def test_conninfo_round_trip_and_the_password_only_at_connect_time() -> None:
    tc = team(sslrootcert="/etc/ssl/team-ca.pem", application_name="Payout Desk (ada)")
    text = tc.conninfo()
    assert "password" not in text
    assert TeamConnection.from_conninfo(text) == tc
    with_password = psycopg.conninfo.conninfo_to_dict(tc.conninfo("s3cret 'quoted'"))
    assert with_password["password"] == "s3cret 'quoted'"
    assert with_password["sslmode"] == "verify-full"
    assert with_password["host"] == "db.example.com"
    assert TeamConnection.from_json(tc.to_json()) == tc
    assert "password" not in tc.to_json()


def test_a_uri_reads_too_and_an_unsaid_sslmode_is_verify_full() -> None:
    tc = TeamConnection.from_conninfo("postgresql://ada@db.example.com:6432/payouts")
    assert (tc.host, tc.port, tc.dbname, tc.user, tc.sslmode) == ("db.example.com", 6432, "payouts", "ada",
                                                                  "verify-full")  # fmt: skip
    check_team_connection(tc, NO_ENV)


@pytest.mark.parametrize(
    "text",
    [
        "host=db.example.com dbname=payouts user=ada password=hunter2",
        "postgresql://ada:hunter2@db.example.com/payouts",
        "host=db.example.com dbname=payouts user=ada sslpassword=hunter2",
    ],
)
def test_a_password_in_a_conninfo_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="passwords live in the keychain") as caught:
        TeamConnection.from_conninfo(text)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("key", ["service", "passfile", "hostaddr", "sslnegotiation", "options"])
def test_settings_this_rule_cannot_see_are_refused_by_name(key: str) -> None:
    with pytest.raises(ValueError) as caught:
        TeamConnection.from_conninfo(f"host=localhost dbname=payouts user=ada {key}=x")
    assert str(caught.value).startswith(f"{key}: a Team profile does not take this setting")


def test_libpqs_old_requiressl_is_read_as_the_sslmode_it_means() -> None:
    tc = TeamConnection.from_conninfo("host=db.example.com dbname=payouts user=ada requiressl=1")
    assert tc.sslmode == "require"
    assert refusal(tc).startswith("sslmode: must be verify-full")


def test_unreadable_text_and_numbers_name_the_problem() -> None:
    with pytest.raises(ValueError, match="libpq can read"):
        TeamConnection.from_conninfo("host='unterminated")
    with pytest.raises(ValueError, match=r"^port: 'x' is not a whole number"):
        TeamConnection.from_conninfo("host=localhost port=x dbname=p user=ada")
    with pytest.raises(ValueError, match=r"^a team connection must be an object"):
        TeamConnection.from_json(["host", "localhost"])


def test_the_keychain_account_is_per_login_host_port_and_database() -> None:
    accounts = {
        team().keychain_account,
        team(user="bob").keychain_account,
        team(host="db2.example.com").keychain_account,
        team(port=6432).keychain_account,
        team(dbname="other").keychain_account,
    }
    assert len(accounts) == 5
    assert team().keychain_account == "ada@db.example.com:5432/payouts"
    assert team(host="", port=None).display() == "ada@local socket:5432/payouts"


# -- a plain conninfo (`payout-desk --team`, the agent's --db): the same rule, read by libpq's own parser ------


def conninfo_refusal(text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ValueError) as caught:
        check_team_connection(text, NO_ENV if environ is None else environ)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("host=10.1.2.3 dbname=payouts user=anna sslmode=require", "the host 10.1.2.3 is not"),
        ("host=db.example.com dbname=payouts user=anna", "the host db.example.com is not"),  # libpq's prefer
        ("postgresql://anna@127.0.0.1:1/payouts?hostaddr=192.0.2.5", "the host 192.0.2.5 (its hostaddr)"),
        ("host=localhost hostaddr=192.0.2.5 dbname=payouts sslmode=disable", "the host 192.0.2.5 (its hostaddr)"),
        ("host=localhost,db.example.com dbname=payouts sslmode=require", "the host db.example.com is not"),
        ("postgresql://anna@localhost:5432,db.example.com:5432/payouts?sslmode=verify-ca", "db.example.com"),
        ("host=/run/postgresql,10.0.0.7 dbname=payouts", "the host 10.0.0.7"),
    ],
)
def test_a_conninfo_to_another_computer_needs_verify_full(text: str, named: str) -> None:
    message = conninfo_refusal(text)
    assert message.startswith("sslmode: must be verify-full, because ")
    assert named in message


def test_an_unsaid_sslmode_in_a_conninfo_is_libpqs_default_and_says_so() -> None:
    assert conninfo_refusal("host=db.example.com dbname=payouts").endswith("may use prefer (libpq's default)")
    message = conninfo_refusal("host=db.example.com dbname=payouts", {"PGSSLMODE": "require"})
    assert message.endswith("may use require (from PGSSLMODE)")
    check_team_connection("host=db.example.com dbname=payouts", {"PGSSLMODE": "verify-full"})


@pytest.mark.parametrize(
    "text",
    [
        "host=/tmp/pd-pg-x/run port=5432 dbname=payout_desk user=anna",
        "host=127.0.0.1 dbname=payouts sslmode=disable",
        "postgresql://anna@[::1]:5432/payouts?sslmode=prefer",
        "postgresql:///payouts?host=/run/postgresql",
        "dbname=payouts user=anna",  # libpq's own unix socket
        "host=db.example.com hostaddr=127.0.0.1 dbname=payouts sslmode=disable",  # dialled: 127.0.0.1
        "host=db.example.com hostaddr=192.0.2.5 dbname=payouts sslmode=verify-full",
        "host=a.example.com,b.example.com dbname=payouts sslmode=verify-full",
    ],
)
def test_a_conninfo_on_this_computer_or_with_verify_full_passes(text: str) -> None:
    check_team_connection(text, NO_ENV)


def test_what_a_conninfo_leaves_out_comes_from_the_environment() -> None:
    assert "db.example.com (from the environment)" in conninfo_refusal("dbname=payouts", {"PGHOST": "db.example.com"})
    check_team_connection("dbname=payouts", {"PGHOST": "/var/run/postgresql"})
    message = conninfo_refusal("host=localhost dbname=payouts sslmode=disable", {"PGHOSTADDR": "10.1.2.3"})
    assert "10.1.2.3 (from the environment)" in message
    check_team_connection("host=localhost hostaddr=127.0.0.1 dbname=payouts", {"PGHOSTADDR": "10.1.2.3"})
    # a service file's settings are not read here: unknown, so never local and never verify-full
    assert "service" in conninfo_refusal("host=localhost dbname=payouts", {"PGSERVICE": "payouts"})
    assert "service" in conninfo_refusal("service=payouts dbname=payouts")
    check_team_connection("service=payouts sslmode=verify-full", NO_ENV)


def test_a_conninfo_libpq_cannot_read_or_an_unknown_sslmode_is_refused_in_words() -> None:
    assert conninfo_refusal("host='unclosed").startswith("not a connection string libpq can read")
    assert conninfo_refusal("host=localhost sslmode=strict").startswith("sslmode: 'strict' is not a libpq sslmode")


def test_a_service_entry_is_refused_in_true_words(tmp_path: Path) -> None:
    """Second audit N10: the service file is not read, so a service (here a unix socket on this computer) is
    refused saying so and what to give instead, never that its host "is not on this computer"."""
    services = tmp_path / "pg_service.conf"
    services.write_text("[pd]\nhost=/tmp/pd-run\nport=5432\ndbname=payout_desk\n", encoding="utf-8")
    env = {"PGSERVICEFILE": str(services)}
    for conninfo in ("service=pd user=ada", "service=pd user=ada host=localhost"):
        message = conninfo_refusal(conninfo, env)
        assert message == (
            "service: a service entry (service=pd) is not checked by Payout Desk: give host=… and "
            "sslmode=verify-full, or a unix socket directory (host=/…), in the connection string instead"
        )
    message = conninfo_refusal("host=/tmp/pd-run port=5432 dbname=payout_desk user=ada", {**env, "PGSERVICE": "pd"})
    assert message.startswith("PGSERVICE: a service entry (PGSERVICE=pd in the environment) is not checked")
    assert "unset PGSERVICE" in message
    assert "not on this computer" not in message
    check_team_connection("host=/tmp/pd-run port=5432 dbname=payout_desk user=ada", env)  # no service: a socket
